"""The hyperparameter search, on Optuna. The lists of routes[].search are a grid
(GridSampler: every combination once); ranges {low, high, log} are drawn by TPE,
search_trials times, the lists beside them being choices among their values. The median
pruner stops a trial whose validation score after an epoch is under the median of the
earlier trials' at that epoch.

The study is named for the run and lives in an RDB storage (SQLite at runs/<id>/study.db
unless --study-storage names another), so that `run --search-worker ID` processes join it:

- Exactly once. Optuna numbers a study's trials atomically and GridSampler gives trial k
  the grid's combination k, so a process asks for a trial only while the study has fewer
  than its budget (the grid's size, or search_trials); a trial numbered past the budget,
  when two processes asked for the last one at the same instant, fails at once, marked
  `surplus`, without training.
- A worker that dies. Each process beats a heartbeat while it trains. The run's own
  process, once no trial is left to take, waits for the others' and fails any whose
  heartbeat stopped GRACE_S ago; the search goes on without it (re-running it could race
  with a worker that was only slow). The wait is bounded by that grace for a dead worker;
  a live one is waited for.
- --resume. The run's own trials that were running when it stopped go back to the queue,
  keeping their numbers (and grid points), and continue from their checkpoints.
- torchrun. Rank 0 alone talks to the study: it hands each trial to the other ranks, and
  its pruner's decision after each epoch, so that every rank trains the same trial.

A route that searches nothing is one trial in memory: nothing to share, no study.db.
"""

from __future__ import annotations

import json
import math
import os
import socket
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from ventureplan.planner.errors import VenturePlanError
from ventureplan.planner.model import Route, SearchRange

from .distributed import Distributed
from .train import HYPERPARAMETERS, Measurement

if TYPE_CHECKING:
    import optuna

DEFAULT_TRIALS = 10  # search_trials when a route with ranges gives none
HEARTBEAT_S = 10  # how often a training process says it is alive
GRACE_S = 60  # silence after which its trial counts as dead
POLL_S = 1.0  # how often the run's own process looks at the others' trials
PRUNE_AFTER_TRIALS = 2  # completed trials before the pruner may stop one
PRUNE_FROM_EPOCH = 2  # the first epoch after which it may (the first is noisy)
STUDY_FILE = "study.db"
MAIN = "main"  # `ran_by` of the run's own process
WAIT = "wait"  # rank 0 to the other ranks: still waiting for other workers' trials


class StudyError(VenturePlanError):
    """The study cannot be opened, made or joined; the message says what to change."""


class Surplus(Exception):
    """A trial numbered past the budget: another process asked for the last one too."""


@dataclass(frozen=True)
class Order:
    """One trial to train, as rank 0 hands it to every rank."""

    number: int
    params: dict[str, Any]
    resume: bool  # continue from the trial's checkpoint where it has one
    prune: bool = True  # report each epoch to the pruner (not when re-training the best)


@dataclass(frozen=True)
class Space:
    """What the route searches, and how many trials that takes."""

    search: dict[str, list[Any] | SearchRange]
    trials: int

    @classmethod
    def of(cls, route: Route) -> Space:
        search = {n: v if isinstance(v, SearchRange) else list(v) for n, v in route.search.items()}
        if any(isinstance(v, SearchRange) for v in search.values()):
            return cls(search, route.search_trials or DEFAULT_TRIALS)
        return cls(search, math.prod(len(v) for v in search.values() if isinstance(v, list)))

    @property
    def grid(self) -> bool:
        return not any(isinstance(v, SearchRange) for v in self.search.values())

    def sampler(self, seed: int, main: bool) -> optuna.samplers.BaseSampler:
        """Every process shuffles the grid with the route's seed (they must agree on which
        trial number is which combination); TPE draws with the route's seed in the run's
        own process and with a seed of its own in each worker, or all would draw alike."""
        import optuna

        if self.grid:
            lists = {n: v for n, v in self.search.items() if isinstance(v, list)}
            return optuna.samplers.GridSampler(lists, seed=seed)
        if not main:
            seed = int(np.random.SeedSequence([seed, os.getpid()]).generate_state(1)[0])
        # A third of the trials drawn at random before TPE models them, not Optuna's 10:
        # each trial is a fine-tune, and 10 is the default search_trials.
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=max(2, self.trials // 3))

    def suggest(self, trial: optuna.Trial) -> dict[str, Any]:
        """The trial's value of each searched hyperparameter, in the plan's order."""
        out: dict[str, Any] = {}
        for name, values in self.search.items():
            if not isinstance(values, SearchRange):
                out[name] = trial.suggest_categorical(name, values)
            elif HYPERPARAMETERS[name].kind is int:
                low, high = int(values.low), int(values.high)
                out[name] = trial.suggest_int(name, low, high, log=values.log)
            else:
                out[name] = trial.suggest_float(name, values.low, values.high, log=values.log)
        return out


def worker_name() -> str:
    return f"worker {socket.gethostname()}:{os.getpid()}"


def default_url(folder: Path) -> str:
    return f"sqlite:///{(folder / STUDY_FILE).absolute()}"


def shown_url(url: str) -> str:
    """The URL as messages show it: without its password."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url.split("://", 1)[0] + "://..." if "://" in url else repr(url)


def open_storage(url: str, label: str, *, joining: bool) -> optuna.storages.RDBStorage:
    """The storage at `url` (`label` in messages), with heartbeats. A joining worker creates
    nothing there: no tables, and for SQLite no file."""
    import optuna
    import sqlalchemy.exc
    from sqlalchemy.engine import make_url

    example = "e.g. postgresql://user:password@host/db or sqlite:////absolute/path/study.db"
    try:
        parsed = make_url(url)
    except sqlalchemy.exc.ArgumentError:
        raise StudyError(f"{label}: not a database URL; give one, {example}") from None
    sqlite = parsed.get_backend_name() == "sqlite"
    if joining and sqlite and not (parsed.database and Path(parsed.database).is_file()):
        raise StudyError(f"{label}: no such SQLite file; give the storage the run was started with")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.storages.RDBStorage(
                url,
                # SQLite takes one writer at a time: wait for the lock rather than fail
                engine_kwargs={"connect_args": {"timeout": 60}} if sqlite else None,
                heartbeat_interval=HEARTBEAT_S,
                grace_period=GRACE_S,
                skip_table_creation=joining,
            )
    except (sqlalchemy.exc.SQLAlchemyError, optuna.exceptions.OptunaError, ImportError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StudyError(
            f"{label}: Optuna cannot open it ({reason}); give a database it can reach, {example}"
        ) from None


def _pruner() -> optuna.pruners.BasePruner:
    import optuna

    return optuna.pruners.MedianPruner(
        n_startup_trials=PRUNE_AFTER_TRIALS, n_warmup_steps=PRUNE_FROM_EPOCH - 1
    )


def _quiet() -> None:
    """Optuna logs each trial, and a failed one with its traceback; the run reports its
    own errors and summary instead."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)


def create_study(
    run: str,
    url: str | None,
    label: str,
    space: Space,
    seed: int,
    route: dict[str, Any],
    *,
    resume: bool,
) -> optuna.Study:
    """The run's study, new (or, on --resume, the one it had, its interrupted trials queued
    again). `url` None: in memory. `route` is what a worker's plan must match."""
    import optuna

    _quiet()
    storage = open_storage(url, label, joining=False) if url is not None else None
    try:
        study = optuna.create_study(
            study_name=run,
            storage=storage,
            sampler=space.sampler(seed, main=True),
            pruner=_pruner(),
            direction="maximize",
            load_if_exists=resume,
        )
    except optuna.exceptions.DuplicatedStudyError:
        raise StudyError(
            f"{label} already holds a study named {run!r}; continue that run "
            f"with --resume {run}, or start a new one"
        ) from None
    if "route" in study.user_attrs:
        _same_route(study, route, run)
    else:
        study.set_user_attr("route", route)
    if resume and storage is not None:
        _requeue(study, storage)
    return study


def join_study(
    run: str, url: str, label: str, space: Space, seed: int, route: dict[str, Any]
) -> optuna.Study:
    """The study of run `run`, for one more worker; refused where this plan's route is not
    the one it searches."""
    import optuna
    import sqlalchemy.exc

    _quiet()
    storage = open_storage(url, label, joining=True)
    try:
        names = optuna.get_all_study_names(storage)
    except sqlalchemy.exc.SQLAlchemyError:
        raise StudyError(f"{label}: holds no Optuna study") from None
    if run not in names:
        raise StudyError(
            f"--search-worker {run}: {label} holds no study of that run "
            f"(it holds: {', '.join(sorted(names)) or 'none'})"
        )
    study = optuna.load_study(
        study_name=run, storage=storage, sampler=space.sampler(seed, main=False), pruner=_pruner()
    )
    _same_route(study, route, run)
    return study


def plain(value: Any) -> Any:
    """`value` as the study stores it (JSON), so that what a plan says compares equal."""
    return json.loads(json.dumps(value))


def _same_route(study: optuna.Study, route: dict[str, Any], run: str) -> None:
    kept = study.user_attrs.get("route", {})
    differ = [k for k, v in route.items() if kept.get(k) != v]
    if differ:
        raise StudyError(
            f"this plan's route differs from the one run {run} searches, in "
            f"{', '.join(differ)}; use the plan (and --max-steps) that run started with"
        )


def _requeue(study: optuna.Study, storage: optuna.storages.BaseStorage) -> None:
    """The run's own trials that were running when it stopped, queued again (same number)."""
    from optuna.trial import TrialState

    sid = storage.get_study_id_from_name(study.study_name)
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        if t.user_attrs.get("ran_by") == MAIN:
            tid = storage.get_trial_id_from_study_id_trial_number(sid, t.number)
            storage.set_trial_user_attr(tid, "requeued", True)
            storage.set_trial_state_values(tid, TrialState.WAITING)


def take_trials(
    study: optuna.Study, budget: int, objective: Callable[[optuna.Trial], float]
) -> None:
    """Run trials in this process while the study has fewer than `budget` or some are
    queued (Optuna hands out the queued ones first)."""
    from optuna.trial import TrialState

    while True:
        trials = study.get_trials(deepcopy=False)
        if len(trials) >= budget and not any(t.state == TrialState.WAITING for t in trials):
            return
        study.optimize(objective, n_trials=1, catch=(Surplus,))


def refuse_surplus(trial: optuna.Trial, budget: int) -> None:
    if trial.number >= budget:
        trial.set_user_attr("surplus", True)
        raise Surplus(f"trial {trial.number}: the study had its {budget} trials already")


def wait_for_others(study: optuna.Study, tick: Callable[[], None]) -> None:
    """Until no trial runs in another worker: a dead one's trial is failed once its
    heartbeat has been silent for GRACE_S. `tick` runs at each look."""
    import optuna
    from optuna.trial import TrialState

    while True:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            optuna.storages.fail_stale_trials(study)
        if not study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            return
        tick()
        time.sleep(POLL_S)


def best_trial(study: optuna.Study) -> optuna.trial.FrozenTrial:
    """The completed trial with the highest score (the first, among equals)."""
    from optuna.trial import TrialState

    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if not done:
        states = [t.state.name.lower() for t in study.get_trials(deepcopy=False)]
        counts = ", ".join(f"{states.count(s)} {s}" for s in sorted(set(states)))
        raise StudyError(f"no trial of the search completed ({counts or 'none ran'})")
    return max(done, key=lambda t: (t.value, -t.number))


def pruning(trial: optuna.Trial | None, dist: Distributed) -> Callable[[Measurement], None]:
    """train()'s on_epoch for one trial: rank 0 (which holds `trial`) records the progress,
    reports the epoch's score and asks the pruner; every rank stops on its answer."""
    import optuna

    def on_epoch(m: Measurement) -> None:
        stop = False
        if trial is not None:
            trial.set_user_attr("best_validation", m.best_validation)
            trial.set_user_attr("best_epoch", m.best_epoch)
            trial.set_user_attr("epochs_run", m.epochs_run)
            with warnings.catch_warnings():
                # A resumed trial repeats the epoch it was stopped in, whose (same) score it
                # may have reported already: Optuna keeps the first and says so.
                warnings.filterwarnings("ignore", "The reported value is ignored")
                trial.report(m.history[-1]["validation"], step=m.epochs_run - 1)
            stop = trial.should_prune()
        if share(dist, stop):
            raise optuna.TrialPruned(
                f"under the median of earlier trials after epoch {m.epochs_run}"
            )

    return on_epoch


def share(dist: Distributed, value: Any) -> Any:
    """Rank 0's `value`, on every rank."""
    if not dist.ddp:
        return value
    import torch.distributed

    box = [value]
    torch.distributed.broadcast_object_list(box, src=0)
    return box[0]


def listing(study: optuna.Study, metric: str) -> list[dict[str, Any]]:
    """Every trial that ran (not the surplus ones), for search.json: its state, who ran
    it, the values drawn, the resolved hyperparameters and its best validation score."""
    out = []
    for t in sorted(study.get_trials(deepcopy=False), key=lambda t: t.number):
        if t.user_attrs.get("surplus"):
            continue
        score = t.user_attrs.get("best_validation")
        out.append(
            {
                "trial": t.number,
                "state": t.state.name.lower(),
                "ran_by": t.user_attrs.get("ran_by"),
                "params": t.params,
                "hyperparameters": t.user_attrs.get("hyperparameters"),
                "validation": None if score is None else {metric: round(score, 4)},
                "best_epoch": t.user_attrs.get("best_epoch"),
                "epochs_run": t.user_attrs.get("epochs_run"),
            }
        )
    return out
