"""`roadmap --format tjp` (and `report -o plan.tjp`): the plan as a TaskJuggler project.

`tj3 plan.tjp` schedules it and writes schedule.csv (id;start;end) into the folder it runs
in; every task of an unlevelled plan then starts and ends on the days ventureplan's
deterministic schedule gives (a levelled one tj3 levels itself, below).

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

With `schedule: leveled` tj3 levels too, by its own rules (it schedules one task at a
time, each to completion, in the order of its own path criticalness rather than
ventureplan's latest finish, so the two schedules differ):
- each role with people becomes a resource group `role` of `headcount` resources role_1 ..
  role_h. With `from_month` or `until_month`, each member is on `vacation` before the role
  exists and after it ends (an end after 2035, a date tj3 cannot read, is left out). tj3
  cannot leave a task unbooked: one that its own order puts past `until_month` waits for
  people who never come back, and tj3 reports that it cannot schedule it.
- each task ventureplan books (planner/leveling.py: an owner in the team, a duration, no
  more people than the role has, not past `until_month`) needs `effort` people of its role
  at once: it has that many allocations `allocate role_1 { alternative role_2, ..., role_h
  mandatory }` (any of the h people each; `mandatory`: a slot is booked only when all of
  them are free, and tj3 never books one person twice in a slot) and an `effort` of people
  times its slots. A fractional effort is rounded up to whole people. tj3 books people
  only on an `effort` task: a `length` or `duration` task never waits for its resources
  ("the availability of resources has no impact on the duration of the task", tj3's
  manual), so it would not level. An effort task starts at its first booked slot (9:00,
  or midnight) and ends after its last one; tj3 has no way to keep it in one piece (the
  `atomic` allocation in its code has no syntax), so where people are busy in the middle
  of it tj3 pauses the task and resumes it later, which ventureplan never does. Once booked,
  a slot is never taken back by a later task: nothing is preempted.
- a days plan works every day around the clock (0:00 - 24:00, a day of 24 hours), so that
  people work calendar days as `duration` counts them.
- tasks ventureplan leaves unbooked keep `length` or `duration` and no allocation. The
  project ends as long after the schedule's finish as the finish is after the start (at
  least 30 days), so that tj3's levelled schedule fits in it.

The blocks are written in the order TaskJuggler reads them (project, then resources, then
tasks, then reports).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass

from ventureplan.planner import hookimpl
from ventureplan.planner.budget import month_start
from ventureplan.planner.errors import VenturePlanError
from ventureplan.planner.leveling import level
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
FULL_DAY = "0:00 - 24:00"  # a levelled days plan: people work calendar days
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


def _span(plan: Plan, sched: Schedule, levelled: bool = False) -> tuple[dt.date, int]:
    start = plan.start
    if not TJ3_YEARS[0] <= start.year <= TJ3_YEARS[1]:
        raise VenturePlanError(
            f"TaskJuggler reads dates from {TJ3_YEARS[0]} to {TJ3_YEARS[1]} only, and the plan "
            f"starts on {start.isoformat()}; move `start` into those years to export it"
        )
    last = max([sched.finish_date, start, *(t.finish_date for t in sched.tasks)])
    # tj3 levels by its own rules and may finish later: room for twice the schedule
    room = max(MARGIN_DAYS, (last - start).days) if levelled else MARGIN_DAYS
    end = last + dt.timedelta(days=room)
    return end, (end - start).days


# --- people ------------------------------------------------------------------------------


@dataclass
class Staff:
    """A levelled export's people: each role's members (TaskJuggler resource ids) under its
    group, and how many of them each task ventureplan books needs at once."""

    groups: dict[str, str]  # role id -> resource group id
    members: dict[str, list[str]]  # role id -> its members' ids
    people: dict[str, int]  # booked task id -> whole people of its owner's role


def staff(plan: Plan) -> Staff:
    taken: set[str] = set()
    roles = [r for r in plan.team if r.headcount > 0]
    groups = {r.id: tj_id(r.id, taken, "r") for r in roles}
    members = {
        r.id: [tj_id(f"{groups[r.id]}_{k}", taken, "r") for k in range(1, r.headcount + 1)]
        for r in roles
    }
    heads = {r.id: r.headcount for r in roles}
    lv = level(plan)
    people = {
        t.id: max(1, min(heads[t.owner], math.ceil(t.effort - 1e-9)))
        for t, booked in zip(plan.tasks, lv.booked.tolist(), strict=True)
        if booked and t.owner in heads
    }
    return Staff(groups, members, people)


def _resources(plan: Plan, people: Staff, end: dt.date) -> list[str]:
    """One resource group per role, its members away before the role exists and after it
    ends (a date after 2035, which tj3 cannot read, is left out)."""
    lines: list[str] = []
    for role in plan.team:
        if role.id not in people.groups:
            continue
        away = []
        if role.from_month > 1:
            first = month_start(plan.start, role.from_month)
            days = min((first - plan.start).days, (end - plan.start).days)
            if days > 0:
                away.append(f"{plan.start.isoformat()} +{days}d")
        if role.until_month is not None:
            last = month_start(plan.start, role.until_month + 1)
            if last < end and last.year <= TJ3_YEARS[1]:
                away.append(f"{last.isoformat()} +{(end - last).days}d")
        lines += ["", f"resource {people.groups[role.id]} {quote(role.title)} {{"]
        for k, member in enumerate(people.members[role.id], 1):
            inner = [f"    vacation {a}" for a in away]
            title = quote(f"{role.title} {k}")
            lines += (
                [f"  resource {member} {title} {{", *inner, "  }"]
                if inner
                else [f"  resource {member} {title}"]
            )
        lines.append("}")
    return lines


# --- the file ----------------------------------------------------------------------------


def project(plan: Plan, sched: Schedule) -> str:
    """The TaskJuggler project for `plan` and its deterministic schedule."""
    levelled = plan.schedule == "leveled"
    end, span = _span(plan, sched, levelled)
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
    ]
    if levelled:
        lines += [
            "# Levelled: a task with people is an `effort` (people x length) on mandatory",
            "# allocations, from its first booked slot to its last; tj3 levels it.",
        ]
    lines += [
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
    elif levelled:  # people work the calendar days that `duration` counts
        lines += ["  dailyworkinghours 24", f"  workinghours mon - sun {FULL_DAY}"]
    else:  # `duration` counts calendar time; every day works for whoever is allocated later
        lines.append(f"  workinghours mon - sun {WORKDAY}")
    lines.append("}")
    people = staff(plan) if levelled else None
    if people is not None:
        lines += _resources(plan, people, end)
    lines += _tasks(plan, sched, res, people)
    lines += [
        "",
        f"taskreport {CSV_REPORT} {quote(CSV_REPORT)} {{",
        "  formats csv",
        "  columns id, start, end",
        f"  timeformat {quote(TIME_FORMAT)}",
        "}",
    ]
    return "\n".join(lines) + "\n"


def _allocations(members: list[str], n: int, indent: str) -> list[str]:
    """n people at once, any of the role's members each: n mandatory allocations."""
    first, rest = members[0], ", ".join(members[1:])
    spec = f"{{ alternative {rest} mandatory }}" if rest else "{ mandatory }"
    return [f"{indent}  allocate {first} {spec}"] * n


def _tasks(plan: Plan, sched: Schedule, res: int, people: Staff | None = None) -> list[str]:
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
        n = people.people.get(t.id, 0) if people is not None else 0
        if t.milestone:
            out.append(f"{indent}  milestone")
        elif slots > 0 and n and people is not None and t.owner is not None:
            out.append(f"{indent}  effort {amount(n * slots * res, day)}")
            out += _allocations(people.members[t.owner], n, indent)
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
