"""`ventureplan optimize`: prune, export, quantize and measure a trained model."""

from __future__ import annotations

from typing import Annotated

import typer

from ..optimizing import optimize_route
from ..records import OptimizationRecord, Variant
from .options import PlanFile, Width
from .output import console, for_person, joined, print_warnings, safe, say


def optimize(
    plan: PlanFile,
    run: Annotated[
        str | None,
        typer.Option(
            "--run",
            help="The training run to start from (default: the route's newest evidence run).",
        ),
    ] = None,
    route: Annotated[
        str | None, typer.Option("--route", help="Route id (default: the chosen route).")
    ] = None,
    write_back: Annotated[
        bool, typer.Option("--write-back/--no-write-back", help="Append the record to the plan.")
    ] = True,
    width: Width = None,
) -> None:
    """Make what the route's `optimize:` section asks for from a trained model: structurally
    pruned copies (attention heads and feed-forward neurons removed by gradient importance,
    then an optional recovery fine-tune), ONNX exports checked against PyTorch on the whole
    test split, and int8 copies. Each variant is measured the same way (latency at batch 1,
    throughput at batch 32, size, parameters, macro-F1 with its 95% interval, agreement with
    the trained model); the fastest within `max_metric_drop` that still meets the quality
    goals is chosen, and the record goes to the plan's `measured` list.

    Variants go to `runs/<id>/variants/<name>/` beside the plan.

    Example: ventureplan optimize plan.yaml
    """
    record, warnings = optimize_route(plan, run, route, write_back=write_back)
    print_warnings(warnings)
    out, wrap = console(width), for_person(width)
    # on a terminal each line wraps between words; piped (a log), each stays one line
    for line in summary(record):
        say(out, safe(line), hanging=4, one_line=not wrap)
    say(
        out,
        safe(f"Wrote the record to {plan}")
        if write_back
        else "The plan was not changed (--no-write-back)",
        one_line=not wrap,
    )


def summary(record: OptimizationRecord) -> list[str]:
    """What an optimisation made, one line per variant, then the choice."""
    on = f" ({record.device})" if record.device else ""
    lines = [f"Optimization {record.run} of run {record.source_run}{on}:"]
    for v in record.variants:
        lines.append("  " + variant_line(v, v.name == record.chosen))
    if record.chosen is None:
        lines.append("No variant is within max_metric_drop and meets the quality goals.")
    else:
        lines.append(f"Chosen: {record.chosen} (the fastest within max_metric_drop)")
    for gid, g in record.goals.items():
        verdict = "met" if g.met else "missed" if g.met is False else "no target"
        if record.rehearsal:
            verdict += " in rehearsal"
        lines.append(f"  goal {gid}: {g.value:g} vs target {g.target:g}: {verdict}")
    if record.rehearsal:
        lines.append(
            "A rehearsal, not evidence (" + "; ".join(record.rehearsal_reasons) + "): recorded "
            "and shown, it changes no verdict or number"
        )
    return lines


# (field, how it reads) in the order a variant's line says them
# (each figure kept whole on a line: a number never parts from its unit)
SHOWN = (
    ("latency_p50_ms", "p50 {:.1f} ms"),
    ("latency_p95_ms", "p95 {:.1f} ms"),
    ("throughput_per_s", "{:,.0f}/s"),
    ("size_mb", "{:,.1f} MB"),
    ("params_millions", "{:.1f}M params"),
    ("macro_f1", "macro-F1 {:.3f}"),
    ("change", "({:+.3f})"),
    ("agreement", "agrees {:.1%}"),
)


def variant_line(v: Variant, chosen: bool) -> str:
    parts = [
        joined(form.format(value))
        for name, form in SHOWN
        if (value := getattr(v, name)) is not None
    ]
    return f"{v.name:<16} " + ", ".join(parts) + ("  <- chosen" if chosen else "")
