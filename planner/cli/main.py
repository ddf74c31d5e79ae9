"""The `ventureplan` command: composes the commands, each defined in its own file. Every
command is registered through `guarded`, the one place a VenturePlanError is printed."""

from __future__ import annotations

import os
import signal

import typer

from .analyze import analyze_command
from .check import check
from .diff import diff
from .init import init
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
app.command()(guarded(report))
app.command()(guarded(run))
app.command()(guarded(serve))
app.add_typer(workshop_app, name="workshop")
app.command()(guarded(schema))
app.command()(guarded(plugins))


def _interrupted(signum: int, frame: object) -> None:
    # Stop at once, as a kill would: every file the tool writes is written atomically, so
    # nothing is left half-written. A KeyboardInterrupt instead can surface anywhere (in a
    # garbage-collector callback, say) and print a traceback, or be swallowed there.
    os.write(2, b"\ninterrupted\n")
    os._exit(130)


def main() -> None:
    """The entry point. Ctrl-C stops any command with exit code 130 and one line, never a
    traceback (`serve` takes Ctrl-C back to stop its server cleanly)."""
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # unless ignored
        signal.signal(signal.SIGINT, _interrupted)
    app()
