"""What every command must do with any plan file, however damaged: the fuzz suite's oracle.

`exercise(cli, path)` runs `check`, `check --json`, `analyze --json`, `roadmap` and
`report -o x.md|x.html|x.json` in process and asserts the contract of README and
DESIGN §6: exit 0, or exit 1 with every stderr line a located error
(`FILE:LINE:COL: error: ...`); never a traceback (the `cli` fixture lets one through);
every `--json` document and the `.json` report strict JSON; a plan that `check` accepts is
one every other command handles; the schedule never has a task finish before it starts;
and the plan file's bytes never change.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import re
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from hypothesis import example, settings

from tests.fuzz import plans

ITERATIONS = "200"
# Known bugs to step around while hunting for others (tests/fuzz/__init__.py).
IGNORE = plans.IGNORE
EPS = 1e-6
Cli = Callable[..., tuple[int, str, str]]


def scaled(share: float) -> settings:
    """A property's examples as a share of the profile's (ci 25, fuzz 5,000): read when the
    test module is imported, after the profile is loaded."""
    return settings(max_examples=max(5, round(settings().max_examples * share)))


def known(tag: str, **kwargs: Any) -> Callable[[Any], Any]:
    """`@example(**kwargs)`, an example that found the bug `tag`; left out while that bug is
    stepped around (VENTUREPLAN_FUZZ_IGNORE), so a long run can go past it."""
    return (lambda test: test) if tag in IGNORE else example(**kwargs)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is not a finite number")
    return value


def strict_json(text: str) -> Any:
    """json.loads that refuses NaN, Infinity and numbers that overflow to infinity."""
    return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)


def lines_of(text: str) -> list[str]:
    """Output lines as a terminal shows them: split on newline only (str.splitlines would
    also split on U+2028, U+0085 and friends, which plan text may hold)."""
    return [line for line in text.split("\n") if line]


def located(path: Path, text: str) -> re.Pattern[str]:
    return re.compile(rf"\A{re.escape(str(path))}:(\d+):(\d+): error: .")


def assert_located_errors(path: Path, err: str, plan_text: str, *, command: str) -> list[str]:
    """Every stderr line is `FILE:LINE:COL: error: ...` at a line the file has (check adds
    one `FILE: invalid, N errors` line); returns the error lines."""
    assert "Traceback" not in err, f"{command}: a traceback on stderr:\n{err}"
    assert "This is a bug" not in err, f"{command}: the tool reports a bug of its own:\n{err}"
    pattern = located(path, plan_text)
    summary = re.compile(rf"\A{re.escape(str(path))}: invalid, [\d,]+ errors\Z")
    more = re.compile(r"\A\.\.\. and [\d,]+ more; `ventureplan check .* --json` lists every one\Z")
    errors = []
    lines = lines_of(err)
    assert lines, f"{command}: exit 1 and nothing on stderr"
    for line in lines:
        if summary.match(line) or more.match(line):
            continue
        m = pattern.match(line)
        assert m, f"{command}: a stderr line that is not a located error: {line[:500]!r}"
        row, col = int(m.group(1)), int(m.group(2))
        if "imprecise-location" not in IGNORE:
            assert_in_file(row, col, plan_text, what=f"{command}: {line[:300]!r}")
        errors.append(line)
    assert errors, f"{command}: exit 1 without an error line:\n{err}"
    return errors


def assert_in_file(row: int, col: int, plan_text: str, *, what: str) -> None:
    """LINE:COL names a place the file has: a line that exists (split on newline only, as
    editors count), a column at most one past its end; or the end of the file (the line
    after a final newline, column 1), where a parser reports an unclosed bracket."""
    lines = plan_text.split("\n")
    if plan_text.endswith("\n"):
        lines.pop()
        if (row, col) == (len(lines) + 1, 1):
            return
    assert 1 <= row <= max(len(lines), 1), f"line {row} of a {len(lines)}-line file: {what}"
    width = len(lines[row - 1]) if lines else 0
    assert 1 <= col <= width + 1, f"column {col} of a {width}-character line {row}: {what}"


def assert_schedule_sane(doc: dict[str, Any], *, source: str) -> None:
    """The analysis document (analyze --json, or the .json report's `analysis`)."""
    start = dt.date.fromisoformat(doc["plan"]["start"])
    sched = doc["schedule"]
    finish = dt.date.fromisoformat(sched["finish_date"])
    assert finish >= start, f"{source}: the plan finishes {finish}, before it starts {start}"
    ids = set()
    for t in sched["tasks"]:
        ids.add(t["id"])
        s, f = dt.date.fromisoformat(t["start_date"]), dt.date.fromisoformat(t["finish_date"])
        assert f >= s or "finish-before-start" in IGNORE, (
            f"{source}: task {t['id']!r} (duration {t['duration']}, milestone {t['milestone']}) "
            f"finishes {f}, before it starts {s}"
        )
        assert s >= start, f"{source}: task {t['id']!r} starts {s}, before the plan {start}"
        assert f <= finish, f"{source}: task {t['id']!r} finishes {f}, after the plan {finish}"
        assert t["duration"] >= 0, t
        assert t["early_finish"] >= t["early_start"] - EPS, t
        assert t["late_finish"] >= t["late_start"] - EPS, t
        assert t["slack"] >= -EPS, t
        assert t["early_start"] >= -EPS, t
        if t["milestone"]:
            assert t["duration"] == 0, t
    assert set(sched["critical_path"]) <= ids, sched["critical_path"]
    sim = doc["simulation"]
    for key in ("finish", "cost"):
        values = list(sim[key].values())
        assert values == sorted(values), f"{source}: percentiles out of order: {sim[key]}"
    dates = [dt.date.fromisoformat(d) for d in sim["finish_dates"].values()]
    assert dates == sorted(dates), sim["finish_dates"]
    assert all(d >= start for d in dates), sim["finish_dates"]
    probs = [p["probability"] for p in sim["s_curve"]]
    assert probs == sorted(probs) and all(0 <= p <= 1 for p in probs), probs
    for share in (*sim["criticality"].values(), *sim["risk_occurrence"].values()):
        assert 0 <= share <= 1, sim
    for s in sim["sensitivity"]:
        assert -1 - EPS <= s["rho"] <= 1 + EPS, s
    if sim.get("p_cash_out") is not None:
        assert 0 <= sim["p_cash_out"] <= 1, sim["p_cash_out"]


def _no_plugin_failures(findings: list[dict[str, Any]], *, source: str) -> None:
    failed = [f for f in findings if f.get("code") == "plugin-failed"]
    assert not failed, f"{source}: a built-in plugin raised: {failed[0]['message'][:500]}"


def _check_locations(findings: list[dict[str, Any]], plan_text: str, *, is_json: bool) -> None:
    """A finding about a field inside the plan points inside the plan: a JSON plan's `{` at
    1:1 is only ever the place of the plan as a whole or of a missing top-level field."""
    for f in findings:
        if "imprecise-location" in IGNORE:
            continue
        assert_in_file(f["line"] or 1, f["column"] or 1, plan_text, what=str(f)[:300])
        if is_json and f["path"] not in ("(plan)",) and ("." in f["path"] or "[" in f["path"]):
            spot = (f["line"], f["column"])
            assert spot != (1, 1), f"imprecise location: {f['path']} placed at 1:1 ({f['message']})"


PROJECT = re.compile(r"[/\\](planner|plugins|runner|templates)[/\\]")


def quiet(cli: Cli) -> Cli:
    """`cli`, asserting that the command raised no RuntimeWarning in ventureplan's code:
    numpy's "overflow" or "invalid value" means a number went infinite or NaN on the way,
    and a real process prints the warning on stderr beside the output."""

    def run(*args: Any) -> tuple[int, str, str]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = cli(*args)
        ours = [
            w
            for w in caught
            if issubclass(w.category, RuntimeWarning) and PROJECT.search(w.filename)
        ]
        if ours and "runtime-warning" not in IGNORE:
            w = ours[0]
            raise AssertionError(f"{args[0]}: {w.filename}:{w.lineno}: RuntimeWarning: {w.message}")
        return result

    return run


def known_failure(code: int, err: str) -> bool:
    """A failure IGNORE steps around: `not-finite` (NaN or infinity reaching an output)."""
    return code == 1 and "not-finite" in IGNORE and "not finite" in err


def exercise(
    cli: Cli,
    path: Path,
    *,
    reports: tuple[str, ...] = ("md", "html", "json"),
    roadmap: bool = True,
    expect_valid: bool | None = None,
) -> dict[str, Any]:
    """Run the commands on `path`, assert the contract, return what was learnt:
    `valid`, the check findings, and the analysis document for a valid plan."""
    cli = quiet(cli)
    before = path.read_bytes()
    plan_text = before.decode("utf-8", "replace")
    is_json = path.suffix == ".json"
    out_dir = path.parent / "out"
    out_dir.mkdir(exist_ok=True)

    code, out, err = cli("check", path)
    assert code in (0, 1), f"check exited {code}\n{err}"
    check_errors: list[str] = []
    if code == 1:
        check_errors = assert_located_errors(path, err, plan_text, command="check")
    else:
        assert "Traceback" not in err and "This is a bug" not in err, err
    valid = code == 0
    if expect_valid is not None:
        assert valid == expect_valid, f"check said valid={valid}, expected {expect_valid}:\n{err}"

    jcode, jout, jerr = cli("check", path, "--json")
    assert jcode == code, f"check --json exited {jcode}, check {code}"
    doc = strict_json(jout)
    assert doc["valid"] is valid, doc
    _no_plugin_failures(doc["findings"], source="check")
    _check_locations(doc["findings"], plan_text, is_json=is_json)
    result: dict[str, Any] = {"valid": valid, "findings": doc["findings"], "analysis": None}

    acode, aout, aerr = cli("analyze", path, "--json", "--iterations", ITERATIONS)
    if valid and known_failure(acode, aerr):
        return result
    if valid:
        assert acode == 0, f"check accepts the plan but analyze --json exits {acode}:\n{aerr}"
        analysis = strict_json(aout)
        _no_plugin_failures(analysis["findings"], source="analyze")
        assert_schedule_sane(analysis, source="analyze --json")
        result["analysis"] = analysis
    else:
        assert acode == 1, f"analyze exited {acode} on an invalid plan\n{aerr}"
        assert aout == "", f"analyze --json printed on stdout for an invalid plan: {aout[:300]}"
        errors = assert_located_errors(path, aerr, plan_text, command="analyze")
        assert set(errors) == set(check_errors), "analyze and check disagree on the errors"

    if roadmap:
        rcode, rout, rerr = cli("roadmap", path, "--diagram", "all", "--iterations", ITERATIONS)
        if valid and known_failure(rcode, rerr):
            return result
        if valid:
            assert rcode == 0, f"check accepts the plan but roadmap exits {rcode}:\n{rerr}"
            assert "```mermaid" in rout, rout[:300]
            assert "Traceback" not in rerr and "This is a bug" not in rerr, rerr
            assert not lines_of(rerr), f"roadmap warns on a valid plan:\n{rerr}"
        else:
            assert rcode == 1, f"roadmap exited {rcode} on an invalid plan\n{rerr}"
            assert rout == "", rout[:300]
            errors = assert_located_errors(path, rerr, plan_text, command="roadmap")
            assert set(errors) == set(check_errors), "roadmap and check disagree on the errors"

    for suffix in reports if valid else reports[:1]:
        target = out_dir / f"report.{suffix}"
        target.unlink(missing_ok=True)
        pcode, pout, perr = cli("report", path, "-o", target, "--iterations", ITERATIONS)
        if valid and known_failure(pcode, perr):
            continue
        if not valid:
            assert pcode == 1, f"report exited {pcode} on an invalid plan\n{perr}"
            assert not target.exists(), "report wrote a file for an invalid plan"
            errors = assert_located_errors(path, perr, plan_text, command="report")
            assert set(errors) == set(check_errors), "report and check disagree on the errors"
            continue
        assert pcode == 0, f"check accepts the plan but report -o .{suffix} exits {pcode}:\n{perr}"
        assert not lines_of(perr), f"report -o .{suffix} warns on a valid plan:\n{perr}"
        data = target.read_bytes()
        assert data, f"report -o .{suffix} wrote an empty file"
        if suffix == "json":
            report = strict_json(data.decode("utf-8"))
            _no_plugin_failures(report["findings"], source="report .json")
            assert_schedule_sane(report["analysis"], source="report .json")
        elif suffix == "html":
            html = data.decode("utf-8")
            for markup in ("<script>alert", "<img src=", "<link rel=", "<div style="):
                assert markup not in html, f"plan text reached the HTML unescaped: {markup}"

    assert path.read_bytes() == before, "a command changed the plan file"
    return result


@contextlib.contextmanager
def plan_file(text: str, suffix: str, name: str = "plan") -> Iterator[Path]:
    """The text as a plan file in a fresh folder (each example its own, so that no output
    of one example is read by the next)."""
    with tempfile.TemporaryDirectory(prefix="vp-fuzz-") as folder:
        path = Path(folder) / f"{name}.{suffix}"
        path.write_bytes(text.encode("utf-8"))
        yield path
