"""目标 in headless Chromium: a clerk opens the page from the navigation, reads the county
targets and downloads the Excel workbook."""

from __future__ import annotations

import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.web.conftest import shoot

pytestmark = pytest.mark.browser


def test_clerk_opens_targets_and_downloads_the_excel(login, tmp_path):
    page = login("经办")
    page.click("nav.side a:has-text('目标')")
    page.wait_for_url("**/console/targets")
    page.select_option("select[name=year]", "2023")  # the seeded year
    page.click("button:has-text('查询')")
    page.wait_for_url("**/console/targets?*year=2023*")
    table = page.get_by_test_id("targets")
    level_two = table.locator("tr[data-key='benefits.county_inpatient_ratio_target.二级']")
    expect(level_two.get_by_test_id("status")).to_have_text(re.compile("^(达到|未达到)$"))
    expect(level_two.get_by_test_id("actual")).to_have_text(re.compile(r"^\d+(\.\d+)?%$"))
    expect(table).to_contain_text("县域住院政策范围内基金支付比例（二级医院）")
    expect(table).to_contain_text("三（二）1")
    with page.expect_download() as download:
        page.get_by_test_id("export").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    saved = tmp_path / "targets.xlsx"
    download.value.save_as(saved)
    names = [row[0].value for row in load_workbook(saved)["目标"].iter_rows(min_row=5)]
    assert "县域住院政策范围内基金支付比例（一级医院）" in names
    shoot(page, "10-targets")
