"""One measurement protocol for every variant of a model (PyTorch, ONNX, pruned, int8), so
their latency, throughput and size can be compared in one table.

Sizes are in MB of 10^6 bytes: all-MiniLM-L6-v2's 90,868,376-byte safetensors file is the
90.9 MB of the design's example.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .prune import OptimizeError

MIN_REPEATS = 50  # fewer leaves the 95th percentile resting on one or two timings


@dataclass(frozen=True)
class Protocol:
    """How a variant is timed: `warmup` untimed calls, then `repeats` timed calls of one
    text each (latency), then one untimed and `batches` timed calls of `batch` texts
    (throughput). Both torch and onnxruntime use `threads` threads."""

    threads: int
    warmup: int = 10
    repeats: int = MIN_REPEATS
    batch: int = 32  # texts per call when measuring throughput
    batches: int = 10

    def __post_init__(self) -> None:
        if self.threads < 1 or self.warmup < 0 or self.batch < 1 or self.batches < 1:
            raise OptimizeError(f"{self}: threads, batch and batches must be 1 or more")
        if self.repeats < MIN_REPEATS:
            raise OptimizeError(f"{self}: repeats must be at least {MIN_REPEATS}")

    @property
    def calls(self) -> int:
        """How many times measure() calls predict."""
        return self.warmup + self.repeats + 1 + self.batches


@dataclass(frozen=True)
class Speed:
    latency_p50_ms: float  # one text per call
    latency_p95_ms: float
    throughput_per_s: float  # texts per second, in batches of Protocol.batch
    latencies_ms: tuple[float, ...] = ()  # every timed call, for the chance of missing a goal

    def p_miss(
        self, percentile: float, target: float, direction: str, *, seed: int, resamples: int = 1000
    ) -> float:
        """The share of bootstrap resamples of the timed calls whose `percentile` latency is
        on the wrong side of `target` (the chance of missing a latency goal)."""
        values = np.asarray(self.latencies_ms)
        rng = np.random.default_rng(seed)
        picks = rng.integers(0, len(values), (resamples, len(values)))
        drawn = np.percentile(values[picks], percentile, axis=1)
        missed = drawn > target if direction == "<=" else drawn < target
        return float(missed.mean())


def measure(predict: Callable[[list[str]], Any], texts: list[str], protocol: Protocol) -> Speed:
    """Time `predict` (texts -> logits) on real texts, cycling through them in order.

    torch is held to `protocol.threads` for the measurement; an onnxruntime predict should
    use a session made with onnxio.session(path, protocol.threads)."""
    if not texts:
        raise OptimizeError("no texts to measure the speed on")
    with _torch_threads(protocol.threads):
        latencies = _latencies(predict, texts, protocol)
        throughput = _throughput(predict, texts, protocol)
    p50, p95 = np.percentile(latencies, [50, 95])
    return Speed(float(p50), float(p95), throughput, tuple(float(x) for x in latencies))


def _latencies(
    predict: Callable[[list[str]], Any], texts: list[str], protocol: Protocol
) -> np.ndarray:
    for i in range(protocol.warmup):
        predict([texts[i % len(texts)]])
    out = np.empty(protocol.repeats)
    for i in range(protocol.repeats):
        text = [texts[i % len(texts)]]
        start = time.perf_counter()
        predict(text)
        out[i] = (time.perf_counter() - start) * 1000
    return out


def _throughput(predict: Callable[[list[str]], Any], texts: list[str], protocol: Protocol) -> float:
    size = protocol.batch
    batches = [
        [texts[(k * size + j) % len(texts)] for j in range(size)]
        for k in range(protocol.batches + 1)
    ]
    predict(batches[0])  # a new batch shape makes both runtimes allocate: keep it untimed
    start = time.perf_counter()
    for batch in batches[1:]:
        predict(batch)
    return protocol.batches * size / (time.perf_counter() - start)


@contextmanager
def _torch_threads(threads: int) -> Iterator[None]:
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def file_size_mb(path: Path) -> float:
    """The size of a file, or of every file under a folder, in MB (10^6 bytes)."""
    path = Path(path)
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 1e6


def onnx_params_millions(onnx_path: Path) -> float:
    """The number of values stored in an ONNX model's initializers, in millions: the same
    count as the PyTorch parameters for fp32, and still meaningful for int8 weights."""
    import onnx

    model = onnx.load(str(onnx_path), load_external_data=False)
    return sum(int(np.prod(t.dims)) for t in model.graph.initializer) / 1e6
