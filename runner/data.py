"""The route's data: load, clean, check and split it — all before any model is loaded.

Bad data stops here with a message that says what to fix: a missing file or column, a
folder or a pipe where a file should be, an empty set, a single class, a class or a set
too small to split, bytes that are not UTF-8, a CSV field over the size bound, a JSONL
text that is not a string or a label that is not a scalar, a max_train_samples the
classes cannot fit in, a label in the test split that training never saw.

Reading is streamed: a file is decoded and parsed row by row, and only the cleaned
(text, label) pairs are kept, so memory follows the cleaned data, not the file.

- CSV: the csv module on the file opened with newline="" (quoted newlines stay inside
  their field; U+2028, form feed or NEL in a field are text, not line breaks), encoding
  utf-8-sig (a byte-order mark, as Excel's "CSV UTF-8" writes, is dropped). Labels are
  taken as written. A field may hold up to FIELD_LIMIT characters (1 MiB).
- JSONL: one JSON object a line, split on "\\n" only (JSON strings may hold U+2028).
  A label may be a string, a number or true/false and is kept as its JSON text: `0` is
  "0", `false` is "false", `2.5` is "2.5"; a float with no fraction is written as the
  integer it equals (`1.0` is "1", the same class as `1`), since JSON does not tell them
  apart and many writers emit integer columns as floats. A null or missing label or text
  is empty: the row is dropped and counted in dropped_empty.
"""

from __future__ import annotations

import codecs
import csv
import html
import io
import json
import math
import numbers
import os
import re
import stat
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from ventureplan.planner.builtins import DATASETS, builtin_name, known
from ventureplan.planner.errors import VenturePlanError
from ventureplan.planner.model import Dataset

from .installed import locate


class DataError(VenturePlanError):
    """The route's data cannot be trained on; the message says why and what to change."""


TAG = re.compile(r"<[^>]{0,2000}>")
SPACE = re.compile(r"\s+")
FIELD_LIMIT = 1 << 20  # characters in one CSV field (1 MiB of ASCII); longer is a DataError
MIN_PER_CLASS = 5  # examples of each class, so that each split can get some
LIMIT = "routes.limits.max_train_samples"
SUFFIXES = (".csv", ".jsonl", ".ndjson")
HEADER_BYTES = 1 << 20  # the most read_header reads of a data file (1 MiB)


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


# --- reading ----------------------------------------------------------------------


def _open(path: Path) -> IO[bytes]:
    """The data file opened for reading, once it is known to be a regular file: a folder,
    a FIFO or a device is an error here, before any read that could block or never end."""
    try:
        info = path.stat()
    except (FileNotFoundError, NotADirectoryError, ValueError):  # ValueError: a NUL in it
        raise DataError(f"{path}: no such data file (routes.dataset.source)") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read the data file ({exc.strerror})") from None
    if stat.S_ISDIR(info.st_mode):
        raise DataError(
            f"{path}: is a folder, not a data file (routes.dataset.source): "
            "name a .csv or .jsonl file"
        )
    if not stat.S_ISREG(info.st_mode):
        raise DataError(
            f"{path}: not a regular file (a pipe, socket or device; routes.dataset.source): "
            "save the data as a .csv or .jsonl file"
        )
    if path.suffix.lower() not in SUFFIXES:
        raise DataError(f"{path}: use a .csv or .jsonl file, or {known(DATASETS)}")
    try:  # non-blocking, in case the path was swapped for a FIFO since the stat
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise DataError(f"{path}: cannot read the data file ({exc.strerror})") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise DataError(f"{path}: not a regular file (routes.dataset.source)")
    if hasattr(os, "set_blocking"):
        os.set_blocking(fd, True)
    return open(fd, "rb")  # closed by the reader that takes it


def _not_utf8(path: Path, raw: IO[bytes]) -> DataError:
    """The error for the first byte of `raw` that is not UTF-8, with its line, found by
    decoding the file again in chunks (only on this error path)."""
    raw.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 0  # newlines in the chunks already decoded (a pending partial char has none)
    while True:
        chunk = raw.read(1 << 20)
        try:
            decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            data = exc.object
            line = lines + data[: exc.start].count(b"\n") + 1
            return DataError(
                f"{path}:{line}: the file is not UTF-8 (byte 0x{data[exc.start]:02X}); "
                "save it as UTF-8"
            )
        if not chunk:
            return DataError(f"{path}: the file is not UTF-8; save it as UTF-8")
        lines += chunk.count(b"\n")


def _text(raw: IO[bytes], newline: str) -> io.TextIOWrapper:
    return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="strict", newline=newline)


def _column(header: list[str], name: str, what: str, path: Path) -> int:
    where = [i for i, col in enumerate(header) if col == name]
    if not where:
        raise DataError(
            f"{path}: no column '{name}' for the {what} (routes.dataset.{what}); "
            f"columns: {', '.join(header) or 'none'}"
        )
    if len(where) > 1:
        raise DataError(
            f"{path}: the column '{name}' for the {what} appears {len(where)} times "
            f"(columns {', '.join(str(i + 1) for i in where)}); rename all but one"
        )
    return where[0]


def _csv_rows(path: Path, raw: IO[bytes], spec: Dataset) -> Iterator[tuple[str, str]]:
    previous = csv.field_size_limit(FIELD_LIMIT)
    reader = csv.reader(_text(raw, ""))
    start = 1  # the line the row being read starts on
    try:
        header = next(reader, None) or []
        t = _column(header, spec.text, "text", path)
        y = _column(header, spec.label, "label", path)
        need = max(t, y)
        start = reader.line_num + 1
        for row in reader:
            if row:  # a blank line is no row
                if len(row) > need:
                    yield row[t], row[y]
                else:  # a short row: the missing fields are empty
                    yield (row[t] if t < len(row) else ""), (row[y] if y < len(row) else "")
            start = reader.line_num + 1
    except UnicodeDecodeError:
        raise _not_utf8(path, raw) from None
    except csv.Error as exc:
        if "field limit" in str(exc):
            raise DataError(
                f"{path}:{start}: a field longer than {FIELD_LIMIT:,} characters (1 MiB), "
                "the most one CSV field may hold; is a quote left open?"
            ) from None
        raise DataError(f"{path}:{reader.line_num}: not valid CSV ({exc})") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read the data file ({exc.strerror})") from None
    finally:
        csv.field_size_limit(previous)


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    return "an object" if isinstance(value, dict) else type(value).__name__


def label_text(value: object) -> str | None:
    """A JSON label as its text ("" for null), or None where it is no scalar."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    return None


def _jsonl_rows(path: Path, raw: IO[bytes], spec: Dataset) -> Iterator[tuple[str, str]]:
    keys: set[str] = set()  # for the message when a column is never seen (at most 100)
    has_text = has_label = False
    try:
        lines = _text(raw, "\n")  # held here: dropping it would close raw
        for i, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except (ValueError, RecursionError) as exc:  # JSONDecodeError, digits, nesting
                why = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
                raise DataError(f"{path}:{i}: not a JSON object ({why})") from None
            if not isinstance(item, dict):
                raise DataError(f"{path}:{i}: each line must be a JSON object")
            if len(keys) < 100:
                keys.update(list(item)[: 100 - len(keys)])
            has_text = has_text or spec.text in item
            has_label = has_label or spec.label in item
            text = item.get(spec.text)
            if text is None:
                text = ""
            elif not isinstance(text, str):
                raise DataError(
                    f"{path}:{i}: the text ('{spec.text}', routes.dataset.text) must be "
                    f"a JSON string, not {_kind(text)}"
                )
            label = label_text(item.get(spec.label))
            if label is None:
                value = item.get(spec.label)
                what = "infinite or NaN" if isinstance(value, float) else _kind(value)
                raise DataError(
                    f"{path}:{i}: the label ('{spec.label}', routes.dataset.label) must be "
                    f"a string, a finite number or true/false, not {what}"
                )
            yield text, label
    except UnicodeDecodeError:
        raise _not_utf8(path, raw) from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read the data file ({exc.strerror})") from None
    for name, what, seen in ((spec.text, "text", has_text), (spec.label, "label", has_label)):
        if not seen:
            raise DataError(
                f"{path}: no column '{name}' for the {what} (routes.dataset.{what}); "
                f"columns: {', '.join(sorted(keys)) or 'none'}"
            )


def _rows_from_file(path: Path, spec: Dataset) -> Iterator[tuple[str, str]]:
    with _open(path) as raw:
        if path.suffix.lower() == ".csv":
            yield from _csv_rows(path, raw, spec)
        else:
            yield from _jsonl_rows(path, raw, spec)


def _builtin_rows(name: str) -> Iterator[tuple[str, str]]:
    root = locate(name, DATASETS, "data set", DataError)  # a folder of files per class
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for file in sorted(folder.glob("*.txt")):
            yield file.read_bytes().decode("latin-1"), folder.name


def iter_rows(spec: Dataset, base: Path) -> Iterator[tuple[str, str]]:
    """The raw (text, label) rows of the route's data, read one at a time."""
    name = builtin_name(spec.source)
    if name is not None:
        return _builtin_rows(name)
    path = Path(spec.source)
    return _rows_from_file(path if path.is_absolute() else base / path, spec)


def load_rows(spec: Dataset, base: Path) -> list[tuple[str, str]]:
    return list(iter_rows(spec, base))


# --- the header only, for `check` ---------------------------------------------------


class NoDataFile(DataError):
    """The data file does not exist (yet): `check` warns, `run` stops."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(f"{path}: no such data file (routes.dataset.source)")


@dataclass
class Header:
    """The columns of a data file, as far as its first HEADER_BYTES tell."""

    path: Path  # where the file is
    name: str  # routes.dataset.source, as the plan writes it: how messages name the file
    columns: list[str]  # CSV: the header row, in order; JSONL: the keys of the objects read
    complete: bool  # every column is known (CSV: always; JSONL: the whole file was read)
    objects: int = 0  # JSONL: the objects read

    def problem(self, name: str, what: str) -> str | None:
        """Why `run` cannot find the column `name` for the `what` (text or label), or None."""
        where = [i for i, col in enumerate(self.columns) if col == name]
        if len(where) > 1:
            return (
                f"the column {name!r} for the {what} appears {len(where)} times in "
                f"{self.name} (columns {', '.join(str(i + 1) for i in where)}); "
                "rename all but one"
            )
        if where:
            return None
        shown = [repr(c) if len(c) <= 40 else repr(c[:37] + "...") for c in self.columns[:20]]
        listed = ", ".join(shown) or "none"
        if len(shown) < len(self.columns):
            listed += f" ({len(self.columns)} in all)"
        seen = "" if self.complete else f" in the first {self.objects} objects"
        return f"{self.name} has no column {name!r} for the {what}{seen}; columns: {listed}"


def read_header(spec: Dataset, base: Path, limit: int | None = None) -> Header | None:
    """The columns of the route's data file, reading at most `limit` bytes of it (default
    HEADER_BYTES): a CSV's header row, the keys of a JSONL file's objects in those bytes.
    None for a built-in data set, or where the first line does not fit in `limit`.

    A missing file is NoDataFile; anything `run` would refuse in these bytes (a folder or a
    pipe, another suffix, bytes that are not UTF-8, a line that is not a JSON object) is a
    DataError saying so, naming the file as the plan writes it (the same message wherever
    the plan's folder is). Regular files only, opened without blocking (_open's checks)."""
    if builtin_name(spec.source) is not None:
        return None
    limit = HEADER_BYTES if limit is None else limit
    shown = spec.source
    path = Path(spec.source)
    path = path if path.is_absolute() else base / path
    if path.suffix.lower() not in SUFFIXES:
        raise DataError(f"{shown}: use a .csv or .jsonl file, or {known(DATASETS)}")
    try:
        path.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise NoDataFile(path) from None
    except (OSError, ValueError):
        pass  # _open says what is wrong
    try:
        with _open(path) as raw:
            head = raw.read(limit + 1)
    except DataError as exc:
        raise DataError(str(exc).replace(str(path), shown, 1)) from None
    except OSError as exc:
        raise DataError(f"{shown}: cannot read the data file ({exc.strerror})") from None
    whole = len(head) <= limit
    head = head[:limit].removeprefix(codecs.BOM_UTF8)
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=whole)
    except UnicodeDecodeError as exc:
        line = head[: exc.start].count(b"\n") + 1
        raise DataError(
            f"{shown}:{line}: the file is not UTF-8 (byte 0x{head[exc.start]:02X}); "
            "save it as UTF-8"
        ) from None
    csv_file = path.suffix.lower() == ".csv"
    if not whole:  # only the lines that end inside the bytes read
        end = max(text.rfind("\n"), text.rfind("\r") if csv_file else -1)
        if end < 0:
            return None
        text = text[: end + 1]
    if csv_file:
        return _csv_header(path, shown, text, whole)
    return _jsonl_header(path, shown, text, whole)


def _csv_header(path: Path, shown: str, text: str, whole: bool) -> Header | None:
    previous = csv.field_size_limit(FIELD_LIMIT)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None) or []
        # Cut short, the header is whole only where another row starts after it (a quoted
        # field left open at the cut would run to the end of the bytes read).
        if not whole and next(reader, None) is None:
            return None
    except csv.Error as exc:
        if not whole:
            return None
        raise DataError(f"{shown}:{reader.line_num}: not valid CSV ({exc})") from None
    finally:
        csv.field_size_limit(previous)
    return Header(path, shown, header, complete=True)


def _jsonl_header(path: Path, shown: str, text: str, whole: bool) -> Header:
    keys: dict[str, None] = {}  # in the order first seen
    objects = 0
    for i, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except (ValueError, RecursionError) as exc:
            why = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
            raise DataError(f"{shown}:{i}: not a JSON object ({why})") from None
        if not isinstance(item, dict):
            raise DataError(f"{shown}:{i}: each line must be a JSON object")
        objects += 1
        keys.update(dict.fromkeys(item))
    return Header(path, shown, list(keys), complete=whole, objects=objects)


# --- cleaning and splitting -------------------------------------------------------


@dataclass
class Examples:
    texts: list[str]
    labels: list[str]
    empty: int = 0
    dupes: int = 0


def examples(rows: Iterator[tuple[str, str]] | list[tuple[str, str]]) -> Examples:
    """Cleaned, de-duplicated examples; only these are kept, not the raw rows."""
    seen: set[str] = set()
    names: dict[str, str] = {}  # one string object per label
    out = Examples([], [])
    for raw_text, raw_label in rows:
        text, label = clean(raw_text), raw_label.strip()
        if not text or not label:
            out.empty += 1
        elif text in seen:
            out.dupes += 1
        else:
            seen.add(text)
            out.texts.append(text)
            out.labels.append(names.setdefault(label, label))
    return out


def _sizes(n: int, test_size: float) -> tuple[int, int]:
    """(train, test) sizes of n examples, as scikit-learn's train_test_split makes them for a
    float test_size (the test side rounded up)."""
    n_test = math.ceil(test_size * n)
    return n - n_test, n_test


def _splits_fit(n: int, k: int, validation: float, test: float) -> bool:
    """Whether n examples of k classes leave every split of the two stratified splits at
    least k examples, one per class, as scikit-learn requires."""
    rest, n_test = _sizes(n, test)
    n_train, n_val = _sizes(rest, validation / (1 - test))
    return min(rest, n_test, n_train, n_val) >= k


def needed_total(k: int, validation: float, test: float, at_least: int = 0) -> int:
    """The fewest examples (≥ at_least) in which k classes can be split train/validation/
    test; the sizes only grow with n, so a doubling and a bisection find it."""
    lo = hi = max(at_least, 2 * k)
    while not _splits_fit(hi, k, validation, test):
        lo, hi = hi + 1, hi * 2
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if _splits_fit(mid, k, validation, test) else (mid + 1, hi)
    return lo


def _check_split(counts: Counter[int], n_train: int, n_test: int, what: str, source: str) -> None:
    """What scikit-learn's stratified split checks, as a DataError before it is called."""
    k = len(counts)
    if min(counts.values()) < 2 or min(n_train, n_test) < k:
        raise DataError(
            f"{source}: cannot split off the {what}: a stratified split of {sum(counts.values())} "
            f"examples in {k} classes into {n_train} and {n_test} needs at least {k} on each "
            "side and two examples of every class; add more examples"
        )


def check_max_train(value: object) -> int | None:
    """routes.limits.max_train_samples: None, or a whole number ≥ 1 (the classes are
    checked once the data is read)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise DataError(f"{LIMIT} must be a whole number of training examples, not {value!r}")
    value = int(value)
    if value < 1:
        raise DataError(
            f"{LIMIT} is {value}; it must be at least the number of classes "
            "(one training example of each)"
        )
    return value


def _subsample(y: list[int], m: int, seed: int) -> list[int]:
    """Indices of m of the labels y, every class kept once and the rest shared in proportion
    (largest remainders, ties to the lower class), chosen at random (seeded)."""
    import numpy as np

    by_class: dict[int, list[int]] = {}
    for i, c in enumerate(y):
        by_class.setdefault(c, []).append(i)
    classes = sorted(by_class)
    spare = m - len(classes)
    left = {c: len(by_class[c]) - 1 for c in classes}
    total = sum(left.values())  # > spare, since m < len(y)
    take = {c: 1 + spare * left[c] // total for c in classes}
    order = sorted(classes, key=lambda c: (-(spare * left[c] % total), c))
    for c in order[: m - sum(take.values())]:
        take[c] += 1
    rng = np.random.RandomState(seed)
    keep: list[int] = []
    for c in classes:
        keep.extend(int(i) for i in rng.choice(by_class[c], size=take[c], replace=False))
    return sorted(keep)


def _cap(x: list[str], y: list[int], m: int, seed: int) -> tuple[list[str], list[int]]:
    """m of the training examples, stratified, with every class kept."""
    from sklearn.model_selection import train_test_split

    counts = Counter(y)
    if min(counts.values()) >= 2 and len(y) - m >= len(counts):
        x_cap, _, y_cap, _ = train_test_split(x, y, train_size=m, random_state=seed, stratify=y)
        if len(set(y_cap)) == len(counts):
            return x_cap, y_cap
    keep = _subsample(y, m, seed)  # scikit-learn cannot, or would drop a class
    return [x[i] for i in keep], [y[i] for i in keep]


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
    if not (validation > 0 and test > 0 and validation + test < 1):
        raise ValueError(f"validation {validation} and test {test} must be fractions below 1")
    max_train = check_max_train(max_train)
    ex = examples(iter_rows(spec, base))
    texts, labels = ex.texts, ex.labels
    if not texts:
        raise DataError(f"{spec.source}: no usable examples (every text or label is empty)")
    counts = Counter(labels)
    if len(counts) < 2:
        raise DataError(
            f"{spec.source}: only one class ({next(iter(counts))}); a classifier needs two or more"
        )
    small = {c: n for c, n in counts.items() if n < MIN_PER_CLASS}
    if small:
        listed = ", ".join(f"{c} ({n})" for c, n in sorted(small.items()))
        raise DataError(
            f"{spec.source}: too few examples to split train/validation/test for: {listed}; "
            f"each class needs at least {MIN_PER_CLASS}"
        )
    n, k = len(texts), len(counts)
    if not _splits_fit(n, k, validation, test):
        need = needed_total(k, validation, test, at_least=n)
        raise DataError(
            f"{spec.source}: {n} examples are too few for {k} classes: the validation "
            f"({validation:.0%}) and test ({test:.0%}) splits need one example of every class "
            f"each, which takes at least {need} examples in all; add {need - n} more "
            "or merge classes"
        )
    if max_train is not None and max_train < k:
        raise DataError(
            f"{LIMIT} is {max_train}, fewer than the {k} classes; it must be at least {k} "
            "so that every class keeps a training example"
        )
    from sklearn.model_selection import train_test_split

    classes = sorted(counts)
    index = {c: i for i, c in enumerate(classes)}
    y = [index[c] for c in labels]
    _check_split(Counter(y), *_sizes(n, test), "test split", spec.source)
    x_rest, x_test, y_rest, y_test = train_test_split(
        texts, y, test_size=test, random_state=seed, stratify=y
    )
    share = validation / (1 - test)
    _check_split(Counter(y_rest), *_sizes(len(y_rest), share), "validation split", spec.source)
    x_train, x_val, y_train, y_val = train_test_split(
        x_rest, y_rest, test_size=share, random_state=seed, stratify=y_rest
    )
    full_train = len(x_train)
    if max_train is not None and max_train < len(x_train):
        x_train, y_train = _cap(x_train, y_train, max_train, seed)
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
        dropped_empty=ex.empty,
        dropped_duplicates=ex.dupes,
        source=spec.source,
        counts=dict(counts),
        full_train=full_train,
    )
