"""The guided interview behind `ventureplan workshop new`: plain questions, pushback on goals
that are not SMART, and a commented plan at the end. Run on an existing plan, it asks only
for the sections that are missing and appends them, leaving what is there untouched."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import planfile
from ..defaults import LANGUAGES
from ..errors import VenturePlanError
from ..records import METRICS
from ..source import read

ASK: dict[str, dict[str, str]] = {
    "en": {
        "name": "What is the venture called?",
        "summary": "In one or two sentences: what do you sell, and to whom?",
        "model": "Business model: platform, tool or service?",
        "start": "When does the work start (YYYY-MM-DD)?",
        "role": "Team: a short id for a role (e.g. founder, ml); leave empty when done",
        "title": "  Title of the role",
        "headcount": "  How many people in it?",
        "cost": "  Monthly cost per person",
        "goal": "Goal: what will be true? (leave empty when done)",
        "metric": "  Which number shows it (e.g. macro_f1, accuracy, paying_customers)?",
        "target": "  Target value",
        "no_target": "  A SMART goal needs a number to aim at. What value means it is done?",
        "direction": "  Must the number end at or above (>=) or at or below (<=) the target?",
        "deadline": "  By when (YYYY-MM-DD)?",
        "no_deadline": "  A SMART goal needs a date. By when must it be met (YYYY-MM-DD)?",
        "owner": "  Who owns it? (one of: {ids})",
        "why": "  Why does it matter to the venture or its customers?",
        "route_model": "Technical route: which model to fine-tune?",
        "route_data": "Which data set (builtin:bbc-news, or a .csv/.jsonl path)?",
        "task": "Task: what gets done? (leave empty when done)",
        "estimate": "  Days: optimistic, likely, pessimistic (e.g. 3 5 9)",
        "bad_estimate": "  Give three numbers with optimistic <= likely <= pessimistic",
        "depends": "  Which earlier tasks must finish first? "
        "(ids, comma-separated; empty for none: {ids})",
        "risk": "A {category} risk: what could go wrong? (leave empty to skip)",
        "probability": "  Probability it happens (0 to 1)",
        "impact": "  Impact if it does, 1 (minor) to 5 (fatal)",
        "response": "  Response: avoid, transfer, mitigate, accept or escalate?",
        "trigger": "  What early sign will show it is happening?",
        "cash": "Budget: cash in the bank at the start",
    },
    "zh": {
        "name": "这个创业项目叫什么名字？",
        "summary": "用一两句话说明：你卖什么，卖给谁？",
        "model": "商业模式：platform、tool 还是 service？",
        "start": "工作从哪一天开始（YYYY-MM-DD）？",
        "role": "团队：给一个角色起个简短的 id（如 founder、ml）；留空表示结束",
        "title": "  角色名称",
        "headcount": "  这个角色有几个人？",
        "cost": "  每人每月成本",
        "goal": "目标：完成后会是什么样？（留空表示结束）",
        "metric": "  用哪个数字衡量（如 macro_f1、accuracy、paying_customers）？",
        "target": "  目标值",
        "no_target": "  SMART 目标需要一个数字。达到多少才算完成？",
        "direction": "  这个数字应当不低于（>=）还是不高于（<=）目标值？",
        "deadline": "  截止日期（YYYY-MM-DD）？",
        "no_deadline": "  SMART 目标需要一个截止日期（YYYY-MM-DD）。",
        "owner": "  由谁负责？（可选：{ids}）",
        "why": "  为什么这个目标对项目或客户很重要？",
        "route_model": "技术路线：微调哪个模型？",
        "route_data": "用哪个数据集（builtin:bbc-news，或 .csv/.jsonl 文件路径）？",
        "task": "任务：要完成什么？（留空表示结束）",
        "estimate": "  工作日：乐观、最可能、悲观（如 3 5 9）",
        "bad_estimate": "  请给出三个数字，且 乐观 <= 最可能 <= 悲观",
        "depends": "  哪些之前的任务必须先完成？（id，用逗号分隔；没有则留空：{ids}）",
        "risk": "一个{category}风险：可能出什么问题？（留空跳过）",
        "probability": "  发生的概率（0 到 1）",
        "impact": "  发生后的影响，1（轻微）到 5（致命）",
        "response": "  应对：avoid、transfer、mitigate、accept 还是 escalate？",
        "trigger": "  什么早期信号会表明它正在发生？",
        "cash": "预算：开始时银行里有多少现金？",
    },
}
CATEGORY_ZH = {"technical": "技术", "market": "市场", "resource": "资源", "legal": "法律"}
SECTIONS = ("name", "start", "business", "team", "goals", "routes", "tasks", "risks", "budget")

Prompt = Callable[..., Any]


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def _slug(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:24] or "task"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def _list(have: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return [x for x in have.get(key) or [] if isinstance(x, dict)]


def _next_monday(today: dt.date) -> dt.date:
    return today + dt.timedelta(days=(7 - today.weekday()) % 7 or 7)


class Interview:
    def __init__(
        self,
        ask: Prompt,
        say: Callable[[str], None],
        lang: str = "en",
        today: dt.date | None = None,
    ):
        self.ask, self.say, self.t = ask, say, ASK[lang]
        self.lang = lang
        self.today = today or dt.date.today()

    def _number(
        self,
        key: str,
        kind: type = float,
        default: Any = None,
        low: float | None = None,
        high: float | None = None,
        **fmt: Any,
    ) -> Any:
        while True:
            raw = str(self.ask(self.t[key].format(**fmt), default=default)).strip()
            try:
                value = kind(raw)
            except ValueError:
                self.say(f"  {raw!r}?")
                continue
            if (low is None or value >= low) and (high is None or value <= high):
                return value
            self.say(f"  {low} … {high}")

    def _date(self, key: str, default: str | None = None, retry: str | None = None) -> str:
        prompt = key
        while True:
            raw = str(self.ask(self.t[prompt], default=default or "")).strip()
            try:
                return dt.date.fromisoformat(raw).isoformat()
            except ValueError:
                prompt = retry or key

    def sections(self, have: dict[str, Any]) -> str:
        """YAML text for every section missing from `have` (a parsed plan, possibly empty)."""
        out: list[str] = []
        if "name" not in have:
            out.append(f"name: {_q(self.ask(self.t['name']))}")
        if "start" not in have:
            start = self._date("start", default=_next_monday(self.today).isoformat())
            out.append(f"start: {start}")
        if not have.get("business"):
            summary = self.ask(self.t["summary"])
            model = self.ask(self.t["model"], default="tool")
            while model not in ("platform", "tool", "service"):
                model = self.ask(self.t["model"], default="tool")
            out += ["", "business:", f"  model: {model}", f"  summary: {_q(summary)}"]
        roles = [str(r.get("id")) for r in _list(have, "team")]
        if not have.get("team"):
            out += ["", "team:                            # roles; their ids are the owners below"]
            while rid := str(self.ask(self.t["role"], default="")).strip():
                rid = _slug(rid, set(roles))
                roles.append(rid)
                title = self.ask(self.t["title"])
                heads = self._number("headcount", int, default="1", low=0)
                cost = self._number("cost", float, default="0", low=0)
                out.append(
                    f"  - {{id: {rid}, title: {_q(title)}, headcount: {heads}, "
                    f"monthly_cost: {cost:g}}}"
                )
        owner_ids = ", ".join(roles) or "-"
        goals = [str(g.get("id")) for g in _list(have, "goals")]
        metrics = {
            g.get("id"): g.get("metric") for g in have.get("goals") or [] if isinstance(g, dict)
        }
        if not have.get("goals"):
            out += [
                "",
                "goals:                           # SMART: a number, a date, an owner, a reason",
            ]
            n = 0
            while statement := str(self.ask(self.t["goal"], default="")).strip():
                n += 1
                gid = f"g-{n}"
                goals.append(gid)
                metric = str(self.ask(self.t["metric"], default="macro_f1")).strip()
                metrics[gid] = metric
                raw = str(self.ask(self.t["target"], default="")).strip()
                while not re.fullmatch(r"-?\d+(\.\d+)?", raw):
                    raw = str(self.ask(self.t["no_target"], default="")).strip()
                direction = str(self.ask(self.t["direction"], default=">=")).strip()
                direction = direction if direction in (">=", "<=") else ">="
                deadline = self._date("deadline", retry="no_deadline")
                owner = str(
                    self.ask(
                        self.t["owner"].format(ids=owner_ids), default=roles[0] if roles else ""
                    )
                ).strip()
                why = str(self.ask(self.t["why"], default="")).strip()
                out += [
                    f"  - id: {gid}",
                    f"    statement: {_q(statement)}",
                    f"    metric: {metric}",
                    f"    target: {raw}",
                    f'    direction: "{direction}"',
                    f"    deadline: {deadline}",
                ]
                if owner:
                    out.append(f"    owner: {owner}")
                if why:
                    out.append(f"    relevant_to: {_q(why)}")
        if not have.get("routes"):
            model = str(self.ask(self.t["route_model"], default="builtin:minilm-l6")).strip()
            data = str(self.ask(self.t["route_data"], default="builtin:bbc-news")).strip()
            measured = [str(gid) for gid, metric in metrics.items() if metric in METRICS]
            out += [
                "",
                "routes:                          # one is chosen; `ventureplan run` executes it",
                "  - id: main",
                "    chosen: true",
                "    task: text-classification",
                f"    model: {model}",
                f"    dataset: {{source: {_q(data)}}}",
                "    hyperparameters: {learning_rate: 1.0e-4, batch_size: 32, epochs: 3,"
                " max_length: 128, seed: 13}",
                f"    measures: [{', '.join(measured)}]",
            ]
        tasks = [str(t.get("id")) for t in _list(have, "tasks")]
        if not have.get("tasks"):
            out += [
                "",
                "tasks:                           # working days: optimistic, likely, pessimistic",
            ]
            taken = set(tasks)
            while name := str(self.ask(self.t["task"], default="")).strip():
                tid = _slug(name, taken)
                while True:
                    parts = str(self.ask(self.t["estimate"])).replace(",", " ").split()
                    try:
                        a, m, b = (float(x) for x in parts)
                    except ValueError:
                        self.say(self.t["bad_estimate"])
                        continue
                    if 0 <= a <= m <= b:
                        break
                    self.say(self.t["bad_estimate"])
                deps = [
                    d.strip()
                    for d in str(
                        self.ask(self.t["depends"].format(ids=", ".join(tasks) or "-"), default="")
                    ).split(",")
                    if d.strip() in tasks
                ]
                owner = roles[0] if roles else ""
                out += [f"  - id: {tid}", f"    name: {_q(name)}"] + (
                    [f"    owner: {owner}"] if owner else []
                )
                out += [
                    f"    estimate: {{optimistic: {a:g}, likely: {m:g}, pessimistic: {b:g}}}",
                    f"    depends_on: [{', '.join(deps)}]",
                ]
                tasks.append(tid)
        if not have.get("risks"):
            out += ["", "risks:                           # one line of thought per category"]
            for category in ("technical", "market", "resource", "legal"):
                label = CATEGORY_ZH[category] if self.lang == "zh" else category
                title = str(self.ask(self.t["risk"].format(category=label), default="")).strip()
                if not title:
                    continue
                p = self._number("probability", float, default="0.3", low=0, high=1)
                impact = self._number("impact", int, default="3", low=1, high=5)
                response = str(self.ask(self.t["response"], default="mitigate")).strip()
                if response not in ("avoid", "transfer", "mitigate", "accept", "escalate"):
                    response = "mitigate"
                trigger = str(self.ask(self.t["trigger"], default="")).strip()
                out += [
                    f"  - id: r-{category}",
                    f"    title: {_q(title)}",
                    f"    category: {category}",
                    f"    probability: {p:g}",
                    f"    impact: {impact}",
                    f"    response: {response}",
                ]
                if roles:
                    out.append(f"    owner: {roles[0]}")
                if trigger:
                    out.append(f"    trigger: {_q(trigger)}")
            if out[-1].startswith("risks:"):
                out[-1] = "risks: []"
        if not have.get("budget"):
            cash = self._number("cash", float, default="0", low=0)
            out += ["", "budget:", f"  cash: {cash:g}"]
        return "\n".join(out) + "\n"


HEADER = """# A ventureplan plan, written by `ventureplan workshop new`.
# Check it with `ventureplan check FILE`; see the numbers with `ventureplan analyze FILE`.
schema: ventureplan/1
language: {lang}
calendar: workdays               # workdays (Mon-Fri) | days
distribution: pert               # how three-point estimates are sampled
"""


def interview(path: Path, ask: Prompt, say: Callable[[str], None], lang: str = "en") -> None:
    """Write a new plan from the answers, or complete an existing one with the sections it
    lacks (what is there stays byte for byte). Nothing is written unless the result is a
    valid plan, and nothing at all if the answers run out."""
    if lang not in LANGUAGES:
        raise VenturePlanError(f"unknown language '{lang}'; choose one of: {', '.join(LANGUAGES)}")
    if path.exists():
        have, _ = read(path)
        planfile.append_sections(path, Interview(ask, say, lang).sections(have))
    else:
        body = Interview(ask, say, lang).sections({})
        planfile.create(path, HEADER.format(lang=lang) + body + "\nmeasured: []\n")
