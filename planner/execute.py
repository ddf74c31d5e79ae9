"""`ventureplan run` in the core: find the route and the plugin that runs its kind, run it,
and hand the typed record it returns to the plan-file writer. Under `--nproc N` the command
relaunches itself under torchrun; rank 0 writes. A `--search-worker` run joins another
run's search and writes no record."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from . import planfile
from .atomic import write_atomic
from .errors import Finding, VenturePlanError
from .load import load_plan
from .model import Plan, Route
from .plugin_manager import Manager, collect, get_plugin_manager
from .records import KINDS, RUN_ID_ENV, Options, Record, TrainingRecord, check_run_id

R = TypeVar("R", bound=BaseModel)

if TYPE_CHECKING:
    from .hookspecs import RouteKind


def find_route(plan: Plan, route: str | None) -> Route:
    found = (
        plan.chosen_route
        if route is None
        else next((r for r in plan.routes if r.id == route), None)
    )
    if found is None:
        raise VenturePlanError(
            f"no route '{route}' in the plan; routes: " + ", ".join(r.id for r in plan.routes)
        )
    return found


def route_kinds(pm: Manager, failures: list[Finding] | None = None) -> dict[str, RouteKind]:
    """Route kind -> its runner, from every plugin (the first to claim a kind keeps it)."""
    return collect(pm, "route_kinds", "route kind", failures, clash="first")


def typed_record(record: Any, cls: type[R], who: str) -> R:
    """A record a plugin returned, as the plan holds it: already a `cls`, or plain data
    validated as a record of the plan (its `kind` picks the model) that must be a `cls`.
    `who` names the plugin's part in the one-line error ("the 'x' runner")."""
    if isinstance(record, cls):
        return record
    try:
        typed = TypeAdapter(Record).validate_python(record)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = err["loc"][1:] if err["loc"] and err["loc"][0] in KINDS else err["loc"]
        where = ".".join(map(str, loc)) or "(record)"
        raise VenturePlanError(
            f"{who} returned a record that is not valid: {where}: {err['msg']}"
        ) from None
    if not isinstance(typed, cls):
        raise VenturePlanError(f"{who} returned a {typed.kind} record")
    return typed


def run_route(
    path: Path,
    route: str | None,
    options: Options,
    *,
    write_back: bool = True,
    pm: Manager | None = None,
) -> tuple[TrainingRecord | None, list[Finding]]:
    """Run the route (the chosen one by default) and append its record to the plan.
    Returns the record (None on a torchrun worker that does not report, and on a search
    worker) and the warnings about plugins that raised while the runners were collected."""
    if options.resume is not None:
        check_run_id(options.resume, "--resume")
    if options.search_worker is not None:
        check_run_id(options.search_worker, "--search-worker")
        write_back = False  # the run's own process writes the record
    if RUN_ID_ENV in os.environ:
        check_run_id(os.environ[RUN_ID_ENV], RUN_ID_ENV)
    loaded = load_plan(path)
    chosen = find_route(loaded.plan, route)
    failures: list[Finding] = []
    kinds = route_kinds(pm or get_plugin_manager(), failures)
    if chosen.task not in kinds:
        raise VenturePlanError(
            f"no runner for route kind '{chosen.task}'; installed: {', '.join(sorted(kinds))}"
        )
    if write_back:  # a record that cannot be written is known before the work, not after
        planfile.append_record(path, _sample(chosen), dry_run=True)
    raw = kinds[chosen.task](loaded.plan, chosen, path, options)
    if raw is None or options.search_worker is not None:
        return None, failures
    record = typed_record(raw, TrainingRecord, f"the '{chosen.task}' runner")
    if write_back:
        append_or_keep(path, record, options)
    return record, failures


def _sample(route: Route) -> TrainingRecord:
    """A record shaped like a run's (every section filled), to try the write-back with."""
    return TrainingRecord(
        run="write-back-check",
        route=route.id,
        at=dt.datetime(2027, 1, 1, tzinfo=dt.UTC),
        device="cpu",
        versions={"ventureplan": "0"},
        data={"train": 1, "validation": 1, "test": 1, "classes": 2},
        hyperparameters={"learning_rate": 0.0001, "epochs": 1},
        metrics={"macro_f1": 0.5},
        intervals={"macro_f1": (0.4, 0.6)},
        training={"seconds": 1.0},
        forecast={"full_data_hours": 1.0},
    )


def kept_record_path(path: Path, record: Record, options: Options) -> Path:
    runs = options.runs_dir or path.parent / "runs"
    return runs / record.run / "record.yaml"


def append_or_keep(path: Path, record: Record, options: Options) -> None:
    """Append the record; if the plan changed under the run so that it cannot take it, the
    record is kept beside the run's artifacts and the error says how to add it later."""
    try:
        planfile.append_record(path, record)
    except (VenturePlanError, OSError) as exc:
        kept = kept_record_path(path, record, options)
        try:
            kept.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(kept, "measured:\n" + planfile.record_yaml(record))
        except (VenturePlanError, OSError):
            raise exc from None
        reason = str(exc).removeprefix(f"{path}: ")
        raise VenturePlanError(
            f"the run finished but its record could not be added to {path} ({reason}); "
            f"it is kept in {kept}: fix the plan, then run "
            f"`ventureplan measured {path} --add {kept}`"
        ) from None


def relaunch(nproc: int, plan: Path, route: str | None, resume: str | None, args: list[str]) -> int:
    """Start `nproc` copies of `ventureplan run PLAN ARGS` under torchrun (DDP: nccl on
    GPUs, gloo on CPUs). They share one run id; rank 0 evaluates and writes the record
    (or, for a --search-worker, talks to the study and hands each trial to the others)."""
    if resume is not None:
        check_run_id(resume, "--resume")
    env = dict(os.environ)
    try:
        name = route or find_route(load_plan(plan).plan, None).id
    except VenturePlanError:
        name = route or "run"  # the workers report the error
    env.setdefault(
        RUN_ID_ENV,
        resume or f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}-{name}-ddp{nproc}",
    )
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc_per_node={nproc}",
        "-m",
        "ventureplan.planner.cli",
        "run",
        str(plan),
        *args,
    ]
    return subprocess.run(cmd, env=env, check=False).returncode
