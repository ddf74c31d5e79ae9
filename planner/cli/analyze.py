from __future__ import annotations

from typing import Any

from .. import pipeline
from ..analysis import to_dict
from ..defaults import DEFAULT_ITERATIONS, DEFAULT_SEED
from ..errors import Finding
from ..evidence import Basis, Evidence
from ..results import Analysis, small_amount
from .options import Iterations, JsonFlag, PlanFile, Seed
from .output import print_findings, print_json
from .output import safe as escape

MAX_ROWS = 30


def analyze_command(
    plan: PlanFile,
    iterations: Iterations = DEFAULT_ITERATIONS,
    seed: Seed = DEFAULT_SEED,
    json_: JsonFlag = False,
) -> None:
    """Schedule the plan, score its risks, simulate it and check the money.

    Prints the critical path, the finish date at P10/P50/P80/P95, the cost, the risk
    register, what drives the finish, the runway, and what measured runs imply.

    Example: ventureplan analyze plan.yaml --iterations 20000 --seed 7
    """
    outcome = pipeline.analyze(plan, iterations=iterations, seed=seed)
    assert outcome.analysis is not None
    if json_:
        print_json(to_dict(outcome.analysis, outcome.findings))
    else:
        _report(outcome.analysis, outcome.file, outcome.findings)


def _money(value: float, currency: str) -> str:
    return f"{value:,.0f} {currency}"


def _report(a: Analysis, file: str, findings: list[Finding]) -> None:
    from rich.console import Console
    from rich.table import Table

    plan, sim, sched = a.plan, a.simulation, a.schedule
    cur = plan.currency
    console = Console(highlight=False, soft_wrap=True)
    unit = "workdays" if plan.calendar == "workdays" else "days"
    console.print(f"[bold]{escape(plan.name)}[/] — starts {plan.start}, durations in {unit}")

    crit = set(sched.critical_path)
    rows = sched.tasks if len(sched.tasks) <= MAX_ROWS else [t for t in sched.tasks if t.id in crit]
    table = Table(title="Schedule (likely durations)", title_justify="left")
    for col, just in (
        ("task", "left"),
        ("start", "left"),
        ("finish", "left"),
        ("days", "right"),
        ("slack", "right"),
        ("critical", "center"),
    ):
        if col == "task":
            table.add_column(col, ratio=1, overflow="fold")
        else:
            table.add_column(col, justify=just, no_wrap=True)  # type: ignore[arg-type]
    for t in rows[:MAX_ROWS]:
        label = escape(t.name or t.id) + (" ◆" if t.milestone else "")
        table.add_row(
            label,
            str(t.start_date),
            str(t.finish_date),
            f"{t.duration:g}",
            f"{t.slack:.1f}",
            "[red]●[/]" if t.critical else "",
        )
    console.print(table)
    if len(rows) < len(sched.tasks):
        console.print(
            f"[dim]{len(sched.tasks) - len(rows)} tasks off the critical path not shown; "
            "use --json[/]"
        )
    console.print(
        f"Deterministic finish: [bold]{sched.finish_date}[/] ({sched.duration:g} {unit}); "
        f"critical path: {escape(' → '.join(sched.critical_path[:12]))}"
        + (" …" if len(sched.critical_path) > 12 else "")
    )

    planned = "; as planned, responses in effect" if a.responses else ""
    table = Table(
        title=f"Monte Carlo: {sim.iterations:,} iterations, seed {sim.seed}{planned}",
        title_justify="left",
    )
    for col in ("", "P10", "P50", "P80", "P95"):
        table.add_column(col, justify="right")
    table.add_row(
        "finish date", *(str(a.date(sim.finish[k])) for k in ("p10", "p50", "p80", "p95"))
    )
    table.add_row(unit, *(f"{sim.finish[k]:.1f}" for k in ("p10", "p50", "p80", "p95")))
    table.add_row(f"cost ({cur})", "", *(f"{sim.cost[k]:,.0f}" for k in ("p50", "p80", "p95")))
    inherent = a.inherent
    if inherent is not None and a.responses:
        table.add_row(
            "finish, no responses",
            *(str(a.date(inherent.finish[k])) for k in ("p10", "p50", "p80", "p95")),
        )
        table.add_row(
            f"cost, no responses ({cur})",
            "",
            *(f"{inherent.cost[k]:,.0f}" for k in ("p50", "p80", "p95")),
        )
    if a.evidence_simulation:
        measured = a.evidence_simulation
        table.add_row(
            "finish, measured risks",
            *(str(a.date(measured.finish[k])) for k in ("p10", "p50", "p80", "p95")),
        )
    console.print(table)

    if a.risks:
        table = Table(title="Risk register (by exposure)", title_justify="left")
        table.add_column("risk", ratio=1, overflow="fold")
        for col in ("category", "p × impact", "score", "EMV", "after", "response"):
            table.add_column(
                col, justify="right" if col in ("score", "EMV") else "left", no_wrap=True
            )
        colour = {"low": "green", "medium": "yellow", "high": "red", "critical": "bold red"}
        for r in a.risks:
            table.add_row(
                escape(r.title),
                r.category,
                f"{r.probability:.0%} × {r.impact}",
                f"[{colour[r.level]}]{r.score} {r.level}[/]",
                _money(r.emv, cur),
                f"[{colour[r.residual_level]}]{r.residual_score} {r.residual_level}[/]",
                r.response or "",
            )
        console.print(table)

    if a.responses:
        table = Table(
            title="What each response buys at P80 (the plan without just that response, "
            "minus the plan as planned)",
            title_justify="left",
        )
        table.add_column("risk", ratio=1, overflow="fold")
        for col in ("response", f"{unit} saved", "cost saved", "mitigation cost"):
            table.add_column(col, justify="left" if col == "response" else "right", no_wrap=True)
        titles = {r.id: r.title for r in plan.risks}
        for e in a.responses:
            table.add_row(
                escape(titles.get(e.risk, e.risk)),
                e.response,
                f"{e.p80_days_saved:.1f}",
                _money(e.p80_cost_saved, cur),
                _money(e.mitigation_cost, cur),
            )
        console.print(table)
        if sim.responses_sample < sim.iterations:
            console.print(f"[dim]from the first {sim.responses_sample:,} iterations[/]")

    drivers = sim.sensitivity[:8]
    if drivers:
        table = Table(
            title="What drives the finish (rank correlation) and how often tasks are critical",
            title_justify="left",
        )
        table.add_column("driver", ratio=1, overflow="fold")
        table.add_column("kind", no_wrap=True)
        table.add_column("ρ", justify="right", no_wrap=True)
        table.add_column("", no_wrap=True)
        table.add_column("critical in", justify="right", no_wrap=True)
        names = {t.id: t.name or t.id for t in plan.tasks} | {r.id: r.title for r in plan.risks}
        for s in drivers:
            bar = "█" * round(abs(s.rho) * 20)
            share = (
                f"{sim.criticality[s.id]:.0%}"
                if s.kind == "task"
                else f"occurs {sim.risk_occurrence[s.id]:.0%}"
            )
            table.add_row(escape(names[s.id]), s.kind, f"{s.rho:+.2f}", bar, share)
        console.print(table)

    b = a.budget
    runway = (
        f"runway {b.runway_months:.1f} months (cash out around {b.cash_out_date})"
        if b.runway_months is not None
        else f"cash never runs out (lowest {_money(b.lowest_cash, cur)} "
        f"in month {b.lowest_cash_month})"
    )
    even = f"month {b.break_even_month}" if b.break_even_month else "not reached"
    console.print(
        f"Budget: burn {_money(b.monthly_burn, cur)}/month (team {_money(b.team_monthly, cur)}); "
        f"{runway}; break-even {even}; "
        f"chance of running out of cash before the finish: {b.p_cash_out:.0%}"
    )

    for ev in [*a.evidence, *a.rehearsals]:
        if ev.basis is not None:
            console.print(f"[dim]{escape(_basis(ev.basis))}[/]")
        for g in ev.goals:
            verdict = (
                "[green]met[/]" if g.met else "[red]missed[/]" if g.met is False else "no target"
            )
            if ev.rehearsal:
                verdict = f"{verdict} [yellow](rehearsal: counts for nothing)[/]"
            elif not g.settles:
                verdict = f"{verdict} [yellow](measured on other data than {escape(g.about)})[/]"
            ci = f" (95% CI {g.interval[0]:.3f}–{g.interval[1]:.3f})" if g.interval else ""
            pm = f", P(miss) {g.p_miss:.0%}" if g.p_miss is not None else ""
            console.print(
                f"{'Rehearsed' if ev.rehearsal else 'Measured'} "
                f"({escape(ev.route)}, run {escape(ev.run)}): goal {escape(g.goal)} "
                f"{g.metric} = {g.value:.3f}{ci} vs target {g.direction} {g.target}: {verdict}{pm}"
            )
        for re_ in ev.risks:
            console.print(
                f"  risk {escape(re_.risk)}: your probability {re_.probability:.0%}, "
                f"measured {re_.measured_probability:.0%}"
            )
        if ev.forecast:
            parts = ", ".join(f"{k.replace('_', ' ')} {v:,.2f}" for k, v in ev.forecast.items())
            console.print(f"  full-scale forecast: {escape(parts)}")
        if ev.variants:
            _variants(console, ev)
        if ev.serving:
            console.print("  " + escape(serving_line(ev.serving, a.plan.currency)))

    print_findings(console, file, findings, hints=False)


def _variants(console: Any, ev: Evidence) -> None:
    """An optimisation's variants as measured, the chosen one marked."""
    from rich.table import Table

    source = escape(ev.basis.source_run or "") if ev.basis and ev.basis.source_run else ""
    table = Table(
        title=f"Variants of run {source}: latency in ms at batch 1, texts/s at batch 32, "
        "size in MB, parameters in millions",
        box=None,
        padding=(0, 1),
        title_justify="left",
    )
    table.add_column("variant", no_wrap=True)
    for head in ("p50", "p95", "/s", "MB", "M", "macro-F1", "change", "agree"):
        table.add_column(head, justify="right", no_wrap=True)

    def num(value: float | None, spec: str) -> str:
        return "" if value is None else format(value, spec)

    for v in ev.variants:
        name = escape(v.name) + (" [bold]*[/]" if v.name == ev.chosen else "")
        table.add_row(
            name,
            num(v.latency_p50_ms, ".1f"),
            num(v.latency_p95_ms, ".1f"),
            num(v.throughput_per_s, ",.0f"),
            num(v.size_mb, ".1f"),
            num(v.params_millions, ".1f"),
            num(v.macro_f1, ".3f"),
            num(v.change, "+.3f"),
            "" if v.agreement is None else f"{v.agreement:.1%}",
        )
    console.print(table)
    if ev.chosen is None:
        console.print("No variant is within max_metric_drop and meets the quality goals.")
    else:
        console.print(
            f"* chosen: {escape(ev.chosen)}, the fastest within max_metric_drop that meets "
            "the quality goals"
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
    """A load test's figures in one line."""
    parts = [f"{int(s.get('requests', 0)):,} requests from {int(s.get('concurrency', 0))} clients"]
    if "duration_s" in s:
        parts[0] += f" in {s['duration_s']:.0f} s"
    if "throughput_per_s" in s:
        parts.append(f"{s['throughput_per_s']:,.1f} requests/s")
    lat = [
        f"{p} {s[f'latency_{p}_ms']:.1f}" for p in ("p50", "p95", "p99") if f"latency_{p}_ms" in s
    ]
    if lat:
        parts.append("latency " + ", ".join(lat) + " ms")
    if "error_rate" in s:
        parts.append(f"errors {s['error_rate']:.2%}")
    if "cost_per_1k_requests" in s:
        parts.append(f"{small_amount(s['cost_per_1k_requests'])} {currency} per 1,000 requests")
    return "Serving: " + "; ".join(parts)
