"""A clerk prints the 结算单 of a stored settlement and downloads it as a PDF (issue 16): the
one-page form with the person, the stay, 结算时间 in 北京时间, 经办人, the three layers and the
person's share in yuan with separators, the clauses cited; the PDF's own text (extracted) carries
the same ID number (masked for 只读), amounts and 大病保险. A reversed settlement prints as
已撤销 with its reason. The 缴费凭证 has a PDF too."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from tests.web.conftest import shoot
from yibao.idcard import make_id, mask
from yibao.money import format_yuan
from yibao.store import ledger, persons, transaction
from yibao.store.audit import Actor
from yibao.store.models import ContributionPayment
from yibao.web.print_settlement import stay_days

pytestmark = pytest.mark.browser

LARGE = "W-2023-0001"  # the seed's 低保 person, 160,000 元 in hospital: all three layers pay


def _stored(console_app, setl_id: str) -> dict:
    app, _ = console_app
    with transaction(app.state.sessions) as s:
        row = ledger.get_settlement(s, setl_id)
        person = persons.get_person(s, row.psn_no)
        return {
            "certno": person.certno,
            "name": person.psn_name,
            **{k: getattr(row, k) for k in ("hifp_pay", "hifmi_pay", "maf_pay", "psn_part_amt")},
            "medfee_sumamt": row.medfee_sumamt,
            "created_by": row.created_by,
        }


def _pdf_text(page, link) -> tuple[str, int]:
    with page.expect_download() as download:
        link.click()
    data = Path(download.value.path()).read_bytes()
    assert data[:5] == b"%PDF-"
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(p.extract_text() for p in reader.pages)
    return text, len(reader.pages)


def test_a_clerk_prints_the_settlement_form_and_downloads_its_pdf(login, server, console_app):
    x = _stored(console_app, LARGE)
    assert x["hifmi_pay"] > 0 and x["maf_pay"] > 0  # the case shows every layer
    page = login("经办")
    page.goto(f"{server}/console/settlements/{LARGE}/print")
    slip = page.get_by_test_id("slip")
    expect(slip).to_contain_text("医疗费用结算单")
    fields = page.get_by_test_id("slip-fields")
    expect(fields.locator('[data-field="姓名"]')).to_have_text(x["name"])
    expect(fields.locator('[data-field="身份证号"]')).to_have_text(x["certno"])
    expect(fields.locator('[data-field="参保地"]')).to_have_text("彭水苗族土家族自治县（500243）")
    expect(fields.locator('[data-field="医疗类别"]')).to_have_text("21 普通住院")
    expect(fields.locator('[data-field="诊断"]')).to_have_text("C34.1")
    expect(fields.locator('[data-field="入院日期"]')).to_have_text("2023-02-03")
    expect(fields.locator('[data-field="出院日期"]')).to_have_text("2023-02-20")
    expect(fields.locator('[data-field="住院天数"]')).to_have_text("17")
    expect(fields.locator('[data-field="结算时间"]')).to_have_text("2023-02-20 15:00（北京时间）")
    expect(fields.locator('[data-field="经办人"]')).to_have_text(x["created_by"])
    amounts = page.get_by_test_id("slip-amounts")
    for label, key in (("医疗总费用", "medfee_sumamt"), ("基本医保统筹", "hifp_pay"),
                       ("大病保险", "hifmi_pay"), ("医疗救助", "maf_pay"), ("个人负担", "psn_part_amt")):  # fmt: skip
        expect(amounts.locator(f'[data-amount="{label}"]')).to_have_text(format_yuan(x[key]))
    expect(amounts.locator('[data-amount="医疗总费用"]')).to_have_text("160,000.00")
    notes = page.get_by_test_id("slip-notes")
    expect(notes).to_contain_text("国办发〔2021〕42号")
    expect(notes).to_contain_text("彭水医保〔2023〕衔接通知 三（二）2")
    expect(notes).not_to_contain_text("yibao")

    # On paper: the form alone, no navigation, no buttons.
    page.emulate_media(media="print")
    expect(page.locator("nav.side")).to_be_hidden()
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.get_by_test_id("print")).to_be_hidden()
    expect(slip).to_be_visible()
    shoot(page, "settlement-print")
    page.emulate_media(media="screen")

    text, pages = _pdf_text(page, page.get_by_test_id("pdf-link"))
    assert pages == 1
    assert x["certno"] in text and x["name"] in text
    for key in ("medfee_sumamt", "hifp_pay", "hifmi_pay", "maf_pay", "psn_part_amt"):
        assert format_yuan(x[key]) in text, key
    assert "大病保险" in text and "医疗救助" in text and "个人负担" in text
    assert "国办发〔2021〕42号" in text and "北京时间" in text


def test_the_read_only_role_gets_the_id_number_masked_on_paper(login, server, console_app):
    x = _stored(console_app, LARGE)
    page = login("只读")
    page.goto(f"{server}/console/settlements/{LARGE}/print")
    certno = page.get_by_test_id("slip-fields").locator('[data-field="身份证号"]')
    expect(certno).to_have_text(mask(x["certno"]))
    text, _ = _pdf_text(page, page.get_by_test_id("pdf-link"))
    assert mask(x["certno"]) in text
    assert x["certno"] not in text and x["certno"][6:14] not in text  # no birth date
    assert x["name"] not in text and x["name"][0] + "*" in text
    assert format_yuan(x["hifmi_pay"]) in text and "大病保险" in text


def test_a_reversed_settlement_prints_as_reversed_with_its_reason(login, server, console_app):
    app, _ = console_app
    certno = make_id("500243", dt.date(1971, 3, 9), 517)
    reason = "医院重复上传，撤销后重新结算"
    with transaction(app.state.sessions) as s:
        person = persons.create_person(
            s, persons.PersonSpec(certno=certno, psn_name="孙立平", insuplc_admdvs="500243")
        )
        persons.enroll(
            s,
            persons.EnrollmentSpec(
                psn_no=person.psn_no,
                year=2023,
                enrolled_on=dt.date(2022, 10, 9),
                tier=1,
                insuplc_admdvs="500243",
                coverage_begin=dt.date(2023, 1, 1),
                coverage_end=dt.date(2023, 12, 31),
                coverage_rule="集中参保期内缴费，次年1月1日起享受待遇",
            ),
        )
        psn_no = person.psn_no
    claim = {
        "setl_id": "PRINT-REV-0001", "psn_no": psn_no, "certno": certno, "insuplc_admdvs": "500243",
        "med_type": "21", "hosp_lv": "05", "fixmedins_code": "H50024320001", "dise_codg": "J18.9",
        "setl_time": dt.datetime(2023, 6, 9, 11, 30), "begndate": dt.date(2023, 6, 9),
        "enddate": dt.date(2023, 6, 9), "medfee_sumamt": 480_000, "fulamt_ownpay_amt": 0,
        "overlmt_selfpay": 0, "preselfpay_amt": 0, "categories": "",
    }  # fmt: skip
    with transaction(app.state.sessions) as s:
        ledger.settle(s, app.state.library, claim, Actor("张经办", "经办"))
    with transaction(app.state.sessions) as s:
        ledger.reverse(s, "PRINT-REV-0001", Actor("李审核", "审核"), reason)

    page = login("审核")
    page.goto(f"{server}/console/settlements/PRINT-REV-0001/print")
    banner = page.get_by_test_id("slip-banner")
    expect(banner).to_contain_text("本次结算已撤销")
    expect(banner).to_contain_text("李审核")
    expect(banner).to_contain_text(reason)
    fields = page.get_by_test_id("slip-fields")
    expect(fields.locator('[data-field="状态"]')).to_have_text("已撤销")
    expect(fields.locator('[data-field="住院天数"]')).to_have_text("1")  # in and out the same day
    text, _ = _pdf_text(page, page.get_by_test_id("pdf-link"))
    assert "已撤销" in text and reason in text and "4,800.00" in text


def test_the_payment_receipt_downloads_as_a_pdf(login, server, console_app):
    app, _ = console_app
    with transaction(app.state.sessions) as s:
        pay = s.scalars(select(ContributionPayment).order_by(ContributionPayment.id)).first()
        person = persons.get_person(s, pay.psn_no)
        payment_id, personal, certno = pay.payment_id, pay.personal_paid, person.certno
    page = login("经办")
    page.goto(f"{server}/console/payments/{payment_id}/receipt")
    link = page.get_by_test_id("receipt-pdf")
    expect(link).to_be_visible()
    page.emulate_media(media="print")
    expect(link).to_be_hidden()
    page.emulate_media(media="screen")
    text, pages = _pdf_text(page, link)
    assert pages == 1
    assert "缴费凭证" in text and payment_id in text and certno in text
    assert f"{format_yuan(personal)}" in text and "彭水苗族土家族自治县（500243）" in text


def test_stay_days_count_admission_not_discharge():
    assert stay_days(dt.date(2023, 2, 3), dt.date(2023, 2, 20)) == 17
    assert stay_days(dt.date(2023, 6, 9), dt.date(2023, 6, 9)) == 1
