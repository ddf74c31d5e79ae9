"""The files a run leaves in runs/<id>/: the best model as safetensors with its tokenizer,
and JSON for the record, the per-class report, the confusion matrix, the search and the
resolved configuration."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ventureplan.planner.atomic import write_atomic
from ventureplan.planner.model import Route
from ventureplan.planner.records import TrainingRecord

from .train import Config


def write(
    folder: Path,
    tokenizer: Any,
    model: Any,
    record: TrainingRecord,
    report: dict[str, Any],
    search: list[dict[str, Any]],
    route: Route,
    cfg: Config,
) -> None:
    model.cpu().save_pretrained(folder / "model", safe_serialization=True)
    tokenizer.save_pretrained(folder / "model")
    files = {
        "metrics.json": record.document(),  # the same record the plan gets
        "per_class.json": report["per_class"],
        "confusion_matrix.json": {
            "classes": list(model.config.id2label.values()),
            "matrix": report["confusion_matrix"],
        },
        "search.json": search,
        "config.json": {
            "route": route.model_dump(mode="json"),
            "resolved": asdict(cfg),
            "env": {"threads": os.cpu_count()},
        },
    }
    for name, content in files.items():
        text = json.dumps(content, indent=2, ensure_ascii=False, default=str)
        write_atomic(folder / name, text + "\n")
