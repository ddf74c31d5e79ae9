"""Each SMART lint: its code, letter, location and message, on the small plan."""

from __future__ import annotations

import pytest
from ventureplan.planner.pipeline import check as check_file

from tests.conftest import with_data


@pytest.fixture(autouse=True)
def _data_file(small_plan):
    """The plan's data file exists, so the findings are the SMART lints alone."""
    with_data(small_plan)


def _check(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    result = check_file(path)
    assert result.valid
    # (the small plan's risk names no impact: risk-affects-nothing, test_affects_nothing.py)
    return [
        (f.code, f.letter, f.where, f.line, f.message)
        for f in result.findings
        if f.code != "risk-affects-nothing"
    ]


GOAL = "  - id: g-quality\n"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "    statement: Tag tickets into 5 topics at macro-F1 of at least 0.85 on held-out data\n",
            "    statement: Good model\n",
            (
                "goal-vague",
                "S",
                "goals[0].statement",
                20,
                "goal 'g-quality' is too short to be specific",
            ),
        ),
        (
            "    metric: macro_f1\n",
            "",
            ("goal-no-metric", "M", "goals[0]", 19, "goal 'g-quality' has no metric"),
        ),
        (
            "    target: 0.85\n    deadline",
            "    deadline",
            ("goal-no-metric", "M", "goals[0]", 19, "goal 'g-quality' has no target"),
        ),
        (
            "    measures: [g-quality]\n",
            "",
            (
                "goal-unmeasured",
                "M",
                "goals[0]",
                19,
                "no route measures goal 'g-quality' (macro_f1)",
            ),
        ),
        (
            "    owner: ml\n    relevant_to",
            "    relevant_to",
            ("goal-no-owner", "A", "goals[0]", 19, "goal 'g-quality' has no owner"),
        ),
        (
            "    relevant_to: Customers retire manual triage at 0.85\n",
            "",
            (
                "goal-no-relevance",
                "R",
                "goals[0]",
                19,
                "goal 'g-quality' does not say why it matters",
            ),
        ),
        (
            "    deadline: 2027-03-31\n",
            "",
            ("goal-no-deadline", "T", "goals[0]", 19, "goal 'g-quality' has no deadline"),
        ),
        (
            "    response: mitigate\n    owner: ml\n",
            "    response: mitigate\n",
            ("risk-no-owner", "A", "risks[0]", 52, "risk 'r-quality' has no owner"),
        ),
        (
            "    response: mitigate\n",
            "",
            ("risk-no-response", "A", "risks[0]", 52, "risk 'r-quality' has no response"),
        ),
        (
            "    probability: 0.3\n    impact: 4\n    affects: [train]\n    response: mitigate\n"
            "    owner: ml\n    trigger: Validation macro-F1 below 0.8\n",
            "    probability: 0.6\n    impact: 4\n    affects: [train]\n    response: accept\n    owner: ml\n",
            (
                "risk-accepted-blind",
                "A",
                "risks[0]",
                52,
                "high risk 'r-quality' is accepted with no trigger to watch",
            ),
        ),
    ],
)
def test_each_lint(small_plan, old, new, expected):
    assert _check(small_plan, old, new) == [expected]


def test_chinese_statement_is_judged_by_characters(small_plan):
    findings = _check(
        small_plan,
        "Tag tickets into 5 topics at macro-F1 of at least 0.85 on held-out data",
        "在测试集上宏平均F1达到0.85",
    )
    assert findings == []
    assert _check(small_plan, "在测试集上宏平均F1达到0.85", "好模型")[0][0] == "goal-vague"


def test_accepting_a_medium_risk_needs_no_trigger(small_plan):
    # probability 0.2 is bucket 2; 2 x 4 = 8 is medium, so accepting it blind is allowed
    findings = _check(
        small_plan,
        "    probability: 0.3\n    impact: 4\n    affects: [train]\n    response: mitigate\n"
        "    owner: ml\n    trigger: Validation macro-F1 below 0.8\n",
        "    probability: 0.2\n    impact: 4\n    affects: [train]\n    response: accept\n    owner: ml\n",
    )
    assert findings == []


def test_business_goal_metric_needs_no_route(small_plan):
    # No route measures it (one that did would be an error: no run measures paying customers).
    _check(small_plan, "    measures: [g-quality]\n", "")
    findings = _check(
        small_plan,
        "    metric: macro_f1\n    target: 0.85\n",
        "    metric: paying_customers\n    target: 10\n",
    )
    assert findings == []


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "  cash: 200000\n  items:\n    - {id: gpu, category: compute, amount: 500, per: month}\n",
            "  cash: 0\n",
            (
                "plan-no-budget",
                "A",
                "budget",
                63,
                "the plan has no budget (no cash, costs or revenue), so there is no runway to check",
            ),
        ),
        (
            "measured: []\n",
            "funding:\n  ask: 250000\n  use_of_funds:\n    - {category: team, amount: 200000}\n"
            "    - {category: compute, amount: 60000}\nmeasured: []\n",
            (
                "funding-use-mismatch",
                None,
                "funding.use_of_funds",
                69,
                "the use of funds adds up to 260,000 USD, but the ask is 250,000 USD "
                "(10,000 USD apart)",
            ),
        ),
    ],
)
def test_each_lint_of_what_the_plan_lacks(small_plan, old, new, expected):
    """The small plan without its budget, or with a raise that does not add up. (An empty
    team makes the owners unknown, an error: tests/plugins/test_empty_plan.py has it.) With
    no budget at all, the cash-out lint stays quiet: plan-no-budget says it."""
    assert _check(small_plan, old, new) == [expected]
