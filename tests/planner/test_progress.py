"""Progress: status date, actuals and remaining estimates, `ventureplan baseline`, slip and
the earned-schedule indices, checked against hand computations."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from ventureplan.planner.analysis import analyze
from ventureplan.planner.crosscheck import cross_check
from ventureplan.planner.load import load_plan
from ventureplan.planner.model import Plan
from ventureplan.planner.progress import _reach, planned_value

from tests.planfactory import make_plan

ROUTE = '  - {id: r, chosen: true, model: "builtin:minilm-l6", dataset: {source: d.csv}}\n'
# A, B and C of 10 days each in a chain, calendar days from Monday 2027-01-04. A took 12
# days (2027-01-04 to 2027-01-15), B started the day after and has 8 days to go on the
# status date 2027-01-19 (offset 15), C has not started.
PLAN = """\
schema: ventureplan/1
name: Progress test   # a comment the writer keeps
start: 2027-01-04
calendar: days
status_date: 2027-01-19
routes:
{route}tasks:
  - {{id: a, name: A, estimate: {{optimistic: 10, likely: 10, pessimistic: 10}},
     actual_start: 2027-01-04, actual_finish: 2027-01-15}}
  - {{id: b, name: B, depends_on: [a], estimate: {{optimistic: 10, likely: 10, pessimistic: 10}},
     actual_start: 2027-01-16, remaining: {{optimistic: 8, likely: 8, pessimistic: 8}}}}
  - {{id: c, name: C, depends_on: [b], estimate: {{optimistic: 10, likely: 10, pessimistic: 10}}}}
"""
BASELINE = """\
baseline:
  taken: 2027-01-01
  finish: 2027-02-02
  tasks:
    - {id: a, start: 2027-01-04, finish: 2027-01-13}
    - {id: b, start: 2027-01-14, finish: 2027-01-23}
    - {id: c, start: 2027-01-24, finish: 2027-02-02}
"""


def write(tmp_path: Path, text: str, name: str = "plan.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


@pytest.fixture
def progressed(tmp_path: Path) -> Path:
    return write(tmp_path, PLAN.format(route=ROUTE) + BASELINE)


def test_actuals_reproduce_the_hand_computed_finish_and_spi_t(progressed: Path):
    a = analyze(load_plan(progressed).plan, iterations=200)
    # B runs from the status date (offset 15) for 8 days, C for 10 more: 33 days, so the
    # last day of work is 2027-01-04 + 32 = 2027-02-05
    assert a.schedule.duration == 33
    assert a.schedule.finish_date == dt.date(2027, 2, 5)
    times = a.schedule.by_id()
    assert (times["a"].start_date, times["a"].finish_date) == (
        dt.date(2027, 1, 4),
        dt.date(2027, 1, 15),
    )
    assert times["b"].start_date == dt.date(2027, 1, 16)  # its actual start, not the status date
    assert times["c"].start_date == dt.date(2027, 1, 27)
    assert a.simulation.finish["p50"] == pytest.approx(33)
    p = a.progress
    assert p is not None
    # EV = 10 (A) + 10 × 3 / (3 + 8) (B: 3 days done of 11); PV(t) = t on [0, 30]
    ev = 10 + 10 * 3 / 11
    assert p.actual_time == 15
    assert p.earned_schedule == pytest.approx(ev)
    assert p.spi_t == pytest.approx(ev / 15)
    assert p.planned_duration == 30
    assert p.forecast_duration == pytest.approx(30 / (ev / 15))  # 35.36 days
    assert p.forecast_finish == dt.date(2027, 2, 8)  # the 36th day
    assert p.slip == 3
    assert [(t.state, t.slip) for t in p.tasks] == [
        ("done", 2),
        ("in progress", 3),
        ("not started", 3),
    ]


def test_the_json_and_the_report_show_the_progress(progressed: Path, cli):
    code, out, _ = cli("analyze", progressed, "--json", "-n", "100")
    assert code == 0
    doc = json.loads(out)["progress"]
    assert doc["status_date"] == "2027-01-19"
    assert doc["spi_t"] == pytest.approx(140 / 165)
    assert doc["forecast_finish"] == "2027-02-08"
    assert [t["slip"] for t in doc["tasks"]] == [2, 3, 3]
    code, out, _ = cli("analyze", progressed, "-n", "100", "--width", "80")
    assert code == 0
    assert "SPI(t) 0.85" in out and "2027-02-08" in out
    assert "from the status date 2027-01-19" in out
    md = progressed.with_suffix(".md")
    assert cli("report", progressed, "-o", md)[0] == 0
    text = md.read_text("utf-8")
    assert "forecast now **2027-02-05** (3 days late)" in text
    assert "SPI(t) **0.85**" in text
    assert "| B | In progress | 2027-01-23 | 2027-01-26 | +3 |" in text
    zh = progressed.with_name("zh.md")
    assert cli("report", progressed, "--lang", "zh", "-o", zh)[0] == 0
    assert "| B | 进行中 | 2027-01-23 | 2027-01-26 | +3 |" in zh.read_text("utf-8")


def test_the_html_report_draws_baseline_and_forecast(progressed: Path, cli):
    page = progressed.with_suffix(".html")
    assert cli("report", progressed, "-o", page)[0] == 0
    html = page.read_text("utf-8")
    for t in "abc":
        assert f'id="base-{t}"' in html and f'id="now-{t}"' in html
    assert "Baseline and forecast" in html


def test_nothing_starts_before_the_status_date_and_remaining_is_drawn():
    plan = make_plan(
        [
            {"id": "x", "estimate": {"optimistic": 5, "likely": 5, "pessimistic": 5}},
            {
                "id": "y",
                "estimate": {"optimistic": 5, "likely": 5, "pessimistic": 5},
                "actual_start": "2027-01-04",
                "remaining": {"optimistic": 2, "likely": 4, "pessimistic": 9},
            },
            {"id": "m", "milestone": True, "depends_on": ["y"], "actual_finish": "2027-01-06"},
        ],
        calendar="days",
        status_date="2027-01-11",  # offset 7
    )
    a = analyze(plan, iterations=2000)
    times = a.schedule.by_id()
    assert times["x"].early_start == 7 and times["x"].start_date == dt.date(2027, 1, 11)
    assert times["y"].early_finish == 11  # 7 + 4
    assert times["m"].finish_date == dt.date(2027, 1, 6)  # reached, whatever y does now
    samples = a.simulation.finish_samples
    # the finish is max(x's 12, 7 + y's remaining): never under 12, never over 7 + 9, and
    # past 12 when the remaining draw is over 5 (about a third of PERT(2, 4, 9))
    assert samples.min() == pytest.approx(12) and samples.max() <= 7 + 9 + 1e-9
    assert 0.2 < float(np.mean(samples > 12 + 1e-9)) < 0.5


def test_a_risk_no_longer_delays_finished_work():
    risk = {
        "id": "late",
        "title": "Late data",
        "category": "technical",
        "probability": 0.9,
        "impact": 3,
        "affects": ["a"],
        "schedule_impact": {"low": 20, "likely": 30, "high": 40},
    }
    tasks = [
        {
            "id": "a",
            "estimate": {"optimistic": 5, "likely": 5, "pessimistic": 5},
            "actual_start": "2027-01-04",
            "actual_finish": "2027-01-08",
        },
        {
            "id": "b",
            "depends_on": ["a"],
            "estimate": {"optimistic": 5, "likely": 5, "pessimistic": 5},
        },
    ]
    plan = make_plan(tasks, [risk], calendar="days", status_date="2027-01-09")
    sim = analyze(plan, iterations=500).simulation
    assert sim.finish["p95"] == pytest.approx(10)  # b: from offset 5, 5 days
    unstarted = {k: v for k, v in tasks[0].items() if not k.startswith("actual")}
    before = make_plan([unstarted, tasks[1]], [risk], calendar="days")
    assert analyze(before, iterations=500).simulation.finish["p50"] > 20


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"status_date": None}, "actual_start needs the plan's status_date"),
        ({"status_date": "2027-01-17"}, "actual_start (2027-01-18) is after the status date"),
        ({"status_date": "2027-01-01"}, "status_date (2027-01-01) is before the plan starts"),
    ],
)
def test_actuals_need_a_status_date_after_them(change: dict[str, Any], message: str):
    data = {
        "tasks": [
            {
                "id": "a",
                "estimate": {"optimistic": 5, "likely": 5, "pessimistic": 5},
                "actual_start": "2027-01-18",
                "remaining": {"optimistic": 1, "likely": 1, "pessimistic": 1},
            }
        ],
        "status_date": "2027-01-20",
    }
    data.update(change)
    plan = make_plan(**data)
    assert any(message in f.message for f in cross_check(plan)), cross_check(plan)


@pytest.mark.parametrize(
    ("task", "message"),
    [
        (
            {"actual_start": "2027-01-05"},
            "work in progress (actual_start, no actual_finish) needs remaining",
        ),
        ({"actual_finish": "2027-01-05"}, "a finished task needs its actual_start"),
        (
            {"actual_start": "2027-01-06", "actual_finish": "2027-01-05"},
            "actual_finish (2027-01-05) is before actual_start (2027-01-06)",
        ),
        (
            {"remaining": {"optimistic": 1, "likely": 1, "pessimistic": 1}},
            "remaining is for work in progress",
        ),
    ],
)
def test_a_task_says_what_its_actuals_lack(task: dict[str, Any], message: str):
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make_plan(
            [{"id": "a", "estimate": {"optimistic": 5, "likely": 5, "pessimistic": 5}, **task}],
            status_date="2027-01-20",
        )


def test_check_locates_an_actual_after_the_status_date(tmp_path: Path, cli):
    text = PLAN.format(route=ROUTE).replace("status_date: 2027-01-19", "status_date: 2027-01-10")
    path = write(tmp_path, text)
    code, _, err = cli("check", path)
    assert code == 1
    assert (
        "plan.yaml:10:47: error: tasks[0].actual_finish" in err
        and "actual_finish (2027-01-15) is after the status date" in err
    )


# --- ventureplan baseline ----------------------------------------------------------------


def test_baseline_stores_todays_schedule_and_keeps_every_other_byte(tmp_path: Path, cli):
    text = PLAN.format(route=ROUTE)
    path = write(tmp_path, text)
    code, out, _ = cli("baseline", path)
    assert code == 0 and "3 tasks, finish 2027-02-05" in out
    after = path.read_text("utf-8")
    assert after.startswith(text.rstrip("\n"))  # the plan as it was, comment and all
    plan = load_plan(path).plan
    assert plan.baseline is not None
    assert plan.baseline.taken == dt.date.today()
    assert plan.baseline.finish == dt.date(2027, 2, 5)
    assert [(b.id, b.start, b.finish) for b in plan.baseline.tasks] == [
        ("a", dt.date(2027, 1, 4), dt.date(2027, 1, 15)),
        ("b", dt.date(2027, 1, 16), dt.date(2027, 1, 26)),
        ("c", dt.date(2027, 1, 27), dt.date(2027, 2, 5)),
    ]
    a = analyze(plan, iterations=50)
    assert a.progress is not None and a.progress.slip == 0
    # a second baseline replaces the first, and says so
    path.write_text(path.read_text("utf-8") + "# the end\n", "utf-8")
    code, out, _ = cli("baseline", path)
    assert code == 0 and "replaces the baseline of" in out
    again = path.read_text("utf-8")
    assert again.count("baseline:") == 1 and "# the end" in again
    assert load_plan(path).plan.baseline == plan.baseline


def test_baseline_of_a_json_plan(tmp_path: Path, cli):
    data = {
        "schema": "ventureplan/1",
        "name": "J",
        "start": "2027-01-04",
        "routes": [
            {
                "id": "r",
                "chosen": True,
                "model": "builtin:minilm-l6",
                "dataset": {"source": "d.csv"},
            }
        ],
        "tasks": [{"id": "t", "estimate": {"optimistic": 1, "likely": 2, "pessimistic": 3}}],
    }
    path = write(tmp_path, json.dumps(data), "plan.json")
    assert cli("baseline", path)[0] == 0
    stored = json.loads(path.read_text("utf-8"))
    assert stored["baseline"]["tasks"] == [
        {"id": "t", "start": "2027-01-04", "finish": "2027-01-05"}
    ]
    assert {k: v for k, v in stored.items() if k != "baseline"} == data


@pytest.mark.parametrize("case", ["invalid", "read-only", "missing", "no tasks"])
def test_baseline_refuses_and_changes_nothing(tmp_path: Path, cli, case: str):
    text = PLAN.format(route=ROUTE)
    if case == "invalid":
        text = text.replace("depends_on: [a]", "depends_on: [nope]")
    if case == "no tasks":
        text = text.split("tasks:")[0] + "tasks: []\n"
    path = write(tmp_path, text)
    if case == "read-only":
        if os.geteuid() == 0:
            pytest.skip("root writes a read-only file")
        path.chmod(stat.S_IRUSR)
    if case == "missing":
        path.unlink()
    code, out, err = cli("baseline", path)
    assert code == 1
    assert "Traceback" not in err and len(err.strip().splitlines()) >= 1
    expected = {
        "invalid": "unknown task id 'nope'",
        "read-only": "read-only",
        "missing": "no such file",
        "no tasks": "no tasks yet",
    }[case]
    assert expected in err
    if case != "missing":
        assert path.read_text("utf-8") == text


def test_a_hostile_baseline_is_refused_by_the_model(tmp_path: Path, cli):
    bad = BASELINE.replace("finish: 2027-01-13", "finish: 2026-01-13")
    path = write(tmp_path, PLAN.format(route=ROUTE) + bad)
    code, _, err = cli("check", path)
    assert code == 1 and "finish (2026-01-13) is before start (2027-01-04)" in err


def test_levelled_progress_keeps_started_work_and_the_status_date():
    team = [{"id": "eng", "title": "Engineer", "headcount": 1, "monthly_cost": 1000}]
    five = {"optimistic": 5, "likely": 5, "pessimistic": 5}
    plan = make_plan(
        [
            {
                "id": "a",
                "owner": "eng",
                "estimate": five,
                "actual_start": "2027-01-04",
                "remaining": {"optimistic": 3, "likely": 3, "pessimistic": 3},
            },
            {"id": "b", "owner": "eng", "estimate": five},
            {"id": "c", "owner": "eng", "estimate": five},
        ],
        calendar="days",
        team=team,
        schedule="leveled",
        status_date="2027-01-06",  # offset 2
    )
    a = analyze(plan, iterations=100)
    times = a.schedule.by_id()
    assert times["a"].early_finish == 5  # 2 + 3
    spans = sorted((times[t].early_start, times[t].early_finish) for t in "bc")
    assert spans[0][0] >= 5 and spans[1][0] >= spans[0][1]  # one engineer: one at a time
    assert a.schedule.duration == 15


# --- the earned schedule on its own -----------------------------------------------------


@given(
    st.lists(
        st.tuples(st.integers(0, 50), st.integers(1, 30), st.floats(0.1, 5)), min_size=1, max_size=8
    ),
    st.floats(0, 1),
)
def test_the_earned_schedule_is_where_the_planned_value_reaches_the_earned(spans_in, share):
    spans = [(float(lo), float(lo + n), v * n) for lo, n, v in spans_in]
    total = sum(v for *_, v in spans)
    earned = share * total
    es = _reach(spans, earned)
    assert planned_value(spans, es) == pytest.approx(earned, abs=1e-6 * max(total, 1))
    if es > 1e-9:  # and not earlier
        assert planned_value(spans, es - 1e-3) < earned + 1e-9


@given(
    status=st.integers(-5, 60),
    started=st.integers(-5, 60),
    length=st.integers(-3, 20),
    remaining=st.one_of(st.none(), st.floats(-1, 50)),
)
def test_generated_actuals_load_or_say_what_is_wrong(
    tmp_path_factory, status, started, length, remaining
):
    base = dt.date(2027, 1, 4)
    task: dict[str, Any] = {
        "id": "a",
        "estimate": {"optimistic": 1, "likely": 2, "pessimistic": 3},
        "actual_start": (base + dt.timedelta(days=started)).isoformat(),
    }
    if length >= 0:
        task["actual_finish"] = (base + dt.timedelta(days=started + length)).isoformat()
    if remaining is not None:
        task["remaining"] = {"optimistic": remaining, "likely": remaining, "pessimistic": remaining}
    data = {
        "schema": "ventureplan/1",
        "name": "G",
        "start": base.isoformat(),
        "status_date": (base + dt.timedelta(days=status)).isoformat(),
        "routes": [
            {
                "id": "r",
                "chosen": True,
                "model": "builtin:minilm-l6",
                "dataset": {"source": "d.csv"},
            }
        ],
        "tasks": [
            task,
            {
                "id": "b",
                "depends_on": ["a"],
                "estimate": {"optimistic": 1, "likely": 1, "pessimistic": 1},
            },
        ],
    }
    path = tmp_path_factory.mktemp("gen") / "plan.json"
    path.write_text(json.dumps(data), "utf-8")
    from typer.testing import CliRunner
    from ventureplan.planner.cli.main import app

    result = CliRunner().invoke(app, ["analyze", str(path), "--json", "-n", "20"])
    if result.exit_code == 0:
        doc = json.loads(result.stdout)
        plan = Plan.model_validate(data)
        assert plan.status_date is not None
        b = next(t for t in doc["schedule"]["tasks"] if t["id"] == "b")
        assert b["start_date"] >= plan.status_date.isoformat()
    else:
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output and result.stderr.strip()
        assert "error" in result.stderr


def test_capacity_is_checked_from_the_status_date():
    from ventureplan.plugins.capacity import plan_checks

    five = {"optimistic": 5, "likely": 5, "pessimistic": 5}
    tasks = [  # one engineer: a and b overlapped, but both are done; c and d overlap now
        {"id": "a", "owner": "eng", "estimate": five, "actual_start": "2027-01-04",
         "actual_finish": "2027-01-08"},
        {"id": "b", "owner": "eng", "estimate": five, "actual_start": "2027-01-04",
         "actual_finish": "2027-01-08"},
        {"id": "c", "owner": "eng", "estimate": five, "actual_start": "2027-01-11",
         "remaining": {"optimistic": 3, "likely": 3, "pessimistic": 3}},
        {"id": "d", "owner": "eng", "estimate": five},
    ]  # fmt: skip
    found = plan_checks(make_plan(tasks, status_date="2027-01-13"))
    # c runs 13-15 January from the status date, d 13-19 January: over on the 13th-15th
    assert [f.message for f in found] == [
        "role 'eng' has 1 person but needs 2 people from 2027-01-13 to 2027-01-15: c, d"
    ]
