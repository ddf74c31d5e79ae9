"""Money that arrives: the raise in the cash model (funding.month, funding.probability)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math

import numpy as np
import pytest
from ventureplan.planner.analysis import analyze, to_dict
from ventureplan.planner.budget import BudgetModel
from ventureplan.planner.network import build_network
from ventureplan.plugins.montecarlo import Simulation

from tests.conftest import with_data
from tests.planfactory import make_plan, task

TEAM = [
    {"id": "eng", "title": "E", "headcount": 1, "monthly_cost": 10000},
    {
        "id": "sales",
        "title": "S",
        "headcount": 1,
        "monthly_cost": 5000,
        "from_month": 3,
        "until_month": 4,
    },
]


def plan_with(funding=None, tasks=None, cash=30000):
    fields = {"team": TEAM, "budget": {"cash": cash}}
    if funding is not None:
        fields["funding"] = funding
    return make_plan(tasks or [task("a", 100, 100, 100)], **fields)


def simulate(plan, iterations=20_000, seed=3):
    return Simulation(plan, build_network(plan), {}).run(iterations, seed)


def test_the_raise_lands_at_the_start_of_its_month_and_is_not_revenue():
    # team 10,000, 10,000, 15,000, 15,000, then 10,000; 30,000 cash
    # without the raise: 20,000, 10,000, then month 3 burns 15,000 > 10,000
    # with 55,000 at the start of month 3: 65,000 -> 50,000, 35,000, 25,000, 15,000, 5,000
    model = BudgetModel(plan_with({"ask": 55000, "month": 3, "probability": 0.6}))
    r = model.result(8)
    assert [m.cash for m in r.months] == [20000, 10000, 50000, 35000, 25000, 15000, 5000, -5000]
    assert r.runway_months == pytest.approx(7.5)
    assert r.runway_months_without_raise == pytest.approx(2 + 10000 / 15000)
    assert r.cash_out_date_without_raise == dt.date(2027, 1, 4) + dt.timedelta(
        days=math.floor((2 + 10000 / 15000) * 365.2425 / 12)
    )
    assert r.raise_probability == 0.6
    assert r.break_even_month is None  # 55,000 in month 3 would cover it, were it revenue
    out = model.cash_out_time(np.array([0.0, 0.0, 0.0]), np.array([True, False, True]))
    assert out.tolist() == pytest.approx([7.5, 2 + 10000 / 15000, 7.5])
    assert model.cash_out_time(0.0).tolist() == pytest.approx([7.5])  # the main curve


def test_without_a_month_the_raise_is_not_counted():
    funded = BudgetModel(plan_with({"ask": 55000})).result(8)
    plain = BudgetModel(plan_with()).result(8)
    assert funded == plain
    assert funded.raise_probability is None
    assert funded.runway_months_without_raise == funded.runway_months


@pytest.mark.parametrize(("p", "mixed"), [(1.0, 0.0), (0.0, 1.0)])
def test_a_sure_raise_and_no_raise(p, mixed):
    # the finish is fixed at 100 workdays (about 4.6 months): after the runway without the
    # raise (2.7 months), before the runway with it (7.5 months)
    sim = simulate(plan_with({"ask": 55000, "month": 3, "probability": p}))
    assert sim.p_cash_out == mixed
    assert (sim.p_cash_out_with_raise, sim.p_cash_out_without_raise) == (0.0, 1.0)
    assert sim.inherent is not None and sim.inherent.p_cash_out == mixed


def test_a_coin_flip_raise_mixes_exactly_the_iterations_it_closes_in():
    n, seed = 20_000, 3
    sim = simulate(plan_with({"ask": 55000, "month": 3, "probability": 0.5}), n, seed)
    raised = np.random.Generator(np.random.SFC64(np.random.SeedSequence([seed, 1]))).random(n)
    assert sim.p_cash_out == float(np.mean(raised >= 0.5))  # cash runs out where it did not
    assert abs(sim.p_cash_out - 0.5) < 4 * math.sqrt(0.25 / n)
    assert (sim.p_cash_out_with_raise, sim.p_cash_out_without_raise) == (0.0, 1.0)


def test_an_uncertain_finish_mixes_within_sampling_error():
    n = 20_000
    # the finish spreads over 40..140 workdays (1.8..6.4 months) across both runways
    tasks = [task("a", 40, 60, 140)]
    sim = simulate(plan_with({"ask": 15000, "month": 3, "probability": 0.3}, tasks), n)
    w, wo = sim.p_cash_out_with_raise, sim.p_cash_out_without_raise
    assert w is not None and wo is not None and 0 < w < wo < 1
    assert w <= sim.p_cash_out <= wo
    # mixed - (p w + (1 - p) wo) is the mean of (closed - p)(out_with - out_without)
    assert abs(sim.p_cash_out - (0.3 * w + 0.7 * wo)) < 4 * math.sqrt(0.3 * 0.7 / n)


def test_plans_without_a_funding_month_stay_bit_identical():
    tasks = [task("a", 40, 60, 140), task("b", 5, 10, 30, ["a"])]
    risks = [
        {
            "id": "r1",
            "title": "R",
            "category": "technical",
            "probability": 0.4,
            "impact": 3,
            "affects": ["b"],
            "schedule_impact": {"low": 1, "likely": 5, "high": 9},
            "cost_impact": {"low": 100, "likely": 2000, "high": 9000},
        }
    ]
    plain = make_plan(tasks, risks, team=TEAM, budget={"cash": 30000})
    funded = make_plan(tasks, risks, team=TEAM, budget={"cash": 30000}, funding={"ask": 9e4})
    a, b = simulate(plain, 5000), simulate(funded, 5000)
    assert a.p_cash_out == b.p_cash_out and a.p_cash_out_with_raise is None
    assert a.finish_samples.tobytes() == b.finish_samples.tobytes()
    assert a.cost == b.cost
    # a raise with a month draws from its own stream: the finish and cost draws are the same
    raising = make_plan(
        tasks, risks, team=TEAM, budget={"cash": 30000}, funding={"ask": 9e4, "month": 2}
    )
    c = simulate(raising, 5000)
    assert c.finish_samples.tobytes() == a.finish_samples.tobytes() and c.cost == a.cost


def test_analysis_and_json_carry_the_raise():
    plan = plan_with({"ask": 55000, "month": 3, "probability": 0.5})
    a = analyze(plan, iterations=4000, seed=1)
    b = a.budget
    assert (b.p_cash_out_with_raise, b.p_cash_out_without_raise) == (0.0, 1.0)
    assert b.p_cash_out == a.simulation.p_cash_out
    doc = to_dict(a)["budget"]
    assert {f.name for f in dataclasses.fields(b)} - {"months"} <= set(doc)
    assert doc["raise_probability"] == 0.5 and doc["cash_out_date_without_raise"] is not None


FUNDED = "funding:\n  ask: 300000\n  round: seed\n  month: 1\n  probability: 0.6\n"


def test_analyze_says_the_chance_with_and_without_the_raise(cli, small_plan):
    with_data(small_plan)
    small_plan.write_text(small_plan.read_text().replace("cash: 200000", "cash: 10000") + FUNDED)
    code, out, err = cli("analyze", small_plan, "--iterations", "2000", "--seed", "0")
    assert code == 0, err
    text = " ".join(out.replace("\u00a0", " ").split())
    assert (
        "runway 16.8 months (cash out around 2028-05-28) if the seed round (300,000 USD in "
        "month 1) closes, runway 0.5 months (cash out around 2027-01-20) if it does not; "
        "break-even not reached; chance of running out of cash before the finish: "
    ) in text
    assert "(0% if the seed round closes in month 1, " in text
    assert "if it does not; 60% chance it closes)" in text
    code, out, err = cli("analyze", small_plan, "--json", "--iterations", "2000", "--seed", "0")
    b = json.loads(out)["budget"]
    assert b["raise_probability"] == 0.6 and b["p_cash_out_with_raise"] == 0.0
    assert b["p_cash_out_with_raise"] <= b["p_cash_out"] <= b["p_cash_out_without_raise"]
    assert b["runway_months_without_raise"] == pytest.approx(10000 / 18500)


@pytest.mark.parametrize(
    ("lang", "runway", "chance"),
    [
        ("en", "without the raise: 0.5 months (2027-01-20)", "% if the raise closes in month 1, "),
        ("zh", "若融资未到位：0.5 个月 (2027-01-20)", "融资在第 1 个月到位时为 0%"),
    ],
)
def test_the_report_says_it_too(cli, small_plan, lang, runway, chance):
    with_data(small_plan)
    small_plan.write_text(small_plan.read_text().replace("cash: 200000", "cash: 10000") + FUNDED)
    for suffix in ("md", "html"):
        target = small_plan.parent / f"report.{suffix}"
        code, _, err = cli(
            "report", small_plan, "--lang", lang, "--iterations", "1000", "-o", target
        )
        assert code == 0, err
        text = target.read_text("utf-8")
        assert runway in text and chance in text


def test_a_plan_that_holds_only_if_an_uncertain_raise_closes_is_warned():
    # runway 7.5 months with the raise, 2.7 without; the 100-workday task ends in month 5
    a = analyze(plan_with({"ask": 55000, "month": 3, "probability": 0.6}), iterations=200)
    codes = {f.code: f for f in a.findings}
    assert "cash-out-before-p80" not in codes
    f = codes["cash-out-without-raise"]
    assert f.message.startswith("unless the raise closes (60% chance), the cash runs out around ")
    assert "(month 2.7), before the P80 finish" in f.message and f.path == ("funding", "month")
    sure = analyze(plan_with({"ask": 55000, "month": 3, "probability": 1}), iterations=200)
    assert "cash-out-without-raise" not in {f.code for f in sure.findings}
