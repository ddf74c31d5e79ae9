"""The fast parser (yaml-rs) and the careful one (ruamel.yaml) must read plans alike."""

from __future__ import annotations

from pathlib import Path

import pytest
from ventureplan.planner import source

from tests.conftest import BAD, GOOD

STARTERS = Path(source.__file__).resolve().parent.parent / "templates" / "starters"
FILES = sorted([*GOOD.glob("*.yaml"), *BAD.glob("*.yaml"), *STARTERS.glob("*.yaml")])

SNIPPETS = [
    "a: yes\nb: no\nc: on\nd: off\ne: true\nf: False\n",
    "a: 1e-4\nb: 0o17\nc: 017\nd: .5\ne: +1\nf: -2.5e3\ng: 0x1F\nh: 1_000\n",
    "a: 2027-01-04\nb: 2027-02-10T09:15:00Z\nc: 2027-02-30\nd: '2027-01-04'\n",
    "a: ~\nb: null\nc:\nd: ''\ne: .inf\nf: -.Inf\ng: .nan\n",
    "a: >-\n  folded\n  text\nb: |\n  literal\n  text\nc: \"esc\\t\\u00e9\\n\"\nd: 'it''s'\n",
    "d: {source: builtin:bbc-news, text: text}\nl: [a, 'b', \"c\", 1, 2.0]\n",
    "key with spaces: 1\n'quoted key': 2\n? complex\n: 3\n",
    "name: 新闻分类 — 🚀 <script>\ncurrency: USD # a comment\n",
    "a:\n  - x: 1\n    y: [1, 2]\n  - {x: 2}\n",
]


def careful(text: str):
    return source._yaml(pure=True).load(text)


def _agree(text: str) -> None:
    fast = source._fast_load(text)
    if fast is None:
        return  # the careful parser handles this one alone
    slow = careful(text)
    assert fast == slow or repr(fast) == repr(slow)  # nan != nan


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_fast_and_careful_parsers_agree_on_every_plan(path):
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        pytest.skip("not UTF-8: refused before parsing")
    try:
        careful(text)
    except Exception:
        assert source._fast_load(text) is None
        return
    _agree(text)


@pytest.mark.parametrize("text", SNIPPETS)
def test_fast_and_careful_parsers_agree_on_tricky_scalars(text):
    _agree(text)


def test_documents_with_aliases_take_the_careful_path():
    assert source._fast_load("a: &x [1]\nb: *x\n") is None
    assert source._fast_load("a: [*x]\n") is None
    assert source._fast_load("a: 5 * 3\nb: '**bold**'\n") == {"a": "5 * 3", "b": "**bold**"}


def test_fast_path_is_used_for_a_plain_plan():
    data = source._fast_load((GOOD / "small.yaml").read_text())
    assert data is not None and data["tasks"][1]["depends_on"] == ["data"]


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
