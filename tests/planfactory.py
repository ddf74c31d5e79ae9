"""Build small plans in code for the analysis tests."""

from __future__ import annotations

from typing import Any

from ventureplan.planner.model import Plan


def make_plan(
    tasks: list[dict[str, Any]], risks: list[dict[str, Any]] | None = None, **fields: Any
) -> Plan:
    data: dict[str, Any] = {
        "schema": "ventureplan/1",
        "name": "Test plan",
        "start": "2027-01-04",
        "team": [{"id": "eng", "title": "Engineer", "headcount": 1, "monthly_cost": 10000}],
        "routes": [
            {
                "id": "r",
                "chosen": True,
                "model": "builtin:minilm-l6",
                "dataset": {"source": "d.csv"},
            }
        ],
        "tasks": tasks,
        "risks": risks or [],
    }
    data.update(fields)
    return Plan.model_validate(data)


def task(tid: str, a: float, m: float, b: float, deps: list[str] | None = None) -> dict[str, Any]:
    return {
        "id": tid,
        "estimate": {"optimistic": a, "likely": m, "pessimistic": b},
        "depends_on": deps or [],
    }


def milestone(tid: str, deps: list[str] | None = None) -> dict[str, Any]:
    return {"id": tid, "milestone": True, "depends_on": deps or []}
