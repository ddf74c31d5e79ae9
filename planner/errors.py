"""One error hierarchy, and the finding that every check and lint reports."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
Path = tuple[str | int, ...]


def format_path(path: Path) -> str:
    """`('tasks', 3, 'estimate')` -> `tasks[3].estimate`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or "(plan)"


def _one_line(text: str) -> str:
    return " ".join(text.split()) if "\n" in text or "\r" in text else text


@dataclass
class Finding:
    """One thing a check found in a plan: an error that makes it invalid, or a lint."""

    code: str
    message: str
    severity: Severity = "error"
    path: Path = ()
    letter: str | None = None  # S, M, A, R or T for SMART lints
    hint: str | None = None
    plugin: str | None = None
    file: str | None = None
    line: int | None = None
    column: int | None = None

    @property
    def where(self) -> str:
        return format_path(self.path)

    def format(self) -> str:
        """`FILE:LINE:COL: error: field.path: message`, the form editors jump to: one line,
        whatever line breaks a parser's or a plugin's message holds."""
        loc = f"{self.file or '<plan>'}:{self.line or 1}:{self.column or 1}"
        kind = self.severity if self.letter is None else f"{self.severity}[{self.letter}]"
        where = f"{self.where}: " if self.path else ""
        text = f"{loc}: {kind}: {where}{_one_line(self.message)}"
        if self.hint:
            text += f" (fix: {_one_line(self.hint)})"
        return text

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = self.where
        return data


class VenturePlanError(Exception):
    """Base class: something the user can fix, reported without a traceback."""

    exit_code = 1


class PlanError(VenturePlanError):
    """The plan cannot be used; carries every error found, each with its location."""

    def __init__(self, findings: list[Finding]):
        self.findings = findings
        super().__init__("\n".join(f.format() for f in findings))


class PluginError(VenturePlanError):
    """A plugin failed to load or raised while running; named so the user can remove it."""
