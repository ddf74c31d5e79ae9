"""Reports in every format: contents, languages, and safety with someone else's plan."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from ventureplan.planner.analysis import analyze, to_dict
from ventureplan.planner.load import LoadedPlan, load_plan
from ventureplan.planner.pipeline import render
from ventureplan.planner.pipeline import report as build_report
from ventureplan.planner.source import SourceMap

from tests.conftest import GOOD
from tests.hostile import CHINESE, HUGE, IMG, LINK, MERMAID, SCRIPT, STYLE, hostile_plan

STARTERS = GOOD.parent.parent.parent / "templates" / "starters"
needs_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="needs poppler-utils"
)


def report_of(plan_path, lang=None, iterations=2000):
    return build_report(load_plan(plan_path), lang=lang, iterations=iterations)


def hostile_report(lang="en"):
    return build_report(
        LoadedPlan(hostile_plan(), {}, SourceMap("hostile.yaml")), lang=lang, iterations=500
    )


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def pdf_pages(pdf: bytes) -> int:
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def test_json_report_is_the_analysis_plus_the_plan():
    r = report_of(GOOD / "measured.yaml")
    doc = json.loads(render(r, "json"))
    assert doc["analysis"] == json.loads(
        json.dumps(to_dict(analyze(r.plan, iterations=2000)), default=str)
    )
    assert doc["plan"]["schema"] == "ventureplan/1" and doc["plan"]["tasks"][1]["depends_on"] == [
        "data"
    ]
    assert set(doc["diagrams"]) == {"gantt", "flow", "risks", "budget"}


def test_markdown_report_has_fenced_mermaid_and_every_section():
    text = render(report_of(STARTERS / "newslens.en.yaml"), "md").decode()
    assert text.count("```mermaid\n") == 4
    for heading in (
        "## Summary",
        "## SMART goals",
        "## Team and budget",
        "## Schedule",
        "## Risk register",
        "## Monte Carlo simulation",
        "## Technical route",
    ):
        assert heading in text
    assert (
        "| Interview 15 media-monitoring firms" in text
        or "**Interview 15 media-monitoring firms" in text
    )


def test_markdown_escapes_hostile_text():
    text = render(hostile_report(), "md").decode()
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "<img" not in text and "<link" not in text
    # a pipe in a name must not open a new table column
    row = next(ln for ln in text.splitlines() if "Train" in ln and ln.startswith("|"))
    assert "\\|" in row


def test_html_report_shows_hostile_text_literally():
    html = render(hostile_report(), "html").decode()
    for raw in (SCRIPT, IMG, LINK, STYLE):
        assert raw not in html
    assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in html
    assert html.count("<script") == 0 and html.count("<img") == 0 and "<link" not in html
    assert html.count("<svg") >= 5  # the charts are inline


def test_zh_labels_in_html():
    html = render(report_of(STARTERS / "newslens.zh.yaml"), "html").decode()
    for word in (
        "摘要",
        "SMART 目标",
        "团队与预算",
        "进度计划",
        "风险登记册",
        "蒙特卡洛模拟",
        "技术路线",
    ):
        assert word in html
    assert "附录" not in html  # the Mermaid sources only with --appendix
    r = report_of(STARTERS / "newslens.zh.yaml")
    r.appendix = True
    assert "附录：Mermaid 源码" in render(r, "html").decode()


@needs_pdftotext
def test_english_pdf_has_every_section_and_numbers(tmp_path):
    r = report_of(STARTERS / "newslens.en.yaml")
    pdf = render(r, "pdf")
    text = pdf_text(pdf, tmp_path)
    pages = pdf_pages(pdf)
    assert 8 <= pages <= 20
    p50 = r.analysis.date(r.analysis.simulation.finish["p50"]).isoformat()
    assert p50 in text
    for heading in (
        "Summary",
        "Contents",
        "SMART goals",
        "Team and budget",
        "Schedule",
        "Risk register",
        "Monte Carlo simulation",
        "Technical route",
    ):
        assert heading in text
    assert "Appendix" not in text and "gantt\n" not in text  # sources only with --appendix
    assert text.count(f"{pages} ") >= 1 and f"{pages} / {pages}" in text.replace("\u2009", " ")
    assert r.extra["refused_urls"] == []


@needs_pdftotext
def test_chinese_pdf_renders_chinese_text(tmp_path):
    r = report_of(STARTERS / "newslens.zh.yaml")
    text = pdf_text(render(r, "pdf"), tmp_path)
    for word in (
        "摘要",
        "风险登记册",
        "蒙特卡洛模拟",
        r.plan.tasks[0].name[:8],
        r.plan.risks[0].title[:8],
    ):
        assert word in text, word
    assert "\ufffd" not in text


@needs_pdftotext
def test_pdf_of_a_hostile_plan_renders_literally_and_fetches_nothing(tmp_path, monkeypatch):
    import urllib.request

    opened = []
    monkeypatch.setattr(
        urllib.request,
        "urlopen",
        lambda *a, **k: opened.append(a) or (_ for _ in ()).throw(OSError("no")),
    )
    r = hostile_report()
    pdf = render(r, "pdf")
    text = " ".join(pdf_text(pdf, tmp_path).split())
    assert "<script>alert('pwned')</script>" in text
    assert '<img src="file:///etc/passwd">' in text
    assert "url(file:///etc/shadow)" in text
    assert "root:x:0:0" not in text  # /etc/passwd was not read
    assert r.extra["refused_urls"] == [] and opened == []
    assert (
        CHINESE[:6] in text and "Long" in text
    )  # the 10,000-character name is there, clipped to the page


def test_the_fetcher_refuses_everything():
    from ventureplan.plugins.render_pdf import _fetcher_class

    fetcher = _fetcher_class()()
    for url in (
        "file:///etc/passwd",
        "http://example.com/x.css",
        "https://example.com",
        "data:text/css,body{}",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 4


def test_report_cli_writes_atomically_and_refuses_bad_suffixes(cli, tmp_path):
    out = tmp_path / "r.md"
    code, stdout, err = cli("report", STARTERS / "minimal.en.yaml", "-o", out)
    assert code == 0 and out.read_text().startswith("# ")
    code, stdout, err = cli("report", STARTERS / "minimal.en.yaml", "-o", tmp_path / "r.docx")
    assert code == 2 and not (tmp_path / "r.docx").exists()
    code, stdout, err = cli("report", GOOD.parent / "bad" / "cycle.yaml", "-o", tmp_path / "x.md")
    assert code == 1 and "dependency cycle" in err and not (tmp_path / "x.md").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.md"]  # no temporary files left


def test_roadmap_cli(cli, tmp_path):
    code, out, err = cli("roadmap", STARTERS / "minimal.en.yaml", "--diagram", "flow")
    assert code == 0 and out.startswith("flowchart LR\n")
    code, out, err = cli(
        "roadmap", STARTERS / "minimal.en.yaml", "--diagram", "all", "-o", tmp_path / "r.md"
    )
    assert code == 0 and (tmp_path / "r.md").read_text().count("```mermaid") == 4
    code, out, err = cli("roadmap", STARTERS / "minimal.en.yaml", "--diagram", "sankey")
    assert code == 2


def test_huge_name_is_clipped_in_diagrams():
    r = hostile_report()
    assert all(len(line) < 400 for text in r.diagrams.values() for line in text.splitlines())
    assert HUGE[:40] in r.diagrams["gantt"] or HUGE[:40] in render(r, "md").decode()
    assert MERMAID


def test_markdown_escapes_the_metric_and_the_currency(small_plan):
    text = small_plan.read_text()
    text = text.replace("metric: macro_f1", "metric: <script>alert(1)</script>")
    text = text.replace("    measures: [g-quality]\n", "")  # no run measures that metric
    text = text.replace("currency: USD", "currency: '<!--'")
    text = text.replace(
        "measured: []",
        "measured:\n  - {run: r1, route: minilm, at: 2027-02-10T09:15:00Z,"
        " goals: {g-quality: {value: 0.9}}}",
    )
    small_plan.write_text(text)
    md = render(report_of(small_plan, iterations=200), "md").decode()
    assert "<script>" not in md and "<!--" not in md
    assert "&lt;script&gt;alert\\(1\\)&lt;/script&gt;" in md and "&lt;\\!--" in md
