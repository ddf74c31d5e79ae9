"""Bugs the fuzz suite (tests/fuzz) found, each kept here as a plain test."""

from __future__ import annotations

import json
import warnings

import pytest
from pydantic import ValidationError
from ventureplan.planner.errors import PlanError
from ventureplan.planner.load import validate_data
from ventureplan.planner.records import TrainingRecord
from ventureplan.planner.source import parse

from tests.conftest import GOOD

SMALL = (GOOD / "small.yaml").read_text("utf-8")


@pytest.mark.parametrize("odd", ["\x7f", "\x85", "\x9b", "\u2028", "\u2029", "\ufffe"])
@pytest.mark.parametrize("as_json", [True, False])
def test_odd_characters_in_text_do_not_move_the_line_of_a_finding(odd, as_json):
    """A raw DEL, C1 or U+FFFE in a JSON plan put every finding at 1:1; a raw NEL or
    U+2028 put them on a line the file does not have (the YAML scanner breaks there)."""
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load(SMALL)
    data["name"] = f"a{odd}b{odd}c"
    data["tasks"][1]["owner"] = "ghost"
    if as_json:
        text = json.dumps(data, indent=2, default=str, ensure_ascii=False)
    elif odd in "\x7f\x9b\ufffe":
        pytest.skip("YAML refuses the character itself (a located error of its own)")
    else:
        text = SMALL.replace("name: Small test venture", f'name: "a{odd}b{odd}c"').replace(
            "owner: ml\n    route", "owner: ghost\n    route"
        )
    found, where = parse(text, "p.json" if as_json else "p.yaml", as_json=as_json)
    with pytest.raises(PlanError) as exc:
        validate_data(found, where)
    (f,) = exc.value.findings
    line = text.split("\n")[f.line - 1]
    assert line.strip().startswith(('"owner": "ghost"', "owner: ghost")), (f.line, line)
    assert line[f.column - 1 :].startswith(('"ghost"', "ghost"))


@pytest.mark.parametrize(
    "training",
    [{"seconds": float("nan")}, {"cost": float("inf")}, {"note": "text"}, {"extra": [1, 2]}],
)
def test_a_record_holds_finite_numbers_only(training):
    """NaN reached the reports from a record's numbers; text or a list in an open
    `training` field broke the HTML report."""
    with pytest.raises(ValidationError):
        TrainingRecord(run="a", route="r", at="2027-01-01T00:00:00Z", training=training)
    with pytest.raises(ValidationError):
        TrainingRecord(run="a", route="r", at="2027-01-01T00:00:00Z", metrics={"m": float("nan")})
    ok = TrainingRecord(run="a", route="r", at="2027-01-01T00:00:00Z", training={"later": 5})
    assert ok.training.model_extra == {"later": 5}


def test_revenue_of_zero_growing_fast_stays_zero(cli, small_plan):
    """0 × an overflowed growth factor was NaN, with a numpy RuntimeWarning on stderr."""
    text = SMALL.replace(
        "budget:\n", "budget:\n  revenue:\n    - {id: r, amount: 0, growth: 10}\n", 1
    )
    small_plan.write_text(text)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        code, out, err = cli("analyze", small_plan, "--json", "--iterations", "500")
    assert code == 0, err
    budget = json.loads(out)["budget"]
    assert all(m["revenue"] == 0 for m in budget["months"])
