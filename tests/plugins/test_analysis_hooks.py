"""Outside plugins that add analysis sections, analysis checks or replace the simulation."""

from __future__ import annotations

import pytest
from ventureplan.planner import hookimpl
from ventureplan.planner.analysis import analyze, to_dict
from ventureplan.planner.errors import Finding, VenturePlanError
from ventureplan.planner.load import load_plan
from ventureplan.planner.pipeline import check as check_file
from ventureplan.planner.plugin_manager import Manager

from tests.conftest import GOOD


def manager(*plugins):
    pm = Manager()
    pm.load_entry_points()
    for i, p in enumerate(plugins):
        pm.register(p, name=f"outside-{i}")
    return pm


class Sections:
    @hookimpl
    def analysis_sections(self, analysis):
        return {"burn_multiple": {"value": round(analysis.budget.monthly_burn / 1000, 1)}}


class Checks:
    @hookimpl
    def analysis_checks(self, analysis):
        if analysis.simulation.finish["p95"] > 10:
            return [
                Finding(
                    "too-long",
                    "P95 is over ten days",
                    severity="warning",
                    path=("tasks",),
                    letter="T",
                )
            ]
        return []


class Broken:
    @hookimpl
    def analysis_checks(self, analysis):
        raise KeyError("p99")


class Deterministic:
    @hookimpl
    def simulate(self, plan, network, iterations, seed, probabilities):
        from ventureplan.plugins.montecarlo import Simulation

        return Simulation(plan, network, probabilities).run(1, seed)  # a plugin may answer first


def plan():
    return load_plan(GOOD / "small.yaml").plan


def test_sections_appear_in_the_analysis_document():
    doc = to_dict(analyze(plan(), iterations=100, pm=manager(Sections())))
    assert doc["burn_multiple"] == {"value": 18.5}


def test_a_section_may_not_replace_a_core_key():
    class Clash:
        @hookimpl
        def analysis_sections(self, analysis):
            return {"burn_multiple": 1}

    with pytest.raises(
        VenturePlanError, match="adds section 'burn_multiple', which already exists"
    ):
        analyze(plan(), iterations=100, pm=manager(Sections(), Clash()))


def test_analysis_checks_show_up_in_check_with_their_plugin():
    result = check_file(GOOD / "small.yaml", pm=manager(Checks()))
    (f,) = [f for f in result.findings if f.code != "risk-affects-nothing"]  # r-quality
    assert (f.code, f.plugin, f.line) == ("too-long", "outside-0", 37)


def test_a_raising_analysis_check_is_named_and_the_plan_stays_valid():
    result = check_file(GOOD / "small.yaml", pm=manager(Broken()))
    assert result.valid
    (f,) = [f for f in result.findings if f.code != "risk-affects-nothing"]  # r-quality
    assert (f.severity, f.code, f.plugin) == ("warning", "plugin-failed", "outside-0")
    assert f.message == "plugin 'outside-0' raised KeyError: 'p99'"


def test_first_simulate_answer_wins():
    a = analyze(plan(), iterations=5000, pm=manager(Deterministic()))
    assert a.simulation.iterations == 1
