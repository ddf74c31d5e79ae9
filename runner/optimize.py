"""Optimising a trained text classifier, one step after another: the same data as the
training run, the trained model as the reference, then each variant the route's
`optimize:` section asks for (ONNX fp32, int8, structurally pruned with an optional
recovery fine-tune, and their exports), each measured by one protocol on the whole test
split, and the choice: the fastest variant whose metric drop is within `max_metric_drop`
and that still meets the route's quality goals.

Variants are built in runs/<id>.partial/ and renamed to runs/<id>/ once all of them are
measured: an error (an export that fails parity, a data set that changed) leaves nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
from ventureplan.planner.model import Plan, Route
from ventureplan.planner.records import (
    OPTIMIZATION_METRICS,
    SCORE_METRICS,
    GoalResult,
    OptimizationRecord,
    Protocol,
    TrainingRecord,
    Variant,
    goal_met,
)

from . import data as data_mod
from . import evaluate as scores
from . import onnxio, prune, speed
from .data import Data
from .model import check_safetensors
from .prune import OptimizeError
from .run import _selection_metric, run_id
from .train import HYPERPARAMETERS, Config, collate, encode, train

IMPORTANCE_EXAMPLES = 256  # training texts the head and neuron importances are computed on


@dataclass
class Built:
    """One variant, before it is measured: how to get its logits, its logits on the test
    split (computed once, where the variant is made), where its files are."""

    name: str
    format: str
    predict: Callable[[list[str]], np.ndarray]
    logits: np.ndarray
    files: Path
    params: float  # millions
    prune: float | None = None
    quantize: str | None = None
    max_abs_diff: float | None = None


@dataclass
class Context:
    plan: Plan
    route: Route
    source: TrainingRecord
    data: Data
    cfg: Config
    tokenizer: Any
    metric: str  # the quality metric the drop is measured on
    protocol: speed.Protocol
    reference: np.ndarray  # the trained model's predictions on the test split
    reference_logits: np.ndarray  # and its logits


def optimize_text_classification(
    plan: Plan, route: Route, plan_path: Path, source: TrainingRecord, runs: Path
) -> OptimizationRecord:
    """Make, measure and choose the variants of `source`'s trained model; the record."""
    import torch

    assert route.optimize is not None  # the core checked it
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    rid = run_id(route, now, runs, "-opt")
    final, work = runs / rid, runs / f"{rid}.partial"  # run_id took a name neither has
    try:
        ctx, model = _prepare(plan, route, plan_path, source, runs)
        (work / "variants").mkdir(parents=True)
        timings: dict[str, speed.Speed] = {}
        measured = [_measure(ctx, b, timings) for b in _variants(ctx, model, work / "variants")]
        chosen = _choose(ctx, measured)
        record = OptimizationRecord(
            run=rid,
            kind="optimization",
            route=route.id,
            at=now,
            source_run=source.run,
            device=f"cpu ({torch.get_num_threads()} threads)",
            versions={
                "ventureplan": version("ventureplan"),
                "torch": torch.__version__.split("+")[0],
                "onnxruntime": version("onnxruntime"),
            },
            data={"test": len(ctx.data.test)},
            protocol=Protocol(
                threads=ctx.protocol.threads,
                warmup=ctx.protocol.warmup,
                repeats=ctx.protocol.repeats,
                batch=ctx.protocol.batch,
                texts=len(ctx.data.test),
            ),
            variants=measured,
            chosen=chosen.name if chosen else None,
            goals=_goals(plan, route, chosen, timings, ctx.cfg.seed),
            rehearsal=source.rehearsal,
            rehearsal_reasons=[f"optimises the rehearsal {source.run}"] if source.rehearsal else [],
        )
        (work / "record.json").write_text(json.dumps(record.document(), indent=2) + "\n", "utf-8")
        work.rename(final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return record


# --- steps ------------------------------------------------------------------------------


def _prepare(
    plan: Plan, route: Route, plan_path: Path, source: TrainingRecord, runs: Path
) -> tuple[Context, Any]:
    """The training run's data split (re-made from its seed and checked against the record)
    and its trained model."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging

    known = {k: v for k, v in source.hyperparameters.items() if k in HYPERPARAMETERS}
    cfg = Config.from_route(known)
    data = data_mod.prepare(
        route.dataset, plan_path.parent, cfg.seed, max_train=route.limits.get("max_train_samples")
    )
    have = data.record()
    for split in ("train", "validation", "test"):
        if split in source.data and source.data[split] != have[split]:
            raise OptimizeError(
                f"the data of run {source.run} changed: its {split} split had "
                f"{source.data[split]:,} examples, {route.dataset.source} now gives "
                f"{have[split]:,}; "
                "the variants would be measured on other texts. Train again with `ventureplan run`"
            )
    folder = runs / source.run / "model"
    check_safetensors(str(folder))
    logging.set_verbosity_error()
    logging.disable_progress_bar()
    tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=False)
    model = AutoModelForSequenceClassification.from_pretrained(
        folder, trust_remote_code=False, use_safetensors=True
    )
    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    if labels != data.classes:
        raise OptimizeError(
            f"run {source.run}'s model knows the classes {', '.join(labels)}, the data "
            f"{', '.join(data.classes)}; train again with `ventureplan run`"
        )
    model.eval()
    threads = torch.get_num_threads()
    protocol = speed.Protocol(threads=threads)
    logits = onnxio.torch_logits(
        model, tokenizer, data.test.texts, cfg.max_length, cfg.eval_batch_size
    )
    ctx = Context(
        plan,
        route,
        source,
        data,
        cfg,
        tokenizer,
        _selection_metric(plan, route),
        protocol,
        logits.argmax(-1),
        logits,
    )
    return ctx, model


def _variants(ctx: Context, model: Any, out: Path) -> list[Built]:
    """The trained model as it is, then each pruned copy; each with its exports."""
    opt = ctx.route.optimize
    assert opt is not None
    base = _torch(ctx, model, out / "base", "base", ctx.reference_logits)
    built = [base, *_exports(ctx, model, base, out, "", None)]
    for share in opt.prune:
        pruned, pruning = _pruned(ctx, model, share, out)
        name = f"pruned-{round(share * 100)}"
        variant = _torch(ctx, pruned, out / name, name, None, share, pruning)
        built += [variant, *_exports(ctx, pruned, variant, out, f"{name}-", share)]
    return built


def _torch(
    ctx: Context,
    model: Any,
    folder: Path,
    name: str,
    logits: np.ndarray | None,
    share: float | None = None,
    pruning: prune.Pruning | None = None,
) -> Built:
    """A PyTorch variant, saved; `logits` on the test split when already known."""
    cfg, tok = ctx.cfg, ctx.tokenizer
    if pruning is None:
        model.save_pretrained(folder, safe_serialization=True)
        tok.save_pretrained(folder)
    else:
        prune.save_pruned(model, tok, pruning, folder)

    def predict(texts: list[str]) -> np.ndarray:
        return onnxio.torch_logits(model, tok, texts, cfg.max_length, max(len(texts), 1))

    if logits is None:
        texts = ctx.data.test.texts
        logits = onnxio.torch_logits(model, tok, texts, cfg.max_length, cfg.eval_batch_size)
    params = prune.count_parameters(model) / 1e6
    return Built(name, "torch", predict, logits, folder, params, share)


def _exports(
    ctx: Context, model: Any, source: Built, out: Path, prefix: str, share: float | None
) -> list[Built]:
    """The ONNX export (refused unless it matches PyTorch on the whole test split) and its
    int8 copy (reported with its agreement, not refused)."""
    opt = ctx.route.optimize
    assert opt is not None
    if opt.export != "onnx":
        return []
    cfg, tok, texts = ctx.cfg, ctx.tokenizer, ctx.data.test.texts
    name = f"{prefix}onnx" if prefix else "onnx"
    folder = out / name
    folder.mkdir(parents=True)
    path = onnxio.export(model, tok, folder / "model.onnx")
    tok.save_pretrained(folder)
    session = onnxio.session(path, ctx.protocol.threads)
    logits = onnxio.onnx_logits(session, tok, texts, cfg.max_length, cfg.eval_batch_size)
    parity = onnxio.parity(source.logits, logits)  # against the PyTorch variant it came from
    onnxio.check_parity(parity)
    built = [_onnx(ctx, name, path, session, logits, share, None, parity.max_abs_diff)]
    if opt.quantize == "int8":
        qname = f"{prefix}int8" if prefix else "int8"
        qfolder = out / qname
        qfolder.mkdir(parents=True)
        qpath = onnxio.quantize_int8(path, qfolder / "model.onnx")
        tok.save_pretrained(qfolder)
        qsession = onnxio.session(qpath, ctx.protocol.threads)
        qlogits = onnxio.onnx_logits(qsession, tok, texts, cfg.max_length, cfg.eval_batch_size)
        built.append(_onnx(ctx, qname, qpath, qsession, qlogits, share, "int8", None))
    return built


def _onnx(
    ctx: Context,
    name: str,
    path: Path,
    session: Any,
    logits: np.ndarray,
    share: float | None,
    quantize: str | None,
    max_abs_diff: float | None,
) -> Built:
    cfg, tok = ctx.cfg, ctx.tokenizer

    def predict(texts: list[str]) -> np.ndarray:
        return onnxio.onnx_logits(session, tok, texts, cfg.max_length, max(len(texts), 1))

    params = speed.onnx_params_millions(path)
    return Built(name, "onnx", predict, logits, path.parent, params, share, quantize, max_abs_diff)


def _pruned(ctx: Context, model: Any, share: float, out: Path) -> tuple[Any, prune.Pruning]:
    """A copy of the trained model with `share` of its heads and neurons removed (ranked by
    gradient importance on training batches), then fine-tuned for `recover_epochs`."""
    import copy

    import torch

    opt = ctx.route.optimize
    assert opt is not None
    cfg, tok, data = ctx.cfg, ctx.tokenizer, ctx.data
    pruned = copy.deepcopy(model)
    n = min(IMPORTANCE_EXAMPLES, len(data.train))
    sample = encode(tok, data.train.texts[:n], data.train.labels[:n], cfg.max_length)
    pad = tok.pad_token_id or 0
    device = torch.device("cpu")
    batches = [
        collate(sample, list(range(i, min(i + cfg.batch_size, n))), pad, device)
        for i in range(0, n, cfg.batch_size)
    ]
    scores_ = prune.importance(pruned, batches, device)
    plan = prune.plan_pruning(pruned, scores_, share)
    prune.apply_pruning(pruned, plan)
    if opt.recover_epochs:
        train_set = encode(tok, data.train.texts, data.train.labels, cfg.max_length)
        val_set = encode(tok, data.validation.texts, data.validation.labels, cfg.max_length)

        def score(pred: np.ndarray, labels: list[int]) -> float:
            return scores.metric(ctx.metric, np.asarray(labels), pred)

        recover = replace(cfg, epochs=opt.recover_epochs, max_steps=None)
        train(
            pruned,
            tok,
            train_set,
            val_set,
            recover,
            device,
            score,
            out / f".recover-{round(share * 100)}",
        )
        shutil.rmtree(out / f".recover-{round(share * 100)}", ignore_errors=True)
    pruned.eval()
    return pruned, plan


def _measure(ctx: Context, b: Built, timings: dict[str, speed.Speed]) -> Variant:
    """Quality on the whole test split (with the change from the trained model and the
    agreement with its predictions), then speed and size by the one protocol."""
    cfg, data = ctx.cfg, ctx.data
    pred = b.logits.argmax(-1)
    found = scores.report(data.test.labels, pred, data.classes)["metrics"]
    interval, _ = scores.bootstrap(ctx.metric, data.test.labels, pred, seed=cfg.seed)
    base = ctx.source.metrics.get(ctx.metric)
    timing = timings[b.name] = speed.measure(b.predict, data.test.texts, ctx.protocol)
    change = None if base is None else round(found[ctx.metric] - base, 4)
    opt = ctx.route.optimize
    assert opt is not None
    return Variant(
        name=b.name,
        format=b.format,
        prune=b.prune,
        quantize=b.quantize,
        params_millions=round(b.params, 3),
        size_mb=round(speed.file_size_mb(b.files), 2),
        latency_p50_ms=round(timing.latency_p50_ms, 3),
        latency_p95_ms=round(timing.latency_p95_ms, 3),
        throughput_per_s=round(timing.throughput_per_s, 1),
        **{m: round(found[m], 4) for m in SCORE_METRICS if m in found},
        interval=interval,
        change=change,
        agreement=round(float((pred == ctx.reference).mean()), 4),
        max_abs_diff=b.max_abs_diff,
        within_drop=None if change is None else change >= -opt.max_metric_drop - 1e-12,
    )


def _choose(ctx: Context, variants: list[Variant]) -> Variant | None:
    """The fastest variant (batch-1 p50) within the metric drop that still meets every
    quality goal the route measures."""
    goals = {g.id: g for g in ctx.plan.goals}
    quality = [
        goals[g] for g in ctx.route.measures if g in goals and goals[g].metric in SCORE_METRICS
    ]

    def fit(v: Variant) -> bool:
        if v.within_drop is False:
            return False
        for g in quality:
            value = getattr(v, g.metric or "", None)
            if value is None:
                value = (v.model_extra or {}).get(g.metric or "")
            if value is not None and goal_met(float(value), g.target, g.direction) is False:
                return False
        return True

    fits = [v for v in variants if fit(v) and v.latency_p50_ms is not None]
    return min(fits, key=lambda v: (v.latency_p50_ms, v.name)) if fits else None


def _goals(
    plan: Plan,
    route: Route,
    chosen: Variant | None,
    timings: dict[str, speed.Speed],
    seed: int,
) -> dict[str, GoalResult]:
    """Each goal the route measures on an optimisation metric, on the chosen variant; a
    latency goal also gets the chance of missing it (a bootstrap of the timed calls)."""
    if chosen is None:
        return {}
    values = {
        m: getattr(chosen, "size_mb" if m == "model_size_mb" else m) for m in OPTIMIZATION_METRICS
    }
    percentiles = {"latency_p50_ms": 50, "latency_p95_ms": 95}
    out = {}
    by_id = {g.id: g for g in plan.goals}
    for gid in route.measures:
        goal = by_id.get(gid)
        if goal is None or goal.metric not in values or values[goal.metric] is None:
            continue
        value = float(values[goal.metric])
        p_miss = None
        timing = timings.get(chosen.name)
        if goal.metric in percentiles and goal.target is not None and timing is not None:
            p_miss = timing.p_miss(percentiles[goal.metric], goal.target, goal.direction, seed=seed)
        out[gid] = GoalResult(
            value=value,
            target=goal.target,
            met=goal_met(value, goal.target, goal.direction),
            p_miss=p_miss,
        )
    return out
