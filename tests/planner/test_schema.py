from __future__ import annotations

import json

import jsonschema
import pytest
from ruamel.yaml import YAML
from ventureplan.planner.starters import examples, starter_text

from tests.conftest import BAD, GOOD


@pytest.fixture(scope="module")
def schema(cli_module):
    code, out, err = cli_module("schema")
    assert code == 0 and err == ""
    return json.loads(out)


@pytest.fixture(scope="module")
def cli_module():
    from typer.testing import CliRunner
    from ventureplan.planner.cli.main import app

    def run(*args):
        r = CliRunner().invoke(app, list(args), catch_exceptions=False)
        return r.exit_code, r.stdout, r.stderr

    return run


def _as_json(text: str):
    # YAML dates are written as strings in JSON; the schema says format: date.
    return json.loads(json.dumps(YAML(typ="safe", pure=True).load(text), default=str))


def test_schema_is_valid_json_schema(schema):
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(schema["required"]) >= {"schema", "name", "start"}


@pytest.mark.parametrize("example", examples())
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_schema_validates_every_starter(schema, example, lang):
    jsonschema.validate(_as_json(starter_text(example, lang)), schema)


def test_schema_rejects_what_the_loader_rejects(schema):
    validator = jsonschema.Draft202012Validator(schema)
    for name in ("unknown-field-typo", "probability", "impact-zero", "bad-enum", "wrong-schema"):
        errors = list(validator.iter_errors(_as_json((BAD / f"{name}.yaml").read_text())))
        assert errors, name


def test_schema_descriptions_help_the_founder(schema):
    task = schema["$defs"]["Task"]["properties"]
    assert "finish before" in task["depends_on"]["description"]
    assert schema["$defs"]["Risk"]["properties"]["impact"]["maximum"] == 5
    jsonschema.validate(_as_json((GOOD / "small.yaml").read_text()), schema)
