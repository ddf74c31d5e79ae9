"""The plan file as Pydantic models: every field, its constraints and its help text.

Field-level rules live here (types, ranges, orderings inside one object). Rules that
relate objects to each other (ids, references, cycles, the chosen route) live in
`crosscheck.py`, because they need the whole plan to say where the problem is.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StrictInt,
    WithJsonSchema,
    model_validator,
)

from .defaults import EARLIEST_START, LATEST_START, Language
from .fields import Days, Id, Money, Strict, Text
from .records import METRICS, OPTIMIZATION_METRICS, SERVING_METRICS, Record

SCHEMA_VERSION = "ventureplan/1"


# --- business -------------------------------------------------------------------


class Competitor(Strict):
    name: Text = Field(description="The competitor's name.")
    strengths: str | None = Field(None, description="What they do well.")
    weaknesses: str | None = Field(None, description="Where they fall short: your opening.")


class MarketSize(Strict):
    """Top-down market size, each a yearly amount in the plan's currency."""

    tam: Money | None = Field(
        None, description="Total addressable market: everyone who could buy, per year."
    )
    sam: Money | None = Field(
        None, description="Serviceable addressable market: the part your product can reach."
    )
    som: Money | None = Field(
        None, description="Serviceable obtainable market: what you can win in the next years."
    )
    source: Text | None = Field(None, description="Where the figures come from.")

    @model_validator(mode="after")
    def _nested(self) -> MarketSize:
        pairs = (("sam", "tam"), ("som", "sam"), ("som", "tam"))
        for small, big in pairs:
            a, b = getattr(self, small), getattr(self, big)
            if a is not None and b is not None and a > b:
                raise ValueError(f"{small} ({a:,.0f}) cannot be larger than {big} ({b:,.0f})")
        return self


class Market(Strict):
    size: MarketSize | None = Field(
        None, description="Market size: tam, sam and som per year, and their source."
    )
    trends: list[Text] = Field(default_factory=list, description="Trends that make now the time.")
    competitors: list[Competitor] = Field(default_factory=list, description="Who else solves it.")
    customers: list[Text] = Field(
        default_factory=list, description="Who pays, as concretely as you can."
    )


class Business(Strict):
    model: Literal["platform", "tool", "service"] = Field(
        description="How the venture makes money: a platform others build on, a tool customers "
        "use themselves, or a service you run for them."
    )
    summary: Text = Field(description="One or two sentences: what you sell, to whom.")
    market: Market = Field(default_factory=Market, description="Trends, competitors, customers.")


# --- team and stack -------------------------------------------------------------


class Role(Strict):
    id: Id
    title: Text = Field(description="The role as it appears on the org chart.")
    headcount: int = Field(1, ge=0, le=10_000, description="How many people fill this role.")
    monthly_cost: Money = Field(
        0, description="Fully loaded cost of one person per month, in the plan's currency."
    )
    responsibilities: list[Text] = Field(default_factory=list, description="What this role owns.")
    from_month: int = Field(
        1, ge=1, le=600, description="The first month the role exists (is paid and can work)."
    )
    until_month: int | None = Field(
        None, ge=1, le=600, description="The last month the role exists (open-ended if omitted)."
    )


class StackEntry(Strict):
    name: Text = Field(description="The technology, model or data set, e.g. PyTorch.")
    kind: Literal["framework", "model", "dataset", "serving", "cloud", "tool"] = Field(
        description="What part of the system it is."
    )
    licence: str | None = Field(
        None,
        description="Its licence (e.g. Apache-2.0, CC BY-NC 4.0). A licence that forbids "
        "commercial use needs a legal risk in the register.",
    )


# --- goals ----------------------------------------------------------------------


class Goal(Strict):
    id: Id
    statement: Text = Field(description="Specific: what will be true, in one sentence.")
    metric: str | None = Field(
        None,
        description="Measurable: the metric name. `run` measures "
        + ", ".join(METRICS)
        + "; `optimize` measures "
        + ", ".join(OPTIMIZATION_METRICS)
        + "; `loadtest` measures "
        + ", ".join(SERVING_METRICS)
        + ".",
    )
    target: float | None = Field(
        None, allow_inf_nan=False, description="Measurable: the number to reach."
    )
    direction: Literal[">=", "<="] = Field(
        ">=",
        description="Whether the metric must end at or above ('>=') "
        "or at or below ('<=') the target.",
    )
    baseline: float | None = Field(
        None, allow_inf_nan=False, description="Where the metric stands today, if known."
    )
    deadline: dt.date | None = Field(None, description="Time-bound: the date it must be met by.")
    owner: Id | None = Field(None, description="Assignable: the team role accountable for it.")
    relevant_to: str | None = Field(
        None, description="Relevant: why this goal matters to the venture or its customers."
    )
    dataset: Text | None = Field(
        None,
        description="The data the goal is about (a routes[].dataset.source, e.g. builtin:NAME "
        "or a file): a run on other data is shown but does not settle the goal.",
    )
    delivered_by: Id | None = Field(
        None,
        description="The task or milestone that delivers the goal: the deadline is compared "
        "with its P80 finish (without it, with the whole plan's).",
    )


# --- routes ---------------------------------------------------------------------


class Dataset(Strict):
    source: Text = Field(description="builtin:NAME, or a path to a .csv or .jsonl file.")
    text: str = Field("text", min_length=1, description="Column holding the input text.")
    label: str = Field("label", min_length=1, description="Column holding the label.")
    personal_data: bool = Field(
        False,
        description="The texts hold personal data (GDPR/CCPA): `check` asks for a legal risk, "
        "a data protection impact assessment task and a retention rule; the API never logs "
        "request texts.",
    )
    retention_days: StrictInt | None = Field(
        None, ge=0, le=36_500, description="How many days the data is kept (personal data)."
    )


class Compute(Strict):
    device: Literal["auto", "cpu", "cuda"] = Field(
        "auto", description="Where to train: auto picks CUDA when present."
    )
    price_per_hour: Money = Field(
        0, description="Price of one device-hour, in the plan's currency (for cost forecasts)."
    )


Scalar = float | int | str | bool


class SearchRange(Strict):
    """A range to search (Optuna's TPE sampler draws from it; `search_trials` says how many
    trials). An integer hyperparameter draws integers."""

    low: float = Field(allow_inf_nan=False, description="The smallest value to try.")
    high: float = Field(allow_inf_nan=False, description="The largest value to try.")
    log: bool = Field(
        False, description="Draw on a log scale (for a learning rate, say); low must be > 0."
    )

    @model_validator(mode="after")
    def ordered(self) -> SearchRange:
        if not self.low < self.high:
            raise ValueError(f"low ({self.low:g}) < high ({self.high:g}) must hold")
        if self.log and self.low <= 0:
            raise ValueError(f"a log range needs low > 0, got {self.low:g}")
        return self


Sparsity = Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False)]


class Optimize(Strict):
    """What `ventureplan optimize` makes of a trained model: each entry of `prune` is one
    pruned variant; `export: onnx` exports every variant (checked against PyTorch on the
    test split); `quantize: int8` adds an int8 copy of each exported variant."""

    prune: list[Sparsity] = Field(
        default_factory=list,
        description="Shares of attention heads and feed-forward neurons to remove, each "
        "strictly between 0 and 1 (0.3 removes 30%, ranked by gradient importance).",
    )
    quantize: Literal["int8"] | None = Field(
        None, description="int8: dynamic quantization of the exported variants' weights."
    )
    export: Literal["onnx"] | None = Field(
        None, description="onnx: export each variant for ONNX Runtime (dynamic batch and length)."
    )
    recover_epochs: StrictInt = Field(
        0,
        ge=0,
        le=20,
        description="Epochs of fine-tuning after pruning, to win back quality.",
    )
    max_metric_drop: float = Field(
        0.01,
        ge=0,
        le=1,
        allow_inf_nan=False,
        description="The largest drop in the route's quality metric (e.g. 0.01 = one point of "
        "macro-F1) a variant may have and still be chosen.",
    )

    @model_validator(mode="after")
    def distinct(self) -> Optimize:
        if len(set(self.prune)) != len(self.prune):
            raise ValueError("each prune share once")
        if self.quantize and not self.export:
            raise ValueError("quantize: int8 needs export: onnx (the int8 copy is an ONNX model)")
        return self


_CPU = re.compile(r"(?:[1-9][0-9]{0,2}(?:\.[0-9]{1,3})?|0\.[0-9]{1,3}|[1-9][0-9]{0,5}m)")
_MEMORY = re.compile(r"[1-9][0-9]{0,6}(?:Ki|Mi|Gi|Ti|k|M|G|T)")


def _cpu(value: str) -> str:
    if not _CPU.fullmatch(value):
        raise ValueError(
            f'{value!r} is not a CPU quantity; write cores ("1", "2", "0.5") or millicores ("500m")'
        )
    return value


def _memory(value: str) -> str:
    if not _MEMORY.fullmatch(value):
        raise ValueError(
            f'{value!r} is not a memory quantity; write a whole number with a unit: "512Mi", "2Gi"'
        )
    return value


def _number_as_text(value: object) -> object:
    """`cpu: 2` in YAML is a number; Kubernetes writes it "2"."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:g}"
    return value


CpuQuantity = Annotated[
    str,
    BeforeValidator(_number_as_text),
    Field(max_length=12),
    AfterValidator(_cpu),
    WithJsonSchema({"anyOf": [{"type": "string", "maxLength": 12}, {"type": "number"}]}),
]
MemoryQuantity = Annotated[str, Field(max_length=12), AfterValidator(_memory)]


class Replicas(Strict):
    min: StrictInt = Field(1, ge=1, le=1000, description="Replicas always running.")
    max: StrictInt = Field(3, ge=1, le=1000, description="The most the autoscaler starts.")

    @model_validator(mode="after")
    def ordered(self) -> Replicas:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is above max ({self.max})")
        return self


class Serve(Strict):
    """How the model is served: what `ventureplan deploy` writes into the bundle's
    Kubernetes manifests and the API's batching, and what `loadtest` prices."""

    replicas: Replicas = Field(default_factory=Replicas)
    target_cpu: StrictInt = Field(
        70,
        ge=10,
        le=100,
        description="Average CPU use (percent of the request) the autoscaler keeps.",
    )
    cpu: CpuQuantity = Field(
        "1", description='CPU per replica, a Kubernetes quantity: "1", "2", "500m".'
    )
    memory: MemoryQuantity = Field(
        "1Gi", description='Memory per replica, a Kubernetes quantity: "512Mi", "2Gi".'
    )
    max_batch: StrictInt = Field(
        16, ge=1, le=512, description="The most texts the API runs through the model at once."
    )
    max_wait_ms: float = Field(
        5.0,
        ge=0,
        le=1000,
        allow_inf_nan=False,
        description="How long a request waits for others to share its batch.",
    )
    max_texts: StrictInt = Field(
        64, ge=1, le=10_000, description="The most texts one request may send."
    )
    max_chars: StrictInt = Field(
        20_000, ge=1, le=1_000_000, description="The most characters one text may have."
    )
    personal_data: bool = Field(
        False,
        description="Requests carry personal data (GDPR/CCPA): as for a data set; the API "
        "never logs request texts.",
    )
    retention_days: StrictInt | None = Field(
        None, ge=0, le=36_500, description="How many days request logs are kept."
    )
    price_per_hour: float | None = Field(
        None,
        ge=0,
        le=1_000_000,
        allow_inf_nan=False,
        description="What one replica costs per hour, in the plan's currency (the load test's "
        "cost per 1,000 requests).",
    )


class Route(Strict):
    id: Id
    chosen: bool = Field(False, description="The route the venture takes; exactly one is chosen.")
    task: Text = Field(
        "text-classification",
        description="The route kind the runner executes "
        "(pluggable; text-classification is built in).",
    )
    model: Text = Field(description="builtin:NAME, a local directory, or a hub id.")
    dataset: Dataset
    hyperparameters: dict[str, Scalar] = Field(
        default_factory=dict,
        description="Training settings, e.g. learning_rate, batch_size, epochs, max_length, seed.",
    )
    search: dict[str, list[Scalar] | SearchRange] = Field(
        default_factory=dict,
        description="Optional search: lists are a grid (every combination is trained); ranges "
        "({low, high, log}) are drawn by Optuna's TPE sampler, search_trials times. The best "
        "on validation wins.",
    )
    search_trials: StrictInt | None = Field(
        None,
        ge=1,
        le=1000,
        description="Trials to draw when `search` has ranges (default 10).",
    )
    limits: dict[str, StrictInt] = Field(
        default_factory=dict,
        description="Optional caps for a quick rehearsal, e.g. max_train_samples: 600.",
    )
    compute: Compute = Field(default_factory=Compute)
    optimize: Optimize | None = Field(
        None,
        description="What `ventureplan optimize` makes of the trained model: pruned, exported "
        "and int8 variants, each measured; the fastest within max_metric_drop is chosen.",
    )
    serve: Serve | None = Field(
        None,
        description="How `ventureplan deploy` and `api` serve the model: replicas, CPU and "
        "memory per replica, batching, the price of a replica-hour.",
    )
    measures: list[Id] = Field(
        default_factory=list, description="Ids of the goals this route produces evidence for."
    )
    description: str | None = Field(None, description="Why this route, in a sentence or two.")


# --- tasks ----------------------------------------------------------------------


class Estimate(Strict):
    optimistic: Days = Field(description="Best case, in calendar units.")
    likely: Days = Field(description="Most likely duration.")
    pessimistic: Days = Field(description="Worst realistic case.")

    @model_validator(mode="after")
    def ordered(self) -> Estimate:
        if not self.optimistic <= self.likely <= self.pessimistic:
            raise ValueError(
                f"optimistic ({self.optimistic:g}) <= likely ({self.likely:g}) <= "
                f"pessimistic ({self.pessimistic:g}) must hold"
            )
        return self


class Task(Strict):
    id: Id
    name: Text | None = Field(None, description="What gets done; shown on the roadmap.")
    owner: Id | None = Field(None, description="The team role doing the work.")
    estimate: Estimate | None = Field(
        None, description="Three-point estimate in calendar units; omitted for milestones."
    )
    depends_on: list[Id] = Field(
        default_factory=list, description="Ids of tasks that must finish before this one starts."
    )
    phase: str | None = Field(None, description="Free text used to group the roadmap.")
    milestone: bool = Field(False, description="A zero-duration checkpoint.")
    route: Id | None = Field(
        None, description="A route whose measured run informs this task (e.g. training)."
    )
    effort: float = Field(
        1,
        gt=0,
        le=10_000,
        allow_inf_nan=False,
        description="People of the owner's role the task takes while it runs (default 1).",
    )
    actual_start: dt.date | None = Field(
        None, description="The day work on it began (needs the plan's status_date)."
    )
    actual_finish: dt.date | None = Field(
        None, description="The last day of work on it, once it is done (with actual_start)."
    )
    remaining: Estimate | None = Field(
        None,
        description="For work in progress: the time still to go from the status date, "
        "three-point, in calendar units.",
    )

    @model_validator(mode="after")
    def duration_given(self) -> Task:
        if self.milestone and self.estimate is not None:
            raise ValueError(
                "a milestone takes no time: remove its estimate or set milestone: false"
            )
        if not self.milestone and self.estimate is None:
            raise ValueError(
                "a task needs an estimate {optimistic, likely, pessimistic} (or milestone: true)"
            )
        start, finish = self.actual_start, self.actual_finish
        if start is not None and finish is not None and finish < start:
            raise ValueError(f"actual_finish ({finish}) is before actual_start ({start})")
        if self.actual_finish is not None and self.actual_start is None and not self.milestone:
            raise ValueError("a finished task needs its actual_start as well as actual_finish")
        if self.remaining is not None and (self.actual_start is None or self.actual_finish):
            raise ValueError(
                "remaining is for work in progress: give actual_start and no actual_finish, "
                "or remove remaining"
            )
        if self.actual_start is not None and self.actual_finish is None:
            if self.milestone:
                raise ValueError("a milestone is reached on one day: give actual_finish")
            if self.remaining is None:
                raise ValueError(
                    "work in progress (actual_start, no actual_finish) needs remaining "
                    "{optimistic, likely, pessimistic}: the time still to go"
                )
        return self


# --- risks ----------------------------------------------------------------------


class Range3(Strict):
    low: Money
    likely: Money
    high: Money

    @model_validator(mode="after")
    def ordered(self) -> Range3:
        if not self.low <= self.likely <= self.high:
            raise ValueError(
                f"low ({self.low:g}) <= likely ({self.likely:g}) <= high ({self.high:g}) must hold"
            )
        return self


Probability = Annotated[
    float, Field(ge=0, le=1, allow_inf_nan=False, description="Chance it happens, 0 to 1.")
]
Impact = Annotated[
    int, Field(ge=1, le=5, description="How bad it is if it happens: 1 (minor) to 5 (fatal).")
]


class Residual(Strict):
    probability: Probability
    impact: Impact
    schedule_impact: Range3 | None = Field(
        None,
        description="Calendar units added when it occurs after the response (default: the "
        "risk's schedule_impact scaled by residual impact / impact).",
    )
    cost_impact: Range3 | None = Field(
        None,
        description="Money lost when it occurs after the response (default: the risk's "
        "cost_impact scaled by residual impact / impact).",
    )


class Risk(Strict):
    id: Id
    title: Text = Field(description="What could go wrong, in a few words.")
    category: Literal["technical", "market", "resource", "legal"]
    probability: Probability
    impact: Impact
    affects: list[Id] = Field(
        default_factory=list, description="Ids of the tasks that slip when the risk occurs."
    )
    schedule_impact: Range3 | None = Field(
        None, description="Calendar units added to each affected task when it occurs."
    )
    cost_impact: Range3 | None = Field(None, description="Money lost when it occurs.")
    response: Literal["avoid", "transfer", "mitigate", "accept", "escalate"] | None = Field(
        None,
        description="What you will do about it. avoid, transfer and mitigate change the plan "
        "as planned once `residual` says what is left: the simulation then draws the risk at "
        "the residual probability and impacts. accept and escalate leave the risk as it is. "
        "`analyze` also simulates the plan without any response and shows what each one "
        "buys at P80.",
    )
    owner: Id | None = Field(None, description="The team role watching this risk.")
    trigger: str | None = Field(None, description="The early sign that it is happening.")
    mitigation: str | None = Field(None, description="What you do to reduce it.")
    mitigation_cost: Money | None = Field(
        None,
        description="What the response costs, in the plan's currency. The plan as planned "
        "pays it (counted from the start when judging whether the cash runs out), whatever "
        "the response; the plan without responses does not.",
    )
    residual: Residual | None = Field(
        None,
        description="What is left of the risk after an avoid, transfer or mitigate response. "
        "The plan as planned draws the risk at this probability, with its schedule and cost "
        "impacts scaled by residual impact / impact unless they are given here. Not used "
        "with accept or escalate.",
    )
    goal: Id | None = Field(
        None, description="A goal whose measurements inform this risk's probability."
    )


# --- budget ---------------------------------------------------------------------


class BudgetItem(Strict):
    id: Id
    category: Text = Field(description="Spending category, e.g. compute, legal, data, marketing.")
    amount: Money = Field(description="Amount per period, in the plan's currency.")
    per: Literal["month", "once"] = Field("month", description="Monthly, or a one-off.")
    month: int | None = Field(
        None,
        ge=1,
        le=600,
        description="For a one-off: the month it falls in (1 = the start month).",
    )
    from_month: int = Field(1, ge=1, le=600, description="For a monthly item: the first month.")
    until_month: int | None = Field(
        None,
        ge=1,
        le=600,
        description="For a monthly item: the last month (open-ended if omitted).",
    )


class Revenue(Strict):
    id: Id
    amount: Money = Field(description="Revenue in the first month it arrives.")
    per: Literal["month", "once"] = Field("month")
    from_month: int = Field(1, ge=1, le=600, description="The first month with this revenue.")
    growth: float = Field(
        0,
        ge=-1,
        le=10,
        allow_inf_nan=False,
        description="Month-on-month growth, e.g. 0.15 for 15%.",
    )


class Inflow(Strict):
    """Money that arrives and is not revenue: a grant, or a loan repaid in instalments."""

    id: Id
    kind: Literal["grant", "loan"] = Field(description="grant (kept) or loan (repaid).")
    amount: Money = Field(description="The amount that arrives, in the plan's currency.")
    month: int = Field(ge=1, le=600, description="The month it arrives (1 = the start month).")
    repay: Money = Field(0, description="For a loan: each monthly repayment, interest included.")
    repay_months: int = Field(
        0, ge=0, le=600, description="For a loan: how many monthly repayments."
    )
    repay_from_month: int | None = Field(
        None,
        ge=1,
        le=600,
        description="For a loan: the month of the first repayment (default: the month after "
        "it arrives).",
    )

    @model_validator(mode="after")
    def repaid(self) -> Inflow:
        if self.kind == "grant" and (
            self.repay or self.repay_months or self.repay_from_month is not None
        ):
            raise ValueError("a grant is not repaid: remove repay, repay_months, repay_from_month")
        if self.kind == "loan" and (self.repay <= 0) != (self.repay_months == 0):
            raise ValueError(
                "a loan is repaid: give both repay (each monthly amount) and repay_months"
            )
        first = self.repay_from_month
        if first is not None and first <= self.month:
            raise ValueError(
                f"repay_from_month ({first}) must come after the month the loan arrives "
                f"({self.month})"
            )
        return self

    @property
    def first_repayment(self) -> int:
        return self.repay_from_month or self.month + 1


class Budget(Strict):
    cash: Money = Field(0, description="Money in the bank at the plan's start.")
    items: list[BudgetItem] = Field(default_factory=list, description="Costs besides the team.")
    inflows: list[Inflow] = Field(
        default_factory=list,
        description="Grants and loans: cash that is neither revenue nor the raise.",
    )
    revenue: list[Revenue] = Field(default_factory=list, description="Expected income.")


# --- funding --------------------------------------------------------------------


class UseOfFunds(Strict):
    category: Text = Field(description="What the money buys, e.g. team, compute, go-to-market.")
    amount: Money = Field(description="How much of the ask goes to it.")


class Funding(Strict):
    """What the founder asks investors for, and what the money is for."""

    ask: Money = Field(description="The amount raised in this round, in the plan's currency.")
    round: Text | None = Field(None, description="The round, e.g. pre-seed, seed, Series A.")
    use_of_funds: list[UseOfFunds] = Field(
        default_factory=list, description="Where the money goes; the amounts add up to the ask."
    )
    month: int | None = Field(
        None,
        ge=1,
        le=600,
        description="The month the money arrives (1 = the start month); without it the cash "
        "model does not count the raise.",
    )
    probability: float = Field(
        1,
        ge=0,
        le=1,
        allow_inf_nan=False,
        description="The chance the raise closes at that month (0..1).",
    )


# --- progress -------------------------------------------------------------------


class BaselineTask(Strict):
    id: Id
    start: dt.date = Field(description="The day the task was to start.")
    finish: dt.date = Field(description="The last day it was to take.")

    @model_validator(mode="after")
    def ordered(self) -> BaselineTask:
        if self.finish < self.start:
            raise ValueError(f"finish ({self.finish}) is before start ({self.start})")
        return self


class Baseline(Strict):
    """The deterministic schedule as it stood when `ventureplan baseline` stored it."""

    taken: dt.date = Field(description="The day the baseline was stored.")
    finish: dt.date = Field(description="The plan's finish in the baseline.")
    tasks: list[BaselineTask] = Field(
        default_factory=list, description="Each task's start and finish in the baseline."
    )


# --- the plan -------------------------------------------------------------------


class Plan(Strict):
    schema_: Literal["ventureplan/1"] = Field(
        alias="schema", description="Format version of this file: ventureplan/1."
    )
    name: Text = Field(description="The venture or project name.")
    language: Language = Field("en", description="Report language.")
    currency: str = Field("USD", min_length=1, max_length=8, description="ISO currency code.")
    start: dt.date = Field(
        ge=dt.date.fromisoformat(EARLIEST_START),
        le=dt.date.fromisoformat(LATEST_START),
        description=f"The day work starts (YYYY-MM-DD), {EARLIEST_START} to {LATEST_START}.",
    )
    calendar: Literal["workdays", "days"] = Field(
        "workdays", description="workdays counts Monday to Friday; days counts every day."
    )
    distribution: Literal["pert", "triangular"] = Field(
        "pert", description="How three-point estimates are sampled: beta-PERT or triangular."
    )
    schedule: Literal["unleveled", "leveled"] = Field(
        "unleveled",
        description="unleveled: every task starts when its dependencies finish; leveled: a task "
        "also waits until its owner's role has people free (headcount, effort, from_month).",
    )
    status_date: dt.date | None = Field(
        None,
        description="The day progress was last recorded: work before it is as the tasks' "
        "actual_start/actual_finish say, and what remains starts from it.",
    )
    baseline: Baseline | None = Field(
        None, description="The schedule stored by `ventureplan baseline`; do not edit."
    )
    business: Business | None = None
    team: list[Role] = Field(default_factory=list, description="Roles; their ids are task owners.")
    stack: list[StackEntry] = Field(default_factory=list, description="Technology choices.")
    goals: list[Goal] = Field(default_factory=list, description="SMART goals.")
    routes: list[Route] = Field(
        default_factory=list, description="Technical routes; exactly one has chosen: true."
    )
    tasks: list[Task] = Field(default_factory=list, description="The work, with estimates.")
    risks: list[Risk] = Field(default_factory=list, description="The risk register.")
    budget: Budget = Field(default_factory=Budget)
    funding: Funding | None = Field(None, description="The raise: the ask and its use of funds.")
    measured: list[Record] = Field(
        default_factory=list, description="Run records written by `ventureplan run`; do not edit."
    )

    @property
    def chosen_route(self) -> Route | None:
        return next((r for r in self.routes if r.chosen), None)
