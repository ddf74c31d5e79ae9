"""The one way a plan goes through ventureplan: load → lint → analyze → findings placed on
their lines. Every command calls this module; nothing else strings those steps together.

`check` runs the simulation too: the deadline and cash lints need the P80 finish.
A plugin that raises is a warning naming it, never a reason to call the plan invalid.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .analysis import analyze as simulate_plan
from .defaults import DEFAULT_ITERATIONS, DEFAULT_SEED, LANGUAGES
from .errors import Finding, PlanError, VenturePlanError
from .load import LoadedPlan, load_plan
from .plugin_manager import Manager, collect, findings, get_plugin_manager, load_failures
from .report import labels
from .results import Analysis, Report
from .routecheck import route_findings

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass
class Outcome:
    """A plan file after the pipeline: every finding (located, errors first), and the
    loaded plan and its analysis where it got that far."""

    file: str
    findings: list[Finding] = field(default_factory=list)
    loaded: LoadedPlan | None = None
    analysis: Analysis | None = None

    @property
    def valid(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    def count(self, severity: str) -> int:
        return sum(f.severity == severity for f in self.findings)

    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]


def lint(loaded: LoadedPlan, pm: Manager | None = None) -> list[Finding]:
    """Every plugin's `plan_checks`, and each route checked against what its kind takes
    (`route_parameters`: hyperparameters, search values, limits, goal metrics, data file),
    located; plugins that failed to load or raised are warnings."""
    pm = pm or get_plugin_manager()
    failures = load_failures(pm)
    found = findings(pm, "plan_checks", failures, plan=loaded.plan)
    found += route_findings(loaded.plan, Path(loaded.file).parent, pm, failures)
    return loaded.place(failures + found)


def _sort(found: list[Finding]) -> list[Finding]:
    return sorted(found, key=lambda f: (SEVERITY_ORDER[f.severity], f.line or 0, f.column or 0))


def check(
    path: str | Path | LoadedPlan,
    *,
    iterations: int = DEFAULT_ITERATIONS,
    seed: int = DEFAULT_SEED,
    pm: Manager | None = None,
    simulate: bool | None = None,
) -> Outcome:
    """Load, lint and (when nothing is wrong so far) analyze. Never raises for a bad plan:
    its errors are findings. `simulate=None` analyzes only when a plugin checks the
    analysis (the built-in SMART lints do: the deadline and cash lints need P80)."""
    pm = pm or get_plugin_manager()
    if isinstance(path, LoadedPlan):
        loaded = path
    else:
        try:
            loaded = load_plan(path)
        except PlanError as exc:
            return Outcome(str(path), exc.findings)
    found = lint(loaded, pm)
    outcome = Outcome(loaded.file, found, loaded)
    if simulate is None:
        simulate = bool(pm.hook.analysis_checks.get_hookimpls())
    if outcome.valid and simulate:
        outcome.analysis = simulate_plan(loaded.plan, iterations=iterations, seed=seed, pm=pm)
        found += loaded.place(outcome.analysis.findings)
    outcome.findings = _sort(found)
    return outcome


def analyze(
    path: str | Path | LoadedPlan,
    *,
    iterations: int = DEFAULT_ITERATIONS,
    seed: int = DEFAULT_SEED,
    pm: Manager | None = None,
) -> Outcome:
    """`check`, but an invalid plan raises PlanError with its errors: nothing to analyze."""
    outcome = check(path, iterations=iterations, seed=seed, pm=pm, simulate=True)
    if not outcome.valid or outcome.analysis is None:
        raise PlanError(outcome.errors())
    return outcome


def diagrams(
    analysis: Analysis,
    words: dict[str, Any],
    pm: Manager | None = None,
    failures: list[Finding] | None = None,
) -> dict[str, str]:
    """Every plugin's Mermaid diagrams by name; a name given twice is an error."""
    pm = pm or get_plugin_manager()
    return collect(pm, "mermaid_diagrams", "diagram", failures, analysis=analysis, labels=words)


def _language(lang: str | None, loaded: LoadedPlan) -> str:
    lang = lang or loaded.plan.language
    if lang not in LANGUAGES:
        raise VenturePlanError(
            f"unknown report language '{lang}'; choose one of: {', '.join(LANGUAGES)}"
        )
    return lang


def report(
    path: str | Path | LoadedPlan,
    *,
    lang: str | None = None,
    iterations: int = DEFAULT_ITERATIONS,
    seed: int = DEFAULT_SEED,
    pm: Manager | None = None,
    today: dt.date | None = None,
) -> Report:
    """Everything a renderer needs, and `roadmap` the diagrams from it. An invalid plan
    raises PlanError; a diagram plugin that raises joins the findings as a warning."""
    pm = pm or get_plugin_manager()
    loaded = path if isinstance(path, LoadedPlan) else load_plan(path)
    lang = _language(lang, loaded)
    outcome = analyze(loaded, iterations=iterations, seed=seed, pm=pm)
    assert outcome.analysis is not None
    words = labels(lang)
    failures: list[Finding] = []
    drawn = diagrams(outcome.analysis, words, pm, failures)
    return Report(
        loaded,
        outcome.analysis,
        lang,
        words,
        outcome.findings + loaded.place(failures),
        drawn,
        today or dt.date.today(),
    )


def renderers(pm: Manager | None = None) -> dict[str, Any]:
    """File suffix -> renderer, from every plugin (the first to claim a suffix keeps it)."""
    return collect(pm or get_plugin_manager(), "renderers", "renderer", [], clash="first")


def render(report: Report, suffix: str, pm: Manager | None = None) -> bytes:
    """The report as bytes in the format named by a file suffix (pdf, html, md, json)."""
    available = renderers(pm)
    if suffix not in available:
        raise VenturePlanError(
            f"no renderer for .{suffix}; available: "
            + ", ".join("." + k for k in sorted(available))
        )
    result: bytes = available[suffix](report)
    return result
