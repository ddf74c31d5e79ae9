"""`analyze`'s progress section: each task's slip against the baseline and the earned
schedule beside the Monte Carlo's forecast."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..progress import DONE, IN_PROGRESS
from ..results import Analysis
from .output import Col, fit, joined, number, say
from .output import safe as escape

if TYPE_CHECKING:
    from rich.console import Console

MAX_ROWS = 30


def signed(x: float) -> str:
    return "0" if abs(x) < 0.005 else ("+" if x > 0 else "−") + number(abs(x))


def show_progress(out: Console, a: Analysis, unit: str) -> None:
    p = a.progress
    if p is None:
        return
    rows = p.tasks
    if p.baseline_finish is not None:
        late = [t for t in rows if t.slip is not None and abs(t.slip) >= 0.005]
        shown = rows if len(rows) <= MAX_ROWS else late[:MAX_ROWS]
        columns = [
            Col("task", flex=True, want=20),
            Col("state", drop=3),
            Col("baseline", short="base", drop=2),
            Col("forecast", short="now"),
            Col("slip", "right"),
        ]
        mark = {DONE: "done", IN_PROGRESS: "started"}
        cells = [
            [
                escape(t.name or t.id),
                mark.get(t.state, ""),
                str(t.baseline_finish or "—"),
                str(t.finish),
                "new" if t.slip is None else signed(t.slip),
            ]
            for t in shown
        ]
        title = f"Slip of each finish against the baseline of {p.baseline_taken} (in {unit})"
        out.print(fit(out.width, columns, cells, title=title, title_justify="left"))
        if len(shown) < len(rows):
            say(out, f"[dim]{len(rows) - len(shown)} tasks on their baseline not shown[/]")
        assert p.slip is not None
        say(
            out,
            f"Finish {p.finish} against the baseline's {p.baseline_finish}: "
            + (
                "on the baseline"
                if abs(p.slip) < 0.005
                else joined(f"{number(abs(p.slip))} {unit}") + (" late" if p.slip > 0 else " early")
            ),
            hanging=2,
        )
    sim = a.simulation.finish
    if p.spi_t is not None and p.forecast_finish is not None:
        assert p.earned_schedule is not None and p.actual_time is not None
        say(
            out,
            f"Earned schedule at {p.status_date}: ES {number(p.earned_schedule)} of AT "
            f"{number(p.actual_time)} {unit}, SPI(t) [bold]{p.spi_t:.2f}[/]; at that pace "
            f"the plan finishes [bold]{p.forecast_finish}[/] (Monte Carlo P50 "
            f"{a.date(sim['p50'])}, P80 {a.date(sim['p80'])})",
            hanging=2,
        )
    elif p.status_date is not None and p.baseline_finish is None:
        say(
            out,
            f"[dim]Progress as of {p.status_date}; `ventureplan baseline` stores a schedule "
            "to measure slip and SPI(t) against[/]",
            hanging=2,
        )
