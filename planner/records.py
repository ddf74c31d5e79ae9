"""The records in a plan's `measured` list, the metrics a run can measure, the rule for
"met", and what a route kind is handed. Built by the runner, validated before they are
written, read back by the same model."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from .errors import VenturePlanError
from .fields import Id, Strict, Text

SCORE_METRICS = ("accuracy", "macro_f1", "weighted_f1")  # measured on the test split
RESOURCE_METRICS = ("train_hours", "cost", "samples_per_second")  # measured while training
METRICS = SCORE_METRICS + RESOURCE_METRICS
# measured by `ventureplan optimize` on each variant (the chosen one settles goals)
OPTIMIZATION_METRICS = (
    "latency_p50_ms",
    "latency_p95_ms",
    "throughput_per_s",
    "model_size_mb",
    "params_millions",
)

# measured by `ventureplan loadtest` against the running API (goals on them, and on the
# latencies and throughput above, are settled by a serving record first)
SERVING_METRICS = (
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_p99_ms",
    "throughput_per_s",
    "error_rate",
    "cost_per_1k_requests",
)


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


class _Kept(Open):
    """What every kind of record does: times in UTC, whether it counts, its written form."""

    @field_validator("at", check_fields=False)
    @classmethod
    def utc(cls, at: dt.datetime) -> dt.datetime:
        """A time without a zone is UTC, so records written by hand sort with the others."""
        return at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at

    @property
    def evidence(self) -> bool:
        """Whether the record counts: neither a rehearsal nor set aside."""
        return not (getattr(self, "rehearsal", False) or getattr(self, "ignored", False))

    def document(self) -> dict[str, Any]:
        """The record as plain data, in the order it is written to the plan."""
        out: dict[str, Any] = self.model_dump(mode="json", exclude_none=True)
        goals: dict[str, GoalResult] = getattr(self, "goals")  # noqa: B009 (declared by each kind)
        at: dt.datetime = getattr(self, "at")  # noqa: B009
        out["goals"] = {k: v.model_dump(mode="json") for k, v in goals.items()}
        out["at"] = at.isoformat().replace("+00:00", "Z")
        for key in ("rehearsal", "rehearsal_reasons", "ignored"):
            if not out.get(key):
                out.pop(key, None)  # written only when set: a record of evidence stays short
        return out


REHEARSAL_HELP = (
    "A capped run (--max-steps, limits, fewer epochs than planned), or an optimisation of "
    "one: shown, never counted as evidence."
)


class TrainingRecord(_Kept):
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
    rehearsal: bool = Field(False, description=REHEARSAL_HELP)
    rehearsal_reasons: list[str] = Field(default_factory=list)
    ignored: bool = Field(False, description="Set aside by the founder: shown, never counted.")


class Variant(Numbers):
    """One model `optimize` produced from a training run, as measured by one protocol."""

    name: Id = Field(description="The folder under runs/<id>/variants/.")
    format: Literal["torch", "onnx"]
    prune: float | None = Field(None, gt=0, lt=1, description="Share of heads and neurons removed.")
    quantize: Literal["int8"] | None = None
    params_millions: float | None = None
    size_mb: float | None = None  # 1 MB = 10^6 bytes
    latency_p50_ms: float | None = None  # batch 1
    latency_p95_ms: float | None = None
    throughput_per_s: float | None = None  # texts per second at batch 32
    macro_f1: float | None = None
    accuracy: float | None = None
    interval: tuple[float, float] | None = None  # 95% bootstrap interval of the route's metric
    change: float | None = None  # the route's metric minus the trained model's
    agreement: float | None = None  # share of test texts predicted as the trained model does
    max_abs_diff: float | None = None  # largest |logit difference| from its PyTorch source
    within_drop: bool | None = None  # change >= -max_metric_drop


class Protocol(Numbers):
    """How every variant was timed."""

    threads: int | None = None
    warmup: int | None = None
    repeats: int | None = None
    batch: int | None = None  # the throughput batch
    texts: int | None = None  # distinct test texts the timings cycle through


class OptimizationRecord(_Kept):
    """One `ventureplan optimize` of a training run: every variant, measured, and the chosen
    one (the fastest whose metric drop is within max_metric_drop and that still meets the
    route's quality goals). Its goals are the optimisation metrics of the chosen variant."""

    run: Text = Field(description="Unique run id; variants live in runs/<id>/variants/.")
    kind: Literal["optimization"] = Field(description="What produced the record.")
    route: Id = Field(description="The route whose trained model was optimised.")
    at: dt.datetime
    source_run: Text = Field(description="The training run the variants come from.")
    device: str | None = None
    versions: dict[str, str] = Field(default_factory=dict)
    data: dict[str, int] = Field(default_factory=dict)
    protocol: Protocol = Field(default_factory=Protocol)
    variants: list[Variant] = Field(default_factory=list)
    chosen: Id | None = Field(None, description="The variant to ship; none when none qualifies.")
    goals: dict[str, GoalResult] = Field(default_factory=dict)
    rehearsal: bool = Field(False, description=REHEARSAL_HELP)
    rehearsal_reasons: list[str] = Field(default_factory=list)
    ignored: bool = Field(False, description="Set aside by the founder: shown, never counted.")

    @property
    def metrics(self) -> dict[str, float]:
        """The chosen variant's optimisation metrics (what its goals are measured on)."""
        v = self.variant(self.chosen)
        if v is None:
            return {}
        out = {name: getattr(v, name) for name in OPTIMIZATION_METRICS if name != "model_size_mb"}
        out["model_size_mb"] = v.size_mb
        return {k: float(x) for k, x in out.items() if x is not None}

    def variant(self, name: str | None) -> Variant | None:
        return next((v for v in self.variants if v.name == name), None)


class Serving(Numbers):
    """What a load test measured: latencies over every answered request, end to end."""

    concurrency: int | None = None  # clients sending at once
    duration_s: float | None = None
    requests: int | None = None  # answered, errors included
    errors: int | None = None
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    latency_p99_ms: float | None = None
    throughput_per_s: float | None = None  # answered requests per second
    texts_per_request: int | None = None
    error_rate: float | None = None  # share of requests not answered 200
    cost_per_1k_requests: float | None = None  # serve.price_per_hour / requests per hour x 1000
    threads: int | None = None  # model threads of the API
    max_batch: int | None = None
    max_wait_ms: float | None = None
    texts_over_max_chars: int | None = None  # test texts the API refuses (422) as too long


class ServingRecord(_Kept):
    """One `ventureplan loadtest` of the API serving a model: latency, throughput, errors and
    the cost of 1,000 requests, measured under load."""

    run: Text = Field(description="Unique run id; the load test's files live in runs/<id>/.")
    kind: Literal["serving"] = Field(description="What produced the record.")
    route: Id = Field(description="The route whose model was served.")
    at: dt.datetime
    source_run: Text = Field(description="The optimisation (or training) run served.")
    variant: Text | None = Field(None, description="The variant served; none for a trained model.")
    device: str | None = None
    versions: dict[str, str] = Field(default_factory=dict)
    serving: Serving = Field(default_factory=Serving)
    intervals: dict[str, tuple[float, float]] = Field(default_factory=dict)
    goals: dict[str, GoalResult] = Field(default_factory=dict)
    rehearsal: bool = Field(False, description=REHEARSAL_HELP)
    rehearsal_reasons: list[str] = Field(default_factory=list)
    ignored: bool = Field(False, description="Set aside by the founder: shown, never counted.")

    @property
    def metrics(self) -> dict[str, float]:
        """The load test's figures a goal can name."""
        out = {name: getattr(self.serving, name) for name in SERVING_METRICS}
        return {k: float(x) for k, x in out.items() if x is not None}


MANUAL_EARLIEST = dt.date(1970, 1, 1)  # a measurement dated outside these is a typo
MANUAL_LATEST = dt.date(2100, 12, 31)
MAX_SOURCE = 200  # characters of a manual record's `source`
MANUAL_RUN = re.compile(r"(\d{8})-manual-(\d{1,9})")
# characters a one-line `source` may not hold: control characters (C0, DEL, C1), line and
# paragraph separators, bidirectional overrides and isolates, lone surrogates
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def source_problem(source: str) -> str | None:
    """Why `source` cannot be a manual record's source (one line of plain text), or None."""
    if not source.strip():
        return "is empty; say where the number comes from (e.g. 'CRM export') or leave it out"
    if len(source) > MAX_SOURCE:
        return f"is {len(source):,} characters long; keep it to {MAX_SOURCE}"
    bad = _UNPRINTABLE.search(source)
    if bad:
        return (
            f"holds the control character {bad.group()!a} at position {bad.start() + 1}; "
            "write it on one line of plain text"
        )
    return None


class ManualRecord(Open):
    """A number the founder measured by hand (paying customers from a CRM export, a pilot's
    churn): one goal's value on a date, with where it comes from. Not tied to a route; any
    metric name. A fact, not a sample: it settles its goal with p_miss 0 or 1. A later one
    for the same goal (by `at`, then run number) supersedes an earlier one."""

    run: Text = Field(description="Unique run id: YYYYMMDD-manual-N (`ventureplan measure`).")
    kind: Literal["manual"] = Field(description="What produced the record.")
    goal: Id = Field(description="The goal measured.")
    value: float = Field(description="The goal metric's value (a finite number).")
    at: dt.date = Field(
        ge=MANUAL_EARLIEST, le=MANUAL_LATEST, description="The day the value was measured."
    )
    source: str | None = Field(None, description="Where the number comes from.")
    ignored: bool = Field(False, description="Set aside by the founder: shown, never counted.")

    @field_validator("value", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        if isinstance(value, bool):  # `value: true` is not a measurement
            raise ValueError("must be a number, not true or false")
        if isinstance(value, int | float):
            try:
                finite = math.isfinite(float(value))
            except OverflowError:  # an integer too large for a float
                finite = False
            if not finite:
                raise ValueError(f"must be a finite number, got {value!r:.40}")
        return value

    @field_validator("source")
    @classmethod
    def _one_line(cls, source: str | None) -> str | None:
        problem = None if source is None else source_problem(source)
        if problem:
            raise ValueError(f"the source {problem}")
        return source

    # what every record offers the code that lists records of all kinds
    @property
    def route(self) -> None:
        """Not tied to a route."""
        return None

    @property
    def rehearsal(self) -> bool:
        return False

    @property
    def rehearsal_reasons(self) -> list[str]:
        return []

    @property
    def device(self) -> None:
        return None

    @property
    def metrics(self) -> dict[str, float]:
        """Named by its goal, not by a metric the record knows: see `goal` and `value`."""
        return {}

    @property
    def evidence(self) -> bool:
        return not self.ignored

    @property
    def number(self) -> int:
        """N of a YYYYMMDD-manual-N run id (0 for a run id written otherwise)."""
        m = MANUAL_RUN.fullmatch(self.run)
        return int(m.group(2)) if m else 0

    def document(self) -> dict[str, Any]:
        """The record as plain data, in the order it is written to the plan."""
        out: dict[str, Any] = self.model_dump(mode="json", exclude_none=True)
        if self.value.is_integer() and abs(self.value) < 2**53:
            out["value"] = int(self.value)  # 4 customers, written as 4
        if not out.get("ignored"):
            out.pop("ignored", None)
        return out


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        kind = value.get("kind", "training")
        return str(kind)
    return str(getattr(value, "kind", "training"))


# The order evidence is listed in, and so the order that settles a goal two kinds measure:
# a latency under load (serving) before the model's own batch-1 timing (optimization).
KINDS = ("training", "serving", "optimization")
# every kind of record; a manual one is about a goal, not a route, and is listed after them
ALL_KINDS = (*KINDS, "manual")
Record = Annotated[
    Annotated[TrainingRecord, Tag("training")]
    | Annotated[OptimizationRecord, Tag("optimization")]
    | Annotated[ServingRecord, Tag("serving")]
    | Annotated[ManualRecord, Tag("manual")],
    Discriminator(_kind),
]
# for isinstance and annotations
AnyRecord = TrainingRecord | OptimizationRecord | ServingRecord | ManualRecord
RouteRecord = TrainingRecord | OptimizationRecord | ServingRecord  # the kinds a route produces


@dataclass
class Options:
    """What `ventureplan run` hands a route kind besides the plan and the route."""

    device: str | None = None  # overrides compute.device
    max_steps: int | None = None
    resume: str | None = None  # a run id whose checkpoint to continue
    runs_dir: Path | None = None
    progress: bool = True
    keep_checkpoints: bool = False  # deleted after a successful run otherwise
    search_worker: str | None = None  # join the search of this run id as one more worker
    study_storage: str | None = (
        None  # an RDB URL for the Optuna study (default: SQLite in runs/<id>/)
    )
