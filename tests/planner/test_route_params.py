"""`check` on the search of issue 12 §1: each end of a range {low, high, log} is a value of
its hyperparameter, a range on a hyperparameter that is not a number is an error, dropout
and freeze_layers are hyperparameters (check takes what run takes), and search_trials
needs a range, each error at its line and column (tests/plugins/test_route_params.py has
the rest of the route checks)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict
from ventureplan.planner import hookimpl, pipeline
from ventureplan.planner.load import load_plan
from ventureplan.planner.plugin_manager import Manager
from ventureplan.runner.train import check_hyperparameters

from tests.conftest import with_data

HYPER = "    hyperparameters: {learning_rate: 1.0e-4, epochs: 2}\n"  # line 31 of small.yaml
INT = "an integer in 1..65536"


def route_lines(plan: Path, *lines: str) -> Path:
    """The chosen route's hyperparameters line (31) replaced by `lines`, from line 31 on."""
    text = plan.read_text()
    assert text.count(HYPER) == 1
    plan.write_text(text.replace(HYPER, "".join(f"    {line}\n" for line in lines)))
    return plan


def errors(plan: Path, cli) -> list[str]:
    code, out, err = cli("check", plan)
    assert code == 1, out
    assert "Traceback" not in err
    lines = err.strip().split("\n")
    if len(lines) > 1:
        assert lines[-1] == f"{plan}: invalid, {len(lines) - 1} errors"
        lines = lines[:-1]
    return [line.removeprefix(f"{plan}:") for line in lines]


def runner_paths(plan: Path) -> list[str]:
    """Where runner/train.py's own check (what `run` refuses) finds problems."""
    route = load_plan(plan).plan.routes[0]
    return [str(p).split(":", 1)[0] for p in check_hyperparameters(route)]


def test_each_end_of_a_range_is_a_value_of_its_hyperparameter(cli, small_plan):
    route_lines(
        with_data(small_plan),
        HYPER.strip(),
        "search:",
        "  batch_size: {low: 0, high: 64}",
        "  warmup_ratio: {low: 0.5, high: 2}",
        "  epochs: {low: 1, high: 2.5}",
        "  learning_rate: {low: 1.0e-5, high: 1.0e-2, log: true}",
    )
    assert errors(small_plan, cli) == [
        f"33:25: error: routes[0].search.batch_size.low: 0 is out of range; allowed: {INT}",
        "34:38: error: routes[0].search.warmup_ratio.high: 2.0 is out of range; allowed: a "
        "finite number in [0, 1]",
        "35:30: error: routes[0].search.epochs.high: 2.5 is not a whole number; allowed: an "
        "integer in 1..10000",
    ]
    assert runner_paths(small_plan) == [
        "routes.search.batch_size.low",
        "routes.search.warmup_ratio.high",
        "routes.search.epochs.high",
    ]


def test_dropout_and_freeze_layers_are_checked_as_run_checks_them(cli, small_plan):
    route_lines(
        with_data(small_plan),
        "hyperparameters: {learning_rate: 1.0e-4, dropout: 1.5, freeze_layers: -1}",
        "search: {dropout: [0.1, 1], freeze_layers: {low: 0, high: 2.5}}",
    )
    assert errors(small_plan, cli) == [
        "31:55: error: routes[0].hyperparameters.dropout: 1.5 is out of range; allowed: a "
        "finite number in [0, 1)",
        "31:75: error: routes[0].hyperparameters.freeze_layers: -1 is out of range; allowed: "
        "an integer in 0..10000",
        "32:29: error: routes[0].search.dropout[1]: 1 is out of range; allowed: a finite "
        "number in [0, 1)",
        "32:63: error: routes[0].search.freeze_layers.high: 2.5 is not a whole number; "
        "allowed: an integer in 0..10000",
    ]
    assert runner_paths(small_plan) == [
        "routes.hyperparameters.dropout",
        "routes.hyperparameters.freeze_layers",
        "routes.search.dropout[1]",
        "routes.search.freeze_layers.high",
    ]


def test_valid_ranges_dropout_and_freeze_layers_pass(cli, small_plan):
    route_lines(
        with_data(small_plan),
        "hyperparameters: {learning_rate: 1.0e-4, dropout: 0, freeze_layers: 3}",
        "search: {learning_rate: {low: 1.0e-5, high: 1.0e-3, log: true}, batch_size: [8, 16],",
        "         dropout: {low: 0, high: 0.5}}",
        "search_trials: 4",
    )
    code, out, err = cli("check", small_plan)
    assert (code, err) == (0, "")
    # one warning: the small plan's risk names no impact (risk-affects-nothing)
    assert out.strip().endswith("is valid: 3 tasks, 1 risk, 1 goal; 1 warning")


def test_a_range_whose_low_is_not_below_its_high_is_a_located_plan_error(cli, small_plan):
    # the plan model refuses it (SearchRange) before any route check
    route_lines(
        with_data(small_plan), HYPER.strip(), "search: {learning_rate: {low: 0.1, high: 0.01}}"
    )
    (line,) = errors(small_plan, cli)
    assert line == "32:29: error: routes[0].search.learning_rate: low (0.1) < high (0.01) must hold"


def test_search_trials_without_a_range(cli, small_plan):
    route_lines(
        with_data(small_plan), HYPER.strip(), "search: {batch_size: [8, 16]}", "search_trials: 5"
    )
    assert errors(small_plan, cli) == [
        "33:20: error: routes[0].search_trials: 5 trials, but routes.search has no range to "
        "draw them from (a grid of lists trains each combination once); drop search_trials or "
        "give a range {low, high}"
    ]


class Tagging(BaseModel):
    """A third party's hyperparameters: one of them a string."""

    model_config = ConfigDict(extra="forbid")

    scheme: str = "bio"
    beams: int = 1


class TaggingKind:
    @hookimpl
    def route_kinds(self):
        return {"tagging": lambda plan, route, path, options: None}

    @hookimpl
    def route_parameters(self):
        return {"tagging": Tagging}


@pytest.fixture
def tagging(monkeypatch):
    pm = Manager()
    pm.load_entry_points()
    pm.register(TaggingKind(), name="tagging")
    monkeypatch.setattr(pipeline, "get_plugin_manager", lambda: pm)


def test_a_range_of_a_hyperparameter_that_is_not_a_number(cli, small_plan, tagging):
    text = small_plan.read_text().replace(
        "    model: builtin:minilm-l6\n", "    task: tagging\n    model: m\n"
    )
    small_plan.write_text(text)
    route_lines(
        small_plan,
        "hyperparameters: {beams: 2}",
        "search: {scheme: {low: 1, high: 2}, beams: {low: 1, high: 4.5}}",
    )
    assert [e for e in errors(small_plan, cli) if "routes[0].search" in e] == [
        "33:22: error: routes[0].search.scheme: a range {low, high} draws numbers, but "
        "`scheme` is not a number; give a list of the values to try",
        "33:63: error: routes[0].search.beams.high: must be a valid integer, got a number with "
        "a fractional part, got 4.5",
    ]
