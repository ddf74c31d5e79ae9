"""`kind: optimization` records in the plan: read, checked, written back, counted as
evidence for the optimisation metrics only (rehearsal rules included), shown as the
variants table in `analyze` and the report, and `ventureplan optimize`'s refusals, each
one line that changes nothing."""

from __future__ import annotations

import html
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ventureplan.planner import hookimpl, planfile
from ventureplan.planner.evidence import gather
from ventureplan.planner.load import load_plan
from ventureplan.planner.pipeline import render
from ventureplan.planner.pipeline import report as build_report
from ventureplan.planner.records import OptimizationRecord
from ventureplan.plugins.charts import pareto

from tests.conftest import with_data
from tests.planner.test_rehearsals import MEASURED

EVIDENCE = "20270210T091500Z-minilm"
LATENCY_GOAL = """  - id: g-latency
    statement: Tag one ticket in under 20 ms on a CPU
    metric: latency_p50_ms
    target: 20
    direction: "<="
    deadline: 2027-03-31
    owner: ml
    relevant_to: Bulk customers send one ticket per call
"""
OPTIMIZED = """  - run: 20270212T101500Z-minilm-opt
    kind: optimization
    route: minilm
    at: 2027-02-12T10:15:00Z
    source_run: 20270210T091500Z-minilm
    device: cpu (2 threads)
    data: {test: 528}
    protocol: {threads: 2, warmup: 10, repeats: 50, batch: 32, texts: 528}
    variants:
      - {name: base, format: torch, params_millions: 22.7, size_mb: 90.9, latency_p50_ms: 24.0, latency_p95_ms: 27.5, throughput_per_s: 190, macro_f1: 0.955, accuracy: 0.957, interval: [0.938, 0.97], change: 0.0, agreement: 1.0, within_drop: true}
      - {name: onnx, format: onnx, params_millions: 22.7, size_mb: 90.6, latency_p50_ms: 14.0, latency_p95_ms: 16.0, throughput_per_s: 260, macro_f1: 0.955, change: 0.0, agreement: 1.0, max_abs_diff: 3.1e-06, within_drop: true}
      - {name: int8, format: onnx, quantize: int8, params_millions: 22.7, size_mb: 23.1, latency_p50_ms: 6.0, latency_p95_ms: 7.1, throughput_per_s: 610, macro_f1: 0.951, change: -0.004, agreement: 0.991, within_drop: true}
      - {name: pruned-50-int8, format: onnx, prune: 0.5, quantize: int8, params_millions: 15.1, size_mb: 15.4, latency_p50_ms: 4.0, latency_p95_ms: 4.9, throughput_per_s: 880, macro_f1: 0.93, change: -0.025, agreement: 0.95, within_drop: false}
    chosen: int8
    goals: {g-latency: {value: 6.0, target: 20.0, met: true}}
"""


def plan_text(records: str = OPTIMIZED) -> str:
    text = MEASURED.replace("routes:\n", LATENCY_GOAL + "routes:\n", 1)
    text = text.replace("measures: [g-quality]", "measures: [g-quality, g-latency]", 1)
    return text + records


@pytest.fixture
def plan(tmp_path):
    path = with_data(tmp_path / "plan.yaml")
    path.write_text(plan_text())
    return path


def test_an_optimization_record_is_read_and_checked(plan, cli):
    record = load_plan(plan).plan.measured[-1]
    assert isinstance(record, OptimizationRecord)
    assert record.chosen == "int8" and record.variant("int8").size_mb == 23.1
    assert record.metrics["latency_p50_ms"] == 6.0 and record.metrics["model_size_mb"] == 23.1
    code, out, err = cli("check", plan)
    assert code == 0, err


def test_it_settles_the_optimisation_goals_and_leaves_the_training_verdicts(plan):
    training, optimized = gather(load_plan(plan).plan)
    assert (training.kind, training.run) == ("training", EVIDENCE)
    assert [g.goal for g in training.goals] == ["g-quality"]
    assert optimized.kind == "optimization" and optimized.chosen == "int8"
    ((goal),) = optimized.goals
    assert (goal.goal, goal.value, goal.met, goal.settles) == ("g-latency", 6.0, True, True)
    assert optimized.basis.variant == "int8" and optimized.basis.source_run == EVIDENCE


def test_an_optimisation_of_a_rehearsal_changes_no_number(tmp_path, cli):
    rehearsed = OPTIMIZED.replace(
        "    chosen: int8\n",
        "    chosen: int8\n    rehearsal: true\n    rehearsal_reasons: [optimises a rehearsal]\n",
    )
    with_data(tmp_path / "a.yaml").write_text(plan_text(""))
    (tmp_path / "b.yaml").write_text(plan_text(rehearsed))

    def numbers(name):
        code, out, err = cli("analyze", tmp_path / name, "--json", "--iterations", "500")
        assert code == 0, err
        doc = json.loads(out)
        doc.pop("rehearsals")
        return doc

    assert numbers("a.yaml") == numbers("b.yaml")
    (trial,) = gather(load_plan(tmp_path / "b.yaml").plan, rehearsals=True)
    assert trial.kind == "optimization" and trial.goals[0].settles is False


def test_analyze_prints_the_variants(plan, cli):
    code, out, err = cli("analyze", plan, "--iterations", "300")
    assert code == 0, err
    # every variant on one row at 80 columns, its figures rounded as the catalogue says, the
    # same decimals down a column (p50: 24, 14, 6, 4 ms; p95: 27.5, 16.0, 7.1, 4.9 ms)
    lines = [" ".join(ln.replace("│", " ").split()) for ln in out.splitlines()]
    assert any(ln == "int8 * 6 7.1 610 23.1 22.7 0.951 -0.004 99.1%" for ln in lines), out
    assert any(ln == "pruned-50-int8 4 4.9 880 15.4 15.1 0.930 -0.025 95.0%" for ln in lines)
    code, out, err = cli("analyze", plan, "--iterations", "300", "--width", "200")
    lines = [" ".join(ln.replace("│", " ").split()) for ln in out.splitlines()]
    assert (
        f"Evidence: run 20270212T101500Z-minilm-opt, data tickets.csv, variant int8 of run "
        f"{EVIDENCE}, timed and scored on 528 test texts, cpu (2 threads)"
    ) in lines


def test_the_report_has_the_variants_table_and_chart(plan):
    r = build_report(plan, iterations=300)
    page = render(r, "html").decode()
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert "Optimised variants" in text
    assert "int8 (chosen) onnx int8 6.0 7.1 610 23.1 22.7 0.951 (0.938" not in text  # no interval
    assert "int8 (chosen) onnx int8 6.0 7.1 610 23.1 22.7 0.951 -0.004 99.1%" in text, text
    assert (
        "Every variant is timed the same way on the optimising machine's CPU (2 threads): 10"
        in text
    )
    assert "Latency against macro-F1" in page  # the chart's title, in its SVG
    md = render(r, "md").decode()
    assert (
        "| int8 **(chosen)** | onnx int8 | 6.0 | 7.1 | 610 | 23.1 | 22.7 | 0.951 | -0.004 | 99.1% |"
        in md
    )


def test_pareto_front():
    points = [(24.0, 0.955), (14.0, 0.955), (6.0, 0.951), (4.0, 0.93), (10.0, 0.94)]
    assert pareto(points) == [3, 2, 1]


def test_the_writer_appends_an_optimization_record_and_reads_it_back(tmp_path):
    path = with_data(tmp_path / "plan.yaml")
    path.write_text(plan_text(""))
    record = load_plan(tmp_path.joinpath("plan.yaml")).plan  # no optimisation yet
    assert not any(m.kind == "optimization" for m in record.measured)
    src = tmp_path / "with.yaml"
    src.write_text(plan_text())
    opt = load_plan(src).plan.measured[-1]
    before = path.read_text()
    planfile.append_record(path, opt)
    after = path.read_text()
    assert after.startswith(before) and "kind: optimization" in after[len(before) :]
    assert load_plan(path).plan.measured[-1] == opt


@pytest.mark.parametrize(
    ("edit", "args", "message"),
    [
        (
            lambda t: t,
            [],
            "route 'minilm' has no `optimize:` section saying what to make; add one, e.g. "
            "optimize: {prune: [0.3, 0.5], export: onnx, quantize: int8, max_metric_drop: 0.01}",
        ),
        (
            lambda t: (
                t.replace(
                    "    measures: [g-quality, g-latency]\n",
                    "    measures: [g-quality, g-latency]\n    optimize: {export: onnx}\n",
                    1,
                ).split("measured:\n")[0]
                + "measured: []\n"
            ),
            [],
            "route 'minilm' has no training run to optimise; run `ventureplan run` first",
        ),
        (
            lambda t: t.replace(
                "    measures: [g-quality, g-latency]\n",
                "    measures: [g-quality, g-latency]\n    optimize: {export: onnx}\n",
                1,
            ),
            ["--run", "nope"],
            "no run 'nope' in the plan's measured records; training runs: "
            "20270201T080000Z-minilm, 20270210T091500Z-minilm",
        ),
        (
            lambda t: t.replace(
                "    measures: [g-quality, g-latency]\n",
                "    measures: [g-quality, g-latency]\n    optimize: {export: onnx}\n",
                1,
            ),
            ["--run", "20270212T101500Z-minilm-opt"],
            "run '20270212T101500Z-minilm-opt' is a record of kind optimization, not a training run; "
            "optimise the training run it came from (20270210T091500Z-minilm)",
        ),
        (
            lambda t: t.replace(
                "    measures: [g-quality, g-latency]\n",
                "    measures: [g-quality, g-latency]\n    optimize: {export: onnx}\n",
                1,
            ),
            ["--run", "../x"],
            "--run '../x' is not a run id",
        ),
        (
            lambda t: t.replace(
                "    measures: [g-quality, g-latency]\n",
                "    measures: [g-quality, g-latency]\n    optimize: {export: onnx}\n",
                1,
            ),
            [],
            "the artifacts of run 20270210T091500Z-minilm are gone (no trained model in ",
        ),
    ],
)
def test_optimize_refuses_with_one_line_and_changes_nothing(tmp_path, cli, edit, args, message):
    path = with_data(tmp_path / "plan.yaml")
    path.write_text(edit(plan_text()))
    before = path.read_bytes()
    code, out, err = cli("optimize", path, *args)
    assert code == 1
    assert message in err and len(err.strip().splitlines()) == 1, err
    assert path.read_bytes() == before
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


@pytest.mark.parametrize(
    ("optimize", "message"),
    [
        ("{prune: [0]}", "routes[0].optimize.prune[0]"),
        ("{prune: [1.5]}", "routes[0].optimize.prune[0]"),
        ("{prune: [0.3, 0.3]}", "each prune share once"),
        ("{quantize: int8}", "quantize: int8 needs export: onnx"),
        ("{export: tflite}", "'tflite' is not one of: onnx"),
        ("{max_metric_drop: 2}", "routes[0].optimize.max_metric_drop"),
        ("{prune_share: [0.3]}", "unknown field `prune_share`; did you mean `prune`?"),
    ],
)
def test_check_locates_a_bad_optimize_section(tmp_path, cli, optimize, message):
    path = with_data(tmp_path / "plan.yaml")
    text = plan_text().replace(
        "    measures: [g-quality, g-latency]\n",
        f"    measures: [g-quality, g-latency]\n    optimize: {optimize}\n",
        1,
    )
    path.write_text(text)
    row = text.splitlines().index(f"    optimize: {optimize}") + 1
    code, out, err = cli("check", path)
    assert code == 1
    line = next(x for x in err.splitlines() if "error" in x)
    assert message in line, err
    assert re.match(rf"{re.escape(str(path))}:{row}:\d+: error: ", line), line


class EchoOptimizer:
    """A third-party optimiser for a route kind of its own (the `route_optimizers` hook)."""

    @hookimpl
    def route_kinds(self):
        return {"echo": lambda plan, route, path, options: None}

    @hookimpl
    def route_optimizers(self):
        def optimize(plan, route, path, source, runs):
            return {
                "run": f"{source.run}-echo-opt",
                "kind": "optimization",
                "route": route.id,
                "at": "2027-02-12T00:00:00Z",
                "source_run": source.run,
                "variants": [{"name": "base", "format": "torch", "latency_p50_ms": 3.0}],
                "chosen": "base",
                "goals": {"g-latency": {"value": 3.0, "target": 20.0, "met": True}},
            }

        return {"echo": optimize}


def test_a_third_party_optimiser_is_found_and_its_record_written(tmp_path, cli, monkeypatch):
    import ventureplan.planner.optimizing as optimizing
    from ventureplan.planner.plugin_manager import Manager

    pm = Manager()
    pm.load_entry_points()
    pm.register(EchoOptimizer(), name="echo-optimizer")
    monkeypatch.setattr(optimizing, "get_plugin_manager", lambda: pm)
    path = with_data(tmp_path / "plan.yaml")
    text = plan_text("").replace(
        "    model: builtin:minilm-l6\n", "    task: echo\n    model: builtin:minilm-l6\n", 1
    )
    text = text.replace(
        "    measures: [g-quality, g-latency]\n",
        "    measures: [g-quality, g-latency]\n    optimize: {export: onnx}\n",
        1,
    )
    path.write_text(text)
    model = tmp_path / "runs" / EVIDENCE / "model"
    model.mkdir(parents=True)
    (model / "config.json").write_text("{}")
    (model / "model.safetensors").write_bytes(b"")
    before = path.read_text()
    code, out, err = cli("optimize", path)
    assert code == 0, err
    assert out.splitlines()[0] == f"Optimization {EVIDENCE}-echo-opt of run {EVIDENCE}:"
    assert "  goal g-latency: 3 vs target 20: met" in out.splitlines()
    after = path.read_text()
    assert after.startswith(before)
    record = load_plan(path).plan.measured[-1]
    assert isinstance(record, OptimizationRecord) and record.chosen == "base"
    code, out, err = cli("optimize", path, "--route", "tfidf")
    assert code == 1 and "route 'tfidf' has no `optimize:` section" in err


# --- generated input -----------------------------------------------------------------


TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40
)
VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=True, allow_infinity=True),
    TEXT,
    st.lists(st.floats(-2, 2), max_size=4),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(run=st.one_of(TEXT, st.sampled_from([EVIDENCE, "20270212T101500Z-minilm-opt", "../x"])))
def test_optimize_with_any_run_argument_is_one_line_and_changes_nothing(tmp_path_factory, cli, run):
    folder = tmp_path_factory.mktemp("opt")
    path = with_data(folder / "plan.yaml")
    path.write_text(
        plan_text().replace(
            "    measures: [g-quality, g-latency]\n",
            "    measures: [g-quality, g-latency]\n    optimize: {export: onnx}\n",
            1,
        )
    )
    before = path.read_bytes()
    code, out, err = cli("optimize", path, "--run", run)
    assert code in (1, 2), out  # no trained model is kept here: never any work
    assert len(err.strip().splitlines()) <= 12 and "Traceback" not in err, err
    assert path.read_bytes() == before
    assert not (folder / "runs").exists() or not any((folder / "runs").iterdir())


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(section=st.dictionaries(
    st.sampled_from(["prune", "quantize", "export", "recover_epochs", "max_metric_drop", "prun"]),
    VALUE,
    max_size=5,
))  # fmt: skip
def test_any_optimize_section_is_valid_or_a_located_error(tmp_path_factory, cli, section):
    folder = tmp_path_factory.mktemp("sec")
    path = with_data(folder / "plan.json")
    doc = load_plan(_yaml(folder)).plan.model_dump(mode="json", by_alias=True)
    doc["routes"][0]["optimize"] = section
    text = json.dumps(doc, indent=1, allow_nan=True)
    path.write_text(text)
    code, out, err = cli("check", path)
    assert "Traceback" not in err
    if code == 0:
        assert load_plan(path).plan.routes[0].optimize is not None
    else:
        assert code == 1
        assert re.search(rf"{re.escape(str(path))}:\d+:\d+: error: ", err), err


def _yaml(folder):
    p = with_data(folder / "plan.yaml")
    p.write_text(plan_text())
    return p
