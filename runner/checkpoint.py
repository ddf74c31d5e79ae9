"""Checkpoints that a kill at any moment leaves whole.

Each epoch's checkpoint is a new folder: written under a temporary name, fsynced, then
renamed into place, and only then are the older ones removed. Resume reads the newest
`epoch-*` folder, so it sees the previous checkpoint or the new one, never a mix of both,
and never a `.tmp` folder.

    checkpoints/trial-0/epoch-0003/   model.safetensors   the weights after epoch 3
                                      best.safetensors    the best validation epoch's weights
                                      state.safetensors   optimiser moments, torch RNG
                                      state.json          schedule, other RNGs, progress

Tensors go to safetensors and the rest to JSON (floats round-trip exactly), so resuming
unpickles nothing.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file

STEPS = ("folder", "model", "best", "state", "rename", "cleanup")  # in the order they run
EPOCH = re.compile(r"epoch-(\d+)")

# Called with each step's name just before the step runs; tests set it to kill the process
# there. Production leaves it None.
fault: Callable[[str], None] | None = None

Tensors = dict[str, torch.Tensor]


@dataclass
class Resumed:
    best: Tensors  # the best validation epoch's weights so far
    progress: dict[str, Any]  # what the training loop saved beside the weights


def save(
    folder: Path,
    epoch: int,
    model: Any,
    best: Tensors,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    data_rng: np.random.Generator,
    progress: dict[str, Any],
) -> Path:
    """Write the checkpoint after `epoch` (counted from 1) as folder/epoch-NNNN."""
    final = folder / f"epoch-{epoch:04d}"
    tmp = folder / f".{final.name}.tmp"
    _step("folder")
    shutil.rmtree(tmp, ignore_errors=True)  # left by a kill
    tmp.mkdir(parents=True)
    _step("model")
    _save_tensors(tmp / "model.safetensors", model.state_dict())
    _step("best")
    _save_tensors(tmp / "best.safetensors", best)
    _step("state")
    tensors, moments = _optimizer_state(optimizer)
    _save_tensors(tmp / "state.safetensors", {**tensors, "rng.torch": torch.get_rng_state()})
    state = {
        "optimizer": moments,
        "scheduler": scheduler.state_dict(),
        "rng": _rng_state(data_rng),
        "progress": progress,
    }
    _save_json(tmp / "state.json", state)
    _fsync(tmp)
    _step("rename")
    os.rename(tmp, final)  # the checkpoint is complete only now
    _fsync(folder)
    _step("cleanup")
    for other in folder.iterdir():
        if other != final and (EPOCH.fullmatch(other.name) or other.name.endswith(".tmp")):
            shutil.rmtree(other)
    return final


def latest(folder: Path) -> Path | None:
    """The newest complete checkpoint in `folder`, if any."""
    found = [
        (int(m[1]), p)
        for p in (folder.iterdir() if folder.is_dir() else ())
        if (m := EPOCH.fullmatch(p.name)) and p.is_dir()
    ]
    return max(found)[1] if found else None


def restore(
    folder: Path,
    model: Any,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    data_rng: np.random.Generator,
) -> Resumed | None:
    """Put the newest checkpoint back into the model, optimiser, schedule and RNGs."""
    where = latest(folder)
    if where is None:
        return None
    model.load_state_dict(load_file(str(where / "model.safetensors")))
    tensors = load_file(str(where / "state.safetensors"))
    state = json.loads((where / "state.json").read_text("utf-8"))
    optimizer.load_state_dict(_optimizer_from(tensors, state["optimizer"]))
    scheduler.load_state_dict(state["scheduler"])
    _set_rng_state(state["rng"], tensors["rng.torch"], data_rng)
    return Resumed(load_file(str(where / "best.safetensors")), state["progress"])


def clear(folder: Path) -> None:
    """A fresh start: nothing from an earlier run under the same id may be resumed."""
    shutil.rmtree(folder, ignore_errors=True)


def _step(name: str) -> None:
    if fault is not None:
        fault(name)


def _optimizer_state(optimizer: torch.optim.Optimizer) -> tuple[Tensors, dict[str, Any]]:
    """The moments as tensors named optimizer.<param index>.<name>; the groups as JSON."""
    sd = optimizer.state_dict()
    tensors = {f"optimizer.{i}.{k}": v for i, s in sd["state"].items() for k, v in s.items()}
    names = {str(i): sorted(s) for i, s in sd["state"].items()}
    return tensors, {"param_groups": sd["param_groups"], "state": names}


def _optimizer_from(tensors: Tensors, saved: dict[str, Any]) -> dict[str, Any]:
    state = {
        int(i): {k: tensors[f"optimizer.{i}.{k}"] for k in names}
        for i, names in saved["state"].items()
    }  # the keys must be ints again, or the optimiser drops the moments silently
    return {"state": state, "param_groups": saved["param_groups"]}


def _rng_state(data_rng: np.random.Generator) -> dict[str, Any]:
    version, internal, gauss = random.getstate()
    legacy = np.random.get_state(legacy=False)
    key = legacy["state"]["key"].tolist()
    return {
        "python": [version, list(internal), gauss],
        "numpy": {**legacy, "state": {**legacy["state"], "key": key}},
        "data": data_rng.bit_generator.state,
    }


def _set_rng_state(
    state: dict[str, Any], torch_rng: torch.Tensor, rng: np.random.Generator
) -> None:
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    np.random.set_state(state["numpy"])
    torch.set_rng_state(torch_rng)
    rng.bit_generator.state = state["data"]


def _save_tensors(path: Path, tensors: Tensors) -> None:
    save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, str(path))
    _fsync(path)


def _save_json(path: Path, data: dict[str, Any]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        json.dump(data, fh)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync(path: Path) -> None:
    """Make a file's bytes, or a folder's entries, durable before the rename relies on them."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
