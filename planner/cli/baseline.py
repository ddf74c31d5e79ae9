"""`ventureplan baseline`: store today's deterministic schedule in the plan."""

from __future__ import annotations

import datetime as dt

from .. import planfile
from ..errors import VenturePlanError
from ..load import load_plan
from ..progress import fix_actual_days, network
from ..schedule import schedule
from .options import PlanFile
from .output import echo


def baseline(plan: PlanFile) -> None:
    """Store the plan's deterministic schedule (likely durations; from the status date and
    levelled where the plan says so) as its `baseline`, replacing the one it had. From then
    on `analyze` and the report show each task's slip against it and, once the plan has a
    status_date, the earned-schedule index SPI(t) and the finish it forecasts.

    The plan is changed through the same writer as `run`'s: validated first, atomically,
    every byte outside `baseline` unchanged.

    Example: ventureplan baseline plan.yaml
    """
    loaded = load_plan(plan).plan  # an invalid plan: its errors, located, and nothing written
    if not loaded.tasks:
        raise VenturePlanError(f"{plan}: the plan has no tasks yet, so no schedule to store")
    used, net = network(loaded)
    sched = schedule(used, net)
    fix_actual_days(loaded, sched.tasks)
    old = loaded.baseline
    stored = {
        "taken": dt.date.today().isoformat(),
        "finish": sched.finish_date.isoformat(),
        "tasks": [
            {"id": t.id, "start": t.start_date.isoformat(), "finish": t.finish_date.isoformat()}
            for t in sched.tasks
        ],
    }
    planfile.set_baseline(plan, stored)
    echo(
        f"Stored the baseline in {plan}: {len(stored['tasks'])} tasks, finish "
        f"{stored['finish']}"
        + (f" (it replaces the baseline of {old.taken}, finish {old.finish})" if old else "")
    )
