"""`ventureplan api`: the model API on a run folder, a variant folder or a bundle."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..serving import api as run_api
from .output import echo


def api(
    path: Annotated[
        Path,
        typer.Argument(
            help="A run folder (runs/<id>/), a variant folder (runs/<id>/variants/<name>/) "
            "or a bundle written by `ventureplan deploy`."
        ),
    ],
    host: Annotated[
        str,
        typer.Option("--host", help="Address to listen on (default: this machine only)."),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", help="Port to listen on.")] = 8080,
    keys_file: Annotated[
        Path | None,
        typer.Option(
            "--keys-file",
            help="A file of salted key hashes, one `KEY_ID hmac-sha256$SALT$DIGEST` per line "
            "(`revoked` after one refuses it); VENTUREPLAN_API_KEYS (comma-separated keys) "
            "works as well.",
        ),
    ] = None,
    log_texts: Annotated[
        bool,
        typer.Option("--log-texts", help="Write the request texts into the JSON log lines."),
    ] = False,
) -> None:
    """Serve a trained or optimised model: `POST /v1/classify` with `{"texts": [...]}`
    answers a label and the scores per text, with requests batched together (up to
    `max_batch` texts or `max_wait_ms`). Every route except `/healthz` and `/readyz` needs
    `Authorization: Bearer KEY`; `/metrics` is in the Prometheus format; one JSON log line
    per request goes to stdout. SIGTERM finishes the requests in flight, then stops.

    An optimisation's run folder serves its chosen variant; a training run's, its model.

    Example: VENTUREPLAN_API_KEYS=secret ventureplan api runs/20270212T101500Z-minilm-ft-opt
    """
    if host not in ("127.0.0.1", "localhost", "::1"):
        echo(f"Listening on {host}: anyone who can reach it may call the API with a key.", err=True)
    run_api(path, host, port, keys_file, log_texts)
