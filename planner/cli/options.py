"""Arguments and options that several commands share, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..defaults import MAX_ITERATIONS

PlanFile = Annotated[Path, typer.Argument(help="The plan file (.yaml or .json).")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
ReportLang = Annotated[
    str | None, typer.Option("--lang", help="en or zh (default: the plan's language).")
]
Iterations = Annotated[
    int,
    typer.Option("--iterations", "-n", min=1, max=MAX_ITERATIONS, help="Monte Carlo iterations."),
]
Seed = Annotated[
    int,
    typer.Option("--seed", min=0, help="Random seed; the same seed gives the same numbers."),
]
Width = Annotated[
    int | None,
    typer.Option(
        "--width",
        min=30,
        max=1000,
        show_default=False,
        help="Lay the output out for this many columns (default: the terminal's width, "
        "COLUMNS where set, 80 when piped). Findings wrap too, as on a terminal.",
    ),
]
