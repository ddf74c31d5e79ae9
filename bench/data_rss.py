"""Peak memory of reading a large CSV: the old loader (the whole file read into one string,
split with splitlines, every raw dict row kept) against runner/data.py's streaming reader.

Both run the same `data.prepare` (clean, de-duplicate, check, split) on the same generated
file, each in a fresh process, and report that process's peak RSS (ru_maxrss); only the
reader differs.

    python bench/data_rss.py               # a ~200 MB CSV (about a minute)
    python bench/data_rss.py --mb 20       # smaller
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def generate(path: Path, mb: float, seed: int = 0) -> int:
    """A CSV of about `mb` MB: unique texts of 40-80 words, some with quoted commas and
    newlines, in five classes. Returns the number of rows."""
    rng = random.Random(seed)
    words = [
        "".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(3, 9))) for _ in range(5000)
    ]
    labels = ["business", "entertainment", "politics", "sport", "tech"]
    target, rows = int(mb * 1_000_000), 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "label"])
        while fh.tell() < target:
            body = " ".join(rng.choices(words, k=rng.randint(40, 80)))
            if rows % 10 == 0:
                body += ', "quoted", and\na second line'
            w.writerow([f"{rows} {body}", labels[rows % 5]])
            rows += 1
    return rows


def old_rows(spec, base):  # type: ignore[no-untyped-def]
    """The reader before the streaming change (CSV only): whole-file read + splitlines."""
    path = Path(spec.source)
    path = path if path.is_absolute() else base / path
    text = path.read_text("utf-8")
    reader = csv.DictReader(text.splitlines())
    rows = list(reader)
    return [(str(r.get(spec.text) or ""), str(r.get(spec.label) or "")) for r in rows]


def child(which: str, path: str) -> None:
    import sklearn.model_selection  # noqa: F401 - imported before the baseline, like prepare does
    from ventureplan.planner.model import Dataset
    from ventureplan.runner import data

    base_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if which == "old":
        data.iter_rows = old_rows  # type: ignore[assignment]
    started = time.perf_counter()
    d = data.prepare(Dataset(source=path, text="text", label="label"), Path("."), seed=13)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kept = len(d.train) + len(d.validation) + len(d.test)
    print(f"{base_kb} {peak_kb} {seconds:.2f} {kept}")


def measure(which: str, path: Path) -> tuple[float, float, float, int]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", which, str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    base_kb, peak_kb, seconds, kept = int(out[0]), int(out[1]), float(out[2]), int(out[3])
    return base_kb / 1024, peak_kb / 1024, seconds, kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=200, help="size of the generated CSV")
    parser.add_argument("--child", nargs=2, metavar=("WHICH", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.csv"
        rows = generate(path, args.mb)
        size = path.stat().st_size / 2**20
        print(f"CSV: {size:,.0f} MiB, {rows:,} rows, five classes")
        results = {which: measure(which, path) for which in ("old", "new")}
    print(
        f"{'reader':<34} {'peak RSS MiB':>12} {'after imports':>13} {'growth':>8} {'seconds':>8} {'kept':>9}"
    )
    for which, label in (
        ("old", "old: read_text + splitlines"),
        ("new", "new: streamed csv, newline=''"),
    ):
        base, peak, seconds, kept = results[which]
        print(
            f"{label:<34} {peak:>12,.0f} {base:>13,.0f} {peak - base:>8,.0f} {seconds:>8.1f} {kept:>9,}"
        )
    (ob, op, _, _), (nb, np_, _, _) = results["old"], results["new"]
    print(
        f"old / new peak RSS: {op / np_:.2f}x; growth over the imports: {(op - ob) / (np_ - nb):.2f}x"
    )
    print(f"growth per MiB of file: old {(op - ob) / size:.2f}, new {(np_ - nb) / size:.2f}")


if __name__ == "__main__":
    main()
