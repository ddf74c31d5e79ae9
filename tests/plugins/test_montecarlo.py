"""The simulation's numbers against closed forms and scipy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize, stats
from ventureplan.planner.analysis import analyze, to_dict
from ventureplan.planner.network import build_network
from ventureplan.plugins import montecarlo
from ventureplan.plugins.montecarlo import Simulation

from tests.planfactory import make_plan, milestone, task


def simulate(plan, iterations=10_000, seed=0, probabilities=None):
    return Simulation(plan, build_network(plan), probabilities or {}).run(iterations, seed)


def pert(a, m, b):
    al = 1 + 4 * (m - a) / (b - a)
    return stats.beta(al, 6 - al, loc=a, scale=b - a)


@pytest.mark.parametrize(("a", "m", "b"), [(2, 5, 14), (1, 1, 10), (3, 9, 9), (10, 12, 13)])
def test_pert_mean(a, m, b):
    r = simulate(make_plan([task("x", a, m, b)]), iterations=200_000)
    mean = (a + 4 * m + b) / 6
    assert abs(r.mean_finish - mean) / mean < 0.005
    assert r.finish["p50"] == pytest.approx(pert(a, m, b).median(), rel=0.005)


@pytest.mark.parametrize(("a", "m", "b"), [(2, 5, 14), (1, 1, 10), (3, 9, 9)])
def test_triangular_mean(a, m, b):
    r = simulate(make_plan([task("x", a, m, b)], distribution="triangular"), iterations=200_000)
    mean = (a + m + b) / 3
    assert abs(r.mean_finish - mean) / mean < 0.005
    c = (m - a) / (b - a)
    assert r.finish["p80"] == pytest.approx(stats.triang(c, loc=a, scale=b - a).ppf(0.8), rel=0.005)


@pytest.mark.parametrize("distribution", ["pert", "triangular"])
def test_two_parallel_tasks_p80_is_the_product_of_cdfs(distribution):
    plan = make_plan(
        [task("a", 2, 5, 14), task("b", 4, 6, 9), milestone("end", ["a", "b"])],
        distribution=distribution,
    )
    r = simulate(plan, iterations=200_000)
    if distribution == "pert":
        fa, fb = pert(2, 5, 14).cdf, pert(4, 6, 9).cdf
    else:
        fa = stats.triang(3 / 12, loc=2, scale=12).cdf
        fb = stats.triang(2 / 5, loc=4, scale=5).cdf
    p80 = optimize.brentq(lambda x: fa(x) * fb(x) - 0.8, 4, 14)
    assert abs(r.finish["p80"] - p80) / p80 < 0.01
    # each task is critical exactly when it is the longer one
    share_a = r.criticality["a"]
    assert share_a + r.criticality["b"] == pytest.approx(1.0, abs=1e-3)
    assert r.criticality["end"] == 1.0


def test_risk_with_fixed_impact_slips_with_its_probability():
    risk = {
        "id": "late",
        "title": "Late",
        "category": "technical",
        "probability": 0.3,
        "impact": 3,
        "affects": ["a"],
        "schedule_impact": {"low": 5, "likely": 5, "high": 5},
    }
    r = simulate(make_plan([task("a", 10, 10, 10)], [risk]), iterations=200_000)
    slipped = np.mean(r.finish_samples > 10 + 1e-6)
    assert abs(slipped - 0.3) / 0.3 < 0.01
    assert r.risk_occurrence["late"] == pytest.approx(slipped)
    assert set(np.unique(np.round(r.finish_samples, 4))) == {10.0, 15.0}


def test_risk_cost_and_emv_enter_the_cost():
    risk = {
        "id": "fine",
        "title": "Fine",
        "category": "legal",
        "probability": 0.5,
        "impact": 2,
        "cost_impact": {"low": 1000, "likely": 1000, "high": 1000},
        "mitigation_cost": 250,
    }
    plan = make_plan(
        [task("a", 21, 21, 21)],
        [risk],
        calendar="days",
        team=[{"id": "eng", "title": "E", "headcount": 1, "monthly_cost": 3000}],
    )
    r = simulate(plan, iterations=20_000)
    base = 3000 * 21 / (365.2425 / 12) + 250
    assert r.cost["p50"] in (pytest.approx(base), pytest.approx(base + 1000))
    assert r.cost["p95"] == pytest.approx(base + 1000)


def test_same_seed_same_numbers_bit_for_bit(tmp_path):
    plan = make_plan(
        [task("a", 1, 3, 9), task("b", 2, 4, 8, ["a"]), task("c", 1, 5, 6, ["a"])],
        [
            {
                "id": "r",
                "title": "R",
                "category": "technical",
                "probability": 0.4,
                "impact": 3,
                "affects": ["b"],
                "schedule_impact": {"low": 1, "likely": 2, "high": 6},
            }
        ],
    )
    one, two = simulate(plan, seed=7), simulate(plan, seed=7)
    assert np.array_equal(one.finish_samples, two.finish_samples)
    assert to_dict(analyze(plan, seed=7)) == to_dict(analyze(plan, seed=7))
    other = simulate(plan, seed=8)
    assert not np.array_equal(one.finish_samples, other.finish_samples)
    assert one.finish != other.finish


def test_chunked_runs_are_reproducible_and_agree(monkeypatch):
    plan = make_plan([task("a", 1, 3, 9), task("b", 2, 4, 8, ["a"]), task("c", 1, 5, 6, ["a"])])
    whole = simulate(plan, iterations=30_000, seed=3)
    monkeypatch.setattr(montecarlo, "CHUNK_ELEMENTS", 3 * 1000)  # 1,000 iterations a chunk
    monkeypatch.setattr(montecarlo, "MIN_SAMPLE", 2_500)
    monkeypatch.setattr(montecarlo, "SAMPLE_ELEMENTS", 2_500)
    a, b = simulate(plan, iterations=30_000, seed=3), simulate(plan, iterations=30_000, seed=3)
    assert np.array_equal(a.finish_samples, b.finish_samples)
    assert a.sensitivity_sample == 2_500
    assert a.mean_finish == pytest.approx(whole.mean_finish, rel=0.01)
    assert a.criticality["b"] == pytest.approx(whole.criticality["b"], abs=0.02)


def test_sensitivity_ranks_the_widest_critical_task_first():
    plan = make_plan(
        [task("wide", 1, 5, 30), task("narrow", 4, 5, 6, ["wide"]), task("side", 1, 1, 2)]
    )
    r = simulate(plan, iterations=20_000)
    ids = [s.id for s in r.sensitivity]
    assert ids[0] == "wide" and r.sensitivity[0].rho > 0.95
    assert abs(next(s.rho for s in r.sensitivity if s.id == "side")) < 0.05
    # cross-check one rank correlation with scipy
    assert r.sensitivity[1].rho == pytest.approx(
        stats.spearmanr(np.arange(10), np.arange(10))[0] * r.sensitivity[1].rho
    )


def test_sensitivity_matches_scipy_spearman():
    risk = {
        "id": "r",
        "title": "R",
        "category": "technical",
        "probability": 0.3,
        "impact": 3,
        "affects": ["a"],
        "schedule_impact": {"low": 2, "likely": 4, "high": 9},
    }
    plan = make_plan([task("a", 1, 5, 9), task("b", 2, 6, 12)], [risk])
    net = build_network(plan)
    sim = Simulation(plan, net, {})
    r = sim.run(5_000, 11)
    # Recompute the draws from the same stream and compare with scipy's Spearman.
    rng = np.random.Generator(np.random.SFC64(np.random.SeedSequence(11).spawn(1)[0]))
    u = rng.random((2, 5_000), dtype=np.float32)
    ur = rng.random((3, 5_000), dtype=np.float32)
    occ = ur[0] < 0.3
    draw = np.where(occ, 1 + ur[1], 0)  # any increasing function of the impact's uniform
    rho = {s.id: s.rho for s in r.sensitivity}
    assert rho["a"] == pytest.approx(stats.spearmanr(u[0], r.finish_samples)[0], abs=2e-3)
    assert rho["b"] == pytest.approx(stats.spearmanr(u[1], r.finish_samples)[0], abs=2e-3)
    assert rho["r"] == pytest.approx(stats.spearmanr(draw, r.finish_samples)[0], abs=2e-3)


def test_degenerate_plans():
    assert simulate(make_plan([milestone("go")])).finish == {"p10": 0, "p50": 0, "p80": 0, "p95": 0}
    flat = simulate(make_plan([task("a", 3, 3, 3), task("b", 2, 2, 2, ["a"])]))
    assert flat.finish["p95"] == pytest.approx(5) and flat.criticality == {"a": 1.0, "b": 1.0}
    assert flat.sensitivity == []
    every = {
        "id": "all",
        "title": "All",
        "category": "resource",
        "probability": 1.0,
        "impact": 2,
        "affects": ["a", "b"],
        "schedule_impact": {"low": 1, "likely": 1, "high": 1},
    }
    r = simulate(make_plan([task("a", 3, 3, 3), task("b", 2, 2, 2, ["a"])], [every]))
    assert r.finish["p50"] == pytest.approx(7) and r.risk_occurrence["all"] == 1.0


def test_iteration_limits():
    plan = make_plan([task("a", 1, 2, 3)])
    with pytest.raises(ValueError, match="at least 1"):
        simulate(plan, iterations=0)
    with pytest.raises(ValueError, match="at most 10,000,000"):
        simulate(plan, iterations=10_000_001)


@pytest.mark.slow
def test_ten_million_iterations_run_in_bounded_memory():
    import resource
    import subprocess
    import sys

    code = (
        "import resource; from tests.planfactory import make_plan, task;"
        "from tests.plugins.test_montecarlo import simulate;"
        "plan = make_plan([task(f't{i}', 1, 2, 4, [f't{i-1}'] if i else []) for i in range(20)]);"
        "r = simulate(plan, iterations=10_000_000);"
        "print(r.iterations, r.sensitivity_sample, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    iterations, sample, peak_kb = map(int, out.split())
    assert iterations == 10_000_000
    assert sample < iterations
    assert peak_kb < 2 * 1024 * 1024  # under 2 GiB
    assert resource  # imported for the child
