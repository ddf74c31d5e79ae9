from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .. import pipeline
from ..atomic import output_path, write_atomic
from ..defaults import DEFAULT_ITERATIONS, DEFAULT_SEED
from .options import Iterations, PlanFile, ReportLang, Seed
from .output import echo, print_warnings

FORMATS = ("mermaid", "tjp", "ics")  # tjp and ics are the renderers of those names


def roadmap(
    plan: PlanFile,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="mermaid (diagrams), tjp (a TaskJuggler project) or ics (milestones and "
            "goal deadlines for a calendar).",
        ),
    ] = "mermaid",
    diagram: Annotated[
        str | None,
        typer.Option(
            "--diagram", "-d", help="With mermaid: gantt (the default), flow, risks, budget or all."
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    lang: ReportLang = None,
    iterations: Iterations = DEFAULT_ITERATIONS,
    seed: Seed = DEFAULT_SEED,
) -> None:
    """Print the roadmap: Mermaid diagrams of the plan (the gantt with its critical path, the
    dependency flowchart, the risk quadrant chart, or the budget pie), a TaskJuggler project,
    or an iCalendar file of its milestones and goal deadlines.

    One diagram prints as plain Mermaid; `all` prints Markdown with one fenced block each,
    ready for GitHub or GitLab. The budget pie comes from the same simulation as the
    report's (same iterations and seed give the same numbers). `tj3 plan.tjp` schedules the
    TaskJuggler project on the same days as ventureplan and writes schedule.csv.

    Example: ventureplan roadmap plan.yaml --diagram all -o roadmap.md

    Example: ventureplan roadmap plan.yaml --format ics -o milestones.ics
    """
    if fmt not in FORMATS:
        raise typer.BadParameter(f"choose one of: {', '.join(FORMATS)}", param_hint="--format")
    if diagram is not None and fmt != "mermaid":
        raise typer.BadParameter(
            f"only --format mermaid has diagrams, not {fmt}",
            param_hint="--diagram",
        )
    if output is not None:
        output_path(output, inputs=[plan])  # before the work: never the plan itself
    made = pipeline.report(plan, lang=lang, iterations=iterations, seed=seed)
    print_warnings(f for f in made.findings if f.code == "plugin-failed")
    if fmt == "mermaid":
        data = _mermaid(made.diagrams, diagram or "gantt").encode("utf-8")
    else:
        data = pipeline.render(made, fmt)  # text too (iCalendar's lines end in CRLF)
    if output is None:
        typer.echo(data.decode("utf-8"), nl=False)
    else:
        write_atomic(output, data)
        echo(f"Wrote {output}", err=True)


def _mermaid(found: dict[str, str], diagram: str) -> str:
    if diagram != "all" and diagram not in found:
        raise typer.BadParameter(
            f"choose one of: {', '.join([*found, 'all'])}", param_hint="--diagram"
        )
    if diagram == "all":
        return "".join(f"## {name}\n\n```mermaid\n{body}```\n\n" for name, body in found.items())
    return found[diagram]
