"""医保支付 (DRG/DIP) in a browser, as a clerk works it: open the page, read a hospital's row,
enter a budget for 年终清算 and see the payments add up to it to the fen, download the Excel
and read it (the 基金 page's inpatient line as paid: test_drg_fund_page_browser.py)."""

from __future__ import annotations

import re
from decimal import Decimal

from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.web.conftest import shoot

HEADS = ["定点医疗机构", "病例数", "点数", "按点数金额", "患者及其他支付", "基金支付", "按项目金额",
         "盈亏", "月度预结算合计", "年终清算"]  # fmt: skip


def _yuan(text: str) -> Decimal:
    return Decimal(text.replace(",", "").strip())


def _rows(page) -> dict[str, list[str]]:
    out = {}
    for row in page.locator("[data-testid=hospitals] tbody tr[data-code]").all():
        cells = [c.strip() for c in row.locator("td").all_inner_texts()]
        out[cells[0]] = cells
    return out


def test_a_clerk_settles_the_hospitals_year_on_a_budget_and_downloads_it(login, tmp_path):
    page = login("经办")
    page.click("nav.side a:has-text('医保支付')")
    expect(page.locator("h1, .title").first).to_contain_text("医保支付")
    expect(page.get_by_test_id("source")).to_contain_text("病例为假定")
    expect(page.get_by_test_id("params-assumed")).to_contain_text("国家默认参数")
    expect(page.get_by_test_id("targets")).to_contain_text("医疗机构覆盖率")
    heads = page.locator("[data-testid=hospitals] thead th").all_inner_texts()
    assert heads == HEADS
    rows = _rows(page)
    assert "H50024320001" in rows  # the seeded 低保 person's two 160,000/120,000 stays
    row = dict(zip(HEADS, rows["H50024320001"], strict=True))
    assert int(row["病例数"]) >= 2
    # The statement's arithmetic: payment = points × 点值 − patients and the other layers,
    # 盈亏 = the DRG amount − the 按项目 amount.
    assert _yuan(row["基金支付"]) == _yuan(row["按点数金额"]) - _yuan(row["患者及其他支付"])
    assert _yuan(row["盈亏"]) == _yuan(row["按点数金额"]) - _yuan(row["按项目金额"])
    before = _yuan(page.get_by_test_id("point-value").inner_text())

    page.get_by_test_id("budget").fill("150000.00")
    page.click("form[data-testid=scope] button[type=submit]")
    expect(page.get_by_test_id("budget-used")).to_have_text("150,000.00")
    rows = _rows(page)
    payments = [_yuan(r[5]) for r in rows.values()]
    assert sum(payments) == Decimal("150000.00")  # to the fen
    expect(page.get_by_test_id("total-payment")).to_have_text("150,000.00")
    after = _yuan(page.get_by_test_id("point-value").inner_text())
    assert after < before  # the seeded claims' fund payment is above 150,000.00
    shoot(page, "drg-payment-methods")

    with page.expect_download() as download:
        page.get_by_test_id("excel").click()
    assert re.fullmatch(r"医保支付_DRG_500243_2023\.xlsx", download.value.suggested_filename)
    path = tmp_path / "statement.xlsx"
    download.value.save_as(path)
    sheet = load_workbook(path)["医院结算单"]
    values = list(sheet.values)
    assert "预算 150000.0" in values[0]
    assert list(values[1]) == ["定点医疗机构", "病例数", "点数", "按点数金额", "按项目金额", "盈亏",
                               "患者及其他支付", "基金支付", "月度预结算合计", "年终清算"]  # fmt: skip
    by_code = {(r[0] or ""): r for r in values[2:]}  # (an empty cell reads back None)
    assert set(by_code) == set(rows)
    assert sum(Decimal(str(r[7])) for r in by_code.values()) == Decimal("150000.00")
    assert Decimal(str(by_code["H50024320001"][7])) == _yuan(rows["H50024320001"][5])
