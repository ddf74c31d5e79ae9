"""Serving: the ventureplan API (`ventureplan api` on the optimisation's chosen variant,
micro-batched) against the deployment people copy — one FastAPI endpoint calling a
transformers `pipeline` per request on the trained model, fp32 eager — both on 127.0.0.1,
both given the whole machine, both driven by the same load generator (`loadtest.drive`:
N httpx clients each posting one real test text after another) with the same texts, one
after the other in this process.

    python bench/serving.py --plan example/full.yaml [--concurrency 16] [--duration 30]

Then, if Debian's `wrk` is installed, the ventureplan API once more under `wrk` (same
concurrency, one text per request), to check the load generator's figures.

Needs a plan with a training run and an optimisation of it (bench/optimize.py makes one),
the serve extra and FastAPI (`pip install fastapi`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from ventureplan.planner.load import load_plan
from ventureplan.planner.model import Serve
from ventureplan.planner.serving import served_record, training_of
from ventureplan.runner import loadtest, served

NAIVE = """
import sys
from fastapi import FastAPI
from pydantic import BaseModel
from transformers import pipeline

classify = pipeline("text-classification", model=sys.argv[1], truncation=True, max_length=128)
app = FastAPI()


class Texts(BaseModel):
    texts: list[str]


@app.post("/v1/classify")
def answer(body: Texts):
    return {"results": classify(body.texts)}


@app.get("/readyz")
def ready():
    return {"ready": True}


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


class Naive(loadtest.Api):
    def __init__(self, model: Path, log: Path, script: Path) -> None:
        self.port = loadtest.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._out = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, str(script), str(model), str(self.port)],
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )


def measure(api: loadtest.Api, key: str, texts: list[str], n: int, seconds: float) -> dict:
    try:
        api.wait_ready()
        loadtest.drive(api.url, key, texts[:16], 2, 2.0)  # warm-up
        d = loadtest.drive(api.url, key, texts, n, seconds)
    finally:
        api.stop()
    lat = np.asarray(d.latencies_ms)
    p50, p95, p99 = np.percentile(lat, [50, 95, 99])
    return {
        "requests": d.requests,
        "errors": d.errors,
        "throughput": len(lat) / d.seconds,
        "p50": p50,
        "p95": p95,
        "p99": p99,
    }


def wrk(url: str, key: str, texts: list[str], n: int, seconds: int, tmp: Path) -> str | None:
    binary = shutil.which("wrk")
    if binary is None:
        return None
    bodies = [json.dumps({"texts": [t]}) for t in texts]
    script = tmp / "post.lua"
    script.write_text(
        textwrap.dedent(
            f"""
            local bodies = {{}}
            local n = 0
            for line in io.lines("{tmp / "bodies.lua.txt"}") do n = n + 1; bodies[n] = line end
            local i = 0
            request = function()
              i = i % n + 1
              return wrk.format("POST", "/v1/classify", {{["Content-Type"] = "application/json",
                ["Authorization"] = "Bearer {key}"}}, bodies[i])
            end
            """
        )
    )
    (tmp / "bodies.lua.txt").write_text("\n".join(bodies) + "\n")
    out = subprocess.run(
        [binary, "-t", "2", "-c", str(n), "-d", f"{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan", type=Path, required=True)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duration", type=float, default=30.0)
    args = parser.parse_args()
    plan = load_plan(args.plan).plan
    route = next(r for r in plan.routes if r.chosen)
    record = served_record(plan, route, None)
    training = training_of(plan, record)
    runs = args.plan.parent / "runs"
    target = served.of_run(runs, record)
    texts = loadtest.test_texts(route, args.plan, training)
    threads = os.cpu_count() or 1
    serve = (route.serve or Serve()).model_copy(update={"max_chars": 1_000_000})
    key = secrets.token_urlsafe(32)
    with tempfile.TemporaryDirectory() as tmp_:
        tmp = Path(tmp_)
        folder = served.stage(target, target.serving(serve, threads), tmp / "model")
        ours = measure(loadtest.Api(folder, key, tmp / "ours.log"), key, texts,
                       args.concurrency, args.duration)  # fmt: skip
        script = tmp / "naive.py"
        script.write_text(NAIVE)
        naive = measure(Naive(runs / training.run / "model", tmp / "naive.log", script), key,
                        texts, args.concurrency, args.duration)  # fmt: skip
        check = None
        if shutil.which("wrk"):
            api = loadtest.Api(folder, key, tmp / "wrk.log")
            api.wait_ready()
            try:
                check = wrk(api.url, key, texts, args.concurrency, int(args.duration), tmp)
            finally:
                api.stop()
    print(f"\n{args.concurrency} clients, {args.duration:.0f} s each, {len(texts)} test texts, "
          f"{threads} threads; ventureplan serves {target.name} of {target.run} (max_batch "
          f"{serve.max_batch}, max_wait_ms {serve.max_wait_ms:g}); the naive API serves the "
          f"trained model {training.run}\n")  # fmt: skip
    print("| server | requests | errors | requests/s | p50 ms | p95 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, m in (("ventureplan api", ours), ("FastAPI + pipeline, fp32 eager", naive)):
        print(f"| {name} | {m['requests']:,} | {m['errors']} | {m['throughput']:,.1f} | "
              f"{m['p50']:.1f} | {m['p95']:.1f} | {m['p99']:.1f} |")  # fmt: skip
    print(f"\nThroughput: {ours['throughput'] / naive['throughput']:.2f}× the naive API's; "
          f"p95 {ours['p95']:.1f} ms against {naive['p95']:.1f} ms (goal: ≥ 4× with p95 no worse)")  # fmt: skip
    if check:
        rate = re.search(r"Requests/sec:\s+([\d.]+)", check)
        p50 = re.search(r"50%\s+([\d.]+)(\w+)", check)
        print(f"\nwrk against the ventureplan API: {rate.group(1) if rate else '?'} requests/s, "
              f"p50 {p50.group(1) + p50.group(2) if p50 else '?'}")  # fmt: skip
        print(textwrap.indent(check.strip(), "    "))


if __name__ == "__main__":
    main()
