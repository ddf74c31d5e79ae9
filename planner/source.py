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
            raise _Bad(
                "yaml-syntax",
                f"YAML syntax error: found duplicate key {_quoted(key)}",
                top.key_mark,
            )
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
        raise _error(file, bad.code, bad.message, line, col, bad.hint) from None
    except MarkedYAMLError as exc:
        raise _yaml_error(file, exc) from None
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
    except YAMLError as exc:
        raise _error(file, "yaml-syntax", f"YAML error: {exc}") from None


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


def _yaml_error(file: str, exc: MarkedYAMLError) -> PlanError:
    mark = exc.problem_mark or exc.context_mark
    problem = (exc.problem or exc.context or "syntax error").strip()
    if "duplicate key" in problem:
        problem = problem.split(" with value")[0]
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    context = f" ({exc.context.strip()})" if exc.context and exc.problem else ""
    return _error(file, "yaml-syntax", f"YAML syntax error: {problem}{context}", line, col)


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
