"""Mermaid text for the roadmap: a gantt with the critical path, the dependency flowchart,
the risk quadrant chart and the budget pie. Every diagram is checked by the real Mermaid
parser in the tests (tests/mermaid/check.mjs)."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from typing import TYPE_CHECKING, Any

from ventureplan.planner import hookimpl

if TYPE_CHECKING:
    from ventureplan.planner.results import Analysis

MAX_LABEL = 60


def _clip(text: str, limit: int = MAX_LABEL) -> str:
    text = " ".join(text.split())  # newlines and tabs end Mermaid statements
    return text if len(text) <= limit else text[: limit - 1] + "…"


def entities(text: str) -> str:
    """Mermaid's entity escapes (`#35;` is '#'), decoded when Mermaid draws the text."""
    out = []
    for ch in text:
        if ch.isspace():
            ch = " "  # a newline or tab would end the statement
        elif not ch.isprintable():
            continue  # a control character would make Mermaid's SVG invalid XML
        out.append(f"#{ord(ch)};" if ch in '#;:"`<>[]{}()|\\&%,' else ch)
    return "".join(out)


# A gantt task whose label starts with one of these words is read as a statement and lost.
_GANTT_WORDS = re.compile(
    r"^(title|section|excludes|includes|axisformat|tickinterval|todaymarker|inclusiveenddates|"
    r"weekday|weekend|dateformat|click|call|gantt|acc|topaxis|\d)",
    re.IGNORECASE,
)


def gantt_label(text: str) -> str:
    escaped = entities(_clip(text))
    if _GANTT_WORDS.match(escaped):
        escaped = f"#{ord(escaped[0])};" + escaped[1:]
    return escaped


def node_id(raw: str, taken: set[str]) -> str:
    """A Mermaid-safe id: letters, digits and underscores, unique, not a keyword."""
    base = re.sub(r"[^A-Za-z0-9_]", "_", raw) or "x"
    if not base[0].isalpha():
        base = "t_" + base
    if base.lower() in {"end", "graph", "subgraph", "style", "class", "click", "section", "after"}:
        base += "_"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    taken.add(candidate)
    return candidate


def _ids(analysis: Analysis) -> dict[str, str]:
    taken: set[str] = set()
    return {t.id: node_id(t.id, taken) for t in analysis.plan.tasks}


def _after(day: dt.date, calendar: str) -> dt.date:
    """The first working day after `day`: where Mermaid's exclusive end of a bar falls."""
    day += dt.timedelta(days=1)
    while calendar == "workdays" and day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def gantt(analysis: Analysis, labels: dict[str, Any]) -> str:
    plan, sched = analysis.plan, analysis.schedule
    ids = _ids(analysis)
    times = sched.by_id()
    critical = set(sched.critical_path)
    lines = [
        "gantt",
        f"    title {entities(_clip(plan.name, 80))}",
        "    dateFormat YYYY-MM-DD",
        "    axisFormat %Y-%m-%d",
    ]
    if plan.calendar == "workdays":
        lines.append("    excludes weekends")
    # sections in the order the plan first names each phase, tasks in the plan's order: as
    # in the PDF's gantt (Mermaid resolves an `after` that names a later task)
    phases: dict[str, list[str]] = {}
    for t in plan.tasks:
        phases.setdefault(t.phase or labels["no_phase"], []).append(t.id)
    tasks = {t.id: t for t in plan.tasks}
    # a levelled plan waits for people and a plan with progress has actual days, neither of
    # which `after` can say: their bars are the schedule's own dates (the end exclusive)
    dated = plan.schedule == "leveled" or plan.status_date is not None
    for phase, members in phases.items():
        lines.append(f"    section {entities(_clip(phase, 40))}")
        for tid in members:
            t, when = tasks[tid], times[tid]
            tags = []
            if t.actual_finish is not None:
                tags.append("done")
            elif t.actual_start is not None:
                tags.append("active")
            if tid in critical:
                tags.append("crit")
            if t.milestone:
                tags.append("milestone")
            tags.append(ids[tid])
            if dated:
                end = _after(when.finish_date, plan.calendar).isoformat()
                if t.milestone:
                    tags += [end, "0d"]  # where `after` would put it: when the work ends
                else:
                    tags += [when.start_date.isoformat(), end]
            else:
                if t.depends_on:
                    tags.append("after " + " ".join(ids[d] for d in t.depends_on))
                else:
                    tags.append(when.start_date.isoformat())
                tags.append(f"{when.duration:g}d")
            lines.append(f"    {gantt_label(t.name or t.id)} :{', '.join(tags)}")
    return "\n".join(lines) + "\n"


MAX_FLOW_TASKS = 150  # beyond this a task-level flowchart is unreadable (and Mermaid caps edges)


def flow(analysis: Analysis, labels: dict[str, Any]) -> str:
    plan, sched = analysis.plan, analysis.schedule
    if len(plan.tasks) > MAX_FLOW_TASKS:
        return _phase_flow(analysis, labels)
    ids = _ids(analysis)
    lines = ["flowchart LR"]
    for t in plan.tasks:
        text = entities(_clip(t.name or t.id, 40))
        shape = f'{{{{"{text}"}}}}' if t.milestone else f'["{text}"]'
        lines.append(f"    {ids[t.id]}{shape}")
    path = sched.critical_path
    on_path = set(itertools.pairwise(path))
    for t in plan.tasks:
        for d in t.depends_on:
            arrow = "==>" if (d, t.id) in on_path else "-->"
            lines.append(f"    {ids[d]} {arrow} {ids[t.id]}")
    lines.append("    classDef crit fill:#fdecea,stroke:#c0392b,stroke-width:2px,color:#000")
    if path:
        lines.append(f"    class {','.join(ids[t] for t in path)} crit")
    return "\n".join(lines) + "\n"


def _phase_flow(analysis: Analysis, labels: dict[str, Any]) -> str:
    """One node per phase (with its task count), an edge where a phase's task waits on another's."""
    plan = analysis.plan
    phase = {t.id: t.phase or labels["no_phase"] for t in plan.tasks}
    names = list(dict.fromkeys(phase[t] for t in analysis.network.ids))
    taken: set[str] = set()
    ids = {name: node_id(f"phase_{i}", taken) for i, name in enumerate(names)}
    count = {name: sum(1 for p in phase.values() if p == name) for name in names}
    crit = {phase[t] for t in analysis.schedule.critical_path}
    lines = ["flowchart LR"]
    lines += [f'    {ids[n]}["{entities(_clip(n, 40))} #40;{count[n]}#41;"]' for n in names]
    edges = dict.fromkeys((phase[d], phase[t.id]) for t in plan.tasks for d in t.depends_on)
    lines += [f"    {ids[a]} --> {ids[b]}" for a, b in edges if a != b]
    lines.append("    classDef crit fill:#fdecea,stroke:#c0392b,stroke-width:2px,color:#000")
    if crit:
        lines.append(f"    class {','.join(ids[n] for n in names if n in crit)} crit")
    return "\n".join(lines) + "\n"


def risks(analysis: Analysis, labels: dict[str, Any]) -> str:
    lines = [
        "quadrantChart",
        f"    title {entities(labels['heatmap_title'])}",
        f'    x-axis "{entities(labels["x_low"])}" --> "{entities(labels["x_high"])}"',
        f'    y-axis "{entities(labels["y_low"])}" --> "{entities(labels["y_high"])}"',
        f'    quadrant-1 "{entities(labels["q1"])}"',
        f'    quadrant-2 "{entities(labels["q2"])}"',
        f'    quadrant-3 "{entities(labels["q3"])}"',
        f'    quadrant-4 "{entities(labels["q4"])}"',
    ]
    seen: dict[tuple[float, float], int] = {}
    for r in analysis.plan.risks:
        x = min(max(r.probability, 0.02), 0.98)
        y = (r.impact - 0.5) / 5
        k = seen.get((x, y), 0)  # spread risks that share a cell so each stays visible
        seen[(x, y)] = k + 1
        x, y = min(x + 0.02 * k, 0.98), min(y + 0.02 * k, 0.98)
        lines.append(f'    "{entities(_clip(r.title, 40))}": [{x:.3f}, {y:.3f}]')
    return "\n".join(lines) + "\n"


def budget(analysis: Analysis, labels: dict[str, Any]) -> str:
    lines = [f"pie title {entities(labels['pie_title'])}"]
    names = labels.get("values", {})
    for category, amount in sorted(analysis.spend_by_category.items(), key=lambda kv: -kv[1]):
        name = names.get(category, category)
        lines.append(f'    "{entities(_clip(str(name), 40))}" : {max(amount, 0.0):.2f}')
    return "\n".join(lines) + "\n"


DIAGRAMS = {"gantt": gantt, "flow": flow, "risks": risks, "budget": budget}


@hookimpl
def mermaid_diagrams(analysis: Analysis, labels: dict[str, Any]) -> dict[str, str]:
    return {name: make(analysis, labels) for name, make in DIAGRAMS.items()}
