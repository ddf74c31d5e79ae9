"""The `ventureplan` command: composes the commands, each defined in its own file."""

from __future__ import annotations

import typer

from .analyze import analyze_command
from .check import check
from .diff import diff
from .init import init
from .plugins import plugins
from .report import report
from .roadmap import roadmap
from .run import run
from .schema import schema
from .serve import serve
from .workshop import workshop_app

app = typer.Typer(
    name="ventureplan",
    help="Plan, schedule and de-risk an AI-model venture from one plan file.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode="markdown",
)
app.command()(init)
app.command()(check)
app.command(name="analyze")(analyze_command)
app.command()(roadmap)
app.command()(diff)
app.command()(report)
app.command()(run)
app.command()(serve)
app.add_typer(workshop_app, name="workshop")
app.command()(schema)
app.command()(plugins)


def main() -> None:
    app()
