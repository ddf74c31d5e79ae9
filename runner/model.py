"""Loading the route's model and tokenizer: offline built-ins, local folders, hub ids.

Safety: `trust_remote_code` is never set, and weights are read from safetensors only; a
folder that holds only pickle weights (pytorch_model.bin) is refused, because unpickling
someone else's file can run their code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ventureplan.planner.builtins import MODELS, builtin_name
from ventureplan.planner.errors import VenturePlanError

from .installed import locate


class ModelError(VenturePlanError):
    """The route's model cannot be loaded; the message says why."""


def resolve(ref: str, base: Path) -> str:
    """A builtin:NAME, a local folder, or a hub id -> what transformers should load."""
    name = builtin_name(ref)
    if name is not None:
        return str(locate(name, MODELS, "model", ModelError))
    path = Path(ref) if Path(ref).is_absolute() else base / ref
    if path.is_dir():
        return str(path)
    if ref.startswith((".", "/")) or Path(ref).suffix:
        raise ModelError(f"{ref}: no such model folder (routes.model)")
    return ref  # a hub id; works where the hub can be reached


def check_safetensors(folder: str) -> None:
    path = Path(folder)
    if not path.is_dir():
        return  # a hub id: transformers is asked for safetensors below
    if not list(path.glob("*.safetensors")):
        pickles = [p.name for p in path.glob("*.bin")] + [p.name for p in path.glob("*.pt")]
        detail = f" (found {', '.join(pickles)})" if pickles else ""
        raise ModelError(
            f"{folder}: no .safetensors weights{detail}; ventureplan loads safetensors only, "
            "because pickle weights can run code. Convert them with safetensors first"
        )


def load(ref: str, base: Path, num_labels: int, id2label: dict[int, str]) -> tuple[Any, Any]:
    """(tokenizer, model) with a fresh classification head of `num_labels`."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging

    where = resolve(ref, base)
    check_safetensors(where)
    logging.set_verbosity_error()  # "some weights were newly initialised" is expected: the new head
    logging.disable_progress_bar()
    try:
        tokenizer = AutoTokenizer.from_pretrained(where, trust_remote_code=False)
        model = AutoModelForSequenceClassification.from_pretrained(
            where,
            num_labels=num_labels,
            id2label=id2label,
            label2id={v: k for k, v in id2label.items()},
            trust_remote_code=False,
            use_safetensors=True,
            ignore_mismatched_sizes=True,
        )
    except OSError as exc:
        raise ModelError(f"{ref}: cannot load the model ({str(exc).splitlines()[0]})") from None
    return tokenizer, model
