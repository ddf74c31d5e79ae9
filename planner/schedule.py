"""Critical-path method: early and late dates, slack and the critical path, with `likely`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from .calendar import finish_date, finish_dates, start_dates
from .leveling import plan_network
from .model import Plan
from .network import EPS, Network, passes

__all__ = ["EPS", "Schedule", "TaskTimes", "critical_chain", "passes", "schedule"]


@dataclass
class TaskTimes:
    id: str
    name: str | None
    duration: float
    early_start: float
    early_finish: float
    late_start: float
    late_finish: float
    slack: float
    critical: bool
    milestone: bool
    start_date: dt.date
    finish_date: dt.date


@dataclass
class Schedule:
    tasks: list[TaskTimes]  # in the plan's order
    duration: float
    finish_date: dt.date
    critical_path: list[str]

    def by_id(self) -> dict[str, TaskTimes]:
        return {t.id: t for t in self.tasks}


def critical_chain(net: Network, es: np.ndarray, ef: np.ndarray, critical: np.ndarray) -> list[int]:
    """One critical path, walked back from the task that finishes the project."""
    if not net.size:
        return []
    finish = ef.max()
    tol = EPS * max(1.0, finish)
    cur = max(i for i in range(net.size) if critical[i] and ef[i] >= finish - tol)
    chain = [cur]
    while True:
        options = [p for p in net.preds[cur] if critical[p] and abs(ef[p] - es[cur]) <= tol]
        if not options:
            return chain[::-1]
        cur = max(options, key=lambda p: (ef[p], -p))
        chain.append(cur)


def schedule(plan: Plan, net: Network | None = None) -> Schedule:
    if net is None:
        net = plan_network(plan)
    d = net.likely
    es, ef, ls, lf = passes(net, d)
    finish = float(ef.max()) if net.size else 0.0
    slack = ls - es
    critical = slack <= EPS * max(1.0, finish)
    starts = start_dates(plan.start, plan.calendar, np.where(net.milestone, -1.0, es))
    # a milestone is dated by the day its predecessors finish
    finishes = finish_dates(plan.start, plan.calendar, ef)
    times: list[TaskTimes | None] = [None] * net.size
    for p, plan_i in enumerate(net.order):
        task = plan.tasks[plan_i]
        times[plan_i] = TaskTimes(
            id=task.id,
            name=task.name,
            duration=float(d[p]),
            early_start=float(es[p]),
            early_finish=float(ef[p]),
            late_start=float(ls[p]),
            late_finish=float(lf[p]),
            slack=float(max(slack[p], 0.0)),
            critical=bool(critical[p]),
            milestone=task.milestone,
            # a task of no work (a milestone, or a zero estimate) happens the day its
            # predecessors finish, never the day after
            start_date=finishes[p]
            if task.milestone or d[p] <= EPS
            else min(starts[p], finishes[p]),
            finish_date=finishes[p],
        )
    return Schedule(
        tasks=[t for t in times if t is not None],
        duration=finish,
        finish_date=finish_date(plan.start, plan.calendar, finish),
        critical_path=[net.ids[i] for i in critical_chain(net, es, ef, critical)],
    )
