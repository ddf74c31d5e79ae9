"""One error hierarchy, and the finding that every check and lint reports."""

from __future__ import annotations

import re
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


# C0 controls but tab and newline, DEL and C1: ESC/OSC/CSI sequences in plan text would
# retitle, clear or recolour the reader's terminal.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_safe(text: object) -> str:
    """Text for a terminal: control characters shown as `\\x1b`, never sent."""
    return CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def _one_line(text: str) -> str:
    text = " ".join(text.split()) if "\n" in text or "\r" in text else text
    return terminal_safe(text)


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
        text = f"{terminal_safe(loc)}: {kind}: {_one_line(where)}{_one_line(self.message)}"
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
