"""The training loop, to be read top to bottom: config, device and precision, batches,
the optimiser and schedule, the epoch loop with early stopping and a checkpoint each epoch.

Deterministic on the CPU for a given seed: data order, dropout and initialisation all come
from seeded generators whose state is saved with each checkpoint (checkpoint.py), so a
resumed run repeats the uninterrupted one exactly.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from ventureplan.planner.errors import VenturePlanError

from . import checkpoint
from .distributed import SINGLE, Distributed


class TrainingError(VenturePlanError):
    """Training cannot go on (a NaN loss, say); the message says what to try."""


@dataclass
class Config:
    learning_rate: float = 5e-5
    batch_size: int = 32
    epochs: int = 3
    max_length: int = 128
    seed: int = 13
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    gradient_accumulation: int = 1
    patience: int = 2  # epochs without a better validation score before stopping
    eval_batch_size: int = 64
    max_steps: int | None = None  # optimiser steps, for a quick rehearsal

    @classmethod
    def from_route(cls, hyper: dict[str, Any], max_steps: int | None = None) -> Config:
        known = {f for f in cls.__dataclass_fields__}
        unknown = sorted(set(hyper) - known)
        if unknown:
            raise TrainingError(
                f"unknown hyperparameter(s) {', '.join(unknown)} in routes.hyperparameters; "
                f"known: {', '.join(sorted(known - {'max_steps'}))}"
            )
        types = {"learning_rate": float, "warmup_ratio": float, "weight_decay": float}
        values = {k: types.get(k, int)(v) for k, v in hyper.items()}
        return cls(**values, max_steps=max_steps)  # type: ignore[arg-type]


@dataclass
class Encoded:
    ids: list[list[int]]
    labels: list[int]

    @property
    def tokens(self) -> int:
        return sum(len(x) for x in self.ids)


@dataclass
class Measurement:
    seconds: float = 0.0  # optimiser work only: no evaluation, no checkpoints
    samples: int = 0
    tokens: int = 0  # non-padding tokens processed
    steps: int = 0
    epochs_run: int = 0
    best_epoch: int = 0
    best_validation: float = 0.0
    history: list[dict[str, float]] = field(default_factory=list)

    def rates(self) -> dict[str, float]:
        s = max(self.seconds, 1e-9)
        return {
            "seconds": round(self.seconds, 3),
            "samples_per_second": round(self.samples / s, 3),
            "tokens_per_second": round(self.tokens / s, 1),
        }


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def pick_device(wanted: str) -> torch.device:
    if wanted == "cuda" and not torch.cuda.is_available():
        raise TrainingError(
            "compute.device is cuda, but no CUDA device is available; use auto or cpu"
        )
    if wanted == "cpu" or not torch.cuda.is_available():
        return torch.device("cpu")
    return torch.device("cuda")


def encode(tokenizer: Any, texts: list[str], labels: list[int], max_length: int) -> Encoded:
    ids = tokenizer(texts, truncation=True, max_length=max_length, padding=False)["input_ids"]
    return Encoded(ids, labels)


def batches(data: Encoded, size: int, rng: np.random.Generator) -> list[list[int]]:
    """Length-grouped batches: shuffle, sort mega-batches of 50 batches by length, shuffle the
    batches. Similar lengths pad little; the order still varies from epoch to epoch."""
    order = rng.permutation(len(data.ids))
    mega = size * 50
    out = []
    for start in range(0, len(order), mega):
        chunk = sorted(order[start : start + mega], key=lambda i: -len(data.ids[i]))
        out += [chunk[i : i + size] for i in range(0, len(chunk), size)]
    rng.shuffle(out)
    return out


def collate(
    data: Encoded, idx: list[int], pad: int, device: torch.device
) -> dict[str, torch.Tensor]:
    """Dynamic padding: pad to the longest text in this batch, not to max_length."""
    width = max(len(data.ids[i]) for i in idx)
    ids = torch.full((len(idx), width), pad, dtype=torch.long)
    mask = torch.zeros((len(idx), width), dtype=torch.long)
    for row, i in enumerate(idx):
        seq = data.ids[i]
        ids[row, : len(seq)] = torch.tensor(seq)
        mask[row, : len(seq)] = 1
    labels = torch.tensor([data.labels[i] for i in idx])
    return {
        "input_ids": ids.to(device),
        "attention_mask": mask.to(device),
        "labels": labels.to(device),
    }


@torch.no_grad()
def predict(model: Any, data: Encoded, cfg: Config, pad: int, device: torch.device) -> np.ndarray:
    model.eval()
    order = sorted(range(len(data.ids)), key=lambda i: len(data.ids[i]))
    preds = np.empty(len(order), dtype=np.int64)
    for start in range(0, len(order), cfg.eval_batch_size):
        idx = order[start : start + cfg.eval_batch_size]
        batch = collate(data, idx, pad, device)
        batch.pop("labels")
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
            logits = model(**batch).logits
        preds[idx] = logits.float().argmax(-1).cpu().numpy()
    return preds


def train(
    model: Any,
    tokenizer: Any,
    train_set: Encoded,
    val_set: Encoded,
    cfg: Config,
    device: torch.device,
    score: Callable[[np.ndarray, list[int]], float],
    checkpoints: Path,
    resume: bool = False,
    progress: Any = None,
    dist: Distributed = SINGLE,
) -> Measurement:
    """Fine-tune `model` in place, keeping the weights of the best validation epoch."""
    from transformers import get_linear_schedule_with_warmup

    seed_everything(cfg.seed)
    data_rng = np.random.default_rng(cfg.seed)
    model.to(device)
    # Under torchrun every process walks the same batch order and trains on its share of
    # each batch; DDP averages the gradients. Rank 0 alone validates and writes checkpoints.
    net = (
        torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None
        )
        if dist.ddp
        else model
    )
    pad = tokenizer.pad_token_id or 0
    steps_per_epoch = math.ceil(
        math.ceil(len(train_set.ids) / cfg.batch_size) / cfg.gradient_accumulation
    )
    total = steps_per_epoch * cfg.epochs
    if cfg.max_steps is not None:
        total = min(total, cfg.max_steps)
    decay = [
        p for n, p in model.named_parameters() if not n.endswith("bias") and "LayerNorm" not in n
    ]
    no_decay = [p for n, p in model.named_parameters() if n.endswith("bias") or "LayerNorm" in n]
    optimizer = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": cfg.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=cfg.learning_rate,
        fused=True,  # fused kernels exist for the CPU as well as CUDA
    )
    scheduler = get_linear_schedule_with_warmup(optimizer, int(cfg.warmup_ratio * total), total)
    m = Measurement()
    best_state: dict[str, torch.Tensor] | None = None
    stale = 0  # epochs since the best validation score
    saved = None
    if resume:
        saved = checkpoint.restore(checkpoints, model, optimizer, scheduler, data_rng)
    if saved is not None:
        best_state = saved.best
        m = Measurement(**saved.progress["measurement"])
        stale = saved.progress["stale"]
    elif dist.main:
        checkpoint.clear(checkpoints)
    task = progress.add_task("training", total=total, completed=m.steps) if progress else None

    for epoch in range(m.epochs_run, cfg.epochs):
        # Checked here rather than after the checkpoint, so a resumed run that had already
        # stopped (early, or at max_steps) stops again instead of training on.
        if stale >= cfg.patience or (cfg.max_steps is not None and m.steps >= cfg.max_steps):
            break
        model.train()
        t0 = time.perf_counter()
        for k, idx in enumerate(batches(train_set, cfg.batch_size, data_rng)):
            mine = idx[dist.rank :: dist.world] if len(idx) >= dist.world else idx
            batch = collate(train_set, mine, pad, device)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
                loss = net(**batch).loss / cfg.gradient_accumulation
            if not torch.isfinite(loss):
                raise TrainingError(
                    f"the loss became {loss.item()} at step {m.steps} of epoch {epoch + 1}; "
                    "lower routes.hyperparameters.learning_rate"
                )
            loss.backward()
            m.samples += len(idx)  # across all processes
            m.tokens += sum(len(train_set.ids[i]) for i in idx)
            if (k + 1) % cfg.gradient_accumulation == 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                m.steps += 1
                if progress:
                    elapsed = m.seconds + time.perf_counter() - t0
                    progress.update(
                        task,
                        advance=1,
                        description=f"epoch {epoch + 1} "
                        f"loss {loss.item() * cfg.gradient_accumulation:.3f} "
                        f"{m.samples / max(elapsed, 1e-9):.1f} samples/s",
                    )
                if cfg.max_steps is not None and m.steps >= cfg.max_steps:
                    break
        if device.type == "cuda":
            torch.cuda.synchronize()
        m.seconds += time.perf_counter() - t0
        m.epochs_run = epoch + 1
        val = score(predict(model, val_set, cfg, pad, device), val_set.labels) if dist.main else 0.0
        if dist.ddp:
            shared = [val]
            torch.distributed.broadcast_object_list(shared, src=0)
            val = shared[0]
        m.history.append({"epoch": epoch + 1, "validation": val, "steps": m.steps})
        if m.best_epoch == 0 or val > m.best_validation:
            m.best_validation, m.best_epoch, stale = val, epoch + 1, 0
            if dist.main:
                best_state = {
                    k: v.detach().clone().cpu().contiguous() for k, v in model.state_dict().items()
                }
        else:
            stale += 1
        if dist.main:
            assert best_state is not None
            done = {"measurement": asdict(m), "stale": stale, "config": asdict(cfg)}
            checkpoint.save(
                checkpoints, m.epochs_run, model, best_state, optimizer, scheduler, data_rng, done
            )
    if best_state is not None:
        model.load_state_dict(best_state)
    return m
