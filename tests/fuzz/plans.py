"""Hypothesis strategies for the fuzz suite: valid plans as plain data, the damage done to
them, extreme values, and the two spellings of a plan file (YAML and JSON) written by hand,
so that every byte the tool reads is chosen here (NaN as `.nan` or `NaN`, infinity as
`.inf` or `1e999`, a 5,000-digit integer, a list nested 200 deep, a lone surrogate).

Nothing here imports ventureplan: the plans are data, the files are text.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import os
import re
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from tests import hostile

# Known bugs to step around while hunting for others (tests/fuzz/__init__.py): the tags
# `surrogate` and `huge-int` keep those values out of the plans generated here.
IGNORE = set(filter(None, os.environ.get("VENTUREPLAN_FUZZ_IGNORE", "").split(",")))


def keep(values: list[Any]) -> list[Any]:
    """`values` without those that trigger a bug named in IGNORE."""

    def known(v: Any) -> bool:
        text = (v.yaml + (v.json or "")) if isinstance(v, Tok) else v if isinstance(v, str) else ""
        if "surrogate" in IGNORE and "\\ud8" in text:
            return True
        return "huge-int" in IGNORE and re.search(r"\d{4301}", text) is not None

    return [v for v in values if not known(v)]


# --- tokens the serializers write verbatim ----------------------------------------------


@dataclass(frozen=True)
class Tok:
    """A value written as given: `yaml` in a YAML file, `json` in a JSON one (None: write
    the YAML text as a JSON string, since JSON has no way to say it)."""

    yaml: str
    json: str | None = None

    def json_text(self) -> str:
        return self.json if self.json is not None else json.dumps(self.yaml)


@dataclass(frozen=True)
class Deep:
    """`depth` nested lists (or single-key mappings) around `leaf`: written as flow text in
    one go, so neither the generator nor the serializer recurses."""

    depth: int
    mapping: bool = False
    leaf: str = "1"

    def text(self) -> str:
        if self.mapping:
            return '{"k": ' * self.depth + self.leaf + "}" * self.depth
        return "[" * self.depth + self.leaf + "]" * self.depth


# --- text ---------------------------------------------------------------------------------

HOSTILE_TEXT = [
    hostile.SCRIPT,
    hostile.IMG,
    hostile.LINK,
    hostile.STYLE,
    hostile.MERMAID,
    hostile.EMOJI,
    hostile.CHINESE,
    hostile.HUGE,
    " ",
    "\t",
    "\n",
    "\r\n",
    "a\nb\r\nc\rd",
    "\x00",
    "\x1b]0;pwned\x07\x1b[2J\x1b[31mred",
    "\x7f\x85\x9b",
    "\u2028\u2029",
    "\ufeff",
    "\u202eevil\u202c",
    "zero\u200bwidth",
    "e\u0301\u0301\u0301",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🇺🇳 👩‍👩‍👧",
    "مرحبا بالعالم",
    "---",
    "...",
    "%TAG ! tag:x,2000:",
    "- [x]",
    "a: b",
    "# not a comment",
    "*alias",
    "&anchor",
    "!!python/object:os.system",
    "{{ config }}{% raw %}",
    "</textarea></title></style>]]>-->",
    "`code` **bold** _it_ [link](javascript:alert(1)) |a|b|",
    "$(rm -rf /) ; `id`",
    "\\N\\x41\\u0041",
    "%%{init: {'theme':'dark'}}%%",
    "graph TD; A-->B",
    'end"; click A call alert()',
    "null",
    "~",
    "true",
    "NaN",
    "1e999",
    "2027-02-30",
    "0x1F",
    "[/]",
    "[bold red]markup[/]",
    "C:\\Windows\\system32",
    "../../../../etc/passwd",
]

# Letters, digits, punctuation, symbols, marks, spaces and controls from all of Unicode,
# without lone surrogates (a UTF-8 file cannot hold one; LONE_SURROGATE writes one escaped).
_chars = st.characters(exclude_categories=("Cs",))
texts = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.text(_chars, min_size=1, max_size=24),
    st.text(st.sampled_from("<>&\"'`:#|[]{}()\\%-*!@ \n\t"), min_size=1, max_size=12),
)
LONE_SURROGATE = Tok('"x \\ud800 y"', '"x \\ud800 y"')

ID_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"
ids = st.one_of(
    st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_.-]{0,10}\Z"),
    st.sampled_from(["0", "9" * 64, "a.b-c_d", "T", "t-1", "NaN", "true", "null", "1e3"]),
)

# --- numbers and dates ---------------------------------------------------------------------

# Around and beyond every limit of README "Limits" (36,500 days; 100,000 units; 1e15 money).
EXTREME_NUMBERS: list[Any] = [
    0,
    0.0,
    -0.0,
    -1,
    -1e-300,
    1e-300,
    5e-324,
    0.1,
    0.5,
    1,
    2,
    1.5,
    4.999999999999999,
    5,
    6,
    12,
    36_500,
    36_500.000001,
    36_501,
    100_000,
    1e15,
    1e15 + 2,
    1e300,
    -1e300,
    2**31,
    2**53 + 1,
    2**63,
    2**64 + 1,
    10**30,
    -(10**30),
    True,
    False,
    math.nan,
    math.inf,
    -math.inf,
    Tok(".NaN", "NaN"),
    Tok("+.inf", "Infinity"),
    Tok("-.Inf", "-Infinity"),
    Tok("1e999", "1e999"),
    Tok("-1e999", "-1e999"),
    Tok("1.0e+300", "1.0e+300"),
    Tok("0x1F"),
    Tok("0o17"),
    Tok("1_000"),
    Tok("1e3", "1e3"),
    Tok("1E-400", "1E-400"),
    Tok("9" * 5_000, "9" * 5_000),  # past Python's 4,300-digit int conversion limit
    Tok("0." + "0" * 400 + "1", "0." + "0" * 400 + "1"),
    Tok('"12"', '"12"'),
    Tok('""', '""'),
]
EXTREME_NUMBERS = keep(EXTREME_NUMBERS)
numbers = st.one_of(
    st.sampled_from(EXTREME_NUMBERS),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
)
small_days = st.one_of(
    st.sampled_from([0, 0.0, 1e-300, 0.5, 1, 2, 3, 5, 8, 13, 20]),
    st.floats(0, 60, allow_nan=False),
)
money = st.one_of(
    st.sampled_from([0, 0.0, 1e-300, 1, 999.99, 10_000, 250_000, 1e15]),
    st.floats(0, 1e6, allow_nan=False),
)
probabilities = st.one_of(st.sampled_from([0, 0.0, 1, 1.0, 5e-324, 0.5]), st.floats(0, 1))
impacts = st.integers(1, 5)

EXTREME_DATES: list[Any] = [
    dt.date(1, 1, 1),
    dt.date(9999, 12, 31),
    dt.date(1899, 12, 31),
    dt.date(1900, 1, 1),
    dt.date(2999, 12, 31),
    dt.date(3000, 1, 1),
    dt.date(2027, 1, 2),  # a Saturday
    dt.date(2027, 1, 3),  # a Sunday
    dt.date(2028, 2, 29),
    Tok("2027-02-30"),
    Tok("2027-13-01"),
    Tok("0000-01-01"),
    Tok("10000-01-01"),
    Tok("2027-1-4"),
    Tok("2027-01-04T00:00:00Z"),
    Tok("2027-01-04 12:00:00 +14:00"),
    Tok("20270104", "20270104"),
    Tok('""', '""'),
]
valid_starts = st.one_of(
    st.sampled_from(
        [dt.date(1900, 1, 1), dt.date(2999, 12, 31), dt.date(2027, 1, 2), dt.date(2027, 1, 4)]
    ),
    st.dates(dt.date(1900, 1, 1), dt.date(2999, 12, 31)),
)
dates = st.one_of(st.sampled_from(EXTREME_DATES), st.dates())
TIMESTAMPS = [
    "2027-02-01T08:00:00Z",
    "2027-02-01T08:00:00",
    "2027-02-01 08:00:00",
    "0001-01-01T00:00:00+01:00",
    "0001-01-01T00:00:00-23:59",
    "9999-12-31T23:59:59-01:00",
    "9999-12-31T23:59:59.999999Z",
    "2027-02-01T08:00:00+25:00",
    "1970-01-01T00:00:00Z",
]


# --- valid plans ----------------------------------------------------------------------------


def _three(draw: Any, values: Any, names: tuple[str, str, str]) -> dict[str, Any]:
    a, m, b = sorted(draw(st.lists(values, min_size=3, max_size=3)))
    return dict(zip(names, (a, m, b), strict=True))


# Values the built-in route kind accepts (runner/train.py HYPERPARAMETERS), edges included.
hyperparameters = st.fixed_dictionaries(
    {},
    optional={
        "learning_rate": st.one_of(st.sampled_from([5e-324, 1e-4, 10]), st.floats(1e-9, 10)),
        "epochs": st.integers(1, 10_000),
        "batch_size": st.integers(1, 65_536),
        "seed": st.sampled_from([0, 13, 2**32 - 1]),
        "warmup_ratio": st.floats(0, 1),
        "weight_decay": st.floats(0, 10),
    },
)


@st.composite
def valid_plans(draw: Any, max_tasks: int = 8, text: Any = None) -> dict[str, Any]:
    """A plan that `check` should accept (ids unique, references resolved, no cycle, one
    chosen route, every number inside its limits) as the plain data a parser returns."""
    text = texts if text is None else text
    maybe = lambda s: draw(st.one_of(st.none(), s))  # noqa: E731

    def opt(d: dict[str, Any], key: str, s: Any) -> None:
        if draw(st.booleans()):
            d[key] = draw(s)

    team = []
    for i in range(draw(st.integers(0, 3))):
        role = {"id": f"role{i}", "title": draw(text)}
        opt(role, "headcount", st.integers(0, 20))
        opt(role, "monthly_cost", money)
        opt(role, "responsibilities", st.lists(text, max_size=2))
        team.append(role)
    owners = [r["id"] for r in team]
    owner = st.sampled_from(owners) if owners else st.none()

    goals = []
    for i in range(draw(st.integers(0, 2))):
        goal: dict[str, Any] = {"id": f"g{i}", "statement": draw(text)}
        opt(goal, "metric", st.sampled_from(["macro_f1", "accuracy", "cost", "train_hours"]))
        opt(goal, "target", st.floats(-1e6, 1e6, allow_nan=False))
        opt(goal, "direction", st.sampled_from([">=", "<="]))
        opt(goal, "baseline", st.floats(-1e6, 1e6, allow_nan=False))
        if owners:
            opt(goal, "owner", owner)
        opt(goal, "relevant_to", text)
        goals.append(goal)
    goal_ids = [g["id"] for g in goals]

    routes = []
    n_routes = draw(st.integers(1, 2))
    chosen = draw(st.integers(0, n_routes - 1))
    for i in range(n_routes):
        route: dict[str, Any] = {
            "id": f"route{i}",
            "model": draw(st.sampled_from(["builtin:minilm-l6", "sklearn-tfidf", "./model"])),
            "dataset": {"source": draw(st.sampled_from(["builtin:bbc-news", "d.csv", "x.jsonl"]))},
        }
        if i == chosen:
            route["chosen"] = True
        elif draw(st.booleans()):
            route["chosen"] = False
        opt(route, "hyperparameters", hyperparameters)
        opt(route, "compute", st.fixed_dictionaries({"price_per_hour": money}))
        if goal_ids:
            opt(route, "measures", st.lists(st.sampled_from(goal_ids), max_size=2, unique=True))
        opt(route, "description", text)
        routes.append(route)
    route_ids = [r["id"] for r in routes]

    tasks: list[dict[str, Any]] = []
    for i in range(draw(st.integers(0, max_tasks))):
        t: dict[str, Any] = {"id": f"t{i}"}
        if draw(st.integers(0, 4)) == 0:
            t["milestone"] = True
        else:
            t["estimate"] = _three(draw, small_days, ("optimistic", "likely", "pessimistic"))
            if draw(st.booleans()):
                t["milestone"] = False
        if tasks:
            t["depends_on"] = draw(
                st.lists(st.sampled_from([x["id"] for x in tasks]), max_size=3, unique=True)
            )
        opt(t, "name", text)
        opt(t, "phase", text)
        if owners:
            opt(t, "owner", owner)
        if draw(st.integers(0, 3)) == 0:
            t["route"] = draw(st.sampled_from(route_ids))
        tasks.append(t)
    task_ids = [t["id"] for t in tasks]

    risks = []
    for i in range(draw(st.integers(0, 3))):
        risk: dict[str, Any] = {
            "id": f"risk{i}",
            "title": draw(text),
            "category": draw(st.sampled_from(["technical", "market", "resource", "legal"])),
            "probability": draw(probabilities),
            "impact": draw(impacts),
        }
        if task_ids:
            opt(risk, "affects", st.lists(st.sampled_from(task_ids), max_size=3))
        if draw(st.booleans()):
            risk["schedule_impact"] = _three(draw, small_days, ("low", "likely", "high"))
        if draw(st.booleans()):
            risk["cost_impact"] = _three(draw, money, ("low", "likely", "high"))
        opt(
            risk,
            "response",
            st.sampled_from(["avoid", "transfer", "mitigate", "accept", "escalate"]),
        )
        if owners:
            opt(risk, "owner", owner)
        opt(risk, "trigger", text)
        opt(risk, "mitigation", text)
        opt(risk, "mitigation_cost", money)
        opt(
            risk,
            "residual",
            st.fixed_dictionaries({"probability": probabilities, "impact": impacts}),
        )
        if goal_ids:
            opt(risk, "goal", st.sampled_from(goal_ids))
        risks.append(risk)

    budget: dict[str, Any] = {}
    opt(budget, "cash", money)
    items = []
    for i in range(draw(st.integers(0, 3))):
        item: dict[str, Any] = {"id": f"item{i}", "category": draw(text), "amount": draw(money)}
        if draw(st.booleans()):
            item["per"] = "once"
            item["month"] = draw(st.integers(1, 600))
        else:
            start = draw(st.integers(1, 600))
            item["from_month"] = start
            opt(item, "until_month", st.integers(start, 600))
        items.append(item)
    if items:
        budget["items"] = items
    revenue = []
    for i in range(draw(st.integers(0, 2))):
        rev: dict[str, Any] = {"id": f"rev{i}", "amount": draw(money)}
        opt(rev, "per", st.sampled_from(["month", "once"]))
        opt(rev, "from_month", st.integers(1, 600))
        opt(rev, "growth", st.one_of(st.sampled_from([-1, 0, 10, 0.15]), st.floats(-1, 10)))
        revenue.append(rev)
    if revenue:
        budget["revenue"] = revenue

    start = draw(valid_starts)
    plan: dict[str, Any] = {"schema": "ventureplan/1", "name": draw(text), "start": start}
    for key, s in (
        ("language", st.sampled_from(["en", "zh"])),
        ("currency", st.sampled_from(["USD", "EUR", "CNY", "€", "$$$$$$$$", "<b>"])),
        ("calendar", st.sampled_from(["workdays", "days"])),
        ("distribution", st.sampled_from(["pert", "triangular"])),
    ):
        opt(plan, key, s)
    if draw(st.booleans()):
        plan["business"] = {
            "model": draw(st.sampled_from(["platform", "tool", "service"])),
            "summary": draw(text),
            "market": {
                "trends": draw(st.lists(text, max_size=2)),
                "customers": draw(st.lists(text, max_size=2)),
                "competitors": [
                    {"name": draw(text), "strengths": draw(text), "weaknesses": maybe(text)}
                    for _ in range(draw(st.integers(0, 2)))
                ],
            },
        }
    plan["team"] = team
    if draw(st.booleans()):
        plan["stack"] = [
            {
                "name": draw(text),
                "kind": draw(
                    st.sampled_from(["framework", "model", "dataset", "serving", "cloud", "tool"])
                ),
                "licence": draw(
                    st.sampled_from(["MIT", "Apache-2.0", "CC BY-NC 4.0", "proprietary", "GPL-3.0"])
                ),
            }
            for _ in range(draw(st.integers(0, 2)))
        ]
    for key, value in (("goals", goals), ("routes", routes), ("tasks", tasks), ("risks", risks)):
        plan[key] = value
    plan["budget"] = budget
    plan["measured"] = [draw(records(route_ids, goal_ids)) for _ in range(draw(st.integers(0, 2)))]
    return plan


@st.composite
def records(draw: Any, route_ids: list[str], goal_ids: list[str]) -> dict[str, Any]:
    """A `measured` entry as `ventureplan run` writes it (the numbers a hand may change)."""
    score = st.floats(0, 1)
    record: dict[str, Any] = {
        "run": draw(st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_.-]{0,20}\Z")),
        "route": draw(st.sampled_from(route_ids)),
        "at": Tok(draw(st.sampled_from(TIMESTAMPS[:3]))),
        "metrics": draw(
            st.dictionaries(st.sampled_from(["accuracy", "macro_f1", "weighted_f1"]), score)
        ),
    }
    if draw(st.booleans()):
        lo, hi = sorted(draw(st.lists(score, min_size=2, max_size=2)))
        record["intervals"] = {"macro_f1": [lo, hi]}
    if goal_ids and draw(st.booleans()):
        record["goals"] = {
            g: {"value": draw(score), "target": draw(score), "p_miss": draw(score)}
            for g in draw(st.lists(st.sampled_from(goal_ids), max_size=2, unique=True))
        }
    if draw(st.booleans()):
        record["training"] = {
            "seconds": draw(st.floats(0, 1e5)),
            "samples_per_second": draw(st.floats(0, 1e4)),
            "device_hours": draw(st.floats(0, 100)),
            "cost": draw(st.floats(0, 1e4)),
        }
    if draw(st.booleans()):
        record["forecast"] = {"full_data_hours": draw(st.floats(0, 1e4))}
    if draw(st.integers(0, 3)) == 0:  # later versions may add keys: a record keeps them
        where = draw(st.sampled_from(["training", "forecast", None]))
        # a measurement's open fields hold numbers (or null); the record's own, anything
        values = FREE_VALUES if where is None else OPEN_NUMBERS
        extra = {draw(st.sampled_from(["note", "gpu", "x-y"])): draw(st.sampled_from(values))}
        if where is None:
            record.update(extra)
        else:
            record.setdefault(where, {}).update(extra)
    return record


# What a hand (or a later version) may put in a record's open fields.
FREE_VALUES: list[Any] = [None, True, 0, 1.5, -1, "fast", "", [1, 2], {"a": 1}, [], "2027-01-04"]
OPEN_NUMBERS: list[Any] = [None, 0, 1.5, -1, 10**6]


# --- damage -----------------------------------------------------------------------------------

REF_KEYS = ("owner", "route", "goal")
REF_LISTS = ("depends_on", "affects", "measures")

ANY_VALUE: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1.5,
    "",
    "text",
    "2027-01-04",
    [],
    {},
    [1, 2],
    [None],
    {"a": 1},
    {"": None},
    math.nan,
    math.inf,
    dt.date(1, 1, 1),
    Tok("9" * 5_000, "9" * 5_000),
    LONE_SURROGATE,
    Deep(50),
    Deep(50, mapping=True),
]
ANY_VALUE = keep(ANY_VALUE)
any_values = st.one_of(st.sampled_from(ANY_VALUE), numbers, texts, dates)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a node below the root (keys of mappings, indexes of lists)."""
    out = []
    if isinstance(node, dict):
        for k, v in node.items():
            out.append((*prefix, k))
            out += paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.append((*prefix, i))
            out += paths(v, (*prefix, i))
    return out


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    node = data
    for part in path[:-1]:
        node = node[part]
    return node


def _typo(key: str) -> list[str]:
    return [
        key[:-1] or "x",
        key + "s",
        key.upper(),
        key.replace("_", "-"),
        " " + key,
        key + " ",
        "x-" + key,
        key + "\u200b",
        "<b>" + key,
        "ｓｃｈｅｍａ" if key == "schema" else key.title(),
    ]


MUTATIONS = (
    "drop",
    "rename",
    "retype",
    "empty",
    "break-ref",
    "cycle",
    "self-dep",
    "duplicate",
    "nest",
    "hostile",
    "null-list",
    "swap",
)


@st.composite
def mutated(draw: Any, plan: dict[str, Any], max_ops: int = 4) -> dict[str, Any]:
    """`plan` with up to `max_ops` edits of the kinds in MUTATIONS."""
    data = copy.deepcopy(plan)
    for _ in range(draw(st.integers(1, max_ops))):
        op = draw(st.sampled_from(MUTATIONS))
        everywhere = paths(data)
        if not everywhere:
            break
        path = draw(st.sampled_from(everywhere))
        parent, last = _parent(data, path), path[-1]
        if op == "drop":
            del parent[last]
        elif op == "rename" and isinstance(parent, dict):
            new = draw(st.sampled_from(_typo(str(last))))
            parent[new] = parent.pop(last)
        elif op in ("retype", "rename"):
            parent[last] = draw(any_values)
        elif op == "empty":
            value = parent[last]
            parent[last] = [] if isinstance(value, list) else {} if isinstance(value, dict) else ""
        elif op == "null-list":
            lists = [p for p in everywhere if isinstance(_parent(data, p)[p[-1]], list)]
            if lists:
                p = draw(st.sampled_from(lists))
                _parent(data, p)[p[-1]] = None
        elif op == "break-ref":
            refs = [
                p
                for p in everywhere
                if p[-1] in REF_KEYS or (len(p) > 1 and p[-2] in REF_LISTS) or p[-1] == "route"
            ]
            if refs:
                p = draw(st.sampled_from(refs))
                _parent(data, p)[p[-1]] = draw(
                    st.one_of(st.sampled_from(["nope", "T0", "t0 ", "t00", "route"]), ids)
                )
        elif op in ("cycle", "self-dep"):
            tasks = data.get("tasks")
            if isinstance(tasks, list) and tasks and all(isinstance(t, dict) for t in tasks):
                i = draw(st.integers(0, len(tasks) - 1))
                j = i if op == "self-dep" else draw(st.integers(0, len(tasks) - 1))
                for a, b in ((i, j), (j, i)):
                    deps = tasks[a].get("depends_on")
                    deps = deps if isinstance(deps, list) else []
                    tasks[a]["depends_on"] = [*deps, tasks[b].get("id")]
        elif op == "duplicate":
            lists = [p for p in everywhere if isinstance(_parent(data, p)[p[-1]], list)]
            lists = [p for p in lists if _parent(data, p)[p[-1]]]
            if lists:
                p = draw(st.sampled_from(lists))
                target = _parent(data, p)[p[-1]]
                k = draw(st.integers(0, len(target) - 1))
                target.insert(draw(st.integers(0, len(target))), copy.deepcopy(target[k]))
        elif op == "nest":
            parent[last] = Deep(
                draw(st.integers(1, 200)), mapping=draw(st.booleans()), leaf=draw(_leaves)
            )
        elif op == "hostile":
            strings = [p for p in everywhere if isinstance(_parent(data, p)[p[-1]], str)]
            if strings:
                p = draw(st.sampled_from(strings))
                _parent(data, p)[p[-1]] = draw(
                    st.one_of(texts, st.sampled_from(keep([LONE_SURROGATE, "x"])))
                )
        elif op == "swap":
            other = draw(st.sampled_from(everywhere))
            if other[: len(path)] != path and path[: len(other)] != other:
                a, b = parent[last], _parent(data, other)[other[-1]]
                parent[last], _parent(data, other)[other[-1]] = copy.deepcopy(b), copy.deepcopy(a)
    return data


_leaves = st.sampled_from(keep(["1", '"x"', "null", "[]", "{}", "1e999", '"\\ud800"']))


# --- writing a plan file ---------------------------------------------------------------------

_PLAIN = re.compile(r"\A[A-Za-z][A-Za-z0-9_./-]*\Z")
_SPECIAL_WORDS = {
    w
    for word in ("y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf")
    for w in (word, word.upper(), word.title())
}


def _yaml_char(c: str) -> str:
    o = ord(c)
    if c == '"':
        return '\\"'
    if c == "\\":
        return "\\\\"
    if c == "\n":
        return "\\n"
    if c == "\t":
        return "\\t"
    printable = (
        0x20 <= o <= 0x7E or 0xA0 <= o <= 0xD7FF or 0xE000 <= o <= 0xFFFD or o >= 0x10000
    ) and o not in (0xFEFF, 0x2028, 0x2029)
    if printable:
        return c
    if o <= 0xFF:
        return f"\\x{o:02x}"
    if o <= 0xFFFF:
        return f"\\u{o:04x}"
    return f"\\U{o:08x}"


def yaml_string(s: str, *, ascii_only: bool = False) -> str:
    if _PLAIN.match(s) and s not in _SPECIAL_WORDS and not ascii_only:
        return s
    body = "".join(_yaml_char(c) if not ascii_only or ord(c) < 0x7F else _esc(c) for c in s)
    return f'"{body}"'


def _esc(c: str) -> str:
    o = ord(c)
    return f"\\u{o:04x}" if o <= 0xFFFF else f"\\U{o:08x}"


def yaml_scalar(v: Any) -> str:
    if isinstance(v, Tok):
        return v.yaml
    if isinstance(v, Deep):
        return v.text()
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return _int_text(v)
    if isinstance(v, float):
        if math.isnan(v):
            return ".nan"
        if math.isinf(v):
            return ".inf" if v > 0 else "-.inf"
        text = repr(v)
        return text if ("." in text or "e" in text) else text + ".0"
    if isinstance(v, dt.date):
        return v.isoformat()
    return yaml_string(str(v))


def _int_text(v: int) -> str:
    # str() refuses ints past 4,300 digits; the generator writes those as Tok instead.
    return str(v)


def to_yaml(data: Any, flow_below: int = 3) -> str:
    """Block style near the top (the way people write plans), flow style below
    `flow_below` levels (the way they write estimates: `{optimistic: 1, ...}`)."""
    out: list[str] = []

    def key_text(k: Any) -> str:
        return yaml_scalar(k) if not isinstance(k, str) else yaml_string(k)

    def flow(v: Any) -> str:
        if isinstance(v, dict):
            return "{" + ", ".join(f"{key_text(k)}: {flow(x)}" for k, x in v.items()) + "}"
        if isinstance(v, list):
            return "[" + ", ".join(flow(x) for x in v) + "]"
        return yaml_scalar(v)

    def block(v: Any, indent: int, level: int) -> None:
        pad = " " * indent
        if isinstance(v, dict):
            for k, x in v.items():
                if isinstance(x, dict | list) and x and level < flow_below:
                    out.append(f"{pad}{key_text(k)}:")
                    block(x, indent + 2, level + 1)
                else:
                    out.append(f"{pad}{key_text(k)}: {flow(x)}")
        elif isinstance(v, list):
            for x in v:
                if isinstance(x, dict) and x and level < flow_below:
                    first, *rest = list(x.items())
                    lines_before = len(out)
                    block(dict([first]), indent + 2, level + 1)
                    out[lines_before] = f"{pad}- " + out[lines_before][indent + 2 :]
                    if rest:
                        block(dict(rest), indent + 2, level + 1)
                else:
                    out.append(f"{pad}- {flow(x)}")
        else:
            out.append(pad + flow(v))

    if isinstance(data, dict) and data:
        block(data, 0, 0)
    else:
        out.append(flow(data))
    return "\n".join(out) + "\n"


def to_json(data: Any, *, ascii_only: bool = False, indent: bool = False) -> str:
    """JSON, with NaN written `NaN` and infinity `1e999` (the forms json.loads accepts)."""
    sep = ",\n" if indent else ", "

    def enc(v: Any) -> str:
        if isinstance(v, Tok):
            return v.json_text()
        if isinstance(v, Deep):
            return v.text()
        if isinstance(v, dict):
            return (
                "{"
                + sep.join(
                    f"{json.dumps(str(k), ensure_ascii=ascii_only)}: {enc(x)}" for k, x in v.items()
                )
                + "}"
            )
        if isinstance(v, list):
            return "[" + sep.join(enc(x) for x in v) + "]"
        if v is None:
            return "null"
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return _int_text(v)
        if isinstance(v, float):
            if math.isnan(v):
                return "NaN"
            if math.isinf(v):
                return "1e999" if v > 0 else "-1e999"
            return repr(v)
        if isinstance(v, dt.date):
            return json.dumps(v.isoformat())
        return json.dumps(str(v), ensure_ascii=ascii_only)

    return enc(data) + "\n"


formats = st.sampled_from(["yaml", "json"])


def serialize(data: Any, fmt: str, style: int = 0) -> str:
    """`style` varies the spelling only: indentation, flow depth, ASCII escapes."""
    if fmt == "json":
        return to_json(data, ascii_only=style % 2 == 1, indent=style % 3 == 2)
    return to_yaml(data, flow_below=1 + style % 4)


def minimal(**fields: Any) -> dict[str, Any]:
    """The smallest valid plan, with `fields` set (for the explicit examples)."""
    plan: dict[str, Any] = {
        "schema": "ventureplan/1",
        "name": "n",
        "start": dt.date(2027, 1, 4),
        "routes": [{"id": "r", "chosen": True, "model": "m", "dataset": {"source": "d.csv"}}],
        "tasks": [{"id": "a", "estimate": {"optimistic": 1, "likely": 2, "pessimistic": 3}}],
    }
    plan.update(fields)
    return plan


def record(**fields: Any) -> dict[str, Any]:
    """A `measured` entry for route `r` of `minimal()`, with `fields` set."""
    return {"run": "x", "route": "r", "at": Tok("2027-02-01T08:00:00Z"), **fields}


# Plans that found bugs, kept as explicit examples of the properties that found them.
ZERO_AFTER_WORK = minimal(
    tasks=[
        {"id": "a", "estimate": {"optimistic": 1, "likely": 1, "pessimistic": 1}},
        {
            "id": "b",
            "estimate": {"optimistic": 0, "likely": 0, "pessimistic": 0},
            "depends_on": ["a"],
        },
    ]
)
# A raw DEL (legal in a JSON string) and every finding of a JSON plan is placed at 1:1.
JSON_RAW_DEL = minimal(name="x\x7fy", tasks=[{**minimal()["tasks"][0], "owner": "nobody"}])
JSON_RAW_DEL_LINTS = minimal(name="x\x7fy", goals=[{"id": "g", "statement": "x"}])
# A raw NEL or LINE SEPARATOR (legal in JSON too) and findings land on line 2 of a
# one-line file.
JSON_RAW_NEL = minimal(name="x\x85y", tasks=[{**minimal()["tasks"][0], "owner": "nobody"}])
# 0 × (1 + 10)^599 is NaN: numpy warns on stderr (every command), analyze --json stops
# with "This is a bug", the .json report refuses to be written.
REVENUE_NAN = minimal(budget={"revenue": [{"id": "r", "amount": 0, "growth": 10}]})
# Numbers a record holds are not checked for NaN or infinity.
RECORD_INF = minimal(measured=[record(training={"seconds": math.inf})])
RECORD_NAN = minimal(measured=[record(metrics={"macro_f1": math.nan})])
# A route's NaN hyperparameter: the .json report refused to be written (a located error
# since d53a544).
HYPERPARAMETER_NAN = minimal(
    routes=[{**minimal()["routes"][0], "hyperparameters": {"learning_rate": math.nan}}]
)
# Text in a record's open `training` fields: the HTML report formats it as a number.
RECORD_TEXT_EXTRA = minimal(measured=[record(training={"note": "fast"})])
# A lone surrogate (an escape in YAML or JSON) in a record's free-form fields.
RECORD_SURROGATE = minimal(measured=[record(training={"note": LONE_SURROGATE})])
# Past Python's 4,300-digit limit for int <-> str.
HUGE_INT = Tok("9" * 5_000, "9" * 5_000)
