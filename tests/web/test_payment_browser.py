"""A clerk in headless Chromium registers a person, enrols them, registers a 补缴 and opens its
缴费凭证; in print media the receipt shows without the header and the navigation."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.web.conftest import shoot
from yibao.idcard import make_id

pytestmark = pytest.mark.browser

REGION = "500243"


def _submit(form, **fields: str) -> None:
    """Fill a form's fields by name (a select by its option) and submit it."""
    for name, value in fields.items():
        field = form.locator(f"[name={name}]")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    form.locator("button[type=submit]").click()


def test_a_clerk_registers_a_top_up_and_prints_its_receipt(login):
    page = login("经办")
    certno = make_id(REGION, dt.date(1966, 8, 21), 733)
    new = page.get_by_test_id("new-person")
    _submit(new, certno=certno, psn_name="邓永福", insuplc_admdvs=REGION)
    expect(page.locator(".notice.ok")).to_contain_text("人员已登记")
    enrol = page.get_by_test_id("enroll-form")
    _submit(enrol, year="2023", enrolled_on="2022-10-20", payment_id="PB-JF-0001")
    expect(page.locator(".notice.ok")).to_contain_text("2023年度参保登记成功")
    fields = {"kind": "补缴", "year": "2023", "payment_id": "PB-BJ-0001"}
    more = {"personal_paid": "2,345.67", "paid_on": "2023-04-10", "reason": "档次调整补缴"}
    _submit(page.get_by_test_id("payment-form"), **fields, **more)
    expect(page.locator(".notice.ok")).to_contain_text("已登记补缴（票据号 PB-BJ-0001")
    row = page.get_by_test_id("payments").locator("tr", has_text="PB-BJ-0001")
    expect(row).to_contain_text("2,345.67")

    with page.context.expect_page() as opened:
        row.get_by_test_id("receipt-link").click()
    receipt = opened.value
    receipt.wait_for_load_state()
    expect(receipt.get_by_test_id("receipt-personal")).to_have_text("2,345.67 元")
    expect(receipt.get_by_test_id("receipt-kind")).to_contain_text("补缴")
    expect(receipt.get_by_test_id("receipt-name")).to_have_text("邓永福")
    expect(receipt.locator("nav.side")).to_be_visible()
    receipt.emulate_media(media="print")
    expect(receipt.locator("nav.side")).to_be_hidden()
    expect(receipt.locator("header.top")).to_be_hidden()
    expect(receipt.get_by_test_id("receipt")).to_be_visible()
    shoot(receipt, "payment-receipt")
