from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .. import pipeline
from ..atomic import output_path, write_atomic
from ..defaults import DEFAULT_ITERATIONS, DEFAULT_SEED
from .options import Iterations, PlanFile, ReportLang, Seed
from .output import echo, print_warnings


def report(
    plan: PlanFile,
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="OUT.pdf, OUT.html, OUT.md, OUT.json, OUT.xlsx (the financial model with "
            "live formulas), OUT.tjp (TaskJuggler) or OUT.ics (calendar).",
        ),
    ],
    lang: ReportLang = None,
    iterations: Iterations = DEFAULT_ITERATIONS,
    seed: Seed = DEFAULT_SEED,
    appendix: Annotated[
        bool,
        typer.Option("--appendix", help="End with the Mermaid sources of every diagram."),
    ] = False,
) -> None:
    """Write the plan's report: a one-page summary, SMART goals with findings, team and
    budget with the cash curve, the schedule with its critical path, the risk register and
    heat map, the Monte Carlo results, the technical route and what was measured, and with
    --appendix the Mermaid sources. The format follows the file's suffix.

    Example: ventureplan report plan.yaml -o plan.pdf --lang zh
    """
    suffix = output.suffix.lower().lstrip(".")
    suffixes = sorted(pipeline.renderers())
    if suffix not in suffixes:
        raise typer.BadParameter(
            f"the file must end in {', '.join('.' + s for s in suffixes)}", param_hint="--output"
        )
    output_path(output, inputs=[plan])  # before the work: never the plan itself
    made = pipeline.report(plan, lang=lang, iterations=iterations, seed=seed)
    made.appendix = appendix
    data = pipeline.render(made, suffix)
    print_warnings(f for f in made.findings if f.code == "plugin-failed")
    write_atomic(output, data)
    echo(f"Wrote {output} ({len(data) / 1024:,.0f} KiB)")
