"""Finding a built-in model or data set in the installed package that carries it; the
names, packages and folders come from the one catalogue, planner/builtins.py."""

from __future__ import annotations

import importlib
from pathlib import Path

from ventureplan.planner.builtins import Builtin, known
from ventureplan.planner.errors import VenturePlanError


def locate(
    name: str, catalogue: dict[str, Builtin], what: str, error: type[VenturePlanError]
) -> Path:
    """The folder holding the files of `builtin:<name>`; `what` names the kind in messages."""
    entry = catalogue.get(name)
    if entry is None:
        raise error(f"unknown built-in {what} 'builtin:{name}'; built-in: {known(catalogue)}")
    try:
        package = importlib.import_module(entry.module)
    except ImportError:
        raise error(
            f"builtin:{name} needs the runner extra: pip install 'ventureplan[runner]'"
        ) from None
    return Path(next(iter(package.__path__))) / entry.folder
