from __future__ import annotations

import typer

from .. import pipeline
from .options import JsonFlag, PlanFile, Width
from .output import console, echo, for_person, joined, print_errors, print_findings, print_json, say
from .output import safe as escape


def check(
    plan: PlanFile,
    json_: JsonFlag = False,
    width: Width = None,
) -> None:
    """Validate a plan and lint it against SMART practice.

    Errors (exit code 1) make the plan unusable; warnings point at what a reviewer or
    investor would question. Each names its line and says how to fix it. The deadline and
    cash lints need the P80 finish, so check runs the Monte Carlo simulation too (10,000
    iterations, seed 0, as analyze does by default).

    On a terminal (or with `--width`) each warning wraps between words under a hanging
    indent; piped, each stays on one line for editors and grep. Errors go to stderr as
    `FILE:LINE:COL: error: ...`, always one line each.

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
        _report(result, width)
    raise typer.Exit(0 if result.valid else 1)


def _plural(n: int, word: str) -> str:
    return joined(f"{n} {word}{'' if n == 1 else 's'}")


def _report(result: pipeline.Outcome, width: int | None) -> None:
    out = console(width)
    wrap = for_person(width)
    print_findings(out, result.file, result.findings, wrap=wrap)
    assert result.loaded is not None
    plan = result.loaded.plan
    line = (
        f"[green]✓[/] {escape(result.file)} is valid: {_plural(len(plan.tasks), 'task')}, "
        f"{_plural(len(plan.risks), 'risk')}, {_plural(len(plan.goals), 'goal')}; "
        f"{_plural(result.count('warning'), 'warning')}"
    )
    say(out, line, hanging=2, one_line=not wrap)
