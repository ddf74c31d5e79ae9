"""Structured pruning on a tiny BERT of 2 layers, 4 heads of 8 dimensions, 64 neurons."""

from __future__ import annotations

import math

import numpy as np
import pytest

from .conftest import make_rows

torch = pytest.importorskip("torch")

from ventureplan.runner import prune  # noqa: E402
from ventureplan.runner.model import ModelError, load  # noqa: E402
from ventureplan.runner.prune import Importance, OptimizeError, Pruning  # noqa: E402
from ventureplan.runner.train import collate, encode  # noqa: E402


@pytest.fixture
def tokenizer(tiny_model):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model)


def four_heads(tokenizer):
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
    )
    return BertForSequenceClassification(config).eval()


@pytest.fixture
def model(tokenizer):
    return four_heads(tokenizer)


def training_batches(tokenizer, size=8, n=24):
    rows = make_rows(n_per_class=n // 3)
    classes = sorted({label for _, label in rows})
    data = encode(tokenizer, [t for t, _ in rows], [classes.index(y) for _, y in rows], 32)
    idx = list(range(len(rows)))
    return [collate(data, idx[i : i + size], 0, torch.device("cpu")) for i in range(0, n, size)]


def logits(model, tokenizer, texts=("the news goal team win", "a chip and cloud code today")):
    enc = tokenizer(list(texts), padding=True, return_tensors="pt")
    with torch.no_grad():
        return model(**enc).logits


def test_apply_pruning_removes_exactly_the_chosen_heads_and_neurons(model, tokenizer):
    before = [
        {k: v.clone() for k, v in block.state_dict().items()} for block in model.bert.encoder.layer
    ]
    params = prune.count_parameters(model)
    prune.apply_pruning(model, Pruning(heads=[[1, 3], [0]], neurons=[list(range(32)), [5]]))

    first, second = model.bert.encoder.layer
    assert first.attention.self.query.weight.shape == (16, 32)  # 4 -> 2 heads of 8
    assert first.attention.self.key.weight.shape == (16, 32)
    assert first.attention.self.value.bias.shape == (16,)
    assert first.attention.output.dense.weight.shape == (32, 16)
    assert first.attention.self.num_attention_heads == 2
    assert first.attention.self.all_head_size == 16
    assert first.intermediate.dense.weight.shape == (32, 32)  # 64 -> 32 neurons
    assert first.output.dense.weight.shape == (32, 32)
    assert second.attention.self.query.weight.shape == (24, 32)
    assert second.intermediate.dense.weight.shape == (63, 32)
    # Heads 0 and 2 are what is left of the first layer; neuron 5 is gone from the second.
    kept = torch.cat([torch.arange(0, 8), torch.arange(16, 24)])
    assert torch.equal(
        first.attention.self.query.weight, before[0]["attention.self.query.weight"][kept]
    )
    assert torch.equal(
        first.attention.output.dense.weight, before[0]["attention.output.dense.weight"][:, kept]
    )
    assert torch.equal(first.attention.output.dense.bias, before[0]["attention.output.dense.bias"])
    neurons = [i for i in range(64) if i != 5]
    assert torch.equal(second.output.dense.weight, before[1]["output.dense.weight"][:, neurons])
    assert torch.equal(
        second.intermediate.dense.bias, before[1]["intermediate.dense.bias"][neurons]
    )
    # Each head: 3 projections of 8 rows (8 x 32 weights + 8 biases) and 8 x 32 output
    # weights; each neuron: 32 + 1 in, 32 out.
    heads_gone, neurons_gone = 3 * (3 * (8 * 32 + 8) + 8 * 32), 33 * (32 + 1 + 32)
    assert prune.count_parameters(model) == params - heads_gone - neurons_gone
    assert logits(model, tokenizer).shape == (2, 3)


def test_pruning_units_that_contribute_nothing_leaves_the_logits(model, tokenizer):
    pruning = Pruning(heads=[[0, 2], [3]], neurons=[[1, 7, 40], list(range(10, 60))])
    with torch.no_grad():
        for block, heads, neurons in zip(
            model.bert.encoder.layer, pruning.heads, pruning.neurons, strict=True
        ):
            for h in heads:
                block.attention.output.dense.weight[:, h * 8 : (h + 1) * 8] = 0
            block.output.dense.weight[:, neurons] = 0
    before = logits(model, tokenizer)
    prune.apply_pruning(model, pruning)
    assert torch.allclose(logits(model, tokenizer), before, atol=1e-5, rtol=0)


def test_importance_is_deterministic_and_sums_per_example_gradients(model, tokenizer):
    batches = training_batches(tokenizer)
    scores = prune.importance(model, batches, torch.device("cpu"))
    again = prune.importance(model, batches, torch.device("cpu"))
    assert [len(h) for h in scores.heads] == [4, 4]
    assert [len(n) for n in scores.neurons] == [64, 64]
    for a, b in zip(scores.heads + scores.neurons, again.heads + again.neurons, strict=True):
        assert np.array_equal(a, b)
        assert (a > 0).all()
    # The Fisher information adds squared gradients example by example, so scoring the
    # examples one at a time gives the same sums.
    singles = [{k: v[i : i + 1] for k, v in batches[0].items()} for i in range(8)]
    one_by_one = prune.importance(model, singles, torch.device("cpu"))
    whole = prune.importance(model, batches[:1], torch.device("cpu"))
    for a, b in zip(
        one_by_one.heads + one_by_one.neurons, whole.heads + whole.neurons, strict=True
    ):
        np.testing.assert_allclose(a, b, rtol=1e-3)


def test_importance_needs_batches_and_leaves_the_training_mode(model, tokenizer):
    model.train()
    prune.importance(model, training_batches(tokenizer)[:1], torch.device("cpu"))
    assert model.training
    with pytest.raises(OptimizeError, match="no training batches"):
        prune.importance(model, [], torch.device("cpu"))


def test_plan_removes_the_weakest_share_across_layers_keeping_one_per_layer(model):
    scores = Importance(
        heads=[np.array([4.0, 3.0, 2.0, 1.0]), np.array([8.0, 7.0, 6.0, 5.0])],
        neurons=[np.arange(64.0), np.arange(64.0) + 100],
    )
    plan = prune.plan_pruning(model, scores, 0.5)
    # The four weakest heads are all of the first layer's; its strongest stays.
    assert plan.heads == [[1, 2, 3], [3]]
    # The 64 weakest neurons are the first layer's, which keeps its best, 63; the 64th
    # to go is the second layer's weakest.
    assert plan.neurons == [list(range(63)), [0]]


def test_a_high_sparsity_still_leaves_one_head_and_neuron_per_layer(model):
    scores = Importance(heads=[np.ones(4), np.ones(4)], neurons=[np.ones(64), np.ones(64)])
    plan = prune.plan_pruning(model, scores, 0.99)
    assert [len(h) for h in plan.heads] == [3, 3]
    assert [len(n) for n in plan.neurons] == [63, 63]


@pytest.mark.parametrize("sparsity", [0, 1, 1.5, -0.5, math.nan, True, "0.5"])
def test_a_sparsity_outside_zero_to_one_is_refused(model, sparsity):
    scores = Importance(heads=[np.ones(4)] * 2, neurons=[np.ones(64)] * 2)
    with pytest.raises(OptimizeError) as exc:
        prune.plan_pruning(model, scores, sparsity)
    assert str(exc.value) == (
        f"prune: {sparsity!r} is not a share between 0 and 1 (both excluded); "
        "give e.g. 0.5 to remove half of the heads and neurons"
    )


def test_scores_of_another_model_are_refused(model):
    scores = Importance(heads=[np.ones(12)] * 2, neurons=[np.ones(64)] * 2)
    with pytest.raises(OptimizeError, match="measured on a model of another shape"):
        prune.plan_pruning(model, scores, 0.5)


def test_a_pruning_that_empties_a_layer_is_refused(model):
    with pytest.raises(OptimizeError, match="layer 1: removing all 4 heads leaves nothing"):
        prune.apply_pruning(model, Pruning(heads=[[0], [0, 1, 2, 3]], neurons=[[], []]))
    with pytest.raises(OptimizeError, match="layer 0: the neurons to remove, \\[64\\], are not"):
        prune.apply_pruning(model, Pruning(heads=[[], []], neurons=[[64], []]))


def test_a_model_without_a_bert_encoder_is_refused():
    from transformers import DistilBertConfig, DistilBertForSequenceClassification

    config = DistilBertConfig(vocab_size=40, dim=32, n_layers=1, n_heads=4, hidden_dim=64)
    with pytest.raises(OptimizeError, match="distilbert: structured pruning needs a BERT-style"):
        prune.layers(DistilBertForSequenceClassification(config))


def test_a_saved_pruned_model_loads_back_with_identical_logits(model, tokenizer, tmp_path):
    scores = prune.importance(model, training_batches(tokenizer), torch.device("cpu"))
    plan = prune.plan_pruning(model, scores, 0.5)
    prune.apply_pruning(model, plan)
    folder = prune.save_pruned(model, tokenizer, plan, tmp_path / "pruned")

    loaded_tokenizer, loaded = prune.load_pruned(folder)
    assert torch.equal(logits(loaded, loaded_tokenizer), logits(model, tokenizer))
    assert prune.count_parameters(loaded) == prune.count_parameters(model)
    assert sorted(p.name for p in folder.glob("*.bin")) == []
    # The ordinary loader would rebuild the full model and re-initialise what does not fit.
    with pytest.raises(ModelError, match="cannot load the model"):
        load(str(folder), tmp_path, 3, {0: "a", 1: "b", 2: "c"})


def test_load_pruned_refuses_a_folder_that_is_not_one(tiny_model):
    with pytest.raises(OptimizeError, match=r"not a pruned model folder \(no pruning\.json"):
        prune.load_pruned(tiny_model)
