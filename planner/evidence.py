"""What the measured runs say about the plan, beside the founder's own numbers."""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import Plan
from .records import Record, goal_met


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


def latest_runs(plan: Plan) -> list[Record]:
    """The newest record for each route: the chosen route first, then in the plan's order."""
    newest: dict[str, Record] = {}
    for m in plan.measured:
        if m.route not in newest or m.at >= newest[m.route].at:
            newest[m.route] = m
    routes = sorted(plan.routes, key=lambda r: not r.chosen)
    return [newest[r.id] for r in routes if r.id in newest]


def gather(plan: Plan) -> list[Evidence]:
    goals = {g.id: g for g in plan.goals}
    out = []
    for run in latest_runs(plan):
        ev = Evidence(
            run.route,
            run.run,
            run.at.isoformat(),
            run.device,
            training=run.training.model_dump(exclude_none=True),
            forecast=run.forecast.model_dump(exclude_none=True),
        )
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
            interval = run.intervals.get(goal.metric) if goal.metric else None
            ev.goals.append(
                GoalEvidence(
                    goal=gid,
                    metric=goal.metric,
                    value=value,
                    target=target,
                    direction=goal.direction,
                    met=goal_met(value, target, goal.direction),
                    interval=tuple(interval) if interval else None,  # type: ignore[arg-type]
                    p_miss=p_miss,
                )
            )
            for risk in plan.risks:
                if risk.goal == gid and p_miss is not None:
                    ev.risks.append(RiskEvidence(risk.id, gid, risk.probability, p_miss))
        out.append(ev)
    return out


def measured_probabilities(evidence: list[Evidence]) -> dict[str, float]:
    """Risk id -> probability implied by the measurements (the chosen route's run first)."""
    probs: dict[str, float] = {}
    for ev in evidence:
        for r in ev.risks:
            probs.setdefault(r.risk, r.measured_probability)
    return probs
