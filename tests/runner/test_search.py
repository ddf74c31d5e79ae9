"""The search on Optuna (issue 12 §1): a grid trains each combination once, ranges are
drawn by TPE search_trials times, the median pruner stops a clearly worse trial, and
`run --search-worker ID` processes share the run's study; every trial that ran is in
search.json, and bad worker input is one line that writes nothing."""

from __future__ import annotations

import itertools
import json
import math
import subprocess
import sys
import time

import optuna
import pytest
from optuna.trial import TrialState
from ventureplan.runner import run as run_mod
from ventureplan.runner import search as search_mod

from tests.runner.test_run import run_plan

GRID = "{learning_rate: [1.0e-3, 3.0e-3], batch_size: [8, 16]}"
COMBINATIONS = {(lr, bs) for lr, bs in itertools.product([1.0e-3, 3.0e-3], [8, 16])}


def searched(plan, search, trials=None, epochs=3, seed=7):
    """The runner plan with `search` (YAML text), search_trials, epochs and seed set."""
    text = plan.read_text().replace("epochs: 12", f"epochs: {epochs}")
    text = text.replace("seed: 7", f"seed: {seed}")
    extra = f"    search: {search}\n" + (f"    search_trials: {trials}\n" if trials else "")
    plan.write_text(text.replace("    measures:", extra + "    measures:"))
    return plan


def study_of(folder):
    storage = f"sqlite:///{folder / 'study.db'}"
    return optuna.load_study(study_name=folder.name, storage=storage)


def search_json(folder):
    return json.loads((folder / "search.json").read_text())


def ran(study):
    """The trials that trained (a surplus one, refused at once, did not)."""
    return [t for t in study.get_trials() if not t.user_attrs.get("surplus")]


def pairs(trials):
    return [(t.params["learning_rate"], t.params["batch_size"]) for t in trials]


def test_a_grid_trains_each_combination_once_and_lists_every_trial(runner_plan):
    record = run_plan(searched(runner_plan, GRID), max_steps=6)
    folder = runner_plan.parent / "runs" / record.run
    study = study_of(folder)
    trials = ran(study)
    assert sorted(pairs(trials)) == sorted(COMBINATIONS)  # each once
    assert {t.state for t in trials} <= {TrialState.COMPLETE, TrialState.PRUNED}
    listed = search_json(folder)
    assert [e["trial"] for e in listed] == [t.number for t in trials] == [0, 1, 2, 3]
    for entry, t in zip(listed, trials, strict=True):
        assert entry["state"] == t.state.name.lower() and entry["ran_by"] == "main"
        assert entry["params"] == t.params
        assert entry["hyperparameters"]["learning_rate"] == t.params["learning_rate"]
        assert entry["hyperparameters"]["max_steps"] == 6
        assert entry["validation"] == {"macro_f1": round(t.user_attrs["best_validation"], 4)}
    best = max(
        (t for t in trials if t.state == TrialState.COMPLETE), key=lambda t: (t.value, -t.number)
    )
    assert record.hyperparameters["learning_rate"] == best.params["learning_rate"]
    assert record.hyperparameters["batch_size"] == best.params["batch_size"]
    assert study.user_attrs["route"]["--max-steps"] == 6


def test_ranges_are_drawn_by_tpe_search_trials_times(runner_plan):
    search = (
        "{learning_rate: {low: 1.0e-4, high: 1.0e-2, log: true}, "
        "batch_size: {low: 4, high: 16}, seed: [7, 8]}"
    )
    record = run_plan(searched(runner_plan, search, trials=3), max_steps=2)
    folder = runner_plan.parent / "runs" / record.run
    trials = ran(study_of(folder))
    assert len(trials) == 3 and len(search_json(folder)) == 3
    for t in trials:
        lr, bs, seed = t.params["learning_rate"], t.params["batch_size"], t.params["seed"]
        assert type(lr) is float and 1.0e-4 <= lr <= 1.0e-2
        assert type(bs) is int and 4 <= bs <= 16
        assert seed in (7, 8)
        assert t.user_attrs["hyperparameters"]["batch_size"] == bs
    assert record.hyperparameters["learning_rate"] in {t.params["learning_rate"] for t in trials}


def test_tpe_draws_the_same_trials_from_the_same_seed(runner_plan):
    search = "{learning_rate: {low: 1.0e-4, high: 1.0e-2, log: true}}"
    searched(runner_plan, search, trials=3)
    drawn = []
    for _ in range(2):
        record = run_plan(runner_plan, max_steps=1)
        study = study_of(runner_plan.parent / "runs" / record.run)
        drawn.append([t.params["learning_rate"] for t in study.get_trials()])
    assert drawn[0] == drawn[1] and len(set(drawn[0])) == 3


def grid_order(search, seed):
    """Which combination each trial number gets, as GridSampler shuffles with `seed`."""
    drawn = []

    def objective(trial):
        drawn.append({n: trial.suggest_categorical(n, v) for n, v in search.items()})
        return 0.0

    study = optuna.create_study(sampler=optuna.samplers.GridSampler(search, seed=seed))
    study.optimize(objective, n_trials=math.prod(len(v) for v in search.values()))
    return drawn


def test_the_median_pruner_stops_a_clearly_worse_trial(runner_plan):
    # Two learning rates that learn, and one too small to move the weights: a route seed
    # for which the grid puts the bad one last, after the two the pruner needs first.
    rates = [3.0e-3, 4.0e-3, 1.0e-8]
    seed = next(
        s
        for s in range(100)
        if grid_order({"learning_rate": rates}, s)[2]["learning_rate"] == 1.0e-8
    )
    searched(runner_plan, "{learning_rate: [3.0e-3, 4.0e-3, 1.0e-8]}", epochs=4, seed=seed)
    record = run_plan(runner_plan)
    folder = runner_plan.parent / "runs" / record.run
    good, other, bad = sorted(ran(study_of(folder)), key=lambda t: t.number)
    assert bad.params["learning_rate"] == 1.0e-8
    assert (good.state, other.state, bad.state) == (TrialState.COMPLETE,) * 2 + (TrialState.PRUNED,)
    # pruned after epoch 2 (the first is never pruned): its score there is under the median
    assert bad.user_attrs["epochs_run"] == search_mod.PRUNE_FROM_EPOCH == 2
    assert sorted(bad.intermediate_values) == [0, 1]
    median = sorted([good.intermediate_values[1], other.intermediate_values[1]])
    assert bad.intermediate_values[1] < (median[0] + median[1]) / 2
    entry = search_json(folder)[2]
    assert (entry["state"], entry["epochs_run"]) == ("pruned", 2)
    assert entry["validation"]["macro_f1"] == round(bad.user_attrs["best_validation"], 4)
    assert record.hyperparameters["learning_rate"] != 1.0e-8


def worker_first(monkeypatch, before):
    """Runs `before(study)` once, when the run's own process is about to take trials."""
    original = run_mod.take_trials
    calls = []

    def take_trials(study, budget, objective):
        if not calls:
            calls.append(study.study_name)
            before(study)
        original(study, budget, objective)

    monkeypatch.setattr(run_mod, "take_trials", take_trials)


def test_the_best_trial_of_another_worker_is_trained_again_the_same(runner_plan, monkeypatch):
    """A worker (here in the same process, before the run's own) takes every trial; the run
    trains the best one's parameters again, to the same validation score."""
    searched(runner_plan, "{learning_rate: [1.0e-3, 3.0e-3]}")
    worker_first(monkeypatch, lambda study: run_plan(runner_plan, search_worker=study.study_name))
    record = run_plan(runner_plan, keep_checkpoints=True)
    folder = runner_plan.parent / "runs" / record.run
    study = study_of(folder)
    trials = ran(study)
    assert len(trials) == 2 and all(t.user_attrs["ran_by"].startswith("worker ") for t in trials)
    best = max(trials, key=lambda t: (t.value, -t.number))
    assert record.hyperparameters["learning_rate"] == best.params["learning_rate"]
    # the worker removed its checkpoints; the run's re-training of the best kept its own
    (kept,) = (folder / "checkpoints").iterdir()
    assert kept.name == f"trial-{best.number}"
    (last,) = kept.iterdir()
    measured = json.loads((last / "state.json").read_text())["progress"]["measurement"]
    assert measured["best_validation"] == best.value
    assert measured["epochs_run"] == best.user_attrs["epochs_run"]


@pytest.mark.filterwarnings("ignore:Argument ``heartbeat_interval``", "ignore:Heartbeat of storage")
def test_a_dead_workers_trial_is_failed_after_the_grace_and_the_search_goes_on(
    runner_plan, monkeypatch
):
    monkeypatch.setattr(search_mod, "HEARTBEAT_S", 1)
    monkeypatch.setattr(search_mod, "GRACE_S", 2)
    monkeypatch.setattr(search_mod, "POLL_S", 0.1)

    def dies(study):
        # a worker that took trial 0, beat its heartbeat once, and was killed
        url = f"sqlite:///{runner_plan.parent / 'runs' / study.study_name / 'study.db'}"
        storage = optuna.storages.RDBStorage(url, heartbeat_interval=1)
        other = optuna.load_study(study_name=study.study_name, storage=storage)
        trial = other.ask()
        assert trial.number == 0
        trial.set_user_attr("ran_by", "worker gone:1")
        sid = storage.get_study_id_from_name(study.study_name)
        storage.record_heartbeat(storage.get_trial_id_from_study_id_trial_number(sid, 0))

    worker_first(monkeypatch, dies)
    record = run_plan(searched(runner_plan, GRID), max_steps=3)
    folder = runner_plan.parent / "runs" / record.run
    listed = search_json(folder)
    first = listed[0]
    assert (first["trial"], first["state"], first["ran_by"]) == (0, "fail", "worker gone:1")
    assert [e["ran_by"] for e in listed[1:]] == ["main"] * 3
    assert {e["state"] for e in listed[1:]} <= {"complete", "pruned"}
    # the dead worker's combination is not trained again: mark it failed and go on
    assert len(ran(study_of(folder))) == 4


@pytest.mark.filterwarnings("ignore:Heartbeat of storage")  # the test asks, as no run does
def test_resume_queues_again_only_the_runs_own_interrupted_trials(tmp_path):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    space = search_mod.Space({"seed": [1, 2, 3]}, 3)
    study = search_mod.create_study("r", url, "the study", space, 7, {}, resume=False)
    for ran_by in (search_mod.MAIN, "worker elsewhere:9"):
        study.ask().set_user_attr("ran_by", ran_by)
    again = search_mod.create_study("r", url, "the study", space, 7, {}, resume=True)
    assert [(t.number, t.state, t.user_attrs.get("requeued")) for t in again.get_trials()] == [
        (0, optuna.trial.TrialState.WAITING, True),
        (1, optuna.trial.TrialState.RUNNING, None),
    ]


def launch_workers(plan, run_id, count):
    return [
        subprocess.Popen(
            [
                *(sys.executable, "-m", "ventureplan.planner.cli", "run", str(plan)),
                *("--search-worker", run_id, "--max-steps", "8"),
            ],
            cwd=plan.parent,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]


@pytest.mark.slow
def test_two_worker_processes_and_the_run_train_each_combination_once(runner_plan, monkeypatch):
    searched(runner_plan, "{learning_rate: [1.0e-3, 2.0e-3, 3.0e-3], batch_size: [8, 16]}")
    workers = []

    def two_workers(study):
        workers.extend(launch_workers(runner_plan, study.study_name, 2))
        deadline = time.monotonic() + 600  # a guard against a hang, not a speed check
        while time.monotonic() < deadline:
            names = {t.user_attrs.get("ran_by") for t in study.get_trials()}
            if len(names - {None}) == 2 or any(w.poll() is not None for w in workers):
                return
            time.sleep(0.2)

    worker_first(monkeypatch, two_workers)
    record = run_plan(runner_plan, max_steps=8)
    outs = [w.communicate(timeout=600) for w in workers]
    for w, (out, err) in zip(workers, outs, strict=True):
        assert w.returncode == 0, err[-3000:]
        assert out == (
            f"Search worker for run {record.run}: done, no trial of its study is left to take; "
            "the run's own `ventureplan run` evaluates the best and writes the record\n"
        )
    folder = runner_plan.parent / "runs" / record.run
    trials = ran(study_of(folder))
    grid = set(itertools.product([1.0e-3, 2.0e-3, 3.0e-3], [8, 16]))
    assert sorted(pairs(trials)) == sorted(grid)  # every combination, none twice
    assert {t.state for t in trials} <= {TrialState.COMPLETE, TrialState.PRUNED}
    ran_by = {t.user_attrs["ran_by"] for t in trials}
    assert len([r for r in ran_by if r.startswith("worker ")]) == 2
    listed = search_json(folder)
    assert [(e["trial"], e["ran_by"], e["params"]) for e in listed] == [
        (t.number, t.user_attrs["ran_by"], t.params) for t in trials
    ]
    assert not (folder / "checkpoints").exists()


@pytest.mark.slow
def test_ddp_ranks_train_the_same_trials(runner_plan):
    searched(runner_plan, "{learning_rate: [1.0e-3, 3.0e-3]}")
    proc = subprocess.run(
        [sys.executable, "-m", "ventureplan.planner.cli", "run", str(runner_plan), "--nproc", "2"],
        cwd=runner_plan.parent,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (folder,) = (runner_plan.parent / "runs").iterdir()
    listed = search_json(folder)
    assert sorted(e["params"]["learning_rate"] for e in listed) == [1.0e-3, 3.0e-3]
    assert {e["ran_by"] for e in listed} == {"main"}
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["training"]["processes"] == 2


# --- bad input: one line, nothing written ---------------------------------------------


def tree(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def refused_worker(cli, plan, *args):
    before = tree(plan.parent)
    code, out, err = cli("run", plan, *args)
    assert code == 1 and "Traceback" not in out + err, err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert tree(plan.parent) == before
    return err.removeprefix("error: ").rstrip("\n")


def test_an_unknown_run_id_for_a_worker(cli, runner_plan):
    runs = runner_plan.parent / "runs"
    assert refused_worker(cli, searched(runner_plan, GRID), "--search-worker", "nope") == (
        f"--search-worker nope: no such run in {runs}; run ids are the folder names there"
    )


def test_a_run_folder_without_a_study(cli, runner_plan):
    (runner_plan.parent / "runs" / "plain").mkdir(parents=True)
    assert refused_worker(cli, runner_plan, "--search-worker", "plain") == (
        "--search-worker plain: the run has no study.db (a route that searches nothing has "
        "none to share; a run started with --study-storage keeps its study there: give the "
        "same --study-storage)"
    )


def test_a_path_as_worker_run_id(cli, runner_plan):
    assert refused_worker(cli, runner_plan, "--search-worker", "../x").startswith(
        "--search-worker '../x' is not a run id"
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "not a url",
            "--study-storage 'not a url': not a database URL; give one, e.g. "
            "postgresql://user:password@host/db or sqlite:////absolute/path/study.db",
        ),
        (
            "nosuchdb://user:secret@host/db",
            "--study-storage nosuchdb://user:***@host/db: Optuna cannot open it (Can't load "
            "plugin: sqlalchemy.dialects:nosuchdb); give a database it can reach, e.g. "
            "postgresql://user:password@host/db or sqlite:////absolute/path/study.db",
        ),
        (
            "sqlite:////nonexistent/folder/study.db",
            "--study-storage sqlite:////nonexistent/folder/study.db: no such SQLite file; give "
            "the storage the run was started with",
        ),
    ],
    ids=["not-a-url", "unknown-database", "missing-sqlite-file"],
)
def test_a_bad_storage_for_a_worker(cli, runner_plan, url, message):
    args = ("--search-worker", "r1", "--study-storage", url)
    assert refused_worker(cli, searched(runner_plan, GRID), *args) == message


def test_a_bad_storage_for_the_run_itself(cli, runner_plan):
    args = ("--study-storage", "foo", "--no-write-back")
    message = refused_worker(cli, searched(runner_plan, GRID), *args)
    assert message.startswith("--study-storage 'foo': not a database URL")


def test_a_storage_without_that_study(cli, runner_plan, tmp_path):
    other = tmp_path / "other.db"
    optuna.create_study(study_name="someone-else", storage=f"sqlite:///{other}")
    args = ("--search-worker", "r1", "--study-storage", f"sqlite:///{other}")
    assert refused_worker(cli, searched(runner_plan, GRID), *args) == (
        f"--search-worker r1: --study-storage sqlite:///{other} holds no study of that run "
        "(it holds: someone-else)"
    )


def test_a_worker_with_another_plan_or_max_steps_is_refused(cli, runner_plan):
    record = run_plan(searched(runner_plan, GRID), max_steps=1)
    assert refused_worker(cli, runner_plan, "--search-worker", record.run) == (
        f"this plan's route differs from the one run {record.run} searches, in --max-steps; "
        "use the plan (and --max-steps) that run started with"
    )
    runner_plan.write_text(
        runner_plan.read_text().replace("batch_size: [8, 16]", "batch_size: [8]")
    )
    args = ("--search-worker", record.run, "--max-steps", "1")
    assert refused_worker(cli, runner_plan, *args) == (
        f"this plan's route differs from the one run {record.run} searches, in routes.search; "
        "use the plan (and --max-steps) that run started with"
    )


def test_a_worker_joining_a_finished_search_trains_nothing(cli, runner_plan):
    record = run_plan(searched(runner_plan, GRID), max_steps=1)
    folder = runner_plan.parent / "runs" / record.run
    before = [(t.number, t.state) for t in study_of(folder).get_trials()]
    code, out, err = cli("run", runner_plan, "--search-worker", record.run, "--max-steps", "1")
    assert (code, out) == (
        0,
        f"Search worker for run {record.run}: done, no trial of its study is left to take; "
        "the run's own `ventureplan run` evaluates the best and writes the record\n",
    )
    assert [(t.number, t.state) for t in study_of(folder).get_trials()] == before
    assert "measured: []" in runner_plan.read_text()  # no record


def test_resume_and_search_worker_together_are_refused(cli, runner_plan):
    code, out, err = cli("run", runner_plan, "--search-worker", "a", "--resume", "a")
    assert code == 2 and "--resume continues a run's own process" in err
    assert not (runner_plan.parent / "runs").exists()


def test_a_run_without_search_keeps_no_study(runner_plan):
    record = run_plan(runner_plan, max_steps=2)
    folder = runner_plan.parent / "runs" / record.run
    assert not (folder / "study.db").exists()
    (entry,) = search_json(folder)
    assert (entry["trial"], entry["state"], entry["params"]) == (0, "complete", {})
