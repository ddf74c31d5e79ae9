from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .. import quantities
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
from .options import JsonFlag, Width
from .output import Col, console, fit, joined, money, number, print_json, say
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
    width: Width = None,
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
        _report(result, a.loaded, b.loaded, width)


def _signed(value: float | None, unit: str = "", *, whole: bool = False) -> str:
    """A change with its sign and unit (none on a zero): "+4 workdays", "-5.4 months"."""
    if value is None:
        return "—"
    text = f"{abs(value):,.0f}" if whole else number(abs(value))
    sign = "" if text.strip("0.,") == "" else "+" if value > 0 else "-"
    return joined(f"{sign}{text} {unit}".rstrip())


def _report(d: PlanDiff, old: LoadedPlan, new: LoadedPlan, width: int | None) -> None:
    out = console(width)
    if not d.changed and not d.effect.moved:
        say(out, "No changes.")
        return
    say(out, f"[bold]{escape(old.file)}[/] → [bold]{escape(new.file)}[/]", hanging=2)
    if not d.changed:
        say(out, "No changes to the plan's fields (the numbers below moved nonetheless).")

    if d.plan:
        say(out, "\n[bold]plan[/]")
        for c in d.plan:
            say(
                out,
                f"  [yellow]~[/] {escape(c.path)}: {escape(format_value(c.old))} → "
                f"{escape(format_value(c.new))}",
                hanging=6,
            )

    for col in d.collections:
        if col.empty:
            continue
        say(out, f"\n[bold]{TITLES[col.name]}[/]")
        for key in col.added:
            name = label(entries(new.plan, col.name)[key])
            extra = f"  [dim]{escape(format_value(name))}[/]" if name and name != key else ""
            say(out, f"  [green]+ {escape(key)}[/]{extra}", hanging=6)
        for key in col.removed:
            name = label(entries(old.plan, col.name)[key])
            extra = f"  [dim]{escape(format_value(name))}[/]" if name and name != key else ""
            say(out, f"  [red]- {escape(key)}[/]{extra}", hanging=6)
        for item in col.changed:
            say(out, f"  [yellow]~ {escape(item.id)}[/]", hanging=4)
            for c in item.changes:
                say(
                    out,
                    f"      {escape(c.path)}: {escape(format_value(c.old))} → "
                    f"{escape(format_value(c.new))}",
                    hanging=8,
                )

    was_ignored = {m.run: m.ignored for m in old.plan.measured}
    set_aside = [m.run for m in new.plan.measured if m.ignored and was_ignored.get(m.run) is False]
    if d.measured_added or d.measured_removed or set_aside:
        parts = [
            f"{n} run{'' if n == 1 else 's'} {word}"
            for n, word in (
                (d.measured_added, "added"),
                (d.measured_removed, "removed"),
                (len(set_aside), "set aside (ignored)"),
            )
            if n
        ]
        say(out, f"\n[bold]measured[/]\n  {', '.join(parts)}")
        if set_aside:
            say(out, f"  ignored now: {escape(', '.join(set_aside))}", hanging=4)

    if d.verdicts:
        say(
            out,
            "\n[bold]verdicts[/] [dim](from evidence; rehearsals and ignored runs settle "
            "nothing)[/]",
        )
        metric = {g.id: g.metric or "" for g in [*old.plan.goals, *new.plan.goals]}
        for v in d.verdicts:
            key = metric.get(v.goal, "")
            say(
                out,
                f"  {escape(v.goal)}: {_verdict(v.old, v.old_value, v.old_run, key)} → "
                f"{_verdict(v.new, v.new_value, v.new_run, key)}",
                hanging=4,
            )

    out.print()
    _effect(out, d, old, new)


def _verdict(word: str | None, value: float | None, run: str | None, metric: str = "") -> str:
    """`met (0.912, run R)`: the value as its metric is shown (a count of customers whole)."""
    if word is None or value is None:
        return "not settled"
    colour = "green" if word == "met" else "red"
    which = joined(f"run {escape(run or '')}")
    shown = quantities.value(metric, value) if metric else f"{value:.3f}"
    return f"[{colour}]{word}[/] ({escape(shown)}, {which})"


def _effect(out: Console, d: PlanDiff, old: LoadedPlan, new: LoadedPlan) -> None:
    e = d.effect
    cur = e.currency
    unit_old, unit_new = (
        "workdays" if p.plan.calendar == "workdays" else "days" for p in (old, new)
    )

    def finish(f: FinishDelta) -> tuple[str, str, str]:
        delta = (
            _signed(f.delta, unit_new)
            if unit_old == unit_new
            else _signed(f.delta_days, "days", whole=True)
        )
        return (
            f"{f.old_date} ({number(f.old)})",
            f"{f.new_date} ({number(f.new)})",
            delta,
        )

    def amounts(x: Delta) -> tuple[str, str, str]:
        def m(v: float | None) -> str:
            return "—" if v is None else money(v, cur)

        return m(x.old), m(x.new), _signed(x.delta, cur, whole=True)

    def runway(v: float | None) -> str:
        return "never runs out" if v is None else joined(f"{number(v)} months")

    def even(v: float | None) -> str:
        return "not reached" if v is None else joined(f"month {v:.0f}")

    def share(v: float | None) -> str:
        return "—" if v is None else f"{v:.0%}"

    pc = e.p_cash_out
    r, b = e.runway_months, e.break_even_month
    rows = [
        ["P50 finish", *finish(e.finish_p50)],
        ["P80 finish", *finish(e.finish_p80)],
        ["deterministic finish", *finish(e.deterministic_finish)],
        ["cost P50", *amounts(e.cost_p50)],
        ["cost P80", *amounts(e.cost_p80)],
        ["runway", runway(r.old), runway(r.new), _signed(r.delta, "months")],
        ["break-even", even(b.old), even(b.new), _signed(b.delta, "months", whole=True)],
        [
            "P(cash out)",
            share(pc.old),
            share(pc.new),
            _signed(None if pc.delta is None else pc.delta * 100, "pp", whole=True),
        ],
    ]
    columns = [Col("", flex=True, want=12)] + [
        Col(c, "right", wrap=True) for c in ("old", "new", "Δ")
    ]
    out.print(
        fit(
            out.width,
            columns,
            rows,
            title=f"Effect ({e.iterations:,} iterations, seed {e.seed} for both)",
            title_justify="left",
            caption=f"finish: date (and {unit_new} from the start)"
            if unit_old == unit_new
            else f"finish: date (and {unit_old} → {unit_new} from the start)",
            caption_justify="left",
        )
    )

    def path(ids: list[str]) -> str:
        more = " …" if len(ids) > SHOWN_PATH else ""
        return escape(" → ".join(ids[:SHOWN_PATH])) + more

    if e.critical_path_old == e.critical_path_new:
        say(out, f"Critical path (unchanged): {path(e.critical_path_new)}", hanging=2)
    else:
        say(out, f"Critical path: was {path(e.critical_path_old)}", hanging=19)
        say(out, f"               now {path(e.critical_path_new)}", hanging=19)
