"""Model folders and a real API server in a subprocess, for test_serve.py."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

LABELS = ["business", "entertainment", "politics", "sport", "tech"]
KEY = "test-key-" + "k3Y5ecr3t" * 4  # long and distinctive, so a leak is easy to find
OTHER_KEY = "other-key-" + "0therSecr3t" * 4
REVOKED_KEY = "revoked-key-" + "R3v0ked" * 5
PYTHON = sys.executable
REPO = Path(__file__).resolve().parents[2]

# A sitecustomize.py that refuses every import of ventureplan, torch and transformers, so
# a copied server.py proves that an ONNX model needs none of them.
GUARD = """
import importlib.abc, sys

class Guard(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"ventureplan", "torch", "transformers"}:
            raise ModuleNotFoundError(f"No module named {name!r} (refused by the test)")
        return None

sys.meta_path.insert(0, Guard())
sys.stderr.write("import guard on\\n")
"""


def serving(**overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "run": "20270212T101500Z-newslens-opt",
        "variant": "fp32",
        "format": "onnx",
        "labels": LABELS,
        "max_length": 32,
        "max_batch": 8,
        "max_wait_ms": 50.0,
        "max_texts": 20,
        "max_chars": 200,
        "threads": 1,
    }
    config.update(overrides)
    return config


def write_serving(folder: Path, **overrides: Any) -> dict[str, Any]:
    config = serving(**overrides)
    (folder / "serving.json").write_text(json.dumps(config, indent=2) + "\n")
    return config


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def auth(key: str = KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@dataclass
class Server:
    """A server process started with `command`, its output in files (a pipe could fill
    up and block it), and a client for it."""

    command: list[str]
    folder: Path
    env: dict[str, str]
    cwd: Path = REPO
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_timeout: float = 60.0) -> Server:
        self.stdout_path = self.folder.parent / f"{self.folder.name}-{self.port}.out"
        self.stderr_path = self.folder.parent / f"{self.folder.name}-{self.port}.err"
        argv = [*self.command, "--host", "127.0.0.1", "--port", str(self.port)]
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=err, env=self.env, cwd=self.cwd)
        self.wait_ready(ready_timeout)
        return self

    def wait_ready(self, timeout: float) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"the server exited with {self.proc.returncode}:\n{self.stderr()}"
                )
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"the server was not ready in {timeout} s:\n{self.stderr()}")

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10, **kwargs)

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM by pid, and the exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            raise

    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def log_lines(self, at_least: int = 0, timeout: float = 5.0) -> list[dict[str, Any]]:
        """The request log, every line parsed; waits for `at_least` lines, since a line is
        written just after its answer is sent."""
        deadline = time.monotonic() + timeout
        while True:
            lines = [json.loads(line) for line in self.stdout().splitlines() if line.strip()]
            if len(lines) >= at_least or time.monotonic() > deadline:
                return lines
            time.sleep(0.01)


def server_env(keys: str | None = KEY) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VENTUREPLAN_")}
    if keys is not None:
        env["VENTUREPLAN_API_KEYS"] = keys
    env["PYTHONUNBUFFERED"] = "1"
    return env


def module_command(folder: Path, *args: str) -> list[str]:
    return [PYTHON, "-m", "ventureplan.runner.serve", str(folder), *args]


def metric_samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a Prometheus text exposition, by name and labels."""
    from prometheus_client.parser import text_string_to_metric_families

    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def sample(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)
