"""Running a text-classification route: data, the grid search, the test evaluation, the
measurements, the artifacts in runs/<id>/ and the record for the plan."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import resource
import time
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from ventureplan.planner.atomic import write_atomic
from ventureplan.planner.errors import VenturePlanError
from ventureplan.planner.model import Plan, Route

from . import data as data_mod
from . import evaluate
from . import model as model_mod
from .train import Config, Measurement, encode, pick_device, predict, seed_everything, train

RESOURCE_METRICS = ("train_hours", "cost", "samples_per_second")


@dataclass
class Options:
    device: str | None = None  # overrides compute.device
    max_steps: int | None = None
    resume: str | None = None  # a run id whose checkpoint to continue
    runs_dir: Path | None = None
    progress: bool = True


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
        if metric in evaluate.SCORES:
            return metric
    return "macro_f1"


def _grid(route: Route) -> list[dict[str, Any]]:
    keys = list(route.search)
    combos = itertools.product(*(route.search[k] for k in keys)) if keys else [()]
    return [{**route.hyperparameters, **dict(zip(keys, values, strict=True))} for values in combos]


def _peak_memory_mb(device: Any) -> float:
    import torch

    if device.type == "cuda":
        return round(torch.cuda.max_memory_allocated() / 2**20, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _device_name(device: Any) -> str:
    import torch

    if device.type == "cuda":
        return str(torch.cuda.get_device_name(device))
    return f"cpu ({torch.get_num_threads()} threads)"


def _distributed(device: Any) -> tuple[int, int]:
    """Join the process group when started by torchrun: (rank, world size), or (-1, 1)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return -1, 1
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return dist.get_rank(), world


def run_text_classification(
    plan: Plan, route: Route, plan_path: Path, options: Options
) -> dict[str, Any] | None:
    """Train, evaluate and measure `route`; return the record (the caller writes it back).
    Under torchrun only rank 0 returns a record; the other processes return None."""
    import torch
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    started = time.perf_counter()
    base = plan_path.parent
    runs = options.runs_dir or base / "runs"
    seed = int(route.hyperparameters.get("seed", 13))
    limits = route.limits
    unknown = sorted(set(limits) - {"max_train_samples"})
    if unknown:
        raise VenturePlanError(
            f"unknown limit(s) {', '.join(unknown)} in routes.limits; known: max_train_samples"
        )
    configs = [
        Config.from_route(h, options.max_steps) for h in _grid(route)
    ]  # check before any work
    data = data_mod.prepare(route.dataset, base, seed, max_train=limits.get("max_train_samples"))
    device = pick_device(options.device or route.compute.device)
    rank, world = _distributed(device)
    if rank >= 0 and device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    if device.type == "cpu":
        torch.use_deterministic_algorithms(True, warn_only=True)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    rid = options.resume or os.environ.get("VENTUREPLAN_RUN_ID") or run_id(route, now, runs)
    folder = runs / rid
    if options.resume and not (folder / "checkpoints").exists():
        raise VenturePlanError(
            f"no checkpoint to resume in {folder}; run ids are the folder names in {runs}"
        )
    folder.mkdir(parents=True, exist_ok=True)
    metric = _selection_metric(plan, route)
    id2label = dict(enumerate(data.classes))

    def score(pred: Any, labels: list[int]) -> float:
        import numpy as np

        return evaluate.metric(metric, np.asarray(labels), pred)

    best: tuple[float, int, Any, Any, Measurement] | None = None
    search = []
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} steps"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, disable=not options.progress, transient=True) as progress:
        for i, cfg in enumerate(configs):
            seed_everything(cfg.seed)  # the new classification head is initialised from it
            tokenizer, model = model_mod.load(route.model, base, len(data.classes), id2label)
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
                device,
                score,
                folder / "checkpoints" / f"combo-{i}",
                resume=options.resume is not None,
                progress=progress if options.progress else None,
            )
            if rank > 0:
                continue
            search.append(
                {
                    "hyperparameters": asdict(cfg),
                    "validation": {metric: round(m.best_validation, 4)},
                    "best_epoch": m.best_epoch,
                    "epochs_run": m.epochs_run,
                }
            )
            if best is None or m.best_validation > best[0]:
                best = (m.best_validation, i, tokenizer, model.cpu(), m)
    if rank >= 0:
        import torch.distributed as dist

        dist.destroy_process_group()
        if rank > 0:
            return None  # rank 0 evaluates, measures and writes
    assert best is not None
    _, index, tokenizer, model, m = best
    cfg = configs[index]
    model.to(device)
    test_set = encode(tokenizer, data.test.texts, data.test.labels, cfg.max_length)
    pred = predict(model, test_set, cfg, tokenizer.pad_token_id or 0, device)
    result = evaluate.report(data.test.labels, pred, data.classes)

    rates = m.rates()
    hours = m.seconds * world / 3600  # every process holds a device
    price = route.compute.price_per_hour
    per_second = rates["samples_per_second"]
    full_hours = data.full_train * cfg.epochs / max(per_second, 1e-9) / 3600
    training = {
        **rates,
        "end_to_end_seconds": round(time.perf_counter() - started, 3),
        "peak_memory_mb": _peak_memory_mb(device),
        "device_hours": round(hours, 6),
        "cost": round(hours * price, 4),
        "steps": m.steps,
        "epochs": m.epochs_run,
        "processes": world,
    }
    forecast = {
        "full_data_hours": round(full_hours, 4),
        "full_data_cost": round(full_hours * price, 2),
        "full_train_samples": data.full_train,
        "epochs": cfg.epochs,
    }
    measured_values = {
        "train_hours": full_hours,
        "cost": full_hours * price,
        "samples_per_second": per_second,
    }

    goals: dict[str, Any] = {}
    intervals: dict[str, list[float]] = {}
    by_id = {g.id: g for g in plan.goals}
    for gid in route.measures:
        goal = by_id.get(gid)
        if goal is None or goal.metric is None:
            continue
        if goal.metric in evaluate.SCORES:
            (low, high), p_miss = evaluate.bootstrap(
                goal.metric,
                data.test.labels,
                pred,
                seed=seed,
                target=goal.target,
                direction=goal.direction,
            )
            intervals[goal.metric] = [low, high]
            value = result["metrics"][goal.metric]
        elif goal.metric in RESOURCE_METRICS:
            value, p_miss = round(measured_values[goal.metric], 4), None
        else:
            continue
        met = None
        if goal.target is not None:
            met = value >= goal.target if goal.direction == ">=" else value <= goal.target
        goals[gid] = {"value": value, "target": goal.target, "met": met, "p_miss": p_miss}

    record: dict[str, Any] = {
        "run": rid,
        "route": route.id,
        "at": now.isoformat().replace("+00:00", "Z"),
        "device": _device_name(device),
        "versions": {
            "ventureplan": version("ventureplan"),
            "torch": torch.__version__.split("+")[0],
            "transformers": version("transformers"),
        },
        "data": data.record(),
        "hyperparameters": {
            k: v for k, v in asdict(cfg).items() if k != "max_steps" or v is not None
        },
        "metrics": result["metrics"],
        "intervals": intervals,
        "goals": goals,
        "training": training,
        "forecast": forecast,
    }
    _artifacts(folder, tokenizer, model, record, result, search, route, cfg)
    return record


def _artifacts(
    folder: Path,
    tokenizer: Any,
    model: Any,
    record: dict[str, Any],
    result: dict[str, Any],
    search: list[dict[str, Any]],
    route: Route,
    cfg: Config,
) -> None:
    model.cpu().save_pretrained(folder / "model", safe_serialization=True)
    tokenizer.save_pretrained(folder / "model")
    files = {
        "metrics.json": record,
        "per_class.json": result["per_class"],
        "confusion_matrix.json": {
            "classes": list(model.config.id2label.values()),
            "matrix": result["confusion_matrix"],
        },
        "search.json": search,
        "config.json": {
            "route": route.model_dump(mode="json"),
            "resolved": asdict(cfg),
            "env": {"threads": os.cpu_count()},
        },
    }
    for name, content in files.items():
        write_atomic(
            folder / name, json.dumps(content, indent=2, ensure_ascii=False, default=str) + "\n"
        )
