"""`ventureplan measure`: a number the founder measured by hand, recorded against a goal.

The record (`kind: manual`) goes through the plan-file writer like a run's: validated
first, appended atomically, every other byte of the plan as it was. Bad input is refused
in one line before anything is written.

The date (`--at`): YYYY-MM-DD, today (UTC) by default. A date before 1970 or after 2100
is refused by the plan model itself; the command also refuses one more than a year after
today, which is a typo (2072 for 2027), while a plan dated ahead of the calendar, as
demos and the design's examples are, can still be measured on its own dates."""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path
from typing import Annotated

import typer

from .. import planfile, quantities
from ..errors import PlanError, VenturePlanError
from ..evidence import GoalEvidence, gather, manual_evidence
from ..load import LoadedPlan, load_plan
from ..model import Plan
from ..records import (
    MANUAL_EARLIEST,
    MANUAL_LATEST,
    MANUAL_RUN,
    ManualRecord,
    source_problem,
)
from .options import PlanFile
from .output import echo

AHEAD_DAYS = 366  # how far after today a measurement may be dated
NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?", re.ASCII)
DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
SHOWN = 40  # characters of a refused argument repeated in its error


def _shown(text: str) -> str:
    """An argument as an error repeats it: quoted, escapes visible, cut short."""
    cut = text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"
    return repr(cut)


def parse_value(text: str) -> float:
    """VALUE as a finite number (digits, an optional point and exponent)."""
    if text.strip().lstrip("+-").lower() in ("nan", "inf", "infinity"):
        raise VenturePlanError(
            f"VALUE {_shown(text)} is not a finite number; give the goal's value, e.g. 4 or 0.93"
        )
    if not NUMBER.fullmatch(text.strip()):
        raise VenturePlanError(
            f"VALUE {_shown(text)} is not a number; give the goal's value in digits, "
            "e.g. 4 or 0.93 (no units or thousands separators)"
        )
    value = float(text.strip())
    if not math.isfinite(value):
        raise VenturePlanError(
            f"VALUE {_shown(text)} is too large to be a finite number; give the goal's value"
        )
    return value


def parse_at(text: str | None, today: dt.date) -> dt.date:
    """--at as a date: YYYY-MM-DD, 1970 to 2100, at most AHEAD_DAYS after today."""
    if text is None:
        return today
    try:
        if not DATE.fullmatch(text.strip()):
            raise ValueError
        at = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise VenturePlanError(
            f"--at {_shown(text)} is not a date; write the day it was measured as YYYY-MM-DD, "
            "e.g. 2027-03-01"
        ) from None
    if not MANUAL_EARLIEST <= at <= MANUAL_LATEST:
        raise VenturePlanError(
            f"--at {at.isoformat()} is outside {MANUAL_EARLIEST.year} to {MANUAL_LATEST.year}; "
            "give the day it was measured"
        )
    latest = today + dt.timedelta(days=AHEAD_DAYS)
    if at > latest:
        raise VenturePlanError(
            f"--at {at.isoformat()} is more than a year from today ({today.isoformat()}); "
            f"give the day it was measured, on or before {latest.isoformat()}"
        )
    return at


def parse_source(text: str | None) -> str | None:
    if text is None:
        return None
    problem = source_problem(text)
    if problem:
        raise VenturePlanError(f"--source {problem}")
    return text.strip()


def _loaded(path: Path) -> LoadedPlan:
    """The plan, or one line naming its first problem."""
    if not path.exists():
        raise VenturePlanError(f"{path}: no such file; give the path of a plan file")
    if not path.is_file():
        raise VenturePlanError(f"{path} is not a file; give the path of a plan file")
    try:
        return load_plan(path)
    except PlanError as exc:
        first = exc.findings[0].format() if exc.findings else str(exc)
        more = len(exc.findings) - 1
        also = f" (and {more:,} more)" if more > 0 else ""
        raise VenturePlanError(
            f"the plan does not validate, so nothing was recorded: {' '.join(first.split())}"
            f"{also}; fix it first (`ventureplan check {path}` lists every problem)"
        ) from None


def next_run(plan: Plan, at: dt.date) -> str:
    """YYYYMMDD-manual-N: one more than the highest N for that date, never a run id in use."""
    day = f"{at:%Y%m%d}"
    runs = {m.run for m in plan.measured}
    numbers = [
        int(m.group(2)) for r in runs if (m := MANUAL_RUN.fullmatch(r)) and m.group(1) == day
    ]
    n = max(numbers, default=0) + 1
    while f"{day}-manual-{n}" in runs:
        n += 1
    return f"{day}-manual-{n}"


def _verdict(g: GoalEvidence, currency: str) -> str:
    """`paying customers 4 vs target >= 3: met` (`… : no target` without one)."""
    key = g.metric or ""
    what = quantities.label(key) + " " if key else ""
    shown = quantities.value(key, g.value, currency)
    if g.target is None or g.met is None:
        return f"{what}{shown}: no target to meet"
    target = quantities.target(key, g.target, currency)
    word = "met" if g.met else "missed"
    return f"{what}{shown} vs target {g.direction} {target}: {word}"


def measure(
    plan: PlanFile,
    goal: Annotated[str, typer.Argument(help="The goal's id (goals[].id).", show_default=False)],
    value: Annotated[
        str,
        typer.Argument(
            help="The goal metric's value, a number (e.g. 4 paying customers).",
            show_default=False,
        ),
    ],
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="The day it was measured, YYYY-MM-DD (default: today, UTC). At most a "
            "year from today.",
            show_default=False,
        ),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            help="Where the number comes from (one line, at most 200 characters), "
            "e.g. 'CRM export'.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Record a measurement made by hand (paying customers, a pilot's churn): a `manual`
    record of the goal's value, which settles the goal (met or missed, a fact: no sampling
    uncertainty) and informs its linked risks. A later measurement supersedes an earlier
    one (by date, then number). `ventureplan measured` lists, ignores or drops it.

    Example: ventureplan measure plan.yaml g-customers 4 --at 2027-03-01 --source "CRM export"
    """
    number = parse_value(value)
    day = parse_at(at, dt.datetime.now(dt.UTC).date())
    said = parse_source(source)
    loaded = _loaded(plan)
    goals = [g.id for g in loaded.plan.goals]
    if goal not in goals:
        known = ", ".join(goals[:20]) + (" …" if len(goals) > 20 else "")
        raise VenturePlanError(
            f"no goal {_shown(goal)} in {plan}; "
            + (f"its goals: {known}" if goals else "it has no goals yet: add one under `goals:`")
        )
    record = ManualRecord(
        run=next_run(loaded.plan, day), kind="manual", goal=goal, value=number, at=day, source=said
    )
    written = planfile.append_record(plan, record).plan
    shown = quantities.value(written.goals[goals.index(goal)].metric or "", number, "")
    from_ = f" (source: {said})" if said else ""
    echo(f"Recorded {record.run} in {plan}: {goal} = {shown} on {day.isoformat()}{from_}")
    echo(_summary(written, record))


def _summary(plan: Plan, record: ManualRecord) -> str:
    """The goal's verdict after the record, and what settles it when this record does not."""
    mine = manual_evidence(plan, record).goals[0]
    line = f"Goal {record.goal}: {_verdict(mine, plan.currency)}"
    settling = next(
        (
            (ev, g)
            for ev in gather(plan)
            for g in ev.goals
            if g.goal == record.goal and g.settles and g.met is not None
        ),
        None,
    )
    if settling is not None and settling[0].run != record.run:
        ev, g = settling
        by = f"route {ev.route}'s run" if ev.kind != "manual" else "the later measurement"
        line += f"; but {by} {ev.run} settles it: {_verdict(g, plan.currency)}"
    risks = [r for r in plan.risks if r.goal == record.goal]
    if mine.p_miss is not None and risks and (settling is None or settling[0].run == record.run):
        line += "; " + ", ".join(
            f"risk {r.id}: your probability {r.probability:.0%}, measured {mine.p_miss:.0%}"
            for r in risks
        )
    return line
