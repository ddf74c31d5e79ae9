"""The training loop, to be read top to bottom: config (and the allowed range of each
hyperparameter), device and precision, batches, the optimiser and schedule, the epoch loop
with early stopping and a checkpoint each epoch.

Deterministic on the CPU for a given seed: data order, dropout and initialisation all come
from seeded generators whose state is saved with each checkpoint (checkpoint.py), so a
resumed run repeats the uninterrupted one exactly.

Importing this module does not import torch (each function that needs it imports it), so
the hyperparameter checks can run where only the planner is installed.
"""

from __future__ import annotations

import copy
import math
import random
import reprlib
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from ventureplan.planner.errors import VenturePlanError, format_path
from ventureplan.planner.model import Route, SearchRange

from .distributed import SINGLE, Distributed

if TYPE_CHECKING:
    import torch


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
    dropout: float | None = None  # None: the model's own
    freeze_layers: int = 0  # the first N encoder layers keep their pretrained weights
    max_steps: int | None = None  # optimiser steps, for a quick rehearsal

    @classmethod
    def from_route(cls, hyper: Mapping[str, Any], max_steps: int | None = None) -> Config:
        """The config of one trial (routes.hyperparameters with the values the search chose);
        a TrainingError names the first value outside HYPERPARAMETERS."""
        refuse([p for k, v in hyper.items() for p in _check_value(("hyperparameters", k), k, v)])
        if max_steps is not None and (
            isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1
        ):
            raise TrainingError(f"--max-steps: {shown(max_steps)} is not an integer of 1 or more")
        values = {k: HYPERPARAMETERS[k].parse(v) for k, v in hyper.items()}
        return cls(**values, max_steps=max_steps)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Allowed:
    """The values one hyperparameter may take: an integer or a finite number in a range."""

    kind: type[int] | type[float]
    low: float
    high: float
    low_open: bool = False  # (low, high] rather than [low, high]
    high_open: bool = False  # [low, high) rather than [low, high]

    def describe(self) -> str:
        if self.kind is int:
            return f"an integer in {self.low}..{self.high}"
        left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
        return f"a finite number in {left}{self.low}, {self.high}{right}"

    def problem(self, value: Any) -> str | None:
        """What is wrong with `value`, or None when parse() accepts it."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{shown(value)} is {_kind(value)}, not a number; allowed: {self.describe()}"
        if isinstance(value, float) and not math.isfinite(value):
            return f"{shown(value)} is not a finite number; allowed: {self.describe()}"
        if self.kind is int and isinstance(value, float) and not value.is_integer():
            return f"{shown(value)} is not a whole number; allowed: {self.describe()}"
        # Compared before any conversion: float(10**400) would overflow.
        below = value <= self.low if self.low_open else value < self.low
        above = value >= self.high if self.high_open else value > self.high
        if below or above:
            return f"{shown(value)} is out of range; allowed: {self.describe()}"
        return None

    def parse(self, value: Any) -> int | float:
        if self.kind is int:
            return int(value)
        return float(value)


# The allowed value of every hyperparameter, in one place (run checks each value of
# routes.hyperparameters and of every routes.search list against it before any data is
# read or any model loaded; `check` can use the same table). Integers are whole numbers:
# 8, or 8.0 as JSON Schema's integer allows, never true/false or a string such as "8";
# every number is finite (no .nan or .inf). The bounds: batch sizes and gradient
# accumulation up to 65536, far past what a device holds; epochs and patience up to 10000;
# the seed within 0..2**32-1, what numpy, scikit-learn and torch all accept; max_length up
# to 2**20, and once the model is loaded within what it takes (check_max_length); a
# learning rate above 0 (AdamW's rule) and at most 10, thousands of times what fine-tuning
# uses; the warmup a share of the steps, 0..1; weight decay 0..10; dropout a probability
# below 1 (at 1 nothing passes); freeze_layers up to 10000, and once the model is loaded
# within its layers (check_freeze_layers). max_steps is not a hyperparameter but the
# --max-steps option.
HYPERPARAMETERS: dict[str, Allowed] = {
    "learning_rate": Allowed(float, 0, 10, low_open=True),
    "batch_size": Allowed(int, 1, 65536),
    "epochs": Allowed(int, 1, 10_000),
    "max_length": Allowed(int, 1, 2**20),
    "seed": Allowed(int, 0, 2**32 - 1),
    "warmup_ratio": Allowed(float, 0, 1),
    "weight_decay": Allowed(float, 0, 10),
    "gradient_accumulation": Allowed(int, 1, 65536),
    "patience": Allowed(int, 1, 10_000),
    "eval_batch_size": Allowed(int, 1, 65536),
    "dropout": Allowed(float, 0, 1, high_open=True),
    "freeze_layers": Allowed(int, 0, 10_000),
}
MAX_COMBINATIONS = 1000  # a routes.search grid trains one model per combination


@dataclass(frozen=True)
class HyperparameterProblem:
    """One value of a route that training cannot use."""

    path: tuple[str | int, ...]  # inside the route: ("search", "batch_size", 1)
    message: str  # what is wrong and what is allowed, without the path

    def __str__(self) -> str:
        return f"{format_path(('routes', *self.path))}: {self.message}"


def check_hyperparameters(route: Route) -> list[HyperparameterProblem]:
    """Every problem with the route's hyperparameters and search, in plan order: unknown
    names, values (and the ends of ranges) outside HYPERPARAMETERS, empty lists, oversized
    grids, search_trials with no range. Pure: reads no data, loads no model, imports no
    torch."""
    problems: list[HyperparameterProblem] = []
    for name, value in route.hyperparameters.items():
        problems += _check_value(("hyperparameters", name), name, value)
    for name, values in route.search.items():
        if name not in HYPERPARAMETERS:
            problems += _check_value(("search", name), name, None)
        elif isinstance(values, SearchRange):
            for path, end in _given(route, name):
                problems += _check_value(path, name, end)
        elif not isinstance(values, list | tuple):
            problems.append(
                HyperparameterProblem(
                    ("search", name),
                    f"{shown(values)} is {_kind(values)}; give a list of values to try "
                    "or a range {low, high}",
                )
            )
        else:
            problems += _empty(name, values)
            for i, value in enumerate(values):
                problems += _check_value(("search", name, i), name, value)
    return problems + _search_size(route)


def check_grid(route: Route) -> list[HyperparameterProblem]:
    """The problems of the search as a whole, which no single value has: an empty list, a
    grid of more than MAX_COMBINATIONS, search_trials with no range to draw from
    (check_hyperparameters reports these too, among the problems of each value)."""
    problems: list[HyperparameterProblem] = []
    for name, values in route.search.items():
        if name in HYPERPARAMETERS and isinstance(values, list | tuple):
            problems += _empty(name, values)
    return problems + _search_size(route)


def _empty(name: str, values: list[Any] | tuple[Any, ...]) -> list[HyperparameterProblem]:
    if values:
        return []
    return [HyperparameterProblem(("search", name), "an empty list; give one value or more")]


def _search_size(route: Route) -> list[HyperparameterProblem]:
    """How many models the search trains. Lists alone are a grid, each combination trained
    once: at most MAX_COMBINATIONS. With a range, the lists are choices among the values
    drawn and search_trials (or its default) counts the trials; without one it counts
    nothing, and is refused rather than ignored."""
    known = {n: v for n, v in route.search.items() if n in HYPERPARAMETERS}
    if any(isinstance(v, SearchRange) for v in known.values()):
        return []
    if route.search_trials is not None:
        return [
            HyperparameterProblem(
                ("search_trials",),
                f"{shown(route.search_trials)} trials, but routes.search has no range to draw "
                "them from (a grid of lists trains each combination once); drop search_trials "
                "or give a range {low, high}",
            )
        ]
    combinations = 1
    for values in known.values():
        if isinstance(values, list | tuple):
            combinations *= len(values)
    if combinations <= MAX_COMBINATIONS:
        return []
    return [
        HyperparameterProblem(
            ("search",),
            f"{combinations} combinations, each one model to train; "
            f"at most {MAX_COMBINATIONS} are allowed",
        )
    ]


def _given(route: Route, name: str) -> list[tuple[tuple[str | int, ...], Any]]:
    """Where the route sets `name`, and to what: each value of its search list or both ends
    of its range (which the search overrides the hyperparameters with), else its value."""
    values = route.search.get(name)
    if isinstance(values, SearchRange):
        allowed = HYPERPARAMETERS.get(name)
        ends = [("low", values.low), ("high", values.high)]
        # SearchRange holds floats: an integer hyperparameter's 8 arrives as 8.0
        return [
            (
                ("search", name, end),
                int(v) if allowed and allowed.kind is int and v.is_integer() else v,
            )
            for end, v in ends
        ]
    if isinstance(values, list | tuple):
        return [(("search", name, i), v) for i, v in enumerate(values)]
    if name in route.hyperparameters:
        return [(("hyperparameters", name), route.hyperparameters[name])]
    return []


def refuse(problems: list[HyperparameterProblem]) -> None:
    """Raise a one-line TrainingError for the first problem, if there is any."""
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise TrainingError(f"{problems[0]}{more}")


def model_lengths(tokenizer: Any, model: Any) -> tuple[int, int | None]:
    """The max_length values the loaded model can use: more than the special tokens the
    tokenizer adds (under that it does not truncate at all), and no more than the model's
    positions where it says (None: no limit, or only transformers' placeholder for none)."""
    special = getattr(tokenizer, "num_special_tokens_to_add", None)
    low = special() + 1 if callable(special) else 1
    found = [
        getattr(tokenizer, "model_max_length", None),
        getattr(getattr(model, "config", None), "max_position_embeddings", None),
    ]
    limits = [n for n in found if isinstance(n, int) and not isinstance(n, bool) and 0 < n < 10**9]
    return low, min(limits) if limits else None


def check_max_length(route: Route, low: int, high: int | None) -> list[HyperparameterProblem]:
    """The route's max_length values outside what the loaded model can use, low..high."""
    top = high if high is not None else HYPERPARAMETERS["max_length"].high
    allowed = f"allowed for this model: an integer in {low}..{top}"
    out = []
    for path, value in _given(route, "max_length"):
        if value < low:
            why = f"too short for the {low - 1} special tokens the tokenizer adds"
        elif high is not None and value > high:
            why = f"more than the {high} positions the model has"
        else:
            continue
        out.append(HyperparameterProblem(path, f"{shown(value)} is {why}; {allowed}"))
    return out


def check_freeze_layers(route: Route, layers: int) -> list[HyperparameterProblem]:
    """The route's freeze_layers values above the loaded model's number of encoder layers."""
    allowed = f"allowed for this model: an integer in 0..{layers}"
    return [
        HyperparameterProblem(
            path, f"{shown(value)} is more than the {layers} layers the model has; {allowed}"
        )
        for path, value in _given(route, "freeze_layers")
        if value > layers
    ]


# What a model's config calls its dropout: BERT, RoBERTa, MiniLM and ELECTRA the first two,
# DistilBERT and others the rest. `dropout` sets every one the config has.
DROPOUT_FIELDS = (
    "hidden_dropout_prob",
    "attention_probs_dropout_prob",
    "dropout",
    "attention_dropout",
    "hidden_dropout",
)


def dropout_fields(config: Any) -> list[str]:
    return [
        n
        for n in DROPOUT_FIELDS
        if isinstance(getattr(config, n, None), int | float)
        and not isinstance(getattr(config, n), bool)
    ]


def check_dropout(route: Route, config: Any) -> list[HyperparameterProblem]:
    """A dropout the route sets, for a model whose config has none of DROPOUT_FIELDS."""
    given = _given(route, "dropout")
    if not given or dropout_fields(config):
        return []
    return [
        HyperparameterProblem(
            given[0][0],
            f"the model's config ({type(config).__name__}) has no dropout setting "
            f"({', '.join(DROPOUT_FIELDS)}); leave dropout out for this model",
        )
    ]


def _check_value(path: tuple[str | int, ...], name: str, value: Any) -> list[HyperparameterProblem]:
    allowed = HYPERPARAMETERS.get(name)
    if allowed is None:
        note = "; max_steps is the --max-steps option" if name == "max_steps" else ""
        return [
            HyperparameterProblem(
                path, f"unknown hyperparameter; known: {', '.join(sorted(HYPERPARAMETERS))}{note}"
            )
        ]
    problem = allowed.problem(value)
    return [HyperparameterProblem(path, problem)] if problem else []


_repr = reprlib.Repr()
_repr.maxstring = _repr.maxother = 40
_repr.maxlevel, _repr.maxlist, _repr.maxdict = 2, 4, 4


def shown(value: Any) -> str:
    """A value as an error message shows it: its repr, shortened when long."""
    try:
        text = _repr.repr(value)
    except ValueError:  # an int of more than 4300 digits has no repr
        text = f"<an integer of {value.bit_length()} bits>"
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value: Any) -> str:
    """What a plan value is, as a message says it: 'a string', 'a yes/no value'..."""
    names = {
        bool: "a yes/no value",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        tuple: "a list",
        dict: "a mapping",
        type(None): "null",
    }
    return names.get(type(value), f"a {type(value).__name__}")


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
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def pick_device(wanted: str) -> torch.device:
    import torch

    if wanted == "cuda" and not torch.cuda.is_available():
        raise TrainingError(
            "compute.device is cuda, but no CUDA device is available; use auto or cpu"
        )
    if wanted == "cpu" or not torch.cuda.is_available():
        return torch.device("cpu")
    return torch.device("cuda")


def encoder_layers(model: Any) -> list[Any]:
    """The model's stack of transformer layers, the first ModuleList of its base model
    (BERT's encoder.layer, DistilBERT's transformer.layer): what freeze_layers counts."""
    import torch

    base = getattr(model, "base_model", model)
    return list(next((m for m in base.modules() if isinstance(m, torch.nn.ModuleList)), []))


def with_dropout(model: Any, p: float) -> Any:
    """`model` rebuilt with every dropout of its config set to p, its weights kept: each
    dropout layer reads its rate from the config when it is built, so changing the config
    of a loaded model would change nothing."""
    config = copy.deepcopy(model.config)
    for name in dropout_fields(config):
        setattr(config, name, p)
    rebuilt = type(model)(config)
    rebuilt.load_state_dict(model.state_dict())
    return rebuilt


def freeze(model: Any, layers: int) -> None:
    """Keep the first `layers` encoder layers as pretrained: without a gradient, neither
    AdamW nor its weight decay touches them."""
    for layer in encoder_layers(model)[:layers]:
        for p in layer.parameters():
            p.requires_grad_(False)


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
    import torch

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


def predict(model: Any, data: Encoded, cfg: Config, pad: int, device: torch.device) -> np.ndarray:
    import torch

    model.eval()
    order = sorted(range(len(data.ids)), key=lambda i: len(data.ids[i]))
    preds = np.empty(len(order), dtype=np.int64)
    for start in range(0, len(order), cfg.eval_batch_size):
        idx = order[start : start + cfg.eval_batch_size]
        batch = collate(data, idx, pad, device)
        batch.pop("labels")
        with (
            torch.no_grad(),
            torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"),
        ):
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
    on_epoch: Callable[[Measurement], None] | None = None,
) -> Measurement:
    """Fine-tune `model` in place, keeping the weights of the best validation epoch.
    `on_epoch` sees the measurement after each epoch's validation, on every process, before
    that epoch's checkpoint: the search's pruner, which stops a trial by raising."""
    import torch
    from transformers import get_linear_schedule_with_warmup

    from . import checkpoint

    seed_everything(cfg.seed)
    data_rng = np.random.default_rng(cfg.seed)
    freeze(model, cfg.freeze_layers)  # before DDP and the optimiser see which weights train
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
    trained = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    decay = [p for n, p in trained if not n.endswith("bias") and "LayerNorm" not in n]
    no_decay = [p for n, p in trained if n.endswith("bias") or "LayerNorm" in n]
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
        if on_epoch is not None:
            on_epoch(m)
        if dist.main:
            assert best_state is not None
            done = {"measurement": asdict(m), "stale": stale, "config": asdict(cfg)}
            checkpoint.save(
                checkpoints, m.epochs_run, model, best_state, optimizer, scheduler, data_rng, done
            )
    if best_state is not None:
        model.load_state_dict(best_state)
    return m
