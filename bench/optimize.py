"""Model optimisation: each variant `ventureplan optimize` makes against the trained model
run eagerly in PyTorch fp32 (the `base` variant), timed in the same process by the same
protocol (same threads, 10 warm-up calls, 50 timed calls at batch 1 over real test texts,
throughput at batch 32).

    python bench/optimize.py                  # train the starter on all its data, then optimise
    python bench/optimize.py --rehearsal      # the starter's capped rehearsal (400 texts), faster
    python bench/optimize.py --plan PLAN      # optimise the plan's newest training run

The first two write the starter plan (`ventureplan init`) to a temporary folder, train its
chosen route (builtin:minilm-l6 on BBC News: 1,487 training texts, or 400 with
--rehearsal; 3 epochs, minutes on 2 cores) and optimise it with the starter's optimize:
section, its prune list widened to [0.3, 0.4, 0.5]. Needs the runner extra.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ventureplan.planner.load import load_plan
from ventureplan.planner.records import OptimizationRecord

PRUNE = ("      prune: [0.3, 0.5]", "      prune: [0.3, 0.4, 0.5]")
CAP = "    limits:\n      max_train_samples: 400"


def ventureplan(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "ventureplan.planner.cli", *args], check=True)


def starter(folder: Path, rehearsal: bool) -> Path:
    plan = folder / "plan.yaml"
    ventureplan("init", str(plan), "--force")
    text = plan.read_text()
    assert PRUNE[0] in text and CAP in text, "the starter's optimize: or limits: changed"
    text = text.replace(PRUNE[0], PRUNE[1], 1)
    if not rehearsal:
        start = text.index(CAP)
        end = text.index("\n", start + len(CAP)) + 1
        text = text[:start] + text[end:]
    plan.write_text(text)
    ventureplan("run", str(plan), "--device", "cpu")
    return plan


def table(record: OptimizationRecord) -> str:
    base = record.variant("base")
    assert base is not None and base.latency_p50_ms and base.size_mb
    rows = [
        "| variant | format | params M | MB | size vs eager | p50 ms | p95 ms | faster than eager "
        "(p50) | texts/s | macro-F1 | change | agreement |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for v in record.variants:
        mark = " (chosen)" if v.name == record.chosen else ""
        rows.append(
            f"| {v.name}{mark} | {v.format}{' ' + v.quantize if v.quantize else ''} "
            f"| {v.params_millions:.1f} | {v.size_mb:.1f} | {base.size_mb / v.size_mb:.2f}× smaller "
            f"| {v.latency_p50_ms:.1f} | {v.latency_p95_ms:.1f} "
            f"| {base.latency_p50_ms / v.latency_p50_ms:.2f}× | {v.throughput_per_s:,.0f} "
            f"| {v.macro_f1:.3f} | {v.change:+.3f} | {v.agreement:.1%} |"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan", type=Path, help="a plan with a trained run and optimize:")
    parser.add_argument("--rehearsal", action="store_true", help="train on the 400-text cap")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        plan = args.plan or starter(Path(tmp), args.rehearsal)
        ventureplan("optimize", str(plan))
        record = load_plan(plan).plan.measured[-1]
        assert isinstance(record, OptimizationRecord)
        print(f"\n{record.run} of {record.source_run} on {record.device}, "
              f"{record.protocol.texts} test texts\n")  # fmt: skip
        print(table(record))
        onnx, base = record.variant("onnx"), record.variant("base")
        if onnx and base and onnx.latency_p50_ms and base.latency_p50_ms:
            print(f"\nONNX Runtime fp32 against PyTorch eager fp32 (batch 1, p50): "
                  f"{base.latency_p50_ms / onnx.latency_p50_ms:.2f}× faster")  # fmt: skip
        chosen = record.variant(record.chosen)
        if chosen and base and chosen.latency_p50_ms and base.latency_p50_ms:
            print(f"Chosen ({chosen.name}) against PyTorch eager fp32: "
                  f"{base.latency_p50_ms / chosen.latency_p50_ms:.2f}× faster at a macro-F1 "
                  f"change of {chosen.change:+.3f} (goal: ≥ 3× at ≥ -0.010)")  # fmt: skip


if __name__ == "__main__":
    main()
