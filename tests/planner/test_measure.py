"""`ventureplan measure PLAN GOAL VALUE [--at DATE] [--source TEXT]`: a number measured by
hand, recorded as a `kind: manual` record that settles its goal (met or missed, p_miss 0 or
1), informs the goal's risks, and shows in `analyze`, `diff`, `measured` and the report like
any other evidence. Bad input is refused in one line and leaves the file byte for byte."""

from __future__ import annotations

import datetime as dt
import json
import stat
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from ventureplan.planner.evidence import gather, latest_manual
from ventureplan.planner.load import load_plan
from ventureplan.planner.records import ManualRecord

from tests.conftest import GOOD

BUSINESS_GOAL = """  - id: g-customers
    statement: Three paying customers by the end of March
    metric: paying_customers
    target: 3
    deadline: 2027-03-31
    owner: founder
    relevant_to: Three references close the seed round
routes:"""

SALES_RISK = """  - id: r-sales
    title: Nobody pays for the pilot
    category: market
    probability: 0.4
    impact: 4
    affects: [launch]
    response: mitigate
    owner: founder
    goal: g-customers
budget:"""


def business_plan(folder: Path, name: str = "plan.yaml") -> Path:
    """The small plan with a business goal (paying_customers >= 3) and a risk linked to it."""
    text = (GOOD / "small.yaml").read_text("utf-8")
    text = text.replace("routes:", BUSINESS_GOAL, 1).replace("budget:", SALES_RISK, 1)
    path = folder / name
    path.write_text(text, "utf-8")
    (folder / "tickets.csv").write_bytes((GOOD / "tickets.csv").read_bytes())
    return path


@pytest.fixture
def plan(tmp_path: Path) -> Path:
    return business_plan(tmp_path)


def analyzed(cli, path: Path) -> dict:
    code, out, err = cli("analyze", path, "--json", "--iterations", "200")
    assert code == 0, err
    return json.loads(out)


def manual_goals(doc: dict) -> list[dict]:
    return [g for ev in doc["evidence"] if ev["kind"] == "manual" for g in ev["goals"]]


# --- a measurement settles a goal ------------------------------------------------------


def test_missed_then_met(cli, plan):
    code, out, err = cli(
        "measure", plan, "g-customers", "1", "--at", "2027-02-01", "--source", "CRM export"
    )
    assert code == 0, err
    assert out.splitlines() == [
        f"Recorded 20270201-manual-1 in {plan}: g-customers = 1 on 2027-02-01 (source: CRM export)",
        "Goal g-customers: paying customers 1 vs target >= 3: missed; "
        "risk r-sales: your probability 40%, measured 100%",
    ]
    assert plan.read_text("utf-8").endswith(
        "  - run: 20270201-manual-1\n    kind: manual\n    goal: g-customers\n    value: 1\n"
        "    at: '2027-02-01'\n    source: CRM export\n"
    )
    (g,) = manual_goals(analyzed(cli, plan))
    assert (g["goal"], g["value"], g["met"], g["p_miss"], g["settles"]) == (
        "g-customers",
        1,
        False,
        1.0,
        True,
    )

    code, out, err = cli("measure", plan, "g-customers", "4", "--at", "2027-03-01")
    assert code == 0, err
    assert "Goal g-customers: paying customers 4 vs target >= 3: met" in out
    doc = analyzed(cli, plan)
    (ev,) = [e for e in doc["evidence"] if e["kind"] == "manual"]
    assert ev["run"] == "20270301-manual-1" and ev["at"] == "2027-03-01"
    assert ev["route"] == "manual" and ev["source"] is None
    (g,) = ev["goals"]
    assert (g["value"], g["target"], g["met"], g["p_miss"], g["interval"]) == (
        4,
        3,
        True,
        0.0,
        None,
    )
    (risk,) = ev["risks"]
    assert risk == {
        "risk": "r-sales",
        "goal": "g-customers",
        "probability": 0.4,
        "measured_probability": 0.0,
    }
    # the measured risk probability feeds the evidence simulation like any other evidence
    assert doc["evidence_simulation"] is not None


def test_report_shows_the_verdict(cli, plan, tmp_path):
    cli("measure", plan, "g-customers", "4", "--at", "2027-03-01", "--source", "Stripe")
    out = tmp_path / "report.md"
    code, _, err = cli("report", plan, "-o", out, "--iterations", "200")
    assert code == 0, err
    text = out.read_text("utf-8")
    assert "- **Measured by hand:** g-customers paying\\_customers = 4 &gt;= 3: **met**" in text
    assert "**Measured by hand** · 2027-03-01 · source: Stripe" in text
    assert "| g-customers (paying\\_customers) | 4 |  | &gt;= 3 | **met** | 0% |" in text
    assert "- Risk r-sales: Your estimate 40% → Measured 0%" in text
    html = tmp_path / "report.html"
    code, _, err = cli("report", plan, "-o", html, "--iterations", "200")
    assert code == 0, err
    page = html.read_text("utf-8")
    assert "<dt>Measured by hand</dt>" in page
    assert "<strong>Measured by hand</strong> · 2027-03-01 · source: Stripe" in page


def test_zh_report(cli, plan, tmp_path):
    cli("measure", plan, "g-customers", "2", "--at", "2027-03-01", "--source", "客户管理系统")
    out = tmp_path / "report.md"
    code, _, err = cli("report", plan, "-o", out, "--lang", "zh", "--iterations", "200")
    assert code == 0, err
    text = out.read_text("utf-8")
    assert "- **手动测量:** g-customers paying\\_customers = 2 &gt;= 3: **未达成**" in text
    assert "**手动测量** · 2027-03-01 · 来源：客户管理系统" in text
    html = tmp_path / "report.html"
    code, _, err = cli("report", plan, "-o", html, "--lang", "zh", "--iterations", "200")
    assert code == 0, err
    assert "<dt>手动测量</dt>" in html.read_text("utf-8")


def test_analyze_text_and_smart_lint(cli, plan):
    cli("measure", plan, "g-customers", "2", "--at", "2027-03-01")
    code, out, err = cli("analyze", plan, "--iterations", "200", "--width", "200")
    assert code == 0, err
    assert (
        "Measured (manual, run 20270301-manual-1): goal g-customers paying customers = 2 "
        "vs target >= 3: missed, P(miss) 100%"
    ) in out
    assert "risk r-sales: your probability 40%, measured 100%" in out
    assert "goal 'g-customers' was measured as missed" in out + err
    assert "(measured by hand, run 20270301-manual-1)" in " ".join((out + err).split())
    assert "route 'manual'" not in out + err  # a measurement names no route


# --- run ids and supersession ----------------------------------------------------------


def test_run_ids_count_per_date(cli, plan):
    for at in ("2027-03-01", "2027-03-01", "2027-03-02", "2027-03-01"):
        assert cli("measure", plan, "g-customers", "3", "--at", at)[0] == 0
    runs = [m.run for m in load_plan(plan).plan.measured]
    assert runs == [
        "20270301-manual-1",
        "20270301-manual-2",
        "20270302-manual-1",
        "20270301-manual-3",
    ]


def test_default_date_is_today(cli, plan):
    today = dt.datetime.now(dt.UTC).date()
    code, out, err = cli("measure", plan, "g-customers", "5")
    assert code == 0, err
    (m,) = load_plan(plan).plan.measured
    assert m.at == today and m.run == f"{today:%Y%m%d}-manual-1"


def test_later_date_then_higher_number_supersedes(cli, plan):
    cli("measure", plan, "g-customers", "5", "--at", "2027-03-10")
    code, out, _ = cli("measure", plan, "g-customers", "1", "--at", "2027-03-01")
    # an earlier date recorded afterwards does not settle the goal; the command says so
    assert "but the later measurement 20270310-manual-1 settles it" in out
    (m,) = latest_manual(load_plan(plan).plan)
    assert (m.run, m.value) == ("20270310-manual-1", 5)
    cli("measure", plan, "g-customers", "2", "--at", "2027-03-10")
    (m,) = latest_manual(load_plan(plan).plan)
    assert (m.run, m.value) == ("20270310-manual-2", 2)


def test_manual_record_is_a_fact_without_target(cli, tmp_path):
    path = business_plan(tmp_path)
    path.write_text(path.read_text().replace("    target: 3\n", "", 1))
    code, out, err = cli("measure", path, "g-customers", "7")
    assert code == 0, err
    assert "paying customers 7: no target to meet" in out
    (ev,) = [e for e in gather(load_plan(path).plan) if e.kind == "manual"]
    assert ev.goals[0].met is None and ev.goals[0].p_miss is None and ev.risks == []


def test_negative_and_fractional_values(cli, plan):
    assert cli("measure", plan, "g-customers", "-2", "--at", "2027-03-01")[0] == 0
    assert cli("measure", plan, "g-customers", "2.5", "--at", "2027-03-02")[0] == 0
    values = [m.value for m in load_plan(plan).plan.measured]
    assert values == [-2, 2.5]


# --- measured: list, ignore, drop --------------------------------------------------------


def test_measured_lists_ignores_and_drops(cli, plan):
    cli("measure", plan, "g-customers", "1", "--at", "2027-02-01", "--source", "CRM export")
    cli("measure", plan, "g-customers", "4", "--at", "2027-03-01")
    code, out, err = cli("measured", plan, "--json")
    assert code == 0, err
    rows = json.loads(out)["measured"]
    assert [(r["run"], r["kind"], r["route"], r["goal"], r["value"]) for r in rows] == [
        ("20270201-manual-1", "manual", None, "g-customers", 1),
        ("20270301-manual-1", "manual", None, "g-customers", 4),
    ]
    code, out, err = cli("measured", plan, "--width", "160")
    assert "g-customers: paying customers 1 (CRM export)" in out

    # ignoring the newer one: the older one settles the goal again
    assert cli("measured", plan, "--ignore", "20270301-manual-1")[0] == 0
    (g,) = manual_goals(analyzed(cli, plan))
    assert (g["value"], g["met"]) == (1, False)
    # an ignored record keeps its number: the next one that day is 2
    cli("measure", plan, "g-customers", "9", "--at", "2027-03-01")
    assert load_plan(plan).plan.measured[-1].run == "20270301-manual-2"

    for run in ("20270201-manual-1", "20270301-manual-2"):
        assert cli("measured", plan, "--drop", run)[0] == 0
    assert manual_goals(analyzed(cli, plan)) == []  # only the ignored one is left
    assert [m.run for m in load_plan(plan).plan.measured] == ["20270301-manual-1"]


# --- diff ---------------------------------------------------------------------------------


def test_diff_shows_the_verdict_change(cli, plan, tmp_path):
    cli("measure", plan, "g-customers", "1", "--at", "2027-02-01")
    old = tmp_path / "old.yaml"
    old.write_bytes(plan.read_bytes())
    cli("measure", plan, "g-customers", "4", "--at", "2027-03-01")
    code, out, err = cli("diff", old, plan, "--json", "--iterations", "200")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["measured"] == {"added": 1, "removed": 0}
    assert doc["verdicts"] == [
        {
            "goal": "g-customers",
            "old": "missed",
            "new": "met",
            "old_value": 1,
            "new_value": 4,
            "old_run": "20270201-manual-1",
            "new_run": "20270301-manual-1",
        }
    ]
    code, out, err = cli("diff", old, plan, "--iterations", "200", "--width", "200")
    assert code == 0, err
    assert "g-customers: missed (1, run 20270201-manual-1) → met (4, run 20270301-manual-1)" in out
    cli("measured", plan, "--ignore", "20270201-manual-1")  # a run both versions hold
    code, out, err = cli("diff", old, plan, "--iterations", "200", "--width", "200")
    assert "1 run added, 1 run set aside (ignored)" in out
    assert "ignored now: 20270201-manual-1" in out


# --- hostile input: one line, exit 1, the file as it was ------------------------------


def refused(cli, path: Path, *args: str) -> str:
    before = path.read_bytes() if path.is_file() else None
    code, out, err = cli("measure", path, *args)
    assert code == 1, (out, err)
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    assert (path.read_bytes() if path.is_file() else None) == before
    return lines[0]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["g-nope", "4"], "no goal 'g-nope' in"),
        (["g-nope", "4"], "its goals: g-quality, g-customers"),
        (["g-customers", "nan"], "VALUE 'nan' is not a finite number"),
        (["g-customers", "-inf"], "VALUE '-inf' is not a finite number"),
        (["g-customers", "Infinity"], "is not a finite number"),
        (["g-customers", "1e400"], "VALUE '1e400' is too large to be a finite number"),
        (["g-customers", "abc"], "VALUE 'abc' is not a number"),
        (["g-customers", "1,000"], "VALUE '1,000' is not a number"),
        (["g-customers", "٣"], "is not a number"),
        (["g-customers", ""], "is not a number"),
        (["g-customers", "4", "--at", "2027-02-30"], "--at '2027-02-30' is not a date"),
        (["g-customers", "4", "--at", "tomorrow"], "--at 'tomorrow' is not a date"),
        (["g-customers", "4", "--at", "2027-3-1"], "is not a date"),
        (["g-customers", "4", "--at", "1969-12-31"], "is outside 1970 to 2100"),
        (["g-customers", "4", "--at", "2101-01-01"], "is outside 1970 to 2100"),
        (["g-customers", "4", "--at", "2099-01-01"], "is more than a year from today"),
        (["g-customers", "4", "--source", "a\nb"], "control character '\\n'"),
        (["g-customers", "4", "--source", "a\x1b[31mred"], "control character '\\x1b'"),
        (["g-customers", "4", "--source", "rtl\u202eevil"], "control character '\\u202e'"),
        (["g-customers", "4", "--source", "x" * 201], "is 201 characters long; keep it to 200"),
        (["g-customers", "4", "--source", "   "], "--source is empty"),
    ],
)
def test_hostile_arguments_change_nothing(cli, plan, args, says):
    assert says in refused(cli, plan, *args)


def test_invalid_plan_is_refused_in_one_line(cli, plan):
    plan.write_text(plan.read_text().replace("probability: 0.4", "probability: 4", 1))
    line = refused(cli, plan, "g-customers", "4")
    assert "the plan does not validate, so nothing was recorded" in line
    assert "risks[1].probability" in line and f"ventureplan check {plan}" in line


def test_not_yaml_is_refused(cli, tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text("schema: [unclosed\n")
    assert "does not validate" in refused(cli, path, "g-customers", "4")


def test_missing_file(cli, tmp_path):
    path = tmp_path / "nope.yaml"
    assert "no such file" in refused(cli, path, "g-customers", "4")
    assert list(tmp_path.iterdir()) == []  # not even a lock file beside it


def test_folder_is_not_a_plan(cli, tmp_path):
    assert "is not a file" in refused(cli, tmp_path, "g-customers", "4")


def test_read_only_plan(cli, plan):  # refused by its mode bits, even for root
    plan.chmod(stat.S_IRUSR)
    try:
        assert "is read-only" in refused(cli, plan, "g-customers", "4")
    finally:
        plan.chmod(stat.S_IRUSR | stat.S_IWUSR)


def test_hand_written_bad_manual_records_are_located_errors(cli, plan):
    good = "  - {run: m1, kind: manual, goal: g-customers, value: 4, at: 2027-03-01}\n"
    for bad, says in [
        (good.replace("value: 4", "value: .nan"), "measured[0].value"),
        (good.replace("value: 4", "value: true"), "not true or false"),
        (good.replace("value: 4", "value: 1.0e+400"), "finite number"),
        (good.replace("2027-03-01", "1960-03-01"), "measured[0].at"),
    ]:
        plan.write_text(plan.read_text().replace("measured: []\n", "measured:\n" + bad))
        code, out, err = cli("check", plan)
        assert code == 1 and says in err and "Traceback" not in err, err
        plan.write_text(plan.read_text().replace("measured:\n" + bad, "measured: []\n"))


def test_record_model_refuses_what_json_or_yaml_could_hold():
    base = {"run": "m1", "kind": "manual", "goal": "g", "value": 4, "at": "2027-03-01"}
    for bad in (
        {"value": 10**400},
        {"value": float("inf")},
        {"value": "abc"},
        {"at": "2101-01-01"},
    ):
        with pytest.raises(ValueError):
            ManualRecord.model_validate({**base, **bad})
    record = ManualRecord.model_validate({**base, "value": 4.0})
    assert record.document() == {**base, "value": 4}  # a whole number is written whole
    assert (record.route, record.rehearsal, record.evidence, record.number) == (
        None,
        False,
        True,
        0,
    )


# --- generated input ------------------------------------------------------------------

GOAL_IDS = st.one_of(
    st.sampled_from(["g-customers", "g-quality", "g-nope", "G-CUSTOMERS", "g customers"]),
    st.text(min_size=1, max_size=12).filter(lambda s: not s.startswith("-")),
)
VALUES = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["nan", "inf", "-inf", "1e400", "-1e400", "abc", "1_000", "0x10", "", " 3 "]),
    st.text(max_size=8),
)
DATES = st.one_of(
    st.none(),
    st.dates(dt.date(1900, 1, 1), dt.date(2200, 12, 31)).map(dt.date.isoformat),
    st.sampled_from(["2027-02-30", "20270301", "2027-03-01T10:00", "yesterday", ""]),
    st.text(max_size=12),
)
SOURCES = st.one_of(
    st.none(),
    st.sampled_from(["CRM export", "Stripe dashboard", "x" * 200, "x" * 201, "a\nb", "\x00"]),
    st.text(max_size=220),
)


@given(goal=GOAL_IDS, value=VALUES, at=DATES, source=SOURCES)
@example(goal="g-customers", value="4", at="2027-03-01", source="CRM export")
@example(goal="g-customers", value="-0.5", at=None, source=None)
@example(goal="g-nope", value="4", at=None, source=None)
def test_generated_arguments(cli, tmp_path_factory, goal, value, at, source):
    path = business_plan(tmp_path_factory.mktemp("m"))
    before = path.read_bytes()
    options = [*(["--at", at] if at is not None else []), *(["--source", source] if source else [])]
    if source == "":
        options += ["--source", ""]
    code, out, err = cli("measure", path, *options, "--", goal, value)
    assert "Traceback" not in err
    if code == 0:
        plan = load_plan(path).plan  # the plan as written still loads
        (m,) = plan.measured
        assert isinstance(m, ManualRecord) and m.goal == goal and m.kind == "manual"
        assert m.value == float(value)
        assert m.run.startswith(f"{m.at:%Y%m%d}-manual-1")
        assert m.source == (source.strip() if source else None)
        assert out.startswith(f"Recorded {m.run} in {path}: {goal} = ")
        assert next(e for e in gather(plan) if e.kind == "manual").goals[0].goal == goal
    else:
        assert code == 1, (code, out, err)
        assert len(err.splitlines()) == 1 and err.startswith("error: "), err
        assert path.read_bytes() == before
