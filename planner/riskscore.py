"""The 5×5 risk matrix: probability bucket × impact, and the level of a score."""

from __future__ import annotations

from typing import Literal

Level = Literal["low", "medium", "high", "critical"]
# Upper bounds of the five probability buckets: rare, unlikely, possible, likely, almost certain.
BUCKETS = (0.10, 0.30, 0.50, 0.70, 1.00)


def probability_bucket(probability: float) -> int:
    """1 (p <= 0.1) … 5 (p > 0.7)."""
    return next(i for i, upper in enumerate(BUCKETS, start=1) if probability <= upper)


def score(probability: float, impact: int) -> int:
    return probability_bucket(probability) * impact


def level(value: int) -> Level:
    if value >= 17:
        return "critical"
    if value >= 10:
        return "high"
    if value >= 5:
        return "medium"
    return "low"
