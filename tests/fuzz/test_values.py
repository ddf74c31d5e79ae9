"""Extreme values: numbers at and past every limit (NaN and infinity in both spellings, huge
integers, subnormals), dates at the ends of the calendar, zero-duration tasks, milestones
and long chains. Whatever the value, the answer is an analysis or a located error."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from tests.fuzz import plans
from tests.fuzz.oracle import exercise, known, plan_file, scaled

styles = st.integers(0, 11)


def _numeric_paths(data: Any) -> list[tuple[Any, ...]]:
    out = []
    for p in plans.paths(data):
        value = plans._parent(data, p)[p[-1]]
        if isinstance(value, int | float) and not isinstance(value, bool):
            out.append(p)
    return out


@st.composite
def with_extreme_numbers(draw: Any, plan: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(plan)
    data["budget"].setdefault("cash", 1000)
    spots = _numeric_paths(data)
    for p in draw(st.lists(st.sampled_from(spots), min_size=1, max_size=3, unique=True)):
        plans._parent(data, p)[p[-1]] = draw(plans.numbers)
    return data


@scaled(2)
@known("not-finite", data=plans.REVENUE_NAN, fmt="yaml", style=0)
@known("not-finite", data=plans.HYPERPARAMETER_NAN, fmt="yaml", style=0)
@known(
    "huge-int",
    data=plans.minimal(team=[{"id": "x", "title": "t", "headcount": plans.HUGE_INT}]),
    fmt="json",
    style=0,
)
@given(
    data=plans.valid_plans(max_tasks=6).flatmap(with_extreme_numbers),
    fmt=plans.formats,
    style=styles,
)
def test_extreme_numbers_in_numeric_fields(cli, data, fmt, style):
    with plan_file(plans.serialize(data, fmt, style), fmt) as path:
        exercise(cli, path, reports=("json", "md"))


@st.composite
def with_extreme_dates(draw: Any, plan: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(plan)
    if draw(st.booleans()):
        data["start"] = draw(plans.dates)
    if draw(st.booleans()) or not data["goals"]:
        data["goals"].append(
            {"id": "g-date", "statement": "a goal with an edge deadline", "deadline": None}
        )
    for goal in data["goals"]:
        if draw(st.booleans()):
            goal["deadline"] = draw(plans.dates)
    for record in data["measured"]:
        record["at"] = plans.Tok(draw(st.sampled_from(plans.TIMESTAMPS)))
    return data


@scaled(1.2)
@example(
    data={
        "schema": "ventureplan/1",
        "name": "n",
        "start": dt.date(2999, 12, 31),
        "goals": [{"id": "g", "statement": "s", "deadline": dt.date(9999, 12, 31)}],
        "routes": [{"id": "r", "chosen": True, "model": "m", "dataset": {"source": "d.csv"}}],
        "tasks": [{"id": "a", "estimate": {"optimistic": 1, "likely": 2, "pessimistic": 3}}],
        "measured": [{"run": "x", "route": "r", "at": plans.Tok("0001-01-01T00:00:00+01:00")}],
    },
    fmt="yaml",
    style=0,
)
@known("imprecise-location", data=plans.JSON_RAW_DEL_LINTS, fmt="json", style=0)
@known(
    "finish-before-start",
    data={**plans.ZERO_AFTER_WORK, "start": dt.date(2999, 12, 31)},
    fmt="json",
    style=0,
)
@given(
    data=plans.valid_plans(max_tasks=4).flatmap(with_extreme_dates),
    fmt=plans.formats,
    style=styles,
)
def test_dates_at_the_ends_of_the_calendar(cli, data, fmt, style):
    with plan_file(plans.serialize(data, fmt, style), fmt) as path:
        exercise(cli, path, reports=("json", "md"))


TINY = [0, 0.0, 5e-324, 1e-300, 1e-9, 0.5, 1, 1.5, 2]


@st.composite
def zero_heavy_plans(draw: Any) -> dict[str, Any]:
    """Tasks of zero (or next to zero) duration and milestones, in any order of dependency."""
    tasks: list[dict[str, Any]] = []
    for i in range(draw(st.integers(1, 12))):
        t: dict[str, Any] = {"id": f"t{i}"}
        if draw(st.integers(0, 2)) == 0:
            t["milestone"] = True
        else:
            a, m, b = sorted(draw(st.lists(st.sampled_from(TINY), min_size=3, max_size=3)))
            t["estimate"] = {"optimistic": a, "likely": m, "pessimistic": b}
        if tasks:
            t["depends_on"] = draw(
                st.lists(st.sampled_from([x["id"] for x in tasks]), max_size=3, unique=True)
            )
        tasks.append(t)
    if draw(st.booleans()):
        tasks.reverse()  # dependencies written before the tasks they name
    risks = []
    if draw(st.booleans()):
        risks.append(
            {
                "id": "r0",
                "title": "slip",
                "category": "technical",
                "probability": draw(st.sampled_from([0, 0.5, 1])),
                "impact": 3,
                "affects": [t["id"] for t in tasks if draw(st.booleans())],
                "schedule_impact": {"low": 0, "likely": 0, "high": draw(st.sampled_from(TINY))},
            }
        )
    return {
        "schema": "ventureplan/1",
        "name": "zero",
        "start": draw(plans.valid_starts),
        "calendar": draw(st.sampled_from(["workdays", "days"])),
        "distribution": draw(st.sampled_from(["pert", "triangular"])),
        "routes": [{"id": "r", "chosen": True, "model": "m", "dataset": {"source": "d.csv"}}],
        "tasks": tasks,
        "risks": risks,
    }


@scaled(1.6)
@known("finish-before-start", data=plans.ZERO_AFTER_WORK, fmt="yaml")  # b: 01-05 to 01-04
@given(data=zero_heavy_plans(), fmt=plans.formats)
def test_zero_duration_tasks_and_milestones_never_finish_before_they_start(cli, data, fmt):
    with plan_file(plans.serialize(data, fmt), fmt) as path:
        exercise(cli, path, reports=("json",), expect_valid=True)


@st.composite
def chains(draw: Any) -> dict[str, Any]:
    """One long chain (each task depends on the one before), durations near the plan's
    worst-case limit of 100,000 units or tiny, written in order or backwards."""
    n = draw(st.integers(1, 400))
    per = draw(st.sampled_from([0, 1e-300, 1, 5, 100_000 / n, 100_000 / n + 1e-6, 36_500]))
    tasks = []
    for i in range(n):
        t: dict[str, Any] = {"id": f"c{i}"}
        if i and draw(st.integers(0, 9)) == 0:
            t["milestone"] = True
        else:
            t["estimate"] = {"optimistic": 0, "likely": per / 2, "pessimistic": per}
        if i:
            t["depends_on"] = [f"c{i - 1}"]
        tasks.append(t)
    if draw(st.booleans()):
        tasks.reverse()
    return {
        "schema": "ventureplan/1",
        "name": "chain",
        "start": draw(plans.valid_starts),
        "calendar": draw(st.sampled_from(["workdays", "days"])),
        "routes": [{"id": "r", "chosen": True, "model": "m", "dataset": {"source": "d.csv"}}],
        "team": [{"id": "eng", "title": "Engineer", "monthly_cost": 10_000}],
        "tasks": tasks,
        "risks": [
            {
                "id": "r0",
                "title": "everything slips",
                "category": "resource",
                "probability": 0.5,
                "impact": 3,
                "affects": [t["id"] for t in tasks],
                "schedule_impact": {"low": 0, "likely": 1, "high": 2},
            }
        ],
        "budget": {"cash": 1e15},
    }


@scaled(0.6)
@given(data=chains(), fmt=plans.formats)
def test_long_chains(cli, data, fmt):
    with plan_file(plans.serialize(data, fmt), fmt) as path:
        exercise(cli, path, reports=("json",))


@st.composite
def measured_with_extreme_numbers(draw: Any) -> dict[str, Any]:
    plan = draw(plans.valid_plans(max_tasks=3))
    routes = [r["id"] for r in plan["routes"]]
    goals = [g["id"] for g in plan["goals"]]
    plan["measured"] = [draw(plans.records(routes, goals))]
    record = plan["measured"][0]
    record.setdefault("training", {})["seconds"] = 1.0
    spots = _numeric_paths(record)
    for p in draw(st.lists(st.sampled_from(spots), min_size=1, max_size=3, unique=True)):
        plans._parent(record, p)[p[-1]] = draw(plans.numbers)
    return plan


@scaled(1.2)
@known("not-finite", data=plans.RECORD_INF, fmt="yaml", style=0)
@known("not-finite", data=plans.RECORD_NAN, fmt="yaml", style=0)
@known("record-text", data=plans.RECORD_TEXT_EXTRA, fmt="yaml", style=0)
@given(data=measured_with_extreme_numbers(), fmt=plans.formats, style=styles)
def test_measured_records_with_extreme_numbers(cli, data, fmt, style):
    """`measured` is written by the runner but edited by hand; its numbers are plan input,
    and so is whatever it holds in the fields a record keeps open for later versions."""
    reports = ("json", "md", "html") if style % 3 == 0 else ("json", "md")
    with plan_file(plans.serialize(data, fmt, style), fmt) as path:
        exercise(cli, path, reports=reports)
