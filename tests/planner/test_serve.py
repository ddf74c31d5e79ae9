"""`ventureplan serve`: the live report page, driven over HTTP and in a real Chromium."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ventureplan.planner.errors import VenturePlanError
from ventureplan.planner.workshop.serve import PlanServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WAIT_S = 60  # a re-render takes a second or two; a slow, busy machine gets headroom
ITERATIONS = 500

OLD_NAME = "Small test venture"
NEW_NAME = "Projector test venture"
OLD_TASK = "Label 2,000 tickets"
NEW_TASK = "Label 3,000 support tickets"
GOOD_DEPENDS = "depends_on: [data]"
BAD_DEPENDS = "depends_on: [dta]"


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def get(server: PlanServer | int, path: str, host: str | None = None) -> tuple[int, str]:
    port = server if isinstance(server, int) else server.port
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.putrequest("GET", path, skip_host=True)
        conn.putheader("Host", host or f"127.0.0.1:{port}")
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8")
    finally:
        conn.close()


def version(server: PlanServer) -> dict[str, Any]:
    status, body = get(server, "/version")
    assert status == 200
    document: dict[str, Any] = json.loads(body)
    return document


def wait_until(check: Callable[[], bool], what: str, timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def wait_for_version(server: PlanServer, after: int, ok: bool) -> dict[str, Any]:
    found: dict[str, Any] = {}

    def changed() -> bool:
        found.update(version(server))
        return bool(found["version"] > after and found["ok"] is ok)

    wait_until(changed, f"version > {after} with ok={ok}")
    return found


@pytest.fixture
def server(small_plan: Path) -> Iterator[PlanServer]:
    srv = PlanServer(small_plan, port=0, iterations=ITERATIONS)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


# --- without a browser -----------------------------------------------------------------
def test_binds_loopback_by_default(small_plan: Path):
    srv = PlanServer(small_plan, port=0, iterations=ITERATIONS)
    assert srv.host == "127.0.0.1"
    with srv:
        assert srv.bound_host == "127.0.0.1"
        assert srv.url == f"http://127.0.0.1:{srv.port}/"
        assert srv.port != 0


def test_routes_and_version_follow_saves(server: PlanServer, small_plan: Path):
    first = version(server)
    assert first == {"version": first["version"], "ok": True}
    status, page = get(server, "/")
    assert status == 200
    assert OLD_NAME in page and OLD_TASK in page
    assert "vp-serve-error" not in page
    assert page.count("<script") == 1  # only the polling script; the report has none

    for path in ("/nope", "/version/x", "/index.html", "/favicon.ico"):
        assert get(server, path)[0] == 404, path
    assert get(server, "/version?t=1")[0] == 200

    small_plan.write_text(small_plan.read_text("utf-8").replace(OLD_NAME, NEW_NAME), "utf-8")
    second = wait_for_version(server, first["version"], ok=True)
    _, page = get(server, "/")
    assert NEW_NAME in page and OLD_NAME not in page

    # saving the same bytes again renders nothing new
    small_plan.write_text(small_plan.read_text("utf-8"), "utf-8")
    time.sleep(1.5)
    assert version(server)["version"] == second["version"]


def test_invalid_save_keeps_last_good_report(server: PlanServer, small_plan: Path):
    good = small_plan.read_text("utf-8")
    start = version(server)["version"]
    small_plan.write_text(good.replace(GOOD_DEPENDS, BAD_DEPENDS), "utf-8")
    broken = wait_for_version(server, start, ok=False)
    _, page = get(server, "/")
    line = line_of(good, GOOD_DEPENDS)
    assert "The last save has an error; showing the last good version." in page
    assert f"plan.yaml:{line}:" in page
    assert "unknown task id &#x27;dta&#x27;" in page
    assert OLD_NAME in page and OLD_TASK in page  # the last good report stays

    small_plan.write_text(good, "utf-8")
    wait_for_version(server, broken["version"], ok=True)
    _, page = get(server, "/")
    assert "vp-serve-error" not in page
    assert OLD_TASK in page


def test_error_text_is_escaped(server: PlanServer, small_plan: Path):
    good = small_plan.read_text("utf-8")
    start = version(server)["version"]
    hostile = 'depends_on: ["<script>alert(1)</script>"]'
    small_plan.write_text(good.replace(GOOD_DEPENDS, hostile), "utf-8")
    wait_for_version(server, start, ok=False)
    _, page = get(server, "/")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_first_load_invalid_shows_only_the_error(small_plan: Path):
    good = small_plan.read_text("utf-8")
    small_plan.write_text(good.replace(GOOD_DEPENDS, BAD_DEPENDS), "utf-8")
    with PlanServer(small_plan, port=0, iterations=ITERATIONS) as srv:
        first = version(srv)
        assert first["ok"] is False
        _, page = get(srv, "/")
        assert "The plan has an error" in page
        assert f"plan.yaml:{line_of(good, GOOD_DEPENDS)}:" in page
        assert OLD_TASK not in page and "<section" not in page

        small_plan.write_text(good, "utf-8")
        wait_for_version(srv, first["version"], ok=True)
        _, page = get(srv, "/")
        assert "vp-serve-error" not in page and OLD_TASK in page


def test_refuses_requests_for_other_host_names(server: PlanServer):
    """Bound to loopback, it answers only loopback names (no DNS rebinding)."""
    assert get(server, "/", host=f"evil.example:{server.port}")[0] == 403
    assert get(server, "/version", host="evil.example")[0] == 403
    assert get(server, "/version", host=f"localhost:{server.port}")[0] == 200
    assert get(server, "/version", host=f"[::1]:{server.port}")[0] == 200


def test_port_in_use_is_a_clear_error(server: PlanServer, small_plan: Path):
    with pytest.raises(VenturePlanError, match=r"cannot listen on 127\.0\.0\.1"):
        PlanServer(small_plan, port=server.port).start()


CLI = (
    "import typer; from ventureplan.planner.cli.serve import serve; "
    "app = typer.Typer(); app.command()(serve); app()"
)


def test_cli_prints_the_url_and_stops_on_ctrl_c(small_plan: Path):
    proc = subprocess.Popen(
        [sys.executable, "-c", CLI, str(small_plan), "--port", "0", "-n", str(ITERATIONS)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        # a job started in the background inherits SIGINT ignored; a terminal does not
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + WAIT_S
        url = None
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            found = re.search(r"at (http://127\.0\.0\.1:(\d+)/)", line)
            url = found and found.group(1)
        assert url, "no URL printed"
        status, page = get(int(url.rsplit(":", 1)[1].strip("/")), "/")
        assert status == 200 and OLD_NAME in page
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "Stopped." in out
    assert "Traceback" not in err


def test_cli_refuses_a_missing_file(tmp_path: Path):
    done = subprocess.run(
        [sys.executable, "-c", CLI, str(tmp_path / "nope.yaml"), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=WAIT_S,
    )
    assert done.returncode == 1
    assert "no such file" in done.stderr


# --- in a real browser -----------------------------------------------------------------
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    tab = context.new_page()
    tab.set_default_timeout(WAIT_S * 1000)
    problems: list[str] = []

    def console(message: Any) -> None:
        # the browser asks for /favicon.ico, which is a 404 like every other unknown path
        if message.type == "error" and "favicon.ico" not in message.location.get("url", ""):
            problems.append(f"{message.text} ({message.location.get('url')})")

    tab.on("console", console)
    tab.on("pageerror", lambda e: problems.append(str(e)))
    tab.problems = problems
    try:
        yield tab
    finally:
        context.close()


def script_problems(page: Any) -> list[str]:
    """Console errors and page errors, less the refused polls after the server stopped."""
    return [p for p in page.problems if "ERR_CONNECTION_REFUSED" not in p]


def test_browser_page_follows_every_save(page: Any, server: PlanServer, small_plan: Path):
    from playwright.sync_api import expect

    timeout = WAIT_S * 1000
    good = small_plan.read_text("utf-8")
    page.goto(server.url)
    expect(page.locator("h1.plan-name")).to_have_text(OLD_NAME)
    expect(page.locator("table.schedule")).to_contain_text(OLD_TASK)
    expect(page.locator("#vp-serve-error")).to_have_count(0)

    # an edit shows up by itself: the page reloads when /version changes
    edited = good.replace(OLD_NAME, NEW_NAME).replace(OLD_TASK, NEW_TASK)
    small_plan.write_text(edited, "utf-8")
    expect(page.locator("h1.plan-name")).to_have_text(NEW_NAME, timeout=timeout)
    expect(page.locator("table.schedule")).to_contain_text(NEW_TASK, timeout=timeout)

    # an invalid save: a banner with the error's line, the last good report below it
    small_plan.write_text(edited.replace(GOOD_DEPENDS, BAD_DEPENDS), "utf-8")
    banner = page.locator("#vp-serve-error")
    expect(banner).to_be_visible(timeout=timeout)
    expect(banner).to_contain_text("showing the last good version")
    expect(banner).to_contain_text(f"plan.yaml:{line_of(edited, GOOD_DEPENDS)}:")
    expect(banner).to_contain_text("unknown task id 'dta'")
    expect(page.locator("h1.plan-name")).to_have_text(NEW_NAME)
    expect(page.locator("table.schedule")).to_contain_text(NEW_TASK)

    # fixed again: the banner goes away
    small_plan.write_text(edited, "utf-8")
    expect(banner).to_have_count(0, timeout=timeout)
    expect(page.locator("h1.plan-name")).to_have_text(NEW_NAME)

    # the server stops: the page says it is no longer connected
    server.stop()
    expect(page.locator("#vp-serve-offline")).to_be_visible(timeout=timeout)
    assert script_problems(page) == []  # no script errors, no content blocked by the CSP


def test_browser_first_load_invalid_then_fixed(page: Any, small_plan: Path):
    from playwright.sync_api import expect

    timeout = WAIT_S * 1000
    good = small_plan.read_text("utf-8")
    small_plan.write_text(good.replace(GOOD_DEPENDS, BAD_DEPENDS), "utf-8")
    with PlanServer(small_plan, port=0, iterations=ITERATIONS) as srv:
        page.goto(srv.url)
        banner = page.locator("#vp-serve-error")
        expect(banner).to_contain_text("The plan has an error")
        expect(banner).to_contain_text(f"plan.yaml:{line_of(good, GOOD_DEPENDS)}:")
        expect(page.locator("h1.plan-name")).to_have_count(0)

        small_plan.write_text(good, "utf-8")
        expect(page.locator("h1.plan-name")).to_have_text(OLD_NAME, timeout=timeout)
        expect(banner).to_have_count(0)
    assert script_problems(page) == []


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1.attacker.example:{port}",
        "127.rebind.attacker.example",
        "[::1].attacker.example:{port}",
        "localhost.attacker.example",
        "127.0.0.1:{port}@evil.example",
        "[::1",
    ],
)
def test_refuses_dns_names_that_only_start_like_loopback(server: PlanServer, host: str):
    assert get(server, "/version", host=host.format(port=server.port))[0] == 403


def test_loopback_literals_are_accepted(server: PlanServer):
    for host in ("127.0.0.1", "127.1.2.3:{port}", "LOCALHOST:{port}", "[0:0:0:0:0:0:0:1]"):
        assert get(server, "/version", host=host.format(port=server.port))[0] == 200


def test_idle_sockets_are_bounded_and_dropped(server: PlanServer, monkeypatch):
    import socket
    import threading

    from ventureplan.planner.workshop import serve as serve_mod

    monkeypatch.setattr(serve_mod._Handler, "timeout", 0.5)
    before = threading.active_count()
    idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(80)]
    time.sleep(0.3)
    assert threading.active_count() <= before + serve_mod.MAX_CONNECTIONS
    for s in idle:
        s.settimeout(3)
        assert s.recv(1) == b""  # closed by the server: over the limit, or idle too long
        s.close()
    deadline = time.time() + 5
    while threading.active_count() > before and time.time() < deadline:
        time.sleep(0.05)
    assert get(server, "/version")[0] == 200
