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
            "--keep-checkpoints", help="Keep runs/&lt;id&gt;/checkpoints after a successful run."
        ),
    ] = False,
    write_back: Annotated[
        bool, typer.Option("--write-back/--no-write-back", help="Append the record to the plan.")
    ] = True,
    search_worker: Annotated[
        str | None,
        typer.Option(
            "--search-worker",
            metavar="RUN_ID",
            help="Join the hyperparameter search of run RUN_ID as one more worker: train its "
            "trials until none is left; no record.",
        ),
    ] = None,
    study_storage: Annotated[
        str | None,
        typer.Option(
            "--study-storage",
            metavar="URL",
            help="The search's Optuna study: a database URL (postgresql://..., sqlite:///...; "
            "default: runs/&lt;id&gt;/study.db).",
        ),
    ] = None,
) -> None:
    """Execute a technical route for real: train, evaluate and measure it, then append what
    was measured to the plan's `measured` list (comments and formatting kept).

    Artifacts (the model as safetensors, metrics, per-class report, confusion matrix, the
    search's trials and the resolved config) go to `runs/<run id>/` beside the plan.
    Checkpoints are kept until the run succeeds, so a killed run continues with --resume.

    routes[].search is an Optuna study (`runs/<run id>/study.db`, or --study-storage): more
    processes, here or on other machines, join it with --search-worker RUN_ID and share its
    trials; the run itself waits for theirs, then evaluates the best and writes the record.

    Example: ventureplan run plan.yaml --device cpu
    """
    if device is not None and device not in ("auto", "cpu", "cuda"):
        raise typer.BadParameter("choose auto, cpu or cuda", param_hint="--device")
    if search_worker is not None and resume is not None:
        raise typer.BadParameter(
            "--resume continues a run's own process; a worker joins one with --search-worker alone",
            param_hint="--search-worker",
        )
    if nproc > 1 and "LOCAL_RANK" not in os.environ:
        args = [
            *(["--route", route] if route else []),
            *(["--device", device] if device else []),
            *(["--max-steps", str(max_steps)] if max_steps else []),
            *(["--resume", resume] if resume else []),
            *(["--keep-checkpoints"] if keep_checkpoints else []),
            *(["--search-worker", search_worker] if search_worker else []),
            *(["--study-storage", study_storage] if study_storage else []),
            "--write-back" if write_back else "--no-write-back",
        ]
        raise typer.Exit(relaunch(nproc, plan, route, resume, args))
    options = Options(
        device=device,
        max_steps=max_steps,
        resume=resume,
        keep_checkpoints=keep_checkpoints,
        search_worker=search_worker,
        study_storage=study_storage,
    )
    record, warnings = run_route(plan, route, options, write_back=write_back)
    print_warnings(warnings)
    if search_worker is not None and os.environ.get("RANK", "0") == "0":
        typer.echo(
            f"Search worker for run {search_worker}: done, no trial of its study is left to "
            "take; the run's own `ventureplan run` evaluates the best and writes the record"
        )
    if record is None:
        return  # another process of a torchrun launch (rank 0 reports), or a search worker
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
