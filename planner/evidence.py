"""What the measured runs say about the plan, beside the founder's own numbers.

Only evidence counts: a record that is neither a rehearsal (a capped run: `--max-steps`,
`limits.max_train_samples`) nor set aside (`ignored`). A rehearsal is shown, labelled,
and changes no number. A goal that names its data (`goals[].dataset`) is settled only by
a run on that data; a run on other data is shown beside it.

A manual record (`ventureplan measure`) is about one goal, not a route: the newest one for
each goal (by `at`, then run number) is that goal's evidence, listed after the routes'.
It is a fact, not a sample: met or missed with p_miss 0 or 1, and the goal's risks take
that probability as from any other evidence. A goal a route's evidence also settles keeps
the route's verdict (listed first); the manual record is shown beside it."""

from __future__ import annotations

from dataclasses import dataclass, field

from .builtins import DATASETS, builtin_name
from .model import Plan, Route
from .records import (
    KINDS,
    ManualRecord,
    RouteRecord,
    ServingRecord,
    TrainingRecord,
    Variant,
    goal_met,
)

MANUAL = "manual"  # Evidence.route of a manual record's evidence (its kind says so too)


@dataclass
class Basis:
    """What a verdict rests on, printed beside it."""

    run: str
    dataset: str | None = None
    licence: str | None = None  # known for built-in data sets
    commercial_use: bool | None = None
    train: int | None = None
    test: int | None = None
    device: str | None = None
    epochs: int | None = None
    rehearsal: bool = False
    reasons: list[str] = field(default_factory=list)
    kind: str = "training"
    variant: str | None = None  # an optimisation's chosen variant
    source_run: str | None = None  # the training run an optimisation started from
    source: str | None = None  # where a manual record's number comes from


def basis(run: RouteRecord, route: Route | None) -> Basis:
    source = route.dataset.source if route is not None else None
    known = DATASETS.get(builtin_name(source) or "") if source else None
    epochs = None
    data: dict[str, int] = getattr(run, "data", {})
    if run.kind == "training":
        epochs = run.training.epochs
        if epochs is None:
            planned = run.hyperparameters.get("epochs")
            ok = isinstance(planned, int) and not isinstance(planned, bool)
            epochs = planned if ok else None
    return Basis(
        run=run.run,
        dataset=source,
        licence=known.licence if known else None,
        commercial_use=known.commercial_use if known else None,
        train=data.get("train"),
        test=data.get("test"),
        device=run.device,
        epochs=epochs,
        rehearsal=run.rehearsal,
        reasons=list(run.rehearsal_reasons),
        kind=run.kind,
        variant=run.chosen if run.kind == "optimization" else getattr(run, "variant", None),
        source_run=None if run.kind == "training" else getattr(run, "source_run", None),
    )


@dataclass
class GoalEvidence:
    goal: str
    metric: str | None
    value: float
    target: float | None
    direction: str
    met: bool | None
    interval: tuple[float, float] | None
    p_miss: float | None  # share of bootstrap resamples on the wrong side of the target
    settles: bool = True  # False: measured on data other than the goal's own
    about: str | None = None  # the goal's data set, when it names one


@dataclass
class RiskEvidence:
    risk: str
    goal: str
    probability: float  # the founder's estimate, unchanged
    measured_probability: float  # from the run's p_miss


@dataclass
class Evidence:
    route: str
    run: str
    at: str
    device: str | None
    goals: list[GoalEvidence] = field(default_factory=list)
    risks: list[RiskEvidence] = field(default_factory=list)
    training: dict[str, float] = field(default_factory=dict)
    forecast: dict[str, float] = field(default_factory=dict)
    basis: Basis | None = None
    rehearsal: bool = False
    kind: str = "training"  # or "optimization": its goals are the chosen variant's speed and size
    variants: list[Variant] = field(default_factory=list)  # an optimisation's, as measured
    chosen: str | None = None
    protocol: dict[str, float] = field(default_factory=dict)  # how the variants were timed
    serving: dict[str, float] = field(default_factory=dict)  # a load test's figures
    variant: str | None = None  # the variant a load test served
    source: str | None = None  # a manual record's source


def latest_runs(plan: Plan, *, rehearsals: bool = False) -> list[RouteRecord]:
    """The newest evidence record of each kind (training, serving, optimization) for each route
    (the chosen route first, then in the plan's order); with `rehearsals`, the newest
    rehearsal of each instead, where it is newer than that route's evidence of its kind.
    Ignored records are never listed, nor manual ones (`latest_manual`: they have no route)."""
    newest: dict[tuple[str, str], RouteRecord] = {}
    trial: dict[tuple[str, str], RouteRecord] = {}
    for m in plan.measured:
        if m.ignored or isinstance(m, ManualRecord):
            continue
        pick = trial if m.rehearsal else newest
        key = (m.route, m.kind)
        if key not in pick or m.at >= pick[key].at:
            pick[key] = m
    keys = [(r.id, k) for r in sorted(plan.routes, key=lambda r: not r.chosen) for k in KINDS]
    if rehearsals:
        return [
            trial[k] for k in keys if k in trial and (k not in newest or trial[k].at > newest[k].at)
        ]
    return [newest[k] for k in keys if k in newest]


def gather(plan: Plan, *, rehearsals: bool = False) -> list[Evidence]:
    """What the newest evidence of each route says of each goal, then what the newest
    manual record of each goal says (with `rehearsals`, what the newest rehearsals say,
    for showing only: they settle nothing)."""
    goals = {g.id: g for g in plan.goals}
    routes = {r.id: r for r in plan.routes}
    out = []
    for run in latest_runs(plan, rehearsals=rehearsals):
        route = routes.get(run.route)
        ev = Evidence(
            run.route,
            run.run,
            run.at.isoformat(),
            run.device,
            basis=basis(run, route),
            rehearsal=run.rehearsal,
            kind=run.kind,
        )
        intervals: dict[str, tuple[float, float]] = {}
        if isinstance(run, TrainingRecord):
            ev.training = run.training.model_dump(exclude_none=True)
            ev.forecast = run.forecast.model_dump(exclude_none=True)
            intervals = run.intervals
        elif isinstance(run, ServingRecord):
            ev.serving = run.serving.model_dump(exclude_none=True)
            ev.variant = run.variant
            intervals = run.intervals
        else:
            ev.variants = list(run.variants)
            ev.chosen = run.chosen
            ev.protocol = run.protocol.model_dump(exclude_none=True)
        for gid, goal in goals.items():
            result = run.goals.get(gid)
            value = (
                result.value if result else (run.metrics.get(goal.metric) if goal.metric else None)
            )
            if value is None:
                continue
            target = goal.target
            p_miss = None
            if result is not None and result.p_miss is not None and result.target == target:
                p_miss = result.p_miss  # only valid for the target it was measured against
            interval = intervals.get(goal.metric) if goal.metric else None
            on = route.dataset.source if route is not None else None
            settles = not run.rehearsal and (goal.dataset is None or goal.dataset == on)
            ev.goals.append(
                GoalEvidence(
                    goal=gid,
                    metric=goal.metric,
                    value=value,
                    target=target,
                    direction=goal.direction,
                    met=goal_met(value, target, goal.direction),
                    interval=(interval[0], interval[1]) if interval else None,
                    p_miss=p_miss,
                    settles=settles,
                    about=goal.dataset,
                )
            )
            for risk in plan.risks:
                if risk.goal == gid and p_miss is not None and settles:
                    ev.risks.append(RiskEvidence(risk.id, gid, risk.probability, p_miss))
        out.append(ev)
    if not rehearsals:  # a manual record is never a rehearsal
        out += [manual_evidence(plan, m) for m in latest_manual(plan)]
    return out


def latest_manual(plan: Plan) -> list[ManualRecord]:
    """The newest manual record that counts (not ignored) for each of the plan's goals, in
    the goals' order. Newest: the latest `at`, then the highest run number (N of
    YYYYMMDD-manual-N), then the later in the list."""
    newest: dict[str, tuple[tuple[object, ...], ManualRecord]] = {}
    for i, m in enumerate(plan.measured):
        if not isinstance(m, ManualRecord) or m.ignored:
            continue
        key = (m.at, m.number, i)
        if m.goal not in newest or key > newest[m.goal][0]:
            newest[m.goal] = (key, m)
    return [newest[g.id][1] for g in plan.goals if g.id in newest]


def manual_evidence(plan: Plan, record: ManualRecord) -> Evidence:
    """What one manual record says of its goal: met or missed, as a fact (p_miss 0 or 1),
    and so of the goal's risks."""
    goal = next(g for g in plan.goals if g.id == record.goal)
    ev = Evidence(
        MANUAL,
        record.run,
        record.at.isoformat(),
        None,
        basis=Basis(run=record.run, kind=MANUAL, source=record.source),
        kind=MANUAL,
        source=record.source,
    )
    met = goal_met(record.value, goal.target, goal.direction)
    p_miss = None if met is None else 0.0 if met else 1.0
    ev.goals.append(
        GoalEvidence(
            goal=goal.id,
            metric=goal.metric,
            value=record.value,
            target=goal.target,
            direction=goal.direction,
            met=met,
            interval=None,
            p_miss=p_miss,
            settles=True,  # the founder's own number for this goal, whatever its data
            about=goal.dataset,
        )
    )
    if p_miss is not None:
        ev.risks = [
            RiskEvidence(r.id, goal.id, r.probability, p_miss)
            for r in plan.risks
            if r.goal == goal.id
        ]
    return ev


def measured_probabilities(evidence: list[Evidence]) -> dict[str, float]:
    """Risk id -> probability implied by the measurements (the chosen route's run first)."""
    probs: dict[str, float] = {}
    for ev in evidence:
        for r in ev.risks:
            probs.setdefault(r.risk, r.measured_probability)
    return probs
