"""`ventureplan loadtest`: the model API under load, and the serving record."""

from __future__ import annotations

from typing import Annotated

import typer

from ..load import load_plan
from ..quantities import small_amount
from ..records import ServingRecord
from ..serving import loadtest_route
from .options import PlanFile, Width
from .output import console, for_person, joined, print_warnings, safe, say


def loadtest(
    plan: PlanFile,
    run: Annotated[
        str | None,
        typer.Option(
            "--run",
            help="The run to serve: an optimisation (its chosen variant) or a training run "
            "(default: the route's newest optimisation, else its newest training run).",
        ),
    ] = None,
    route: Annotated[
        str | None, typer.Option("--route", help="Route id (default: the chosen route).")
    ] = None,
    concurrency: Annotated[
        int, typer.Option("--concurrency", "-c", help="Clients sending at once (1-256).")
    ] = 16,
    duration: Annotated[
        float, typer.Option("--duration", "-d", help="Seconds of load (0.5-3600).")
    ] = 30.0,
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            help="Drive an API already running there instead of starting one (its key in "
            "VENTUREPLAN_API_KEY).",
        ),
    ] = None,
    write_back: Annotated[
        bool, typer.Option("--write-back/--no-write-back", help="Append the record to the plan.")
    ] = True,
    width: Width = None,
) -> None:
    """Start the model API on 127.0.0.1 (or drive `--url`), send it the test split's real
    texts from N concurrent clients for the duration, and append a `kind: serving` record:
    p50/p95/p99 latency (p95 with its 95% interval), throughput, error rate, and the cost of
    1,000 requests from `serve.price_per_hour`. Goals on those metrics get verdicts.

    Example: ventureplan loadtest plan.yaml --concurrency 16 --duration 30
    """
    record, warnings = loadtest_route(
        plan, run, route, concurrency=concurrency, duration=duration, url=url, write_back=write_back
    )
    print_warnings(warnings)
    out, wrap = console(width), for_person(width)
    # on a terminal each line wraps between words; piped (a log), each stays one line
    for line in summary(record, load_plan(plan).plan.currency):
        say(out, safe(line), hanging=4, one_line=not wrap)
    say(
        out,
        safe(f"Wrote the record to {plan}")
        if write_back
        else "The plan was not changed (--no-write-back)",
        one_line=not wrap,
    )


def summary(record: ServingRecord, currency: str = "") -> list[str]:
    s = record.serving
    served = f"variant {record.variant} of run" if record.variant else "run"
    lines = [
        f"Load test {record.run} of {served} {record.source_run} ({record.device}):",
        f"  {s.requests:,} requests from {s.concurrency} clients in "
        f"{joined(f'{s.duration_s:.1f} s')}, "
        f"{s.throughput_per_s:,.1f} answered per second, error rate {s.error_rate:.2%}",
        f"  latency p50 {joined(f'{s.latency_p50_ms:.1f} ms')}, "
        f"p95 {joined(f'{s.latency_p95_ms:.1f} ms')}, "
        f"p99 {joined(f'{s.latency_p99_ms:.1f} ms')}",
    ]
    if s.texts_over_max_chars:
        lines.append(
            f"  {s.texts_over_max_chars} of the test texts are longer than serve.max_chars; "
            "the API refused them (422, counted as errors): raise max_chars to serve them"
        )
    if s.cost_per_1k_requests is not None:
        lines.append(
            "  cost per 1,000 requests "
            + joined(f"{small_amount(s.cost_per_1k_requests)} {currency}".strip())
            + " (at serve.price_per_hour)"
        )
    for gid, g in record.goals.items():
        verdict = "not settled" if g.met is None else ("met" if g.met else "missed")
        if record.rehearsal and g.met is not None:
            verdict += " in rehearsal"
        miss = f" (P(miss) {g.p_miss:.0%})" if g.p_miss is not None else ""
        target = f" vs target {g.target:g}" if g.target is not None else ""
        lines.append(f"  goal {gid}: {g.value:.4g}{target}: {verdict}{miss}")
    if record.rehearsal:
        lines.append("A rehearsal, not evidence (" + "; ".join(record.rehearsal_reasons) + ")")
    return lines
