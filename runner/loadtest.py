"""`ventureplan loadtest`: the model API under load, measured end to end.

The API is started on 127.0.0.1 (a free port, a fresh API key, stopped by its pid) unless
`url` names one already running; N clients (httpx, asynchronous) each send one real test
text per request, back to back, for the duration. Every answered request's latency counts;
a request not answered 200 is an error. The result is a `kind: serving` record: the latency
percentiles (p95 with a bootstrap interval and the chance of missing a latency goal), the
throughput, the error rate, and the cost of 1,000 requests at the replica's price.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
from ventureplan.planner.errors import VenturePlanError
from ventureplan.planner.model import Plan, Route, Serve
from ventureplan.planner.records import (
    SERVING_METRICS,
    GoalResult,
    Serving,
    ServingRecord,
    TrainingRecord,
    goal_met,
)

from . import served
from .run import run_id
from .speed import Speed

READY_TIMEOUT_S = 180.0  # loading a model on a busy 2-core machine takes a while
REQUEST_TIMEOUT_S = 30.0
PERCENTILES = {"latency_p50_ms": 50, "latency_p95_ms": 95, "latency_p99_ms": 99}
KEY_ENV = "VENTUREPLAN_API_KEY"  # the key `--url` is called with


class LoadTestError(VenturePlanError):
    """The load test cannot run (the API did not start, answered nothing)."""


@dataclass
class Driven:
    """What the clients saw."""

    latencies_ms: list[float] = field(default_factory=list)  # of answered (200) requests
    statuses: dict[str, int] = field(default_factory=dict)  # status (or error name) -> count
    seconds: float = 0.0

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def errors(self) -> int:
        return self.requests - self.statuses.get("200", 0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Api:
    """The API as a child process on 127.0.0.1, stopped by its pid."""

    def __init__(self, folder: Path, key: str, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {**os.environ, "VENTUREPLAN_API_KEYS": key}
        cmd = [sys.executable, "-m", "ventureplan.runner.serve", str(folder)]
        cmd += ["--host", "127.0.0.1", "--port", str(self.port)]
        self._out = log.open("wb")
        self.proc = subprocess.Popen(cmd, env=env, stdout=self._out, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise LoadTestError(f"the API stopped before it was ready: {self._last_line()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise LoadTestError(f"the API was not ready after {timeout:.0f} s: {self._last_line()}")

    def _last_line(self) -> str:
        self._out.flush()
        lines = [x for x in self.log.read_text("utf-8", "replace").splitlines() if x.strip()]
        errors = [x for x in lines if x.startswith("error:")]
        return (errors or lines or ["(no output)"])[-1][:300]

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._out.close()


async def _drive(url: str, key: str, texts: list[str], concurrency: int, duration: float) -> Driven:
    import httpx

    out = Driven()
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    counter = iter(range(1 << 62))
    deadline = time.perf_counter() + duration

    async def client(http: httpx.AsyncClient) -> None:
        while time.perf_counter() < deadline:
            text = texts[next(counter) % len(texts)]
            t0 = time.perf_counter()
            try:
                r = await http.post(f"{url}/v1/classify", json={"texts": [text]}, headers=headers)
                status = str(r.status_code)
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            if status == "200":
                out.latencies_ms.append((time.perf_counter() - t0) * 1000)
            out.statuses[status] = out.statuses.get(status, 0) + 1

    async with httpx.AsyncClient(limits=limits, timeout=REQUEST_TIMEOUT_S) as http:
        start = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(concurrency)))
        out.seconds = time.perf_counter() - start
    return out


def drive(url: str, key: str, texts: list[str], concurrency: int, duration: float) -> Driven:
    """`concurrency` clients posting one text each, back to back, for `duration` seconds."""
    if not texts:
        raise LoadTestError("no texts to send")
    return asyncio.run(_drive(url.rstrip("/"), key, texts, concurrency, duration))


def figures(
    driven: Driven, serve: Serve, threads: int | None, concurrency: int, over: int = 0
) -> Serving:
    ok = driven.latencies_ms
    p50, p95, p99 = (float(x) for x in np.percentile(ok, [50, 95, 99])) if ok else (None,) * 3
    throughput = len(ok) / driven.seconds if driven.seconds > 0 else 0.0
    cost = None
    if serve.price_per_hour is not None and throughput > 0:
        cost = serve.price_per_hour / (throughput * 3600) * 1000
    return Serving(
        concurrency=concurrency,
        duration_s=round(driven.seconds, 3),
        requests=driven.requests,
        errors=driven.errors,
        latency_p50_ms=_round(p50),
        latency_p95_ms=_round(p95),
        latency_p99_ms=_round(p99),
        throughput_per_s=round(throughput, 2),
        texts_per_request=1,
        error_rate=round(driven.errors / driven.requests, 6) if driven.requests else None,
        cost_per_1k_requests=None if cost is None else float(f"{cost:.6g}"),
        threads=threads,
        max_batch=serve.max_batch,
        max_wait_ms=serve.max_wait_ms,
        texts_over_max_chars=over,
    )


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


def goals(
    plan: Plan, route: Route, numbers: Serving, driven: Driven, seed: int
) -> tuple[dict[str, GoalResult], dict[str, tuple[float, float]]]:
    """Each goal the route measures on a serving metric; a latency goal also gets the chance
    of missing it (a bootstrap of the request latencies) and its 95% interval."""
    timing = None
    if driven.latencies_ms:
        lat = tuple(driven.latencies_ms)
        timing = Speed(float(np.median(lat)), float(np.percentile(lat, 95)), 0.0, lat)
    intervals: dict[str, tuple[float, float]] = {}
    if timing is not None:
        rng = np.random.default_rng(seed)
        values = np.asarray(timing.latencies_ms)
        picks = rng.integers(0, len(values), (1000, len(values)))
        drawn = np.percentile(values[picks], 95, axis=1)
        low, high = np.percentile(drawn, [2.5, 97.5])
        intervals["latency_p95_ms"] = (round(float(low), 3), round(float(high), 3))
    by_id = {g.id: g for g in plan.goals}
    out: dict[str, GoalResult] = {}
    for gid in route.measures:
        goal = by_id.get(gid)
        if goal is None or goal.metric not in SERVING_METRICS:
            continue
        value = getattr(numbers, goal.metric)
        if value is None:
            continue
        p_miss = None
        if goal.metric in PERCENTILES and goal.target is not None and timing is not None:
            p_miss = timing.p_miss(PERCENTILES[goal.metric], goal.target, goal.direction, seed=seed)
        out[gid] = GoalResult(
            value=float(value),
            target=goal.target,
            met=goal_met(float(value), goal.target, goal.direction),
            p_miss=p_miss,
        )
    return out, intervals


def test_texts(route: Route, plan_path: Path, training: TrainingRecord) -> list[str]:
    """The training run's test split, re-made from its seed."""
    from . import data as data_mod
    from .train import HYPERPARAMETERS, Config

    known = {k: v for k, v in training.hyperparameters.items() if k in HYPERPARAMETERS}
    cfg = Config.from_route(known)
    data = data_mod.prepare(
        route.dataset, plan_path.parent, cfg.seed, max_train=route.limits.get("max_train_samples")
    )
    return list(data.test.texts)


def _versions() -> dict[str, str]:
    out = {}
    for name in ("ventureplan", "onnxruntime", "uvicorn", "starlette", "httpx"):
        with contextlib.suppress(PackageNotFoundError):
            out[name] = version(name)
    return out


def loadtest(
    plan: Plan,
    route: Route,
    plan_path: Path,
    source: Any,
    training: TrainingRecord,
    runs: Path,
    *,
    concurrency: int,
    duration: float,
    url: str | None = None,
    variant: str | None = None,
    texts: list[str] | None = None,
) -> ServingRecord:
    """Load-test the model of `source` (an optimisation's chosen variant, or a trained model)
    and return the serving record; its files go to runs/<id>/ (renamed into place at the
    end, so a failure leaves nothing)."""
    serve = route.serve or Serve()
    target = served.of_run(runs, source, variant) if url is None else None
    if target is not None:
        target.personal_data |= route.dataset.personal_data
    texts = texts if texts is not None else test_texts(route, plan_path, training)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    rid = run_id(route, now, runs, "-load")
    final, work = runs / rid, runs / f"{rid}.partial"  # run_id took a name neither has
    work.mkdir(parents=True)
    try:
        threads: int | None = None
        if target is not None:
            threads = served.threads_for(serve)
            with tempfile.TemporaryDirectory(prefix="ventureplan-serve-") as tmp:
                folder = served.stage(target, target.serving(serve, threads), Path(tmp) / "model")
                key = secrets.token_urlsafe(32)
                api = Api(folder, key, work / "api.log")
                try:
                    api.wait_ready()
                    drive(api.url, key, texts[:8], 1, 0.5)  # warm-up, not counted
                    driven = drive(api.url, key, texts, concurrency, duration)
                finally:
                    api.stop()
        else:
            assert url is not None
            key = os.environ.get(KEY_ENV, "")
            if not key:
                raise LoadTestError(
                    f"--url needs the API key in the environment variable {KEY_ENV}"
                )
            driven = drive(url, key, texts, concurrency, duration)
        if not driven.latencies_ms:
            seen = ", ".join(f"{k}: {v}" for k, v in sorted(driven.statuses.items()))
            raise LoadTestError(f"the API answered no request with 200 ({seen or 'no answers'})")
        over = sum(len(t) > serve.max_chars for t in texts)
        numbers = figures(driven, serve, threads, concurrency, over)
        seed = int(training.hyperparameters.get("seed", 42) or 42)
        goal_results, intervals = goals(plan, route, numbers, driven, seed)
        reasons = []
        if source.rehearsal:
            reasons.append(f"serves the rehearsal {source.run}")
        record = ServingRecord(
            run=rid,
            kind="serving",
            route=route.id,
            at=now,
            source_run=source.run,
            variant=target.variant if target is not None else variant,
            device=f"cpu ({threads} thread{'s' if threads != 1 else ''})" if threads else url,
            versions=_versions(),
            serving=numbers,
            intervals=intervals,
            goals=goal_results,
            rehearsal=bool(reasons),
            rehearsal_reasons=reasons,
        )
        (work / "latencies.json").write_text(
            json.dumps({"latencies_ms": driven.latencies_ms, "statuses": driven.statuses}) + "\n"
        )
        (work / "record.json").write_text(json.dumps(record.document(), indent=2) + "\n", "utf-8")
        work.rename(final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return record
