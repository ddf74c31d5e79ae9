"""The route's data: load, clean, check and split it — all before any model is loaded.

Bad data stops here with a message that says what to fix: a missing file or column, an
empty set, a single class, a class too small to split, bytes that are not UTF-8, a label
in the test split that training never saw.
"""

from __future__ import annotations

import csv
import html
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ventureplan.planner.builtins import DATASETS, builtin_name, known
from ventureplan.planner.errors import VenturePlanError
from ventureplan.planner.model import Dataset

from .installed import locate


class DataError(VenturePlanError):
    """The route's data cannot be trained on; the message says why and what to change."""


TAG = re.compile(r"<[^>]{0,2000}>")
SPACE = re.compile(r"\s+")


@dataclass
class Split:
    texts: list[str]
    labels: list[int]

    def __len__(self) -> int:
        return len(self.texts)


@dataclass
class Data:
    classes: list[str]
    train: Split
    validation: Split
    test: Split
    dropped_empty: int = 0
    dropped_duplicates: int = 0
    source: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    full_train: int = 0  # training texts before any max_train cap, for the full-data forecast

    def record(self) -> dict[str, int]:
        return {
            "train": len(self.train),
            "validation": len(self.validation),
            "test": len(self.test),
            "classes": len(self.classes),
            "dropped_empty": self.dropped_empty,
            "dropped_duplicates": self.dropped_duplicates,
        }


def clean(text: str) -> str:
    """Strip HTML tags and entities, and normalise whitespace."""
    return SPACE.sub(" ", html.unescape(TAG.sub(" ", text))).strip()


def _read_text(path: Path) -> str:
    try:
        return path.read_text("utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise DataError(
            f"{path}:{line}: the file is not UTF-8 (byte 0x{exc.object[exc.start]:02X}); "
            "save it as UTF-8"
        ) from None


def _rows_from_file(path: Path, spec: Dataset) -> list[tuple[str, str]]:
    if not path.exists():
        raise DataError(f"{path}: no such data file (routes.dataset.source)")
    text = _read_text(path)
    rows: list[dict[str, object]]
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(text.splitlines())
        columns = reader.fieldnames or []
        rows = list(reader)
    elif path.suffix.lower() in (".jsonl", ".ndjson"):
        rows = []
        for i, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{path}:{i}: not a JSON object ({exc.msg})") from None
            if not isinstance(item, dict):
                raise DataError(f"{path}:{i}: each line must be a JSON object")
            rows.append(item)
        columns = sorted({k for r in rows for k in r})
    else:
        raise DataError(f"{path}: use a .csv or .jsonl file, or {known(DATASETS)}")
    for col, what in ((spec.text, "text"), (spec.label, "label")):
        if col not in columns:
            raise DataError(
                f"{path}: no column '{col}' for the {what} (routes.dataset.{what}); "
                f"columns: {', '.join(map(str, columns)) or 'none'}"
            )
    return [(str(r.get(spec.text) or ""), str(r.get(spec.label) or "")) for r in rows]


def _builtin_rows(name: str) -> list[tuple[str, str]]:
    root = locate(name, DATASETS, "data set", DataError)  # a folder of files per class
    rows = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for file in sorted(folder.glob("*.txt")):
            rows.append((file.read_bytes().decode("latin-1"), folder.name))
    return rows


def load_rows(spec: Dataset, base: Path) -> list[tuple[str, str]]:
    name = builtin_name(spec.source)
    if name is not None:
        return _builtin_rows(name)
    path = Path(spec.source)
    return _rows_from_file(path if path.is_absolute() else base / path, spec)


def prepare(
    spec: Dataset,
    base: Path,
    seed: int,
    *,
    max_train: int | None = None,
    validation: float = 0.1,
    test: float = 0.2,
) -> Data:
    """Clean, de-duplicate, check and split (stratified, seeded) the route's data."""
    from sklearn.model_selection import train_test_split

    rows = load_rows(spec, base)
    seen: set[str] = set()
    texts, labels = [], []
    empty = dupes = 0
    for raw_text, raw_label in rows:
        text, label = clean(raw_text), raw_label.strip()
        if not text or not label:
            empty += 1
        elif text in seen:
            dupes += 1
        else:
            seen.add(text)
            texts.append(text)
            labels.append(label)
    if not texts:
        raise DataError(f"{spec.source}: no usable examples (every text or label is empty)")
    counts = Counter(labels)
    if len(counts) < 2:
        raise DataError(
            f"{spec.source}: only one class ({next(iter(counts))}); a classifier needs two or more"
        )
    small = {c: n for c, n in counts.items() if n < 5}
    if small:
        listed = ", ".join(f"{c} ({n})" for c, n in sorted(small.items()))
        raise DataError(
            f"{spec.source}: too few examples to split train/validation/test for: {listed}; "
            "each class needs at least 5"
        )
    classes = sorted(counts)
    index = {c: i for i, c in enumerate(classes)}
    y = [index[c] for c in labels]
    x_rest, x_test, y_rest, y_test = train_test_split(
        texts, y, test_size=test, random_state=seed, stratify=y
    )
    x_train, x_val, y_train, y_val = train_test_split(
        x_rest, y_rest, test_size=validation / (1 - test), random_state=seed, stratify=y_rest
    )
    full_train = len(x_train)
    if max_train is not None and max_train < len(x_train):
        x_train, _, y_train, _ = train_test_split(
            x_train, y_train, train_size=max_train, random_state=seed, stratify=y_train
        )
    unseen = set(y_test) - set(y_train)
    if unseen:
        raise DataError(
            f"{spec.source}: the test split has labels training never saw: "
            f"{', '.join(classes[i] for i in sorted(unseen))}; add more examples of them"
        )
    return Data(
        classes,
        Split(x_train, y_train),
        Split(x_val, y_val),
        Split(x_test, y_test),
        dropped_empty=empty,
        dropped_duplicates=dupes,
        source=spec.source,
        counts=dict(counts),
        full_train=full_train,
    )
