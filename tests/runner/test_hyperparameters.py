"""Hyperparameters are checked before any work: a bad value of routes.hyperparameters or of a
routes.search list stops `run` with one line naming the field, the value and what is allowed,
before any data is read, any model loaded or anything trained (issue 10 §14)."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from dataclasses import fields
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ventureplan.planner.model import SearchRange
from ventureplan.runner import data as data_mod
from ventureplan.runner import model as model_mod
from ventureplan.runner import run as run_mod
from ventureplan.runner.search import Space
from ventureplan.runner.train import (
    HYPERPARAMETERS,
    MAX_COMBINATIONS,
    Config,
    HyperparameterProblem,
    TrainingError,
    check_hyperparameters,
    check_max_length,
    model_lengths,
    shown,
)

from tests.runner.test_run import run_plan

# The hyperparameters of tests/runner/conftest.py's PLAN, as YAML text.
BASE = {
    "learning_rate": "3.0e-3",
    "batch_size": "8",
    "epochs": "12",
    "max_length": "32",
    "seed": "7",
    "patience": "4",
}
LINE = re.compile(r"hyperparameters: \{.*\}")
KNOWN = (
    "batch_size, dropout, epochs, eval_batch_size, freeze_layers, gradient_accumulation, "
    "learning_rate, max_length, patience, seed, warmup_ratio, weight_decay"
)
INT = "an integer in 1..65536"


def edit(plan, search: str | None = None, drop: tuple[str, ...] = (), **values: str) -> None:
    """Set hyperparameters of the plan (YAML text), drop some, add a search grid."""
    hyper = {k: v for k, v in {**BASE, **values}.items() if k not in drop}
    text = LINE.sub(
        "hyperparameters: {" + ", ".join(f"{k}: {v}" for k, v in hyper.items()) + "}",
        plan.read_text(),
    )
    if search is not None:
        text = text.replace("    measures:", f"    search: {search}\n    measures:")
    plan.write_text(text)


@pytest.fixture
def no_work(monkeypatch):
    """Fails the test if the run reads data, loads a model or trains."""

    def forbidden(what):
        def fail(*args, **kwargs):
            raise AssertionError(f"{what} ran before the hyperparameters were refused")

        return fail

    monkeypatch.setattr(data_mod, "prepare", forbidden("data.prepare"))
    monkeypatch.setattr(model_mod, "load", forbidden("model.load"))
    monkeypatch.setattr(run_mod, "train", forbidden("train"))


@pytest.fixture
def trained(monkeypatch):
    """Records each config that reaches train() and stops the run there."""
    configs: list[Config] = []

    class Reached(Exception):
        pass

    def fake_train(model, tokenizer, train_set, val_set, cfg, *args, **kwargs):
        configs.append(cfg)
        raise Reached

    monkeypatch.setattr(run_mod, "train", fake_train)
    return SimpleNamespace(configs=configs, Reached=Reached)


def refused(cli, plan) -> str:
    """Run the plan through the CLI; it must fail with one error line, train nothing, leave
    no runs/ folder and the plan as it was. Returns the message after `error: `."""
    before = plan.read_text()
    code, out, err = cli("run", plan, "--device", "cpu", "--max-steps", "1")
    assert code == 1 and "Traceback" not in out + err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert not (plan.parent / "runs").exists()
    assert plan.read_text() == before
    return err.removeprefix("error: ").rstrip("\n")


# --- each reproduction of the issue, through the CLI ----------------------------------


BAD_VALUES = [
    (
        {"batch_size": "abc"},
        f"routes.hyperparameters.batch_size: 'abc' is a string, not a number; allowed: {INT}",
    ),
    (
        {"batch_size": "0"},
        f"routes.hyperparameters.batch_size: 0 is out of range; allowed: {INT}",
    ),
    (
        {"seed": "-1"},
        "routes.hyperparameters.seed: -1 is out of range; allowed: an integer in 0..4294967295",
    ),
    (
        {"seed": "4294967296"},
        "routes.hyperparameters.seed: 4294967296 is out of range; allowed: an integer in 0..4294967295",
    ),
    (
        {"learning_rate": ".nan"},
        "routes.hyperparameters.learning_rate: nan is not a finite number; allowed: a finite number in (0, 10]",
    ),
    (
        {"learning_rate": "-1"},
        "routes.hyperparameters.learning_rate: -1 is out of range; allowed: a finite number in (0, 10]",
    ),
    (
        {"learning_rate": "0"},
        "routes.hyperparameters.learning_rate: 0 is out of range; allowed: a finite number in (0, 10]",
    ),
    (
        {"learning_rate": "1.0e+30"},
        "routes.hyperparameters.learning_rate: 1e+30 is out of range; allowed: a finite number in (0, 10]",
    ),
    (
        {"eval_batch_size": "0"},
        f"routes.hyperparameters.eval_batch_size: 0 is out of range; allowed: {INT}",
    ),
    (
        {"epochs": "1.5"},
        "routes.hyperparameters.epochs: 1.5 is not a whole number; allowed: an integer in 1..10000",
    ),
    (
        {"epochs": "true"},
        "routes.hyperparameters.epochs: True is a yes/no value, not a number; allowed: an integer in 1..10000",
    ),
    (
        {"epochs": "'3'"},
        "routes.hyperparameters.epochs: '3' is a string, not a number; allowed: an integer in 1..10000",
    ),
    (
        {"max_length": "2000000"},
        "routes.hyperparameters.max_length: 2000000 is out of range; allowed: an integer in 1..1048576",
    ),
    (
        {"warmup_ratio": "2"},
        "routes.hyperparameters.warmup_ratio: 2 is out of range; allowed: a finite number in [0, 1]",
    ),
    (
        {"weight_decay": ".inf"},
        "routes.hyperparameters.weight_decay: inf is not a finite number; allowed: a finite number in [0, 10]",
    ),
    (
        {"weight_decay": "-.inf"},
        "routes.hyperparameters.weight_decay: -inf is not a finite number; allowed: a finite number in [0, 10]",
    ),
    (
        {"batch_size": str(10**30)},
        f"routes.hyperparameters.batch_size: {10**30} is out of range; allowed: {INT}",
    ),
    (
        {"patience": "0"},
        "routes.hyperparameters.patience: 0 is out of range; allowed: an integer in 1..10000",
    ),
    (
        {"gradient_accumulation": "-3"},
        f"routes.hyperparameters.gradient_accumulation: -3 is out of range; allowed: {INT}",
    ),
    (
        {"dropout": "1.5"},
        "routes.hyperparameters.dropout: 1.5 is out of range; allowed: a finite number in [0, 1)",
    ),
    (
        {"dropout": "1"},
        "routes.hyperparameters.dropout: 1 is out of range; allowed: a finite number in [0, 1)",
    ),
    (
        {"freeze_layers": "-1"},
        "routes.hyperparameters.freeze_layers: -1 is out of range; allowed: an integer in 0..10000",
    ),
    (
        {"freeze_layers": "1.5"},
        "routes.hyperparameters.freeze_layers: 1.5 is not a whole number; allowed: an integer in 0..10000",
    ),
    (
        {"momentum": "0.9"},
        f"routes.hyperparameters.momentum: unknown hyperparameter; known: {KNOWN}",
    ),
    (
        {"max_steps": "3"},
        f"routes.hyperparameters.max_steps: unknown hyperparameter; known: {KNOWN}; "
        "max_steps is the --max-steps option",
    ),
    (
        {"batch_size": "0", "seed": "-1"},
        f"routes.hyperparameters.batch_size: 0 is out of range; allowed: {INT} (and 1 more)",
    ),
]


@pytest.mark.parametrize(
    ("values", "message"),
    BAD_VALUES,
    ids=[",".join(f"{k}={v}" for k, v in values.items()) for values, _ in BAD_VALUES],
)
def test_a_bad_hyperparameter_is_refused_before_any_work(
    cli, runner_plan, no_work, values, message
):
    edit(runner_plan, **values)
    assert refused(cli, runner_plan) == message


@pytest.mark.parametrize(
    ("search", "message"),
    [
        (
            "{batch_size: [8, abc]}",
            f"routes.search.batch_size[1]: 'abc' is a string, not a number; allowed: {INT}",
        ),
        (
            "{learning_rate: [1.0e-4, .nan, 2]}",
            "routes.search.learning_rate[1]: nan is not a finite number; allowed: a finite number in (0, 10]",
        ),
        ("{batch_size: []}", "routes.search.batch_size: an empty list; give one value or more"),
        (
            "{momentum: [0.1, 0.2]}",
            f"routes.search.momentum: unknown hyperparameter; known: {KNOWN}",
        ),
        (
            "{eval_batch_size: [64, 0]}",
            f"routes.search.eval_batch_size[1]: 0 is out of range; allowed: {INT}",
        ),
        (
            "{batch_size: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], epochs: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],"
            " seed: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]}",
            f"routes.search: 1100 combinations, each one model to train; at most {MAX_COMBINATIONS} are allowed",
        ),
        (
            "{batch_size: {low: 0, high: 8}}",
            f"routes.search.batch_size.low: 0 is out of range; allowed: {INT}",
        ),
        (
            "{batch_size: {low: 4, high: 8.5}}",
            f"routes.search.batch_size.high: 8.5 is not a whole number; allowed: {INT}",
        ),
        (
            "{dropout: {low: 0.1, high: 1}}",
            "routes.search.dropout.high: 1.0 is out of range; allowed: a finite number in [0, 1)",
        ),
        (
            "{freeze_layers: {low: -1, high: 2}}",
            "routes.search.freeze_layers.low: -1 is out of range; allowed: an integer in 0..10000",
        ),
        (
            "{momentum: {low: 0.1, high: 0.9}}",
            f"routes.search.momentum: unknown hyperparameter; known: {KNOWN}",
        ),
        (
            "{batch_size: [8, 16]}\n    search_trials: 3",
            "routes.search_trials: 3 trials, but routes.search has no range to draw them from "
            "(a grid of lists trains each combination once); drop search_trials or give a "
            "range {low, high}",
        ),
    ],
    ids=[
        "a-string",
        "nan",
        "empty",
        "unknown",
        "zero-eval-batch",
        "too-many-combinations",
        "range-low",
        "range-not-whole",
        "range-high-open",
        "range-negative",
        "range-unknown",
        "trials-without-a-range",
    ],
)
def test_a_bad_search_grid_is_refused_before_any_work(cli, runner_plan, no_work, search, message):
    edit(runner_plan, search=search)
    assert refused(cli, runner_plan) == message


def test_a_bad_value_hidden_by_the_grid_is_still_refused(cli, runner_plan, no_work):
    # search overrides batch_size, but a wrong value in the plan is still wrong
    edit(runner_plan, search="{batch_size: [8, 16]}", batch_size="abc")
    assert refused(cli, runner_plan).startswith("routes.hyperparameters.batch_size: 'abc' is")


def test_a_list_as_a_value_is_a_located_plan_error(cli, runner_plan, no_work):
    # the plan's schema refuses it before the runner sees it
    edit(runner_plan, batch_size="[8, 16]")
    code, out, err = cli("run", runner_plan, "--device", "cpu")
    assert code == 1 and "Traceback" not in out + err
    assert err.startswith("/") and ": error: routes[0].hyperparameters.batch_size: " in err
    assert not (runner_plan.parent / "runs").exists()


def test_a_bad_limit_is_refused_before_any_work(cli, runner_plan, no_work):
    runner_plan.write_text(
        runner_plan.read_text().replace(
            "    measures:", "    limits: {max_train_samples: 0}\n    measures:"
        )
    )
    assert refused(cli, runner_plan) == (
        "routes.limits.max_train_samples: 0 is out of range; allowed: an integer of 1 or more"
    )


def test_a_bad_max_steps_is_refused():
    with pytest.raises(TrainingError, match=r"^--max-steps: 0 is not an integer of 1 or more$"):
        Config.from_route({}, max_steps=0)


# --- max_length against the loaded model -------------------------------------------


def test_max_length_above_the_models_positions_is_refused_before_training(
    cli, runner_plan, trained
):
    edit(runner_plan, max_length="100000")  # the tiny model has 64 positions
    code, out, err = cli("run", runner_plan, "--device", "cpu", "--max-steps", "1")
    assert code == 1 and "Traceback" not in out + err and trained.configs == []
    assert err == (
        "error: routes.hyperparameters.max_length: 100000 is more than the 64 positions the "
        "model has; allowed for this model: an integer in 3..64\n"
    )


def test_max_length_in_the_grid_is_checked_before_the_first_combination(runner_plan, trained):
    edit(runner_plan, search="{max_length: [32, 65]}")
    with pytest.raises(TrainingError) as info:
        run_plan(runner_plan)
    assert str(info.value) == (
        "routes.search.max_length[1]: 65 is more than the 64 positions the model has; "
        "allowed for this model: an integer in 3..64"
    )
    assert trained.configs == []  # not even combination 0 trained


def test_a_range_past_the_models_positions_or_layers_is_refused_before_training(
    runner_plan, trained
):
    edit(runner_plan, search="{max_length: {low: 16, high: 100}}")
    with pytest.raises(TrainingError) as info:
        run_plan(runner_plan)
    assert str(info.value) == (
        "routes.search.max_length.high: 100 is more than the 64 positions the model has; "
        "allowed for this model: an integer in 3..64"
    )
    runner_plan.write_text(
        runner_plan.read_text().replace("high: 100}", "high: 64}, freeze_layers: [1, 5]")
    )
    with pytest.raises(TrainingError) as info:
        run_plan(runner_plan)
    assert str(info.value) == (
        "routes.search.freeze_layers[1]: 5 is more than the 2 layers the model has; "
        "allowed for this model: an integer in 0..2"
    )
    assert trained.configs == []


def test_freeze_layers_above_the_models_layers_is_refused_at_model_load(cli, runner_plan, trained):
    edit(runner_plan, freeze_layers="3")  # the tiny model has 2 layers
    code, out, err = cli("run", runner_plan, "--device", "cpu", "--max-steps", "1")
    assert code == 1 and "Traceback" not in out + err and trained.configs == []
    assert err == (
        "error: routes.hyperparameters.freeze_layers: 3 is more than the 2 layers the model "
        "has; allowed for this model: an integer in 0..2\n"
    )
    assert not (runner_plan.parent / "runs").exists()


def test_max_length_too_short_for_the_special_tokens_is_refused(runner_plan, trained):
    # at 2 only [CLS] and [SEP] are left, and under 2 the tokenizer does not truncate at all
    edit(runner_plan, max_length="2")
    with pytest.raises(
        TrainingError,
        match=r"^routes\.hyperparameters\.max_length: 2 is too short "
        r"for the 2 special tokens the tokenizer adds; allowed for this model: an "
        r"integer in 3\.\.64$",
    ):
        run_plan(runner_plan)
    assert trained.configs == []


def test_the_default_max_length_is_lowered_to_the_models_positions(runner_plan, trained):
    edit(runner_plan, drop=("max_length",))  # the default, 128, is more than the tiny model's 64
    with pytest.raises(trained.Reached):
        run_plan(runner_plan)
    assert [c.max_length for c in trained.configs] == [64]


def test_model_lengths_ignore_transformers_placeholder_for_no_limit():
    huge = SimpleNamespace(model_max_length=int(1e30), num_special_tokens_to_add=lambda: 2)
    assert model_lengths(huge, SimpleNamespace(config=SimpleNamespace())) == (3, None)
    assert model_lengths(
        SimpleNamespace(model_max_length=512),
        SimpleNamespace(config=SimpleNamespace(max_position_embeddings=514)),
    ) == (1, 512)
    route = SimpleNamespace(hyperparameters={"max_length": 10**6}, search={})
    assert check_max_length(route, 3, None) == []


# --- valid edge values do train -------------------------------------------------------


def test_edge_values_train(cli, runner_plan):
    """The one test here that trains: each value at an end of its range works."""
    edit(
        runner_plan,
        batch_size="1",
        epochs="1",
        max_length="3",
        seed=str(2**32 - 1),  # numpy's, scikit-learn's and torch's seeding all take it
        patience="1",
        warmup_ratio="0",
        weight_decay="0",
        eval_batch_size="1",
        gradient_accumulation="1",
        learning_rate="8.0e-3",
    )
    code, out, err = cli(
        "run", runner_plan, "--device", "cpu", "--max-steps", "1", "--no-write-back"
    )
    assert code == 0, err
    assert "Traceback" not in out + err and "Run " in out
    (folder,) = (runner_plan.parent / "runs").iterdir()
    assert (folder / "model" / "model.safetensors").exists()


# --- the pure check -------------------------------------------------------------------


def test_the_table_covers_every_config_field_and_the_defaults_are_allowed():
    names = {f.name for f in fields(Config)} - {"max_steps"}
    assert set(HYPERPARAMETERS) == names
    defaults = Config()
    for name, allowed in HYPERPARAMETERS.items():
        default = getattr(defaults, name)
        if name == "dropout":  # None: the model's own dropout
            assert default is None
            continue
        assert allowed.problem(default) is None, name


def test_integral_floats_are_integers_and_integers_are_numbers():
    cfg = Config.from_route({"batch_size": 8.0, "epochs": 1e3, "learning_rate": 1, "seed": 0})
    assert (cfg.batch_size, cfg.epochs, cfg.learning_rate, cfg.seed) == (8, 1000, 1.0, 0)
    assert type(cfg.batch_size) is int and type(cfg.learning_rate) is float


def test_the_problems_carry_a_path_for_check():
    route = SimpleNamespace(
        hyperparameters={"batch_size": 0, "warmup_ratio": 0.5},
        search={"seed": [1, -1]},
        search_trials=None,
    )
    assert check_hyperparameters(route) == [
        HyperparameterProblem(
            ("hyperparameters", "batch_size"), f"0 is out of range; allowed: {INT}"
        ),
        HyperparameterProblem(
            ("search", "seed", 1), "-1 is out of range; allowed: an integer in 0..4294967295"
        ),
    ]
    problem = check_hyperparameters(
        SimpleNamespace(hyperparameters={}, search={"seed": 5}, search_trials=None)
    )
    assert [str(p) for p in problem] == [
        "routes.search.seed: 5 is an integer; give a list of values to try or a range {low, high}"
    ]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("x" * 500, "'" + "x" * 17 + "..." + "x" * 18 + "'"),
        (10**5000, "<an integer of 16610 bits>"),
        ({"a": [1, 2, 3, 4, 5, 6]}, "{'a': [1, 2, 3, 4, ...]}"),
        ("\x1b[2J", "'\\x1b[2J'"),
        (None, "None"),
    ],
    ids=["long-string", "huge-int", "nested", "control-characters", "null"],
)
def test_values_are_shown_short_and_safe(value, text):
    assert shown(value) == text
    with pytest.raises(TrainingError) as info:
        Config.from_route({"batch_size": value})
    assert str(info.value).startswith(f"routes.hyperparameters.batch_size: {text} is ")


def test_importing_the_training_module_does_not_import_torch():
    code = (
        "import sys, ventureplan.runner.train; "
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- property: any JSON-like value is a Config or a TrainingError --------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats()
    | st.sampled_from([0, 1, 2**32 - 1, 2**32, 65536, 65537, 1e-12, 10.0, 10.000001, 1e308])
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
names = st.sampled_from([*sorted(HYPERPARAMETERS), "max_steps", "momentum"])
ranges = (
    st.tuples(st.floats(-10, 1e5), st.floats(-10, 1e5), st.booleans())
    .filter(lambda t: t[0] < t[1] and (t[0] > 0 or not t[2]))
    .map(lambda t: SearchRange(low=t[0], high=t[1], log=t[2]))
)


@settings(max_examples=200)
@given(name=names, value=json_values)
def test_any_value_gives_a_config_or_a_training_error(name, value):
    try:
        cfg = Config.from_route({name: value})
    except TrainingError as exc:
        message = str(exc)
        assert message.startswith(f"routes.hyperparameters.{name}: ") and "\n" not in message
        assert len(message) < 400
        return
    allowed = HYPERPARAMETERS[name]
    got = getattr(cfg, name)
    assert type(got) is allowed.kind and got == value and math.isfinite(got)
    assert allowed.low <= got <= allowed.high and not (allowed.low_open and got == allowed.low)
    assert not (allowed.high_open and got == allowed.high)


@settings(max_examples=200)
@given(
    hyperparameters=st.dictionaries(names, json_values, max_size=4),
    search=st.dictionaries(
        names, st.lists(json_values, max_size=3) | ranges | json_values, max_size=3
    ),
    trials=st.none() | st.integers(1, 5),
)
def test_any_route_gives_configs_or_a_training_error(hyperparameters, search, trials):
    """A route check_hyperparameters passes is a search whose every trial is a Config."""
    import optuna

    route = SimpleNamespace(hyperparameters=hyperparameters, search=search, search_trials=trials)
    problems = check_hyperparameters(route)
    if problems:
        with pytest.raises(TrainingError):
            run_mod.refuse(problems)
        return
    space = Space.of(route)
    assert 1 <= space.trials <= MAX_COMBINATIONS

    def objective(trial):
        drawn = space.suggest(trial)
        for name, value in drawn.items():
            if isinstance(search[name], SearchRange):
                assert search[name].low <= value <= search[name].high
            else:
                assert value in search[name]
        Config.from_route({**hyperparameters, **drawn})
        return 0.5

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(sampler=space.sampler(seed=0, main=True), direction="maximize")
    study.optimize(objective, n_trials=min(space.trials, 3))
    assert len(study.trials) == min(space.trials, 3)
