"""`ventureplan serve`: the plan's HTML report on a local web page that follows the file.

A watcher thread polls the plan file; when it changes, the report is rebuilt in the
background and the page, which asks `/version` once a second, reloads itself. A save that
does not validate keeps the last good report on screen under a banner naming the errors.
Standard library only: `http.server` and a thread; the report HTML is exactly what
`report -o plan.html` writes, with a banner and the polling script injected.
"""

from __future__ import annotations

import errno
import hashlib
import html
import ipaddress
import json
import re
import secrets
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from ..defaults import DEFAULT_SEED, LIVE_ITERATIONS
from ..errors import VenturePlanError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
POLL_SECONDS = 0.3
MAX_ERROR_LINES = 30
MAX_CONNECTIONS = 32  # a projector and a few laptops; more is someone holding sockets open
IDLE_SECONDS = 10  # a connection that sends nothing for this long is closed

# The banner's words, in the report's language (the report's own labels stay untouched).
WORDS = {
    "en": {
        "stale": "The last save has an error; showing the last good version.",
        "invalid": "The plan has an error. Fix it and save; this page updates by itself.",
        "more": "… and {n} more",
        "offline": "Not connected to ventureplan serve",
    },
    "zh": {
        "stale": "最近一次保存有错误；显示的是上一个有效版本。",
        "invalid": "计划有错误。修改并保存后，本页会自动更新。",
        "more": "……另有 {n} 条",
        "offline": "未连接到 ventureplan serve",
    },
}

Renderer = Callable[[Path], tuple[str, str]]
Fingerprint = tuple[int, int, str] | None


def render_report(
    path: Path, lang: str | None, iterations: int, seed: int = DEFAULT_SEED
) -> tuple[str, str]:
    """The report page for the plan at `path` and its language, as `report -o x.html`
    writes it. Raises VenturePlanError (PlanError with findings) for an invalid plan."""
    from .. import pipeline

    made = pipeline.report(path, lang=lang, iterations=iterations, seed=seed)
    return pipeline.render(made, "html").decode("utf-8"), made.lang


def error_lines(exc: BaseException) -> list[str]:
    """One line per problem: `FILE:LINE:COL: error: field: message` where located."""
    findings = getattr(exc, "findings", None)
    if findings:
        return [f.format() for f in findings]
    if isinstance(exc, VenturePlanError):
        return [f"error: {exc}"]
    return [f"internal error: {type(exc).__name__}: {exc}"]


def is_loopback(host: str) -> bool:
    """`localhost` or a literal loopback address (127.0.0.0/8, ::1). A DNS name that merely
    starts like one (`127.0.0.1.attacker.example`) is not."""
    name = host.strip().lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


HOST_HEADER = re.compile(r"\[(?P<v6>[0-9a-f:.]+)\](?::\d{1,5})?|(?P<name>[^:\[\]]+)(?::\d{1,5})?")


@dataclass(frozen=True)
class Snapshot:
    """What the page shows: the last good report (None before the first valid save) and
    the errors of the latest save (empty when it was valid). `version` changes with it."""

    version: int
    report: str | None
    errors: tuple[str, ...]
    lang: str

    @property
    def ok(self) -> bool:
        return self.report is not None and not self.errors


class PlanServer:
    """Serves the plan's report on http://HOST:PORT/ and re-renders it when the file changes.

    `start()` binds the port (port 0 picks a free one), renders once and returns; the
    server and the watcher run in daemon threads until `stop()`.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        lang: str | None = None,
        iterations: int = LIVE_ITERATIONS,
        seed: int = DEFAULT_SEED,
        poll: float = POLL_SECONDS,
        render: Renderer | None = None,
        log: Callable[[str], None] | None = None,
    ):
        self.path = Path(path)
        self.host = host
        self.requested_port = port
        self.lang = lang
        self.poll = poll
        self._render: Renderer = render or (
            lambda p: render_report(p, lang=lang, iterations=iterations, seed=seed)
        )
        self._log = log or (lambda _message: None)
        self._lock = threading.Lock()
        self._snapshot = Snapshot(0, None, (), lang or "en")
        self._rendered: Fingerprint | tuple[str] = ("never",)
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._threads: list[threading.Thread] = []

    # --- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        """Bind, render the plan once, then serve and watch in the background. Raises
        VenturePlanError when the address cannot be bound."""
        try:
            self._httpd = _HTTPServer((self.host, self.requested_port), self)
        except OSError as exc:
            raise VenturePlanError(
                f"cannot listen on {self.host}:{self.requested_port}: {exc.strerror or exc}"
                + (" (choose another --port)" if exc.errno == errno.EADDRINUSE else "")
            ) from None
        try:
            self._refresh(self._fingerprint())
            self._threads = [
                threading.Thread(
                    target=self._httpd.serve_forever,
                    kwargs={"poll_interval": 0.2},
                    name="ventureplan-serve-http",
                    daemon=True,
                ),
                threading.Thread(target=self._watch, name="ventureplan-serve-watch", daemon=True),
            ]
            for thread in self._threads:
                thread.start()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop serving and watching; safe to call more than once."""
        self._stopping.set()
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            if self._threads and self._threads[0].is_alive():
                httpd.shutdown()
            httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=30)  # the watcher may be finishing a render
        self._threads = []

    def __enter__(self) -> PlanServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            return self.requested_port
        return int(self._httpd.server_address[1])

    @property
    def bound_host(self) -> str:
        if self._httpd is None:
            return self.host
        return str(self._httpd.server_address[0])

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    @property
    def snapshot(self) -> Snapshot:
        with self._lock:
            return self._snapshot

    # --- watching and rendering ------------------------------------------------------
    def _fingerprint(self) -> Fingerprint:
        try:
            stat = self.path.stat()
            digest = hashlib.sha256(self.path.read_bytes()).hexdigest()
        except OSError:
            return None  # missing or unreadable: load_plan says why
        return (stat.st_mtime_ns, stat.st_size, digest)

    def _watch(self) -> None:
        pending: Fingerprint | tuple[str] = ("none",)
        while not self._stopping.wait(self.poll):
            seen = self._fingerprint()
            if seen == self._rendered:
                continue
            if seen != pending:  # wait one poll for a save in progress to settle
                pending = seen
                continue
            self._refresh(seen)

    def _refresh(self, seen: Fingerprint) -> None:
        self._rendered = seen
        started = time.monotonic()
        try:
            page, lang = self._render(self.path)
        except Exception as exc:  # a bug in a plugin must not stop the watcher
            if not isinstance(exc, VenturePlanError):
                self._log(traceback.format_exc().rstrip())
            self._publish_errors(error_lines(exc))
        else:
            self._publish_report(page, lang, time.monotonic() - started)

    def _publish_report(self, page: str, lang: str, seconds: float) -> None:
        with self._lock:
            old = self._snapshot
            if old.report == page and not old.errors:
                return
            self._snapshot = Snapshot(old.version + 1, page, (), lang)
        self._log(f"{_now()} rendered {self.path.name} ({seconds:.1f} s)")

    def _publish_errors(self, lines: list[str]) -> None:
        with self._lock:
            old = self._snapshot
            if old.errors == tuple(lines):
                return
            self._snapshot = Snapshot(old.version + 1, old.report, tuple(lines), old.lang)
            kept = old.report is not None
        what = "still showing the last good version" if kept else "nothing valid to show yet"
        self._log(f"{_now()} {self.path.name} has an error ({what}):")
        for line in lines:
            self._log("  " + line)

    # --- pages -----------------------------------------------------------------------
    def page(self, nonce: str = "") -> str:
        """The page for `/`: the report with the banner (if any) and the polling script."""
        snap = self.snapshot
        words = WORDS.get(snap.lang, WORDS["en"])
        extra = _script(snap.version, words["offline"], nonce)
        if snap.report is None:
            title = html.escape(f"{self.path.name} — ventureplan")
            banner = _banner(words["invalid"], snap.errors, words) if snap.errors else ""
            return (
                f'<!DOCTYPE html>\n<html lang="{snap.lang}">\n<head>\n<meta charset="utf-8">\n'
                '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
                f"<title>{title}</title>\n</head>\n<body>\n{banner}\n{extra}\n</body>\n</html>\n"
            )
        doc = snap.report
        if snap.errors:
            banner = _banner(words["stale"], snap.errors, words)
            opening = re.search(r"<body\b[^>]*>", doc)
            at = opening.end() if opening else 0
            doc = doc[:at] + "\n" + banner + doc[at:]
        end = doc.rfind("</body>")
        if end < 0:
            end = len(doc)
        return doc[:end] + extra + "\n" + doc[end:]

    def version_document(self) -> dict[str, Any]:
        snap = self.snapshot
        return {"version": snap.version, "ok": snap.ok}


def _now() -> str:
    return time.strftime("%H:%M:%S")


BANNER_STYLE = """<style>
#vp-serve-error { position: sticky; top: 0; z-index: 2147483647; margin: 0 0 1.5em;
  padding: 0.9em 1.2em; background: #b3261e; color: #fff; border-radius: 4px;
  box-shadow: 0 2px 8px rgba(0,0,0,.35); font: 600 13pt/1.35 "DejaVu Sans", sans-serif; }
#vp-serve-error pre { margin: 0.6em 0 0; padding: 0.5em 0.7em; background: rgba(0,0,0,.25);
  border-radius: 3px; white-space: pre-wrap; overflow-wrap: anywhere;
  font: 400 11pt/1.4 "DejaVu Sans Mono", monospace; }
</style>"""


def _banner(headline: str, errors: tuple[str, ...], words: dict[str, str]) -> str:
    shown = list(errors[:MAX_ERROR_LINES])
    if len(errors) > MAX_ERROR_LINES:
        shown.append(words["more"].format(n=len(errors) - MAX_ERROR_LINES))
    lines = "\n".join(html.escape(line) for line in shown)
    return (
        f'{BANNER_STYLE}\n<div id="vp-serve-error" role="alert">'
        f"<div>{html.escape(headline)}</div><pre>{lines}</pre></div>"
    )


# Asks /version every second and reloads when it changes; shows a small badge while the
# server cannot be reached (stopped, or the laptop asleep).
SCRIPT = """<script{nonce}>
(function () {
  var shown = {version}, badge = null, text = {offline};
  function offline(on) {
    if (on && !badge) {
      badge = document.createElement('div');
      badge.id = 'vp-serve-offline';
      badge.textContent = text;
      badge.style.cssText = 'position:fixed;right:1em;bottom:1em;padding:.4em .8em;' +
        'background:#555;color:#fff;border-radius:4px;font:12pt sans-serif;z-index:2147483647';
      document.body.appendChild(badge);
    } else if (!on && badge) { badge.remove(); badge = null; }
  }
  function poll() {
    fetch('/version', {cache: 'no-store'})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (d) {
        offline(false);
        if (d.version !== shown) { location.reload(); } else { setTimeout(poll, 1000); }
      })
      .catch(function () { offline(true); setTimeout(poll, 1000); });
  }
  setTimeout(poll, 1000);
})();
</script>"""


def _script(version: int, offline: str, nonce: str) -> str:
    return (
        SCRIPT.replace("{nonce}", f' nonce="{nonce}"' if nonce else "")
        .replace("{version}", str(version))
        .replace("{offline}", json.dumps(offline))  # ASCII-escaped: safe inside <script>
    )


class _HTTPServer(ThreadingHTTPServer):
    """One thread per connection, at most MAX_CONNECTIONS at once: a connection over the
    limit is closed at once rather than queued, so idle sockets cannot pile up threads."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], app: PlanServer):
        self.app = app
        self.slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.slots.acquire(blocking=False):
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # the browser left mid-answer (a reload, a closed tab)
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server_version = "ventureplan-serve"
    sys_version = ""
    timeout = IDLE_SECONDS  # socket timeout: an idle or trickling client is dropped

    @property
    def app(self) -> PlanServer:
        return cast(_HTTPServer, self.server).app

    def do_GET(self) -> None:
        if not self._host_allowed():
            self._send(HTTPStatus.FORBIDDEN, "text/plain", b"forbidden host\n")
            return
        route = urlsplit(self.path).path
        if route == "/":
            nonce = secrets.token_urlsafe(16)
            body = self.app.page(nonce).encode("utf-8")
            self._send(HTTPStatus.OK, "text/html; charset=utf-8", body, nonce)
        elif route == "/version":
            body = json.dumps(self.app.version_document()).encode("utf-8")
            self._send(HTTPStatus.OK, "application/json", body)
        else:
            self._send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"not found\n")

    def _host_allowed(self) -> bool:
        """On a loopback address, answer only requests addressed to a loopback name, so a
        web page elsewhere cannot read the plan through DNS rebinding."""
        if not is_loopback(self.app.host):
            return True
        header = self.headers.get("Host")
        if header is None:
            return True
        m = HOST_HEADER.fullmatch(header.strip().lower())
        return m is not None and is_loopback(m.group("v6") or m.group("name"))

    def _send(self, status: HTTPStatus, kind: str, body: bytes, nonce: str = "") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        script = f"'nonce-{nonce}'" if nonce else "'none'"
        self.send_header(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
            f"font-src 'self' data:; script-src {script}; connect-src 'self'; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        )
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        # The page polls every second: logging each request would bury the useful lines.
        pass

    def log_error(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"{self.address_string()} - {format % args}\n")
