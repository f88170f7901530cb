"""The 预警 and 监管 workflows in headless Chromium as a reviewer's task (issue 16): open 预警,
filter by township, open the warned person's record, 核实 → 推送 (confirmation) → 处置
(confirmation) with notes, read the history, reload without repeating a step, export the
filtered list and read the workbook; the same for a 分解住院 疑点 to 认定 违规 with a 扣款 (a bad
amount refused with the input kept); 只读 sees the records and no buttons."""

from __future__ import annotations

import re
from decimal import Decimal

from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.web.conftest import shoot


def _sheet_rows(download) -> tuple[list[str], list[list]]:
    assert download.value.suggested_filename.endswith(".xlsx")
    with open(download.value.path(), "rb") as file:  # the saved download has no extension
        book = load_workbook(file, read_only=True)
        rows = [list(r) for r in book.active.iter_rows(values_only=True)]
    return rows[1], rows[2:]


def test_a_reviewer_follows_a_warning_to_disposal_and_exports_it(login, seeded):
    page = login("审核")
    page.click("nav.side a:has-text('预警')")
    expect(page.get_by_test_id("last-scan")).to_contain_text("最近扫描")
    page.get_by_test_id("township-filter").select_option("汉葭街道")
    page.click("button:has-text('筛选')")
    row = page.locator(f"[data-testid=warnings] tr[data-psn='{seeded.warned}']")
    expect(row).to_be_visible()
    expect(page.locator("[data-testid=warnings] tbody tr")).to_have_count(
        page.locator("[data-testid=warnings] tbody tr:has-text('汉葭街道')").count()
    )
    row.get_by_test_id("open").click()
    expect(page.get_by_test_id("record-status")).to_have_text("待核实")
    amount = page.get_by_test_id("amount").inner_text()

    page.get_by_test_id("verify-form").get_by_test_id("note").fill("乡镇入户核实：两次肺癌住院属实")
    page.get_by_test_id("verify").click()
    expect(page.get_by_test_id("record-status")).to_have_text("已核实")

    page.get_by_test_id("push").click()
    expect(page.get_by_test_id("confirm")).to_contain_text("不能撤回")
    page.get_by_test_id("note").fill("推送民政、乡村振兴部门")
    page.get_by_test_id("confirm-step").click()
    expect(page.get_by_test_id("record-status")).to_have_text("已推送")
    expect(page.get_by_test_id("pushed-to")).to_have_text("民政、乡村振兴")

    page.get_by_test_id("dispose").click()
    page.get_by_test_id("note").fill("已落实临时救助和倾斜救助")
    page.get_by_test_id("confirm-step").click()
    expect(page.get_by_test_id("record-status")).to_have_text("已处置")
    expect(page.get_by_test_id("actions")).to_have_count(0)  # nothing left to do
    history = page.get_by_test_id("history")
    expect(history.get_by_test_id("step-action")).to_have_text(["扫描", "核实", "推送", "处置"])
    expect(history.get_by_test_id("step-actor").nth(3)).to_have_text("李审核")
    expect(history.get_by_test_id("step-note").nth(3)).to_have_text("已落实临时救助和倾斜救助")
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", history.locator("tbody tr").nth(3).inner_text())
    shoot(page, "04b-warning-record")
    page.reload()  # F5 after the 303: the page again, no step repeated
    expect(history.get_by_test_id("step-action")).to_have_count(4)

    page.click("text=返回预警名单")
    page.get_by_test_id("status-filter").select_option("已处置")
    page.click("button:has-text('筛选')")
    expect(page.locator("[data-testid=warnings] tbody tr")).to_have_count(1)
    with page.expect_download() as download:
        page.get_by_test_id("export").click()
    header, rows = _sheet_rows(download)
    assert [r[header.index("个人编号")] for r in rows] == [seeded.warned]
    mine = rows[0]
    assert mine[header.index("状态")] == "已处置"
    assert mine[header.index("推送部门")] == "民政、乡村振兴"
    assert Decimal(str(mine[header.index("个人自付")])) == Decimal(amount.replace(",", ""))


def test_a_reviewer_decides_a_split_admission_with_a_deduction(login, seeded):
    page = login("审核")
    page.click("nav.side a:has-text('监管')")
    page.get_by_test_id("rule-filter").select_option("JK002")
    page.click("button:has-text('查询')")
    row = page.locator("[data-testid=hits] tr[data-setl='W-2023-0004']")
    expect(row).to_contain_text("分解住院")
    row.get_by_test_id("open").click()
    expect(page.get_by_test_id("record-status")).to_have_text("待核查")

    page.get_by_test_id("start-form").get_by_test_id("note").fill("调取两次住院病历")
    page.get_by_test_id("start").click()
    expect(page.get_by_test_id("record-status")).to_have_text("核查中")
    page.get_by_test_id("appeal-text").fill("第二次入院为肺炎复发，主诊断不同")
    page.get_by_test_id("appeal").click()
    expect(page.get_by_test_id("record-status")).to_have_text("申诉中")
    expect(page.get_by_test_id("appeal")).to_have_text("第二次入院为肺炎复发，主诊断不同")

    page.get_by_test_id("decide").click()
    page.get_by_test_id("finding-违规").check()
    page.get_by_test_id("deduction").fill("500.505")
    page.get_by_test_id("note").fill("申诉不成立，认定分解住院")
    page.get_by_test_id("confirm-step").click()
    expect(page.get_by_test_id("error")).to_contain_text("最多两位小数")
    expect(page.get_by_test_id("deduction")).to_have_value("500.505")  # the input is kept
    expect(page.get_by_test_id("note")).to_have_value("申诉不成立，认定分解住院")
    page.get_by_test_id("deduction").fill("500.50")
    page.get_by_test_id("confirm-step").click()
    expect(page.get_by_test_id("record-status")).to_have_text("已认定（违规）")
    expect(page.get_by_test_id("deduction")).to_have_text("500.50")
    history = page.get_by_test_id("history")
    expect(history.get_by_test_id("step-action")).to_have_text(["扫描", "开始核查", "申诉", "认定"])
    expect(history.locator("tbody tr").nth(3)).to_contain_text("500.50")
    shoot(page, "06b-supervision-record")

    page.click("text=返回疑点列表")
    page.get_by_test_id("rule-filter").select_option("JK002")
    page.get_by_test_id("status-filter").select_option("已认定")
    page.click("button:has-text('查询')")
    with page.expect_download() as download:
        page.get_by_test_id("export").click()
    header, rows = _sheet_rows(download)
    [mine] = [r for r in rows if r[header.index("结算流水号")] == "W-2023-0004"]
    assert mine[header.index("认定结果")] == "违规"
    assert Decimal(str(mine[header.index("扣款金额")])) == Decimal("500.50")
    assert {r[header.index("状态")] for r in rows} == {"已认定"}


def test_read_only_sees_the_records_and_no_workflow_buttons(login, seeded):
    page = login("只读")
    page.click("nav.side a:has-text('预警')")
    expect(page.get_by_test_id("scan")).to_have_count(0)
    page.locator(f"[data-testid=warnings] tr[data-psn='{seeded.warned}']").get_by_test_id(
        "open"
    ).click()
    expect(page.get_by_test_id("history")).to_be_visible()
    expect(page.get_by_test_id("actions")).to_have_count(0)
    expect(page.get_by_test_id("record")).to_contain_text("周*")
