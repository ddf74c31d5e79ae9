"""Resource levelling (planner/leveling.py): a serial SGS, then its order as precedences, so
that the schedule and every Monte Carlo iteration keep each role within its headcount."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ventureplan.planner.analysis import analyze
from ventureplan.planner.leveling import level
from ventureplan.planner.model import Plan
from ventureplan.planner.schedule import EPS, passes, schedule

from tests.planfactory import make_plan, task


def owned(tid: str, owner: str, days: float, deps: list[str] | None = None, **more) -> dict:
    return {**task(tid, days, days, days, deps), "owner": owner, **more}


def random_plan(n: int, seed: int) -> Plan:
    rng = random.Random(seed)
    team = [
        {"id": "a", "title": "A", "headcount": 1, "monthly_cost": 1000},
        {"id": "b", "title": "B", "headcount": 2, "monthly_cost": 1000},
        {"id": "c", "title": "C", "headcount": 3, "monthly_cost": 1000, "from_month": 2},
    ]
    tasks = []
    for i in range(n):
        picks = rng.randint(0, 3) if i else 0
        deps = sorted({f"t{rng.randrange(max(0, i - 20), i)}" for _ in range(picks)})
        lo = rng.randint(0, 5)
        mode = lo + rng.randint(0, 5)
        tasks.append(
            {
                **task(f"t{i}", lo, mode, mode + rng.randint(0, 8), deps),
                "owner": rng.choice("abc"),
                "effort": rng.choice([0.5, 1, 1, 1, 2]),
            }
        )
    return make_plan(tasks, team=team, schedule="leveled")


def most_at_once(plan: Plan, start: np.ndarray, finish: np.ndarray, booked: np.ndarray) -> dict:
    """Per role, the most people its booked tasks use at one time (plan order arrays)."""
    out = {}
    for role in plan.team:
        events = []
        for i, t in enumerate(plan.tasks):
            if booked[i] and t.owner == role.id and finish[i] - start[i] > EPS:
                events += [(finish[i], -t.effort), (start[i], t.effort)]
        events.sort(key=lambda e: (e[0], e[1]))  # a finish frees people for a start then
        use = peak = 0.0
        for _, e in events:
            use += e
            peak = max(peak, use)
        out[role.id] = peak
    return out


def in_plan_order(plan: Plan, net, x: np.ndarray) -> np.ndarray:
    out = np.empty(len(plan.tasks))
    out[net.order] = x
    return out


def assert_drawn_durations_hold(plan: Plan, lv, seed: int, rounds: int) -> None:
    """No role over its headcount when the levelled network runs with durations drawn
    uniformly between each task's optimistic and pessimistic points."""
    net, heads = lv.network, {r.id: r.headcount for r in plan.team}
    rng = np.random.default_rng(seed)
    for _ in range(rounds):
        d = net.optimistic + rng.random(net.size) * (net.pessimistic - net.optimistic)
        es, ef, _, _ = passes(net, d)
        peak = most_at_once(
            plan, in_plan_order(plan, net, es), in_plan_order(plan, net, ef), lv.booked
        )
        assert all(peak[r] <= heads[r] + 1e-9 for r in heads), peak


def test_a_hand_built_plan_is_levelled_by_the_documented_rule() -> None:
    plan = make_plan(
        [owned("a", "eng", 5), owned("b", "eng", 3), owned("c", "eng", 2, ["b"])],
        schedule="leveled",
    )
    lv = level(plan)
    # b has the smallest latest finish (3); then a (5, early start 0) before c (5, 3)
    assert lv.start.tolist() == [3.0, 0.0, 8.0]
    assert lv.finish.tolist() == [8.0, 3.0, 10.0]
    assert lv.added == 2  # a waits for b's person, c for a's
    sched = schedule(plan)
    assert [(t.id, t.early_start, t.early_finish) for t in sched.tasks] == [
        ("a", 3.0, 8.0),
        ("b", 0.0, 3.0),
        ("c", 8.0, 10.0),
    ]
    assert sched.finish_date.isoformat() == "2027-01-15"  # 10 working days from Mon 01-04
    assert sched.critical_path == ["b", "a", "c"]
    unlevelled = schedule(plan.model_copy(update={"schedule": "unleveled"}))
    assert unlevelled.duration == 5.0


def test_effort_gaps_and_the_month_a_role_arrives() -> None:
    team = [
        {"id": "eng", "title": "E", "headcount": 2},
        {"id": "ml", "title": "M", "headcount": 1, "from_month": 2},
    ]
    plan = make_plan(
        [
            owned("big", "eng", 4, effort=2),  # both engineers, [0, 4)
            owned("half1", "eng", 2, effort=0.5),  # has to wait for big
            owned("half2", "eng", 2, effort=1.5),  # fits beside half1 at 4
            owned("m", "ml", 3),  # ml exists from 2027-02-04: offset 23 working days
        ],
        team=team,
        schedule="leveled",
    )
    lv = level(plan)
    assert lv.start.tolist() == [0.0, 4.0, 4.0, 23.0]
    sched = schedule(plan)
    assert [t.start_date.isoformat() for t in sched.tasks] == [
        "2027-01-04",
        "2027-01-08",
        "2027-01-08",
        "2027-02-04",
    ]


def test_tasks_that_cannot_be_levelled_keep_their_place() -> None:
    team = [{"id": "eng", "title": "E", "headcount": 1, "until_month": 1}]
    plan = make_plan(
        [
            owned("wide", "eng", 2, effort=3),  # more people than the role ever has
            owned("late", "eng", 40),  # runs past until_month
            owned("free", "nobody", 2),  # owner not in the team
        ],
        team=team,
        schedule="leveled",
    )
    lv = level(plan)
    assert lv.booked.tolist() == [False, False, False]
    assert lv.start.tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("n,seed", [(40, 1), (200, 2), (200, 3)])
def test_no_role_over_its_headcount_in_the_schedule_or_any_iteration(n, seed) -> None:
    plan = random_plan(n, seed)
    lv = level(plan)
    net = lv.network
    heads = {r.id: r.headcount for r in plan.team}
    # the SGS, and the forward pass of its network with likely durations
    assert all(most_at_once(plan, lv.start, lv.finish, lv.booked)[r] <= heads[r] for r in heads)
    es, ef, _, _ = passes(net, net.likely)
    start, finish = in_plan_order(plan, net, es), in_plan_order(plan, net, ef)
    assert np.all(start <= lv.start + 1e-9)  # never later than the SGS
    assert np.all(start >= in_plan_order(plan, net, net.releases()) - 1e-9)
    peak = most_at_once(plan, start, finish, lv.booked)
    assert all(peak[r] <= heads[r] + 1e-9 for r in heads), peak
    # durations drawn anywhere in their ranges: the added precedences still hold people back
    assert_drawn_durations_hold(plan, lv, seed, 20)


@pytest.mark.slow
def test_a_thousand_tasks() -> None:
    plan = random_plan(1000, 7)
    assert_drawn_durations_hold(plan, level(plan), 7, 10)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 60), st.integers(0, 10_000))
def test_random_plans_hold(n, seed) -> None:
    plan = random_plan(n, seed)
    lv = level(plan)
    heads = {r.id: r.headcount for r in plan.team}
    es, ef, _, _ = passes(lv.network, lv.network.likely)
    start = in_plan_order(plan, lv.network, es)
    finish = in_plan_order(plan, lv.network, ef)
    peak = most_at_once(plan, start, finish, lv.booked)
    assert all(peak[r] <= heads[r] + 1e-9 for r in heads)
    unlevelled = schedule(plan.model_copy(update={"schedule": "unleveled"}))
    assert ef.max() >= unlevelled.duration - 1e-9


def test_the_simulation_waits_for_people() -> None:
    tasks = [owned(f"t{i}", "eng", 5) for i in range(4)]
    tasks = [{**t, "estimate": {"optimistic": 4, "likely": 5, "pessimistic": 8}} for t in tasks]
    flat = make_plan(tasks)
    levelled = make_plan(tasks, schedule="leveled")
    a = analyze(flat, iterations=2000, seed=3)
    b = analyze(levelled, iterations=2000, seed=3)
    # four tasks in parallel, or one after another for the one engineer
    assert a.schedule.duration == 5.0 and b.schedule.duration == 20.0
    assert b.simulation.finish["p50"] > 3 * a.simulation.finish["p50"]
    assert b.simulation.finish_samples.min() >= 4 * 4 - 1e-4  # never under four best cases
