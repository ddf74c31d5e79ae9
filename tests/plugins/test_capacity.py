"""Capacity lints: a role over its headcount, and work while its role does not exist,
with the dates and the tasks (plugins/capacity.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ventureplan.plugins.capacity import over_capacity, plan_checks

from tests.planfactory import make_plan, task

TEAM = [
    {"id": "be", "title": "Backend", "headcount": 1, "monthly_cost": 10000},
    {"id": "ml", "title": "ML", "headcount": 2, "monthly_cost": 10000, "from_month": 2},
    {"id": "ops", "title": "Ops", "headcount": 1, "monthly_cost": 10000, "until_month": 1},
]


def owned(tid: str, owner: str, days: float, deps: list[str] | None = None, **more: Any) -> dict:
    return {**task(tid, days, days, days, deps), "owner": owner, **more}


def hand_plan(**fields: Any):
    # 2027-01-04 is a Monday; working days
    return make_plan(
        [
            owned("a", "be", 5),  # [0, 5): 01-04 .. 01-08
            owned("b", "be", 3),  # [0, 3): 01-04 .. 01-06, with a: 2 people
            owned("c", "be", 2, ["a"], effort=2),  # [5, 7): 01-11 .. 01-12, 2 people alone
            owned("d", "ml", 4),  # before ml exists (from month 2 = 2027-02-04)
            owned("e", "ops", 20, ["c"]),  # [7, 27): 01-13 .. 02-09, ops only until 02-03
            owned("f", "be", 3, ["c"], effort=0.5),  # [7, 10) half time ...
            owned("g", "be", 3, ["c"], effort=0.5),  # ... beside another half: fits
            owned("h", "be", 2, ["f", "g"]),  # [10, 12): right after f and g end: fits
        ],
        team=TEAM,
        **fields,
    )


def test_over_allocation_found_with_exact_dates_and_tasks() -> None:
    found = plan_checks(hand_plan())
    messages = [f.message for f in found]
    assert messages == [
        "role 'be' has 1 person but needs 2 people from 2027-01-04 to 2027-01-06: a, b",
        "role 'be' has 1 person but needs 2 people from 2027-01-11 to 2027-01-12: c",
        "task 'd' runs from 2027-01-04 to 2027-01-07, but its owner 'ml' exists only "
        "from month 2 (2027-02-04)",
        "task 'e' runs from 2027-01-13 to 2027-02-09, but its owner 'ops' exists only "
        "until month 1 (to 2027-02-03)",
    ]
    assert [f.path for f in found] == [
        ("team", 0),
        ("team", 0),
        ("tasks", 3, "owner"),
        ("tasks", 4, "owner"),
    ]
    assert {f.severity for f in found} == {"warning"}
    assert found[0].hint == (
        "make one of these tasks depend on another, lower an effort, or raise the headcount"
    )


def test_periods_as_offsets() -> None:
    periods, absent = over_capacity(hand_plan())
    assert [(p.role, p.start, p.end, p.need, p.capacity, p.tasks) for p in periods] == [
        ("be", 0.0, 3.0, 2.0, 1.0, ["a", "b"]),
        ("be", 5.0, 7.0, 2.0, 1.0, ["c"]),
    ]
    assert absent == [(3, 1), (4, 2)]


def test_adjacent_overloads_are_one_period() -> None:
    plan = make_plan(
        [owned("f", "eng", 2), owned("g", "eng", 2, ["f"]), owned("h", "eng", 4)],
    )
    (finding,) = plan_checks(plan)
    assert finding.message == (
        "role 'eng' has 1 person but needs 2 people from 2027-01-04 to 2027-01-07: f, g, h"
    )


def test_calendar_days_and_both_month_bounds() -> None:
    team = [{"id": "x", "title": "X", "headcount": 1, "from_month": 2, "until_month": 3}]
    plan = make_plan([owned("t", "x", 10)], team=team, calendar="days")
    (finding,) = plan_checks(plan)
    assert finding.message == (
        "task 't' runs from 2027-01-04 to 2027-01-13, but its owner 'x' exists only "
        "from month 2 (2027-02-04) to month 3 (to 2027-04-03)"
    )
    inside = make_plan(
        [owned("w", "x", 31), owned("t", "x", 10, ["w"])], team=team, calendar="days"
    )
    # w runs in month 1 (absent); t starts 2027-02-04, the day x arrives: fine
    assert [f.message.split(",")[0] for f in plan_checks(inside)] == [
        "task 'w' runs from 2027-01-04 to 2027-02-03"
    ]


def test_chinese_plan_words() -> None:
    (f1, f2, *_) = plan_checks(hand_plan(language="zh"))
    assert f1.message == "角色“be”只有 1 人，但在 2027-01-04 至 2027-01-06 需要 2 人：a, b"
    assert "第 2 个月（2027-02-04）起" in plan_checks(hand_plan(language="zh"))[2].message


def test_many_periods_are_summarised() -> None:
    tasks = []
    for k in range(8):  # 8 pairs, each overlapping on one person, a one-person day between
        deps = [f"r{k - 1}"] if k else []
        tasks += [owned(f"p{k}", "eng", 2, deps), owned(f"q{k}", "eng", 2, deps)]
        tasks.append(owned(f"r{k}", "eng", 1, [f"p{k}", f"q{k}"]))
    found = plan_checks(make_plan(tasks))
    assert len(found) == 6
    assert found[4].message.endswith("from 2027-01-20 to 2027-01-21: p4, q4")
    assert found[-1].message == (
        "role 'eng' is over its headcount 3 more times, the last ending 2027-02-03"
    )


def test_the_starters_use_effort_to_share_a_week() -> None:
    from ventureplan.planner.load import load_plan

    root = Path(__file__).parents[2] / "templates" / "starters"
    for name in ("newslens.en.yaml", "newslens.zh.yaml"):
        plan = load_plan(root / name).plan
        assert plan_checks(plan) == []
        doubled = plan.model_copy(
            update={"tasks": [t.model_copy(update={"effort": 1.0}) for t in plan.tasks]}
        )
        roles = [p.role for p in over_capacity(doubled)[0]]
        assert roles == ["founder", "backend", "gtm"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.integers(0, 6),  # likely days
            st.sampled_from([0.5, 1.0, 2.0]),
            st.lists(st.integers(0, 30), max_size=3),
        ),
        min_size=1,
        max_size=30,
    ),
    st.integers(0, 3),
)
def test_every_overload_is_reported_and_nothing_else(spec, headcount) -> None:
    tasks = []
    for i, (days, effort, deps) in enumerate(spec):
        ds = sorted({f"t{d % i}" for d in deps}) if i else []
        tasks.append(owned(f"t{i}", "eng", days, ds, effort=effort))
    team = [{"id": "eng", "title": "E", "headcount": headcount}]
    plan = make_plan(tasks, team=team)
    periods, _ = over_capacity(plan)
    from ventureplan.planner.schedule import schedule

    times = schedule(plan).by_id()
    # check on a fine grid of instants: over capacity exactly where a period says so
    for x in [k / 4 + 0.125 for k in range(0, 4 * 200)]:
        need = sum(
            t["effort"]
            for t in tasks
            if times[t["id"]].early_start <= x < times[t["id"]].early_finish
        )
        inside = any(p.start <= x < p.end for p in periods)
        assert inside == (need > headcount), (x, need)
    # each period names every task running in any part of it, in the plan's order, and
    # the most people needed at once within it
    for p in periods:
        running = [
            t["id"]
            for t in tasks
            if times[t["id"]].early_start < p.end
            and times[t["id"]].early_finish > p.start
            and times[t["id"]].early_finish > times[t["id"]].early_start
        ]
        assert p.tasks == running, (p, running)
        most = max(
            sum(
                t["effort"]
                for t in tasks
                if times[t["id"]].early_start <= x < times[t["id"]].early_finish
            )
            for x in [k / 4 + 0.125 for k in range(0, 4 * 200)]
            if p.start <= x < p.end
        )
        assert p.need == most, (p, most)
