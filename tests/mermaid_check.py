"""Check Mermaid diagrams with the real Mermaid parser (tests/mermaid/check.mjs, under Node).

    from tests.mermaid_check import check

    results = check({"timeline": "gantt\\n  dateFormat YYYY-MM-DD\\n  ..."})
    assert results["timeline"]["ok"], results["timeline"]["error"]

Each result is the dict check.mjs reports: ok, error, type, and for a gantt the tasks
Mermaid computes (start/end as YYYY-MM-DD, end exclusive) and the ids an `after`/`until`
names that are no task (unresolved_after, unresolved_until). Needs Node and `npm ci` run in
the repository root.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHECKER = ROOT / "tests" / "mermaid" / "check.mjs"
TIMEOUT_S = 120


def available() -> bool:
    """Whether Node and the npm packages the checker needs are installed."""
    return shutil.which("node") is not None and (ROOT / "node_modules" / "mermaid").is_dir()


def check(diagrams: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Check every diagram in one Node process; return the results keyed by id."""
    if not (ROOT / "node_modules" / "mermaid").is_dir():
        raise RuntimeError(
            f"Mermaid is not installed: run `npm ci` in the repository root ({ROOT})"
        )
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("Node.js is not on PATH: the Mermaid checker needs `node` (v20+)")
    items = [{"id": key, "text": text} for key, text in diagrams.items()]
    proc = subprocess.run(
        [node, str(CHECKER)],
        input=json.dumps(items),
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        env={**os.environ, "TZ": "UTC"},
        timeout=TIMEOUT_S,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"{CHECKER.relative_to(ROOT)} failed (exit {proc.returncode}):\n{proc.stderr}"
        )
    results = json.loads(proc.stdout)
    return {result["id"]: result for result in results}
