"""`check` and `analyze` on generated damage to a plan that uses every field of the plan in
motion: roles over time, effort, levelling, the raise's month and probability, grants and
loans, a status date with actuals and remaining time, and a baseline. Whatever the edit:
findings located on one line each or a valid analysis, never a traceback, exit 0 or 1."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from typer.testing import CliRunner
from ventureplan.planner import pipeline
from ventureplan.planner.cli.main import app

from tests.planner import test_check_generated as generated

MOTION = """\
schema: ventureplan/1
name: Motion venture
start: 2027-01-04
schedule: leveled
status_date: 2027-01-18
team:
  - {id: founder, title: Founder, headcount: 1, monthly_cost: 8000}
  - {id: ml, title: ML engineer, headcount: 2, monthly_cost: 10000, from_month: 1, until_month: 12}
  - {id: sales, title: Sales, headcount: 1, monthly_cost: 6000, from_month: 3}
routes:
  - {id: minilm, chosen: true, model: "builtin:minilm-l6", dataset: {source: tickets.csv}}
tasks:
  - {id: data, owner: ml, effort: 2, estimate: {optimistic: 5, likely: 8, pessimistic: 15},
     actual_start: 2027-01-04, actual_finish: 2027-01-12}
  - {id: train, owner: ml, depends_on: [data], estimate: {optimistic: 3, likely: 5, pessimistic: 12},
     actual_start: 2027-01-13, remaining: {optimistic: 1, likely: 2, pessimistic: 6}}
  - {id: eval, owner: ml, effort: 0.5, depends_on: [data], estimate: {optimistic: 2, likely: 3, pessimistic: 5}}
  - {id: sell, owner: sales, estimate: {optimistic: 10, likely: 15, pessimistic: 30}}
  - {id: launch, milestone: true, depends_on: [train, eval]}
budget:
  cash: 60000
  inflows:
    - {id: grant, kind: grant, amount: 20000, month: 2}
    - {id: loan, kind: loan, amount: 30000, month: 1, repay: 3000, repay_months: 10}
funding: {ask: 500000, month: 4, probability: 0.5}
baseline:
  taken: 2027-01-01
  finish: 2027-03-01
  tasks:
    - {id: data, start: 2027-01-04, finish: 2027-01-13}
    - {id: train, start: 2027-01-14, finish: 2027-01-20}
    - {id: launch, start: 2027-01-21, finish: 2027-01-21}
"""
LINES = MOTION.split("\n")


def test_the_motion_plan_is_valid_and_analyzes(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(MOTION, "utf-8")
    outcome = pipeline.check(path, iterations=200)
    assert outcome.valid, [f.format() for f in outcome.errors()]
    a = outcome.analysis
    assert a is not None and a.progress is not None and a.progress.spi_t is not None


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=generated.edits)
def test_check_and_analyze_answer_any_damaged_motion_plan(tmp_path, ops):
    lines = generated.LINES
    try:
        generated.LINES = LINES  # damage this plan, with the same edits
        text = generated.damaged(ops)
    finally:
        generated.LINES = lines
    path = tmp_path / "plan.yaml"
    path.write_text(text, "utf-8")
    outcome = pipeline.check(path, iterations=100)
    for f in outcome.errors():
        line = f.format()
        assert line.startswith(f"{path}:{f.line or 1}:{f.column or 1}: error: ")
        assert "\n" not in line
    for command in (["check", str(path)], ["analyze", str(path), "-n", "100", "--json"]):
        result = CliRunner().invoke(app, command)
        assert result.exit_code == (0 if outcome.valid else 1), (command, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit)
