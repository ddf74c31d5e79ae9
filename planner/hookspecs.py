"""The hooks a plugin can implement. Plugins write `from ventureplan.planner import hookimpl`.

An implementation may declare only the arguments it uses (pluggy passes just those). The
contract depends on data types only: the plan, its records and the result types.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:  # types only: `import ventureplan.planner` stays as light as pluggy
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from pydantic import BaseModel

    from .errors import Finding
    from .model import Plan, Risk, Route
    from .network import Network
    from .records import Options, Record
    from .results import Analysis, Report, RiskScore, SimulationResult

    Renderer = Callable[[Report], bytes]
    # (plan, route, plan file, options) -> the record to write back; None on a process
    # that does not report (a torchrun worker other than rank 0).
    RouteKind = Callable[[Plan, Route, Path, Options], Record | None]
    # (plan, route, plan file, the training record to start from, runs folder) -> the
    # optimisation record to write back (variants in runs/<id>/variants/).
    RouteOptimizer = Callable[[Plan, Route, Path, Record, Path], Record]
    # (plan, route, the plan's folder) -> findings whose paths start inside the route,
    # e.g. ("dataset", "text"); `check` puts ("routes", i) in front.
    RouteCheck = Callable[[Plan, Route, Path], list[Finding]]

hookspec = pluggy.HookspecMarker("ventureplan")
hookimpl = pluggy.HookimplMarker("ventureplan")


@dataclass(frozen=True)
class RouteParameters:
    """What the routes of one kind may say, answered by the `route_parameters` hook: `check`
    validates each route of that kind against it, and `ventureplan schema` shows it.

    Each part is optional; a part left at None is not checked.

    - hyperparameters: a Pydantic model of one combination of `routes[].hyperparameters`
      (every field needs a default, or the plan must set it); every value of each
      `routes[].search` list is validated as that field. Unknown names are errors when the
      model forbids extra fields (`model_config = ConfigDict(extra="forbid")`).
    - limits: a Pydantic model of `routes[].limits`.
    - metrics: the goal metrics a run of this kind measures; a goal in the route's
      `measures` with another metric is an error.
    - check: more checks of a route of this kind (its data, say): (plan, route, the plan's
      folder) -> findings whose paths start inside the route, e.g. ("dataset", "text").
      It must not block or read without bound; an exception it raises is a warning naming
      the plugin.
    - description: one line about the kind, for the schema.
    """

    hyperparameters: type[BaseModel] | None = None
    limits: type[BaseModel] | None = None
    metrics: Sequence[str] | None = None
    check: RouteCheck | None = None
    description: str | None = None


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
    """Return runners by route kind (`routes[].task`), each returning a typed record. What a
    kind's routes may hold is told apart, by `route_parameters`."""


@hookspec
def route_optimizers() -> dict[str, RouteOptimizer] | None:
    """Return, by route kind, what `ventureplan optimize` runs on a trained model of that
    kind: it gets the training record to start from and returns a `kind: optimization`
    record; the core checks the inputs first and writes the record back."""


@dataclass(frozen=True)
class RouteServer:
    """How the models of one route kind are served, answered by the `route_servers` hook.
    The core finds the record to serve and checks every input first; these do the work.

    - api(path, host, port, keys_file, log_texts): run the model API on a run folder, a
      variant folder or a bundle until SIGTERM (blocking).
    - deploy(plan, route, record, runs, out, force) -> the files of the bundle written to
      `out` for the record's model (an optimisation's chosen variant, or a trained model).
    - loadtest(plan, route, plan file, record, training record, runs, concurrency,
      duration, url) -> the `kind: serving` record to write back.
    """

    api: Callable[[Path, str, int, Path | None, bool], None]
    deploy: Callable[[Plan, Route, Record, Path, Path, bool], list[Path]]
    loadtest: Callable[[Plan, Route, Path, Record, Record, Path, int, float, str | None], Record]


@hookspec
def route_servers() -> dict[str, RouteServer] | None:
    """Return, by route kind, how its trained models are served (`api`, `deploy`,
    `loadtest`); the first plugin to claim a kind keeps it."""


@hookspec
def route_parameters() -> dict[str, RouteParameters | type[BaseModel]] | None:
    """Return, by route kind, what its routes may say (a RouteParameters; a bare Pydantic
    model stands for the hyperparameters alone). `check` validates the routes of each kind
    against it, `ventureplan schema` includes it; a kind no plugin describes is not checked.
    The first plugin to describe a kind keeps it."""
