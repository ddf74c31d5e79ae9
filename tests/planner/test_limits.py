"""Numbers the schema used to accept and then overflow on: each is now a located error
naming the limit, and what passes the limits analyses to finite numbers and strict JSON."""

from __future__ import annotations

import json

import pytest

from tests.conftest import GOOD

SMALL = (GOOD / "small.yaml").read_text("utf-8")


@pytest.mark.parametrize(
    ("old", "new", "where", "message"),
    [
        (
            "likely: 8, pessimistic: 15",
            "likely: 8, pessimistic: 2100000",
            "40:55",
            "tasks[0].estimate.pessimistic: must be less than or equal to 36500, got 2100000",
        ),
        (
            "likely: 8,",
            "likely: 3.5e38,",
            "40:39",
            "tasks[0].estimate.likely: must be less than or equal to 36500, got 3.5e+38",
        ),
        (
            "start: 2027-01-04",
            "start: 9999-12-31",
            "6:8",
            "start: must be less than or equal to 2999-12-31, got '9999-12-31'",
        ),
        (
            "start: 2027-01-04",
            "start: 0001-01-01",
            "6:8",
            "start: must be greater than or equal to 1900-01-01, got '0001-01-01'",
        ),
        (
            "cash: 200000",
            "cash: 10000000000000000000",
            "63:9",
            "budget.cash: must be less than or equal to 1000000000000000, got 10000000000000000000",
        ),
    ],
)
def test_absurd_numbers_are_located_errors(cli, small_plan, old, new, where, message):
    # (and see test_limits_are_whole_numbers_not_text_or_true below)
    assert old in SMALL
    small_plan.write_text(SMALL.replace(old, new, 1))
    code, out, err = cli("check", small_plan)
    assert code == 1
    assert err.startswith(f"{small_plan}:{where}: error: {message}"), err
    assert err.count("\n") == 1


def test_a_plan_longer_than_the_calendar_is_a_located_error(cli, tmp_path):
    """A chain of 5,000 tasks of 500 days: fine one by one, 2.5 million days together."""
    lines = SMALL.split("tasks:\n", 1)[0].splitlines()
    lines = [ln for ln in lines if not ln.startswith("risks:")] + ["tasks:"]
    for i in range(5000):
        dep = f", depends_on: [t{i - 1}]" if i else ""
        lines.append(
            f"  - {{id: t{i}, estimate: {{optimistic: 400, likely: 500, pessimistic: 600}}{dep}}}"
        )
    tail = SMALL[SMALL.index("\nbudget:") :]
    path = tmp_path / "plan.yaml"
    path.write_text("\n".join(lines) + "\n" + tail)
    code, out, err = cli("check", path)
    assert code == 1
    assert err == (
        f"{path}:5036:27: error: tasks[4999].estimate: in the worst case (every task pessimistic, "
        "every risk at its high delay) the plan runs 3,000,000 workdays, past the limit of "
        "100,000; shorten the estimates or split the plan\n"
    ), err


def test_naive_and_aware_times_in_measured_sort_together(cli, small_plan):
    runs = (
        "measured:\n"
        "  - {run: a, route: minilm, at: 2027-02-10T09:15:00Z, metrics: {macro_f1: 0.8}}\n"
        "  - {run: b, route: minilm, at: 2027-02-11T09:15:00, metrics: {macro_f1: 0.9}}\n"
    )
    small_plan.write_text(SMALL.replace("measured: []\n", runs))
    code, out, err = cli("analyze", small_plan, "--json", "-n", "500")
    assert code == 0, err
    (ev,) = json.loads(out)["evidence"]
    assert ev["run"] == "b"  # the newer one, though written without a zone


def test_the_largest_allowed_numbers_analyse_to_strict_json(cli, small_plan):
    text = SMALL.replace("likely: 8, pessimistic: 15", "likely: 8, pessimistic: 36500").replace(
        "cash: 200000", "cash: 1000000000000000"
    )
    small_plan.write_text(text)
    code, out, err = cli("analyze", small_plan, "--json", "-n", "500")
    assert code == 0, err
    json.loads(out, parse_constant=lambda c: pytest.fail(f"not JSON: {c}"))


@pytest.mark.parametrize("value", ["true", "'600'", "600.5"])
def test_limits_are_whole_numbers_not_text_or_true(cli, small_plan, value):
    """`max_train_samples: true` used to become 1, and '600' 600, before the runner saw it."""
    old = "    measures: [g-quality]\n  - id: tfidf"
    assert old in SMALL
    small_plan.write_text(
        SMALL.replace(old, f"    limits: {{max_train_samples: {value}}}\n" + old, 1)
    )
    code, _, err = cli("check", small_plan)
    assert code == 1 and err.startswith(f"{small_plan}:32:33: error: "), err
    assert "routes[0].limits.max_train_samples: must be a valid integer" in err
