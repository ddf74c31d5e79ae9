from __future__ import annotations

import pytest
from ventureplan.planner.pipeline import check as check_file
from ventureplan.plugins.licences import forbids_commercial_use

from tests.conftest import with_data


@pytest.fixture(autouse=True)
def _data_file(small_plan):
    """The plan's data file exists, so the findings are the licence lints alone."""
    with_data(small_plan)


@pytest.mark.parametrize(
    ("licence", "forbidden"),
    [
        ("Apache-2.0", False),
        ("MIT", False),
        ("CC BY-NC 4.0", True),
        ("CC-BY-NC-SA-4.0", True),
        ("non-commercial research", True),
        ("Noncommercial use only", True),
        ("research-only", True),
        ("CC BY 4.0", False),
        ("仅限非商业用途", True),
        (None, False),
    ],
)
def test_licence_classifier(licence, forbidden):
    assert forbids_commercial_use(licence) is forbidden


def _findings(path):
    result = check_file(path)
    assert result.valid
    # (the plans' risks name no impact: risk-affects-nothing, test_affects_nothing.py)
    return [(f.code, f.where, f.line) for f in result.findings if f.code != "risk-affects-nothing"]


def test_builtin_dataset_needs_a_legal_risk(small_plan):
    text = small_plan.read_text().replace(
        "dataset: {source: tickets.csv, text: text, label: label}",
        "dataset: {source: builtin:bbc-news, text: text, label: label}",
    )
    small_plan.write_text(text)
    assert _findings(small_plan) == [("licence-non-commercial", "routes[0].dataset.source", 30)]
    (f,) = [f for f in check_file(small_plan).findings if f.code == "licence-non-commercial"]
    assert f.message == (
        "BBC News corpus is licensed 'non-commercial research', which forbids "
        "commercial use, and no legal risk covers it"
    )
    assert f.letter == "A"

    risk = (
        "  - id: r-licence\n    title: BBC News corpus is for non-commercial research only\n"
        "    category: legal\n    probability: 0.9\n    impact: 4\n    response: avoid\n    owner: founder\n"
        "    trigger: First paying customer\n"
    )
    small_plan.write_text(text.replace("budget:\n", risk + "budget:\n"))
    assert _findings(small_plan) == []


def test_a_technical_risk_does_not_cover_a_licence(small_plan):
    text = small_plan.read_text().replace(
        "dataset: {source: tickets.csv, text: text, label: label}",
        "dataset: {source: builtin:bbc-news, text: text, label: label}",
    )
    small_plan.write_text(
        text.replace("title: Model misses the target", "title: BBC News model misses the target")
    )
    assert [c for c, _, _ in _findings(small_plan)] == ["licence-non-commercial"]


def test_stack_entry_with_nc_licence(small_plan):
    text = small_plan.read_text().replace(
        "team:\n",
        "stack:\n  - {name: PyTorch, kind: framework, licence: BSD-3-Clause}\n"
        "  - {name: Tickets-1M, kind: dataset, licence: CC BY-NC 4.0}\nteam:\n",
    )
    small_plan.write_text(text)
    assert _findings(small_plan) == [("licence-non-commercial", "stack[1]", 14)]


def test_unchosen_route_is_not_linted(small_plan):
    text = small_plan.read_text().replace(
        "dataset: {source: tickets.csv}", "dataset: {source: builtin:bbc-news}"
    )
    small_plan.write_text(text)
    assert _findings(small_plan) == []
