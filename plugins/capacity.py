"""Capacity lints: a role asked for more people than it has, or for work in months it does
not exist.

The check runs over the deterministic schedule (each task at its early start, `likely`
durations) as `analyze` shows it. A task takes `effort` people of its owner's role from its
early start to its early finish (offsets in the plan's calendar units: a task that ends at
offset x frees its people for one that starts at x). A role has `headcount` people in the
months from `from_month` to `until_month`, and none outside them. Wherever the tasks of a
role running at once need more people than it has, that period is one warning naming its
dates and its tasks; a task that runs while its role does not exist yet (or any more) is a
warning of its own instead. A plan with a status date is checked from it, as `analyze`
schedules it: finished work is history and is left out, work in progress holds its people
from the status date until its remaining time is up.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from dataclasses import dataclass

from ventureplan.planner import hookimpl, progress
from ventureplan.planner.budget import month_start
from ventureplan.planner.calendar import finish_date, start_date
from ventureplan.planner.defaults import LANGUAGES
from ventureplan.planner.errors import Finding
from ventureplan.planner.leveling import available
from ventureplan.planner.model import Plan
from ventureplan.planner.report import lint, lint_text
from ventureplan.planner.schedule import EPS, Schedule, schedule

MAX_PERIODS = 5  # over-capacity periods named per role; beyond, one line says how many more


@dataclass
class Period:
    """A stretch of time (offsets [start, end)) in which a role needs more than it has."""

    role: str
    start: float
    end: float
    need: float  # the most people needed at once within it
    capacity: float
    tasks: list[str]  # the role's tasks running within it, in the plan's order


def capacity_at(pieces: list[tuple[float, float, float]], x: float) -> float:
    return next((p for a, b, p in pieces if a <= x < b), 0.0)


def over_capacity(
    plan: Plan, sched: Schedule | None = None
) -> tuple[list[Period], list[tuple[int, int]]]:
    """The periods a role is over its headcount, and the tasks (plan index, role index) that
    run while their role does not exist, in `sched` (the plan's own schedule by default)."""
    if sched is None:
        used, net = progress.network(plan)
        sched = schedule(used, net)
    roles = {r.id: i for i, r in enumerate(plan.team)}
    work: dict[int, list[tuple[int, float, float, float]]] = defaultdict(list)
    absent: list[tuple[int, int]] = []
    spans = [available(plan, r) for r in range(len(plan.team))]  # once per role
    for k, (task, times) in enumerate(zip(plan.tasks, sched.tasks, strict=True)):
        if task.milestone or task.owner not in roles or times.duration <= EPS:
            continue
        if task.actual_finish is not None:  # done: nothing to warn about any more
            continue
        r = roles[task.owner]
        a, b = times.early_start, times.early_finish
        pieces = spans[r]
        gone = any(p == 0 and a < hi - EPS and b > lo + EPS for lo, hi, p in pieces)
        if gone and plan.team[r].headcount > 0:
            absent.append((k, r))
            continue
        work[r].append((k, a, b, task.effort))
    periods: list[Period] = []
    for r in sorted(work):
        periods += _sweep(plan, plan.team[r].id, work[r], spans[r])
    return periods, absent


def _sweep(
    plan: Plan,
    role: str,
    work: list[tuple[int, float, float, float]],
    pieces: list[tuple[float, float, float]],
) -> list[Period]:
    """One role's periods over capacity: a sweep over the start and finish points of its
    tasks (and the points its headcount changes), in n log n. Between two neighbouring
    points a task runs when it starts at or before the first and ends at or after the
    second (each start and finish is one of the points); intervals no longer than EPS are
    passed over. Neighbouring periods over capacity at one headcount are one period, with
    the most people needed at once and every task running in any part of it."""
    points = sorted({x for _, a, b, _ in work for x in (a, b)} | {lo for lo, _, _ in pieces})
    starts = sorted(work, key=lambda w: w[1])
    ends = sorted(work, key=lambda w: w[2])
    active: dict[int, float] = {}  # plan index -> people, of the tasks running now
    joined: list[int] = []  # tasks started since the last interval looked at
    i = j = 0
    total = 0.0  # their people (a running sum, rounded where it is used)
    out: list[Period] = []
    current: Period | None = None
    members: set[int] = set()  # the current period's tasks

    def close() -> None:
        if current is not None:
            current.tasks = [plan.tasks[k].id for k in sorted(members)]

    for x, y in itertools.pairwise(points):
        while i < len(starts) and starts[i][1] <= x:
            k, _, _, e = starts[i]
            active[k] = e
            total += e
            joined.append(k)
            i += 1
        while j < len(ends) and ends[j][2] <= x:
            total -= active.pop(ends[j][0], 0.0)
            j += 1
        if y - x <= EPS:
            continue
        need = round(total, 9) if active else 0.0
        have = capacity_at(pieces, x)
        fresh, joined = joined, []
        if need <= have + 1e-9:
            close()
            current = None
            continue
        if current is not None and abs(current.end - x) <= EPS and current.capacity == have:
            current.end = y
            current.need = max(current.need, need)
            members.update(k for k in fresh if k in active)
        else:
            close()
            current = Period(role, x, y, need, have, [])
            members = set(active)
            out.append(current)
    close()
    return out


def _people(n: float) -> dict[str, str]:
    text = f"{n:g}"
    return {"en": f"{text} {'person' if n == 1 else 'people'}", "zh": f"{text} 人"}


@hookimpl
def plan_checks(plan: Plan) -> list[Finding]:
    if not plan.tasks or not plan.team:
        return []
    used, net = progress.network(plan)  # from the status date, levelled where it says so
    sched = schedule(used, net)
    periods, absent = over_capacity(plan, sched)
    out: list[Finding] = []

    def day(x: float, end: bool) -> str:
        return (finish_date if end else start_date)(plan.start, plan.calendar, x).isoformat()

    by_role: dict[str, list[Period]] = defaultdict(list)
    for p in periods:
        by_role[p.role].append(p)
    index = {r.id: i for i, r in enumerate(plan.team)}
    for role_id, found in by_role.items():
        for p in found[:MAX_PERIODS]:
            out.append(
                lint(
                    "role-over-capacity",
                    plan.language,
                    "role-over-capacity",
                    "role-over-capacity.fix",
                    {
                        "role": role_id,
                        "headcount": _people(p.capacity),
                        "need": _people(p.need),
                        "start": day(p.start, False),
                        "end": day(p.end, True),
                        "tasks": ", ".join(p.tasks),
                    },
                    severity="warning",
                    path=("team", index[role_id]),
                    letter="A",
                )
            )
        if len(found) > MAX_PERIODS:
            out.append(
                lint(
                    "role-over-capacity",
                    plan.language,
                    "role-over-capacity.more",
                    "role-over-capacity.fix",
                    {
                        "role": role_id,
                        "count": len(found) - MAX_PERIODS,
                        "end": day(found[-1].end, True),
                    },
                    severity="warning",
                    path=("team", index[role_id]),
                    letter="A",
                )
            )
    times = sched.tasks
    for k, r in absent:
        role = plan.team[r]
        first = month_start(plan.start, role.from_month).isoformat()
        if role.until_month is None:
            span, args = "role-span-from", {"first": role.from_month, "first_date": first}
        else:
            last_day = month_start(plan.start, role.until_month + 1) - dt.timedelta(days=1)
            last = last_day.isoformat()
            args = {"last": role.until_month, "last_date": last}
            if role.from_month > 1:
                span = "role-span-both"
                args |= {"first": role.from_month, "first_date": first}
            else:
                span = "role-span-until"
        where = {lang: lint_text(lang, span, args) for lang in LANGUAGES}
        out.append(
            lint(
                "role-absent",
                plan.language,
                "role-absent",
                "role-absent.fix",
                {
                    "task": plan.tasks[k].id,
                    "role": role.id,
                    "start": day(times[k].early_start, False),
                    "end": day(times[k].early_finish, True),
                    "span": where,
                },
                severity="warning",
                path=("tasks", k, "owner"),
                letter="A",
            )
        )
    return out
