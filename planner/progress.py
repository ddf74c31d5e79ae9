"""Progress: the plan seen from its status date, each task's slip against the baseline, and
the earned-schedule indices.

The status date is the first day of the work that remains: a task finished before it
keeps its actual days (its duration fixed, its dependencies no longer waited for), a task
in progress runs from the status date for its `remaining` estimate, and nothing else
starts before the status date. The schedule and the Monte Carlo then run over that plan as
over any other (the simulation draws the remaining time of the work in progress; risks no
longer delay finished tasks).

Earned schedule (Lipke 2003), in the plan's calendar units from its start:
- each task's planned value is its baseline duration times its effort, earned linearly
  over its baseline days: PV(t) sums that over the tasks;
- the value earned at the status date EV counts a finished task whole and a task in
  progress by the share done, elapsed / (elapsed + remaining likely);
- ES, the earned schedule, is the earliest t at which PV(t) reaches EV; AT, the actual
  time, is the status date's offset; SPI(t) = ES / AT; the forecast duration
  IEAC(t) = PD / SPI(t), PD being the baseline's duration.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .calendar import finish_date, offset_of
from .leveling import level, plan_network
from .model import Estimate, Plan, Task
from .network import Network, build_network
from .schedule import TaskTimes

DONE, IN_PROGRESS, NOT_STARTED = "done", "in progress", "not started"


@dataclass(frozen=True)
class AsOf:
    """The plan to schedule and simulate from the status date."""

    plan: Plan  # finished tasks at their actual length, work in progress at its remaining
    release: list[float]  # the earliest offset of each task, plan order
    status: float  # the status date's offset from the start


@dataclass
class TaskProgress:
    id: str
    name: str | None
    state: str  # done, in progress, not started
    start: dt.date  # actual where known, else the forecast's
    finish: dt.date
    baseline_start: dt.date | None
    baseline_finish: dt.date | None
    slip: float | None  # finish against the baseline's, in calendar units (+ = later)


@dataclass
class Progress:
    status_date: dt.date | None
    baseline_taken: dt.date | None
    baseline_finish: dt.date | None
    finish: dt.date  # the deterministic forecast from the status date
    slip: float | None  # its finish against the baseline's, in calendar units
    # the earned schedule, where the plan has both a baseline and a status date
    actual_time: float | None = None  # AT: the status date's offset
    earned_schedule: float | None = None  # ES
    spi_t: float | None = None  # SPI(t) = ES / AT
    planned_duration: float | None = None  # PD: the baseline's duration
    forecast_duration: float | None = None  # IEAC(t) = PD / SPI(t)
    forecast_finish: dt.date | None = None  # its date
    tasks: list[TaskProgress] = field(default_factory=list)


def state(task: Task) -> str:
    if task.actual_finish is not None:
        return DONE
    return IN_PROGRESS if task.actual_start is not None else NOT_STARTED


def _offset(plan: Plan, day: dt.date) -> float:
    return offset_of(plan.start, plan.calendar, day)


def _end(plan: Plan, day: dt.date) -> float:
    """The offset at which work whose last day is `day` ends."""
    return _offset(plan, day + dt.timedelta(days=1))


def as_of(plan: Plan) -> AsOf | None:
    """The plan as it stands on its status date; None when it sets none."""
    if plan.status_date is None:
        return None
    status = _offset(plan, plan.status_date)
    release = [status] * len(plan.tasks)
    tasks: list[Task] = []
    finished: set[str] = set()
    for i, t in enumerate(plan.tasks):
        if t.actual_finish is not None:
            end = _end(plan, t.actual_finish)
            if t.milestone:
                release[i] = end
                tasks.append(t.model_copy(update={"depends_on": []}))
            else:
                assert t.actual_start is not None  # the model requires it
                begin = _offset(plan, t.actual_start)
                span = max(end - begin, 0.0)
                release[i] = begin
                fixed = Estimate(optimistic=span, likely=span, pessimistic=span)
                tasks.append(t.model_copy(update={"depends_on": [], "estimate": fixed}))
            finished.add(t.id)
        elif t.actual_start is not None:
            tasks.append(t.model_copy(update={"depends_on": [], "estimate": t.remaining}))
        else:
            tasks.append(t)
    risks = [
        r.model_copy(update={"affects": [a for a in r.affects if a not in finished]})
        if finished.intersection(r.affects)
        else r
        for r in plan.risks
    ]
    return AsOf(plan.model_copy(update={"tasks": tasks, "risks": risks}), release, status)


def network(plan: Plan) -> tuple[Plan, Network]:
    """The plan to schedule and simulate, and its network: from the status date where the
    plan sets one, levelled where it says so."""
    now = as_of(plan)
    if now is None:
        return plan, plan_network(plan)
    if plan.schedule != "leveled":
        return now.plan, build_network(now.plan, release=now.release)
    return now.plan, level(now.plan, now.release).network


def fix_actual_days(plan: Plan, tasks: list[TaskTimes]) -> None:
    """Show the actual days of work begun: a schedule's TaskTimes, in the plan's order."""
    for t, times in zip(plan.tasks, tasks, strict=True):
        if t.actual_start is not None:
            times.start_date = t.actual_start
        if t.actual_finish is not None:  # done: no longer on any path that matters
            times.finish_date = t.actual_finish
            times.slack, times.critical = 0.0, False
            if t.milestone:
                times.start_date = t.actual_finish


def measure(
    plan: Plan, finish: dt.date, starts: list[dt.date], finishes: list[dt.date]
) -> Progress | None:
    """Slip and earned schedule for `plan`, given its forecast: the deterministic finish and
    each task's start and finish days (plan order). None when the plan has neither a status
    date nor a baseline."""
    if plan.status_date is None and plan.baseline is None:
        return None
    base = {b.id: b for b in plan.baseline.tasks} if plan.baseline else {}
    rows: list[TaskProgress] = []
    for t, start, end in zip(plan.tasks, starts, finishes, strict=True):
        b = base.get(t.id)
        slip = None if b is None else _offset(plan, end) - _offset(plan, b.finish)
        rows.append(
            TaskProgress(
                t.id,
                t.name,
                state(t),
                start,
                end,
                b.start if b else None,
                b.finish if b else None,
                slip,
            )
        )
    baseline = plan.baseline
    slip = None if baseline is None else _offset(plan, finish) - _offset(plan, baseline.finish)
    out = Progress(
        plan.status_date,
        baseline.taken if baseline else None,
        baseline.finish if baseline else None,
        finish,
        slip,
        tasks=rows,
    )
    if baseline is None or plan.status_date is None:
        return out
    at = _offset(plan, plan.status_date)
    es, pd = earned_schedule(plan)
    out.actual_time, out.earned_schedule, out.planned_duration = at, es, pd
    if at > 0:
        out.spi_t = es / at
        if out.spi_t > 0:
            out.forecast_duration = pd / out.spi_t
            out.forecast_finish = finish_date(plan.start, plan.calendar, out.forecast_duration)
    return out


def earned_schedule(plan: Plan) -> tuple[float, float]:
    """ES at the status date and PD, the baseline's duration (calendar units from the start)."""
    assert plan.baseline is not None and plan.status_date is not None
    status = _offset(plan, plan.status_date)
    spans: list[tuple[float, float, float]] = []  # baseline start, finish, value
    earned = 0.0
    tasks = {t.id: t for t in plan.tasks}
    pd = 0.0
    for b in plan.baseline.tasks:
        t = tasks.get(b.id)
        lo, hi = _offset(plan, b.start), _end(plan, b.finish)
        pd = max(pd, hi)
        if t is None or t.milestone:
            continue
        value = (hi - lo) * t.effort
        spans.append((lo, hi, value))
        if t.actual_finish is not None:
            earned += value
        elif t.actual_start is not None and t.remaining is not None:
            elapsed = max(status - _offset(plan, t.actual_start), 0.0)
            total = elapsed + t.remaining.likely
            earned += value * (elapsed / total if total > 0 else 1.0)
    pd = max(pd, _end(plan, plan.baseline.finish))
    return _reach(spans, earned), pd


def planned_value(spans: list[tuple[float, float, float]], t: float) -> float:
    return sum(v * min(max((t - lo) / (hi - lo), 0.0), 1.0) for lo, hi, v in spans if hi > lo)


def _reach(spans: list[tuple[float, float, float]], earned: float) -> float:
    """The earliest t at which the planned value reaches `earned` (PV is piecewise linear)."""
    if earned <= 0 or not spans:
        return 0.0
    points = sorted({0.0, *(lo for lo, _, _ in spans), *(hi for _, hi, _ in spans)})
    tol = 1e-9 * max(1.0, earned)
    before, pv_before = points[0], planned_value(spans, points[0])
    for x in points[1:]:
        pv = planned_value(spans, x)
        if pv >= earned - tol:
            if pv - pv_before <= tol:
                return before
            return before + (x - before) * (earned - pv_before) / (pv - pv_before)
        before, pv_before = x, pv
    return points[-1]  # more earned than the baseline planned: its whole duration
