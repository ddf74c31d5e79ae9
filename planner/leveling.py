"""Resource levelling: tasks wait until their owner's role has people free.

A serial schedule-generation scheme (SGS) with `likely` durations. Tasks are taken one at a
time, each among those whose dependencies are all scheduled, by this priority rule: the
smallest latest finish of the unlevelled schedule (the task whose delay would soonest delay
the plan), then the smallest early start, then the plan's order. Each goes at the earliest
time its dependencies allow at which its role has `effort` people free for its whole
duration (filling gaps left earlier), and never before its role exists (`from_month`).

The levelled order is then made into precedences, so that the Monte Carlo, which walks a
task network, waits for people too: the people each task works with are passed on from
tasks of its role that finished before it starts (a resource flow, as in Artigues, Michelon
and Reusser 2003), preferring people who were never busy, then those free the longest. A
task that takes people from another now depends on it. Whatever the durations, no role then
works on more than its headcount at once: each task only uses people handed on by tasks
that have finished. The levelled schedule is the forward pass of that network with
`likely` durations: no task starts later than the SGS put it.

Tasks that cannot be levelled keep their unlevelled place, unbooked: a milestone, a task of
no duration, with no owner in the team, needing more people than its role ever has, or
that would run past the role's `until_month` (the capacity lint names these).
"""

from __future__ import annotations

import bisect
import heapq
import math
from dataclasses import dataclass

import numpy as np

from .budget import month_start
from .calendar import offset_of
from .model import Plan
from .network import EPS, Network, build_network, passes

TOL = 1e-9  # people: efforts are fractions, so their sums are compared with a tolerance


@dataclass
class Levelled:
    network: Network  # with the resource precedences and release offsets
    start: np.ndarray  # SGS start offsets, plan order
    finish: np.ndarray
    booked: np.ndarray  # bool, plan order: the task holds people of its role
    added: int  # precedences added


class _Profile:
    """People free in a role over time: free[k] on [times[k], times[k + 1]) (the last to
    infinity)."""

    def __init__(self, pieces: list[tuple[float, float, float]]):
        self.times = [a for a, _, _ in pieces]
        self.free = [p for _, _, p in pieces]

    def earliest(self, at: float, length: float, need: float) -> float | None:
        """The earliest t >= at with `need` people free throughout [t, t + length)."""
        times, free = self.times, self.free
        k = bisect.bisect_right(times, at) - 1
        t = at
        while True:
            j = k
            while j < len(times) and (j == k or times[j] < t + length - EPS):
                if free[j] < need - TOL:
                    if j + 1 >= len(times):
                        return None
                    t, k = times[j + 1], j + 1
                    break
                j += 1
            else:
                return t

    def _split(self, x: float) -> int:
        k = bisect.bisect_right(self.times, x) - 1
        if abs(self.times[k] - x) <= EPS:
            return k
        self.times.insert(k + 1, x)
        self.free.insert(k + 1, self.free[k])
        return k + 1

    def book(self, at: float, length: float, need: float) -> None:
        a = self._split(at)
        b = self._split(at + length)
        for k in range(a, b):
            self.free[k] -= need


def available(plan: Plan, role_index: int) -> list[tuple[float, float, float]]:
    """(from, to, people) offsets: the role's headcount while it exists, 0 outside."""
    role = plan.team[role_index]

    def at(month: int) -> float:
        return offset_of(plan.start, plan.calendar, month_start(plan.start, month))

    first = at(role.from_month) if role.from_month > 1 else 0.0
    last = at(role.until_month + 1) if role.until_month is not None else math.inf
    pieces = []
    if first > 0:
        pieces.append((0.0, first, 0.0))
    if last > first:
        pieces.append((first, last, float(role.headcount)))
    if last < math.inf:
        pieces.append((max(first, last), math.inf, 0.0))
    return pieces


def level(plan: Plan, release: list[float] | None = None) -> Levelled:
    """The levelled schedule. `release` (plan order) is the earliest start of each task, as
    progress gives it (planner/progress.py): finished work sits at its actual days holding
    no one, work in progress runs from the status date holding its people (placed first,
    even over the headcount: it is under way), and nothing else starts before the status
    date."""
    net = build_network(plan, release=release)
    floor = net.releases()
    done = np.zeros(net.size, bool)  # finished: at its actual days, holding no one now
    going = np.zeros(net.size, bool)  # in progress: runs from the status date, people held
    if release is not None:
        done = np.array([plan.tasks[i].actual_finish is not None for i in net.order], bool)
        going = np.array(
            [
                plan.tasks[i].actual_start is not None and not done[p]
                for p, i in enumerate(net.order)
            ],
            bool,
        )
    n = net.size
    d = net.likely
    es, _, _, lf = passes(net, d)
    roles = {r.id: i for i, r in enumerate(plan.team)}
    owner = [-1] * n  # role index by topological position
    effort = [1.0] * n
    for p, i in enumerate(net.order):
        task = plan.tasks[i]
        if task.owner in roles and not task.milestone and d[p] > EPS:
            owner[p] = roles[task.owner]
            effort[p] = task.effort
    pieces = {r: available(plan, r) for r in set(owner) if r >= 0}
    profiles = {r: _Profile(ps) for r, ps in pieces.items()}
    first_day = {r: next((a for a, _, c in ps if c > 0), math.inf) for r, ps in pieces.items()}
    start, finish = np.zeros(n), np.zeros(n)
    booked = np.zeros(n, bool)
    waiting = [len(p) for p in net.preds]
    # work under way is placed first, at the status date, then the rule's order
    ready = [
        (-math.inf if going[p] else lf[p], es[p], net.order[p], p)
        for p in range(n)
        if not waiting[p]
    ]
    heapq.heapify(ready)
    while ready:
        *_, p = heapq.heappop(ready)
        at = max(max((finish[q] for q in net.preds[p]), default=0.0), float(floor[p]))
        r = owner[p]
        if r >= 0 and going[p]:  # already under way: its people are busy, whatever else
            profiles[r].book(at, float(d[p]), effort[p])
            booked[p] = True
        elif r >= 0 and not done[p] and effort[p] <= plan.team[r].headcount + TOL:
            t = profiles[r].earliest(max(at, first_day[r]), float(d[p]), effort[p])
            if t is not None:
                profiles[r].book(t, float(d[p]), effort[p])
                at, booked[p] = t, True
        start[p], finish[p] = at, at + d[p]
        for s in net.succs[p]:
            waiting[s] -= 1
            if not waiting[s]:
                heapq.heappush(ready, (lf[s], es[s], net.order[s], s))
    extra, offsets = _flow(plan, net, owner, effort, start, finish, booked, first_day)
    if release is not None:
        offsets = [max(a, b) for a, b in zip(offsets, release, strict=True)]
    levelled = build_network(plan, extra, offsets)
    plan_start, plan_finish, plan_booked = (np.empty(n), np.empty(n), np.empty(n, bool))
    for p, i in enumerate(net.order):
        plan_start[i], plan_finish[i], plan_booked[i] = start[p], finish[p], booked[p]
    return Levelled(levelled, plan_start, plan_finish, plan_booked, sum(len(x) for x in extra))


def _flow(
    plan: Plan,
    net: Network,
    owner: list[int],
    effort: list[float],
    start: np.ndarray,
    finish: np.ndarray,
    booked: np.ndarray,
    first_day: dict[int, float],
) -> tuple[list[list[int]], list[float]]:
    """Resource precedences (plan indices) and release offsets (plan order) for the
    levelled order: each booked task takes its people from the role's pool, in which every
    finished task puts back the people it had."""
    n = net.size
    extra: list[list[int]] = [[] for _ in plan.tasks]
    release = [0.0] * len(plan.tasks)
    by_role: dict[int, list[int]] = {}
    for p in range(n):
        if booked[p]:
            by_role.setdefault(owner[p], []).append(p)
    for r, tasks in by_role.items():
        tasks.sort(key=lambda p: (start[p], finish[p], p))
        ends = sorted(tasks, key=lambda p: (finish[p], p))
        # the pool: [people, since, task that freed them (-1: never busy)]
        pool: list[list[float]] = [[float(plan.team[r].headcount), -math.inf, -1]]
        e = 0
        for p in tasks:
            while e < len(ends) and finish[ends[e]] <= start[p] + EPS:
                q = ends[e]
                pool.append([effort[q], finish[q], q])
                e += 1
            pool.sort(key=lambda c: (c[2] >= 0, c[1]))
            need = effort[p]
            taken: list[int] = []
            while need > TOL and pool:
                chunk = pool[0]
                use = min(chunk[0], need)
                if chunk[2] >= 0:
                    taken.append(int(chunk[2]))
                chunk[0] -= use
                need -= use
                if chunk[0] <= TOL:
                    pool.pop(0)
            i = net.order[p]
            extra[i] = sorted({net.order[q] for q in taken} - {i})
            if first_day[r] > 0:
                release[i] = first_day[r]
            # the task's people go back into the pool when it finishes (`ends` above);
            # what it took is gone from the pool meanwhile
    return extra, release


def plan_network(plan: Plan) -> Network:
    """The network the plan is scheduled and simulated over: with the resource precedences
    when it says `schedule: leveled`."""
    return level(plan).network if plan.schedule == "leveled" else build_network(plan)
