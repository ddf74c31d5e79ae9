from __future__ import annotations

import os
from pathlib import Path

import pytest

# Tests never load the developer's own plugins, only those ventureplan ships.
os.environ["VENTUREPLAN_DISABLE_PLUGIN_AUTOLOAD"] = "1"

TESTS = Path(__file__).parent
GOOD = TESTS / "planner" / "good"
BAD = TESTS / "planner" / "bad"


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
