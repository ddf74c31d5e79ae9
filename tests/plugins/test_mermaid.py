"""Every diagram the tool emits goes through the real Mermaid parser (tests/mermaid/check.mjs)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from ventureplan.planner.analysis import analyze
from ventureplan.planner.load import load_plan, validate_data
from ventureplan.planner.pipeline import diagrams
from ventureplan.planner.plugin_manager import get_plugin_manager
from ventureplan.planner.report import labels
from ventureplan.planner.source import parse
from ventureplan.plugins.mermaid import _clip, entities, gantt_label

from bench.plangen import random_plan_yaml
from tests.conftest import GOOD
from tests.hostile import CHINESE, EMOJI, MERMAID, SCRIPT, hostile_plan
from tests.mermaid_check import check
from tests.planfactory import make_plan, task

STARTERS = GOOD.parent.parent.parent / "templates" / "starters"


def random_plan(n):
    data, source = parse(random_plan_yaml(n, seed=n), "random.yaml")
    return validate_data(data, source).plan


def levelled_plan(n):
    data, source = parse(random_plan_yaml(n, seed=n), "random.yaml")
    roles = [("data", 1), ("ml", 2), ("eng", 2)]
    data["team"] = [{"id": r, "title": r, "headcount": h, "monthly_cost": 1000} for r, h in roles]
    for i, t in enumerate(data["tasks"]):
        t["owner"] = roles[i % 3][0]
    for item in data["goals"] + data["risks"]:
        item["owner"] = "eng"
    data["schedule"] = "leveled"
    return validate_data(data, source).plan


def progress_plan():
    five = {"optimistic": 5, "likely": 5, "pessimistic": 8}
    return make_plan(
        [
            {"id": "a", "name": "Done", "estimate": five, "actual_start": "2027-01-04",
             "actual_finish": "2027-01-12"},
            {"id": "b", "name": "Going", "depends_on": ["a"], "estimate": five,
             "actual_start": "2027-01-13", "remaining": {"optimistic": 1, "likely": 2, "pessimistic": 4}},
            {"id": "c", "name": "Next", "depends_on": ["b"], "estimate": five},
            {"id": "m", "name": "Ship", "milestone": True, "depends_on": ["c"]},
        ],
        status_date="2027-01-15",
    )  # fmt: skip


def plans():
    yield "newslens-en", load_plan(STARTERS / "newslens.en.yaml").plan, "en"
    yield "newslens-zh", load_plan(STARTERS / "newslens.zh.yaml").plan, "zh"
    yield "minimal-en", load_plan(STARTERS / "minimal.en.yaml").plan, "en"
    yield "minimal-zh", load_plan(STARTERS / "minimal.zh.yaml").plan, "zh"
    yield "measured", load_plan(GOOD / "measured.yaml").plan, "en"
    yield "one-task", make_plan([task("only", 1, 2, 3)]), "en"
    yield "random-50", random_plan(50), "en"
    yield "random-500", random_plan(500), "en"
    yield "hostile", hostile_plan(), "en"
    yield "hostile-days", hostile_plan(calendar="days"), "zh"
    yield "levelled-60", levelled_plan(60), "en"
    yield "progress", progress_plan(), "en"


@pytest.fixture(scope="module")
def emitted():
    pm = get_plugin_manager()
    out, analyses = {}, {}
    for name, plan, lang in plans():
        a = analyze(plan, iterations=300, pm=pm)
        analyses[name] = a
        for kind, text in diagrams(a, labels(lang), pm).items():
            out[f"{name}/{kind}"] = text
    return out, analyses, check(out)


def test_every_emitted_diagram_passes_the_mermaid_parser(emitted):
    texts, _, results = emitted
    assert len(texts) == 48
    bad = {k: v["error"] for k, v in results.items() if not v["ok"]}
    assert bad == {}
    assert {v["type"] for v in results.values()} == {
        "gantt",
        "flowchart-v2",
        "quadrantChart",
        "pie",
    }


def _next_workday(day: dt.date) -> dt.date:
    return dt.date.fromisoformat(str(np.busday_offset(np.datetime64(day), 1, roll="forward")))


@pytest.mark.parametrize(
    "name",
    [
        "newslens-en",
        "newslens-zh",
        "minimal-en",
        "random-50",
        "random-500",
        "hostile",
        "levelled-60",
        "progress",
    ],
)
def test_gantt_dates_agree_with_the_schedule(emitted, name):
    """Mermaid computes its own dates from `after` and durations; they must be ours."""
    texts, analyses, results = emitted
    a = analyses[name]
    tasks = {t["task"]: t for t in results[f"{name}/gantt"]["tasks"]}
    assert len(results[f"{name}/gantt"]["tasks"]) == len(a.plan.tasks)
    crit = set(a.schedule.critical_path)
    names = {t.id: t.name or t.id for t in a.plan.tasks}
    seen_crit = set()
    for t in a.schedule.tasks:
        got = tasks[_clip(names[t.id])]
        if t.milestone:
            assert got["start"] == _next_workday(t.finish_date).isoformat() or (
                t.early_finish == 0 and got["start"] == t.start_date.isoformat()
            )
        else:
            assert got["start"] == t.start_date.isoformat(), t.id
            assert got["end"] == _next_workday(t.finish_date).isoformat(), t.id
        assert got["milestone"] is t.milestone
        if got["crit"]:
            seen_crit.add(t.id)
    assert seen_crit == crit  # crit on exactly the computed critical path


def test_hostile_text_comes_back_as_written(emitted):
    texts, _, results = emitted
    labels_back = {t["task"] for t in results["hostile/gantt"]["tasks"]}
    assert {_clip(SCRIPT), _clip(MERMAID), _clip(CHINESE), _clip(EMOJI)} <= labels_back
    assert results["hostile/gantt"]["unresolved_after"] == []


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("a:b", "a#58;b"),
        ("#1; x", "#35;1#59; x"),
        ('say "hi"', "say #34;hi#34;"),
        ("[x](y)", "#91;x#93;#40;y#41;"),
        ("100% a|b", "100#37; a#124;b"),
        ("中文 🚀", "中文 🚀"),
        ("tab\there", "tab here"),
        ("bell\x07", "bell"),
    ],
)
def test_entities(text, escaped):
    assert entities(text) == escaped


@pytest.mark.parametrize(
    "word",
    [
        "Title page",
        "section 2",
        "Excludes nothing",
        "weekday monday sync",
        "2027 plan",
        "click here",
    ],
)
def test_gantt_labels_that_look_like_statements_are_escaped(word):
    label = gantt_label(word)
    assert label.startswith("#") and label[label.index(";") + 1 :] == word[1:]


def test_each_tricky_label_parses_in_every_diagram_type():
    tricky = [
        ":",
        "#",
        ";",
        '"',
        "[brackets]",
        "(parens)",
        "{braces}",
        "emoji 🚀",
        "中文：测试",
        "a --> b",
        "%% c",
        "Title",
        "end",
        "back\\slash",
        "`tick`",
        "<b>bold</b>",
        "comma, here",
    ]
    risks = [
        {"id": f"r{i}", "title": t, "category": "market", "probability": 0.3, "impact": 2}
        for i, t in enumerate(tricky)
    ]
    tasks = [{**task(f"t{i}", 1, 2, 3), "name": t, "phase": t} for i, t in enumerate(tricky)]
    items = [{"id": f"i{i}", "category": t, "amount": 100 + i} for i, t in enumerate(tricky)]
    plan = make_plan(tasks, risks, budget={"cash": 1000, "items": items})
    pm = get_plugin_manager()
    texts = diagrams(analyze(plan, iterations=100, pm=pm), labels("en"), pm)
    results = check(texts)
    assert {k: v["error"] for k, v in results.items() if not v["ok"]} == {}
    assert sorted(t["task"] for t in results["gantt"]["tasks"]) == sorted(tricky)


def test_roadmap_draws_from_the_same_simulation_as_the_report(cli, small_plan):
    """`roadmap` takes the report's iterations and seed (it hard-coded 2,000 before, so its
    budget pie disagreed with the report's)."""
    from ventureplan.planner import pipeline

    for args, iterations, seed in (((), 10_000, 0), (("-n", "300", "--seed", "5"), 300, 5)):
        code, out, err = cli("roadmap", small_plan, "--diagram", "budget", *args)
        assert code == 0, err
        made = pipeline.report(small_plan, iterations=iterations, seed=seed)
        assert out == made.diagrams["budget"]
    code, a, _ = cli("roadmap", small_plan, "-d", "budget", "-n", "300", "--seed", "5")
    code, b, _ = cli("roadmap", small_plan, "-d", "budget", "-n", "300", "--seed", "6")
    assert a != b  # the pie's numbers do come from the simulation


def test_gantt_sections_follow_the_order_the_plan_names_phases():
    """As the PDF's gantt does: the plan names launch first, though its tasks come last in
    the schedule, so launch is the first section; `after` may name a later task."""
    plan = make_plan(
        [
            {**task("ship", 2, 3, 4, ["build"]), "name": "Ship it", "phase": "launch"},
            {**task("spec", 1, 2, 3), "name": "Write the spec", "phase": "research"},
            {**task("build", 4, 5, 6, ["spec"]), "name": "Build it", "phase": "development"},
            {
                "id": "m",
                "name": "Launched",
                "milestone": True,
                "depends_on": ["ship"],
                "phase": "launch",
            },
            {**task("notes", 1, 1, 1, ["spec"]), "name": "Release notes"},
        ]
    )
    pm = get_plugin_manager()
    a = analyze(plan, iterations=100, pm=pm)
    assert a.network.ids == ["spec", "build", "notes", "ship", "m"]  # research first
    text = diagrams(a, labels("en"), pm)["gantt"]
    sections = [line.split("section ", 1)[1] for line in text.splitlines() if "section " in line]
    assert sections == ["launch", "research", "development", "#40;no phase#41;"]
    result = check({"gantt": text})["gantt"]
    assert result["ok"], result["error"]
    assert result["unresolved_after"] == []
    got = {t["task"]: (t["section"], t["start"], t["end"]) for t in result["tasks"]}
    assert got == {  # Mermaid's own dates, end exclusive: the schedule's, from 2027-01-04
        "Ship it": ("launch", "2027-01-13", "2027-01-18"),
        "Launched": ("launch", "2027-01-18", "2027-01-18"),
        "Write the spec": ("research", "2027-01-04", "2027-01-06"),
        "Build it": ("development", "2027-01-06", "2027-01-13"),
        "Release notes": ("(no phase)", "2027-01-06", "2027-01-07"),
    }
