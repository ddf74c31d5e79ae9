"""ONNX export, parity and int8 on a tiny BERT; every file is run in onnxruntime."""

from __future__ import annotations

import math

import numpy as np
import pytest

from .conftest import make_rows

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")

from ventureplan.runner import onnxio, prune  # noqa: E402
from ventureplan.runner.onnxio import Parity  # noqa: E402
from ventureplan.runner.prune import OptimizeError, Pruning  # noqa: E402
from ventureplan.runner.speed import file_size_mb  # noqa: E402

TEXTS = [text for text, _ in make_rows(n_per_class=20, seed=3)]


@pytest.fixture(scope="module")
def tokenizer(tiny_model):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model)


@pytest.fixture(scope="module")
def model(tokenizer):
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=64,
        num_labels=3,
        initializer_range=0.2,  # logits far enough apart that int8 keeps most predictions
    )
    return BertForSequenceClassification(config).eval()


@pytest.fixture(scope="module")
def exported(model, tokenizer, tmp_path_factory):
    return onnxio.export(model, tokenizer, tmp_path_factory.mktemp("onnx") / "model.onnx")


def test_the_export_has_dynamic_batch_and_sequence_axes(exported):
    graph = onnx.load(str(exported)).graph
    dims = {
        v.name: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]
        for v in [*graph.input, *graph.output]
    }
    assert dims == {
        "input_ids": ["batch", "sequence"],
        "attention_mask": ["batch", "sequence"],
        "token_type_ids": ["batch", "sequence"],
        "logits": ["batch", 3],
    }
    assert onnx.load(str(exported)).opset_import[0].version >= 17
    assert [p.name for p in exported.parent.iterdir()] == ["model.onnx"]  # no temp file left


@pytest.mark.parametrize(("batch_size", "max_length"), [(1, 8), (3, 13), (7, 40)])
def test_onnx_matches_torch_at_other_shapes(exported, model, tokenizer, batch_size, max_length):
    texts = TEXTS[:23]
    reference = onnxio.torch_logits(model, tokenizer, texts, max_length, batch_size)
    got = onnxio.onnx_logits(onnxio.session(exported, 1), tokenizer, texts, max_length, batch_size)
    result = onnxio.parity(reference, got)
    assert result.max_abs_diff <= 1e-4
    assert result.agreement == 1.0
    assert result.texts == 23
    onnxio.check_parity(result)


def test_a_pruned_model_exports_and_matches(model, tokenizer, tmp_path):
    import copy

    pruned = copy.deepcopy(model)
    prune.apply_pruning(pruned, Pruning(heads=[[0, 1], [3]], neurons=[list(range(40)), [2]]))
    path = onnxio.export(pruned, tokenizer, tmp_path / "pruned.onnx")
    reference = onnxio.torch_logits(pruned, tokenizer, TEXTS, 32, 16)
    got = onnxio.onnx_logits(onnxio.session(path, 1), tokenizer, TEXTS, 32, 16)
    onnxio.check_parity(onnxio.parity(reference, got))


def test_parity_refuses_a_tampered_model(exported, model, tokenizer, tmp_path):
    from onnx import numpy_helper

    tampered = onnx.load(str(exported))
    weight = next(t for t in tampered.graph.initializer if t.name == "classifier.weight")
    weight.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(weight) + 0.05, weight.name))
    onnx.save(tampered, str(tmp_path / "tampered.onnx"))

    reference = onnxio.torch_logits(model, tokenizer, TEXTS, 32, 16)
    got = onnxio.onnx_logits(
        onnxio.session(tmp_path / "tampered.onnx", 1), tokenizer, TEXTS, 32, 16
    )
    with pytest.raises(OptimizeError, match=r"max \|logit difference\| \S+ > 1e-04"):
        onnxio.check_parity(onnxio.parity(reference, got))


def test_parity_measures_the_largest_difference_and_the_agreement():
    reference = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 1.0], [0.0, 3.0]])
    logits = reference + np.array([[0.0, 0.5], [0.0, 0.0], [-0.25, 0.0], [0.0, 0.0]])
    logits[1] = [1.5, 1.0]  # the second text now goes to the other class
    assert onnxio.parity(reference, logits) == Parity(max_abs_diff=1.5, agreement=0.75, texts=4)
    with pytest.raises(OptimizeError, match=r"shape \(3, 2\), the reference's \(4, 2\)"):
        onnxio.parity(reference, logits[:3])


def test_check_parity_says_what_failed():
    with pytest.raises(OptimizeError) as exc:
        onnxio.check_parity(Parity(max_abs_diff=3.2e-2, agreement=1.0, texts=425))
    assert "max |logit difference| 3.2e-02 > 1e-04" in str(exc.value)
    with pytest.raises(OptimizeError, match="predictions differ on 3 of 425 texts"):
        onnxio.check_parity(Parity(max_abs_diff=9e-5, agreement=422 / 425, texts=425))
    with pytest.raises(OptimizeError, match="nan > 1e-04"):
        onnxio.check_parity(Parity(max_abs_diff=math.nan, agreement=1.0, texts=425))
    onnxio.check_parity(Parity(max_abs_diff=2e-3, agreement=1.0, texts=425), tol=1e-2)


def test_int8_is_smaller_and_keeps_most_predictions(exported, model, tokenizer, tmp_path):
    int8 = onnxio.quantize_int8(exported, tmp_path / "int8.onnx")
    assert file_size_mb(int8) < 0.6 * file_size_mb(exported)  # the graph weighs in on a tiny model
    ops = {node.op_type for node in onnx.load(str(int8)).graph.node}
    assert {"MatMulInteger", "DynamicQuantizeLinear"} <= ops
    reference = onnxio.torch_logits(model, tokenizer, TEXTS, 32, 16)
    got = onnxio.onnx_logits(onnxio.session(int8, 1), tokenizer, TEXTS, 32, 16)
    result = onnxio.parity(reference, got)
    assert result.agreement >= 0.9
    assert 0 < result.max_abs_diff < 1.0
    assert [p.name for p in tmp_path.iterdir()] == ["int8.onnx"]


def test_a_session_runs_on_the_cpu_with_the_threads_asked(exported):
    s = onnxio.session(exported, 3)
    assert s.get_providers() == ["CPUExecutionProvider"]
    assert s.get_session_options().intra_op_num_threads == 3
    assert s.get_session_options().inter_op_num_threads == 1
    assert (
        s.get_session_options().get_session_config_entry("session.intra_op.allow_spinning") == "0"
    )


def test_an_old_opset_is_refused(model, tokenizer, tmp_path):
    with pytest.raises(OptimizeError, match="opset 13 is too old; use 17 or later"):
        onnxio.export(model, tokenizer, tmp_path / "old.onnx", opset=13)
    assert not list(tmp_path.iterdir())


def test_no_texts_is_refused(model, tokenizer):
    with pytest.raises(OptimizeError, match="no texts"):
        onnxio.torch_logits(model, tokenizer, [], 32, 8)
