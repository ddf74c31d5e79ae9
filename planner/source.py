"""Reading a plan file into plain data plus a map from field paths to line and column.

YAML goes through ruamel.yaml's C parser (libyaml) for speed, keeping the node tree so
that any finding can be pointed at the line that caused it. JSON is parsed by the json
module (for its syntax errors) and then mapped the same way, since JSON is YAML 1.2.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import Finding, Path, PlanError

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
    """Answers "where in the file is this field?" for a parsed document."""

    file: str
    root: Node | None = None

    def locate(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """1-based (line, column) of the value at `path`, or of its key with `key=True`.

        A path that leads nowhere (a missing field) resolves to the deepest part that exists.
        """
        node = self.root
        if node is None:
            return (1, 1)
        mark = node.start_mark
        for i, part in enumerate(path):
            last = i == len(path) - 1
            nxt: Node | None = None
            if isinstance(node, MappingNode) and isinstance(part, str):
                for k, v in node.value:
                    if isinstance(k, ScalarNode) and k.value == part:
                        if last and key:
                            return (k.start_mark.line + 1, k.start_mark.column + 1)
                        nxt = v
                        break
            elif (
                isinstance(node, SequenceNode)
                and isinstance(part, int)
                and 0 <= part < len(node.value)
            ):
                nxt = node.value[part]
            if nxt is None:
                break
            node = nxt
            mark = node.start_mark
        return (mark.line + 1, mark.column + 1)

    def place(self, finding: Finding, *, key: bool = False) -> Finding:
        finding.file = self.file
        if finding.line is None:
            finding.line, finding.column = self.locate(finding.path, key=key)
        return finding


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
            file, "too-large", f"the file is {len(raw) // 2**20} MiB; a plan is at most 64 MiB"
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


def parse(text: str, file: str, *, as_json: bool = False) -> tuple[Any, SourceMap]:
    """Parse YAML (or JSON) text into plain Python data and its source map."""
    if as_json:
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            raise _error(
                file, "json-syntax", f"JSON syntax error: {exc.msg}", exc.lineno, exc.colno
            ) from None
    # libyaml is fast but follows YAML 1.1 in places (it rejects `{a: b:c}`); the pure
    # parser reads YAML 1.2 like the round-trip writer does, so it decides what is valid.
    yaml = _yaml()
    try:
        try:
            root = yaml.compose(text)
        except MarkedYAMLError:
            yaml = _yaml(pure=True)
            root = yaml.compose(text)
    except MarkedYAMLError as exc:
        if as_json:  # valid JSON that YAML reads differently (e.g. tabs): keep the data, lose lines
            return json.loads(text), SourceMap(file)
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
        data = yaml.constructor.construct_document(root)
    except MarkedYAMLError as exc:
        raise _yaml_error(file, exc) from None
    except (ValueError, TypeError, RecursionError) as exc:
        raise _error(file, "yaml-value", f"YAML value error: {exc}") from None
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise _error(
            file,
            "not-a-mapping",
            f"a plan is a mapping of fields (schema, name, tasks, ...), not a {kind}",
        )
    return data, SourceMap(file, root)


def _yaml_error(file: str, exc: MarkedYAMLError) -> PlanError:
    mark = exc.problem_mark or exc.context_mark
    problem = (exc.problem or exc.context or "syntax error").strip()
    if "duplicate key" in problem:
        problem = problem.split(" with value")[0]
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    context = f" ({exc.context.strip()})" if exc.context and exc.problem else ""
    return _error(file, "yaml-syntax", f"YAML syntax error: {problem}{context}", line, col)


def read(path: FsPath) -> tuple[Any, SourceMap]:
    """Read and parse a plan file; every failure is a PlanError with a location."""
    file = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise _error(
            file, "not-found", "no such file", hint="check the path, or run `ventureplan init`"
        ) from None
    except IsADirectoryError:
        raise _error(file, "not-a-file", "this is a folder, not a plan file") from None
    except OSError as exc:
        raise _error(file, "unreadable", f"cannot read the file: {exc.strerror}") from None
    text = decode(raw, file)
    return parse(text, file, as_json=path.suffix.lower() == ".json")
