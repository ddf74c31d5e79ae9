"""Delphi rounds in a workshop: one estimate sheet per participant, then a merge.

A sheet holds every task's three points and every risk's probability and impact,
pre-filled from the plan. Merging takes the median (or another rule) of each number,
writes the merged values into the plan by editing only those numbers in the file's text
(comments and formatting stay), and ranks the numbers by how much people disagree.

A sheet is a YAML file (or JSON, named `.json`) that people edit by hand, so every cell is
read as hostile: a value that is not a finite, in-range number with a sane count of digits,
a nested value, an unknown field, an oversized or non-regular file, a sheet for another plan
or a second sheet from the same person is a located one-line finding, never a traceback.
What is written must analyze: the merged plan goes through the analysis before the write.
"""

from __future__ import annotations

import math
import os
import re
import stat
import statistics
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import planfile
from ..atomic import output_path, write_atomic
from ..defaults import DEFAULT_SEED, MAX_DAYS
from ..errors import Finding, PlanError, VenturePlanError
from ..load import LoadedPlan, load_plan
from ..model import Plan
from ..planfile import number_text as _num
from ..source import MAX_BYTES, SourceMap, decode, parse, read_bytes

TASK_FIELDS = ("optimistic", "likely", "pessimistic")
RISK_FIELDS = ("probability", "impact")
RULES: dict[str, Callable[[list[float]], float]] = {
    "median": statistics.median,
    "mean": statistics.fmean,
    "min": min,
    "max": max,
}

# Participants' names become part of file names: PLAN.estimates.NAME.yaml.
MAX_NAME = 64
NAME_RULE = f"1 to {MAX_NAME} letters, digits, '-', '_' or '.', starting with a letter or digit"
_NAME = re.compile(r"[^\W_][\w.-]*")
# Most file systems allow 255 bytes in a name; the temporary file written beside a sheet
# (`.NAME.XXXXXXXX.tmp`, see atomic.write_atomic) needs 14 more.
MAX_FILE_NAME = 240

# A sheet is small: its header and one short line per task and risk. Anything far larger
# is the wrong file, and is refused before it is read in full.
SHEET_BASE_BYTES = 256 * 1024
SHEET_BYTES_PER_ITEM = 2048
MAX_DIGITS = 20  # in one number of a sheet (a generated sheet writes at most 6)
MAX_DIGIT_RUN = 1000  # anywhere in a sheet: past 4,300 the parsers fail on an integer
MAX_FLOW_DEPTH = 16  # nested [ and { in a sheet; a sheet needs 1, a parser may crash on 50,000
MAX_FINDINGS = 20  # per sheet; the rest are counted in one more line
VERIFY_ITERATIONS = 200  # the analysis a merged plan must pass before it is written

_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}([T ].*)?")
_DIGITS = re.compile(rf"\d{{{MAX_DIGIT_RUN + 1},}}")
_TOKEN = re.compile(r"[^\s,\]}#]*")
# A quoted string, a comment, or a bracket that opens or closes a flow collection.
# (An unclosed quote runs to the end, so no text makes this scan quadratic.)
_FLOW = re.compile(
    r"""'(?:[^']|'')*'?|"(?:[^"\\]|\\.)*"?|(?:^|(?<=\s))#[^\n]*|([\[\]{}])""", re.M | re.S
)


def _show(text: object, limit: int = 40) -> str:
    """Text from a sheet or the command line, safe for a one-line message: at most `limit`
    characters, every unprintable one (line breaks, controls) written as an escape."""
    s = str(text)
    if len(s) > limit:
        s = s[:limit] + "…"
    return "".join(
        c if c.isprintable() else (f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}")
        for c in s
    )


def _comment(text: str | None, limit: int) -> str:
    """Plan text for a `#` comment in a sheet: one line of printable characters, so no
    task name can end the comment, hold a character YAML refuses, or fail to encode."""
    one = " ".join((text or "").split())[:limit]
    return "".join(c if c.isprintable() else "?" for c in one)


def check_names(plan_path: Path, participants: list[str]) -> list[str]:
    """The participants' names as used in file names (NFC), or a VenturePlanError for the
    first one that breaks the rule, is named twice (ignoring case: some file systems do) or
    would make the sheet's file name too long."""
    names: list[str] = []
    seen: dict[str, str] = {}
    for raw in participants:
        who = unicodedata.normalize("NFC", raw)
        if len(who) > MAX_NAME:
            raise VenturePlanError(
                f"participant '{_show(who)}': the name is {len(who):,} characters; use {NAME_RULE}"
            )
        if not _NAME.fullmatch(who):
            raise VenturePlanError(f"participant '{_show(who)}': use {NAME_RULE}")
        if who.casefold() in seen:
            raise VenturePlanError(
                f"participant '{who}' is named twice (as '{seen[who.casefold()]}' and '{who}'); "
                "each person gets one sheet"
            )
        seen[who.casefold()] = who
        size = len(os.fsencode(sheet_name(plan_path, who)))
        if size > MAX_FILE_NAME:
            raise VenturePlanError(
                f"participant '{who}': the sheet's file name would be {size} bytes, over the "
                f"{MAX_FILE_NAME} a file name may have; use a shorter name or a plan file "
                "with a shorter name"
            )
        names.append(who)
    return names


def sheet_name(plan_path: Path, who: str) -> str:
    return f"{plan_path.stem}.estimates.{who}.yaml"


def _participant_line(who: str) -> str:
    """`participant: NAME`, quoted where YAML would read the bare name as something else
    (`true`, `null`, `1e5`, `0x1f`)."""
    plain = f"participant: {who}"
    try:
        data, _ = parse(plain, "<name>")
    except PlanError:
        data = {}
    return plain if data.get("participant") == who else f"participant: '{who}'"


def sheet_text(loaded: LoadedPlan, participant: str) -> str:
    plan = loaded.plan
    lines = [
        f"# Estimate sheet for {_comment(participant, MAX_NAME)}: {_comment(plan.name, 80)}",
        "# Change the numbers you disagree with and leave the rest; then hand the file back.",
        "# Tasks: optimistic <= likely <= pessimistic, in "
        + ("working days." if plan.calendar == "workdays" else "days."),
        "# Risks: probability from 0 to 1; impact from 1 (minor) to 5 (fatal).",
        _participant_line(participant),
        "tasks:",
    ]
    for t in plan.tasks:
        if t.estimate is not None:
            e = t.estimate
            lines.append(
                f"  {t.id}: {{optimistic: {_num(e.optimistic)}, likely: {_num(e.likely)}, "
                f"pessimistic: {_num(e.pessimistic)}}}  # {_comment(t.name, 70)}"
            )
    lines.append("risks:" if plan.risks else "risks: {}")
    for r in plan.risks:
        lines.append(
            f"  {r.id}: {{probability: {_num(r.probability)}, impact: {r.impact}}}"
            f"  # {_comment(r.title, 70)}"
        )
    return "\n".join(lines) + "\n"


def _sheet_folder(plan_path: Path, out: Path | None) -> Path:
    """The folder the sheets go to, checked (it exists, is a folder, takes a new file)
    before anything is written."""
    folder = out if out is not None else plan_path.parent
    named = f"the folder {folder}" + (" (--out)" if out is not None else "")
    try:
        mode = os.stat(folder).st_mode
    except FileNotFoundError:
        raise VenturePlanError(
            f"{named} does not exist; create it first, or leave out --out to write the "
            "sheets beside the plan"
        ) from None
    except OSError as exc:
        raise VenturePlanError(f"cannot use {named}: {exc.strerror}") from None
    if not stat.S_ISDIR(mode):
        raise VenturePlanError(f"{folder} (--out) is not a folder; name the folder for the sheets")
    try:  # a read-only file system stops root too: try it
        fd, probe = tempfile.mkstemp(prefix=".ventureplan-probe.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise VenturePlanError(f"cannot write in {named}: {exc.strerror}") from None
    return folder


def write_sheets(
    plan_path: Path, participants: list[str], out: Path | None = None, *, force: bool = False
) -> list[Path]:
    """One sheet per participant, PLAN.estimates.NAME.yaml in `out` (default: beside the
    plan). Every name and the folder are checked, and no sheet already there is replaced
    unless `force`, before the first sheet is written; each is written atomically."""
    loaded = load_plan(plan_path)
    names = check_names(plan_path, participants)
    folder = _sheet_folder(plan_path, out)
    paths = [folder / sheet_name(plan_path, who) for who in names]
    there = [(who, p) for who, p in zip(names, paths, strict=True) if p.exists() and not p.is_dir()]
    if there and not force:
        whose = ", ".join(f"{who} ({path.name})" for who, path in there)
        raise VenturePlanError(
            f"{len(there)} sheet{'s' if len(there) > 1 else ''} already there, maybe filled in: "
            f"{whose}; merge {'them' if len(there) > 1 else 'it'} first, or pass --force to "
            "write fresh ones (nothing was written)"
        )
    for path in paths:
        output_path(path, [plan_path])  # not a folder, not the plan, writable
    texts = [sheet_text(loaded, who) for who in names]
    for path, text in zip(paths, texts, strict=True):
        write_atomic(path, text)
    return paths


@dataclass
class Sheet:
    participant: str
    tasks: dict[str, dict[str, float]]
    risks: dict[str, dict[str, float]]
    file: str = ""
    line: int = 1  # of the participant's name


@dataclass
class Spread:
    kind: str  # task or risk
    id: str
    field: str
    merged: float
    low: float
    high: float
    values: dict[str, float]

    @property
    def relative(self) -> float:
        return (self.high - self.low) / max(abs(self.merged), 1e-9)


@dataclass
class Merge:
    tasks: dict[str, dict[str, float]] = field(default_factory=dict)
    risks: dict[str, dict[str, float]] = field(default_factory=dict)
    spreads: list[Spread] = field(default_factory=list)
    changed: int = 0


def _fail(file: str, code: str, message: str, line: int = 1, col: int = 1) -> PlanError:
    return PlanError([Finding(code, message, file=file, line=line, column=col)])


def sheet_limit(plan: Plan) -> int:
    """The most bytes a sheet for `plan` may have: far more than one needs."""
    items = len(plan.tasks) + len(plan.risks)
    return min(MAX_BYTES, SHEET_BASE_BYTES + SHEET_BYTES_PER_ITEM * items)


def read_text(path: Path, limit: int) -> str:
    """A sheet's text, read safely: a folder, a device, a pipe or a socket is refused
    without reading from it or blocking on it, and at most `limit` + 1 bytes are read."""
    file = str(path)
    raw = read_bytes(path, limit, noun="an estimate sheet", short="sheet", missing_hint=None)
    if len(raw) > limit:
        raise _fail(
            file,
            "too-large",
            f"the file is over {limit:,} bytes, far more than an estimate sheet for this plan "
            "needs: is it the right file?",
        )
    if not raw.strip():
        raise _fail(
            file,
            "empty",
            "the sheet is empty; write a new one with `ventureplan workshop estimates`",
        )
    if raw.startswith(b"PK\x03\x04"):
        raise _fail(
            file,
            "not-a-sheet",
            "this is a spreadsheet or another ZIP file; an estimate sheet is the YAML text "
            "file `ventureplan workshop estimates` writes, edited in a text editor",
        )
    if b"\x00" in raw:
        nul = raw.index(b"\x00")
        line = raw.count(b"\n", 0, nul) + 1
        col = nul - (raw.rfind(b"\n", 0, nul) + 1) + 1
        raise _fail(
            file, "binary", "this is a binary file, not an estimate sheet (YAML text)", line, col
        )
    text = decode(raw, file)  # not UTF-8: a located error
    run = _DIGITS.search(text)
    if run:  # the parsers give up on such an integer with an error that has no line
        line = text.count("\n", 0, run.start()) + 1
        col = run.start() - (text.rfind("\n", 0, run.start()) + 1) + 1
        raise _fail(
            file,
            "too-many-digits",
            f"a run of {len(run.group()):,} digits; no number in a sheet needs more than "
            f"{MAX_DIGITS}",
            line,
            col,
        )
    deep = _too_deep(text)
    if deep is not None:
        line = text.count("\n", 0, deep) + 1
        col = deep - (text.rfind("\n", 0, deep) + 1) + 1
        raise _fail(
            file,
            "too-deep",
            f"values nested more than {MAX_FLOW_DEPTH} deep; a sheet holds plain numbers",
            line,
            col,
        )
    return text


def _too_deep(text: str) -> int | None:
    """Where `[` and `{` (outside quotes and comments) first nest past MAX_FLOW_DEPTH."""
    if text.count("[") + text.count("{") <= MAX_FLOW_DEPTH:
        return None
    depth = 0
    for m in _FLOW.finditer(text):
        bracket = m.group(1)
        if bracket in ("[", "{"):
            depth += 1
            if depth > MAX_FLOW_DEPTH:
                return m.start()
        elif bracket:
            depth = max(0, depth - 1)
    return None


def _parse_sheet(text: str, file: str, as_json: bool) -> tuple[Any, SourceMap]:
    try:
        data, where = parse(text, file, as_json=as_json)
    except PlanError as exc:
        for f in exc.findings:  # the reader speaks of plans; this is a sheet
            if f.code == "not-a-mapping":
                f.message = (
                    "an estimate sheet is a mapping (participant, tasks, risks), and this "
                    "file holds something else: is it a sheet from "
                    "`ventureplan workshop estimates`?"
                )
            elif f.code == "empty":
                f.message = "the sheet holds only comments"
                f.hint = "write a new one with `ventureplan workshop estimates`"
        raise
    except RecursionError:
        raise _fail(file, "too-deep", "the sheet is nested too deeply") from None
    except (ValueError, OverflowError) as exc:  # json's own limits
        raise _fail(file, "sheet-value", f"cannot read a value: {_show(exc, 120)}") from None
    return data, where


def _kind(value: Any) -> str:
    """What a cell holds, for a message."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        if _DATE.fullmatch(value.strip()):
            return f"a date ({_show(value, 20)})"
        if value.strip().startswith("="):
            return f"a formula ('{_show(value, 20)}'); write the number itself"
        return f"text '{_show(value, 20)}'"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple | set):
        return "a list"
    return f"a {type(value).__name__}"


def _magnitude(value: int | float) -> str:
    if isinstance(value, int) and abs(value) >= 10**15:
        try:
            digits = len(str(abs(value)))
        except ValueError:  # past Python's limit on int-to-text conversion
            return "a number of thousands of digits"
        return f"a number of {digits:,} digits"
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def _cell(value: Any, low: float, high: float, unit: str = "") -> tuple[float | None, str]:
    """The cell as a float in [low, high], or None and what is wrong with it."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None, f"must be a number, not {_kind(value)}"
    if isinstance(value, float) and not math.isfinite(value):
        return None, f"must be a finite number, not {value}"
    if not low <= value <= high:
        got = f", got {_magnitude(value)}" if unit else ""
        return None, f"must be between {low:g} and {high:,g}{unit}{got}"
    return float(value), ""


def _token(lines: list[str], line: int, col: int) -> str:
    """The text of the value that starts at (line, col), up to the next separator."""
    m = _TOKEN.match(lines[line - 1], col - 1) if 1 <= line <= len(lines) else None
    return m.group() if m else ""


def _participant(
    data: dict[Any, Any], path: Path, fault: Callable[[tuple[str | int, ...], str], None]
) -> str:
    """The participant's name from the sheet (or, where it has none, from the file name)."""
    raw = data.get("participant")
    if raw is None:
        who = path.stem.rsplit(".", 1)[-1]
        if not _NAME.fullmatch(who) or len(who) > MAX_NAME:
            fault(("participant",), "the sheet names no participant; add `participant: NAME`")
        return who
    if isinstance(raw, int) and not isinstance(raw, bool) and abs(raw) < 10**MAX_NAME:
        raw = str(raw)
    if not isinstance(raw, str):
        fault(("participant",), f"the participant must be a name, not {_kind(raw)}")
        return path.stem.rsplit(".", 1)[-1]
    who = unicodedata.normalize("NFC", raw.strip())
    if not who or len(who) > MAX_NAME or not who.isprintable():
        fault(
            ("participant",),
            f"the participant's name must be 1 to {MAX_NAME} printable characters on one line",
        )
    return who


def read_sheet(path: Path, loaded: LoadedPlan) -> Sheet:
    """A checked sheet, or a PlanError naming the participant, line and problem of each fault."""
    file = str(path)
    text = read_text(path, sheet_limit(loaded.plan))
    data, where = _parse_sheet(text, file, as_json=path.suffix.lower() == ".json")
    problems: list[Finding] = []
    keyed: list[bool] = []  # an unknown id or field is pointed at by its key
    who = path.stem.rsplit(".", 1)[-1]  # until the sheet's own name is read

    def fault(
        loc: tuple[str | int, ...], message: str, code: str = "estimate-sheet", key: bool = False
    ) -> None:
        problems.append(Finding(code, f"participant {_show(who)}: {message}", path=loc))
        keyed.append(key)

    who = _participant(data, path, fault)
    plan = loaded.plan
    known = {
        "tasks": {t.id for t in plan.tasks if t.estimate is not None},
        "risks": {r.id for r in plan.risks},
    }
    given = {s: data.get(s) or {} for s in ("tasks", "risks")}
    ids = {s: set(e) if isinstance(e, dict) else set() for s, e in given.items()}
    if (
        (ids["tasks"] or ids["risks"])
        and (known["tasks"] or known["risks"])
        and not (ids["tasks"] & known["tasks"] or ids["risks"] & known["risks"])
    ):
        fault(
            ("tasks",) if ids["tasks"] else ("risks",),
            f"none of the sheet's {len(ids['tasks']) + len(ids['risks'])} tasks and risks is "
            f"in the plan '{_show(plan.name)}': is this a sheet for another plan? Write this "
            "plan's sheets with `ventureplan workshop estimates`",
            code="other-plan",
        )
        raise PlanError(where.place_all(problems, keys=keyed))
    out: dict[str, dict[str, dict[str, float]]] = {"tasks": {}, "risks": {}}
    cells: list[tuple[tuple[str | int, ...], str]] = []  # numbers, for the digit count
    for key in data:
        if key not in ("participant", "tasks", "risks"):
            fault(
                (key,) if isinstance(key, str) else (),
                f"unknown field '{_show(key)}'; a sheet has participant, tasks and risks",
                code="unknown-id",
                key=True,
            )
    for section, fields in (("tasks", TASK_FIELDS), ("risks", RISK_FIELDS)):
        entries = given[section]
        if not isinstance(entries, dict):
            fault((section,), f"{section} must map ids to numbers, not {_kind(entries)}")
            continue
        for item_id in sorted(known[section] - ids[section]):
            fault(
                (section,),
                f"{section[:-1]} '{item_id}' is missing; keep every line, change only numbers",
            )
        for item_id, values in entries.items():
            loc: tuple[str | int, ...] = (
                (section, item_id) if isinstance(item_id, str) else (section,)
            )
            name = _show(item_id)
            if item_id not in known[section]:
                fault(loc, f"unknown {section[:-1]} id '{name}'", code="unknown-id", key=True)
                continue
            if not isinstance(values, dict):
                fault(
                    loc,
                    f"{name}: give the numbers as {{"
                    + ", ".join(f"{f}: …" for f in fields)
                    + f"}}, not {_kind(values)}",
                )
                continue
            nums: dict[str, float] = {}
            for f in fields:
                if f not in values:
                    fault(loc, f"{name}: {f} is missing or not a number")
                    continue
                if section == "tasks":
                    unit = " (working days)" if plan.calendar == "workdays" else " (days)"
                    got, wrong = _cell(values[f], 0, MAX_DAYS, unit)
                elif f == "probability":
                    got, wrong = _cell(values[f], 0, 1)
                else:
                    got, wrong = _cell(values[f], 1, 5)
                    if wrong.startswith("must be between") or (got is not None and got % 1):
                        got, wrong = None, "must be a whole number from 1 to 5"
                if got is None:
                    fault((*loc, f), f"{name}: {f} {wrong}")
                else:
                    nums[f] = got
                    cells.append(((*loc, f), f"{name}: {f}"))
            for extra in values:
                if extra not in fields:
                    fault(
                        (*loc, extra) if isinstance(extra, str) else loc,
                        f"{name}: unknown field '{_show(extra)}'",
                        code="unknown-id",
                        key=True,
                    )
            if len(nums) < len(fields):
                continue
            if section == "tasks" and not (
                nums["optimistic"] <= nums["likely"] <= nums["pessimistic"]
            ):
                fault(loc, f"{name}: needs 0 <= optimistic <= likely <= pessimistic")
            else:
                out[section][item_id] = nums
    spots = where.locate_all([(p, False) for p, _ in cells])
    lines = text.split("\n")
    for (p, what), (line, col) in zip(cells, spots, strict=True):
        digits = sum(c.isdigit() for c in _token(lines, line, col))
        if digits > MAX_DIGITS:
            fault(p, f"{what} has {digits} digits; write it with at most {MAX_DIGITS}")
    if problems:
        placed = where.place_all(problems, keys=keyed)
        placed.sort(key=lambda f: (f.line or 0, f.column or 0))
        if len(placed) > MAX_FINDINGS:
            rest = len(placed) - MAX_FINDINGS
            more = Finding(
                "estimate-sheet",
                f"participant {_show(who)}: and {rest:,} more problems in this sheet",
                file=file,
                line=placed[MAX_FINDINGS].line,
                column=placed[MAX_FINDINGS].column,
            )
            placed = [*placed[:MAX_FINDINGS], more]
        raise PlanError(placed)
    line = where.locate(("participant",))[0] if "participant" in data else 1
    return Sheet(who, out["tasks"], out["risks"], file=file, line=line)


def merge(loaded: LoadedPlan, sheets: list[Sheet], rule: str = "median") -> Merge:
    pick = RULES[rule]
    result = Merge()
    for section, fields, current in (
        (
            "tasks",
            TASK_FIELDS,
            {t.id: t.estimate for t in loaded.plan.tasks if t.estimate is not None},
        ),
        ("risks", RISK_FIELDS, {r.id: r for r in loaded.plan.risks}),
    ):
        for item_id, now in current.items():
            merged: dict[str, float] = {}
            for f in fields:
                values = {
                    s.participant: getattr(s, section)[item_id][f]
                    for s in sheets
                    if item_id in getattr(s, section)
                }
                if not values:
                    continue
                value = round(pick(list(values.values())), 4)  # as it will be written
                if f == "impact":
                    value = float(int(value + 0.5))  # round half up to a whole impact
                merged[f] = value
                result.spreads.append(
                    Spread(
                        section[:-1],
                        item_id,
                        f,
                        value,
                        min(values.values()),
                        max(values.values()),
                        values,
                    )
                )
                if abs(value - float(getattr(now, f))) > 1e-12:
                    result.changed += 1
            if merged:
                getattr(result, section)[item_id] = merged
    result.spreads.sort(key=lambda s: (-s.relative, s.kind, s.id, s.field))
    return result


def analysable(after: LoadedPlan) -> str | None:
    """None when the plan analyzes and reports as `analyze` and `report` would (a short
    run: VERIFY_ITERATIONS, the default seed), else the problem, on one line."""
    from .. import pipeline

    try:
        report = pipeline.report(after, iterations=VERIFY_ITERATIONS, seed=DEFAULT_SEED)
        if "json" in pipeline.renderers():  # strict JSON: a number not finite is refused
            pipeline.render(report, "json")
    except PlanError as exc:
        if not exc.findings:
            return "the merged plan would not analyze"
        more = len(exc.findings) - 1
        return (
            f"the merged plan would not analyze ({exc.findings[0].format()}"
            + (f", and {more} more" if more else "")
            + ")"
        )
    except VenturePlanError as exc:
        return f"the merged plan would not analyze ({_show(exc, 300)})"
    except Exception as exc:  # a fault in the analysis must not reach the plan file either
        return (
            f"the analysis fails on the merged plan ({type(exc).__name__}: {_show(exc, 200)}); "
            "please report this with the plan and the sheets"
        )
    return None


def apply(plan_path: Path, merged: Merge) -> LoadedPlan:
    """Write merged numbers into the plan, editing only those numbers in the text, and only
    when the plan as it would be written still analyzes (else PlanFileError, unchanged)."""

    def numbers(plan: Plan) -> dict[tuple[str | int, ...], float]:
        """The numbers that differ from the plan as read under the lock; the others stay
        as written (`8.0` stays `8.0`), and a large plan is not rewritten number by number."""
        index = {
            "tasks": {t.id: i for i, t in enumerate(plan.tasks) if t.estimate is not None},
            "risks": {r.id: i for i, r in enumerate(plan.risks)},
        }
        values: dict[tuple[str | int, ...], float] = {}
        for section in ("tasks", "risks"):
            for item_id, fields in getattr(merged, section).items():
                if item_id not in index[section]:  # the plan changed since it was read
                    raise planfile.PlanFileError(
                        f"{plan_path}: {section[:-1]} '{item_id}' is no longer in the plan "
                        "(or has no estimate); merge again; the plan is unchanged"
                    )
                i = index[section][item_id]
                now = plan.tasks[i].estimate if section == "tasks" else plan.risks[i]
                for f, value in fields.items():
                    if abs(value - float(getattr(now, f))) <= 1e-12:
                        continue
                    at: tuple[str | int, ...] = (section, i)
                    values[(*at, "estimate", f) if section == "tasks" else (*at, f)] = value
        return values

    return planfile.set_numbers(plan_path, numbers, verify=analysable)


def merge_files(
    plan_path: Path, sheets: list[Path], rule: str, *, write: bool
) -> tuple[LoadedPlan, list[Sheet], Merge]:
    """Read every sheet (all their problems at once, as one PlanError), merge them with
    `rule`, and write the result into the plan when `write`. The plan itself, a sheet given
    twice and two sheets from one participant (a person's numbers count once, so a second
    sheet would weigh them double) are errors naming both files."""
    loaded = load_plan(plan_path)
    problems: list[Finding] = []
    read_: list[Sheet] = []
    plan_real = os.path.realpath(plan_path)
    seen: dict[str, Path] = {}
    for path in sheets:
        real = os.path.realpath(path)
        if real == plan_real:
            problems.append(
                Finding(
                    "not-a-sheet",
                    "this is the plan itself; name the estimate sheets after it",
                    file=str(path),
                    line=1,
                    column=1,
                )
            )
            continue
        if real in seen:
            problems.append(
                Finding(
                    "duplicate-sheet",
                    f"this sheet is given twice (also as {seen[real]}); name each sheet once",
                    file=str(path),
                    line=1,
                    column=1,
                )
            )
            continue
        seen[real] = path
        try:
            read_.append(read_sheet(path, loaded))
        except PlanError as exc:
            problems += exc.findings
    first: dict[str, Sheet] = {}
    for sheet in read_:
        other = first.setdefault(sheet.participant.casefold(), sheet)
        if other is not sheet:
            problems.append(
                Finding(
                    "duplicate-participant",
                    f"participant {_show(sheet.participant)}: {other.file} is from "
                    f"'{_show(other.participant)}' too; each person's numbers count once, so "
                    "drop one of the two sheets or correct its participant",
                    path=("participant",),
                    file=sheet.file,
                    line=sheet.line,
                    column=1,
                )
            )
    if problems:
        raise PlanError(problems)
    result = merge(loaded, read_, rule)
    if write:
        apply(plan_path, result)
    return loaded, read_, result


def plan_value(plan: Plan, s: Spread) -> float | None:
    """The plan's number that `s` merges, as it stands before the merge."""
    if s.kind == "task":
        task = next((t for t in plan.tasks if t.id == s.id), None)
        return getattr(task.estimate, s.field, None) if task and task.estimate else None
    risk = next((r for r in plan.risks if r.id == s.id), None)
    value = getattr(risk, s.field, None) if risk else None
    return value if isinstance(value, int | float) else None


def describe(s: Spread) -> dict[str, Any]:
    return {
        "kind": s.kind,
        "id": s.id,
        "field": s.field,
        "merged": s.merged,
        "low": s.low,
        "high": s.high,
        "relative_spread": round(s.relative, 3),
        "values": s.values,
    }
