from __future__ import annotations

import signal
import time
from typing import Annotated

import typer

from ..defaults import DEFAULT_SEED, LANGUAGES, LIVE_ITERATIONS, MAX_ITERATIONS
from ..errors import VenturePlanError
from ..workshop.serve import DEFAULT_HOST, DEFAULT_PORT, PlanServer, is_loopback
from .options import PlanFile, ReportLang, Seed
from .output import echo


def serve(
    plan: PlanFile,
    port: Annotated[
        int, typer.Option("--port", "-p", min=0, max=65535, help="Port (0: any free port).")
    ] = DEFAULT_PORT,
    host: Annotated[
        str | None,
        typer.Option(
            "--host",
            help=f"Address to listen on (default {DEFAULT_HOST}, this machine only). "
            "Another address lets anyone who can reach it read the plan.",
        ),
    ] = None,
    lang: ReportLang = None,
    iterations: Annotated[
        int,
        typer.Option(
            "--iterations",
            "-n",
            min=1,
            max=MAX_ITERATIONS,
            help=f"Monte Carlo iterations (default {LIVE_ITERATIONS:,}, so a save shows "
            "within a second or two; `report` uses more).",
        ),
    ] = LIVE_ITERATIONS,
    seed: Seed = DEFAULT_SEED,
) -> None:
    """Show the plan's HTML report on a local web page that updates on every save: put it
    on the projector in a workshop and edit the plan. A save with an error keeps the last
    good report on screen under a banner naming each error and its line. The Monte Carlo
    simulation runs fewer iterations than `report` (see --iterations) so the page follows
    quickly. Ctrl-C stops.

    Example: ventureplan serve plan.yaml --port 8000
    """
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C stops the server
    if lang is not None and lang not in LANGUAGES:
        raise typer.BadParameter(f"choose one of: {', '.join(LANGUAGES)}", param_hint="--lang")
    if not plan.is_file():
        raise VenturePlanError(f"{plan}: no such file (write one with `ventureplan init`)")
    address = DEFAULT_HOST if host is None else host
    server = PlanServer(
        plan,
        host=address,
        port=port,
        lang=lang,
        iterations=iterations,
        seed=seed,
        log=lambda line: echo(line, err=True),
    )
    echo(f"Rendering {plan} …")
    try:
        server.start()
    except KeyboardInterrupt:
        server.stop()
        raise typer.Exit(130) from None
    if not is_loopback(address):
        typer.echo(
            f"warning: listening on {address}: anyone who can reach this machine on port "
            f"{server.port} can read the plan",
            err=True,
        )
    echo(f"Serving {plan} at {server.url} (updates on every save; Ctrl-C stops)")
    try:
        while True:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    typer.echo("Stopped.")
