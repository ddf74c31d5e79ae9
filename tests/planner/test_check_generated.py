"""`check` on generated damage to a valid plan: whatever the edit, the pipeline answers with
findings (never a traceback), every error names its file, line and column on one line, and
the command exits 0 or 1."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner
from ventureplan.planner import pipeline
from ventureplan.planner.cli.main import app

from tests.conftest import GOOD

LINES = (GOOD / "small.yaml").read_text("utf-8").split("\n")
HOSTILE = [
    "",
    "  ",
    ":",
    "- ",
    "[",
    "{",
    "&a",
    "*a",
    "!!python/object:os.system",
    "\t",
    "é",
    "\x00",
    "99999999999999999999",
    "-1",
    "nan",
    "2027-02-30",
    "[/]",
    "\x1b]0;x\x07",
]

edits = st.lists(
    st.tuples(
        st.sampled_from(["delete", "duplicate", "insert", "replace"]),
        st.integers(0, len(LINES) - 1),
        st.one_of(st.sampled_from(HOSTILE), st.text(max_size=12)),
        st.integers(0, 40),
    ),
    min_size=1,
    max_size=4,
)


def damaged(ops: list[tuple[str, int, str, int]]) -> str:
    lines = list(LINES)
    for op, i, text, col in ops:
        i %= len(lines)
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "insert":
            lines.insert(i, text)
        else:
            line = lines[i]
            lines[i] = line[:col] + text + line[col + len(text) :]
        if not lines:
            lines = [""]
    return "\n".join(lines)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=edits)
def test_check_answers_any_damaged_plan_with_located_findings(tmp_path, ops):
    path = tmp_path / "plan.yaml"
    path.write_text(damaged(ops), "utf-8")
    outcome = pipeline.check(path, iterations=200)
    for f in outcome.errors():
        line = f.format()
        assert line.startswith(f"{path}:{f.line or 1}:{f.column or 1}: error: ")
        assert "\n" not in line
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == (0 if outcome.valid else 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
