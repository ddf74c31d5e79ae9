from __future__ import annotations

import pytest
from ventureplan.planner.analysis import analyze
from ventureplan.planner.riskscore import level, probability_bucket

from tests.planfactory import make_plan, task


@pytest.mark.parametrize(
    ("p", "bucket"),
    [(0.0, 1), (0.1, 1), (0.11, 2), (0.3, 2), (0.5, 3), (0.51, 4), (0.7, 4), (0.71, 5), (1.0, 5)],
)
def test_probability_buckets(p, bucket):
    assert probability_bucket(p) == bucket


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (1, "low"),
        (4, "low"),
        (5, "medium"),
        (9, "medium"),
        (10, "high"),
        (16, "high"),
        (20, "critical"),
        (25, "critical"),
    ],
)
def test_levels(value, name):
    assert level(value) == name


def test_register_scores_emv_residual_and_order():
    risks = [
        {"id": "small", "title": "S", "category": "market", "probability": 0.05, "impact": 2},
        {
            "id": "big",
            "title": "B",
            "category": "legal",
            "probability": 0.6,
            "impact": 5,
            "cost_impact": {"low": 10000, "likely": 20000, "high": 60000},
            "residual": {"probability": 0.2, "impact": 3},
            "response": "mitigate",
        },
        {"id": "mid", "title": "M", "category": "technical", "probability": 0.4, "impact": 3},
    ]
    a = analyze(make_plan([task("a", 1, 2, 3)], risks), iterations=100)
    assert [r.id for r in a.risks] == ["big", "mid", "small"]
    big = a.risks[0]
    assert (big.score, big.level) == (20, "critical")
    assert big.emv == pytest.approx(0.6 * (10000 + 4 * 20000 + 60000) / 6)
    assert (big.residual_score, big.residual_level) == (6, "medium")
    # after the response the cost impact is scaled by residual impact / impact, as simulated
    assert big.residual_emv == pytest.approx(0.2 * 25000 * 3 / 5)
    assert (a.risks[1].score, a.risks[2].score) == (9, 2)


def test_triangular_plan_uses_the_triangular_mean():
    risks = [
        {
            "id": "x",
            "title": "X",
            "category": "legal",
            "probability": 0.5,
            "impact": 1,
            "cost_impact": {"low": 0, "likely": 30, "high": 90},
        }
    ]
    a = analyze(make_plan([task("a", 1, 2, 3)], risks, distribution="triangular"), iterations=100)
    assert a.risks[0].emv == pytest.approx(0.5 * 40)


def test_a_third_party_scorer_replaces_the_default():
    from ventureplan.planner import hookimpl
    from ventureplan.planner.plugin_manager import Manager
    from ventureplan.planner.results import RiskScore

    class Flat:
        @hookimpl
        def score_risk(self, risk, plan):
            return RiskScore(
                risk.id,
                risk.title,
                risk.category,
                risk.probability,
                risk.impact,
                7,
                "medium",
                0.0,
                risk.probability,
                risk.impact,
                7,
                "medium",
                0.0,
                0.0,
            )

    pm = Manager()
    pm.load_entry_points()
    pm.register(Flat(), name="flat")
    plan = make_plan(
        [task("a", 1, 2, 3)],
        [{"id": "x", "title": "X", "category": "legal", "probability": 0.9, "impact": 5}],
    )
    assert analyze(plan, iterations=100, pm=pm).risks[0].score == 7
