"""What the report templates share: the labels in each language, the template context, the
Jinja environment and Markdown escaping. The report itself is built by `pipeline.report`."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

from .errors import VenturePlanError
from .results import Report


@cache
def labels(lang: str) -> dict[str, Any]:
    """Headings and labels in `lang` (templates/labels.yaml)."""
    from ruamel.yaml import YAML

    table = YAML(typ="safe", pure=True).load(
        (files("ventureplan.templates") / "labels.yaml").read_text("utf-8")
    )
    if lang not in table:
        raise VenturePlanError(
            f"no labels for language '{lang}'; choose one of: {', '.join(table)}"
        )
    return dict(table[lang])


MAX_SCHEDULE_ROWS = 60


def template_context(report: Report) -> dict[str, Any]:
    """What every template needs beyond the report itself."""
    a, words = report.analysis, report.labels
    plan = a.plan
    tasks = a.schedule.tasks
    crit = set(a.schedule.critical_path)
    rows = (
        tasks
        if len(tasks) <= MAX_SCHEDULE_ROWS
        else [t for t in tasks if t.id in crit][:MAX_SCHEDULE_ROWS]
    )
    names = {t.id: t.name or t.id for t in plan.tasks} | {r.id: r.title for r in plan.risks}
    toc = [("summary", words["summary"])]
    if plan.business and (
        plan.business.market.trends or plan.business.market.competitors or plan.stack
    ):
        toc.append(("market", words["market"]))
    toc += [
        ("goals", words["goals"]),
        ("team-budget", words["team_budget"]),
        ("schedule", words["schedule"]),
        ("risks", words["risks"]),
        ("monte-carlo", words["monte_carlo"]),
        ("route", words["route"]),
        ("appendix", words["appendix"]),
    ]
    ev = a.evidence[0] if a.evidence else None
    rh = next(
        (x for x in a.rehearsals if ev is None or x.route == ev.route),
        None,
    )
    return {
        "r": report,
        # the summary's measurement: the chosen route's evidence (or the first route's), and
        # a newer rehearsal of the same route beside it; with no evidence, the first rehearsal
        "headline": (ev, rh),
        "toc": toc,
        "schedule_rows": rows,
        "names": names,
        "phases": {t.id: t.phase for t in plan.tasks},
        "critical_names": [names[t] for t in a.schedule.critical_path],
        "risk_by_id": {r.id: r for r in plan.risks},
    }


def jinja_env(markdown: bool = False) -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("ventureplan.templates", "."),
        autoescape=not markdown,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
    )
    env.filters["md"] = markdown_text
    env.filters["cell"] = lambda text: markdown_text(text).replace("|", "\\|")
    return env


def markdown_text(text: Any) -> str:
    """Plan text made inert in Markdown: HTML characters escaped, Markdown syntax backslashed,
    newlines folded so a value stays on its line."""
    s = " ".join(str(text).split())
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    out = []
    for ch in s:
        out.append("\\" + ch if ch in "\\`*_{}[]()#+!~" else ch)
    return "".join(out)
