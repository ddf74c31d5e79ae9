"""Rules that tie the plan's parts together: ids, references, cycles, the chosen route.

Each returns findings with the path of the field to change; the loader turns paths into
line numbers. A plan with any of these errors is not analysed.

A plan whose fields do not validate is still cross-checked, from its raw data
(`partial_check`): the items that validate and the parts of those that do not which can
still be read, so one `check` shows a bad number and a bad reference together. Every id
that is written counts as existing, so an item with a schema error is never also reported
as missing wherever it is referenced.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from types import SimpleNamespace
from typing import Any

from .builtins import DATASETS, MODELS, builtin_name
from .defaults import MAX_SPAN
from .errors import Finding, Path, format_path
from .model import Plan
from .network import build_network
from .riskscore import inherent_impacts, planned_impacts
from .schedule import passes
from .validate import Suggester, suggest


def _duplicates(items: Sequence[Any], where: Path) -> list[Finding]:
    first: dict[str, int] = {}
    out = []
    for i, item in enumerate(items):
        if item.id is None:  # not readable (partial_check): its own error says why
            continue
        if item.id in first:
            out.append(
                Finding(
                    "duplicate-id",
                    f"duplicate id '{item.id}' (also {format_path((*where, first[item.id]))})",
                    path=(*where, i, "id"),
                    hint="give every entry its own id",
                )
            )
        else:
            first[item.id] = i
    return out


def _refs(
    refs: Iterable[tuple[Path, str | None]], known: dict[str, Any] | None, what: str
) -> list[Finding]:
    """Findings for references to ids not in `known`; None: the ids cannot all be read
    (a list with an item whose id has an error of its own), so none is called unknown."""
    out: list[Finding] = []
    if known is None:
        return out
    near_to = Suggester(known)
    for path, ref in refs:
        if ref is None or ref in known:
            continue
        near = near_to(ref)
        hint = (
            f"did you mean '{near}'?"
            if near
            else (
                f"known {what} ids: {', '.join(list(known)[:12])}"
                if known
                else f"add a {what} first"
            )
        )
        out.append(Finding("unknown-id", f"unknown {what} id '{ref}'", path=path, hint=hint))
    return out


def _cycle(plan: Plan, index: dict[str, int]) -> list[Finding]:
    """Find one dependency cycle with an iterative depth-first search (no recursion limit)."""
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    for start in index:
        if start in state:
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        trail: list[str] = [start]
        state[start] = 1
        while stack:
            node, i = stack[-1]
            deps = [d for d in plan.tasks[index[node]].depends_on if d in index]
            if i < len(deps):
                stack[-1] = (node, i + 1)
                nxt = deps[i]
                if state.get(nxt) == 1:
                    loop = [*trail[trail.index(nxt) :], nxt]
                    # Read as "a → b": a depends on b, so b must finish first.
                    return [
                        Finding(
                            "cycle",
                            "dependency cycle: " + " → ".join(loop),
                            path=("tasks", index[node], "depends_on", i),
                            hint="each arrow reads 'depends on'; remove one of these dependencies",
                        )
                    ]
                if nxt not in state:
                    state[nxt] = 1
                    stack.append((nxt, 0))
                    trail.append(nxt)
            else:
                state[node] = 2
                stack.pop()
                trail.pop()
    return []


def _span(plan: Plan) -> list[Finding]:
    """The worst case must stay on the calendar: every task at its pessimistic estimate and
    every risk at its high delay (before its response, or after it where a residual delays
    more), the plan ends within MAX_SPAN units of its start."""
    net = build_network(plan)
    d = net.pessimistic.copy()
    at = net.position()
    residual_worse = None
    delayed = False
    for i, r in enumerate(plan.risks):
        own, after = inherent_impacts(r)[0], planned_impacts(r)[0]
        high = max(own[2] if own else 0.0, after[2] if after else 0.0)
        if after is not None and (own is None or after[2] > own[2]) and residual_worse is None:
            residual_worse = i
        for a in set(r.affects):
            d[at[a]] += high
            delayed = delayed or high > 0
    if not plan.tasks or float(d.sum()) <= MAX_SPAN:  # the sum bounds every path
        return []
    _, ef, _, _ = passes(net, d)
    last = int(ef.argmax())
    if ef[last] <= MAX_SPAN:
        return []
    unit = "workdays" if plan.calendar == "workdays" else "days"
    where: Path = ("tasks", net.order[last], "estimate")
    if residual_worse is not None:
        where = ("risks", residual_worse, "residual")
    return [
        Finding(
            "too-long",
            f"in the worst case (every task pessimistic, every risk at its high delay) the plan "
            f"runs {ef[last]:,.0f} {unit}, past the limit of {MAX_SPAN:,}; shorten the "
            + (
                "estimates or the risks' schedule impacts, or split the plan"
                if delayed
                else "estimates or split the plan"
            ),
            path=where,
        )
    ]


def cross_check(plan: Plan) -> list[Finding]:
    """Every rule, on a plan whose fields all validate."""
    return _checks(plan)


def _checks(plan: Any, unread: frozenset[str] = frozenset(), span: bool = True) -> list[Finding]:
    """The rules over a Plan or its raw view (`_view`): `unread` names the lists with an id
    that cannot be read, whose references are then not checked."""
    out: list[Finding] = []
    for where in ("team", "goals", "routes", "tasks", "risks"):
        out += _duplicates(getattr(plan, where), (where,))
    out += _duplicates(plan.budget.items, ("budget", "items"))
    out += _duplicates(plan.budget.revenue, ("budget", "revenue"))
    out += _duplicates(plan.budget.inflows, ("budget", "inflows"))

    def ids(where: str) -> dict[str, Any] | None:
        if where in unread:
            return None
        return {item.id: i for i, item in enumerate(getattr(plan, where))}

    team, goals, routes = ids("team"), ids("goals"), ids("routes")
    tasks = {t.id: i for i, t in enumerate(plan.tasks) if t.id is not None}
    task_refs = None if "tasks" in unread else tasks

    out += _refs(((("goals", i, "owner"), g.owner) for i, g in enumerate(plan.goals)), team, "team")
    out += _refs(((("tasks", i, "owner"), t.owner) for i, t in enumerate(plan.tasks)), team, "team")
    out += _refs(((("risks", i, "owner"), r.owner) for i, r in enumerate(plan.risks)), team, "team")
    out += _refs(
        (
            (("tasks", i, "depends_on", j), d)
            for i, t in enumerate(plan.tasks)
            for j, d in enumerate(t.depends_on)
        ),
        task_refs,
        "task",
    )
    out += _refs(
        (
            (("risks", i, "affects", j), a)
            for i, r in enumerate(plan.risks)
            for j, a in enumerate(r.affects)
        ),
        task_refs,
        "task",
    )
    out += _refs(
        ((("tasks", i, "route"), t.route) for i, t in enumerate(plan.tasks)), routes, "route"
    )
    out += _refs(
        (
            (("routes", i, "measures", j), g)
            for i, r in enumerate(plan.routes)
            for j, g in enumerate(r.measures)
        ),
        goals,
        "goal",
    )
    out += _refs(((("risks", i, "goal"), r.goal) for i, r in enumerate(plan.risks)), goals, "goal")
    out += _refs(
        ((("goals", i, "delivered_by"), g.delivered_by) for i, g in enumerate(plan.goals)),
        task_refs,
        "task",
    )
    out += _refs(
        ((("measured", i, "route"), m.route) for i, m in enumerate(plan.measured)), routes, "route"
    )

    for i, t in enumerate(plan.tasks):
        if t.id is not None and t.id in t.depends_on:
            out.append(
                Finding(
                    "cycle", f"task '{t.id}' depends on itself", path=("tasks", i, "depends_on")
                )
            )
    if not any(f.code == "cycle" for f in out):
        out += _cycle(plan, tasks)
    if span and not any(f.code in ("cycle", "unknown-id", "duplicate-id") for f in out):
        out += _span(plan)

    chosen = [i for i, r in enumerate(plan.routes) if r.chosen]
    if not plan.routes:
        out.append(
            Finding(
                "chosen-route",
                "the plan has no technical route",
                path=("routes",),
                hint="add a route with chosen: true",
            )
        )
    elif not chosen:
        out.append(
            Finding(
                "chosen-route",
                "no route has chosen: true",
                path=("routes",),
                hint="mark the route you will take with chosen: true",
            )
        )
    for i in chosen[1:]:
        first = plan.routes[chosen[0]].id
        out.append(
            Finding(
                "chosen-route",
                f"two routes are chosen ('{first}' and '{plan.routes[i].id}')",
                path=("routes", i, "chosen"),
                hint="exactly one route has chosen: true",
            )
        )

    for i, r in enumerate(plan.routes):
        for field, known, what in (
            (r.model, MODELS, "model"),
            (r.dataset.source, DATASETS, "data set"),
        ):
            name = builtin_name(field) if field is not None else None
            if name is not None and name not in known:
                near = suggest(name, list(known))
                sub = "dataset", "source"
                out.append(
                    Finding(
                        "unknown-builtin",
                        f"unknown built-in {what} '{field}'",
                        path=("routes", i, *(("model",) if what == "model" else sub)),
                        hint=f"did you mean 'builtin:{near}'?"
                        if near
                        else "built-in: " + ", ".join("builtin:" + k for k in known),
                    )
                )

    for i, g in enumerate(plan.goals):
        if g.deadline is not None and plan.start is not None and g.deadline < plan.start:
            out.append(
                Finding(
                    "deadline-before-start",
                    f"deadline {g.deadline} is before the plan starts ({plan.start})",
                    path=("goals", i, "deadline"),
                )
            )
    out += _progress(plan)
    for i, role in enumerate(plan.team):
        if role.until_month is not None and role.until_month < role.from_month:
            out.append(
                Finding(
                    "schema",
                    f"until_month ({role.until_month}) is before from_month ({role.from_month})",
                    path=("team", i, "until_month"),
                )
            )
    for i, item in enumerate(plan.budget.items):
        if item.per == "once" and item.month is None:
            out.append(
                Finding(
                    "schema",
                    "a one-off item needs the month it falls in (month: 1 is the start month)",
                    path=("budget", "items", i),
                )
            )
        if item.until_month is not None and item.until_month < item.from_month:
            out.append(
                Finding(
                    "schema",
                    f"until_month ({item.until_month}) is before from_month ({item.from_month})",
                    path=("budget", "items", i, "until_month"),
                )
            )
    return out


def _progress(plan: Any) -> list[Finding]:
    """Actuals need the status date they were recorded on, and fall between the plan's start
    and that date."""
    out: list[Finding] = []
    status = plan.status_date
    if status is not None and plan.start is not None and status < plan.start:
        out.append(
            Finding(
                "schema",
                f"status_date ({status}) is before the plan starts ({plan.start})",
                path=("status_date",),
            )
        )
    for i, t in enumerate(plan.tasks):
        for name in ("actual_start", "actual_finish"):
            day = getattr(t, name)
            if day is None:
                continue
            if status is None:
                out.append(
                    Finding(
                        "schema",
                        f"{name} needs the plan's status_date (the day progress was recorded)",
                        path=("tasks", i, name),
                    )
                )
            elif day > status:
                out.append(
                    Finding(
                        "schema",
                        f"{name} ({day}) is after the status date ({status}): work not yet "
                        "done has no actual date",
                        path=("tasks", i, name),
                    )
                )
            if plan.start is not None and day < plan.start:
                out.append(
                    Finding(
                        "schema",
                        f"{name} ({day}) is before the plan starts ({plan.start})",
                        path=("tasks", i, name),
                    )
                )
    return out


# --- a plan whose fields do not all validate ----------------------------------------------


def partial_check(data: dict[str, Any], broken: Iterable[Path]) -> list[Finding]:
    """The rules over the raw data of a plan with schema errors at the paths `broken`.

    Each item is read for what the rules need, a value only where it has the right type
    and no error of its own; every written id counts, so an item with an error is not
    reported as missing where it is referenced. A finding about a part that holds a
    schema error (a route list whose `chosen` is unreadable, an item whose `month` is)
    waits until that error is fixed, and so does the worst-case length of the plan."""
    bad = set(broken)
    held = {b[:i] for b in bad for i in range(1, len(b) + 1)}
    view, unread = _view(data, bad)
    found = _checks(view, frozenset(unread), span=False)
    return [f for f in found if f.path not in held]


def _view(data: dict[str, Any], bad: set[Path]) -> tuple[SimpleNamespace, set[str]]:
    """A stand-in for the Plan with what `_checks` reads, from raw data."""
    unread: set[str] = set()

    def text(node: Any, path: Path, name: str) -> str | None:
        value = node.get(name) if isinstance(node, dict) else None
        return value if isinstance(value, str) and (*path, name) not in bad else None

    def number(node: Any, path: Path, name: str, default: int | None = None) -> int | None:
        value = node.get(name, default) if isinstance(node, dict) else default
        if (*path, name) in bad or isinstance(value, bool) or not isinstance(value, int):
            return None
        return value

    def texts(node: Any, path: Path, name: str) -> list[str | None]:
        value = node.get(name) if isinstance(node, dict) else None
        if (*path, name) in bad or not isinstance(value, list):
            return []
        where = (*path, name)
        return [
            v if isinstance(v, str) and (*where, j) not in bad else None
            for j, v in enumerate(value)
        ]

    def date(node: Any, path: Path, name: str) -> dt.date | None:
        value = node.get(name) if isinstance(node, dict) else None
        if (*path, name) in bad:
            return None
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            return None

    def items(where: Path, fields: Any) -> list[SimpleNamespace]:
        node: Any = data
        for part in where:
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return []
        if not isinstance(node, list):
            unread.add(str(where[-1]))
            return []
        out = []
        for i, item in enumerate(node):
            path = (*where, i)
            ident = item.get("id") if isinstance(item, dict) else None
            if not isinstance(ident, str):  # written ids count even where they are invalid
                unread.add(str(where[-1]))
                ident = None
            out.append(SimpleNamespace(id=ident, **fields(item, path)))
        return out

    def goal(g: Any, p: Path) -> dict[str, Any]:
        return {
            "owner": text(g, p, "owner"),
            "delivered_by": text(g, p, "delivered_by"),
            "deadline": date(g, p, "deadline"),
        }

    def route(r: Any, p: Path) -> dict[str, Any]:
        dataset = r.get("dataset") if isinstance(r, dict) else None
        return {
            "chosen": isinstance(r, dict) and r.get("chosen") is True,
            "model": text(r, p, "model"),
            "dataset": SimpleNamespace(source=text(dataset, (*p, "dataset"), "source")),
            "measures": texts(r, p, "measures"),
        }

    def task(t: Any, p: Path) -> dict[str, Any]:
        return {
            "owner": text(t, p, "owner"),
            "depends_on": texts(t, p, "depends_on"),
            "route": text(t, p, "route"),
            "actual_start": date(t, p, "actual_start"),
            "actual_finish": date(t, p, "actual_finish"),
        }

    def risk(r: Any, p: Path) -> dict[str, Any]:
        return {
            "owner": text(r, p, "owner"),
            "affects": texts(r, p, "affects"),
            "goal": text(r, p, "goal"),
        }

    def item(b: Any, p: Path) -> dict[str, Any]:
        per = b.get("per", "month") if isinstance(b, dict) else None
        first = number(b, p, "from_month", 1)
        return {
            "per": per if (*p, "per") not in bad else None,
            "month": number(b, p, "month"),
            "from_month": first,
            "until_month": number(b, p, "until_month") if first is not None else None,
        }

    def role(r: Any, p: Path) -> dict[str, Any]:
        first = number(r, p, "from_month", 1)
        return {
            "from_month": first,
            "until_month": number(r, p, "until_month") if first is not None else None,
        }

    def nothing(_: Any, __: Path) -> dict[str, Any]:
        return {}

    def record(m: Any, p: Path) -> dict[str, Any]:
        return {"route": text(m, p, "route")}

    view = SimpleNamespace(
        start=date(data, (), "start"),
        status_date=date(data, (), "status_date"),
        team=items(("team",), role),
        goals=items(("goals",), goal),
        routes=items(("routes",), route),
        tasks=items(("tasks",), task),
        risks=items(("risks",), risk),
        budget=SimpleNamespace(
            items=items(("budget", "items"), item),
            revenue=items(("budget", "revenue"), nothing),
            inflows=items(("budget", "inflows"), nothing),
        ),
        measured=items(("measured",), record),
    )
    return view, unread
