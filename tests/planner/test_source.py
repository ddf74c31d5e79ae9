"""One reading of YAML for every file: the YAML 1.2 core schema, the same with or without
an alias, whichever of libyaml and the pure parser produced the events; depth, tags and
numbers bounded where they are written."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ventureplan.planner import source
from ventureplan.planner.errors import PlanError

from tests.conftest import GOOD

STARTERS = Path(source.__file__).resolve().parent.parent / "templates" / "starters"
FILES = sorted([*GOOD.glob("*.yaml"), *STARTERS.glob("*.yaml")])

# text -> what the YAML 1.2 core schema reads
CORE = {
    "yes": "yes",
    "no": "no",
    "on": "on",
    "off": "off",
    "y": "y",
    "true": True,
    "False": False,
    "TRUE": True,
    "~": None,
    "null": None,
    "Null": None,
    "": None,
    "1e-4": 1e-4,
    "0o17": 15,
    "017": 17,
    ".5": 0.5,
    "+1": 1,
    "-2.5e3": -2500.0,
    "0x1F": 31,
    "1_000": "1_000",
    "_1": "_1",
    "1.": 1.0,
    "1e3": 1000.0,
    ".inf": math.inf,
    "-.Inf": -math.inf,
    "0b101": "0b101",
    "1:20": "1:20",
    "2027-01-04": "2027-01-04",
    "2027-02-10T09:15:00Z": "2027-02-10T09:15:00Z",
    "0x": "0x",
    "+": "+",
    "1e": "1e",
    "12:30": "12:30",
}


def load(text: str):
    return source.parse(text, "p.yaml")[0]


def error(text: str, *, as_json: bool = False):
    with pytest.raises(PlanError) as exc:
        source.parse(text, "p.json" if as_json else "p.yaml", as_json=as_json)
    (finding,) = exc.value.findings
    return finding


@pytest.mark.parametrize("text,value", list(CORE.items()), ids=list(CORE))
def test_plain_scalars_read_by_the_yaml_1_2_core_schema(text, value):
    assert load(f"a: {text}\n") == {"a": value}
    # the same with an alias elsewhere, and inside a flow mapping (libyaml refuses some
    # flow forms, so the pure parser produces those events): one reading everywhere
    assert load(f"x: &k 1\ny: *k\na: {text}\n")["a"] == value
    assert load(f"a: {{b: {text}, c: builtin:x}}\n") == {"a": {"b": value, "c": "builtin:x"}}


def test_nan_and_quoted_scalars():
    got = load("a: .nan\nb: '5'\nc: \"true\"\nd: !!str 5\ne: !!float 1\nf: !!int 0x10\n")
    assert math.isnan(got["a"])
    assert got | {"a": 0} == {"a": 0, "b": "5", "c": "true", "d": "5", "e": 1.0, "f": 16}
    assert load("a: |\n  line\nb: >-\n  folded\n  text\n") == {"a": "line\n", "b": "folded text"}


@pytest.mark.parametrize(
    "text,code,where,words",
    [
        ("a: !custom x\n", "yaml-tag", (1, 4), "YAML tag !custom is not read"),
        ("a: !!binary aGVsbG8=\n", "yaml-tag", (1, 4), "YAML tag !!binary"),
        ("a: !!omap [{b: 1}]\n", "yaml-tag", (1, 4), "YAML tag !!omap"),
        ("a: !!set {b: null}\n", "yaml-tag", (1, 4), "YAML tag !!set"),
        ("a: !!python/object:os.system x\n", "yaml-tag", (1, 4), "!!python/object:os.system"),
        ("a:\n  b: !!timestamp 2027-01-01\n", "yaml-tag", (2, 6), "!!timestamp"),
        ("a: !!bool maybe\n", "yaml-value", (1, 4), "!!bool 'maybe' is not a valid bool"),
        ("a: !!int ''\n", "yaml-value", (1, 4), "!!int '' is not a valid int"),
        ("a: !!float x\n", "yaml-value", (1, 4), "!!float 'x' is not a valid float"),
        ("a: !!null 0\n", "yaml-value", (1, 4), "!!null '0' is not a valid null"),
        ("a: !!str [1]\n", "yaml-tag", (1, 4), "YAML tag !!str"),
        (
            "a: 1\na: 2\n",
            "yaml-syntax",
            (2, 1),
            "`a` appears twice at the top level of the plan; lines 1 and 2",
        ),
        ("a: *nowhere\n", "yaml-alias", (1, 4), "the alias *nowhere has no anchor before it"),
        ("a: &x [*x]\n", "recursive-alias", (1, 8), "refers to the node that contains it"),
        ("a: 1\nb: x\x7fy\n", "yaml-character", (2, 5), "character U+007F is not allowed"),
        ("? [1]\n: 2\n", "yaml-key", (1, 3), "a key must be a plain value"),
        ("a: 1\n---\nb: 2\n", "yaml-documents", (2, 1), "more than one YAML document"),
        ("a: " + "9" * 4301 + "\n", "number-too-long", (1, 4), "4,301 digits"),
        ("a: " + "[" * 65 + "]" * 65 + "\n", "too-deep", (1, 67), "deeper than 64 levels"),
    ],
)
def test_what_the_reading_refuses_is_a_located_error(text, code, where, words):
    f = error(text)
    assert f.code == code and (f.line, f.column) == where and words in f.message, f.format()


def test_surrogate_pairs_join_and_a_lone_half_is_refused():
    assert load('a: "\\ud83d\\ude80 launch"\n') == {"a": "🚀 launch"}
    assert error('a: "x\\ud83d"\n').code == "yaml-character"
    assert error('{"a": "x\\udc00"}', as_json=True).code == "json-character"
    assert source.parse('{"a": "\\ud83d\\ude80"}', "p.json", as_json=True)[0] == {"a": "🚀"}


def test_the_core_tags_and_a_merge_key_are_read():
    text = "base: &b {x: 1, y: 2}\nitem:\n  <<: *b\n  y: 3\nl: !!seq [1]\nm: !!map {k: v}\n"
    assert load(text) == {
        "base": {"x": 1, "y": 2},
        "item": {"x": 1, "y": 3},
        "l": [1],
        "m": {"k": "v"},
    }


def test_a_tab_before_a_comment_reads_the_same_with_and_without_an_alias():
    plain = "a: 1\t# one\nb: [2]\t# two\n"
    assert load(plain) == {"a": 1, "b": [2]}
    assert load("z: &z 0\nw: *z\n" + plain) == {"z": 0, "w": 0, "a": 1, "b": [2]}


@pytest.mark.parametrize("depth", [1_000, 49_000, 100_000])
def test_deep_nesting_is_refused_without_a_crash(tmp_path, depth):
    """100,000-deep flow YAML crashed the C composer (exit 139); 1,000 deep was a
    RecursionError. The events are read iteratively and the depth is bounded first."""
    for text, name in (
        ("a: " + "[" * depth + "]" * depth + "\n", "flow.yaml"),
        ("a:\n" + "".join(" " * i + "- \n" for i in range(1, min(depth, 3_000))), "block.yaml"),
        ('{"a": ' + "[" * depth + "]" * depth + "}", "deep.json"),
    ):
        path = tmp_path / name
        path.write_text(text)
        proc = subprocess.run(
            [sys.executable, "-m", "ventureplan.planner.cli", "check", str(path)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 1, (proc.returncode, proc.stderr[-500:])
        assert "Traceback" not in proc.stderr
        (line,) = proc.stderr.splitlines()
        assert "error: the document is nested deeper than 64 levels" in line, line


def test_json_numbers_and_constants_are_bounded():
    assert error('{"a": NaN}', as_json=True).message == "NaN is not JSON: numbers must be finite"
    f = error('{\n "a": -Infinity}', as_json=True)
    assert (f.code, f.line, f.column) == ("json-number", 2, 7)
    assert error('{"a": 1e999}', as_json=True).code == "json-number"
    f = error('{"a": ' + "7" * 5000 + "}", as_json=True)
    assert "5,000 digits" in f.message and f.code == "json-number"
    assert source.parse('{"a": 1e300, "b": 12}', "p.json", as_json=True)[0] == {"a": 1e300, "b": 12}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_plan_reads_as_json_reads_it(path):
    """JSON is YAML 1.2: the plan re-written as JSON reads back the same, by both readers."""
    data = load(path.read_text("utf-8"))
    text = json.dumps(data, ensure_ascii=False)
    assert load(text) == data
    assert source.parse(text, "p.json", as_json=True)[0] == data


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**18), 10**18),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
documents = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=8), documents, max_size=5))
def test_generated_documents_read_back_from_json_text_as_yaml(data):
    """Any JSON document is a YAML 1.2 document with the same meaning (escaped: YAML does
    not allow every character JSON does raw, such as U+007F)."""
    text = json.dumps(data)
    assert load(text) == data
    assert load("x: &a 1\ny: *a\n" + "z: " + text + "\n")["z"] == data


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_reads_or_is_one_located_error(text):
    try:
        data, _ = source.parse(text, "p.yaml")
    except PlanError as exc:
        assert exc.findings and all(f.line and f.column for f in exc.findings)
    else:
        assert isinstance(data, dict)


def test_locations_are_found_lazily(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text((GOOD / "small.yaml").read_text())
    data, where = source.read(path)
    assert where._found == {}  # nothing read until a finding needs a line
    assert where.locate(("tasks", 1, "owner")) == (43, 12)
    assert where.locate(("tasks", 1, "owner"), key=True) == (43, 5)
    assert where.locate(("tasks", 1, "nope", 3)) == (41, 5)  # the deepest part that exists
    assert where.locate(("routes", 0, "dataset", "label")) == (30, 55)  # inside a flow mapping
    assert where.locate(("routes", 0, "measures", 0)) == (32, 16)


def test_locations_survive_complex_keys_and_aliases(tmp_path):
    text = "a: &x {b: 1}\n? [k, 1]\n: v\nc: *x\nd:\n  - e: [1, {f: 2}]\n"
    where = source.SourceMap("x.yaml", text=text)
    assert where.locate(("a", "b")) == (1, 11)
    assert where.locate(("c",)) == (4, 4)
    assert where.locate(("c", "b")) == (4, 4)
    assert where.locate(("d", 0, "e", 1, "f")) == (6, 16)
    assert where.locate(("d", 0, "e", 1, "f"), key=True) == (6, 13)
