from __future__ import annotations

import os
from typing import Annotated

import typer

from ..execute import relaunch, run_route
from ..records import Options
from .options import PlanFile
from .output import print_warnings


def run(
    plan: PlanFile,
    route: Annotated[
        str | None, typer.Option("--route", help="Route id (default: the chosen route).")
    ] = None,
    device: Annotated[
        str | None, typer.Option("--device", help="auto, cpu or cuda (default: compute.device).")
    ] = None,
    max_steps: Annotated[
        int | None, typer.Option("--max-steps", min=1, help="Stop after N optimiser steps.")
    ] = None,
    resume: Annotated[
        str | None,
        typer.Option("--resume", help="Continue the run with this id from its checkpoint."),
    ] = None,
    nproc: Annotated[
        int, typer.Option("--nproc", min=1, help="Processes (devices) to train with, via torchrun.")
    ] = 1,
    keep_checkpoints: Annotated[
        bool,
        typer.Option(
            "--keep-checkpoints", help="Keep runs/<id>/checkpoints after a successful run."
        ),
    ] = False,
    write_back: Annotated[
        bool, typer.Option("--write-back/--no-write-back", help="Append the record to the plan.")
    ] = True,
) -> None:
    """Execute a technical route for real: train, evaluate and measure it, then append what
    was measured to the plan's `measured` list (comments and formatting kept).

    Artifacts (the model as safetensors, metrics, per-class report, confusion matrix and
    the resolved config) go to runs/<run id>/ beside the plan. Checkpoints are kept until
    the run succeeds, so a killed run continues with --resume.

    Example: ventureplan run plan.yaml --device cpu
    """
    if device is not None and device not in ("auto", "cpu", "cuda"):
        raise typer.BadParameter("choose auto, cpu or cuda", param_hint="--device")
    if nproc > 1 and "LOCAL_RANK" not in os.environ:
        args = [
            *(["--route", route] if route else []),
            *(["--device", device] if device else []),
            *(["--max-steps", str(max_steps)] if max_steps else []),
            *(["--resume", resume] if resume else []),
            *(["--keep-checkpoints"] if keep_checkpoints else []),
            "--write-back" if write_back else "--no-write-back",
        ]
        raise typer.Exit(relaunch(nproc, plan, route, resume, args))
    options = Options(
        device=device, max_steps=max_steps, resume=resume, keep_checkpoints=keep_checkpoints
    )
    record, warnings = run_route(plan, route, options, write_back=write_back)
    print_warnings(warnings)
    if record is None:
        return  # another process of a torchrun launch: rank 0 reports
    metrics = ", ".join(f"{k} {v:.3f}" for k, v in record.metrics.items())
    t = record.training
    typer.echo(
        f"Run {record.run}: {metrics}; {t.samples_per_second or 0:.1f} samples/s, "
        f"{t.seconds or 0:.0f} s training on {record.device}"
    )
    for gid, g in record.goals.items():
        verdict = "met" if g.met else "missed" if g.met is False else "no target"
        if record.rehearsal:
            verdict += " in rehearsal"
        typer.echo(
            f"  goal {gid}: {g.value} vs target {g.target}: {verdict}"
            + (f" (P(miss) {g.p_miss:.0%})" if g.p_miss is not None else "")
        )
    if record.rehearsal:
        typer.echo(
            "A rehearsal, not evidence ("
            + "; ".join(record.rehearsal_reasons)
            + "): recorded and shown, it changes no verdict or number in analyze and report"
        )
    typer.echo(
        f"Wrote the record to {plan}"
        if write_back
        else "The plan was not changed (--no-write-back)"
    )
