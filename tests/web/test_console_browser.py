"""The console driven in headless Chromium as bureau staff use it: log in, enrol a person and
read the quote, settle a claim and read its layers, reverse it as 审核, open the fund page and
see its charts, and be refused as 只读. Each page is saved under docs/screenshots/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.web.conftest import shoot

pytestmark = pytest.mark.browser


def _money(text: str) -> int:
    """A shown amount (1,234.56) as fen."""
    yuan, _, fen = text.strip().replace(",", "").partition(".")
    return int(yuan) * 100 + int(fen or 0)


def test_login_shows_the_users_name_and_role_and_the_seven_pages(login):
    page = login("经办")
    expect(page.get_by_test_id("user-name")).to_have_text("张经办")
    expect(page.get_by_test_id("user-role")).to_have_text("经办")
    nav = page.locator("nav.side a")
    expect(nav).to_have_text(
        ["参保登记", "结算", "预警", "基金", "医保支付", "目标", "监管", "政策", "台账"]
    )


def test_a_wrong_token_is_refused_at_login(browser, server):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(f"{server}/console/login")
    page.fill("input[name=token]", "yb_not-a-token")
    page.click("button[type=submit]")
    expect(page.get_by_test_id("error")).to_contain_text("令牌无效")
    shoot(page, "01-login")
    context.close()


def test_enrol_a_dibao_person_and_read_the_quote_with_the_subsidy(login, seeded):
    page = login("经办")
    page.fill("[data-testid=search]", seeded.to_enroll_name)
    page.click("button:has-text('查询')")
    page.click(f"a:has-text('{seeded.to_enroll}')")
    form = page.get_by_test_id("enroll-form")
    form.locator("select[name=year]").select_option("2023")
    form.locator("input[name=enrolled_on]").fill("2022-11-15")
    form.locator("input[name=payment_id]").fill("SW20221115000123")
    form.locator("button[type=submit]").click()
    expect(page.locator(".notice.ok")).to_contain_text("2023年度参保登记成功")
    # The enrollment recorded its 缴费 (issue 13): the 票据号, the person's part and the subsidy.
    payments = page.get_by_test_id("payments")
    expect(payments).to_contain_text("SW20221115000123")
    expect(payments).to_contain_text("缴费")
    expect(page.get_by_test_id("enrollments")).to_contain_text("2023-01-01")
    quote = page.get_by_test_id("quote")
    expect(quote).to_contain_text("低保对象")
    # 彭水 2023: 一档 380 元; 低保对象 are subsidised 100% of the 一档 standard… per the policy file,
    # so the person pays standard − subsidy and the page must say so in those numbers.
    standard = _money(quote.locator(".kpi .v").nth(0).inner_text())
    subsidy = _money(page.get_by_test_id("subsidy").inner_text())
    due = _money(page.get_by_test_id("personal-due").inner_text())
    assert standard == 38000
    assert subsidy > 0
    assert due == standard - subsidy
    row = payments.locator("tr", has_text="SW20221115000123")
    cells = row.locator("td.num")
    assert (_money(cells.nth(0).inner_text()), _money(cells.nth(1).inner_text())) == (due, subsidy)
    shoot(page, "02-enrol-quote")


def test_a_person_not_enrolled_is_refused_at_preview_with_no_settle_button(login, seeded):
    """Issue 13: the register decides. 郑光明 (on the 特困 roster, not enrolled for 2023) gets
    no fund payment: the preview says 未参保, keeps the form and offers no 结算."""
    page = login("经办")
    page.click("nav.side a:has-text('结算')")
    form = page.get_by_test_id("claim-form")
    form.locator("input[name=psn_no]").fill("W5002430003")
    form.locator("input[name=begndate]").fill("2023-06-01")
    form.locator("input[name=enddate]").fill("2023-06-10")
    form.locator("input[name=setl_time]").fill("2023-06-10T10:00")
    form.locator("input[name=medfee_sumamt]").fill("20000.00")
    page.get_by_test_id("preview").click()
    expect(page.get_by_test_id("refusal")).to_contain_text("未参保")
    expect(page.get_by_test_id("settle")).to_have_count(0)
    expect(page.get_by_test_id("result")).to_have_count(0)
    expect(page.locator("input[name=medfee_sumamt]")).to_have_value("20000.00")


def test_settle_a_claim_and_read_each_layer_then_reverse_it(login, seeded):
    page = login("经办")
    page.click("nav.side a:has-text('结算')")
    form = page.get_by_test_id("claim-form")
    form.locator("input[name=psn_no]").fill(seeded.fresh)
    form.locator("input[name=begndate]").fill("2023-08-01")
    form.locator("input[name=enddate]").fill("2023-08-12")
    form.locator("input[name=setl_time]").fill("2023-08-12T16:00")
    form.locator("input[name=medfee_sumamt]").fill("30000.00")
    form.locator("input[name=fulamt_ownpay_amt]").fill("1000.00")
    page.get_by_test_id("preview").click()
    result = page.get_by_test_id("result")
    expect(result).to_contain_text("预结算")
    page.get_by_test_id("settle").click()
    page.wait_for_url(re.compile(r".*/console/settlements/WEB.*"))
    expect(page.get_by_test_id("status")).to_have_text("已结算")
    table = page.get_by_test_id("layer-table")
    layer = {
        key: _money(table.locator(f"[data-layer={key}]").inner_text())
        for key in ("hifp_pay", "hifmi_pay", "maf_pay", "fund_pay_sumamt", "psn_part_amt")
    }
    assert layer["hifp_pay"] > 0 and layer["maf_pay"] > 0
    assert layer["hifp_pay"] + layer["hifmi_pay"] + layer["maf_pay"] == layer["fund_pay_sumamt"]
    assert layer["fund_pay_sumamt"] + layer["psn_part_amt"] == 3_000_000
    bars = page.locator("[data-testid=layers] svg rect[data-layer]")
    expect(bars.first).to_be_visible()
    expect(page.get_by_test_id("explanation")).to_contain_text("基本医保支付比例")
    expect(page.get_by_test_id("reverse")).to_have_count(0)  # 经办 may not reverse
    shoot(page, "03-settlement")
    url = page.url

    reviewer = login("审核")
    reviewer.goto(url)
    reviewer.get_by_test_id("reverse").click()
    expect(reviewer.get_by_test_id("reverse-confirm")).to_contain_text("确认撤销以下结算")
    expect(reviewer.get_by_test_id("layer-table")).to_be_visible()
    reviewer.get_by_test_id("reason").fill("医院重复上传，撤销后重新结算")
    reviewer.get_by_test_id("confirm-reverse").click()
    expect(reviewer.get_by_test_id("status")).to_have_text("已撤销")
    expect(reviewer.get_by_test_id("reversal-reason")).to_have_text("医院重复上传，撤销后重新结算")


def test_fund_page_draws_the_monthly_chart(login):
    page = login("管理")
    page.click("nav.side a:has-text('基金')")
    chart = page.locator("[data-testid=chart-monthly] svg")
    expect(chart).to_be_visible()
    assert chart.locator("rect").count() >= 13
    expect(page.locator("[data-testid=chart-layer] svg")).to_be_visible()
    expect(page.locator("[data-testid=chart-medtype] svg")).to_contain_text("普通住院")
    shoot(page, "05-fund")
    # 上年累计结存 from the stored fund history (issue 16): 管理 records it, the page opens on it.
    before = page.get_by_test_id("months").inner_text()
    form = page.get_by_test_id("fund-opening-form")
    form.locator("input[name=opening_balance]").fill("2,000,000.00")
    form.locator("input[name=note]").fill("上年度基金决算")
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("stored-opening-amount")).to_have_text("2,000,000.00")
    expect(page.get_by_test_id("fund-years")).to_contain_text("上年度基金决算")
    assert page.get_by_test_id("months").inner_text() != before


def test_warnings_supervision_policy_and_ledger_pages(login, seeded):
    page = login("审核")
    page.click("nav.side a:has-text('预警')")
    expect(page.get_by_test_id("warnings")).to_contain_text(seeded.warned)
    with page.expect_download() as download:
        page.get_by_test_id("export").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    shoot(page, "04-warnings")

    page.click("nav.side a:has-text('监管')")
    expect(page.get_by_test_id("hits")).to_contain_text("分解住院")
    shoot(page, "06-supervision")

    page.click("nav.side a:has-text('政策')")
    expect(page.get_by_test_id("params")).to_contain_text("假定值")
    page.locator("select[name=a]").select_option("421200-2022")
    page.locator("select[name=b]").select_option("421200-2023")
    page.click("button:has-text('对比')")
    expect(page.get_by_test_id("diff")).to_be_visible()
    shoot(page, "07-policy", full_page=False)  # the parameter list runs long

    page.click("nav.side a:has-text('台账')")
    expect(page.get_by_test_id("uninsured")).to_contain_text("特困人员")
    shoot(page, "08-ledger")


def test_read_only_sees_no_forms_and_the_server_refuses_a_forged_settlement(login, seeded):
    page = login("只读")
    page.click("nav.side a:has-text('结算')")
    expect(page.get_by_test_id("claim-form")).to_have_count(0)
    page.goto(page.url.replace("/settle", f"/persons/{seeded.warned}"))
    expect(page.get_by_test_id("enroll-form")).to_have_count(0)
    expect(page.locator("body")).to_contain_text("周**")  # names masked for 只读
    # A hand-made POST with a CSRF token of another session and one with none: both refused.
    for csrf in ("forged", None):
        form = {"psn_no": seeded.warned, "begndate": "2023-09-01", "enddate": "2023-09-02",
                "setl_time": "2023-09-02T10:00", "medfee_sumamt": "100.00"}  # fmt: skip
        if csrf:
            form["csrf"] = csrf
        response = page.request.post(page.url.split("/console")[0] + "/console/settle", form=form)
        assert response.status == 403
    page.goto(page.url.split("/console")[0] + "/console/settle")
    csrf = page.locator("form[action$='/logout'] input[name=csrf]").get_attribute("value")
    response = page.request.post(
        page.url.split("/console")[0] + "/console/settle",
        form={"csrf": csrf, "psn_no": seeded.warned, "begndate": "2023-09-01",
              "enddate": "2023-09-02", "setl_time": "2023-09-02T10:00", "medfee_sumamt": "100.00"},
    )  # fmt: skip
    assert response.status == 403
    assert "只读无权执行此操作" in response.text()
    page.set_content(response.text())
    shoot(page, "09-readonly-refused")
