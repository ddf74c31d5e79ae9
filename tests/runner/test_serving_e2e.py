"""Serving end to end on the tiny BERT, through the real CLI: optimise, `deploy` a bundle,
`loadtest` the API (a `kind: serving` record lands in the plan), serve the bundle with
`ventureplan api`, and read its request counter back through a real Prometheus server
started with the bundle's own scrape config. Every server listens on 127.0.0.1 and is
stopped by its pid."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import httpx
import pytest
import yaml
from ventureplan.planner import planfile
from ventureplan.planner.load import load_plan
from ventureplan.planner.records import OptimizationRecord, ServingRecord

from tests.runner import serve_helpers as h
from tests.runner.test_run import run_plan

pytest.importorskip("onnxruntime")
pytest.importorskip("uvicorn")

SERVE = (
    "    optimize: {export: onnx, max_metric_drop: 0.05}\n"
    "    serve: {replicas: {min: 2, max: 4}, cpu: 1, memory: 512Mi, max_batch: 8, "
    "max_wait_ms: 2, price_per_hour: 0.36}\n"
)
P95 = """  - id: g-p95
    statement: Answer one text within two seconds at p95 under load on the test machine
    metric: latency_p95_ms
    target: 2000
    direction: "<="
    deadline: 2027-03-31
    owner: ml
    relevant_to: It is a test
  - id: g-unit-cost
    statement: Keep 1,000 requests under a dollar
    metric: cost_per_1k_requests
    target: 1.0
    direction: "<="
    deadline: 2027-03-31
    owner: ml
    relevant_to: It is a test
routes:
"""


@pytest.fixture
def optimised(runner_plan, cli):
    text = runner_plan.read_text().replace("routes:\n", P95, 1)
    text = text.replace(
        "    measures: [g-quality, g-speed]\n",
        "    measures: [g-quality, g-speed, g-p95, g-unit-cost]\n" + SERVE,
    )
    runner_plan.write_text(text.replace("epochs: 12", "epochs: 4"))
    planfile.append_record(runner_plan, run_plan(runner_plan))
    code, out, err = cli("optimize", runner_plan)
    assert code == 0, err
    record = load_plan(runner_plan).plan.measured[-1]
    assert isinstance(record, OptimizationRecord) and record.chosen is not None
    return runner_plan, record


def test_deploy_loadtest_api_and_prometheus(optimised, cli, tmp_path):
    path, opt = optimised
    bundle = tmp_path / "bundle"
    code, out, err = cli("deploy", path, "-o", bundle)
    assert code == 0, err
    assert f"Wrote the bundle of run {opt.run} (variant {opt.chosen}) to {bundle}" in out
    serving = json.loads((bundle / "model" / "serving.json").read_text())
    assert (serving["run"], serving["variant"], serving["max_batch"]) == (opt.run, opt.chosen, 8)
    assert serving["labels"] == load_labels(path, opt)

    # the load test: the API on loopback, 4 clients for 2 s, a serving record in the plan
    before = path.read_text()
    code, out, err = cli("loadtest", path, "--concurrency", "4", "--duration", "2")
    assert code == 0, err
    record = load_plan(path).plan.measured[-1]
    assert isinstance(record, ServingRecord)
    assert path.read_text().replace(planfile.record_yaml(record), "", 1) == before
    s = record.serving
    assert (record.source_run, record.variant, s.concurrency) == (opt.run, opt.chosen, 4)
    assert s.requests > 4 and s.errors == 0 and s.error_rate == 0.0
    assert s.texts_over_max_chars == 0
    assert 0 < s.latency_p50_ms <= s.latency_p95_ms <= s.latency_p99_ms
    assert s.throughput_per_s == pytest.approx(s.requests / s.duration_s, rel=0.01)
    assert s.cost_per_1k_requests == pytest.approx(0.36 / (s.throughput_per_s * 3.6), rel=1e-3)
    low, high = record.intervals["latency_p95_ms"]
    assert low <= s.latency_p95_ms <= high
    assert record.goals["g-p95"].met is True and record.goals["g-p95"].p_miss == 0.0
    assert record.goals["g-unit-cost"].value == s.cost_per_1k_requests
    folder = path.parent / "runs" / record.run
    assert json.loads((folder / "record.json").read_text())["run"] == record.run
    assert len(json.loads((folder / "latencies.json").read_text())["latencies_ms"]) == s.requests
    assert f"  goal g-p95: {s.latency_p95_ms:.4g} vs target 2000: met" in out

    # the bundle served by `ventureplan api`, scraped by Prometheus with its scrape config
    port = h.free_port()
    env = h.server_env(f"{h.KEY},{h.OTHER_KEY}")
    log = tmp_path / "api.log"
    with log.open("wb") as sink:
        api = subprocess.Popen(
            [sys.executable, "-m", "ventureplan.planner.cli", "api", str(bundle),
             "--port", str(port)],
            stdout=sink, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: httpx.get(f"{url}/readyz", timeout=1).status_code == 200, api, log)
        texts = ["the market rallied today", "the team won the final"]
        with httpx.Client(base_url=url, headers=h.auth(), timeout=10) as client:
            for _ in range(7):
                r = client.post("/v1/classify", json={"texts": texts})
                assert r.status_code == 200, r.text
                assert [x["label"] for x in r.json()["results"]] != []
            assert client.post("/v1/classify", json={"texts": []}).status_code == 422
        scraped = prometheus_count(bundle, port, tmp_path)
        assert scraped == {"200": 7.0, "422": 1.0}
    finally:
        os.kill(api.pid, signal.SIGTERM)
        assert api.wait(30) == 0
    assert h.KEY not in log.read_text()


def load_labels(path, opt):
    runs = path.parent / "runs"
    config = json.loads((runs / opt.source_run / "model" / "config.json").read_text())
    return [config["id2label"][k] for k in sorted(config["id2label"], key=int)]


def wait_for(ready, proc, log, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"exited {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            if ready():
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"not ready in {timeout} s: {log.read_text()[-2000:]}")


def prometheus_count(bundle, api_port: int, tmp_path) -> dict[str, float]:
    """Start Debian's Prometheus with the bundle's scrape config (its target pointed at the
    API on loopback, the scrape key in the file the config names, one-second scrapes), and
    read ventureplan_requests_total for /v1/classify back through its HTTP API."""
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.skip("Debian's prometheus is not installed (.ci/run installs it)")
    config = yaml.safe_load((bundle / "prometheus.yml").read_text())
    job = config["scrape_configs"][0]
    assert job["metrics_path"] == "/metrics"
    assert job["authorization"]["credentials_file"] == "secrets/metrics-key"
    job["static_configs"][0]["targets"] = [f"127.0.0.1:{api_port}"]
    config["global"]["scrape_interval"] = "1s"
    home = tmp_path / "prometheus"
    (home / "secrets").mkdir(parents=True)
    (home / "secrets" / "metrics-key").write_text(h.OTHER_KEY)
    (home / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = h.free_port()
    log = home / "prometheus.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [binary, f"--config.file={home / 'prometheus.yml'}",
             f"--storage.tsdb.path={home / 'data'}", f"--web.listen-address=127.0.0.1:{port}"],
            stdout=sink, stderr=subprocess.STDOUT, cwd=home,
        )  # fmt: skip
    try:
        query = f"http://127.0.0.1:{port}/api/v1/query"
        promql = 'ventureplan_requests_total{route="/v1/classify"}'
        found: dict[str, float] = {}

        def scraped() -> bool:
            r = httpx.get(query, params={"query": promql}, timeout=2)
            if r.status_code != 200:
                return False
            found.clear()
            for item in r.json()["data"]["result"]:
                found[item["metric"]["status"]] = float(item["value"][1])
            return found.get("200") == 7.0 and "422" in found

        wait_for(scraped, proc, log, timeout=60)
        targets = httpx.get(f"http://127.0.0.1:{port}/api/v1/targets", timeout=2).json()
        (target,) = targets["data"]["activeTargets"]
        assert target["health"] == "up", target
        return found
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(30)
