"""Errors in the plan's words: a broken YAML structure, a field one level off, and every
phase that can run reporting at once.

The structure cases edit one line of PLAN (or insert one) and pin the whole message and
where it points; a property test corrupts the starter plans and checks that no parser word
(`block end`, `token`, `<block mapping start>`) and no traceback ever reaches the founder.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ventureplan.planner import pipeline, source
from ventureplan.planner.errors import Finding, PlanError
from ventureplan.planner.load import load_plan, validate_data
from ventureplan.planner.starters import starter_text
from ventureplan.planner.workshop.serve import PlanServer

PLAN = """\
schema: ventureplan/1
name: TopicTagger
start: 2027-01-04
team:
  - id: founder
    title: Founder
    monthly_cost: 8000
routes:
  - id: minilm
    chosen: true
    model: builtin:minilm-l6
    dataset: {source: builtin:bbc-news}
tasks:
  - id: data
    name: Clean the data
    owner: founder
    estimate: {optimistic: 2, likely: 3, pessimistic: 6}
  - id: train
    name: Fine-tune
    owner: founder
    estimate:
      optimistic: 2
      likely: 4
      pessimistic: 8
    depends_on: [data]
"""


def edited(changes: dict[float, str]) -> str:
    """PLAN with line N (1-based) replaced by changes[N]; a key N + 0.5 inserts a line
    after line N."""
    lines = PLAN.split("\n")
    for n in sorted(changes, reverse=True):
        if n == int(n):
            lines[int(n) - 1] = changes[n]
        else:
            lines.insert(int(n), changes[n])
    return "\n".join(lines)


def findings(text: str) -> list[Finding]:
    try:
        data, where = source.parse(text, "plan.yaml")
        validate_data(data, where)
    except PlanError as exc:
        return exc.findings
    return []


def only(text: str) -> Finding:
    found = findings(text)
    assert len(found) == 1, [f.format() for f in found]
    return found[0]


def test_the_plan_here_is_valid():
    assert findings(PLAN) == []


# (line changes, line, column, message, hint)
STRUCTURE = {
    "tab-indent": (
        {16: "\towner: founder"},
        16,
        1,
        "tabs are not allowed in YAML indentation; use spaces",
        None,
    ),
    "tab-in-a-value": (
        {16: "    own\ter: founder"},
        16,
        8,
        "a tab is not allowed here; use spaces, or put the value in quotes",
        None,
    ),
    "deeper-than-a-field-with-a-value": (
        {16: "      owner: founder"},
        16,
        7,
        "line 16 is indented deeper than `name:` above it; line it up with the task's other fields",
        "if it belongs under `name:`, remove the value after `name:` on line 15",
    ),
    "deeper-than-a-flow-value": (
        {18.5: "      name: Fine-tune"},
        19,
        7,
        "line 19 is indented deeper than `id:` above it; line it up with the task's other fields",
        "if it belongs under `id:`, remove the value after `id:` on line 18",
    ),
    "deeper-inside-estimate": (
        {23: "        likely: 4"},
        23,
        9,
        "line 23 is indented deeper than `optimistic:` above it; line it up with the other "
        "fields of `estimate:`",
        "if it belongs under `optimistic:`, remove the value after `optimistic:` on line 22",
    ),
    "under-estimate-with-a-value": (
        {17: "    estimate: 3", 17.5: "      optimistic: 2"},
        18,
        7,
        "line 18 is indented deeper than `estimate:` above it; line it up with the task's "
        "other fields",
        "if it belongs under `estimate:`, remove the value after `estimate:` on line 17",
    ),
    "field-too-shallow": (
        {16: "owner: founder"},
        16,
        1,
        "line 16 is indented less than the fields around it; line `owner:` up with `name:` "
        "on line 15",
        None,
    ),
    "field-off-by-one": (
        {16: "   owner: founder"},
        16,
        4,
        "line 16 does not line up with the fields above it: it is indented 3 spaces, "
        "`name:` on line 15 is indented 4; line them up",
        None,
    ),
    "field-at-the-dash": (
        {16: "  owner: founder"},
        16,
        3,
        "line 16 is lined up with the `-` of the list item on line 14, not with its fields; "
        "line it up with `name:` on line 15, or start a new item with `- `",
        None,
    ),
    "list-item-too-deep": (
        {18: "   - id: train"},
        18,
        4,
        "this list item is indented 3 spaces but the items before it 2 (line 14); line it up "
        "with them",
        None,
    ),
    "list-item-too-shallow": (
        {18: " - id: train"},
        18,
        2,
        "this list item is indented 1 space but the items before it 2 (line 14); line it up "
        "with them",
        None,
    ),
    "list-item-among-fields": (
        {16: "    - owner: founder"},
        16,
        5,
        "line 16 starts a list item (`- `) among the fields of a mapping (`name:` on line 15 "
        "is at the same indentation); remove the `- `, or indent the list under a field",
        None,
    ),
    "list-item-where-no-list-is-open": (
        {3.5: "business:\n  model: tool\n - oops"},
        6,
        2,
        "line 6 starts a list item (`- `) where no list is open: a list goes under a field "
        "that has no value on its own line, indented more than that field",
        None,
    ),
    "quote-never-closed": (
        {15: '    name: "Clean the data'},
        15,
        11,
        "the quote opened at line 15 col 11 is never closed",
        'end the value with " on line 15',
    ),
    "quote-runs-on-to-the-next-one": (
        {15: '    name: "Clean the data', 19: '    name: "Fine-tune"'},
        15,
        11,
        "the quote opened at line 15 col 11 is never closed on its line: the value runs on "
        'to the next " on line 19',
        'end the value with " on line 15',
    ),
    "single-quote-runs-on": (
        {15: "    name: 'Clean the data", 19: "    name: 'Fine-tune'"},
        15,
        11,
        "the quote opened at line 15 col 11 is never closed on its line: the value runs on "
        "to the next ' on line 19",
        "end the value with ' on line 15",
    ),
    "text-after-a-quote": (
        {15: '    name: "Clean" the data'},
        15,
        19,
        'text after the closing " of a quoted value; put the whole value inside the quotes',
        None,
    ),
    "bracket-never-closed": (
        {25: "    depends_on: [data"},
        25,
        17,
        "the `[` opened at line 25 col 17 is never closed",
        "end it with `]` on line 25",
    ),
    "brace-never-closed": (
        {17: "    estimate: {optimistic: 2, likely: 3, pessimistic: 6"},
        17,
        15,
        "the `{` opened at line 17 col 15 is never closed",
        "end it with `}` on line 17",
    ),
    "comma-missing": (
        {17: "    estimate: {optimistic: 2, likely: 3 pessimistic: 6}"},
        17,
        41,
        "a `,` is missing before `pessimistic`: the entries of `{...}` are separated by commas",
        None,
    ),
    "comma-twice": (
        {17: "    estimate: {optimistic: 2,, likely: 3, pessimistic: 6}"},
        17,
        30,
        "a `,` with nothing before it; remove it",
        None,
    ),
    "closer-closes-nothing": (
        {25: "    depends_on: [data]]"},
        25,
        23,
        "this `]` closes nothing (no `[` is open); remove it",
        None,
    ),
    "colon-inside-a-value": (
        {15: "    name: Clean: the data"},
        15,
        16,
        "the value of `name:` holds `: `, which would start another field; put the value in "
        'quotes: name: "Clean: the data"',
        None,
    ),
    "value-continues-with-a-colon": (
        {15.5: "      at 10:30: label it"},
        16,
        15,
        "line 16: a value cannot continue onto an indented line that holds `: `; put the "
        "value of `name:` (line 15) in quotes",
        None,
    ),
    "question-mark": (
        {16: "  ? owner"},
        16,
        3,
        "a `?` here marks a YAML complex key, which a plan does not use; remove it, or put "
        "the value in quotes",
        None,
    ),
    "no-space-after-colon": (
        {16: "    owner:founder"},
        16,
        10,
        "put a space after the `:` in `owner:founder`",
        None,
    ),
    "no-colon": (
        {16: "    owner founder"},
        16,
        5,
        "line 16 is neither a field (`name: value`) nor a list item (`- ...`)",
        "add a `:` after the field name; if it continues the value above, indent it more "
        "than that field",
    ),
    "no-colon-in-a-list-item": (
        {18: "  - id train"},
        18,
        5,
        "`id train` on line 18 is not a field: add a `:` after `id`",
        None,
    ),
    "reserved-character": (
        {16: "    owner: @founder"},
        16,
        12,
        'a value cannot start with `@`; put it in quotes: "@founder"',
        None,
    ),
    "block-scalar-sign": (
        {15: "    name: |Clean"},
        15,
        11,
        "`|` starts a block of text on the lines below it, so nothing but a comment may "
        "follow it on its line; to begin a value with `|`, put the value in quotes",
        None,
    ),
    "duplicate-in-an-item": (
        {16.5: "    owner: founder"},
        17,
        5,
        "`owner` appears twice in this item; lines 16 and 17",
        "keep one",
    ),
    "duplicate-under-a-field": (
        {23.5: "      likely: 5"},
        24,
        7,
        "`likely` appears twice under `estimate:`; lines 23 and 24",
        "keep one",
    ),
    "duplicate-at-the-top": (
        {3.5: "name: Another"},
        4,
        1,
        "`name` appears twice at the top level of the plan; lines 2 and 4",
        "keep one",
    ),
}


@pytest.mark.parametrize("case", sorted(STRUCTURE))
def test_a_broken_structure_is_told_in_the_plans_words(case):
    changes, line, col, message, hint = STRUCTURE[case]
    f = only(edited(changes))
    assert f.code == "yaml-syntax"
    assert (f.message, f.hint) == (message, hint)
    assert (f.line, f.column) == (line, col), f.format()
    assert f.format().startswith(f"plan.yaml:{line}:{col}: error: {message}")


PARSER_WORDS = re.compile(
    r"block end|block mapping|block collection|token|<[a-z]|simple key|scalar|stream|"
    r"while (?:parsing|scanning)|expected '|found '|YAML syntax error",
    re.IGNORECASE,
)


def _words_of(message: str) -> str:
    """A message without what it quotes from the plan: `...` spans and quoted values."""
    message = re.sub(r"`[^`]*`", "", message)
    message = re.sub(r'"[^"\n]*"|\'[^\'\n]*\'', "", message)
    return message


def test_no_structure_message_uses_a_parser_word():
    for changes, *_ in STRUCTURE.values():
        f = only(edited(changes))
        assert not PARSER_WORDS.search(_words_of(f.format())), f.format()


# --- a field one level off ------------------------------------------------------------


def test_estimate_points_beside_estimate_are_one_finding_that_says_where_they_go():
    text = edited(
        {
            21: "    estimate:",
            22: "    optimistic: 2",
            23: "    likely: 4",
            24: "    pessimistic: 8",
        }
    )
    f = only(text)
    assert f.code == "unknown-field"
    assert f.message == (
        "`optimistic`, `likely`, `pessimistic` belong under `estimate:` "
        "(indent them two more spaces)"
    )
    assert (f.line, f.column, f.where) == (22, 5, "tasks[1].optimistic")


def test_estimate_points_without_estimate_say_to_add_it():
    lines = PLAN.split("\n")
    text = "\n".join(
        [*lines[:20], "    optimistic: 2", "    likely: 4", "    pessimistic: 8", *lines[24:]]
    )
    f = only(text)
    assert f.message == (
        "`optimistic`, `likely`, `pessimistic` belong under `estimate:` "
        "(add `estimate:` on a line above them, then indent them two more spaces)"
    )
    assert (f.line, f.column) == (21, 5)


def test_one_point_left_behind_is_one_finding_not_two():
    f = only(edited({24: "    pessimistic: 8"}))
    assert f.message == (
        "`pessimistic` belongs under `estimate:` (move it in with the other fields of `estimate:`)"
    )
    assert (f.line, f.column) == (24, 5)


def test_a_field_one_level_too_deep_says_it_belongs_beside():
    f = only(edited({25: "      depends_on: [data]"}))
    assert f.message == (
        "`depends_on` belongs beside `estimate:`, not under it (line it up with `estimate:`)"
    )
    assert (f.line, f.column, f.where) == (25, 7, "tasks[1].estimate.depends_on")


def test_a_section_indented_into_an_item_says_it_belongs_beside_the_list():
    f = only(PLAN + "    budget: {cash: 100000}\n")
    assert f.message == (
        "`budget` belongs beside `tasks:`, not inside one of its items (line it up with `tasks:`)"
    )
    assert (f.line, f.column) == (26, 5)


def test_an_unknown_field_elsewhere_keeps_its_did_you_mean():
    f = only(edited({25: "    dependson: [data]"}))
    assert f.message == "unknown field `dependson`; did you mean `depends_on`?"


# --- every phase at once --------------------------------------------------------------


def test_a_bad_number_and_a_bad_dependency_come_out_of_one_check(tmp_path, cli):
    path = tmp_path / "plan.yaml"
    path.write_text(edited({23: "      likely: four", 25: "    depends_on: [dta]"}), "utf-8")
    code, out, err = cli("check", path)
    assert code == 1 and out == ""
    assert "Traceback" not in err
    assert err.splitlines() == [
        f"{path}:23:15: error: tasks[1].estimate.likely: must be a valid number, unable to "
        "parse string as a number, got 'four'",
        f"{path}:25:18: error: tasks[1].depends_on[0]: unknown task id 'dta' "
        "(fix: did you mean 'data'?)",
        f"{path}: invalid, 2 errors",
    ]


def test_both_phases_in_json_and_in_the_pipeline(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(edited({7: "    monthly_cost: lots", 20: "    owner: nobody"}), "utf-8")
    outcome = pipeline.check(path)
    assert [(f.code, f.where) for f in outcome.findings] == [
        ("schema", "team[0].monthly_cost"),
        ("unknown-id", "tasks[1].owner"),
    ]
    with pytest.raises(PlanError) as exc:
        load_plan(path)
    assert len(exc.value.findings) == 2


def test_an_item_with_a_schema_error_still_counts_as_existing():
    # the task `data`, the role `founder` and the route `minilm` each have an error of
    # their own; what refers to them is not also reported
    text = edited(
        {
            7: "    monthly_cost: -5",
            11: "    model: ''",
            17: "    estimate: {optimistic: 9, likely: 3, pessimistic: 6}",
            19.5: "    route: minilm",
        }
    )
    assert [(f.code, f.where) for f in findings(text)] == [
        ("schema", "team[0].monthly_cost"),
        ("schema", "routes[0].model"),
        ("schema", "tasks[0].estimate"),
    ]


def test_an_invalid_id_still_counts_for_its_references():
    text = edited({14: "  - id: clean.data!", 25: "    depends_on: [clean.data!]"})
    assert [(f.code, f.where) for f in findings(text)] == [
        ("schema", "tasks[0].id"),
        ("schema", "tasks[1].depends_on[0]"),  # the same pattern, and nothing else
    ]


def test_an_item_without_a_readable_id_stops_unknown_references_to_its_list():
    text = edited({5: "  - idd: founder"})
    found = findings(text)
    assert "unknown-id" not in {f.code for f in found}
    assert {f.where for f in found} == {"team[0].idd", "team[0].id"}


def test_a_unreadable_chosen_does_not_claim_no_route_is_chosen():
    f = only(edited({10: "    chosen: maybe"}))
    assert (f.code, f.where) == ("schema", "routes[0].chosen")


def test_a_list_that_is_not_a_list_stops_references_to_it():
    text = "\n".join(PLAN.split("\n")[:4]) + "\n  founder\n" + "\n".join(PLAN.split("\n")[7:])
    assert [(f.code, f.where) for f in findings(text)] == [("schema", "team")]


def test_the_cross_checks_still_run_beside_schema_errors():
    text = edited({7: "    monthly_cost: lots", 25: "    depends_on: [train]"})
    assert [(f.code, f.message) for f in findings(text)] == [
        ("schema", "must be a valid number, unable to parse string as a number, got 'lots'"),
        ("cycle", "task 'train' depends on itself"),
    ]
    text = edited({7: "    monthly_cost: lots", 18: "  - id: data"})
    assert [(f.code, f.where) for f in findings(text)] == [
        ("schema", "team[0].monthly_cost"),
        ("duplicate-id", "tasks[1].id"),
        ("cycle", "tasks[1].depends_on"),  # the second `data` depends on `data`
    ]


def test_the_serve_banner_shows_both_phases(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(edited({23: "      likely: four", 25: "    depends_on: [dta]"}), "utf-8")
    server = PlanServer(path, port=0, poll=60)
    server.start()
    try:
        errors = server.snapshot.errors
        page = server.page()
    finally:
        server.stop()
    assert [line.split(": error: ")[1].split(":")[0] for line in errors] == [
        "tasks[1].estimate.likely",
        "tasks[1].depends_on[0]",
    ]
    assert "unknown task id &#x27;dta&#x27;" in page


# --- corrupted starter plans ----------------------------------------------------------

STARTERS = [starter_text(name, lang) for name in ("minimal", "newslens") for lang in ("en", "zh")]
MARKS = ["?", ":", ": ", '"', "'", "\t", "{", "}", "[", "]", "- ", ",", "#", "|", ">", "@", "&"]


@st.composite
def corrupted(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(STARTERS))
    how = draw(st.sampled_from(["delete", "insert", "indent", "tab"]))
    if how == "indent":
        lines = text.split("\n")
        n = draw(st.integers(0, len(lines) - 1))
        shift = draw(st.integers(-4, 4))
        line = lines[n]
        lead = len(line) - len(line.lstrip(" "))
        lines[n] = " " * shift + line if shift > 0 else line[min(-shift, lead) :]
        return "\n".join(lines)
    at = draw(st.integers(0, len(text) - 1))
    if how == "delete":
        return text[:at] + text[at + 1 :]
    mark = "\t" if how == "tab" else draw(st.sampled_from(MARKS))
    return text[:at] + mark + text[at:]


def _in_file(f: Finding, text: str) -> bool:
    lines = text.split("\n")
    if f.line is None or f.column is None or not 1 <= f.line <= len(lines):
        return False
    return 1 <= f.column <= len(lines[f.line - 1]) + 1


@settings(max_examples=max(25, settings().max_examples * 8))
@given(text=corrupted())
def test_a_corrupted_starter_never_shows_the_parser(text):
    for f in findings(text):  # a PlanError only: anything else fails the test here
        shown = f.format()
        assert not PARSER_WORDS.search(_words_of(shown)), shown
        assert _in_file(f, text), shown


@settings(max_examples=max(10, settings().max_examples))
@given(text=corrupted())
def test_check_on_a_corrupted_starter_exits_cleanly(text, cli, tmp_path_factory):
    path: Path = tmp_path_factory.mktemp("corrupt") / "plan.yaml"
    path.write_text(text, "utf-8")
    code, out, err = cli("check", path)
    assert code in (0, 1)
    assert "Traceback" not in err
    for line in err.splitlines():
        assert not PARSER_WORDS.search(_words_of(line)), line
