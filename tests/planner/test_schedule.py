from __future__ import annotations

import datetime as dt
import random

import networkx as nx
import pytest
from ventureplan.planner.calendar import finish_date, start_date
from ventureplan.planner.schedule import schedule

from tests.planfactory import make_plan, milestone, task


def test_small_network_by_hand():
    plan = make_plan(
        [
            task("a", 1, 3, 5),
            task("b", 1, 2, 3, ["a"]),
            task("c", 4, 6, 9, ["a"]),
            task("d", 1, 1, 1, ["b", "c"]),
            milestone("m", ["d"]),
        ]
    )
    s = schedule(plan)
    t = s.by_id()
    assert s.duration == 10
    assert s.critical_path == ["a", "c", "d", "m"]
    assert (t["b"].early_start, t["b"].early_finish, t["b"].late_start, t["b"].late_finish) == (
        3,
        5,
        7,
        9,
    )
    assert t["b"].slack == 4 and not t["b"].critical
    assert [x.id for x in s.tasks if x.critical] == ["a", "c", "d", "m"]
    # 10 workdays from Monday 2027-01-04 end on Friday 2027-01-15
    assert s.finish_date == dt.date(2027, 1, 15)
    assert t["c"].start_date == dt.date(2027, 1, 7) and t["c"].finish_date == dt.date(2027, 1, 14)
    assert t["m"].start_date == t["m"].finish_date == dt.date(2027, 1, 15)


def test_days_calendar_counts_weekends():
    plan = make_plan([task("a", 10, 10, 10)], calendar="days")
    assert schedule(plan).finish_date == dt.date(2027, 1, 13)


@pytest.mark.parametrize(
    ("x", "start", "finish"),
    [
        (0, "2027-01-04", "2027-01-04"),
        (0.5, "2027-01-04", "2027-01-04"),
        (5, "2027-01-11", "2027-01-08"),
        (5.2, "2027-01-11", "2027-01-11"),
        (4.9999999999, "2027-01-11", "2027-01-08"),
    ],
)
def test_offsets_to_workdays(x, start, finish):
    monday = dt.date(2027, 1, 4)
    assert start_date(monday, "workdays", x).isoformat() == start
    assert finish_date(monday, "workdays", x).isoformat() == finish


def test_weekend_start_rolls_to_monday():
    saturday = dt.date(2027, 1, 2)
    assert start_date(saturday, "workdays", 0) == dt.date(2027, 1, 4)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_schedule_equals_networkx_longest_path(seed):
    rng = random.Random(seed)
    n = 1000
    tasks = []
    graph = nx.DiGraph()
    for i in range(n):
        deps = rng.sample(range(max(0, i - 40), i), min(i, rng.randint(0, 4))) if i else []
        d = round(rng.uniform(0.5, 20.0), 6)
        tasks.append(task(f"t{i}", d, d, d, [f"t{j}" for j in deps]))
        graph.add_node(i)
        for j in deps:
            graph.add_edge(j, i)
    # node durations as edge weights: every edge out of a task weighs its duration
    weighted = nx.DiGraph()
    for i in range(n):
        d = tasks[i]["estimate"]["likely"]
        weighted.add_edge(i, "end", w=d)
        for k in graph.successors(i):
            weighted.add_edge(i, k, w=d)
    path = nx.dag_longest_path(weighted, weight="w")
    length = nx.dag_longest_path_length(weighted, weight="w")
    s = schedule(make_plan(tasks))
    assert s.duration == pytest.approx(length, rel=1e-12)
    assert s.critical_path == [f"t{i}" for i in path if i != "end"]


def test_empty_and_single_milestone():
    s = schedule(make_plan([milestone("go")]))
    assert (s.duration, s.critical_path, s.finish_date) == (0, ["go"], dt.date(2027, 1, 4))
    s = schedule(make_plan([]))
    assert (s.duration, s.critical_path, s.tasks) == (0, [], [])


def test_a_zero_duration_task_happens_the_day_its_predecessors_finish(tmp_path):
    """A non-milestone task estimated at 0 days was shown finishing the day before it
    started (start the next workday, finish the last one)."""
    from ventureplan.planner.load import load_plan

    from tests.conftest import GOOD

    text = (
        (GOOD / "small.yaml")
        .read_text()
        .replace(
            "estimate: {optimistic: 3, likely: 5, pessimistic: 12}",
            "estimate: {optimistic: 0, likely: 0, pessimistic: 0}",
        )
    )
    path = tmp_path / "plan.yaml"
    path.write_text(text)
    plan = load_plan(path).plan
    times = {t.id: t for t in schedule(plan).tasks}
    assert times["data"].finish_date == dt.date(2027, 1, 13)
    assert times["train"].start_date == times["train"].finish_date == dt.date(2027, 1, 13)
    assert all(t.start_date <= t.finish_date for t in times.values())
