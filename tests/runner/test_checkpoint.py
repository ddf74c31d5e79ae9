"""Checkpoints: a SIGKILL before any step of the checkpoint writer leaves a run that resumes
to exactly the uninterrupted result; checkpoints go once a run succeeds, unless kept."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from safetensors.torch import load_file
from ventureplan.planner.load import load_plan
from ventureplan.planner.records import Options
from ventureplan.runner import checkpoint
from ventureplan.runner.run import run_text_classification

from tests.runner.conftest import PLAN, make_rows, write_csv

KILL_AT = Path(__file__).with_name("kill_at.py")
RUN = "20270104T090000Z-tiny"
FILES = ["best.safetensors", "model.safetensors", "state.json", "state.safetensors"]

# What a kill just before each step of epoch 2's checkpoint leaves in trial-0/: the
# finished epoch-0001 and whatever the temporary folder holds by then.
LEFT = {
    "folder": {"epoch-0001": FILES},
    "model": {"epoch-0001": FILES, ".epoch-0002.tmp": []},
    "best": {"epoch-0001": FILES, ".epoch-0002.tmp": ["model.safetensors"]},
    "state": {"epoch-0001": FILES, ".epoch-0002.tmp": ["best.safetensors", "model.safetensors"]},
    "rename": {"epoch-0001": FILES, ".epoch-0002.tmp": FILES},
    "cleanup": {"epoch-0001": FILES, "epoch-0002": FILES},
}


def _plan(folder: Path, model: Path) -> Path:
    """Three epochs of three steps on 24 training texts; no bootstrap (no test-score goal)."""
    folder.mkdir()
    write_csv(folder / "data.csv", make_rows(n_per_class=12))
    path = folder / "plan.yaml"
    text = PLAN.format(model=model, data="data.csv", epochs=3)
    path.write_text(text.replace("measures: [g-quality, g-speed]", "measures: [g-speed]"))
    return path


def _run(path: Path, **options):
    plan = load_plan(path).plan
    return run_text_classification(
        plan, plan.chosen_route, path, Options(progress=False, **options)
    )


def _listing(folder: Path) -> dict[str, list[str]]:
    return {p.name: sorted(f.name for f in p.iterdir()) for p in folder.iterdir()}


def _same_weights(a: Path, b: Path) -> bool:
    wa, wb = (
        load_file(str(a / "model" / "model.safetensors")),
        load_file(str(b / "model" / "model.safetensors")),
    )
    return wa.keys() == wb.keys() and all(wa[k].equal(wb[k]) for k in wa)


@pytest.mark.slow
def test_a_kill_before_any_checkpoint_step_resumes_exactly(tmp_path, tiny_model):
    assert tuple(LEFT) == checkpoint.STEPS
    env = {**os.environ, "VENTUREPLAN_RUN_ID": RUN}
    killed = {}
    for step in checkpoint.STEPS:  # in parallel: most of each one's time is importing torch
        path = _plan(tmp_path / step, tiny_model)
        killed[step] = subprocess.Popen(
            [sys.executable, str(KILL_AT), str(path), step, "2"],
            cwd=path.parent,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    whole = _plan(tmp_path / "whole", tiny_model)
    expected = _run(whole)
    assert (expected.training.steps, expected.training.epochs) == (9, 3)
    expected_search = json.loads((whole.parent / "runs" / expected.run / "search.json").read_text())

    for step, proc in killed.items():
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == -signal.SIGKILL, f"{step}: {err[-3000:]}"
        run = tmp_path / step / "runs" / RUN
        combo = run / "checkpoints" / "trial-0"
        assert _listing(combo) == LEFT[step], step
        assert checkpoint.latest(combo).name == (
            "epoch-0002" if step == "cleanup" else "epoch-0001"
        )
        assert not (run / "metrics.json").exists()

        got = _run(tmp_path / step / "plan.yaml", resume=RUN, keep_checkpoints=step == "cleanup")
        assert got.run == RUN
        assert got.metrics == expected.metrics, step
        assert (got.training.steps, got.training.epochs) == (9, 3), step
        assert json.loads((run / "search.json").read_text()) == expected_search, step
        assert _same_weights(run, whole.parent / "runs" / expected.run), step
        if step == "cleanup":  # kept: only the last checkpoint, stray folders gone
            assert _listing(combo) == {"epoch-0003": FILES}
        else:
            assert not (run / "checkpoints").exists()


def test_checkpoints_go_after_a_successful_run_unless_kept(tmp_path, tiny_model):
    path = _plan(tmp_path / "p", tiny_model)
    gone = _run(path, max_steps=4)
    runs = path.parent / "runs"
    assert sorted(p.name for p in (runs / gone.run).iterdir()) == [
        "config.json",
        "confusion_matrix.json",
        "metrics.json",
        "model",
        "per_class.json",
        "search.json",
    ]
    kept = _run(path, max_steps=4, keep_checkpoints=True)
    assert kept.run != gone.run and kept.metrics == gone.metrics
    combo = runs / kept.run / "checkpoints" / "trial-0"
    assert _listing(combo) == {"epoch-0002": FILES}  # 4 steps: two epochs of three
    state = json.loads((combo / "epoch-0002" / "state.json").read_text())
    assert state["progress"]["measurement"]["steps"] == 4
    assert state["progress"]["measurement"]["epochs_run"] == 2


def test_a_resumed_run_that_had_stopped_early_stops_again(tmp_path, tiny_model):
    """Patience 1 and a flat validation score stop after epoch 2 of 5; resuming from that
    checkpoint must not train a third epoch, and must end on the best epoch's weights."""
    from ventureplan.runner.model import load
    from ventureplan.runner.train import Config, encode, seed_everything, train

    texts, labels = zip(*make_rows(n_per_class=4), strict=True)
    y = [sorted(set(labels)).index(label) for label in labels]
    cfg = Config(batch_size=4, epochs=5, max_length=32, patience=1, learning_rate=1e-3)
    folder = tmp_path / "trial-0"

    def fresh():
        seed_everything(cfg.seed)
        tokenizer, model = load(str(tiny_model), tmp_path, 3, {0: "a", 1: "b", 2: "c"})
        return tokenizer, model, encode(tokenizer, list(texts), y, cfg.max_length)

    def flat(pred, labels):
        return 0.5

    tokenizer, model, data = fresh()
    first = train(model, tokenizer, data, data, cfg, model.device, flat, folder)
    assert (first.epochs_run, first.best_epoch, first.steps) == (2, 1, 6)
    assert checkpoint.latest(folder).name == "epoch-0002"
    best = {k: v.clone() for k, v in model.state_dict().items()}

    tokenizer, model, data = fresh()
    again = train(model, tokenizer, data, data, cfg, model.device, flat, folder, resume=True)
    assert again == first
    assert all(v.equal(best[k]) for k, v in model.state_dict().items())
