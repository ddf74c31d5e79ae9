"""`roadmap --format tjp` (and `report -o plan.tjp`): the plan as a TaskJuggler project.

`tj3 plan.tjp` schedules it and writes schedule.csv (id;start;end) into the folder it runs
in; every task then starts and ends on the days ventureplan's deterministic schedule gives.

How the plan maps:
- A workdays plan works Monday to Friday, 9:00-17:00 (so 1d = 8h) and sizes tasks with
  `length`, working time; a days plan works every day and uses `duration`, calendar time.
- tj3 counts time in slots of its `timingresolution` (5 minutes, coarser for long plans so
  that tj3 stays fast). Each task gets a whole number of slots, chosen from the schedule's
  own offsets: an offset on a day boundary stays there and any other stays inside its
  day, so sums of fractional durations never round across a day. A task's exported
  length is its likely estimate to within a slot or two.
- tj3's start of a task that follows another is the instant that one ends: 17:00 on its
  last workday (midnight in a days plan); the work itself starts on the next working day,
  which is ventureplan's start date. tj3's end is the instant the work stops (exclusive):
  17:00 on the finish day, or earlier that day for a fractional day; in a days plan,
  midnight after the finish day. A milestone, or a task under one slot long, is an instant:
  the end of the work before it, and its day is the day that work ends.
- Tasks are grouped in one parent task per phase, in the order the plan first names each
  phase. Ids become TaskJuggler ids (letters, digits, underscores), unique in the file.

The blocks are written in the order TaskJuggler reads them (project, then resources, then
tasks, then reports); roles with capacity can become `resource` blocks between the project
and its tasks.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass

from ventureplan.planner import hookimpl
from ventureplan.planner.errors import VenturePlanError
from ventureplan.planner.model import Plan, Task
from ventureplan.planner.results import Report
from ventureplan.planner.schedule import EPS, Schedule, TaskTimes

CSV_REPORT = "schedule"  # tj3 writes schedule.csv
TIME_FORMAT = "%Y-%m-%d %H:%M"
WORKDAY = "9:00 - 17:00"
WORKDAY_MINUTES = 8 * 60
RESOLUTIONS = (5, 10, 15, 30, 60)  # minutes, the timingresolution values tj3 takes
MAX_SLOTS = 150_000  # tj3 takes about 0.6 s per 100,000 slots of the project's span
MARGIN_DAYS = 30  # room after the finish, so a task lengthened in tj3 still fits
TJ3_YEARS = (1970, 2035)  # the years tj3 reads in a date
MAX_ID = 32  # characters of a phase's text kept in its id
DROP = ("Cc", "Cs")  # control characters and lone surrogates: no valid file holds them


def render(report: Report) -> bytes:
    return project(report.plan, report.analysis.schedule).encode("utf-8")


@hookimpl
def renderers() -> dict[str, object]:
    return {"tjp": render}


# --- text ----------------------------------------------------------------------------


def text(value: str) -> str:
    """The text as it reads in TaskJuggler: one line (whitespace runs become one space,
    control characters go) in which tj3 expands no macro or environment variable."""
    kept = "".join(ch for ch in value if ch.isspace() or unicodedata.category(ch) not in DROP)
    line = " ".join(kept.split())
    # `${name}` and `$(NAME)` are expanded even inside strings, and nothing escapes a `$`:
    # an invisible word joiner after it keeps the text as written.
    line = line.replace("${", "$\u2060{").replace("$(", "$\u2060(")
    return line + " " if line.endswith("\\") else line  # a final `\` would escape the quote


def quote(value: str) -> str:
    """A TaskJuggler string literal. Inside "..." the only escape is \\" for a quote."""
    return '"' + text(value).replace('"', '\\"') + '"'


def tj_id(raw: str, taken: set[str], prefix: str = "t") -> str:
    """A TaskJuggler id (a letter or `_` first, then letters, digits, `_`), not yet taken."""
    base = re.sub(r"[^A-Za-z0-9_]+", "_", raw)[:MAX_ID].strip("_") or prefix
    if not (base[0].isalpha() and base.isascii()):
        base = f"{prefix}_{base}"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    taken.add(candidate)
    return candidate


# --- structure -------------------------------------------------------------------------


@dataclass
class Layout:
    """Where each task goes: its phase's parent task (None at the top level), by phase
    in the order the plan first names them, and the full TaskJuggler id of each task."""

    groups: list[tuple[str | None, str | None, list[Task]]]  # (phase, parent id, tasks)
    ids: dict[str, str]  # ventureplan task id -> full TaskJuggler id ("research.interviews")


def layout(plan: Plan) -> Layout:
    taken: set[str] = set()
    leaf = {t.id: tj_id(t.id, taken) for t in plan.tasks}
    groups: dict[str | None, list[Task]] = {}
    for t in plan.tasks:
        groups.setdefault(t.phase, []).append(t)
    parents = {p: tj_id(p, taken, "phase") for p in groups if p is not None}
    ids = {}
    out: list[tuple[str | None, str | None, list[Task]]] = []
    for phase, tasks in groups.items():
        parent = parents.get(phase) if phase is not None else None
        for t in tasks:
            ids[t.id] = f"{parent}.{leaf[t.id]}" if parent else leaf[t.id]
        if parent is None:  # tasks without a phase stay at the top level, one by one
            out += [(None, None, [t]) for t in tasks]
        else:
            out.append((phase, parent, tasks))
    order = {t.id: i for i, t in enumerate(plan.tasks)}
    out.sort(key=lambda g: order[g[2][0].id])  # as the plan first names each group
    return Layout(out, ids)


# --- time ----------------------------------------------------------------------------


def slot(x: float, per_day: int) -> int:
    """Offset x (calendar units from the start) as whole slots, keeping its day: on a day
    boundary it stays there (ventureplan's tolerance), anywhere else it stays inside its
    day. This is monotone, so the latest predecessor stays the latest and tj3 computes
    exactly these slots; and the day of every start and finish is the schedule's."""
    lo, hi = math.floor(x + EPS), math.ceil(x - EPS)
    if hi <= lo:
        return lo * per_day
    return lo * per_day + min(max(round((x - lo) * per_day), 1), per_day - 1)


def resolution(span_days: int) -> int:
    """The finest timingresolution (minutes) that keeps the project's slot count modest."""
    for minutes in RESOLUTIONS:
        if span_days * 1440 / minutes <= MAX_SLOTS:
            return minutes
    return RESOLUTIONS[-1]


def amount(minutes: int, day: int) -> str:
    """A tj3 duration: whole days, else whole hours, else minutes."""
    if minutes % day == 0:
        return f"{minutes // day}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}min"


def _span(plan: Plan, sched: Schedule) -> tuple[dt.date, int]:
    start = plan.start
    if not TJ3_YEARS[0] <= start.year <= TJ3_YEARS[1]:
        raise VenturePlanError(
            f"TaskJuggler reads dates from {TJ3_YEARS[0]} to {TJ3_YEARS[1]} only, and the plan "
            f"starts on {start.isoformat()}; move `start` into those years to export it"
        )
    last = max([sched.finish_date, start, *(t.finish_date for t in sched.tasks)])
    end = last + dt.timedelta(days=MARGIN_DAYS)
    return end, (end - start).days


# --- the file ----------------------------------------------------------------------------


def project(plan: Plan, sched: Schedule) -> str:
    """The TaskJuggler project for `plan` and its deterministic schedule."""
    end, span = _span(plan, sched)
    res = resolution(span)
    workdays = plan.calendar == "workdays"
    unit = "workdays" if workdays else "days"
    # tj3 reads a date only up to 2035; a later end is written as the span from the start
    until = f"- {end.isoformat()}" if end.year <= TJ3_YEARS[1] else f"+{span}d"
    lines = [
        "# TaskJuggler project written by `ventureplan roadmap --format tjp`.",
        f"# `tj3 FILE` writes {CSV_REPORT}.csv (id;start;end) into the folder it runs in.",
        f"# Durations are the plan's likely estimates in {unit}, on {res}-minute slots;",
        "# tj3 gives instants: a task that follows another starts when that one ends (at",
        "# day's end), its work on the next working day; an end is when the work stops.",
        f"project ventureplan {quote(plan.name)} {plan.start.isoformat()} {until} {{",
        '  timezone "UTC"',
        f"  timingresolution {res}min",
        f"  timeformat {quote(TIME_FORMAT)}",
        f"  currency {quote(plan.currency)}",
    ]
    if workdays:
        lines += [
            f"  dailyworkinghours {WORKDAY_MINUTES // 60}",
            f"  workinghours mon - fri {WORKDAY}",
            "  workinghours sat, sun off",
        ]
    else:  # `duration` counts calendar time; every day works for whoever is allocated later
        lines.append(f"  workinghours mon - sun {WORKDAY}")
    lines.append("}")
    lines += _tasks(plan, sched, res)
    lines += [
        "",
        f"taskreport {CSV_REPORT} {quote(CSV_REPORT)} {{",
        "  formats csv",
        "  columns id, start, end",
        f"  timeformat {quote(TIME_FORMAT)}",
        "}",
    ]
    return "\n".join(lines) + "\n"


def _tasks(plan: Plan, sched: Schedule, res: int) -> list[str]:
    workdays = plan.calendar == "workdays"
    day = WORKDAY_MINUTES if workdays else 1440
    per_day = day // res
    keyword, unit = ("length", "workdays") if workdays else ("duration", "days")
    place = layout(plan)
    times = sched.by_id()

    def block(t: Task, indent: str) -> list[str]:
        when: TaskTimes = times[t.id]
        slots = slot(when.early_finish, per_day) - slot(when.early_start, per_day)
        note = f"{indent}  # ventureplan task {t.id}"
        units = unit if when.duration != 1 else unit[:-1]
        note += " (milestone)" if t.milestone else f": likely {when.duration:g} {units}"
        if t.owner:
            note += f", owner {t.owner}"
        out = [f"{indent}task {place.ids[t.id].rsplit('.', 1)[-1]} {quote(t.name or t.id)} {{"]
        out.append(note)
        deps = list(dict.fromkeys(t.depends_on))
        if deps:
            out.append(f"{indent}  depends {', '.join(place.ids[d] for d in deps)}")
        if t.milestone:
            out.append(f"{indent}  milestone")
        elif slots > 0:
            out.append(f"{indent}  {keyword} {amount(slots * res, day)}")
        else:  # no duration: tj3 places it at the instant its predecessors finish
            out.append(f"{indent}  # under one {res}-minute slot: scheduled as an instant")
        out.append(f"{indent}}}")
        return out

    lines: list[str] = []
    for phase, parent, tasks in place.groups:
        lines.append("")
        if parent is None:
            lines += block(tasks[0], "")
            continue
        lines.append(f"task {parent} {quote(phase or '')} {{")
        for t in tasks:
            lines += block(t, "  ")
        lines.append("}")
    return lines
