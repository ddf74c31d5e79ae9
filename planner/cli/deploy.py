"""`ventureplan deploy`: the deployment bundle of the route's model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..serving import deploy_route
from .options import PlanFile
from .output import echo, print_warnings


def deploy(
    plan: PlanFile,
    out: Annotated[Path, typer.Option("--out", "-o", help="The folder to write the bundle into.")],
    run: Annotated[
        str | None,
        typer.Option(
            "--run",
            help="The run to deploy: an optimisation (its chosen variant) or a training run "
            "(default: the route's newest optimisation, else its newest training run).",
        ),
    ] = None,
    route: Annotated[
        str | None, typer.Option("--route", help="Route id (default: the chosen route).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace a bundle already in the folder.")
    ] = False,
) -> None:
    """Write a deployment bundle from the route's `serve:` section: the model files with
    their serving.json, the API server, a Dockerfile (slim base, pinned requirements
    installed before the code, non-root user, HEALTHCHECK), Kubernetes manifests in `k8s/`
    (Deployment with probes, resources and a read-only root filesystem, Service,
    HorizontalPodAutoscaler autoscaling/v2, PodDisruptionBudget, ServiceMonitor, a Secret
    template for the API keys), a Prometheus scrape config and a README.

    The bundle is written to a new folder beside OUT and renamed into place, so a failure
    leaves nothing.

    Example: ventureplan deploy plan.yaml -o bundle/
    """
    record, files, warnings = deploy_route(plan, out, run, route, force=force)
    print_warnings(warnings)
    what = getattr(record, "chosen", None)
    echo(
        f"Wrote the bundle of run {record.run}"
        + (f" (variant {what})" if what else "")
        + f" to {out}: {len(files)} files"
    )
    for f in files:
        echo(f"  {f}")
