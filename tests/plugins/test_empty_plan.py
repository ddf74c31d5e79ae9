"""An empty plan: `check` says what is missing (tasks, goals, team, budget), one warning each
with its SMART letter and what to add; `analyze` says so in a line instead of printing empty
tables; every command runs on it. And a raise whose use of funds does not add up to the ask."""

from __future__ import annotations

import json
import re

import pytest
from ventureplan.planner.pipeline import check as check_file

# The least a valid plan holds: a format, a name, a start, and the chosen technical route.
EMPTY = """\
schema: ventureplan/1
name: Empty
language: {lang}
start: 2027-01-04
routes:
  - {{id: r, chosen: true, model: builtin:minilm-l6, dataset: {{source: builtin:bbc-news}}}}
"""
NOTHING_YET = {
    "plan-no-tasks": ("T", "tasks", "add tasks:"),
    "plan-no-goals": ("S", "goals", "add goals:"),
    "plan-no-team": ("A", "team", "add team:"),
    "plan-no-budget": ("A", "budget", "add budget:"),
}
CJK = re.compile("[\u4e00-\u9fff]")


@pytest.fixture
def empty(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(EMPTY.format(lang="en"), "utf-8")
    return path


def _found(path, code_prefix=("plan-", "funding-")):
    result = check_file(path, iterations=200)
    assert result.valid
    return [f for f in result.findings if f.code.startswith(code_prefix)]


def test_an_empty_plan_is_told_what_to_add(empty):
    found = _found(empty)
    assert [(f.code, f.letter, f.where, f.severity) for f in found] == [
        (code, letter, where, "warning") for code, (letter, where, _) in NOTHING_YET.items()
    ]
    for f in found:
        assert f.hint is not None and f.hint.startswith(NOTHING_YET[f.code][2]), f
    assert found[0].message == "the plan has no tasks yet, so nothing can be scheduled or simulated"
    assert "no cash, costs or revenue" in found[3].message


def test_in_chinese_too(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(EMPTY.format(lang="zh"), "utf-8")
    found = _found(path)
    assert [f.code for f in found] == list(NOTHING_YET)
    for f in found:
        assert CJK.search(f.message) and CJK.search(f.hint or ""), f
    assert found[0].message == "计划还没有任务，无法排期，也无法模拟"


def test_each_part_silences_its_warning(empty):
    text = empty.read_text()
    empty.write_text(
        text
        + "team: [{id: ml, title: ML, headcount: 1, monthly_cost: 9000}]\n"
        + "budget: {revenue: [{id: pilot, amount: 100, from_month: 3}]}\n"
    )
    assert [f.code for f in _found(empty)] == ["plan-no-tasks", "plan-no-goals"]


FUNDING = """\
currency: EUR
funding:
  ask: 500000
  round: seed
  use_of_funds:
    - {category: team, amount: 300000}
    - {category: compute, amount: 150000.5}
"""


def test_use_of_funds_that_does_not_add_up_to_the_ask(empty):
    empty.write_text(empty.read_text() + FUNDING)
    (f,) = _found(empty, ("funding-",))
    assert (f.code, f.severity, f.where, f.line) == (
        "funding-use-mismatch",
        "warning",
        "funding.use_of_funds",
        12,  # the list's first line
    )
    assert f.message == (
        "the use of funds adds up to 450,000.50 EUR, but the ask is 500,000 EUR "
        "(49,999.50 EUR apart)"
    )
    assert f.hint == "make the 2 use_of_funds amounts add up to the ask, or change the ask"


def test_use_of_funds_that_adds_up_is_fine(empty):
    empty.write_text(empty.read_text() + FUNDING.replace("150000.5", "200000"))
    assert _found(empty, ("funding-",)) == []
    empty.write_text(empty.read_text().split("funding:")[0] + "funding: {ask: 100000}\n")
    assert _found(empty, ("funding-",)) == []  # no use of funds given: nothing to add up


def test_analyze_says_nothing_yet_instead_of_empty_tables(empty, cli):
    code, out, err = cli("analyze", empty, "-n", "200")
    assert code == 0, err
    assert "┏" not in out  # no table with no rows
    lines = out.splitlines()
    said = " ".join(out.split())
    assert "No tasks yet, so nothing to schedule" in said
    assert "Monte Carlo: nothing to simulate yet (no tasks and no risks)." in lines
    assert "No risks in the register yet." in lines
    assert "Budget: none yet (no team, cash, costs or revenue)" in said
    assert "critical path" not in said
    assert not [ln for ln in lines if ln.rstrip().endswith(":")]  # nothing left hanging


def test_analyze_json_keeps_its_keys(empty, cli, tmp_path):
    from tests.conftest import GOOD

    code, out, err = cli("analyze", empty, "--json", "-n", "200")
    assert code == 0, err
    doc = json.loads(out)
    code, full, err = cli("analyze", GOOD / "small.yaml", "--json", "-n", "200")
    assert set(doc) == set(json.loads(full))
    assert doc["schedule"]["tasks"] == [] and doc["schedule"]["critical_path"] == []
    assert doc["risks"] == [] and doc["simulation"]["finish"]["p80"] == 0


@pytest.mark.parametrize(
    "args",
    [
        ("check",),
        ("roadmap", "-n", "200"),
        ("roadmap", "--diagram", "all", "-n", "200"),
    ],
)
def test_every_command_runs_on_an_empty_plan(empty, cli, args):
    code, out, err = cli(args[0], empty, *args[1:])
    assert code == 0, err
    assert "Traceback" not in out + err


@pytest.mark.parametrize("suffix", ["md", "html", "json"])
def test_reports_of_an_empty_plan(empty, cli, suffix):
    out_file = empty.with_suffix(f".{suffix}")
    code, out, err = cli("report", empty, "-o", out_file, "-n", "200")
    assert code == 0, err
    assert out_file.stat().st_size > 0
    if suffix == "json":
        json.loads(out_file.read_text("utf-8"))
