"""Delphi rounds in a workshop: one estimate sheet per participant, then a merge.

A sheet holds every task's three points and every risk's probability and impact,
pre-filled from the plan. Merging takes the median (or another rule) of each number,
writes the merged values into the plan by editing only those numbers in the file's text
(comments and formatting stay), and ranks the numbers by how much people disagree.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import planfile
from ..atomic import write_atomic
from ..errors import Finding, PlanError, VenturePlanError
from ..load import LoadedPlan, load_plan
from ..model import Plan
from ..planfile import number_text as _num
from ..source import read

TASK_FIELDS = ("optimistic", "likely", "pessimistic")
RISK_FIELDS = ("probability", "impact")
RULES: dict[str, Callable[[list[float]], float]] = {
    "median": statistics.median,
    "mean": statistics.fmean,
    "min": min,
    "max": max,
}


def sheet_text(loaded: LoadedPlan, participant: str) -> str:
    plan = loaded.plan
    lines = [
        f"# Estimate sheet for {participant}: {plan.name[:80]}",
        "# Change the numbers you disagree with and leave the rest; then hand the file back.",
        "# Tasks: optimistic <= likely <= pessimistic, in "
        + ("working days." if plan.calendar == "workdays" else "days."),
        "# Risks: probability from 0 to 1; impact from 1 (minor) to 5 (fatal).",
        f"participant: {participant}",
        "tasks:",
    ]
    for t in plan.tasks:
        if t.estimate is not None:
            e = t.estimate
            name = " ".join((t.name or "").split())[:70]
            lines.append(
                f"  {t.id}: {{optimistic: {_num(e.optimistic)}, likely: {_num(e.likely)}, "
                f"pessimistic: {_num(e.pessimistic)}}}  # {name}"
            )
    lines.append("risks:" if plan.risks else "risks: {}")
    for r in plan.risks:
        title = " ".join(r.title.split())[:70]
        lines.append(
            f"  {r.id}: {{probability: {_num(r.probability)}, impact: {r.impact}}}  # {title}"
        )
    return "\n".join(lines) + "\n"


def write_sheets(plan_path: Path, participants: list[str], out: Path | None = None) -> list[Path]:
    loaded = load_plan(plan_path)
    folder = out or plan_path.parent
    paths = []
    for who in participants:
        if not re.fullmatch(r"[\w.-]+", who):
            raise VenturePlanError(
                f"participant '{who}': use letters, digits, '-', '_' or '.' only"
            )
        path = folder / f"{plan_path.stem}.estimates.{who}.yaml"
        write_atomic(path, sheet_text(loaded, who))
        paths.append(path)
    return paths


@dataclass
class Sheet:
    participant: str
    tasks: dict[str, dict[str, float]]
    risks: dict[str, dict[str, float]]


@dataclass
class Spread:
    kind: str  # task or risk
    id: str
    field: str
    merged: float
    low: float
    high: float
    values: dict[str, float]

    @property
    def relative(self) -> float:
        return (self.high - self.low) / max(abs(self.merged), 1e-9)


@dataclass
class Merge:
    tasks: dict[str, dict[str, float]] = field(default_factory=dict)
    risks: dict[str, dict[str, float]] = field(default_factory=dict)
    spreads: list[Spread] = field(default_factory=list)
    changed: int = 0


def read_sheet(path: Path, loaded: LoadedPlan) -> Sheet:
    """A checked sheet, or a PlanError naming the participant, line and problem of each fault."""
    data, where = read(path)
    who = str(data.get("participant") or path.stem.rsplit(".", 1)[-1])
    problems: list[Finding] = []

    def fault(loc: tuple[str | int, ...], message: str, code: str = "estimate-sheet") -> None:
        problems.append(Finding(code, f"participant {who}: {message}", path=loc))

    known = {
        "tasks": {t.id for t in loaded.plan.tasks if t.estimate is not None},
        "risks": {r.id for r in loaded.plan.risks},
    }
    out: dict[str, dict[str, dict[str, float]]] = {"tasks": {}, "risks": {}}
    for key in set(data) - {"participant", "tasks", "risks"}:
        fault((key,), f"unknown field '{key}'")
    for section, fields in (("tasks", TASK_FIELDS), ("risks", RISK_FIELDS)):
        entries = data.get(section) or {}
        if not isinstance(entries, dict):
            fault((section,), f"{section} must map ids to numbers")
            continue
        for item_id in sorted(known[section] - set(entries)):
            fault(
                (section,),
                f"{section[:-1]} '{item_id}' is missing; keep every line, change only numbers",
            )
        for item_id, values in entries.items():
            loc = (section, item_id)
            if item_id not in known[section]:
                fault(loc, f"unknown {section[:-1]} id '{item_id}'", code="unknown-id")
                continue
            if not isinstance(values, dict):
                fault(loc, "give the numbers as {" + ", ".join(f"{f}: …" for f in fields) + "}")
                continue
            nums: dict[str, float] = {}
            for f in fields:
                v = values.get(f)
                if isinstance(v, bool) or not isinstance(v, int | float):
                    fault(
                        (*loc, f) if f in values else loc,
                        f"{item_id}: {f} is missing or not a number",
                    )
                else:
                    nums[f] = float(v)
            for extra in set(values) - set(fields):
                fault((*loc, extra), f"{item_id}: unknown field '{extra}'")
            if len(nums) < len(fields):
                continue
            if section == "tasks" and not (
                0 <= nums["optimistic"] <= nums["likely"] <= nums["pessimistic"]
            ):
                fault(loc, f"{item_id}: needs 0 <= optimistic <= likely <= pessimistic")
            elif section == "risks" and not 0 <= nums["probability"] <= 1:
                fault((*loc, "probability"), f"{item_id}: probability must be between 0 and 1")
            elif section == "risks" and (
                nums["impact"] != int(nums["impact"]) or not 1 <= nums["impact"] <= 5
            ):
                fault((*loc, "impact"), f"{item_id}: impact must be a whole number from 1 to 5")
            else:
                out[section][item_id] = nums
    if problems:
        # an unknown id is pointed at by its key, everything else by its value
        raise PlanError(where.place_all(problems, keys=[f.code == "unknown-id" for f in problems]))
    return Sheet(who, out["tasks"], out["risks"])


def merge(loaded: LoadedPlan, sheets: list[Sheet], rule: str = "median") -> Merge:
    pick = RULES[rule]
    result = Merge()
    for section, fields, current in (
        (
            "tasks",
            TASK_FIELDS,
            {t.id: t.estimate for t in loaded.plan.tasks if t.estimate is not None},
        ),
        ("risks", RISK_FIELDS, {r.id: r for r in loaded.plan.risks}),
    ):
        for item_id, now in current.items():
            merged: dict[str, float] = {}
            for f in fields:
                values = {
                    s.participant: getattr(s, section)[item_id][f]
                    for s in sheets
                    if item_id in getattr(s, section)
                }
                if not values:
                    continue
                value = round(pick(list(values.values())), 4)  # as it will be written
                if f == "impact":
                    value = float(int(value + 0.5))  # round half up to a whole impact
                merged[f] = value
                result.spreads.append(
                    Spread(
                        section[:-1],
                        item_id,
                        f,
                        value,
                        min(values.values()),
                        max(values.values()),
                        values,
                    )
                )
                if abs(value - float(getattr(now, f))) > 1e-12:
                    result.changed += 1
            if merged:
                getattr(result, section)[item_id] = merged
    result.spreads.sort(key=lambda s: (-s.relative, s.kind, s.id, s.field))
    return result


def apply(plan_path: Path, merged: Merge) -> None:
    """Write merged numbers into the plan, editing only those numbers in the text."""

    def numbers(plan: Plan) -> dict[tuple[str | int, ...], float]:
        index = {
            "tasks": {t.id: i for i, t in enumerate(plan.tasks)},
            "risks": {r.id: i for i, r in enumerate(plan.risks)},
        }
        values: dict[tuple[str | int, ...], float] = {}
        for section in ("tasks", "risks"):
            for item_id, fields in getattr(merged, section).items():
                for f, value in fields.items():
                    at: tuple[str | int, ...] = (section, index[section][item_id])
                    values[(*at, "estimate", f) if section == "tasks" else (*at, f)] = value
        return values

    planfile.set_numbers(plan_path, numbers)


def merge_files(
    plan_path: Path, sheets: list[Path], rule: str, *, write: bool
) -> tuple[LoadedPlan, list[Sheet], Merge]:
    """Read every sheet (all their problems at once, as one PlanError), merge them with
    `rule`, and write the result into the plan when `write`."""
    loaded = load_plan(plan_path)
    problems: list[Finding] = []
    read_ = []
    for path in sheets:
        try:
            read_.append(read_sheet(path, loaded))
        except PlanError as exc:
            problems += exc.findings
    if problems:
        raise PlanError(problems)
    result = merge(loaded, read_, rule)
    if write:
        apply(plan_path, result)
    return loaded, read_, result


def describe(s: Spread) -> dict[str, Any]:
    return {
        "kind": s.kind,
        "id": s.id,
        "field": s.field,
        "merged": s.merged,
        "low": s.low,
        "high": s.high,
        "relative_spread": round(s.relative, 3),
        "values": s.values,
    }
