"""Grants and loans (`budget.inflows`): cash that is neither revenue nor the raise."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError
from ventureplan.planner.analysis import analyze, to_dict
from ventureplan.planner.budget import BudgetModel
from ventureplan.planner.crosscheck import cross_check

from tests.planfactory import make_plan, task

TEAM = [{"id": "eng", "title": "E", "headcount": 1, "monthly_cost": 10000}]


def plan_with(inflows, funding=None, cash=30000, revenue=None):
    fields = {"team": TEAM, "budget": {"cash": cash, "inflows": inflows, "revenue": revenue or []}}
    if funding:
        fields["funding"] = funding
    return make_plan([task("a", 100, 100, 100)], **fields)


GRANT = {"id": "eic", "kind": "grant", "amount": 25000, "month": 2}
LOAN = {"id": "bank", "kind": "loan", "amount": 40000, "month": 1, "repay": 5000,
        "repay_months": 4, "repay_from_month": 4}  # fmt: skip


def test_a_grant_and_a_loan_move_cash_by_hand():
    # 30,000 + 40,000 (loan, month 1) -> 60,000; month 2: +25,000 grant -> 75,000; months 4-7
    # repay 5,000 on top of the 10,000 team
    r = BudgetModel(plan_with([GRANT, LOAN])).result(10)
    assert [m.cash for m in r.months] == [
        60000, 75000, 65000, 50000, 35000, 20000, 5000, -5000, -15000, -25000,
    ]  # fmt: skip
    assert [m.inflows for m in r.months[:3]] == [40000, 25000, 0]
    assert [m.repayments for m in r.months] == [0, 0, 0, 5000, 5000, 5000, 5000, 0, 0, 0]
    assert r.runway_months == pytest.approx(7 + 5000 / 10000)
    assert r.break_even_month is None  # not revenue
    model = BudgetModel(plan_with([GRANT, LOAN]))
    assert model.spend_by_category(10) == {"team": 100000}  # repayments are not spending


def test_a_loan_repays_from_the_month_after_by_default():
    loan = {
        "id": "l",
        "kind": "loan",
        "amount": 10000,
        "month": 2,
        "repay": 1000,
        "repay_months": 3,
    }
    r = BudgetModel(plan_with([loan], cash=100000)).result(6)
    assert [m.repayments for m in r.months] == [0, 0, 1000, 1000, 1000, 0]


def test_inflows_count_with_and_without_the_raise():
    funding = {"ask": 50000, "month": 3, "probability": 0.5}
    r = BudgetModel(plan_with([GRANT], funding)).result(12)
    # without the raise: 30,000 + 25,000 = 55,000 at 10,000 a month -> 5.5 months
    assert r.runway_months_without_raise == pytest.approx(5.5)
    assert r.runway_months == pytest.approx(10.5)
    assert r.months[2].inflows == 50000  # the raise lands in month 3 on the main curve


@pytest.mark.parametrize(
    ("flow", "message"),
    [
        ({**GRANT, "repay": 100}, "a grant is not repaid"),
        ({**LOAN, "repay_months": 0}, "a loan is repaid: give both repay"),
        ({**LOAN, "repay_from_month": 1}, "repay_from_month (1) must come after"),
        ({**GRANT, "amount": -1}, "greater than or equal to 0"),
        ({**GRANT, "month": 0}, "greater than or equal to 1"),
        ({**GRANT, "kind": "gift"}, "'grant' or 'loan'"),
    ],
)
def test_a_bad_inflow_says_what_to_fix(flow, message):
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        plan_with([flow])


def test_inflow_ids_are_unique():
    found = cross_check(plan_with([GRANT, {**GRANT, "month": 5}]))
    assert any("eic" in f.message and f.path[:2] == ("budget", "inflows") for f in found)


def test_analyze_counts_and_names_them(cli, tmp_path):
    plan = plan_with([GRANT, LOAN])
    a = analyze(plan, iterations=100)
    assert a.budget.runway_months == pytest.approx(7.5)
    doc = json.loads(json.dumps(to_dict(a)))
    assert doc["budget"]["months"][1]["inflows"] == 25000
    path = tmp_path / "plan.json"
    path.write_text(plan.model_dump_json(by_alias=True, exclude_defaults=True), "utf-8")
    code, out, _ = cli("analyze", path, "-n", "50", "--width", "200")
    assert code == 0
    assert (
        "(counting grant eic 25,000 USD in month 2; loan bank 40,000 USD in month 1, repaid "
        "5,000 USD/month × 4 from month 4)"
    ) in " ".join(out.split())
