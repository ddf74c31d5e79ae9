from __future__ import annotations

import pytest
from ventureplan.planner.analysis import analyze, to_dict
from ventureplan.planner.load import load_plan

from tests.conftest import GOOD


@pytest.fixture(scope="module")
def analysis():
    return analyze(load_plan(GOOD / "measured.yaml").plan)


def test_latest_run_gives_the_goal_verdict(analysis):
    (ev,) = analysis.evidence
    assert (ev.route, ev.run) == ("minilm", "20270210T091500Z-minilm")
    (g,) = ev.goals
    assert (g.goal, g.value, g.target, g.met, g.interval, g.p_miss) == (
        "g-quality",
        0.955,
        0.85,
        True,
        (0.938, 0.970),
        0.02,
    )
    assert ev.forecast == {"full_data_hours": 0.35, "full_data_cost": 1.23}
    assert ev.training["samples_per_second"] == 10.3


def test_linked_risk_gets_the_measured_probability_beside_the_founders(analysis):
    (r,) = analysis.evidence[0].risks
    assert (r.risk, r.probability, r.measured_probability) == ("r-quality", 0.3, 0.02)
    assert analysis.plan.risks[0].probability == 0.3  # never overwritten
    assert analysis.simulation.risk_occurrence["r-quality"] == pytest.approx(0.3, abs=0.015)
    ev = analysis.evidence_simulation
    assert ev is not None and ev.risk_occurrence["r-quality"] == pytest.approx(0.02, abs=0.005)
    assert ev.finish["p80"] < analysis.simulation.finish["p80"]
    assert ev.cost["p95"] < analysis.simulation.cost["p95"]


def test_a_changed_target_drops_the_stale_p_miss(tmp_path):
    text = (
        (GOOD / "measured.yaml").read_text().replace("    target: 0.85\n", "    target: 0.96\n", 1)
    )
    path = tmp_path / "plan.yaml"
    path.write_text(text)
    a = analyze(load_plan(path).plan, iterations=100)
    (g,) = a.evidence[0].goals
    assert (g.met, g.p_miss) == (False, None)
    assert a.evidence[0].risks == [] and a.evidence_simulation is None


def test_no_measurements_no_evidence():
    a = analyze(load_plan(GOOD / "small.yaml").plan, iterations=100)
    assert a.evidence == [] and a.evidence_simulation is None
    assert to_dict(a)["evidence"] == []


def test_a_manual_record_of_a_goal_a_route_settles_is_shown_beside_it(tmp_path, cli):
    """The route's evidence is listed first and keeps the goal's verdict (and the risk's
    measured probability); the manual record of the same goal is shown after it."""
    path = tmp_path / "plan.yaml"
    path.write_text((GOOD / "measured.yaml").read_text())
    (tmp_path / "tickets.csv").write_bytes((GOOD / "tickets.csv").read_bytes())
    code, out, err = cli("measure", path, "g-quality", "0.5", "--at", "2027-02-20")
    assert code == 0, err
    assert "but route minilm's run 20270210T091500Z-minilm settles it" in out
    a = analyze(load_plan(path).plan, iterations=100)
    assert [(ev.kind, ev.run) for ev in a.evidence] == [
        ("training", "20270210T091500Z-minilm"),
        ("manual", "20270220-manual-1"),
    ]
    manual = a.evidence[1]
    assert (manual.goals[0].value, manual.goals[0].met, manual.goals[0].p_miss) == (
        0.5,
        False,
        1.0,
    )
    from ventureplan.planner.evidence import measured_probabilities

    assert measured_probabilities(a.evidence) == {"r-quality": 0.02}  # the route's, first
