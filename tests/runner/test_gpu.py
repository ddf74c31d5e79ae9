"""The CUDA path: bf16 autocast, fused AdamW, CUDA peak memory. Skipped without a GPU."""

from __future__ import annotations

import pytest
from ventureplan.planner.load import load_plan
from ventureplan.planner.records import Options
from ventureplan.runner.run import run_text_classification

pytestmark = pytest.mark.gpu


def test_tiny_model_trains_on_cuda(runner_plan):
    import torch

    runner_plan.write_text(runner_plan.read_text().replace("device: cpu", "device: cuda"))
    plan = load_plan(runner_plan).plan
    record = run_text_classification(plan, plan.chosen_route, runner_plan, Options(progress=False))
    assert record.device == torch.cuda.get_device_name(0)
    assert record.metrics["macro_f1"] > 0.8
    assert (
        0
        < record.training.peak_memory_mb
        < torch.cuda.get_device_properties(0).total_memory / 2**20
    )
