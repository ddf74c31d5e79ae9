"""The report as a founder hands it to an investor: the ask and the market size where the
plan has them, the business model in words, a revenue table beside the cash curve,
measurements with labels and units, the Mermaid sources only on request, pages that flow,
and a Markdown report with every section the HTML one has."""

from __future__ import annotations

import datetime as dt
import html as htmllib
import re
import shutil
import subprocess

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ventureplan.planner import quantities
from ventureplan.planner.budget import Month
from ventureplan.planner.errors import PlanError
from ventureplan.planner.load import load_plan
from ventureplan.planner.pipeline import render
from ventureplan.planner.pipeline import report as build_report
from ventureplan.planner.report import labels, periods
from ventureplan.planner.starters import starter_text

needs_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="needs poppler-utils"
)

# A training run and an optimisation of the newslens starter's chosen route.
RECORDS = """\
measured:
  - run: 20270210T091500Z-minilm-ft
    route: minilm-ft
    at: 2027-02-10T09:15:00Z
    device: cuda (NVIDIA H200)
    data: {train: 1421, validation: 178, test: 528, classes: 5}
    hyperparameters: {learning_rate: 1.0e-4, batch_size: 32, epochs: 3}
    metrics: {accuracy: 0.957, macro_f1: 0.955, weighted_f1: 0.956, train_hours: 0.114, cost: 0.349}
    intervals: {macro_f1: [0.938, 0.970]}
    goals:
      g-quality: {value: 0.955, target: 0.9, met: true, p_miss: 0.02}
      g-cost: {value: 0.349, target: 25, met: true}
      g-train-time: {value: 0.114, target: 1.0, met: true}
    training: {seconds: 412.0, samples_per_second: 10.3, tokens_per_second: 1590,
               peak_memory_mb: 2630, device_hours: 0.114, cost: 0.349, steps: 135, epochs: 3}
    forecast: {full_data_hours: 0.35, full_data_cost: 1.23, full_train_samples: 1487}
  - run: 20270212T101500Z-minilm-ft-opt
    kind: optimization
    route: minilm-ft
    at: 2027-02-12T10:15:00Z
    source_run: 20270210T091500Z-minilm-ft
    device: cpu (2 threads)
    data: {test: 528}
    protocol: {threads: 2, warmup: 10, repeats: 50, batch: 32, texts: 528}
    variants:
      - {name: base, format: torch, params_millions: 22.7, size_mb: 90.9, latency_p50_ms: 24.0,
         latency_p95_ms: 27.5, throughput_per_s: 190, macro_f1: 0.955, change: 0.0,
         agreement: 1.0, within_drop: true}
      - {name: int8, format: onnx, quantize: int8, params_millions: 22.7, size_mb: 23.1,
         latency_p50_ms: 6.0, latency_p95_ms: 7.1, throughput_per_s: 610, macro_f1: 0.951,
         change: -0.004, agreement: 0.991, within_drop: true}
    chosen: int8
    goals: {g-latency: {value: 7.1, target: 150.0, met: true}}
"""


def measured_plan(tmp_path, lang="en"):
    text = starter_text("newslens", lang)
    text = re.sub(r"(?m)^measured: \[\].*\n", RECORDS, text)
    path = tmp_path / f"newslens.{lang}.yaml"
    path.write_text(text, "utf-8")
    return path


def report_of(path, lang=None, appendix=False):
    made = build_report(load_plan(path), lang=lang, iterations=2000)
    made.appendix = appendix
    return made


def starter_report(tmp_path, name="newslens", lang="en", appendix=False):
    path = tmp_path / f"{name}.{lang}.yaml"
    path.write_text(starter_text(name, lang), "utf-8")
    return report_of(path, appendix=appendix)


def text_of_html(page: str) -> str:
    page = re.sub(r"<style>.*?</style>|<svg.*?</svg>", " ", page, flags=re.S)
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def pdf_text(pdf: bytes, tmp_path, *args: str) -> str:
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", *args, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


# --- the ask, the market, the model in words ----------------------------------------


def test_the_ask_and_the_market_size_are_on_the_first_page(tmp_path):
    r = starter_report(tmp_path)
    page = text_of_html(render(r, "html").decode())
    summary = page[: page.index("Contents")]
    assert "The ask 800,000 USD (pre-seed)" in summary
    assert (
        "Use of funds: team 75%, data and labelling 8%, compute and hosting 8%, legal 2%, "
        "go-to-market 8%" in summary
    )
    assert (
        "Market size TAM 1,200,000,000 USD · SAM 150,000,000 USD · SOM 4,500,000 USD per year"
        in summary
    )
    assert "First revenue: Month 4; Break-even: Month 16" in summary
    # the use of funds as a table beside the budget, with the ask as its total
    assert "team 600,000 USD 75%" in page and "The ask 800,000 USD" in page
    assert "TAM, total addressable market 1,200,000,000 USD per year" in page


def test_a_plan_without_funding_or_market_size_shows_neither(tmp_path):
    r = starter_report(tmp_path, "minimal")
    page = text_of_html(render(r, "html").decode())
    assert "The ask" not in page and "Market size" not in page and "TAM" not in page
    md = render(r, "md").decode()
    assert "The ask" not in md and "Market size" not in md


@pytest.mark.parametrize("model", ["platform", "tool", "service"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_business_model_is_explained_in_words(tmp_path, model, lang):
    path = tmp_path / "plan.yaml"
    path.write_text(starter_text("newslens", lang).replace("model: tool ", f"model: {model} "))
    r = report_of(path)
    said = labels(lang)["model_explained"][model]
    assert len(said) > 20 and said != model
    page = text_of_html(render(r, "html").decode())
    label = labels(lang)["business_model"]
    assert f"{label} {said}" in page
    assert said.replace("(", "\\(").replace(")", "\\)") in render(r, "md").decode()


def test_market_size_must_nest_and_funding_must_be_money(tmp_path):
    path = tmp_path / "plan.yaml"
    text = starter_text("newslens", "en")
    path.write_text(text.replace("sam: 150000000 ", "sam: 1500000000 "))
    with pytest.raises(PlanError) as exc:
        load_plan(path)
    (f,) = exc.value.findings
    assert f.where == "business.market.size"
    assert "sam (1,500,000,000) cannot be larger than tam (1,200,000,000)" in f.message
    path.write_text(text.replace("  ask: 800000", "  ask: -5"))
    with pytest.raises(PlanError) as exc:
        load_plan(path)
    assert [f.where for f in exc.value.findings] == ["funding.ask"]


# --- the revenue table ----------------------------------------------------------


def test_the_revenue_table_sums_the_cash_model_by_quarter(tmp_path):
    r = starter_report(tmp_path)
    months = r.analysis.budget.months
    rows = periods(months, r.labels)
    assert [p.label for p in rows[:2]] == ["Q1 (months 1–3)", "Q2 (months 4–6)"]
    assert len(months) == 19 and rows[-1].label == "Month 19"
    assert rows[1].revenue == pytest.approx(sum(m.revenue for m in months[3:6]))
    assert rows[1].spending == pytest.approx(sum(m.team + m.items for m in months[3:6]))
    assert [p.cash for p in rows] == [months[min(i + 2, 18)].cash for i in range(0, 19, 3)]
    page = text_of_html(render(r, "html").decode())
    assert "Revenue, spending and cash by quarter" in page
    assert "Q1 (months 1–3) 0 USD 200,600 USD -200,600 USD 599,400 USD" in page
    assert "| Q1 \\(months 1–3\\) | 0 USD | 200,600 USD | -200,600 USD | 599,400 USD |" in (
        render(r, "md").decode()
    )


def month(m: int, team: float, items: float, revenue: float, cash: float) -> Month:
    return Month(m, dt.date(2027, 1, 1), team, items, revenue, cash)


@given(
    st.lists(
        st.tuples(
            st.floats(0, 1e7, allow_nan=False),
            st.floats(0, 1e7, allow_nan=False),
            st.floats(0, 1e7, allow_nan=False),
        ),
        min_size=1,
        max_size=120,
    )
)
def test_periods_add_up_for_any_cash_model(values):
    cash = 0.0
    months = []
    for i, (team, items, revenue) in enumerate(values):
        cash += revenue - team - items
        months.append(month(i + 1, team, items, revenue, cash))
    rows = periods(months, labels("en"))
    size = 3 if len(months) <= 36 else 12
    assert len(rows) == -(-len(months) // size)
    assert sum(p.revenue for p in rows) == pytest.approx(sum(v[2] for v in values))
    assert sum(p.net for p in rows) == pytest.approx(cash, abs=1e-3 * max(1.0, abs(cash)))
    assert rows[-1].cash == months[-1].cash


# --- measurements with labels and units ------------------------------------------


def test_quantities_have_labels_units_and_integers():
    assert quantities.shown("peak_memory_mb", 2630.4) == "peak memory 2,630 MB"
    assert quantities.shown("tokens_per_second", 1590) == "token throughput 1,590 tokens/s"
    assert quantities.shown("full_train_samples", 1487) == "full training set 1,487 samples"
    assert quantities.shown("cost", 0.349, "USD") == "compute cost 0.349 USD"
    assert quantities.value("cost", 25.0, "USD") == "25 USD"
    assert quantities.value("train_hours", 0.114) == "6.8 min"
    assert quantities.value("train_hours", 0.004) == "14 s"
    assert quantities.value("train_hours", 1.0) == "1 h"
    assert quantities.value("train_hours", 2.5) == "2.50 h"
    assert quantities.value("latency_p95_ms", 150.0) == "150 ms"
    assert quantities.value("macro_f1", 0.9) == "0.900"
    assert quantities.value("agreement", 0.991) == "99.1%"
    assert quantities.value("cost_per_1k_requests", 0.00005, "USD") == "0.0000500 USD"
    assert quantities.value("paying_customers", 4) == "4"  # a manual metric
    assert quantities.shown("peak_memory_mb", 2630, lang="zh") == "峰值内存 2,630 MB"
    assert quantities.value("train_hours", 0.114, lang="zh") == "6.8 分钟"


def test_a_goals_target_reads_as_written_with_its_unit():
    assert quantities.target("macro_f1", 0.85) == "0.85"  # not 0.850
    assert quantities.target("cost", 0.5, "USD") == "0.50 USD"
    assert quantities.target("cost", 250000, "USD") == "250,000 USD"
    assert quantities.target("cost_per_1k_requests", 0.00005, "USD") == "0.0000500 USD"
    assert quantities.target("latency_p95_ms", 150.0) == "150 ms"
    assert quantities.target("train_hours", 1.0) == "1 h"
    assert quantities.target("paying_customers", 3) == "3"  # a manual metric


RAW = ("peak_memory_mb", "tokens_per_second", "full_train_samples", "samples_per_second")


def test_measurements_read_as_labels_with_units_in_html_and_markdown(tmp_path):
    r = report_of(measured_plan(tmp_path))
    page = text_of_html(render(r, "html").decode())
    md = render(r, "md").decode()
    for shown in (
        "peak memory 2,630 MB",
        "token throughput 1,590 tokens/s",
        "full training set 1,487 samples",
        "compute cost 0.349 USD",
        "full-data training time 21 min",
    ):
        assert shown in page and shown in md.replace("\\", ""), shown
    assert "g-cost (cost) 0.349 USD" in page and "<= 25 USD" in page
    assert "g-train-time (train_hours) 6.8 min" in page and "<= 1 h" in page
    assert "g-latency (latency_p95_ms) 7.1 ms" in page and "<= 150 ms" in page
    assert "2027-02-10 09:15 UTC" in page
    for text in (page, md.replace("\\_", "_")):
        assert not re.search(r"\d\.\d+e[+-]\d", text)  # no scientific notation
        for key in RAW:
            assert key not in text, key


@needs_pdftotext
def test_the_pdf_has_labels_and_units_not_raw_keys(tmp_path):
    r = report_of(measured_plan(tmp_path))
    text = " ".join(pdf_text(render(r, "pdf"), tmp_path).split())
    assert "peak memory 2,630 MB" in text and "full training set 1,487 samples" in text
    for key in RAW:
        assert key not in text
    assert "mathdefault" not in text  # the log axis of the latency chart: real numbers
    assert not re.search(r"\d\.\d+e[+-]\d", text)


# --- the appendix, the pages ------------------------------------------------------


@needs_pdftotext
def test_mermaid_sources_only_with_appendix(tmp_path, cli):
    plan = tmp_path / "plan.yaml"
    plan.write_text(starter_text("newslens", "en"))
    for flag, out in ((), "a.pdf"), (("--appendix",), "b.pdf"):
        code, _, err = cli("report", plan, "-o", tmp_path / out, "-n", "500", *flag)
        assert code == 0, err
    plain = pdf_text((tmp_path / "a.pdf").read_bytes(), tmp_path)
    full = pdf_text((tmp_path / "b.pdf").read_bytes(), tmp_path)
    assert "Appendix" not in plain and "dateFormat" not in plain
    assert "Appendix: Mermaid sources" in full and "dateFormat YYYY-MM-DD" in full
    assert "quadrantChart" in full and "flowchart LR" in full


def test_markdown_appendix_only_with_appendix(tmp_path):
    r = starter_report(tmp_path)
    md = render(r, "md").decode()
    assert "## Appendix" not in md and "```text" not in md
    r.appendix = True
    md = render(r, "md").decode()
    assert "## Appendix: Mermaid sources" in md and md.count("```text\n") == 4


def page_fill(pdf: bytes, tmp_path) -> list[float]:
    """How far down each page its content reaches (0..1), the running header and the
    page number left out."""
    box = pdf_text(pdf, tmp_path, "-bbox")
    out = []
    for height, body in re.findall(
        r'<page width="[\d.]+" height="([\d.]+)">(.*?)</page>', box, re.S
    ):
        h = float(height)
        ys = [float(y) for y in re.findall(r'yMax="([\d.]+)"', body)]
        ys = [y for y in ys if 70 < y < h - 60]
        out.append(max(ys) / h if ys else 0.0)
    return out


@needs_pdftotext
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_page_is_left_half_empty(tmp_path, lang):
    r = report_of(measured_plan(tmp_path, lang))
    fill = page_fill(render(r, "pdf"), tmp_path)
    assert len(fill) >= 8
    # the cover holds the summary alone; the last page ends where the report ends
    assert min(fill[1:-1]) > 0.55, [round(f, 2) for f in fill]


# --- the Markdown report carries every section -------------------------------------


def headings_of_html(page: str) -> list[str]:
    found = re.findall(r"<h([23])[^>]*>(.*?)</h\1>", page, re.S)
    return [" ".join(htmllib.unescape(re.sub(r"<[^>]+>", "", t)).split()) for _, t in found]


def headings_of_md(text: str) -> list[str]:
    found = re.findall(r"(?m)^#{2,4} (.+)$", text)
    return [h.replace("\\", "").strip() for h in found]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("appendix", [False, True])
def test_markdown_has_every_heading_of_the_html_report(tmp_path, lang, appendix):
    r = report_of(measured_plan(tmp_path, lang), appendix=appendix)
    html_heads = [h for h in headings_of_html(render(r, "html").decode()) if h]
    md_heads = headings_of_md(render(r, "md").decode())
    contents = labels(lang)["contents"]
    missing = [h for h in html_heads if h != contents and h not in md_heads]
    assert missing == []
    # and what the issue found missing: market, technology choices, responsibilities
    md = render(r, "md").decode()
    L = labels(lang)
    for heading in (L["market"], L["stack"], L["trends"], L["competitors"], L["use_of_funds"]):
        assert any(h.startswith(heading) for h in md_heads), heading
    assert L["responsibilities"] in md and r.plan.team[0].responsibilities[0][:12] in md


def test_not_measured_yet_is_its_own_paragraph(tmp_path):
    md = render(starter_report(tmp_path), "md").decode()
    lines = md.splitlines()
    at = [i for i, line in enumerate(lines) if line == "Not measured yet. Run `ventureplan run`"
          " to test the chosen route." or line.startswith("Not measured yet")]  # fmt: skip
    assert at, "the no-measurement line"
    assert all(lines[i - 1] == "" for i in at)


EMPTY = """\
schema: ventureplan/1
name: Empty
start: 2027-01-04
routes:
  - {id: r, chosen: true, model: builtin:minilm-l6, dataset: {source: builtin:bbc-news}}
"""


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_empty_plan_says_what_to_add_instead_of_empty_tables(tmp_path, lang):
    path = tmp_path / "plan.yaml"
    path.write_text(EMPTY, "utf-8")
    r = report_of(path, lang=lang)
    L = labels(lang)
    md = render(r, "md").decode()
    page = text_of_html(render(r, "html").decode())
    for key in ("no_tasks_yet", "no_goals_yet", "no_team_yet", "no_budget_yet", "no_risks_yet"):
        assert L[key] in page, key
        assert L[key].replace("(", "\\(").replace(")", "\\)") in md, key
    assert "```mermaid" not in md  # no gantt, flowchart or quadrant of nothing
    assert L["critical_path"] not in md and L["critical_path"] not in page
    assert L["revenue_by_quarter"] not in page  # no table of zeros
    assert "<svg" not in render(r, "html").decode()


def test_a_records_time_reads_in_utc_even_at_the_ends_of_the_calendar():
    from ventureplan.planner.report import moment

    assert moment("2027-02-10T10:15:30+01:00") == "2027-02-10 09:15 UTC"
    assert moment(dt.datetime(2027, 2, 10, 9, 15)) == "2027-02-10 09:15 UTC"
    # no UTC day exists for these: shown in their own zone, never an OverflowError
    assert moment("0001-01-01T00:00:00+01:00") == "0001-01-01 00:00 +01:00"
    assert moment("9999-12-31T23:59:00-05:00") == "9999-12-31 23:59 -05:00"
    assert moment("not a time") == "not a time"
