"""The plan's JSON Schema, for editors (YAML language server) and other tools."""

from __future__ import annotations

from typing import Any

from .model import Plan

SCHEMA_ID = "https://ventureplan.dev/schema/ventureplan-1.json"


def plan_schema() -> dict[str, Any]:
    schema = Plan.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "ventureplan plan file",
        "description": "One file describing an AI-model venture: goals, team, technical routes, "
        "tasks with three-point estimates, risks and budget.",
        **{k: v for k, v in schema.items() if k not in ("title", "description")},
    }
