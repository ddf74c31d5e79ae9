"""The report's charts as inline SVG, drawn in Python because WeasyPrint runs no JavaScript.

Each public function takes an analysis and the report's labels and returns one `<svg>`
document. Text stays text (svg.fonttype none), so the PDF keeps it selectable and small;
the font-family names a CJK font first when there is Chinese to show, for fontconfig to find.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

import matplotlib
from matplotlib import dates as mdates
from matplotlib import font_manager
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter
from matplotlib.transforms import ScaledTranslation, blended_transform_factory
from ventureplan.planner.budget import month_start
from ventureplan.planner.results import Analysis
from ventureplan.planner.riskscore import level, probability_bucket

Labels = Mapping[str, Any]
WIDTH = 6.7  # inches: the 17 cm text width of A4, so a 7 pt label prints at 7 pt
RED, CALM, PHASE, INK = "#c0392b", "#7f9bb8", "#566573", "#2c3e50"
TASK, RISK, MEASURED = "#2e86c1", "#d68910", "#8e44ad"
LEVELS = {"low": "#a9dfbf", "medium": "#f9e79f", "high": "#f5b041", "critical": "#ec7063"}
BUCKETS = ("≤10%", "10–30%", "30–50%", "50–70%", ">70%")
CJK_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "WenQuanYi Zen Hei")
MAX_TASKS = 40  # above this the gantt summarises phases
MAX_ROWS = 45  # rows that fit one A4 page at a 12 pt pitch
DEFAULTS = {
    "gantt_title": "Schedule with the critical path",
    "phase_summary": "Phases (summary) and critical tasks",
    "heatmap_title": "Risk matrix (probability × impact)",
    "scurve_title": "Chance of finishing by each date",
    "cumulative_probability": "Chance of finishing by then",
    "tornado_title": "What drives the finish",
    "rank_correlation": "Rank correlation with the finish",
    "no_drivers": "No uncertain tasks or risks",
    "cash_title": "Cash by month",
    "curve_as_planned": "As planned",
    "curve_without_responses": "Without the responses",
    "baseline_chart_title": "Baseline and forecast",
}
RC: dict[str, Any] = {"svg.fonttype": "none", "svg.hashsalt": "ventureplan"}
RC |= {"text.parse_math": False}  # a '$' in a task name is money, not TeX
RC |= {"font.size": 8, "axes.titlesize": 9.5, "axes.titleweight": "bold", "axes.labelsize": 8}
RC |= {"xtick.labelsize": 7.5, "ytick.labelsize": 7.5, "legend.fontsize": 7.5}
RC |= {"axes.spines.top": False, "axes.spines.right": False, "axes.edgecolor": "#888888"}
_CJK = re.compile("[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
# XML 1.0 cannot carry most control characters, and matplotlib writes text through as is
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _clip(text: str, width: int) -> str:
    """One safe line of at most `width` columns; a CJK character takes two."""
    text = " ".join(_UNSAFE.sub(" ", text).split())
    used = cut = 0
    for i, ch in enumerate(text):
        used += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        if used > width:
            return text[:cut].rstrip() + "…"
        if used < width:
            cut = i + 1
    return text


def _l(labels: Labels, key: str) -> str:
    """A label; a missing key falls back to English rather than failing the report."""
    value = labels.get(key) or DEFAULTS.get(key) or key.replace("_", " ").capitalize()
    return _clip(str(value), 90)


def _num(day: dt.date, offset: float = 1.0) -> float:
    # a finish date is the last working day, so its work ends at midnight after it
    return float(mdates.date2num(day)) + (1.0 if offset > 0 else 0.0)


def _fonts(analysis: Analysis, labels: Labels) -> list[str]:
    plan = analysis.plan
    texts = [plan.name, *(v for v in labels.values() if isinstance(v, str))]
    texts += [f"{t.name}{t.phase}" for t in plan.tasks] + [r.title for r in plan.risks]
    if plan.language != "zh" and not _CJK.search("".join(texts)):
        return ["DejaVu Sans"]
    # only fonts matplotlib knows, so its text widths match what WeasyPrint will draw
    known = {f.name for f in font_manager.fontManager.ttflist}
    return [*[f for f in CJK_FONTS if f in known][:1], "DejaVu Sans"]


def _render(
    analysis: Analysis, labels: Labels, draw: Callable[[Figure, Analysis, Labels, bool], Any]
) -> str:
    fonts = _fonts(analysis, labels)
    with matplotlib.rc_context({**RC, "font.family": fonts}):  # type: ignore[dict-item]
        fig = Figure(figsize=(WIDTH, 3.2))
        FigureCanvasSVG(fig)
        layout = draw(fig, analysis, labels, len(fonts) > 1) or {}
        fig.tight_layout(pad=0.4, **layout)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    svg = buf.getvalue()
    return svg[svg.index("<svg") :]


def _date_axis(ax: Any, cjk: bool) -> None:
    locator = mdates.AutoDateLocator(minticks=3, maxticks=9)
    month = "%m月" if cjk else "%b"
    formats = ["%Y", month, "%d", "%H:%M", "%H:%M", "%S"]
    zero = ["", "%Y", month, "%m-%d", "%H:%M", "%H:%M"]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(
        mdates.ConciseDateFormatter(locator, formats=formats, zero_formats=zero)
    )


def _frame(ax: Any, labels: Labels, title: str, xlabel: str = "", ylabel: str = "") -> None:
    ax.set_title(_l(labels, title), loc="left")
    if xlabel:
        ax.set_xlabel(_l(labels, xlabel))
    if ylabel:
        ax.set_ylabel(_l(labels, ylabel))


def _pad(ax: Any, xs: list[float]) -> None:
    lo, hi = min(xs), max(xs)
    pad = max(2.0, 0.02 * (hi - lo))
    ax.set_xlim(lo - pad, hi + pad)


def _empty(ax: Any, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", color=PHASE)


# --- the charts --------------------------------------------------------------------


def gantt(analysis: Analysis, labels: Labels) -> str:
    """Bars from early start to early finish; over 40 tasks, phases plus the critical tasks."""
    return _render(analysis, labels, _gantt)


def heatmap(analysis: Analysis, labels: Labels) -> str:
    """The 5×5 probability × impact matrix, and a small one for the positions after response."""
    return _render(analysis, labels, _heatmap)


def s_curve(analysis: Analysis, labels: Labels) -> str:
    """Chance of finishing by each date, with P50 and P80 marked."""
    return _render(analysis, labels, _s_curve)


def tornado(analysis: Analysis, labels: Labels) -> str:
    """The ten tasks and risks whose durations correlate most with the finish."""
    return _render(analysis, labels, _tornado)


def cash(analysis: Analysis, labels: Labels) -> str:
    """Cash at each month boundary above monthly spending and revenue."""
    return _render(analysis, labels, _cash)


def variants(analysis: Analysis, labels: Labels) -> str:
    """Latency against the quality metric of an optimisation's variants, the Pareto front
    (no other variant both faster and better) joined, the chosen one starred; "" without
    an optimisation."""
    if not _optimised(analysis):
        return ""
    return _render(analysis, labels, _variants)


def baseline(analysis: Analysis, labels: Labels) -> str:
    """Each task's baseline days (a thin grey bar) above its forecast (done, in progress or
    to do), the status date and both finishes; "" without a baseline."""
    p = analysis.progress
    if p is None or p.baseline_finish is None:
        return ""
    return _render(analysis, labels, _baseline)


def _baseline(fig: Figure, a: Analysis, labels: Labels, cjk: bool) -> None:
    from ventureplan.planner.progress import DONE, IN_PROGRESS

    p = a.progress
    assert p is not None and p.baseline_finish is not None
    rows = p.tasks
    if len(rows) > MAX_ROWS:  # the tasks that slipped most, in the plan's order
        keep = sorted(range(len(rows)), key=lambda i: -abs(rows[i].slip or 0.0))[:MAX_ROWS]
        rows = [rows[i] for i in sorted(keep)]
    fig.set_size_inches(WIDTH, 1.4 + 0.2 * max(len(rows), 4))
    ax = fig.add_subplot()
    title = _l(labels, "baseline_chart_title")
    if len(rows) < len(p.tasks):
        title += f" ({len(rows)}/{len(p.tasks)})"
    ax.set_title(title, loc="left")
    colours = {DONE: INK, IN_PROGRESS: TASK}
    milestones = {t.id for t in a.plan.tasks if t.milestone}
    xs: list[float] = []
    for i, t in enumerate(rows):
        colour = colours.get(t.state, CALM)
        if t.id in milestones:  # a diamond where each says it is reached (its day's end)
            if t.baseline_finish is not None:
                x = _num(t.baseline_finish)
                ax.plot([x], [i - 0.22], "D", ms=4, color="#b0b0b0", gid=f"base-{t.id}")
                xs.append(x)
            x = _num(t.finish)
            ax.plot([x], [i + 0.1], "D", ms=6, color=colour, mec="white", mew=0.6,
                    gid=f"now-{t.id}")  # fmt: skip
            xs.append(x)
            continue
        if t.baseline_start is not None and t.baseline_finish is not None:
            b0, b1 = _num(t.baseline_start, 0), _num(t.baseline_finish)
            ax.barh(i - 0.22, b1 - b0, left=b0, height=0.22, color="#c8c8c8", gid=f"base-{t.id}")
            xs += [b0, b1]
        f0, f1 = _num(t.start, 0), _num(t.finish)
        ax.barh(i + 0.1, f1 - f0, left=f0, height=0.42, color=colour, gid=f"now-{t.id}")
        xs += [f0, f1]
    ax.set_yticks(range(len(rows)), [_clip(t.name or t.id, 40) for t in rows])
    ax.set_ylim(len(rows) - 0.5, -0.6)
    ax.tick_params(axis="y", length=0)
    marks = [(p.baseline_finish, "#999999", "-", "baseline_finish"), (p.finish, INK, "-", "finish")]
    if p.status_date is not None:
        marks.append((p.status_date, RED, ":", "status_date"))
    handles: list[Any] = [
        Patch(color="#c8c8c8", label=_l(labels, "baseline")),
        Patch(color=INK, label=_l(labels, "done")),
        Patch(color=TASK, label=_l(labels, "in_progress")),
        Patch(color=CALM, label=_l(labels, "to_do")),
    ]
    for day, colour, style, key in marks:
        x = _num(day, 0 if key == "status_date" else 1)
        ax.axvline(x, color=colour, lw=1.1, ls=style)
        handles.append(Line2D([], [], color=colour, ls=style, label=f"{_l(labels, key)} {day}"))
        xs.append(x)
    _pad(ax, xs)
    _date_axis(ax, cjk)
    ax.grid(axis="x", color="#e5e5e5", lw=0.6)
    ax.set_axisbelow(True)
    # centred on the page rather than on the axes, which long task names push right
    across = blended_transform_factory(fig.transFigure, ax.transAxes)
    below = across + ScaledTranslation(0, -0.32, fig.dpi_scale_trans)
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0), ncol=3,
              bbox_transform=below, frameon=False)  # fmt: skip


def _optimised(a: Analysis) -> Any:
    return next((ev for ev in [*a.evidence, *a.rehearsals] if ev.variants), None)


def _minor_label(v: float, _: Any) -> str:
    """A minor tick of a log axis labelled at 2 and 5 times a power of ten (2, 5, 20, 50)."""
    if v <= 0:
        return ""
    lead = v / 10 ** math.floor(math.log10(v) + 1e-9)
    return f"{v:g}" if round(lead, 6) in (2.0, 5.0) else ""


def pareto(points: list[tuple[float, float]]) -> list[int]:
    """Indexes of the points no other point beats on both axes (lower x, higher y), by x."""
    order = sorted(range(len(points)), key=lambda i: (points[i][0], -points[i][1]))
    front, best = [], -math.inf
    for i in order:
        if points[i][1] > best:
            front.append(i)
            best = points[i][1]
    return front


def _variants(fig: Figure, a: Analysis, labels: Labels, cjk: bool) -> None:
    ev = _optimised(a)
    fig.set_size_inches(WIDTH, 3.0)
    ax = fig.add_subplot()
    _frame(ax, labels, "variants_chart", "latency_axis", "quality_axis")
    shown = [v for v in ev.variants if v.latency_p50_ms is not None and v.macro_f1 is not None]
    if not shown:
        ax.set_axis_off()
        _empty(ax, _l(labels, "no_variants"))
        return
    points = [(float(v.latency_p50_ms), float(v.macro_f1)) for v in shown]
    front = pareto(points)
    ax.plot(*zip(*(points[i] for i in front), strict=True), color=CALM, lw=1.2, ls="--",
            label=_l(labels, "pareto_front"))  # fmt: skip
    for v, (x, y) in zip(shown, points, strict=True):
        chosen = v.name == ev.chosen
        ax.scatter([x], [y], s=60 if chosen else 22, marker="*" if chosen else "o",
                   color=RED if chosen else TASK, zorder=3)  # fmt: skip
        ax.annotate(_clip(v.name, 24), (x, y), textcoords="offset points", xytext=(4, 3))
    ax.set_xscale("log")  # latencies span an order of magnitude: torch eager to int8
    xs = [x for x, _ in points]
    ax.set_xlim(min(xs) / 1.3, max(xs) * 1.6)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    # the log axis' own minor labels are mathtext, which SVG text (fonttype none) shows raw
    ax.xaxis.set_minor_formatter(FuncFormatter(_minor_label))
    lo, hi = min(y for _, y in points), max(y for _, y in points)
    pad = max(0.005, 0.15 * (hi - lo))
    ax.set_ylim(lo - pad, hi + pad)
    ax.grid(color="#e5e5e5", lw=0.6)
    handles = [Line2D([], [], color=CALM, ls="--", label=_l(labels, "pareto_front"))]
    handles.append(Line2D([], [], color=RED, marker="*", ls="", label=_l(labels, "chosen_variant")))
    ax.legend(handles=handles, loc="lower right", frameon=False)


Row = tuple[str, float, float, str, str]  # label, start, end, kind, svg id


def _rows(a: Analysis, labels: Labels) -> tuple[list[Row], int]:
    def row(t: Any) -> Row:
        start, end = _num(t.start_date, 0), _num(t.finish_date, t.early_finish)
        kind = ("milestone" if t.milestone else "task") + ("-critical" if t.critical else "")
        x0 = end if t.milestone else start
        return _clip(t.name or t.id, 40), x0, max(end, start + 0.5), kind, f"task-{t.id}"

    times = a.schedule.tasks
    if len(times) <= MAX_TASKS:
        return [row(t) for t in times], len(times)
    phases: dict[str, list[Any]] = {}
    for task, t in zip(a.plan.tasks, times, strict=True):
        phases.setdefault(task.phase or _l(labels, "no_phase"), []).append(t)
    rows = []
    for k, (phase, ts) in enumerate(phases.items()):
        start = min(_num(t.start_date, 0) for t in ts)
        end = max(_num(t.finish_date, t.early_finish) for t in ts)
        rows.append((_clip(phase, 40), start, max(end, start + 0.5), "phase", f"phase-{k}"))
        rows += [row(t) for t in ts if t.critical]
    if len(rows) > MAX_ROWS:  # keep the phases and the longest critical tasks, in order
        keep = sorted(
            range(len(rows)), key=lambda i: (rows[i][3] != "phase", rows[i][1] - rows[i][2])
        )
        return [rows[i] for i in sorted(keep[:MAX_ROWS])], len(rows)
    return rows, len(rows)


def _gantt(fig: Figure, a: Analysis, labels: Labels, cjk: bool) -> None:
    rows, total = _rows(a, labels)
    fig.set_size_inches(WIDTH, 1.3 + 0.17 * max(len(rows), 4))
    ax = fig.add_subplot()
    title = _l(labels, "gantt_title")
    if len(a.schedule.tasks) > MAX_TASKS:  # say that not every task is drawn
        title += f" — {_l(labels, 'phase_summary')}"
        title += f" ({len(rows)}/{total})" if len(rows) < total else ""
    ax.set_title(title, loc="left")
    if not rows:
        ax.set_axis_off()
        _empty(ax, _l(labels, "no_tasks"))
        return
    colours = {"task": CALM, "task-critical": RED, "phase": PHASE}
    bars = [(i, r) for i, r in enumerate(rows) if not r[3].startswith("milestone")]
    drawn = ax.barh(
        [i for i, _ in bars],
        [r[2] - r[1] for _, r in bars],
        left=[r[1] for _, r in bars],
        height=[0.4 if r[3] == "phase" else 0.62 for _, r in bars],
        color=[colours[r[3]] for _, r in bars],
    )
    for patch, (_, r) in zip(drawn.patches, bars, strict=True):
        patch.set_gid(r[4])
    for i, r in enumerate(rows):
        if r[3].startswith("milestone"):
            colour = RED if r[3].endswith("critical") else INK
            ax.plot([r[1]], [i], "D", ms=6, color=colour, mec="white", mew=0.6, gid=r[4])
    ax.set_yticks(range(len(rows)), [r[0] for r in rows])
    for text, r in zip(ax.get_yticklabels(), rows, strict=True):
        text.set_fontweight("bold" if r[3] == "phase" else "normal")
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.tick_params(axis="y", length=0)
    p80 = a.simulation.finish["p80"]
    finish, p80_x = _num(a.schedule.finish_date, a.schedule.duration), _num(a.date(p80), p80)
    ax.axvline(finish, color=INK, lw=1.1)
    ax.axvline(p80_x, color=RED, lw=1.1, ls="--")
    _pad(ax, [x for r in rows for x in r[1:3]] + [_num(a.plan.start, 0), finish, p80_x])
    _date_axis(ax, cjk)
    ax.tick_params(axis="x", labeltop=len(rows) > 20)
    ax.grid(axis="x", color="#e5e5e5", lw=0.6)
    ax.set_axisbelow(True)
    kinds = {r[3] for r in rows}
    diamond = Line2D([], [], marker="D", ls="", color=INK, label=_l(labels, "milestone"))
    legend = [  # only what is drawn
        ({"task-critical", "milestone-critical"}, Patch(color=RED, label=_l(labels, "critical"))),
        ({"task"}, Patch(color=CALM, label=_l(labels, "other_tasks"))),
        ({"phase"}, Patch(color=PHASE, label=_l(labels, "phase"))),
        ({"milestone", "milestone-critical"}, diamond),
    ]
    handles = [h for need, h in legend if need & kinds] + [
        Line2D([], [], color=INK, label=f"{_l(labels, 'finish')} {a.schedule.finish_date}"),
        Line2D([], [], color=RED, ls="--", label=f"{_l(labels, 'p80_finish')} {a.date(p80)}"),
    ]
    below = ax.transAxes + ScaledTranslation(0, -0.32, fig.dpi_scale_trans)
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0), ncol=3,
              bbox_transform=below, frameon=False)  # fmt: skip


def _heatmap(fig: Figure, a: Analysis, labels: Labels, cjk: bool) -> dict[str, Any]:
    fig.set_size_inches(WIDTH, 3.9)
    grid = fig.add_gridspec(1, 2, width_ratios=(3, 1))
    main, after = fig.add_subplot(grid[0]), fig.add_subplot(grid[1])
    before: dict[tuple[int, int], list[str]] = {}
    residual: dict[tuple[int, int], list[str]] = {}
    for r in a.risks:  # already in register order, most severe first
        before.setdefault((probability_bucket(r.probability), r.impact), []).append(r.id)
        cell = (probability_bucket(r.residual_probability), r.residual_impact)
        residual.setdefault(cell, []).append(r.id)
    for ax, cells, prefix in ((main, before, "cell"), (after, residual, "after")):
        for b in range(1, 6):
            for i in range(1, 6):
                colour = LEVELS[level(b * i)]
                ax.add_patch(Rectangle((b - 0.5, i - 0.5), 1, 1, fc=colour, ec="white", lw=1.5))
                ids = cells.get((b, i), [])
                # the small panel has room for the count only
                lines = [str(len(ids))] + ([_clip(x, 18) for x in ids[:3]] if ax is main else [])
                if ids:
                    ax.text(b, i, "\n".join(lines), ha="center", va="center", color=INK,
                            fontsize=7 if ax is main else 8.5, linespacing=1.3,
                            gid=f"{prefix}-{b}-{i}")  # fmt: skip
        ax.set_xlim(0.5, 5.5)
        ax.set_ylim(0.5, 5.5)
        ax.set_xticks(range(1, 6), BUCKETS, fontsize=7)
        ax.set_yticks(range(1, 6), [str(i) for i in range(1, 6)])
        ax.tick_params(length=0)
        ax.spines[["left", "bottom"]].set_visible(False)
    _frame(main, labels, "heatmap_title", "probability", "impact")
    _frame(after, labels, "after_response", "probability")
    for text in after.get_xticklabels():
        text.set(rotation=45, ha="right", rotation_mode="anchor")
    names = labels.get("values") or {}
    handles = [Patch(color=c, label=_clip(str(names.get(k, k)), 20)) for k, c in LEVELS.items()]
    fig.legend(handles=handles, loc="lower center", ncol=4, frameon=False)
    if not a.risks:
        _empty(main, _l(labels, "no_risks"))
    return {"rect": (0, 0.06, 1, 1), "w_pad": 1.5}


def _s_curve(fig: Figure, a: Analysis, labels: Labels, cjk: bool) -> None:
    ax = fig.add_subplot()
    inherent = a.inherent if a.responses else None
    planned = "curve_as_planned" if inherent is not None else "plan_estimates"
    curves = [(a.simulation, _l(labels, planned), RED, "-")]
    if inherent is not None:  # the same plan with no responses, for comparison
        curves.append((inherent, _l(labels, "curve_without_responses"), CALM, "--"))
    if a.evidence_simulation is not None:
        curves.append((a.evidence_simulation, _l(labels, "with_measured_risks"), MEASURED, "-"))
    xs: list[float] = []
    for sim, label, colour, style in curves:
        pts = sorted(sim.s_curve)
        dates = [_num(a.date(f), f) for f, _ in pts]
        xs += dates
        # a curve that starts at 0 and ends at 1 also shows zero variance as one step
        y = [0.0, *(p for _, p in pts), 1.0]
        ax.plot([dates[0] - 3, *dates, dates[-1] + 3], y, color=colour, lw=1.6, ls=style,
                label=label)  # fmt: skip
    _pad(ax, xs)
    left = ax.get_xlim()[0]
    for p in (50, 80):
        offset = a.simulation.finish[f"p{p}"]
        x, q = _num(a.date(offset), offset), p / 100
        ax.plot([x, x, left], [0, q, q], color=INK, lw=0.8, ls="--")
        # up and left of the point is empty: the curve stays below q until x
        ax.annotate(f"P{p} {a.date(offset)}", (x, q), xytext=(-3, 2), textcoords="offset points",
                    ha="right", va="bottom", fontsize=7.5, color=INK)  # fmt: skip
    ax.set_ylim(0, 1.03)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    _date_axis(ax, cjk)
    ax.grid(color="#e5e5e5", lw=0.6)
    _frame(ax, labels, "scurve_title", "finish_date", "cumulative_probability")
    if len(curves) > 1:
        ax.legend(loc="lower right", frameon=False)


def _tornado(fig: Figure, a: Analysis, labels: Labels, cjk: bool) -> None:
    finite = [s for s in a.simulation.sensitivity if math.isfinite(s.rho)]
    top = sorted(finite, key=lambda s: -abs(s.rho))[:10]
    fig.set_size_inches(WIDTH, 1.1 + 0.24 * max(len(top), 3))
    ax = fig.add_subplot()
    _frame(ax, labels, "tornado_title")
    if not top:
        ax.set_axis_off()
        _empty(ax, _l(labels, "no_drivers"))
        return
    names = {t.id: t.name or t.id for t in a.plan.tasks} | {r.id: r.title for r in a.plan.risks}
    ys, rhos = range(len(top)), [s.rho for s in top]
    ax.barh(ys, rhos, height=0.62, color=[TASK if s.kind == "task" else RISK for s in top])
    for y, rho in zip(ys, rhos, strict=True):
        ax.text(rho, y, f" {rho:+.2f} ", va="center", ha="left" if rho >= 0 else "right")
    ax.set_yticks(ys, [_clip(names.get(s.id, s.id), 45) for s in top])
    ax.set_ylim(len(top) - 0.5, -0.5)
    lo, hi = min(0.0, *rhos), max(0.0, *rhos)
    pad = 0.16 * max(hi - lo, 0.1)  # room for the printed values
    ax.set_xlim(lo - (pad if lo < 0 else 0.02 * pad), hi + (pad if hi > 0 else 0.02 * pad))
    ax.axvline(0, color=INK, lw=0.8)
    ax.tick_params(axis="y", length=0)
    ax.set_xlabel(_l(labels, "rank_correlation"))
    kinds = {s.kind for s in top}
    handles = [Patch(color=TASK, label=_l(labels, "task"))] if "task" in kinds else []
    handles += [Patch(color=RISK, label=_l(labels, "risk"))] if "risk" in kinds else []
    ax.legend(handles=handles, loc="lower right", frameon=False)


def _cash(fig: Figure, a: Analysis, labels: Labels, cjk: bool) -> None:
    fig.set_size_inches(WIDTH, 4.4)
    grid = fig.add_gridspec(2, 1, height_ratios=(2.2, 1))
    top = fig.add_subplot(grid[0])
    bottom = fig.add_subplot(grid[1], sharex=top)
    plan, months = a.plan, a.budget.months
    # m.cash is the balance at the end of month m, which is where the next month starts
    xs = [_num(plan.start, 0), *(_num(month_start(plan.start, m.month + 1), 0) for m in months)]
    top.plot(xs, [a.budget.cash, *(m.cash for m in months)], color=TASK, lw=1.6, ms=2.5,
             marker="o" if len(months) <= 36 else "", label=_l(labels, "cash"))  # fmt: skip
    top.axhline(0, color=INK, lw=0.8)
    lines = []
    for p, style in ((50, ":"), (80, "--")):
        offset = a.simulation.finish[f"p{p}"]
        name = labels.get(f"p{p}_finish") or _l(labels, "p80_finish").replace("P80", f"P{p}")
        lines.append((_num(a.date(offset), offset), INK, style, f"{name} {a.date(offset)}"))
    if a.budget.cash_out_date is not None:
        end = a.budget.cash_out_date
        lines.append((_num(end, 0), RED, "-", f"{_l(labels, 'runway_end')} {end}"))
    for x, colour, style, label in lines:
        top.axvline(x, color=colour, ls=style, lw=1.1, label=label)
        bottom.axvline(x, color=colour, ls=style, lw=1.1)
    if months:  # steps stay readable at 120 months, where bars would be slivers
        spent = [m.team + m.items for m in months]
        bottom.stairs(spent, xs, fill=True, color=RED, alpha=0.35, label=_l(labels, "spending"))
        bottom.stairs([m.revenue for m in months], xs, color="#1e8449", lw=1.4, baseline=None,
                      label=_l(labels, "revenue"))  # fmt: skip
    _pad(top, [*xs, *(x for x, *_ in lines), xs[0] + 28])
    for ax in (top, bottom):
        lo, hi = ax.get_ylim()
        ax.set_ylim(min(lo, -1), max(hi, 1))  # all-zero money still gets a readable axis
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{round(v):,}"))
        ax.grid(axis="y", color="#e5e5e5", lw=0.6)
    handles = top.get_legend_handles_labels()[0] + bottom.get_legend_handles_labels()[0]
    top.legend(handles=handles, loc="best", frameon=False)
    _date_axis(bottom, cjk)
    top.tick_params(axis="x", labelbottom=False)
    currency = _clip(plan.currency, 8)
    _frame(top, labels, "cash_title")
    top.set_ylabel(f"{_l(labels, 'cash')} ({currency})")
    bottom.set_ylabel(currency)
    bottom.set_xlabel(_l(labels, "month"))
