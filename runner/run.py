"""Running a text-classification route, one step after another: prepare (limits, configs,
data, device), search (train each combination of the grid, keep the best on validation),
evaluate (the test split), measure (rates, cost, forecast, goals), then the record for
the plan and the artifacts in runs/<id>/. The checkpoints go once all of that is written;
a run that fails or is killed keeps them for --resume."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
import time
from dataclasses import asdict, dataclass, replace
from importlib.metadata import version
from pathlib import Path
from typing import Any

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
from .train import (
    Config,
    Measurement,
    check_hyperparameters,
    check_max_length,
    encode,
    model_lengths,
    pick_device,
    predict,
    refuse,
    seed_everything,
    train,
)


def run_text_classification(
    plan: Plan, route: Route, plan_path: Path, options: Options
) -> TrainingRecord | None:
    """Train, evaluate and measure `route`; return the record (the caller writes it back).
    Under torchrun only rank 0 returns a record; the other processes return None."""
    started = time.perf_counter()
    run = prepare(plan, route, plan_path, options)
    best, tried = search(route, run, options)
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
    """Everything checked before the first model is loaded, and where the run lives."""

    base: Path  # the plan's folder: relative paths start here
    configs: list[Config]  # one per combination of the grid
    data: Data
    device: Any
    dist: Distributed
    run: str  # the run id
    folder: Path  # runs/<id>/
    at: dt.datetime
    metric: str  # the validation score the search maximises
    seed: int


@dataclass
class Best:
    """The combination that won the search, with its trained model."""

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
    given = options.resume or os.environ.get(RUN_ID_ENV)  # checked before any work
    if given is not None:
        check_run_id(given, "--resume" if options.resume else RUN_ID_ENV)
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
    configs = [Config.from_route(h, options.max_steps) for h in _grid(route)]
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
    if options.resume and not (folder / "checkpoints").exists():
        raise VenturePlanError(
            f"no checkpoint to resume in {folder}; run ids are the folder names in {runs}"
        )
    folder.mkdir(parents=True, exist_ok=True)
    metric = _selection_metric(plan, route)
    return Prepared(base, configs, data, device, dist, rid, folder, now, metric, seed)


def search(
    route: Route, run: Prepared, options: Options
) -> tuple[Best | None, list[dict[str, Any]]]:
    """Train every combination; the best on validation, and what each one scored. Processes
    other than rank 0 get (None, [])."""
    data, best, tried = run.data, None, []
    id2label = dict(enumerate(data.classes))

    def score(pred: np.ndarray, labels: list[int]) -> float:
        return scores.metric(run.metric, np.asarray(labels), pred)

    with _progress(options.progress) as progress:
        for i in range(len(run.configs)):
            seed_everything(run.configs[i].seed)  # the new classification head starts from it
            tokenizer, model = model_mod.load(route.model, run.base, len(data.classes), id2label)
            if i == 0:  # before the first combination trains
                run.configs = fit_to_model(route, run.configs, tokenizer, model)
            cfg = run.configs[i]
            train_set = encode(tokenizer, data.train.texts, data.train.labels, cfg.max_length)
            val_set = encode(
                tokenizer, data.validation.texts, data.validation.labels, cfg.max_length
            )
            m = train(
                model,
                tokenizer,
                train_set,
                val_set,
                cfg,
                run.device,
                score,
                run.folder / "checkpoints" / f"combo-{i}",
                resume=options.resume is not None,
                progress=progress if options.progress else None,
                dist=run.dist,
            )
            if not run.dist.main:
                continue
            tried.append(
                {
                    "hyperparameters": asdict(cfg),
                    "validation": {run.metric: round(m.best_validation, 4)},
                    "best_epoch": m.best_epoch,
                    "epochs_run": m.epochs_run,
                }
            )
            if best is None or m.best_validation > best.measurement.best_validation:
                best = Best(cfg, tokenizer, model.cpu(), m)
    return best, tried


def fit_to_model(route: Route, configs: list[Config], tokenizer: Any, model: Any) -> list[Config]:
    """The configs, checked against what the loaded model takes: a max_length the plan sets
    outside it is refused; the default one (128) is lowered to the model's positions."""
    low, high = model_lengths(tokenizer, model)
    refuse(check_max_length(route, low, high))
    if high is None:
        return configs
    return [replace(c, max_length=min(c.max_length, high)) for c in configs]


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
        hyperparameters={
            k: v for k, v in asdict(best.config).items() if k != "max_steps" or v is not None
        },
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


def run_id(route: Route, now: dt.datetime, runs: Path) -> str:
    base = f"{now.strftime('%Y%m%dT%H%M%SZ')}-{route.id}"
    rid, n = base, 2
    while (runs / rid).exists():
        rid, n = f"{base}-{n}", n + 1
    return rid


def _selection_metric(plan: Plan, route: Route) -> str:
    goals = {g.id: g for g in plan.goals}
    for gid in route.measures:
        metric = goals[gid].metric if gid in goals else None
        if metric in SCORE_METRICS:
            return metric
    return "macro_f1"


def _grid(route: Route) -> list[dict[str, Any]]:
    keys = list(route.search)
    combos = itertools.product(*(route.search[k] for k in keys)) if keys else [()]
    return [{**route.hyperparameters, **dict(zip(keys, values, strict=True))} for values in combos]


def _progress(enabled: bool) -> Any:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} steps"),
        TimeElapsedColumn(),
    )
    return Progress(*columns, disable=not enabled, transient=True)
