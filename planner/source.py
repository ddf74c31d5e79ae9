"""Reading a plan file into plain data plus a map from field paths to line and column.

YAML goes through ruamel.yaml's C parser (libyaml) for speed, keeping the node tree so
that any finding can be pointed at the line that caused it. JSON is parsed by the json
module (for its syntax errors) and then mapped the same way, since JSON is YAML 1.2.
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
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from ruamel.yaml.nodes import MappingNode, Node, SequenceNode

from .errors import Finding, Path, PlanError

_fast: Any
try:
    import yaml_rs as _fast
except ImportError:  # the careful path alone still reads every plan
    _fast = None

MAX_BYTES = 64 * 1024 * 1024
# A plan that uses anchors to avoid repetition expands a little; an "alias bomb"
# (billion laughs) expands exponentially. Refuse expansion beyond this factor.
MAX_EXPANSION = 10
MIN_EXPANSION_BUDGET = 50_000


class _PlanConstructor(SafeConstructor):
    """Dates stay text here; Pydantic parses them and reports an impossible one in place."""


_PlanConstructor.add_constructor("tag:yaml.org,2002:timestamp", SafeConstructor.construct_yaml_str)


def _yaml(pure: bool = False) -> YAML:
    yaml = YAML(typ="safe", pure=pure)
    yaml.Constructor = _PlanConstructor
    return yaml


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
        block style is read on its own, so a finding in `budget` does not read every task."""
        assert self.text is not None
        text = self.text
        starts = {m.group(1): m.start() for m in _TOP_KEY.finditer(text)}
        bounds = [*sorted(starts.values()), len(text)]
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
        for key, items in by_key.items():
            lo = starts[key]
            hi = bounds[bounds.index(lo) + 1]
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


def _explosive_node(root: Node, limit: int, file: str) -> Node | None:
    """The innermost node that expands past `limit` nodes once aliases are expanded."""
    sizes: dict[int, int] = {}
    active: set[int] = set()
    culprit: list[Node] = []

    def size(node: Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            m = node.start_mark
            raise _error(
                file,
                "recursive-alias",
                "an alias refers to the node that contains it",
                m.line + 1,
                m.column + 1,
            )
        active.add(key)
        total = 1
        children: list[Node] = []
        if isinstance(node, MappingNode):
            children = [n for pair in node.value for n in pair]
        elif isinstance(node, SequenceNode):
            children = node.value
        for child in children:
            total += size(child)
            if total > limit:
                break
        active.discard(key)
        sizes[key] = total
        if total > limit and not culprit:
            culprit.append(node)
        return total

    size(root)
    return culprit[0] if culprit else None


def _distinct_nodes(root: Node) -> int:
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            for k, v in node.value:
                stack += (k, v)
        elif isinstance(node, SequenceNode):
            stack += node.value
    return len(seen)


# A top-level field written in block style: `name:` at the start of a line.
_TOP_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)[ \t]*:(?=[ \t]|$)", re.MULTILINE)
# An alias is `*name` where a node may begin; anything that looks like one sends the
# document to the careful parser, which bounds what aliases can expand to.
_ALIAS = re.compile(r"(?:^|[\s\[{,:?-])\*[^\s,\[\]{}]")


def _fast_load(text: str) -> Any:
    """yaml-rs (Rust, YAML 1.2) reads a plain plan 20-30× faster than the careful path.
    It is used only for documents without aliases, and any complaint it has is handed to
    the careful path, which owns every error message."""
    if _fast is None or _ALIAS.search(text):
        return None
    try:
        return _fast.loads(text, parse_datetime=False)
    except Exception:
        return None


def _compose(text: str) -> Node | None:
    # libyaml is fast but follows YAML 1.1 in places (it rejects `{a: b:c}`); the pure
    # parser reads YAML 1.2 like the round-trip writer does, so it decides what is valid.
    try:
        return _yaml().compose(text)  # type: ignore[no-any-return]
    except MarkedYAMLError:
        return _yaml(pure=True).compose(text)  # type: ignore[no-any-return]


def parse(text: str, file: str, *, as_json: bool = False) -> tuple[Any, SourceMap]:
    """Parse YAML (or JSON) text into plain Python data and its source map."""
    if as_json:
        duplicates: list[str] = []

        def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for key, value in items:
                if key in out:
                    duplicates.append(key)
                out[key] = value
            return out

        try:
            data = json.loads(text, object_pairs_hook=pairs)
        except json.JSONDecodeError as exc:
            raise _error(
                file, "json-syntax", f"JSON syntax error: {exc.msg}", exc.lineno, exc.colno
            ) from None
        if duplicates:  # json keeps the last one silently; the YAML reader says where
            line = col = 1
            try:
                _yaml(pure=True).load(text)
            except MarkedYAMLError as exc:
                found = _yaml_error(file, exc).findings[0]
                line, col = found.line or 1, found.column or 1
            raise _error(
                file,
                "json-duplicate-key",
                f"duplicate key {duplicates[0]!r}; JSON keeps only the last, so remove one",
                line,
                col,
            )
        return _mapping(data, file), SourceMap(file, text=text)
    data = _fast_load(text)
    if isinstance(data, dict):
        return data, SourceMap(file, text=text)
    try:
        root = _compose(text)
    except MarkedYAMLError as exc:
        raise _yaml_error(file, exc) from None
    except YAMLError as exc:
        raise _error(file, "yaml-syntax", f"YAML error: {exc}") from None
    except RecursionError:
        raise _error(file, "too-deep", "the document is nested too deeply") from None
    if root is None:
        raise _error(
            file,
            "empty",
            "the file holds no plan, only comments",
            hint="start from `ventureplan init`",
        )
    distinct = _distinct_nodes(root)
    limit = max(MIN_EXPANSION_BUDGET, MAX_EXPANSION * distinct)
    bomb = _explosive_node(root, limit, file)
    if bomb is not None:
        raise _error(
            file,
            "alias-bomb",
            f"YAML aliases expand this document beyond {limit:,} nodes (an alias bomb?)",
            bomb.start_mark.line + 1,
            bomb.start_mark.column + 1,
            hint="write the repeated parts out, or use fewer nested aliases",
        )
    try:
        data = _yaml(pure=True).constructor.construct_document(root)
    except MarkedYAMLError as exc:
        raise _yaml_error(file, exc) from None
    except (ValueError, TypeError, RecursionError) as exc:
        raise _error(file, "yaml-value", f"YAML value error: {exc}") from None
    return _mapping(data, file), SourceMap(file, text=text)


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


def read_bytes(path: FsPath) -> bytes:
    """A plan file's bytes, read safely: a folder, a device (`/dev/zero`), a pipe or a
    socket is refused without reading from it or blocking on it, and no more than
    MAX_BYTES + 1 bytes are ever read. Every failure is a PlanError with a location."""
    file = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO would block a plain open
    except FileNotFoundError:
        raise _error(
            file, "not-found", "no such file", hint="check the path, or run `ventureplan init`"
        ) from None
    except IsADirectoryError:
        raise _error(file, "not-a-file", "this is a folder, not a plan file") from None
    except OSError as exc:
        raise _error(file, "unreadable", f"cannot read the file: {exc.strerror}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        what = "a folder" if stat.S_ISDIR(mode) else "a device, pipe or socket"
        raise _error(file, "not-a-file", f"this is {what}, not a plan file")
    with os.fdopen(fd, "rb") as fh:
        try:
            return fh.read(MAX_BYTES + 1)
        except OSError as exc:
            raise _error(file, "unreadable", f"cannot read the file: {exc.strerror}") from None


def read(path: FsPath) -> tuple[Any, SourceMap]:
    """Read and parse a plan file; every failure is a PlanError with a location."""
    text = decode(read_bytes(path), str(path))
    return parse(text, str(path), as_json=path.suffix.lower() == ".json")
