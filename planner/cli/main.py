"""The `ventureplan` command: composes the commands, each defined in its own file. Every
command is registered through `guarded`, the one place a VenturePlanError is printed.
The entry point that runs it is `entry.py`."""

from __future__ import annotations

import typer

from .analyze import analyze_command
from .api import api
from .baseline import baseline
from .check import check
from .deploy import deploy
from .diff import diff
from .init import init
from .loadtest import loadtest
from .measure import measure
from .measured import measured
from .optimize import optimize
from .output import guarded
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
app.command()(guarded(init))
app.command()(guarded(check))
app.command(name="analyze")(guarded(analyze_command))
app.command()(guarded(roadmap))
app.command()(guarded(diff))
app.command()(guarded(baseline))
app.command()(guarded(report))
app.command()(guarded(run))
app.command()(guarded(measured))
# a negative VALUE (-3) is the argument, not an unknown option
app.command(context_settings={"ignore_unknown_options": True})(guarded(measure))
app.command()(guarded(optimize))
app.command()(guarded(serve))
app.command()(guarded(deploy))
app.command()(guarded(api))
app.command()(guarded(loadtest))
app.add_typer(workshop_app, name="workshop")
app.command()(guarded(schema))
app.command()(guarded(plugins))
