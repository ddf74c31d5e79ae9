"""What changed between two versions of a plan, and what the change does to the numbers.

`diff_plans` compares the plans field by field (list entries by id, so reordering is not a
change) and analyzes both with the same iterations and seed, so every difference in the
effect comes from the edit, not from the random draws. Pure over the two plans.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .. import pipeline
from ..analysis import analyze
from ..defaults import DEFAULT_ITERATIONS, DEFAULT_SEED
from ..model import Plan
from ..results import Analysis

# Fields of the plan compared as values; `business` is walked down to its leaves.
PLAN_FIELDS = ("name", "language", "currency", "start", "calendar", "distribution", "business")
# Lists compared entry by entry, keyed by id (the stack, which has no ids, by name).
COLLECTIONS = (
    "tasks",
    "risks",
    "goals",
    "team",
    "routes",
    "budget.items",
    "budget.revenue",
    "stack",
)


@dataclass
class FieldChange:
    """One changed field: its dotted path, and its old and new values (JSON-ready;
    None where the field is absent or null)."""

    path: str
    old: Any
    new: Any

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "old": self.old, "new": self.new}


@dataclass
class ItemChange:
    id: str
    changes: list[FieldChange]


@dataclass
class CollectionDiff:
    name: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[ItemChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


@dataclass
class Delta:
    old: float | None
    new: float | None
    delta: float | None  # new - old; None where either side is None

    @property
    def moved(self) -> bool:
        return self.old != self.new


@dataclass
class FinishDelta:
    """A finish in calendar units from the start (and as a date) in both versions."""

    old: float
    new: float
    delta: float  # calendar units
    old_date: dt.date
    new_date: dt.date
    delta_days: int  # calendar days between the two dates

    @property
    def moved(self) -> bool:
        return self.old != self.new or self.old_date != self.new_date


@dataclass
class Effect:
    iterations: int
    seed: int
    calendar: str  # the new plan's
    currency: str  # the new plan's
    finish_p50: FinishDelta
    finish_p80: FinishDelta
    deterministic_finish: FinishDelta
    cost_p50: Delta
    cost_p80: Delta
    runway_months: Delta  # None: the cash never runs out
    break_even_month: Delta  # None: not reached
    p_cash_out: Delta
    critical_path_old: list[str]
    critical_path_new: list[str]

    @property
    def moved(self) -> bool:
        return (
            any(
                d.moved
                for d in (
                    self.finish_p50,
                    self.finish_p80,
                    self.deterministic_finish,
                    self.cost_p50,
                    self.cost_p80,
                    self.runway_months,
                    self.break_even_month,
                    self.p_cash_out,
                )
            )
            or self.critical_path_old != self.critical_path_new
        )


@dataclass
class VerdictChange:
    """A goal whose verdict from evidence changed: "met", "missed", or None where no evidence
    settles it (none yet, only rehearsals, records ignored, or runs on other data)."""

    goal: str
    old: str | None
    new: str | None
    old_value: float | None
    new_value: float | None
    old_run: str | None
    new_run: str | None


@dataclass
class PlanDiff:
    plan: list[FieldChange]  # top-level fields, including budget.cash
    collections: list[CollectionDiff]  # in COLLECTIONS order, empty ones included
    measured_added: int  # run records in NEW whose run id OLD lacks
    measured_removed: int
    effect: Effect
    verdicts: list[VerdictChange] = field(default_factory=list)  # by goal id

    @property
    def changed(self) -> bool:
        return bool(
            self.plan
            or self.measured_added
            or self.measured_removed
            or self.verdicts
            or any(not c.empty for c in self.collections)
        )

    def collection(self, name: str) -> CollectionDiff:
        return next(c for c in self.collections if c.name == name)


# --- comparing values -------------------------------------------------------------


def _same(a: Any, b: Any) -> bool:
    # `True == 1` in Python; a hyperparameter going from 1 to true is a change.
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return bool(a == b)


def _walk(old: Any, new: Any, path: str, out: list[FieldChange]) -> None:
    """Append a change for every leaf that differs; mappings are walked, lists are values."""
    if isinstance(old, dict) and isinstance(new, dict):
        keys = list(old) + [k for k in new if k not in old]
        for key in keys:
            _walk(old.get(key), new.get(key), f"{path}.{key}" if path else str(key), out)
    elif not _same(old, new):
        out.append(FieldChange(path, old, new))


def _dump(value: Any) -> Any:
    return value.model_dump(mode="json", by_alias=True) if isinstance(value, BaseModel) else value


def field_changes(old: BaseModel, new: BaseModel, exclude: Sequence[str] = ()) -> list[FieldChange]:
    """Every changed field between two models of the same kind, by dotted path."""
    a = old.model_dump(mode="json", by_alias=True, exclude=set(exclude))
    b = new.model_dump(mode="json", by_alias=True, exclude=set(exclude))
    out: list[FieldChange] = []
    _walk(a, b, "", out)
    return out


def entries(plan: Plan, name: str) -> dict[str, BaseModel]:
    """The entries of one of COLLECTIONS by their key, in plan order."""
    if name == "stack":  # no ids: keyed by name, repeats numbered
        out: dict[str, BaseModel] = {}
        for entry in plan.stack:
            key, n = entry.name, 1
            while key in out:
                n += 1
                key = f"{entry.name}#{n}"
            out[key] = entry
        return out
    items: list[Any] = (
        getattr(plan.budget, name.split(".", 1)[1])
        if name.startswith("budget.")
        else getattr(plan, name)
    )
    return {item.id: item for item in items}


def label(entry: BaseModel) -> str | None:
    """A human name for an entry: its name, title or statement, where it has one."""
    for attr in ("name", "title", "statement"):
        value = getattr(entry, attr, None)
        if isinstance(value, str):
            return value
    return None


def _collection(old: Plan, new: Plan, name: str) -> CollectionDiff:
    a, b = entries(old, name), entries(new, name)
    diff = CollectionDiff(name)
    diff.added = [k for k in b if k not in a]
    diff.removed = [k for k in a if k not in b]
    key = "name" if name == "stack" else "id"
    for k, entry in b.items():
        if k in a:
            changes = field_changes(a[k], entry, exclude=(key,))
            if changes:
                diff.changed.append(ItemChange(k, changes))
    return diff


def _plan_fields(old: Plan, new: Plan) -> list[FieldChange]:
    out: list[FieldChange] = []
    for name in PLAN_FIELDS:
        _walk(_dump(getattr(old, name)), _dump(getattr(new, name)), name, out)
    _walk(old.budget.cash, new.budget.cash, "budget.cash", out)
    return out


# --- the effect -----------------------------------------------------------------


def _delta(old: float | None, new: float | None) -> Delta:
    return Delta(old, new, None if old is None or new is None else new - old)


def _finish(a: Analysis, b: Analysis, old: float, new: float) -> FinishDelta:
    old_date, new_date = a.date(old), b.date(new)
    return FinishDelta(old, new, new - old, old_date, new_date, (new_date - old_date).days)


def effect(a: Analysis, b: Analysis) -> Effect:
    """The old and new numbers side by side, from two analyses of the two versions."""
    sa, sb = a.simulation, b.simulation
    return Effect(
        iterations=sb.iterations,
        seed=sb.seed,
        calendar=b.plan.calendar,
        currency=b.plan.currency,
        finish_p50=_finish(a, b, sa.finish["p50"], sb.finish["p50"]),
        finish_p80=_finish(a, b, sa.finish["p80"], sb.finish["p80"]),
        deterministic_finish=_finish(a, b, a.schedule.duration, b.schedule.duration),
        cost_p50=_delta(sa.cost["p50"], sb.cost["p50"]),
        cost_p80=_delta(sa.cost["p80"], sb.cost["p80"]),
        runway_months=_delta(a.budget.runway_months, b.budget.runway_months),
        break_even_month=_delta(a.budget.break_even_month, b.budget.break_even_month),
        p_cash_out=_delta(a.budget.p_cash_out, b.budget.p_cash_out),
        critical_path_old=list(a.schedule.critical_path),
        critical_path_new=list(b.schedule.critical_path),
    )


def _verdicts(a: Analysis) -> dict[str, tuple[str, float, str]]:
    """Goal id -> (verdict, value, run) from the evidence that settles it (the chosen route's
    run first); rehearsals, ignored records and runs on other data settle nothing."""
    out: dict[str, tuple[str, float, str]] = {}
    for ev in a.evidence:
        for g in ev.goals:
            if g.settles and g.met is not None:
                out.setdefault(g.goal, ("met" if g.met else "missed", g.value, ev.run))
    return out


def verdict_changes(a: Analysis, b: Analysis) -> list[VerdictChange]:
    old, new = _verdicts(a), _verdicts(b)
    out = []
    for goal in sorted(old.keys() | new.keys()):
        o, n = old.get(goal), new.get(goal)
        if o is not None and n is not None and (o[0], o[2]) == (n[0], n[2]):
            continue
        out.append(
            VerdictChange(
                goal,
                o[0] if o else None,
                n[0] if n else None,
                o[1] if o else None,
                n[1] if n else None,
                o[2] if o else None,
                n[2] if n else None,
            )
        )
    return out


def compare(a: Analysis, b: Analysis) -> PlanDiff:
    """What changed from the plan behind `a` to the one behind `b`, and its effect on the
    schedule, cost and cash. The `measured` list is not compared field by field; only the
    number of run records added (and removed) is kept."""
    old, new = a.plan, b.plan
    old_runs = {m.run for m in old.measured}
    new_runs = {m.run for m in new.measured}
    return PlanDiff(
        plan=_plan_fields(old, new),
        collections=[_collection(old, new, name) for name in COLLECTIONS],
        measured_added=len(new_runs - old_runs),
        measured_removed=len(old_runs - new_runs),
        effect=effect(a, b),
        verdicts=verdict_changes(a, b),
    )


def diff_plans(
    old: Plan, new: Plan, iterations: int = DEFAULT_ITERATIONS, seed: int = DEFAULT_SEED
) -> PlanDiff:
    """`compare` of two plans analyzed with the same iterations and seed."""
    return compare(
        analyze(old, iterations=iterations, seed=seed),
        analyze(new, iterations=iterations, seed=seed),
    )


def diff_files(
    old: Path, new: Path, iterations: int = DEFAULT_ITERATIONS, seed: int = DEFAULT_SEED
) -> tuple[pipeline.Outcome, pipeline.Outcome, PlanDiff]:
    """Both files through the pipeline (same iterations and seed), then `compare`."""
    a = pipeline.analyze(old, iterations=iterations, seed=seed)
    b = pipeline.analyze(new, iterations=iterations, seed=seed)
    assert a.analysis is not None and b.analysis is not None
    return a, b, compare(a.analysis, b.analysis)


# --- output helpers ---------------------------------------------------------------


def format_value(value: Any, width: int = 60) -> str:
    """A field value as a short YAML-like text: `8`, `[data, api]`, `true`, `—` for None."""
    if value is None:
        text = "—"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        text = f"{value:g}" if abs(value) < 1e15 else f"{value:.6g}"
    elif isinstance(value, list):
        text = "[" + ", ".join(format_value(v, width=0) for v in value) + "]"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k}: {format_value(v, width=0)}" for k, v in value.items()) + "}"
    else:
        text = " ".join(str(value).split())  # a multi-line text stays on one line
    if width and len(text) > width:
        text = text[: width - 1] + "…"
    return text


def _finish_dict(f: FinishDelta) -> dict[str, Any]:
    return {
        "old": f.old,
        "new": f.new,
        "delta": f.delta,
        "old_date": f.old_date.isoformat(),
        "new_date": f.new_date.isoformat(),
        "delta_days": f.delta_days,
    }


def _delta_dict(d: Delta) -> dict[str, Any]:
    return {"old": d.old, "new": d.new, "delta": d.delta}


def to_dict(d: PlanDiff) -> dict[str, Any]:
    """The diff as one JSON-ready document (`ventureplan diff --json`)."""
    e = d.effect
    return {
        "changed": d.changed,
        "plan": [c.to_dict() for c in d.plan],
        "collections": {
            c.name: {
                "added": c.added,
                "removed": c.removed,
                "changed": [
                    {"id": i.id, "changes": [x.to_dict() for x in i.changes]} for i in c.changed
                ],
            }
            for c in d.collections
        },
        "measured": {"added": d.measured_added, "removed": d.measured_removed},
        "verdicts": [vars(v) for v in d.verdicts],
        "effect": {
            "iterations": e.iterations,
            "seed": e.seed,
            "calendar": e.calendar,
            "currency": e.currency,
            "finish_p50": _finish_dict(e.finish_p50),
            "finish_p80": _finish_dict(e.finish_p80),
            "deterministic_finish": _finish_dict(e.deterministic_finish),
            "cost_p50": _delta_dict(e.cost_p50),
            "cost_p80": _delta_dict(e.cost_p80),
            "runway_months": _delta_dict(e.runway_months),
            "break_even_month": _delta_dict(e.break_even_month),
            "p_cash_out": _delta_dict(e.p_cash_out),
            "critical_path": {
                "old": e.critical_path_old,
                "new": e.critical_path_new,
                "changed": e.critical_path_old != e.critical_path_new,
            },
        },
    }
