from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import VenturePlanError
from ..load import load_plan
from ..plugin_manager import call_each, get_plugin_manager
from .output import fail


def run(
    plan: Annotated[Path, typer.Argument(help="The plan file (.yaml or .json).")],
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
        if write_back:
            from ventureplan.runner.writeback import append_record

            append_record(plan, record)
    except VenturePlanError as exc:
        raise fail(exc) from None
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
