"""Nesting past 200 levels, up to 20,000: a plan file nested that deep is a located error
(or, where a record keeps any value, data), never a RecursionError and never a crash of the
interpreter. Each command runs in its own process here, so that a stack overflow in a
parser written in C or Rust fails one example instead of ending the test session."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz import plans
from tests.fuzz.oracle import assert_located_errors, known, plan_file, scaled, strict_json

SMALL = {
    "schema": "ventureplan/1",
    "name": "deep",
    "start": "2027-01-04",
    "routes": [{"id": "r", "chosen": True, "model": "m", "dataset": {"source": "d.csv"}}],
    "tasks": [{"id": "a", "estimate": {"optimistic": 1, "likely": 2, "pessimistic": 3}}],
}
RECORD = {"run": "r1", "route": "r", "at": "2027-02-01T08:00:00Z"}


def run(*args: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VENTUREPLAN_DISABLE_PLUGIN_AUTOLOAD": "1", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "ventureplan.planner.cli", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        env=env,
        timeout=300,
    )


def deep_plan(where: str, depth: int, mapping: bool) -> dict:
    data = {**SMALL}
    nest = plans.Deep(depth, mapping)
    if where == "measured":
        data["measured"] = nest
    elif where == "x-extra":
        data["x-extra"] = nest
    elif where == "task":
        data["tasks"] = [{**SMALL["tasks"][0], "phase": nest}]
    else:  # kept as data: a record's hyperparameters hold any value
        data["measured"] = [{**RECORD, "hyperparameters": {"deep": nest}}]
    return data


@scaled(0.4)
@known("deep", where="measured", depth=1_000, mapping=False, fmt="yaml")
@known("deep", where="measured", depth=1_000, mapping=False, fmt="json")
@known("deep", where="record", depth=5_000, mapping=True, fmt="yaml")
@given(
    where=st.sampled_from(["measured", "x-extra", "task", "record"]),
    depth=st.one_of(st.integers(201, 3_000), st.sampled_from([10_000, 20_000])),
    mapping=st.booleans(),
    fmt=plans.formats,
)
def test_nesting_thousands_deep_is_an_error_never_a_crash(where, depth, mapping, fmt):
    if "deep" in plans.IGNORE:
        pytest.skip("deep nesting is stepped around (VENTUREPLAN_FUZZ_IGNORE)")
    text = plans.serialize(deep_plan(where, depth, mapping), fmt)
    with plan_file(text, fmt) as path:
        check = run("check", path)
        assert check.returncode in (0, 1), (
            f"check exited {check.returncode} (a negative code is a signal: the interpreter "
            f"crashed)\n{check.stderr[-2000:]}"
        )
        if check.returncode == 1:
            assert_located_errors(path, check.stderr, text, command="check")
        else:
            assert "Traceback" not in check.stderr, check.stderr[-2000:]
        analyze = run("analyze", path, "--json", "--iterations", "50")
        assert analyze.returncode == check.returncode, analyze.stderr[-2000:]
        if analyze.returncode == 0:
            strict_json(analyze.stdout)
        else:
            assert_located_errors(path, analyze.stderr, text, command="analyze")
        assert path.read_text("utf-8") == text
