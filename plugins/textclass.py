"""The built-in route kind `text-classification`: fine-tune a transformer encoder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ventureplan.planner import hookimpl
from ventureplan.planner.model import Plan, Route
from ventureplan.planner.records import Options, Record


def _run(plan: Plan, route: Route, path: Path, options: Options) -> Record | None:
    from ventureplan.runner.run import run_text_classification  # torch loads only when a run starts

    return run_text_classification(plan, route, path, options)


@hookimpl
def route_kinds() -> dict[str, Any]:
    return {"text-classification": _run}
