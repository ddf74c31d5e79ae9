"""A Chinese plan is Chinese throughout: every lint message and fix hint has a Chinese text
(templates/labels.yaml, `lints:`), a zh plan's findings use it, and the zh report, read back
with pdftotext, holds no English lint text. The English texts stay as they were; month
words read "第 12 个月"; Chinese headings wrap only between phrases."""

from __future__ import annotations

import io
import re
import shutil
import string
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from ventureplan.planner import pipeline
from ventureplan.planner.plugin_manager import FIX_PLUGIN, failure
from ventureplan.planner.report import labels, localized, phrase

STARTERS = Path(__file__).parents[2] / "templates" / "starters"
CJK = re.compile("[\u4e00-\u9fff]")
WORDS = {"and", "none", "nothing", "data-set", "service", "text", "label", "more-times"}


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def english_fragments() -> list[str]:
    """The English lint catalogue cut at its placeholders: the words that only a lint says."""
    out = []
    for key, template in labels("en")["lints"].items():
        if key in WORDS:
            continue
        text = str(template).replace("{{", "").replace("}}", "")
        for part in re.split(r"\{[^{}]*\}", text):
            part = part.strip(" '`.,;:()")
            if len(part) >= 8 and re.search("[a-z]{3}", part):
                out.append(part)
    return sorted(set(out))


def test_every_lint_text_has_a_chinese_text_with_the_same_placeholders():
    en, zh = labels("en")["lints"], labels("zh")["lints"]
    assert set(en) == set(zh)
    for key in en:
        assert _fields(str(en[key])) == _fields(str(zh[key])), key
        if key not in WORDS:
            assert CJK.search(str(zh[key])), key


def test_the_english_fallbacks_are_the_plugin_managers_words():
    en = labels("en")["lints"]
    assert en["fallback.plugin-fix"] == FIX_PLUGIN
    f = failure("outside", ValueError("boom"))
    assert f.message == en["fallback.plugin-raised"].format(
        plugin="outside", error="ValueError: boom"
    )
    (zh,) = localized([f], "zh")
    assert zh.message == "插件“outside”出错：ValueError: boom"
    assert zh.hint == labels("zh")["lints"]["fallback.plugin-fix"]
    assert localized([f], "en") == [f]


def lint_heavy(lang: str) -> dict:
    """The newslens starter, broken in every way a lint can see."""
    data = YAML(typ="safe", pure=True).load((STARTERS / f"newslens.{lang}.yaml").read_text("utf-8"))
    goals, risks, routes = data["goals"], data["risks"], data["routes"]
    goals[0]["statement"] = "短目标" if lang == "zh" else "Be good"
    goals[0]["deadline"] = "2027-01-15"
    del goals[1]["metric"]
    for key in ("owner", "relevant_to", "deadline"):
        del goals[2][key]
    goals[3]["deadline"] = "2027-01-20"
    goals[3]["delivered_by"] = data["tasks"][-1]["id"]
    for route in routes:
        route["measures"] = [m for m in route["measures"] if m != goals[0]["id"]]
    routes[0]["dataset"].update(personal_data=True, source="data/missing.csv")
    routes[0]["serve"]["personal_data"] = True
    routes.append(
        {"id": "img", "chosen": False, "task": "image-gen", "model": "x/y",
         "dataset": {"source": "builtin:bbc-news"}}
    )  # fmt: skip
    for key in ("owner", "response", "residual"):
        risks[0].pop(key, None)
    risks[1].update(response="accept", probability=0.8, impact=5)
    risks[1].pop("trigger", None)
    risks[1].pop("residual", None)
    for r in risks:
        if r["category"] == "legal":
            r["category"] = "technical"
    risks.append(
        {"id": "r-legal", "title": "法规变化" if lang == "zh" else "Regulation changes",
         "category": "market", "probability": 0.2, "impact": 2, "owner": "founder",
         "response": "accept"}
    )  # fmt: skip
    data["stack"].append({"name": "FooData", "kind": "dataset", "licence": "non-commercial"})
    data["budget"]["cash"] = 20000
    return data


def write_plan(folder: Path, lang: str, language: str | None = None) -> Path:
    data = lint_heavy(lang)
    data["language"] = language or lang
    path = folder / f"heavy.{lang}.yaml"
    buf = io.StringIO()
    YAML().dump(data, buf)
    path.write_text(buf.getvalue(), "utf-8")
    return path


EXPECTED = {
    "goal-vague", "goal-no-metric", "goal-unmeasured", "goal-no-owner", "goal-no-relevance",
    "goal-no-deadline", "risk-no-owner", "risk-no-response", "risk-accepted-blind",
    "risk-affects-nothing", "deadline-before-p80", "cash-out-before-p80",
    "licence-non-commercial", "privacy-no-legal-risk", "privacy-no-dpia",
    "privacy-no-retention", "unknown-route-kind", "data-missing",
}  # fmt: skip


@pytest.fixture(scope="module")
def heavy(tmp_path_factory):
    folder = tmp_path_factory.mktemp("heavy")
    return {lang: write_plan(folder, lang) for lang in ("en", "zh")}


def test_a_chinese_plan_gets_every_lint_in_chinese(heavy):
    found = pipeline.check(heavy["zh"], iterations=300).findings
    assert {f.code for f in found} == EXPECTED
    fragments = english_fragments()
    for f in found:
        assert CJK.search(f.message) and CJK.search(f.hint or ""), f
        for text in (f.message, f.hint):
            assert not [p for p in fragments if p in (text or "")], f


def test_the_same_findings_speak_english_in_an_english_report(heavy, tmp_path):
    """The zh plan's findings, localized to English, are what the same plan says with
    `language: en` (whose English is the catalogue's, unchanged)."""
    zh = pipeline.check(heavy["zh"], iterations=300).findings
    as_en = write_plan(tmp_path, "zh", language="en")
    en = pipeline.check(as_en, iterations=300).findings
    said = [(f.code, f.where, f.message, f.hint) for f in localized(zh, "en")]
    expected = [(f.code, f.where, f.message, f.hint) for f in en]
    as_is = lambda s: s.replace(str(as_en.parent), str(heavy["zh"].parent))  # noqa: E731
    assert said == [(c, w, as_is(m), h and as_is(h)) for c, w, m, h in expected]
    assert "goal 'g-cost' has no metric" in [m for _, _, m, _ in said]


def test_an_english_plan_reported_in_chinese_has_chinese_lints(heavy):
    report = pipeline.report(heavy["en"], lang="zh", iterations=300)
    md = pipeline.render(report, "md").decode()
    assert "目标“g-train-time”没有负责人" in md
    assert "goal 'g-train-time' has no owner" not in md
    assert [f.code for f in report.findings if f.code == "goal-no-owner"]


def test_month_words_read_as_chinese(tmp_path):
    report = pipeline.report(STARTERS / "newslens.zh.yaml", iterations=300)
    assert report.analysis.budget.break_even_month is not None
    n = report.analysis.budget.break_even_month
    md = pipeline.render(report, "md").decode()
    assert f"第 {n} 个月" in md and not re.search(r"月份 ?\d", md)
    assert "（工作日）" in md  # P80 time saved (workdays), as a heading
    english = pipeline.report(STARTERS / "newslens.en.yaml", iterations=300)
    en = pipeline.render(english, "md").decode()
    assert f"Month {english.analysis.budget.break_even_month}" in en and "(workdays)" in en


def test_chinese_headings_wrap_only_between_phrases():
    assert phrase("Probability × Impact") == "Probability × Impact"
    assert str(phrase(labels("zh")["probability_impact"])) == (
        '<span class="nowrap">概率\u00a0×\u00a0影响</span>'
    )
    assert str(phrase("参数（百万）")) == (
        '<span class="nowrap">参数</span><wbr><span class="nowrap">（百万）</span>'
    )
    assert str(phrase("P80 节省时间（工作日）")) == (
        '<span class="nowrap">P80</span> <span class="nowrap">节省时间</span><wbr>'
        '<span class="nowrap">（工作日）</span>'
    )
    assert str(phrase("<b>影响")) == '<span class="nowrap">&lt;b&gt;影响</span>'


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils)")
def test_the_zh_report_pdf_holds_no_english_lint_text(heavy, tmp_path):
    pytest.importorskip("weasyprint")
    pytest.importorskip("matplotlib")
    report = pipeline.report(heavy["zh"], iterations=300)
    assert {f.code for f in report.findings} == EXPECTED
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(pipeline.render(report, "pdf"))
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True
    ).stdout.decode("utf-8")
    text = " ".join(out.split())
    squeezed = "".join(out.split())  # a Chinese line may wrap anywhere
    assert [p for p in english_fragments() if p in text] == []
    assert not re.search(r"\bline \d", text)  # the findings' "line 12" is "第 12 行"
    for said in ("目标“g-train-time”没有负责人", "风险r-legal不影响任何任务或成本"):
        assert "".join(said.split()) in squeezed
