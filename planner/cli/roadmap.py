from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .. import pipeline
from ..atomic import output_path, write_atomic
from ..defaults import DEFAULT_ITERATIONS, DEFAULT_SEED
from .options import Iterations, PlanFile, ReportLang, Seed
from .output import echo, print_warnings


def roadmap(
    plan: PlanFile,
    diagram: Annotated[
        str, typer.Option("--diagram", "-d", help="gantt, flow, risks, budget or all.")
    ] = "gantt",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    lang: ReportLang = None,
    iterations: Iterations = DEFAULT_ITERATIONS,
    seed: Seed = DEFAULT_SEED,
) -> None:
    """Print Mermaid diagrams of the plan: the gantt with its critical path, the dependency
    flowchart, the risk quadrant chart, or the budget pie.

    One diagram prints as plain Mermaid; `all` prints Markdown with one fenced block each,
    ready for GitHub or GitLab. The budget pie comes from the same simulation as the
    report's (same iterations and seed give the same numbers).

    Example: ventureplan roadmap plan.yaml --diagram all -o roadmap.md
    """
    if output is not None:
        output_path(output, inputs=[plan])  # before the work: never the plan itself
    made = pipeline.report(plan, lang=lang, iterations=iterations, seed=seed)
    print_warnings(f for f in made.findings if f.code == "plugin-failed")
    found = made.diagrams
    if diagram != "all" and diagram not in found:
        raise typer.BadParameter(
            f"choose one of: {', '.join([*found, 'all'])}", param_hint="--diagram"
        )
    if diagram == "all":
        text = "".join(f"## {name}\n\n```mermaid\n{body}```\n\n" for name, body in found.items())
    else:
        text = found[diagram]
    if output is None:
        typer.echo(text, nl=False)
    else:
        write_atomic(output, text)
        echo(f"Wrote {output}", err=True)
