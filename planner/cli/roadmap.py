from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..analysis import analyze
from ..atomic import write_atomic
from ..errors import VenturePlanError
from ..load import load_plan
from ..plugin_manager import get_plugin_manager
from ..report import diagrams, labels
from .options import PlanFile, ReportLang
from .output import fail


def roadmap(
    plan: PlanFile,
    diagram: Annotated[
        str, typer.Option("--diagram", "-d", help="gantt, flow, risks, budget or all.")
    ] = "gantt",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    lang: ReportLang = None,
) -> None:
    """Print Mermaid diagrams of the plan: the gantt with its critical path, the dependency
    flowchart, the risk quadrant chart, or the budget pie.

    One diagram prints as plain Mermaid; `all` prints Markdown with one fenced block each,
    ready for GitHub or GitLab.

    Example: ventureplan roadmap plan.yaml --diagram all -o roadmap.md
    """
    try:
        loaded = load_plan(plan)
        pm = get_plugin_manager()
        words = labels(lang or loaded.plan.language)
        found = diagrams(analyze(loaded.plan, iterations=2_000, pm=pm), words, pm)
    except VenturePlanError as exc:
        raise fail(exc) from None
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
        typer.echo(f"Wrote {output}", err=True)
