"""Appending a run record to the plan's `measured` list without touching anything else.

The record is written as YAML by ruamel.yaml and spliced into the file's text after the
last entry of `measured`, so every other byte of the file — comments, key order, quoting,
indentation — stays exactly as the founder wrote it. The result is parsed again and
checked before it replaces the file (atomically, under a lock, so two runs cannot
interleave their updates).
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

from ventureplan.planner.atomic import locked, write_atomic
from ventureplan.planner.errors import VenturePlanError

TOP_KEY = re.compile(r"^[A-Za-z_][\w-]*\s*:", re.MULTILINE)
FLOW = (
    "versions",
    "data",
    "hyperparameters",
    "metrics",
    "intervals",
    "goals",
    "training",
    "forecast",
)


class WriteBackError(VenturePlanError):
    """The record could not be added to the plan; the plan is unchanged."""


def record_yaml(record: dict[str, Any]) -> str:
    """The record as one block-list entry indented under `measured:`, small maps in flow style."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    def flow(value: Any) -> Any:
        if isinstance(value, dict):
            m = CommentedMap((k, flow(v)) for k, v in value.items())
            m.fa.set_flow_style()
            return m
        if isinstance(value, list | tuple):
            s = CommentedSeq(flow(v) for v in value)
            s.fa.set_flow_style()
            return s
        return value

    item = CommentedMap((k, flow(v) if k in FLOW else v) for k, v in record.items())
    yaml = YAML(typ="rt")
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    buf = io.StringIO()
    yaml.dump({"measured": [item]}, buf)
    return buf.getvalue().split("\n", 1)[1]  # drop the `measured:` line


def splice(text: str, entry: str) -> str:
    """`text` with `entry` (block-list lines) appended to the top-level `measured` list."""
    keys = list(TOP_KEY.finditer(text))
    spot = next((i for i, m in enumerate(keys) if m.group().rstrip(": \t") == "measured"), None)
    if spot is None:
        return text + ("" if text.endswith("\n") else "\n") + "measured:\n" + entry
    start = keys[spot].start()
    end = keys[spot + 1].start() if spot + 1 < len(keys) else len(text)
    block = text[start:end]
    head, _, rest = block.partition("\n")
    value = head.split(":", 1)[1].split("#", 1)[0].strip()
    if value == "[]":  # `measured: []` becomes a block list
        comment = head[head.index("#") :] if "#" in head else ""
        new = "measured:" + (f"  {comment}" if comment else "") + "\n" + entry + rest
    elif value:
        raise WriteBackError(
            "`measured` is written inline; write it as a block list (one `- run:` per line) "
            "so records can be added"
        )
    else:
        # after the list's last line; blank lines and column-0 comments below it stay below
        lines = block.split("\n")
        last = max(
            (i for i, ln in enumerate(lines) if i == 0 or (ln.strip() and ln[0] in " \t-")),
            default=0,
        )
        new = "\n".join(lines[: last + 1]) + "\n" + entry + "\n".join(lines[last + 1 :])
    return text[:start] + new + text[end:]


def append_record(plan: Path, record: dict[str, Any]) -> None:
    """Append `record` to the plan's `measured` list, atomically and under a lock."""
    with locked(plan):
        text = plan.read_text("utf-8")
        if plan.suffix.lower() == ".json":
            data = json.loads(text)
            data.setdefault("measured", []).append(record)
            write_atomic(plan, json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
            return
        new = splice(text, record_yaml(record))
        _verify(text, new, record)
        write_atomic(plan, new)


def _verify(old: str, new: str, record: dict[str, Any]) -> None:
    from ruamel.yaml import YAML

    load = YAML(typ="safe", pure=True).load
    before, after = load(old), load(new)
    added = after.get("measured") or []
    previous = before.get("measured") or []
    if (
        added[: len(previous)] != previous
        or len(added) != len(previous) + 1
        or added[-1]["run"] != record["run"]
    ):
        raise WriteBackError(
            "adding the record would change more than the `measured` list; the plan is unchanged"
        )
    if {k: v for k, v in after.items() if k != "measured"} != {
        k: v for k, v in before.items() if k != "measured"
    }:
        raise WriteBackError(
            "adding the record would change the plan outside `measured`; the plan is unchanged"
        )
