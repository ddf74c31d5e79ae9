"""The Mermaid checker (tests/mermaid/check.mjs) really runs Mermaid's parser and gantt db."""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

import pytest

from tests import mermaid_check
from tests.mermaid_check import check

GANTT = """gantt
  dateFormat YYYY-MM-DD
  excludes weekends
  section Build
  Data :a, 2027-01-04, 5d
  Train :crit, b, after a, 3d
  Launch :milestone, m, after b, 0d
"""

GANTT_HEAD = "gantt\n  dateFormat YYYY-MM-DD\n"
QUADRANT_HEAD = "quadrantChart\n  x-axis Low --> High\n  y-axis Low --> High\n"

# `#35;` is `#`, `#59;` is `;`, `#quot;` is `"`, `#58;` is `:` (Mermaid's entity escapes).
TRICKY = "Step #35;1#59; say #quot;hi#quot; #58; 数据准备 🚀"

DIAGRAMS = {
    "flowchart": "flowchart LR\n  A[Plan] --> B[Train]\n  B --> C{Ship?}\n",
    "flowchart-broken": "flowchart LR\n  A --> ",
    "quadrant": (
        "quadrantChart\n"
        "  title Risks\n"
        "  x-axis Low likelihood --> High likelihood\n"
        "  y-axis Low impact --> High impact\n"
        "  quadrant-1 Act now\n"
        '  "Data licence": [0.3, 0.6]\n'
    ),
    "pie": 'pie title Budget\n  "Compute" : 60\n  "People" : 30.5\n  "Data" : 9.5\n',
    "gantt": GANTT,
    "gantt-nosuch": GANTT_HEAD
    + "  section S\n  Data :a, 2027-01-04, 2d\n  Train :b, after nosuch, 3d\n",
    # Escaped labels in every diagram type the tool emits.
    "escaped-flow-node": f'flowchart LR\n  A["{TRICKY}"] --> B["x"]\n',
    "escaped-flow-edge": f'flowchart LR\n  A -->|"{TRICKY}"| B\n',
    "escaped-gantt": GANTT_HEAD + f"  section {TRICKY}\n  {TRICKY} :a, 2027-01-04, 1d\n",
    "escaped-quadrant": QUADRANT_HEAD + f'  "{TRICKY}": [0.25, 0.75]\n',
    "escaped-pie": f'pie title Split\n  "{TRICKY}" : 1\n  "other" : 2\n',
    # Raw characters that break labels.
    "raw-flow-quote": 'flowchart LR\n  A["a"b"] --> B\n',
    "raw-quadrant-colon": QUADRANT_HEAD + "  a : b: [0.3, 0.6]\n",
    "raw-pie-quote": 'pie\n  "say "hi"" : 1\n',
    # A raw colon in a gantt label cuts the label and makes the rest the id; Mermaid
    # accepts that, and the `after` naming the intended id is what catches it.
    "raw-gantt-colon": GANTT_HEAD + "  Phase 1: data :a, 2027-01-04, 1d\n  Next :b, after a, 1d\n",
    # Gantt mistakes Mermaid accepts silently, or only fails on when it renders.
    "gantt-bad-duration": GANTT_HEAD + "  A :a, 2027-01-04, 5days\n",
    "gantt-duplicate-id": GANTT_HEAD + "  A :a, 2027-01-04, 1d\n  B :a, 2027-01-05, 1d\n",
    "gantt-until-nosuch": GANTT_HEAD + "  A :a, 2027-01-04, until zz\n",
    "gantt-bad-date": GANTT_HEAD + "  A :a, 2027-13-45, 1d\n",
    "gantt-tag-after-id": GANTT_HEAD + "  A :a, crit, 2027-01-04, 1d\n",
}


@pytest.fixture(scope="module")
def results() -> dict[str, dict[str, Any]]:
    return check(DIAGRAMS)


def test_every_diagram_gets_a_result(results):
    assert set(results) == set(DIAGRAMS)
    for key, result in results.items():
        assert result["id"] == key
        assert set(result) >= {"id", "ok", "error", "type", "tasks", "unresolved_after"}
        assert result["ok"] is (result["error"] is None), key


def test_valid_flowchart_passes(results):
    result = results["flowchart"]
    assert result["ok"], result["error"]
    assert result["type"] == "flowchart-v2"
    assert result["tasks"] is None
    assert result["unresolved_after"] is None


def test_broken_flowchart_fails_with_the_parser_message(results):
    result = results["flowchart-broken"]
    assert result["ok"] is False
    assert "Parse error on line" in result["error"]
    assert result["type"] == "flowchart-v2"


def test_quadrant_chart_with_a_point_passes(results):
    result = results["quadrant"]
    assert result["ok"], result["error"]
    assert result["type"] == "quadrantChart"


def test_pie_passes(results):
    result = results["pie"]
    assert result["ok"], result["error"]
    assert result["type"] == "pie"


def test_gantt_tasks_are_what_mermaid_computes(results):
    result = results["gantt"]
    assert result["ok"], result["error"]
    assert result["type"] == "gantt"
    assert result["unresolved_after"] == []
    assert result["tasks"] == [
        # 5 working days from Monday 4 January: Mon-Fri. Mermaid's end is exclusive and
        # is pushed past the excluded weekend, to Monday 11 January.
        {
            "id": "a",
            "task": "Data",
            "section": "Build",
            "start": "2027-01-04",
            "end": "2027-01-11",
            "milestone": False,
            "crit": False,
        },
        # after a: starts at a's (exclusive) end, the Monday; 3 working days, Mon-Wed.
        {
            "id": "b",
            "task": "Train",
            "section": "Build",
            "start": "2027-01-11",
            "end": "2027-01-14",
            "milestone": False,
            "crit": True,
        },
        # A 0d milestone starts and ends at b's exclusive end.
        {
            "id": "m",
            "task": "Launch",
            "section": "Build",
            "start": "2027-01-14",
            "end": "2027-01-14",
            "milestone": True,
            "crit": False,
        },
    ]


def test_after_naming_no_task_fails(results):
    result = results["gantt-nosuch"]
    assert result["ok"] is False
    assert result["unresolved_after"] == ["nosuch"]
    assert "nosuch" in result["error"]
    assert [task["id"] for task in result["tasks"]] == ["a", "b"]


@pytest.mark.parametrize(
    "key",
    [
        "escaped-flow-node",
        "escaped-flow-edge",
        "escaped-gantt",
        "escaped-quadrant",
        "escaped-pie",
    ],
)
def test_escaped_labels_parse(results, key):
    result = results[key]
    assert result["ok"], result["error"]


def test_gantt_labels_come_back_as_a_reader_sees_them(results):
    [task] = results["escaped-gantt"]["tasks"]
    assert task["task"] == 'Step #1; say "hi" : 数据准备 🚀'
    assert task["section"] == task["task"]


@pytest.mark.parametrize(
    "key", ["raw-flow-quote", "raw-quadrant-colon", "raw-pie-quote", "raw-gantt-colon"]
)
def test_raw_characters_that_break_labels_are_caught(results, key):
    result = results[key]
    assert result["ok"] is False
    assert result["error"]


def test_raw_colon_in_a_gantt_label_is_caught_by_after(results):
    result = results["raw-gantt-colon"]
    assert result["unresolved_after"] == ["a"]
    assert [task["task"] for task in result["tasks"]] == ["Phase 1", "Next"]


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("gantt-bad-duration", '"5days"'),
        ("gantt-duplicate-id", "duplicate task id: a"),
        ("gantt-until-nosuch", "until names no task: zz"),
        ("gantt-bad-date", "Invalid date:2027-13-45"),
        ("gantt-tag-after-id", "tags such as crit"),
    ],
)
def test_gantt_mistakes_mermaid_accepts_silently_are_reported(results, key, message):
    result = results[key]
    assert result["ok"] is False
    assert message in result["error"]


def test_gantts_checked_together_do_not_leak_tasks():
    pqr = (
        GANTT_HEAD + "  section P\n"
        "  P :p, 2027-02-01, 1d\n  Q :q, 2027-02-02, 1d\n  R :r, 2027-02-03, 1d\n"
    )
    # `after q` names a task of "pqr" only. Mermaid's gantt db keeps its id -> position
    # map across diagrams and would silently resolve q to this diagram's task t.
    other = (
        GANTT_HEAD + "  section Other\n"
        "  S :s, 2027-03-01, 1d\n  T :t, 2027-03-02, 1d\n  U :u, after q, 1d\n"
    )
    third = GANTT_HEAD + "  section Third\n  A :a, 2027-05-03, 2d\n"
    out = check({"pqr": pqr, "first": GANTT, "other": other, "third": third, "first-again": GANTT})
    assert [t["id"] for t in out["pqr"]["tasks"]] == ["p", "q", "r"]
    assert [t["id"] for t in out["first"]["tasks"]] == ["a", "b", "m"]
    assert [t["id"] for t in out["other"]["tasks"]] == ["s", "t", "u"]
    assert {t["section"] for t in out["other"]["tasks"]} == {"Other"}
    assert out["other"]["ok"] is False
    assert out["other"]["unresolved_after"] == ["q"]
    assert out["third"]["ok"], out["third"]["error"]
    assert out["third"]["tasks"] == [
        {
            "id": "a",
            "task": "A",
            "section": "Third",
            "start": "2027-05-03",
            "end": "2027-05-05",
            "milestone": False,
            "crit": False,
        }
    ]
    assert out["first-again"] == {**out["first"], "id": "first-again"}
    assert out["first-again"]["ok"]


def test_checker_keeps_order_and_rejects_bad_input():
    command = ["node", str(mermaid_check.CHECKER)]
    env = {**os.environ, "TZ": "UTC"}
    items = [{"id": key, "text": DIAGRAMS[key]} for key in ("pie", "flowchart", "pie")]
    proc = subprocess.run(
        command, input=json.dumps(items), capture_output=True, text=True, env=env, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert [result["id"] for result in json.loads(proc.stdout)] == ["pie", "flowchart", "pie"]

    proc = subprocess.run(
        command, input="not json", capture_output=True, text=True, env=env, check=False
    )
    assert proc.returncode == 2
    assert "not JSON" in proc.stderr


def test_missing_node_modules_says_to_run_npm_ci(tmp_path, monkeypatch):
    monkeypatch.setattr(mermaid_check, "ROOT", tmp_path)
    with pytest.raises(RuntimeError, match="npm ci"):
        check({"x": "pie\n"})
