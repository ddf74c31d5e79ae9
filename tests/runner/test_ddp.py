"""`run --nproc 2`: two processes train with DDP over gloo on the CPU; rank 0 writes."""

from __future__ import annotations

import subprocess
import sys

import pytest
from ventureplan.planner.load import load_plan

pytestmark = pytest.mark.slow


def test_two_processes_with_gloo_write_one_record(runner_plan):
    proc = subprocess.run(
        [sys.executable, "-m", "ventureplan.planner.cli", "run", str(runner_plan), "--nproc", "2"],
        cwd=runner_plan.parent,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count("Run ") == 1  # only rank 0 reports
    (record,) = load_plan(runner_plan).plan.measured
    assert record.training.processes == 2
    assert record.data["train"] == 84 and record.training.samples_per_second > 0
    assert record.metrics["macro_f1"] > 0.8
    runs = list((runner_plan.parent / "runs").iterdir())
    assert [r.name for r in runs] == [record.run] and record.run.endswith("-tiny-ddp2")
    assert (runs[0] / "model" / "model.safetensors").exists()
    assert not (runs[0] / "checkpoints").exists()  # rank 0 removes them once the run succeeded
