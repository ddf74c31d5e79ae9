"""Personal data (GDPR/CCPA): a route whose data set or service is marked `personal_data`
gets a warning for each of a missing legal risk, data protection impact assessment task and
retention rule, located where it is marked; the API then never logs request texts, and the
mark travels into serving.json and the deployment bundle."""

from __future__ import annotations

import json

import pytest

from tests.conftest import with_data
from tests.planner.test_rehearsals import MEASURED

MARKED = "    dataset: {source: tickets.csv, text: text, label: label, personal_data: true}\n"
PLAIN = "    dataset: {source: tickets.csv, text: text, label: label}\n"
LEGAL = """  - id: r-gdpr
    title: A data subject's request or a breach under GDPR
    category: legal
    probability: 0.1
    impact: 3
    response: mitigate
    owner: founder
"""
DPIA = """  - id: dpia
    name: Data protection impact assessment (DPIA)
    owner: founder
    estimate: {optimistic: 2, likely: 3, pessimistic: 5}
"""


def lints(cli, path):
    code, out, err = cli("check", path, "--json")
    assert code == 0, err
    return [
        (f["code"], f["line"], f["message"])
        for f in json.loads(out)["findings"]
        if f["code"].startswith("privacy-")
    ]


@pytest.fixture
def marked(tmp_path):
    path = with_data(tmp_path / "plan.yaml")
    assert PLAIN in MEASURED
    path.write_text(MEASURED.replace(PLAIN, MARKED, 1))
    return path


def test_personal_data_without_the_three_gets_three_located_warnings(marked, cli):
    row = marked.read_text().splitlines().index(MARKED.rstrip("\n")) + 1
    found = lints(cli, marked)
    assert found == [
        ("privacy-no-legal-risk", row,
         "route 'minilm''s data set holds personal data and no legal risk is in the register"),
        ("privacy-no-dpia", row,
         "route 'minilm''s data set holds personal data and no task is a data protection "
         "impact assessment"),
        ("privacy-no-retention", row,
         "route 'minilm''s data set holds personal data and no retention rule says how long"),
    ]  # fmt: skip


def test_a_legal_risk_a_dpia_task_and_a_retention_rule_settle_them(marked, cli):
    text = marked.read_text()
    text = text.replace("personal_data: true}", "personal_data: true, retention_days: 365}")
    text = text.replace("risks:\n", "risks:\n" + LEGAL, 1).replace("tasks:\n", "tasks:\n" + DPIA, 1)
    marked.write_text(text)
    assert lints(cli, marked) == []
    marked.write_text(text.replace("Data protection impact assessment (DPIA)", "数据保护影响评估"))
    assert lints(cli, marked) == []


def test_a_service_marked_personal_is_checked_too(tmp_path, cli):
    path = with_data(tmp_path / "plan.yaml")
    text = MEASURED.replace(
        PLAIN, PLAIN + "    serve: {personal_data: true, retention_days: 30}\n", 1
    )
    path.write_text(text)
    codes = [c for c, _, _ in lints(cli, path)]
    assert codes == ["privacy-no-legal-risk", "privacy-no-dpia"]


def test_an_unmarked_plan_gets_no_privacy_warning(tmp_path, cli):
    path = with_data(tmp_path / "plan.yaml")
    path.write_text(MEASURED)
    assert lints(cli, path) == []


def test_the_api_never_logs_personal_texts(tmp_path):
    pytest.importorskip("starlette")
    from ventureplan.runner import serve

    from tests.runner import serve_helpers as h

    folder = tmp_path / "m"
    folder.mkdir()
    h.write_serving(folder, personal_data=True)
    config = serve.ServingConfig.from_file(folder)
    assert config.personal_data is True
    assert json.loads(config.to_json())["personal_data"] is True
    assert serve.ServingConfig.from_dict(json.loads(config.to_json())) == config
    keys = serve.KeyStore.from_sources(h.KEY, None)
    with pytest.raises(serve.ServeError, match="personal_data is true, so request texts are never"):
        serve.create_app(folder, keys, log_texts=True, loader=lambda f: None)
    h.write_serving(folder, personal_data="yes")
    with pytest.raises(serve.ServeError, match="personal_data must be true or false"):
        serve.ServingConfig.from_file(folder)


def test_the_mark_reaches_serving_json_and_the_bundle_accepts_it(tmp_path):
    pytest.importorskip("yaml")
    from ventureplan.planner.model import Serve
    from ventureplan.runner import deploy
    from ventureplan.runner.served import Target

    target = Target("r1", None, tmp_path, "onnx", ["a", "b"], 32, personal_data=True)
    serving = target.serving(Serve(), 1)
    assert serving["personal_data"] is True
    assert deploy._check_serving(serving, Serve()) == "onnx"
    plain = Target("r1", None, tmp_path, "onnx", ["a", "b"], 32).serving(Serve(), 1)
    assert "personal_data" not in plain
    assert (
        Target("r1", None, tmp_path, "onnx", ["a", "b"], 32).serving(Serve(personal_data=True), 1)[
            "personal_data"
        ]
        is True
    )
