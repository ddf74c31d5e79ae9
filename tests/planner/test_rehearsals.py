"""Rehearsals are not evidence; the founder sets records aside or removes them through the
one plan-file writer (issue: a `--max-steps 5` smoke test flipped a goal to "missed,
P(miss) 100%" and the linked risk to "measured 100%", with hand-editing the only way back)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ventureplan.planner.evidence import gather, latest_runs
from ventureplan.planner.load import load_plan

from tests.conftest import GOOD, with_data
from tests.planner.test_record_writeback import inserted_once

MEASURED = (GOOD / "measured.yaml").read_text("utf-8")
SMALL = (GOOD / "small.yaml").read_text("utf-8")

REHEARSAL = """  - run: 20270301T000000Z-minilm-smoke
    route: minilm
    at: 2027-03-01T00:00:00Z
    rehearsal: true
    rehearsal_reasons: [stopped by --max-steps 5 after 1 of 3 epochs]
    device: cpu (2 threads)
    metrics: {accuracy: 0.2, macro_f1: 0.1, weighted_f1: 0.2}
    goals: {g-quality: {value: 0.1, target: 0.85, met: false, p_miss: 1.0}}
"""


def numbers(cli, path) -> dict:
    code, out, err = cli("analyze", path, "--json", "--iterations", "2000")
    assert code == 0, err
    doc = json.loads(out)
    doc.pop("plan", None)
    doc.pop("rehearsals", None)  # listed, labelled: the only key they may touch
    for f in doc["findings"]:  # the same findings (small.yaml's r-quality names no impact),
        f.pop("file")  # each naming its own file
    return doc


def test_a_rehearsal_on_a_plan_without_evidence_changes_no_number(cli, tmp_path):
    plain = tmp_path / "plain.yaml"
    with_data(plain).write_text(SMALL)  # the data file exists: the plans have no findings
    rehearsed = tmp_path / "rehearsed.yaml"
    rehearsed.write_text(SMALL.replace("measured: []", "measured:\n" + REHEARSAL))
    assert numbers(cli, rehearsed) == numbers(cli, plain)
    assert gather(load_plan(rehearsed).plan) == []


def test_a_rehearsal_after_an_evidence_run_does_not_flip_the_verdict(cli, tmp_path):
    before = tmp_path / "before.yaml"
    with_data(before).write_text(MEASURED)  # the data file exists: the plans have no findings
    after = tmp_path / "after.yaml"
    after.write_text(MEASURED + REHEARSAL)
    plan = load_plan(after).plan
    (ev,) = gather(plan)
    assert ev.run == "20270210T091500Z-minilm" and ev.goals[0].met is True
    assert ev.basis.train == 1421 and ev.basis.test == 528 and ev.basis.epochs == 3
    (trial,) = gather(plan, rehearsals=True)
    assert trial.rehearsal and trial.goals[0].settles is False and trial.risks == []
    assert trial.basis.reasons == ["stopped by --max-steps 5 after 1 of 3 epochs"]
    assert numbers(cli, after) == numbers(cli, before)


def test_an_ignored_record_is_not_counted(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(
        MEASURED.replace(
            "    at: 2027-02-10T09:15:00Z\n", "    at: 2027-02-10T09:15:00Z\n    ignored: true\n"
        )
    )
    assert [m.run for m in latest_runs(load_plan(path).plan)] == ["20270201T080000Z-minilm"]


def test_a_goal_about_other_data_is_shown_not_settled(tmp_path):
    path = tmp_path / "plan.yaml"
    text = MEASURED.replace(
        "    metric: macro_f1\n", "    metric: macro_f1\n    dataset: our-tickets.csv\n", 1
    )
    assert text != MEASURED
    path.write_text(text)
    (ev,) = gather(load_plan(path).plan)
    (g,) = ev.goals
    assert g.settles is False and g.about == "our-tickets.csv" and ev.risks == []


def test_ignore_and_drop_change_only_that_record(cli, tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(MEASURED)
    before = path.read_text()
    code, out, err = cli("measured", path, "--ignore", "20270210T091500Z-minilm")
    assert code == 0, err
    assert (
        out.strip()
        == f"Marked 20270210T091500Z-minilm ignored in {path}: it is shown, never counted"
    )
    after = path.read_text()
    assert inserted_once(before, after) == "    ignored: true\n"
    code, out, _ = cli("measured", path, "--json")
    rows = json.loads(out)["measured"]
    assert [(r["run"], r["evidence"]) for r in rows] == [
        ("20270201T080000Z-minilm", True),
        ("20270210T091500Z-minilm", False),
    ]
    code, out, err = cli("measured", path, "--drop", "20270201T080000Z-minilm")
    assert code == 0, err
    dropped = path.read_text()
    first = after[after.index("  - run: 20270201") : after.index("  - run: 20270210")]
    assert first.count("\n") == 5 and dropped == after.replace(first, "")
    assert [m.run for m in load_plan(path).plan.measured] == ["20270210T091500Z-minilm"]
    code, _, _ = cli("measured", path, "--drop", "20270210T091500Z-minilm")
    assert code == 0
    assert path.read_text() == MEASURED[: MEASURED.index("measured:")] + "measured: []\n"


@pytest.mark.parametrize("shape", ["flow", "json"])
def test_ignore_and_drop_in_flow_and_json(cli, tmp_path, shape):
    plan = load_plan(GOOD / "measured.yaml").plan
    data = plan.model_dump(mode="json", exclude_none=True)
    data["measured"] = [m.document() for m in plan.measured]
    if shape == "json":
        path = tmp_path / "plan.json"
        path.write_text(json.dumps(data, indent=2))
    else:
        path = tmp_path / "plan.yaml"
        flow = json.dumps(data["measured"])
        path.write_text(MEASURED[: MEASURED.index("measured:")] + f"measured: {flow}\n")
    assert cli("measured", path, "--ignore", "20270201T080000Z-minilm")[0] == 0
    assert load_plan(path).plan.measured[0].ignored is True
    assert cli("measured", path, "--ignore", "20270201T080000Z-minilm")[0] == 0  # again: same
    assert cli("measured", path, "--drop", "20270201T080000Z-minilm")[0] == 0
    assert [m.run for m in load_plan(path).plan.measured] == ["20270210T091500Z-minilm"]
    assert cli("measured", path, "--drop", "20270210T091500Z-minilm")[0] == 0
    assert load_plan(path).plan.measured == []


def test_an_unknown_run_is_one_line_and_changes_nothing(cli, tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(MEASURED)
    code, _, err = cli("measured", path, "--drop", "nope")
    assert code == 1 and path.read_text() == MEASURED
    assert err.strip() == (
        f"error: {path}: no run 'nope' in `measured` (runs: 20270201T080000Z-minilm, "
        "20270210T091500Z-minilm); the plan is unchanged"
    )


def test_analyze_says_what_each_verdict_rests_on_and_labels_rehearsals(cli, tmp_path):
    path = with_data(tmp_path / "plan.yaml")
    path.write_text(MEASURED + REHEARSAL)
    code, out, err = cli("analyze", path, "--iterations", "500", "--width", "200")
    assert code == 0, err
    lines = [" ".join(ln.split()) for ln in out.splitlines()]
    assert (
        "Evidence: run 20270210T091500Z-minilm, data tickets.csv, 1,421 train / 528 test "
        "examples, cpu (2 threads), 3 epochs"
    ) in lines
    assert (
        "Rehearsal, not evidence: run 20270301T000000Z-minilm-smoke, data tickets.csv, "
        "cpu (2 threads), rehearsal: stopped by --max-steps 5 after 1 of 3 epochs"
    ) in lines
    assert any(
        ln.startswith("Rehearsed (minilm, run 20270301T000000Z-minilm-smoke)")
        and "(rehearsal: counts for nothing)" in ln
        for ln in lines
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    action=st.sampled_from(["--ignore", "--drop", "--add"]),
    arg=st.one_of(
        st.sampled_from(["20270201T080000Z-minilm", "20270210T091500Z-minilm"]),
        st.text(
            st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
        ),
    ),
)
def test_measured_with_any_argument_is_a_change_or_one_line(cli, tmp_path, action, arg):
    path = tmp_path / "plan.yaml"
    path.write_text(MEASURED)
    if action == "--add":
        kept = tmp_path / "record.yaml"
        kept.write_text(
            f"measured:\n  - run: {json.dumps(arg)}\n    route: minilm\n    at: 2027-04-01T00:00:00Z\n"
        )
        arg = str(kept)
    code, out, err = cli("measured", path, action, arg)
    if code == 0:
        runs = [m.run for m in load_plan(path).plan.measured]
        assert len(runs) == {"--ignore": 2, "--drop": 1, "--add": 3}[action]
    else:
        assert code in (1, 2) and path.read_text() == MEASURED
        assert len(err.strip().splitlines()) == 1, err
