from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from ventureplan.planner.budget import BudgetModel, month_start

from tests.planfactory import make_plan, task

TEAM = [{"id": "eng", "title": "E", "headcount": 2, "monthly_cost": 10000}]


def plan_with(budget, team=TEAM):
    return make_plan([task("a", 1, 2, 3)], team=team, budget=budget)


def test_runway_by_hand():
    # month 1: 100,000 - 20,500 = 79,500; month 2: 79,500 - 6,000 one-off = 73,500 at its start,
    # 53,000 at its end; month 3: 32,500; month 4: 12,000; month 5 burns 20,500 > 12,000
    model = BudgetModel(
        plan_with(
            {
                "cash": 100000,
                "items": [
                    {"id": "gpu", "category": "compute", "amount": 500},
                    {"id": "legal", "category": "legal", "amount": 6000, "per": "once", "month": 2},
                ],
            }
        )
    )
    r = model.result(6)
    assert r.monthly_burn == 20500 and r.team_monthly == 20000
    assert [m.cash for m in r.months] == [79500, 53000, 32500, 12000, -8500, -29000]
    assert r.runway_months == pytest.approx(4 + 12000 / 20500)
    assert r.cash_out_date == dt.date(2027, 1, 4) + dt.timedelta(
        days=int((4 + 12000 / 20500) * 365.2425 / 12)
    )
    assert r.break_even_month is None
    assert model.spend(np.array([0.0, 0.5, 1.0, 1.5])).tolist() == [
        0,
        10250,
        20500 + 6000,
        20500 + 6000 + 10250,
    ]


def test_one_off_that_empties_the_bank_runs_out_at_month_start():
    model = BudgetModel(
        plan_with(
            {
                "cash": 30000,
                "items": [
                    {"id": "big", "category": "legal", "amount": 15000, "per": "once", "month": 2}
                ],
            }
        )
    )
    # month 1 ends at 10,000; the 15,000 one-off at the start of month 2 takes it below zero
    assert model.cash_out_time(0.0)[0] == pytest.approx(1.0)
    assert model.cash_out_time(np.array([0.0, 5000.0, 15000.0, 40000.0])).tolist() == pytest.approx(
        [1.0, 1.0, 0.75, 0.0]
    )


def test_revenue_growth_and_break_even():
    model = BudgetModel(
        plan_with(
            {
                "cash": 500000,
                "revenue": [{"id": "sales", "amount": 5000, "from_month": 3, "growth": 0.5}],
            }
        )
    )
    r = model.result(12)
    income = [m.revenue for m in r.months]
    assert income[:6] == [0, 0, 5000, 7500, 11250, 16875]
    # 5000 * 1.5^k >= 20000 first at k = 4 (25,312.5), i.e. month 7
    assert r.break_even_month == 7
    assert r.runway_months is None
    assert r.lowest_cash == min(min(model.cash_start), min(model.cash_end))


def test_items_with_a_window_and_categories():
    model = BudgetModel(
        plan_with(
            {
                "cash": 0,
                "items": [
                    {
                        "id": "ads",
                        "category": "marketing",
                        "amount": 1000,
                        "from_month": 2,
                        "until_month": 3,
                    },
                    {"id": "fee", "category": "legal", "amount": 700, "per": "once", "month": 1},
                ],
            },
            team=[],
        )
    )
    assert model.spend_by_category(2.5) == {"marketing": 1000 * 1.5, "legal": 700}
    assert model.spend_by_category(10) == {"marketing": 2000, "legal": 700}


def test_no_budget_at_all():
    r = BudgetModel(plan_with({}, team=[])).result(3)
    assert (r.monthly_burn, r.runway_months, r.break_even_month) == (0, None, None)


def test_month_start_clamps_to_month_end():
    assert month_start(dt.date(2027, 1, 31), 2) == dt.date(2027, 2, 28)
    assert month_start(dt.date(2027, 11, 15), 3) == dt.date(2028, 1, 15)
    assert month_start(dt.date(2028, 1, 31), 2) == dt.date(2028, 2, 29)


def test_team_months_reach_the_curve_and_the_spending():
    # eng 2 × 10,000 from month 1; sales 1 × 5,000 in months 3..4; ops 3,000 from month 5
    team = [
        *TEAM,
        {
            "id": "sales",
            "title": "S",
            "headcount": 1,
            "monthly_cost": 5000,
            "from_month": 3,
            "until_month": 4,
        },
        {"id": "ops", "title": "O", "monthly_cost": 3000, "from_month": 5},
    ]
    model = BudgetModel(plan_with({"cash": 200000}, team=team))
    r = model.result(6)
    assert [m.team for m in r.months] == [20000, 20000, 25000, 25000, 23000, 23000]
    assert [m.cash for m in r.months] == [180000, 160000, 135000, 110000, 87000, 64000]
    assert r.team_monthly == 20000 and r.monthly_burn == 20000
    assert r.runway_months == pytest.approx(8 + 18000 / 23000)
    assert model.spend(np.array([2.5, 4.5])).tolist() == [52500, 101500]
    assert model.spend_by_category(4.5) == {"team": 101500}
    assert model.spend_by_category(0.5) == {"team": 10000}
