"""`diff OLD NEW --json` on generated versions of a plan, and the commands' own options
fuzzed lightly: an answer and an exit code (0, 1 or 2), never a traceback, and the plan
file as it was."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz import plans
from tests.fuzz.oracle import (
    ITERATIONS,
    assert_located_errors,
    lines_of,
    plan_file,
    scaled,
    strict_json,
)

versions = plans.valid_plans(max_tasks=5).flatmap(
    lambda p: st.tuples(st.just(p), st.one_of(st.just(p), plans.mutated(p), plans.valid_plans(4)))
)


@scaled(1.2)
@given(pair=versions, old_fmt=plans.formats, new_fmt=plans.formats)
def test_diff_of_two_versions(cli, pair, old_fmt, new_fmt):
    old, new = pair
    with tempfile.TemporaryDirectory(prefix="vp-fuzz-") as folder:
        a, b = Path(folder) / f"old.{old_fmt}", Path(folder) / f"new.{new_fmt}"
        a.write_text(plans.serialize(old, old_fmt), "utf-8")
        b.write_text(plans.serialize(new, new_fmt), "utf-8")
        before = a.read_bytes(), b.read_bytes()
        valid = [cli("check", p)[0] == 0 for p in (a, b)]
        code, out, err = cli("diff", a, b, "--json", "--iterations", ITERATIONS)
        if all(valid):
            assert code == 0, f"both versions are valid but diff exits {code}:\n{err}"
            doc = strict_json(out)
            if old == new:
                assert doc["changed"] is False, doc["plan"]
                for key in ("finish_p50", "finish_p80", "cost_p50", "cost_p80"):
                    assert doc["effect"][key]["delta"] in (0, None), doc["effect"][key]
        else:
            assert code == 1, f"diff exited {code} with an invalid version:\n{err}"
            assert out == "", out[:300]
            bad = a if not valid[0] else b
            assert_located_errors(bad, err, bad.read_text("utf-8"), command="diff")
        assert (a.read_bytes(), b.read_bytes()) == before, "diff changed a plan file"


OPTION_VALUES = {
    "--iterations": [
        "0",
        "-1",
        "1",
        "2",
        "10000001",
        "abc",
        "1e3",
        "",
        " 5",
        "99999999999999999999",
    ],
    "--seed": ["-1", "0", "4294967296", "18446744073709551616", "x", "1.5"],
    "--lang": ["en", "zh", "xx", "", "EN", "zh-CN"],
    "--diagram": ["gantt", "flow", "risks", "budget", "all", "nope", "", "GANTT"],
}
SUFFIXES = [".md", ".html", ".json", ".txt", "", ".JSON", ".md.", "/", ".yaml"]


@scaled(1.2)
@given(
    command=st.sampled_from(["analyze", "roadmap", "report", "check"]),
    options=st.dictionaries(
        st.sampled_from(sorted(OPTION_VALUES)),
        st.sampled_from(sorted({v for vs in OPTION_VALUES.values() for v in vs})),
        max_size=3,
    ),
    suffix=st.sampled_from(SUFFIXES),
    output_is_plan=st.booleans(),
    fmt=plans.formats,
)
def test_command_options(cli, command, options, suffix, output_is_plan, fmt):
    text = plans.serialize(
        {
            "schema": "ventureplan/1",
            "name": "options",
            "start": "2027-01-04",
            "routes": [{"id": "r", "chosen": True, "model": "m", "dataset": {"source": "d.csv"}}],
            "tasks": [{"id": "a", "estimate": {"optimistic": 1, "likely": 2, "pessimistic": 3}}],
        },
        fmt,
    )
    with plan_file(text, fmt) as path:
        args: list[object] = [command, path]
        for name, value in options.items():
            args += [name, value]
        if command == "report":
            args += ["-o", path if output_is_plan else path.parent / f"out{suffix}"]
        code, out, err = cli(*args)
        assert code in (0, 1, 2), f"{args}: exit {code}\n{err}"
        assert "Traceback" not in err, err
        if code == 1:
            lines = lines_of(err)
            assert len(lines) == 1 and lines[0].startswith(("error: ", f"{path}:")), err
        if code == 2:
            assert "Usage" in err or "Error" in err, err
        assert path.read_text("utf-8") == text, "a command changed the plan file"
