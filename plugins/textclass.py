"""The built-in route kind `text-classification`: fine-tune a transformer encoder.

Its parameters (the `route_parameters` hook) come from the runner's own tables: the allowed
value of each hyperparameter is runner/train.py's HYPERPARAMETERS and its default the
runner's Config, so `check` and `run` accept the same plans. Nothing here imports torch:
runner.train and runner.data import it only inside the functions that train.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model
from ventureplan.planner import hookimpl
from ventureplan.planner.defaults import LANGUAGES
from ventureplan.planner.errors import Finding
from ventureplan.planner.hookspecs import RouteParameters, RouteServer
from ventureplan.planner.model import Plan, Route
from ventureplan.planner.records import (
    METRICS,
    OPTIMIZATION_METRICS,
    SERVING_METRICS,
    OptimizationRecord,
    Options,
    Record,
    TrainingRecord,
)
from ventureplan.planner.report import labels, lint, lint_text, with_texts

if TYPE_CHECKING:
    from ventureplan.runner.train import Allowed

KIND = "text-classification"

# What each hyperparameter does, for the schema (editors show it on hover).
HELP = {
    "learning_rate": "AdamW's peak learning rate, reached after the warmup, then lowered linearly.",
    "batch_size": "Training examples in one batch.",
    "epochs": "Passes over the training data (fewer when early stopping ends the run).",
    "max_length": "Tokens kept of each text, the rest cut off; at most what the model takes.",
    "seed": "Seeds the data split, the batch order, dropout and the new classification head.",
    "warmup_ratio": "Share of the optimiser steps over which the learning rate rises from 0.",
    "weight_decay": "AdamW's weight decay (biases and LayerNorm weights are not decayed).",
    "gradient_accumulation": "Batches whose gradients add up to one optimiser step.",
    "patience": "Epochs without a better validation score before training stops.",
    "eval_batch_size": "Examples in one batch when evaluating.",
    "dropout": "Dropout of the encoder's hidden states and attention weights (the model's "
    "own when left out).",
    "freeze_layers": "The first N encoder layers keep their pretrained weights (0: all train).",
}


def _run(plan: Plan, route: Route, path: Path, options: Options) -> Record | None:
    from ventureplan.runner.run import run_text_classification  # torch loads only when a run starts

    return run_text_classification(plan, route, path, options)


def _validator(allowed: Allowed) -> Any:
    """The runner's own rule for one value (Allowed.problem), as a Pydantic validator."""

    def check(value: Any) -> Any:
        problem = allowed.problem(value)
        if problem is not None:
            raise ValueError(problem)
        return allowed.parse(value)

    return BeforeValidator(check)


@cache
def hyperparameter_model() -> type[BaseModel]:
    """One combination of a text-classification route's hyperparameters, built from the
    runner's HYPERPARAMETERS (the rule and range of each) and Config (the defaults)."""
    from ventureplan.runner.train import HYPERPARAMETERS, Config

    defaults = Config()
    fields: dict[str, Any] = {}
    for name, allowed in HYPERPARAMETERS.items():
        text = HELP.get(name, name.replace("_", " ").capitalize() + ".")
        field = Field(
            description=f"{text} Allowed: {allowed.describe()}.",
            gt=allowed.low if allowed.low_open else None,
            ge=None if allowed.low_open else allowed.low,
            lt=allowed.high if allowed.high_open else None,
            le=None if allowed.high_open else allowed.high,
        )
        # The bounds on the type (the schema shows them); the runner's rule runs before them.
        kind = Annotated[allowed.kind, field, _validator(allowed)]  # type: ignore[name-defined]
        fields[name] = (kind, getattr(defaults, name))
    model: type[BaseModel] = create_model(
        "TextClassificationHyperparameters",
        __config__=ConfigDict(extra="forbid"),
        __doc__="Training settings of a text-classification route (routes[].hyperparameters; "
        "each routes[].search list or range holds values of one of them).",
        **fields,
    )
    return model


class TextClassificationLimits(BaseModel):
    """Caps for a quick rehearsal of a text-classification route (routes[].limits)."""

    model_config = ConfigDict(extra="forbid")

    max_train_samples: int | None = Field(
        None,
        ge=1,
        description="Train on at most this many examples (a stratified sample that keeps "
        "every class); at least the number of classes.",
    )


def check_route(plan: Plan, route: Route, base: Path) -> list[Finding]:
    """What the parameter models cannot see: the search grid as a whole (runner/train.py's
    check_grid) and the data file, read no further than its header."""
    from ventureplan.runner.train import check_grid

    found = [Finding("search", p.message, path=p.path) for p in check_grid(route)]
    return found + check_data(route, base, plan.language)


def check_data(route: Route, base: Path, lang: str = "en") -> list[Finding]:
    """The route's data file: a warning where the chosen route's file does not exist yet,
    an error where `run` would refuse the file or cannot find its text or label column.
    The findings speak `lang` (what the runner says of a file stays as it words it)."""
    from ventureplan.runner import data

    source = ("dataset", "source")
    try:
        header = data.read_header(route.dataset, base)
    except data.NoDataFile as missing:
        if not route.chosen:  # another route's data may well come later
            return []
        try:
            looked = missing.path.absolute()
        except OSError:  # the working folder is gone
            looked = missing.path
        return [
            lint(
                "data-missing",
                lang,
                "data-missing",
                "data-missing.fix",
                {"source": route.dataset.source, "looked": looked},
                severity="warning",
                path=source,
            )
        ]
    except data.DataError as exc:
        return [Finding("data-file", str(exc), path=source)]
    if header is None:  # a built-in data set, or a first line too long to look at
        return []
    found = []
    for field, what in (("text", "text"), ("label", "label")):
        problem = header.problem(getattr(route.dataset, field), what)
        if problem is not None:
            fix = {k: lint_text(k, "data-columns.fix", {"field": field, "what": _word(k, what)})
                   for k in LANGUAGES}  # fmt: skip
            finding = Finding(
                "data-columns",
                problem,
                severity="error" if header.complete else "warning",
                path=("dataset", field),
                hint=fix.get(lang, fix["en"]),
            )
            # the runner words the problem (in English); the hint is ours, in every language
            found.append(with_texts(finding, {k: (problem, fix[k]) for k in LANGUAGES}))
    return found


def _word(lang: str, key: str) -> str:
    return str(labels(lang)["lints"][key])


@hookimpl
def route_kinds() -> dict[str, Any]:
    return {KIND: _run}


@hookimpl
def route_parameters() -> dict[str, Any]:
    return {
        KIND: RouteParameters(
            hyperparameters=hyperparameter_model(),
            limits=TextClassificationLimits,
            metrics=tuple(dict.fromkeys(METRICS + OPTIMIZATION_METRICS + SERVING_METRICS)),
            check=check_route,
            description="Fine-tune a transformer encoder to put each text in one class.",
        )
    }


def _optimize(
    plan: Plan, route: Route, path: Path, source: TrainingRecord, runs: Path
) -> OptimizationRecord:
    from ventureplan.runner.optimize import optimize_text_classification  # torch loads here

    return optimize_text_classification(plan, route, path, source, runs)


@hookimpl
def route_optimizers() -> dict[str, Any]:
    return {KIND: _optimize}


def _api(path: Path, host: str, port: int, keys_file: Path | None, log_texts: bool) -> None:
    from ventureplan.runner import served  # the serve extra loads here

    served.api(path, host, port, keys_file, log_texts)


def _deploy(
    plan: Plan, route: Route, record: Any, runs: Path, out: Path, force: bool
) -> list[Path]:
    from ventureplan.runner import served

    return served.deploy(plan, route, record, runs, out, force)


def _loadtest(
    plan: Plan,
    route: Route,
    path: Path,
    record: Any,
    training: Any,
    runs: Path,
    concurrency: int,
    duration: float,
    url: str | None,
) -> Any:
    from ventureplan.runner.loadtest import loadtest

    return loadtest(
        plan,
        route,
        path,
        record,
        training,
        runs,
        concurrency=concurrency,
        duration=duration,
        url=url,
    )


@hookimpl
def route_servers() -> dict[str, Any]:
    return {KIND: RouteServer(api=_api, deploy=_deploy, loadtest=_loadtest)}
