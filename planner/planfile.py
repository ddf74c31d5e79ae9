"""The only code that changes a plan file.

Every change goes the same way: take the lock beside the file, read it, edit the text
(never re-dump the whole YAML, so comments, key order and quoting stay the founder's),
parse the result and validate it against the plan model, verify that nothing outside the
edit changed, then write it atomically (a temporary file in the same folder, fsync,
rename, fsync the folder). Any failure leaves the file exactly as it was.

The edits: `create` (a new plan), `append_record` (a run's record into `measured`),
`set_numbers` (numbers at parsed positions, for the workshop merge) and `append_sections`
(top-level sections the interview adds).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .atomic import locked, write_atomic
from .errors import Path as FieldPath
from .errors import PlanError, VenturePlanError
from .load import LoadedPlan, validate_data
from .model import Plan
from .records import Record
from .source import SourceMap, parse, read

TOP_KEY = re.compile(r"^[A-Za-z_][\w-]*\s*:", re.MULTILINE)
NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
# Small maps of a record written on one line each, so a record reads as a short block.
FLOW = (
    "versions",
    "data",
    "hyperparameters",
    "metrics",
    "intervals",
    "goals",
    "training",
    "forecast",
)


class PlanFileError(VenturePlanError):
    """The plan file could not be changed; it is exactly as it was."""


# --- the one way to change a plan file -----------------------------------------------


def _writable(path: Path) -> None:
    """A plan the founder made read-only stays as it is (root could write it anyway)."""
    if not path.stat().st_mode & 0o222:
        raise PlanFileError(f"{path} is read-only; make it writable to change it")


def _is_json(path: Path) -> bool:
    return path.suffix.lower() == ".json"


def _parse(text: str, path: Path) -> LoadedPlan:
    """The text as a validated plan, or PlanError naming each problem at its line."""
    data, source = parse(text, str(path), as_json=_is_json(path))
    return validate_data(data, source)


@dataclass
class Before:
    """The file as it was: its data and where each field is; `plan` where it was valid."""

    data: dict[str, Any]
    source: SourceMap
    plan: Plan | None


def _changed(old: Any, new: Any, here: FieldPath = ()) -> Iterable[FieldPath]:
    """The paths at which two parsed documents differ (as deep as both are containers)."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in old.keys() | new.keys():
            if key not in old or key not in new:
                yield (*here, key)
            else:
                yield from _changed(old[key], new[key], (*here, key))
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            yield from _changed(a, b, (*here, i))
    elif old != new or type(old) is not type(new):
        yield here


def _value_at(data: Any, path: FieldPath) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _under(path: FieldPath, allowed: Iterable[FieldPath]) -> bool:
    return any(path[: len(a)] == a for a in allowed)


def _edit(
    path: Path,
    change: Callable[[str, Before], tuple[str, list[FieldPath]]],
    check: Callable[[Before, LoadedPlan], str | None] | None = None,
    *,
    valid_before: bool = True,
) -> LoadedPlan:
    """Apply `change` (old text, the file as it was -> new text, the paths it may change)
    under the lock; validate, verify and write atomically. Returns the plan as written.
    `valid_before=False` lets an incomplete plan be completed (the result must be valid)."""
    with locked(path):
        data, source = read(path)  # a missing or unreadable file is a located PlanError
        _writable(path)
        text = source.text or ""
        plan = validate_data(data, source).plan if valid_before else None
        before = Before(data, source, plan)
        new_text, allowed = change(text, before)
        try:
            after = _parse(new_text, path)
        except PlanError as exc:
            raise PlanFileError(
                f"{path}: the change would make the plan invalid "
                f"({exc.findings[0].format()}); the plan is unchanged"
            ) from None
        outside = [p for p in _changed(before.data, after.data) if not _under(p, allowed)]
        if outside:
            where = ", ".join(".".join(map(str, p)) or "(plan)" for p in outside[:3])
            raise PlanFileError(
                f"{path}: the change would also alter {where}; the plan is unchanged"
            )
        problem = check(before, after) if check else None
        if problem:
            raise PlanFileError(f"{path}: {problem}; the plan is unchanged")
        write_atomic(path, new_text)
        return after


def create(path: Path, text: str, *, force: bool = False) -> LoadedPlan:
    """Write a new plan file, validated first; an existing file only with `force`."""
    loaded = _parse(text, path)  # PlanError, located, before anything is written
    with locked(path):
        if path.exists() and not force:
            raise PlanFileError(f"{path} already exists; pass --force to overwrite it")
        if path.exists():
            _writable(path)
        write_atomic(path, text)
    return loaded


# --- records ---------------------------------------------------------------------------


def record_yaml(record: Record) -> str:
    """The record as one block-list entry indented under `measured:`, small maps in flow style."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    def flow(value: Any) -> Any:
        if isinstance(value, dict):
            m = CommentedMap((k, flow(v)) for k, v in value.items())
            m.fa.set_flow_style()
            return m
        if isinstance(value, list | tuple):
            s = CommentedSeq(flow(v) for v in value)
            s.fa.set_flow_style()
            return s
        return value

    item = CommentedMap((k, flow(v) if k in FLOW else v) for k, v in record.document().items())
    yaml = YAML(typ="rt")
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    buf = io.StringIO()
    yaml.dump({"measured": [item]}, buf)
    entry = buf.getvalue().split("\n", 1)[1]  # drop the `measured:` line
    try:
        back, _ = parse("measured:\n" + entry, "record")
    except PlanError:
        back = None
    if back != {"measured": [record.document()]}:
        # ruamel writes a few plain scalars (`{:0: 1}`) that YAML 1.2 readers refuse; JSON
        # is YAML 1.2 too, and reads back the same everywhere
        entry = "  - " + json.dumps(record.document(), ensure_ascii=False) + "\n"
    return entry


def splice(text: str, entry: str) -> str:
    """`text` with `entry` (block-list lines) appended to the top-level `measured` list."""
    keys = list(TOP_KEY.finditer(text))
    spot = next((i for i, m in enumerate(keys) if m.group().rstrip(": \t") == "measured"), None)
    if spot is None:
        return text + ("" if text.endswith("\n") else "\n") + "measured:\n" + entry
    start = keys[spot].start()
    end = keys[spot + 1].start() if spot + 1 < len(keys) else len(text)
    block = text[start:end]
    head, _, rest = block.partition("\n")
    value = head.split(":", 1)[1].split("#", 1)[0].strip()
    if value == "[]":  # `measured: []` becomes a block list
        comment = head[head.index("#") :] if "#" in head else ""
        new = "measured:" + (f"  {comment}" if comment else "") + "\n" + entry + rest
    elif value:
        raise PlanFileError(
            "`measured` is written inline; write it as a block list (one `- run:` per line) "
            "so records can be added"
        )
    else:
        # after the list's last line; blank lines and column-0 comments below it stay below
        lines = block.split("\n")
        last = max(
            (i for i, ln in enumerate(lines) if i == 0 or (ln.strip() and ln[0] in " \t-")),
            default=0,
        )
        new = "\n".join(lines[: last + 1]) + "\n" + entry + "\n".join(lines[last + 1 :])
    return text[:start] + new + text[end:]


def append_record(path: Path, record: Record) -> LoadedPlan:
    """Append `record` to the plan's `measured` list; every other byte stays."""
    document = record.document()

    def change(text: str, before: Before) -> tuple[str, list[FieldPath]]:
        if _is_json(path):
            data = json.loads(text)
            data.setdefault("measured", []).append(document)
            return json.dumps(data, ensure_ascii=False, indent=2) + "\n", [("measured",)]
        return splice(text, record_yaml(record)), [("measured",)]

    def check(before: Before, after: LoadedPlan) -> str | None:
        old, new = before.data.get("measured") or [], after.data.get("measured") or []
        if len(new) != len(old) + 1 or new[: len(old)] != old:
            return "adding the record would change more than the `measured` list"
        if after.plan.measured[-1].document() != document:
            return "the record reads back differently from what was written"
        return None

    return _edit(path, change, check)


# --- numbers and sections --------------------------------------------------------------


def number_text(value: float) -> str:
    """A number as the plan shows it: 5, 0.25 (at most four decimals)."""
    return f"{value:g}" if value == int(value) else f"{round(value, 4):g}"


def set_numbers(
    path: Path,
    numbers: Callable[[Plan], dict[FieldPath, float]],
    verify: Callable[[LoadedPlan], str | None] | None = None,
) -> LoadedPlan:
    """Replace the numbers at the field paths `numbers(plan)` gives (each token where the
    parser found it, the plan as read under the lock), and nothing else. `verify` sees the
    plan as it would be written and returns a problem (the file stays as it was) or None."""
    values: dict[FieldPath, float] = {}

    def change(text: str, before: Before) -> tuple[str, list[FieldPath]]:
        assert before.plan is not None
        values.update(numbers(before.plan))
        lines = text.split("\n")
        edits = []
        for field, value in values.items():
            line, col = before.source.locate(field)
            edits.append((line - 1, col - 1, number_text(value)))
        for line, col, new in sorted(edits, reverse=True):
            m = NUMBER.match(lines[line], col)
            if m is None:
                raise PlanFileError(
                    f"{path}:{line + 1}:{col + 1}: expected a number to replace; "
                    "the plan is unchanged"
                )
            lines[line] = lines[line][:col] + new + lines[line][m.end() :]
        return "\n".join(lines), list(values)

    def check(before: Before, after: LoadedPlan) -> str | None:
        wrong = []
        for field, value in values.items():
            got = _value_at(after.data, field)
            if not isinstance(got, int | float) or abs(got - float(number_text(value))) > 1e-9:
                wrong.append(".".join(map(str, field)))
        if wrong:
            return (
                f"could not write {', '.join(wrong)} in place "
                "(is a value written as text or an alias?)"
            )
        return verify(after) if verify else None

    return _edit(path, change, check)


def append_sections(path: Path, body: str) -> LoadedPlan:
    """Append top-level sections (YAML text) to the plan. A section the plan names but
    leaves empty (`risks:` or `risks: []`) gives way to the new one; the rest stays."""

    def change(text: str, before: Before) -> tuple[str, list[FieldPath]]:
        added, _ = parse(body, str(path))
        empty = {k for k in added if k in before.data and not before.data[k]}
        if empty:
            text = (
                "\n".join(ln for ln in text.splitlines() if ln.split(":", 1)[0] not in empty) + "\n"
            )
        return text.rstrip("\n") + "\n\n" + body, [(key,) for key in added]

    return _edit(path, change, valid_before=False)
