"""Write-back through the plan-file writer: the record lands in `measured`; every other
byte of the plan stays."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest
from ventureplan.planner.load import load_plan
from ventureplan.planner.planfile import append_record, record_yaml, splice
from ventureplan.planner.records import TrainingRecord

from tests.conftest import GOOD

STARTERS = GOOD.parent.parent.parent / "templates" / "starters"


def record(run="20270210T091500Z-minilm", route="minilm"):
    return TrainingRecord.model_validate(_record(run, route))


def _record(run, route):
    return {
        "run": run,
        "route": route,
        "at": "2027-02-10T09:15:00Z",
        "device": "cpu (2 threads)",
        "versions": {"ventureplan": "0.1.0", "torch": "2.13.0"},
        "data": {"train": 10, "validation": 2, "test": 3, "classes": 2},
        "hyperparameters": {"learning_rate": 1.0e-4, "batch_size": 8},
        "metrics": {"accuracy": 0.9, "macro_f1": 0.88},
        "intervals": {"macro_f1": [0.8, 0.95]},
        "goals": {"g-quality": {"value": 0.88, "target": 0.85, "met": True, "p_miss": 0.1}},
        "training": {"seconds": 1.5, "samples_per_second": 20.0},
        "forecast": {"full_data_hours": 0.01},
    }


def outside_measured(text: str) -> str:
    """The file's text with the `measured` block cut out."""
    start = text.index("\nmeasured:")
    rest = text[start + 1 :]
    lines = rest.split("\n")
    end = next(
        (i for i, ln in enumerate(lines[1:], 1) if ln and not ln.startswith((" ", "-", "#"))),
        len(lines),
    )
    return text[:start] + "\n" + "\n".join(lines[end:])


@pytest.mark.parametrize("name", ["newslens.en.yaml", "newslens.zh.yaml", "minimal.en.yaml"])
def test_starter_keeps_every_byte_outside_measured(tmp_path, name):
    plan = tmp_path / "plan.yaml"
    original = (STARTERS / name).read_text()
    plan.write_text(original)
    route = load_plan(plan).plan.chosen_route.id
    append_record(plan, record(route=route))
    append_record(plan, record(run="second", route=route))
    after = plan.read_text()
    assert outside_measured(after) == outside_measured(original)
    assert after.startswith(original[: original.index("\nmeasured:")])
    runs = load_plan(plan).plan.measured
    assert [m.run for m in runs] == ["20270210T091500Z-minilm", "second"]
    assert runs[0].intervals["macro_f1"] == (0.8, 0.95) and runs[0].goals["g-quality"].p_miss == 0.1


def test_measured_block_in_the_middle_and_its_comment(tmp_path):
    text = (
        "schema: ventureplan/1\nmeasured: []   # runs go here\n\n# the budget\nbudget:\n  cash: 1\n"
    )
    x, y = _small(record(run="x", route="r")), _small(record(run="y", route="r"))
    out = splice(text, x)
    assert out == (
        "schema: ventureplan/1\nmeasured:    # runs go here\n"
        + record_yaml(x)
        + "\n# the budget\nbudget:\n  cash: 1\n"
    )
    again = splice(out, y)
    assert record_yaml(x) + record_yaml(y) + "\n# the budget" in again


def _small(r):
    return TrainingRecord(run=r.run, route=r.route, at=r.at)


def test_missing_measured_is_added_at_the_end():
    r = _small(record(run="a", route="r"))
    assert splice("name: x", r) == "name: x\nmeasured:\n" + record_yaml(r)


def test_inline_measured_takes_the_record_inline(tmp_path):
    plan = tmp_path / "plan.yaml"
    original = (
        (GOOD / "small.yaml")
        .read_text()
        .replace("measured: []", "measured: [{run: a, route: minilm, at: 2027-01-01T00:00:00Z}]")
    )
    plan.write_text(original)
    append_record(plan, record())
    line = next(ln for ln in plan.read_text().splitlines() if ln.startswith("measured:"))
    assert line.startswith("measured: [{run: a, route: minilm, at: 2027-01-01T00:00:00Z}, {")
    assert [m.run for m in load_plan(plan).plan.measured] == ["a", "20270210T091500Z-minilm"]


def test_json_plan(tmp_path):
    from ruamel.yaml import YAML

    plan = tmp_path / "plan.json"
    plan.write_text(
        json.dumps(YAML(typ="safe", pure=True).load((GOOD / "small.yaml").read_text()), default=str)
    )
    append_record(plan, record())
    assert json.loads(plan.read_text())["measured"][0]["run"] == "20270210T091500Z-minilm"


def test_two_writers_do_not_lose_records(tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text((GOOD / "small.yaml").read_text())
    threads = [
        threading.Thread(target=append_record, args=(plan, record(run=f"r{i}"))) for i in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(m.run for m in load_plan(plan).plan.measured) == [f"r{i}" for i in range(8)]


def _cli(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "ventureplan.planner.cli", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def test_run_cli_writes_back_and_no_write_back_leaves_the_plan(runner_plan):
    before = runner_plan.read_bytes()
    proc = _cli("run", runner_plan, "--no-write-back", "--max-steps", "3", cwd=runner_plan.parent)
    assert proc.returncode == 0, proc.stderr
    assert "The plan was not changed" in proc.stdout and runner_plan.read_bytes() == before
    proc = _cli("run", runner_plan, "--max-steps", "3", cwd=runner_plan.parent)
    assert proc.returncode == 0, proc.stderr
    assert "A rehearsal, not evidence (stopped by --max-steps 3 after 1 of " in proc.stdout
    after = runner_plan.read_text()
    assert outside_measured(after) == outside_measured(before.decode())
    assert "# trailing comment" in after and "# a comment that must survive" in after
    (m,) = load_plan(runner_plan).plan.measured
    assert m.route == "tiny" and m.training.steps == 3


def test_a_failed_run_writes_nothing(runner_plan):
    before = runner_plan.read_bytes()
    runner_plan.write_text(
        runner_plan.read_text().replace("source: data.csv", "source: nowhere.csv")
    )
    changed = runner_plan.read_bytes()
    proc = _cli("run", runner_plan, cwd=runner_plan.parent)
    assert proc.returncode == 1 and "nowhere.csv: no such data file" in proc.stderr
    assert "Traceback" not in proc.stderr and runner_plan.read_bytes() == changed != before
