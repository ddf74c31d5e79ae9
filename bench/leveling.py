"""Resource levelling: the levelled Monte Carlo against the unlevelled one, and the time the
levelling itself takes, on the same random task network (bench/plangen.py) whose tasks are
shared among three roles of 2, 3 and 4 people.

    .venv/bin/python bench/leveling.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ventureplan.planner.leveling import level
from ventureplan.planner.load import validate_data
from ventureplan.planner.model import Plan
from ventureplan.planner.network import build_network
from ventureplan.planner.source import parse
from ventureplan.plugins.montecarlo import Simulation

from bench.plangen import random_plan_yaml

ROLES = [("data", 2), ("ml", 3), ("eng", 4)]


def plan_of(n: int) -> Plan:
    data, source = parse(random_plan_yaml(n, seed=1), "bench.yaml")
    data["team"] = [{"id": r, "title": r, "headcount": h, "monthly_cost": 10000} for r, h in ROLES]
    for i, t in enumerate(data["tasks"]):
        t["owner"] = ROLES[i % 3][0]
    for g in data["goals"]:
        g["owner"] = "eng"
    for r in data["risks"]:
        r["owner"] = "eng"
    return validate_data(data, source).plan


def median(fn, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    fn()  # warm up
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    plan = plan_of(1000)
    flat = build_network(plan)
    lv = level(plan)
    print(f"1,000 tasks: {lv.added:,} resource precedences added to {sum(map(len, flat.preds)):,}")
    a = median(lambda: Simulation(plan, flat, {}).run(10_000, 0))
    b = median(lambda: Simulation(plan, lv.network, {}).run(10_000, 0))
    sim_a = Simulation(plan, flat, {}).run(10_000, 0)
    sim_b = Simulation(plan, lv.network, {}).run(10_000, 0)
    print("Monte Carlo, 1,000 tasks x 10,000 iterations (median of 5)")
    print(
        f"  unlevelled  {a:7.3f} s   P50 {sim_a.finish['p50']:8.1f}  P80 {sim_a.finish['p80']:8.1f}"
    )
    print(
        f"  levelled    {b:7.3f} s   P50 {sim_b.finish['p50']:8.1f}  P80 {sim_b.finish['p80']:8.1f}"
    )
    print(f"  levelled / unlevelled: {b / a:.2f}x (goal: at most 2x)")
    big = plan_of(10_000)
    t = median(lambda: level(big), repeat=3)
    print(f"levelling 10,000 tasks (SGS and resource flow, median of 3): {t:.2f} s")


if __name__ == "__main__":
    main()
