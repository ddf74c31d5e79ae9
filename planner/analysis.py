"""The analysis API: one call turns a valid plan into schedule, risk, simulation, budget,
evidence and the findings that need those numbers. Pure over the plan; plugins do the
risk scoring and the simulation."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import Any

import numpy as np

from .budget import BudgetModel
from .calendar import elapsed_months
from .defaults import DEFAULT_ITERATIONS, DEFAULT_SEED, MAX_ITERATIONS, MAX_SPAN
from .errors import Finding, VenturePlanError
from .evidence import gather, measured_probabilities
from .model import Plan
from .network import Network
from .plugin_manager import Manager, call_first, collect, findings, get_plugin_manager
from .progress import fix_actual_days, measure
from .progress import network as progress_network
from .results import Analysis, RiskScore, SimulationResult
from .riskscore import inherent_impacts, planned_impacts
from .schedule import passes, schedule


def analyze(
    plan: Plan,
    iterations: int = DEFAULT_ITERATIONS,
    seed: int = DEFAULT_SEED,
    pm: Manager | None = None,
) -> Analysis:
    if not 1 <= iterations <= MAX_ITERATIONS:
        raise VenturePlanError(
            f"iterations must be between 1 and {MAX_ITERATIONS:,}, not {iterations:,}"
        )
    pm = pm or get_plugin_manager()
    failures: list[Finding] = []  # plugins that raised: warnings, the others carry on

    def simulate(probabilities: dict[str, float]) -> SimulationResult:
        result: SimulationResult = call_first(
            pm,
            "simulate",
            failures,
            plan=used,
            network=net,
            iterations=iterations,
            seed=seed,
            probabilities=probabilities,
        )
        return result

    # from the status date where the plan records progress, levelled where it says so
    used, net = progress_network(plan)
    residual_span(used, net)
    sched = schedule(used, net)
    fix_actual_days(plan, sched.tasks)
    scoring: list[Finding] = []
    risks: list[RiskScore] = [
        call_first(pm, "score_risk", scoring, risk=r, plan=plan) for r in plan.risks
    ]
    failures += once_per_plugin(scoring)
    risks.sort(key=register_order)
    sim = simulate({})
    # what each response buys, in the register's order
    rank = {r.id: i for i, r in enumerate(risks)}
    sim.responses.sort(key=lambda e: (rank.get(e.risk, len(rank)), e.risk))
    evidence = gather(plan)
    measured = measured_probabilities(evidence)
    ev_sim = simulate(measured) if measured else None

    model = BudgetModel(plan)
    p95_months = elapsed_months(plan.start, plan.calendar, np.array([sim.finish["p95"]]))[0]
    show = math.ceil(p95_months) + 6
    budget0 = model.result(0)
    for extra in (budget0.break_even_month, budget0.runway_months):
        if extra is not None:
            show = max(show, math.ceil(extra) + 3)
    budget = model.result(min(max(show, 12), 120))
    budget.p_cash_out = sim.p_cash_out
    budget.p_cash_out_with_raise = sim.p_cash_out_with_raise
    budget.p_cash_out_without_raise = sim.p_cash_out_without_raise
    p50_months = float(elapsed_months(plan.start, plan.calendar, np.array([sim.finish["p50"]]))[0])

    analysis = Analysis(
        plan, net, sched, risks, sim, budget, model.spend_by_category(p50_months), evidence, ev_sim
    )
    analysis.rehearsals = gather(plan, rehearsals=True)
    analysis.progress = measure(
        plan,
        sched.finish_date,
        [t.start_date for t in sched.tasks],
        [t.finish_date for t in sched.tasks],
    )
    analysis.sections = collect(pm, "analysis_sections", "section", failures, analysis=analysis)
    analysis.findings = findings(pm, "analysis_checks", failures, analysis=analysis)
    analysis.findings += failures
    return analysis


def residual_span(plan: Plan, net: Network) -> None:
    """The plan as planned must stay on the calendar in its worst case too: the loader checks
    every risk at its own high delay; a response in effect may delay more (a residual's own
    `schedule_impact`, or a residual impact above the risk's)."""
    d = net.pessimistic.copy()
    at = net.position()
    worse = False
    for r in plan.risks:
        own, after = inherent_impacts(r)[0], planned_impacts(r)[0]
        high = max(own[2] if own else 0.0, after[2] if after else 0.0)
        worse = worse or (after is not None and (own is None or after[2] > own[2]))
        for a in set(r.affects):
            d[at[a]] += high
    if not worse or not plan.tasks or float(d.sum()) <= MAX_SPAN:
        return
    ef = passes(net, d)[1]
    if ef.max() > MAX_SPAN:
        unit = "workdays" if plan.calendar == "workdays" else "days"
        raise VenturePlanError(
            f"in the worst case (every task pessimistic, every risk at its high delay after its "
            f"response) the plan runs {ef.max():,.0f} {unit}, past the limit of {MAX_SPAN:,}; "
            "shorten the residual schedule impacts (risks[].residual.schedule_impact)"
        )


def register_order(r: RiskScore) -> tuple[float, float, str]:
    """The risk register is sorted by exposure (probability × impact), then expected monetary
    value, both largest first; ties by id. (Exposure is rounded first: 0.4 × 3 and 0.3 × 4
    are the same exposure, though not the same float.)"""
    return (-round(r.exposure, 9), -r.emv, r.id)


def once_per_plugin(failures: list[Finding]) -> list[Finding]:
    """A scorer that raises does so for every risk: its first failure, and how many more."""
    first: dict[str | None, Finding] = {}
    more: dict[str | None, int] = {}
    for f in failures:
        if f.plugin in first:
            more[f.plugin] = more.get(f.plugin, 0) + 1
        else:
            first[f.plugin] = f
    for plugin, n in more.items():
        first[plugin].message += f" (and {n} more time{'s' if n > 1 else ''})"
    return list(first.values())


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name not in ("finish_samples", "extra", "inherent", "responses")
        }
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _simulation_dict(a: Analysis, sim: SimulationResult) -> dict[str, Any]:
    out: dict[str, Any] = _plain(sim)
    out["finish_dates"] = {k: a.date(v).isoformat() for k, v in sim.finish.items()}
    out["task_finish_dates"] = {
        t: {k: a.date(v).isoformat() for k, v in q.items()} for t, q in sim.task_finish.items()
    }
    out["s_curve"] = [{"finish": f, "probability": p} for f, p in sim.s_curve]
    return out


def to_dict(a: Analysis, findings: list[Finding] | None = None) -> dict[str, Any]:
    """The analysis as one JSON-ready document (`ventureplan analyze --json`); `findings`
    replaces the analysis' own (the pipeline's list holds the lints too)."""
    doc: dict[str, Any] = {
        "plan": {
            "name": a.plan.name,
            "start": a.plan.start.isoformat(),
            "calendar": a.plan.calendar,
            "currency": a.plan.currency,
            "distribution": a.plan.distribution,
        },
        "schedule": {
            "finish_date": a.schedule.finish_date.isoformat(),
            "duration": a.schedule.duration,
            "critical_path": a.schedule.critical_path,
            "tasks": [
                {
                    **vars(t),
                    "start_date": t.start_date.isoformat(),
                    "finish_date": t.finish_date.isoformat(),
                }
                for t in a.schedule.tasks
            ],
        },
        "risks": _plain(a.risks),
        "simulation": _simulation_dict(a, a.simulation),
        "inherent": _simulation_dict(a, a.inherent) if a.inherent else None,
        "responses": _plain(a.responses),
        "budget": {**_plain(a.budget), "spend_by_category": a.spend_by_category},
        "evidence": _plain(a.evidence),
        "rehearsals": _plain(a.rehearsals),
        "evidence_simulation": _simulation_dict(a, a.evidence_simulation)
        if a.evidence_simulation
        else None,
        "progress": _plain(a.progress),
        "findings": [f.to_dict() for f in (a.findings if findings is None else findings)],
    }
    for key, value in a.sections.items():
        doc.setdefault(key, _plain(value))
    return doc
