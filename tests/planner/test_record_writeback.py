"""The record of a finished run always lands, or is never lost (issue: a finished training
run lost its record when `measured` had a tab before a comment, was written at column 0 or
indented by 4, had a quoted key, was `null` in JSON, or sat in a read-only folder).

The record is spliced in where the parser says the list is, written the way the list is
written; a JSON plan gets the record inserted, not the whole file re-serialised. `run`
tries the write-back before it trains, and keeps a record it could not write in
runs/<id>/record.yaml with the command that adds it."""

from __future__ import annotations

import json
import os
import stat
from typing import ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ventureplan.planner import hookimpl
from ventureplan.planner.load import load_plan
from ventureplan.planner.planfile import PlanFileError, append_record
from ventureplan.planner.plugin_manager import Manager
from ventureplan.planner.records import TrainingRecord

from tests.conftest import GOOD

SMALL = (GOOD / "small.yaml").read_text("utf-8")


def record(run: str = "r1", route: str = "minilm") -> TrainingRecord:
    return TrainingRecord.model_validate(
        {
            "run": run,
            "route": route,
            "at": "2027-02-10T09:15:00Z",
            "device": "cpu",
            "versions": {"ventureplan": "0.1.0"},
            "hyperparameters": {"learning_rate": 0.0001, "epochs": 2},
            "metrics": {"macro_f1": 0.88, "accuracy": 0.9},
            "intervals": {"macro_f1": [0.8, 0.95]},
            "goals": {"g-quality": {"value": 0.88, "target": 0.85, "met": True}},
            "training": {"seconds": 1.5, "samples_per_second": 20.0},
        }
    )


def inserted_once(before: str, after: str) -> str:
    """`after` is `before` with one contiguous insertion (and one deletion of the empty
    value it replaces, at most `[]`, `~` or `null`); return the inserted text."""
    i = 0
    while i < min(len(before), len(after)) and before[i] == after[i]:
        i += 1
    j = 0
    while j < min(len(before), len(after)) - i and before[-1 - j] == after[-1 - j]:
        j += 1
    removed = before[i : len(before) - j]
    assert removed.strip() in ("", "[]", "~", "null", "[\n]"), repr(removed)
    return after[i : len(after) - j]


SHAPES = {
    "tab before a comment": ("measured: []", "measured:\t# the runs\n"),
    "column 0": (
        "measured: []",
        "measured:\n- {run: old, route: minilm, at: 2027-01-01T00:00:00Z}",
    ),
    "indented by 4": (
        "measured: []",
        "measured:\n    - run: old\n      route: minilm\n      at: 2027-01-01T00:00:00Z",
    ),
    "quoted key": ("measured: []", '"measured": []'),
    "single-quoted key, null": ("measured: []", "'measured': ~"),
    "empty value then a comment": ("measured: []", "measured:   # none yet\n"),
    "inline list with a record": (
        "measured: []",
        "measured: [{run: old, route: minilm, at: 2027-01-01T00:00:00Z}]  # kept inline",
    ),
    "absent": ("measured: []\n", ""),
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_the_record_lands_in_any_shape_of_measured(tmp_path, shape):
    old, new = SHAPES[shape]
    assert old in SMALL
    plan = tmp_path / "plan.yaml"
    plan.write_text(SMALL.replace(old, new))
    before = plan.read_text()
    append_record(plan, record())
    after = plan.read_text()
    inserted_once(before, after)
    runs = [m.run for m in load_plan(plan).plan.measured]
    assert runs[-1] == "r1" and runs[:-1] in ([], ["old"])
    assert load_plan(plan).plan.measured[-1].document() == record().document()
    append_record(plan, record("r2"))  # and the next one after it
    assert [m.run for m in load_plan(plan).plan.measured][-2:] == ["r1", "r2"]


def _json_plan(**dumps) -> str:
    return json.dumps(
        load_plan(GOOD / "small.yaml").plan.model_dump(mode="json", exclude_none=True), **dumps
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda: _json_plan(indent=4),
        lambda: _json_plan(),
        lambda: _json_plan(indent=2).replace('"measured": []', '"measured": null'),
        lambda: _json_plan(indent=2).replace(',\n  "measured": []', ""),
        lambda: _json_plan(indent=1, ensure_ascii=True).replace("Small", "Sm\\u00e1ll"),
    ],
    ids=["indent 4", "one line", "null", "absent", "escapes kept"],
)
def test_a_json_plan_gets_the_record_inserted_not_rewritten(tmp_path, make):
    plan = tmp_path / "plan.json"
    plan.write_text(make())
    before = plan.read_text()
    append_record(plan, record())
    after = plan.read_text()
    added = inserted_once(before, after)
    assert '"run": "r1"' in added
    assert json.loads(after)["measured"][-1]["run"] == "r1"
    if "\\u00e1" in before:
        assert "\\u00e1" in after  # not re-serialised: the founder's escapes stay


def aliased(text: str) -> str:
    """The plan with `measured` given by an alias of an empty list elsewhere in it."""
    text = text.replace(
        "    owner: ml\n    estimate: {optimistic: 5",
        "    owner: ml\n    depends_on: &e []\n    estimate: {optimistic: 5",
        1,
    )
    return text.replace("measured: []", "measured: *e")


def test_a_measured_list_given_by_an_alias_is_refused_and_unchanged(tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text(aliased(SMALL))
    before = plan.read_bytes()
    with pytest.raises(PlanFileError, match="`measured` must be a list"):
        append_record(plan, record())
    assert plan.read_bytes() == before


class CountingKind:
    calls: ClassVar[list[str]] = []

    @hookimpl
    def route_kinds(self):
        def run(plan, route, path, options):
            CountingKind.calls.append(route.id)
            if CountingKind.break_plan is not None:
                CountingKind.break_plan(path)
            return record("echo-1", route.id)

        return {"counting": run}

    break_plan = None


@pytest.fixture
def counting(monkeypatch, small_plan):
    import ventureplan.planner.execute as execute

    pm = Manager()
    pm.load_entry_points()
    pm.register(CountingKind(), name="counting-kind")
    monkeypatch.setattr(execute, "get_plugin_manager", lambda: pm)
    CountingKind.calls.clear()
    CountingKind.break_plan = None
    small_plan.write_text(
        small_plan.read_text().replace(
            "    model: builtin:minilm-l6\n", "    task: counting\n    model: builtin:minilm-l6\n"
        )
    )
    return small_plan


def test_run_refuses_before_training_when_the_record_could_not_be_written(cli, counting):
    counting.write_text(aliased(counting.read_text()))
    before = counting.read_bytes()
    code, out, err = cli("run", counting)
    assert code == 1 and CountingKind.calls == []  # nothing trained
    assert (
        err.strip()
        == f"error: {counting}: `measured` must be a list, so that records can be added; "
        "the plan is unchanged"
    )
    assert counting.read_bytes() == before
    code, out, err = cli("run", counting, "--no-write-back")  # the founder can still run it
    assert code == 0 and CountingKind.calls == ["minilm"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes in a read-only folder")
def test_run_refuses_before_training_in_a_read_only_folder(cli, counting):
    folder = counting.parent
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        code, _, err = cli("run", counting)
    finally:
        folder.chmod(stat.S_IRWXU)
    assert code == 1 and CountingKind.calls == [] and "cannot write in its folder" in err


def test_a_record_the_plan_cannot_take_after_the_run_is_kept_with_the_command(cli, counting):
    def edit_during_the_run(path):  # the founder inlines `measured` as an alias mid-run
        path.write_text(aliased(path.read_text()))

    CountingKind.break_plan = edit_during_the_run
    code, out, err = cli("run", counting)
    kept = counting.parent / "runs" / "echo-1" / "record.yaml"
    assert code == 1 and CountingKind.calls == ["minilm"]
    assert err.strip() == (
        f"error: the run finished but its record could not be added to {counting} "
        "(`measured` must be a list, so that records can be added; the plan is unchanged); "
        "it is kept in "
        f"{kept}: fix the plan, then run `ventureplan measured {counting} --add {kept}`"
    )
    counting.write_text(counting.read_text().replace("measured: *e", "measured: []"))
    code, out, err = cli("measured", counting, "--add", kept)
    assert code == 0, err
    assert out.strip() == f"Added echo-1 to {counting}"
    assert [m.run for m in load_plan(counting).plan.measured] == ["echo-1"]
    assert load_plan(counting).plan.measured[0].document() == record("echo-1").document()
    code, _, err = cli("measured", counting, "--add", kept)  # not twice
    assert code == 1 and "already holds run echo-1" in err
    code, out, _ = cli("measured", counting, "--json")
    assert json.loads(out)["measured"][0]["run"] == "echo-1"


def test_measured_add_reads_data_only_and_names_a_bad_field(cli, small_plan, tmp_path):
    bad = tmp_path / "record.yaml"
    bad.write_text("measured:\n  - run: x\n    route: minilm\n    at: not-a-time\n")
    code, _, err = cli("measured", small_plan, "--add", bad)
    assert code == 1 and err.startswith(f"error: {bad}:4:9: measured.0.at: ")
    bad.write_text("measured: !!python/object/apply:os.system [echo hi]\n")
    code, _, err = cli("measured", small_plan, "--add", bad)
    assert code == 1 and "YAML tag !!python/object/apply:os.system is not read" in err


texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    device=texts,
    hyper=st.dictionaries(
        texts, st.one_of(st.integers(-(10**6), 10**6), texts, st.booleans()), max_size=3
    ),
    shape=st.sampled_from(list(SHAPES)),
)
def test_any_record_in_any_shape_reads_back_as_written(tmp_path, device, hyper, shape):
    old, new = SHAPES[shape]
    plan = tmp_path / "plan.yaml"
    plan.write_text(SMALL.replace(old, new))
    before = plan.read_text()
    rec = record().model_copy(update={"device": device, "hyperparameters": hyper})
    try:
        append_record(plan, rec)
    except PlanFileError:
        assert plan.read_text() == before  # refused (a text YAML cannot hold): unchanged
        return
    inserted_once(before, plan.read_text())
    assert load_plan(plan).plan.measured[-1].document() == rec.document()
