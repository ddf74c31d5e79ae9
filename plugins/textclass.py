"""The built-in route kind `text-classification`: fine-tune a transformer encoder."""

from __future__ import annotations

from typing import Any

from ventureplan.planner import hookimpl


def _run(*args: Any, **kwargs: Any) -> dict[str, Any] | None:
    from ventureplan.runner.run import run_text_classification  # torch loads only when a run starts

    return run_text_classification(*args, **kwargs)


@hookimpl
def route_kinds() -> dict[str, Any]:
    return {"text-classification": _run}
