"""Resource levelling: the levelled Monte Carlo against the unlevelled one, and the time the
levelling itself takes, on the same random task network (bench/plangen.py) whose tasks are
shared among three roles of 2, 3 and 4 people; then ventureplan's levelling against
TaskJuggler (tj3) levelling the same plan exported with `roadmap --format tjp` (one run of
each, tj3 as a command), and the finish of both over the random levelled plans of
tests/plugins/test_tjp_leveling.py.

    .venv/bin/python bench/leveling.py                  # tj3 on 10,000 tasks
    .venv/bin/python bench/leveling.py --tj3-tasks 2000  # a size tj3 does in minutes
Needs Debian's `tj3` (apt-get install tj3) for the comparison; without it, only the rest.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ventureplan.planner.calendar import offset_of
from ventureplan.planner.leveling import level
from ventureplan.planner.load import validate_data
from ventureplan.planner.model import Plan
from ventureplan.planner.network import build_network
from ventureplan.planner.schedule import schedule
from ventureplan.planner.source import parse
from ventureplan.plugins.montecarlo import Simulation
from ventureplan.plugins.render_tjp import layout, project

from bench.plangen import random_plan_yaml

ROLES = [("data", 2), ("ml", 3), ("eng", 4)]


def plan_of(n: int, leveled: bool = False) -> Plan:
    data, source = parse(random_plan_yaml(n, seed=1), "bench.yaml")
    if leveled:
        data["schedule"] = "leveled"
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


def tj3_finish(plan: Plan, folder: Path) -> float:
    """tj3's finish, in the plan's days from its start, from the schedule.csv it wrote."""
    from tests.plugins.test_tjp import _csv, tj3_days

    got = _csv(folder)
    last = max(tj3_days(plan, *got[i][:2])[1] for i in layout(plan).ids.values())
    return offset_of(plan.start, plan.calendar, last + dt.timedelta(days=1))


def against_tj3(n: int, tj3: str) -> None:
    plan = plan_of(n, leveled=True)
    t, c = time.perf_counter(), time.process_time()
    lv = level(plan)
    ours, ours_cpu = time.perf_counter() - t, time.process_time() - c
    text = project(plan, schedule(plan))
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "plan.tjp").write_text(text, "utf-8")
        cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(
            [tj3, "--silent", "--no-color", "plan.tjp"],
            cwd=tmp,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        theirs = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        busy = after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime
        finish = tj3_finish(plan, Path(tmp))
    mine = float(lv.finish.max())
    print(f"\nlevelling {n:,} tasks (3 roles of 2, 3, 4 people), one run each")
    print("                                    wall s     CPU s   finish (workdays)")
    print(f"  ventureplan level()               {ours:7.2f} {ours_cpu:9.2f}   {mine:9,.0f}")
    print(f"  tj3 (the exported project, whole) {theirs:7.2f} {busy:9.2f}   {finish:9,.0f}")
    print(
        f"  tj3 / ventureplan: {theirs / ours:,.0f}x the wall time, {busy / ours_cpu:,.0f}x the "
        f"CPU time; finish ratio (ventureplan / tj3) {mine / finish:.3f}"
    )


def finish_ratios(sizes: tuple[int, ...], per_size: int) -> None:
    from tests.plugins.test_tjp_leveling import PAUSED, compare, random_plan

    print("\nventureplan finish / tj3 finish, random levelled plans (test_tjp_leveling)")
    everything = []
    for n in sizes:
        ratios = compare([random_plan(n, 1000 * n + s) for s in range(per_size)])
        everything += ratios
        paused = statistics.mean(PAUSED[-per_size:])
        print(
            f"  {n:4d} tasks x {per_size}: min {min(ratios):.3f}  median "
            f"{statistics.median(ratios):.3f}  max {max(ratios):.3f}  "
            f"(tasks tj3 paused and resumed: {paused:.1f} per plan)"
        )
    print(
        f"  all {len(everything)}: min {min(everything):.3f}  median "
        f"{statistics.median(everything):.3f}  max {max(everything):.3f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--tj3-tasks", type=int, default=10_000, help="0: no tj3 timing")
    ap.add_argument("--plans", type=int, default=10, help="random plans per size, for ratios")
    ap.add_argument("--skip-monte-carlo", action="store_true")
    args = ap.parse_args()
    if not args.skip_monte_carlo:
        monte_carlo()
    tj3 = shutil.which("tj3")
    if tj3 is None:
        print("\ntj3 is not installed (apt-get install tj3): no comparison with TaskJuggler")
        return
    if args.tj3_tasks:
        against_tj3(args.tj3_tasks, tj3)
    if args.plans:
        finish_ratios((20, 60, 200), args.plans)


def monte_carlo() -> None:
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
