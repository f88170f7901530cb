"""The 基金 page shows the inpatient line as the fund pays it by DRG/DIP (issue 18), next to the
claim-level figure, with the difference."""

from __future__ import annotations

from decimal import Decimal

from playwright.sync_api import expect


def _yuan(text: str) -> Decimal:
    return Decimal(text.replace(",", "").strip())


def test_the_fund_page_shows_the_inpatient_line_as_the_fund_pays_it(login):
    page = login("只读")
    page.click("nav.side a:has-text('基金')")
    panel = page.get_by_test_id("inpatient-as-paid")
    expect(panel).to_contain_text("按 DRG 实际支付")
    expect(page.get_by_test_id("as-paid-assumed")).to_contain_text("国家默认参数假定")
    claim_level = _yuan(page.get_by_test_id("claim-level").inner_text())
    inpatient = page.locator("table tr", has_text="21 普通住院").locator("td").all_inner_texts()
    assert claim_level == _yuan(inpatient[3])  # the 21 row's basic-fund column
    # No budget: the 点值 makes the total the grouped claims' fund payment, the difference 0.
    expect(page.get_by_test_id("as-paid-difference")).to_have_text("0.00")
    assert _yuan(page.get_by_test_id("as-paid").inner_text()) == claim_level
