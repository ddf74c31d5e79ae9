"""`roadmap --format ics`: milestones and goal deadlines as all-day events that icalendar
reads back, strictly, with the schedule's dates, stable UIDs and hostile text kept inert."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from icalendar import Calendar
from icalendar.parser import Contentline
from ventureplan.planner import pipeline
from ventureplan.planner.load import LoadedPlan, validate_data
from ventureplan.planner.source import parse
from ventureplan.planner.starters import starter_text
from ventureplan.plugins.render_ics import line

from tests.hostile import CHINESE, EMOJI, HUGE, MERMAID, SCRIPT
from tests.planfactory import make_plan, milestone, task

TODAY = dt.date(2027, 1, 1)


def loaded(text: str, name: str = "plan.yaml") -> LoadedPlan:
    data, source = parse(text, name)
    return validate_data(data, source)


def _from_plan(plan) -> LoadedPlan:
    """A LoadedPlan for a Plan built in code: its JSON, loaded as a file would be."""
    return loaded(json.dumps(plan.model_dump(mode="json", by_alias=True, exclude_none=True)))


def ics(plan, **kw) -> tuple[bytes, object]:
    made = pipeline.report(
        plan if isinstance(plan, LoadedPlan) else _from_plan(plan),
        iterations=400,
        today=kw.pop("today", TODAY),
        **kw,
    )
    return pipeline.render(made, "ics"), made


def assert_valid(data: bytes) -> Calendar:
    """RFC 5545's shape: CRLF lines of at most 75 octets, folds that start with a space, no
    control characters, every content line parsed strictly, no property icalendar could
    not read, the properties a VEVENT must have."""
    assert data.endswith(b"\r\n")
    physical = data[:-2].split(b"\r\n")
    assert all(b"\n" not in p and b"\r" not in p for p in physical)
    assert all(len(p) <= 75 for p in physical), max(len(p) for p in physical)
    assert not re.search(rb"[\x00-\x08\x0a-\x1f\x7f]", data.replace(b"\r\n", b""))
    data.decode("utf-8")  # never splits a character
    unfolded = data.decode("utf-8").replace("\r\n ", "").split("\r\n")[:-1]
    for content in unfolded:
        Contentline(content, strict=True).parts()
    cal = Calendar.from_ical(data)
    for component in cal.walk():
        assert component.errors == [], (component.name, component.errors)
    assert cal["VERSION"] == "2.0" and cal["PRODID"].startswith("-//ventureplan//")
    for event in cal.walk("VEVENT"):
        for prop in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "DESCRIPTION"):
            assert prop in event, prop
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert type(start) is dt.date and end == start + dt.timedelta(days=1)  # all-day
    return cal


def events(cal: Calendar) -> dict[str, object]:
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


@pytest.mark.parametrize(("example", "lang"), [("newslens", "en"), ("newslens", "zh")])
def test_every_milestone_and_deadline_is_there_on_its_day(example, lang):
    data, made = ics(loaded(starter_text(example, lang)))
    cal = assert_valid(data)
    plan, times = made.plan, made.analysis.schedule.by_id()
    got = events(cal)
    want = {}
    for t in plan.tasks:
        if t.milestone:
            want[t.id] = ("milestone", times[t.id].finish_date, t.name)
    for g in plan.goals:
        if g.deadline:
            want[g.id] = ("goal", g.deadline, g.statement)
    assert len(got) == len(want) == 7
    L = made.labels
    for item, (kind, day, text) in want.items():
        (uid,) = [u for u in got if u.startswith(f"{kind}-{item}-")]
        event = got[uid]
        assert event.decoded("DTSTART") == day, item
        prefix = L["milestone"] if kind == "milestone" else L["deadline"]
        assert str(event["SUMMARY"]) == f"{prefix}{L['colon']}{text}"
    m = got[next(u for u in got if u.startswith("milestone-m-prototype-"))]
    assert str(m["DESCRIPTION"]).splitlines()[:2] == [
        f"{L['milestone']} · {L['phase']}{L['colon']}{plan.tasks[4].phase}",
        f"{L['finish_date']}{L['colon']}2027-01-20",
    ]
    assert str(cal["X-WR-CALNAME"]) == str(cal["NAME"]) == plan.name


def test_the_starter_in_numbers():
    data, made = ics(loaded(starter_text("newslens", "en")))
    got = events(Calendar.from_ical(data))
    quality = got[next(u for u in got if u.startswith("goal-g-quality-"))]
    assert str(quality["DESCRIPTION"]).splitlines()[:3] == [
        "Deadline · Goal g-quality: Tag English news articles into five topics at macro-F1 "
        ">= 0.90 on a held-out test set",
        "Metric: macro_f1 >= 0.9",
        "Owner: ml",
    ]
    assert quality.decoded("DTSTART") == dt.date(2027, 7, 30)
    launch = got[next(u for u in got if u.startswith("milestone-m-launch-"))]
    assert launch.decoded("DTSTART") == dt.date(2027, 4, 8)
    assert "Critical path" in str(launch["DESCRIPTION"]).splitlines()
    assert quality.decoded("DTSTAMP") == dt.datetime(2027, 1, 1, tzinfo=dt.UTC)


def test_uids_are_stable_and_unique():
    plan = loaded(starter_text("newslens", "en"))
    a, _ = ics(plan)
    b, _ = ics(plan, today=dt.date(2028, 5, 5), lang="zh")
    uids_a = [str(e["UID"]) for e in Calendar.from_ical(a).walk("VEVENT")]
    uids_b = [str(e["UID"]) for e in Calendar.from_ical(b).walk("VEVENT")]
    assert uids_a == uids_b and len(set(uids_a)) == len(uids_a)
    other = starter_text("newslens", "en").replace("name: NewsLens", "name: OtherLens", 1)
    c, _ = ics(loaded(other))
    uids_c = {str(e["UID"]) for e in Calendar.from_ical(c).walk("VEVENT")}
    assert uids_c.isdisjoint(uids_a)  # another plan's events never replace these


def test_a_goal_delivered_by_a_milestone_carries_the_p80():
    plan = make_plan(
        [task("a", 2, 4, 12), milestone("m", ["a"])],
        risks=[],
        goals=[
            {"id": "g", "statement": "Ship", "deadline": "2027-02-01", "delivered_by": "m"},
        ],
    )
    data, made = ics(plan)
    got = events(assert_valid(data))
    sim, a = made.analysis.simulation, made.analysis
    p80 = a.date(sim.task_finish["m"]["p80"]).isoformat()
    m = got[next(u for u in got if u.startswith("milestone-m-"))]
    assert f"P80 finish: {p80}" in str(m["DESCRIPTION"]).splitlines()
    g = got[next(u for u in got if u.startswith("goal-g-"))]
    assert f"m: Finish date 2027-01-07, P80 finish {p80}" in str(g["DESCRIPTION"]).splitlines()


HOSTILE = [
    "comma, semicolon; colon: backslash \\ end\\",
    "new\nline\r\nand\ttab",
    "bell\x07 nul\x00 esc\x1b[31m del\x7f c1\x9b",
    "BEGIN:VEVENT\r\nUID:evil\r\nEND:VEVENT",
    '"quoted" <b>tag</b> \u2028line separator',
    SCRIPT,
    MERMAID,
    CHINESE,
    EMOJI,
    "👩‍👩‍👧 family " * 20,
    HUGE,
]


def test_hostile_text_gives_a_valid_file_with_the_text_inert():
    tasks = [task("a", 1, 2, 3)]
    tasks += [{**milestone(f"m{i}", ["a"]), "name": h, "phase": h} for i, h in enumerate(HOSTILE)]
    goals = [
        {
            "id": f"g{i}",
            "statement": h,
            "deadline": "2027-03-01",
            "metric": "macro_f1",
            "target": 0.9,
        }
        for i, h in enumerate(HOSTILE)
    ]
    data, made = ics(make_plan(tasks, goals=goals, name=HOSTILE[3] + HUGE))
    cal = assert_valid(data)
    got = events(cal)
    assert len(got) == 2 * len(HOSTILE)
    unfolded = data.decode().replace("\r\n ", "").split("\r\n")
    assert not any(c.startswith(("UID:evil", "END:VEVENT ")) for c in unfolded)
    assert unfolded.count("BEGIN:VEVENT") == 2 * len(HOSTILE)
    for i, h in enumerate(HOSTILE):
        m = got[next(u for u in got if u.startswith(f"milestone-m{i}-"))]
        summary = str(m["SUMMARY"])
        assert summary == line(f"Milestone: {h}", 200) and len(summary) <= 200
        assert "\n" not in summary and not any(ord(c) < 32 for c in summary)
        g = got[next(u for u in got if u.startswith(f"goal-g{i}-"))]
        assert str(g["DESCRIPTION"]).splitlines()[0] == f"Deadline · Goal g{i}: {line(h)}"
    assert line("a\x00b\nc\x9b") == "ab c" and line("x" * 300, 200) == "x" * 199 + "…"
    assert str(cal["X-WR-CALNAME"]).startswith("BEGIN:VEVENT UID:evil END:VEVENTLong")
