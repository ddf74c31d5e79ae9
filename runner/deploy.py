"""`ventureplan deploy`: one folder that builds the model API's image and runs it on
Kubernetes (Dockerfile, pinned requirements, the model, k8s/*.yaml, prometheus.yml, a README).

The bundle is written beside `out` and renamed into place, so a failure leaves nothing.
"""

from __future__ import annotations

import ast
import functools
import json
import os
import re
import shutil
import sys
import tempfile
import unicodedata
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml
from ventureplan.planner.errors import VenturePlanError
from ventureplan.planner.model import Serve

PORT = 8080  # the container's; the Service listens on 80
UID = 10001  # fixed, so the pod's runAsUser matches the image's USER
KEYS = "VENTUREPLAN_API_KEYS"  # the API's comma-separated keys
SCRAPE_KEY = "metrics-key"  # one of those keys, alone: a bearer token is a single key
PLACEHOLDER = "REPLACE-WITH-KEYS"
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
# Unpickling runs code: a bundle carries safetensors and ONNX only.
PICKLES = frozenset({".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".joblib"})
SERVING_KEYS = (
    "run",
    "variant",
    "format",
    "labels",
    "max_length",
    "max_batch",
    "max_wait_ms",
    "max_texts",
    "max_chars",
    "threads",
)
_COMMON = ("numpy", "tokenizers", "starlette", "uvicorn", "prometheus-client")
RUNTIME = {
    "onnx": ("onnxruntime", *_COMMON),
    "torch": ("torch", "transformers", "safetensors", *_COMMON),
}
_DNS1035 = re.compile(r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?")  # a Service name must start a-z
_PACKAGE = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")
_VERSION = re.compile(r"[0-9][0-9A-Za-z.+!_-]*")


class DeployError(VenturePlanError):
    """A bundle cannot be written as asked; the message says what to change."""


def k8s_name(route_id: str) -> str:
    """A name every Kubernetes object accepts (a DNS-1035 label): `MiniLM_ft.v2` ->
    `minilm-ft-v2`; at most 63 characters, starting with a letter, ending alphanumeric."""
    ascii_id = unicodedata.normalize("NFKD", route_id).encode("ascii", "ignore").decode()
    name = re.sub(r"[^a-z0-9]+", "-", ascii_id.lower()).strip("-")
    if not name:
        raise DeployError(f"{route_id!r} has no letters or digits to name Kubernetes objects")
    if not name[0].isalpha():
        name = f"vp-{name}"
    return name[:63].rstrip("-")


def runtime_versions(fmt: str) -> dict[str, str]:
    """The installed versions of what the API needs for `fmt` ("onnx" or "torch"), and of
    what those need in turn, so the image installs what the variant was measured with."""
    if fmt not in RUNTIME:
        raise DeployError(f"format {fmt!r} is neither onnx nor torch")
    found: dict[str, str] = {}
    for package in RUNTIME[fmt]:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            raise DeployError(
                f"{package} is not installed; the API needs it: pip install 'ventureplan[serve]'"
            ) from None
    for package, version in _dependencies(list(found)).items():
        found.setdefault(package, version)
    return found


def _dependencies(roots: list[str]) -> dict[str, str]:
    """The installed versions of the packages `roots` require, transitively, for this
    Python and platform (the image's: same minor version, Linux)."""
    try:
        from packaging.requirements import Requirement
        from packaging.utils import canonicalize_name
    except ImportError:  # without packaging, pin the direct packages only
        return {}
    seen = {canonicalize_name(r) for r in roots}
    todo, found = list(roots), dict[str, str]()
    while todo:
        for line in metadata.requires(todo.pop()) or []:
            req = Requirement(line)
            key = canonicalize_name(req.name)
            if key in seen or (req.marker is not None and not req.marker.evaluate({"extra": ""})):
                continue
            seen.add(key)
            try:
                found[key] = metadata.version(req.name)
            except metadata.PackageNotFoundError:
                continue  # not installed here: pip resolves it
            todo.append(req.name)
    return found


def write_bundle(
    out: Path,
    *,
    model_folder: Path,
    serving: dict[str, Any],
    serve: Serve,
    name: str,
    versions: dict[str, str],
    server_source: Path,
    force: bool = False,
) -> list[Path]:
    """Write the deployment bundle to `out`; the files written. Refuses (DeployError) before
    writing anything when an input is wrong or `out` holds files and `force` is not set."""
    fmt = _check_serving(serving, serve)
    _check_name(name)
    _check_versions(versions, fmt)
    model_files = _model_files(Path(model_folder), fmt)
    server = _check_server(Path(server_source), versions)
    target = _check_out(Path(out), Path(model_folder), force)

    partial = Path(tempfile.mkdtemp(prefix=f"{target.name}.partial-", dir=target.parent))
    try:
        os.chmod(partial, 0o755)  # mkdtemp's 0700 would stay on the bundle
        files = _contents(serving, serve, name, versions)
        for rel, text in files.items():
            _put(partial / rel, text.encode())
        _put(partial / "app" / "server.py", server)
        for rel, source in model_files.items():
            _put(partial / "model" / rel, source.read_bytes())
        _move_into_place(partial, target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return sorted(p for p in target.rglob("*") if p.is_file())


# --- checks, all before anything is written -----------------------------------------


def _check_serving(serving: dict[str, Any], serve: Serve) -> str:
    keys = set(serving) - {"personal_data"}  # optional: the texts are personal data
    if keys != set(SERVING_KEYS):
        extra, missing = sorted(keys - set(SERVING_KEYS)), sorted(set(SERVING_KEYS) - keys)
        raise DeployError(f"serving.json keys: missing {missing}, unexpected {extra}")
    fmt = serving["format"]
    if fmt not in RUNTIME:
        raise DeployError(f"serving format {fmt!r} is neither onnx nor torch")
    for key in ("max_batch", "max_wait_ms", "max_texts", "max_chars"):
        if serving[key] != getattr(serve, key):
            raise DeployError(
                f"serving.json {key} is {serving[key]!r} but the route's serve.{key} is "
                f"{getattr(serve, key)!r}; write both from the plan"
            )
    if not str(serving["run"]).strip() or not str(serving["variant"]).strip():
        raise DeployError("serving.json needs the run id and the variant name")
    return str(fmt)


def _check_name(name: str) -> None:
    if not _DNS1035.fullmatch(name):
        raise DeployError(
            f"{name!r} cannot name Kubernetes objects: use lowercase letters, digits and "
            "'-', starting with a letter, at most 63 characters (k8s_name() makes one)"
        )


def _check_versions(versions: dict[str, str], fmt: str) -> None:
    missing = [p for p in RUNTIME[fmt] if p not in versions]
    if missing:
        raise DeployError(f"no pinned version for {', '.join(missing)} (runtime_versions())")
    for package, version in versions.items():
        if not _PACKAGE.fullmatch(package) or not _VERSION.fullmatch(version):
            raise DeployError(f"{package!r}=={version!r} is not a package name and version")


def _model_files(folder: Path, fmt: str) -> dict[str, Path]:
    """The variant's files by their path inside the folder; refuses pickles and a folder
    missing what `fmt` needs."""
    if not folder.is_dir():
        raise DeployError(f"model folder {folder} does not exist")
    files = {
        p.relative_to(folder).as_posix(): p
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "serving.json"  # the bundle writes its own
    }
    pickles = [rel for rel in files if Path(rel).suffix.lower() in PICKLES]
    if pickles:
        raise DeployError(
            f"{folder} holds pickle files ({', '.join(pickles)}); loading one runs code, so a "
            "bundle carries safetensors or ONNX only: save with safe_serialization=True"
        )
    if fmt == "onnx":
        needed = ["model.onnx", "tokenizer.json"]
    elif "pruning.json" in files or "pruned.safetensors" in files:
        needed = ["config.json", "pruning.json", "pruned.safetensors"]
    else:
        needed = ["config.json"]
        if not any(rel.endswith(".safetensors") for rel in files):
            needed.append("*.safetensors")
    absent = [n for n in needed if n not in files]
    if absent:
        raise DeployError(f"{folder} is not a {fmt} variant: it lacks {', '.join(absent)}")
    return files


def _check_server(path: Path, versions: dict[str, str]) -> bytes:
    """The server's source. It runs alone as /app/server.py, so each import it makes at
    start-up must be the standard library's or a package the image installs."""
    try:
        source = path.read_bytes()
        tree = ast.parse(source, filename=str(path))
    except (OSError, SyntaxError, ValueError) as exc:
        raise DeployError(f"cannot read the server {path}: {exc}") from None
    installed = {_canonical(p) for p in versions}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level:
            raise DeployError(f"{path} imports relatively; the image runs it alone")
        modules = (
            [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else []
        )
        for module in modules:
            top = module.split(".")[0]
            if top in sys.stdlib_module_names or top == "__future__":
                continue
            dists = {_canonical(d) for d in _providers().get(top, [top])}
            if not dists & installed:
                raise DeployError(
                    f"{path} imports {top}, which the image does not install; "
                    "the API must need only the runtime packages"
                )
    return source


@functools.cache
def _providers() -> dict[str, list[str]]:
    """Which distributions provide each top-level module (a scan of every installed one)."""
    return dict(metadata.packages_distributions())


def _canonical(package: str) -> str:
    return re.sub(r"[-_.]+", "-", package).lower()


def _check_out(out: Path, model_folder: Path, force: bool) -> Path:
    target, model = out.resolve(), model_folder.resolve()
    if target == model or model in target.parents:
        raise DeployError(f"{out} is inside the model folder {model_folder}; choose another")
    if target in model.parents:
        raise DeployError(f"the model folder {model_folder} is inside {out}; choose another")
    if not target.parent.is_dir():
        raise DeployError(f"folder {out.parent} does not exist")
    if target.exists() and not target.is_dir():
        raise DeployError(f"{out} is a file; name a folder for the bundle")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise DeployError(f"{out} is not empty; choose an empty folder or pass --force")
    if not os.access(target.parent, os.W_OK):
        raise DeployError(f"cannot write in {out.parent}: permission denied")
    return target


# --- writing ---------------------------------------------------------------------------


def _put(path: Path, data: bytes) -> None:
    # 0644 whatever the source's mode: COPY keeps it, and the image runs as UID 10001
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
    path.write_bytes(data)
    os.chmod(path, 0o644)


def _move_into_place(partial: Path, target: Path) -> None:
    """Rename the finished bundle to `target`; a bundle already there is renamed away first
    and deleted only once the new one is in place."""
    if not target.exists():
        os.rename(partial, target)
        return
    holder = Path(tempfile.mkdtemp(prefix=f"{target.name}.old-", dir=target.parent))
    os.rename(target, holder / "bundle")
    try:
        os.rename(partial, target)
    except BaseException:
        os.rename(holder / "bundle", target)
        shutil.rmtree(holder, ignore_errors=True)
        raise
    shutil.rmtree(holder, ignore_errors=True)


def _contents(
    serving: dict[str, Any], serve: Serve, name: str, versions: dict[str, str]
) -> dict[str, str]:
    fmt = serving["format"]
    image = f"REGISTRY/{name}:{_tag(str(serving['run']))}"
    m = _Manifests(name, serve, str(serving["run"]), str(serving["variant"]), image)
    return {
        "Dockerfile": dockerfile(),
        "requirements.txt": requirements(versions, fmt),
        "model/serving.json": json.dumps(serving, indent=2) + "\n",
        "k8s/deployment.yaml": _yaml(m.deployment()),
        "k8s/service.yaml": _yaml(m.service()),
        "k8s/hpa.yaml": _yaml(m.hpa()),
        "k8s/pdb.yaml": _yaml(m.pdb()),
        "k8s/servicemonitor.yaml": _yaml(m.servicemonitor()),
        "k8s/secret.yaml": SECRET_NOTE.format(secret=m.secret_name) + _yaml(m.secret()),
        "prometheus.yml": PROMETHEUS_NOTE.replace("NAME", name) + _yaml(m.prometheus()),
        "README.md": README.format(name=name, image=image, secret=m.secret_name, **serving),
    }


def _http_get(path: str) -> dict[str, Any]:
    return {"httpGet": {"path": path, "port": "http"}}


def _yaml(document: dict[str, Any]) -> str:
    return str(yaml.safe_dump(document, sort_keys=False, default_flow_style=False))


def _tag(run: str) -> str:
    """A Docker tag from a run id: [A-Za-z0-9_.-], at most 128, not starting with . or -."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", run).lstrip(".-")[:128] or "latest-run"


def dockerfile() -> str:
    base = f"python:{sys.version_info.major}.{sys.version_info.minor}-slim-bookworm"
    probe = (
        "import urllib.request; "
        f"urllib.request.urlopen('http://127.0.0.1:{PORT}/healthz', timeout=2)"
    )
    return f"""\
# The model API. Built by `ventureplan deploy`; see README.md.
# The Python minor version matches the one the pinned wheels were installed with.
FROM {base}

ENV PYTHONDONTWRITEBYTECODE=1 \\
    PYTHONUNBUFFERED=1 \\
    PIP_DISABLE_PIP_VERSION_CHECK=1 \\
    HOME=/tmp

WORKDIR /app

# Dependencies first: this layer is rebuilt only when requirements.txt changes.
COPY requirements.txt /app/requirements.txt
RUN pip install --no-cache-dir -r /app/requirements.txt \\
    && useradd --uid {UID} --user-group --no-create-home --home-dir /tmp \\
       --shell /usr/sbin/nologin ventureplan

COPY app/ /app/
COPY model/ /app/model/

USER {UID}
EXPOSE {PORT}
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \\
    CMD ["python", "-c", "{probe}"]
CMD ["python", "/app/server.py", "/app/model", "--host", "0.0.0.0", "--port", "{PORT}"]
"""


def requirements(versions: dict[str, str], fmt: str) -> str:
    lines = ["# The model API's runtime: the versions the variant was measured with."]
    if fmt == "torch":
        # torch==X matches the CPU index's X+cpu, which pip prefers over PyPI's CUDA build
        lines += ["# torch comes from PyTorch's CPU index (no CUDA libraries)."]
        lines += [f"--extra-index-url {TORCH_INDEX}"]
    for package, version in sorted(versions.items(), key=lambda kv: _canonical(kv[0])):
        if _canonical(package) == "torch":
            version = version.split("+")[0]
        lines.append(f"{package}=={version}")
    return "\n".join(lines) + "\n"


class _Manifests:
    """The Kubernetes objects and the Prometheus config, from one set of labels."""

    def __init__(self, name: str, serve: Serve, run: str, variant: str, image: str) -> None:
        self.name, self.serve, self.image = name, serve, image
        self.secret_name = f"{name}-api-keys"
        self.selector = {"app.kubernetes.io/name": name}  # immutable on a Deployment
        self.labels = {
            **self.selector,
            "app.kubernetes.io/component": "model-api",
            "app.kubernetes.io/part-of": "ventureplan",
        }
        # annotations: a run id can exceed a label value's 63 characters
        self.annotations = {"ventureplan/run": run, "ventureplan/variant": variant}

    def _meta(self, name: str | None = None) -> dict[str, Any]:
        return {"name": name or self.name, "labels": dict(self.labels)}

    def deployment(self) -> dict[str, Any]:
        serve = self.serve
        resources = {"cpu": serve.cpu, "memory": serve.memory}
        container = {
            "name": "api",
            "image": self.image,
            "imagePullPolicy": "IfNotPresent",
            "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
            "env": [
                {
                    "name": KEYS,
                    "valueFrom": {"secretKeyRef": {"name": self.secret_name, "key": KEYS}},
                },
                {"name": "HOME", "value": "/tmp"},
            ],
            "resources": {"requests": dict(resources), "limits": dict(resources)},
            # the model loads before /healthz answers; liveness waits for this
            "startupProbe": {**_http_get("/healthz"), "periodSeconds": 2, "failureThreshold": 60},
            "readinessProbe": {
                **_http_get("/readyz"),
                "periodSeconds": 5,
                "timeoutSeconds": 2,
                "failureThreshold": 3,
            },
            "livenessProbe": {
                **_http_get("/healthz"),
                "periodSeconds": 10,
                "timeoutSeconds": 2,
                "failureThreshold": 3,
            },
            # the endpoints controller stops routing here before the server stops
            "lifecycle": {"preStop": {"exec": {"command": ["sleep", "5"]}}},
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "runAsNonRoot": True,
                "capabilities": {"drop": ["ALL"]},
            },
            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
        }
        pod = {
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "automountServiceAccountToken": False,
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": UID,
                "runAsGroup": UID,
                "fsGroup": UID,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "topologySpreadConstraints": [
                {
                    "maxSkew": 1,
                    "topologyKey": "kubernetes.io/hostname",
                    "whenUnsatisfiable": "ScheduleAnyway",
                    "labelSelector": {"matchLabels": dict(self.selector)},
                }
            ],
            "containers": [container],
            "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}}],
        }
        return {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {**self._meta(), "annotations": dict(self.annotations)},
            "spec": {
                "replicas": serve.replicas.min,
                "selector": {"matchLabels": dict(self.selector)},
                "strategy": {
                    "type": "RollingUpdate",
                    "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
                },
                "template": {
                    "metadata": {
                        "labels": dict(self.labels),
                        "annotations": dict(self.annotations),
                    },
                    "spec": pod,
                },
            },
        }

    def service(self) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": self._meta(),
            "spec": {
                "type": "ClusterIP",
                "selector": dict(self.selector),
                "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
            },
        }

    def hpa(self) -> dict[str, Any]:
        target = {"type": "Utilization", "averageUtilization": self.serve.target_cpu}
        return {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": self._meta(),
            "spec": {
                "scaleTargetRef": {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "name": self.name,
                },
                "minReplicas": self.serve.replicas.min,
                "maxReplicas": self.serve.replicas.max,
                "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": target}}],
            },
        }

    def pdb(self) -> dict[str, Any]:
        # With two or more replicas one always serves during a drain; with one, minAvailable
        # 1 would block every drain, so allow that one to move (a short outage).
        budget = {"minAvailable": 1} if self.serve.replicas.min >= 2 else {"maxUnavailable": 1}
        return {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": self._meta(),
            "spec": {
                **budget,
                "selector": {"matchLabels": dict(self.selector)},
                "unhealthyPodEvictionPolicy": "AlwaysAllow",  # a crash-looping pod never blocks
            },
        }

    def servicemonitor(self) -> dict[str, Any]:
        return {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "ServiceMonitor",
            "metadata": self._meta(),
            "spec": {
                "selector": {"matchLabels": dict(self.selector)},  # the Service carries these
                "endpoints": [
                    {
                        "port": "http",
                        "path": "/metrics",
                        "scheme": "http",
                        "interval": "30s",
                        "authorization": {
                            "type": "Bearer",
                            "credentials": {"name": self.secret_name, "key": SCRAPE_KEY},
                        },
                    }
                ],
            },
        }

    def secret(self) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": self._meta(self.secret_name),
            "type": "Opaque",
            "stringData": {KEYS: PLACEHOLDER, SCRAPE_KEY: PLACEHOLDER},
        }

    def prometheus(self) -> dict[str, Any]:
        """A Prometheus without the operator, scraping through the Service (PROMETHEUS_NOTE);
        the key is read from a file beside this one."""
        return {
            "global": {"scrape_interval": "30s", "evaluation_interval": "30s"},
            "scrape_configs": [
                {
                    "job_name": self.name,
                    "metrics_path": "/metrics",
                    "scheme": "http",
                    "authorization": {
                        "type": "Bearer",
                        "credentials_file": f"secrets/{SCRAPE_KEY}",
                    },
                    "static_configs": [
                        {
                            "targets": [f"{self.name}.default.svc:80"],
                            "labels": {"service": self.name},
                        }
                    ],
                }
            ],
        }


PROMETHEUS_NOTE = """\
# Scrapes the model API through its Service: change `default` to its namespace, or the
# target to localhost:8080 for `docker run -p 8080:8080`. Each scrape reaches one pod;
# for one series per pod use k8s/servicemonitor.yaml (Prometheus operator) or replace
# static_configs with `kubernetes_sd_configs: [{role: endpoints}]` and keep
# __meta_kubernetes_service_name = NAME (a Prometheus built with Kubernetes discovery).
# The key: one of VENTUREPLAN_API_KEYS, in secrets/metrics-key beside this file.
"""


SECRET_NOTE = f"""\
# A TEMPLATE: never put real keys in this file or in version control, and do not apply
# it over the real Secret. Create that instead (README.md):
#   kubectl create secret generic {{secret}} \\
#     --from-literal={KEYS}=KEY1,KEY2 --from-literal={SCRAPE_KEY}=KEY2
"""

README = """\
# {name}: the model API

Run `{run}`, variant `{variant}` ({format}), as an HTTP API on Kubernetes.
Written by `ventureplan deploy`.

## Build and push

    CLIENT_KEY=$(openssl rand -hex 32); SCRAPE_KEY=$(openssl rand -hex 32)   # keep them safe
    docker build -t {image} .
    docker run --rm -p 8080:8080 -e VENTUREPLAN_API_KEYS="$CLIENT_KEY" {image}  # try it
    docker push {image}

Replace `REGISTRY` with your registry (`registry.example.com/team`) here and in
`k8s/deployment.yaml`:

    sed -i 's#REGISTRY/#registry.example.com/team/#' k8s/deployment.yaml

## The API keys

The API accepts `Authorization: Bearer KEY` for any key in `VENTUREPLAN_API_KEYS`
(comma-separated). Prometheus scrapes `/metrics` with one of them, `metrics-key`.
Create the Secret from real keys; `k8s/secret.yaml` only shows its shape:

    kubectl create secret generic {secret} \\
      --from-literal=VENTUREPLAN_API_KEYS="$CLIENT_KEY,$SCRAPE_KEY" \\
      --from-literal=metrics-key="$SCRAPE_KEY"

## Apply

Everything but the Secret template (applying it would replace the real keys):

    kubectl apply -f k8s/deployment.yaml -f k8s/service.yaml -f k8s/hpa.yaml -f k8s/pdb.yaml
    kubectl apply -f k8s/servicemonitor.yaml   # with the Prometheus operator only
    kubectl rollout status deployment/{name}

The autoscaler needs metrics-server. The Deployment starts `replicas.min` pods; the
HorizontalPodAutoscaler then owns the count. The ServiceMonitor is found by a Prometheus
whose `serviceMonitorSelector` matches its labels (kube-prometheus-stack wants a
`release` label: add it).

## Call it

    kubectl port-forward service/{name} 8080:80
    curl -s http://localhost:8080/v1/classify -H "Authorization: Bearer $CLIENT_KEY" \\
      -H 'Content-Type: application/json' -d '{{"texts": ["the text to classify"]}}'

`GET /healthz` (alive) and `/readyz` (model loaded) need no key.

## Scrape

Without the operator, `prometheus.yml` scrapes the Service at `{name}.default.svc:80`
(edit the namespace). Each scrape reaches one pod; for one series per pod use the
ServiceMonitor. Put the scrape key in `secrets/metrics-key` beside `prometheus.yml`
(`chmod 600`; keep it out of version control), then check it:

    promtool check config prometheus.yml
"""
