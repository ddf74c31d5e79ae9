from __future__ import annotations

import datetime as dt
import json

import pytest
from ventureplan.planner.errors import PlanError
from ventureplan.planner.load import load_plan

from tests.conftest import GOOD


def test_small_plan_loads_with_its_values():
    plan = load_plan(GOOD / "small.yaml").plan
    assert plan.start == dt.date(2027, 1, 4)
    assert [t.id for t in plan.tasks] == ["data", "train", "launch"]
    assert plan.tasks[1].estimate.pessimistic == 12
    assert plan.tasks[2].milestone and plan.tasks[2].estimate is None
    assert plan.chosen_route.id == "minilm"
    assert plan.routes[0].hyperparameters == {"learning_rate": 1.0e-4, "epochs": 2}
    assert plan.risks[0].probability == 0.3
    assert plan.team[1].monthly_cost == 10000
    assert plan.budget.items[0].per == "month"


def test_json_plan_is_accepted_and_located(tmp_path):
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load((GOOD / "small.yaml").read_text())
    text = json.dumps(data, indent=2, default=str)
    path = tmp_path / "plan.json"
    path.write_text(text)
    assert load_plan(path).plan.name == "Small test venture"

    data["tasks"][1]["owner"] = "ghost"
    path.write_text(json.dumps(data, indent=2, default=str))
    with pytest.raises(PlanError) as exc:
        load_plan(path)
    (f,) = exc.value.findings
    lines = path.read_text().splitlines()
    assert lines[f.line - 1].strip() == '"owner": "ghost",'
    assert f.column == lines[f.line - 1].index('"ghost"') + 1


def test_json_syntax_error_names_line(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text('{\n  "schema": "ventureplan/1",\n  "name": \n}\n')
    with pytest.raises(PlanError) as exc:
        load_plan(path)
    (f,) = exc.value.findings
    assert (f.line, f.column, f.code) == (4, 1, "json-syntax")


def test_flow_mapping_with_colon_in_value_is_yaml_1_2(tmp_path):
    """libyaml rejects `{source: builtin:bbc-news}`; YAML 1.2 (and ruamel) accept it."""
    path = tmp_path / "plan.yaml"
    text = (
        (GOOD / "small.yaml")
        .read_text()
        .replace(
            "dataset: {source: tickets.csv, text: text, label: label}",
            "dataset: {source: builtin:bbc-news, text: text, label: label}",
        )
    )
    path.write_text(text)
    assert load_plan(path).plan.routes[0].dataset.source == "builtin:bbc-news"


def test_anchors_for_repetition_are_fine(tmp_path):
    path = tmp_path / "plan.yaml"
    text = (
        (GOOD / "small.yaml")
        .read_text()
        .replace(
            "estimate: {optimistic: 5, likely: 8, pessimistic: 15}",
            "estimate: &std {optimistic: 5, likely: 8, pessimistic: 15}",
        )
        .replace("estimate: {optimistic: 3, likely: 5, pessimistic: 12}", "estimate: *std")
    )
    path.write_text(text)
    plan = load_plan(path).plan
    assert plan.tasks[1].estimate.likely == 8


def test_recursive_alias_is_refused(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text("schema: ventureplan/1\nname: &x [a, *x]\n")
    with pytest.raises(PlanError) as exc:
        load_plan(path)
    assert exc.value.findings[0].code in ("recursive-alias", "yaml-syntax")


def test_utf8_bom_and_chinese_text(tmp_path):
    path = tmp_path / "plan.yaml"
    text = (GOOD / "small.yaml").read_text().replace("Small test venture", "新闻分类")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert load_plan(path).plan.name == "新闻分类"


def test_errors_are_sorted_and_all_reported(tmp_path):
    path = tmp_path / "plan.yaml"
    text = (GOOD / "small.yaml").read_text()
    text = text.replace("impact: 4", "impact: 9").replace(
        "headcount: 1, monthly_cost: 10000", "headcount: -1, monthly_cost: 10000"
    )
    path.write_text(text)
    with pytest.raises(PlanError) as exc:
        load_plan(path)
    assert [f.where for f in exc.value.findings] == ["team[1].headcount", "risks[0].impact"]


def test_a_list_with_every_entry_commented_out_is_empty(tmp_path):
    path = tmp_path / "plan.yaml"
    text = (GOOD / "small.yaml").read_text()
    start = text.index("risks:\n")
    end = text.index("budget:\n")
    commented = "risks:\n" + "".join("#" + ln + "\n" for ln in text[start + 7 : end].splitlines())
    path.write_text(text[:start] + commented + text[end:])
    plan = load_plan(path).plan
    assert plan.risks == []


def test_json_duplicate_keys_are_located_errors_not_silently_dropped(cli, tmp_path):
    """json.loads keeps the last of two keys; a plan with two `tasks` used to check as
    valid with 0 tasks."""
    import json

    from ruamel.yaml import YAML

    data = YAML(typ="safe", pure=True).load((GOOD / "small.yaml").read_text())
    text = json.dumps(data, default=str, indent=1)
    for old, new, where in (
        ('"tasks":', '"tasks": [],\n "tasks":', "65:2"),
        ('"owner": "ml"', '"owner": "ml", "owner": "founder"', None),
    ):
        path = tmp_path / "plan.json"
        path.write_text(text.replace(old, new, 1))
        code, out, err = cli("check", path)
        key = old.split(":")[0].strip('"')
        assert code == 1 and err.count("\n") == 1
        assert f"error: duplicate key '{key}'; JSON keeps only the last, so remove one" in err
        if where:
            assert err.startswith(f"{path}:{where}: ")
