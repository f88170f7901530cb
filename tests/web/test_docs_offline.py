"""/docs (Swagger UI) and /redoc (ReDoc) work on a network without internet (医保专网): in
headless Chromium with every request to another host refused, both pages render the API's
operations from the server's own assets, and no request leaves the server. Also under a host
name that is not loopback (Swagger UI's validator badge is only skipped for localhost)."""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

pytestmark = pytest.mark.browser

LOOPBACK = {"127.0.0.1", "localhost"}
NAMED_HOST = "yibao.test"  # stands for the server's address on the 医保专网


@pytest.fixture(scope="module")
def operations(server):
    spec = httpx.get(f"{server}/openapi.json", timeout=10).json()
    assert spec["info"]["title"] == "yibao 医保 API"
    return [
        op
        for methods in spec["paths"].values()
        for method, op in methods.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


class Offline(NamedTuple):
    page: Page
    left: list[str]  # the requests refused: any to a host other than the server


@pytest.fixture
def offline(browser, server):
    """A page whose requests reach only the test server."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
    left: list[str] = []

    def only_the_server(route: Route) -> None:
        url = urlsplit(route.request.url)
        if url.hostname in LOOPBACK:
            route.continue_()
        elif url.hostname == NAMED_HOST:
            target = f"{server}{url.path}" + (f"?{url.query}" if url.query else "")
            route.fulfill(response=route.fetch(url=target))
        else:
            left.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_server)
    yield Offline(context.new_page(), left)
    context.close()


@pytest.mark.parametrize("host", ["loopback", "named"])
def test_swagger_ui_renders_every_operation_offline(offline, server, operations, host):
    base = server if host == "loopback" else f"http://{NAMED_HOST}"
    page = offline.page
    page.goto(f"{base}/docs")
    # Swagger UI parses 1.5 MB of script first: on a loaded 2-core machine that takes seconds.
    expect(page.get_by_role("heading", level=1)).to_contain_text("yibao 医保 API", timeout=30_000)
    expect(page.locator(".opblock").first).to_be_visible()
    expect(page.locator(".opblock")).to_have_count(len(operations))
    expect(page.locator(".opblock-summary-path").first).to_contain_text("/api/")
    page.wait_for_load_state("networkidle")
    assert page.locator("img[alt='Online validator badge']").count() == 0
    assert offline.left == []


@pytest.mark.parametrize("host", ["loopback", "named"])
def test_redoc_renders_the_operations_offline(offline, server, operations, host):
    base = server if host == "loopback" else f"http://{NAMED_HOST}"
    page = offline.page
    page.goto(f"{base}/redoc")
    expect(page.locator("h1").first).to_contain_text("yibao 医保 API", timeout=30_000)
    summary = next(op["summary"] for op in operations if op.get("summary"))
    expect(page.locator("h2", has_text=summary).first).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert offline.left == []


def test_the_docs_assets_and_the_oauth2_redirect_are_served_locally(server):
    for page in ("/docs", "/redoc"):
        assert "://" not in httpx.get(f"{server}{page}", timeout=10).text  # nothing remote
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png"):
        assert httpx.get(f"{server}/docs-static/{asset}", timeout=10).status_code == 200
    assert httpx.get(f"{server}/docs/oauth2-redirect", timeout=10).status_code == 200
