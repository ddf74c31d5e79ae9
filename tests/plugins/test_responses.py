"""Responses have effects: the plan as planned (`simulation`) against the same plan with no
responses (`inherent`), what each response buys (`responses`), and the register's order."""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest
from ventureplan.planner.analysis import analyze, to_dict
from ventureplan.planner.calendar import DAYS_PER_MONTH
from ventureplan.planner.load import LoadedPlan
from ventureplan.planner.network import build_network
from ventureplan.planner.pipeline import render
from ventureplan.planner.pipeline import report as build_report
from ventureplan.planner.source import SourceMap
from ventureplan.plugins import montecarlo
from ventureplan.plugins.montecarlo import Simulation

from tests.planfactory import make_plan, milestone, task

NO_TEAM: dict = {"team": [], "calendar": "days"}


def fixed(x: float) -> dict[str, float]:
    return {"low": x, "likely": x, "high": x}


def risk(rid: str, p: float, *, affects=("a",), days=None, cost=None, **more) -> dict:
    out = {
        "id": rid,
        "title": f"Risk {rid}",
        "category": "technical",
        "probability": p,
        "impact": 3,
        "affects": list(affects),
    }
    if days is not None:
        out["schedule_impact"] = fixed(days)
    if cost is not None:
        out["cost_impact"] = fixed(cost)
    return out | more


def simulate(plan, iterations=10_000, seed=0, probabilities=None):
    return Simulation(plan, build_network(plan), probabilities or {}).run(iterations, seed)


# --- the rule -------------------------------------------------------------------------


def test_a_mitigated_risk_is_drawn_at_its_residual_probability():
    r = risk("late", 0.5, days=10, response="mitigate", residual={"probability": 0.1, "impact": 3})
    sim = simulate(make_plan([task("a", 10, 10, 10)], [r]))
    inherent = sim.inherent
    assert inherent is not None
    assert inherent.finish["p80"] == 20.0  # half the iterations slip by 10 days
    assert sim.finish["p80"] == 10.0  # one in ten does
    # common random numbers: the response only removes occurrences, it never adds one
    assert set(np.unique(sim.finish_samples)) == {10.0, 20.0}
    assert np.all(sim.finish_samples <= inherent.finish_samples)
    assert np.count_nonzero(sim.finish_samples == 20) == round(
        sim.risk_occurrence["late"] * sim.iterations
    )
    assert np.count_nonzero(inherent.finish_samples == 20) == round(
        inherent.risk_occurrence["late"] * sim.iterations
    )
    (effect,) = sim.responses
    assert (effect.risk, effect.response, effect.p80_days_saved) == ("late", "mitigate", 10.0)


def test_the_residual_impact_scales_the_schedule_and_cost_impacts():
    r = risk(
        "r",
        1.0,
        days=8,
        cost=1000,
        impact=4,
        response="avoid",
        residual={"probability": 1.0, "impact": 1},
    )
    sim = simulate(make_plan([task("a", 10, 10, 10)], [r], **NO_TEAM), iterations=2000)
    assert sim.inherent is not None
    assert (sim.finish["p10"], sim.finish["p95"]) == (12.0, 12.0)  # 10 + 8 × 1/4
    assert (sim.inherent.finish["p10"], sim.inherent.finish["p95"]) == (18.0, 18.0)
    assert sim.cost == {"p50": 250.0, "p80": 250.0, "p95": 250.0}  # 1000 × 1/4
    assert sim.inherent.cost == {"p50": 1000.0, "p80": 1000.0, "p95": 1000.0}
    (effect,) = sim.responses
    assert (effect.p80_days_saved, effect.p80_cost_saved) == (6.0, 750.0)


def test_the_residuals_own_three_points_replace_the_scaled_ones():
    r = risk(
        "r",
        1.0,
        days=8,
        cost=1000,
        response="transfer",
        residual={
            "probability": 1.0,
            "impact": 1,
            "schedule_impact": fixed(3),
            "cost_impact": fixed(50),
        },
    )
    sim = simulate(make_plan([task("a", 10, 10, 10)], [r], **NO_TEAM), iterations=2000)
    assert sim.inherent is not None
    assert (sim.finish["p50"], sim.inherent.finish["p50"]) == (13.0, 18.0)
    assert (sim.cost["p50"], sim.inherent.cost["p50"]) == (50.0, 1000.0)


@pytest.mark.parametrize(
    "change",
    [
        {"response": "accept", "residual": {"probability": 0.0, "impact": 1}},
        {"response": "escalate", "residual": {"probability": 0.0, "impact": 1}},
        {"response": "mitigate"},  # no residual: the plan does not say what it buys
        {"residual": {"probability": 0.0, "impact": 1}},  # no response at all
    ],
)
def test_a_response_not_in_effect_changes_nothing(change):
    r = risk("r", 0.4, days=5, cost=300, **change)
    plan = make_plan([task("a", 2, 4, 9)], [r])
    sim = simulate(plan, iterations=5000)
    assert sim.inherent is not None
    assert np.array_equal(sim.finish_samples, sim.inherent.finish_samples)
    assert sim.risk_occurrence == sim.inherent.risk_occurrence
    assert sim.cost == sim.inherent.cost
    assert sim.responses == []
    # and the register shows the risk after its response as it was before
    (score,) = analyze(plan, iterations=100).risks
    assert (score.residual_probability, score.residual_impact) == (0.4, 3)
    assert score.residual_emv == score.emv


def test_the_mitigation_cost_is_paid_only_as_planned():
    risks = [
        risk("a", 0.0, response="accept", mitigation_cost=700),
        risk("b", 0.0, response="mitigate", mitigation_cost=300),
        risk(
            "c",
            0.0,
            response="avoid",
            mitigation_cost=200,
            residual={"probability": 0.0, "impact": 1},
        ),
    ]
    plan = make_plan([task("a", 5, 5, 5)], risks, budget={"cash": 500}, **NO_TEAM)
    sim = simulate(plan, iterations=1000)
    assert sim.inherent is not None
    assert sim.cost == {"p50": 1200.0, "p80": 1200.0, "p95": 1200.0}
    assert sim.inherent.cost == {"p50": 0.0, "p80": 0.0, "p95": 0.0}
    # paid from the start, so 500 in the bank runs out at once as planned, never without
    assert (sim.p_cash_out, sim.inherent.p_cash_out) == (1.0, 0.0)
    (effect,) = sim.responses  # only c's response is in effect
    assert (effect.risk, effect.mitigation_cost, effect.p80_cost_saved) == ("c", 200.0, 0.0)


def test_a_measured_probability_replaces_the_probability_in_both():
    r = risk("late", 0.5, days=10, response="mitigate", residual={"probability": 0.1, "impact": 3})
    sim = simulate(make_plan([task("a", 10, 10, 10)], [r]), probabilities={"late": 0.0})
    assert sim.inherent is not None
    assert sim.risk_occurrence == sim.inherent.risk_occurrence == {"late": 0.0}
    assert sim.finish["p95"] == sim.inherent.finish["p95"] == 10.0


# --- what each response buys ----------------------------------------------------------


def parallel_plan(**fields):
    """Two parallel 10-day tasks; each has a risk that always occurs unless responded to."""
    tasks = [task("a", 10, 10, 10), task("b", 10, 10, 10), milestone("end", ["a", "b"])]
    gone = {"probability": 0.0, "impact": 1}
    risks = [
        risk("ra", 1.0, days=5, cost=1000, response="mitigate", residual=gone, mitigation_cost=40),
        risk("rb", 1.0, affects=["b"], days=3, response="mitigate", residual=gone),
    ]
    team = [{"id": "eng", "title": "E", "headcount": 1, "monthly_cost": 3000}]
    return make_plan(tasks, risks, team=team, calendar="days", **fields)


def test_each_response_is_priced_against_the_plan_as_planned():
    a = analyze(parallel_plan(), iterations=2000)
    assert a.simulation.finish["p80"] == 10.0
    assert a.inherent is not None and a.inherent.finish["p80"] == 15.0
    day = 3000 / DAYS_PER_MONTH  # the team's cost of one day
    ra, rb = a.responses
    assert (ra.risk, ra.p80_days_saved, ra.mitigation_cost) == ("ra", 5.0, 40.0)
    assert ra.p80_cost_saved == pytest.approx(5 * day + 1000, rel=1e-12)
    assert (rb.risk, rb.p80_days_saved, rb.mitigation_cost) == ("rb", 3.0, 0.0)
    assert rb.p80_cost_saved == pytest.approx(3 * day, rel=1e-12)
    # the plan without both responses is later than without either one: 15, not 10 + 5 + 3
    assert a.inherent.finish["p80"] - a.simulation.finish["p80"] < (
        ra.p80_days_saved + rb.p80_days_saved
    )


def test_a_delay_that_passes_several_affected_tasks_counts_each_time():
    tasks = [task("a", 10, 10, 10), task("b", 10, 10, 10, ["a"]), task("c", 4, 4, 4)]
    r = risk(
        "r",
        1.0,
        affects=["a", "b"],
        days=2,
        response="mitigate",
        residual={"probability": 0.0, "impact": 1},
    )
    sim = simulate(make_plan(tasks, [r]), iterations=1000)
    assert sim.inherent is not None and sim.inherent.finish["p80"] == 24.0
    (effect,) = sim.responses
    assert effect.p80_days_saved == 4.0


def test_a_response_that_makes_a_risk_worse_saves_negative_days():
    r = risk(
        "r",
        1.0,
        days=2,
        response="mitigate",
        residual={"probability": 1.0, "impact": 3, "schedule_impact": fixed(6)},
    )
    sim = simulate(make_plan([task("a", 10, 10, 10), task("b", 11, 11, 11)], [r]), iterations=500)
    assert (sim.finish["p50"], sim.inherent.finish["p50"]) == (16.0, 12.0)  # type: ignore[union-attr]
    (effect,) = sim.responses
    assert effect.p80_days_saved == -4.0


def test_a_response_on_a_task_with_slack_buys_no_time():
    tasks = [task("a", 10, 10, 10), task("b", 3, 3, 3)]
    r = risk(
        "r",
        1.0,
        affects=["b"],
        days=5,
        response="mitigate",
        residual={"probability": 0.0, "impact": 1},
    )
    (effect,) = simulate(make_plan(tasks, [r]), iterations=1000).responses
    assert effect.p80_days_saved == 0.0


def test_response_effects_from_a_sample_when_asked(monkeypatch):
    monkeypatch.setattr(montecarlo, "MIN_RESPONSE_SAMPLE", 300)
    monkeypatch.setattr(montecarlo, "RESPONSE_KEEP", 600)  # two responses: 300 iterations each
    monkeypatch.setattr(montecarlo, "CHUNK_ELEMENTS", 3 * 256)  # chunks of 256 iterations
    a = analyze(parallel_plan(), iterations=2000)
    assert (a.simulation.responses_sample, a.simulation.iterations) == (300, 2000)
    assert [(e.risk, e.p80_days_saved) for e in a.responses] == [("ra", 5.0), ("rb", 3.0)]
    assert to_dict(a)["simulation"]["responses_sample"] == 300


def test_same_seed_same_numbers_with_responses():
    plan = make_plan(
        [task("a", 1, 3, 9), task("b", 2, 4, 8, ["a"]), task("c", 1, 5, 6, ["a"])],
        [
            risk(
                "r",
                0.4,
                affects=["b", "c"],
                days=None,
                schedule_impact={"low": 1, "likely": 2, "high": 6},
                cost=100,
                response="mitigate",
                residual={"probability": 0.1, "impact": 2},
            )
        ],
    )
    one, two = simulate(plan, seed=7), simulate(plan, seed=7)
    assert one.inherent is not None and two.inherent is not None
    assert np.array_equal(one.inherent.finish_samples, two.inherent.finish_samples)
    assert one.responses == two.responses
    assert to_dict(analyze(plan, seed=7)) == to_dict(analyze(plan, seed=7))


# --- the document and the report ------------------------------------------------------


def test_analyze_json_is_strict_and_has_both_simulations(cli, tmp_path):
    plan = parallel_plan()
    doc = json.loads(json.dumps(to_dict(analyze(plan, iterations=2000)), allow_nan=False))
    for key in ("plan", "schedule", "risks", "simulation", "budget", "evidence", "findings"):
        assert key in doc  # every key the document had before
    assert doc["evidence_simulation"] is None
    assert set(doc["inherent"]) == set(doc["simulation"])
    assert doc["simulation"]["finish"]["p80"] == 10.0 and doc["inherent"]["finish"]["p80"] == 15.0
    assert doc["inherent"]["finish_dates"]["p80"] == "2027-01-18"  # 15 days after the start
    assert doc["responses"][0] == {
        "risk": "ra",
        "response": "mitigate",
        "p80_days_saved": 5.0,
        "p80_cost_saved": pytest.approx(5 * 3000 / DAYS_PER_MONTH + 1000, rel=1e-12),
        "mitigation_cost": 40.0,
    }
    assert [r["risk"] for r in doc["responses"]] == ["ra", "rb"]
    # and through the command line
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan.model_dump(mode="json", by_alias=True)))
    code, out, err = cli("analyze", path, "--json", "--iterations", "500")
    assert code == 0, err
    cli_doc = json.loads(out)
    assert cli_doc["inherent"]["finish"]["p80"] == 15.0
    assert [r["p80_days_saved"] for r in cli_doc["responses"]] == [5.0, 3.0]


def test_analyze_table_shows_the_inherent_p80(cli, tmp_path):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(parallel_plan().model_dump(mode="json", by_alias=True)))
    code, out, err = cli("analyze", path, "--iterations", "500")
    assert code == 0, err
    line = next(ln for ln in out.splitlines() if "finish, no responses" in ln)
    assert "2027-01-18" in line  # P80 (and every other percentile) 15 days after the start
    assert "What each response buys" in out and "Risk ra" in out


def report(lang="en"):
    plan = parallel_plan(language=lang)
    return build_report(LoadedPlan(plan, {}, SourceMap("plan.yaml")), iterations=2000)


def test_markdown_and_html_summary_say_both_p80s():
    # as planned the plan finishes after day 10, on 2027-01-13; without the responses on 2027-01-18
    md = render(report(), "md").decode()
    assert "P80 2027-01-13 as planned (2027-01-18 without the responses)" in md
    html = render(report(), "html").decode()
    assert "P80 2027-01-13 as planned (2027-01-18 without the responses)" in html
    assert "What each response buys" in md and "What each response buys" in html
    zh = render(report("zh"), "html").decode()
    assert "P80 2027-01-13（按计划采取应对措施；不采取应对措施则为 2027-01-18）" in zh


def test_json_report_carries_both_simulations():
    doc = json.loads(render(report(), "json"))
    assert doc["analysis"]["simulation"]["finish_dates"]["p80"] == "2027-01-13"
    assert doc["analysis"]["inherent"]["finish_dates"]["p80"] == "2027-01-18"
    assert len(doc["analysis"]["responses"]) == 2


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_pdf_summary_says_both_p80s(tmp_path):
    path = tmp_path / "r.pdf"
    path.write_bytes(render(report(), "pdf"))
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "P80 2027-01-13 as planned (2027-01-18 without the" in " ".join(text.split())


# --- the register's order ---------------------------------------------------------------


def test_the_register_is_sorted_by_exposure_then_emv(cli, tmp_path):
    risks = [
        # score 2 × 5 = 10 (p 0.11 is in the second bucket) but exposure only 0.55
        {"id": "rare", "title": "Rare", "category": "legal", "probability": 0.11, "impact": 5},
        # score 4 × 2 = 8, exposure 1.4
        {"id": "often", "title": "Often", "category": "market", "probability": 0.7, "impact": 2},
        # exposure 0.35 × 4 = 1.4 too (score 3 × 4 = 12), and the larger expected cost
        {
            "id": "costly",
            "title": "Costly",
            "category": "resource",
            "probability": 0.35,
            "impact": 4,
            "cost_impact": fixed(1000),
        },
    ]
    plan = make_plan([task("a", 1, 2, 3)], risks)
    a = analyze(plan, iterations=100)
    assert [(r.id, r.score) for r in a.risks] == [("costly", 12), ("often", 8), ("rare", 10)]
    assert [r["id"] for r in to_dict(a)["risks"]] == ["costly", "often", "rare"]
    md = render(build_report(LoadedPlan(plan, {}, SourceMap("p.yaml")), iterations=100), "md")
    text = md.decode()
    assert text.index("| **Costly** (") < text.index("| **Often** (") < text.index("| **Rare** (")
    assert "**Top risks:** Costly (high); Often (medium); Rare (high)" in text
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan.model_dump(mode="json", by_alias=True)))
    code, out, err = cli("analyze", path, "--iterations", "100")
    assert code == 0, err
    register = out[out.index("Risk register") :]
    assert register.index("Costly") < register.index("Often") < register.index("Rare")


def test_a_residual_delay_past_the_calendar_is_refused_not_a_crash():
    from ventureplan.planner.errors import VenturePlanError

    r = risk(
        "r",
        0.5,
        days=2,
        response="mitigate",
        residual={"probability": 0.5, "impact": 3, "schedule_impact": fixed(1e9)},
    )
    with pytest.raises(VenturePlanError, match=r"runs 1,000,000,010 workdays, past the limit"):
        analyze(make_plan([task("a", 10, 10, 10)], [r]), iterations=100)


def test_check_finds_a_residual_delay_past_the_calendar_at_the_residual(tmp_path, cli):
    r = risk(
        "r",
        0.5,
        days=2,
        response="mitigate",
        residual={"probability": 0.5, "impact": 3, "schedule_impact": fixed(1e9)},
    )
    plan = make_plan([task("a", 10, 10, 10)], [r])
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan.model_dump(mode="json", by_alias=True), indent=1))
    before = path.read_bytes()
    code, out, err = cli("check", path)
    assert code == 1
    line = next(x for x in err.splitlines() if "too-long" in x or "past the limit" in x)
    assert "runs 1,000,000,010 workdays, past the limit of 100,000" in line
    text = path.read_text().splitlines()
    row = int(line.split(":")[1])
    assert '"residual"' in text[row - 1]
    assert path.read_bytes() == before
