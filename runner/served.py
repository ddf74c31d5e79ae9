"""What is served: the model files of a run (an optimisation's chosen variant, a named
variant, or a trained model), with what the API needs to know about them (labels, the
tokenizer's length, the batching), staged as the folder `serve.py` reads.

A model folder for the API holds the model files and `serving.json`; a deployment bundle
carries one as `model/`. A run's own folders are never written to: `stage` makes a new
folder of links to the files beside a fresh serving.json.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ventureplan.planner.errors import VenturePlanError
from ventureplan.planner.model import Serve

SERVING = "serving.json"
PICKLES = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt")


@dataclass
class Target:
    """One model to serve and what the API must know of it."""

    run: str  # the record it comes from (an optimisation, or a training run)
    variant: str | None  # the optimisation's variant; None for a trained model
    folder: Path  # its files
    format: str  # onnx | torch
    labels: list[str]
    max_length: int
    personal_data: bool = False  # the route's data are personal: texts are never logged

    @property
    def name(self) -> str:
        return self.variant or "model"

    def serving(self, serve: Serve, threads: int) -> dict[str, Any]:
        """The serving.json the API reads."""
        return {
            "run": self.run,
            "variant": self.name,
            "format": self.format,
            "labels": self.labels,
            "max_length": self.max_length,
            "max_batch": serve.max_batch,
            "max_wait_ms": serve.max_wait_ms,
            "max_texts": serve.max_texts,
            "max_chars": serve.max_chars,
            "threads": threads,
            **({"personal_data": True} if self.personal_data or serve.personal_data else {}),
        }


def threads_for(serve: Serve) -> int:
    """Model threads for a replica of `serve.cpu` cores: whole cores, at least one."""
    cpu = serve.cpu
    cores = int(cpu[:-1]) / 1000 if cpu.endswith("m") else float(cpu)
    return max(1, int(cores))


def _json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise VenturePlanError(f"{path}: cannot be read ({exc})") from None
    if not isinstance(data, dict):
        raise VenturePlanError(f"{path}: not a JSON object")
    return data


def _training(run_dir: Path) -> tuple[list[str], int, bool]:
    """The labels (in class-index order), the max_length a training run used, and whether
    its route marked the data as personal."""
    if not (run_dir / "model" / "config.json").is_file():
        raise VenturePlanError(
            f"the trained model of run {run_dir.name} is gone (no "
            f"{run_dir / 'model'}/config.json); it names the classes the API answers with"
        )
    config = _json(run_dir / "model" / "config.json")
    raw = config.get("id2label")
    if not isinstance(raw, dict) or not raw:
        raise VenturePlanError(f"{run_dir / 'model' / 'config.json'}: no id2label to name classes")
    try:
        labels = [str(raw[k]) for k in sorted(raw, key=int)]
    except (TypeError, ValueError):
        raise VenturePlanError(
            f"{run_dir / 'model'}: id2label keys are not class numbers"
        ) from None
    length, personal = 128, False
    resolved = run_dir / "config.json"
    if resolved.is_file():
        saved = _json(resolved)
        found = saved.get("resolved", {}).get("max_length")
        if isinstance(found, int) and not isinstance(found, bool) and found > 0:
            length = found
        dataset = saved.get("route", {}).get("dataset", {})
        personal = isinstance(dataset, dict) and dataset.get("personal_data") is True
    return labels, length, personal


def _format(folder: Path) -> str:
    """onnx or torch, from the files; an error names what is missing."""
    if not folder.is_dir():
        raise VenturePlanError(
            f"{folder}: the model files are gone (no such folder); serve another run with "
            "--run, or make them again (`ventureplan run`, `ventureplan optimize`)"
        )
    pickles = sorted(p.name for p in folder.iterdir() if p.suffix in PICKLES)
    if pickles:
        raise VenturePlanError(
            f"{folder}: holds pickle files ({', '.join(pickles)}); ventureplan never loads "
            "them, because unpickling runs code"
        )
    if (folder / "model.onnx").is_file():
        return "onnx"
    if (folder / "config.json").is_file() and (
        (folder / "model.safetensors").is_file() or (folder / "pruned.safetensors").is_file()
    ):
        return "torch"
    raise VenturePlanError(
        f"{folder}: no model to serve (neither model.onnx nor config.json with safetensors)"
    )


def of_run(runs: Path, record: Any, variant: str | None = None) -> Target:
    """The model of a plan's record: a training run's model, or an optimisation's chosen (or
    named) variant."""
    if record.kind == "training":
        if variant is not None:
            raise VenturePlanError(f"run {record.run} is a training run; it has no variants")
        folder = runs / record.run / "model"
        fmt = _format(folder)
        labels, length, personal = _training(runs / record.run)
        return Target(record.run, None, folder, fmt, labels, length, personal)
    if record.kind != "optimization":
        raise VenturePlanError(
            f"run {record.run} is a {record.kind} record; name a training or optimisation run"
        )
    name = variant or record.chosen
    if name is None:
        raise VenturePlanError(
            f"optimisation {record.run} chose no variant (none was within max_metric_drop); "
            "serve its source run or raise max_metric_drop"
        )
    names = [v.name for v in record.variants]
    if name not in names:
        raise VenturePlanError(
            f"optimisation {record.run} has no variant '{name}'; it has {', '.join(names)}"
        )
    folder = runs / record.run / "variants" / name
    fmt = _format(folder)
    labels, length, personal = _training(runs / record.source_run)
    return Target(record.run, name, folder, fmt, labels, length, personal)


def in_folder(path: Path) -> tuple[Target | None, Path]:
    """What `ventureplan api PATH` serves: a bundle (model/serving.json) or any folder with a
    serving.json is served as it is (Target None, the folder); a run folder
    (runs/<id>/: an optimisation's chosen variant, or a training run's model) or a variant
    folder (runs/<id>/variants/<name>/) is resolved to its Target."""
    path = Path(path)
    if not path.is_dir():
        raise VenturePlanError(f"{path}: no such folder (give a run folder, a variant or a bundle)")
    for folder in (path / "model", path):
        if (folder / SERVING).is_file():
            return None, folder
    if path.parent.name == "variants":
        run_dir = path.parent.parent
        record = _json(run_dir / "record.json")
        return _from_document(run_dir.parent, record, path.name), path
    for name in ("record.json", "metrics.json"):
        if (path / name).is_file():
            target = _from_document(path.parent, _json(path / name), None)
            return target, target.folder
    raise VenturePlanError(
        f"{path}: not a run folder, a variant folder or a bundle (no record.json, metrics.json "
        f"or {SERVING})"
    )


def _from_document(runs: Path, document: dict[str, Any], variant: str | None) -> Target:
    from pydantic import TypeAdapter, ValidationError
    from ventureplan.planner.records import Record

    try:
        record = TypeAdapter(Record).validate_python(document)
    except ValidationError as exc:
        msg = exc.errors()[0]["msg"]
        raise VenturePlanError(f"{runs}: the run's record is not valid ({msg})") from None
    return of_run(runs, record, variant)


def stage(target: Target, serving: dict[str, Any], dest: Path) -> Path:
    """A folder the API serves: links to the target's files and its serving.json."""
    dest.mkdir(parents=True, exist_ok=True)
    for f in sorted(target.folder.iterdir()):
        if f.is_file() and f.name != SERVING:
            os.symlink(f.resolve(), dest / f.name)
    (dest / SERVING).write_text(json.dumps(serving, indent=2) + "\n", "utf-8")
    return dest


def api(path: Path, host: str, port: int, keys_file: Path | None, log_texts: bool) -> None:
    """`ventureplan api PATH`: a bundle or a folder with serving.json as it is; a run or
    variant folder staged first (default batching, every core of this machine)."""
    import tempfile

    from . import serve

    target, folder = in_folder(path)
    try:
        if target is None:
            serve.serve(folder, host=host, port=port, keys_file=keys_file, log_texts=log_texts)
            return
        settings = Serve()
        threads = os.cpu_count() or 1
        with tempfile.TemporaryDirectory(prefix="ventureplan-serve-") as tmp:
            staged = stage(target, target.serving(settings, threads), Path(tmp) / "model")
            serve.serve(staged, host=host, port=port, keys_file=keys_file, log_texts=log_texts)
    except serve.ServeError as exc:  # the server's own one-line errors (it imports no ventureplan)
        raise VenturePlanError(str(exc)) from None


def deploy(plan: Any, route: Any, record: Any, runs: Path, out: Path, force: bool) -> list[Path]:
    """The deployment bundle of the record's model (see runner/deploy.py)."""
    from . import deploy as bundle

    target = of_run(runs, record)
    target.personal_data |= route.dataset.personal_data
    if target.format == "torch" and (target.folder / "pruning.json").is_file():
        raise VenturePlanError(
            f"variant {target.name} of run {target.run} is a pruned PyTorch model, which the "
            "bundle's server cannot rebuild on its own; add `export: onnx` to the route's "
            "optimize: section and optimise again, or deploy another run with --run"
        )
    serve = route.serve or Serve()
    written: list[Path] = bundle.write_bundle(
        out,
        model_folder=target.folder,
        serving=target.serving(serve, threads_for(serve)),
        serve=serve,
        name=bundle.k8s_name(route.id),
        versions=bundle.runtime_versions(target.format),
        server_source=Path(__file__).with_name("serve.py"),
        force=force,
    )
    return written
