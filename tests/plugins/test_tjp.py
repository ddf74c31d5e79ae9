"""`roadmap --format tjp`: Debian's TaskJuggler (tj3) schedules the exported project, and
every task starts and ends on the days of ventureplan's deterministic schedule.

tj3 reports instants, ventureplan days. How one reads as the other (render_tjp's docstring
says why they fall where they do):
- start: the day of the first working moment at or after tj3's start (a task that follows
  another starts, in tj3, at the instant that one ends: 17:00, or midnight in a days plan);
- end: the day of the last working moment before tj3's end, which is exclusive;
- a milestone or a task under one slot is an instant: the day of the last working moment
  before it, or, with nothing before it (the project's start), of the first one after.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
import subprocess
import tempfile
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ventureplan.planner.errors import VenturePlanError
from ventureplan.planner.load import validate_data
from ventureplan.planner.model import Plan
from ventureplan.planner.schedule import schedule
from ventureplan.planner.source import parse
from ventureplan.planner.starters import starter_text
from ventureplan.plugins.render_tjp import layout, project, quote, slot, tj_id

from tests.hostile import CHINESE, EMOJI, HUGE, MERMAID, SCRIPT, hostile_plan
from tests.planfactory import make_plan, milestone, task

TJ3_TIMEOUT_S = 300
WORK_FROM, WORK_TO = dt.time(9), dt.time(17)
TJ_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def tj3() -> str:
    found = shutil.which("tj3")
    if found is None:
        pytest.skip("tj3 is not installed (.ci/run installs it)")
    return found


def run_tj3(texts: list[str], extra: str = "") -> list[dict[str, list[str]]]:
    """Schedule each project with tj3 (at once, one process each, in its own folder) and
    return each one's schedule.csv as {id: [start, end, ...]}."""
    exe = tj3()
    with tempfile.TemporaryDirectory() as tmp:
        procs = []
        for i, text in enumerate(texts):
            folder = Path(tmp) / str(i)
            folder.mkdir()
            (folder / "plan.tjp").write_text(text + extra, "utf-8")
            procs.append(
                subprocess.Popen(
                    [exe, "--silent", "--no-color", "plan.tjp"],
                    cwd=folder,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
        out = []
        for i, proc in enumerate(procs):
            stdout, stderr = proc.communicate(timeout=TJ3_TIMEOUT_S)
            assert proc.returncode == 0, f"tj3 failed on project {i}:\n{stdout}{stderr}"
            assert "Warning" not in stdout + stderr, stdout + stderr
            out.append(_csv(Path(tmp) / str(i)))
        return out


def _csv(folder: Path) -> dict[str, list[str]]:
    with (folder / "schedule.csv").open(encoding="utf-8", newline="") as fh:
        table = list(csv.reader(fh, delimiter=";"))
    assert table[0] == ["Id", "Start", "End"]
    result = {row[0]: row[1:] for row in table[1:]}
    names = folder / "names.csv"  # a report a test appended: "id";"name" per line. tj3
    if names.exists():  # quotes a name without escaping the quotes in it: split by hand
        for line in names.read_text("utf-8").splitlines()[1:]:
            tid, name = line[1:-1].split('";"', 1)
            result[f"names:{tid}"] = [name.lstrip(" ")]  # indented by its depth
    bookings = folder / "bookings.tji"  # an export a test appended (BOOKINGS): who works when
    if bookings.exists():
        result.update(_bookings(bookings.read_text("utf-8")))
    return result


BOOKINGS = '\nexport bookings "bookings" {\n  definitions -\n  taskattributes booking\n}\n'
SUPPLEMENT = re.compile(r"supplement task (\w+) \{$")
BOOKING = re.compile(r"(?:booking (\w+) )?(\d{4}-\d\d-\d\d-\d\d:\d\d)-\+0000 \+ ([\d.]+)h")


def _bookings(text: str) -> dict[str, list[str]]:
    """tj3's exported bookings as {"bookings:" + task id: ["resource start hours", ...]}
    (start as "YYYY-MM-DD-HH:MM"), one entry per booked interval."""
    out: dict[str, list[str]] = {}
    blocks: list[str | None] = []  # the blocks open at this line: a task's id, else None
    resource = ""
    for line in text.splitlines():
        line = line.strip()
        if line.endswith("{"):
            m = SUPPLEMENT.match(line)
            blocks.append(m.group(1) if m else None)
        elif line == "}":
            blocks.pop()
        if not blocks or blocks[-1] is None:
            continue
        for m in BOOKING.finditer(line):
            resource = m.group(1) or resource  # continuation lines name no resource
            key = "bookings:" + ".".join(str(b) for b in blocks)
            out.setdefault(key, []).append(f"{resource} {m.group(2)} {m.group(3)}")
    return out


def _workday(d: dt.date, calendar: str) -> bool:
    return calendar == "days" or d.weekday() < 5


def work_from(t: dt.datetime, calendar: str) -> dt.date:
    """The day of the first working moment at or after instant t."""
    d = t.date()
    if calendar == "days" or (_workday(d, calendar) and t.time() < WORK_TO):
        return d
    d += dt.timedelta(days=1)
    while not _workday(d, calendar):
        d += dt.timedelta(days=1)
    return d


def work_until(t: dt.datetime, calendar: str) -> dt.date:
    """The day of the last working moment before instant t."""
    u = t - dt.timedelta(minutes=1)
    d = u.date()
    if calendar == "days" or (_workday(d, calendar) and u.time() >= WORK_FROM):
        return d
    d -= dt.timedelta(days=1)
    while not _workday(d, calendar):
        d -= dt.timedelta(days=1)
    return d


def tj3_days(plan: Plan, start: str, end: str) -> tuple[dt.date, dt.date]:
    """tj3's start and end instants as ventureplan's start and finish days."""
    s, e = (dt.datetime.strptime(x, "%Y-%m-%d %H:%M") for x in (start, end))
    if s == e:  # an instant
        origin = dt.datetime.combine(plan.start, dt.time())
        day = work_from(s, plan.calendar) if s == origin else work_until(s, plan.calendar)
        return day, day
    return work_from(s, plan.calendar), work_until(e, plan.calendar)


def assert_same_days(plans: list[Plan]) -> None:
    """Every task of every plan: tj3's days equal ventureplan's, exactly."""
    texts = [project(p, schedule(p)) for p in plans]
    for plan, got in zip(plans, run_tj3(texts), strict=True):
        ids = layout(plan).ids
        sched = schedule(plan)
        parents = {i.rsplit(".", 1)[0] for i in ids.values() if "." in i}
        assert set(got) == set(ids.values()) | parents  # every task, each once
        wrong = {}
        for t in sched.tasks:
            days = tj3_days(plan, *got[ids[t.id]])
            if days != (t.start_date, t.finish_date):
                wrong[t.id] = (days, (t.start_date, t.finish_date), got[ids[t.id]])
        assert wrong == {}, f"{plan.calendar} plan starting {plan.start}: {wrong}"


def starter(example: str, lang: str) -> Plan:
    data, source = parse(starter_text(example, lang), f"{example}.{lang}.yaml")
    return validate_data(data, source).plan


# --- plans with fractional days at the edges -------------------------------------------


def _edges(calendar: str, start: str) -> Plan:
    """Durations that land on, just off and just inside day boundaries, zero-length tasks
    and milestones at the start, inside a day and at a day's end."""
    likely = [0.5, 0.25, 0.25, 1 / 3, 1 / 3, 1 / 3, 0.999, 0.001, 0.9999999995, 1e-10, 2.37]
    tasks = [milestone("m-0"), {**task("z-0", 0, 0, 0), "phase": "start"}]
    prev = "z-0"
    for i, m in enumerate(likely):
        tasks.append({**task(f"{i}-edge", m, m, m + 1, [prev]), "phase": f"p{i % 3}"})
        prev = f"{i}-edge"
    tasks += [
        milestone("m-mid", ["0-edge"]),
        task("after-mid", 0, 0, 0, ["m-mid"]),
        task("tiny", 1e-4, 1e-4, 1, ["0-edge"]),
        milestone("m-end", [prev, "tiny"]),
    ]
    return make_plan(tasks, calendar=calendar, start=start)


def _chain(n: int, calendar: str) -> Plan:
    tasks = [task("c-0", 0.1, 0.3, 0.5)]
    tasks += [task(f"c-{i}", 0.1, 0.1 + (i % 7) / 10, 2, [f"c-{i - 1}"]) for i in range(1, n)]
    return make_plan(tasks, calendar=calendar, start="2027-01-09")  # a Saturday


def _fan(n: int, calendar: str) -> Plan:
    tasks = [task("root", 1, 1.5, 2)]
    tasks += [task(f"leaf-{i}", 0, i / 7, i / 7 + 1, ["root"]) for i in range(n)]
    tasks.append(milestone("join", [f"leaf-{i}" for i in range(n)]))
    tasks.append(task("after", 0.5, 0.5, 1, ["join"]))
    return make_plan(tasks, calendar=calendar)


@pytest.mark.slow
def test_starters_schedule_in_tj3_on_ventureplans_days():
    plans = [starter(e, lang) for e in ("newslens", "minimal") for lang in ("en", "zh")]
    assert_same_days(plans)


@pytest.mark.slow
def test_fractional_edges_chains_and_fans_schedule_on_the_same_days():
    plans = [
        _edges("workdays", "2027-01-04"),
        _edges("workdays", "2027-01-10"),  # a Sunday: the work starts on Monday
        _edges("days", "2027-01-09"),
        _chain(300, "workdays"),
        _chain(300, "days"),
        _fan(120, "workdays"),
        _fan(120, "days"),
    ]
    assert_same_days(plans)


def test_the_starter_reads_as_written():
    text = project(starter("newslens", "en"), schedule(starter("newslens", "en")))
    assert 'project ventureplan "NewsLens — news topic classification API" 2027-01-04' in text
    assert "  workinghours mon - fri 9:00 - 17:00\n  workinghours sat, sun off\n" in text
    assert "  timingresolution 5min\n" in text
    # phases in the order the plan first names them, with their tasks nested
    assert [m for m in re.findall(r"^task (\w+)", text, re.M)] == [
        "research",
        "development",
        "launch",
    ]
    assert (
        '  task m_prototype "Research prototype beats the baseline" {\n'
        "    # ventureplan task m-prototype (milestone)\n"
        "    depends research.fine_tune, research.taxonomy\n"
        "    milestone\n"
        "  }\n"
    ) in text
    assert "    depends research.baseline\n    length 5d\n" in text
    assert 'taskreport schedule "schedule" {\n  formats csv\n  columns id, start, end\n' in text


def test_durations_map_to_length_or_duration_on_slots():
    plan = make_plan([task("a", 1, 2.5, 3), task("b", 0, 0.37, 1, ["a"])])
    text = project(plan, schedule(plan))
    assert "  length 20h\n" in text  # 2.5 workdays of 8 hours
    # b runs from 2.5 to 2.87: slots 48 and 84 of that day (0.87 × 96 = 83.5), 36 slots
    # of 5 minutes; 0.37 × 8 h = 2 h 58 min on its own
    assert "  length 3h\n" in text
    days = make_plan([task("a", 1, 2.5, 3), task("b", 1, 3, 4, ["a"])], calendar="days")
    text = project(days, schedule(days))
    assert "  duration 60h\n" in text and "  duration 3d\n" in text
    assert "dailyworkinghours" not in text and "workinghours mon - sun 9:00 - 17:00" in text


@pytest.mark.parametrize(
    ("x", "per_day", "expected"),
    [
        (0, 96, 0),
        (3, 96, 288),
        (2.9999999995, 96, 288),  # within the schedule's tolerance: the boundary
        (3.0000000005, 96, 288),
        (2.999, 96, 287),  # just short of the boundary stays one slot inside the day
        (3.001, 96, 289),  # just past it, one slot into the next day
        (2.5, 96, 240),
        (0.37, 96, 36),
    ],
)
def test_slots_keep_each_offset_in_its_day(x, per_day, expected):
    assert slot(x, per_day) == expected


def test_long_plans_take_a_coarser_resolution():
    plan = _chain(3000, "workdays")  # 3000 tasks of up to 0.7 workdays: about 7 years
    text = project(plan, schedule(plan))
    assert re.search(r"timingresolution (\d+)min", text).group(1) == "30"


def test_ids_are_taskjuggler_ids_unique_and_stable():
    ids = ["a-b", "a_b", "a.b", "1st", "9-lives", "end", "task", "A", "a"]
    plan = make_plan([{**task(i, 1, 1, 1), "phase": "2 ph-ase"} for i in ids])
    mapped = layout(plan).ids
    leaves = [v.split(".")[1] for v in mapped.values()]
    assert leaves == ["a_b", "a_b_2", "a_b_3", "t_1st", "t_9_lives", "end", "task", "A", "a"]
    assert {v.split(".")[0] for v in mapped.values()} == {"phase_2_ph_ase"}
    assert all(TJ_ID.match(part) for v in mapped.values() for part in v.split("."))
    assert tj_id("中文", set()) == "t" and tj_id("中文", {"t"}) == "t_2"
    assert (
        tj_id("Train: the big model, " * 20, set(), "phase") == "Train_the_big_model_Train_the_bi"
    )
    assert project(plan, schedule(plan)) == project(plan, schedule(plan))


HOSTILE = [
    'say "hi" \\"quoted\\"',
    "ends with a backslash \\",
    "\\",
    "macro ${projectstart} ${undefined} $(HOME) $(PATH) ${?x}",
    "line one\nline two\r\n\ttabbed",
    "bell\x07 nul\x00 esc\x1b[31m del\x7f c1\x9b",
    "/* not a comment */ # nor this // nor this",
    "-8<-\nscissors\n->8-",
    "{braces} [brackets] 'single' `tick`",
    "\u2028line separator\u2029paragraph",
    SCRIPT,
    MERMAID,
    CHINESE,
    EMOJI,
    "👩‍👩‍👧 family",
    HUGE,
]


def _expected_name(raw: str) -> str:
    kept = "".join(c for c in raw if c.isspace() or unicodedata.category(c) not in ("Cc", "Cs"))
    line = " ".join(kept.split())
    return line + " " if line.endswith("\\") else line


def test_quoting_keeps_the_text_one_line_and_inert():
    assert quote('a "b"') == '"a \\"b\\""'
    assert quote("x ${y} $(Z)") == '"x $\u2060{y} $\u2060(Z)"'
    assert quote("tail\\") == '"tail\\ "'
    assert quote("two\nlines\x00") == '"two lines"'


@pytest.mark.slow
def test_hostile_names_come_back_from_tj3_as_written():
    tasks = [{**task(f"h-{i}", 1, 1, 2), "name": n, "phase": n} for i, n in enumerate(HOSTILE)]
    plans = [make_plan(tasks, name=n) for n in (HOSTILE[3], HOSTILE[0], HUGE)]
    plans.append(hostile_plan())
    plans.append(hostile_plan(calendar="days"))
    names = '\ntaskreport names "names" {\n  formats csv\n  columns id, name\n}\n'
    texts = [project(p, schedule(p)) for p in plans]
    results = run_tj3(texts, names)
    got = results[0]
    for i, raw in enumerate(HOSTILE):
        tid = layout(plans[0]).ids[f"h-{i}"]
        # tj3 writes a name between quotes without escaping the quotes inside
        shown = got[f"names:{tid}"][0]
        assert shown.replace("\u2060", "") == _expected_name(raw), raw[:40]
    assert "$\u2060{projectstart}" in texts[0] and "${" not in texts[0]
    assert "$\u2060(HOME)" in texts[0] and "$(" not in texts[0]
    assert_same_days(plans[3:])


def test_a_plan_outside_tj3s_years_is_one_clear_error():
    plan = make_plan([task("a", 1, 1, 1)], start="1969-12-31")
    with pytest.raises(VenturePlanError, match="TaskJuggler reads dates from 1970 to 2035 only"):
        project(plan, schedule(plan))


@pytest.mark.slow
def test_a_plan_that_runs_past_2035_is_written_as_a_span():
    plan = make_plan([task("a", 1, 400, 500), task("b", 1, 2, 3, ["a"])], start="2035-06-01")
    text = project(plan, schedule(plan))
    assert re.search(r" 2035-06-01 \+\d+d \{", text)
    assert_same_days([plan])


# --- random plans ----------------------------------------------------------------------

DURATIONS = st.one_of(
    st.integers(0, 12).map(float),
    st.sampled_from([0.5, 0.25, 1 / 3, 0.1, 0.001, 0.999, 0.9999999995, 1e-10, 2.0000000001]),
    st.floats(0, 8, allow_nan=False).map(lambda x: round(x, 3)),
    st.floats(0, 3, allow_nan=False),
)
IDS = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_.-]{0,5}\Z")
PHASES = st.sampled_from([None, "launch", "development", "research", "运营", "a-b", "a_b"])


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    n = draw(st.integers(1, 40))
    shape = draw(st.sampled_from(["random", "chain", "fan"]))
    ids = draw(st.lists(IDS, min_size=n, max_size=n, unique=True))
    tasks = []
    for i, tid in enumerate(ids):
        if shape == "chain":
            deps = ids[i - 1 : i]
        elif shape == "fan":
            deps = ids[:1] if 0 < i < n - 1 else ids[1 : n - 1] if i == n - 1 else []
        else:
            deps = draw(st.lists(st.sampled_from(ids[:i]), max_size=3, unique=True)) if i else []
        if draw(st.integers(0, 5)) == 0:
            item = milestone(tid, deps)
        else:
            m = draw(DURATIONS)
            item = task(tid, m / 2, m, m * 2 + 1, deps)
        tasks.append({**item, "phase": draw(PHASES)})
    return make_plan(
        tasks,
        calendar=draw(st.sampled_from(["workdays", "days"])),
        start=draw(st.dates(dt.date(1990, 1, 1), dt.date(2033, 12, 31))).isoformat(),
    )


@pytest.mark.slow
@settings(max_examples=8)
@given(batch=st.lists(plans(), min_size=1, max_size=3))
def test_random_plans_schedule_on_the_same_days(batch):
    assert_same_days(batch)
