"""A plan of 10,000 tasks checks correctly (its speed is measured in bench/, not here)."""

from __future__ import annotations

import pytest
from ventureplan.planner.pipeline import check as check_file

from bench.plangen import random_plan_yaml

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def big_text():
    return random_plan_yaml(10_000, seed=1)


def test_ten_thousand_tasks_are_valid(tmp_path, big_text):
    path = tmp_path / "big.yaml"
    path.write_text(big_text)
    result = check_file(path)
    assert result.valid, [f.format() for f in result.findings[:3]]
    assert len(result.loaded.plan.tasks) == 10_000


def test_error_near_the_end_of_a_big_plan_names_its_line(tmp_path, big_text):
    lines = big_text.splitlines()
    idx = max(i for i, ln in enumerate(lines) if ln == "    name: Task 9999")
    lines[idx + 1] = "    owner: engineer"
    path = tmp_path / "big.yaml"
    path.write_text("\n".join(lines) + "\n")
    result = check_file(path)
    (f,) = result.findings
    assert (f.line, f.column, f.where) == (idx + 2, 12, "tasks[9999].owner")
    assert f.message == "unknown team id 'engineer'"
