"""Turning Pydantic's validation errors into findings a founder can act on."""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import BaseModel, ValidationError

from .errors import Finding, Path
from .model import Plan


def _unwrap(tp: Any) -> Any:
    """`X | None` -> X, `Annotated[X, ...]` -> X."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def _fields(model: type[BaseModel]) -> dict[str, Any]:
    return {(f.alias or name): f for name, f in model.model_fields.items()}


def model_at(path: Path, root: type[BaseModel] = Plan) -> type[BaseModel] | None:
    """The model class that describes the mapping at `path`, if the path leads to one."""
    tp: Any = root
    for part in path:
        tp = _unwrap(tp)
        origin = typing.get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = _fields(tp).get(str(part))
            if field is None:
                return None
            tp = field.annotation
        elif origin is list:
            tp = typing.get_args(tp)[0]
        elif origin is dict:
            tp = typing.get_args(tp)[1]
        else:
            return None
    tp = _unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def suggest(word: str, choices: list[str]) -> str | None:
    match = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return match[0] if match else None


# A plan with thousands of typos gets "did you mean" for the first of them only: each one
# compares the word with every choice, so an unbounded number of them is quadratic work.
SUGGESTIONS = 100


def suggester() -> Callable[[str, list[str]], str | None]:
    """`suggest` for many (word, choices) questions: each once, the first SUGGESTIONS only,
    so a plan with thousands of typos stays linear."""
    asked: dict[tuple[str, tuple[str, ...]], str | None] = {}

    def near(word: str, choices: list[str]) -> str | None:
        key = (word, tuple(choices))
        if key not in asked:
            asked[key] = suggest(word, choices) if len(asked) < SUGGESTIONS else None
        return asked[key]

    return near


class Suggester:
    """`suggest` for many words against the same choices: each word once, the first
    SUGGESTIONS distinct words only (None after that), so the work stays linear."""

    def __init__(self, choices: Iterable[str], budget: int = SUGGESTIONS) -> None:
        self.choices = list(choices)
        self.budget = budget
        self.seen: dict[str, str | None] = {}

    def __call__(self, word: str) -> str | None:
        if word in self.seen:
            return self.seen[word]
        if len(self.seen) >= self.budget:
            return None
        self.seen[word] = near = suggest(word, self.choices)
        return near


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _real_path(loc: tuple[Any, ...], data: Any, keep_last: bool) -> Path:
    """Drop the parts of Pydantic's location that are not in the document (union tags)."""
    path: list[str | int] = []
    node = data
    for i, part in enumerate(loc):
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_dict or in_list:
            node = node[part]
        elif keep_last and i == len(loc) - 1:
            pass
        else:
            continue
        path.append(part)
    return tuple(path)


def _message(
    err: Any, path: Path, near: Callable[[str, list[str]], str | None]
) -> tuple[str, str | None]:
    kind = err["type"]
    value = err.get("input")
    if kind == "missing":
        field = path[-1]
        model = model_at(path[:-1])
        desc = None
        if model is not None and str(field) in _fields(model):
            desc = _fields(model)[str(field)].description
        return f"required field `{field}` is missing", desc
    if kind == "extra_forbidden":
        field = str(path[-1])
        model = model_at(path[:-1])
        known = list(_fields(model)) if model else []
        close = near(field, known)
        if close:
            return f"unknown field `{field}`; did you mean `{close}`?", None
        return f"unknown field `{field}`", ("known fields: " + ", ".join(known)) if known else None
    if path == ("schema",):
        return (
            f"this file says schema: {_short(value)}; ventureplan reads schema: ventureplan/1",
            None,
        )
    if kind == "union_tag_invalid":  # a record's `kind`
        expected = re.findall(r"'([^']*)'", err.get("ctx", {}).get("expected_tags", ""))
        tag = err.get("ctx", {}).get("tag")
        close = near(str(tag), expected)
        msg = f"{_short(tag)} is not one of: {', '.join(expected)}"
        return (msg + (f"; did you mean `{close}`?" if close else "")), None
    if kind == "literal_error":
        expected = re.findall(r"'([^']*)'", err.get("ctx", {}).get("expected", ""))
        close = near(str(value), expected) if isinstance(value, str) else None
        msg = f"{_short(value)} is not one of: {', '.join(expected)}"
        return (msg + (f"; did you mean `{close}`?" if close else "")), None
    msg = err["msg"]
    if msg.startswith("Value error, "):
        return msg[len("Value error, ") :], None
    if msg.startswith("Input should be"):
        msg = "must be" + msg[len("Input should be") :]
    if not isinstance(value, dict | list):
        msg += f", got {_short(value)}"
    return msg, None


def _home(path: Path, data: Any) -> tuple[Path, str] | None:
    """Where an unknown field at `path` belongs when its name is a field one level away:
    ("under", the child mapping's path) or ("beside", the mapping it was written in)."""
    field, here = str(path[-1]), path[:-1]
    model = model_at(here)
    if model is None:
        return None
    for name in _fields(model):
        child = model_at((*here, name))
        if child is not None and field in _fields(child):
            return (*here, name), "under"
    if not here:
        return None
    # the mapping around this one; around an item of a list, the mapping holding the list
    up = here[:-2] if isinstance(here[-1], int) else here[:-1]
    parent = model_at(up)
    if parent is not None and field in _fields(parent):
        return here, "beside"
    return None


def _names(fields: list[str]) -> str:
    return ", ".join(f"`{f}`" for f in fields)


def _placed(fields: list[str], where: Path, how: str, data: Any) -> str:
    """`optimistic`, `likely`, `pessimistic` belong under `estimate:` (...)."""
    verb = "belongs" if len(fields) == 1 else "belong"
    them = "it" if len(fields) == 1 else "them"
    key = next((p for p in reversed(where) if isinstance(p, str)), "")
    if how == "beside":
        if isinstance(where[-1], int):
            return (
                f"{_names(fields)} {verb} beside `{key}:`, not inside one of its items "
                f"(line {them} up with `{key}:`)"
            )
        return (
            f"{_names(fields)} {verb} beside `{key}:`, not under it (line {them} up with `{key}:`)"
        )
    node: Any = data
    for part in where[:-1]:
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            node = None
    if not isinstance(node, dict) or key not in node:
        tail = f"add `{key}:` on a line above {them}, then indent {them} two more spaces"
    elif isinstance(node[key], dict):
        tail = f"move {them} in with the other fields of `{key}:`"
    else:
        tail = f"indent {them} two more spaces"
    return f"{_names(fields)} {verb} under `{key}:` ({tail})"


def schema_findings(exc: ValidationError, data: Any) -> list[Finding]:
    """One finding per distinct location; union alternatives collapse into one. Unknown
    fields that belong one level up or down (an estimate's three points written beside
    `estimate:`) are one finding that says where they go."""
    findings: list[Finding] = []
    seen: set[Path] = set()
    near = suggester()
    errors = exc.errors()
    # A mapping where a list or a mapping may stand (`search: {lr: {low, high}}`): the
    # mapping's own complaint says more than "must be a valid list".
    errors.sort(key=lambda e: e["type"] == "list_type" and isinstance(e.get("input"), dict))
    moved: dict[tuple[Path, str], tuple[Finding, list[str]]] = {}
    for err in errors:
        keep_last = err["type"] in ("missing", "extra_forbidden")
        path = _real_path(tuple(err["loc"]), data, keep_last)
        if err["type"] == "union_tag_invalid":
            path = (*path, "kind")  # the tag a tagged union (a record's kind) did not know
        if path in seen:
            continue
        seen.add(path)
        if err["type"] == "extra_forbidden" and path:
            home = _home(path, data)
            if home is not None:
                if home in moved:
                    moved[home][1].append(str(path[-1]))
                else:
                    first = Finding("unknown-field", "", path=path)
                    moved[home] = (first, [str(path[-1])])
                    findings.append(first)
                continue
        message, hint = _message(err, path, near)
        code = "unknown-field" if err["type"] == "extra_forbidden" else "schema"
        if err["type"] == "missing":
            code = "missing-field"
        findings.append(Finding(code, message, path=path, hint=hint))
    if moved:
        # the field a moved one leaves missing where it belongs says nothing more
        gone = {
            (*where, name)
            for (where, how), (_, names) in moved.items()
            if how == "under"
            for name in names
        }
        findings = [f for f in findings if not (f.code == "missing-field" and f.path in gone)]
        for (where, how), (finding, names) in moved.items():
            finding.message = _placed(names, where, how, data)
    return findings
