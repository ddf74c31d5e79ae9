"""What an analysis and a report are, and what the analysis hooks return: plain dataclasses,
easy to test and to turn into JSON. The hook contract depends on these types only; nothing
here imports the code that computes them or calls the hooks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .budget import BudgetResult
from .calendar import elapsed_months, finish_date
from .errors import Finding
from .evidence import Basis, Evidence
from .load import LoadedPlan
from .model import Plan
from .network import Network
from .progress import Progress
from .quantities import small_amount as small_amount  # re-exported for the CLI
from .schedule import Schedule

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
class ResponseEffect:
    """What one risk's response buys in the plan as planned: the P80 finish and the P80 cost
    of the same simulation with that one response taken away (the risk drawn at its own
    probability and impacts, every other risk as planned), minus the planned P80s. The
    mitigation cost is left out of both sides, so `p80_cost_saved` is what the response saves
    before its own cost, which is listed beside it."""

    risk: str
    response: str  # avoid, transfer or mitigate
    p80_days_saved: float  # calendar units
    p80_cost_saved: float  # money
    mitigation_cost: float


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
    # finish p10/p50/p80/p95 (calendar units) of each task a goal names in `delivered_by`
    task_finish: dict[str, dict[str, float]] = field(default_factory=dict)
    # The plan as planned is the simulation itself. A simulator may attach the same plan with
    # no responses at all (no residuals, no mitigation costs) and what each response buys;
    # they are reported beside the simulation, not inside it.
    inherent: SimulationResult | None = field(default=None, repr=False)
    responses: list[ResponseEffect] = field(default_factory=list)
    responses_sample: int = 0  # iterations `responses` was computed from
    # When the plan counts a raise (funding.month): p_cash_out mixes the iterations in which
    # it closes and those in which it does not; these are the chance if it always / never did.
    p_cash_out_with_raise: float | None = None
    p_cash_out_without_raise: float | None = None


@dataclass
class Analysis:
    plan: Plan
    network: Network
    schedule: Schedule
    risks: list[RiskScore]
    simulation: SimulationResult
    budget: BudgetResult
    spend_by_category: dict[str, float]
    evidence: list[Evidence]
    evidence_simulation: SimulationResult | None
    sections: dict[str, Any] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    # the newest rehearsal of each route where it is newer than the route's evidence: shown,
    # labelled, and counted in no number
    rehearsals: list[Evidence] = field(default_factory=list)
    # slip against the baseline and the earned schedule (None without status_date or baseline)
    progress: Progress | None = None

    @property
    def inherent(self) -> SimulationResult | None:
        """The plan with no responses (every risk at its own probability and impacts, no
        mitigation costs); None where the simulator did not provide it."""
        return self.simulation.inherent

    @property
    def responses(self) -> list[ResponseEffect]:
        """What each response in effect buys (see ResponseEffect)."""
        return self.simulation.responses

    def date(self, offset: float) -> dt.date:
        return finish_date(self.plan.start, self.plan.calendar, offset)

    def months(self, offset: float) -> float:
        return float(elapsed_months(self.plan.start, self.plan.calendar, np.array([offset]))[0])


@dataclass
class Report:
    """What a report shows, gathered once for every renderer."""

    loaded: LoadedPlan
    analysis: Analysis
    lang: str
    labels: dict[str, Any]
    findings: list[Finding]
    diagrams: dict[str, str]
    generated: dt.date
    extra: dict[str, Any] = field(default_factory=dict)
    appendix: bool = False  # the Mermaid sources at the end (`report --appendix`)

    @property
    def plan(self) -> Plan:
        return self.analysis.plan

    def value(self, word: str | None) -> str:
        """An enum value (mitigate, high, technical…) in the report's language."""
        return "" if word is None else str(self.labels.get("values", {}).get(word, word))

    def money(self, amount: float) -> str:
        return f"{amount:,.0f} {self.plan.currency}"

    def basis(self, b: Basis) -> str:
        """What a verdict rests on, in one line of the report's language: evidence or
        rehearsal, the run, the data set and its licence, the sizes, device and epochs."""
        L = self.labels
        parts = [f"{L['basis_run']} {b.run}"]
        if b.dataset:
            lic = f" ({L['basis_licence']} {b.licence})" if b.licence else ""
            parts.append(f"{L['basis_data']} {b.dataset}{lic}")
        if b.kind == "optimization":
            parts.append(L["variant_of"].format(variant=b.variant or "—", run=b.source_run))
            if b.test is not None:
                parts.append(L["test_examples"].format(test=f"{b.test:,}"))
        elif b.kind == "serving":
            what = (
                L["served_variant"].format(variant=b.variant, run=b.source_run)
                if b.variant
                else L["served_run"].format(run=b.source_run)
            )
            parts.append(L["served_of"].format(what=what))
        elif b.train is not None:
            parts.append(L["train_test"].format(train=f"{b.train:,}", test=f"{b.test or 0:,}"))
        if b.device:
            parts.append(b.device)
        if b.epochs is not None:
            parts.append(L["epoch_1"] if b.epochs == 1 else L["epochs_n"].format(n=b.epochs))
        if b.rehearsal and b.reasons:
            parts.append(f"{L['capped_by']} {'; '.join(b.reasons)}")
        head = L["rehearsal"] if b.rehearsal else L["evidence"]
        return f"{head}{L['colon']}{L['sep'].join(parts)}"

    def serving(self, ev: Any) -> list[tuple[str, str]]:
        """A load test's figures as (label, value) rows in the report's language, then the
        chosen route's replicas and batching from its `serve:` section."""
        L, s = self.labels, ev.serving
        rows = []
        if "requests" in s:
            rows.append(
                (
                    L["serving_requests"],
                    L["serving_requests_value"].format(
                        requests=f"{int(s['requests']):,}",
                        clients=int(s.get("concurrency", 0)),
                        seconds=f"{s.get('duration_s', 0):.0f}",
                    ),
                )
            )
        if "throughput_per_s" in s:
            rate = f"{s['throughput_per_s']:,.1f}"
            rows.append((L["serving_throughput"], L["serving_throughput_value"].format(rate=rate)))
        lat = [s.get(f"latency_{p}_ms") for p in ("p50", "p95", "p99")]
        if all(x is not None for x in lat):
            rows.append((L["serving_latency"], " / ".join(f"{x:.1f}" for x in lat) + " ms"))
        if "error_rate" in s:
            rows.append((L["serving_errors"], f"{s['error_rate']:.2%}"))
        if "cost_per_1k_requests" in s:
            rows.append(
                (
                    L["serving_cost"],
                    f"{small_amount(s['cost_per_1k_requests'])} {self.plan.currency}",
                )
            )
        if "max_batch" in s:
            rows.append(
                (
                    L["serving_batching"],
                    L["serving_batching_value"].format(
                        max_batch=int(s["max_batch"]),
                        max_wait=f"{s.get('max_wait_ms', 0):g}",
                        threads=int(s.get("threads", 1)),
                    ),
                )
            )
        route = next((r for r in self.plan.routes if r.id == ev.route), None)
        if route is not None and route.serve is not None:
            sv = route.serve
            rows.append(
                (
                    L["serving_replicas"],
                    L["serving_replicas_value"].format(
                        min=sv.replicas.min,
                        max=sv.replicas.max,
                        target=sv.target_cpu,
                        cpu=sv.cpu,
                        memory=sv.memory,
                    ),
                )
            )
        return rows

    def licence_warning(self, b: Basis | None) -> str | None:
        """The warning a verdict carries when its data's licence forbids commercial use."""
        if b is None or b.commercial_use is not False:
            return None
        return str(self.labels["non_commercial"].format(licence=b.licence or "?"))
