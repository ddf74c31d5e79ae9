"""The plan's JSON Schema, for editors (YAML language server) and other tools.

The plan's own models give most of it. What a route's `hyperparameters`, `search` and
`limits` may hold depends on its kind (`task`), and each kind's plugin says so through the
`route_parameters` hook: every described kind gets a definition `route-kind:NAME` in
`$defs` (its models beside it as `RouteKind.MODEL`), and the `Route` definition applies it
with `if: {task: NAME} then: ...`, so an editor checks a route against its own kind.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from .model import Plan, Route
from .plugin_manager import Manager, get_plugin_manager
from .routecheck import Kind, kind_parameters

SCHEMA_ID = "https://ventureplan.dev/schema/ventureplan-1.json"
KIND_MODELS = "RouteKind."  # prefix of the kinds' models in $defs: no clash with the plan's
METRICS_KEY = "x-ventureplan-metrics"  # an annotation: the goal metrics a kind measures


def plan_schema(pm: Manager | None = None) -> dict[str, Any]:
    schema = Plan.model_json_schema(by_alias=True, mode="validation")
    out = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "ventureplan plan file",
        "description": "One file describing an AI-model venture: goals, team, technical routes, "
        "tasks with three-point estimates, risks and budget.",
        **{k: v for k, v in schema.items() if k not in ("title", "description")},
    }
    kinds = kind_parameters(pm or get_plugin_manager(), [])
    _add_kinds(out, [k for k in kinds.values() if _describable(k)])
    return out


def _models(kind: Kind) -> list[type[BaseModel]]:
    params = kind.parameters
    return [m for m in (params.hyperparameters, params.limits) if m is not None]


def _describable(kind: Kind) -> bool:
    """Whether the kind's models give a JSON Schema (a plugin's model may not: a field type
    with none); a kind whose models do not is left out, not a reason to print nothing."""
    try:
        for model in _models(kind):
            model.model_json_schema(by_alias=True, mode="validation")
    except Exception:
        return False
    return True


def _key(name: str, taken: set[str]) -> str:
    """A $defs key for a kind: only characters a `$ref` takes as they are."""
    base = "route-kind:" + (re.sub(r"[^A-Za-z0-9_.-]", "_", name) or "_")
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    taken.add(key)
    return key


RANGE = {
    "type": "object",
    "description": "A range Optuna's TPE sampler draws from, search_trials times.",
    "properties": {
        "low": {"type": "number"},
        "high": {"type": "number"},
        "log": {"type": "boolean", "default": False},
    },
    "required": ["low", "high"],
    "additionalProperties": False,
}


def _numeric(prop: dict[str, Any]) -> bool:
    kinds = [prop.get("type"), *(alt.get("type") for alt in prop.get("anyOf", []))]
    return any(k in ("integer", "number") for k in kinds)


def _search(hyper: dict[str, Any]) -> dict[str, Any]:
    """`search` of a kind: each name a list of values of its hyperparameter, or for a
    number, a range."""
    items = {}
    for name, prop in hyper.get("properties", {}).items():
        item = {k: v for k, v in prop.items() if k not in ("default", "title")}
        listed = {"type": "array", "items": item}
        items[name] = {"anyOf": [listed, RANGE]} if _numeric(prop) else listed
    out: dict[str, Any] = {
        "type": "object",
        "description": "Lists of values to try (a grid), or ranges to draw from, each of a "
        "hyperparameter of this kind.",
        "properties": items,
    }
    if hyper.get("additionalProperties") is False:
        out["additionalProperties"] = False
    return out


def _add_kinds(out: dict[str, Any], kinds: list[Kind]) -> None:
    if not kinds:
        return
    pairs = list(dict.fromkeys((m, "validation") for k in kinds for m in _models(k)))
    try:
        refs, found = models_json_schema(
            pairs,  # type: ignore[arg-type]
            by_alias=True,
            ref_template="#/$defs/" + KIND_MODELS + "{model}",
        )
    except Exception:  # two plugins' models that cannot share one schema: the plan's alone
        return
    defs: dict[str, Any] = out.setdefault("$defs", {})
    model_defs = {KIND_MODELS + k: v for k, v in found.get("$defs", {}).items()}
    defs.update(model_defs)
    route_ref = out["properties"]["routes"]["items"]["$ref"]
    route = defs[route_ref.rsplit("/", 1)[-1]]
    default = Route.model_fields["task"].default
    taken = set(defs)
    rules = []
    for kind in kinds:
        params = kind.parameters
        properties: dict[str, Any] = {}
        if params.hyperparameters is not None:
            ref = refs[(params.hyperparameters, "validation")]
            properties["hyperparameters"] = ref
            target = model_defs.get(ref["$ref"].rsplit("/", 1)[-1], {})
            properties["search"] = _search(target)
        if params.limits is not None:
            properties["limits"] = refs[(params.limits, "validation")]
        text = params.description or f"Routes of kind {kind.name}."
        definition: dict[str, Any] = {
            "title": f"Route kind {kind.name}",
            "description": text,
            "type": "object",
            "properties": properties,
        }
        if params.metrics is not None:
            metrics = list(params.metrics)
            definition["description"] += " Goal metrics it measures: " + ", ".join(metrics) + "."
            definition[METRICS_KEY] = metrics
        key = _key(kind.name, taken)
        defs[key] = definition
        # A route without `task` is of the default kind: `properties` alone then holds.
        cond: dict[str, Any] = {"properties": {"task": {"const": kind.name}}}
        if kind.name != default:
            cond["required"] = ["task"]
        rules.append({"if": cond, "then": {"$ref": f"#/$defs/{key}"}})
    route["allOf"] = [*copy.deepcopy(route.get("allOf", [])), *rules]
    task = route.get("properties", {}).get("task")
    if isinstance(task, dict):
        task["examples"] = [k.name for k in kinds]
