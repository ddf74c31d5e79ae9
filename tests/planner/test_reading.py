"""What `check` is pointed at is read safely: devices, pipes and folders are refused
without reading from them or blocking, and a huge file is refused after MAX_BYTES."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from ventureplan.planner.source import MAX_BYTES


def check(path, timeout=60):
    return subprocess.run(
        [sys.executable, "-m", "ventureplan.planner.cli", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_a_device_is_refused_without_reading_it(device):
    proc = check(device)
    assert proc.returncode == 1
    assert proc.stderr == (
        f"{device}:1:1: error: this is a device, pipe or socket, not a plan file\n"
    )


def test_a_fifo_does_not_block(tmp_path):
    fifo = tmp_path / "plan.yaml"
    os.mkfifo(fifo)
    proc = check(fifo, timeout=30)  # a blocking open would hang here
    assert proc.returncode == 1
    assert "this is a device, pipe or socket, not a plan file" in proc.stderr


def test_a_folder_and_a_huge_file(tmp_path):
    proc = check(tmp_path)
    assert proc.returncode == 1 and "this is a folder, not a plan file" in proc.stderr
    huge = tmp_path / "huge.yaml"
    with open(huge, "wb") as fh:
        fh.truncate(MAX_BYTES * 4)  # sparse: 256 MiB on paper
    proc = check(huge)
    assert proc.returncode == 1
    assert proc.stderr == f"{huge}:1:1: error: the file is over 64 MiB, the most a plan may be\n"
