"""One server per session: the API app (with the console) on a temporary SQLite store seeded
with a small synthetic county, served by uvicorn in a background thread on a free port; and one
headless Chromium (Debian's, never a downloaded one) per session for the browser tests."""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from tests.web.seed import seed
from yibao.api.app import create_app
from yibao.store import session_factory

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The README's screenshots are refreshed on request (YIBAO_SCREENSHOTS=1 make test); an ordinary
# run writes them to a temporary folder so the tests leave the work tree clean.
DOC_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SCREENSHOTS = (
    DOC_SCREENSHOTS
    if os.environ.get("YIBAO_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "yibao-screenshots"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def console_app(tmp_path_factory, library):
    db = tmp_path_factory.mktemp("web") / "console.db"
    app = create_app(f"sqlite:///{db}", library=library)
    seeded = seed(session_factory(app.state.engine), library)
    return app, seeded


@pytest.fixture(scope="session")
def seeded(console_app):
    return console_app[1]


@pytest.fixture(scope="session")
def server(console_app):
    app, _ = console_app
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the console server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (scripts/ensure-services.sh installs it)")
    from playwright.sync_api import expect, sync_playwright

    # A shared 2-core CI machine under the whole suite: give assertions 15 s, not 5.
    expect.set_options(timeout=15_000)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def login(browser, server, seeded):
    """A fresh browser context logged in as ``role``; closed after the test."""
    contexts = []

    def as_role(role: str):
        context = browser.new_context(
            viewport={"width": 1400, "height": 900}, locale="zh-CN", accept_downloads=True
        )
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{server}/console/login")
        page.fill("input[name=token]", seeded.tokens[role])
        page.click("button[type=submit]")
        page.wait_for_url("**/console/persons")
        return page

    yield as_role
    for context in contexts:
        context.close()


def shoot(page, name: str, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)
