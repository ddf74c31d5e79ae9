"""What the analysis hooks return: plain dataclasses, easy to test and to turn into JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

PERCENTILES = (10, 50, 80, 95)


@dataclass
class RiskScore:
    id: str
    title: str
    category: str
    probability: float
    impact: int
    score: int
    level: str
    emv: float  # expected monetary value: probability × mean cost impact
    residual_probability: float
    residual_impact: int
    residual_score: int
    residual_level: str
    residual_emv: float
    exposure: float  # what the register is sorted by
    response: str | None = None
    owner: str | None = None


@dataclass
class Sensitivity:
    id: str
    kind: str  # "task" or "risk"
    rho: float


@dataclass
class SimulationResult:
    iterations: int
    seed: int
    finish: dict[str, float]  # p10, p50, p80, p95 in calendar units from the start
    cost: dict[str, float]  # p50, p80, p95
    mean_finish: float
    criticality: dict[str, float]  # task id -> share of iterations on the critical path
    sensitivity: list[Sensitivity]  # sorted by |rho|, largest first
    sensitivity_sample: int  # iterations the rank correlations were computed from
    risk_occurrence: dict[str, float]  # risk id -> share of iterations in which it occurred
    s_curve: list[tuple[float, float]]  # (finish, cumulative probability), 101 points
    p_cash_out: float | None = None
    finish_samples: np.ndarray | None = field(default=None, repr=False)
    extra: dict[str, Any] = field(default_factory=dict)
