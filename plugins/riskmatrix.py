"""The default risk scorer: the 5×5 probability × impact matrix and expected monetary value,
before and after the response. "After" follows the simulation's rule
(`riskscore.response_in_effect`): a risk whose response is avoid, transfer or mitigate and
that has a `residual` is scored at the residual; any other risk is the same after as before."""

from __future__ import annotations

from ventureplan.planner import hookimpl
from ventureplan.planner.model import Plan, Risk
from ventureplan.planner.results import RiskScore
from ventureplan.planner.riskscore import (
    inherent_impacts,
    level,
    mean,
    planned_impacts,
    planned_probability,
    response_in_effect,
    score,
)


@hookimpl(trylast=True)
def score_risk(risk: Risk, plan: Plan) -> RiskScore:
    s = score(risk.probability, risk.impact)
    res_p = planned_probability(risk)
    res_i = risk.residual.impact if risk.residual and response_in_effect(risk) else risk.impact
    rs = score(res_p, res_i)
    return RiskScore(
        id=risk.id,
        title=risk.title,
        category=risk.category,
        probability=risk.probability,
        impact=risk.impact,
        score=s,
        level=level(s),
        emv=risk.probability * mean(inherent_impacts(risk)[1], plan.distribution),
        residual_probability=res_p,
        residual_impact=res_i,
        residual_score=rs,
        residual_level=level(rs),
        residual_emv=res_p * mean(planned_impacts(risk)[1], plan.distribution),
        exposure=risk.probability * risk.impact,
        response=risk.response,
        owner=risk.owner,
    )
