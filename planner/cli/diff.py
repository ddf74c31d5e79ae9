from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..defaults import DEFAULT_ITERATIONS, DEFAULT_SEED, MAX_ITERATIONS
from ..load import LoadedPlan
from ..workshop.diff import (
    Delta,
    FinishDelta,
    PlanDiff,
    diff_files,
    entries,
    format_value,
    label,
    to_dict,
)
from .options import JsonFlag
from .output import print_json
from .output import safe as escape

if TYPE_CHECKING:
    from rich.console import Console

SHOWN_PATH = 12  # critical-path tasks shown before "…"

TITLES = {
    "tasks": "tasks",
    "risks": "risks",
    "goals": "goals",
    "team": "team roles",
    "routes": "routes",
    "budget.items": "budget items",
    "budget.revenue": "revenue streams",
    "stack": "stack",
}


def diff(
    old: Annotated[Path, typer.Argument(help="The earlier version of the plan file.")],
    new: Annotated[Path, typer.Argument(help="The later version of the plan file.")],
    iterations: Annotated[
        int,
        typer.Option(
            "--iterations",
            "-n",
            min=1,
            max=MAX_ITERATIONS,
            help="Monte Carlo iterations for each version.",
        ),
    ] = DEFAULT_ITERATIONS,
    seed: Annotated[
        int,
        typer.Option("--seed", min=0, help="Random seed, the same for both versions."),
    ] = DEFAULT_SEED,
    json_: JsonFlag = False,
) -> None:
    """Show what changed between two versions of a plan, and what it does to the numbers.

    Lists the tasks, risks, goals, roles, routes and budget lines added, removed and
    changed (field by field), then analyzes both versions with the same iterations and
    seed and shows how the P50/P80 finish, cost, runway and critical path moved.

    Example: ventureplan diff plan-v1.yaml plan.yaml --seed 7
    """
    a, b, result = diff_files(old, new, iterations=iterations, seed=seed)
    assert a.loaded is not None and b.loaded is not None
    if json_:
        print_json({"files": {"old": a.file, "new": b.file}, **to_dict(result)})
    else:
        _report(result, a.loaded, b.loaded)


def _signed(value: float | None, fmt: str, unit: str = "") -> str:
    if value is None:
        return "—"
    text = format(value, fmt)
    if text.lstrip("+-").strip("0.,") == "":  # no sign on a zero
        text = text.lstrip("+-")
    return f"{text} {unit}".rstrip()


def _report(d: PlanDiff, old: LoadedPlan, new: LoadedPlan) -> None:
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=True)
    if not d.changed and not d.effect.moved:
        console.print("No changes.")
        return
    console.print(f"[bold]{escape(old.file)}[/] → [bold]{escape(new.file)}[/]")
    if not d.changed:
        console.print("No changes to the plan's fields (the numbers below moved nonetheless).")

    if d.plan:
        console.print("\n[bold]plan[/]")
        for c in d.plan:
            console.print(
                f"  [yellow]~[/] {escape(c.path)}: {escape(format_value(c.old))} → "
                f"{escape(format_value(c.new))}"
            )

    for col in d.collections:
        if col.empty:
            continue
        console.print(f"\n[bold]{TITLES[col.name]}[/]")
        for key in col.added:
            name = label(entries(new.plan, col.name)[key])
            extra = f"  [dim]{escape(format_value(name))}[/]" if name and name != key else ""
            console.print(f"  [green]+ {escape(key)}[/]{extra}")
        for key in col.removed:
            name = label(entries(old.plan, col.name)[key])
            extra = f"  [dim]{escape(format_value(name))}[/]" if name and name != key else ""
            console.print(f"  [red]- {escape(key)}[/]{extra}")
        for item in col.changed:
            console.print(f"  [yellow]~ {escape(item.id)}[/]")
            for c in item.changes:
                console.print(
                    f"      {escape(c.path)}: {escape(format_value(c.old))} → "
                    f"{escape(format_value(c.new))}"
                )

    if d.measured_added or d.measured_removed:
        parts = [
            f"{n} run{'' if n == 1 else 's'} {word}"
            for n, word in ((d.measured_added, "added"), (d.measured_removed, "removed"))
            if n
        ]
        console.print(f"\n[bold]measured[/]\n  {', '.join(parts)}")

    if d.verdicts:
        console.print(
            "\n[bold]verdicts[/] [dim](from evidence; rehearsals and ignored runs settle "
            "nothing)[/]"
        )
        for v in d.verdicts:
            console.print(
                f"  {escape(v.goal)}: {_verdict(v.old, v.old_value, v.old_run)} → "
                f"{_verdict(v.new, v.new_value, v.new_run)}"
            )

    console.print()
    _effect(console, d, old, new)


def _verdict(word: str | None, value: float | None, run: str | None) -> str:
    if word is None:
        return "not settled"
    colour = "green" if word == "met" else "red"
    return f"[{colour}]{word}[/] ({value:.3f}, run {escape(run or '')})"


def _effect(console: Console, d: PlanDiff, old: LoadedPlan, new: LoadedPlan) -> None:
    from rich.table import Table

    e = d.effect
    cur = e.currency
    unit_old, unit_new = (
        "workdays" if p.plan.calendar == "workdays" else "days" for p in (old, new)
    )

    def finish(f: FinishDelta) -> tuple[str, str, str]:
        delta = (
            _signed(f.delta, "+.1f", unit_new)
            if unit_old == unit_new
            else _signed(f.delta_days, "+d", "days")
        )
        return f"{f.old_date} ({f.old:.1f})", f"{f.new_date} ({f.new:.1f})", delta

    def money(x: Delta) -> tuple[str, str, str]:
        def m(v: float | None) -> str:
            return "—" if v is None else f"{v:,.0f} {cur}"

        return m(x.old), m(x.new), _signed(x.delta, "+,.0f", cur)

    def runway(v: float | None) -> str:
        return "never runs out" if v is None else f"{v:.1f} months"

    def even(v: float | None) -> str:
        return "not reached" if v is None else f"month {v:.0f}"

    def share(v: float | None) -> str:
        return "—" if v is None else f"{v:.0%}"

    pc = e.p_cash_out
    table = Table(
        title=f"Effect ({e.iterations:,} iterations, seed {e.seed} for both)",
        title_justify="left",
        caption=f"finish: date (and {unit_new} from the start)"
        if unit_old == unit_new
        else f"finish: date (and {unit_old} → {unit_new} from the start)",
        caption_justify="left",
    )
    table.add_column("", no_wrap=True)
    for col in ("old", "new", "Δ"):
        table.add_column(col, justify="right", no_wrap=True)
    table.add_row("P50 finish", *finish(e.finish_p50))
    table.add_row("P80 finish", *finish(e.finish_p80))
    table.add_row("deterministic finish", *finish(e.deterministic_finish))
    table.add_row("cost P50", *money(e.cost_p50))
    table.add_row("cost P80", *money(e.cost_p80))
    r, b = e.runway_months, e.break_even_month
    table.add_row("runway", runway(r.old), runway(r.new), _signed(r.delta, "+.1f", "months"))
    table.add_row("break-even", even(b.old), even(b.new), _signed(b.delta, "+.0f", "months"))
    table.add_row(
        "P(cash out)",
        share(pc.old),
        share(pc.new),
        _signed(None if pc.delta is None else pc.delta * 100, "+.0f", "pp"),
    )
    console.print(table)

    def path(ids: list[str]) -> str:
        more = " …" if len(ids) > SHOWN_PATH else ""
        return escape(" → ".join(ids[:SHOWN_PATH])) + more

    if e.critical_path_old == e.critical_path_new:
        console.print(f"Critical path (unchanged): {path(e.critical_path_new)}")
    else:
        console.print(f"Critical path: was {path(e.critical_path_old)}")
        console.print(f"               now {path(e.critical_path_new)}")
