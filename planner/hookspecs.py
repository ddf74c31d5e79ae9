"""The hooks a plugin can implement. Plugins write `from ventureplan.planner import hookimpl`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from .analysis import Analysis
    from .errors import Finding
    from .model import Plan, Risk
    from .network import Network
    from .report import Report
    from .results import RiskScore, SimulationResult

hookspec = pluggy.HookspecMarker("ventureplan")
hookimpl = pluggy.HookimplMarker("ventureplan")


@hookspec
def plan_checks(plan: Plan) -> list[Finding]:  # type: ignore[empty-body]
    """Return findings (lints) about a plan that passed validation."""


@hookspec(firstresult=True)
def score_risk(risk: Risk, plan: Plan) -> RiskScore | None:
    """Score one risk (probability × impact matrix, EMV, residual); the first answer wins."""


@hookspec(firstresult=True)
def simulate(
    plan: Plan,
    network: Network,
    iterations: int,
    seed: int,
    probabilities: dict[str, float],
) -> SimulationResult | None:
    """Run the Monte Carlo simulation; `probabilities` overrides risks' probabilities by id."""


@hookspec
def analysis_sections(analysis: Analysis) -> dict[str, Any] | None:
    """Add named sections to an analysis (they appear in `analyze --json` and reports)."""


@hookspec
def analysis_checks(analysis: Analysis) -> list[Finding]:  # type: ignore[empty-body]
    """Return findings that need the schedule, simulation or budget (e.g. deadline vs P80)."""


@hookspec
def mermaid_diagrams(analysis: Analysis, labels: dict[str, Any]) -> dict[str, str] | None:
    """Return Mermaid diagrams by name (`roadmap --diagram NAME`, the report's appendix)."""


@hookspec
def renderers() -> dict[str, Callable[[Report], bytes]] | None:
    """Return report renderers by file suffix (pdf, html, md, json), each Report -> bytes."""


@hookspec
def route_kinds() -> dict[str, Callable[..., dict[str, Any]]] | None:
    """Return runners by route kind (`routes[].task`): (plan, route, path, options) -> record."""
