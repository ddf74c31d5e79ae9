"""The measurement protocol: what it calls, in what order, and what it reports."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")

from ventureplan.runner import speed  # noqa: E402
from ventureplan.runner.prune import OptimizeError  # noqa: E402
from ventureplan.runner.speed import Protocol  # noqa: E402

TEXTS = [f"text {i}" for i in range(7)]


class Recorder:
    """A predict that records every batch it is given."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return np.zeros((len(texts), 3))


def test_measure_times_single_texts_then_batches_cycling_through_the_texts():
    predict = Recorder()
    protocol = Protocol(threads=1, warmup=3, repeats=50, batch=4, batches=5)
    result = speed.measure(predict, TEXTS, protocol)

    assert len(predict.calls) == protocol.calls == 3 + 50 + 1 + 5
    single, batched = predict.calls[:53], predict.calls[53:]
    assert single[:3] == [["text 0"], ["text 1"], ["text 2"]]  # warm-up
    assert single[3:] == [[TEXTS[i % 7]] for i in range(50)]
    assert batched[0] == ["text 0", "text 1", "text 2", "text 3"]
    assert batched[1] == ["text 4", "text 5", "text 6", "text 0"]
    assert all(len(b) == 4 for b in batched)
    assert 0 < result.latency_p50_ms <= result.latency_p95_ms
    assert result.throughput_per_s > 0


def test_measure_holds_torch_to_the_threads_and_restores_them():
    before = torch.get_num_threads()
    seen = []

    def predict(texts):
        seen.append(torch.get_num_threads())
        return np.zeros((len(texts), 2))

    speed.measure(predict, TEXTS, Protocol(threads=1, warmup=0, batches=1))
    assert set(seen) == {1}
    assert torch.get_num_threads() == before


def test_the_default_protocol():
    protocol = Protocol(threads=2)
    assert (protocol.warmup, protocol.repeats, protocol.batch) == (10, 50, 32)


@pytest.mark.parametrize(
    "values",
    [{"threads": 0}, {"threads": 1, "repeats": 49}, {"threads": 1, "batch": 0}],
)
def test_a_protocol_too_small_to_trust_is_refused(values):
    with pytest.raises(OptimizeError, match="must be"):
        Protocol(**values)


def test_no_texts_is_refused():
    with pytest.raises(OptimizeError, match="no texts"):
        speed.measure(Recorder(), [], Protocol(threads=1))


def test_sizes_are_in_megabytes_of_a_million_bytes(tmp_path):
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "weights.safetensors").write_bytes(b"\0" * 1_500_000)
    (tmp_path / "model" / "sub").mkdir()
    (tmp_path / "model" / "sub" / "vocab.txt").write_bytes(b"\0" * 250_000)
    assert speed.file_size_mb(tmp_path / "model" / "weights.safetensors") == 1.5
    assert speed.file_size_mb(tmp_path / "model") == 1.75


def test_onnx_params_millions_counts_the_initializers(tmp_path):
    from onnx import TensorProto, helper, numpy_helper

    weight = numpy_helper.from_array(np.zeros((300, 1000), dtype=np.int8), "weight")
    scale = numpy_helper.from_array(np.ones(1000, dtype=np.float32), "scale")
    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
        initializer=[weight, scale],
    )
    onnx.save(helper.make_model(graph), str(tmp_path / "m.onnx"))
    assert speed.onnx_params_millions(tmp_path / "m.onnx") == pytest.approx(0.301)


def test_the_chance_of_missing_a_latency_goal_is_a_bootstrap_of_the_timed_calls():
    from ventureplan.runner.speed import Speed

    flat = Speed(5.0, 5.0, 100.0, (5.0,) * 60)
    assert flat.p_miss(50, 10.0, "<=", seed=0) == 0.0
    assert flat.p_miss(50, 1.0, "<=", seed=0) == 1.0
    assert flat.p_miss(50, 1.0, ">=", seed=0) == 0.0
    split = Speed(50.5, 100.0, 100.0, (1.0,) * 30 + (100.0,) * 30)
    assert 0.3 < split.p_miss(50, 50.0, "<=", seed=0) < 0.7  # the median sits on the edge
    assert split.p_miss(50, 50.0, "<=", seed=0) == split.p_miss(50, 50.0, "<=", seed=0)
    assert split.p_miss(95, 50.0, "<=", seed=0) == 1.0  # the slow half decides p95
