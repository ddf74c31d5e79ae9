"""The only code that changes a plan file.

Every change goes the same way: take the lock beside the file, read it, edit the text
(never re-dump the whole YAML, so comments, key order and quoting stay the founder's),
parse the result and validate it against the plan model, verify that nothing outside the
edit changed, then write it atomically (a temporary file in the same folder, fsync,
rename, fsync the folder). Any failure leaves the file exactly as it was.

The edits: `create` (a new plan), `append_record` (a run's record into `measured`),
`set_numbers` (numbers at parsed positions, for the workshop merge), `append_sections`
(top-level sections the interview adds) and `save_draft` (the interview's draft beside
the plan, which need not be a valid plan yet).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from dataclasses import field as _field
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
    "protocol",
)
ROWS = ("variants",)  # a block list with one flow mapping per entry


class PlanFileError(VenturePlanError):
    """The plan file could not be changed; it is exactly as it was."""


# --- the one way to change a plan file -----------------------------------------------


def _writable(path: Path) -> None:
    """A plan the founder made read-only stays as it is (root could write it anyway)."""
    if not path.stat().st_mode & 0o222:
        raise PlanFileError(f"{path} is read-only; make it writable to change it")


def _can_replace(path: Path) -> None:
    """The folder takes the temporary file an atomic write renames over the plan."""
    import tempfile

    try:
        with tempfile.NamedTemporaryFile(dir=path.resolve().parent, prefix=".vp-probe-"):
            pass
    except OSError as exc:
        raise PlanFileError(
            f"{path}: cannot write in its folder ({exc.strerror}); the plan is unchanged"
        ) from None


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
        if isinstance(old, float) and isinstance(new, float) and old != old and new != new:
            return  # NaN is NaN: unchanged, though not equal to itself
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
    dry_run: bool = False,
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
        try:
            new_text, allowed = change(text, before)
        except PlanFileError as exc:
            said = str(exc)
            if said.startswith(f"{path}: "):
                raise
            raise PlanFileError(f"{path}: {said}; the plan is unchanged") from None
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
        if dry_run:
            _can_replace(path)
        else:
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

    def shaped(key: str, value: Any) -> Any:
        if key in ROWS and isinstance(value, list):
            return CommentedSeq(flow(v) for v in value)
        return flow(value) if key in FLOW else value

    item = CommentedMap((k, shaped(k, v)) for k, v in record.document().items())
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


@dataclass
class _Measured:
    """Where the record goes: the `measured` value's kind and marks (character indices)."""

    flow_root: bool  # the plan is one flow mapping: JSON, or YAML written as {...}
    root_last: int  # just after the root mapping's last value
    root_empty: bool
    first_column: int  # the column of the root's first key
    kind: str = "absent"  # absent | null | flow | block | other
    key_column: int = 0
    start: int = 0  # the value's span
    end: int = 0
    close: int = 0  # a flow list's `]`
    items: int = 0
    last: int = 0  # just after the list's last item
    last_column: int = 0  # the column `last` is at
    column: int = 0  # a block list's `-`
    key_end: int = 0  # just after the `measured` key
    entries: list[_Entry] = _field(default_factory=list)


@dataclass
class _Entry:
    """One record in the list: where it starts and ends, and its `ignored` value if any."""

    start: int
    column: int
    flow: bool
    last: int = 0
    last_column: int = 0
    ignored: tuple[int, int] | None = None


def _find_measured(text: str) -> _Measured:
    """Walk the parser's events once for the top-level `measured` key and its value."""
    from ruamel.yaml.events import (
        AliasEvent,
        MappingEndEvent,
        MappingStartEvent,
        ScalarEvent,
        SequenceEndEvent,
        SequenceStartEvent,
    )

    from .source import events

    spot: _Measured | None = None
    stack: list[list[Any]] = []  # [is_map, expecting_key, flow]
    last = last_column = 0  # the end of the latest content (a scalar, or a flow collection)
    want = False  # the next root-level value is measured's
    inside = False  # within measured's list
    first_column = 0
    ignored_key = False
    for ev in events(text):
        cls = ev.__class__
        opens = cls is MappingStartEvent or cls is SequenceStartEvent
        if opens or cls is ScalarEvent or cls is AliasEvent:
            if len(stack) == 0 and opens:
                spot = _Measured(bool(ev.flow_style), ev.end_mark.index, True, 0)
                last = ev.end_mark.index  # just after `{`
            elif len(stack) == 1 and spot is not None:
                top = stack[-1]
                if top[1]:  # a root key
                    if spot.root_empty:
                        first_column = ev.start_mark.column
                    spot.root_empty = False
                    want = cls is ScalarEvent and ev.value == "measured"
                    if want:
                        spot.key_column = ev.start_mark.column
                        spot.key_end = ev.end_mark.index
                elif want:
                    spot.start, spot.end = ev.start_mark.index, ev.end_mark.index
                    if cls is SequenceStartEvent:
                        spot.kind = "flow" if ev.flow_style else "block"
                        spot.column = ev.start_mark.column
                        inside = True
                    elif cls is ScalarEvent and ev.value in ("", "~", "null", "Null", "NULL"):
                        spot.kind = "null" if not ev.style else "other"
                    else:
                        spot.kind = "other"
            elif len(stack) == 2 and inside:
                assert spot is not None
                spot.items += 1
                entry = _Entry(ev.start_mark.index, ev.start_mark.column, not opens)
                entry.flow = entry.flow or bool(getattr(ev, "flow_style", False))
                spot.entries.append(entry)
            elif len(stack) == 3 and inside and spot is not None and stack[-1][0]:
                if stack[-1][1]:  # a key of a record
                    ignored_key = cls is ScalarEvent and ev.value == "ignored"
                elif ignored_key and cls is ScalarEvent:
                    spot.entries[-1].ignored = (ev.start_mark.index, ev.end_mark.index)
            if not opens:
                last, last_column = ev.end_mark.index, ev.end_mark.column
                if len(stack) == 2 and inside and spot is not None:
                    spot.entries[-1].last, spot.entries[-1].last_column = last, last_column
            if stack and stack[-1][0]:
                stack[-1][1] = not stack[-1][1]
            if opens:
                stack.append([cls is MappingStartEvent, True, bool(ev.flow_style)])
        elif cls is MappingEndEvent or cls is SequenceEndEvent:
            _, _, flow = stack.pop()
            if len(stack) == 1 and inside:
                assert spot is not None
                spot.end, spot.close = ev.end_mark.index, ev.start_mark.index
                spot.last, spot.last_column = last, last_column
                inside = want = False
            if not stack and spot is not None:
                spot.root_last = last  # before the root's own `}`
            if flow:
                last, last_column = ev.end_mark.index, ev.end_mark.column
            if len(stack) == 2 and inside and spot is not None:
                spot.entries[-1].last, spot.entries[-1].last_column = last, last_column
    if spot is None:
        raise PlanFileError("the plan is not a mapping of fields")
    spot.first_column = first_column
    return spot


def _block_entry(entry: str, column: int) -> str:
    """`record_yaml`'s lines (a `- ` at column 2) moved to start at `column`."""
    return "".join(" " * column + ln[2:] + "\n" for ln in entry.splitlines())


def _json_entry(document: dict[str, Any], indent: int) -> str:
    text = json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False)
    return text.replace("\n", "\n" + " " * indent)


def _line_after(text: str, at: int, column: int) -> tuple[str, int]:
    """Where a new line goes after the content ending at `at`: the next line's start."""
    if column == 0:  # a block scalar ends at the start of the next line
        return text, at
    nl = text.find("\n", at)
    if nl < 0:
        return text + "\n", len(text) + 1
    return text, nl + 1


def splice(text: str, record: Record) -> str:
    """`text` with `record` appended to the top-level `measured` list, written the way the
    list is (a block list, a flow list, JSON), every other byte as it was."""
    document = record.document()
    spot = _find_measured(text)
    if spot.kind == "other":
        raise PlanFileError("`measured` must be a list, so that records can be added")
    if spot.flow_root:
        comma = "" if spot.root_empty else ","
        if "\n" not in text[: spot.root_last]:  # a one-line document stays on one line
            one = json.dumps(document, ensure_ascii=False, allow_nan=False)
            if spot.kind == "absent":
                at = spot.root_last
                return text[:at] + f'{comma} "measured": [{one}]' + text[at:]
            if spot.kind == "null" or (spot.kind == "flow" and spot.items == 0):
                return text[: spot.start] + f"[{one}]" + text[spot.end :]
            return text[: spot.last] + f", {one}" + text[spot.last :]
        inner = (spot.key_column if spot.kind != "absent" else spot.first_column) or 2
        item = " " * (inner + 2) + _json_entry(document, inner + 2)
        listed = "[\n" + item + "\n" + " " * inner + "]"
        if spot.kind == "absent":
            addition = f'{comma}\n{" " * inner}"measured": {listed}'
            return text[: spot.root_last] + addition + text[spot.root_last :]
        if spot.kind == "null" or (spot.kind == "flow" and spot.items == 0):
            return text[: spot.start] + listed + text[spot.end :]
        return text[: spot.last] + ",\n" + item + text[spot.last :]
    if spot.kind == "absent":
        return (
            text
            + ("" if text.endswith("\n") or not text else "\n")
            + "measured:\n"
            + record_yaml(record)
        )
    if spot.kind == "flow" and spot.items:
        one_line = json.dumps(document, ensure_ascii=False, allow_nan=False)
        return text[: spot.close].rstrip(" ") + ", " + one_line + text[spot.close :]
    if spot.kind == "block":
        text, at = _line_after(text, spot.last, spot.last_column)
        return text[:at] + _block_entry(record_yaml(record), spot.column) + text[at:]
    # `measured:`, `measured: ~` or `measured: []`: the value goes, the list follows the line
    head, tail = text[: spot.start], text[spot.end :]
    if tail[:1] in ("\n", "\r", ""):  # nothing after it on the line: no trailing blanks
        head = head.rstrip(" \t")
    text = head + tail
    text, at = _line_after(text, len(head), 1)
    return text[:at] + _block_entry(record_yaml(record), spot.key_column + 2) + text[at:]


def append_record(path: Path, record: Record, *, dry_run: bool = False) -> LoadedPlan:
    """Append `record` to the plan's `measured` list; every other byte stays. With
    `dry_run`, everything is done and checked but the file is not written: a run asks
    this before it trains, so a record it cannot write is known before the work."""
    document = record.document()

    def change(text: str, before: Before) -> tuple[str, list[FieldPath]]:
        return splice(text, record), [("measured",)]

    def check(before: Before, after: LoadedPlan) -> str | None:
        old, new = before.data.get("measured") or [], after.data.get("measured") or []
        if len(new) != len(old) + 1 or new[: len(old)] != old:
            return "adding the record would change more than the `measured` list"
        if after.plan.measured[-1].document() != document:
            return "the record reads back differently from what was written"
        return None

    return _edit(path, change, check, dry_run=dry_run)


def _record_index(before: Before, run: str) -> int:
    runs = [
        m.get("run") if isinstance(m, dict) else None for m in before.data.get("measured") or []
    ]
    if run not in runs:
        listed = ", ".join(str(r) for r in runs) or "none"
        raise PlanFileError(f"no run {run!r} in `measured` (runs: {listed})")
    return runs.index(run)


def _record_edit(
    path: Path,
    run: str,
    edit: Callable[[str, _Measured, int], str],
    expect: Callable[[list[Any], int], list[Any]],
) -> LoadedPlan:
    where: list[int] = []

    def change(text: str, before: Before) -> tuple[str, list[FieldPath]]:
        i = _record_index(before, run)
        where.append(i)
        return edit(text, _find_measured(text), i), [("measured",)]

    def check(before: Before, after: LoadedPlan) -> str | None:
        old = list(before.data.get("measured") or [])
        if (after.data.get("measured") or []) != expect(old, where[0]):
            return "the edit would change more than that record"
        return None

    return _edit(path, change, check)


def set_ignored(path: Path, run: str) -> LoadedPlan:
    """Mark the record of `run` `ignored: true`: shown, never counted. Nothing else moves."""

    def edit(text: str, spot: _Measured, i: int) -> str:
        entry = spot.entries[i]
        if entry.ignored is not None:
            lo, hi = entry.ignored
            return text[:lo] + "true" + text[hi:]
        if entry.flow:
            pair = '"ignored": true' if spot.flow_root or _is_json(path) else "ignored: true"
            close = text.rindex("}", 0, entry.last)
            return text[:close].rstrip(" ") + ", " + pair + text[close:]
        text, at = _line_after(text, entry.last, entry.last_column)
        return text[:at] + " " * entry.column + "ignored: true\n" + text[at:]

    def expect(old: list[Any], i: int) -> list[Any]:
        return [{**m, "ignored": True} if j == i else m for j, m in enumerate(old)]

    return _record_edit(path, run, edit, expect)


def drop_record(path: Path, run: str) -> LoadedPlan:
    """Remove the record of `run` from `measured`; every other byte stays."""

    def edit(text: str, spot: _Measured, i: int) -> str:
        entries, entry = spot.entries, spot.entries[i]
        if spot.kind == "flow":
            if len(entries) == 1:
                return text[: entry.start] + text[entry.last :]
            if i > 0:
                return text[: entries[i - 1].last] + text[entry.last :]
            return text[: entry.start] + text[entries[1].start :]
        start = text.rfind("\n", 0, entry.start) + 1  # the line of its `-`
        if i + 1 < len(entries):
            end = text.rfind("\n", 0, entries[i + 1].start) + 1
        else:
            text, end = _line_after(text, entry.last, entry.last_column)
        text = text[:start] + text[end:]
        if len(entries) == 1:  # the list is empty now: `measured: []`
            colon = text.index(":", spot.key_end)
            text = text[: colon + 1] + " []" + text[colon + 1 :]
        return text

    def expect(old: list[Any], i: int) -> list[Any]:
        return old[:i] + old[i + 1 :]

    return _record_edit(path, run, edit, expect)


# --- numbers and sections --------------------------------------------------------------


def number_text(value: float) -> str:
    """A number as the plan shows it: 5, 0.25, 12345.6789 (at most four decimals)."""
    if value == int(value):
        return str(int(value))
    return f"{round(value, 4):.15g}"


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
        fields = list(values)
        spots = before.source.locate_all([(f, False) for f in fields])  # one pass for all
        edits = [
            (line - 1, col - 1, number_text(values[f]))
            for f, (line, col) in zip(fields, spots, strict=True)
        ]
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


def with_sections(text: str, body: str, have: dict[str, Any], file: str = "<sections>") -> str:
    """`text` with the top-level sections in `body` appended. A section the plan names but
    leaves empty (`risks:` or `risks: []`) gives way to the new one; the rest stays."""
    if not body.strip():
        return text
    added, _ = parse(body, file)
    empty = {k for k in added if k in have and not have[k]}
    if empty:
        text = "\n".join(ln for ln in text.splitlines() if ln.split(":", 1)[0] not in empty) + "\n"
    return text.rstrip("\n") + "\n\n" + body


def append_sections(path: Path, body: str) -> LoadedPlan:
    """Append top-level sections (YAML text) to the plan, as `with_sections` does."""

    def change(text: str, before: Before) -> tuple[str, list[FieldPath]]:
        added, _ = parse(body, str(path))
        return with_sections(text, body, before.data, str(path)), [(key,) for key in added]

    return _edit(path, change, valid_before=False)


def validate_text(text: str, path: Path) -> LoadedPlan:
    """The text as a validated plan, its errors located as lines of `path`; writes nothing."""
    return _parse(text, path)


def save_draft(path: Path, text: str) -> None:
    """Write a draft beside a plan (the interview's answers so far): atomically, and only if
    it reads as YAML. A draft need not be a valid plan yet; only its interview writes it."""
    parse(text, str(path))  # a located PlanError, and nothing written, if it does not read
    write_atomic(path, text)


# --- the baseline ----------------------------------------------------------------------

BASELINE_KEY = re.compile(r"^baseline\s*:", re.MULTILINE)


def baseline_yaml(baseline: dict[str, Any]) -> str:
    """The `baseline:` section: its dates, and one flow mapping per task."""
    lines = [
        "baseline:  # written by `ventureplan baseline`; do not edit",
        f"  taken: {baseline['taken']}",
        f"  finish: {baseline['finish']}",
    ]
    if not baseline["tasks"]:
        lines.append("  tasks: []")
    else:
        lines.append("  tasks:")
        for t in baseline["tasks"]:
            ident = json.dumps(t["id"], ensure_ascii=False)
            lines.append(f"    - {{id: {ident}, start: {t['start']}, finish: {t['finish']}}}")
    return "\n".join(lines) + "\n"


def _without_section(text: str, key: re.Pattern[str]) -> str:
    """`text` without the top-level section `key` matches: its line up to the next top-level
    key (comments and blank lines just before that key stay with it)."""
    found = key.search(text)
    if found is None:
        return text
    lines = text[found.start() :].splitlines(keepends=True)
    end = 1
    while end < len(lines):
        line = lines[end]
        if line.strip() and not line[0].isspace() and not line.startswith("#"):
            break
        end += 1
    while end > 1 and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
        end -= 1  # what stands before the next key belongs to it
    return text[: found.start()] + "".join(lines[end:])


def set_baseline(path: Path, baseline: dict[str, Any]) -> LoadedPlan:
    """Store `baseline` ({taken, finish, tasks: [{id, start, finish}]}, dates as ISO text) as
    the plan's `baseline`, replacing the one it had; every other byte stays."""

    def change(text: str, before: Before) -> tuple[str, list[FieldPath]]:
        if _is_json(path):
            document = json.loads(text)
            document["baseline"] = baseline
            return json.dumps(document, indent=2, ensure_ascii=False) + "\n", [("baseline",)]
        if "baseline" in before.data and BASELINE_KEY.search(text) is None:
            raise PlanFileError("its `baseline` is written in a way this writer cannot replace")
        rest = _without_section(text, BASELINE_KEY).rstrip("\n")
        return rest + "\n\n" + baseline_yaml(baseline), [("baseline",)]

    def check(before: Before, after: LoadedPlan) -> str | None:
        stored = after.plan.baseline
        if stored is None or stored.model_dump(mode="json") != baseline:
            return "the baseline reads back differently from what was written"
        return None

    return _edit(path, change, check)
