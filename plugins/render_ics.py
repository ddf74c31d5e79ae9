"""`roadmap --format ics` (and `report -o plan.ics`): the plan's milestones and goal
deadlines as all-day events for a calendar app, in the report's language.

A milestone falls on its day in the deterministic schedule (its P80 is in the description
where the simulation has it: for tasks a goal names in `delivered_by`); a goal on its
deadline. UIDs are made from the plan's name and the milestone's or goal's id, so that
importing the file again updates the events instead of adding copies.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

from ventureplan.planner import hookimpl
from ventureplan.planner.results import Report

if TYPE_CHECKING:  # icalendar is imported where a calendar is made, not when plugins load
    from icalendar import Calendar, Event

MAX_SUMMARY = 200  # characters: a calendar shows a line, the description has the rest
DROP = ("Cc", "Cs")  # control characters and lone surrogates: RFC 5545 text holds neither


def render(report: Report) -> bytes:
    return calendar(report).to_ical()


@hookimpl
def renderers() -> dict[str, object]:
    return {"ics": render}


def line(value: str, limit: int | None = None) -> str:
    """Plan text as one line of calendar text: whitespace runs become one space, control
    characters go, and past `limit` characters it is cut with an ellipsis."""
    kept = "".join(ch for ch in value if ch.isspace() or unicodedata.category(ch) not in DROP)
    text = " ".join(kept.split())
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def uid(report: Report, kind: str, item: str) -> str:
    plan = hashlib.sha256(report.plan.name.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{kind}-{item}-{plan}@ventureplan"


def _prodid() -> str:
    try:
        release = version("ventureplan")
    except PackageNotFoundError:  # run from a checkout that is not installed
        release = "dev"
    return f"-//ventureplan//ventureplan {release}//EN"


def calendar(report: Report) -> Calendar:
    from icalendar import Calendar

    plan = report.plan
    cal = Calendar()
    cal.add("prodid", _prodid())
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    name = line(plan.name, MAX_SUMMARY)
    cal.add("name", name)  # RFC 7986
    cal.add("x-wr-calname", name)  # what most calendar apps read
    # the report's date: the same plan on the same day gives the same file
    stamp = dt.datetime.combine(report.generated, dt.time(), tzinfo=dt.UTC)
    for event in [*_milestones(report), *_deadlines(report)]:
        event.add("dtstamp", stamp)
        event.add("transp", "TRANSPARENT")  # a marker on the day, not a busy block
        cal.add_component(event)
    return cal


def _event(report: Report, kind: str, item: str, day: dt.date, summary: str) -> Event:
    from icalendar import Event

    event = Event()
    event.add("uid", uid(report, kind, item))
    event.add("summary", line(summary, MAX_SUMMARY))
    event.add("dtstart", day)  # a date: an all-day event
    event.add("dtend", day + dt.timedelta(days=1))  # exclusive
    return event


def _milestones(report: Report) -> list[Event]:
    a, L = report.analysis, report.labels
    sep, times = L["colon"], a.schedule.by_id()
    critical = set(a.schedule.critical_path)
    events = []
    for t in report.plan.tasks:
        if not t.milestone:
            continue
        when = times[t.id]
        name = line(t.name or t.id)
        what = L["milestone"] + (f" · {L['phase']}{sep}{line(t.phase)}" if t.phase else "")
        lines = [what, f"{L['finish_date']}{sep}{when.finish_date.isoformat()}"]
        p80 = a.simulation.task_finish.get(t.id, {}).get("p80")
        if p80 is not None:
            lines.append(f"{L['p80_finish']}{sep}{a.date(p80).isoformat()}")
        if t.id in critical:
            lines.append(L["critical_path"])
        lines += [name, line(report.plan.name)]
        event = _event(report, "milestone", t.id, when.finish_date, f"{L['milestone']}{sep}{name}")
        event.add("description", "\n".join(lines))
        event.add("categories", [L["milestone"]])
        events.append(event)
    return events


def _deadlines(report: Report) -> list[Event]:
    a, L = report.analysis, report.labels
    sep, times = L["colon"], a.schedule.by_id()
    names = {t.id: line(t.name or t.id) for t in report.plan.tasks}
    events = []
    for g in report.plan.goals:
        if g.deadline is None:
            continue
        statement = line(g.statement)
        lines = [f"{L['deadline']} · {L['goal']} {g.id}{sep}{statement}"]
        if g.metric is not None and g.target is not None:
            lines.append(f"{L['metric']}{sep}{line(g.metric)} {g.direction} {g.target:g}")
        if g.owner:
            lines.append(f"{L['owner']}{sep}{g.owner}")
        if g.delivered_by in times:
            lines.append(_delivery(report, g.delivered_by, names[g.delivered_by]))
        lines.append(line(report.plan.name))
        event = _event(report, "goal", g.id, g.deadline, f"{L['deadline']}{sep}{statement}")
        event.add("description", "\n".join(lines))
        event.add("categories", [L["deadline"]])
        events.append(event)
    return events


def _delivery(report: Report, task: str, name: str) -> str:
    """The task that delivers a goal: its scheduled finish and its P80."""
    a, L = report.analysis, report.labels
    sep = L["colon"]
    text = f"{name}{sep}{L['finish_date']} {a.schedule.by_id()[task].finish_date.isoformat()}"
    p80 = a.simulation.task_finish.get(task, {}).get("p80")
    if p80 is not None:
        text += f"{L['sep']}{L['p80_finish']} {a.date(p80).isoformat()}"
    return text
