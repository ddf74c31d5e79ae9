"""`ventureplan optimize` in the core: find the training run to start from, check that its
artifacts are there and that the route says what to make, hand it to the plugin that
optimises the route's kind, and write the `kind: optimization` record it returns through
the plan-file writer (or keep it beside the variants, as `run` does)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from . import planfile
from .errors import Finding, VenturePlanError
from .evidence import latest_runs
from .execute import append_or_keep, find_route, typed_record
from .load import load_plan
from .model import Plan, Route
from .plugin_manager import Manager, collect, get_plugin_manager
from .records import (
    OptimizationRecord,
    Options,
    TrainingRecord,
    Variant,
    check_run_id,
)

if TYPE_CHECKING:
    from .hookspecs import RouteOptimizer

EXAMPLE = "optimize: {prune: [0.3, 0.5], export: onnx, quantize: int8, max_metric_drop: 0.01}"


def route_optimizers(
    pm: Manager, failures: list[Finding] | None = None
) -> dict[str, RouteOptimizer]:
    """Route kind -> what optimises its trained models (the first plugin to claim a kind)."""
    return collect(pm, "route_optimizers", "route optimizer", failures, clash="first")


def source_run(plan: Plan, route: Route, run: str | None) -> TrainingRecord:
    """The training run to optimise: `run` when given, else the route's newest evidence run,
    else its newest rehearsal (whose optimisation is a rehearsal too)."""
    if run is not None:
        check_run_id(run, "--run")
        found = next((m for m in plan.measured if m.run == run), None)
        if found is None:
            have = [m.run for m in plan.measured if m.kind == "training"]
            raise VenturePlanError(
                f"no run '{run}' in the plan's measured records; training runs: "
                + (", ".join(have) or "none yet (ventureplan run PLAN makes one)")
            )
        if not isinstance(found, TrainingRecord):
            raise VenturePlanError(
                f"run '{run}' is a record of kind {found.kind}, not a training run; optimise the "
                f"training run it came from"
                + (f" ({found.source_run})" if isinstance(found, OptimizationRecord) else "")
            )
        if found.route != route.id:
            raise VenturePlanError(
                f"run '{run}' trained route '{found.route}', not '{route.id}'; "
                f"pass --route {found.route}"
            )
        return found
    for rehearsals in (False, True):
        for m in latest_runs(plan, rehearsals=rehearsals):
            if m.route == route.id and isinstance(m, TrainingRecord):
                return m
    raise VenturePlanError(
        f"route '{route.id}' has no training run to optimise; run `ventureplan run` first"
    )


def artifacts(runs: Path, record: TrainingRecord) -> Path:
    """The trained model of a run, which must still be in runs/<id>/model."""
    folder = runs / record.run / "model"
    if not (folder / "config.json").is_file() or not any(folder.glob("*.safetensors")):
        raise VenturePlanError(
            f"the artifacts of run {record.run} are gone (no trained model in {folder}); "
            "optimise another run with --run, or train again with `ventureplan run`"
        )
    return folder


def optimize_route(
    path: Path,
    run: str | None = None,
    route: str | None = None,
    *,
    write_back: bool = True,
    options: Options | None = None,
    pm: Manager | None = None,
) -> tuple[OptimizationRecord, list[Finding]]:
    """Optimise a training run of the route (the chosen one by default) as its `optimize:`
    section says, and append the record. Nothing is written when an input is wrong."""
    options = options or Options()
    loaded = load_plan(path)
    plan = loaded.plan
    chosen = find_route(plan, route)
    if chosen.optimize is None:
        raise VenturePlanError(
            f"route '{chosen.id}' has no `optimize:` section saying what to make; add one, "
            f"e.g. {EXAMPLE}"
        )
    source = source_run(plan, chosen, run)
    runs = options.runs_dir or path.parent / "runs"
    artifacts(runs, source)
    failures: list[Finding] = []
    kinds = route_optimizers(pm or get_plugin_manager(), failures)
    if chosen.task not in kinds:
        raise VenturePlanError(
            f"no optimiser for route kind '{chosen.task}'; installed: "
            + (", ".join(sorted(kinds)) or "none")
        )
    if write_back:  # a record that cannot be written is known before the work, not after
        planfile.append_record(path, _sample(chosen, source), dry_run=True)
    raw = kinds[chosen.task](plan, chosen, path, source, runs)
    record = typed_record(raw, OptimizationRecord, f"the '{chosen.task}' optimiser")
    if write_back:
        append_or_keep(path, record, Options(runs_dir=runs))
    return record, failures


def _sample(route: Route, source: TrainingRecord) -> OptimizationRecord:
    """A record shaped like an optimisation's, to try the write-back with."""
    return OptimizationRecord(
        run="write-back-check",
        kind="optimization",
        route=route.id,
        at=dt.datetime(2027, 1, 1, tzinfo=dt.UTC),
        source_run=source.run,
        device="cpu",
        versions={"ventureplan": "0"},
        data={"test": 1},
        protocol={"threads": 1, "warmup": 1, "repeats": 50, "batch": 32},
        variants=[Variant(name="base", format="torch", latency_p50_ms=1.0, interval=(0.1, 0.2))],
        chosen="base",
    )
