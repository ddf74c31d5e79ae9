"""The hooks a plugin can implement. Plugins write `from ventureplan.planner import hookimpl`.

An implementation may declare only the arguments it uses (pluggy passes just those). The
contract depends on data types only: the plan, its records and the result types.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:  # types only: `import ventureplan.planner` stays as light as pluggy
    from collections.abc import Callable
    from pathlib import Path

    from .errors import Finding
    from .model import Plan, Risk, Route
    from .network import Network
    from .records import Options, Record
    from .results import Analysis, Report, RiskScore, SimulationResult

    Renderer = Callable[[Report], bytes]
    # (plan, route, plan file, options) -> the record to write back; None on a process
    # that does not report (a torchrun worker other than rank 0).
    RouteKind = Callable[[Plan, Route, Path, Options], Record | None]

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
def renderers() -> dict[str, Renderer] | None:
    """Return report renderers by file suffix (pdf, html, md, json), each Report -> bytes."""


@hookspec
def route_kinds() -> dict[str, RouteKind] | None:
    """Return runners by route kind (`routes[].task`), each returning a typed record."""
