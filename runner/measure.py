"""What a run measured besides the test scores: training rates and cost, the forecast for
the full data set, and each measured goal's value, interval and chance of being missed."""

from __future__ import annotations

import resource
from typing import Any

import numpy as np
from ventureplan.planner.model import Plan, Route
from ventureplan.planner.records import (
    RESOURCE_METRICS,
    SCORE_METRICS,
    Forecast,
    GoalResult,
    Training,
    goal_met,
)

from . import evaluate
from .data import Data
from .distributed import Distributed
from .train import Config, Measurement


def training_costs(
    m: Measurement, dist: Distributed, device: Any, price: float, seconds: float
) -> Training:
    """Rates of the optimiser work, and what the devices cost; `seconds` is end to end."""
    hours = m.seconds * dist.world / 3600  # every process holds a device
    return Training(
        **m.rates(),
        end_to_end_seconds=round(seconds, 3),
        peak_memory_mb=peak_memory_mb(device),
        device_hours=round(hours, 6),
        cost=round(hours * price, 4),
        steps=m.steps,
        epochs=m.epochs_run,
        processes=dist.world,
    )


def full_data_hours(data: Data, cfg: Config, samples_per_second: float) -> float:
    """Training on every example for the configured epochs, at the measured rate."""
    return data.full_train * cfg.epochs / max(samples_per_second, 1e-9) / 3600


def full_data_forecast(data: Data, cfg: Config, hours: float, price: float) -> Forecast:
    return Forecast(
        full_data_hours=round(hours, 4),
        full_data_cost=round(hours * price, 2),
        full_train_samples=data.full_train,
        epochs=cfg.epochs,
    )


def score_goals(
    plan: Plan,
    route: Route,
    scores: dict[str, float],
    labels: list[int],
    pred: np.ndarray,
    resources: dict[str, float],
    seed: int,
) -> tuple[dict[str, GoalResult], dict[str, tuple[float, float]]]:
    """Each goal the route measures, scored against its target; test-set scores also get a
    bootstrap interval and p_miss. Goals with a metric the runner cannot measure are skipped."""
    results: dict[str, GoalResult] = {}
    intervals: dict[str, tuple[float, float]] = {}
    by_id = {g.id: g for g in plan.goals}
    for gid in route.measures:
        goal = by_id.get(gid)
        if goal is None or goal.metric is None:
            continue
        if goal.metric in SCORE_METRICS:
            intervals[goal.metric], p_miss = evaluate.bootstrap(
                goal.metric, labels, pred, seed=seed, target=goal.target, direction=goal.direction
            )
            value = scores[goal.metric]
        elif goal.metric in RESOURCE_METRICS:
            value, p_miss = round(resources[goal.metric], 4), None
        else:
            continue
        met = goal_met(value, goal.target, goal.direction)
        results[gid] = GoalResult(value=value, target=goal.target, met=met, p_miss=p_miss)
    return results, intervals


def peak_memory_mb(device: Any) -> float:
    import torch

    if device.type == "cuda":
        return round(torch.cuda.max_memory_allocated() / 2**20, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def device_name(device: Any) -> str:
    import torch

    if device.type == "cuda":
        return str(torch.cuda.get_device_name(device))
    return f"cpu ({torch.get_num_threads()} threads)"
