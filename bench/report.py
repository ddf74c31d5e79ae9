"""`ventureplan report -o x.pdf` for plans of 50 and 500 tasks, timed inside one process.

The first report in a process also imports matplotlib and WeasyPrint; later ones show
the steady cost. Interpreter start is not included (the goal is stated without it).

    python bench/report.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ventureplan.planner.load import validate_data
from ventureplan.planner.pipeline import render
from ventureplan.planner.pipeline import report as build_report
from ventureplan.planner.source import parse

from bench.plangen import random_plan_yaml


def one(n: int) -> tuple[float, dict[str, float], int]:
    phases: dict[str, float] = {}
    t0 = time.perf_counter()
    data, source = parse(random_plan_yaml(n, seed=3), "bench.yaml")
    loaded = validate_data(data, source)
    report = build_report(loaded)
    t1 = time.perf_counter()
    pdf = render(report, "pdf")
    t2 = time.perf_counter()
    phases["load+analyze"] = t1 - t0
    phases["render pdf"] = t2 - t1
    return t2 - t0, phases, len(pdf)


def main() -> None:
    print("| tasks | first report in the process (s) | later reports, median of 3 (s) | PDF size |")
    print("|---:|---:|---:|---:|")
    for n in (50, 500):
        first, phases, size = one(n)
        later = statistics.median(one(n)[0] for _ in range(3))
        print(f"| {n} | {first:.2f} | {later:.2f} | {size / 1024:,.0f} KiB |")
        print(
            f"<!-- {n} tasks, first run: "
            + ", ".join(f"{k} {v:.2f}s" for k, v in phases.items())
            + " -->"
        )


if __name__ == "__main__":
    main()
