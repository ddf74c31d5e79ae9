"""Outside plugins: installed through the entry-point group, or registered in process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ventureplan.planner.load import load_plan
from ventureplan.planner.pipeline import check as check_file
from ventureplan.planner.pipeline import lint
from ventureplan.planner.plugin_manager import Manager

from tests.conftest import GOOD

SAMPLE = Path(__file__).parent / "sample"


def _install(site: Path, name: str, module: str) -> None:
    """Install a plugin the way pip would: a dist-info folder with entry_points.txt."""
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[ventureplan]\n{name} = {module}\n")
    (site / f"{module}.py").write_text((SAMPLE / f"{module}.py").read_text())


def _run(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "VENTUREPLAN_DISABLE_PLUGIN_AUTOLOAD"}
    env["PYTHONPATH"] = str(site)
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "ventureplan.planner.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


@pytest.fixture
def site(tmp_path):
    return tmp_path / "site"


def test_installed_plugin_is_listed_and_used_by_check(site):
    _install(site, "vp-sample", "vp_sample_plugin")
    listed = json.loads(_run(site, "plugins", "--json").stdout)
    sample = next(p for p in listed if p["name"] == "vp-sample")
    assert sample == {
        "name": "vp-sample",
        "module": "vp_sample_plugin",
        "distribution": "vp-sample",
        "hooks": ["analysis_sections", "mermaid_diagrams", "plan_checks", "renderers"],
        "error": None,
        "builtin": False,
    }
    assert {p["name"] for p in listed if p["builtin"]} >= {"smart", "licences"}

    proc = _run(site, "check", "--json", str(GOOD / "small.yaml"))
    assert proc.returncode == 0
    found = json.loads(proc.stdout)["findings"]
    (finding,) = [f for f in found if f["code"] != "risk-affects-nothing"]  # r-quality
    assert finding["code"] == "sample-pricing"
    assert finding["plugin"] == "vp-sample"
    assert (finding["line"], finding["letter"]) == (10, "S")


def test_installed_plugin_is_used_by_analyze_roadmap_and_report(site, tmp_path):
    _install(site, "vp-sample", "vp_sample_plugin")
    proc = _run(site, "analyze", "--json", "--iterations", "500", str(GOOD / "small.yaml"))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["sample"] == {"tasks": 3, "p80": round(doc["simulation"]["finish"]["p80"], 3)}
    proc = _run(site, "roadmap", "--diagram", "timeline", str(GOOD / "small.yaml"))
    assert (
        proc.returncode == 0
        and proc.stdout == "timeline\n    title Milestones\n    2027-01-20 : launch\n"
    )
    out = tmp_path / "plan.txt"
    proc = _run(site, "report", str(GOOD / "small.yaml"), "-o", str(out), "--iterations", "500")
    assert proc.returncode == 0, proc.stderr
    assert out.read_text().splitlines()[0] == "Small test venture"
    proc = _run(
        site,
        "report",
        str(GOOD / "small.yaml"),
        "-o",
        str(tmp_path / "plan.md"),
        "--iterations",
        "500",
    )
    assert "## Summary" in (tmp_path / "plan.md").read_text()


def test_builtin_only_mode_skips_outside_plugins(site):
    _install(site, "vp-sample", "vp_sample_plugin")
    env_proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "ventureplan.planner.cli",
            "check",
            "--json",
            str(GOOD / "small.yaml"),
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(site), "VENTUREPLAN_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )
    # only the built-in lints: small.yaml's r-quality names no impact
    assert [f["code"] for f in json.loads(env_proc.stdout)["findings"]] == ["risk-affects-nothing"]


def test_a_plugin_that_raises_is_a_warning_not_an_invalid_plan(site, tmp_path):
    _install(site, "vp-crash", "vp_crashing_plugin")
    proc = _run(site, "check", str(GOOD / "small.yaml"))
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "plugin 'vp-crash' raised RuntimeError: boom" in proc.stdout
    assert "is valid" in proc.stdout
    out = tmp_path / "plan.md"
    proc = _run(site, "report", str(GOOD / "small.yaml"), "-o", str(out), "-n", "200")
    assert proc.returncode == 0, proc.stderr
    assert "warning: plugin 'vp-crash' raised RuntimeError: boom" in proc.stderr
    assert "plugin 'vp-crash' raised RuntimeError: boom" in out.read_text()


def test_a_plugin_that_fails_to_import_is_named(site):
    _install(site, "vp-broken", "vp_broken_import")
    proc = _run(site, "plugins")
    assert proc.returncode == 0
    assert "vp-broken" in proc.stdout and "ModuleNotFoundError" in proc.stdout
    proc = _run(site, "check", str(GOOD / "small.yaml"))
    assert proc.returncode == 0, proc.stderr
    assert "plugin 'vp-broken' could not be loaded: ModuleNotFoundError" in proc.stdout


def test_registered_plugin_is_used_in_process():
    import vp_sample_plugin  # type: ignore[import-not-found]

    pm = Manager()
    pm.load_entry_points()
    pm.register(vp_sample_plugin, name="sample")
    findings = lint(load_plan(GOOD / "small.yaml"), pm)
    assert sorted((f.code, f.plugin) for f in findings) == [
        ("risk-affects-nothing", "montecarlo"),  # small.yaml's r-quality names no impact
        ("sample-pricing", "sample"),
    ]


def test_check_file_uses_the_given_manager():
    import vp_crashing_plugin  # type: ignore[import-not-found]

    pm = Manager()
    pm.register(vp_crashing_plugin, name="crash")
    result = check_file(GOOD / "small.yaml", pm=pm)
    assert result.valid
    assert [(f.severity, f.message) for f in result.findings if f.where == "(plan)"] == [
        ("warning", "plugin 'crash' raised RuntimeError: boom")
    ]
    # Without the built-in plugins nothing runs the routes' kind, and check says so.
    assert [(f.code, f.where) for f in result.findings if f.where != "(plan)"] == [
        ("unknown-route-kind", "routes[0].task"),
        ("unknown-route-kind", "routes[1].task"),
    ]


def test_every_hook_has_a_test():
    """datasette's rule: a hook nobody tests is a hook nobody can rely on."""
    from ventureplan.planner import hookspecs

    hooks = [n for n in dir(hookspecs) if hasattr(getattr(hookspecs, n), "ventureplan_spec")]
    assert set(hooks) >= {
        "plan_checks",
        "score_risk",
        "simulate",
        "analysis_sections",
        "analysis_checks",
    }
    tests = "".join(p.read_text() for p in Path(__file__).parent.parent.rglob("*.py"))
    for hook in hooks:
        assert f"def {hook}(" in tests, f"no test implements the hook {hook}"
