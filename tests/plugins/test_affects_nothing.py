"""risk-affects-nothing: a risk that the Monte Carlo simulation draws nothing from (no task
to delay with a schedule impact, no cost impact) is a warning at the risk, in the plan's
language; a risk that moves the finish or the cost is not."""

from __future__ import annotations

import itertools

import pytest
from ventureplan.planner.network import build_network
from ventureplan.planner.pipeline import check
from ventureplan.plugins.montecarlo import Simulation, affects_nothing

from tests.planfactory import make_plan, task

MESSAGE = "risk r-legal affects nothing; the simulation ignores it"
HINT = (
    "list the tasks it delays under `affects:` with a `schedule_impact`, or give it a `cost_impact`"
)
MESSAGE_ZH = "风险 r-legal 不影响任何任务或成本，模拟会忽略它"
DELAY = {"low": 1, "likely": 2, "high": 5}
COST = {"low": 1000, "likely": 2000, "high": 5000}

PLAN = """\
schema: ventureplan/1
name: Affects nothing
language: {lang}
start: 2027-01-04
team:
  - {{id: eng, title: Engineer, headcount: 1, monthly_cost: 10000}}
routes:
  - id: r
    chosen: true
    model: builtin:minilm-l6
    dataset: {{source: builtin:bbc-news}}
tasks:
  - id: build
    owner: eng
    estimate: {{optimistic: 2, likely: 3, pessimistic: 5}}
    depends_on: []
risks:
  - id: r-slip
    title: Build slips
    category: technical
    probability: 0.3
    impact: 2
    affects: [build]
    schedule_impact: {{low: 1, likely: 2, high: 4}}
    response: accept
    owner: eng
  - id: r-legal
    title: A regulator asks questions
    category: legal
    probability: 0.2
    impact: 3
{risk}    response: accept
    owner: eng
budget:
  cash: 1000000
"""


def _found(tmp_path, risk: str = "", lang: str = "en"):
    path = tmp_path / "plan.yaml"
    path.write_text(PLAN.format(lang=lang, risk=risk), "utf-8")
    outcome = check(path, iterations=200)
    assert outcome.valid, outcome.findings
    return [f for f in outcome.findings if f.code == "risk-affects-nothing"]


@pytest.mark.parametrize(
    "risk",
    [
        "",  # no affects, no impact
        "    affects: []\n",
        "    affects: [build]\n",  # a task, but nothing to add to it
        "    schedule_impact: {low: 1, likely: 2, high: 4}\n",  # a delay, but of no task
        "    affects: [build]\n    schedule_impact: {low: 0, likely: 0, high: 0}\n",  # adds 0
        "    cost_impact: {low: 0, likely: 0, high: 0}\n",
    ],
)
def test_a_risk_the_simulation_ignores_is_a_warning_at_the_risk(tmp_path, risk):
    (f,) = _found(tmp_path, risk)
    assert (f.code, f.severity, f.letter, f.plugin) == (
        "risk-affects-nothing",
        "warning",
        "M",
        "montecarlo",
    )
    assert f.message == MESSAGE
    assert f.hint == HINT
    assert f.where == "risks[1]"
    text = (tmp_path / "plan.yaml").read_text().splitlines()
    assert text[f.line - 1] == "  - id: r-legal"  # located at the risk, as the other lints


@pytest.mark.parametrize(
    "risk",
    [
        "    affects: [build]\n    schedule_impact: {low: 1, likely: 2, high: 4}\n",
        "    cost_impact: {low: 1000, likely: 2000, high: 5000}\n",
        "    affects: []\n    cost_impact: {low: 1000, likely: 2000, high: 5000}\n",
        "    affects: [build]\n    cost_impact: {low: 1000, likely: 2000, high: 5000}\n",
    ],
)
def test_a_risk_that_delays_a_task_or_costs_money_is_not(tmp_path, risk):
    assert _found(tmp_path, risk) == []


def test_the_warning_speaks_chinese_in_a_chinese_plan(tmp_path):
    (f,) = _found(tmp_path, lang="zh")
    assert f.message == MESSAGE_ZH
    assert f.hint == (
        "在 `affects:` 下列出它会拖延的任务并给出 `schedule_impact`，或者给它一个 `cost_impact`"
    )


def _risk(affects, schedule, cost, response="accept", residual=None):
    risk = {
        "id": "r",
        "title": "A risk",
        "category": "technical",
        "probability": 0.5,
        "impact": 4,
        "affects": affects,
        "response": response,
    }
    if schedule:
        risk["schedule_impact"] = DELAY
    if cost:
        risk["cost_impact"] = COST
    if residual is not None:
        risk["residual"] = {"probability": 0.1, "impact": 2, **residual}
    return risk


RESIDUALS = [None, {}, {"schedule_impact": DELAY}, {"cost_impact": COST}]


@pytest.mark.parametrize(
    ("affects", "schedule", "cost", "response", "residual"),
    list(
        itertools.product(
            [[], ["a"]], [False, True], [False, True], ["accept", "mitigate"], RESIDUALS
        )
    ),
)
def test_the_rule_is_the_simulations_own(affects, schedule, cost, response, residual):
    """The lint's rule matches what `Simulation` draws: no schedule impact on a task and no
    cost impact, as planned (the residual in effect) and without the response."""
    plan = make_plan([task("a", 1, 2, 3)], [_risk(affects, schedule, cost, response, residual)])
    sim = Simulation(plan, build_network(plan), {})
    draws = sim.has_sched[0] or sim.has_cost[0]
    if sim.effective[0]:
        draws = draws or sim.has_sched2[0] or sim.has_cost2[0]
    assert affects_nothing(plan.risks[0]) is not draws


def test_a_residual_delay_counts_when_the_response_is_in_effect():
    risk = _risk(["a"], False, False, "mitigate", {"schedule_impact": DELAY})
    plan = make_plan([task("a", 1, 2, 3)], [risk])
    assert not affects_nothing(plan.risks[0])
    # accept leaves the risk as it is: the residual is not drawn, so nothing is
    plan = make_plan([task("a", 1, 2, 3)], [{**risk, "response": "accept"}])
    assert affects_nothing(plan.risks[0])
