"""A run killed with SIGKILL mid-epoch resumes from its last checkpoint and ends exactly
where an uninterrupted run with the same seed ends."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from ventureplan.planner.load import load_plan
from ventureplan.planner.records import Options
from ventureplan.runner.run import run_text_classification

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
        found = list((killed.parent / "runs").glob("*/checkpoints/trial-0/epoch-0001"))
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


KILL_AT = Path(__file__).with_name("kill_at.py")


def _grid_plan(folder, model):
    folder.mkdir()
    write_csv(folder / "data.csv", make_rows(n_per_class=12))
    path = folder / "plan.yaml"
    text = PLAN.format(model=model, data="data.csv", epochs=3)
    text = text.replace("measures: [g-quality, g-speed]", "measures: [g-speed]")
    path.write_text(
        text.replace(
            "    measures:", "    search: {learning_rate: [1.0e-3, 3.0e-3]}\n    measures:"
        )
    )
    return path


def _in_process(path, **options):
    plan = load_plan(path).plan
    return run_text_classification(
        plan, plan.chosen_route, path, Options(progress=False, **options)
    )


def test_a_search_killed_in_its_second_trial_resumes_that_trial_to_the_same_end(
    tmp_path, tiny_model
):
    """Two trials of three epochs; SIGKILL while the fifth checkpoint (trial 1's epoch 2)
    is renamed into place. --resume queues trial 1 again, continues it from its epoch-1
    checkpoint, and the run ends as the uninterrupted one does."""
    whole = _grid_plan(tmp_path / "whole", tiny_model)
    expected = _in_process(whole)
    expected_search = json.loads((whole.parent / "runs" / expected.run / "search.json").read_text())

    killed = _grid_plan(tmp_path / "killed", tiny_model)
    run = "20270104T090000Z-grid"
    proc = subprocess.run(
        [sys.executable, str(KILL_AT), str(killed), "rename", "5"],
        cwd=killed.parent,
        env={**os.environ, "VENTUREPLAN_RUN_ID": run},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-3000:]
    folder = killed.parent / "runs" / run
    study = optuna.load_study(study_name=run, storage=f"sqlite:///{folder / 'study.db'}")
    assert [(t.number, t.state) for t in study.get_trials()] == [
        (0, optuna.trial.TrialState.COMPLETE),
        (1, optuna.trial.TrialState.RUNNING),
    ]
    assert sorted(p.name for p in (folder / "checkpoints" / "trial-1").iterdir()) == [
        ".epoch-0002.tmp",
        "epoch-0001",
    ]

    got = _in_process(killed, resume=run)
    assert got.metrics == expected.metrics
    assert got.hyperparameters == expected.hyperparameters
    assert json.loads((folder / "search.json").read_text()) == expected_search
    trials = study.get_trials()
    assert [(t.number, t.state, t.user_attrs.get("requeued")) for t in trials] == [
        (0, optuna.trial.TrialState.COMPLETE, None),
        (1, optuna.trial.TrialState.COMPLETE, True),
    ]
    assert not (folder / "checkpoints").exists()
