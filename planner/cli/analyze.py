from __future__ import annotations

from typing import TYPE_CHECKING

from .. import pipeline, quantities
from ..analysis import to_dict
from ..defaults import DEFAULT_ITERATIONS, DEFAULT_SEED
from ..errors import Finding
from ..evidence import Basis, Evidence, GoalEvidence
from ..results import Analysis
from .options import Iterations, JsonFlag, PlanFile, Seed, Width
from .output import (
    Col,
    console,
    fit,
    for_person,
    joined,
    money,
    number,
    print_findings,
    print_json,
    say,
)
from .output import safe as escape
from .progress_view import show_progress

if TYPE_CHECKING:
    from rich.console import Console

MAX_ROWS = 30
SHOWN_PATH = 12  # critical-path tasks named before "…"
LEFT = {"title_justify": "left"}


def analyze_command(
    plan: PlanFile,
    iterations: Iterations = DEFAULT_ITERATIONS,
    seed: Seed = DEFAULT_SEED,
    json_: JsonFlag = False,
    width: Width = None,
) -> None:
    """Schedule the plan, score its risks, simulate it and check the money.

    Prints the critical path, the finish date at P10/P50/P80/P95, the cost, the risk
    register, what drives the finish, the runway, and what measured runs imply, laid out
    for the terminal's width (`--width` to choose one).

    Example: ventureplan analyze plan.yaml --iterations 20000 --seed 7
    """
    outcome = pipeline.analyze(plan, iterations=iterations, seed=seed)
    assert outcome.analysis is not None
    if json_:
        print_json(to_dict(outcome.analysis, outcome.findings))
    else:
        _report(outcome.analysis, outcome.file, outcome.findings, width)


def measure(key: str, value: float, currency: str) -> str:
    """A measurement with its unit, from the shared catalogue, kept on one line."""
    return joined(quantities.value(key, value, currency))


def _report(a: Analysis, file: str, findings: list[Finding], width: int | None) -> None:
    out = console(width)
    plan = a.plan
    unit = "workdays" if plan.calendar == "workdays" else "days"
    say(out, f"[bold]{escape(plan.name)}[/] — starts {plan.start}, durations in {unit}")
    _schedule(out, a, unit)
    _simulation(out, a, unit)
    _risks(out, a)
    _responses(out, a, unit)
    _drivers(out, a)
    show_progress(out, a, unit)
    _budget(out, a)
    for ev in [*a.evidence, *a.rehearsals]:
        _evidence(out, ev, plan.currency)
    print_findings(out, file, findings, hints=False, wrap=for_person(width))


def _schedule(out: Console, a: Analysis, unit: str) -> None:
    sched = a.schedule
    if not sched.tasks:
        say(
            out,
            "No tasks yet, so nothing to schedule: add tasks, each with an estimate "
            "(optimistic, likely, pessimistic).",
        )
        return
    crit = set(sched.critical_path)
    rows = sched.tasks if len(sched.tasks) <= MAX_ROWS else [t for t in sched.tasks if t.id in crit]
    columns = [
        Col("task", flex=True, want=24),
        Col("start", drop=3),
        Col("finish"),
        Col("days", "right"),
        Col("slack", "right", drop=2),
        Col("critical", "center", short="crit", drop=1),
    ]
    cells = [
        [
            escape(t.name or t.id) + (" ◆" if t.milestone else ""),
            str(t.start_date),
            str(t.finish_date),
            number(t.duration),
            number(t.slack),
            "[red]●[/]" if t.critical else "",
        ]
        for t in rows[:MAX_ROWS]
    ]
    how = ", levelled" if a.plan.schedule == "leveled" else ""
    if a.plan.status_date is not None:
        how += f", from the status date {a.plan.status_date}"
        title = f"Schedule{how} (likely durations, work in progress its remaining, in {unit})"
    else:
        title = f"Schedule{how} (likely durations, in {unit})"
    out.print(fit(out.width, columns, cells, title=title, **LEFT))
    if len(rows) < len(sched.tasks):
        say(
            out,
            f"[dim]{len(sched.tasks) - len(rows)} tasks off the critical path not shown; "
            "use --json[/]",
        )
    path = sched.critical_path
    named = escape(" → ".join(path[:SHOWN_PATH])) + (" …" if len(path) > SHOWN_PATH else "")
    say(
        out,
        f"Deterministic finish: [bold]{sched.finish_date}[/] "
        f"({joined(number(sched.duration) + ' ' + unit)})"
        + (f"; critical path: {named}" if path else ""),
        hanging=2,
    )


def _simulation(out: Console, a: Analysis, unit: str) -> None:
    plan, sim = a.plan, a.simulation
    if not plan.tasks and not plan.risks:
        say(out, "Monte Carlo: nothing to simulate yet (no tasks and no risks).")
        return
    cur = plan.currency
    keys = ("p10", "p50", "p80", "p95")
    planned = "; as planned, responses in effect" if a.responses else ""
    columns = [
        Col("", flex=True, want=12),
        Col("P10", "right", drop=2),
        Col("P50", "right"),
        Col("P80", "right"),
        Col("P95", "right", drop=1),
    ]
    rows = [
        ["finish date", *(str(a.date(sim.finish[k])) for k in keys)],
        [unit, *(number(sim.finish[k]) for k in keys)],
        [f"cost ({cur})", "", *(f"{sim.cost[k]:,.0f}" for k in keys[1:])],
    ]
    inherent = a.inherent
    if inherent is not None and a.responses:
        rows.append(["finish, no responses", *(str(a.date(inherent.finish[k])) for k in keys)])
        rows.append(
            [f"cost, no responses ({cur})", "", *(f"{inherent.cost[k]:,.0f}" for k in keys[1:])]
        )
    if a.evidence_simulation:
        measured = a.evidence_simulation
        rows.append(["finish, measured risks", *(str(a.date(measured.finish[k])) for k in keys)])
    title = f"Monte Carlo: {sim.iterations:,} iterations, seed {sim.seed}{planned}"
    out.print(fit(out.width, columns, [[escape(c) for c in r] for r in rows], title=title, **LEFT))


COLOUR = {"low": "green", "medium": "yellow", "high": "red", "critical": "bold red"}


def _risks(out: Console, a: Analysis) -> None:
    if not a.risks:
        say(out, "No risks in the register yet.")
        return
    cur = a.plan.currency
    columns = [
        Col("risk", flex=True),
        Col("category", drop=5),
        Col("p × impact", short="p×i", drop=2),
        Col("score", "right"),
        Col("EMV", "right", drop=1),
        Col("after", drop=4),
        Col("response", drop=3),
    ]
    rows = [
        [
            escape(r.title),
            r.category,
            joined(f"{r.probability:.0%} × {r.impact}"),
            f"[{COLOUR[r.level]}]{joined(f'{r.score} {r.level}')}[/]",
            money(r.emv, cur),
            f"[{COLOUR[r.residual_level]}]{joined(f'{r.residual_score} {r.residual_level}')}[/]",
            r.response or "",
        ]
        for r in a.risks
    ]
    out.print(fit(out.width, columns, rows, title="Risk register (by exposure)", **LEFT))


def _responses(out: Console, a: Analysis, unit: str) -> None:
    if not a.responses:
        return
    cur, sim = a.plan.currency, a.simulation
    columns = [
        Col("risk", flex=True),
        Col("response", drop=3),
        Col(f"{unit} saved", "right"),
        Col("cost saved", "right", drop=1),
        Col("mitigation cost", "right", drop=2),
    ]
    titles = {r.id: r.title for r in a.plan.risks}
    rows = [
        [
            escape(titles.get(e.risk, e.risk)),
            e.response,
            number(e.p80_days_saved),
            money(e.p80_cost_saved, cur),
            money(e.mitigation_cost, cur),
        ]
        for e in a.responses
    ]
    title = (
        "What each response buys at P80 (the plan without just that response, minus the plan "
        "as planned)"
    )
    out.print(fit(out.width, columns, rows, title=title, **LEFT))
    if sim.responses_sample < sim.iterations:
        say(out, f"[dim]from the first {sim.responses_sample:,} iterations[/]")


def _drivers(out: Console, a: Analysis) -> None:
    plan, sim = a.plan, a.simulation
    drivers = sim.sensitivity[:8]
    if not drivers:
        return
    columns = [
        Col("driver", flex=True),
        Col("kind", drop=2),
        Col("ρ", "right"),
        Col("", drop=1),
        Col("critical in", "right", short="critical"),
    ]
    names = {t.id: t.name or t.id for t in plan.tasks} | {r.id: r.title for r in plan.risks}
    rows = [
        [
            escape(names[s.id]),
            s.kind,
            f"{s.rho:+.2f}",
            "█" * round(abs(s.rho) * 10),
            f"{sim.criticality[s.id]:.0%}"
            if s.kind == "task"
            else joined(f"occurs {sim.risk_occurrence[s.id]:.0%}"),
        ]
        for s in drivers
    ]
    title = "What drives the finish (rank correlation) and how often tasks are critical"
    out.print(fit(out.width, columns, rows, title=title, **LEFT))


def _budget(out: Console, a: Analysis) -> None:
    plan, b, cur = a.plan, a.budget, a.plan.currency
    money_in = plan.budget.cash or plan.budget.revenue or plan.budget.inflows
    if not plan.team and not (money_in or plan.budget.items):
        say(
            out,
            "Budget: none yet (no team, cash, costs or revenue): add team roles with "
            "their monthly cost, and budget: cash, items and revenue.",
            hanging=2,
        )
        return

    def runway_of(months: float | None, date: object) -> str:
        if months is None:
            return "cash never runs out"
        return f"runway {joined(number(months) + ' months')} (cash out around {date})"

    raising = b.raise_probability is not None and plan.funding is not None
    runway = (
        runway_of(b.runway_months, b.cash_out_date)
        if b.runway_months is not None or raising
        else f"cash never runs out (lowest {money(b.lowest_cash, cur)} "
        f"in {joined(f'month {b.lowest_cash_month}')})"
    )
    chance = (
        ""
        if b.p_cash_out is None
        else (f"; chance of running out of cash before the finish: {b.p_cash_out:.0%}")
    )
    if raising and plan.funding is not None:
        f = plan.funding
        name = f"the {escape(f.round)} round" if f.round else "the raise"
        arrives = f"{money(f.ask, cur)} in {joined(f'month {f.month}')}"
        if b.runway_months is None and b.runway_months_without_raise is None:
            runway = f"cash never runs out, whether or not {name} ({arrives}) closes"
        else:
            runway = (
                f"{runway} if {name} ({arrives}) closes, "
                f"{runway_of(b.runway_months_without_raise, b.cash_out_date_without_raise)} "
                "if it does not"
            )
        if b.p_cash_out_with_raise is not None and b.p_cash_out_without_raise is not None:
            chance += (
                f" ({b.p_cash_out_with_raise:.0%} if {name} closes in "
                f"{joined(f'month {f.month}')}, {b.p_cash_out_without_raise:.0%} if it does "
                f"not; {b.raise_probability:.0%} chance it closes)"
            )
    even = joined(f"month {b.break_even_month}") if b.break_even_month else "not reached"
    flows = plan.budget.inflows
    if flows:  # grants and loans: named, so the runway they lengthen is explained
        parts = [
            f"{f.kind} {escape(f.id)} {money(f.amount, cur)} in {joined(f'month {f.month}')}"
            + (
                f", repaid {money(f.repay, cur)}/month × {f.repay_months} from "
                f"{joined(f'month {f.first_repayment}')}"
                if f.repay_months
                else ""
            )
            for f in flows
        ]
        runway += f" (counting {'; '.join(parts)})"
    say(
        out,
        f"Budget: burn {money(b.monthly_burn, cur)}/month (team {money(b.team_monthly, cur)}); "
        f"{runway}; break-even {even}{chance}",
        hanging=2,
    )


def _evidence(out: Console, ev: Evidence, cur: str) -> None:
    if ev.basis is not None:
        say(out, f"[dim]{escape(_basis(ev.basis))}[/]", hanging=2)
    for g in ev.goals:
        say(out, _verdict(ev, g, cur), hanging=2)
    for re_ in ev.risks:
        say(
            out,
            f"  risk {escape(re_.risk)}: your probability {re_.probability:.0%}, "
            f"measured {re_.measured_probability:.0%}",
            hanging=4,
        )
    if ev.forecast:
        parts = ", ".join(
            f"{quantities.label(k)} {measure(k, v, cur)}" for k, v in ev.forecast.items()
        )
        say(out, f"  full-scale forecast: {escape(parts)}", hanging=4)
    if ev.variants:
        _variants(out, ev)
    if ev.serving:
        say(out, "  " + escape(serving_line(ev.serving, cur)), hanging=4)


def _verdict(ev: Evidence, g: GoalEvidence, cur: str) -> str:
    """`Measured (route, run R): goal G macro-F1 = 0.955 (95% CI …) vs target >= 0.9: met`."""
    verdict = "[green]met[/]" if g.met else "[red]missed[/]" if g.met is False else "no target"
    if ev.rehearsal:
        verdict = f"{verdict} [yellow](rehearsal: counts for nothing)[/]"
    elif not g.settles:
        verdict = f"{verdict} [yellow](measured on other data than {escape(g.about)})[/]"
    key = g.metric or ""
    ci = ""
    if g.interval:
        low, high = (quantities.value(key, x, cur) for x in g.interval)
        ci = f" ({joined(f'95% CI {low}–{high}')})"
    pm = f", P(miss) {g.p_miss:.0%}" if g.p_miss is not None else ""
    target = (
        f" vs target {joined(f'{g.direction} {quantities.target(key, g.target, cur)}')}"
        if g.target is not None
        else ""
    )
    return (
        f"{'Rehearsed' if ev.rehearsal else 'Measured'} "
        f"({escape(ev.route)}, run {escape(ev.run)}): goal {escape(g.goal)} "
        f"{escape(quantities.label(key))} = {measure(key, g.value, cur)}{ci}{target}: "
        f"{verdict}{pm}"
    )


# (record field, header, the header where space is short, dropped first: highest)
VARIANT_COLUMNS = (
    ("latency_p50_ms", "p50", 0),
    ("latency_p95_ms", "p95", 3),
    ("throughput_per_s", "/s", 0),
    ("size_mb", "MB", 0),
    ("params_millions", "M", 4),
    ("macro_f1", "macro-F1", 0),
    ("change", "change", 2),
    ("agreement", "agree", 1),
)


def _column(key: str, values: list[float | None]) -> list[str]:
    """A column of variants' figures: the catalogue's rounding, the same decimals down the
    column (none where every figure is whole); the units are in the table's title."""
    q = quantities.CATALOGUE[key]
    if q.unit in ("score", "share"):
        return ["" if v is None else quantities.value(key, v) for v in values]
    whole = all(v is None or float(v).is_integer() for v in values)
    return ["" if v is None else quantities.number(v, 0 if whole else q.digits) for v in values]


def _variants(out: Console, ev: Evidence) -> None:
    """An optimisation's variants as measured, the chosen one marked."""
    source = escape(ev.basis.source_run or "") if ev.basis and ev.basis.source_run else ""
    columns = [Col("variant", flex=True, want=16, breaks="-")] + [
        Col(head, "right", drop=drop) for _, head, drop in VARIANT_COLUMNS
    ]
    figures = [
        _column(key, [getattr(v, key) for v in ev.variants]) for key, _, _ in VARIANT_COLUMNS
    ]
    rows = [
        [escape(v.name) + (" [bold]*[/]" if v.name == ev.chosen else "")]
        + [column[n] for column in figures]
        for n, v in enumerate(ev.variants)
    ]
    title = (
        f"Variants of run {source}: latency in ms at batch 1, texts/s at batch 32, "
        "size in MB, parameters in millions"
    )
    out.print(fit(out.width, columns, rows, title=title, box=None, padding=(0, 1), **LEFT))
    if ev.chosen is None:
        say(out, "No variant is within max_metric_drop and meets the quality goals.")
    else:
        say(
            out,
            f"* chosen: {escape(ev.chosen)}, the fastest within max_metric_drop that meets "
            "the quality goals",
            hanging=2,
        )


def _basis(b: Basis) -> str:
    """What a verdict rests on, in one line."""
    parts = [f"run {b.run}"]
    if b.dataset:
        lic = f", licence {b.licence}" if b.licence else ""
        warn = " (forbids commercial use)" if b.commercial_use is False else ""
        parts.append(f"data {b.dataset}{lic}{warn}")
    if b.kind == "optimization":
        parts.append(f"variant {b.variant or '(none chosen)'} of run {b.source_run}")
        if b.test is not None:
            parts.append(f"timed and scored on {b.test:,} test texts")
    elif b.kind == "serving":
        served = f"variant {b.variant} of run" if b.variant else "run"
        parts.append(f"load test of the API serving {served} {b.source_run}")
    elif b.train is not None:
        parts.append(f"{b.train:,} train / {b.test or 0:,} test examples")
    if b.device:
        parts.append(b.device)
    if b.epochs is not None:
        parts.append(f"{b.epochs} epoch{'' if b.epochs == 1 else 's'}")
    if b.rehearsal:
        parts.append("rehearsal: " + "; ".join(b.reasons or ["capped"]))
    return ("Rehearsal, not evidence: " if b.rehearsal else "Evidence: ") + ", ".join(parts)


def serving_line(s: dict[str, float], currency: str) -> str:
    """A load test's figures in one line, each with its unit (kept beside its number)."""

    def q(key: str) -> str:
        return measure(key, s[key], currency)

    head = f"{q('requests') if 'requests' in s else 0} requests"
    if "concurrency" in s:
        head += f" from {q('concurrency')} clients"
    if "duration_s" in s:
        head += f" in {q('duration_s')}"
    parts = [head]
    if "throughput_per_s" in s:
        parts.append(f"throughput {q('throughput_per_s')}")
    lat = [f"{p} {q(f'latency_{p}_ms')}" for p in ("p50", "p95", "p99") if f"latency_{p}_ms" in s]
    if lat:
        parts.append("latency " + ", ".join(lat))
    if "error_rate" in s:
        parts.append(f"error rate {q('error_rate')}")
    if "cost_per_1k_requests" in s:
        parts.append(f"cost per 1,000 requests {q('cost_per_1k_requests')}")
    return "Serving: " + "; ".join(parts)
