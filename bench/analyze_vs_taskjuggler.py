"""`ventureplan analyze` end to end against TaskJuggler (tj3) scheduling the same network.

ventureplan parses, validates, schedules and simulates (10,000 iterations by default) a
random plan; tj3 parses and schedules the same tasks and dependencies (likely durations,
working days), written as a .tjp file. Both run as commands, interpreter start included.
TaskJuggler does no Monte Carlo at all, so ventureplan does strictly more work.

    python bench/analyze_vs_taskjuggler.py               # 10,000 tasks
    python bench/analyze_vs_taskjuggler.py --tasks 1000  # smaller
Needs Debian's `tj3` (apt-get install tj3).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ventureplan.planner.load import validate_data
from ventureplan.planner.source import parse

from bench.plangen import random_plan_yaml


def write_tjp(yaml_text: str, path: Path) -> None:
    data, source = parse(yaml_text, "bench.yaml")
    plan = validate_data(data, source).plan
    lines = [
        f'project bench "Benchmark" {plan.start.isoformat()} +30y {{',
        '  timezone "UTC"',
        "}",
        'resource eng "Engineer"',
    ]
    for t in plan.tasks:
        lines.append(f'task {t.id.replace("-", "_")} "{t.name or t.id}" {{')
        if t.depends_on:
            lines.append("  depends " + ", ".join(d.replace("-", "_") for d in t.depends_on))
        if t.milestone:
            lines.append("  milestone")
        else:
            assert t.estimate is not None
            lines.append(f"  length {t.estimate.likely:g}d")
        lines.append("}")
    path.write_text("\n".join(lines) + "\n")


def timed(cmd: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--tasks", type=int, default=10_000)
    ap.add_argument("--iterations", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each; the fastest counts")
    args = ap.parse_args()
    tj3 = shutil.which("tj3")
    if tj3 is None:
        sys.exit("tj3 is not installed: apt-get install tj3")
    vp = Path(sys.executable).with_name("ventureplan")
    with tempfile.TemporaryDirectory() as tmp:
        plan = Path(tmp) / "plan.yaml"
        tjp = Path(tmp) / "plan.tjp"
        text = random_plan_yaml(args.tasks, seed=1)
        plan.write_text(text)
        write_tjp(text, tjp)
        ours = timed(
            [str(vp), "analyze", str(plan), "--json", "--iterations", str(args.iterations)],
            args.repeat,
        )
        theirs = timed([tj3, "--no-color", str(tjp)], args.repeat)
    print(f"| {args.tasks:,} tasks | seconds (fastest of {args.repeat}) |")
    print("|---|---:|")
    print(
        f"| ventureplan analyze --json ({args.iterations:,} Monte Carlo iterations) | {ours:.2f} |"
    )
    print(f"| tj3 (schedule only) | {theirs:.2f} |")
    print(f"\nventureplan is {theirs / ours:.1f}× faster")


if __name__ == "__main__":
    main()
