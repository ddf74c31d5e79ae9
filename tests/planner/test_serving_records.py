"""`kind: serving` records and the route's `serve:` section: read and checked, settling the
serving goals before an optimisation's batch-1 timing does (rehearsal rules included),
shown in `analyze` and the report; `loadtest` and `deploy` refuse wrong input with one
line that changes nothing, and a third-party server (`route_servers`) is used."""

from __future__ import annotations

import html
import json
import re
from typing import ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ventureplan.planner import hookimpl
from ventureplan.planner.evidence import gather
from ventureplan.planner.load import load_plan
from ventureplan.planner.pipeline import render
from ventureplan.planner.pipeline import report as build_report
from ventureplan.planner.records import ServingRecord
from ventureplan.planner.serving import served_record

from tests.conftest import with_data
from tests.planner.test_optimization_records import EVIDENCE, OPTIMIZED, plan_text

P95_GOAL = """  - id: g-p95
    statement: Answer one ticket within 50 ms at p95 under load
    metric: latency_p95_ms
    target: 50
    direction: "<="
    deadline: 2027-03-31
    owner: ml
    relevant_to: Bulk customers call the API from their ticket queue
"""
SERVED = """  - run: 20270213T080000Z-minilm-load
    kind: serving
    route: minilm
    at: 2027-02-13T08:00:00Z
    source_run: 20270212T101500Z-minilm-opt
    variant: int8
    device: cpu (1 thread)
    serving: {concurrency: 16, duration_s: 30, requests: 9120, errors: 0, latency_p50_ms: 18.0,
              latency_p95_ms: 41.0, latency_p99_ms: 60.2, throughput_per_s: 304, error_rate: 0.0,
              cost_per_1k_requests: 0.0000457, threads: 1, max_batch: 16, max_wait_ms: 5}
    intervals: {latency_p95_ms: [39.5, 42.8]}
    goals: {g-latency: {value: 18.0, target: 20.0, met: true, p_miss: 0.02},
            g-p95: {value: 41.0, target: 50.0, met: true, p_miss: 0.0}}
"""
SERVE = "    serve: {replicas: {min: 2, max: 6}, cpu: 1, memory: 2Gi, price_per_hour: 0.05}\n"


def serving_plan(records: str = OPTIMIZED + SERVED, serve: str = SERVE) -> str:
    text = plan_text(records)
    text = text.replace("routes:\n", P95_GOAL + "routes:\n", 1)
    text = text.replace(
        "    measures: [g-quality, g-latency]\n",
        serve + "    measures: [g-quality, g-latency, g-p95]\n",
        1,
    )
    return text


@pytest.fixture
def plan(tmp_path):
    path = with_data(tmp_path / "plan.yaml")
    path.write_text(serving_plan())
    return path


def test_a_serving_record_and_a_serve_section_are_read_and_checked(plan, cli):
    loaded = load_plan(plan).plan
    record = loaded.measured[-1]
    assert isinstance(record, ServingRecord)
    assert record.metrics == {
        "latency_p50_ms": 18.0,
        "latency_p95_ms": 41.0,
        "latency_p99_ms": 60.2,
        "throughput_per_s": 304.0,
        "error_rate": 0.0,
        "cost_per_1k_requests": 0.0000457,
    }
    serve = loaded.routes[0].serve
    assert (serve.replicas.min, serve.replicas.max, serve.cpu, serve.memory) == (2, 6, "1", "2Gi")
    code, out, err = cli("check", plan)
    assert code == 0, err


def test_the_load_test_settles_a_latency_goal_before_the_optimisation(plan):
    kinds = [(ev.kind, ev.run) for ev in gather(load_plan(plan).plan)]
    assert kinds == [
        ("training", EVIDENCE),
        ("serving", "20270213T080000Z-minilm-load"),
        ("optimization", "20270212T101500Z-minilm-opt"),
    ]
    _, served, optimized = gather(load_plan(plan).plan)
    by_goal = {g.goal: g for g in served.goals}
    assert by_goal["g-latency"].value == 18.0  # under load, not the 6.0 ms at batch 1
    assert by_goal["g-p95"].interval == (39.5, 42.8) and by_goal["g-p95"].p_miss == 0.0
    assert served.basis.variant == "int8" and served.basis.source_run.endswith("-opt")
    assert served.serving["cost_per_1k_requests"] == 0.0000457


def test_a_serving_rehearsal_changes_no_number(tmp_path, cli):
    rehearsed = SERVED.replace(
        "    intervals:",
        "    rehearsal: true\n    rehearsal_reasons: [serves a rehearsal]\n    intervals:",
    )
    with_data(tmp_path / "a.yaml").write_text(serving_plan(OPTIMIZED))
    (tmp_path / "b.yaml").write_text(serving_plan(OPTIMIZED + rehearsed))

    def numbers(name):
        code, out, err = cli("analyze", tmp_path / name, "--json", "--iterations", "300")
        assert code == 0, err
        doc = json.loads(out)
        doc.pop("rehearsals")
        return doc

    assert numbers("a.yaml") == numbers("b.yaml")


def test_a_missed_serving_goal_raises_its_risk_and_a_finding(tmp_path, cli):
    missed = SERVED.replace(
        "g-p95: {value: 41.0, target: 50.0, met: true, p_miss: 0.0}",
        "g-p95: {value: 41.0, target: 30.0, met: false, p_miss: 0.97}",
    ).replace("latency_p95_ms: 41.0,", "latency_p95_ms: 41.0,", 1)
    path = with_data(tmp_path / "plan.yaml")
    text = serving_plan(OPTIMIZED + missed).replace("    target: 50\n", "    target: 30\n", 1)
    path.write_text(text)
    code, out, err = cli("check", path)
    assert "goal 'g-p95' was measured as missed: latency_p95_ms = 41, target <= 30" in out + err


def test_analyze_prints_the_serving_figures(plan, cli):
    code, out, err = cli("analyze", plan, "--iterations", "300", "--width", "200")
    assert code == 0, err
    lines = [" ".join(ln.split()) for ln in out.splitlines()]
    assert (
        "Serving: 9,120 requests from 16 clients in 30 s; throughput 304/s; latency p50 18 ms, "
        "p95 41 ms, p99 60.2 ms; error rate 0.0%; cost per 1,000 requests 0.0000457 USD"
    ) in lines, out
    assert any(
        ln.startswith("Evidence: run 20270213T080000Z-minilm-load, data tickets.csv, load test of")
        for ln in lines
    ), out


def test_the_report_has_a_serving_part(plan):
    r = build_report(plan, iterations=300)
    page = render(r, "html").decode()
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert "Serving Requests 9,120 from 16 concurrent clients in 30 s" in text, text
    assert "Throughput 304.0 requests/s Latency p50 / p95 / p99 18.0 / 41.0 / 60.2 ms" in text
    assert "Cost per 1,000 requests 0.0000457 USD" in text
    assert "Replicas 2 to 6, scaled to keep 70% CPU; 1 CPU and 2Gi each" in text
    assert "load test of variant int8 of run 20270212T101500Z-minilm-opt" in text
    md = render(r, "md").decode()
    assert "- Batching: up to 16 texts or 5 ms per batch; model threads: 1" in md
    zh = render(build_report(plan, iterations=300, lang="zh"), "html").decode()
    assert "线上服务" in zh and "每千次请求成本" in zh


def test_what_is_served(plan):
    p = load_plan(plan).plan
    route = p.routes[0]
    assert served_record(p, route, None).run == "20270212T101500Z-minilm-opt"
    assert served_record(p, route, EVIDENCE).run == EVIDENCE
    no_choice = load_plan(plan).plan
    next(m for m in no_choice.measured if m.kind == "optimization").chosen = None
    assert served_record(no_choice, route, None).run == EVIDENCE  # falls back to the training


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--concurrency", "0"], "--concurrency 0: give 1 to 256 concurrent clients"),
        (["--concurrency", "100000"], "--concurrency 100000: give 1 to 256"),
        (["--duration", "nan"], "--duration nan: give 0.5 to 3600 seconds"),
        (["--duration", "-1"], "--duration -1.0: give 0.5 to 3600 seconds"),
        (["--url", "file:///etc/passwd"], "--url 'file:///etc/passwd': give the API's base URL"),
        (["--run", "../x"], "--run '../x' is not a run id"),
        (["--run", "nope"], "no run 'nope' in the plan's measured records; runs to serve: "),
        (["--run", "20270213T080000Z-minilm-load"], "is a load test; name the run it served"),
        (["--route", "zzz"], "zzz"),
        ([], "the model files are gone"),
    ],
)
def test_loadtest_refuses_with_one_line_and_changes_nothing(plan, cli, args, message):
    before = plan.read_bytes()
    code, out, err = cli("loadtest", plan, *args)
    assert code in (1, 2)
    assert message in err, err
    assert "Traceback" not in err
    assert plan.read_bytes() == before
    runs = plan.parent / "runs"
    assert not runs.exists() or not any(runs.iterdir())


@pytest.mark.parametrize(
    ("out", "message"),
    [
        (".", "the bundle would replace the plan"),
        ("runs/bundle", "inside"),
    ],
)
def test_deploy_refuses_a_folder_that_holds_the_plan_or_the_runs(plan, cli, out, message):
    before = plan.read_bytes()
    code, _, err = cli("deploy", plan, "-o", plan.parent / out)
    assert code == 1 and message in err and len(err.strip().splitlines()) == 1, err
    assert plan.read_bytes() == before


@pytest.mark.parametrize(
    ("serve", "message"),
    [
        ("{cpu: 1.5x}", "'1.5x' is not a CPU quantity"),
        ("{memory: 2GB}", "'2GB' is not a memory quantity"),
        ("{replicas: {min: 3, max: 1}}", "min (3) is above max (1)"),
        ("{target_cpu: 0}", "routes[0].serve.target_cpu"),
        ("{max_batch: 0}", "routes[0].serve.max_batch"),
        ("{price_per_hour: -1}", "routes[0].serve.price_per_hour"),
        ("{replica: 2}", "unknown field `replica`; did you mean `replicas`?"),
    ],
)
def test_check_locates_a_bad_serve_section(tmp_path, cli, serve, message):
    path = with_data(tmp_path / "plan.yaml")
    text = serving_plan(OPTIMIZED, serve=f"    serve: {serve}\n")
    path.write_text(text)
    row = text.splitlines().index(f"    serve: {serve}") + 1
    code, out, err = cli("check", path)
    assert code == 1
    line = next(x for x in err.splitlines() if "error" in x)
    assert message in line, err
    assert re.match(rf"{re.escape(str(path))}:{row}:\d+: error: ", line), line


class EchoServer:
    """A third-party server for a route kind of its own (the `route_servers` hook)."""

    seen: ClassVar[list[tuple]] = []

    @hookimpl
    def route_kinds(self):
        return {"echo": lambda plan, route, path, options: None}

    @hookimpl
    def route_servers(self):
        from ventureplan.planner.hookspecs import RouteServer

        def loadtest(plan, route, path, record, training, runs, concurrency, duration, url):
            self.seen.append((record.run, training.run, concurrency, duration, url))
            return {
                "run": f"{record.run}-echo-load",
                "kind": "serving",
                "route": route.id,
                "at": "2027-02-14T00:00:00Z",
                "source_run": record.run,
                "serving": {"requests": 10, "concurrency": concurrency, "latency_p50_ms": 3.0,
                            "latency_p95_ms": 4.0, "latency_p99_ms": 5.0, "throughput_per_s": 9.5,
                            "error_rate": 0.0, "duration_s": duration},
                "goals": {"g-p95": {"value": 4.0, "target": 50.0, "met": True, "p_miss": 0.0}},
            }  # fmt: skip

        def deploy(plan, route, record, runs, out, force):
            out.mkdir()
            (out / "Dockerfile").write_text("FROM scratch\n")
            return [out / "Dockerfile"]

        return {"echo": RouteServer(api=lambda *a: None, deploy=deploy, loadtest=loadtest)}


@pytest.fixture
def echo_plan(tmp_path, monkeypatch):
    import ventureplan.planner.serving as serving
    from ventureplan.planner.plugin_manager import Manager

    pm = Manager()
    pm.load_entry_points()
    pm.register(EchoServer(), name="echo-server")
    monkeypatch.setattr(serving, "get_plugin_manager", lambda: pm)
    path = with_data(tmp_path / "plan.yaml")
    text = serving_plan(OPTIMIZED).replace(
        "    model: builtin:minilm-l6\n", "    task: echo\n    model: builtin:minilm-l6\n", 1
    )
    path.write_text(text)
    return path


def test_a_third_party_load_test_is_found_and_its_record_written(echo_plan, cli):
    before = echo_plan.read_text()
    code, out, err = cli("loadtest", echo_plan, "-c", "4", "-d", "2")
    assert code == 0, err
    assert EchoServer.seen[-1] == ("20270212T101500Z-minilm-opt", EVIDENCE, 4, 2.0, None)
    assert out.splitlines()[:3] == [
        "Load test 20270212T101500Z-minilm-opt-echo-load of run 20270212T101500Z-minilm-opt "
        "(None):",
        "  10 requests from 4 clients in 2.0 s, 9.5 answered per second, error rate 0.00%",
        "  latency p50 3.0 ms, p95 4.0 ms, p99 5.0 ms",
    ]
    assert "  goal g-p95: 4 vs target 50: met (P(miss) 0%)" in out.splitlines()
    after = echo_plan.read_text()
    assert after.startswith(before)
    assert isinstance(load_plan(echo_plan).plan.measured[-1], ServingRecord)
    code, out, err = cli("deploy", echo_plan, "-o", echo_plan.parent / "bundle")
    assert code == 0, err
    assert "Wrote the bundle of run 20270212T101500Z-minilm-opt (variant int8)" in out


# --- generated input -----------------------------------------------------------------


TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    run=st.one_of(st.none(), TEXT),
    concurrency=st.one_of(st.none(), st.integers(-5, 300), TEXT),
    duration=st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), TEXT),
    url=st.one_of(st.none(), TEXT, st.just("http://127.0.0.1:9")),
)
def test_loadtest_with_any_arguments_is_one_line_and_changes_nothing(
    tmp_path_factory, cli, run, concurrency, duration, url
):
    folder = tmp_path_factory.mktemp("load")
    path = with_data(folder / "plan.yaml")
    path.write_text(serving_plan())
    before = path.read_bytes()
    args: list[str] = []
    for flag, value in (("--run", run), ("-c", concurrency), ("-d", duration), ("--url", url)):
        if value is not None:
            args += [flag, str(value)]
    if url is not None and concurrency is None:
        args += ["-d", "0.5"]  # a URL that answers nothing: fail fast
    code, out, err = cli("loadtest", path, *args)
    assert code in (1, 2), out  # no model is kept here, and nothing listens on port 9
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 12, err
    assert path.read_bytes() == before
    assert not (folder / "runs").exists() or not any((folder / "runs").iterdir())


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(section=st.dictionaries(
    st.sampled_from(["replicas", "target_cpu", "cpu", "memory", "max_batch", "max_wait_ms",
                     "price_per_hour", "max_texts", "max_chars", "replica"]),
    st.one_of(st.none(), st.booleans(), st.integers(-5, 5000), TEXT,
              st.floats(allow_nan=True, allow_infinity=True),
              st.fixed_dictionaries({"min": st.integers(-1, 9), "max": st.integers(-1, 9)})),
    max_size=5,
))  # fmt: skip
def test_any_serve_section_is_valid_or_a_located_error(tmp_path_factory, cli, section):
    folder = tmp_path_factory.mktemp("serve")
    path = with_data(folder / "plan.json")
    yaml_path = with_data(folder / "p.yaml")
    yaml_path.write_text(serving_plan(OPTIMIZED))
    doc = load_plan(yaml_path).plan.model_dump(mode="json", by_alias=True)
    doc["routes"][0]["serve"] = section
    path.write_text(json.dumps(doc, indent=1, allow_nan=True))
    code, out, err = cli("check", path)
    assert "Traceback" not in err
    if code == 0:
        assert load_plan(path).plan.routes[0].serve is not None
    else:
        assert code == 1
        assert re.search(rf"{re.escape(str(path))}:\d+:\d+: error: ", err), err


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    run=st.one_of(st.none(), TEXT),
    out=st.one_of(TEXT, st.sampled_from([".", "runs/x", "plan.yaml", "b"])),
    force=st.booleans(),
)
def test_deploy_with_any_arguments_is_one_line_and_changes_nothing(
    tmp_path_factory, cli, run, out, force
):
    folder = tmp_path_factory.mktemp("deploy")
    path = with_data(folder / "plan.yaml")
    path.write_text(serving_plan())
    before = path.read_bytes()
    args = ["-o", str(folder / out) if out else ""] + (["--run", run] if run is not None else [])
    code, _, err = cli("deploy", path, *args, *(["--force"] if force else []))
    assert code in (1, 2)  # no model is kept here
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 12, err
    assert path.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == sorted(["plan.yaml", "tickets.csv"])


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    where=st.one_of(TEXT, st.sampled_from([".", "runs", "plan.yaml"])),
    port=st.one_of(st.none(), st.integers(-10, 70_000)),
    host=st.one_of(st.none(), TEXT),
)
def test_api_with_any_arguments_refuses_fast_without_a_model(
    tmp_path_factory, cli, where, port, host
):
    folder = tmp_path_factory.mktemp("api")
    path = with_data(folder / "plan.yaml")
    path.write_text(serving_plan())
    args = [str(folder / where)]
    if port is not None:
        args += ["--port", str(port)]
    if host is not None:
        args += ["--host", host]
    code, _, err = cli("api", *args)
    assert code in (1, 2)  # nothing here can be served
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 12, err


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"run": "x", "kind": "serving", "route": "minilm", "at": "2027-02-14T00:00:00Z"},
         "the 'echo' load test returned a record that is not valid: source_run: Field required"),
        ({"run": "x", "route": "minilm", "at": "2027-02-14T00:00:00Z"},
         "the 'echo' load test returned a training record"),
        ("not a record", "the 'echo' load test returned a record that is not valid: (record): "),
    ],
)  # fmt: skip
def test_a_plugins_bad_serving_record_is_one_line_and_changes_nothing(
    echo_plan, cli, monkeypatch, answer, message
):
    import ventureplan.planner.serving as serving
    from ventureplan.planner.hookspecs import RouteServer
    from ventureplan.planner.plugin_manager import Manager

    class Bad(EchoServer):
        @hookimpl
        def route_servers(self):
            return {"echo": RouteServer(lambda *a: None, lambda *a: [], lambda *a: answer)}

    pm = Manager()
    pm.load_entry_points()
    pm.register(Bad(), name="bad-server")
    monkeypatch.setattr(serving, "get_plugin_manager", lambda: pm)
    before = echo_plan.read_bytes()
    code, _, err = cli("loadtest", echo_plan, "-d", "1")
    assert code == 1 and message in err and len(err.strip().splitlines()) == 1, err
    assert echo_plan.read_bytes() == before
