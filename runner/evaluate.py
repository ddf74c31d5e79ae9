"""Test-set metrics (scikit-learn), bootstrap intervals, and the chance of missing a goal."""

from __future__ import annotations

from typing import Any

import numpy as np
from ventureplan.planner.records import SCORE_METRICS


def metric(name: str, y_true: np.ndarray, y_pred: np.ndarray) -> float:
    from sklearn.metrics import accuracy_score, f1_score

    if name == "accuracy":
        return float(accuracy_score(y_true, y_pred))
    average = {"macro_f1": "macro", "weighted_f1": "weighted"}[name]
    return float(f1_score(y_true, y_pred, average=average, zero_division=0))


def report(y_true: list[int], y_pred: np.ndarray, classes: list[str]) -> dict[str, Any]:
    from sklearn.metrics import classification_report, confusion_matrix

    yt = np.asarray(y_true)
    return {
        "metrics": {name: round(metric(name, yt, y_pred), 4) for name in SCORE_METRICS},
        "per_class": classification_report(
            yt,
            y_pred,
            labels=list(range(len(classes))),
            target_names=classes,
            output_dict=True,
            zero_division=0,
        ),
        "confusion_matrix": confusion_matrix(yt, y_pred, labels=list(range(len(classes)))).tolist(),
    }


def bootstrap(
    name: str,
    y_true: list[int],
    y_pred: np.ndarray,
    *,
    seed: int,
    resamples: int = 1000,
    target: float | None = None,
    direction: str = ">=",
) -> tuple[tuple[float, float], float | None]:
    """95% percentile interval of `name` over test-set resamples, and the share of resamples on
    the wrong side of `target` (p_miss)."""
    rng = np.random.default_rng(seed)
    yt, yp = np.asarray(y_true), np.asarray(y_pred)
    values = np.empty(resamples)
    for i in range(resamples):
        pick = rng.integers(0, len(yt), len(yt))
        values[i] = metric(name, yt[pick], yp[pick])
    low, high = np.percentile(values, [2.5, 97.5])
    p_miss = None
    if target is not None:
        missed = values < target if direction == ">=" else values > target
        p_miss = float(missed.mean())
    return (round(float(low), 4), round(float(high), 4)), p_miss
