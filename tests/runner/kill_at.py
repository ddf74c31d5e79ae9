"""Run a plan's chosen route and SIGKILL this process just before the checkpoint writer's
STEP in the checkpoint of EPOCH, as a power cut or the OOM killer would:

    python kill_at.py PLAN STEP EPOCH     # the run id comes from VENTUREPLAN_RUN_ID

A script rather than a test module, so the kill takes down only this process."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from ventureplan.planner.load import load_plan
from ventureplan.planner.records import Options
from ventureplan.runner import checkpoint
from ventureplan.runner.run import run_text_classification


def main(plan_path: Path, step: str, epoch: int) -> None:
    started = 0  # checkpoints begun; each begins with its folder

    def fault(name: str) -> None:
        nonlocal started
        started += name == "folder"
        if name == step and started == epoch:
            os.kill(os.getpid(), signal.SIGKILL)

    checkpoint.fault = fault
    plan = load_plan(plan_path).plan
    run_text_classification(plan, plan.chosen_route, plan_path, Options(progress=False))
    sys.exit(f"the run ended without reaching {step} of epoch {epoch}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]))
