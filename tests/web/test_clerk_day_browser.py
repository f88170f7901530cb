"""A clerk's day in headless Chromium, start to end, on one server started the way a bureau
starts it (``yibao serve --region 500243 --year 2023``) on its own seeded store (issue 16):

1. 经办 logs in; the pages open on the bureau's 统筹区 and year; finds 周德福 by a few middle
   digits of his ID number and opens his page (就医记录, 年度累计).
2. Registers a new 低保 person (the form starts in 500243; a mistyped ID number is refused in
   Chinese with the form kept), reads the quote, enrols and pays with the 税务票据号, prints
   the 缴费凭证 (page, print media, PDF).
3. Settles a short stay for them (the year's base), then a long one (低保: no waiting period,
   all three layers pay), reads the layers, prints the 结算单 (page and PDF); the ID number is
   whole for 经办 and masked for 只读, on the page and in the PDF.
4. 审核 finds the long stay through 结算查询, reverses it with a 撤销原因 after the
   confirmation page (a blank reason refused first); 已撤销 with who and the reason; the
   person's 年度累计 and limits read exactly as after the short stay.
5. 审核 follows 周德福's 预警 待核实 → 核实 → 推送 → 处置 and exports the list as Excel.
6. 经办 downloads the import template through the page and imports a GBK CSV with two bad
   rows among good ones: both reported with their row numbers and Chinese reasons, nothing of
   the file written.

Only the browser acts; the store is read once before (the ID number on 周德福's card) and once
after the import (none of the file's persons exists)."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import func, select

from tests.web.conftest import _free_port, shoot
from tests.web.seed import seed
from yibao.api.app import create_app
from yibao.idcard import make_id, mask
from yibao.store import session_factory, transaction
from yibao.store.db import make_engine
from yibao.store.models import Person

pytestmark = pytest.mark.browser

REGION, YEAR = "500243", 2023
NEW_NAME = "邓桂香"
NEW_CERTNO = make_id(REGION, dt.date(1961, 4, 17), 352)
RECEIPT_NO = "SW20221018000777"
FIRST_STAY = {
    "hosp_lv": "08",  # 一级甲等 (a township hospital)
    "begndate": f"{YEAR}-03-06",
    "enddate": f"{YEAR}-03-11",
    "setl_time": f"{YEAR}-03-11T10:20",
    "medfee_sumamt": "4860.00",
    "fixmedins_code": "H50024310017",
    "dise_codg": "J18.9",
}
REASON = "定点医院重复上传费用明细，撤销后按更正的明细重新结算"


@pytest.fixture(scope="module")
def bureau(tmp_path_factory, library):
    """The seeded store, served by ``yibao serve --region 500243 --year 2023`` in its own
    process; the URL, the role tokens, the seed and the store's URL."""
    folder = tmp_path_factory.mktemp("clerk-day")
    url = f"sqlite:///{folder / 'bureau.db'}"
    app = create_app(url, library=library)  # migrates the new store
    seeded = seed(session_factory(app.state.engine), library)
    app.state.engine.dispose()
    port = _free_port()
    env = {**os.environ, "YIBAO_REGION": "", "YIBAO_YEAR": ""}
    command = [sys.executable, "-m", "yibao", "serve", "--db", url, "--port", str(port)]
    command += ["--region", REGION, "--year", str(YEAR)]
    with open(folder / "server.log", "wb") as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(server, f"{base}/console/login", folder / "server.log")
        yield base, seeded, url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_until_up(server: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + 60  # a start on a loaded 2-core machine
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"yibao serve stopped: {log.read_text(errors='replace')[-2000:]}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:
            if response.status == 200:
                return
        if time.monotonic() > deadline:
            raise RuntimeError("yibao serve did not answer within 60 s")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def server(bureau):
    """The URL conftest's ``login`` opens: this module's bureau server, not the shared one."""
    return bureau[0]


@pytest.fixture(scope="module")
def seeded(bureau):
    return bureau[1]


# ------------------------------------------------------------------------------ helpers
def _money(text: str) -> int:
    """A shown amount (1,234.56 or 1,234.56 元) as fen."""
    digits = text.replace(",", "").replace("元", "").strip()
    sign = -1 if digits.startswith("-") else 1
    yuan, _, fen = digits.lstrip("-").partition(".")
    return sign * (int(yuan) * 100 + int((fen + "00")[:2]))


def _nav(page, label: str) -> None:
    page.click(f"nav.side a:text-is('{label}')")
    expect(page.locator("nav.side a.active")).to_have_text(label)


def _selected(page, selector: str) -> str:
    return page.locator(selector).evaluate("e => e.value")


def _download(page, link) -> tuple[bytes, str, str]:
    """Click a download link: the file's bytes, its suggested name and the response's type."""
    with page.expect_download() as got:
        link.click()
    data = Path(got.value.path()).read_bytes()
    href = link.get_attribute("href")
    head = page.context.request.get(href if href.startswith("http") else _origin(page) + href)
    return data, got.value.suggested_filename, head.headers.get("content-type", "")


def _origin(page) -> str:
    return re.match(r"https?://[^/]+", page.url).group(0)


def _pdf_text(page, link) -> str:
    data, name, kind = _download(page, link)
    assert kind == "application/pdf", kind
    assert name.endswith(".pdf") and len(data) > 1000 and data[:5] == b"%PDF-"
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1  # the one-page form
    return "\n".join(p.extract_text() for p in reader.pages)


def _annual(page) -> dict[str, str]:
    """The person page's 年度累计 for the bureau's year (label → shown text), or {} if none."""
    table = page.locator("[data-testid=annual]")
    if not table.count():
        expect(page.locator("#annual + *")).to_contain_text("暂无数据")
        return {}
    heads = [h.strip() for h in table.locator("thead th").all_inner_texts()]
    row = table.locator("tbody tr", has_text=f"{YEAR}（")
    return dict(zip(heads, row.locator("td").all_inner_texts(), strict=True))


def _limits(page) -> str:
    table = page.get_by_test_id(f"limits-{YEAR}")
    return table.inner_text() if table.count() else ""


# ------------------------------------------------------------------------------ the day
def test_a_clerks_day(login, bureau):
    _, seeded, url = bureau
    warned_certno = _certno_on_the_card(url, seeded.warned)
    clerk = login("经办")
    _find_by_partial_id(clerk, seeded.warned, warned_certno)
    psn_no = _enrol_and_pay(clerk)
    # a short stay in March first: the year's base the reversal must come back to
    _settle(clerk, psn_no, FIRST_STAY, "day-08-first-stay")
    _open_person(clerk, NEW_CERTNO, psn_no)
    before = (_annual(clerk), _limits(clerk))
    assert before[0]["结算笔数"] == "1" and _money(before[0]["统筹基金"]) > 0, before
    setl_id, layers = _settle_and_print(clerk, psn_no)
    _read_only_sees_it_masked(login("只读"), psn_no, setl_id)
    reviewer = login("审核")
    _reverse_with_reason(reviewer, psn_no, setl_id, layers)
    _open_person(clerk, NEW_CERTNO, psn_no)
    assert (_annual(clerk), _limits(clerk)) == before, "年度累计 not given back by the reversal"
    shoot(clerk, "day-15-annual-restored")
    _follow_warning(reviewer, seeded.warned)
    _import_with_two_bad_rows(clerk, url)


def _open_person(page, q: str, psn_no: str) -> None:
    _nav(page, "参保登记")
    page.get_by_test_id("search").fill(q)
    page.click("button:has-text('查询')")
    page.get_by_test_id("results").locator(f"a:text-is('{psn_no}')").click()
    page.wait_for_url(f"**/console/persons/{psn_no}")


def _certno_on_the_card(url: str, psn_no: str) -> str:
    engine = make_engine(url)
    try:
        with transaction(session_factory(engine)) as s:
            return s.scalar(select(Person.certno).where(Person.psn_no == psn_no))
    finally:
        engine.dispose()


def _find_by_partial_id(page, psn_no: str, certno: str) -> None:
    """Step 1: the bureau's scope on the forms; a search by eight middle digits."""
    expect(page.get_by_test_id("user-name")).to_have_text("张经办")
    assert _selected(page, "[data-testid=new-person] [name=insuplc_admdvs]") == REGION
    shoot(page, "day-01-persons")
    page.get_by_test_id("search").fill(certno[8:16])
    page.click("button:has-text('查询')")
    results = page.get_by_test_id("results")
    row = results.locator("tbody tr", has_text=psn_no)
    expect(row).to_contain_text(certno)  # 经办 sees the whole number
    expect(page.get_by_test_id("result-count")).to_contain_text(re.compile(r"共 \d+ 人"))
    shoot(page, "day-02-search-partial-id")
    row.locator(f"a:text-is('{psn_no}')").click()
    page.wait_for_url(f"**/console/persons/{psn_no}")
    annual = _annual(page)
    assert _money(annual["统筹基金"]) > 0 and _money(annual["医疗救助"]) > 0, annual
    assert annual["结算笔数"] == "2"
    expect(page.get_by_test_id(f"limits-{YEAR}")).to_contain_text("大病保险起付线")
    visits = page.get_by_test_id("visits")
    expect(visits.locator("tbody tr")).to_have_count(2)
    expect(visits).to_contain_text("W-2023-0001")
    expect(visits).to_contain_text("普通住院")
    shoot(page, "day-03-person-annual-visits")


def _enrol_and_pay(page) -> str:
    """Step 2: register, quote, enrol with the payment, the 缴费凭证 page and PDF."""
    _nav(page, "参保登记")
    form = page.get_by_test_id("new-person")
    assert _selected(page, "[data-testid=new-person] [name=insuplc_admdvs]") == REGION
    typo = NEW_CERTNO[:-2] + NEW_CERTNO[-1] + NEW_CERTNO[-2]  # two digits swapped
    assert typo != NEW_CERTNO
    form.locator("[name=certno]").fill(typo)
    form.locator("[name=psn_name]").fill(NEW_NAME)
    form.locator("[name=category]").select_option("低保对象")
    form.locator("[name=category_begin]").fill("2022-03-01")
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("error")).to_contain_text("身份证号")  # refused, in Chinese …
    expect(page.get_by_test_id("error")).to_contain_text("校验码错误")
    expect(form.locator("[name=certno]")).to_have_value(typo)  # … with the form as typed
    expect(form.locator("[name=psn_name]")).to_have_value(NEW_NAME)
    expect(form.locator("[name=category]")).to_have_value("低保对象")
    expect(form.locator("[name=category_begin]")).to_have_value("2022-03-01")
    shoot(page, "day-04-id-typo")
    form.locator("[name=certno]").fill(NEW_CERTNO)
    form.locator("button[type=submit]").click()
    expect(page.locator(".notice.ok")).to_contain_text("人员已登记")
    psn_no = page.get_by_test_id("psn_no").inner_text().strip()
    assert page.url.split("?")[0].endswith(f"/console/persons/{psn_no}")

    # 缴费测算 first: the year the form offers is the bureau's
    quote_form = page.locator("form:has(select[name=quote_year])")
    assert _selected(page, "select[name=quote_year]") == str(YEAR)
    quote_form.locator("button[type=submit]").click()
    quote = page.get_by_test_id("quote")
    expect(quote).to_contain_text(f"{YEAR}年度个人缴费测算（{REGION}，1档）")
    expect(quote).to_contain_text("低保对象")
    standard = _money(quote.locator(".kpi .v").nth(0).inner_text())
    subsidy = _money(page.get_by_test_id("subsidy").inner_text())
    due = _money(page.get_by_test_id("personal-due").inner_text())
    assert subsidy > 0 and due == standard - subsidy
    shoot(page, "day-05-quote")

    enrol = page.get_by_test_id("enroll-form")
    assert _selected(page, "[data-testid=enroll-form] [name=year]") == str(YEAR)
    enrol.locator("[name=enrolled_on]").fill("2022-10-18")
    enrol.locator("[name=payment_id]").fill(RECEIPT_NO)
    enrol.locator("button[type=submit]").click()
    expect(page.locator(".notice.ok")).to_contain_text(f"{YEAR}年度参保登记成功")
    expect(page.locator(".notice.ok")).to_contain_text(f"已登记缴费（票据号 {RECEIPT_NO}")
    page.reload()  # F5 after the 303: the page again, nothing enrolled or paid twice
    expect(page.locator(".notice.ok")).to_contain_text(f"{YEAR}年度参保登记成功")
    expect(page.get_by_test_id("enrollments").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("enrollments")).to_contain_text(f"{YEAR}-01-01")
    expect(page.get_by_test_id("payments").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("quote")).to_contain_text(f"{YEAR}年度个人缴费测算")
    row = page.get_by_test_id("payments").locator("tr", has_text=RECEIPT_NO)
    cells = row.locator("td.num")
    assert (_money(cells.nth(0).inner_text()), _money(cells.nth(1).inner_text())) == (due, subsidy)
    shoot(page, "day-06-enrolled-paid")

    with page.context.expect_page() as opened:
        row.get_by_test_id("receipt-link").click()
    receipt = opened.value
    receipt.wait_for_load_state()
    expect(receipt.get_by_test_id("receipt-name")).to_have_text(NEW_NAME)
    expect(receipt.get_by_test_id("receipt-certno")).to_have_text(NEW_CERTNO)
    expect(receipt.get_by_test_id("receipt-id")).to_have_text(RECEIPT_NO)
    assert _money(receipt.get_by_test_id("receipt-personal").inner_text()) == due
    assert _money(receipt.get_by_test_id("receipt-subsidy").inner_text()) == subsidy
    receipt.emulate_media(media="print")
    expect(receipt.locator("nav.side")).to_be_hidden()
    shoot(receipt, "day-07-receipt")
    receipt.emulate_media(media="screen")
    text = _pdf_text(receipt, receipt.get_by_test_id("receipt-pdf"))
    assert NEW_NAME in text and RECEIPT_NO in text and NEW_CERTNO in text
    receipt.close()
    return psn_no


def _settle(page, psn_no: str, claim: dict[str, str], shot: str) -> tuple[str, dict[str, int]]:
    """预结算 then 结算 of one claim typed into the form: its id and the layers shown (fen)."""
    _nav(page, "结算")
    form = page.get_by_test_id("claim-form")
    for field in ("begndate", "enddate"):  # the form starts in the bureau's year
        assert form.locator(f"[name={field}]").input_value().startswith(f"{YEAR}-"), field
    form.locator("[name=psn_no]").fill(psn_no)
    form.locator("[name=med_type]").select_option("21")
    for name, value in claim.items():
        field = form.locator(f"[name={name}]")
        if name == "hosp_lv":
            field.select_option(value)
        else:
            field.fill(value)
    page.get_by_test_id("preview").click()
    expect(page.get_by_test_id("result")).to_contain_text("预结算，未入账")
    expect(page.get_by_test_id("entitlement")).to_have_class(re.compile(r"\bok\b"))
    shoot(page, f"{shot}-preview")
    page.get_by_test_id("settle").click()
    page.wait_for_url(re.compile(r".*/console/settlements/WEB\w+$"))
    setl_id = page.url.rsplit("/", 1)[-1]
    expect(page.get_by_test_id("status")).to_have_text("已结算")
    table = page.get_by_test_id("layer-table")
    layers = {
        key: _money(table.locator(f"[data-layer={key}]").inner_text())
        for key in ("hifp_pay", "hifmi_pay", "maf_pay", "fund_pay_sumamt", "psn_part_amt")
    }
    assert layers["hifp_pay"] + layers["hifmi_pay"] + layers["maf_pay"] == layers["fund_pay_sumamt"]
    total = _money(claim["medfee_sumamt"])
    assert layers["fund_pay_sumamt"] + layers["psn_part_amt"] == total, layers
    expect(page.get_by_test_id("reverse")).to_have_count(0)  # 经办 does not reverse
    shoot(page, f"{shot}-settled")
    return setl_id, layers


def _settle_and_print(page, psn_no: str) -> tuple[str, dict[str, int]]:
    """Step 3: a long stay (all three layers pay), its 结算单 page and PDF."""
    claim = {
        "hosp_lv": "05",
        "begndate": f"{YEAR}-06-05",
        "enddate": f"{YEAR}-06-19",
        "setl_time": f"{YEAR}-06-19T15:30",
        "medfee_sumamt": "128,600.00",  # as on the hospital's invoice
        "fulamt_ownpay_amt": "2600.00",
        "preselfpay_amt": "1500.00",
        "fixmedins_code": "H50024320001",
        "dise_codg": "C16.9",
    }
    setl_id, layers = _settle(page, psn_no, claim, "day-09-long-stay")
    assert layers["hifp_pay"] > 0 and layers["hifmi_pay"] > 0 and layers["maf_pay"] > 0, layers
    page.get_by_test_id("print-link").click()
    page.wait_for_url(f"**/console/settlements/{setl_id}/print")
    slip = page.get_by_test_id("slip")
    expect(slip.locator("[data-field=姓名]")).to_have_text(NEW_NAME)
    expect(slip.locator("[data-field=身份证号]")).to_have_text(NEW_CERTNO)  # 经办: whole
    expect(slip.locator("[data-field=住院天数]")).to_have_text("14")
    expect(slip.locator("[data-field=经办人]")).to_have_text("张经办")
    for label, key in (
        ("基本医保统筹", "hifp_pay"),
        ("大病保险", "hifmi_pay"),
        ("医疗救助", "maf_pay"),
    ):
        assert _money(slip.locator(f"[data-amount={label}]").inner_text()) == layers[key], label
    page.emulate_media(media="print")
    expect(page.locator("nav.side")).to_be_hidden()
    expect(slip).to_be_visible()
    shoot(page, "day-10-long-stay-slip")
    page.emulate_media(media="screen")
    text = _pdf_text(page, page.get_by_test_id("pdf-link"))
    assert NEW_NAME in text and NEW_CERTNO in text and "大病保险" in text
    assert f"{layers['maf_pay'] // 100:,}.{layers['maf_pay'] % 100:02d}" in text
    return setl_id, layers


def _read_only_sees_it_masked(page, psn_no: str, setl_id: str) -> None:
    """Step 3 (the other role): 只读 reaches the same 结算单 and sees the ID number masked."""
    _nav(page, "结算")
    page.get_by_test_id("query-link").click()
    page.fill("input[name=q]", psn_no)
    page.click("button:has-text('查询')")
    page.get_by_test_id("query-rows").locator(f"a:text-is('{setl_id}')").click()
    page.get_by_test_id("print-link").click()
    slip = page.get_by_test_id("slip")
    expect(slip.locator("[data-field=身份证号]")).to_have_text(mask(NEW_CERTNO))
    expect(slip.locator("[data-field=姓名]")).not_to_have_text(NEW_NAME)
    expect(slip).not_to_contain_text(NEW_CERTNO[6:14])  # no birth date beside the mask
    text = _pdf_text(page, page.get_by_test_id("pdf-link"))
    assert mask(NEW_CERTNO) in text and NEW_CERTNO not in text
    shoot(page, "day-11-slip-read-only")


def _reverse_with_reason(page, psn_no: str, setl_id: str, layers: dict[str, int]) -> None:
    """Step 4: 结算查询 → the settlement → 撤销 → confirmation with the reason → 已撤销."""
    _nav(page, "结算")
    page.get_by_test_id("query-link").click()
    page.wait_for_url("**/console/settlements")
    expect(page.locator("h2", has_text="结算查询")).to_contain_text(f"{YEAR}年度")
    page.fill("input[name=q]", NEW_NAME)  # the hospital asks about her June stay
    page.fill("input[name=date_from]", f"{YEAR}-06-01")
    page.fill("input[name=date_to]", f"{YEAR}-06-30")
    page.select_option("select[name=med_type]", "21")
    page.select_option("select[name=status]", "settled")
    page.click("button:has-text('查询')")
    expect(page.get_by_test_id("query-totals")).to_contain_text("共 1 笔")
    row = page.get_by_test_id("query-rows").locator("tbody tr")
    expect(row).to_contain_text(psn_no)
    assert _money(row.locator("td.num").nth(1).inner_text()) == layers["fund_pay_sumamt"]
    shoot(page, "day-12-settlement-query")
    row.locator(f"a:text-is('{setl_id}')").click()
    page.wait_for_url(f"**/console/settlements/{setl_id}")
    page.get_by_test_id("reverse").click()
    confirm = page.get_by_test_id("reverse-confirm")
    expect(confirm).to_contain_text("确认撤销以下结算")
    expect(page.get_by_test_id("settled-by")).to_have_text("张经办")
    expect(confirm.get_by_test_id("psn-name")).to_have_text(NEW_NAME)  # whom it concerns
    expect(confirm).to_contain_text(f"{YEAR}-06-19 15:30")
    page.get_by_test_id("reason").fill("   ")  # blanks only: refused, nothing reversed
    page.get_by_test_id("confirm-reverse").click()
    expect(page.get_by_test_id("error")).to_contain_text("请填写撤销原因，未撤销")
    expect(page.get_by_test_id("reason")).to_have_value("   ")
    expect(page.get_by_test_id("reverse-confirm")).to_be_visible()
    page.get_by_test_id("reason").fill(REASON)
    shoot(page, "day-13-reverse-confirm")
    page.get_by_test_id("confirm-reverse").click()
    page.wait_for_url(f"**/console/settlements/{setl_id}?reversed=1")
    expect(page.get_by_test_id("status")).to_have_text("已撤销")
    expect(page.get_by_test_id("reversal-reason")).to_have_text(REASON)
    expect(page.get_by_test_id("reversed-by")).to_have_text("李审核")
    expect(page.get_by_test_id("reverse")).to_have_count(0)
    shoot(page, "day-14-reversed")
    page.reload()  # F5 after the 303: nothing reversed twice, the same page
    expect(page.get_by_test_id("status")).to_have_text("已撤销")


def _follow_warning(page, warned: str) -> None:
    """Step 5: 预警 待核实 → 核实 → 推送 → 处置, then the Excel export with the record."""
    _nav(page, "预警")
    assert _selected(page, "[data-testid=filters] select[name=region]") == REGION
    assert _selected(page, "[data-testid=filters] select[name=year]") == str(YEAR)
    page.get_by_test_id("status-filter").select_option("待核实")
    page.click("button:has-text('筛选')")
    row = page.locator(f"[data-testid=warnings] tr[data-psn='{warned}']")
    expect(row.get_by_test_id("status")).to_have_text("待核实")
    shoot(page, "day-16-warnings")
    row.get_by_test_id("open").click()
    expect(page.get_by_test_id("record-status")).to_have_text("待核实")
    amount = _money(page.get_by_test_id("amount").inner_text())

    page.get_by_test_id("verify-form").get_by_test_id("note").fill(
        "电话回访并入户核实：两次肺癌住院属实"
    )
    page.get_by_test_id("verify").click()
    expect(page.get_by_test_id("record-status")).to_have_text("已核实")
    page.get_by_test_id("push").click()
    expect(page.get_by_test_id("confirm")).to_contain_text("不能撤回")
    page.get_by_test_id("note").fill("推送县民政局、乡村振兴局")
    page.get_by_test_id("confirm-step").click()
    expect(page.get_by_test_id("record-status")).to_have_text("已推送")
    beijing = dt.timezone(dt.timedelta(hours=8))
    days = {dt.datetime.now(beijing).date().isoformat()}
    page.get_by_test_id("dispose").click()
    page.get_by_test_id("note").fill("已纳入临时救助，落实倾斜救助")
    shoot(page, "day-17-dispose-confirm")
    page.get_by_test_id("confirm-step").click()
    expect(page.get_by_test_id("record-status")).to_have_text("已处置")
    expect(page.get_by_test_id("actions")).to_have_count(0)
    history = page.get_by_test_id("history")
    expect(history.get_by_test_id("step-action")).to_have_text(["扫描", "核实", "推送", "处置"])
    expect(history.get_by_test_id("step-actor").nth(3)).to_have_text("李审核")
    days.add(dt.datetime.now(beijing).date().isoformat())  # (midnight may pass meanwhile)
    when = history.locator("tbody tr").nth(3).locator("td").first.inner_text().strip()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", when) and when[:10] in days, when
    shoot(page, "day-18-warning-disposed")
    page.reload()  # the stored status, not a recomputed one
    expect(page.get_by_test_id("record-status")).to_have_text("已处置")

    page.click("text=返回预警名单")
    page.get_by_test_id("status-filter").select_option("已处置")
    page.click("button:has-text('筛选')")
    expect(page.locator(f"[data-testid=warnings] tr[data-psn='{warned}']")).to_be_visible()
    data, name, kind = _download(page, page.get_by_test_id("export"))
    assert name.endswith(".xlsx") and "spreadsheetml" in kind, (name, kind)
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header, body = rows[1], rows[2:]
    [mine] = [r for r in body if r[header.index("个人编号")] == warned]
    assert mine[header.index("状态")] == "已处置"
    assert mine[header.index("推送部门")]
    assert _money(str(mine[header.index("个人自付")])) == amount


def _import_with_two_bad_rows(page, url: str) -> None:
    """Step 6: the template through the page, a GBK CSV with rows 3 and 6 bad: both reported,
    nothing of the file written."""
    _nav(page, "参保登记")
    page.get_by_test_id("import-link").click()
    page.wait_for_url("**/console/import/persons")
    data, name, _ = _download(page, page.get_by_test_id("template-csv"))
    assert name.endswith(".csv")
    header = next(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert header[:3] == ["个人编号", "身份证号", "姓名"], header
    good = [
        make_id(REGION, dt.date(1975, 2, 3) + dt.timedelta(days=211 * i), 470 + i) for i in range(4)
    ]
    typo = good[1][:-1] + ("1" if good[1][-1] != "1" else "2")  # a wrong check digit
    people = [
        {"身份证号": good[0], "姓名": "冉光荣", "家庭编号": "HDAY0001"},
        {"身份证号": typo, "姓名": "冉秀梅", "家庭编号": "HDAY0001"},  # row 3
        {"身份证号": good[2], "姓名": "任德明", "家庭编号": "HDAY0002", "人员类别": "低保对象",
         "类别起始日期": "2022-05-01", "参保年度": str(YEAR), "缴费档次": "1", "缴费日期": "2022-10-12"},
        {"身份证号": good[3], "姓名": "任小燕", "家庭编号": "HDAY0002"},
        {"身份证号": good[1], "姓名": "冉秀梅", "家庭编号": "HDAY0001", "参保年度": str(YEAR),
         "缴费档次": "3", "缴费日期": "2022-10-12"},  # row 6: tier 3 does not exist
    ]  # fmt: skip
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\r\n", restval="")
    writer.writeheader()
    for person in people:
        writer.writerow({"参保地": REGION, **person})
    body = out.getvalue().encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")  # truly GBK, as Excel saves it here
    form = page.get_by_test_id("import-form")
    form.locator("input[type=file]").set_input_files(
        {"name": "乡镇报送参保人员.csv", "mimeType": "text/csv", "buffer": body}
    )
    expect(form.get_by_test_id("picked")).to_have_text("乡镇报送参保人员.csv")
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("error")).to_contain_text("2 行有误（共 5 行），全部未导入")
    errors = page.get_by_test_id("import-errors")
    rows = errors.locator("tbody tr")
    assert {r.get_attribute("data-row") for r in rows.all()} == {"3", "6"}
    expect(errors.locator("[data-row='3']")).to_contain_text("第 3 行")
    expect(errors.locator("[data-row='3']")).to_contain_text("身份证号")
    expect(errors.locator("[data-row='3']")).to_contain_text("校验码")
    expect(errors.locator("[data-row='6']")).to_contain_text("第 6 行")
    expect(errors.locator("[data-row='6']")).to_contain_text("缴费档次")
    text = errors.inner_text()
    assert not re.search(r"[A-Za-z]{4,}", text.replace("HDAY", "")), text  # reasons in Chinese
    shoot(page, "day-19-import-errors")

    # nothing of the file: the clerk finds none of the good rows, nor does the store
    _nav(page, "参保登记")
    for certno in (good[0], good[2], good[3]):
        page.get_by_test_id("search").fill(certno)
        page.click("button:has-text('查询')")
        expect(page.locator("main")).to_contain_text("未找到符合条件的人员")
    engine = make_engine(url)
    try:
        with transaction(session_factory(engine)) as s:
            names = ("冉光荣", "冉秀梅", "任德明", "任小燕")
            stored = s.scalar(
                select(func.count())
                .select_from(Person)
                .where(Person.certno.in_(good) | Person.psn_name.in_(names))
            )
    finally:
        engine.dispose()
    assert stored == 0, f"the import wrote {stored} of the file's persons"
    shoot(page, "day-20-nothing-imported")
