from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import VenturePlanError
from ..load import load_plan
from ..plugin_manager import call_each, get_plugin_manager
from .options import PlanFile
from .output import fail


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
    write_back: Annotated[
        bool, typer.Option("--write-back/--no-write-back", help="Append the record to the plan.")
    ] = True,
) -> None:
    """Execute a technical route for real: train, evaluate and measure it, then append what
    was measured to the plan's `measured` list (comments and formatting kept).

    Artifacts (the model as safetensors, metrics, per-class report, confusion matrix, the
    resolved config and checkpoints) go to runs/<run id>/ beside the plan.

    Example: ventureplan run plan.yaml --device cpu
    """
    if device is not None and device not in ("auto", "cpu", "cuda"):
        raise typer.BadParameter("choose auto, cpu or cuda", param_hint="--device")
    if nproc > 1 and "LOCAL_RANK" not in os.environ:
        raise typer.Exit(_launch(nproc, plan, route, device, max_steps, resume, write_back))
    try:
        loaded = load_plan(plan)
        chosen = (
            loaded.plan.chosen_route
            if route is None
            else next((r for r in loaded.plan.routes if r.id == route), None)
        )
        if chosen is None:
            raise VenturePlanError(
                f"no route '{route}' in the plan; routes: "
                + ", ".join(r.id for r in loaded.plan.routes)
            )
        kinds: dict[str, Any] = {}
        for _, found in call_each(get_plugin_manager(), "route_kinds"):
            kinds.update({k: v for k, v in (found or {}).items() if k not in kinds})
        if chosen.task not in kinds:
            raise VenturePlanError(
                f"no runner for route kind '{chosen.task}'; installed: {', '.join(sorted(kinds))}"
            )
        from ventureplan.runner.run import Options

        record = kinds[chosen.task](
            loaded.plan, chosen, plan, Options(device=device, max_steps=max_steps, resume=resume)
        )
        if write_back and record is not None:
            from ventureplan.runner.writeback import append_record

            append_record(plan, record)
    except VenturePlanError as exc:
        raise fail(exc) from None
    if record is None:
        return  # another process of a torchrun launch: rank 0 reports
    metrics = ", ".join(f"{k} {v:.3f}" for k, v in record["metrics"].items())
    t = record["training"]
    typer.echo(
        f"Run {record['run']}: {metrics}; {t['samples_per_second']:.1f} samples/s, "
        f"{t['seconds']:.0f} s training on {record['device']}"
    )
    for gid, g in record["goals"].items():
        verdict = "met" if g["met"] else "missed" if g["met"] is False else "no target"
        typer.echo(
            f"  goal {gid}: {g['value']} vs target {g['target']}: {verdict}"
            + (f" (P(miss) {g['p_miss']:.0%})" if g["p_miss"] is not None else "")
        )
    typer.echo(
        f"Wrote the record to {plan}"
        if write_back
        else "The plan was not changed (--no-write-back)"
    )


def _launch(
    nproc: int,
    plan: Path,
    route: str | None,
    device: str | None,
    max_steps: int | None,
    resume: str | None,
    write_back: bool,
) -> int:
    """Start `nproc` copies of this command under torchrun (DDP: nccl on GPUs, gloo on CPUs).
    They share one run id; rank 0 evaluates and writes the record."""
    args = ["run", str(plan)]
    for flag, value in (
        ("--route", route),
        ("--device", device),
        ("--max-steps", max_steps),
        ("--resume", resume),
    ):
        if value is not None:
            args += [flag, str(value)]
    args.append("--write-back" if write_back else "--no-write-back")
    env = dict(os.environ)
    try:
        chosen = load_plan(plan).plan.chosen_route
        name = route or (chosen.id if chosen else "run")
    except VenturePlanError:
        name = route or "run"  # the workers report the error
    env.setdefault(
        "VENTUREPLAN_RUN_ID",
        resume or f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}-{name}-ddp{nproc}",
    )
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc_per_node={nproc}",
        "-m",
        "ventureplan.planner.cli",
        *args,
    ]
    return subprocess.run(cmd, env=env, check=False).returncode
