"""ONNX export of a sequence classifier, an onnxruntime session to run it, the parity check
that decides whether an exported model may replace the PyTorch one, and int8 quantization.

The export uses torch.onnx's dynamo exporter (torch.export), the default since torch 2.9:
the TorchScript one is deprecated, traces Python branches on tensor values into constants,
and writes 2.5 times as many nodes for BERT. The dynamo exporter writes opset 18 and
converts it down when an older opset is asked for; the parity check covers that step.
Files are written to a temporary name in the target folder and renamed, so a reader
never sees half a model.
"""

from __future__ import annotations

import inspect
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .prune import OptimizeError

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
MIN_OPSET = 17  # LayerNormalization is a single op from 17 on
# Two texts of different lengths: a real batch, with padding in the attention mask. A batch
# of one, or one without padding, could let the exporter treat a size or the mask as fixed.
DUMMY = ["A short text.", "A somewhat longer text, so that the first one is padded."]


def input_names(model: Any, tokenizer: Any) -> list[str]:
    """The inputs both the tokenizer produces and the model's forward takes, in INPUTS order."""
    takes = inspect.signature(model.forward).parameters
    return [n for n in INPUTS if n in takes and n in tokenizer.model_input_names]


# The dynamo exporter writes 18 and converts down; the converted 17 graph is the smaller
# one (MiniLM: 90.9 MB against 91.6 MB, int8 23.0 against 23.6) and passes parity alike.
OPSET = 17


def export(model: Any, tokenizer: Any, path: Path, opset: int = OPSET) -> Path:
    """`model` as ONNX at `path`: inputs and logits with dynamic batch and sequence axes,
    checked by onnx.checker before it replaces any earlier file."""
    import onnx
    import torch

    if opset < MIN_OPSET:
        raise OptimizeError(f"opset {opset} is too old; use {MIN_OPSET} or later")
    names = input_names(model, tokenizer)
    device = next(model.parameters()).device
    dummy = tokenizer(DUMMY, padding=True, return_tensors="pt")
    kwargs = {n: dummy[n].to(device) for n in names}
    axes = {n: {0: "batch", 1: "sequence"} for n in names}
    was_training = model.training
    model.eval()
    try:
        with _atomic(Path(path)) as tmp, torch.no_grad(), _quiet():
            torch.onnx.export(
                model,
                (),
                str(tmp),
                kwargs=kwargs,
                input_names=names,
                output_names=["logits"],
                dynamic_shapes=axes,
                opset_version=opset,
                dynamo=True,
                external_data=False,  # one file; fine up to protobuf's 2 GB
                verbose=False,
            )
            onnx.checker.check_model(str(tmp), full_check=True)
    finally:
        model.train(was_training)
    return Path(path)


@contextmanager
def _quiet() -> Iterator[None]:
    """The exporter's and the quantizer's chatter (deprecations, "axis name will not be
    used", "consider pre-processing") kept off the terminal: the parity check and
    onnx.checker say whether the result is right."""
    import logging
    import warnings

    loggers = [logging.getLogger(n) for n in ("", "torch", "torch.onnx", "onnxscript")]
    levels = [lg.level for lg in loggers]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for lg in loggers:
            lg.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for lg, level in zip(loggers, levels, strict=True):
                lg.setLevel(level)


@contextmanager
def _atomic(path: Path) -> Iterator[Path]:
    """A temporary path beside `path`, renamed to it when the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def session(path: Path, threads: int) -> Any:
    """An onnxruntime CPU session with a fixed number of threads, so latency figures are
    comparable: `threads` for each operator, one for running operators side by side
    (sequential execution does not use it, and a BERT graph is a chain anyway).

    The threads sleep between operators instead of spinning: on a quiet machine spinning
    saved a fifth of MiniLM's latency, but on a busy one, or in a container with a CPU
    limit, the spinning threads take the cores from the work and latency grew 2-4 times."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


def onnx_logits(
    session: Any, tokenizer: Any, texts: list[str], max_length: int, batch_size: int
) -> np.ndarray:
    """Logits of `texts` from an onnxruntime session, in order."""
    wanted = {i.name for i in session.get_inputs()}
    output = session.get_outputs()[0].name

    def run(chunk: list[str]) -> np.ndarray:
        enc = _encode(tokenizer, chunk, max_length, "np")
        feed = {k: v.astype(np.int64) for k, v in enc.items() if k in wanted}
        return np.asarray(session.run([output], feed)[0])

    return _batched(run, texts, batch_size)


def torch_logits(
    model: Any, tokenizer: Any, texts: list[str], max_length: int, batch_size: int
) -> np.ndarray:
    """Logits of `texts` from the PyTorch model, tokenized exactly as onnx_logits does."""
    import torch

    model.eval()
    device = next(model.parameters()).device
    takes = inspect.signature(model.forward).parameters

    def run(chunk: list[str]) -> np.ndarray:
        enc = _encode(tokenizer, chunk, max_length, "pt")
        inputs = {k: v.to(device) for k, v in enc.items() if k in takes}
        with torch.no_grad():
            return model(**inputs).logits.float().cpu().numpy()

    return _batched(run, texts, batch_size)


def _encode(tokenizer: Any, texts: list[str], max_length: int, tensors: str) -> Any:
    # Padding to the longest text of the batch, as the runner's own batches do.
    return tokenizer(
        texts, padding=True, truncation=True, max_length=max_length, return_tensors=tensors
    )


def _batched(
    run: Callable[[list[str]], np.ndarray], texts: list[str], batch_size: int
) -> np.ndarray:
    if not texts:
        raise OptimizeError("no texts to compute logits for")
    return np.concatenate(
        [run(texts[i : i + batch_size]) for i in range(0, len(texts), batch_size)]
    )


@dataclass(frozen=True)
class Parity:
    """How far a variant's logits are from the reference model's on the same texts."""

    max_abs_diff: float
    agreement: float  # share of texts with the same predicted class
    texts: int

    @property
    def differing(self) -> int:
        return round((1 - self.agreement) * self.texts)


def parity(reference_logits: np.ndarray, logits: np.ndarray) -> Parity:
    if reference_logits.shape != logits.shape:
        raise OptimizeError(
            f"the logits have shape {logits.shape}, the reference's {reference_logits.shape}; "
            "compare the same texts with the same labels"
        )
    diff = np.abs(reference_logits.astype(np.float64) - logits.astype(np.float64))
    same = reference_logits.argmax(-1) == logits.argmax(-1)
    return Parity(float(diff.max()), float(same.mean()), len(same))


def check_parity(parity: Parity, tol: float = 1e-4) -> None:
    """The rule for an fp32 export: logits within `tol` and the very same predictions."""
    # `not <=`: a NaN difference fails too.
    if not parity.max_abs_diff <= tol:
        raise OptimizeError(
            f"the ONNX model does not match PyTorch: max |logit difference| "
            f"{parity.max_abs_diff:.1e} > {tol:.0e}; export it again"
        )
    if parity.differing:
        raise OptimizeError(
            f"the ONNX model does not match PyTorch: predictions differ on "
            f"{parity.differing} of {parity.texts} texts; export it again"
        )


def quantize_int8(src: Path, dst: Path) -> Path:
    """Dynamic int8 quantization (onnxruntime's quantize_dynamic): int8 weights, activations
    quantized on the fly. Quantized: every MatMul with a constant weight, that is every
    Linear layer (query, key, value, attention output, both feed-forward projections, and
    the pooler and classifier, whose Gemm the quantizer rewrites as MatMul), and the
    embedding Gathers. In fp32 stay the attention's two activation-by-activation MatMuls,
    the LayerNorms, GELU and softmax.

    Weights get one scale per output channel: on a fine-tuned MiniLM one scale per tensor
    changed 1% of the predictions and moved logits by up to 0.26, per channel none and 0.06."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with _atomic(Path(dst)) as tmp, _quiet():
        quantize_dynamic(
            str(src),
            str(tmp),
            op_types_to_quantize=["MatMul", "Gather"],
            per_channel=True,
            weight_type=QuantType.QInt8,
        )
    return Path(dst)
