"""The model API (`ventureplan api`): a text classifier behind an HTTP JSON API, on
Starlette and uvicorn.

    POST /v1/classify  {"texts": [...]}  ->  {"run", "variant", "results": [{"label", "scores"}]}
    GET  /healthz      200 once the server listens
    GET  /readyz       503 until the model is loaded, then 200
    GET  /metrics      Prometheus text format (needs a key, like /v1/classify)

This file is self-contained: it imports the standard library and third-party packages
only (starlette, uvicorn, prometheus_client, numpy; onnxruntime and tokenizers when an ONNX
model loads, torch and transformers when a PyTorch one does), never `ventureplan`, because
the deployment bundle copies it into its image as `app/server.py` and runs
`python server.py MODEL_DIR --host 0.0.0.0 --port 8080`. The one exception is a pruned
PyTorch folder, which needs ventureplan's own loader; export that variant to ONNX to serve
it from the image.

Requests are micro-batched: each request's texts join one queue, and a single worker runs
the model on up to `max_batch` texts at once, `max_wait_ms` after the first of them
arrived at the latest, in a thread of its own so the event loop keeps answering. The queue
is bounded (503 when full), the body is read against a byte limit and a deadline (413,
408), and each request writes one JSON line on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import inspect
import json
import logging
import math
import os
import re
import secrets
import signal
import socket
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

import numpy as np
import uvicorn
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONFIG_FILE = "serving.json"
ENV_KEYS = "VENTUREPLAN_API_KEYS"
PLACEHOLDER_KEY = "REPLACE-WITH-KEYS"  # k8s/secret.yaml of a bundle, until replaced
NO_KEYS = f"no API keys: set {ENV_KEYS} or pass --keys-file"
HASH_SCHEME = "hmac-sha256"
MIN_ENV_KEY_CHARS = 16  # a shorter key is warned about; new_key() makes 43 characters
MAX_TOKEN_CHARS = 512  # a longer Authorization value is not a key of ours
OPEN_PATHS = frozenset({"/healthz", "/readyz"})  # the only paths without a key
ROUTES = frozenset({"/v1/classify", "/healthz", "/readyz", "/metrics"})
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
PICKLES = ("*.bin", "*.pt", "*.pth", "*.pkl", "*.pickle", "*.ckpt")
PRUNED = ("pruning.json", "pruned.safetensors")

# uvicorn's settings: connections and requests at once (503 beyond), seconds an idle
# keep-alive connection stays open, seconds requests in flight get after SIGTERM (inside
# Kubernetes' 30 s grace period less the bundle's 5 s preStop sleep).
LIMIT_CONCURRENCY = 64
TIMEOUT_KEEP_ALIVE = 5
TIMEOUT_GRACEFUL_SHUTDOWN = 20
LOAD_JOIN_TIMEOUT = 60  # seconds a model still loading at exit gets to finish
ARRIVAL_GRACE_S = 1.0  # after the listener closes: how long a connection accepted just
# before gets for its request to arrive, before uvicorn closes it as idle

log = logging.getLogger("uvicorn.error")  # uvicorn's own error log: stderr, its format


class ServeError(Exception):
    """The API cannot start or load its model as configured; the message says why."""


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def _one_line(text: object, limit: int = 500) -> str:
    """`text` as one terminal-safe line: control characters and newlines become a space."""
    line = _CONTROL.sub(" ", str(text)).strip()
    return line if len(line) <= limit else line[: limit - 3] + "..."


# --- the model folder's serving.json ------------------------------------------------


def _int(low: int, high: int) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return f"an integer from {low} to {high}"
        return None

    return check


def _number(low: float, high: float) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok or not math.isfinite(value) or not low <= value <= high:
            return f"a number from {low:g} to {high:g}"
        return None

    return check


def _name(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        return "a non-empty string of at most 200 characters"
    return None


def _format(value: Any) -> str | None:
    return None if value in ("onnx", "torch") else '"onnx" or "torch"'


def _labels(value: Any) -> str | None:
    wanted = "a list of at least two distinct non-empty strings"
    if not isinstance(value, list) or len(value) < 2:
        return wanted
    if not all(isinstance(v, str) and v for v in value) or len(set(value)) != len(value):
        return wanted
    return None


# Each key of serving.json and what it must be; the ranges are those of the plan's `serve`.
_CHECKS: dict[str, Callable[[Any], str | None]] = {
    "run": _name,
    "variant": _name,
    "format": _format,
    "labels": _labels,
    "max_length": _int(2, 65_536),
    "max_batch": _int(1, 512),
    "max_wait_ms": _number(0, 1000),
    "max_texts": _int(1, 10_000),
    "max_chars": _int(1, 1_000_000),
    "threads": _int(1, 256),
}
# Keys serving.json may leave out, with their defaults.
_OPTIONAL: dict[str, tuple[Callable[[Any], str | None], Any]] = {
    # The model serves personal data: request texts are never logged (GDPR/CCPA).
    "personal_data": (lambda v: None if isinstance(v, bool) else "true or false", False),
}


@dataclass(frozen=True)
class ServingConfig:
    """serving.json: what is served (run, variant, format, labels) and how (tokens per text,
    batching, the request limits, CPU threads)."""

    run: str
    variant: str
    format: str  # "onnx" or "torch"
    labels: tuple[str, ...]
    max_length: int  # tokens per text; longer texts are truncated
    max_batch: int  # texts per model call
    max_wait_ms: float  # how long the first text of a batch waits for others
    max_texts: int  # texts per request
    max_chars: int  # characters per text
    threads: int  # CPU threads per model call
    personal_data: bool = False  # the texts are personal data: never logged

    @property
    def max_body_bytes(self) -> int:
        """The most bytes a request body may have: every text at its longest, each
        character escaped to up to 4 bytes, and 4 KiB for the rest of the JSON."""
        return self.max_texts * self.max_chars * 4 + 4096

    @classmethod
    def from_dict(cls, data: Any, source: str = CONFIG_FILE) -> ServingConfig:
        if not isinstance(data, dict):
            raise ServeError(f"{source}: expected a JSON object with {', '.join(_CHECKS)}")
        for key in data:
            if key not in _CHECKS and key not in _OPTIONAL:
                raise ServeError(
                    f"{source}: unknown key {_one_line(repr(key), 80)} "
                    f"(the keys are {', '.join(_CHECKS)})"
                )
        for key, check in _CHECKS.items():
            if key not in data:
                raise ServeError(f"{source}: {key} is missing")
            wanted = check(data[key])
            if wanted is not None:
                got = _one_line(json.dumps(data[key]), 80)
                raise ServeError(f"{source}: {key} must be {wanted}, not {got}")
        for key, (check, _) in _OPTIONAL.items():
            if key in data and (wanted := check(data[key])) is not None:
                got = _one_line(json.dumps(data[key]), 80)
                raise ServeError(f"{source}: {key} must be {wanted}, not {got}")
        return cls(
            personal_data=data.get("personal_data", _OPTIONAL["personal_data"][1]),
            run=data["run"],
            variant=data["variant"],
            format=data["format"],
            labels=tuple(data["labels"]),
            max_length=data["max_length"],
            max_batch=data["max_batch"],
            max_wait_ms=float(data["max_wait_ms"]),
            max_texts=data["max_texts"],
            max_chars=data["max_chars"],
            threads=data["threads"],
        )

    @classmethod
    def from_file(cls, folder: Path) -> ServingConfig:
        path = Path(folder) / CONFIG_FILE
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ServeError(f"{path}: not found; is {folder} a model folder?") from None
        except (OSError, UnicodeDecodeError) as e:
            raise ServeError(f"{path}: cannot be read ({_one_line(e, 200)})") from None
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as e:
            raise ServeError(f"{path}: not valid JSON ({_one_line(e, 200)})") from None
        return cls.from_dict(data, str(path))

    def to_dict(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "variant": self.variant,
            "format": self.format,
            "labels": list(self.labels),
            "max_length": self.max_length,
            "max_batch": self.max_batch,
            "max_wait_ms": self.max_wait_ms,
            "max_texts": self.max_texts,
            "max_chars": self.max_chars,
            "threads": self.threads,
            **({"personal_data": True} if self.personal_data else {}),
        }

    def to_json(self) -> str:
        """serving.json's text; from_file reads it back to an equal config."""
        return json.dumps(self.to_dict(), indent=2) + "\n"


# --- models ---------------------------------------------------------------------------


class Model(Protocol):
    """A loaded classifier: `predict` gives one row of float32 logits per text, in order,
    one column per label of `config.labels`."""

    config: ServingConfig

    def predict(self, texts: list[str]) -> np.ndarray: ...


def _chunks(texts: list[str], size: int) -> list[list[str]]:
    return [texts[i : i + size] for i in range(0, len(texts), size)]


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        raise ServeError(f"{path}: cannot be read ({_one_line(e, 200)})") from None
    return data if isinstance(data, dict) else {}


def _token_text(value: Any) -> str | None:
    """A special token as tokenizer_config.json writes it: a string or {"content": ...}."""
    if isinstance(value, dict):
        value = value.get("content")
    return value if isinstance(value, str) else None


def fast_tokenizer(folder: Path, max_length: int) -> Any:
    """The folder's tokenizer.json as a `tokenizers.Tokenizer` that encodes the way a
    transformers tokenizer called with `padding=True, truncation=True, max_length=...`
    does: truncated to max_length tokens, padded to the longest text of the batch."""
    from tokenizers import Tokenizer

    path = folder / "tokenizer.json"
    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as e:
        raise ServeError(f"{path}: not a tokenizer ({_one_line(e, 200)})") from None
    settings = _read_json(folder / "tokenizer_config.json")
    special = _read_json(folder / "special_tokens_map.json")
    saved = tokenizer.padding or {}
    pad_token = (
        _token_text(settings.get("pad_token"))
        or _token_text(special.get("pad_token"))
        or saved.get("pad_token")
    )
    pad_id = tokenizer.token_to_id(pad_token) if pad_token is not None else None
    if pad_token is None or pad_id is None:
        raise ServeError(f"{folder}: the tokenizer has no padding token (pad_token)")
    padding_side = settings.get("padding_side") or str(saved.get("direction", "right")).lower()
    truncation_side = settings.get("truncation_side") or "right"
    tokenizer.enable_truncation(
        max_length=max_length, stride=0, strategy="longest_first", direction=truncation_side
    )
    tokenizer.enable_padding(
        direction=padding_side,
        pad_id=pad_id,
        pad_type_id=int(settings.get("pad_token_type_id", saved.get("pad_type_id", 0))),
        pad_token=pad_token,
        length=None,  # the longest text of the batch
        pad_to_multiple_of=None,
    )
    return tokenizer


def onnx_session(path: Path, threads: int) -> Any:
    """An onnxruntime CPU session: `threads` threads per operator, one to run operators
    side by side (sequential execution, a chain of operators anyway), and no spinning:
    in a container with a CPU limit, spinning threads take the cores from the work."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


class OnnxModel:
    """model.onnx in onnxruntime, tokenized with the `tokenizers` library: no torch."""

    def __init__(self, folder: Path, config: ServingConfig) -> None:
        self.config = config
        self.session = onnx_session(folder / "model.onnx", config.threads)
        self.inputs = [i.name for i in self.session.get_inputs()]
        unknown = [n for n in self.inputs if n not in INPUTS]
        if unknown:
            raise ServeError(
                f"{folder / 'model.onnx'}: the graph takes {', '.join(unknown)}; "
                f"the API feeds only {', '.join(INPUTS)}"
            )
        outputs = [o.name for o in self.session.get_outputs()]
        self.output = "logits" if "logits" in outputs else outputs[0]
        self.tokenizer = fast_tokenizer(folder, config.max_length)

    def predict(self, texts: list[str]) -> np.ndarray:
        rows = []
        for chunk in _chunks(texts, self.config.max_batch):
            encodings = self.tokenizer.encode_batch(chunk)
            columns = {
                "input_ids": [e.ids for e in encodings],
                "attention_mask": [e.attention_mask for e in encodings],
                "token_type_ids": [e.type_ids for e in encodings],
            }
            feed = {n: np.asarray(columns[n], dtype=np.int64) for n in self.inputs}
            rows.append(np.asarray(self.session.run([self.output], feed)[0], dtype=np.float32))
        return np.concatenate(rows)


class TorchModel:
    """A transformers sequence classifier from safetensors weights, or a pruned one."""

    def __init__(self, folder: Path, config: ServingConfig) -> None:
        import torch

        self.config = config
        torch.set_num_threads(config.threads)
        if all((folder / n).is_file() for n in PRUNED):
            try:
                from ventureplan.runner.prune import load_pruned
            except ImportError:
                raise ServeError(
                    f"{folder}: a pruned PyTorch model needs the ventureplan package to load; "
                    "export the variant to ONNX (format onnx) to serve it on its own"
                ) from None
            self.tokenizer, self.model = load_pruned(folder)
        else:
            from transformers import AutoModelForSequenceClassification, AutoTokenizer

            self.tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=False)
            self.model = AutoModelForSequenceClassification.from_pretrained(
                folder, trust_remote_code=False, use_safetensors=True
            )
        self.model.eval()
        self.takes = set(inspect.signature(self.model.forward).parameters)

    def predict(self, texts: list[str]) -> np.ndarray:
        import torch

        rows = []
        for chunk in _chunks(texts, self.config.max_batch):
            enc = self.tokenizer(
                chunk,
                padding=True,
                truncation=True,
                max_length=self.config.max_length,
                return_tensors="pt",
            )
            inputs = {k: v for k, v in enc.items() if k in self.takes}
            with torch.inference_mode():
                rows.append(self.model(**inputs).logits.float().cpu().numpy())
        return np.concatenate(rows).astype(np.float32, copy=False)


def check_folder(folder: Path, config: ServingConfig) -> None:
    """The files `config.format` needs are there; pickled PyTorch weights are refused."""
    folder = Path(folder)
    if config.format == "onnx":
        missing = [n for n in ("model.onnx", "tokenizer.json") if not (folder / n).is_file()]
        if missing:
            raise ServeError(f"{folder}: format onnx needs {' and '.join(missing)}")
        return
    if all((folder / n).is_file() for n in PRUNED):
        return
    weights = (folder / "model.safetensors").is_file() or (
        folder / "model.safetensors.index.json"
    ).is_file()
    if not weights:
        pickles = sorted(p.name for pattern in PICKLES for p in folder.glob(pattern))
        found = f"; {', '.join(pickles)} is pickled and is never loaded" if pickles else ""
        raise ServeError(
            f"{folder}: format torch needs model.safetensors{found} "
            "(save the model with save_pretrained(folder, safe_serialization=True))"
        )
    if not (folder / "config.json").is_file():
        raise ServeError(f"{folder}: format torch needs config.json")


def load_model(folder: Path) -> Model:
    """The model of a folder with serving.json, checked on a batch of two texts (one at
    max_length tokens) so that a wrong label count or max_length fails here, not on a
    request."""
    folder = Path(folder)
    config = ServingConfig.from_file(folder)
    check_folder(folder, config)
    try:
        model: Model = (
            OnnxModel(folder, config) if config.format == "onnx" else TorchModel(folder, config)
        )
    except ServeError:
        raise
    except Exception as e:
        raise ServeError(
            f"{folder}: the {config.format} model cannot be loaded "
            f"({type(e).__name__}: {_one_line(e, 300)})"
        ) from None
    _try_out(folder, model)
    return model


def _try_out(folder: Path, model: Model) -> None:
    config = model.config
    long_text = " ".join(["a"] * (config.max_length + 2))
    try:
        logits = model.predict([long_text, "a"])
    except Exception as e:
        raise ServeError(
            f"{folder}: the model fails on a text of max_length = {config.max_length} tokens "
            f"({type(e).__name__}: {_one_line(e, 300)}); lower max_length in {CONFIG_FILE}"
        ) from None
    if logits.ndim != 2 or logits.shape[0] != 2:
        raise ServeError(f"{folder}: the model gives logits of shape {logits.shape} for 2 texts")
    if logits.shape[1] != len(config.labels):
        raise ServeError(
            f"{folder}: the model gives {logits.shape[1]} logits per text, but "
            f"{CONFIG_FILE} names {len(config.labels)} labels"
        )


# --- API keys -------------------------------------------------------------------------

_KEY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_HEX = re.compile(r"(?:[0-9a-fA-F]{2})+")


def _check_key_id(key_id: str) -> None:
    if not _KEY_ID.fullmatch(key_id):
        raise ServeError(
            f"key id {_one_line(repr(key_id), 80)}: use 1 to 64 letters, digits, '.', '_' "
            "or '-', starting with a letter or digit"
        )


def _digest(salt: bytes, key: bytes) -> bytes:
    return hmac.new(salt, key, hashlib.sha256).digest()


def hash_line(key_id: str, key: str) -> str:
    """The keys-file line for `key`: `KEY_ID hmac-sha256$SALT_HEX$DIGEST_HEX`, where DIGEST
    is HMAC-SHA256 of the key (UTF-8) keyed with a fresh random 16-byte SALT."""
    _check_key_id(key_id)
    salt = secrets.token_bytes(16)
    return f"{key_id} {HASH_SCHEME}${salt.hex()}${_digest(salt, key.encode()).hex()}"


def new_key(key_id: str) -> tuple[str, str]:
    """A fresh random key and its keys-file line. Give the key to the client and keep only
    the line: the file holds no key a reader could use."""
    key = secrets.token_urlsafe(32)
    return key, hash_line(key_id, key)


@dataclass(frozen=True)
class _Entry:
    key_id: str
    salt: bytes
    digest: bytes
    revoked: bool
    short: bool = False  # a plaintext key under MIN_ENV_KEY_CHARS characters


@dataclass(frozen=True)
class Caller:
    """Who sent a request: `status` 200 (a valid key), 401 (none or unknown) or 403
    (revoked); `key_id` names the key when it is known."""

    status: int
    key_id: str | None = None


class KeyStore:
    """The keys that may call the API, each kept as a salted HMAC-SHA256 digest, the
    plaintext ones from the environment too, so every check is the same computation."""

    def __init__(self, entries: Sequence[_Entry] = (), warnings: Sequence[str] = ()) -> None:
        self._entries = tuple(entries)
        self.warnings = list(warnings)  # serve() prints them: weak keys

    @classmethod
    def from_sources(cls, env: str | None, keys_file: Path | None) -> KeyStore:
        """Keys from VENTUREPLAN_API_KEYS's value (comma-separated plaintext keys, named
        env:1, env:2... in the log) and from a keys file; ServeError when none is usable."""
        entries = [*cls._from_env(env or "")]
        if keys_file is not None:
            entries += cls._from_file(Path(keys_file))
        warnings = [
            f"{ENV_KEYS}: key {e.key_id.removeprefix('env:')} is shorter than "
            f"{MIN_ENV_KEY_CHARS} characters, so it could be guessed; make keys with new_key() "
            "or `openssl rand -hex 32`"
            for e in entries
            if e.short
        ]
        store = cls(entries, warnings)
        if not len(store):
            revoked = " (every key in the keys file is revoked)" if entries else ""
            raise ServeError(NO_KEYS + revoked)
        return store

    @staticmethod
    def _from_env(value: str) -> list[_Entry]:
        keys = [k.strip() for k in value.split(",")]
        keys = [k for k in keys if k]
        entries = []
        for i, key in enumerate(keys, 1):
            # The key itself never appears in a message, only its position.
            if key == PLACEHOLDER_KEY:
                raise ServeError(
                    f"{ENV_KEYS}: key {i} is the deployment bundle's placeholder "
                    f"{PLACEHOLDER_KEY}; create the real Secret (the bundle's README.md)"
                )
            if not all(33 <= ord(c) <= 126 for c in key):
                raise ServeError(
                    f"{ENV_KEYS}: key {i} of {len(keys)} has a space or a character outside "
                    "printable ASCII, which an Authorization header cannot carry"
                )
            salt = secrets.token_bytes(16)
            digest = _digest(salt, key.encode())
            entries.append(_Entry(f"env:{i}", salt, digest, False, len(key) < MIN_ENV_KEY_CHARS))
        return entries

    @staticmethod
    def _from_file(path: Path) -> list[_Entry]:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise ServeError(f"{path}: cannot read the keys file ({_one_line(e, 200)})") from None
        entries: list[_Entry] = []
        seen: dict[str, int] = {}
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            # A bad line is never echoed: it may be a plaintext key pasted by mistake.
            where = f"{path}:{number}"
            parts = line.split()
            revoked = len(parts) == 3 and parts[2] == "revoked"
            scheme, _, rest = parts[1].partition("$") if len(parts) > 1 else ("", "", "")
            salt_hex, _, digest_hex = rest.partition("$")
            if (
                len(parts) not in (2, 3)
                or (len(parts) == 3 and not revoked)
                or not _KEY_ID.fullmatch(parts[0])
                or scheme != HASH_SCHEME
                or not _HEX.fullmatch(salt_hex)
                or not 8 <= len(salt_hex) // 2 <= 64
                or not re.fullmatch(r"[0-9a-fA-F]{64}", digest_hex)
            ):
                raise ServeError(
                    f"{where}: expected 'KEY_ID {HASH_SCHEME}$SALT_HEX$DIGEST_HEX', optionally "
                    "followed by ' revoked' (make lines with new_key() or hash_line())"
                )
            if parts[0] in seen:
                raise ServeError(f"{where}: key id {parts[0]} is also on line {seen[parts[0]]}")
            seen[parts[0]] = number
            salt, digest = bytes.fromhex(salt_hex), bytes.fromhex(digest_hex)
            entries.append(_Entry(parts[0], salt, digest, revoked))
        return entries

    def __len__(self) -> int:
        """The keys that are not revoked."""
        return sum(not e.revoked for e in self._entries)

    def check(self, key: str | bytes | None) -> Caller:
        """Who holds `key`. Every entry is compared, in constant time, whatever matched
        before; a key that matches a revoked entry is refused even if it matches another."""
        if key is None:
            return Caller(401)
        raw = key.encode("utf-8", "replace") if isinstance(key, str) else key
        if not raw or len(raw) > MAX_TOKEN_CHARS:
            return Caller(401)
        found: str | None = None
        revoked: str | None = None
        for entry in self._entries:
            if hmac.compare_digest(_digest(entry.salt, raw), entry.digest):
                if entry.revoked:
                    revoked = revoked or entry.key_id
                else:
                    found = found or entry.key_id
        if revoked is not None:
            return Caller(403, revoked)
        return Caller(200, found) if found is not None else Caller(401)


def bearer_token(scope: Scope) -> bytes | None:
    """The token of the request's `Authorization: Bearer TOKEN` header, if it has one."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.strip().partition(b" ")
            token = token.strip()
            return token if scheme.lower() == b"bearer" and token else None
    return None


# --- batching -------------------------------------------------------------------------


class QueueFull(Exception):
    """The batch queue has no room for a request's texts."""


class ModelFailed(Exception):
    """The model raised on a batch, or gave logits that are not finite numbers."""


@dataclass(eq=False)
class _Job:
    """One request's texts, answered when every text has its row of logits."""

    texts: list[str]
    future: asyncio.Future[np.ndarray]
    logits: np.ndarray
    filled: int = 0


@dataclass(frozen=True)
class _Item:
    job: _Job
    index: int
    queued_at: float


class Batcher:
    """One queue of texts and one worker task that runs the model on batches of them: up
    to max_batch texts, taken when the batch is full or max_wait_ms after its first text
    arrived. The model runs in one thread of its own, one call at a time."""

    def __init__(
        self,
        predict: Callable[[list[str]], np.ndarray],
        config: ServingConfig,
        limit: int,
        batch_sizes: Histogram,
    ) -> None:
        self._predict = predict
        self._classes = len(config.labels)
        self._max_batch = config.max_batch
        self._max_wait = config.max_wait_ms / 1000
        self._limit = limit
        self._batch_sizes = batch_sizes
        self._pending: deque[_Item] = deque()
        self._wake = asyncio.Event()
        self._closing = False
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ventureplan-model")
        self._task: asyncio.Task[None] | None = None

    def __len__(self) -> int:
        return len(self._pending)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="ventureplan-batch")

    async def close(self) -> None:
        """Answer every text still queued (without waiting for batches to fill), then stop."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
        self._executor.shutdown(wait=False)

    def submit(self, texts: list[str]) -> asyncio.Future[np.ndarray]:
        """A future of the texts' logits; QueueFull when they do not all fit in the queue."""
        if self._closing or len(self._pending) + len(texts) > self._limit:
            raise QueueFull
        loop = asyncio.get_running_loop()
        job = _Job(texts, loop.create_future(), np.empty((len(texts), self._classes), np.float32))
        now = loop.time()
        self._pending.extend(_Item(job, i, now) for i in range(len(texts)))
        self._wake.set()
        return job.future

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            while not self._pending:
                if self._closing:
                    return
                self._wake.clear()
                await self._wake.wait()
            deadline = self._pending[0].queued_at + self._max_wait
            while len(self._pending) < self._max_batch and not self._closing:
                left = deadline - loop.time()
                if left <= 0:
                    break
                self._wake.clear()
                try:
                    async with asyncio.timeout(left):
                        await self._wake.wait()
                except TimeoutError:
                    break
            take = min(self._max_batch, len(self._pending))
            batch = [self._pending.popleft() for _ in range(take)]
            batch = [it for it in batch if not it.job.future.done()]  # e.g. cancelled
            if not batch:
                continue
            try:
                await self._answer(batch, loop)
            except Exception:  # a bug here must not stop the worker: every request would hang
                log.exception("the batch worker failed on a batch of %d texts", len(batch))
                for it in batch:
                    if not it.job.future.done():
                        it.job.future.set_exception(ModelFailed())

    async def _answer(self, batch: list[_Item], loop: asyncio.AbstractEventLoop) -> None:
        texts = [it.job.texts[it.index] for it in batch]
        try:
            logits = await loop.run_in_executor(self._executor, self._predict, texts)
            if logits.shape != (len(texts), self._classes) or not np.isfinite(logits).all():
                raise ModelFailed(f"logits of shape {logits.shape}, or not finite")
        except Exception as e:
            log.error("the model failed on a batch of %d texts: %s", len(texts), _one_line(e))
            for it in batch:
                if not it.job.future.done():
                    it.job.future.set_exception(ModelFailed())
            return
        self._batch_sizes.observe(len(texts))
        for it, row in zip(batch, logits, strict=True):
            job = it.job
            if job.future.done():
                continue
            job.logits[it.index] = row
            job.filled += 1
            if job.filled == len(job.texts):
                job.future.set_result(job.logits)


# --- the application ------------------------------------------------------------------


def _error(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = logits.astype(np.float64)
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    out: np.ndarray = p / p.sum(axis=1, keepdims=True)
    return out


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")


@dataclass
class _Metrics:
    registry: CollectorRegistry
    requests: Counter
    duration: Histogram
    batch_sizes: Histogram
    queue: Gauge

    @classmethod
    def create(cls, config: ServingConfig) -> _Metrics:
        registry = CollectorRegistry(auto_describe=True)
        info = Gauge(
            "ventureplan_model_info",
            "The model served: 1, with its run, variant and format as labels.",
            ["run", "variant", "format"],
            registry=registry,
        )
        info.labels(config.run, config.variant, config.format).set(1)
        return cls(
            registry=registry,
            requests=Counter(
                "ventureplan_requests_total",
                "Requests answered, by route and HTTP status.",
                ["route", "status"],
                registry=registry,
            ),
            duration=Histogram(
                "ventureplan_request_duration_seconds",
                "Seconds from a request's arrival to the end of its answer, by route.",
                ["route"],
                registry=registry,
            ),
            batch_sizes=Histogram(
                "ventureplan_batch_size",
                "Texts per model call.",
                buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
                registry=registry,
            ),
            queue=Gauge(
                "ventureplan_queue_texts",
                "Texts waiting for the model.",
                registry=registry,
            ),
        )


@dataclass
class Service:
    """What the app's routes share: the config, keys, model (None until loaded), the
    batcher (None outside the lifespan), the metrics and the request log."""

    folder: Path
    config: ServingConfig
    keys: KeyStore
    loader: Callable[[Path], Model]
    log_texts: bool
    body_timeout_s: float
    queue_limit: int
    metrics: _Metrics
    model: Model | None = None
    load_error: str | None = None
    batcher: Batcher | None = None
    on_fatal: Callable[[], None] | None = None  # serve() sets it: stop the server
    _loading: threading.Thread | None = None
    _log_lock: threading.Lock = field(default_factory=threading.Lock)

    def start_loading(self) -> None:
        if self.model is None and self._loading is None:
            self._loading = threading.Thread(
                target=self._load, name="ventureplan-load", daemon=True
            )
            self._loading.start()

    def wait_for_loading(self, timeout: float) -> None:
        """Let a model still loading finish: the interpreter must not exit while
        onnxruntime or torch builds it in native code (that aborts the process)."""
        if self._loading is not None:
            self._loading.join(timeout)

    def _load(self) -> None:
        started = time.perf_counter()
        try:
            model = self.loader(self.folder)
            if len(model.config.labels) != len(self.config.labels):
                raise ServeError(f"{self.folder}: the loaded model has other labels")
        except BaseException as e:  # the thread's end: say why, and stop the server
            if isinstance(e, ServeError):
                self.load_error = _one_line(e)
            else:
                why = _one_line(f"{type(e).__name__}: {e}", 300)
                self.load_error = f"{self.folder}: the model cannot be loaded ({why})"
            log.error("error: %s", self.load_error)
            if self.on_fatal is not None:
                self.on_fatal()
            return
        self.model = model
        log.info(
            "model %s %s (%s) loaded in %.1f s",
            self.config.run,
            self.config.variant,
            self.config.format,
            time.perf_counter() - started,
        )

    def predict(self, texts: list[str]) -> np.ndarray:
        if self.model is None:  # not reached: /v1/classify answers 503 until loaded
            raise ModelFailed("no model")
        return self.model.predict(texts)

    def write_log(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, separators=(",", ":")) + "\n"
        with self._log_lock:
            try:
                sys.stdout.write(line)
                sys.stdout.flush()
            except (OSError, ValueError):  # stdout closed: the answer is sent all the same
                pass

    async def read_body(self, request: Request) -> bytes | Response:
        """The body, or the error to answer: 413 past max_body_bytes (checked on every
        chunk, never buffering more, whatever Content-Length says), 408 past the deadline."""
        limit = self.config.max_body_bytes
        too_large = f"the body is over {limit} bytes, the limit of max_texts × max_chars × 4 + 4096"
        close = {"Connection": "close"}  # the rest of the body is not read
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return _error(413, too_large, close)
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.body_timeout_s):
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > limit:
                        return _error(413, too_large, close)
                    chunks.append(chunk)
        except TimeoutError:
            return _error(408, f"the body did not arrive within {self.body_timeout_s:g} s", close)
        except ClientDisconnect:
            return _error(400, "the client disconnected before the body arrived")
        return b"".join(chunks)

    def parse(self, body: bytes, info: dict[str, Any]) -> list[str] | Response:
        """The request's texts, or a 422 naming what is wrong with the body."""
        config = self.config
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            return _error(422, 'the body is not valid JSON; send {"texts": ["...", ...]}')
        if not isinstance(data, dict):
            return _error(422, 'the body must be a JSON object: {"texts": ["...", ...]}')
        if "texts" not in data:
            return _error(422, '"texts" is missing: send {"texts": ["...", ...]}')
        texts = data["texts"]
        if not isinstance(texts, list):
            return _error(422, '"texts" must be a list of strings')
        info["texts"] = len(texts)
        if not texts:
            return _error(422, '"texts" is empty; send at least one text')
        if len(texts) > config.max_texts:
            return _error(
                422,
                f'"texts" has {len(texts)} texts, over the limit max_texts = {config.max_texts}',
            )
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                return _error(422, f"texts[{i}] is not a string")
            if len(text) > config.max_chars:
                return _error(
                    422,
                    f"texts[{i}] has {len(text)} characters, over the limit "
                    f"max_chars = {config.max_chars}",
                )
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                return _error(422, f"texts[{i}] is not valid Unicode (a lone surrogate)")
        return texts

    def results(self, logits: np.ndarray) -> list[dict[str, Any]]:
        labels = self.config.labels
        probabilities = _softmax(logits)
        return [
            {
                "label": labels[int(np.argmax(row))],
                "scores": {label: float(p) for label, p in zip(labels, row, strict=True)},
            }
            for row in probabilities
        ]


class _Gate:
    """The outermost layer of the app's own: a request id, the API key (every path but
    /healthz and /readyz), then the metrics and the JSON log line once answered."""

    def __init__(self, app: ASGIApp, service: Service) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        svc = self.service
        arrived = _now()
        started = time.perf_counter()
        path: str = scope["path"]
        route = path if path in ROUTES else "other"  # unknown paths share one label
        given = next((v for k, v in scope["headers"] if k == b"x-request-id"), b"").decode(
            "latin-1"
        )
        request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        info: dict[str, Any] = {"status": 500, "texts": 0, "key_id": None, "content": None}
        scope["ventureplan"] = info

        async def send_logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                info["status"] = message["status"]
                MutableHeaders(scope=message).append("X-Request-ID", request_id)
            await send(message)

        try:
            if path not in OPEN_PATHS:
                caller = svc.keys.check(bearer_token(scope))
                info["key_id"] = caller.key_id
                if caller.status != 200:
                    response = (
                        _error(403, "this API key is revoked")
                        if caller.status == 403
                        else _error(
                            401,
                            "a valid API key is needed: send Authorization: Bearer KEY",
                            {"WWW-Authenticate": "Bearer"},
                        )
                    )
                    await response(scope, receive, send_logged)
                    return
            await self.app(scope, receive, send_logged)
        finally:
            seconds = time.perf_counter() - started
            status = info["status"]
            svc.metrics.requests.labels(route, str(status)).inc()
            svc.metrics.duration.labels(route).observe(seconds)
            record: dict[str, Any] = {
                "ts": arrived,
                "method": scope["method"],
                "path": path[:200],
                "status": status,
                "duration_ms": round(seconds * 1000, 3),
                "texts": info["texts"],
                "key_id": info["key_id"],
                "request_id": request_id,
            }
            if svc.log_texts and info["content"] is not None:
                record["content"] = info["content"]
            svc.write_log(record)


def create_app(
    model_folder: Path,
    keys: KeyStore,
    *,
    log_texts: bool = False,
    body_timeout_s: float = 10.0,
    queue_limit: int | None = None,
    loader: Callable[[Path], Model] = load_model,
) -> Starlette:
    """The API for the model in `model_folder`. serving.json is read (and with the default
    loader the model's files checked) now; the model itself loads in a thread once the
    app starts, and /readyz answers 200 when it is in. `queue_limit` is the most texts
    waiting for the model (default: max(4 × max_texts, 8 × max_batch)); beyond, 503."""
    folder = Path(model_folder)
    config = ServingConfig.from_file(folder)
    if loader is load_model:
        check_folder(folder, config)
    if not len(keys):
        raise ServeError(NO_KEYS)
    if log_texts and config.personal_data:
        raise ServeError(
            f"{folder / CONFIG_FILE}: personal_data is true, so request texts are never "
            "logged; drop --log-texts"
        )
    if not (isinstance(body_timeout_s, int | float) and 0 < body_timeout_s <= 3600):
        raise ServeError(f"body_timeout_s must be from 0 to 3600 seconds, not {body_timeout_s}")
    limit = (
        queue_limit if queue_limit is not None else max(4 * config.max_texts, 8 * config.max_batch)
    )
    if limit < config.max_texts:
        raise ServeError(
            f"queue_limit {limit} is below max_texts = {config.max_texts}: "
            "a request of max_texts texts could never be queued"
        )
    svc = Service(
        folder=folder,
        config=config,
        keys=keys,
        loader=loader,
        log_texts=log_texts,
        body_timeout_s=float(body_timeout_s),
        queue_limit=limit,
        metrics=_Metrics.create(config),
    )
    svc.metrics.queue.set_function(lambda: float(len(svc.batcher or ())))

    async def classify(request: Request) -> Response:
        info: dict[str, Any] = request.scope["ventureplan"]
        model, batcher = svc.model, svc.batcher
        if model is None or batcher is None:
            return _error(
                503, "the model is loading; retry when /readyz answers 200", {"Retry-After": "1"}
            )
        body = await svc.read_body(request)
        if isinstance(body, Response):
            return body
        texts = svc.parse(body, info)
        if isinstance(texts, Response):
            return texts
        if svc.log_texts:
            info["content"] = texts
        try:
            logits = await batcher.submit(texts)
        except QueueFull:
            return _error(
                503,
                f"the queue is full (queue_limit = {svc.queue_limit} texts); retry shortly",
                {"Retry-After": "1"},
            )
        except ModelFailed:
            return _error(500, "the model failed on this request's batch")
        return JSONResponse(
            {"run": config.run, "variant": config.variant, "results": svc.results(logits)}
        )

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def readyz(request: Request) -> Response:
        if svc.model is None or svc.batcher is None:
            return JSONResponse({"ready": False}, status_code=503)
        return JSONResponse({"ready": True, "run": config.run, "variant": config.variant})

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(svc.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        path = _one_line(request.url.path, 200)
        if exc.status_code == 404:
            return _error(404, f"no such path: {path}")
        if exc.status_code == 405:
            # Starlette keeps a route's methods in a set: sorted, the header is stable.
            methods = (exc.headers or {}).get("Allow", "").split(", ")
            allowed = ", ".join(sorted(methods))
            return _error(
                405, f"{request.method} is not allowed on {path}; use {allowed}", {"Allow": allowed}
            )
        return _error(exc.status_code, _one_line(exc.detail, 200), exc.headers)

    async def server_error(request: Request, exc: Exception) -> Response:
        return _error(500, "internal error")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        svc.batcher = Batcher(svc.predict, config, limit, svc.metrics.batch_sizes)
        svc.batcher.start()
        svc.start_loading()
        try:
            yield
        finally:
            batcher, svc.batcher = svc.batcher, None
            await batcher.close()

    app = Starlette(
        routes=[
            Route("/v1/classify", classify, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
        ],
        middleware=[Middleware(_Gate, service=svc)],
        exception_handlers={HTTPException: http_error, Exception: server_error},
        lifespan=lifespan,
    )
    app.state.service = svc
    return app


# --- the server -----------------------------------------------------------------------


class _Server(uvicorn.Server):
    """uvicorn's server, with one change to its graceful shutdown. uvicorn stops accepting,
    then at once closes every connection that has no request in progress, which includes a
    connection it accepted a moment before whose request is still on its way (or in the
    socket, not yet read): that client sees the connection close without an answer. Here,
    after the listener closes, such connections get up to ARRIVAL_GRACE_S for their
    request to arrive; it is then answered like any other request in flight."""

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()  # stop accepting; uvicorn's own shutdown closes them again
        for sock in sockets or []:
            sock.close()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ARRIVAL_GRACE_S
        while loop.time() < deadline and any(
            getattr(c, "cycle", False) is None for c in self.server_state.connections
        ):
            await asyncio.sleep(0.01)
        await super().shutdown()


def serve(
    model_folder: Path,
    host: str = "127.0.0.1",
    port: int = 8080,
    keys_file: Path | None = None,
    log_texts: bool = False,
    *,
    body_timeout_s: float = 10.0,
) -> None:
    """Run the API under uvicorn until SIGTERM or Ctrl-C (blocking). Keys come from
    VENTUREPLAN_API_KEYS and/or `keys_file`. On SIGTERM uvicorn stops accepting, the
    requests in flight finish (up to 20 s; a connection accepted just before gets up to
    1 s for its request to arrive), the batch queue drains, and serve returns."""
    keys = KeyStore.from_sources(os.environ.get(ENV_KEYS), keys_file)
    for warning in keys.warnings:
        print(f"warning: {warning}", file=sys.stderr, flush=True)
    app = create_app(Path(model_folder), keys, log_texts=log_texts, body_timeout_s=body_timeout_s)
    server = _Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            lifespan="on",
            access_log=False,  # one JSON line per request on stdout instead
            log_level="info",
            limit_concurrency=LIMIT_CONCURRENCY,
            timeout_keep_alive=TIMEOUT_KEEP_ALIVE,
            timeout_graceful_shutdown=TIMEOUT_GRACEFUL_SHUTDOWN,
            server_header=False,
        )
    )
    service: Service = app.state.service

    def stop() -> None:
        server.should_exit = True

    service.on_fatal = stop

    # uvicorn handles SIGTERM itself while it runs, then raises the signal again on the way
    # out, which under the default handler would end the process with -15 instead of 0.
    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        stop()

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        server.run()
    except SystemExit:  # uvicorn exits when it cannot listen; it has logged why
        raise ServeError(f"cannot listen on {host}:{port}") from None
    finally:
        signal.signal(signal.SIGTERM, previous)
        service.wait_for_loading(LOAD_JOIN_TIMEOUT)
    if service.load_error is not None:
        raise ServeError(service.load_error)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="ventureplan api",
        description="Serve a text classifier over HTTP: POST /v1/classify, GET /healthz, "
        f"/readyz, /metrics. API keys come from {ENV_KEYS} (comma-separated) and/or "
        "--keys-file.",
    )
    parser.add_argument("model_dir", metavar="MODEL_DIR", type=Path, help="holds serving.json")
    parser.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="default 8080")
    parser.add_argument(
        "--keys-file",
        type=Path,
        help="lines 'KEY_ID hmac-sha256$SALT_HEX$DIGEST_HEX [revoked]'",
    )
    parser.add_argument(
        "--log-texts", action="store_true", help="put the texts in the request log lines"
    )
    parser.add_argument(
        "--body-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="408 when a request body takes longer to arrive (default 10)",
    )
    args = parser.parse_args(argv)
    try:
        serve(
            args.model_dir,
            host=args.host,
            port=args.port,
            keys_file=args.keys_file,
            log_texts=args.log_texts,
            body_timeout_s=args.body_timeout,
        )
    except ServeError as e:
        print(f"error: {_one_line(e, 1000)}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
