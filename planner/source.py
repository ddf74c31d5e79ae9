"""Reading a plan file into plain data plus a map from field paths to line and column.

YAML is read from the event stream of ruamel.yaml's parser (libyaml's C one, or the pure
one where libyaml follows YAML 1.1), built into data here by the YAML 1.2 core schema, one
meaning for every file. Positions are found only when a finding needs a line. JSON is
parsed by the json module (for its syntax errors) and mapped the same way, since JSON is
YAML 1.2.
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from ruamel.yaml.reader import ReaderError

from .errors import Finding, Path, PlanError

MAX_BYTES = 64 * 1024 * 1024
# A plan that uses anchors to avoid repetition expands a little; an "alias bomb"
# (billion laughs) expands exponentially. Refuse expansion beyond this factor.
MAX_EXPANSION = 10
MIN_EXPANSION_BUDGET = 50_000


def _yaml(pure: bool = False) -> YAML:
    """A parser of events only: nothing is composed or constructed by ruamel here."""
    return YAML(typ="safe", pure=pure)


def events(text: str) -> list[Any]:
    """The events of `text` as the reading takes them (libyaml's, or the pure parser's
    where libyaml refuses); both marks index characters of `text`, so the plan-file writer
    edits at them. The text must already have been read as a plan."""
    try:
        return list(_yaml().parse(text))
    except MarkedYAMLError:
        return list(_yaml(pure=True).parse(text))


_PER_FIELD = 8  # top-level fields read one by one; beyond this, one pass over the file
_MARKLESS = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")


@dataclass
class SourceMap:
    """Answers "where in the file is this field?" for a parsed document.

    Positions come from the parser's event stream, read once for all the paths asked for
    together (libyaml's events are cheap; building a node tree is not), and only when a
    finding needs a line: a plan with nothing to report never pays for it.
    """

    file: str
    text: str | None = None
    _found: dict[tuple[Path, bool], tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """1-based (line, column) of the value at `path`, or of its key with `key=True`.

        A path that leads nowhere (a missing field) resolves to the deepest part that exists.
        """
        return self.locate_all([(path, key)])[0]

    def locate_all(self, wanted: list[tuple[Path, bool]]) -> list[tuple[int, int]]:
        need = {(p[:i], k and i == len(p)) for p, k in wanted for i in range(len(p) + 1)}
        need -= self._found.keys()
        if need and self.text is not None:
            self._scan(need)
        out = []
        for path, key in wanted:
            spot = self._found.get((path, key))
            for i in range(len(path), -1, -1):
                if spot is not None:
                    break
                spot = self._found.get((path[:i], False))
            out.append(spot or (1, 1))
        return out

    def _scan(self, wanted: set[tuple[Path, bool]]) -> None:
        """Record the marks of the wanted (path, key) pairs. Each top-level field written in
        block style is read on its own, so a finding in `budget` does not read every task;
        findings in more than a few fields are found in one pass over the whole file."""
        assert self.text is not None
        # Lines are counted at "\n" only, as editors and the JSON reader count them: the
        # YAML scanner also breaks at NEL/LS/PS, and refuses characters JSON allows raw
        # (DEL, C1, U+FFFE). One for one, each becomes a space here, for the marks only.
        text = _MARKLESS.sub(" ", self.text)
        starts = {m.group(1): m.start() for m in _TOP_KEY.finditer(text)}
        rest: set[tuple[Path, bool]] = set()
        by_key: dict[str, set[tuple[Path, bool]]] = {}
        if ((), False) in wanted and starts:  # a block mapping starts at its first key
            first_key = min(starts.values())
            self._found[((), False)] = (text.count("\n", 0, first_key) + 1, 1)
            wanted = wanted - {((), False)}
        for item in wanted:
            first = item[0][0] if item[0] else None
            if isinstance(first, str) and first in starts:
                by_key.setdefault(first, set()).add(item)
            else:
                rest.add(item)
        if len(by_key) > _PER_FIELD:
            self._scan_text(text, wanted, 0)
            return
        bounds = sorted(starts.values())
        after = dict(zip(bounds, [*bounds[1:], len(text)], strict=False))
        for key, items in by_key.items():
            lo = starts[key]
            hi = after[lo]
            line0 = text.count("\n", 0, lo)
            if not self._scan_text(text[lo:hi], items, line0) or not all(
                i in self._found for i in items if len(i[0]) == 1
            ):
                rest |= items
        if rest:
            self._scan_text(text, rest, 0)

    def _scan_text(self, text: str, wanted: set[tuple[Path, bool]], line0: int) -> bool:
        """One pass over the events of `text` (whose first line is line0 of the file)."""
        try:
            events = _yaml().parse(text)
            events = list(events)
        except MarkedYAMLError:
            try:
                events = list(_yaml(pure=True).parse(text))
            except YAMLError:
                return False
        except YAMLError:
            return False
        found = self._found
        # one frame per open collection: [path, is_mapping, expecting_key, key, next_index]
        stack: list[list[Any]] = []
        for ev in events:
            cls = ev.__class__
            if cls is MappingEndEvent or cls is SequenceEndEvent:
                stack.pop()
                continue
            opens = cls is MappingStartEvent or cls is SequenceStartEvent
            if not (opens or cls is ScalarEvent or cls is AliasEvent):
                continue
            path: Path | None = ()
            if stack:
                top = stack[-1]
                if top[1] and top[2]:  # this node is a key
                    top[2] = False
                    top[3] = ev.value if cls is ScalarEvent else None
                    if top[0] is not None and top[3].__class__ is str:
                        spot = ((*top[0], top[3]), True)
                        if spot in wanted:
                            found[spot] = (ev.start_mark.line + 1 + line0, ev.start_mark.column + 1)
                    if opens:  # a complex key: skip over it
                        stack.append([None, cls is MappingStartEvent, True, None, 0])
                    continue
                if top[1]:
                    path = (
                        (*top[0], top[3])
                        if top[0] is not None and top[3].__class__ is str
                        else None
                    )
                    top[2] = True
                else:
                    path = (*top[0], top[4]) if top[0] is not None else None
                    top[4] += 1
            if path is not None and (path, False) in wanted:
                found[(path, False)] = (ev.start_mark.line + 1 + line0, ev.start_mark.column + 1)
            if opens:
                stack.append([path, cls is MappingStartEvent, True, None, 0])
        return True

    def place(self, finding: Finding, *, key: bool = False) -> Finding:
        return self.place_all([finding], keys=[key])[0]

    def place_all(self, findings: list[Finding], keys: list[bool] | None = None) -> list[Finding]:
        """Give each finding without a line the line and column of its path."""
        keys = keys or [f.code == "unknown-field" for f in findings]
        todo = [(f, k) for f, k in zip(findings, keys, strict=True) if f.line is None]
        spots = self.locate_all([(f.path, k) for f, k in todo])
        for (f, _), (line, col) in zip(todo, spots, strict=True):
            f.line, f.column = line, col
        for f in findings:
            f.file = self.file
        return findings


def _error(
    file: str, code: str, message: str, line: int = 1, col: int = 1, hint: str | None = None
) -> PlanError:
    return PlanError([Finding(code, message, file=file, line=line, column=col, hint=hint)])


def _line_col(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    return line, offset - (data.rfind(b"\n", 0, offset) + 1) + 1


def decode(raw: bytes, file: str) -> str:
    """The file's text, or a clear error for an empty, binary, huge or non-UTF-8 file."""
    if len(raw) > MAX_BYTES:
        raise _error(
            file, "too-large", f"the file is over {MAX_BYTES // 2**20} MiB, the most a plan may be"
        )
    if not raw.strip():
        raise _error(file, "empty", "the file is empty", hint="start from `ventureplan init`")
    nul = raw.find(b"\x00")
    if nul >= 0:
        line, col = _line_col(raw, nul)
        raise _error(file, "binary", "this is a binary file, not a YAML or JSON plan", line, col)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, col = _line_col(raw, exc.start)
        raise _error(
            file,
            "encoding",
            f"the file is not UTF-8 (byte 0x{raw[exc.start]:02X})",
            line,
            col,
            hint="save the file as UTF-8",
        ) from None


# --- YAML: one reading, built from the parser's events ----------------------------------
#
# Every YAML plan is read the same way: libyaml's event stream (C, iterative, so no
# nesting depth can crash it), or ruamel's pure-Python one where libyaml follows YAML 1.1
# and rejects what YAML 1.2 allows, turned into data here, with no recursion. Plain
# scalars resolve by the YAML 1.2 core schema (10.3.2), whatever parser produced them:
# `yes` and `1_000` are text, `0o17` is 15, `.nan` is NaN. A tag other than the core
# ones (`!custom`, `!!binary`, `!!omap`, `!!python/...`) is refused where it is written,
# rather than read one way here and another there.

MAX_DEPTH = 64  # nested mappings and lists; a plan needs about 6
MAX_DIGITS = 100  # digits in one number; money is bounded far below this
_CAP = 10**15  # node counts saturate here (an alias bomb's size is astronomical)

_CORE = "tag:yaml.org,2002:"
_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"[-+]?[0-9]+")
_OCT = re.compile(r"0o[0-7]+")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?\.(?:inf|Inf|INF)")
_NAN = re.compile(r"\.(?:nan|NaN|NAN)")
_MERGE = object()  # a plain `<<` key (quoted, "<<" is just text)
_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def _unsurrogate(text: str, mark: Any) -> str:
    """`"\\ud83d\\ude80"` (a JSON habit) is one character; a lone half of a pair is none."""
    joined = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    if "\ufffd" in joined and "\ufffd" not in text:
        raise _Bad(
            "yaml-character",
            "a \\u escape names half of a UTF-16 surrogate pair, which is not a character",
            mark,
            hint="write the character itself, or both halves of the pair",
        )
    return joined


class _Bad(Exception):
    """A problem at a mark, raised while building and turned into a located PlanError."""

    def __init__(self, code: str, message: str, mark: Any, hint: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.mark, self.hint = code, message, mark, hint
        self.twice: tuple[int, Any] | None = None  # a duplicate key: (its mapping's start, key)


def _number(text: str, mark: Any) -> int | float:
    digits = sum(c.isdigit() for c in text)
    if digits > MAX_DIGITS:
        raise _Bad(
            "number-too-long",
            f"a number with {digits:,} digits; no number here needs more than {MAX_DIGITS}",
            mark,
            hint="quote it if it is text",
        )
    if _INT.fullmatch(text):
        return int(text)
    if _OCT.fullmatch(text):
        return int(text[2:], 8)
    if _HEX.fullmatch(text):
        return int(text[2:], 16)
    return float(text)


def _plain(text: str, mark: Any) -> Any:
    """A plain (unquoted, untagged) scalar, by the YAML 1.2 core schema."""
    if text in _NULLS:
        return None
    if text in _BOOLS:
        return _BOOLS[text]
    first = text[0]
    if first.isdigit() or first in "+-.":
        if _INT.fullmatch(text) or _OCT.fullmatch(text) or _HEX.fullmatch(text):
            return _number(text, mark)
        if _FLOAT.fullmatch(text):
            return _number(text, mark)
        if _INF.fullmatch(text):
            return float("-inf") if first == "-" else float("inf")
        if _NAN.fullmatch(text):
            return float("nan")
    return text


def _tag_name(tag: Any) -> str | None:
    if tag is None:
        return None
    return tag if isinstance(tag, str) else str(getattr(tag, "value", tag))


def _shown_tag(tag: str) -> str:
    return "!!" + tag[len(_CORE) :] if tag.startswith(_CORE) else tag


def _unsupported(tag: str, mark: Any) -> _Bad:
    return _Bad(
        "yaml-tag",
        f"YAML tag {terminal_tag(_shown_tag(tag))} is not read: a plan holds text, numbers, "
        "true/false, lists and mappings",
        mark,
        hint="remove the tag",
    )


def terminal_tag(tag: str) -> str:
    return tag if len(tag) <= 40 else tag[:37] + "..."


def _tagged_scalar(tag: str, text: str, mark: Any) -> Any:
    """A scalar with an explicit core tag (`!!str 5`, `!!int "7"`), or a located error."""
    kind = tag[len(_CORE) :] if tag.startswith(_CORE) else None
    if tag == "!" or kind == "str":
        return text
    bad = _Bad("yaml-value", f"{_shown_tag(tag)} {_short_text(text)} is not a valid {kind}", mark)
    if kind == "null":
        if text not in _NULLS:
            raise bad
        return None
    if kind == "bool":
        if text not in _BOOLS:
            raise bad
        return _BOOLS[text]
    if kind == "int":
        if not (_INT.fullmatch(text) or _OCT.fullmatch(text) or _HEX.fullmatch(text)):
            raise bad
        return _number(text, mark)
    if kind == "float":
        if _INF.fullmatch(text):
            return float("-inf") if text[0] == "-" else float("inf")
        if _NAN.fullmatch(text):
            return float("nan")
        if not (_FLOAT.fullmatch(text) or _INT.fullmatch(text)):
            raise bad
        return float(_number(text, mark))
    raise _unsupported(tag, mark)


def _short_text(text: str) -> str:
    shown = repr(text)
    return shown if len(shown) <= 40 else shown[:37] + "..."


class _Open:
    """A mapping or list being built."""

    __slots__ = ("anchor", "is_map", "key", "key_mark", "mark", "merges", "size", "value")

    def __init__(self, is_map: bool, anchor: str | None, mark: Any) -> None:
        self.value: Any = {} if is_map else []
        self.is_map = is_map
        self.key: Any = _Open if is_map else None  # _Open: the next node is a key
        self.key_mark: Any = None
        self.anchor = anchor
        self.size = 1
        self.mark = mark
        self.merges: list[dict[Any, Any]] = []


def _build(events: Any) -> Any:
    """The document as plain data. Depth, aliases and tags are checked as it is built."""
    anchors: dict[str, tuple[Any, int]] = {}
    opened: set[str] = set()  # anchors of collections still being built
    stack: list[_Open] = []
    big: list[tuple[int, Any]] = []  # (expanded size, mark) of nodes over the least budget
    distinct = 0
    root: Any = None
    documents = 0

    def add(value: Any, size: int, mark: Any) -> None:
        nonlocal root
        if not stack:
            root = value
            return
        top = stack[-1]
        top.size = min(_CAP, top.size + size)
        if not top.is_map:
            top.value.append(value)
            return
        if top.key is _Open:  # this node is a key
            if isinstance(value, dict | list):
                raise _Bad("yaml-key", "a key must be a plain value, not a list or mapping", mark)
            top.key, top.key_mark = value, mark
            return
        key, top.key = top.key, _Open
        if key is _MERGE:
            merged = value if isinstance(value, list) else [value]
            if not all(isinstance(m, dict) for m in merged):
                raise _Bad("yaml-merge", "`<<` merges mappings only", mark)
            top.merges += merged
            return
        if key in top.value:
            raise _twice(key, top, stack[-2] if len(stack) > 1 else None)
        top.value[key] = value

    for ev in events:
        cls = ev.__class__
        if cls is ScalarEvent:
            distinct += 1
            tag = None if ev.tag is None else _tag_name(ev.tag)
            style = ev.style
            if style == '"' and _SURROGATE.search(ev.value):
                ev.value = _unsurrogate(ev.value, ev.start_mark)
            if tag is None:
                plain = not style
                value = _plain(ev.value, ev.start_mark) if plain else ev.value
                if (
                    plain
                    and value == "<<"
                    and stack
                    and stack[-1].is_map
                    and stack[-1].key is _Open
                ):
                    value = _MERGE
            else:
                value = _tagged_scalar(tag, ev.value, ev.start_mark)
            if ev.anchor is not None:
                anchors[ev.anchor] = (value, 1)
            if not stack or value is _MERGE:
                add(value, 1, ev.start_mark)
                continue
            # the common case inline (most events are scalars): `add` for one node
            top = stack[-1]
            top.size += 1
            if not top.is_map:
                top.value.append(value)
            elif top.key is _Open:
                top.key, top.key_mark = value, ev.start_mark
            elif top.key is _MERGE or top.key in top.value:
                top.size -= 1
                add(value, 1, ev.start_mark)
            else:
                top.value[top.key] = value
                top.key = _Open
        elif cls is MappingStartEvent or cls is SequenceStartEvent:
            distinct += 1
            if len(stack) >= MAX_DEPTH:
                raise _Bad(
                    "too-deep",
                    f"the document is nested deeper than {MAX_DEPTH} levels",
                    ev.start_mark,
                )
            is_map = cls is MappingStartEvent
            tag = _tag_name(ev.tag)
            if tag is not None and tag != "!" and tag != _CORE + ("map" if is_map else "seq"):
                raise _unsupported(tag, ev.start_mark)
            if stack and stack[-1].is_map and stack[-1].key is _Open:
                raise _Bad(
                    "yaml-key",
                    "a key must be a plain value, not a list or mapping",
                    ev.start_mark,
                )
            if ev.anchor is not None:
                opened.add(ev.anchor)
            stack.append(_Open(is_map, ev.anchor, ev.start_mark))
        elif cls is MappingEndEvent or cls is SequenceEndEvent:
            node = stack.pop()
            value = node.value
            if node.merges:  # keys written here win, then the first merged mapping
                merged: dict[Any, Any] = {}
                for m in node.merges:
                    for k, v in m.items():
                        merged.setdefault(k, v)
                merged.update(value)
                value = merged
            if node.size > MIN_EXPANSION_BUDGET:
                big.append((node.size, node.mark))
            if node.anchor is not None:
                opened.discard(node.anchor)
                anchors[node.anchor] = (value, node.size)
            add(value, node.size, node.mark)
        elif cls is AliasEvent:
            name = ev.anchor
            if name in opened:
                raise _Bad(
                    "recursive-alias",
                    "an alias refers to the node that contains it",
                    ev.start_mark,
                )
            if name not in anchors:
                raise _Bad(
                    "yaml-alias",
                    f"the alias *{terminal_tag(str(name))} has no anchor before it",
                    ev.start_mark,
                    hint="define `&name` before using `*name`",
                )
            value, size = anchors[name]
            add(value, size, ev.start_mark)
        elif cls is DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise _Bad(
                    "yaml-documents",
                    "the file holds more than one YAML document (`---`)",
                    ev.start_mark,
                    hint="keep one plan per file",
                )
    limit = max(MIN_EXPANSION_BUDGET, MAX_EXPANSION * distinct)
    for size, mark in big:  # innermost first: nodes close before the nodes around them
        if size > limit:
            raise _Bad(
                "alias-bomb",
                f"YAML aliases expand this document beyond {limit:,} nodes (an alias bomb?)",
                mark,
                hint="write the repeated parts out, or use fewer nested aliases",
            )
    return root


# A top-level field written in block style: `name:` at the start of a line.
_TOP_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)[ \t]*:(?=[ \t]|$)", re.MULTILINE)


def _quoted(key: Any) -> str:
    return f'"{key}"' if isinstance(key, str) else repr(key)


def _twice(key: Any, node: _Open, parent: _Open | None) -> _Bad:
    """A key written twice in one mapping; `_load_yaml` adds the line of the first."""
    shown = _cut(key if isinstance(key, str) else repr(key), 40)
    if parent is None:
        where = "at the top level of the plan"
    elif parent.is_map and isinstance(parent.key, str):
        where = f"under `{_cut(parent.key)}:`"
    else:
        where = "in this item"
    bad = _Bad("yaml-syntax", f"`{shown}` appears twice {where}", node.key_mark, "keep one")
    bad.twice = (node.mark.index, key)
    return bad


def _first_key(text: str, mapping: int, key: Any) -> int | None:
    """The 0-based line where `key` is first written in the mapping that starts at
    character `mapping` (the pure parser's events: its marks index `text`)."""
    # one frame per open collection: [is the target, is a mapping, next node is a key]
    stack: list[list[bool]] = []
    try:
        for ev in _yaml(pure=True).parse(text):
            cls = ev.__class__
            if cls is MappingEndEvent or cls is SequenceEndEvent:
                stack.pop()
                continue
            if not (
                cls is ScalarEvent
                or cls is AliasEvent
                or cls is MappingStartEvent
                or cls is SequenceStartEvent
            ):
                continue
            top = stack[-1] if stack else None
            is_key = top is not None and top[1] and top[2]
            if top is not None and top[1]:
                top[2] = not top[2]
            if is_key and top is not None and top[0] and cls is ScalarEvent:
                value = _plain(ev.value, ev.start_mark) if not ev.style else ev.value
                if value == key:
                    return int(ev.start_mark.line)
            if cls is MappingStartEvent or cls is SequenceStartEvent:
                target = cls is MappingStartEvent and ev.start_mark.index == mapping
                stack.append([target, cls is MappingStartEvent, True])
    except (YAMLError, _Bad):
        return None
    return None


def _load_yaml(text: str, file: str) -> Any:
    """The one YAML reading (see above): libyaml's events, or the pure parser's where
    libyaml refuses YAML 1.2; the pure parser decides what is a syntax error."""
    try:
        try:
            return _build(_yaml().parse(text))
        except MarkedYAMLError:
            return _build(_yaml(pure=True).parse(text))
    except _Bad as bad:
        line, col = (bad.mark.line + 1, bad.mark.column + 1) if bad.mark else (1, 1)
        message = bad.message
        if bad.twice is not None:
            first = _first_key(text, *bad.twice)
            if first is not None and first + 1 != line:
                message += f"; lines {first + 1} and {line}"
        raise _error(file, bad.code, message, line, col, bad.hint) from None
    except MarkedYAMLError as exc:
        raise _yaml_error(file, exc, text) from None
    except ReaderError as exc:
        at = exc.position if isinstance(exc.position, int) else 0
        line, col = _text_line_col(text, at)
        raise _error(
            file,
            "yaml-character",
            f"character U+{exc.character:04X} is not allowed in YAML",
            line,
            col,
            hint="remove it, or write it as an escape inside double quotes",
        ) from None
    except YAMLError:
        raise _error(file, "yaml-syntax", _GENERIC) from None


def _depth_ok(data: Any, file: str, strings: bool) -> None:
    """JSON is parsed by the json module; its nesting is bounded like YAML's, iteratively.
    With `strings`, every text is checked for a lone UTF-16 surrogate (a `\\ud800`)."""
    stack = [(data, 1)] if isinstance(data, dict | list) else []
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _error(file, "too-deep", f"the document is nested deeper than {MAX_DEPTH} levels")
        children = list(node.values()) if isinstance(node, dict) else node
        if strings:
            texts = [*node, *children] if isinstance(node, dict) else children
            if any(isinstance(t, str) and _SURROGATE.search(t) for t in texts):
                raise _error(
                    file,
                    "json-character",
                    "a \\u escape names half of a UTF-16 surrogate pair, which is not a character",
                    hint="write the character itself, or both halves of the pair",
                )
        stack += [(c, depth + 1) for c in children if isinstance(c, dict | list)]


def parse(text: str, file: str, *, as_json: bool = False) -> tuple[Any, SourceMap]:
    """Parse YAML (or JSON) text into plain Python data and its source map."""
    if as_json:
        return _mapping(_load_json(text, file), file), SourceMap(file, text=text)
    root = _load_yaml(text, file)
    if root is None and not _has_content(text):
        raise _error(
            file,
            "empty",
            "the file holds no plan, only comments",
            hint="start from `ventureplan init`",
        )
    return _mapping(root, file), SourceMap(file, text=text)


def _has_content(text: str) -> bool:
    return any(ln.strip() and not ln.lstrip().startswith("#") for ln in text.splitlines())


class _JsonNumber(Exception):
    def __init__(self, token: str, message: str) -> None:
        super().__init__(message)
        self.token, self.message = token, message


def _json_int(token: str) -> int:
    if len(token.lstrip("-")) > MAX_DIGITS:
        raise _JsonNumber(
            token,
            f"a number with {len(token.lstrip('-')):,} digits; "
            f"no number here needs more than {MAX_DIGITS}",
        )
    return int(token)


def _json_float(token: str) -> float:
    value = float(token)
    if len(token) > MAX_DIGITS + 10 or value in (float("inf"), float("-inf")):
        raise _JsonNumber(token, f"{token[:40]} is too large a number")
    return value


def _json_constant(token: str) -> float:
    raise _JsonNumber(token, f"{token} is not JSON: numbers must be finite")


def _text_line_col(text: str, at: int) -> tuple[int, int]:
    return text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)


def _load_json(text: str, file: str) -> Any:
    duplicates: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                duplicates.append(key)
            out[key] = value
        return out

    try:
        data = json.loads(
            text,
            object_pairs_hook=pairs,
            parse_int=_json_int,
            parse_float=_json_float,
            parse_constant=_json_constant,
        )
    except json.JSONDecodeError as exc:
        raise _error(
            file, "json-syntax", f"JSON syntax error: {exc.msg}", exc.lineno, exc.colno
        ) from None
    except _JsonNumber as exc:
        at = text.find(exc.token)
        line, col = _text_line_col(text, at) if at >= 0 else (1, 1)
        raise _error(file, "json-number", exc.message, line, col) from None
    except RecursionError:
        raise _error(
            file, "too-deep", f"the document is nested deeper than {MAX_DEPTH} levels"
        ) from None
    _depth_ok(data, file, strings=bool(_ESCAPED_SURROGATE.search(text)))
    if duplicates:  # json keeps the last one silently; the YAML reader says where
        line = col = 1
        try:
            _build(_yaml(pure=True).parse(text))
        except _Bad as bad:
            line, col = bad.mark.line + 1, bad.mark.column + 1
        except YAMLError:
            pass
        raise _error(
            file,
            "json-duplicate-key",
            f"duplicate key {duplicates[0]!r}; JSON keeps only the last, so remove one",
            line,
            col,
        )
    return data


def _mapping(data: Any, file: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise _error(
            file,
            "not-a-mapping",
            f"a plan is a mapping of fields (schema, name, tasks, ...), not a {kind}",
        )
    return data


# --- YAML structure errors, in the plan's words ------------------------------------------
#
# The parser says `expected <block end>, but found '<block mapping start>'`; a founder
# needs "line 123 does not line up with the fields above it". Each error is explained from
# the parser's problem, its marks and the tokens read before it (the pure scanner, run
# again on the error path only), and located where the fix goes. Nothing of the parser's
# own wording is shown: an error not recognised here gets a plain generic message.

_GENERIC = (
    "this line cannot be read as YAML; check its indentation, quotes and brackets, "
    "and those of the line above"
)
# What an item of a list is called in a message ("line it up with the task's other fields").
_ITEM_NAMES = {
    "team": "role",
    "tasks": "task",
    "goals": "goal",
    "routes": "route",
    "risks": "risk",
    "items": "budget item",
    "revenue": "revenue entry",
    "stack": "stack entry",
    "measured": "record",
    "competitors": "competitor",
}


@dataclass
class _Anchor:
    """A key or a list item's `-` in block style: where the indentation levels are."""

    line: int  # 0-based, as marks are
    col: int
    dash: bool
    name: str = ""

    def shown(self) -> str:
        if self.dash:
            return f"the `-` on line {self.line + 1}"
        return f"`{_cut(self.name)}:` on line {self.line + 1}"


def _cut(text: str, most: int = 30) -> str:
    """A name from the plan, short enough for a message and never breaking its `code`."""
    text = text if len(text) <= most else text[: most - 3] + "..."
    return text.replace("`", "'")


def _tokens(text: str, until: int) -> list[Any]:
    """The scanner's tokens up to character `until` or its first error, whichever comes
    first (the pure scanner, whose marks index `text`)."""
    yaml = _yaml(pure=True)
    out: list[Any] = []
    try:
        yaml.get_constructor_parser(text)
        scanner: Any = yaml.scanner
        while scanner.check_token():
            out.append(scanner.get_token())
            if out[-1].start_mark.index >= until:
                return out
    except YAMLError:
        out += list(getattr(yaml.scanner, "tokens", []))
    except Exception:  # the scan is only for words: an error while explaining explains less
        pass
    return out


class _Text:
    """The text around an error: lines, positions, tokens read before the error."""

    def __init__(self, text: str, index: int) -> None:
        self.text = text
        self.lines = text.split("\n")
        self.index = min(max(index, 0), len(text))
        self._tokens: list[Any] | None = None

    def where(self, index: int) -> tuple[int, int]:
        """0-based line and column of a character index, counting lines at "\\n" only."""
        index = min(max(index, 0), len(self.text))
        line = self.text.count("\n", 0, index)
        return line, index - (self.text.rfind("\n", 0, index) + 1)

    def line(self, n: int) -> str:
        return self.lines[n] if 0 <= n < len(self.lines) else ""

    def indent(self, n: int) -> int:
        text = self.line(n)
        return len(text) - len(text.lstrip(" "))

    def before(self) -> list[Any]:
        """Tokens that start before the error."""
        if self._tokens is None:
            self._tokens = [
                t
                for t in _tokens(self.text, self.index)
                if t.start_mark.index < self.index and type(t).__name__ != "StreamStartToken"
            ]
        return self._tokens

    def anchors(self) -> list[_Anchor]:
        """Keys and `-` of block collections before the error, in order."""
        out: list[_Anchor] = []
        depth = 0
        tokens = self.before()
        for i, t in enumerate(tokens):
            kind = type(t).__name__
            if kind in ("FlowMappingStartToken", "FlowSequenceStartToken"):
                depth += 1
            elif kind in ("FlowMappingEndToken", "FlowSequenceEndToken"):
                depth = max(0, depth - 1)
            elif depth:
                continue
            elif kind == "BlockEntryToken":
                out.append(_Anchor(*self.where(t.start_mark.index), dash=True))
            elif kind == "KeyToken":
                nxt = tokens[i + 1] if i + 1 < len(tokens) else None
                name = (
                    str(getattr(nxt, "value", "?")) if type(nxt).__name__ == "ScalarToken" else "?"
                )
                out.append(_Anchor(*self.where(t.start_mark.index), dash=False, name=name))
        return out

    def levels(self, line: int) -> list[_Anchor]:
        """The open levels at `line`: the nearest anchor above it, then each less indented
        one above that (innermost first)."""
        out: list[_Anchor] = []
        limit = None
        for a in reversed(self.anchors()):
            if a.line >= line:
                continue
            if limit is None or a.col < limit:
                out.append(a)
                limit = a.col
                if limit == 0:
                    break
        return out

    def container(self, anchor: _Anchor) -> str:
        """`the task's other fields`, for the fields of the mapping `anchor` is a key of."""
        levels = [a for a in self.levels(anchor.line + 1) if a.col < anchor.col]
        if not levels:
            return "the other top-level fields"
        up = levels[0]
        if up.dash:
            owner = next(
                (
                    a
                    for a in reversed(self.anchors())
                    if a.line < up.line and not a.dash and a.col <= up.col
                ),
                None,
            )
            if owner is not None:
                name = _ITEM_NAMES.get(owner.name, "item")
                return f"the {name}'s other fields"
            return "the item's other fields"
        return f"the other fields of `{_cut(up.name)}:`"


def _spaces(n: int) -> str:
    return "1 space" if n == 1 else f"{n} spaces"


def _value_on(text: str, col: int) -> str:
    """The value written from `col` to the end of the line, without a trailing comment."""
    value = text[col:]
    cut = value.find(" #")
    return (value[:cut] if cut >= 0 else value).strip()


def _in_quotes(value: str) -> str:
    if '"' not in value and "\\" not in value:
        return f'"{value}"'
    return "'" + value.replace("'", "''") + "'"


def _explain(exc: MarkedYAMLError, text: str) -> tuple[int, int, str, str | None]:
    """(line, column, message, hint) for a YAML error, 1-based, in the plan's words."""
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return 1, 1, _GENERIC, None
    at = _Text(text, mark.index)
    try:
        found = _explained(exc, at)
    except Exception:  # explaining must never fail the reading; say less instead
        found = None
    if found is None:
        line, col = at.where(mark.index)
        return line + 1, col + 1, _GENERIC, None
    (line, col), message, hint = found
    return line + 1, col + 1, message, hint


Explained = tuple[tuple[int, int], str, str | None]


def _explained(exc: MarkedYAMLError, at: _Text) -> Explained | None:
    problem = exc.problem or ""
    context = exc.context or ""
    pm = exc.problem_mark or exc.context_mark
    cm = exc.context_mark
    here = at.where(pm.index)
    char = at.text[pm.index] if pm.index < len(at.text) else ""
    line = at.line(here[0])

    tab = char == "\t" or "'\\t'" in problem
    if not tab and here[1] > 0:  # a tab in the gap between the last token and the error
        tokens = at.before()
        after = tokens[-1].end_mark.index if tokens else 0
        tab = "\t" in at.text[max(after, pm.index - here[1]) : pm.index]
    if tab:
        if not line[: here[1]].strip(" \t"):
            return here, "tabs are not allowed in YAML indentation; use spaces", None
        return here, "a tab is not allowed here; use spaces, or put the value in quotes", None

    lead = not line[: here[1]].strip(" -")  # the error is where the line's content starts
    if char == ":" and lead:
        return here, "a `:` with no field name before it; write the name, or remove the `:`", None
    if char == "," and "flow" not in context:
        return (
            here,
            "a `,` outside `[...]` or `{...}`; remove it, or put the value in quotes",
            None,
        )
    if char == "?" and at.text[pm.index + 1 : pm.index + 2] in ("", " ", "\n"):
        return (
            here,
            "a `?` here marks a YAML complex key, which a plan does not use; remove it, "
            "or put the value in quotes",
            None,
        )
    if "sequence entries are not allowed" in problem:
        return (
            here,
            "a list item (`- `) cannot start on the line of its field; put it on a line of its "
            "own, indented under the field, or remove the `- `",
            None,
        )

    if "cannot start any token" in problem and char:
        value = _value_on(line, here[1])
        sign = "a backquote" if char == "`" else f"`{char}`"
        if lead:
            return here, f"a line cannot start with {sign} here; remove it", None
        return (
            here,
            f"a value cannot start with {sign}; put it in quotes: {_in_quotes(value)}",
            None,
        )

    if "quoted scalar" in context and cm is not None:
        opened = at.where(cm.index)
        quote = at.text[cm.index] if cm.index < len(at.text) else '"'
        if "end of stream" in problem or opened[0] != here[0]:
            return _unclosed_quote(opened, quote)
        if "escape" in problem:
            return (
                here,
                'a backslash in double quotes starts an escape such as \\n or \\"; write '
                "\\\\ for a backslash itself, or put the value in single quotes",
                None,
            )

    if "block scalar" in context and cm is not None:
        opened = at.where(cm.index)
        sign = at.text[cm.index] if cm.index < len(at.text) else "|"
        return (
            opened,
            f"`{sign}` starts a block of text on the lines below it, so nothing but a comment "
            f"may follow it on its line; to begin a value with `{sign}`, put the value in quotes",
            None,
        )

    if ("an anchor" in context or "an alias" in context) and cm is not None:
        sign = at.text[cm.index] if cm.index < len(at.text) else "&"
        return (
            at.where(cm.index),
            f"`{sign}` must be followed by a name here (`{sign}` marks a YAML "
            f"{'anchor' if sign == '&' else 'alias'}); to begin a value with `{sign}`, "
            "put the value in quotes",
            None,
        )

    quoted = _runaway_quote(at, here)
    if quoted is not None:
        return quoted

    if "flow mapping" in context or "flow sequence" in context or "flow node" in context:
        return _flow(at, problem, here, cm)

    if "mapping values are not allowed" in problem:
        return _colon(at, here)

    if "could not find expected ':'" in problem and cm is not None:
        return _not_a_field(at, cm)

    if "expected <block end>" in problem:
        return _block_end(at, problem, here)
    return None


def _unclosed_quote(opened: tuple[int, int], quote: str) -> Explained:
    return (
        opened,
        f"the quote opened at line {opened[0] + 1} col {opened[1] + 1} is never closed",
        f"end the value with {quote} on line {opened[0] + 1}",
    )


def _runaway_quote(at: _Text, here: tuple[int, int]) -> Explained | None:
    """A quoted value that runs over lines to the next quote, with an error right after:
    its quote was never closed on its own line."""
    scalars = [t for t in at.before() if type(t).__name__ == "ScalarToken"]
    if not scalars or scalars[-1].style not in ('"', "'"):
        return None
    last = scalars[-1]
    start, end = at.where(last.start_mark.index), at.where(last.end_mark.index)
    if start[0] == end[0] or end[0] != here[0]:
        return None
    quote = last.style
    message, hint = _unclosed_quote(start, quote)[1:]
    return (
        start,
        message + f" on its line: the value runs on to the next {quote} on line {end[0] + 1}",
        hint,
    )


def _flow(at: _Text, problem: str, here: tuple[int, int], cm: Any) -> Explained | None:
    """Errors inside `{...}` and `[...]`."""
    opened = at.where(cm.index) if cm is not None else here
    sign = at.text[cm.index] if cm is not None and cm.index < len(at.text) else ""
    if sign not in "{[" or not sign:
        starts = [
            t
            for t in at.before()
            if type(t).__name__ in ("FlowMappingStartToken", "FlowSequenceStartToken")
        ]
        ends = [
            t
            for t in at.before()
            if type(t).__name__ in ("FlowMappingEndToken", "FlowSequenceEndToken")
        ]
        if len(starts) <= len(ends):
            sign = ""
        else:
            opened = at.where(starts[len(starts) - len(ends) - 1].start_mark.index)
            sign = at.text[starts[len(starts) - len(ends) - 1].start_mark.index]
    close = {"{": "}", "[": "]"}.get(sign, "")
    if "found ','" in problem:
        return here, "a `,` with nothing before it; remove it", None
    if close and ("stream end" in problem or opened[0] != here[0]):
        return (
            opened,
            f"the `{sign}` opened at line {opened[0] + 1} col {opened[1] + 1} is never closed",
            f"end it with `{close}` on line {opened[0] + 1}",
        )
    if close and problem.startswith("expected ','"):
        scalars = [t for t in at.before() if type(t).__name__ == "ScalarToken"]
        last = scalars[-1] if scalars else None
        value = str(last.value) if last is not None and not last.style else ""
        if last is not None and " " in value.strip():
            word = value.strip().rsplit(" ", 1)[1]
            start = at.where(last.end_mark.index - len(word))
            return (
                start,
                f"a `,` is missing before `{_cut(word)}`: the entries of `{sign}...{close}` "
                "are separated by commas",
                None,
            )
        return here, f"expected a `,` or the closing `{close}` here", None
    return None


def _colon(at: _Text, here: tuple[int, int]) -> Explained | None:
    """`mapping values are not allowed here`: a `: ` inside a value, or a line indented
    under a field that already has a value."""
    tokens = at.before()
    scalars = [i for i, t in enumerate(tokens) if type(t).__name__ == "ScalarToken"]
    if not scalars:
        return None
    i = scalars[-1]
    value = tokens[i]
    key = None
    if (
        i >= 2
        and type(tokens[i - 1]).__name__ == "ValueToken"
        and type(tokens[i - 2]).__name__ == "ScalarToken"
    ):
        key = str(tokens[i - 2].value)
    start = at.where(value.start_mark.index)
    if start[0] == here[0]:  # `owner: ml: x`
        if key is None:
            return None
        written = _value_on(at.line(start[0]), start[1])
        opener = {"}": "{", "]": "["}.get(written[-1:])
        hint = None
        if opener and opener not in written:
            hint = f"if it is a {'mapping' if opener == '{' else 'list'}, open it with `{opener}`"
        return (
            here,
            f"the value of `{_cut(key)}:` holds `: `, which would start another field; put "
            f"the value in quotes: {_cut(key)}: {_in_quotes(written)}",
            hint,
        )
    if key is None and not value.style and start[0] < here[0]:  # `- id founder`
        first = _value_on(at.line(start[0]), start[1])
        words = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*) +[^\s:#][^:#]*", first)
        if words is not None:
            return (
                start,
                f"`{_cut(first)}` on line {start[0] + 1} is not a field: add a `:` after "
                f"`{_cut(words.group(1))}`",
                None,
            )
    if key is None:
        glued = re.search(r"[^\s:]:(?=[^\s:/])", str(value.value))
        if glued is not None and not value.style and start[0] < here[0]:  # `- id:x`
            written = _value_on(at.line(start[0]), start[1])
            at_colon = written.find(":", glued.start())
            return (
                (start[0], start[1] + max(at_colon, 0)),
                f"put a space after the `:` in `{_cut(written)}`",
                None,
            )
        return None
    if value.style:
        return None
    key_line = start[0]
    n = here[0]
    head = at.line(n)[: here[1]]
    if not re.fullmatch(r"\s*(?:-\s+)?[^\s:#][^:#]*", head):  # a colon in running text
        return (
            here,
            f"line {n + 1}: a value cannot continue onto an indented line that holds `: `; "
            f"put the value of `{_cut(key)}:` (line {key_line + 1}) in quotes",
            None,
        )
    owner = next((a for a in reversed(at.anchors()) if a.line == key_line and not a.dash), None)
    return _under_value(at, owner, key, key_line, n)


def _under_value(at: _Text, owner: _Anchor | None, key: str, key_line: int, n: int) -> Explained:
    """Line `n` is indented under `key:` (on `key_line`), which already has a value: either
    line n is too deep, or the field's own line is too shallow for the lines around it."""
    if owner is not None:
        above = [a for a in at.levels(key_line) if not a.dash or a.col != owner.col]
        near = above[0] if above else None
        if near is not None and not near.dash and owner.col < near.col == at.indent(n):
            return (
                (key_line, owner.col),
                f"line {key_line + 1} is indented less than the fields around it; line "
                f"`{_cut(key)}:` up with {near.shown()}",
                None,
            )
        where = at.container(owner)
    else:
        where = "the other fields"
    return (
        (n, at.indent(n)),
        f"line {n + 1} is indented deeper than `{_cut(key)}:` above it; line it up with {where}",
        f"if it belongs under `{_cut(key)}:`, remove the value after `{_cut(key)}:` "
        f"on line {key_line + 1}",
    )


def _not_a_field(at: _Text, cm: Any) -> Explained:
    """`could not find expected ':'`: a line that is neither `name: value` nor `- item`."""
    start = at.where(cm.index)
    written = _value_on(at.line(start[0]), start[1])
    glued = re.search(r"[^\s:]:(?=[^\s:/])", written)
    if glued is not None:
        return (
            (start[0], start[1] + glued.start() + 1),
            f"put a space after the `:` in `{_cut(written)}`",
            None,
        )
    return (
        start,
        f"line {start[0] + 1} is neither a field (`name: value`) nor a list item (`- ...`)",
        "add a `:` after the field name; if it continues the value above, indent it more "
        "than that field",
    )


def _block_end(at: _Text, problem: str, here: tuple[int, int]) -> Explained | None:
    """`expected <block end>, but found ...`: a line that fits no level above it."""
    found = problem.rsplit("found ", 1)[-1].strip("'\"")
    if found in ("}", "]"):
        opener = "{" if found == "}" else "["
        return here, f"this `{found}` closes nothing (no `{opener}` is open); remove it", None
    tokens = at.before()
    last = tokens[-1] if tokens else None
    if found == "<scalar>" and last is not None and at.where(last.end_mark.index)[0] == here[0]:
        kind = type(last).__name__
        if kind == "ScalarToken" and last.style in ('"', "'"):
            return (
                here,
                f"text after the closing {last.style} of a quoted value; put the whole value "
                "inside the quotes",
                None,
            )
        if kind in ("FlowMappingEndToken", "FlowSequenceEndToken"):
            sign = at.text[last.start_mark.index]
            return here, f"text after the closing `{sign}`; remove it or move it inside", None
    n = here[0]
    text = at.line(n)
    indent = at.indent(n)
    is_item = text.lstrip(" ").startswith("-")
    levels = at.levels(n)
    if not levels:
        return None
    if found == "," or at.text[at.index : at.index + 1] == ",":
        return (
            here,
            "a `,` outside `[...]` or `{...}`; remove it, or put the value in quotes",
            None,
        )
    if not levels[0].dash and indent > levels[0].col:  # under a field that has its value
        return _under_value(at, levels[0], levels[0].name, levels[0].line, n)
    if is_item:
        dashes = [a for a in levels if a.dash]
        fields = [a for a in levels if not a.dash and a.col == indent]
        if fields:
            return (
                (n, indent),
                f"line {n + 1} starts a list item (`- `) among the fields of a mapping "
                f"({fields[0].shown()} is at the same indentation); remove the `- `, or "
                "indent the list under a field",
                None,
            )
        if dashes:
            near = min(dashes, key=lambda a: abs(a.col - indent))
            if near.col != indent:
                return (
                    (n, indent),
                    f"this list item is indented {_spaces(indent)} but the items before it "
                    f"{near.col} (line {near.line + 1}); line it up with them",
                    None,
                )
            return None
        return (
            (n, indent),
            f"line {n + 1} starts a list item (`- `) where no list is open: a list goes under "
            "a field that has no value on its own line, indented more than that field",
            None,
        )
    for k, a in enumerate(levels):
        if a.dash and a.col == indent:
            inner = levels[k - 1] if k > 0 and not levels[k - 1].dash else None
            to = f"line it up with {inner.shown()}" if inner else "indent it under the `-`"
            return (
                (n, indent),
                f"line {n + 1} is lined up with the `-` of the list item on line {a.line + 1}, "
                f"not with its fields; {to}, or start a new item with `- `",
                None,
            )
    if indent not in {a.col for a in levels}:
        near = min(levels, key=lambda a: (abs(a.col - indent), a.dash, -a.col))
        return (
            (n, indent),
            f"line {n + 1} does not line up with the fields above it: it is indented "
            f"{_spaces(indent)}, {near.shown()} is indented {near.col}; line them up",
            None,
        )
    return None


def _yaml_error(file: str, exc: MarkedYAMLError, text: str) -> PlanError:
    line, col, message, hint = _explain(exc, text)
    return _error(file, "yaml-syntax", message, line, col, hint)


def read_bytes(
    path: FsPath,
    limit: int = MAX_BYTES,
    *,
    noun: str = "a plan file",
    short: str = "file",
    missing_hint: str | None = "check the path, or run `ventureplan init`",
) -> bytes:
    """A file's bytes, read safely: a folder, a device (`/dev/zero`), a pipe or a socket is
    refused without reading from it or blocking on it, and no more than `limit` + 1 bytes
    are ever read. Every failure is a PlanError with a location, naming the file as a
    `noun` ("a plan file", "an estimate sheet"), `short` in "cannot read the ..."."""
    file = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO would block a plain open
    except FileNotFoundError:
        raise _error(file, "not-found", "no such file", hint=missing_hint) from None
    except IsADirectoryError:
        raise _error(file, "not-a-file", f"this is a folder, not {noun}") from None
    except OSError as exc:
        raise _error(file, "unreadable", f"cannot read the {short}: {exc.strerror}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        what = "a folder" if stat.S_ISDIR(mode) else "a device, pipe or socket"
        raise _error(file, "not-a-file", f"this is {what}, not {noun}")
    with os.fdopen(fd, "rb") as fh:
        try:
            return fh.read(limit + 1)
        except OSError as exc:
            raise _error(file, "unreadable", f"cannot read the {short}: {exc.strerror}") from None


def read(path: FsPath) -> tuple[Any, SourceMap]:
    """Read and parse a plan file; every failure is a PlanError with a location."""
    text = decode(read_bytes(path), str(path))
    return parse(text, str(path), as_json=path.suffix.lower() == ".json")
