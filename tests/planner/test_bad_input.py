"""Every bad plan under bad/ gets one clear, located error, exit code 1, and no traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import BAD

# file: (line, column, code, field path, a key part of the message)
CASES = {
    "malformed-yaml": (
        12,
        2,
        "yaml-syntax",
        "(plan)",
        "line 12 starts a list item (`- `) where no",
    ),
    "alias-bomb": (8, 7, "alias-bomb", "(plan)", "alias bomb"),
    "wrong-type-headcount": (17, 45, "schema", "team[1].headcount", "must be a valid integer"),
    "wrong-type-list": (
        46,
        17,
        "schema",
        "tasks[1].depends_on",
        "must be a valid list, got 'data'",
    ),
    "unknown-field-typo": (
        46,
        5,
        "unknown-field",
        "tasks[1].dependson",
        "did you mean `depends_on`?",
    ),
    "unknown-field-top": (6, 1, "unknown-field", "budjet", "did you mean `budget`?"),
    "missing-field": (
        52,
        5,
        "missing-field",
        "risks[0].title",
        "required field `title` is missing",
    ),
    "unknown-owner-goal": (24, 12, "unknown-id", "goals[0].owner", "unknown team id 'mle'"),
    "unknown-owner-task": (39, 12, "unknown-id", "tasks[0].owner", "unknown team id 'data-team'"),
    "unknown-owner-risk": (59, 12, "unknown-id", "risks[0].owner", "unknown team id 'cto'"),
    "unknown-depends-on": (46, 18, "unknown-id", "tasks[1].depends_on[0]", "unknown task id 'dta'"),
    "unknown-affects": (57, 15, "unknown-id", "risks[0].affects[0]", "unknown task id 'training'"),
    "unknown-route": (44, 12, "unknown-id", "tasks[1].route", "unknown route id 'bert'"),
    "unknown-measures": (
        32,
        16,
        "unknown-id",
        "routes[0].measures[0]",
        "unknown goal id 'g-speed'",
    ),
    "unknown-risk-goal": (61, 11, "unknown-id", "risks[0].goal", "unknown goal id 'quality'"),
    "unknown-measured-route": (
        68,
        12,
        "unknown-id",
        "measured[0].route",
        "unknown route id 'bert'",
    ),
    "unknown-builtin": (
        29,
        12,
        "unknown-builtin",
        "routes[0].model",
        "unknown built-in model 'builtin:minilm-l12'",
    ),
    "duplicate-id": (51, 9, "duplicate-id", "tasks[3].id", "duplicate id 'launch' (also tasks[2])"),
    "duplicate-key": (
        49,
        5,
        "yaml-syntax",
        "(plan)",
        "`name` appears twice in this item; lines 48 and 49",
    ),
    "cycle": (
        47,
        18,
        "cycle",
        "tasks[1].depends_on[0]",
        "dependency cycle: data → launch → train → data",
    ),
    "self-dependency": (46, 17, "cycle", "tasks[1].depends_on", "task 'train' depends on itself"),
    "two-chosen-routes": (
        34,
        13,
        "chosen-route",
        "routes[1].chosen",
        "two routes are chosen ('minilm' and 'tfidf')",
    ),
    "no-chosen-route": (27, 3, "chosen-route", "routes", "no route has chosen: true"),
    "estimate-order": (
        45,
        15,
        "schema",
        "tasks[1].estimate",
        "optimistic (6) <= likely (5) <= pessimistic (12) must hold",
    ),
    "probability": (
        55,
        18,
        "schema",
        "risks[0].probability",
        "must be less than or equal to 1, got 1.3",
    ),
    "impact-zero": (
        56,
        13,
        "schema",
        "risks[0].impact",
        "must be greater than or equal to 1, got 0",
    ),
    "deadline-before-start": (
        23,
        15,
        "deadline-before-start",
        "goals[0].deadline",
        "before the plan starts (2027-01-04)",
    ),
    "bad-enum": (58, 15, "schema", "risks[0].response", "did you mean `mitigate`?"),
    "bad-date": (6, 8, "schema", "start", "must be a valid date"),
    "wrong-schema": (2, 9, "schema", "schema", "ventureplan reads schema: ventureplan/1"),
    "milestone-with-estimate": (47, 5, "schema", "tasks[2]", "a milestone takes no time"),
    "empty": (1, 1, "empty", "(plan)", "the file is empty"),
    "comments-only": (1, 1, "empty", "(plan)", "only comments"),
    "not-a-mapping": (1, 1, "not-a-mapping", "(plan)", "not a list"),
    "binary": (3, 1, "binary", "(plan)", "binary file"),
    "latin1": (3, 10, "encoding", "(plan)", "not UTF-8 (byte 0xE9)"),
}


def test_every_bad_file_has_a_case():
    assert {p.stem for p in BAD.glob("*.yaml")} == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_reports_one_located_error(name, cli):
    line, col, code, path, message = CASES[name]
    file = BAD / f"{name}.yaml"
    before = file.read_bytes()
    exit_code, out, err = cli("check", file)
    assert exit_code == 1
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    where = f"{path}: " if path != "(plan)" else ""
    assert lines[0].startswith(f"{file}:{line}:{col}: error: {where}"), lines[0]
    assert message in lines[0]
    assert "Traceback" not in err
    assert file.read_bytes() == before  # changes nothing


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_json_reports_line_numbers(name, cli):
    line, col, code, path, message = CASES[name]
    exit_code, out, err = cli("check", "--json", BAD / f"{name}.yaml")
    assert exit_code == 1
    doc = json.loads(out)
    assert doc["valid"] is False
    assert doc["counts"]["error"] == 1
    (finding,) = doc["findings"]
    assert (finding["line"], finding["column"], finding["code"], finding["path"]) == (
        line,
        col,
        code,
        path,
    )
    assert message in finding["message"]
    assert finding["severity"] == "error"


def test_a_real_process_prints_no_traceback():
    proc = subprocess.run(
        [sys.executable, "-m", "ventureplan.planner.cli", "check", str(BAD / "bad-date.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1


def test_several_errors_are_all_reported_in_line_order(small_plan, cli):
    text = small_plan.read_text()
    text = text.replace("    owner: ml\n    relevant_to:", "    owner: nobody\n    relevant_to:")
    text = text.replace("    probability: 0.3\n", "    probability: 3\n")
    small_plan.write_text(text)
    exit_code, out, err = cli("check", small_plan)
    assert exit_code == 1
    lines = err.splitlines()
    # schema errors and the cross-checks that can still be read come out together…
    assert [ln.split(": error: ")[1].split(":")[0] for ln in lines[:-1]] == [
        "goals[0].owner",
        "risks[0].probability",
    ]
    assert lines[-1].endswith("invalid, 2 errors")
    small_plan.write_text(
        text.replace("    probability: 3\n", "    probability: 0.3\n").replace(
            "    owner: ml\n    route:", "    owner: nobody\n    route:"
        )
    )
    exit_code, out, err = cli("check", small_plan)
    lines = err.splitlines()
    assert [ln.split(": error: ")[1].split(":")[0] for ln in lines[:-1]] == [
        "goals[0].owner",
        "tasks[1].owner",
    ]
    assert lines[-1].endswith("invalid, 2 errors")


def test_missing_file_is_a_clear_error(cli, tmp_path):
    exit_code, out, err = cli("check", tmp_path / "nope.yaml")
    assert exit_code == 1
    assert (
        err.strip()
        == f"{tmp_path / 'nope.yaml'}:1:1: error: no such file (fix: check the path, or run `ventureplan init`)"
    )


def test_folder_is_a_clear_error(cli, tmp_path):
    exit_code, out, err = cli("check", tmp_path)
    assert exit_code == 1
    assert "this is a folder, not a plan file" in err
