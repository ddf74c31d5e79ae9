"""A run killed with SIGKILL mid-epoch resumes from its last checkpoint and ends exactly
where an uninterrupted run with the same seed ends."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.runner.conftest import PLAN, make_rows, write_csv

pytestmark = pytest.mark.slow


def _plan(folder, model):
    folder.mkdir()
    write_csv(folder / "data.csv", make_rows(n_per_class=300))
    path = folder / "plan.yaml"
    path.write_text(
        PLAN.format(model=model, data="data.csv", epochs=4).replace("patience: 4", "patience: 9")
    )
    return path


def _run(path, *extra):
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ventureplan.planner.cli",
            "run",
            str(path),
            "--no-write-back",
            *extra,
        ],
        cwd=path.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _metrics(folder):
    (run,) = (folder / "runs").iterdir()
    return run.name, json.loads((run / "metrics.json").read_text())


def test_sigkill_then_resume_equals_an_uninterrupted_run(tmp_path, tiny_model):
    whole = _plan(tmp_path / "whole", tiny_model)
    assert _run(whole).wait(timeout=600) == 0
    _, expected = _metrics(whole.parent)

    killed = _plan(tmp_path / "killed", tiny_model)
    proc = _run(killed)
    deadline = time.time() + 300
    first = None
    while time.time() < deadline and proc.poll() is None:
        found = list((killed.parent / "runs").glob("*/checkpoints/combo-0/epoch-0001"))
        if found:
            first = found[0]
            break
        time.sleep(0.02)
    assert first is not None, "no checkpoint appeared"
    time.sleep(0.1)  # into the next epoch
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    run_id = first.parents[2].name
    left = [p.name for p in first.parent.iterdir() if p.name.startswith("epoch-")]
    assert left and all((first.parent / n / "state.json").exists() for n in left)
    assert not (killed.parent / "runs" / run_id / "metrics.json").exists()

    resumed = _run(killed, "--resume", run_id)
    out, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err
    name, got = _metrics(killed.parent)
    assert name == run_id
    assert got["metrics"] == expected["metrics"]
    assert got["training"]["steps"] == expected["training"]["steps"]
    assert got["training"]["epochs"] == expected["training"]["epochs"] == 4
    assert not (killed.parent / "runs" / run_id / "checkpoints").exists()  # the run succeeded
