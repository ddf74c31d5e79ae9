"""Monte Carlo schedule risk: ventureplan against pmcontrols and a naive networkx loop.

All three simulate the same random task network (bench/plangen.py) for the same number of
iterations: beta-PERT durations, a forward and backward pass, the finish percentiles and
each task's criticality index. ventureplan also draws the risks, the cost and the rank
correlations, which the others do not do; its time includes them.

    python bench/montecarlo.py                 # the full run (a few minutes)
    python bench/montecarlo.py --quick         # smaller sizes, for a smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ventureplan.planner.load import validate_data
from ventureplan.planner.network import build_network
from ventureplan.planner.source import parse
from ventureplan.plugins.montecarlo import Simulation

from bench.plangen import random_plan_yaml


def load(n: int, risks: bool = True):  # type: ignore[no-untyped-def]
    data, source = parse(random_plan_yaml(n, seed=1, n_risks=None if risks else 0), "bench.yaml")
    return validate_data(data, source).plan


def timed(fn, repeat: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(first run, median of the following runs) in seconds."""
    times = []
    for _ in range(repeat + 1):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times[0], statistics.median(times[1:]) if repeat else times[0]


def run_ventureplan(plan, iterations: int):  # type: ignore[no-untyped-def]
    net = build_network(plan)
    return Simulation(plan, net, {}).run(iterations, 0)


def run_pmcontrols(plan, iterations: int):  # type: ignore[no-untyped-def]
    from pmcontrols import pert

    acts = [
        {
            "id": t.id,
            "predecessors": list(t.depends_on),
            "a": t.estimate.optimistic,
            "m": t.estimate.likely,
            "b": t.estimate.pessimistic,
        }
        for t in plan.tasks
    ]
    return pert(acts, n_sim=iterations, seed=0)


def run_naive(plan, iterations: int):  # type: ignore[no-untyped-def]
    """One iteration at a time: draw durations, then walk the graph with networkx."""
    import networkx as nx

    graph = nx.DiGraph()
    for t in plan.tasks:
        graph.add_node(t.id)
        graph.add_edges_from((d, t.id) for d in t.depends_on)
    order = list(nx.topological_sort(graph))
    est = {t.id: t.estimate for t in plan.tasks}
    rng = np.random.default_rng(0)
    finish = np.empty(iterations)
    critical = dict.fromkeys(order, 0)
    for k in range(iterations):
        dur = {}
        for tid in order:
            e = est[tid]
            a, m, b = e.optimistic, e.likely, e.pessimistic
            if b > a:
                al = 1 + 4 * (m - a) / (b - a)
                dur[tid] = a + (b - a) * rng.beta(al, 6 - al)
            else:
                dur[tid] = a
        ef = {}
        for tid in order:
            ef[tid] = max((ef[p] for p in graph.predecessors(tid)), default=0.0) + dur[tid]
        end = max(ef.values())
        ls = {}
        for tid in reversed(order):
            lf = min((ls[s] for s in graph.successors(tid)), default=end)
            ls[tid] = lf - dur[tid]
            if lf - ef[tid] <= 1e-9:
                critical[tid] += 1
        finish[k] = end
    return np.percentile(finish, [50, 80, 95]), critical


def peak_memory(n: int, iterations: int) -> dict[str, float]:
    """Peak resident memory of the simulation alone, in a fresh process: the kernel's
    high-water mark (VmHWM) is reset after the plan is built, then read after the run."""
    code = (
        "import sys; sys.path.insert(0, {root!r});"
        "from bench.montecarlo import load, run_ventureplan, vm;"
        "plan = load({n}); base = vm('VmRSS');"
        "open('/proc/self/clear_refs', 'w').write('5');"
        "run_ventureplan(plan, {iterations});"
        "print(base, vm('VmHWM'))"
    )
    root = str(Path(__file__).resolve().parent.parent)
    out = subprocess.run(
        [sys.executable, "-c", code.format(root=root, n=n, iterations=iterations)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    base, peak = (float(x) for x in out)
    return {"before_mib": base, "peak_mib": peak, "simulation_mib": peak - base}


def vm(field: str) -> float:
    """A memory figure of this process from /proc/self/status, in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="small sizes only")
    ap.add_argument("--iterations", type=int, default=10_000)
    ap.add_argument(
        "--naive-iterations",
        type=int,
        default=None,
        help="iterations for the naive loop (default: the same; it takes minutes)",
    )
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    iters = args.iterations
    head_n = 200 if args.quick else 1000
    sizes = (100, 300) if args.quick else (100, 300, 1000, 3000, 10_000)
    naive_iters = args.naive_iterations or (min(iters, 500) if args.quick else iters)
    results: dict[str, object] = {"iterations": iters, "cpu_count": os.cpu_count()}

    print(
        f"## Head to head: {head_n} tasks × {iters:,} iterations (same network, same iterations)\n"
    )
    plan = load(head_n, risks=False)
    vp_first, vp = timed(lambda: run_ventureplan(plan, iters), 5)
    pm_first, pm = timed(lambda: run_pmcontrols(plan, iters), 2)
    t = time.perf_counter()
    run_naive(plan, naive_iters)
    naive = (time.perf_counter() - t) * iters / naive_iters
    print("| engine | seconds (median) | first run | vs ventureplan |")
    print("|---|---:|---:|---:|")
    print(f"| ventureplan | {vp:.3f} | {vp_first:.3f} | 1.0× |")
    print(f"| pmcontrols 0.2.1 `pert` | {pm:.3f} | {pm_first:.3f} | {pm / vp:.1f}× slower |")
    note = "" if naive_iters == iters else f" (timed on {naive_iters:,} iterations, scaled)"
    print(f"| naive networkx loop{note} | {naive:.1f} | | {naive / vp:.0f}× slower |")
    with_risks = load(head_n)
    _, vp_risks = timed(lambda: run_ventureplan(with_risks, iters), 3)
    print(
        f"\nventureplan with the plan's {len(with_risks.risks)} risks, cost and cash: {vp_risks:.3f} s\n"
    )
    results["head_to_head"] = {
        "tasks": head_n,
        "ventureplan_s": vp,
        "ventureplan_first_s": vp_first,
        "pmcontrols_s": pm,
        "naive_s": naive,
        "naive_iterations": naive_iters,
        "ventureplan_with_risks_s": vp_risks,
    }

    print(f"## Scaling with tasks ({iters:,} iterations, risks included)\n")
    print("| tasks | ventureplan s | µs per task | pmcontrols s | ratio |")
    print("|---:|---:|---:|---:|---:|")
    scaling = []
    for n in sizes:
        p = load(n)
        _, v = timed(lambda p=p: run_ventureplan(p, iters), 3 if n <= 3000 else 1)
        _, m = timed(lambda p=p: run_pmcontrols(p, iters), 1 if n <= 3000 else 0)
        scaling.append({"tasks": n, "ventureplan_s": v, "pmcontrols_s": m})
        print(f"| {n:,} | {v:.3f} | {v / n * 1e6:.0f} | {m:.2f} | {m / v:.1f}× |")
    results["scaling"] = scaling

    n_mem = 1000 if args.quick else 10_000
    mem = peak_memory(n_mem, iters)
    results["memory"] = {"tasks": n_mem, **mem}
    print(f"\n## Memory: {n_mem:,} tasks × {iters:,} iterations\n")
    print(
        f"peak resident memory during the simulation {mem['peak_mib']:.0f} MiB "
        f"({mem['before_mib']:.0f} MiB before it started; the simulation adds {mem['simulation_mib']:.0f} MiB)"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
