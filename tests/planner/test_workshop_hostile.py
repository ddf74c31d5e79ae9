"""Workshop sheets written to break the merge (issue 10 §15): numbers that are not finite or
absurdly large, nested values, files that are not sheets, a second sheet from one person,
names that cannot be file names. Each is one located line on stderr, exit 1, and the plan
exactly as it was; what the merge does write always analyzes."""

from __future__ import annotations

import json
import math
import os
import re

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from ventureplan.planner import hookimpl, pipeline
from ventureplan.planner.errors import Finding
from ventureplan.planner.load import load_plan
from ventureplan.planner.plugin_manager import Manager

from tests.conftest import GOOD

SMALL = (GOOD / "small.yaml").read_text("utf-8")
WHO = ("ana", "ben", "chen")


@pytest.fixture
def sheets(cli, small_plan):
    code, out, err = cli("workshop", "estimates", small_plan, "--participants", ",".join(WHO))
    assert code == 0, err
    return {who: small_plan.parent / f"plan.estimates.{who}.yaml" for who in WHO}


def edit(path, old, new):
    text = path.read_text("utf-8")
    assert old in text, (old, text)
    path.write_text(text.replace(old, new, 1), "utf-8")


def refused(cli, plan, *args):
    """Run the merge; it must fail with exit 1, nothing on stdout, the plan unchanged.
    Returns stderr's lines."""
    before = plan.read_bytes()
    code, out, err = cli("workshop", "merge", plan, *args)
    assert (code, out) == (1, ""), (code, out, err)
    assert "Traceback" not in err
    assert plan.read_bytes() == before
    return err.splitlines()


# --- what is written must analyze ----------------------------------------------------


def test_1e308_in_a_sheet_is_refused_at_its_cell(cli, small_plan, sheets):
    """The median of (15, 15, 1e308) is 15, so the old merge wrote the plan and said nothing."""
    edit(sheets["ana"], "pessimistic: 15", "pessimistic: 1e308")
    assert refused(cli, small_plan, *sheets.values()) == [
        f"{sheets['ana']}:7:49: error: tasks.data.pessimistic: participant ana: data: "
        "pessimistic must be between 0 and 36,500 (working days), got 1e+308"
    ]


def test_1e308_from_every_sheet_is_refused_too(cli, small_plan, sheets):
    for path in sheets.values():
        edit(path, "pessimistic: 15", "pessimistic: 1e308")
    lines = refused(cli, small_plan, *sheets.values())
    assert len(lines) == 3
    assert all(
        "pessimistic must be between 0 and 36,500 (working days), got 1e+308" in ln for ln in lines
    )


def test_estimates_past_the_schedule_span_limit_are_refused(cli, small_plan):
    """Every estimate is within 36,500, but three in a row at their pessimistic reach
    109,500 workdays, past the 100,000 a plan may span: refused, the plan unchanged."""
    plan = SMALL.replace(
        "  - id: launch\n",
        "  - id: deploy\n    name: Deploy\n    owner: ml\n"
        "    estimate: {optimistic: 1, likely: 2, pessimistic: 3}\n"
        "    depends_on: [train]\n  - id: launch\n",
    ).replace("    depends_on: [train]\nrisks:", "    depends_on: [deploy]\nrisks:")
    small_plan.write_text(plan, "utf-8")
    code, out, err = cli("workshop", "estimates", small_plan, "-p", "ana,ben")
    assert code == 0, err
    paths = [small_plan.parent / f"plan.estimates.{w}.yaml" for w in ("ana", "ben")]
    for path in paths:
        text = path.read_text("utf-8")
        path.write_text(re.sub(r"pessimistic: \d+", "pessimistic: 36500", text), "utf-8")
    [line] = refused(cli, small_plan, *paths)
    assert line.startswith(f"error: {small_plan}: the change would make the plan invalid (")
    assert "runs 109,500 workdays, past the limit of 100,000" in line
    assert line.endswith("; the plan is unchanged")


class StrictReviewer:
    """A plugin whose lint makes `analyze` fail on any pessimistic estimate over 100."""

    @hookimpl
    def plan_checks(self, plan):
        return [
            Finding("too-slow", f"{t.id} may take {t.estimate.pessimistic:g}", path=("tasks", i))
            for i, t in enumerate(plan.tasks)
            if t.estimate is not None and t.estimate.pessimistic > 100
        ]


@pytest.fixture
def strict_plugins(monkeypatch):
    def manager():
        pm = Manager()
        pm.load_entry_points()
        pm.register(StrictReviewer(), name="strict")
        return pm

    monkeypatch.setattr(pipeline, "get_plugin_manager", manager)


def test_a_merge_the_analysis_refuses_is_not_written(cli, small_plan, sheets, strict_plugins):
    """Valid by the schema, but `analyze` would fail on it: the merge says why and writes
    nothing (the old merge wrote it, and then `analyze` and `report` failed)."""
    for path in sheets.values():
        edit(path, "pessimistic: 15", "pessimistic: 150")
    [line] = refused(cli, small_plan, *sheets.values())
    assert line == (
        f"error: {small_plan}: the merged plan would not analyze ({small_plan}:37:5: error: "
        "tasks[0]: data may take 150); the plan is unchanged"
    )
    # and where the analysis is content, the same merge is written
    for path in sheets.values():
        edit(path, "pessimistic: 150", "pessimistic: 90")
    code, out, err = cli("workshop", "merge", small_plan, *sheets.values())
    assert code == 0, err
    assert load_plan(small_plan).plan.tasks[0].estimate.pessimistic == 90


def test_an_analysis_that_crashes_on_the_merged_plan_blocks_the_write(
    cli, small_plan, sheets, monkeypatch
):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("float division by zero")

    monkeypatch.setattr(pipeline, "report", broken)
    edit(sheets["ana"], "likely: 5, pessimistic: 12", "likely: 6, pessimistic: 12")
    edit(sheets["ben"], "likely: 5, pessimistic: 12", "likely: 6, pessimistic: 12")
    assert refused(cli, small_plan, *sheets.values()) == [
        f"error: {small_plan}: the analysis fails on the merged plan (ZeroDivisionError: "
        "float division by zero); please report this with the plan and the sheets; "
        "the plan is unchanged"
    ]


# --- every cell read defensively -----------------------------------------------------

DATA = "likely: 8, pessimistic: 15"
RISK = "probability: 0.3, impact: 4"


@pytest.mark.parametrize(
    ("old", "new", "where", "message"),
    [
        (
            DATA,
            "likely: 8, pessimistic: .nan",
            "7:49 tasks.data.pessimistic",
            "data: pessimistic must be a finite number, not nan",
        ),
        (
            DATA,
            "likely: .inf, pessimistic: 15",
            "7:33 tasks.data.likely",
            "data: likely must be a finite number, not inf",
        ),
        (
            DATA,
            "likely: -.inf, pessimistic: 15",
            "7:33 tasks.data.likely",
            "data: likely must be a finite number, not -inf",
        ),
        (
            RISK,
            "probability: .nan, impact: 4",
            "10:28 risks.r-quality.probability",
            "r-quality: probability must be a finite number, not nan",
        ),
        (
            RISK,
            "probability: 0.3, impact: .nan",
            "10:41 risks.r-quality.impact",
            "r-quality: impact must be a finite number, not nan",
        ),
        (
            RISK,
            "probability: 0.3, impact: .inf",
            "10:41 risks.r-quality.impact",
            "r-quality: impact must be a finite number, not inf",
        ),
        (
            RISK,
            "probability: 0.3, impact: 1e308",
            "10:41 risks.r-quality.impact",
            "r-quality: impact must be a whole number from 1 to 5",
        ),
        (
            DATA,
            "likely: 8, pessimistic: 99999999999999999999",
            "7:49 tasks.data.pessimistic",
            "data: pessimistic must be between 0 and 36,500 (working days), got a number of 20 digits",
        ),
        (
            DATA,
            "likely: 8, pessimistic: -1",
            "7:49 tasks.data.pessimistic",
            "data: pessimistic must be between 0 and 36,500 (working days), got -1",
        ),
        (
            DATA,
            "likely: 8, pessimistic: 15.0000000000000000000000001",
            "7:49 tasks.data.pessimistic",
            "data: pessimistic has 27 digits; write it with at most 20",
        ),
        (
            DATA,
            "likely: true, pessimistic: 15",
            "7:33 tasks.data.likely",
            "data: likely must be a number, not true",
        ),
        (
            DATA,
            "likely: 2027-01-04, pessimistic: 15",
            "7:33 tasks.data.likely",
            "data: likely must be a number, not a date (2027-01-04)",
        ),
        (
            DATA,
            "likely: '=B2*1.5', pessimistic: 15",
            "7:33 tasks.data.likely",
            "data: likely must be a number, not a formula ('=B2*1.5'); write the number itself",
        ),
        (
            DATA,
            "likely: '#DIV/0!', pessimistic: 15",
            "7:33 tasks.data.likely",
            "data: likely must be a number, not text '#DIV/0!'",
        ),
        (
            DATA,
            "likely: , pessimistic: 15",
            "7:33 tasks.data.likely",
            "data: likely must be a number, not nothing",
        ),
        (
            DATA,
            "likely: {days: 8}, pessimistic: 15",
            "7:33 tasks.data.likely",
            "data: likely must be a number, not a mapping",
        ),
        (
            DATA,
            "likely: [8, 9], pessimistic: 15",
            "7:33 tasks.data.likely",
            "data: likely must be a number, not a list",
        ),
        (
            DATA,
            "likely: 8, pessimistic: 15, confidence: 0.9",
            "7:53 tasks.data.confidence",
            "data: unknown field 'confidence'",
        ),
    ],
)
def test_a_hostile_cell_is_one_located_line(cli, small_plan, sheets, old, new, where, message):
    edit(sheets["ana"], old, new)
    at, path = where.split()
    assert refused(cli, small_plan, *sheets.values()) == [
        f"{sheets['ana']}:{at}: error: {path}: participant ana: {message}"
    ]


def test_a_5000_digit_number_is_one_located_line(cli, small_plan, sheets):
    edit(sheets["ana"], "pessimistic: 15", "pessimistic: " + "9" * 5000)
    [line] = refused(cli, small_plan, *sheets.values())
    assert line.startswith(f"{sheets['ana']}:7:49: error: ")
    assert "5,000 digits" in line and len(line) < 300


def test_deep_nesting_is_one_located_line(cli, small_plan, sheets):
    edit(sheets["ana"], "likely: 8,", "likely: " + "[" * 50_000 + "]" * 50_000 + ",")
    [line] = refused(cli, small_plan, *sheets.values())
    assert line.startswith(f"{sheets['ana']}:7:") and "nested" in line


@pytest.mark.parametrize(
    "body",
    [
        '{"participant": "zed", "tasks": {"data": {"optimistic": NaN, "likely": 8, "pessimistic": 15}}}',
        '{"participant": "zed", "tasks": {"data": {"optimistic": 1e999, "likely": 8, "pessimistic": 15}}}',
        '{"participant": "zed", "tasks": {"data": {"optimistic": ' + "9" * 5000 + "}}}",
        '{"participant": "zed", "tasks": ' + "[" * 50_000 + "]" * 50_000 + "}",
        '{"participant": ["zed"], "tasks": {"data": [[[5]]]}}',
    ],
)
def test_a_hostile_json_sheet_is_located_errors(cli, small_plan, sheets, body):
    sheet = small_plan.parent / "zed.json"
    sheet.write_text(body, "utf-8")
    lines = refused(cli, small_plan, sheets["ana"], sheet)
    assert lines and all(re.match(rf"{re.escape(str(sheet))}:\d+:\d+: error: ", ln) for ln in lines)


def test_a_json_sheet_that_is_right_merges(cli, small_plan, sheets):
    sheet = small_plan.parent / "zed.json"
    doc = {
        "participant": "zed",
        "tasks": {
            "data": {"optimistic": 5, "likely": 9, "pessimistic": 15},
            "train": {"optimistic": 3, "likely": 5, "pessimistic": 12},
        },
        "risks": {"r-quality": {"probability": 0.3, "impact": 4}},
    }
    sheet.write_text(json.dumps(doc), "utf-8")
    code, out, err = cli("workshop", "merge", small_plan, sheets["ana"], sheet, "--json")
    assert code == 0, err
    assert json.loads(out)["tasks"]["data"]["likely"] == 8.5


def test_blank_lines_and_comments_are_fine(cli, small_plan, sheets):
    edit(sheets["ana"], "tasks:\n", "\n\n# my numbers\ntasks:\n\n")
    code, out, err = cli("workshop", "merge", small_plan, *sheets.values(), "--dry-run")
    assert code == 0, err


def test_an_empty_row_is_named(cli, small_plan, sheets):
    edit(sheets["ana"], "  data: {optimistic: 5, likely: 8, pessimistic: 15}", "  data:")
    assert refused(cli, small_plan, *sheets.values()) == [
        f"{sheets['ana']}:7:8: error: tasks.data: participant ana: data: give the numbers as "
        "{optimistic: …, likely: …, pessimistic: …}, not nothing"
    ]


def test_a_spreadsheet_error_pasted_unquoted_is_one_located_line(cli, small_plan, sheets):
    """`#` starts a YAML comment, so `likely: #DIV/0!` cuts the line short: a syntax error."""
    edit(sheets["ana"], "likely: 8,", "likely: #DIV/0!,")
    [line] = refused(cli, small_plan, *sheets.values())
    assert re.match(rf"{re.escape(str(sheets['ana']))}:[78]:\d+: error: ", line), line


def test_a_wrong_header_is_named(cli, small_plan, sheets):
    edit(sheets["ana"], "tasks:", "Tasks:")
    lines = refused(cli, small_plan, *sheets.values())
    assert (
        f"{sheets['ana']}:6:1: error: Tasks: participant ana: unknown field 'Tasks'; "
        "a sheet has participant, tasks and risks"
    ) in lines
    assert (
        f"{sheets['ana']}:5:1: error: tasks: participant ana: task 'data' is missing; "
        "keep every line, change only numbers"
    ) in lines


def test_a_sheet_for_another_plan_is_one_line(cli, small_plan, sheets):
    text = sheets["ana"].read_text("utf-8")
    for old, new in (("data:", "d1:"), ("train:", "t1:"), ("r-quality:", "r1:")):
        text = text.replace(old, new)
    sheets["ana"].write_text(text, "utf-8")
    assert refused(cli, small_plan, *sheets.values()) == [
        f"{sheets['ana']}:7:3: error: tasks: participant ana: none of the sheet's 3 tasks and "
        "risks is in the plan 'Small test venture': is this a sheet for another plan? Write "
        "this plan's sheets with `ventureplan workshop estimates`"
    ]


def test_a_hostile_participant_name_in_a_sheet(cli, small_plan, sheets):
    edit(sheets["ana"], "participant: ana", 'participant: "\\e]0;pwned\\a' + "x" * 300 + '"')
    [line] = refused(cli, small_plan, *sheets.values())
    assert line.startswith(f"{sheets['ana']}:5:14: error: participant: participant ")
    assert line.endswith("the participant's name must be 1 to 64 printable characters on one line")
    assert "\x1b" not in line and "\x07" not in line and len(line) < 400


def test_a_participant_that_is_not_a_name(cli, small_plan, sheets):
    edit(sheets["ana"], "participant: ana", "participant: {first: Ana}")
    assert refused(cli, small_plan, *sheets.values()) == [
        f"{sheets['ana']}:5:14: error: participant: participant ana: the participant must be "
        "a name, not a mapping"
    ]


def test_many_problems_are_capped(cli, small_plan, sheets):
    extra = "".join(f"  x{i}: {{optimistic: 1, likely: 1, pessimistic: 1}}\n" for i in range(40))
    edit(sheets["ana"], "risks:", extra + "risks:")
    lines = refused(cli, small_plan, *sheets.values())
    assert len(lines) == 21
    assert lines[-1].endswith("participant ana: and 20 more problems in this sheet")


# --- files that are not sheets -------------------------------------------------------


def test_files_that_are_not_sheets(cli, small_plan, sheets, tmp_path):
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    xlsx = tmp_path / "sheet.xlsx"
    xlsx.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"participant: ana\n\x00\x01")
    empty = tmp_path / "empty.yaml"
    empty.write_bytes(b"")
    csv = tmp_path / "sheet.csv"
    csv.write_text("id,optimistic,likely,pessimistic\ndata,5,8,15\n", "utf-8")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("participant: José\n".encode("latin-1"))
    missing = tmp_path / "missing.yaml"
    lines = refused(
        cli, small_plan, sheets["ana"], folder, fifo, xlsx, binary, empty, csv, latin, missing
    )
    assert lines == [
        f"{folder}:1:1: error: this is a folder, not an estimate sheet",
        f"{fifo}:1:1: error: this is a device, pipe or socket, not an estimate sheet",
        f"{xlsx}:1:1: error: this is a spreadsheet or another ZIP file; an estimate sheet is "
        "the YAML text file `ventureplan workshop estimates` writes, edited in a text editor",
        f"{binary}:2:1: error: this is a binary file, not an estimate sheet (YAML text)",
        f"{empty}:1:1: error: the sheet is empty; write a new one with "
        "`ventureplan workshop estimates`",
        f"{csv}:1:1: error: an estimate sheet is a mapping (participant, tasks, risks), and "
        "this file holds something else: is it a sheet from `ventureplan workshop estimates`?",
        f"{latin}:1:17: error: the file is not UTF-8 (byte 0xE9) (fix: save the file as UTF-8)",
        f"{missing}:1:1: error: no such file",
    ]


def test_a_device_is_refused_without_reading_it(cli, small_plan, sheets):
    assert refused(cli, small_plan, sheets["ana"], "/dev/zero") == [
        "/dev/zero:1:1: error: this is a device, pipe or socket, not an estimate sheet"
    ]


def test_a_huge_file_is_refused_before_it_is_read(cli, small_plan, sheets, tmp_path):
    huge = tmp_path / "huge.yaml"
    with open(huge, "wb") as fh:
        fh.truncate(2 * 2**30)  # 2 GiB, sparse: only the limit's worth is ever read
    [line] = refused(cli, small_plan, sheets["ana"], huge)
    assert line == (
        f"{huge}:1:1: error: the file is over 270,336 bytes, far more than an estimate sheet "
        "for this plan needs: is it the right file?"
    )


def test_the_plan_given_as_a_sheet(cli, small_plan, sheets):
    assert refused(cli, small_plan, sheets["ana"], small_plan) == [
        f"{small_plan}:1:1: error: this is the plan itself; name the estimate sheets after it"
    ]


# --- one sheet per participant -------------------------------------------------------


def test_two_sheets_from_one_participant_are_refused_naming_both(cli, small_plan, sheets):
    """Keyed by participant, the second sheet silently replaced the first. Counting both
    would give one person two votes in the median, so it is an error naming both files."""
    copy = small_plan.parent / "ana-again.yaml"
    copy.write_text(sheets["ana"].read_text("utf-8").replace("likely: 8", "likely: 12"))
    assert refused(cli, small_plan, *sheets.values(), copy) == [
        f"{copy}:5:1: error: participant: participant ana: {sheets['ana']} is from 'ana' "
        "too; each person's numbers count once, so drop one of the two sheets or correct "
        "its participant"
    ]


def test_names_differing_only_in_case_are_one_participant(cli, small_plan, sheets):
    edit(sheets["ben"], "participant: ben", "participant: Ana")
    [line] = refused(cli, small_plan, *sheets.values())
    assert line.startswith(f"{sheets['ben']}:5:1: error: participant: participant Ana: ")
    assert f"{sheets['ana']} is from 'ana' too" in line


def test_the_same_sheet_given_twice(cli, small_plan, sheets):
    again = str(sheets["ana"].parent / "." / sheets["ana"].name)
    assert refused(cli, small_plan, *sheets.values(), again) == [
        f"{again}:1:1: error: this sheet is given twice (also as {sheets['ana']}); "
        "name each sheet once"
    ]


# --- names that become file names, and the folder -------------------------------------


def test_a_300_character_name_is_refused_before_anything_is_written(cli, small_plan):
    code, out, err = cli("workshop", "estimates", small_plan, "-p", "ana," + "a" * 300)
    assert (code, out) == (1, "")
    assert err == (
        f"error: participant '{'a' * 40}…': the name is 300 characters; use 1 to 64 letters, "
        "digits, '-', '_' or '.', starting with a letter or digit\n"
    )
    assert sorted(p.name for p in small_plan.parent.iterdir()) == ["plan.yaml"]


@pytest.mark.parametrize(
    ("names", "message"),
    [
        ("ana,.hidden", "participant '.hidden': use 1 to 64"),
        ("ana,-rf", "participant '-rf': use 1 to 64"),
        ("ana,a/b", "participant 'a/b': use 1 to 64"),
        ("ana,..", "participant '..': use 1 to 64"),
        ("ana,a\x1b[2Jb", "participant 'a\\x1b[2Jb': use 1 to 64"),
        (
            "ana,Ana",
            "participant 'Ana' is named twice (as 'ana' and 'Ana'); each person gets one sheet",
        ),
    ],
)
def test_names_that_cannot_be_file_names(cli, small_plan, names, message):
    code, out, err = cli("workshop", "estimates", small_plan, "-p", names)
    assert (code, out) == (1, "")
    assert err.startswith(f"error: {message}") and err.count("\n") == 1
    assert sorted(p.name for p in small_plan.parent.iterdir()) == ["plan.yaml"]


def test_a_file_name_too_long_for_the_file_system(cli, tmp_path):
    plan = tmp_path / ("p" * 200 + ".yaml")
    plan.write_text(SMALL, "utf-8")
    code, out, err = cli("workshop", "estimates", plan, "-p", "x" * 40)
    assert (code, out) == (1, "")
    assert err == (
        f"error: participant '{'x' * 40}': the sheet's file name would be 256 bytes, over the "
        "240 a file name may have; use a shorter name or a plan file with a shorter name\n"
    )


def test_names_yaml_would_misread_are_quoted(cli, small_plan):
    code, out, err = cli("workshop", "estimates", small_plan, "-p", "true,null,1e5,0123,李雷")
    assert code == 0, err
    paths = [
        small_plan.parent / f"plan.estimates.{w}.yaml"
        for w in ("true", "null", "1e5", "0123", "李雷")
    ]
    assert "participant: '1e5'\n" in paths[2].read_text("utf-8")
    assert "participant: 李雷\n" in paths[4].read_text("utf-8")
    code, out, err = cli("workshop", "merge", small_plan, *paths, "--json")
    assert code == 0, err
    assert json.loads(out)["participants"] == ["true", "null", "1e5", "0123", "李雷"]


def test_a_missing_out_folder_is_named_before_anything_is_written(cli, small_plan):
    missing = small_plan.parent / "sheets"
    code, out, err = cli("workshop", "estimates", small_plan, "-p", "ana", "--out", missing)
    assert (code, out) == (1, "")
    assert err == (
        f"error: the folder {missing} (--out) does not exist; create it first, or "
        "leave out --out to write the sheets beside the plan\n"
    )
    assert not missing.exists()


def test_out_that_is_a_file(cli, small_plan):
    code, out, err = cli("workshop", "estimates", small_plan, "-p", "ana", "--out", small_plan)
    assert (code, out) == (1, "")
    assert err == (f"error: {small_plan} (--out) is not a folder; name the folder for the sheets\n")


def test_a_sheet_path_taken_by_a_folder_stops_every_sheet(cli, small_plan):
    (small_plan.parent / "plan.estimates.ben.yaml").mkdir()
    code, out, err = cli("workshop", "estimates", small_plan, "-p", "ana,ben")
    assert (code, out) == (1, "")
    assert (
        err
        == f"error: {small_plan.parent}/plan.estimates.ben.yaml is a folder; name a file to write\n"
    )
    assert not (small_plan.parent / "plan.estimates.ana.yaml").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes in a read-only folder")
def test_an_unwritable_out_folder(cli, small_plan):
    folder = small_plan.parent / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        code, out, err = cli("workshop", "estimates", small_plan, "-p", "ana", "--out", folder)
    finally:
        folder.chmod(0o700)
    assert (code, out) == (1, "")
    assert err.startswith(f"error: cannot write in the folder {folder} (--out): ")


def test_an_out_folder_nobody_can_write_in(cli, small_plan):
    """Even root cannot make a file in /proc."""
    code, out, err = cli("workshop", "estimates", small_plan, "-p", "ana", "--out", "/proc")
    assert (code, out) == (1, "")
    assert err.startswith("error: cannot write in the folder /proc (--out): ")
    assert err.count("\n") == 1


def test_sheets_leave_no_temporary_files(cli, small_plan):
    code, out, err = cli("workshop", "estimates", small_plan, "-p", "ana,ben")
    assert code == 0, err
    names = sorted(p.name for p in small_plan.parent.iterdir() if not p.name.endswith(".lock"))
    assert names == ["plan.estimates.ana.yaml", "plan.estimates.ben.yaml", "plan.yaml"]


def test_plan_text_cannot_break_out_of_a_sheet_comment(cli, small_plan):
    small_plan.write_text(
        SMALL.replace("name: Label 2,000 tickets", 'name: "Label\\nparticipant: mallory\\x07"'),
        "utf-8",
    )
    code, out, err = cli("workshop", "estimates", small_plan, "-p", "ana")
    assert code == 0, err
    sheet = small_plan.parent / "plan.estimates.ana.yaml"
    assert "# Label participant: mallory?\n" in sheet.read_text("utf-8")
    code, out, err = cli("workshop", "merge", small_plan, sheet, "--json")
    assert code == 0, err
    assert json.loads(out)["participants"] == ["ana"]


# --- generated sheets ----------------------------------------------------------------

CELLS = [
    ("data", "optimistic", "5"),
    ("data", "likely", "8"),
    ("data", "pessimistic", "15"),
    ("train", "optimistic", "3"),
    ("train", "likely", "5"),
    ("train", "pessimistic", "12"),
    ("r-quality", "probability", "0.3"),
    ("r-quality", "impact", "4"),
]
floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -1e308, 5e-324, 36500.0, 36500.0001]),
)
ints = st.one_of(st.integers(-10, 40_000), st.integers(-(10**600), 10**600))
scalars = st.one_of(floats, ints, st.booleans(), st.none(), st.text(max_size=30))
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def yaml_token(value):
    """A value as YAML flow text (a string raw, unquoted, half the time)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return json.dumps(value)


raw_text = st.text(max_size=20).map(lambda s: s.replace("\n", " "))
NUMBERS = [".nan", ".NaN", ".inf", "-.inf", "1e308", "1e999", "9" * 5000, "1" + "0" * 30, "0x1F"]
OTHERS = ["true", "~", "[1, [2]]", "{a: {b: 1}}", "2027-01-04", "'=A1+B1'", "#DIV/0!", "*x"]
yaml_cells = st.one_of(
    st.sampled_from(NUMBERS),
    st.sampled_from([*OTHERS, "!!set {}", "5", "8", "0.3", "4", "1", "0", "-0"]),
    values.map(yaml_token),
    raw_text,
)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(kind=st.sampled_from(["yaml", "yaml", "json", "scaled"]), data=st.data())
def test_generated_sheets_merge_or_fail_located(cli, small_plan, sheets, kind, data):
    """Whatever a sheet holds: exit 0 and a plan that analyzes, or exit 1 with located lines
    and the plan byte for byte as it was."""
    small_plan.write_text(SMALL, "utf-8")
    before = small_plan.read_bytes()
    rule = "median"
    changed = data.draw(st.sets(st.integers(0, 7), min_size=1, max_size=3), label="changed")
    keep = [i not in changed for i in range(8)]
    if kind == "json":
        sheet = small_plan.parent / "zed.json"
        participant = data.draw(st.one_of(st.just("zed"), values), label="participant")
        doc: dict = {"participant": participant, "tasks": {}, "risks": {}}
        for item, f, default in CELLS:
            section = "risks" if item.startswith("r-") else "tasks"
            same = keep[CELLS.index((item, f, default))]
            value = float(default) if same else data.draw(values, label=f"{item}.{f}")
            doc[section].setdefault(item, {})[f] = value
        try:
            text = json.dumps(doc, allow_nan=True)
        except ValueError:  # an int past Python's digit limit for str()
            return
    else:
        sheet = small_plan.parent / "zed.yaml"
        text = sheets["ana"].read_text("utf-8").replace("participant: ana", "participant: zed")
        if kind == "scaled":  # mostly valid: every estimate times one factor
            factor = data.draw(st.floats(0, 3000), label="factor")
            tokens = [repr(float(d) * factor) for _, _, d in CELLS[:6]]
            tokens += [
                repr(data.draw(st.floats(0, 1.2), label="probability")),
                str(data.draw(st.integers(0, 6), label="impact")),
            ]
            rule = data.draw(st.sampled_from(["median", "mean", "min", "max"]), label="rule")
            keep = [False] * 8
        else:
            tokens = [
                data.draw(yaml_cells, label=f"{i}.{f}") if not k else ""
                for (i, f, _), k in zip(CELLS, keep, strict=True)
            ]
        for (item, f, default), token, same in zip(CELLS, tokens, keep, strict=True):
            if not same:
                line = next(ln for ln in text.split("\n") if ln.startswith(f"  {item}:"))
                text = text.replace(line, line.replace(f"{f}: {default}", f"{f}: {token}", 1))
    sheet.write_text(text, "utf-8")
    code, out, err = cli("workshop", "merge", small_plan, sheets["ben"], sheet, "--rule", rule)
    assert "Traceback" not in err
    event(f"{kind}: {'merged' if code == 0 else 'refused'}")
    if code == 0:
        load_plan(small_plan)
        code, out, err = cli("analyze", small_plan, "--iterations", "200")
        assert code == 0, err
        return
    assert code == 1
    assert small_plan.read_bytes() == before
    lines = err.splitlines()
    assert lines
    for line in lines:
        assert re.match(rf"{re.escape(str(sheet))}:\d+:\d+: error: \S", line), line


def test_numbers_nobody_changed_stay_as_written(cli, small_plan, sheets):
    small_plan.write_text(
        SMALL.replace("likely: 8, pessimistic: 15", "likely: 8.0, pessimistic: 15")
    )
    for path in sheets.values():
        edit(path, "likely: 5, pessimistic: 12", "likely: 6, pessimistic: 12")
    code, out, err = cli("workshop", "merge", small_plan, *sheets.values())
    assert code == 0, err
    text = small_plan.read_text("utf-8")
    assert "estimate: {optimistic: 5, likely: 8.0, pessimistic: 15}" in text
    assert "estimate: {optimistic: 3, likely: 6, pessimistic: 12}" in text


def test_a_task_gone_from_the_plan_since_the_merge_was_read(small_plan):
    """The plan is read again under the lock; an id no longer there is an error, not a
    KeyError, and the plan is unchanged."""
    from ventureplan.planner.planfile import PlanFileError
    from ventureplan.planner.workshop.estimates import Merge, apply

    before = small_plan.read_bytes()
    with pytest.raises(PlanFileError, match=r"task 'gone' is no longer in the plan"):
        apply(small_plan, Merge(tasks={"gone": {"likely": 1.0}}))
    assert small_plan.read_bytes() == before


def test_a_filled_in_sheet_is_never_overwritten_without_force(small_plan, cli):
    code, _, err = cli("workshop", "estimates", small_plan, "-p", "ana,ben")
    assert code == 0, err
    ben = small_plan.parent / "plan.estimates.ben.yaml"
    filled = ben.read_text("utf-8").replace("likely:", "likely:  ", 1) + "# ben's numbers\n"
    ben.write_text(filled, "utf-8")
    (small_plan.parent / "plan.estimates.ana.yaml").unlink()
    code, out, err = cli("workshop", "estimates", small_plan, "-p", "ana,ben,chen")
    assert code == 1
    assert err.strip() == (
        "error: 1 sheet already there, maybe filled in: ben (plan.estimates.ben.yaml); merge "
        "it first, or pass --force to write fresh ones (nothing was written)"
    )
    assert ben.read_text("utf-8") == filled
    assert not (small_plan.parent / "plan.estimates.ana.yaml").exists()  # nothing written
    assert not (small_plan.parent / "plan.estimates.chen.yaml").exists()
    code, out, err = cli("workshop", "estimates", small_plan, "-p", "ana,ben,chen", "--force")
    assert code == 0, err
    assert "# ben's numbers" not in ben.read_text("utf-8")
