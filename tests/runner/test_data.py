"""runner/data.py: reading, cleaning, checking and splitting the route's data (issue 10 §13).

Each reproduction from the issue has a test that fails on the old reader; the property
tests write rows with csv.writer / json.dumps and read them back exactly, and feed
arbitrary bytes and per-class counts through, where only data or a DataError may come
back. No model is trained here."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
import threading
import tracemalloc
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ventureplan.planner.model import Dataset
from ventureplan.runner import data as data_mod
from ventureplan.runner.data import DataError, load_rows, prepare

from tests.runner.conftest import make_rows, write_csv

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def spec(source, text="text", label="label"):
    return Dataset(source=source, text=text, label=label)


def write_jsonl(path: Path, items, newline="\n") -> Path:
    path.write_text("".join(json.dumps(i) + newline for i in items), encoding="utf-8")
    return path


def rows_of(counts) -> list[tuple[str, object]]:
    """Distinct texts, n of each label, from {label: n} or [(label, n), ...] (labels that are
    equal in Python, such as 0, 0.0 and False, need the list)."""
    pairs = counts.items() if isinstance(counts, dict) else counts
    return [(f"example {i} of {label!r}", label) for label, n in pairs for i in range(n)]


def total(d) -> int:
    return len(d.train) + len(d.validation) + len(d.test)


# --- labels -----------------------------------------------------------------------


def test_falsy_json_labels_are_classes_not_empty(tmp_path):
    rows = rows_of({0: 10, 1: 10, 2: 10})
    write_jsonl(tmp_path / "d.jsonl", [{"t": t, "y": y} for t, y in rows])
    d = prepare(spec("d.jsonl", "t", "y"), tmp_path, seed=1)
    assert d.classes == ["0", "1", "2"]
    assert d.counts == {"0": 10, "1": 10, "2": 10}
    assert (d.dropped_empty, total(d)) == (0, 30)


def test_json_labels_keep_their_json_text(tmp_path):
    labels = [(False, 9), (True, 9), (0.0, 9), (1.0, 9), (2.5, 9), (-3, 9), ("x", 9)]
    items = [{"t": t, "y": y} for t, y in rows_of(labels)]
    items += [{"t": f"integral float {i}", "y": 1} for i in range(3)]  # same class as 1.0
    write_jsonl(tmp_path / "d.jsonl", items)
    d = prepare(spec("d.jsonl", "t", "y"), tmp_path, seed=1)
    assert d.counts == {"false": 9, "true": 9, "0": 9, "1": 12, "2.5": 9, "-3": 9, "x": 9}


def test_null_and_missing_labels_and_texts_are_dropped_and_counted(tmp_path):
    items = [{"t": t, "y": y} for t, y in rows_of({"a": 6, "b": 6})]
    items += [
        {"t": "null label", "y": None},
        {"t": "no label"},
        {"t": "blank label", "y": "  "},
        {"t": None, "y": "a"},
        {"y": "b"},
    ]
    write_jsonl(tmp_path / "d.jsonl", items)
    d = prepare(spec("d.jsonl", "t", "y"), tmp_path, seed=1)
    assert (d.dropped_empty, total(d), d.counts) == (5, 12, {"a": 6, "b": 6})


@pytest.mark.parametrize(
    ("label", "what"),
    [([1, 2], "a list"), ({"k": 1}, "an object"), (float("nan"), "infinite or NaN")],
)
def test_a_label_that_is_no_scalar_is_an_error_at_its_line(tmp_path, label, what):
    items = [{"t": t, "y": y} for t, y in rows_of({"a": 6, "b": 6})]
    items.insert(2, {"t": "odd one", "y": label})
    write_jsonl(tmp_path / "d.jsonl", items)
    with pytest.raises(DataError) as exc:
        prepare(spec("d.jsonl", "t", "y"), tmp_path, seed=1)
    assert str(exc.value) == (
        f"{tmp_path / 'd.jsonl'}:3: the label ('y', routes.dataset.label) must be a string, "
        f"a finite number or true/false, not {what}"
    )


@pytest.mark.parametrize(
    ("text", "what"), [(5, "a number"), (True, "true/false"), (["a"], "a list")]
)
def test_a_text_that_is_no_string_is_an_error_at_its_line(tmp_path, text, what):
    items = [{"t": t, "y": y} for t, y in rows_of({"a": 6, "b": 6})]
    items.insert(1, {"t": text, "y": "a"})
    write_jsonl(tmp_path / "d.jsonl", items)
    with pytest.raises(DataError) as exc:
        prepare(spec("d.jsonl", "t", "y"), tmp_path, seed=1)
    assert str(exc.value) == (
        f"{tmp_path / 'd.jsonl'}:2: the text ('t', routes.dataset.text) must be a JSON string, "
        f"not {what}"
    )


# --- CSV and JSONL lines ----------------------------------------------------------

SEPARATORS = ["\u2028", "\u2029", "\x0c", "\x85", "\x0b", "\x1c", "\x1d", "\x1e"]


def test_csv_fields_with_unicode_line_separators_stay_whole(tmp_path):
    rows = [(f"before{sep}after {i}", "ab"[i % 2]) for i, sep in enumerate(SEPARATORS * 2)]
    write_csv(tmp_path / "d.csv", rows)
    assert load_rows(spec("d.csv"), tmp_path) == rows
    d = prepare(spec("d.csv"), tmp_path, seed=1)
    assert (total(d), d.dropped_empty, d.counts) == (16, 0, {"a": 8, "b": 8})


def test_csv_quoted_newlines_stay_inside_their_field(tmp_path):
    rows = [(f"first line\nsecond\r\nthird {i}", "ab"[i % 2]) for i in range(12)]
    write_csv(tmp_path / "d.csv", rows)
    assert load_rows(spec("d.csv"), tmp_path) == rows
    d = prepare(spec("d.csv"), tmp_path, seed=1)
    texts = d.train.texts + d.validation.texts + d.test.texts
    assert sorted(texts) == sorted(f"first line second third {i}" for i in range(12))


def test_an_excel_csv_with_a_byte_order_mark_reads(tmp_path):
    write_csv(tmp_path / "d.csv", make_rows(10))
    (tmp_path / "d.csv").write_bytes(b"\xef\xbb\xbf" + (tmp_path / "d.csv").read_bytes())
    d = prepare(spec("d.csv"), tmp_path, seed=1)
    assert (d.classes, total(d)) == (["money", "sport", "tech"], 30)


def test_a_jsonl_string_with_a_raw_line_separator_is_one_object(tmp_path):
    items = [{"t": f"a{sep}b {i}", "y": "xy"[i % 2]} for i, sep in enumerate(SEPARATORS * 2)]
    lines = [json.dumps(i, ensure_ascii=False) for i in items]
    (tmp_path / "d.jsonl").write_text("\n".join(lines), encoding="utf-8")
    assert load_rows(spec("d.jsonl", "t", "y"), tmp_path) == [(i["t"], i["y"]) for i in items]
    assert prepare(spec("d.jsonl", "t", "y"), tmp_path, seed=1).counts == {"x": 8, "y": 8}


def test_a_jsonl_file_with_a_bom_and_crlf_lines_reads(tmp_path):
    items = [{"t": t, "y": y} for t, y in rows_of({"a": 6, "b": 6})]
    write_jsonl(tmp_path / "d.jsonl", items, newline="\r\n")
    (tmp_path / "d.jsonl").write_bytes(b"\xef\xbb\xbf" + (tmp_path / "d.jsonl").read_bytes())
    assert prepare(spec("d.jsonl", "t", "y"), tmp_path, seed=1).counts == {"a": 6, "b": 6}


def test_a_column_named_twice_is_an_error(tmp_path):
    write_csv(tmp_path / "d.csv", [("x", "a", "y")], header=("text", "label", "text"))
    with pytest.raises(
        DataError, match=r"the column 'text' for the text appears 2 times \(columns 1, 3\)"
    ):
        prepare(spec("d.csv"), tmp_path, seed=1)


def test_short_rows_and_blank_lines(tmp_path):
    good = "\n".join(f"t{i},{'ab'[i % 2]}" for i in range(12))
    (tmp_path / "d.csv").write_text(f"text,label\n{good}\n\nonly text\n,\n\n")
    d = prepare(spec("d.csv"), tmp_path, seed=1)
    assert (total(d), d.dropped_empty) == (12, 2)


# --- CSV field sizes ----------------------------------------------------------------


def test_a_field_over_128_kb_reads(tmp_path):
    long = "word " * 40_000  # 200 KB, over csv's default limit of 131,072
    write_csv(tmp_path / "d.csv", [(f"{long}{i}", "ab"[i % 2]) for i in range(12)])
    d = prepare(spec("d.csv"), tmp_path, seed=1)
    assert total(d) == 12
    assert csv.field_size_limit() == 131_072  # put back after reading


def test_a_field_over_1_mib_is_an_error_at_its_line(tmp_path):
    rows = [*make_rows(2), ("x" * (data_mod.FIELD_LIMIT + 1), "sport"), *make_rows(2, seed=1)]
    write_csv(tmp_path / "d.csv", rows)
    with pytest.raises(DataError) as exc:
        prepare(spec("d.csv"), tmp_path, seed=1)
    assert str(exc.value).startswith(
        f"{tmp_path / 'd.csv'}:8: a field longer than 1,048,576 characters (1 MiB)"
    )
    assert csv.field_size_limit() == 131_072


def test_an_open_quote_is_an_error_at_the_line_it_opens(tmp_path):
    body = "\n".join(f"t{i},a" for i in range(5))
    filler = "\n".join("x" * 1000 for _ in range(1100))  # over 1 MiB inside the open quote
    (tmp_path / "d.csv").write_text(f'text,label\n{body}\n"oops,b\n{filler}\n')
    with pytest.raises(DataError, match=r"d\.csv:7: a field longer than .* is a quote left open\?"):
        prepare(spec("d.csv"), tmp_path, seed=1)


# --- files that are no regular file -----------------------------------------------


def test_a_folder_as_the_source_is_an_error(tmp_path):
    (tmp_path / "d.csv").mkdir()
    with pytest.raises(DataError) as exc:
        prepare(spec("d.csv"), tmp_path, seed=1)
    assert str(exc.value) == (
        f"{tmp_path / 'd.csv'}: is a folder, not a data file (routes.dataset.source): "
        "name a .csv or .jsonl file"
    )


def test_a_path_under_a_file_is_no_such_file(tmp_path):
    write_csv(tmp_path / "d.csv", make_rows(10))
    with pytest.raises(DataError, match=r"d\.csv/x\.csv: no such data file"):
        prepare(spec("d.csv/x.csv"), tmp_path, seed=1)


def _within(seconds, call):
    """call() in a daemon thread: what it raised or returned, or a failure if it blocks."""
    out: dict[str, object] = {}

    def target():
        try:
            out["value"] = call()
        except BaseException as exc:
            out["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still reading after {seconds} s"
    return out


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "d.csv")
    out = _within(10, lambda: prepare(spec("d.csv"), tmp_path, seed=1))
    assert isinstance(out.get("error"), DataError)
    assert "d.csv: not a regular file (a pipe, socket or device" in str(out["error"])


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="no /dev/null")
def test_a_device_is_refused_without_reading_it(tmp_path):
    (tmp_path / "d.csv").symlink_to("/dev/null")  # /dev/zero would never end: not read at all
    out = _within(10, lambda: prepare(spec("d.csv"), tmp_path, seed=1))
    assert "d.csv: not a regular file" in str(out.get("error"))


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_an_error(tmp_path):
    write_csv(tmp_path / "d.csv", make_rows(10)).chmod(0)
    with pytest.raises(DataError, match=r"d\.csv: cannot read the data file \(Permission denied\)"):
        prepare(spec("d.csv"), tmp_path, seed=1)


def test_a_file_that_cannot_be_opened_is_an_error(tmp_path, monkeypatch):
    path = write_csv(tmp_path / "d.csv", make_rows(10))
    real_os_open, real_io_open = os.open, io.open

    def refuse(real):
        def opener(file, *args, **kwargs):
            if str(file) == str(path):
                raise PermissionError(13, "Permission denied", str(file))
            return real(file, *args, **kwargs)

        return opener

    monkeypatch.setattr(os, "open", refuse(real_os_open))
    monkeypatch.setattr(io, "open", refuse(real_io_open))  # the old reader's way in
    with pytest.raises(DataError) as exc:
        prepare(spec("d.csv"), tmp_path, seed=1)
    assert str(exc.value) == f"{path}: cannot read the data file (Permission denied)"


# --- bytes that are not UTF-8 -----------------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "line", "content"),
    [
        (".csv", 2, b"text,label\ncaf\xe9 news,sport\n"),
        (".csv", 30_002, b"text,label\n" + b"the news,sport\n" * 30_000 + b"bad \xff,tech\n"),
        (".csv", 3, b"text,label\na,b\ncaf\xc3"),  # cut off inside a character at the end
        (".jsonl", 2, b'{"t": "a", "y": "b"}\n{"t": "caf\xe9", "y": "b"}\n'),
    ],
)
def test_bytes_that_are_not_utf8_are_reported_at_their_line(tmp_path, suffix, line, content):
    (tmp_path / f"d{suffix}").write_bytes(content)
    columns = ("t", "y") if suffix == ".jsonl" else ("text", "label")
    with pytest.raises(DataError) as exc:
        prepare(spec(f"d{suffix}", *columns), tmp_path, seed=1)
    bad = next(b for b in content.splitlines()[line - 1] if b >= 0x80)
    assert str(exc.value) == (
        f"{tmp_path / f'd{suffix}'}:{line}: the file is not UTF-8 (byte 0x{bad:02X}); save it as UTF-8"
    )


def test_a_character_across_the_locators_chunks_is_not_an_error(tmp_path):
    head = b"text,label\n" + b"x" * ((1 << 20) - 12) + b",a\n"  # the euro sign crosses 1 MiB
    content = head[: (1 << 20) - 1] + "€".encode() + head[(1 << 20) - 1 :] + b"\xe9,b\n"
    (tmp_path / "d.csv").write_bytes(content)
    with pytest.raises(DataError, match=r"d\.csv:3: the file is not UTF-8 \(byte 0xE9\)"):
        prepare(spec("d.csv"), tmp_path, seed=1)


# --- splitting ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("classes", "each", "needed"),
    [(2, 5, 12), (3, 5, 22), (5, 5, 42), (5, 8, 42), (6, 7, 52), (10, 5, 92), (20, 5, 192)],
)
def test_too_few_examples_for_the_splits_says_how_many_are_needed(tmp_path, classes, each, needed):
    write_csv(tmp_path / "d.csv", rows_of({f"c{c}": each for c in range(classes)}))
    with pytest.raises(DataError) as exc:
        prepare(spec("d.csv"), tmp_path, seed=1)
    n = classes * each
    assert str(exc.value) == (
        f"d.csv: {n} examples are too few for {classes} classes: the validation (10%) and "
        f"test (20%) splits need one example of every class each, which takes at least "
        f"{needed} examples in all; add {needed - n} more or merge classes"
    )


@pytest.mark.parametrize(
    ("classes", "each", "sizes"),
    [(2, 6, (7, 2, 3)), (3, 10, (21, 3, 6)), (5, 9, (31, 5, 9)), (10, 10, (70, 10, 20))],
)
def test_just_enough_examples_split(tmp_path, classes, each, sizes):
    write_csv(tmp_path / "d.csv", rows_of({f"c{c}": each for c in range(classes)}))
    d = prepare(spec("d.csv"), tmp_path, seed=1)
    assert (len(d.train), len(d.validation), len(d.test)) == sizes
    assert set(d.train.labels) == set(range(classes))


def _sklearn_splits(counts: list[int], seed: int) -> bool:
    """Whether the two stratified splits go through in scikit-learn itself."""
    from sklearn.model_selection import train_test_split

    y = [c for c, n in enumerate(counts) for _ in range(n)]
    try:
        _, _, y_rest, _ = train_test_split(y, y, test_size=0.2, random_state=seed, stratify=y)
        train_test_split(y_rest, y_rest, test_size=0.1 / 0.8, random_state=seed, stratify=y_rest)
    except ValueError:
        return False
    return True


@FAST
@given(
    counts=st.lists(st.integers(1, 40), min_size=2, max_size=12),
    seed=st.integers(0, 2**16),
    max_train=st.none() | st.integers(-2, 400),
)
def test_any_class_counts_give_data_or_a_data_error(counts, seed, max_train):
    with tempfile.TemporaryDirectory() as tmp:
        write_csv(Path(tmp) / "d.csv", rows_of({f"c{c}": n for c, n in enumerate(counts)}))
        try:
            d = prepare(spec("d.csv"), Path(tmp), seed=seed, max_train=max_train)
        except DataError as exc:
            d, message = None, str(exc)
    if d is None and "routes.limits.max_train_samples" in message:
        assert max_train is not None and max_train < len(counts)
        return
    if min(counts) < 5:
        assert d is None and "each class needs at least 5" in message
        return
    assert (d is not None) == _sklearn_splits(counts, seed)  # the check is exact
    if d is None:
        assert "examples are too few for" in message
    if d is not None:
        assert total(d) - len(d.train) + d.full_train == sum(counts)
        assert len(d.train) == min(d.full_train, max_train or d.full_train)
        assert set(d.train.labels) == set(range(len(counts)))


# --- max_train_samples --------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            0,
            "routes.limits.max_train_samples is 0; it must be at least the number of classes (one training example of each)",
        ),
        (
            -5,
            "routes.limits.max_train_samples is -5; it must be at least the number of classes (one training example of each)",
        ),
        (
            1,
            "routes.limits.max_train_samples is 1, fewer than the 3 classes; it must be at least 3 so that every class keeps a training example",
        ),
        (
            2,
            "routes.limits.max_train_samples is 2, fewer than the 3 classes; it must be at least 3 so that every class keeps a training example",
        ),
        (
            2.5,
            "routes.limits.max_train_samples must be a whole number of training examples, not 2.5",
        ),
        (
            True,
            "routes.limits.max_train_samples must be a whole number of training examples, not True",
        ),
        (
            "40",
            "routes.limits.max_train_samples must be a whole number of training examples, not '40'",
        ),
    ],
)
def test_a_bad_max_train_samples_is_one_line_naming_it(tmp_path, value, message):
    write_csv(tmp_path / "d.csv", make_rows(20))
    with pytest.raises(DataError) as exc:
        prepare(spec("d.csv"), tmp_path, seed=1, max_train=value)
    assert str(exc.value) == message


@pytest.mark.parametrize("cap", [3, 4, 10, 40, 41, 42, 43, 100])
def test_max_train_samples_from_the_classes_to_past_the_data(tmp_path, cap):
    write_csv(tmp_path / "d.csv", make_rows(20))  # 60 rows: 42 to train, 6 validation, 12 test
    d = prepare(spec("d.csv"), tmp_path, seed=1, max_train=cap)
    assert (d.full_train, len(d.train), len(d.validation), len(d.test)) == (42, min(cap, 42), 6, 12)
    assert Counter(d.train.labels).keys() == {0, 1, 2}


def test_a_small_cap_on_unbalanced_classes_keeps_every_class(tmp_path):
    write_csv(tmp_path / "d.csv", rows_of({"big": 300, "small": 6, "tiny": 5}))
    for cap in range(3, 12):
        d = prepare(spec("d.csv"), tmp_path, seed=3, max_train=cap)
        assert len(d.train) == cap and set(d.train.labels) == {0, 1, 2}


def test_the_cap_is_seeded(tmp_path):
    write_csv(tmp_path / "d.csv", make_rows(20))
    first = prepare(spec("d.csv"), tmp_path, seed=5, max_train=41)
    again = prepare(spec("d.csv"), tmp_path, seed=5, max_train=41)
    assert first.train == again.train


# --- streaming --------------------------------------------------------------------


def test_reading_keeps_only_the_cleaned_pairs(tmp_path):
    """Peak memory of prepare() on a ~3 MB CSV stays near the cleaned texts: 1.5x the file
    (the old reader held the whole text, its lines and every raw dict row at once: 3.9x)."""
    import sklearn.model_selection  # noqa: F401 - its import is not the reading

    rows = [(f"{i} " + "lorem ipsum dolor sit amet " * 12, "abcde"[i % 5]) for i in range(10_000)]
    path = write_csv(tmp_path / "d.csv", rows)
    size = path.stat().st_size
    tracemalloc.start()
    try:
        d = prepare(spec("d.csv"), tmp_path, seed=1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert total(d) == 10_000
    assert peak < 2 * size, f"peak {peak / size:.2f}x the file"


# --- properties -----------------------------------------------------------------

PIECES = [*SEPARATORS, "\n", "\r", "\r\n", '"', ",", " ", "\ufeff", "<b>", "&amp;", "\x00"]
texts = st.lists(
    st.characters(exclude_categories=("Cs",)) | st.sampled_from(PIECES), max_size=20
).map("".join)
json_labels = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts
)


def expected_label(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value == math.floor(value):
        return str(int(value))
    return value if isinstance(value, str) else repr(value)


@FAST
@given(
    rows=st.lists(st.tuples(texts, json_labels), max_size=30),
    bom=st.booleans(),
    crlf=st.booleans(),
)
def test_csv_rows_read_back_exactly(rows, bom, crlf):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.csv"
        with path.open("w", newline="", encoding="utf-8-sig" if bom else "utf-8") as fh:
            # csv.writer quotes a field with a lone \r only when its line ends have one
            w = csv.writer(
                fh,
                lineterminator="\r\n" if crlf else "\n",
                quoting=csv.QUOTE_MINIMAL if crlf else csv.QUOTE_ALL,
            )
            w.writerow(["text", "label"])
            w.writerows(rows)
        written = [(t, "" if y is None else str(y)) for t, y in rows]
        read = load_rows(spec("d.csv"), Path(tmp))
    assert read == written
    got = data_mod.examples(iter(read))
    want = data_mod.examples(iter(written))
    assert (got.texts, got.labels, got.empty, got.dupes) == (
        want.texts,
        want.labels,
        want.empty,
        want.dupes,
    )


@FAST
@given(
    items=st.lists(
        st.fixed_dictionaries({}, optional={"t": st.none() | texts, "y": json_labels, "z": texts}),
        max_size=30,
    ),
    ascii_only=st.booleans(),
    newline=st.sampled_from(["\n", "\r\n"]),
)
def test_jsonl_rows_read_back_exactly(items, ascii_only, newline):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.jsonl"
        lines = [json.dumps(i, ensure_ascii=ascii_only) for i in items]
        path.write_text(newline.join(lines), encoding="utf-8", newline="")
        try:
            read = load_rows(spec("d.jsonl", "t", "y"), Path(tmp))
        except DataError as exc:
            assert not any("t" in i for i in items) or not any("y" in i for i in items)
            assert "no column '" in str(exc)
            return
    assert read == [(i.get("t") or "", expected_label(i.get("y"))) for i in items]


PREFIXES = [b"", b"text,label\n", b"\xef\xbb\xbftext,label\r\n", b'{"text": "a b", "label": 0}\n']


@FAST
@given(
    prefix=st.sampled_from(PREFIXES),
    body=st.binary(max_size=300)
    | st.lists(
        st.sampled_from(
            [
                b'"',
                b",",
                b"\n",
                b"\r",
                b"{",
                b"}",
                b":",
                b"[",
                b"\xe2\x80\xa8",
                b"\xff",
                b"0",
                b"a",
                b'"text"',
                b'"label"',
            ]
        ),
        max_size=60,
    ).map(b"".join),
    suffix=st.sampled_from([".csv", ".jsonl", ".ndjson"]),
)
def test_any_bytes_give_data_or_a_data_error(prefix, body, suffix):
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / f"d{suffix}").write_bytes(prefix + body)
        try:
            load_rows(spec(f"d{suffix}"), Path(tmp))
            prepare(spec(f"d{suffix}"), Path(tmp), seed=1)
        except DataError:
            pass
