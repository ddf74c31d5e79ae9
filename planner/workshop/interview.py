"""The guided interview behind `ventureplan workshop new`: plain questions, each answer
checked where it is given (asked again with the reason), pushback on goals that are not
SMART, and a commented plan at the end. Run on an existing plan, it asks only for the
sections that are missing and appends them, leaving what is there untouched.

The room's work is never lost: after every answered item (a role, a goal, a task, a risk,
a section) the answers so far go to a draft beside the plan, PLAN.draft.yaml, written
atomically through the plan-file writer. The draft is the plan as it would be written,
line for line, with the interview's state as its last line, a comment; `workshop new` on
the plan (or on the draft) takes up where it stopped, and edits made to the draft by hand
are kept."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import planfile
from ..builtins import DATASETS, MODELS, PREFIX
from ..defaults import EARLIEST_START, LANGUAGES, LATEST_START, MAX_DAYS, MAX_MONEY
from ..errors import VenturePlanError
from ..records import METRICS, OPTIMIZATION_METRICS, SERVING_METRICS
from ..source import read
from .answers import (
    MESSAGES,
    Retry,
    check_id,
    check_range,
    parse_choice,
    parse_currency,
    parse_date,
    parse_number,
    parse_ref,
    parse_refs,
    parse_three,
    suggest_id,
)

ASK: dict[str, dict[str, str]] = {
    "en": {
        "name": "What is the venture called?",
        "summary": "In one or two sentences: what do you sell, and to whom?",
        "model": "Business model: platform, tool or service?",
        "start": "When does the work start (YYYY-MM-DD)?",
        "currency": "Currency of every amount in the plan (e.g. USD, EUR, CNY)",
        "role": "Team: the title of a role (e.g. Founder, ML engineer); leave empty when done",
        "role_id": "  A short id for it (owners below name roles by it)",
        "headcount": "  How many people in it?",
        "cost": "  Monthly cost per person, in {currency} (e.g. 9000 or 9k)",
        "goal": "Goal: what will be true? (leave empty when done)",
        "metric": "  Which number shows it (e.g. macro_f1, accuracy, paying_customers)?",
        "target": "  Target value (e.g. 0.9, 90%, 3)",
        "no_target": "A SMART goal needs a number to aim at. What value means it is done?",
        "direction": "  Must the number end at least (>=) or at most (<=) the target?",
        "deadline": "  By when (YYYY-MM-DD)?",
        "no_deadline": "A SMART goal needs a date. By when must it be met (YYYY-MM-DD)?",
        "owner": "  Who owns it? (one of: {ids})",
        "why": "  Why does it matter to the venture or its customers?",
        "route_model": "Technical route: which model to fine-tune?",
        "route_data": "Which data set (builtin:bbc-news, or a .csv/.jsonl path)?",
        "task": "Task: what gets done? (leave empty when done)",
        "task_id": "  A short id for it (dependencies and risks name tasks by it)",
        "task_owner": "  Who does it? (one of: {ids})",
        "estimate": "  Days: optimistic, likely, pessimistic (e.g. 3 5 9)",
        "depends": "  Which earlier tasks must finish first? "
        "(ids, comma-separated; empty for none: {ids})",
        "risk": "A {category} risk: what could go wrong? (leave empty to skip)",
        "probability": "  Probability it happens (0 to 1, or a percentage such as 30%)",
        "impact": "  Impact if it does, 1 (minor) to 5 (fatal)",
        "risk_owner": "  Who watches for it? (one of: {ids})",
        "affects": "  Which tasks does it delay? (ids, comma-separated: {ids}; "
        "empty: none, so no delay is simulated)",
        "days": "  Days it adds to each of them: low, likely, high (or one number)",
        "risk_cost": "  What it costs if it happens, in {currency}: low, likely, high or "
        "one number (empty: nothing)",
        "response": "  Response: avoid, transfer, mitigate, accept or escalate?",
        "trigger": "  What early sign will show it is happening?",
        "cash": "Budget: cash in the bank at the start, in {currency}",
        "needed": "an answer is needed here",
        "model_unknown": "'{raw}' is not a built-in model; the built-in ones are {names} "
        "(or give a model path or hub id without the builtin: prefix)",
        "data_unknown": "'{raw}' is not a built-in data set ({names}) or a .csv/.jsonl path",
        "resumed": "Going on from {draft}: {done} answered.",
        "so_far": "  ({count} so far: {ids})",
        "none": "-",
        "role_kind": "a role",
        "task_kind": "an earlier task",
        "a_task": "a task",
        "the_start": "the start",
    },
    "zh": {
        "name": "这个创业项目叫什么名字？",
        "summary": "用一两句话说明：你卖什么，卖给谁？",
        "model": "商业模式：平台（platform）、工具（tool）还是服务（service）？",
        "start": "工作从哪一天开始（YYYY-MM-DD）？",
        "currency": "计划中所有金额的币种（如 CNY、USD、EUR）",
        "role": "团队：一个角色的名称（如 创始人、算法工程师）；留空表示结束",
        "role_id": "  给它一个简短的 id（下面的负责人用它指代角色）",
        "headcount": "  这个角色有几个人？",
        "cost": "  每人每月成本（{currency}，如 9000 或 1.2万）",
        "goal": "目标：完成后会是什么样？（留空表示结束）",
        "metric": "  用哪个数字衡量（如 macro_f1、accuracy、paying_customers）？",
        "target": "  目标值（如 0.9、90%、3）",
        "no_target": "SMART 目标需要一个数字。达到多少才算完成？",
        "direction": "  这个数字应当不低于（>=）还是不高于（<=）目标值？",
        "deadline": "  截止日期（YYYY-MM-DD）？",
        "no_deadline": "SMART 目标需要一个截止日期（YYYY-MM-DD）。",
        "owner": "  由谁负责？（可选：{ids}）",
        "why": "  为什么这个目标对项目或客户很重要？",
        "route_model": "技术路线：微调哪个模型？",
        "route_data": "用哪个数据集（builtin:bbc-news，或 .csv/.jsonl 文件路径）？",
        "task": "任务：要完成什么？（留空表示结束）",
        "task_id": "  给它一个简短的 id（依赖和风险用它指代任务）",
        "task_owner": "  由谁来做？（可选：{ids}）",
        "estimate": "  工作日：乐观、最可能、悲观（如 3 5 9）",
        "depends": "  哪些之前的任务必须先完成？（id，用逗号分隔；没有则留空：{ids}）",
        "risk": "一个{category}风险：可能出什么问题？（留空跳过）",
        "probability": "  发生的概率（0 到 1，或百分比如 30%）",
        "impact": "  发生后的影响，1（轻微）到 5（致命）",
        "risk_owner": "  由谁盯着这个风险？（可选：{ids}）",
        "affects": "  它会拖延哪些任务？（id，用逗号分隔：{ids}；没有则留空，模拟将不计它的延误）",
        "days": "  发生时每个受影响任务多出几天：低、最可能、高（或一个数字）",
        "risk_cost": "  发生时的损失（{currency}）：低、最可能、高，或一个数字（没有则留空）",
        "response": "  应对：规避（avoid）、转移（transfer）、缓解（mitigate）、"
        "接受（accept）还是上报（escalate）？",
        "trigger": "  什么早期信号会表明它正在发生？",
        "cash": "预算：开始时银行里有多少现金（{currency}）？",
        "needed": "这里需要一个回答",
        "model_unknown": "「{raw}」不是内置模型；内置模型有 {names}"
        "（也可以给出不带 builtin: 前缀的模型路径或 hub id）",
        "data_unknown": "「{raw}」不是内置数据集（{names}），也不是 .csv/.jsonl 文件路径",
        "resumed": "从 {draft} 继续：已回答 {done}。",
        "so_far": "  （已有 {count} 个：{ids}）",
        "none": "无",
        "role_kind": "团队中的角色",
        "task_kind": "之前的任务",
        "a_task": "计划中的任务",
        "the_start": "开始日期",
    },
}
CATEGORY_ZH = {"technical": "技术", "market": "市场", "resource": "资源", "legal": "法律"}
CATEGORIES = ("technical", "market", "resource", "legal")
# The order of the questions, and (FILE_ORDER) the order of the sections in the file.
SECTIONS = (
    "name",
    "start",
    "business",
    "currency",
    "team",
    "goals",
    "routes",
    "tasks",
    "risks",
    "budget",
)
FILE_ORDER = (
    "name",
    "currency",
    "start",
    "business",
    "team",
    "goals",
    "routes",
    "tasks",
    "risks",
    "budget",
)
CHOICES = {
    "model": {
        **{v: v for v in ("platform", "tool", "service")},
        **{"平台": "platform", "工具": "tool", "服务": "service"},
    },
    "direction": {
        ">=": ">=",
        "≥": ">=",
        "at least": ">=",
        "min": ">=",
        "above": ">=",
        "不低于": ">=",
        "至少": ">=",
        "<=": "<=",
        "≤": "<=",
        "at most": "<=",
        "max": "<=",
        "below": "<=",
        "不高于": "<=",
        "至多": "<=",
        "最多": "<=",
    },
    "response": {
        **{v: v for v in ("avoid", "transfer", "mitigate", "accept", "escalate")},
        **{
            "规避": "avoid",
            "避免": "avoid",
            "转移": "transfer",
            "缓解": "mitigate",
            "减轻": "mitigate",
            "接受": "accept",
            "上报": "escalate",
            "升级": "escalate",
        },
    },
}
COMMENTS = {
    "en": {
        "team": "roles; their ids are the owners below",
        "goals": "SMART: a number, a date, an owner, a reason",
        "routes": "one is chosen; `ventureplan run` executes it",
        "tasks": "working days: optimistic, likely, pessimistic",
        "risks": "one per category: what it delays, by how long, what it costs",
        "nothing": "affects no task and costs nothing yet: the simulation ignores it",
        "currency": "every amount below is in this currency",
    },
    "zh": {
        "team": "角色；下面的负责人（owner）填这些 id",
        "goals": "SMART：一个数字、一个日期、一个负责人、一个理由",
        "routes": "选定其中一条；`ventureplan run` 会执行它",
        "tasks": "工作日：乐观、最可能、悲观",
        "risks": "每个类别一条：拖延哪些任务、多久、损失多少",
        "nothing": "尚未影响任何任务，也没有损失：模拟会忽略它",
        "currency": "下面所有金额都以此币种计",
    },
}
HEADER = {
    "en": """# A ventureplan plan, written by `ventureplan workshop new`.
# Check it with `ventureplan check FILE`; see the numbers with `ventureplan analyze FILE`.
schema: ventureplan/1
language: en
calendar: workdays               # workdays (Mon-Fri) | days
distribution: pert               # how three-point estimates are sampled
""",
    "zh": """# 一份 ventureplan 计划，由 `ventureplan workshop new` 写成。
# 用 `ventureplan check FILE` 检查；用 `ventureplan analyze FILE` 查看数字。
schema: ventureplan/1
language: zh
calendar: workdays               # workdays（周一至周五）| days（每天）
distribution: pert               # 三点估计的抽样方式
""",
}
HYPERPARAMETERS = {
    "learning_rate": 1.0e-4,
    "batch_size": 32,
    "epochs": 3,
    "max_length": 128,
    "seed": 13,
}
STATE = "# interview draft: "
# Plain scalars some YAML readers take for something other than text.
YAML_WORDS = frozenset(("true", "false", "yes", "no", "on", "off", "y", "n", "null", "~"))

Prompt = Callable[..., Any]


# Characters YAML does not allow in a file, even quoted (JSON leaves some of them as they are).
NOT_YAML = re.compile("[\x7f-\x84\x86-\x9f\ud800-\udfff\ufeff\ufffe\uffff]")


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML once the characters YAML
    does not allow are escaped too)."""
    quoted = json.dumps(str(text), ensure_ascii=False)
    return NOT_YAML.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def _id(value: str) -> str:
    """An id as a plain scalar where YAML reads it back as that text, else quoted."""
    plain = re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", value) and value.lower() not in YAML_WORDS
    return value if plain else _q(value)


def _num(value: Any) -> str:
    return planfile.number_text(float(value))


def _key(key: str, comment: str, value: str = "") -> str:
    head = f"{key}:" + (f" {value}" if value else "")
    return f"{head.ljust(32)} # {comment}"


def _list(have: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return [x for x in have.get(key) or [] if isinstance(x, dict)]


def _next_monday(today: dt.date) -> dt.date:
    return today + dt.timedelta(days=(7 - today.weekday()) % 7 or 7)


def render(data: dict[str, Any], lang: str) -> str:
    """The answered sections as commented plan YAML, in the file's order."""
    c = COMMENTS[lang]
    out: list[str] = []
    if "name" in data:
        out.append(f"name: {_q(data['name'])}")
    if "currency" in data:
        out.append(_key("currency", c["currency"], _q(data["currency"])))
    if "start" in data:
        out.append(f"start: {data['start']}")
    if "business" in data:
        b = data["business"]
        out += ["", "business:", f"  model: {b['model']}", f"  summary: {_q(b['summary'])}"]
    if "team" in data:
        out.append("")
        roles = _list(data, "team")
        out.append(_key("team", c["team"], "" if roles else "[]"))
        for r in roles:
            out.append(
                f"  - {{id: {_id(r['id'])}, title: {_q(r['title'])}, "
                f"headcount: {_num(r.get('headcount', 1))}, "
                f"monthly_cost: {_num(r.get('monthly_cost', 0))}}}"
            )
    if "goals" in data:
        out.append("")
        goals = _list(data, "goals")
        out.append(_key("goals", c["goals"], "" if goals else "[]"))
        for g in goals:
            out += [
                f"  - id: {_id(g['id'])}",
                f"    statement: {_q(g['statement'])}",
                f"    metric: {_q(g['metric'])}",
                f"    target: {_num(g['target'])}",
                f"    direction: {_q(g.get('direction', '>='))}",
                f"    deadline: {g['deadline']}",
            ]
            if g.get("owner"):
                out.append(f"    owner: {_id(g['owner'])}")
            if g.get("relevant_to"):
                out.append(f"    relevant_to: {_q(g['relevant_to'])}")
    if "routes" in data:
        out.append("")
        out.append(_key("routes", c["routes"]))
        for r in _list(data, "routes"):
            hyper = r.get("hyperparameters") or HYPERPARAMETERS
            flow = ", ".join(f"{k}: {_flow(v)}" for k, v in hyper.items())
            measures = ", ".join(_id(m) for m in r.get("measures") or [])
            out += [
                f"  - id: {_id(r.get('id', 'main'))}",
                "    chosen: true",
                f"    task: {r.get('task', 'text-classification')}",
                f"    model: {_q(r['model'])}",
                f"    dataset: {{source: {_q(r['dataset']['source'])}}}",
                f"    hyperparameters: {{{flow}}}",
                f"    measures: [{measures}]",
            ]
    if "tasks" in data:
        out.append("")
        tasks = _list(data, "tasks")
        out.append(_key("tasks", c["tasks"], "" if tasks else "[]"))
        for t in tasks:
            e = t["estimate"]
            out += [f"  - id: {_id(t['id'])}", f"    name: {_q(t['name'])}"]
            if t.get("owner"):
                out.append(f"    owner: {_id(t['owner'])}")
            out += [
                f"    estimate: {{optimistic: {_num(e['optimistic'])}, "
                f"likely: {_num(e['likely'])}, pessimistic: {_num(e['pessimistic'])}}}",
                f"    depends_on: [{', '.join(_id(d) for d in t.get('depends_on') or [])}]",
            ]
    if "risks" in data:
        out.append("")
        risks = _list(data, "risks")
        out.append(_key("risks", c["risks"], "" if risks else "[]"))
        for r in risks:
            head = f"  - id: {_id(r['id'])}"
            if not (r.get("affects") and r.get("schedule_impact")) and not r.get("cost_impact"):
                head = f"{head.ljust(32)} # {c['nothing']}"
            out += [
                head,
                f"    title: {_q(r['title'])}",
                f"    category: {r['category']}",
                f"    probability: {_num(r['probability'])}",
                f"    impact: {_num(r['impact'])}",
            ]
            if r.get("owner"):
                out.append(f"    owner: {_id(r['owner'])}")
            out.append(f"    affects: [{', '.join(_id(a) for a in r.get('affects') or [])}]")
            for key in ("schedule_impact", "cost_impact"):
                if r.get(key):
                    v = r[key]
                    out.append(
                        f"    {key}: {{low: {_num(v['low'])}, likely: {_num(v['likely'])}, "
                        f"high: {_num(v['high'])}}}"
                    )
            if r.get("response"):
                out.append(f"    response: {r['response']}")
            if r.get("trigger"):
                out.append(f"    trigger: {_q(r['trigger'])}")
    if "budget" in data:
        out += ["", "budget:", f"  cash: {_num(data['budget']['cash'])}"]
    return "\n".join(out).lstrip("\n") + "\n" if out else ""


def _flow(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return planfile.number_text(value) if abs(value) >= 1e-3 or value == 0 else f"{value:g}"
    return _q(value)


class Interview:
    """The questions, section by section. `data` holds the answers as plan-shaped values
    (kept across a resume); `have` is the plan being completed ({} for a new one); `save`
    is called after every answered item with the state to keep."""

    def __init__(
        self,
        ask: Prompt,
        say: Callable[[str], None],
        lang: str = "en",
        *,
        have: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        done: list[str] | None = None,
        risks_asked: list[str] | None = None,
        save: Callable[[Interview], None] | None = None,
        today: dt.date | None = None,
    ):
        self.ask, self.say, self.t, self.m = ask, say, ASK[lang], MESSAGES[lang]
        self.lang = lang
        self.have = have or {}
        self.data: dict[str, Any] = data if data is not None else {}
        self.done: list[str] = list(done or [])
        self.risks_asked: list[str] = list(risks_asked or [])
        self.now: str | None = None
        self._save = save
        self.today = today or dt.date.today()

    # --- asking -----------------------------------------------------------------------

    def _ask(
        self,
        key: str,
        read: Callable[[str], Any] = lambda raw: raw,
        default: str = "",
        *,
        required: bool = False,
        empty: str | None = None,
        **fmt: Any,
    ) -> Any:
        """Ask until `read` takes the answer; a Retry's reason is shown before asking again.
        `required`: an empty answer is refused (with the `empty` text, when given)."""
        prompt = self.t[key].format(**fmt)
        while True:
            raw = str(self.ask(prompt, default=default)).strip()
            if not raw and required:
                self.say("  " + (self.t[empty] if empty else self.t["needed"]))
                continue
            try:
                return read(raw)
            except Retry as exc:
                self.say(f"  {exc}")

    def _amount(self, key: str, *, integer: bool = False, low: float = 0, **fmt: Any) -> float:
        def read(raw: str) -> float:
            value = parse_number(raw, self.lang)
            return check_range(value, self.lang, low=low, high=MAX_MONEY, integer=integer)

        return float(self._ask(key, read, required=True, **fmt))

    def _role(self, key: str, default: str) -> str:
        """One of the team's roles, by id or title."""
        roles = self.roles()

        def read(raw: str) -> str:
            return parse_ref(raw, roles, self.t["role_kind"], self.lang, titles=roles)

        return str(self._ask(key, read, default=default, ids=self._ids(roles)))

    def _refs(self, key: str, ids: dict[str, str], kind: str) -> list[str]:
        """Some of `ids` (id -> name), by id or name; empty for none."""

        def read(raw: str) -> list[str]:
            return parse_refs(raw, ids, self.t[kind], self.lang, titles=ids)

        return list(self._ask(key, read, ids=self._ids(ids)))

    def save(self) -> None:
        if self._save is not None:
            self._save(self)

    # --- what is known ----------------------------------------------------------------

    def _both(self, key: str) -> list[dict[str, Any]]:
        return _list(self.have, key) + _list(self.data, key)

    def roles(self) -> dict[str, str]:
        return {str(r.get("id")): str(r.get("title") or r.get("id")) for r in self._both("team")}

    def tasks(self) -> dict[str, str]:
        return {str(t.get("id")): str(t.get("name") or t.get("id")) for t in self._both("tasks")}

    def taken(self) -> dict[str, str]:
        """Every id in the plan so far -> what it names, so a new id is unique across kinds."""
        out: dict[str, str] = {}
        for key, kind in (
            ("team", "role"),
            ("goals", "goal"),
            ("tasks", "task"),
            ("risks", "risk"),
            ("routes", "route"),
        ):
            for item in self._both(key):
                out.setdefault(str(item.get("id")), f"{kind} {item.get('id')}")
        budget = self.have.get("budget")
        if isinstance(budget, dict):
            for key in ("items", "revenue"):
                for item in budget.get(key) or []:
                    if isinstance(item, dict):
                        out.setdefault(str(item.get("id")), f"budget item {item.get('id')}")
        return out

    def currency(self) -> str:
        return str(self.data.get("currency") or self.have.get("currency") or "USD")

    def _start_date(self) -> dt.date | None:
        raw = self.data.get("start") or self.have.get("start")
        try:
            return dt.date.fromisoformat(str(raw))
        except ValueError:
            return None

    def _ids(self, ids: dict[str, str]) -> str:
        return ", ".join(ids) or self.t["none"]

    # --- the sections -----------------------------------------------------------------

    def needed(self, section: str) -> bool:
        if section in ("name", "start"):
            return section not in self.have
        if section == "currency":
            asked = not self.have or self.needed("team") or self.needed("budget")
            return "currency" not in self.have and asked
        return not self.have.get(section)

    def run(self) -> dict[str, Any]:
        """Ask every section still needed; `data` then holds the answers."""
        for section in SECTIONS:
            if section in self.done or not self.needed(section):
                continue
            self.now = section
            getattr(self, f"_{section}")()
            self.done.append(section)
            self.now = None
            self.save()
        return self.data

    def _name(self) -> None:
        self.data["name"] = self._ask("name", required=True)

    def _start(self) -> None:
        earliest = dt.date.fromisoformat(EARLIEST_START)
        latest = dt.date.fromisoformat(LATEST_START)

        def read(raw: str) -> str:
            day = parse_date(raw, self.lang, after=earliest, what=EARLIEST_START)
            if day > latest:
                raise Retry(self.m["not_day"].format(raw=raw))
            return day.isoformat()

        self.data["start"] = self._ask("start", read, default=_next_monday(self.today).isoformat())

    def _business(self) -> None:
        summary = self._ask("summary", required=True)
        model = self._ask(
            "model", lambda raw: parse_choice(raw, CHOICES["model"], self.lang), default="tool"
        )
        self.data["business"] = {"model": model, "summary": summary}

    def _currency(self) -> None:
        default = "CNY" if self.lang == "zh" else "USD"
        self.data["currency"] = self._ask(
            "currency", lambda raw: parse_currency(raw, self.lang), default=default
        )

    def _say_so_far(self, items: list[dict[str, Any]]) -> None:
        if items:
            ids = ", ".join(str(i.get("id")) for i in items)
            self.say(self.t["so_far"].format(count=len(items), ids=ids))

    def _team(self) -> None:
        roles = self.data.setdefault("team", [])
        self._say_so_far(roles)
        while title := self._ask("role"):
            rid = self._ask(
                "role_id",
                lambda raw: check_id(raw, self.taken(), self.lang),
                default=suggest_id(title, self.taken(), "role"),
            )
            heads = self._amount("headcount", integer=True)
            cost = self._amount("cost", currency=self.currency())
            roles.append({"id": rid, "title": title, "headcount": int(heads), "monthly_cost": cost})
            self.save()

    def _metric(self) -> str:
        known = list(METRICS) + list(OPTIMIZATION_METRICS) + list(SERVING_METRICS)
        refused: list[str] = []

        def read(raw: str) -> str:
            import difflib

            if raw in known or raw in refused:
                return raw
            guess = difflib.get_close_matches(raw.lower(), known, n=1, cutoff=0.75)
            if guess and guess[0] != raw:
                refused.append(raw)
                raise Retry(self.m["metric"].format(raw=raw, guess=guess[0]))
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}", raw):
                raise Retry(self.m["bad_id"].format(raw=raw))
            return raw

        return str(self._ask("metric", read, default="macro_f1"))

    def _goals(self) -> None:
        goals = self.data.setdefault("goals", [])
        self._say_so_far(goals)
        start = self._start_date()
        while statement := self._ask("goal"):
            n = 1
            while f"g-{n}" in self.taken():
                n += 1
            goal: dict[str, Any] = {"id": f"g-{n}", "statement": statement}
            goal["metric"] = self._metric()
            goal["target"] = self._ask(
                "target",
                lambda raw: check_range(parse_number(raw, self.lang), self.lang, high=MAX_MONEY),
                required=True,
                empty="no_target",
                low=None,
            )
            goal["direction"] = self._ask(
                "direction",
                lambda raw: parse_choice(raw, CHOICES["direction"], self.lang),
                default=">=",
            )
            goal["deadline"] = self._ask(
                "deadline",
                lambda raw: parse_date(
                    raw, self.lang, after=start, what=self.t["the_start"]
                ).isoformat(),
                required=True,
                empty="no_deadline",
            ).strip()
            if self.roles():
                goal["owner"] = self._role("owner", next(iter(self.roles())))
            why = self._ask("why")
            if why:
                goal["relevant_to"] = why
            goals.append(goal)
            self.save()

    def _routes(self) -> None:
        def model(raw: str) -> str:
            name = raw[len(PREFIX) :] if raw.startswith(PREFIX) else None
            if name is not None and name not in MODELS:
                shown = ", ".join(PREFIX + n for n in MODELS)
                raise Retry(self.t["model_unknown"].format(raw=raw, names=shown))
            return raw

        def dataset(raw: str) -> str:
            name = raw[len(PREFIX) :] if raw.startswith(PREFIX) else None
            if (name is not None and name not in DATASETS) or (
                name is None and Path(raw).suffix.lower() not in (".csv", ".jsonl")
            ):
                shown = ", ".join(PREFIX + n for n in DATASETS)
                raise Retry(self.t["data_unknown"].format(raw=raw, names=shown))
            return raw

        chosen_model = self._ask("route_model", model, default="builtin:minilm-l6")
        data = self._ask("route_data", dataset, default="builtin:bbc-news")
        measured = [str(g.get("id")) for g in self._both("goals") if g.get("metric") in METRICS]
        rid = "main" if "main" not in self.taken() else suggest_id("main", self.taken())
        self.data["routes"] = [
            {"id": rid, "model": chosen_model, "dataset": {"source": data}, "measures": measured}
        ]

    def _default_owner(self) -> str | None:
        roles = self.roles()
        for goal in self._both("goals"):
            if goal.get("owner") in roles:
                return str(goal["owner"])
        return next(iter(roles), None)

    def _tasks(self) -> None:
        tasks = self.data.setdefault("tasks", [])
        self._say_so_far(tasks)
        while name := self._ask("task"):
            tid = self._ask(
                "task_id",
                lambda raw: check_id(raw, self.taken(), self.lang),
                default=suggest_id(name, self.taken(), "task"),
            )
            task: dict[str, Any] = {"id": tid, "name": name}
            if self.roles():
                task["owner"] = self._role("task_owner", self._default_owner() or "")
            a, m, b = self._ask(
                "estimate",
                lambda raw: parse_three(raw, self.lang, high=MAX_DAYS),
                required=True,
            )
            task["estimate"] = {"optimistic": a, "likely": m, "pessimistic": b}
            earlier = self.tasks()  # the first task has none to wait for: not asked
            task["depends_on"] = self._refs("depends", earlier, "task_kind") if earlier else []
            tasks.append(task)
            self.save()

    def _risks(self) -> None:
        risks = self.data.setdefault("risks", [])
        for category in CATEGORIES:
            if category in self.risks_asked:
                continue
            label = CATEGORY_ZH[category] if self.lang == "zh" else category
            title = self._ask("risk", category=label)
            if title:
                risks.append(self._risk(title, category))
            self.risks_asked.append(category)
            self.save()

    def _risk(self, title: str, category: str) -> dict[str, Any]:
        rid = f"r-{category}"
        if rid in self.taken():
            rid = suggest_id(rid, self.taken())
        risk: dict[str, Any] = {"id": rid, "title": title, "category": category}
        risk["probability"] = self._ask(
            "probability",
            lambda raw: check_range(
                parse_number(raw, self.lang), self.lang, low=0, high=1, chance=True
            ),
            default="0.3",
        )
        risk["impact"] = int(
            self._ask(
                "impact",
                lambda raw: check_range(
                    parse_number(raw, self.lang), self.lang, low=1, high=5, integer=True
                ),
                default="3",
            )
        )
        if self.roles():
            risk["owner"] = self._role("risk_owner", self._default_owner() or "")
        tasks = self.tasks()  # no tasks yet: nothing to delay, not asked
        risk["affects"] = self._refs("affects", tasks, "a_task") if tasks else []
        if risk["affects"]:
            low, likely, high = self._ask(
                "days",
                lambda raw: parse_three(raw, self.lang, one=True, high=MAX_DAYS),
                required=True,
            )
            risk["schedule_impact"] = {"low": low, "likely": likely, "high": high}

        def cost(raw: str) -> tuple[float, float, float] | None:
            return parse_three(raw, self.lang, one=True, high=MAX_MONEY) if raw else None

        spent = self._ask("risk_cost", cost, currency=self.currency())
        if spent is not None and spent[2] > 0:
            risk["cost_impact"] = dict(zip(("low", "likely", "high"), spent, strict=True))
        risk["response"] = self._ask(
            "response",
            lambda raw: parse_choice(raw, CHOICES["response"], self.lang),
            default="mitigate",
        )
        trigger = self._ask("trigger")
        if trigger:
            risk["trigger"] = trigger
        return risk

    def _budget(self) -> None:
        self.data["budget"] = {"cash": self._amount("cash", currency=self.currency())}


# --- the draft ---------------------------------------------------------------------


def draft_path(plan: Path) -> Path:
    """plan.yaml -> plan.draft.yaml, beside it."""
    return plan.with_name(f"{plan.stem}.draft{plan.suffix or '.yaml'}")


@dataclass
class Draft:
    path: Path
    plan: Path
    lang: str
    base: str | None  # sha256 of the plan being completed; None for a new plan
    done: list[str]
    risks_asked: list[str]
    data: dict[str, Any]


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_draft(path: Path) -> Draft:
    """A draft's state (its last line) and its answers (the YAML above it)."""
    data, source = read(path)
    text = source.text or ""
    lines = text.rstrip("\n").split("\n")
    if not lines[-1].startswith(STATE):
        raise VenturePlanError(
            f"{path} is not an interview draft (its last line is not `{STATE.strip()} ...`); "
            "move it away to start a new interview"
        )
    try:
        state = json.loads(lines[-1][len(STATE) :])
        plan = path.parent / Path(str(state["plan"])).name
        lang = str(state["lang"])
        base = state["base"]
        done = [str(s) for s in state["done"]]
        asked = [str(c) for c in state.get("risks_asked") or []]
    except (ValueError, KeyError, TypeError):
        raise VenturePlanError(
            f"{path}:{len(lines)}: the interview state on the last line is damaged; "
            "restore it, or move the draft away to start again"
        ) from None
    if lang not in LANGUAGES:
        lang = "en"
    answers = {k: v for k, v in data.items() if k in FILE_ORDER}
    return Draft(path, plan, lang, base, done, asked, answers)


def _final(base_text: str | None, have: dict[str, Any], data: dict[str, Any], lang: str) -> str:
    """The plan as it will be written."""
    body = render(data, lang)
    if base_text is None:
        return HEADER[lang] + "\n" + body + "\nmeasured: []\n"
    return planfile.with_sections(base_text, body, have)


def _state_line(draft_of: Path, lang: str, base: str | None, iv: Interview) -> str:
    state = {
        "plan": draft_of.name,
        "lang": lang,
        "base": base,
        "done": iv.done,
        "now": iv.now,
        "risks_asked": iv.risks_asked,
    }
    return STATE + json.dumps(state, ensure_ascii=False) + "\n"


@dataclass
class Outcome:
    path: Path
    draft: Path
    resumed: bool


def interview(
    path: Path,
    ask: Prompt,
    say: Callable[[str], None],
    lang: str | None = None,
    *,
    today: dt.date | None = None,
) -> Outcome:
    """Write a new plan from the answers, or complete an existing one with the sections it
    lacks (what is there stays byte for byte), keeping a draft after every answer. `path`
    may be the draft itself. Nothing is written to the plan unless the result is valid; if
    it is not, the errors point into the draft, which stays."""
    if lang is not None and lang not in LANGUAGES:
        raise VenturePlanError(f"unknown language '{lang}'; choose one of: {', '.join(LANGUAGES)}")
    draft: Draft | None = None
    if path.exists() and path.is_file() and _is_draft(path):
        draft = read_draft(path)
        path = draft.plan
    elif draft_path(path).exists():
        draft = read_draft(draft_path(path))
    if path.suffix.lower() == ".json":
        raise VenturePlanError(f"{path}: the interview writes YAML; name the plan .yaml")
    where = draft_path(path)
    if draft is not None and draft.base is None and path.exists():
        written = draft.path.read_text(encoding="utf-8").rsplit(STATE, 1)[0]
        if path.read_text(encoding="utf-8", errors="replace") == written:
            where.unlink()  # the plan was written; only the draft's removal was cut off
            say(f"{path} is already written from {draft.path}; removed the draft.")
            return Outcome(path, where, True)
        raise VenturePlanError(
            f"{path} exists, but {draft.path} holds an interview for a new plan; "
            "move one of them away"
        )
    base_text: str | None = None
    have: dict[str, Any] = {}
    if path.exists():
        have, source = read(path)
        base_text = source.text or ""
    if draft is not None:
        if lang is not None and lang != draft.lang:
            raise VenturePlanError(
                f"{draft.path} holds an interview in '{draft.lang}'; run it again without "
                f"--lang, or with --lang {draft.lang}"
            )
        lang = draft.lang
        if draft.base is not None and (base_text is None or _sha(base_text) != draft.base):
            raise VenturePlanError(
                f"{path} changed since the interview in {draft.path} began; move the draft "
                "away to start again (its answers stay in it)"
            )
    elif lang is None:
        lang = str(have.get("language")) if have.get("language") in LANGUAGES else "en"
    assert lang is not None
    base = None if base_text is None else _sha(base_text)
    if draft is not None:
        keep = {k: v for k, v in draft.data.items() if not (k in have and have.get(k))}
        iv = Interview(
            ask, say, lang, have=have, data=keep, done=draft.done,
            risks_asked=draft.risks_asked, today=today,
        )  # fmt: skip
        answered = ", ".join(iv.done) or ASK[lang]["none"]
        say(ASK[lang]["resumed"].format(draft=draft.path, done=answered))
    else:
        iv = Interview(ask, say, lang, have=have, today=today)

    def save(now: Interview) -> None:
        text = _final(base_text, have, now.data, lang)
        planfile.save_draft(where, text + _state_line(path, lang, base, now))

    iv._save = save
    if draft is None:
        iv.save()  # the draft exists from the first question on
    iv.run()
    final = _final(base_text, have, iv.data, lang)
    planfile.save_draft(where, final + _state_line(path, lang, base, iv))
    planfile.validate_text(final, where)  # a PlanError points into the draft, which stays
    if base_text is None:
        planfile.create(path, final)
    else:
        planfile.append_sections(path, render(iv.data, lang))
    where.unlink()
    return Outcome(path, where, draft is not None)


def _is_draft(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            fh.seek(max(0, path.stat().st_size - 4096))
            tail = fh.read().decode("utf-8", "replace")
    except OSError:
        return False
    return tail.rstrip("\n").split("\n")[-1].startswith(STATE)
