"""Running a text-classification route, one step after another: prepare (limits, configs,
data, device, the model's limits, the study), search (Optuna trials, search.py; the best on
validation), evaluate (the test split), measure (rates, cost, forecast, goals), then the
record for the plan and the artifacts in runs/<id>/. The checkpoints go once all of that is
written; a run that fails or is killed keeps them for --resume. A --search-worker process
stops after its share of the trials: no evaluation, no record."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import time
from dataclasses import asdict, dataclass, replace
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from ventureplan.planner.errors import VenturePlanError
from ventureplan.planner.model import Plan, Route
from ventureplan.planner.records import (
    RUN_ID_ENV,
    SCORE_METRICS,
    Forecast,
    GoalResult,
    Options,
    Training,
    TrainingRecord,
    check_run_id,
)

from . import artifacts
from . import data as data_mod
from . import evaluate as scores
from . import model as model_mod
from .data import Data
from .distributed import Distributed, join, leave
from .measure import device_name, full_data_forecast, full_data_hours, score_goals, training_costs
from .search import (
    MAIN,
    STUDY_FILE,
    WAIT,
    Order,
    Space,
    StudyError,
    best_trial,
    create_study,
    default_url,
    join_study,
    listing,
    plain,
    pruning,
    refuse_surplus,
    share,
    shown_url,
    take_trials,
    wait_for_others,
    worker_name,
)
from .train import (
    Config,
    Measurement,
    check_dropout,
    check_freeze_layers,
    check_hyperparameters,
    check_max_length,
    encode,
    encoder_layers,
    model_lengths,
    pick_device,
    predict,
    refuse,
    seed_everything,
    train,
    with_dropout,
)

if TYPE_CHECKING:
    import optuna


def run_text_classification(
    plan: Plan, route: Route, plan_path: Path, options: Options
) -> TrainingRecord | None:
    """Train, evaluate and measure `route`; return the record (the caller writes it back).
    Under torchrun only rank 0 returns a record; the other processes return None, and so
    does a --search-worker process."""
    started = time.perf_counter()
    run = prepare(plan, route, plan_path, options)
    trials = Trials(route, run, options)
    if options.search_worker is not None:
        trials.work()
        leave(run.dist)
        return None
    best, tried = trials.search()
    leave(run.dist)
    if not run.dist.main:
        return None  # rank 0 evaluates, measures and writes
    assert best is not None
    pred, report = evaluate(run, best)
    found = measure(plan, route, run, best, pred, report, time.perf_counter() - started)
    record = make_record(route, run, best, report, found)
    artifacts.write(
        run.folder, best.tokenizer, best.model, record, report, tried, route, best.config
    )
    if not options.keep_checkpoints:
        shutil.rmtree(run.folder / "checkpoints", ignore_errors=True)  # only --resume reads them
    return record


@dataclass
class Prepared:
    """Everything checked before the first trial trains, and where the run lives."""

    base: Path  # the plan's folder: relative paths start here
    space: Space
    data: Data
    device: Any
    dist: Distributed
    run: str  # the run id
    folder: Path  # runs/<id>/
    at: dt.datetime
    metric: str  # the validation score the search maximises
    seed: int
    max_steps: int | None
    positions: int | None = None  # the model's, once loaded: the default max_length's cap
    study: optuna.Study | None = None  # rank 0's

    def config(self, route: Route, params: dict[str, Any]) -> Config:
        """The config of the trial that draws `params`."""
        cfg = Config.from_route({**route.hyperparameters, **params}, self.max_steps)
        if self.positions is None:
            return cfg
        return replace(cfg, max_length=min(cfg.max_length, self.positions))


@dataclass
class Best:
    """A trained trial: its config, model and measurement."""

    config: Config
    tokenizer: Any
    model: Any
    measurement: Measurement


@dataclass
class Measured:
    training: Training
    forecast: Forecast
    goals: dict[str, GoalResult]
    intervals: dict[str, tuple[float, float]]  # bootstrap 95% intervals of test-set scores


def prepare(plan: Plan, route: Route, plan_path: Path, options: Options) -> Prepared:
    import torch

    base = plan_path.parent
    runs = options.runs_dir or base / "runs"
    given = _given_run_id(options)
    unknown = sorted(set(route.limits) - {"max_train_samples"})
    if unknown:
        raise VenturePlanError(
            f"unknown limit(s) {', '.join(unknown)} in routes.limits; known: max_train_samples"
        )
    max_train = route.limits.get("max_train_samples")
    if max_train is not None and max_train < 1:
        raise VenturePlanError(
            f"routes.limits.max_train_samples: {max_train!r} is out of range; "
            "allowed: an integer of 1 or more"
        )
    # Every value of routes.hyperparameters and routes.search, before any data is read or any
    # model loaded: a bad one must not fail after an hour of training.
    refuse(check_hyperparameters(route))
    Config.from_route(route.hyperparameters, options.max_steps)  # --max-steps, checked here
    seed = Config.from_route(route.hyperparameters).seed  # the data split's, checked above
    data = data_mod.prepare(route.dataset, base, seed, max_train=max_train)
    device = pick_device(options.device or route.compute.device)
    dist = join(device)
    if dist.ddp and device.type == "cuda":
        device = torch.device("cuda", dist.local_rank)
    if device.type == "cpu":
        torch.use_deterministic_algorithms(True, warn_only=True)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    rid = given or run_id(route, now, runs)
    folder = runs / rid
    if options.resume and not any((folder / n).exists() for n in ("checkpoints", STUDY_FILE)):
        raise VenturePlanError(
            f"no checkpoint to resume in {folder}; run ids are the folder names in {runs}"
        )
    metric = _selection_metric(plan, route)
    run = Prepared(
        base=base,
        space=Space.of(route),
        data=data,
        device=device,
        dist=dist,
        run=rid,
        folder=folder,
        at=now,
        metric=metric,
        seed=seed,
        max_steps=options.max_steps,
    )
    run.positions = check_model(route, run)
    run.study = open_study(route, run, options, runs)
    return run


def _given_run_id(options: Options) -> str | None:
    """The run id the options name (checked before any work), if any."""
    if options.resume is not None and options.search_worker is not None:
        raise VenturePlanError(
            "--resume continues a run's own process and --search-worker joins one as another "
            "worker; give one of them"
        )
    for value, what in (
        (options.resume, "--resume"),
        (options.search_worker, "--search-worker"),
        (os.environ.get(RUN_ID_ENV), RUN_ID_ENV),
    ):
        if value is not None:
            return check_run_id(value, what)
    return None


def check_model(route: Route, run: Prepared) -> int | None:
    """The route's max_length, freeze_layers and dropout checked against the loaded model,
    once, before the study records a trial; returns the model's positions, which the
    default max_length (128) is lowered to."""
    seed_everything(run.seed)
    classes = run.data.classes
    tokenizer, model = model_mod.load(route.model, run.base, len(classes), dict(enumerate(classes)))
    low, high = model_lengths(tokenizer, model)
    layers = len(encoder_layers(model))
    refuse(
        check_max_length(route, low, high)
        + check_freeze_layers(route, layers)
        + check_dropout(route, model.config)
    )
    return high


def open_study(route: Route, run: Prepared, options: Options, runs: Path) -> optuna.Study | None:
    """Rank 0's study: made for the run, or joined by a --search-worker. A problem is told
    to every rank, so that all of them stop."""
    study, problem = None, None
    if run.dist.main:
        try:
            study = _study(route, run, options, runs)
        except StudyError as exc:
            problem = str(exc)
    problem = share(run.dist, problem)
    if problem is not None:
        raise StudyError(problem)
    return study


def _study(route: Route, run: Prepared, options: Options, runs: Path) -> optuna.Study:
    given = options.study_storage
    if given is None:
        url, label = default_url(run.folder), str(run.folder / STUDY_FILE)
    else:
        url, label = given, f"--study-storage {shown_url(given)}"
    if options.search_worker is not None:
        if given is None and not run.folder.is_dir():
            raise StudyError(
                f"--search-worker {run.run}: no such run in {runs}; run ids are the folder "
                "names there"
            )
        if given is None and not (run.folder / STUDY_FILE).is_file():
            raise StudyError(
                f"--search-worker {run.run}: the run has no {STUDY_FILE} (a route that "
                "searches nothing has none to share; a run started with --study-storage "
                "keeps its study there: give the same --study-storage)"
            )
        return join_study(run.run, url, label, run.space, run.seed, _route_of(route, run))
    if given is None:
        run.folder.mkdir(parents=True, exist_ok=True)  # SQLite makes the file, not its folder
    study = create_study(
        run.run,
        url if given is not None or route.search else None,  # one trial: kept in memory
        label,
        run.space,
        run.seed,
        _route_of(route, run),
        resume=options.resume is not None,
    )
    run.folder.mkdir(parents=True, exist_ok=True)
    return study


def _route_of(route: Route, run: Prepared) -> dict[str, Any]:
    """What the study keeps of the route, named as the plan and the options name it: a
    worker whose plan differs in any of these would search something else."""
    return plain(
        {
            "routes.model": route.model,
            "routes.dataset": route.dataset.model_dump(mode="json"),
            "routes.hyperparameters": route.hyperparameters,
            "routes.search": {
                n: v if isinstance(v, list) else v.model_dump(mode="json")
                for n, v in route.search.items()
            },
            "routes.search_trials": route.search_trials,
            "routes.limits": route.limits,
            "--max-steps": run.max_steps,
            "the goal metric it selects on": run.metric,
        }
    )


class Trials:
    """This process's part of the search: the objective Optuna calls on rank 0, the same
    training on the other ranks, and the best model trained here (in the run's own
    process; a worker keeps none)."""

    def __init__(self, route: Route, run: Prepared, options: Options) -> None:
        self.route, self.run, self.options = route, run, options
        self.worker = MAIN if options.search_worker is None else worker_name()
        self.kept: tuple[int, Best] | None = None
        self.progress = _progress(options.progress)

    def search(self) -> tuple[Best | None, list[dict[str, Any]]]:
        """Take trials, wait for other workers' ones, re-train the best if another worker
        ran it. Rank 0 returns it and every trial's entry; other ranks (None, [])."""
        run = self.run
        with self.progress:
            if not run.dist.main:
                self.follow()
                return None, []
            assert run.study is not None
            take_trials(run.study, run.space.trials, self.objective)
            wait_for_others(run.study, tick=lambda: share(run.dist, WAIT))
            top = best_trial(run.study)
            if self.kept is None or self.kept[0] != top.number:
                # same params, same seed: the same model (checkpoints continue on --resume)
                resume = self.options.resume is not None
                again = Order(top.number, top.params, resume=resume, prune=False)
                share(run.dist, again)
                self.kept = (top.number, self.train(again))
            share(run.dist, None)
        return self.kept[1], listing(run.study, run.metric)

    def work(self) -> None:
        """A --search-worker's part: trials until the study has its budget."""
        with self.progress:
            if not self.run.dist.main:
                self.follow()
                return
            assert self.run.study is not None
            take_trials(self.run.study, self.run.space.trials, self.objective)
            share(self.run.dist, None)

    def objective(self, trial: optuna.Trial) -> float:
        run = self.run
        refuse_surplus(trial, run.space.trials)
        requeued = bool(trial.user_attrs.get("requeued"))
        resume = self.options.resume is not None or requeued
        order = Order(trial.number, run.space.suggest(trial), resume=resume)
        trial.set_user_attr("ran_by", self.worker)
        trial.set_user_attr("hyperparameters", asdict(run.config(self.route, order.params)))
        share(run.dist, order)
        try:
            got = self.train(order, trial)
        finally:
            if self.worker != MAIN and not self.options.keep_checkpoints:
                shutil.rmtree(self.checkpoints(order), ignore_errors=True)  # in the study now
        score = got.measurement.best_validation
        if self.worker == MAIN and (
            self.kept is None or score > self.kept[1].measurement.best_validation
        ):
            self.kept = (trial.number, replace(got, model=got.model.cpu()))
        return score

    def follow(self) -> None:
        """A rank other than 0: train each trial rank 0 hands over, until it says done."""
        import optuna

        while (order := share(self.run.dist, None)) is not None:
            if order == WAIT:
                continue
            with contextlib.suppress(optuna.TrialPruned):  # rank 0 moves on too
                self.train(order)

    def checkpoints(self, order: Order) -> Path:
        return self.run.folder / "checkpoints" / f"trial-{order.number}"

    def train(self, order: Order, trial: optuna.Trial | None = None) -> Best:
        """Train one trial's config; on rank 0, `trial` hears each epoch's score."""
        run, route = self.run, self.route
        cfg = run.config(route, order.params)
        seed_everything(cfg.seed)  # the new classification head starts from it
        classes = run.data.classes
        tokenizer, model = model_mod.load(
            route.model, run.base, len(classes), dict(enumerate(classes))
        )
        if cfg.dropout is not None:
            model = with_dropout(model, cfg.dropout)
        d = run.data
        train_set = encode(tokenizer, d.train.texts, d.train.labels, cfg.max_length)
        val_set = encode(tokenizer, d.validation.texts, d.validation.labels, cfg.max_length)
        m = train(
            model,
            tokenizer,
            train_set,
            val_set,
            cfg,
            run.device,
            self.score,
            self.checkpoints(order),
            resume=order.resume,
            progress=self.progress if self.options.progress else None,
            dist=run.dist,
            on_epoch=pruning(trial, run.dist) if order.prune else None,
        )
        return Best(cfg, tokenizer, model, m)

    def score(self, pred: np.ndarray, labels: list[int]) -> float:
        return scores.metric(self.run.metric, np.asarray(labels), pred)


def evaluate(run: Prepared, best: Best) -> tuple[np.ndarray, dict[str, Any]]:
    """The best model's predictions on the test split, and scikit-learn's report of them."""
    cfg, tokenizer = best.config, best.tokenizer
    best.model.to(run.device)
    test_set = encode(tokenizer, run.data.test.texts, run.data.test.labels, cfg.max_length)
    pred = predict(best.model, test_set, cfg, tokenizer.pad_token_id or 0, run.device)
    return pred, scores.report(run.data.test.labels, pred, run.data.classes)


def measure(
    plan: Plan,
    route: Route,
    run: Prepared,
    best: Best,
    pred: np.ndarray,
    report: dict[str, Any],
    seconds: float,
) -> Measured:
    """Training rates and cost, the full-data forecast, and each goal the route measures."""
    cfg, price = best.config, route.compute.price_per_hour
    training = training_costs(best.measurement, run.dist, run.device, price, seconds)
    assert training.samples_per_second is not None
    hours = full_data_hours(run.data, cfg, training.samples_per_second)
    resources = {
        "train_hours": hours,
        "cost": hours * price,
        "samples_per_second": training.samples_per_second,
    }
    goals, intervals = score_goals(
        plan, route, report["metrics"], run.data.test.labels, pred, resources, run.seed
    )
    forecast = full_data_forecast(run.data, cfg, hours, price)
    return Measured(training, forecast, goals, intervals)


def make_record(
    route: Route, run: Prepared, best: Best, report: dict[str, Any], found: Measured
) -> TrainingRecord:
    """The one record of the run, validated here, before anything is written."""
    import torch

    return TrainingRecord(
        run=run.run,
        route=route.id,
        at=run.at,
        device=device_name(run.device),
        versions={
            "ventureplan": version("ventureplan"),
            "torch": torch.__version__.split("+")[0],
            "transformers": version("transformers"),
        },
        data=run.data.record(),
        hyperparameters={k: v for k, v in asdict(best.config).items() if v is not None},
        metrics=report["metrics"],
        intervals=found.intervals,
        goals=found.goals,
        training=found.training,
        forecast=found.forecast,
        rehearsal=bool(reasons := rehearsal_reasons(run, best)),
        rehearsal_reasons=reasons,
    )


def rehearsal_reasons(run: Prepared, best: Best) -> list[str]:
    """Why the run is a rehearsal, not evidence: it was capped (early stopping on the
    validation score is not a cap: the run ended where training said it should)."""
    reasons = []
    cfg, m = best.config, best.measurement
    if cfg.max_steps is not None and m.steps >= cfg.max_steps:
        reasons.append(
            f"stopped by --max-steps {cfg.max_steps} after {m.epochs_run} of {cfg.epochs} epochs"
        )
    if len(run.data.train) < run.data.full_train:
        reasons.append(
            f"trained on {len(run.data.train):,} of {run.data.full_train:,} training examples "
            "(routes.limits.max_train_samples)"
        )
    return reasons


def run_id(route: Route, now: dt.datetime, runs: Path, suffix: str = "") -> str:
    """A run id no folder in `runs` has yet (nor one being built, `<id>.partial`):
    `<time>-<route><suffix>`, with -2, -3… when taken. `suffix`: -opt, -load."""
    base = f"{now.strftime('%Y%m%dT%H%M%SZ')}-{route.id}{suffix}"
    rid, n = base, 2
    while (runs / rid).exists() or (runs / f"{rid}.partial").exists():
        rid, n = f"{base}-{n}", n + 1
    return rid


def _selection_metric(plan: Plan, route: Route) -> str:
    goals = {g.id: g for g in plan.goals}
    for gid in route.measures:
        metric = goals[gid].metric if gid in goals else None
        if metric in SCORE_METRICS:
            return metric
    return "macro_f1"


def _progress(enabled: bool) -> Any:
    """The training bar, on stderr: stdout holds only what the command reports."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} steps"),
        TimeElapsedColumn(),
    )
    return Progress(*columns, console=Console(stderr=True), disable=not enabled, transient=True)
