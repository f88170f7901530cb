"""Every page of the console, opened the way its users reach it (issue 16): each answers, shows
no English error or pydantic text, and is saved under docs/screenshots/ (YIBAO_SCREENSHOTS=1).

A 管理 user walks the navigation, then the pages behind it: the 结算查询, a settlement's 结算单
and its printable form, the 撤销 confirmation (审核), the 批量导入 page, the 政策 diff."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.web.conftest import shoot
from yibao.web.templating import NAV

ENGLISH_ERROR = re.compile(
    r"validation error|errors\.pydantic\.dev|Traceback|Internal Server Error"
)


def _clean(page) -> None:
    text = page.inner_text("body")
    assert not ENGLISH_ERROR.search(text), text[:500]


@pytest.mark.parametrize(("key", "label", "url"), NAV, ids=[k for k, _, _ in NAV])
def test_each_navigation_page_opens_for_its_user(login, server, key, label, url):
    page = login("管理")
    page.click(f"nav.side a:text-is('{label}')")
    page.wait_for_url(f"**{url}*")
    expect(page.locator("nav.side a.active")).to_have_text(label)
    _clean(page)
    shoot(page, f"nav-{key}")


def test_the_pages_behind_the_navigation(login, server):
    page = login("审核")
    page.goto(f"{server}/console/settlements")
    _clean(page)
    shoot(page, "settlement-query")
    first = page.locator("table a[href*='/console/settlements/']").first
    expect(first).to_be_visible()
    href = first.get_attribute("href")
    page.goto(f"{server}{href}")
    expect(page.get_by_test_id("print-link")).to_be_visible()
    _clean(page)
    shoot(page, "settlement-page")
    page.get_by_test_id("print-link").click()
    expect(page.locator("body")).to_contain_text("结算单")
    _clean(page)
    shoot(page, "settlement-print-form")
    page.goto(f"{server}{href}")
    if page.get_by_test_id("reverse").count():
        page.get_by_test_id("reverse").click()
        expect(page.locator("body")).to_contain_text("撤销原因")
        _clean(page)
        shoot(page, "settlement-reverse-confirm")


def test_import_and_policy_diff_pages(login, server):
    page = login("经办")
    page.goto(f"{server}/console/persons")
    page.get_by_test_id("import-link").click()
    page.wait_for_url("**/console/import/persons")
    expect(page.get_by_test_id("template-xlsx")).to_be_visible()
    expect(page.get_by_test_id("template-csv")).to_be_visible()
    _clean(page)
    shoot(page, "import-persons")
    # 咸宁 2022 → 2023 (two years of one region's own files): the diff lists parameters
    page.goto(f"{server}/console/policy?a=421200-2022&b=421200-2023")
    diff = page.get_by_test_id("diff")
    expect(diff).to_be_visible()
    assert diff.locator("tr[data-path]").count() > 0
    expect(page.locator("h2", has_text="差异")).to_contain_text("421200")
    _clean(page)
    shoot(page, "policy-diff", full_page=False)
