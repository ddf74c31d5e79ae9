"""Each route checked against what its kind takes: the `route_parameters` hook says, per
route kind, which hyperparameters, search values and limits its routes may hold (Pydantic
models), which goal metrics a run measures, and any further check of its own (the data
file, say). A route whose kind no plugin runs is a warning; a kind no plugin describes is
not checked, as before the hook.

The planner knows no kind itself: the built-in one (plugins/textclass.py) answers the hook
like any other plugin. A plugin whose models or check raise is a warning naming it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from .defaults import LANGUAGES
from .errors import Finding
from .errors import Path as FieldPath
from .hookspecs import RouteParameters
from .model import Plan, Route, SearchRange
from .plugin_manager import Manager, answers, failure
from .report import keep_texts, labels, lint
from .validate import suggester

Near = Callable[[str, list[str]], str | None]


@dataclass(frozen=True)
class Kind:
    """A route kind as one plugin describes it."""

    name: str
    plugin: str
    parameters: RouteParameters


def _bad_answer(plugin: str, what: str, lang: str) -> Finding:
    return lint(
        "plugin-failed",
        lang,
        "plugin-bad-answer",
        "fallback.plugin-fix",  # FIX_PLUGIN, in every language
        {"plugin": plugin, "what": what},
        severity="warning",
        plugin=plugin,
    )


def _word(key: str) -> dict[str, str]:
    """A word of the lint catalogue in every language ("none", "nothing")."""
    return {lang: labels(lang)["lints"][key] for lang in LANGUAGES}


def _model(value: Any) -> bool:
    return value is None or (isinstance(value, type) and issubclass(value, BaseModel))


def _parameters(value: Any) -> RouteParameters | str:
    """A plugin's answer for one kind as RouteParameters, or what is wrong with it."""
    if isinstance(value, type) and issubclass(value, BaseModel):
        return RouteParameters(hyperparameters=value)
    if not isinstance(value, RouteParameters):
        return f"{type(value).__name__}, not RouteParameters or a Pydantic model"
    if not (_model(value.hyperparameters) and _model(value.limits)):
        return "hyperparameters or limits that are not Pydantic models"
    metrics = value.metrics
    if metrics is not None and (
        isinstance(metrics, str | bytes)
        or not isinstance(metrics, list | tuple | set | frozenset)
        or not all(isinstance(m, str) for m in metrics)
    ):
        return "metrics that are not a list of names"
    if value.check is not None and not callable(value.check):
        return "a check that cannot be called"
    return value


def kind_parameters(pm: Manager, failures: list[Finding], lang: str = "en") -> dict[str, Kind]:
    """Route kind -> how it is described, from every plugin (the first to describe a kind
    keeps it); a malformed answer is a warning naming its plugin (in `lang`)."""
    out: dict[str, Kind] = {}
    for plugin, answer in answers(pm, "route_parameters", failures):
        if answer is None:
            continue
        if not isinstance(answer, Mapping):
            failures.append(_bad_answer(plugin, f"a {type(answer).__name__}, not a dict", lang))
            continue
        for name, value in answer.items():
            params = _parameters(value)
            if isinstance(params, str):
                failures.append(_bad_answer(plugin, f"route kind {name!r}: {params}", lang))
            elif isinstance(name, str) and name not in out:
                out[name] = Kind(name, plugin, params)
    return out


def runnable_kinds(pm: Manager, failures: list[Finding]) -> set[str]:
    """The route kinds some plugin runs (`route_kinds`)."""
    out: set[str] = set()
    for _, answer in answers(pm, "route_kinds", failures):
        if isinstance(answer, Mapping):
            out |= {k for k in answer if isinstance(k, str)}
    return out


def _short(value: Any) -> str:
    try:
        text = repr(value)
    except ValueError:  # an int of more than 4,300 digits has no repr
        return "a very long integer"
    return text if len(text) <= 60 else text[:57] + "..."


def _fields(model: type[BaseModel]) -> dict[str, Any]:
    return {(f.alias or name): f for name, f in model.model_fields.items()}


@dataclass
class _Error:
    """One Pydantic error, as a finding inside the mapping that was validated."""

    code: str
    path: FieldPath  # inside the mapping
    message: str
    hint: str | None = None


def _errors(
    exc: ValidationError, data: Mapping[str, Any], model: type[BaseModel], near: Near
) -> Iterator[_Error]:
    """The errors of `data` validated as `model`, worded as validate.py words the plan's own
    (did-you-mean for an unknown name, `must be ...` for a wrong value), one per place."""
    fields = _fields(model)
    seen: set[FieldPath] = set()
    for err in exc.errors():
        loc = tuple(err["loc"])
        kind = err["type"]
        # Only the first part names a field of the mapping; the rest are union members.
        path: FieldPath = (loc[0],) if loc and isinstance(loc[0], str) else ()
        if path in seen:
            continue
        seen.add(path)
        value = err.get("input")
        name = str(path[0]) if path else ""
        if kind == "extra_forbidden":
            close = near(name, list(fields))
            if close:
                yield _Error(
                    "unknown-field", path, f"unknown field `{name}`; did you mean `{close}`?"
                )
            else:
                known = ", ".join(fields) or "none"
                yield _Error(
                    "unknown-field", path, f"unknown field `{name}`", f"known fields: {known}"
                )
            continue
        if kind == "missing":
            desc = fields[name].description if name in fields else None
            yield _Error("missing-field", path, f"required field `{name}` is missing", desc)
            continue
        msg = str(err["msg"])
        for prefix in ("Value error, ", "Assertion failed, "):
            if msg.startswith(prefix):
                msg = msg[len(prefix) :]
                break
        else:
            if msg.startswith("Input should be"):
                msg = "must be" + msg[len("Input should be") :]
            if not isinstance(value, dict | list):
                msg += f", got {_short(value)}"
        yield _Error("schema", path, msg)


def _validate(model: type[BaseModel], data: Mapping[str, Any], near: Near) -> list[_Error]:
    try:
        model.model_validate(dict(data))
    except ValidationError as exc:
        return list(_errors(exc, data, model, near))
    return []


def _search(model: type[BaseModel], plan: Plan, route: Route, near: Near) -> list[Finding]:
    """Every value of every search list, and both ends of every range, validated as its
    hyperparameter (each trial is the hyperparameters with one value of each name); a range
    only on a number."""
    out: list[Finding] = []
    unknown: set[str] = set()
    fields = _fields(model)
    for name, values in route.search.items():
        probes: list[tuple[str | int | None, Any]]
        if isinstance(values, SearchRange):
            kind = _number(fields[name].annotation) if name in fields else float
            if kind is None:
                out.append(
                    lint(
                        "schema",
                        plan.language,
                        "search-range-not-number",
                        args={"name": name},
                        path=("search", name),
                    )
                )
                continue
            # SearchRange holds floats: an integer hyperparameter's 8 arrives as 8.0
            probes = [(end, _as(kind, getattr(values, end))) for end in ("low", "high")]
        else:
            # An empty list still has its name checked (the value's errors are not reported).
            probes = list(enumerate(values)) or [(None, None)]
        for key, value in probes:
            data = {**route.hyperparameters, name: value}
            for e in _validate(model, data, near):
                if e.path != (name,):  # the hyperparameters' own errors are reported there
                    continue
                if e.code == "unknown-field":
                    if name not in unknown:
                        unknown.add(name)
                        out.append(Finding(e.code, e.message, path=("search", name), hint=e.hint))
                elif key is not None:
                    out.append(Finding(e.code, e.message, path=("search", name, key), hint=e.hint))
    return out


def _number(annotation: Any) -> type[int] | type[float] | None:
    """int or float for a field that takes a number (through Annotated and Optional), else
    None: a range of a string or a yes/no value means nothing."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _number(get_args(annotation)[0])
    if origin in (Union, UnionType):
        kinds = {_number(a) for a in get_args(annotation) if a is not type(None)}
        if None in kinds or not kinds:
            return None
        return int if kinds == {int} else float
    if annotation is int or annotation is float:
        return annotation
    return None


def _as(kind: type[int] | type[float], value: float) -> int | float:
    return int(value) if kind is int and value.is_integer() else value


def _own(kind: Kind, plan: Plan, route: Route, base: Path, near: Near) -> list[Finding]:
    """The findings about one route of `kind`, with paths inside the route."""
    params = kind.parameters
    out: list[Finding] = []
    if params.hyperparameters is not None:
        for e in _validate(params.hyperparameters, route.hyperparameters, near):
            out.append(Finding(e.code, e.message, path=("hyperparameters", *e.path), hint=e.hint))
        out += _search(params.hyperparameters, plan, route, near)
    if params.limits is not None:
        for e in _validate(params.limits, route.limits, near):
            out.append(Finding(e.code, e.message, path=("limits", *e.path), hint=e.hint))
    if params.check is not None:
        found = params.check(plan, route, base)
        if not isinstance(found, list | tuple) or not all(_finding(f) for f in found):
            raise TypeError(f"its check of route kind {kind.name!r} returned no list of findings")
        # copies (see below), each with the texts in every language of one `lint` made
        out += [keep_texts(dataclasses.replace(f, path=tuple(f.path)), f) for f in found]
    return out


def _finding(f: Any) -> bool:
    """A finding a check may return: a known severity, a path of names and indexes."""
    return (
        isinstance(f, Finding)
        and f.severity in ("error", "warning", "info")
        and isinstance(f.path, tuple | list)
        and all(isinstance(p, str | int) and not isinstance(p, bool) for p in f.path)
    )


def _metrics(plan: Plan, route: Route, kind: Kind, near: Near) -> list[Finding]:
    """A goal the route measures whose metric no run of its kind produces."""
    metrics = kind.parameters.metrics
    if metrics is None:
        return []
    can = list(metrics)
    index = {g.id: j for j, g in enumerate(plan.goals)}
    out = []
    for gid in dict.fromkeys(route.measures):
        j = index.get(gid)
        if j is None:
            continue
        metric = plan.goals[j].metric
        if metric is None or metric in can:
            continue
        close = near(metric, can)
        out.append(
            lint(
                "metric-not-measured",
                plan.language,
                "metric-not-measured",
                "did-you-mean.fix" if close else "metric-not-measured.fix",
                {
                    "route": route.id,
                    "kind": kind.name,
                    "metric": metric,
                    "can": ", ".join(can) or _word("nothing"),
                    "close": close,
                    "goal": gid,
                },
                path=("goals", j, "metric"),
                plugin=kind.plugin,
            )
        )
    return out


def _unknown_kind(plan: Plan, i: int, route: Route, runnable: set[str], near: Near) -> Finding:
    installed = sorted(runnable)
    close = near(route.task, installed)
    return lint(
        "unknown-route-kind",
        plan.language,
        "unknown-route-kind",
        "did-you-mean.fix" if close else "unknown-route-kind.fix",
        {
            "kind": route.task,
            "close": close,
            "installed": ", ".join(installed) or _word("none"),
        },
        severity="warning",
        path=("routes", i, "task"),
    )


def route_findings(
    plan: Plan, base: Path, pm: Manager, failures: list[Finding] | None = None
) -> list[Finding]:
    """Every route checked against its kind (relative data paths start at `base`, the plan's
    folder); plugins that raise go to `failures` as warnings, once each."""
    failures = [] if failures is None else failures
    runnable = runnable_kinds(pm, failures)
    kinds = kind_parameters(pm, failures, plan.language)
    near = suggester()
    broken: set[str] = set()  # plugins that raised: reported once, asked no more
    out: list[Finding] = []
    for i, route in enumerate(plan.routes):
        if route.task not in runnable:
            out.append(_unknown_kind(plan, i, route, runnable, near))
        kind = kinds.get(route.task)
        if kind is None or kind.plugin in broken:
            continue
        try:
            found = _own(kind, plan, route, base, near)
            metrics = _metrics(plan, route, kind, near)
        except Exception as exc:  # the plugin's models or check: never a crash of check
            broken.add(kind.plugin)
            failures.append(failure(kind.plugin, exc))
            continue
        for f in found:
            f.path = ("routes", i, *f.path)
            f.plugin = f.plugin or kind.plugin
            f.line = f.column = None  # placed from the path, in the plan file
        out += found + metrics
    return out
