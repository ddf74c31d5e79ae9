from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..analysis import DEFAULT_ITERATIONS, DEFAULT_SEED
from ..atomic import write_atomic
from ..errors import VenturePlanError
from ..load import load_plan
from ..report import available_renderers, build_report, render
from .options import Iterations, PlanFile, ReportLang
from .output import fail


def report(
    plan: PlanFile,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="OUT.pdf, OUT.html, OUT.md or OUT.json.")
    ],
    lang: ReportLang = None,
    iterations: Iterations = DEFAULT_ITERATIONS,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Random seed.")] = DEFAULT_SEED,
) -> None:
    """Write the plan's report: a one-page summary, SMART goals with findings, team and
    budget with the cash curve, the schedule with its critical path, the risk register and
    heat map, the Monte Carlo results, the technical route and what was measured, and the
    Mermaid sources. The format follows the file's suffix.

    Example: ventureplan report plan.yaml -o plan.pdf --lang zh
    """
    suffix = output.suffix.lower().lstrip(".")
    suffixes = sorted(available_renderers())
    if suffix not in suffixes:
        raise typer.BadParameter(
            f"the file must end in {', '.join('.' + s for s in suffixes)}", param_hint="--output"
        )
    if not output.parent.is_dir():
        raise fail(VenturePlanError(f"folder {output.parent} does not exist"))
    try:
        made = build_report(load_plan(plan), lang=lang, iterations=iterations, seed=seed)
        data = render(made, suffix)
    except VenturePlanError as exc:
        raise fail(exc) from None
    write_atomic(output, data)
    typer.echo(f"Wrote {output} ({len(data) / 1024:,.0f} KiB)")
