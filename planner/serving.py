"""`ventureplan api`, `deploy` and `loadtest` in the core: find the model to serve (the
chosen route's newest optimisation with a chosen variant, else its newest training run),
check the inputs before any work, hand the work to the plugin that serves the route's kind
(`route_servers`), and write the `kind: serving` record through the plan-file writer."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

from . import planfile
from .errors import Finding, VenturePlanError
from .evidence import latest_runs
from .execute import append_or_keep, find_route, typed_record
from .hookspecs import RouteServer
from .load import load_plan
from .model import Plan, Route
from .plugin_manager import Manager, collect, get_plugin_manager
from .records import (
    AnyRecord,
    OptimizationRecord,
    Options,
    Serving,
    ServingRecord,
    TrainingRecord,
    check_run_id,
)

MAX_CONCURRENCY = 256
MAX_DURATION_S = 3600.0
EXAMPLE = "serve: {replicas: {min: 2, max: 6}, cpu: 1, memory: 2Gi, price_per_hour: 0.05}"


def served_record(plan: Plan, route: Route, run: str | None) -> AnyRecord:
    """What to serve: `run` (a training or optimisation run of the route) when given, else
    the route's newest optimisation that chose a variant, else its newest training run;
    evidence first, then rehearsals (serving a rehearsal is a rehearsal)."""
    if run is not None:
        check_run_id(run, "--run")
        found = next((m for m in plan.measured if m.run == run), None)
        if found is None:
            have = [m.run for m in plan.measured if m.kind in ("training", "optimization")]
            raise VenturePlanError(
                f"no run '{run}' in the plan's measured records; runs to serve: "
                + (", ".join(have) or "none yet (ventureplan run PLAN makes one)")
            )
        if found.kind == "serving":
            raise VenturePlanError(
                f"run '{run}' is a load test; name the run it served ({found.source_run})"
            )
        if found.route != route.id:
            raise VenturePlanError(
                f"run '{run}' belongs to route '{found.route}', not '{route.id}'; "
                f"pass --route {found.route}"
            )
        if isinstance(found, OptimizationRecord) and found.chosen is None:
            raise VenturePlanError(
                f"optimisation {run} chose no variant (none was within max_metric_drop); "
                f"serve its training run {found.source_run} with --run"
            )
        return found
    for rehearsals in (False, True):
        runs = [m for m in latest_runs(plan, rehearsals=rehearsals) if m.route == route.id]
        for m in runs:
            if isinstance(m, OptimizationRecord) and m.chosen is not None:
                return m
        for m in runs:
            if isinstance(m, TrainingRecord):
                return m
    raise VenturePlanError(
        f"route '{route.id}' has no trained model to serve; run `ventureplan run` first"
    )


def training_of(plan: Plan, record: AnyRecord) -> TrainingRecord:
    """The training run behind a record (itself, for a training run)."""
    if isinstance(record, TrainingRecord):
        return record
    source = next((m for m in plan.measured if m.run == getattr(record, "source_run", None)), None)
    if not isinstance(source, TrainingRecord):
        raise VenturePlanError(
            f"run {record.run} comes from {getattr(record, 'source_run', '?')}, which is not a "
            "training run in the plan's measured records"
        )
    return source


def route_servers(pm: Manager, failures: list[Finding] | None = None) -> dict[str, RouteServer]:
    """Route kind -> how its models are served (the first plugin to claim a kind)."""
    return collect(pm, "route_servers", "route server", failures, clash="first")


def server_for(kind: str, pm: Manager | None = None) -> tuple[RouteServer, list[Finding]]:
    failures: list[Finding] = []
    servers = route_servers(pm or get_plugin_manager(), failures)
    if kind not in servers:
        raise VenturePlanError(
            f"nothing serves route kind '{kind}'; installed: "
            + (", ".join(sorted(servers)) or "none")
        )
    return servers[kind], failures


def check_load(concurrency: int, duration: float) -> None:
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise VenturePlanError(
            f"--concurrency {concurrency}: give 1 to {MAX_CONCURRENCY} concurrent clients"
        )
    if not (math.isfinite(duration) and 0.5 <= duration <= MAX_DURATION_S):
        raise VenturePlanError(f"--duration {duration}: give 0.5 to {MAX_DURATION_S:.0f} seconds")


def check_url(url: str) -> None:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise VenturePlanError(
            f"--url {url!r}: give the API's base URL, e.g. http://127.0.0.1:8080"
        )


def loadtest_route(
    path: Path,
    run: str | None = None,
    route: str | None = None,
    *,
    concurrency: int = 16,
    duration: float = 30.0,
    url: str | None = None,
    write_back: bool = True,
    options: Options | None = None,
    pm: Manager | None = None,
) -> tuple[ServingRecord, list[Finding]]:
    """Load-test the API serving the route's model and append the serving record. Wrong
    input is refused before the API starts; nothing is written then."""
    options = options or Options()
    check_load(concurrency, duration)
    if url is not None:
        check_url(url)
    plan = load_plan(path).plan
    chosen = find_route(plan, route)
    source = served_record(plan, chosen, run)
    training = training_of(plan, source)
    runs = options.runs_dir or path.parent / "runs"
    server, failures = server_for(chosen.task, pm)
    if write_back:  # a record that cannot be written is known before the work, not after
        planfile.append_record(path, _sample(chosen, source), dry_run=True)
    raw = server.loadtest(plan, chosen, path, source, training, runs, concurrency, duration, url)
    record = typed_record(raw, ServingRecord, f"the '{chosen.task}' load test")
    if write_back:
        append_or_keep(path, record, Options(runs_dir=runs))
    return record, failures


def _sample(route: Route, source: AnyRecord) -> ServingRecord:
    """A record shaped like the one the load test will write, for the dry-run write."""
    return ServingRecord(
        run=f"{source.run}-load",
        kind="serving",
        route=route.id,
        at=dt.datetime.now(dt.UTC),
        source_run=source.run,
        serving=Serving(requests=1, latency_p50_ms=1.0),
    )


def deploy_route(
    path: Path,
    out: Path,
    run: str | None = None,
    route: str | None = None,
    *,
    force: bool = False,
    options: Options | None = None,
    pm: Manager | None = None,
) -> tuple[AnyRecord, list[Path], list[Finding]]:
    """Write the deployment bundle for the route's model into `out`: (the record served,
    the files written, plugin warnings). Nothing is written when an input is wrong."""
    options = options or Options()
    plan = load_plan(path).plan
    chosen = find_route(plan, route)
    source = served_record(plan, chosen, run)
    runs = options.runs_dir or path.parent / "runs"
    out = Path(out)
    if out.resolve() == path.resolve() or path.resolve().is_relative_to(out.resolve()):
        raise VenturePlanError(f"-o {out}: the bundle would replace the plan; pick another folder")
    if out.resolve().is_relative_to(runs.resolve()):
        raise VenturePlanError(f"-o {out}: inside {runs}, the runs' own folder; pick another")
    server, failures = server_for(chosen.task, pm)
    files = server.deploy(plan, chosen, source, runs, out, force)
    return source, files, failures


def api(
    path: Path,
    host: str,
    port: int,
    keys_file: Path | None,
    log_texts: bool,
    kind: str = "text-classification",
    pm: Manager | None = None,
) -> None:
    """Serve the model in `path` (a run folder, a variant folder or a bundle) until SIGTERM."""
    if not 0 < port < 65536:
        raise VenturePlanError(f"--port {port}: give a port from 1 to 65535")
    server, _ = server_for(kind, pm)
    server.api(path, host, port, keys_file, log_texts)
