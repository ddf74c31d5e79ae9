"""`check`: validation errors, then every plugin's lints, each with its location."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from .errors import Finding, PlanError, PluginError
from .load import LoadedPlan, load_plan
from .plugin_manager import Manager, get_plugin_manager

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass
class CheckResult:
    file: str
    findings: list[Finding] = field(default_factory=list)
    loaded: LoadedPlan | None = None

    @property
    def valid(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    def count(self, severity: str) -> int:
        return sum(f.severity == severity for f in self.findings)


def lint(loaded: LoadedPlan, pm: Manager | None = None) -> list[Finding]:
    """Run every plugin's `plan_checks`, one at a time, so a plugin that raises is named."""
    pm = pm or get_plugin_manager()
    findings: list[Finding] = []
    for info in pm.failed:
        findings.append(
            Finding(
                "plugin-failed",
                f"plugin '{info.name}' could not be loaded: {info.error}",
                severity="error",
                plugin=info.name,
                hint=f"fix or uninstall the package that provides it ({info.module})",
            )
        )
    for impl in reversed(pm.hook.plan_checks.get_hookimpls()):
        try:
            found = cast("list[Finding]", impl.function(plan=loaded.plan) or [])
        except Exception as exc:
            findings.append(
                Finding(
                    "plugin-failed",
                    f"plugin '{impl.plugin_name}' raised {type(exc).__name__}: {exc}",
                    severity="error",
                    plugin=impl.plugin_name,
                    hint="report it to the plugin's authors, or uninstall it",
                )
            )
            continue
        for f in found:
            f.plugin = f.plugin or impl.plugin_name
            findings.append(f)
    return loaded.place(findings)


def analysis_findings(loaded: LoadedPlan, pm: Manager) -> list[Finding]:
    """The lints that need the schedule and simulation (default iterations and seed)."""
    if not pm.hook.analysis_checks.get_hookimpls():
        return []
    from .analysis import analyze

    try:
        return loaded.place(analyze(loaded.plan, pm=pm).findings)
    except PluginError as exc:
        return [
            Finding(
                "plugin-failed", str(exc), hint="report it to the plugin's authors, or uninstall it"
            )
        ]


def check_file(path: str | Path, pm: Manager | None = None) -> CheckResult:
    pm = pm or get_plugin_manager()
    try:
        loaded = load_plan(path)
    except PlanError as exc:
        return CheckResult(str(path), exc.findings)
    findings = lint(loaded, pm)
    if not any(f.severity == "error" for f in findings):
        findings += analysis_findings(loaded, pm)
    findings.sort(key=lambda f: (SEVERITY_ORDER[f.severity], f.line or 0, f.column or 0))
    return CheckResult(loaded.file, findings, loaded)
