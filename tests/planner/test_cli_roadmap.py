"""`ventureplan roadmap --format mermaid|tjp|ics`: the command, its output and its usage
errors (exit 2, one line, before any work), and the file it writes."""

from __future__ import annotations

import datetime as dt

import pytest
from icalendar import Calendar
from ventureplan.planner import pipeline

from tests.plugins.test_tjp import run_tj3

N = ("-n", "200")


def test_mermaid_stays_the_default(cli, small_plan):
    code, out, err = cli("roadmap", small_plan, *N)
    assert code == 0, err
    assert out.startswith("gantt\n")
    made = pipeline.report(small_plan, iterations=200)
    assert out == made.diagrams["gantt"]
    code, flow, err = cli("roadmap", small_plan, "--format", "mermaid", "--diagram", "flow", *N)
    assert code == 0 and flow == made.diagrams["flow"]


@pytest.mark.parametrize("fmt", ["tjp", "ics"])
def test_tjp_and_ics_print_the_renderers_text(cli, small_plan, fmt):
    code, out, err = cli("roadmap", small_plan, "--format", fmt, *N)
    assert code == 0, err
    made = pipeline.report(small_plan, iterations=200)
    expected = pipeline.render(made, fmt).decode("utf-8")
    if fmt == "ics":  # today's date is each event's DTSTAMP
        strip = [ln for ln in expected.splitlines() if not ln.startswith("DTSTAMP")]
        assert [ln for ln in out.splitlines() if not ln.startswith("DTSTAMP")] == strip
    else:
        assert out == expected
        assert out.startswith("# TaskJuggler project written by `ventureplan roadmap")
    assert err == ""


def test_ics_written_with_o_keeps_crlf_and_the_dates(cli, small_plan, tmp_path):
    target = tmp_path / "milestones.ics"
    code, out, err = cli("roadmap", small_plan, "-f", "ics", "-o", target, *N)
    assert code == 0 and out == "" and err == f"Wrote {target}\n"
    data = target.read_bytes()
    assert data.count(b"\r\n") == data.count(b"\n")
    cal = Calendar.from_ical(data)
    days = {str(e["SUMMARY"]): e.decoded("DTSTART") for e in cal.walk("VEVENT")}
    assert days == {
        "Milestone: Pilot launch": dt.date(2027, 1, 20),  # the day train ends: workday 13
        "Deadline: Tag tickets into 5 topics at macro-F1 of at least 0.85 on held-out data": (
            dt.date(2027, 3, 31)
        ),
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == ["milestones.ics", "plan.yaml"]


def test_tjp_written_with_o_is_what_tj3_schedules(cli, small_plan, tmp_path):
    target = tmp_path / "plan.tjp"
    code, out, err = cli("roadmap", small_plan, "--format", "tjp", "-o", target, *N)
    assert code == 0 and out == "", err
    (got,) = run_tj3([target.read_text("utf-8")])
    assert got == {
        "data": ["2027-01-04 00:00", "2027-01-13 17:00"],
        "train": ["2027-01-13 17:00", "2027-01-20 17:00"],
        "launch": ["2027-01-20 17:00", "2027-01-20 17:00"],
    }


@pytest.mark.parametrize("fmt", ["tjp", "ics"])
def test_report_takes_the_same_renderers(cli, small_plan, tmp_path, fmt):
    target = tmp_path / f"plan.{fmt}"
    code, out, err = cli("report", small_plan, "-o", target, *N)
    assert code == 0, err
    assert target.read_bytes().startswith(b"# TaskJuggler" if fmt == "tjp" else b"BEGIN:VCALENDAR")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--format", "pdf"), "Invalid value for --format: choose one of: mermaid, tjp, ics"),
        (("-f", "TJP"), "Invalid value for --format: choose one of: mermaid, tjp, ics"),
        (
            ("--format", "tjp", "--diagram", "gantt"),
            "Invalid value for --diagram: only --format mermaid has diagrams, not tjp",
        ),
        (
            ("-f", "ics", "-d", "all"),
            "Invalid value for --diagram: only --format mermaid has diagrams, not ics",
        ),
    ],
)
def test_usage_errors_exit_2_with_one_clear_line(cli, small_plan, tmp_path, args, message):
    target = tmp_path / "out.txt"
    code, out, err = cli("roadmap", small_plan, *args, "-o", target, *N)
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err
    assert not target.exists()


@pytest.mark.parametrize("fmt", ["tjp", "ics"])
def test_o_never_replaces_the_plan(cli, small_plan, fmt):
    before = small_plan.read_bytes()
    code, out, err = cli("roadmap", small_plan, "--format", fmt, "-o", small_plan)
    assert code == 1
    assert err == (
        f"error: {small_plan} is the input {small_plan}; writing there would replace it, "
        "so choose another file\n"
    )
    assert small_plan.read_bytes() == before


def test_a_plan_tj3_cannot_date_is_one_line_and_exit_1(cli, small_plan, tmp_path):
    small_plan.write_text(
        small_plan.read_text().replace("start: 2027-01-04", "start: 1969-06-02"), "utf-8"
    )
    small_plan.write_text(
        small_plan.read_text().replace("deadline: 2027-03-31", "deadline: 1969-09-30"), "utf-8"
    )
    target = tmp_path / "old.tjp"
    code, out, err = cli("roadmap", small_plan, "--format", "tjp", "-o", target, *N)
    assert code == 1 and not target.exists()
    assert err == (
        "error: TaskJuggler reads dates from 1970 to 2035 only, and the plan starts on "
        "1969-06-02; move `start` into those years to export it\n"
    )
    code, out, err = cli("roadmap", small_plan, "--format", "ics", *N)
    assert code == 0 and "DTSTART;VALUE=DATE:19690930" in out  # a calendar takes any year
