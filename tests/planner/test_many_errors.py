"""A plan with thousands of mistakes is checked in linear work: "did you mean" for the
first SUGGESTIONS distinct typos only, locations found in one pass over the file, and the
first MAX_PRINTED errors printed with a count of the rest (every one in --json).

Work is counted (calls), never timed: these machines are noisy."""

from __future__ import annotations

import difflib
import json
import re

from ventureplan.planner import source, validate
from ventureplan.planner.cli.output import MAX_PRINTED

from tests.conftest import GOOD


def _counting(monkeypatch, module, name):
    calls = []
    real = getattr(module, name)

    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


def test_thousands_of_unknown_ids_ask_for_few_suggestions(tmp_path, cli, monkeypatch):
    """3,000 references to missing ids took 143 s: a did-you-mean against every id each."""
    text = (GOOD / "small.yaml").read_text("utf-8")
    missing = ", ".join(f"gone{i}" for i in range(3000))
    path = tmp_path / "plan.yaml"
    path.write_text(text.replace("depends_on: [data]", f"depends_on: [{missing}]", 1))
    before = path.read_bytes()
    asked = _counting(monkeypatch, difflib, "get_close_matches")
    code, out, err = cli("check", path, "--json")
    assert code == 1
    doc = json.loads(out)
    unknown = [f for f in doc["findings"] if f["code"] == "unknown-id"]
    assert len(unknown) == 3000
    assert len(asked) <= validate.SUGGESTIONS + 5
    assert unknown[0]["line"] == 46 and unknown[2999]["line"] == 46
    assert path.read_bytes() == before


def test_a_repeated_typo_is_suggested_once():
    ask = validate.Suggester(["train", "data", "launch"])
    assert [ask("trian") for _ in range(1000)] == ["train"] * 1000
    assert len(ask.seen) == 1


def test_hundred_thousand_unknown_keys_are_located_in_one_pass(tmp_path, cli, monkeypatch):
    """100,000 unknown top-level keys took over 120 s (SourceMap._scan, one parse each)."""
    text = (GOOD / "small.yaml").read_text("utf-8")
    path = tmp_path / "plan.yaml"
    path.write_text(text + "".join(f"k{i}: 1\n" for i in range(100_000)))
    parsers = _counting(monkeypatch, source, "_yaml")
    code, out, err = cli("check", path)
    assert code == 1
    lines = err.splitlines()
    assert len(lines) == MAX_PRINTED + 2  # the errors shown, how many more, the count
    assert re.fullmatch(r".*plan\.yaml:\d+:1: error: k0: unknown field `k0`.*", lines[0])
    assert lines[MAX_PRINTED] == (
        f"... and {100_000 - MAX_PRINTED:,} more; `ventureplan check {path} --json` lists every one"
    )
    assert lines[-1].endswith(": invalid, 100,000 errors")
    assert len(parsers) <= 3  # the one reading, and one pass to locate them all
    first = int(lines[0].split(":")[1])
    assert path.read_text().splitlines()[first - 1] == "k0: 1"


def test_a_few_errors_print_in_full(tmp_path, cli):
    text = (GOOD / "small.yaml").read_text("utf-8")
    path = tmp_path / "plan.yaml"
    path.write_text(text + "".join(f"k{i}: 1\n" for i in range(MAX_PRINTED)))
    code, _, err = cli("check", path)
    assert code == 1 and "more;" not in err
    assert len(err.splitlines()) == MAX_PRINTED + 1
