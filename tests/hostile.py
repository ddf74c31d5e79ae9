"""A plan written to break renderers: markup, URLs, Mermaid syntax, emoji, a huge name."""

from __future__ import annotations

from typing import Any

from ventureplan.planner.model import Plan

SCRIPT = "<script>alert('pwned')</script>"
IMG = '<img src="file:///etc/passwd">'
LINK = '<link rel="stylesheet" href="http://example.com/evil.css">'
STYLE = '<div style="background: url(file:///etc/shadow)">styled</div>'
MERMAID = 'Train: the "big" model; #1 [fast] (v2) {x} | a --> b %% end'
EMOJI = "Launch 🚀 发布 🎉"
CHINESE = "中文任务：数据标注（第一阶段）"
HUGE = "Long" + "g" * 9_996  # a 10,000-character name


def hostile_plan(**overrides: Any) -> Plan:
    tasks = [
        {
            "id": "t-script",
            "name": SCRIPT,
            "owner": "eng",
            "phase": IMG,
            "estimate": {"optimistic": 2, "likely": 3, "pessimistic": 5},
        },
        {
            "id": "t-link",
            "name": LINK,
            "owner": "eng",
            "depends_on": ["t-script"],
            "estimate": {"optimistic": 1, "likely": 2, "pessimistic": 4},
        },
        {
            "id": "t.mermaid",
            "name": MERMAID,
            "owner": "eng",
            "depends_on": ["t-script"],
            "phase": MERMAID,
            "estimate": {"optimistic": 3, "likely": 4, "pessimistic": 9},
        },
        {
            "id": "t_cn",
            "name": CHINESE,
            "owner": "eng",
            "depends_on": ["t-link", "t.mermaid"],
            "phase": "阶段：二",
            "estimate": {"optimistic": 1, "likely": 1, "pessimistic": 2},
        },
        {"id": "end", "name": EMOJI, "milestone": True, "depends_on": ["t_cn"]},
    ]
    data: dict[str, Any] = {
        "schema": "ventureplan/1",
        "name": HUGE,
        "start": "2027-01-04",
        "business": {
            "model": "tool",
            "summary": STYLE,
            "market": {
                "trends": [SCRIPT],
                "customers": [IMG],
                "competitors": [{"name": LINK, "strengths": STYLE, "weaknesses": MERMAID}],
            },
        },
        "team": [
            {
                "id": "eng",
                "title": SCRIPT,
                "headcount": 2,
                "monthly_cost": 10000,
                "responsibilities": [LINK],
            }
        ],
        "stack": [{"name": IMG, "kind": "tool", "licence": "MIT"}],
        "goals": [
            {
                "id": "g",
                "statement": STYLE + " reach macro-F1 0.9 on the test set",
                "metric": "macro_f1",
                "target": 0.9,
                "deadline": "2027-06-30",
                "owner": "eng",
                "relevant_to": LINK,
            }
        ],
        "routes": [
            {
                "id": "r",
                "chosen": True,
                "model": "builtin:minilm-l6",
                "dataset": {"source": "d.csv"},
                "measures": ["g"],
                "description": SCRIPT,
            }
        ],
        "tasks": tasks,
        "risks": [
            {
                "id": "r1",
                "title": MERMAID,
                "category": "technical",
                "probability": 0.4,
                "impact": 4,
                "affects": ["t.mermaid"],
                "schedule_impact": {"low": 1, "likely": 2, "high": 5},
                "response": "mitigate",
                "owner": "eng",
                "trigger": SCRIPT,
                "mitigation": IMG,
            },
            {
                "id": "r2",
                "title": EMOJI + " " + CHINESE,
                "category": "legal",
                "probability": 0.4,
                "impact": 4,
                "response": "accept",
                "owner": "eng",
                "trigger": LINK,
            },
        ],
        "budget": {
            "cash": 500000,
            "items": [
                {"id": "i1", "category": SCRIPT, "amount": 1000},
                {"id": "i2", "category": MERMAID, "amount": 500},
            ],
        },
    }
    data.update(overrides)
    return Plan.model_validate(data)
