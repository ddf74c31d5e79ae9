"""The plan-file writer: the only code that changes a plan file. Each edit changes what it
says and nothing else, refuses a result that would be invalid or would touch anything
outside the edit, and leaves the file byte for byte as it was when it refuses."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ventureplan.planner import planfile
from ventureplan.planner.errors import PlanError
from ventureplan.planner.load import load_plan
from ventureplan.planner.records import TrainingRecord
from ventureplan.planner.starters import starter_text

from tests.conftest import GOOD

ROOT = Path(__file__).resolve().parents[2]


def test_create_validates_first_and_never_overwrites_without_force(tmp_path):
    path = tmp_path / "plan.yaml"
    with pytest.raises(PlanError, match=r"plan.yaml:\d+:\d+: error: "):
        planfile.create(path, "schema: ventureplan/1\nname: x\n")
    assert not path.exists()
    planfile.create(path, starter_text("minimal", "en"))
    with pytest.raises(planfile.PlanFileError, match="already exists; pass --force"):
        planfile.create(path, starter_text("newslens", "en"))
    assert path.read_text() == starter_text("minimal", "en")
    planfile.create(path, starter_text("newslens", "en"), force=True)
    assert path.read_text() == starter_text("newslens", "en")


def test_set_numbers_changes_those_tokens_only(small_plan):
    before = small_plan.read_text()
    plan = load_plan(small_plan).plan
    planfile.set_numbers(small_plan, lambda p: {("tasks", 0, "estimate", "likely"): 6.5})
    after = small_plan.read_text()
    changed = [
        (a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b
    ]
    assert len(changed) == 1
    assert changed[0][1] == changed[0][0].replace(
        f"likely: {plan.tasks[0].estimate.likely:g}", "likely: 6.5"
    )
    assert load_plan(small_plan).plan.tasks[0].estimate.likely == 6.5


def test_set_numbers_refuses_an_invalid_result_and_changes_nothing(small_plan):
    before = small_plan.read_bytes()
    with pytest.raises(planfile.PlanFileError, match=r"would make the plan invalid .*optimistic"):
        planfile.set_numbers(small_plan, lambda p: {("tasks", 0, "estimate", "likely"): 0})
    assert small_plan.read_bytes() == before


def test_an_edit_outside_its_paths_is_refused(small_plan):
    before = small_plan.read_bytes()

    def sneaky(text, old):
        return text.replace("cash: 200000", "cash: 1") + "\n", [("tasks",)]

    with pytest.raises(planfile.PlanFileError, match=r"would also alter budget\.cash"):
        planfile._edit(small_plan, sneaky)
    assert small_plan.read_bytes() == before


def test_append_sections_completes_a_plan_and_keeps_every_byte(tmp_path):
    path = tmp_path / "plan.yaml"
    full = (GOOD / "small.yaml").read_text()
    head, risks = full.split("\nrisks:\n", 1)
    risks, rest = risks.split("\nbudget:", 1)
    partial = head + "\nrisks: []\n\nbudget:" + rest
    path.write_text(partial)
    planfile.append_sections(path, "risks:\n" + risks + "\n")
    text = path.read_text()
    assert text.startswith(head + "\n\nbudget:" + rest.rstrip("\n"))
    assert [r.id for r in load_plan(path).plan.risks] == ["r-quality"]


def test_append_sections_refuses_to_redefine_a_section(small_plan):
    before = small_plan.read_bytes()
    with pytest.raises(
        planfile.PlanFileError, match=r"would make the plan invalid .*appears twice"
    ):
        planfile.append_sections(small_plan, "budget:\n  cash: 5\n")
    assert small_plan.read_bytes() == before


def test_only_the_plan_file_writer_writes_plan_files():
    """Every `write_atomic` call in the product, and what it writes: one place writes plans."""
    calls = []
    for folder in ("planner", "runner", "plugins"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "id", getattr(node.func, "attr", None)) == "write_atomic"
                ):
                    calls.append((str(path.relative_to(ROOT)), ast.unparse(node.args[0])))
    assert sorted(calls) == [
        ("planner/cli/report.py", "output"),  # the report, never the plan (-o)
        ("planner/cli/roadmap.py", "output"),
        ("planner/execute.py", "kept"),  # runs/<id>/record.yaml, a record the plan refused
        ("planner/planfile.py", "path"),
        ("planner/planfile.py", "path"),
        ("planner/planfile.py", "path"),  # save_draft: PLAN.draft.yaml, the interview's
        ("planner/workshop/estimates.py", "path"),  # PLAN.estimates.WHO.yaml sheets
        ("runner/artifacts.py", "folder / name"),  # runs/<id>/*.json
    ]


# --- records, generated ---------------------------------------------------------------

names = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30
)
numbers = st.floats(allow_nan=False, allow_infinity=False, width=64)
records = st.builds(
    lambda run, device, metrics, hyper, seconds, p: TrainingRecord(
        run=run,
        route="minilm-ft",
        at=dt.datetime(2027, 2, 10, 9, 15, tzinfo=dt.UTC),
        device=device,
        metrics=metrics,
        hyperparameters=hyper,
        goals={"g-quality": {"value": 0.5, "target": 0.9, "met": False, "p_miss": p}},
        training={"seconds": seconds, "samples_per_second": 1.0},
    ),
    run=names,
    device=names,
    metrics=st.dictionaries(st.sampled_from(["accuracy", "macro_f1", "x y", "ü"]), numbers),
    hyper=st.dictionaries(names, st.one_of(numbers, names, st.booleans(), st.integers())),
    seconds=numbers.filter(lambda x: x >= 0),
    p=st.one_of(st.none(), st.floats(0, 1)),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(record=records)
def test_any_record_lands_as_written_and_nothing_else_moves(tmp_path, record):
    path = tmp_path / "plan.yaml"
    original = starter_text("newslens", "en")
    path.write_text(original)
    planfile.append_record(path, record)
    text = path.read_text()
    assert text.startswith(original[: original.index("\nmeasured:")])
    (back,) = load_plan(path).plan.measured
    assert back.document() == record.document()
