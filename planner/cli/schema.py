from __future__ import annotations

from ..schema import plan_schema
from .output import print_json


def schema() -> None:
    """Print the JSON Schema of the plan file.

    Point your editor's YAML language server at it to get completion and checks as you type.
    Each route kind's hyperparameters, search values and limits come from the plugin that
    provides the kind (`$defs` route-kind:NAME, applied by the route's `task`).

    Example: ventureplan schema > plan.schema.json
    """
    print_json(plan_schema())
