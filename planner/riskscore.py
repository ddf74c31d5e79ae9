"""The 5×5 risk matrix: probability bucket × impact, and the level of a score; and the rule
for what a response changes, which the scorer and the simulation share."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from .model import Range3, Risk

Level = Literal["low", "medium", "high", "critical"]
# Upper bounds of the five probability buckets: rare, unlikely, possible, likely, almost certain.
BUCKETS = (0.10, 0.30, 0.50, 0.70, 1.00)


def probability_bucket(probability: float) -> int:
    """1 (p <= 0.1) … 5 (p > 0.7)."""
    return next(i for i, upper in enumerate(BUCKETS, start=1) if probability <= upper)


def score(probability: float, impact: int) -> int:
    return probability_bucket(probability) * impact


def level(value: int) -> Level:
    if value >= 17:
        return "critical"
    if value >= 10:
        return "high"
    if value >= 5:
        return "medium"
    return "low"


# --- what a response changes ------------------------------------------------------

# Responses that change the risk itself; accept and escalate leave it as it is.
EFFECTIVE_RESPONSES = ("avoid", "transfer", "mitigate")

Three = tuple[float, float, float]


def response_in_effect(risk: Risk) -> bool:
    """Whether the plan as planned draws the risk after its response: the response is avoid,
    transfer or mitigate and the risk says what is left of it (`residual`)."""
    return risk.response in EFFECTIVE_RESPONSES and risk.residual is not None


def _three(r: Range3 | None, scale: float = 1.0) -> Three | None:
    return None if r is None else (r.low * scale, r.likely * scale, r.high * scale)


def inherent_impacts(risk: Risk) -> tuple[Three | None, Three | None]:
    """(schedule, cost) three-points of the risk as it is, before any response."""
    return _three(risk.schedule_impact), _three(risk.cost_impact)


def planned_impacts(risk: Risk) -> tuple[Three | None, Three | None]:
    """(schedule, cost) three-points when the risk occurs in the plan as planned. With its
    response in effect: the residual's own `schedule_impact` / `cost_impact` where given,
    otherwise the risk's scaled by residual impact / impact. Otherwise the risk's own."""
    res = risk.residual
    if res is None or not response_in_effect(risk):
        return inherent_impacts(risk)
    scale = res.impact / risk.impact
    return (
        _three(res.schedule_impact) if res.schedule_impact else _three(risk.schedule_impact, scale),
        _three(res.cost_impact) if res.cost_impact else _three(risk.cost_impact, scale),
    )


def planned_probability(risk: Risk) -> float:
    """The probability the plan as planned draws the risk with."""
    res = risk.residual
    return res.probability if res is not None and response_in_effect(risk) else risk.probability


def mean(three: Three | None, distribution: str) -> float:
    """Mean of a three-point estimate: beta-PERT (low + 4 likely + high) / 6, or triangular."""
    if three is None:
        return 0.0
    low, likely, high = three
    return (low + 4 * likely + high) / 6 if distribution == "pert" else (low + likely + high) / 3
