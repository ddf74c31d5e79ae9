"""Hooks are called through pluggy's own hook callers, one plugin at a time: a plugin may
declare only the arguments it uses, a plugin that raises is a warning naming it while the
others still answer, wrappers still wrap, and name clashes follow one rule per hook."""

from __future__ import annotations

import pytest
from ventureplan.planner import hookimpl, pipeline
from ventureplan.planner.analysis import analyze
from ventureplan.planner.errors import Finding, PluginError
from ventureplan.planner.load import load_plan
from ventureplan.planner.plugin_manager import Manager, answers, call_first, collect

from tests.conftest import GOOD


def manager(**plugins):
    pm = Manager()
    pm.load_entry_points()
    for name, p in plugins.items():
        pm.register(p, name=name)
    return pm


class Partial:
    """Each implementation declares fewer arguments than its hook passes."""

    @hookimpl
    def plan_checks(self):
        return [Finding("partial-lint", "no arguments needed", severity="warning")]

    @hookimpl
    def mermaid_diagrams(self, labels):
        return {"hello": f'pie title {labels["summary"]}\n    "a" : 1\n'}

    @hookimpl(tryfirst=True)
    def simulate(self, plan, network, seed):  # no iterations, no probabilities
        from ventureplan.plugins.montecarlo import Simulation

        return Simulation(plan, network, {}).run(7, seed)


class Raising:
    @hookimpl
    def plan_checks(self, plan):
        raise RuntimeError("lint boom")

    @hookimpl(tryfirst=True)
    def score_risk(self, risk):
        raise ValueError(f"cannot score {risk.id}")

    @hookimpl
    def mermaid_diagrams(self, analysis):
        raise KeyError("gantt")

    @hookimpl
    def renderers(self):
        raise OSError("no disk")


class Wrapper:
    @hookimpl(wrapper=True)
    def plan_checks(self, plan):
        found = yield
        return [*found, [Finding("wrapped", f"{len(found)} answers inside", severity="info")]]


def test_an_implementation_may_declare_only_some_arguments():
    pm = manager(partial=Partial())
    outcome = pipeline.check(GOOD / "small.yaml", pm=pm)
    assert outcome.valid
    assert sorted((f.code, f.plugin) for f in outcome.findings) == [
        ("partial-lint", "partial"),
        ("risk-affects-nothing", "montecarlo"),  # small.yaml's r-quality names no impact
    ]
    assert outcome.analysis is not None and outcome.analysis.simulation.iterations == 7
    drawn = pipeline.report(GOOD / "small.yaml", pm=pm, iterations=100).diagrams
    assert drawn["hello"].startswith("pie title Summary")
    assert {"gantt", "flow", "risks", "budget"} <= set(drawn)


def test_a_raising_plugin_is_one_warning_per_hook_and_the_others_answer():
    pm = manager(raising=Raising())
    report = pipeline.report(GOOD / "small.yaml", pm=pm, iterations=200)
    failed = [(f.severity, f.plugin, f.message) for f in report.findings if f.plugin == "raising"]
    assert failed == [
        ("warning", "raising", "plugin 'raising' raised RuntimeError: lint boom"),
        ("warning", "raising", "plugin 'raising' raised ValueError: cannot score r-quality"),
        ("warning", "raising", "plugin 'raising' raised KeyError: 'gantt'"),
    ]
    # the built-in scorer answered in its place, and the built-in diagrams are all there
    assert [r.id for r in report.analysis.risks] == [r.id for r in report.plan.risks]
    assert {"gantt", "flow", "risks", "budget"} <= set(report.diagrams)
    assert set(pipeline.renderers(pm)) >= {"html", "json", "md", "pdf", "xlsx"}
    assert pipeline.render(report, "md", pm).startswith(b"# ")


def test_a_scorer_that_raises_for_every_risk_is_said_once(tmp_path):
    from ventureplan.planner.starters import starter_text

    path = tmp_path / "plan.yaml"
    path.write_text(starter_text("newslens", "en"))
    plan = load_plan(path).plan
    a = analyze(plan, iterations=100, pm=manager(raising=Raising()))
    (f,) = [f for f in a.findings if f.plugin == "raising"]
    first, n = plan.risks[0].id, len(plan.risks) - 1
    assert n >= 2
    assert (
        f.message
        == f"plugin 'raising' raised ValueError: cannot score {first} (and {n} more times)"
    )
    assert len(a.risks) == len(plan.risks)


def test_without_a_list_for_failures_a_raising_plugin_is_a_plugin_error():
    pm = manager(raising=Raising())
    plan = load_plan(GOOD / "small.yaml").plan
    with pytest.raises(PluginError, match="plugin 'raising' raised RuntimeError: lint boom"):
        list(answers(pm, "plan_checks", plan=plan))
    failures: list[Finding] = []
    score = call_first(pm, "score_risk", failures, risk=plan.risks[0], plan=plan)
    assert score.id == plan.risks[0].id and len(failures) == 1


def test_wrappers_wrap_each_plugins_call():
    pm = manager(partial=Partial(), wrapper=Wrapper())
    found = pipeline.lint(load_plan(GOOD / "small.yaml"), pm)
    codes = [f.code for f in found]
    # the built-in lints find nothing in small.yaml; the wrapper wrapped each plugin's call
    assert codes.count("partial-lint") == 1
    assert codes.count("wrapped") == len(pm.hook.plan_checks.get_hookimpls()) - 1


def test_name_clashes_refuse_or_keep_the_first():
    class Second:
        @hookimpl
        def analysis_sections(self):
            return {"x": 2}

        @hookimpl(trylast=True)
        def renderers(self):
            return {"md": lambda report: b"second"}

    class First:
        @hookimpl
        def analysis_sections(self):
            return {"x": 1}

    pm = manager(first=First(), second=Second())
    with pytest.raises(PluginError, match="plugin 'first' adds section 'x', which already exists"):
        analyze(load_plan(GOOD / "small.yaml").plan, iterations=100, pm=pm)
    kept = collect(pm, "renderers", "renderer", [], clash="first")
    assert kept["md"].__module__ == "ventureplan.plugins.render_markdown"
