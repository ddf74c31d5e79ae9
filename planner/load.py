"""Loading a plan: read, parse, validate fields, cross-check. One call, located errors.

Every phase that can run reports at once: a plan whose fields do not validate is still
cross-checked from its raw data (`partial_check`), so a bad number and a bad reference
come out of the same `check`, the banner of `serve` and every command that loads a plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .crosscheck import cross_check, partial_check
from .errors import Finding, PlanError
from .model import Plan
from .source import SourceMap, read
from .validate import schema_findings


@dataclass
class LoadedPlan:
    """A valid plan with the file it came from, so later findings can name their line."""

    plan: Plan
    data: dict[str, Any]
    source: SourceMap

    @property
    def file(self) -> str:
        return self.source.file

    def place(self, findings: list[Finding]) -> list[Finding]:
        return self.source.place_all(findings)


def validate_data(data: dict[str, Any], source: SourceMap) -> LoadedPlan:
    """Validate parsed data; raise PlanError with every located error."""
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        findings = schema_findings(exc, data)
        findings += partial_check(data, [f.path for f in findings])
    else:
        findings = cross_check(plan)
        if not findings:
            return LoadedPlan(plan, data, source)
    source.place_all(findings)
    findings.sort(key=lambda f: (f.line or 0, f.column or 0))
    raise PlanError(findings)


def load_plan(path: str | Path) -> LoadedPlan:
    """Read and validate a plan file. Raises PlanError naming file, line and column."""
    data, source = read(Path(path))
    return validate_data(data, source)
