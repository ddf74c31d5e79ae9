"""The report's SVG charts: well-formed, complete, deterministic, Chinese-capable, robust."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

from ventureplan.planner.analysis import analyze
from ventureplan.planner.load import load_plan, validate_data
from ventureplan.planner.riskscore import probability_bucket
from ventureplan.planner.source import parse
from ventureplan.plugins import charts

from bench.plangen import random_plan_yaml
from tests.planfactory import make_plan, milestone, task

STARTERS = Path(__file__).parents[2] / "templates" / "starters"
SVG = "{http://www.w3.org/2000/svg}"
CHARTS = ("gantt", "heatmap", "s_curve", "tornado", "cash")
ZH = {
    "gantt_title": "进度计划与关键路径",
    "critical": "关键",
    "other_tasks": "其他任务",
    "milestone": "里程碑",
    "finish": "完成",
    "p80_finish": "P80 完成日期",
    "phase_summary": "各阶段汇总与关键任务",
    "no_phase": "（未分阶段）",
    "heatmap_title": "风险矩阵（概率 × 影响）",
    "probability": "概率",
    "impact": "影响",
    "after_response": "应对后",
    "scurve_title": "在各日期前完成的概率",
    "finish_date": "完成日期",
    "cumulative_probability": "届时完成的概率",
    "with_measured_risks": "采用实测风险概率",
    "tornado_title": "影响完成日期的主要因素",
    "task": "任务",
    "risk": "风险",
    "rank_correlation": "与完成日期的秩相关系数",
    "cash_title": "每月现金",
    "cash": "现金",
    "spending": "支出",
    "revenue": "收入",
    "runway_end": "现金耗尽",
    "month": "月份",
    "values": {"low": "低", "medium": "中", "high": "高", "critical": "极高"},
}


def _analysis(path: Path):
    return analyze(load_plan(path).plan, iterations=2000)


@pytest.fixture(scope="module")
def en():
    return _analysis(STARTERS / "newslens.en.yaml")


@pytest.fixture(scope="module")
def zh():
    return _analysis(STARTERS / "newslens.zh.yaml")


@pytest.fixture(scope="module")
def big():
    data, source = parse(random_plan_yaml(500), "random.yaml")
    return analyze(validate_data(data, source).plan, iterations=2000)


def draw(name: str, analysis, labels=None) -> ET.Element:
    svg = getattr(charts, name)(analysis, {} if labels is None else labels)
    assert svg.startswith("<svg") and "<!DOCTYPE" not in svg
    root = ET.fromstring(svg)
    assert root.get("viewBox") and root.get("width", "").endswith("pt")
    return root


def texts(element: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in element.iter(f"{SVG}text")]


def by_id(root: ET.Element, gid: str) -> ET.Element:
    found = [e for e in root.iter() if e.get("id") == gid]
    assert len(found) == 1, gid
    return found[0]


@pytest.mark.parametrize("name", CHARTS)
@pytest.mark.parametrize("plan", ["en", "zh", "big"])
def test_every_chart_is_well_formed_svg(name, plan, request):
    labels = ZH if plan == "zh" else {}
    root = draw(name, request.getfixturevalue(plan), labels)
    assert texts(root)
    # every label readable on paper: the figure is drawn at the page's width, 1 unit = 1 pt
    sizes = [float(s) for s in re.findall(r"font-size: ([\d.]+)px", ET.tostring(root, "unicode"))]
    assert min(sizes) >= 7


def test_gantt_draws_one_bar_per_task_and_names_the_critical_path(en):
    root = draw("gantt", en)
    ids = {e.get("id") for e in root.iter() if (e.get("id") or "").startswith("task-")}
    assert ids == {f"task-{t.id}" for t in en.plan.tasks}
    shown = texts(root)
    for t in en.schedule.tasks:
        if t.critical:
            name = t.name or t.id
            assert any(s == name or (s.endswith("…") and name.startswith(s[:-1])) for s in shown)
    assert any(str(en.schedule.finish_date) in s for s in shown)
    assert any(str(en.date(en.simulation.finish["p80"])) in s for s in shown)


def test_large_gantt_summarises_phases_and_keeps_critical_tasks(big):
    root = draw("gantt", big, {"phase_summary": "Phase summary"})
    shown = texts(root)
    assert any("Phase summary" in s for s in shown)
    assert {f"phase-{k}" for k in range(5)} <= set(shown)
    bars = [e for e in root.iter() if (e.get("id") or "").startswith("task-")]
    critical = {f"task-{t.id}" for t in big.schedule.tasks if t.critical}
    assert bars and {b.get("id") for b in bars} <= critical
    assert len(bars) + 5 <= charts.MAX_ROWS


def test_gantt_groups_tasks_without_a_phase():
    tasks = [task(f"t{i}", 1, 2, 3, [f"t{i - 1}"] if i else []) for i in range(45)]
    for t in tasks[:20]:
        t["phase"] = "Build"
    root = draw("gantt", analyze(make_plan(tasks), iterations=200), {"no_phase": "Unphased"})
    assert {"Build", "Unphased"} <= set(texts(root))


def test_heatmap_puts_each_risk_in_its_cell(en):
    root = draw("heatmap", en)
    cells: dict[tuple[int, int], list[str]] = {}
    for r in en.risks:
        cells.setdefault((probability_bucket(r.probability), r.impact), []).append(r.id)
    for (b, i), ids in cells.items():
        lines = texts(by_id(root, f"cell-{b}-{i}"))
        assert lines[0] == str(len(ids))
        assert lines[1:] == ids[:3]
    residual = {(probability_bucket(r.residual_probability), r.residual_impact) for r in en.risks}
    assert {(b, i) for b in range(1, 6) for i in range(1, 6) if any(
        e.get("id") == f"after-{b}-{i}" for e in root.iter())} == residual  # fmt: skip
    shown = texts(root)
    assert {"≤10%", "10–30%", "30–50%", "50–70%", ">70%"} <= set(shown)


def test_s_curve_marks_p50_and_p80_dates(en):
    shown = " ".join(texts(draw("s_curve", en)))
    for p in ("p50", "p80"):
        assert str(en.date(en.simulation.finish[p])) in shown


def test_s_curve_adds_the_measured_curve(en):
    shifted = [(f + 5, q) for f, q in en.simulation.s_curve]
    measured = dataclasses.replace(en.simulation, s_curve=shifted)
    both = dataclasses.replace(en, evidence_simulation=measured)
    shown = texts(draw("s_curve", both, {"with_measured_risks": "Measured risks"}))
    assert "Measured risks" in shown
    assert "Measured risks" not in texts(draw("s_curve", en, {"with_measured_risks": "x"}))


def test_tornado_names_the_top_driver(en):
    top = max(en.simulation.sensitivity, key=lambda s: abs(s.rho))
    names = {t.id: t.name for t in en.plan.tasks} | {r.id: r.title for r in en.plan.risks}
    label = names[top.id]
    shown = texts(draw("tornado", en))
    assert any(label.startswith(s.rstrip("…")) and len(s) <= 45 for s in shown)
    assert f"{top.rho:+.2f}" in " ".join(shown)


def test_cash_names_the_currency_and_formats_thousands(en, zh):
    shown = texts(draw("cash", en))
    assert "USD" in shown and any(re.fullmatch(r"\d{1,3}(,\d{3})+", s) for s in shown)
    assert "CNY" in texts(draw("cash", zh, ZH))


def test_cash_marks_the_runway_end():
    plan = make_plan([task("a", 5, 10, 20)], budget={"cash": 25000})
    a = analyze(plan, iterations=200)
    assert a.budget.cash_out_date is not None
    shown = " ".join(texts(draw("cash", a, {"runway_end": "Broke"})))
    assert f"Broke {a.budget.cash_out_date}" in shown


@pytest.mark.parametrize("name", CHARTS)
def test_chinese_text_names_a_cjk_font(zh, name):
    if "Noto Sans CJK SC" not in {f.name for f in charts.font_manager.fontManager.ttflist}:
        pytest.skip("fonts-noto-cjk is not installed")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns of each glyph no font can draw
        svg = getattr(charts, name)(zh, ZH)
    assert re.search(r"[\u4e00-\u9fff]", " ".join(texts(ET.fromstring(svg))))
    assert "font-family: 'Noto Sans CJK SC', 'DejaVu Sans'" in svg


def test_english_charts_need_no_cjk_font(en):
    assert "CJK" not in charts.gantt(en, {})


@pytest.mark.slow  # WeasyPrint subsets the large CJK font
def test_chinese_survives_into_the_pdf(zh, tmp_path):
    weasyprint = pytest.importorskip("weasyprint")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    html = f"<html><body><h1>Gantt</h1>{charts.gantt(zh, ZH)}</body></html>"
    pdf = tmp_path / "chart.pdf"
    weasyprint.HTML(string=html).write_pdf(pdf)
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    text = re.sub(r"\s+", "", out.stdout)
    assert ZH["gantt_title"] in text
    assert "正式发布" in text  # the launch milestone's name from the plan
    if shutil.which("pdffonts"):  # the Chinese was drawn with a CJK font, not as empty boxes
        fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
        assert "Noto-Sans-CJK" in fonts or "NotoSansCJK" in fonts


HOSTILE = [
    "<script>alert('x')</script>",
    "A & B \"quoted\" 'single' ]]> <![CDATA[ x",
    "x" * 10_000,
    "$5 for $x^2$ \\frac{",
    "bell\x07 nul\x00 escape\x1b[31m",
    "line\nbreak\ttab",
    "长" * 500,
]


def test_hostile_text_stays_inside_well_formed_xml():
    tasks = []
    for i, name in enumerate(HOSTILE):
        t = task(f"t{i}", 1, 2, 4 + i, [f"t{i - 1}"] if i else [])
        tasks.append({**t, "name": name, "phase": name})
    risks = [
        {
            "id": "r1",
            "title": "<b>&amp;</b>" + "y" * 5000,
            "category": "technical",
            "probability": 0.5,
            "impact": 3,
            "affects": ["t2"],
            "schedule_impact": {"low": 1, "likely": 3, "high": 9},
        }
    ]
    plan = make_plan(tasks, risks, name="<svg onload=alert(1)>", currency="<&>")
    a = analyze(plan, iterations=300)
    labels = {"gantt_title": "<i>&</i>", "cash": "]]>"}
    for name in CHARTS:
        root = draw(name, a, labels)
        assert not [e for e in root.iter() if e.tag.rpartition("}")[2] in ("script", "i", "b")]
        shown = texts(root)
        assert max(len(s) for s in shown) <= 46
        assert not any(re.search("[\x00-\x08\x0b-\x1f]", s) for s in shown)
    shown = texts(draw("gantt", a, labels))
    assert "<script>alert('x')</script>" in shown  # escaped, not dropped
    assert "x" * 39 + "…" in shown
    assert "长" * 19 + "…" in shown  # wide characters count double
    assert "$5 for $x^2$ \\frac{" in shown  # no TeX
    assert "<&>" in texts(draw("cash", a, labels))


def test_same_input_same_bytes(en):
    again = analyze(en.plan, iterations=2000)
    for name in CHARTS:
        assert getattr(charts, name)(en, {}) == getattr(charts, name)(again, {})


DEGENERATE = {
    "no tasks": make_plan([]),
    "one milestone": make_plan([milestone("m")]),
    "zero variance": make_plan([task("a", 5, 5, 5), task("b", 3, 3, 3, ["a"])], team=[]),
    "zero duration": make_plan([task("a", 0, 0, 0)], team=[], budget={"cash": 0}),
    "no risks, no budget": make_plan([task("a", 1, 2, 3), milestone("m", ["a"])], team=[]),
}


@pytest.mark.parametrize("case", DEGENERATE)
def test_degenerate_plans_render(case):
    a = analyze(DEGENERATE[case], iterations=200)
    for name in CHARTS:
        draw(name, a)
    if not a.simulation.sensitivity:
        assert "Nothing varies" in texts(draw("tornado", a, {"no_drivers": "Nothing varies"}))


def test_no_drivers_and_no_months(en):
    bare = dataclasses.replace(
        en,
        simulation=dataclasses.replace(en.simulation, sensitivity=[]),
        budget=dataclasses.replace(en.budget, months=[], cash_out_date=None),
    )
    assert "No uncertain tasks or risks" in texts(draw("tornado", bare))
    assert "USD" in texts(draw("cash", bare))


def test_zero_variance_s_curve_is_one_step():
    a = analyze(DEGENERATE["zero variance"], iterations=200)
    finish = str(a.date(a.simulation.finish["p50"]))
    shown = texts(draw("s_curve", a))
    assert f"P50 {finish}" in shown and f"P80 {finish}" in shown
