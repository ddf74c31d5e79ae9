"""Structure: valid plans go through every command; damaged ones are answered with located
errors and never a traceback; hostile text anywhere is only ever text; YAML and JSON of the
same data mean the same plan."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import assume, example, given
from hypothesis import strategies as st

from tests.fuzz import plans
from tests.fuzz.oracle import IGNORE, exercise, known, known_failure, plan_file, scaled, strict_json

styles = st.integers(0, 11)


@scaled(1.6)
@known("finish-before-start", plan=plans.ZERO_AFTER_WORK, fmt="yaml", style=1)
@known("not-finite", plan=plans.REVENUE_NAN, fmt="yaml", style=1)
@known("imprecise-location", plan=plans.JSON_RAW_DEL_LINTS, fmt="json", style=1)
@given(plan=plans.valid_plans(), fmt=plans.formats, style=styles)
def test_generated_valid_plans_pass_every_command(cli, plan, fmt, style):
    # the HTML report (charts drawn with matplotlib) costs more than the rest together
    reports = ("json", "md", "html") if style % 4 == 0 else ("json", "md")
    with plan_file(plans.serialize(plan, fmt, style), fmt) as path:
        exercise(cli, path, reports=reports, expect_valid=True)


@scaled(3)
@known("imprecise-location", bad=plans.JSON_RAW_DEL, fmt="json", style=0)
@known("imprecise-location", bad=plans.JSON_RAW_NEL, fmt="json", style=0)
@given(bad=plans.valid_plans(max_tasks=6).flatmap(plans.mutated), fmt=plans.formats, style=styles)
def test_damaged_plans_get_located_errors_never_a_traceback(cli, bad, fmt, style):
    with plan_file(plans.serialize(bad, fmt, style), fmt) as path:
        exercise(cli, path, reports=("json", "md"))


@scaled(0.8)
@known("imprecise-location", plan=plans.JSON_RAW_DEL_LINTS, fmt="json", style=0)
@known("finish-before-start", plan=plans.ZERO_AFTER_WORK, fmt="yaml", style=0)
@given(
    plan=plans.valid_plans(max_tasks=5, text=st.sampled_from(plans.HOSTILE_TEXT)),
    fmt=plans.formats,
    style=styles,
)
def test_hostile_text_in_every_text_field_is_only_text(cli, plan, fmt, style):
    with plan_file(plans.serialize(plan, fmt, style), fmt) as path:
        exercise(cli, path, expect_valid=True)


def _special(node: Any) -> bool:
    """Data whose two spellings differ on purpose (NaN, tokens, deep nesting)."""
    if isinstance(node, plans.Tok | plans.Deep):
        return True
    if isinstance(node, float):
        return not math.isfinite(node)
    if isinstance(node, dict):
        return any(_special(k) or _special(v) for k, v in node.items())
    if isinstance(node, list):
        return any(_special(v) for v in node)
    return False


def _verdict(findings: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return sorted((f["severity"], f["code"], f["path"]) for f in findings)


@scaled(1.6)
@known("not-finite", data=plans.REVENUE_NAN, style=0)
@given(
    data=st.one_of(plans.valid_plans(max_tasks=5), plans.valid_plans(4).flatmap(plans.mutated)),
    style=styles,
)
def test_yaml_and_json_of_the_same_data_are_the_same_plan(cli, data, style):
    """JSON is YAML: the same data spelled either way gets the same findings, and a valid
    plan the same analysis."""
    assume(not _special(data))
    seen = {}
    for fmt in ("yaml", "json"):
        with plan_file(plans.serialize(data, fmt, style), fmt) as path:
            code, out, _ = cli("check", path, "--json")
            assert code in (0, 1)
            doc = strict_json(out)
            analysis = None
            if doc["valid"]:
                acode, aout, aerr = cli("analyze", path, "--json", "--iterations", "50")
                assume(not known_failure(acode, aerr))
                assert acode == 0, aerr
                analysis = strict_json(aout)
                analysis.pop("findings")
            seen[fmt] = (doc["valid"], _verdict(doc["findings"]), analysis)
    assert seen["yaml"][:2] == seen["json"][:2], (
        f"YAML: valid={seen['yaml'][0]} {seen['yaml'][1]}\nJSON: valid={seen['json'][0]} "
        f"{seen['json'][1]}"
    )
    assert seen["yaml"][2] == seen["json"][2], "the same plan analyses differently"


SMALL_YAML = """schema: ventureplan/1
name: z
start: 2027-01-04
routes: [{id: r, chosen: true, model: m, dataset: {source: d.csv}}]
tasks: [{id: a, estimate: {optimistic: 1, likely: 2, pessimistic: 3}}]
"""
RECORD = "{run: r1, route: r, at: 2027-02-01T08:00:00Z, %s}"
NEST_AT = {
    # where the schema refuses the value: an error, located
    "measured": "measured: %s",
    "budget": "budget: %s",
    "x-extra": "x-extra: %s",
    "task": "tasks: [{id: a, estimate: {optimistic: 1, likely: 2, pessimistic: 3}, phase: %s}]",
    # where a record keeps any value (hyperparameters: Any, extra keys allowed): data
    "record.hyperparameters": "measured: [" + RECORD % "hyperparameters: {deep: %s}" + "]",
    "record.training": "measured: [" + RECORD % "training: {deep: %s}" + "]",
    "record.extra": "measured: [" + RECORD % "deep: %s" + "]",
}


def nested(where: str, depth: int, mapping: bool, leaf: str) -> str:
    line = NEST_AT[where] % plans.Deep(depth, mapping, leaf).text()
    if line.startswith("tasks:"):
        return SMALL_YAML.replace(SMALL_YAML.split("\n")[4], line)
    return SMALL_YAML + line + "\n"


@scaled(0.8)
@example(text=nested("record.hyperparameters", 200, False, "1"))
@known("surrogate", text=nested("record.training", 1, False, '"\\ud800"'))
@known("record-text", text=nested("record.training", 1, False, "1"))
@example(text=nested("measured", 200, True, "1"))
@given(
    text=st.builds(
        nested,
        # the HTML report formats a record's open training fields as numbers (record-text)
        st.sampled_from(
            sorted(k for k in NEST_AT if k != "record.training" or "record-text" not in IGNORE)
        ),
        st.integers(1, 200),
        st.booleans(),
        st.sampled_from(plans.keep(["1", '"x"', "null", "[]", "{}", ".nan", '"\\ud800"'])),
    )
)
def test_nesting_up_to_200_levels_is_an_error_or_data(cli, text):
    with plan_file(text, "yaml") as path:
        exercise(cli, path, reports=("json", "html"))
