"""What the report (md, html) and `diff` say of measurements: rehearsals labelled and
counted in no number, what each verdict rests on, the non-commercial warning, and
verdict changes from evidence only (issue: the demo's 400-text CPU rehearsal on a
research-only corpus read "macro-F1 0.932 met, chance of missing 1%" and cut a risk from 30%
to 1%, and the report never said so)."""

from __future__ import annotations

import html
import json
import re

from ventureplan.planner.pipeline import render
from ventureplan.planner.pipeline import report as build_report

from tests.conftest import GOOD, with_data
from tests.planner.test_rehearsals import MEASURED, REHEARSAL, SMALL

EVIDENCE = "20270210T091500Z-minilm"
SMOKE = "20270301T000000Z-minilm-smoke"


def texts(path, lang="en") -> tuple[str, str]:
    r = build_report(path, iterations=300, lang=lang)
    md = render(r, "md").decode()
    page = html.unescape(re.sub(r"<[^>]+>", " ", render(r, "html").decode()))
    return " ".join(md.split()), " ".join(page.split())


def plan_with(tmp_path, text: str):
    path = with_data(tmp_path / "plan.yaml")
    path.write_text(text)
    return path


def test_a_rehearsal_only_plan_says_so_and_keeps_the_founders_numbers(tmp_path):
    path = plan_with(tmp_path, SMALL.replace("measured: []", "measured:\n" + REHEARSAL))
    md, page = texts(path)
    basis = (
        f"Rehearsal, not evidence: run {SMOKE}, data tickets.csv, cpu (2 threads), "
        "capped: stopped by --max-steps 5 after 1 of 3 epochs"
    )
    for text in (md, page):
        assert "Only rehearsed so far:" in text
        assert "(rehearsal, counts for nothing)" in text
        assert "A rehearsal is a capped run" in text
        assert "Not measured yet" not in text
        assert "Measured 100%" not in text and "With measured risk probabilities" not in text
    assert basis.replace("_", "\\_").replace("(", "\\(").replace(")", "\\)") in md
    assert basis in page
    # the P(miss) the record carries is not printed for a rehearsal
    assert "Chance of missing 100%" not in page and "Chance of missing 100%" not in md


def test_evidence_and_a_newer_rehearsal_are_both_shown_and_only_evidence_decides(tmp_path):
    path = plan_with(tmp_path, MEASURED + REHEARSAL)
    md, page = texts(path)
    assert (
        f"Evidence: run {EVIDENCE}, data tickets.csv, 1,421 train / 528 test examples, "
        "cpu (2 threads), 3 epochs"
    ) in page
    assert "g-quality: macro_f1 = 0.955 (95% interval 0.938–0.970) >= 0.85: met" in page
    assert "g-quality: macro_f1 = 0.100 >= 0.85: missed (rehearsal, counts for nothing)" in page
    assert "Measured 2%" in page  # the risk from the evidence run, not the rehearsal's 100%
    assert page.index("Evidence: run") < page.index("Rehearsals")
    assert "**met**" in md and "**missed** (rehearsal, counts for nothing)" in md


def test_a_verdict_on_non_commercial_data_carries_the_warning(tmp_path):
    text = MEASURED.replace(
        "dataset: {source: tickets.csv, text: text, label: label}",
        "dataset: {source: 'builtin:bbc-news'}",
    )
    assert text != MEASURED
    path = tmp_path / "plan.yaml"
    path.write_text(text)
    warning = (
        "The data's licence (non-commercial research) forbids commercial use: this verdict "
        "says how the route does on that research data, not that a product may be trained on it."
    )
    md, page = texts(path)
    assert "data builtin:bbc-news (licence non-commercial research)" in page
    assert page.count(warning) == 2  # in the summary and beside the measured results
    assert md.count(warning.replace("(", "\\(").replace(")", "\\)")) == 2
    zh_md, zh_page = texts(path, "zh")
    assert "该数据的许可（non-commercial research）禁止商业使用" in zh_page
    assert "证据：运行 " + EVIDENCE in zh_page and "训练 1,421 条 / 测试 528 条" in zh_page


def test_a_verdict_on_other_data_is_shown_as_settling_nothing(tmp_path):
    text = MEASURED.replace(
        "    metric: macro_f1\n", "    metric: macro_f1\n    dataset: ours.csv\n", 1
    )
    assert text != MEASURED
    path = plan_with(tmp_path, text)
    md, page = texts(path)
    assert "met (measured on other data than ours.csv: settles nothing)" in page
    assert "Measured 2%" not in page


def test_analyze_json_lists_rehearsals_apart(cli, tmp_path):
    path = plan_with(tmp_path, MEASURED + REHEARSAL)
    code, out, err = cli("analyze", path, "--json", "--iterations", "300")
    assert code == 0, err
    doc = json.loads(out)
    assert [e["run"] for e in doc["evidence"]] == [EVIDENCE]
    assert [e["run"] for e in doc["rehearsals"]] == [SMOKE]
    assert doc["rehearsals"][0]["rehearsal"] is True
    assert doc["rehearsals"][0]["goals"][0]["settles"] is False


# --- diff -------------------------------------------------------------------------------


def test_diff_shows_verdicts_from_evidence_only(cli, tmp_path):
    old = plan_with(tmp_path, SMALL)
    rehearsed = tmp_path / "rehearsed.yaml"
    rehearsed.write_text(SMALL.replace("measured: []", "measured:\n" + REHEARSAL))
    code, out, err = cli("diff", old, rehearsed, "--json", "--iterations", "300")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["measured"] == {"added": 1, "removed": 0}
    assert doc["verdicts"] == []  # a rehearsal settles nothing
    measured = tmp_path / "measured.yaml"
    measured.write_text(MEASURED)
    code, out, err = cli("diff", rehearsed, measured, "--json", "--iterations", "300")
    assert code == 0, err
    assert json.loads(out)["verdicts"] == [
        {
            "goal": "g-quality",
            "old": None,
            "new": "met",
            "old_value": None,
            "new_value": 0.955,
            "old_run": None,
            "new_run": EVIDENCE,
        }
    ]
    ignored = tmp_path / "ignored.yaml"
    ignored.write_text(
        MEASURED.replace(
            "    at: 2027-02-10T09:15:00Z\n", "    at: 2027-02-10T09:15:00Z\n    ignored: true\n"
        )
    )
    code, out, err = cli("diff", measured, ignored, "--iterations", "300", "--width", "200")
    assert code == 0, err
    lines = [" ".join(ln.split()) for ln in out.splitlines()]
    assert (
        f"g-quality: met (0.955, run {EVIDENCE}) → missed (0.790, run 20270201T080000Z-minilm)"
        in lines
    )


def test_good_plans_still_render(tmp_path):
    # every good plan renders md and html with the new sections
    for name in ("small.yaml", "measured.yaml"):
        path = with_data(tmp_path / name)
        path.write_text((GOOD / name).read_text("utf-8"))
        md, page = texts(path)
        assert "Technical route" in page
