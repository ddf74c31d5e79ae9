from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

# Tests never load the developer's own plugins, only those ventureplan ships.
os.environ["VENTUREPLAN_DISABLE_PLUGIN_AUTOLOAD"] = "1"

TESTS = Path(__file__).parent

# Hypothesis profiles (tests/fuzz/__init__.py says how to run each): "ci" is the default,
# "fuzz" the long run, chosen with `pytest --hypothesis-profile=fuzz`. Every example runs
# whole commands, so no deadline; failing examples are kept under .pytest_cache (ignored by
# git) and replayed first on the next run.
_PROFILE = {
    "deadline": None,
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
    "database": DirectoryBasedExampleDatabase(str(TESTS.parent / ".pytest_cache" / "hypothesis")),
    "print_blob": True,
}
settings.register_profile("ci", max_examples=25, **_PROFILE)
settings.register_profile("fuzz", max_examples=5_000, **_PROFILE)
settings.load_profile("ci")

GOOD = TESTS / "planner" / "good"
BAD = TESTS / "planner" / "bad"


def with_data(plan: Path) -> Path:
    """`plan`, with the small plan's data file (tickets.csv: a header and a few rows) put
    beside it, so that `check` finds it and reports only what a test is about."""
    (plan.parent / "tickets.csv").write_bytes((GOOD / "tickets.csv").read_bytes())
    return plan


@pytest.fixture
def small_plan(tmp_path: Path) -> Path:
    """A copy of the small valid plan that a test may edit."""
    path = tmp_path / "plan.yaml"
    path.write_text((GOOD / "small.yaml").read_text("utf-8"), "utf-8")
    return path


@pytest.fixture
def cli():
    """Run the CLI in-process; returns (exit_code, stdout, stderr)."""
    from typer.testing import CliRunner
    from ventureplan.planner.cli.main import app

    runner = CliRunner()

    def run(*args: str):
        result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    return run


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def pytest_collection_modifyitems(config, items):
    gpu_items = [item for item in items if "gpu" in item.keywords]
    if gpu_items and not _cuda_available():
        skip = pytest.mark.skip(reason="needs a CUDA device")
        for item in gpu_items:
            item.add_marker(skip)
