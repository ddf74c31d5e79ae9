"""Each route is checked against what its kind takes (the `route_parameters` hook): the
hyperparameters, every search value and the limits against the kind's models, the goal
metrics it measures, and, for the built-in kind, the data file's header. `check` now says
what `run` would refuse, at its line; a kind without a model is not checked, and a plugin
whose models or check raise is a warning naming it."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field, field_validator
from ventureplan.planner import hookimpl, pipeline
from ventureplan.planner import schema as schema_mod
from ventureplan.planner.errors import Finding, format_path
from ventureplan.planner.hookspecs import RouteParameters
from ventureplan.planner.load import load_plan
from ventureplan.planner.plugin_manager import Manager
from ventureplan.runner.train import HYPERPARAMETERS, check_hyperparameters

from tests.conftest import GOOD, with_data

HYPER = "    hyperparameters: {learning_rate: 1.0e-4, epochs: 2}\n"  # line 31 of small.yaml
INT = "an integer in 1..65536"


def edit(plan: Path, old: str, new: str) -> Path:
    text = plan.read_text()
    assert text.count(old) == 1, old
    plan.write_text(text.replace(old, new))
    return plan


def route_lines(plan: Path, *lines: str) -> Path:
    """The chosen route's hyperparameters line (31) replaced by `lines`, from line 31 on."""
    return edit(plan, HYPER, "".join(f"    {line}\n" for line in lines))


def errors(plan: Path, cli) -> list[str]:
    code, out, err = cli("check", plan)
    assert code == 1, out
    assert "Traceback" not in err
    lines = err.strip().split("\n")
    if len(lines) > 1:
        assert lines[-1] == f"{plan}: invalid, {len(lines) - 1} errors"
        lines = lines[:-1]
    return [line.removeprefix(f"{plan}:") for line in lines]


def findings(plan: Path, cli) -> tuple[int, list[dict]]:
    code, out, err = cli("check", "--json", plan)
    assert code in (0, 1) and err == ""
    # The small plan's risk names no schedule or cost impact: its risk-affects-nothing
    # warning (tests/plugins/test_affects_nothing.py) is not what this file is about.
    return code, [f for f in json.loads(out)["findings"] if f["code"] != "risk-affects-nothing"]


# --- the built-in kind: hyperparameters, search, limits ----------------------------------


def test_a_misspelt_hyperparameter_gets_did_you_mean(cli, small_plan):
    route_lines(with_data(small_plan), "hyperparameters:", "  learning_rte: 1.0e-4", "  epochs: 2")
    assert errors(small_plan, cli) == [
        "32:7: error: routes[0].hyperparameters.learning_rte: unknown field `learning_rte`; "
        "did you mean `learning_rate`?"
    ]


def test_dropout_and_freeze_layers_are_hyperparameters_the_runner_knows(cli, small_plan):
    # DESIGN §8 names them; the runner honours them, so check takes them as run does
    # (their bad values: tests/planner/test_route_params.py).
    route_lines(
        with_data(small_plan),
        "hyperparameters: {dropout: 0.2}",
        "search: {freeze_layers: [2, 4]}",
    )
    code, out, err = cli("check", small_plan)
    assert (code, err) == (0, "")
    assert {"dropout", "freeze_layers"} <= set(HYPERPARAMETERS)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('"32x"', f"'32x' is a string, not a number; allowed: {INT}"),
        ("2.7", f"2.7 is not a whole number; allowed: {INT}"),
        ("0", f"0 is out of range; allowed: {INT}"),
        ("true", f"True is a yes/no value, not a number; allowed: {INT}"),
        ("1e400", f"inf is not a finite number; allowed: {INT}"),
    ],
)
def test_a_hyperparameter_value_is_checked_by_the_runners_rule(cli, small_plan, value, message):
    route_lines(with_data(small_plan), "hyperparameters:", f"  batch_size: {value}")
    assert errors(small_plan, cli) == [
        f"32:19: error: routes[0].hyperparameters.batch_size: {message}"
    ]


def test_epochs_of_2_7_and_a_learning_rate_of_0(cli, small_plan):
    route_lines(with_data(small_plan), "hyperparameters: {learning_rate: 0, epochs: 2.7}")
    assert errors(small_plan, cli) == [
        "31:38: error: routes[0].hyperparameters.learning_rate: 0 is out of range; "
        "allowed: a finite number in (0, 10]",
        "31:49: error: routes[0].hyperparameters.epochs: 2.7 is not a whole number; "
        "allowed: an integer in 1..10000",
    ]


def test_every_search_value_and_the_grid_are_checked(cli, small_plan):
    route_lines(
        with_data(small_plan),
        HYPER.strip(),
        "search:",
        "  batch_size: [16, 0, '64']",
        "  seed: []",
        "  learning_rte: [1.0e-5]",
    )
    assert errors(small_plan, cli) == [
        f"33:24: error: routes[0].search.batch_size[1]: 0 is out of range; allowed: {INT}",
        f"33:27: error: routes[0].search.batch_size[2]: '64' is a string, not a number; "
        f"allowed: {INT}",
        "34:13: error: routes[0].search.seed: an empty list; give one value or more",
        "35:7: error: routes[0].search.learning_rte: unknown field `learning_rte`; "
        "did you mean `learning_rate`?",
    ]


def test_a_grid_of_too_many_combinations(cli, small_plan):
    values = ", ".join(str(n) for n in range(1, 40))
    route_lines(with_data(small_plan), f"search: {{batch_size: [{values}], seed: [{values}]}}")
    assert errors(small_plan, cli) == [
        "31:13: error: routes[0].search: 1521 combinations, each one model to train; "
        "at most 1000 are allowed"
    ]


def test_a_misspelt_limit_and_a_limit_below_one(cli, small_plan):
    route_lines(with_data(small_plan), HYPER.strip(), "limits: {max_train_sample: 400}")
    assert errors(small_plan, cli) == [
        "32:14: error: routes[0].limits.max_train_sample: unknown field `max_train_sample`; "
        "did you mean `max_train_samples`?"
    ]
    edit(small_plan, "max_train_sample: 400", "max_train_samples: 0")
    assert errors(small_plan, cli) == [
        "32:33: error: routes[0].limits.max_train_samples: must be greater than or equal to 1, "
        "got 0"
    ]


def test_valid_values_pass_as_run_takes_them(cli, small_plan):
    route_lines(
        with_data(small_plan),
        "hyperparameters: {learning_rate: 1, batch_size: 8.0, epochs: 1e3, seed: 0}",
        "search: {warmup_ratio: [0, 0.5, 1]}",
        "limits: {max_train_samples: 5}",
    )
    code, out, err = cli("check", small_plan)
    assert (code, err) == (0, "")
    # one warning: the small plan's risk names no impact (risk-affects-nothing)
    assert out.strip().endswith("is valid: 3 tasks, 1 risk, 1 goal; 1 warning")


# --- goal metrics -----------------------------------------------------------------------


def test_a_goal_metric_the_route_cannot_measure(cli, small_plan):
    edit(with_data(small_plan), "metric: macro_f1", "metric: f1")
    assert errors(small_plan, cli) == [
        "21:13: error: goals[0].metric: route 'minilm' (text-classification) measures this goal "
        "but cannot measure 'f1'; it measures: accuracy, macro_f1, weighted_f1, train_hours, "
        "cost, samples_per_second, latency_p50_ms, latency_p95_ms, throughput_per_s, "
        "model_size_mb, params_millions, latency_p99_ms, error_rate, cost_per_1k_requests (fix: "
        "use one of those, or take 'g-quality' out of the route's measures)"
    ]
    edit(small_plan, "metric: f1", "metric: macro-f1")
    assert errors(small_plan, cli)[0].endswith("(fix: did you mean `macro_f1`?)")


# --- the data file ----------------------------------------------------------------------


def test_the_chosen_routes_missing_data_file_is_a_warning(cli, small_plan):
    code, out, err = cli("check", small_plan)
    assert (code, err) == (0, "")
    assert out.split("\n")[:2] == [
        f"{small_plan}:30:23 warning routes[0].dataset.source: the data file tickets.csv does "
        "not exist yet; `ventureplan run` needs it",
        f"    fix: add it as {small_plan.parent / 'tickets.csv'}, or fix the path (relative to "
        "the plan's folder)",
    ]
    # and the small plan's risk names no impact (risk-affects-nothing)
    assert out.strip().endswith("is valid: 3 tasks, 1 risk, 1 goal; 2 warnings")


def test_another_routes_missing_data_file_is_not_reported(cli, small_plan):
    edit(small_plan, "source: tickets.csv, text", "source: builtin:bbc-news, text")
    code, found = findings(small_plan, cli)
    assert code == 0
    assert "data-missing" not in {f["code"] for f in found}


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("tickets.csv", "id,body,category\n1,hello,a\n"),
        ("tickets.csv", "\ufeffid,body,category\r\n"),  # Excel's byte-order mark
        ("tickets.jsonl", '{"id": 1, "body": "hello", "category": "a"}\n\n{"id": 2}\n'),
    ],
    ids=["csv", "csv-bom", "jsonl"],
)
def test_a_data_file_without_the_named_columns(cli, small_plan, name, content):
    (small_plan.parent / name).write_text(content, "utf-8")
    edit(small_plan, "source: tickets.csv, text", f"source: {name}, text")
    edit(small_plan, "dataset: {source: tickets.csv}", f"dataset: {{source: {name}}}")
    columns = "'id', 'body', 'category'"
    assert errors(small_plan, cli) == [
        f"30:{31 + len(name)}: error: routes[0].dataset.text: {name} has no column 'text' for "
        f"the text; columns: {columns} (fix: set dataset.text to the column that holds the text)",
        f"30:{44 + len(name)}: error: routes[0].dataset.label: {name} has no column 'label' for "
        f"the label; columns: {columns} (fix: set dataset.label to the column that holds the "
        "label)",
        # the other route takes the default columns, text and label: placed on its dataset
        f"35:14: error: routes[1].dataset.text: {name} has no column 'text' for the text; "
        f"columns: {columns} (fix: set dataset.text to the column that holds the text)",
        f"35:14: error: routes[1].dataset.label: {name} has no column 'label' for the label; "
        f"columns: {columns} (fix: set dataset.label to the column that holds the label)",
    ]


def test_a_csv_column_named_twice(cli, small_plan):
    (small_plan.parent / "tickets.csv").write_text("text,label,text\n")
    edit(small_plan, "dataset: {source: tickets.csv}", "dataset: {source: builtin:bbc-news}")
    assert errors(small_plan, cli) == [
        "30:42: error: routes[0].dataset.text: the column 'text' for the text appears 2 times in "
        "tickets.csv (columns 1, 3); rename all but one "
        "(fix: set dataset.text to the column that holds the text)"
    ]


def test_only_the_header_of_a_large_file_is_read(cli, small_plan, monkeypatch):
    from ventureplan.runner import data

    monkeypatch.setattr(data, "HEADER_BYTES", 64)
    path = small_plan.parent / "tickets.jsonl"
    path.write_text('{"text": "a", "label": "x"}\n' * 10 + '{"text": "' + "b" * 200 + '"}\n')
    edit(with_data(small_plan), "source: tickets.csv, text", "source: tickets.jsonl, text")
    code, found = findings(small_plan, cli)
    assert code == 0 and found == []
    # A column not among the objects read may still come later: a warning, not an error.
    edit(small_plan, "text: text, label: label", "text: body, label: label")
    code, found = findings(small_plan, cli)
    assert code == 0
    assert [(f["severity"], f["path"], f["message"]) for f in found] == [
        (
            "warning",
            "routes[0].dataset.text",
            "tickets.jsonl has no column 'body' for the text in the first 2 objects; "
            "columns: 'text', 'label'",
        )
    ]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda p: p.mkdir(),
            "tickets.csv: is a folder, not a data file (routes.dataset.source): "
            "name a .csv or .jsonl file",
        ),
        (
            lambda p: p.write_bytes(b"text,label\n\xff\n"),
            "tickets.csv:2: the file is not UTF-8 (byte 0xFF); save it as UTF-8",
        ),
        (lambda p: p.write_text('{"text": "a", "label": "b"}\n'), ""),
    ],
    ids=["folder", "latin-1", "json-in-a-csv"],
)
def test_a_data_file_run_would_refuse(cli, small_plan, make, message):
    make(small_plan.parent / "tickets.csv")
    edit(small_plan, "dataset: {source: tickets.csv}", "dataset: {source: builtin:bbc-news}")
    code, found = findings(small_plan, cli)
    where = [(f["code"], f["path"], f["line"], f["column"]) for f in found]
    if not message:  # JSON text in a .csv: one column, named as the first line says
        assert code == 1 and [w[:2] for w in where] == [
            ("data-columns", "routes[0].dataset.text"),
            ("data-columns", "routes[0].dataset.label"),
        ]
        return
    assert code == 1
    assert where == [("data-file", "routes[0].dataset.source", 30, 23)]
    assert found[0]["message"] == message  # the file as the plan names it


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs are POSIX")
def test_a_fifo_as_data_file_is_refused_without_blocking(cli, small_plan):
    import os

    os.mkfifo(small_plan.parent / "tickets.csv")
    code, found = findings(small_plan, cli)
    assert code == 1
    assert [(f["code"], f["path"]) for f in found] == [
        ("data-file", "routes[0].dataset.source"),
        ("data-file", "routes[1].dataset.source"),
    ]
    assert "not a regular file" in found[0]["message"]


def test_a_data_file_of_another_format(cli, small_plan):
    edit(small_plan, "source: tickets.csv, text", "source: tickets.parquet, text")
    code, found = findings(small_plan, cli)
    assert code == 1
    (f,) = [f for f in found if f["severity"] == "error"]
    assert (f["path"], f["line"], f["column"]) == ("routes[0].dataset.source", 30, 23)
    assert f["message"] == "tickets.parquet: use a .csv or .jsonl file, or builtin:bbc-news"


# --- route kinds --------------------------------------------------------------------------


def test_an_unknown_route_kind_is_a_warning(cli, small_plan):
    edit(
        with_data(small_plan),
        "    model: sklearn-tfidf\n",
        "    task: text-clasification\n    model: sklearn-tfidf\n",
    )
    code, out, err = cli("check", small_plan)
    assert (code, err) == (0, "")
    assert out.split("\n")[:2] == [
        f"{small_plan}:34:11 warning routes[1].task: no installed plugin runs route kind "
        "'text-clasification', so `ventureplan run` cannot run this route",
        "    fix: did you mean `text-classification`?",
    ]


class Summary(BaseModel):
    """A third party's hyperparameters."""

    model_config = ConfigDict(extra="forbid")

    temperature: float = Field(1.0, ge=0, le=2)
    beams: int = 1

    @field_validator("beams")
    @classmethod
    def few(cls, value: int) -> int:
        if value > 8:
            raise ValueError(f"{value} beams are too many; at most 8")
        return value


class SummaryLimits(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_documents: int | None = None


class SummaryKind:
    checked: list[str] = []  # noqa: RUF012

    @hookimpl
    def route_kinds(self):
        return {"summarisation": lambda plan, route, path, options: None}

    @hookimpl
    def route_parameters(self):
        def check(plan, route, base):
            SummaryKind.checked.append(route.id)
            return [Finding("summary-model", "not a seq2seq model", "warning", ("model",))]

        return {
            "summarisation": RouteParameters(
                hyperparameters=Summary,
                limits=SummaryLimits,
                metrics=("rouge_l",),
                check=check,
                description="Summarise documents.",
            )
        }


class BareKind:
    """A kind described by a bare Pydantic model: its hyperparameters alone."""

    @hookimpl
    def route_kinds(self):
        return {"translation": lambda plan, route, path, options: None}

    @hookimpl
    def route_parameters(self):
        class Translation(BaseModel):
            model_config = ConfigDict(extra="forbid")
            beam_size: int = 4

        return {"translation": Translation}


class OldKind:
    """A kind from before the hook: a runner and nothing else."""

    @hookimpl
    def route_kinds(self):
        return {"echo": lambda plan, route, path, options: None}


class Raising:
    """A check that raises, and an answer that is no description."""

    @hookimpl
    def route_kinds(self):
        return {"flaky": lambda plan, route, path, options: None}

    @hookimpl
    def route_parameters(self):
        def check(plan, route, base):
            raise RuntimeError("no disk")

        return {"flaky": RouteParameters(check=check), "bad": 42}


class RaisingModel:
    """A model whose validator raises what Pydantic does not turn into a validation error."""

    @hookimpl
    def route_kinds(self):
        return {"typed": lambda plan, route, path, options: None}

    @hookimpl
    def route_parameters(self):
        class Typed(BaseModel):
            n: int = 0

            @field_validator("n")
            @classmethod
            def boom(cls, value: int) -> int:
                raise TypeError("not a ValueError")

        return {"typed": Typed}


@pytest.fixture
def plugins(monkeypatch):
    """Register plugins beside the built-in ones, for check and schema."""

    def register(**extra):
        pm = Manager()
        pm.load_entry_points()
        for name, plugin in extra.items():
            pm.register(plugin, name=name)
        monkeypatch.setattr(pipeline, "get_plugin_manager", lambda: pm)
        monkeypatch.setattr(schema_mod, "get_plugin_manager", lambda: pm)
        return pm

    return register


def test_a_third_party_kind_is_checked_by_its_own_models(cli, small_plan, plugins):
    plugins(summary=SummaryKind())
    SummaryKind.checked.clear()
    edit(small_plan, "    model: builtin:minilm-l6\n", "    task: summarisation\n    model: t5\n")
    edit(
        small_plan,
        HYPER,
        "    hyperparameters: {temperature: 3, beams: four, tempreature: 1}\n"
        "    search: {beams: [2, 16], learning_rate: [0.1]}\n"
        "    limits: {max_documents: 10, max_train_samples: 5}\n",
    )
    assert errors(small_plan, cli) == [
        "21:13: error: goals[0].metric: route 'minilm' (summarisation) measures this goal but "
        "cannot measure 'macro_f1'; it measures: rouge_l "
        "(fix: use one of those, or take 'g-quality' out of the route's measures)",
        "32:36: error: routes[0].hyperparameters.temperature: must be less than or equal to 2, "
        "got 3",
        "32:46: error: routes[0].hyperparameters.beams: must be a valid integer, unable to parse "
        "string as an integer, got 'four'",
        "32:52: error: routes[0].hyperparameters.tempreature: unknown field `tempreature`; "
        "did you mean `temperature`?",
        "33:25: error: routes[0].search.beams[1]: 16 beams are too many; at most 8",
        "33:30: error: routes[0].search.learning_rate: unknown field `learning_rate` "
        "(fix: known fields: temperature, beams)",
        "34:33: error: routes[0].limits.max_train_samples: unknown field `max_train_samples` "
        "(fix: known fields: max_documents)",
    ]
    assert SummaryKind.checked == ["minilm"]  # its own check ran, the built-in one did not
    code, found = findings(small_plan, cli)
    model = [f for f in found if f["code"] == "summary-model"]
    assert [(f["path"], f["line"], f["plugin"]) for f in model] == [
        ("routes[0].model", 30, "summary")
    ]


def test_a_bare_model_describes_the_hyperparameters(cli, small_plan, plugins):
    plugins(bare=BareKind())
    edit(small_plan, "    model: builtin:minilm-l6\n", "    task: translation\n    model: m\n")
    edit(small_plan, HYPER, "    hyperparameters: {beam_sise: 2}\n")
    assert errors(small_plan, cli) == [
        "32:23: error: routes[0].hyperparameters.beam_sise: unknown field `beam_sise`; "
        "did you mean `beam_size`?"
    ]


def test_a_kind_without_a_model_is_not_checked(cli, small_plan, plugins):
    plugins(old=OldKind())
    edit(small_plan, "    model: builtin:minilm-l6\n", "    task: echo\n    model: m\n")
    edit(small_plan, HYPER, "    hyperparameters: {anything: goes, epochs: 2.7}\n")
    edit(small_plan, "metric: macro_f1", "metric: f1")
    code, found = findings(small_plan, cli)
    assert code == 0
    assert found == []  # no data check either: that is the built-in kind's


def test_a_plugin_whose_parameters_raise_is_a_warning_naming_it(cli, small_plan, plugins):
    plugins(raising=Raising(), model=RaisingModel())
    edit(with_data(small_plan), "    model: builtin:minilm-l6\n", "    task: flaky\n    model: m\n")
    edit(
        small_plan,
        "    model: sklearn-tfidf\n    dataset: {source: tickets.csv}\n",
        "    task: typed\n    model: m\n    dataset: {source: x.csv}\n    hyperparameters: {n: 1}\n",
    )
    code, found = findings(small_plan, cli)
    assert code == 0
    assert sorted((f["code"], f["severity"], f["plugin"], f["message"]) for f in found) == [
        ("plugin-failed", "warning", "model", "plugin 'model' raised TypeError: not a ValueError"),
        (
            "plugin-failed",
            "warning",
            "raising",
            "plugin 'raising' answered route_parameters with route kind 'bad': int, not "
            "RouteParameters or a Pydantic model",
        ),
        ("plugin-failed", "warning", "raising", "plugin 'raising' raised RuntimeError: no disk"),
    ]


# --- the schema ---------------------------------------------------------------------------


def _as_json(text: str):
    from ruamel.yaml import YAML

    return json.loads(json.dumps(YAML(typ="safe", pure=True).load(text), default=str))


def test_the_schema_holds_each_kinds_parameters(cli, plugins):
    plugins(summary=SummaryKind(), old=OldKind())
    code, out, err = cli("schema")
    assert code == 0 and err == ""
    schema = json.loads(out)
    jsonschema.Draft202012Validator.check_schema(schema)
    defs = schema["$defs"]
    kind = defs["route-kind:text-classification"]
    assert kind["x-ventureplan-metrics"] == [
        "accuracy",
        "macro_f1",
        "weighted_f1",
        "train_hours",
        "cost",
        "samples_per_second",
        "latency_p50_ms",
        "latency_p95_ms",
        "throughput_per_s",
        "model_size_mb",
        "params_millions",
        "latency_p99_ms",
        "error_rate",
        "cost_per_1k_requests",
    ]
    hyper = defs[kind["properties"]["hyperparameters"]["$ref"].rsplit("/", 1)[-1]]
    assert hyper["additionalProperties"] is False
    assert set(hyper["properties"]) == set(HYPERPARAMETERS)
    rate = hyper["properties"]["learning_rate"]
    assert (rate["type"], rate["exclusiveMinimum"], rate["maximum"], rate["default"]) == (
        "number",
        0,
        10,
        5e-05,
    )
    assert hyper["properties"]["batch_size"]["type"] == "integer"
    seed = kind["properties"]["search"]["properties"]["seed"]["anyOf"]
    assert seed[0]["items"]["maximum"] == 2**32 - 1
    assert seed[1]["required"] == ["low", "high"]  # a number may be searched over a range
    assert "max_train_samples" in defs["RouteKind.TextClassificationLimits"]["properties"]
    assert defs["route-kind:summarisation"]["description"] == (
        "Summarise documents. Goal metrics it measures: rouge_l."
    )
    assert "route-kind:echo" not in defs  # a kind without a model adds nothing
    rules = {r["if"]["properties"]["task"]["const"]: r for r in defs["Route"]["allOf"]}
    # A route without `task` is of the default kind; any other kind must be named.
    assert "required" not in rules["text-classification"]["if"]
    assert rules["summarisation"]["if"]["required"] == ["task"]
    assert rules["summarisation"]["then"] == {"$ref": "#/$defs/route-kind:summarisation"}

    validator = jsonschema.Draft202012Validator(schema)
    small = (GOOD / "small.yaml").read_text()
    assert not list(validator.iter_errors(_as_json(small)))
    for bad in (
        "{learning_rte: 1.0e-4, epochs: 2}",
        "{learning_rate: 1.0e-4, epochs: 2.7}",
        '{learning_rate: 1.0e-4, epochs: "2"}',
    ):
        plan = _as_json(small.replace("{learning_rate: 1.0e-4, epochs: 2}", bad))
        assert list(validator.iter_errors(plan)), bad
    summary = _as_json(
        small.replace(
            "    model: builtin:minilm-l6\n", "    task: summarisation\n    model: t\n"
        ).replace("{learning_rate: 1.0e-4, epochs: 2}", "{temperature: 1.5}")
    )
    assert not list(validator.iter_errors(summary))
    summary["routes"][0]["hyperparameters"] = {"temperature": 3}
    assert list(validator.iter_errors(summary))
    ranged = _as_json(small)
    ranged["routes"][0]["search"] = {"learning_rate": {"low": 1e-5, "high": 1e-3, "log": True}}
    ranged["routes"][0]["search_trials"] = 4
    ranged["routes"][0]["optimize"] = {"prune": [0.3], "export": "onnx", "quantize": "int8"}
    assert not list(validator.iter_errors(ranged))  # what `check` accepts, the editor does
    ranged["routes"][0]["search"] = {"learning_rate": {"low": 1e-5}}
    assert list(validator.iter_errors(ranged))


def test_check_imports_no_torch(small_plan):
    code = (
        "import sys\n"
        "from ventureplan.planner import pipeline\n"
        "from ventureplan.planner.schema import plan_schema\n"
        f"outcome = pipeline.check({str(small_plan)!r}, iterations=100)\n"
        "plan_schema()\n"
        "codes = [f.code for f in outcome.findings]\n"
        "assert codes == ['data-missing', 'risk-affects-nothing'], outcome.findings\n"
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- any value ------------------------------------------------------------------------------


def _yaml_scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    return json.dumps(value)  # a double-quoted YAML string


names = st.sampled_from([*HYPERPARAMETERS, "learning_rte", "dropout", "max_steps"]) | st.text(
    "abcdefghij_", min_size=1, max_size=12
)
values = st.one_of(
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.text(max_size=8),
    st.sampled_from([0, 1, 2.0, 2.5, 1e-4, 65536, 65537, 2**32, "8", "1e-4"]),
)


@settings(max_examples=60)
@given(
    hyper=st.dictionaries(names, values, max_size=4),
    search=st.dictionaries(names, st.lists(values, max_size=3), max_size=2),
)
def test_any_hyperparameters_give_located_errors_that_run_agrees_with(
    cli, tmp_path_factory, hyper, search
):
    plan = tmp_path_factory.mktemp("any") / "plan.yaml"
    plan.write_text((GOOD / "small.yaml").read_text())
    with_data(plan)
    flow = lambda d: "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in d.items()) + "}"  # noqa: E731
    lines = [f"    hyperparameters: {flow({k: _yaml_scalar(v) for k, v in hyper.items()})}"]
    if search:
        lists = {k: "[" + ", ".join(_yaml_scalar(v) for v in vs) + "]" for k, vs in search.items()}
        lines.append(f"    search: {flow(lists)}")
    edit(plan, HYPER, "\n".join(lines) + "\n")
    code, out, err = cli("check", plan)
    assert code in (0, 1)
    assert "Traceback" not in out + err
    located = re.compile(rf"{re.escape(str(plan))}:(\d+):(\d+): error: ")
    for line in err.strip().split("\n") if code else []:
        if line != f"{plan}: invalid, {len(err.strip().split(chr(10))) - 1} errors":
            m = located.match(line)
            assert m, line
            assert 1 <= int(m.group(1)) <= len(plan.read_text().split("\n"))
    if code == 0:
        assert err == "" and "is valid" in out
    try:
        route = load_plan(plan).plan.routes[0]
    except Exception:  # a value the plan model refuses (null): a located error, seen above
        assert code == 1
        return
    # check finds a problem where run would: the same places as runner/train.py's own check
    outcome = pipeline.check(plan, simulate=False)
    found = {
        f.where
        for f in outcome.findings
        if f.severity == "error"
        and f.where.startswith(("routes[0].hyperparameters", "routes[0].search"))
    }
    assert found == {format_path(("routes", 0, *p.path)) for p in check_hyperparameters(route)}
