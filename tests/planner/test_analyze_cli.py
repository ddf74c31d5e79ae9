from __future__ import annotations

import json

import pytest
from rich.cells import cell_len

from tests.conftest import BAD, GOOD, with_data


def test_json_has_every_documented_key(cli):
    code, out, err = cli(
        "analyze", GOOD / "measured.yaml", "--json", "--iterations", "2000", "--seed", "5"
    )
    assert code == 0, err
    doc = json.loads(out)
    s = doc["schedule"]
    assert s["finish_date"] == "2027-01-20" and s["duration"] == 13
    assert s["critical_path"] == ["data", "train", "launch"]
    assert set(s["tasks"][0]) >= {
        "id",
        "early_start",
        "early_finish",
        "late_start",
        "late_finish",
        "slack",
        "critical",
    }
    assert set(doc["risks"][0]) >= {
        "id",
        "score",
        "level",
        "emv",
        "residual_score",
        "residual_level",
    }
    sim = doc["simulation"]
    assert (sim["iterations"], sim["seed"]) == (2000, 5)
    assert set(sim["finish"]) == {"p10", "p50", "p80", "p95"} and set(sim["finish_dates"]) == set(
        sim["finish"]
    )
    assert set(sim["cost"]) == {"p50", "p80", "p95"}
    assert set(sim["criticality"]) == {"data", "train", "launch"}
    assert all(set(x) == {"id", "kind", "rho"} for x in sim["sensitivity"])
    assert len(sim["s_curve"]) == 101
    b = doc["budget"]
    assert set(b) >= {"monthly_burn", "runway_months", "break_even_month", "p_cash_out"}
    assert doc["evidence"][0]["goals"][0]["met"] is True
    assert doc["evidence_simulation"]["finish"]["p80"] <= sim["finish"]["p80"]


def test_human_output(cli):
    code, out, err = cli("analyze", GOOD / "small.yaml", "--iterations", "500")
    assert code == 0
    # piped: laid out for 80 columns, its summary lines wrapped between words; the findings
    # (FILE:LINE:COL ...) stay one line each, for editors
    laid_out = [ln for ln in out.splitlines() if not ln.startswith(str(GOOD / "small.yaml"))]
    assert max(cell_len(line) for line in laid_out) <= 80
    assert (
        "Deterministic finish: 2027-01-20 (13 workdays); critical path: data → train → launch"
        in " ".join(out.split())
    )
    assert "Monte Carlo: 500 iterations, seed 0" in out
    assert "Risk register" in out and "Budget: burn 18,500 USD/month" in out


@pytest.mark.parametrize("n", ["0", "-3", "10000001"])
def test_iterations_out_of_range_is_a_usage_error(cli, n):
    code, out, err = cli("analyze", GOOD / "small.yaml", "--iterations", n)
    assert code == 2 and "--iterations" in err and out == ""


def test_invalid_plan_stops_at_validation(cli):
    code, out, err = cli("analyze", BAD / "cycle.yaml", "--json")
    assert code == 1 and out == ""
    assert err.strip().endswith(
        "dependency cycle: data → launch → train → data (fix: each arrow reads 'depends on'; remove one of these dependencies)"
    )


def test_deadline_and_cash_lints_need_the_simulation(cli, small_plan):
    with_data(small_plan)  # only the lints of the simulation are found
    text = (
        small_plan.read_text()
        .replace("deadline: 2027-03-31", "deadline: 2027-01-20")
        .replace("cash: 200000", "cash: 10000")
    )
    small_plan.write_text(text)
    code, out, err = cli("check", "--json", small_plan)
    assert code == 0
    found = {f["code"]: f for f in json.loads(out)["findings"]}
    assert (
        found["deadline-before-p80"]["letter"] == "T" and found["deadline-before-p80"]["line"] == 23
    )
    assert (
        "is due 2027-01-20, but the plan finishes by 2027-01-2"
        in found["deadline-before-p80"]["message"]
    )
    assert found["cash-out-before-p80"]["letter"] == "A"
    assert found["cash-out-before-p80"]["path"] == "budget.cash"
    code, out, err = cli("analyze", "--json", small_plan, "--iterations", "1000")
    assert {f["code"] for f in json.loads(out)["findings"]} == {
        "deadline-before-p80",
        "cash-out-before-p80",
        "risk-affects-nothing",  # r-quality names no impact
    }
