"""What a report shows, gathered once for every renderer: the analysis, every finding,
the Mermaid diagrams and the labels in the report's language."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any

from .analysis import DEFAULT_ITERATIONS, DEFAULT_SEED, Analysis, analyze
from .check import lint
from .errors import Finding, VenturePlanError
from .load import LoadedPlan
from .plugin_manager import Manager, call_each, get_plugin_manager

LANGUAGES = ("en", "zh")


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


@dataclass
class Report:
    loaded: LoadedPlan
    analysis: Analysis
    lang: str
    labels: dict[str, Any]
    findings: list[Finding]
    diagrams: dict[str, str]
    generated: dt.date
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def plan(self):  # type: ignore[no-untyped-def]
        return self.analysis.plan

    def value(self, word: str | None) -> str:
        """An enum value (mitigate, high, technical…) in the report's language."""
        return "" if word is None else str(self.labels.get("values", {}).get(word, word))

    def money(self, amount: float) -> str:
        return f"{amount:,.0f} {self.plan.currency}"


def diagrams(analysis: Analysis, words: dict[str, Any], pm: Manager) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, found in call_each(pm, "mermaid_diagrams", analysis=analysis, labels=words):
        for key, text in (found or {}).items():
            if key in out:
                raise VenturePlanError(
                    f"plugin '{name}' adds diagram '{key}', which already exists"
                )
            out[key] = text
    return out


def build_report(
    loaded: LoadedPlan,
    lang: str | None = None,
    iterations: int = DEFAULT_ITERATIONS,
    seed: int = DEFAULT_SEED,
    pm: Manager | None = None,
    today: dt.date | None = None,
) -> Report:
    pm = pm or get_plugin_manager()
    lang = lang or loaded.plan.language
    if lang not in LANGUAGES:
        raise VenturePlanError(
            f"unknown report language '{lang}'; choose one of: {', '.join(LANGUAGES)}"
        )
    words = labels(lang)
    analysis = analyze(loaded.plan, iterations=iterations, seed=seed, pm=pm)
    findings = lint(loaded, pm) + loaded.place(analysis.findings)
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        from .errors import PlanError

        raise PlanError(errors)
    return Report(
        loaded,
        analysis,
        lang,
        words,
        findings,
        diagrams(analysis, words, pm),
        today or dt.date.today(),
    )


def available_renderers(pm: Manager | None = None) -> dict[str, Any]:
    """File suffix -> renderer, from every plugin (the first to claim a suffix keeps it)."""
    available: dict[str, Any] = {}
    for _, found in call_each(pm or get_plugin_manager(), "renderers"):
        for key, fn in (found or {}).items():
            available.setdefault(key, fn)
    return available


def render(report: Report, suffix: str, pm: Manager | None = None) -> bytes:
    """The report as bytes in the format named by a file suffix (pdf, html, md, json)."""
    available = available_renderers(pm)
    if suffix not in available:
        raise VenturePlanError(
            f"no renderer for .{suffix}; available: "
            + ", ".join("." + k for k in sorted(available))
        )
    result: bytes = available[suffix](report)
    return result


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
    return {
        "r": report,
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
