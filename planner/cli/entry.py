"""The `ventureplan` entry point. It takes Ctrl-C over before the commands (and numpy,
pydantic, rich) are imported, so an interrupt at any moment is one line, never a traceback."""

from __future__ import annotations

import os
import signal
import sys


def _interrupted(signum: int, frame: object) -> None:
    # Stop at once, as a kill would: every file the tool writes is written atomically, so
    # nothing is left half-written. A KeyboardInterrupt instead can surface anywhere (in a
    # garbage-collector callback or an import, say) and print a traceback.
    atomic = sys.modules.get("ventureplan.planner.atomic")
    if atomic is not None:
        atomic.discard_pending()  # a temporary file being written goes too
    os.write(2, b"\ninterrupted\n")
    os._exit(130)


def main() -> None:
    """Ctrl-C stops any command with exit code 130 and one line (`serve` takes Ctrl-C back
    to stop its server cleanly)."""
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # unless ignored
        signal.signal(signal.SIGINT, _interrupted)
    from .main import app

    app()
