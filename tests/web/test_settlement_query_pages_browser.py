"""结算查询 and the person page's 年度累计 / 就医记录 in headless Chromium: a reviewer goes from
最近结算 to the query, filters 住院 by date, pages on, opens the person and their settlement."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.web.conftest import shoot

pytestmark = pytest.mark.browser


def test_reviewer_queries_settlements_and_opens_the_person(login, seeded):
    page = login("审核")
    page.click("nav.side a:has-text('结算')")
    page.get_by_test_id("query-link").click()
    page.wait_for_url("**/console/settlements")
    expect(page.get_by_test_id("query-totals")).to_contain_text(re.compile(r"共 [\d,]+ 笔"))
    page.select_option("select[name=med_type]", "21")
    page.fill("input[name=date_from]", "2023-01-01")
    page.fill("input[name=date_to]", "2023-12-31")
    page.click("button:has-text('查询')")
    page.wait_for_url(re.compile(r".*med_type=21.*"))
    totals = page.get_by_test_id("query-totals")
    expect(totals).to_contain_text("第 1/")
    rows = page.get_by_test_id("query-rows").locator("tbody tr")
    expect(rows.first).to_contain_text("普通住院")
    pager = page.get_by_test_id("pager")
    if pager.count():
        pager.locator("a[rel=next]").click()
        expect(totals).to_contain_text("第 2/")
    shoot(page, "21-settlement-query")
    page.fill("input[name=q]", "周德福")
    page.select_option("select[name=med_type]", "")
    page.click("button:has-text('查询')")
    expect(totals).to_contain_text("共 2 笔")
    page.get_by_test_id("query-rows").locator(f"a[href$='/persons/{seeded.warned}']").first.click()
    page.wait_for_url(f"**/console/persons/{seeded.warned}")
    expect(page.get_by_test_id("annual")).to_contain_text("2023")
    expect(page.get_by_test_id("visits")).to_contain_text("W-2023-0001")
    shoot(page, "22-person-annual-visits")
    page.get_by_test_id("visits").locator("a:has-text('W-2023-0001')").click()
    page.wait_for_url("**/console/settlements/W-2023-0001")
