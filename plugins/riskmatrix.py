"""The default risk scorer: the 5×5 probability × impact matrix and expected monetary value."""

from __future__ import annotations

from ventureplan.planner import hookimpl
from ventureplan.planner.model import Plan, Risk
from ventureplan.planner.results import RiskScore
from ventureplan.planner.riskscore import level, score


@hookimpl(trylast=True)
def score_risk(risk: Risk, plan: Plan) -> RiskScore:
    c = risk.cost_impact
    mean = 0.0
    if c is not None:
        mean = (
            (c.low + 4 * c.likely + c.high) / 6
            if plan.distribution == "pert"
            else (c.low + c.likely + c.high) / 3
        )
    s = score(risk.probability, risk.impact)
    res_p = risk.residual.probability if risk.residual else risk.probability
    res_i = risk.residual.impact if risk.residual else risk.impact
    rs = score(res_p, res_i)
    return RiskScore(
        id=risk.id,
        title=risk.title,
        category=risk.category,
        probability=risk.probability,
        impact=risk.impact,
        score=s,
        level=level(s),
        emv=risk.probability * mean,
        residual_probability=res_p,
        residual_impact=res_i,
        residual_score=rs,
        residual_level=level(rs),
        residual_emv=res_p * mean,
        exposure=risk.probability * risk.impact,
        response=risk.response,
        owner=risk.owner,
    )
