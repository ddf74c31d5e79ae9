from __future__ import annotations

from ..schema import plan_schema
from .output import print_json


def schema() -> None:
    """Print the JSON Schema of the plan file.

    Point your editor's YAML language server at it to get completion and checks as you type.

    Example: ventureplan schema > plan.schema.json
    """
    print_json(plan_schema())
