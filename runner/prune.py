"""Structured pruning of a BERT-style sequence classifier: score every attention head and
every feed-forward neuron, choose the weakest share, and cut them out of the weight
matrices so the model really is smaller and faster (a mask alone would save nothing).

Importance is the empirical Fisher information of a mask variable on each head and neuron
(Kwon et al. 2022, "A Fast Post-Training Pruning Framework for Transformers"; Michel et al.
2019 score heads the same way): the summed squared gradient of the loss with respect to a
multiplier of 1 on the head's or neuron's output, one gradient per training example.

transformers 5 no longer has `prune_heads` or a `head_mask` argument, so both the mask and
the removal are done here, on the layers' own Linear modules.

Importing this module does not import torch, like train.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from ventureplan.planner.errors import VenturePlanError

if TYPE_CHECKING:
    import torch

WEIGHTS = "pruned.safetensors"  # not model.safetensors: from_pretrained must not take it (below)
STRUCTURE = "pruning.json"


class OptimizeError(VenturePlanError):
    """A model cannot be pruned, exported or quantized as asked; the message says why."""


@dataclass(frozen=True)
class Importance:
    """Fisher scores, per layer: heads[layer][head] and neurons[layer][i]. Higher matters more."""

    heads: list[np.ndarray]
    neurons: list[np.ndarray]


@dataclass(frozen=True)
class Pruning:
    """What to remove, per layer, as indices into the unpruned model's heads and neurons."""

    heads: list[list[int]]
    neurons: list[list[int]]

    def to_dict(self) -> dict[str, Any]:
        return {"heads": self.heads, "neurons": self.neurons}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Pruning:
        return cls(
            heads=[[int(i) for i in row] for row in data["heads"]],
            neurons=[[int(i) for i in row] for row in data["neurons"]],
        )


def count_parameters(model: Any) -> int:
    return sum(p.numel() for p in model.parameters())


def layers(model: Any) -> list[Any]:
    """The encoder layers of a BERT-style model (BERT, RoBERTa, XLM-R, ELECTRA...)."""
    found = getattr(getattr(model.base_model, "encoder", None), "layer", None)
    parts = ("attention.self.query", "attention.output.dense", "intermediate.dense")
    if found is None or not all(_has(layer, p) for layer in found for p in parts):
        raise OptimizeError(
            f"{model.config.model_type}: structured pruning needs a BERT-style encoder "
            "(layers with attention.self and intermediate); choose a BERT, RoBERTa or "
            "MiniLM model, or leave out routes.optimize.prune"
        )
    return list(found)


def _has(module: Any, dotted: str) -> bool:
    for name in dotted.split("."):
        module = getattr(module, name, None)
    return module is not None


def importance(model: Any, batches: Iterable[dict[str, torch.Tensor]], device: Any) -> Importance:
    """Fisher scores of every head and neuron over `batches` (dicts as train.collate makes).

    The model runs in eval mode, so there is no dropout and the scores depend on the
    batches alone. Each mask has one row per example, so its gradient is the per-example
    gradient that the Fisher information sums, from one backward pass per batch."""
    blocks = layers(model)
    was_training = model.training
    model.to(device).eval()
    try:
        heads, neurons, seen = _fisher(model, blocks, batches, device)
    finally:
        model.train(was_training)
    if not seen:
        raise OptimizeError("no training batches to score the heads and neurons on")
    return Importance(heads, neurons)


def _fisher(
    model: Any, blocks: list[Any], batches: Iterable[dict[str, torch.Tensor]], device: Any
) -> tuple[list[np.ndarray], list[np.ndarray], int]:
    """Summed squared per-example gradients of the head and neuron masks, and the number
    of batches."""
    import torch

    heads = [np.zeros(_sizes(b)[0]) for b in blocks]
    neurons = [np.zeros(_sizes(b)[1]) for b in blocks]
    seen = 0
    for batch in batches:
        inputs = {k: v.to(device) for k, v in batch.items() if k != "labels"}
        size = inputs["input_ids"].shape[0]
        head_masks = [_ones(size, len(h), device) for h in heads]
        neuron_masks = [_ones(size, len(n), device) for n in neurons]
        with _masked(blocks, head_masks, neuron_masks):
            logits = model(**inputs).logits.float()
        # A sum, not the mean: each example's gradient reaches its own mask row unscaled.
        loss = torch.nn.functional.cross_entropy(
            logits, batch["labels"].to(device), reduction="sum"
        )
        grads = torch.autograd.grad(loss, head_masks + neuron_masks)
        for score, grad in zip(heads + neurons, grads, strict=True):
            score += grad.double().pow(2).sum(0).cpu().numpy()
        seen += 1
    return heads, neurons, seen


def _sizes(block: Any) -> tuple[int, int]:
    """(heads, neurons) of one encoder layer, as it is now."""
    return block.attention.self.num_attention_heads, block.intermediate.dense.out_features


def _ones(rows: int, cols: int, device: Any) -> torch.Tensor:
    import torch

    return torch.ones(rows, cols, device=device, requires_grad=True)


@contextmanager
def _masked(
    blocks: list[Any], head_masks: list[torch.Tensor], neuron_masks: list[torch.Tensor]
) -> Iterator[None]:
    """Multiply each head's attention output and each neuron's activation by its mask."""
    hooks = []
    for block, head, neuron in zip(blocks, head_masks, neuron_masks, strict=True):
        hooks.append(block.attention.self.register_forward_hook(_head_hook(head)))
        hooks.append(block.intermediate.register_forward_hook(_neuron_hook(neuron)))
    try:
        yield
    finally:
        for hook in hooks:
            hook.remove()


def _head_hook(mask: torch.Tensor) -> Any:
    def hook(module: Any, args: Any, output: Any) -> Any:
        context, *rest = output  # (batch, tokens, heads * head_size), heads side by side
        b, t, _ = context.shape
        split = context.view(b, t, mask.shape[1], -1) * mask[:, None, :, None]
        return (split.view(b, t, -1), *rest)

    return hook


def _neuron_hook(mask: torch.Tensor) -> Any:
    def hook(module: Any, args: Any, output: torch.Tensor) -> torch.Tensor:
        return output * mask[:, None, :]

    return hook


def plan_pruning(model: Any, importance: Importance, sparsity: float) -> Pruning:
    """The lowest-scored `sparsity` share of all heads, and of all neurons, of the model.

    The ranking is global, across layers, as in Kwon et al.: Fisher scores of different
    layers are in the same unit (the loss), and layers differ in how much they can lose.
    Each layer keeps at least one head and one neuron, so a high sparsity may remove fewer
    than asked."""
    if isinstance(sparsity, bool) or not isinstance(sparsity, int | float) or not 0 < sparsity < 1:
        raise OptimizeError(
            f"prune: {sparsity!r} is not a share between 0 and 1 (both excluded); "
            "give e.g. 0.5 to remove half of the heads and neurons"
        )
    blocks = layers(model)
    measured = [
        (len(h), len(n)) for h, n in zip(importance.heads, importance.neurons, strict=False)
    ]
    if measured != [_sizes(b) for b in blocks]:
        raise OptimizeError(
            "the importance scores were measured on a model of another shape; "
            "measure them again on this model"
        )
    return Pruning(_weakest(importance.heads, sparsity), _weakest(importance.neurons, sparsity))


def _weakest(scores: list[np.ndarray], sparsity: float) -> list[list[int]]:
    """Per layer, the indices of the lowest-scored share overall (ties: earlier layer and
    index first, so the choice is deterministic), keeping one per layer."""
    wanted = round(sparsity * sum(len(s) for s in scores))
    left = [len(s) for s in scores]
    removed: list[list[int]] = [[] for _ in scores]
    ranked = sorted((float(v), layer, i) for layer, s in enumerate(scores) for i, v in enumerate(s))
    for _, layer, i in ranked:
        if wanted == 0:
            break
        if left[layer] > 1:
            removed[layer].append(i)
            left[layer] -= 1
            wanted -= 1
    return [sorted(r) for r in removed]


def apply_pruning(model: Any, pruning: Pruning) -> None:
    """Remove the chosen heads and neurons from the weight matrices, in place."""
    blocks = layers(model)
    if len(pruning.heads) != len(blocks) or len(pruning.neurons) != len(blocks):
        raise OptimizeError(
            f"the pruning lists {len(pruning.heads)} layers of heads and "
            f"{len(pruning.neurons)} of neurons; the model has {len(blocks)} layers"
        )
    for n, (block, heads, neurons) in enumerate(
        zip(blocks, pruning.heads, pruning.neurons, strict=True)
    ):
        self_attention = block.attention.self
        keep_heads = _kept(n, "heads", self_attention.num_attention_heads, heads)
        keep_neurons = _kept(n, "neurons", block.intermediate.dense.out_features, neurons)
        _prune_heads(block.attention, keep_heads)
        block.intermediate.dense = _sliced(block.intermediate.dense, keep_neurons, dim=0)
        block.output.dense = _sliced(block.output.dense, keep_neurons, dim=1)


def _kept(layer: int, what: str, total: int, removed: list[int]) -> list[int]:
    if len(set(removed)) != len(removed) or any(not 0 <= i < total for i in removed):
        raise OptimizeError(
            f"layer {layer}: the {what} to remove, {removed}, are not distinct indices "
            f"below {total}"
        )
    if len(removed) == total:
        raise OptimizeError(f"layer {layer}: removing all {total} {what} leaves nothing")
    gone = set(removed)
    return [i for i in range(total) if i not in gone]


def _prune_heads(attention: Any, keep: list[int]) -> None:
    """Keep the rows of query, key and value, and the columns of the output projection,
    that belong to the kept heads. The head size, and so the attention's scaling, stay."""
    own = attention.self
    size = own.attention_head_size
    rows = [h * size + j for h in keep for j in range(size)]
    own.query = _sliced(own.query, rows, dim=0)
    own.key = _sliced(own.key, rows, dim=0)
    own.value = _sliced(own.value, rows, dim=0)
    attention.output.dense = _sliced(attention.output.dense, rows, dim=1)
    own.num_attention_heads = len(keep)
    own.all_head_size = len(keep) * size


def _sliced(linear: Any, index: list[int], dim: int) -> Any:
    """A new Linear with only `index` of its outputs (dim 0) or inputs (dim 1), of the same
    dtype and device; a slice of the inputs keeps the whole bias."""
    import torch

    if len(index) == linear.weight.shape[dim]:
        return linear
    at = torch.tensor(index, device=linear.weight.device)
    weight = linear.weight.detach().index_select(dim, at)
    out = torch.nn.Linear(
        weight.shape[1],
        weight.shape[0],
        bias=linear.bias is not None,
        device=weight.device,
        dtype=weight.dtype,
    )
    with torch.no_grad():
        out.weight.copy_(weight)
        if linear.bias is not None:
            out.bias.copy_(linear.bias if dim == 1 else linear.bias.index_select(0, at))
    return out


def save_pruned(model: Any, tokenizer: Any, pruning: Pruning, folder: Path) -> Path:
    """The unpruned config, the pruning and the pruned weights (safetensors), and the
    tokenizer. The weights are not named model.safetensors, so that from_pretrained (and
    so model.load) refuses the folder instead of reinitialising every shrunken matrix."""
    from safetensors.torch import save_model

    folder.mkdir(parents=True, exist_ok=True)
    model.config.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    (folder / STRUCTURE).write_text(json.dumps(pruning.to_dict()) + "\n")
    save_model(model, str(folder / WEIGHTS))
    return folder


def load_pruned(folder: Path) -> tuple[Any, Any]:
    """(tokenizer, model) from a save_pruned folder: the model is built from its config,
    pruned the same way, and its weights loaded strictly, so any mismatch is an error."""
    from safetensors.torch import load_model
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

    missing = [n for n in ("config.json", STRUCTURE, WEIGHTS) if not (folder / n).is_file()]
    if missing:
        raise OptimizeError(f"{folder}: not a pruned model folder (no {', '.join(missing)})")
    config = AutoConfig.from_pretrained(folder, trust_remote_code=False)
    model = AutoModelForSequenceClassification.from_config(config, trust_remote_code=False)
    apply_pruning(model, Pruning.from_dict(json.loads((folder / STRUCTURE).read_text())))
    load_model(model, str(folder / WEIGHTS), strict=True)
    tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=False)
    return tokenizer, model.eval()
