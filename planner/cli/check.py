from __future__ import annotations

import typer

from .. import pipeline
from .options import JsonFlag, PlanFile
from .output import echo, print_errors, print_findings, print_json
from .output import safe as escape


def check(
    plan: PlanFile,
    json_: JsonFlag = False,
) -> None:
    """Validate a plan and lint it against SMART practice.

    Errors (exit code 1) make the plan unusable; warnings point at what a reviewer or
    investor would question. Each names its line and says how to fix it. The deadline and
    cash lints need the P80 finish, so check runs the Monte Carlo simulation too (10,000
    iterations, seed 0, as analyze does by default).

    Example: ventureplan check plan.yaml
    """
    result = pipeline.check(plan)
    if json_:
        print_json(
            {
                "file": result.file,
                "valid": result.valid,
                "counts": {s: result.count(s) for s in ("error", "warning", "info")},
                "findings": [f.to_dict() for f in result.findings],
            }
        )
    elif not result.valid:
        print_errors(result.errors())
        n = result.count("error")
        if n > 1:  # one error stays one line
            echo(f"{result.file}: invalid, {n:,} errors", err=True)
    else:
        _report(result)
    raise typer.Exit(0 if result.valid else 1)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _report(result: pipeline.Outcome) -> None:
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=True)
    print_findings(console, result.file, result.findings)
    assert result.loaded is not None
    plan = result.loaded.plan
    console.print(
        f"[green]✓[/] {escape(result.file)} is valid: {_plural(len(plan.tasks), 'task')}, "
        f"{_plural(len(plan.risks), 'risk')}, {_plural(len(plan.goals), 'goal')}; "
        f"{_plural(result.count('warning'), 'warning')}"
    )
