"""The records in a plan's `measured` list, the metrics a run can measure, the rule for
"met", and what a route kind is handed. Built by the runner, validated before they are
written, read back by the same model."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .errors import VenturePlanError
from .fields import Id, Strict, Text

SCORE_METRICS = ("accuracy", "macro_f1", "weighted_f1")  # measured on the test split
RESOURCE_METRICS = ("train_hours", "cost", "samples_per_second")  # measured while training
METRICS = SCORE_METRICS + RESOURCE_METRICS


RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
RUN_ID_ENV = "VENTUREPLAN_RUN_ID"  # a run id for a torchrun launch, shared by its processes


def check_run_id(run: str, where: str) -> str:
    """A run id names a folder in runs/: one name, never a path (`/`, `..`)."""
    if not RUN_ID.fullmatch(run) or ".." in run:
        raise VenturePlanError(
            f"{where} {run!r} is not a run id: use letters, digits, '-', '_' and '.', "
            "with no '/' or '..' (run ids are the folder names in runs/)"
        )
    return run


def goal_met(value: float, target: float | None, direction: str) -> bool | None:
    """Whether `value` meets `target` in `direction` (">=" or "<="); None without a target."""
    if target is None:
        return None
    return value >= target if direction == ">=" else value <= target


class GoalResult(Strict):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)

    value: float
    target: float | None = None
    met: bool | None = None
    p_miss: float | None = Field(None, ge=0, le=1)


class Open(BaseModel):
    """Later versions may add keys; older ventureplans keep loading the record."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False)


class Numbers(Open):
    """Measurements: a key this version does not know holds a finite number (or null),
    like the ones it does (text or a list here broke the reports)."""

    @model_validator(mode="after")
    def _numbers_only(self) -> Numbers:
        for key, value in (self.model_extra or {}).items():
            number = isinstance(value, int | float) and not isinstance(value, bool)
            if value is not None and not (number and math.isfinite(value)):
                raise ValueError(f"`{key}` must be a finite number, got {value!r:.40}")
        return self


class Training(Numbers):
    seconds: float | None = None  # optimiser work only
    samples_per_second: float | None = None
    tokens_per_second: float | None = None
    end_to_end_seconds: float | None = None
    peak_memory_mb: float | None = None
    device_hours: float | None = None
    cost: float | None = None
    steps: int | None = None
    epochs: int | None = None
    processes: int | None = None


class Forecast(Numbers):
    full_data_hours: float | None = None
    full_data_cost: float | None = None
    full_train_samples: int | None = None
    epochs: int | None = None


class TrainingRecord(Open):
    """One training run of a route: what was trained on, how well it did, what it cost."""

    run: Text = Field(description="Unique run id; artifacts live in runs/<id>/.")
    kind: Literal["training"] = Field("training", description="What produced the record.")
    route: Id = Field(description="The route that was run.")
    at: dt.datetime
    device: str | None = None
    versions: dict[str, str] = Field(default_factory=dict)
    data: dict[str, int] = Field(default_factory=dict)
    hyperparameters: dict[str, Any] = Field(default_factory=dict)
    metrics: dict[str, float] = Field(default_factory=dict)
    intervals: dict[str, tuple[float, float]] = Field(default_factory=dict)
    goals: dict[str, GoalResult] = Field(default_factory=dict)
    training: Training = Field(default_factory=Training)
    forecast: Forecast = Field(default_factory=Forecast)
    rehearsal: bool = Field(
        False,
        description="A capped run (--max-steps, limits, fewer epochs than planned): shown, "
        "never counted as evidence.",
    )
    rehearsal_reasons: list[str] = Field(default_factory=list)
    ignored: bool = Field(False, description="Set aside by the founder: shown, never counted.")

    @property
    def evidence(self) -> bool:
        """Whether the record counts: neither a rehearsal nor set aside."""
        return not (self.rehearsal or self.ignored)

    @field_validator("at")
    @classmethod
    def utc(cls, at: dt.datetime) -> dt.datetime:
        """A time without a zone is UTC, so records written by hand sort with the others."""
        return at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at

    def document(self) -> dict[str, Any]:
        """The record as plain data, in the order it is written to the plan."""
        out: dict[str, Any] = self.model_dump(mode="json", exclude_none=True)
        out["goals"] = {k: v.model_dump(mode="json") for k, v in self.goals.items()}
        out["at"] = self.at.isoformat().replace("+00:00", "Z")
        for key in ("rehearsal", "rehearsal_reasons", "ignored"):
            if not out.get(key):
                out.pop(key, None)  # written only when set: a record of evidence stays short
        return out


# The next kinds (optimization, serving, manual) join this as a union tagged by `kind`.
Record = TrainingRecord


@dataclass
class Options:
    """What `ventureplan run` hands a route kind besides the plan and the route."""

    device: str | None = None  # overrides compute.device
    max_steps: int | None = None
    resume: str | None = None  # a run id whose checkpoint to continue
    runs_dir: Path | None = None
    progress: bool = True
    keep_checkpoints: bool = False  # deleted after a successful run otherwise
