"""Writing files so that a crash never leaves half a file behind."""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import VenturePlanError


def output_path(path: Path, inputs: Iterable[Path] = ()) -> Path:
    """Check, before any work, that an output can go to `path`: a file (a link is followed,
    so the link stays), in a folder that exists, that is not one of the command's inputs."""
    target = Path(os.path.realpath(path))
    if target.is_dir():
        raise VenturePlanError(f"{path} is a folder; name a file to write")
    if not target.parent.is_dir():
        raise VenturePlanError(f"folder {path.parent} does not exist")
    for source in inputs:
        if os.path.realpath(source) == str(target):
            raise VenturePlanError(
                f"{path} is the input {source}; writing there would replace it, "
                "so choose another file"
            )
    if not os.access(target.parent, os.W_OK) or (
        target.exists() and not os.access(target, os.W_OK)
    ):
        raise VenturePlanError(f"cannot write {path}: permission denied")
    return target


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write to a temporary file in the same folder, fsync it, then rename over `path`.
    A symbolic link is followed (the link stays a link); an OS failure is a one-line
    VenturePlanError and leaves what was there."""
    path = Path(os.path.realpath(path))
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        _write(path, raw)
    except OSError as exc:
        raise VenturePlanError(f"cannot write {path}: {exc.strerror or exc}") from None


# Temporary files being written now: Ctrl-C ends the process at once (cli/entry.py) and
# removes these first, so an interrupt leaves neither a torn file nor a stray temporary one.
PENDING: set[str] = set()


def discard_pending() -> None:
    for tmp in list(PENDING):
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _write(path: Path, raw: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    PENDING.add(tmp)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    finally:
        PENDING.discard(tmp)
    with contextlib.suppress(OSError):  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


@contextlib.contextmanager
def locked(path: str | Path) -> Iterator[None]:
    """Hold an exclusive lock beside `path` (a `.NAME.lock` file) for a read-modify-write."""
    path = Path(path)
    lock = path.with_name(f".{path.name}.lock")
    with open(lock, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
