"""Workshop estimate sheets and their merge, driven through files as a facilitator would."""

from __future__ import annotations

import json

import pytest
from ventureplan.planner.load import load_plan


@pytest.fixture
def sheets(cli, small_plan):
    code, out, err = cli("workshop", "estimates", small_plan, "--participants", "ana,ben,chen")
    assert code == 0, err
    paths = {
        who: small_plan.parent / f"plan.estimates.{who}.yaml" for who in ("ana", "ben", "chen")
    }
    assert out.splitlines() == [f"Wrote {paths[w]}" for w in ("ana", "ben", "chen")]
    return paths


def test_sheet_is_prefilled_from_the_plan(sheets):
    text = sheets["ana"].read_text()
    assert "participant: ana\n" in text
    assert "  data: {optimistic: 5, likely: 8, pessimistic: 15}  # Label 2,000 tickets\n" in text
    assert (
        "  train: {optimistic: 3, likely: 5, pessimistic: 12}  # Fine-tune and evaluate\n" in text
    )
    assert "launch" not in text.split("tasks:")[1].split("risks:")[0]  # milestones have no estimate
    assert "  r-quality: {probability: 0.3, impact: 4}  # Model misses the target\n" in text


def edit(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_median_merge_changes_only_those_numbers(cli, small_plan, sheets):
    before = small_plan.read_text()
    edit(sheets["ben"], "likely: 5, pessimistic: 12", "likely: 9, pessimistic: 20")
    edit(sheets["chen"], "likely: 5, pessimistic: 12", "likely: 7, pessimistic: 14")
    edit(sheets["chen"], "probability: 0.3, impact: 4", "probability: 0.6, impact: 5")
    edit(sheets["ben"], "probability: 0.3, impact: 4", "probability: 0.5, impact: 5")
    code, out, err = cli("workshop", "merge", small_plan, *sheets.values(), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["tasks"]["train"] == {"optimistic": 3, "likely": 7, "pessimistic": 14}
    assert doc["risks"]["r-quality"] == {"probability": 0.5, "impact": 5}
    assert doc["changed"] == 4
    top = doc["disagreements"][0]
    assert (top["id"], top["field"], top["low"], top["high"]) == (
        "r-quality",
        "probability",
        0.3,
        0.6,
    )
    assert top["values"] == {"ana": 0.3, "ben": 0.5, "chen": 0.6}
    after = small_plan.read_text()
    changed = [
        (a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b
    ]
    assert changed == [
        (
            "    estimate: {optimistic: 3, likely: 5, pessimistic: 12}",
            "    estimate: {optimistic: 3, likely: 7, pessimistic: 14}",
        ),
        ("    probability: 0.3", "    probability: 0.5"),
        ("    impact: 4", "    impact: 5"),
    ]
    plan = load_plan(small_plan).plan
    assert plan.tasks[1].estimate.likely == 7 and plan.risks[0].probability == 0.5


@pytest.mark.parametrize(("rule", "likely"), [("mean", 7), ("min", 5), ("max", 9)])
def test_other_rules(cli, small_plan, sheets, rule, likely):
    edit(sheets["ben"], "likely: 5, pessimistic: 12", "likely: 9, pessimistic: 20")
    edit(sheets["chen"], "likely: 5, pessimistic: 12", "likely: 7, pessimistic: 14")
    code, out, err = cli(
        "workshop", "merge", small_plan, *sheets.values(), "--rule", rule, "--json"
    )
    assert code == 0, err
    assert json.loads(out)["tasks"]["train"]["likely"] == likely


def test_human_output_lists_disagreements_first(cli, small_plan, sheets):
    edit(sheets["ben"], "likely: 8, pessimistic: 15", "likely: 12, pessimistic: 15")
    code, out, err = cli("workshop", "merge", small_plan, *sheets.values(), "--dry-run")
    assert code == 0
    assert "Where 3 participants disagree most (median)" in out
    rows = [[c.strip() for c in ln.split("│")[1:-1]] for ln in out.splitlines() if "│" in ln]
    cells = [" ".join(filter(None, col)) for col in zip(*rows, strict=True)]  # wrapped cells
    assert cells == ["Label 2,000 tickets", "likely", "8", "8", "8–12", "ana 8, ben 12, chen 8"]
    assert "plan now" in out and "Would change 0 numbers" in out


def test_bad_sheets_are_reported_by_participant_and_line_and_change_nothing(
    cli, small_plan, sheets
):
    before = small_plan.read_bytes()
    edit(
        sheets["ana"],
        "  data: {optimistic: 5, likely: 8, pessimistic: 15}",
        "  dta: {optimistic: 5, likely: 8, pessimistic: 15}",
    )
    edit(sheets["ben"], "likely: 5, pessimistic: 12", "likely: 13, pessimistic: 12")
    edit(sheets["chen"], "probability: 0.3, impact: 4", "probability: 1.4, impact: 4")
    code, out, err = cli("workshop", "merge", small_plan, *sheets.values())
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert (
        f"{sheets['ana']}:7:3: error: tasks: participant ana: task 'data' is missing; keep every line, change only numbers"
        in lines
    )
    assert f"{sheets['ana']}:7:3: error: tasks.dta: participant ana: unknown task id 'dta'" in lines
    assert (
        f"{sheets['ben']}:8:10: error: tasks.train: participant ben: train: needs 0 <= optimistic <= likely <= pessimistic"
        in lines
    )
    assert (
        f"{sheets['chen']}:10:28: error: risks.r-quality.probability: participant chen: r-quality: probability must be between 0 and 1"
        in lines
    )
    assert small_plan.read_bytes() == before


def test_missing_number_and_bad_impact(cli, small_plan, sheets):
    edit(
        sheets["ana"],
        "{optimistic: 5, likely: 8, pessimistic: 15}",
        "{optimistic: 5, pessimistic: 15}",
    )
    edit(sheets["ben"], "probability: 0.3, impact: 4", "probability: 0.3, impact: 2.5")
    code, out, err = cli("workshop", "merge", small_plan, *sheets.values())
    assert code == 1
    assert "participant ana: data: likely is missing or not a number" in err
    assert "participant ben: r-quality: impact must be a whole number from 1 to 5" in err


def test_bad_participant_name(cli, small_plan):
    code, out, err = cli("workshop", "estimates", small_plan, "--participants", "ana,../evil")
    assert code == 1 and "participant '../evil'" in err


def test_the_merge_table_cuts_long_names_with_an_ellipsis_and_json_says_it_wrote(
    cli, small_plan, sheets
):
    long = "Label two thousand support tickets by hand with the pilot customers"  # 67
    edit(small_plan, "name: Label 2,000 tickets", f"name: {long}")
    edit(sheets["ben"], "likely: 8, pessimistic: 15", "likely: 12, pessimistic: 15")
    code, out, err = cli("workshop", "merge", small_plan, *sheets.values(), "--dry-run")
    assert code == 0, err
    rows = [[c.strip() for c in ln.split("│")[1:-1]] for ln in out.splitlines() if "│" in ln]
    item = " ".join(filter(None, (r[0] for r in rows)))
    assert item.replace(" ", "") == (long[:49] + "…").replace(" ", "")
    code, out, err = cli("workshop", "merge", small_plan, *sheets.values(), "--json")
    assert code == 0
    (spread,) = json.loads(out)["disagreements"]
    assert (spread["id"], spread["field"], spread["plan_now"]) == ("data", "likely", 8)
    assert err.strip() == f"Changed 0 numbers in {small_plan} (--dry-run only looks)"
    code, out, err = cli("workshop", "merge", small_plan, *sheets.values(), "--json", "--dry-run")
    assert code == 0 and err == ""
