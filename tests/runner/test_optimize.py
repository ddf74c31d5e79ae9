"""`ventureplan optimize` end to end on the tiny BERT: every variant the route asks for is
built, checked, measured by one protocol and written under runs/<id>/variants/; the
chosen one is the fastest within the metric drop; the record lands in the plan; a
tampered export is refused and leaves nothing."""

from __future__ import annotations

import json

import numpy as np
import pytest
from ventureplan.planner import planfile
from ventureplan.planner.load import load_plan
from ventureplan.planner.optimizing import optimize_route
from ventureplan.planner.records import OptimizationRecord
from ventureplan.runner import onnxio, prune
from ventureplan.runner.prune import OptimizeError

from tests.runner.test_run import run_plan

SECTION = (
    "    optimize: {prune: [0.5], export: onnx, quantize: int8, recover_epochs: 1, "
    "max_metric_drop: 0.05}\n"
)
LATENCY = """  - id: g-latency
    statement: Tag one text in under a second on the test machine
    metric: latency_p50_ms
    target: 1000
    direction: "<="
    deadline: 2027-03-31
    owner: ml
    relevant_to: It is a test
routes:
"""


@pytest.fixture
def trained(runner_plan):
    text = runner_plan.read_text()
    text = text.replace("routes:\n", LATENCY, 1)
    text = text.replace(
        "    measures: [g-quality, g-speed]\n",
        "    measures: [g-quality, g-speed, g-latency]\n" + SECTION,
    )
    text = text.replace("epochs: 12", "epochs: 6")
    runner_plan.write_text(text)
    record = run_plan(runner_plan)
    planfile.append_record(runner_plan, record)
    return runner_plan, record


def test_optimize_builds_measures_and_chooses_every_variant(trained, cli):
    path, source = trained
    before = path.read_text()
    code, out, err = cli("optimize", path)
    assert code == 0, err
    record = load_plan(path).plan.measured[-1]
    assert isinstance(record, OptimizationRecord)
    assert record.source_run == source.run and record.run.endswith("-tiny-opt")
    inserted = planfile.record_yaml(record)
    assert path.read_text().replace(inserted, "", 1) == before  # nothing else touched
    names = [v.name for v in record.variants]
    assert names == ["base", "onnx", "int8", "pruned-50", "pruned-50-onnx", "pruned-50-int8"]
    by = {v.name: v for v in record.variants}
    folder = path.parent / "runs" / record.run / "variants"
    for name in names:
        assert (folder / name).is_dir(), name
    assert (folder / "onnx" / "model.onnx").is_file()
    assert not (path.parent / "runs" / f"{record.run}.partial").exists()
    # the trained model as it is: the reference
    assert by["base"].agreement == 1.0 and by["base"].format == "torch"
    assert by["base"].macro_f1 == pytest.approx(source.metrics["macro_f1"], abs=1e-4)
    # exports match PyTorch
    assert by["onnx"].max_abs_diff <= 1e-4 and by["onnx"].agreement == 1.0
    assert by["pruned-50-onnx"].max_abs_diff <= 1e-4
    # pruning removes parameters; int8 shrinks the file
    assert by["pruned-50"].params_millions < by["base"].params_millions
    assert by["int8"].size_mb < by["onnx"].size_mb
    for v in record.variants:
        assert 0 < v.latency_p50_ms <= v.latency_p95_ms and v.throughput_per_s > 0
        low, high = v.interval
        assert low <= v.macro_f1 <= high
        assert v.within_drop == (v.change >= -0.05)
    # the choice: the fastest within the drop that meets the quality goal
    fits = [v for v in record.variants if v.within_drop and v.macro_f1 >= 0.5]
    assert record.chosen == min(fits, key=lambda v: v.latency_p50_ms).name
    g = record.goals["g-latency"]
    assert g.value == record.variant(record.chosen).latency_p50_ms and g.met is True
    assert g.p_miss == 0.0  # a second per text is far above every timed call
    assert record.protocol.repeats >= 50 and record.protocol.texts == 24
    kept = json.loads((path.parent / "runs" / record.run / "record.json").read_text())
    assert kept["run"] == record.run
    # the pruned copy reloads as it was measured
    tok, model = prune.load_pruned(folder / "pruned-50")
    texts = ["the news match goal team 1", "the news bank market 2"]
    session = onnxio.session(folder / "pruned-50-onnx" / "model.onnx", 1)
    a = onnxio.torch_logits(model, tok, texts, 32, 2)
    b = onnxio.onnx_logits(session, tok, texts, 32, 2)
    assert np.abs(a - b).max() <= 1e-4
    # analyze shows the table; the verdict of the latency goal is evidence
    code, out, err = cli("analyze", path, "--iterations", "200")
    assert code == 0, err
    said = " ".join(out.split())  # laid out for 80 columns: the title may wrap
    assert f"Variants of run {source.run}" in said and f"* chosen: {record.chosen}" in said


def test_a_failed_parity_check_leaves_nothing(trained, monkeypatch):
    path, _ = trained
    before = path.read_bytes()
    real = onnxio.onnx_logits

    def tampered(*args, **kwargs):
        return real(*args, **kwargs) + 0.01

    monkeypatch.setattr(onnxio, "onnx_logits", tampered)
    with pytest.raises(OptimizeError, match=r"max \|logit difference\|"):
        optimize_route(path)
    assert path.read_bytes() == before
    runs = path.parent / "runs"
    assert not [p.name for p in runs.iterdir() if "-opt" in p.name]
