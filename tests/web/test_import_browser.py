"""A clerk imports persons from a GBK CSV in headless Chromium (issue 16): the file has two bad
rows, both are reported with their row number, field and Chinese reason, and nothing of the
file is written (not even its good rows); the clerk fixes the two rows and imports again: every
row is written (one with its year's 参保登记), the POST redirects to a summary, and F5 does not
import a second time. The templates download with the Chinese headers."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.web.conftest import shoot
from yibao.idcard import make_id
from yibao.store import transaction
from yibao.store.models import Enrollment, Person

pytestmark = pytest.mark.browser

REGION = "500243"
HEADER = "个人编号,身份证号,姓名,参保地,家庭编号,人员类别,类别起始日期,参保年度,缴费档次,缴费日期"


def _ids(n: int) -> list[str]:
    return [
        make_id(REGION, dt.date(1980, 1, 1) + dt.timedelta(days=331 * i), 610 + i) for i in range(n)
    ]


def _bad_check_digit(certno: str) -> str:
    last = certno[-1]
    return certno[:-1] + ("0" if last != "0" else "1")


def _stored(console_app, certnos: list[str]) -> tuple[int, int]:
    app, _ = console_app
    with transaction(app.state.sessions) as s:
        people = s.scalar(
            select(func.count()).select_from(Person).where(Person.certno.in_(certnos))
        )
        enrolled = s.scalar(
            select(func.count())
            .select_from(Enrollment)
            .join(Person, Person.psn_no == Enrollment.psn_no)
            .where(Person.certno.in_(certnos), Enrollment.year == 2023)
        )
        return int(people or 0), int(enrolled or 0)


def _upload(page, name: str, text: str) -> None:
    form = page.get_by_test_id("import-form")
    form.locator("input[type=file]").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": text.encode("gbk")}
    )
    expect(form.get_by_test_id("picked")).to_have_text(name)  # 选择文件 shows the file's name
    form.locator("button[type=submit]").click()


def test_a_clerk_imports_a_gbk_file_with_two_bad_rows_then_fixes_them(login, server, console_app):
    ids = _ids(5)
    page = login("经办")
    page.goto(f"{server}/console/import/persons")

    with page.expect_download() as got:
        page.get_by_test_id("template-csv").click()
    header = Path(got.value.path()).read_bytes().decode("utf-8-sig").splitlines()[0]
    assert header == HEADER
    with page.expect_download() as got:
        page.get_by_test_id("template-xlsx").click()
    assert got.value.suggested_filename == "参保人员导入模板.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(Path(got.value.path()).read_bytes()))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == HEADER.split(",")

    rows = [
        f",{ids[0]},黄志强,{REGION},HIMP0001,,,,,",
        f",{_bad_check_digit(ids[1])},黄秀兰,{REGION},HIMP0001,,,,,",  # row 3: check digit
        f",{ids[2]},何建军,{REGION},HIMP0002,低保对象,2023-01-01,2023,1,2022-10-12",
        f",{ids[3]},何桂芳,{REGION},HIMP0002,低保户口,,2023,3,2022/10/12",  # row 5: two fields
        f",{ids[4]},罗小明,{REGION},,,,,,",
    ]
    _upload(page, "参保人员.csv", "\r\n".join([HEADER, *rows]) + "\r\n")
    expect(page.get_by_test_id("error")).to_contain_text("全部未导入")
    errors = page.get_by_test_id("import-errors")
    expect(errors.locator("[data-row='3']")).to_contain_text("身份证号")
    expect(errors.locator("[data-row='3']")).to_contain_text("校验码错误")
    expect(errors.locator("[data-row='5']", has_text="人员类别")).to_contain_text("低保户口")
    expect(errors.locator("[data-row='5']", has_text="缴费档次")).to_contain_text("收到“3”")
    expect(errors.locator("tbody tr")).to_have_count(3)  # row 3: one field, row 5: two
    bad_rows = {r.get_attribute("data-row") for r in errors.locator("tbody tr").all()}
    assert bad_rows == {"3", "5"}
    assert errors.inner_text().count("validation") == 0
    shoot(page, "import-errors")
    assert _stored(console_app, ids) == (0, 0)  # the good rows were not written either

    rows[1] = f",{ids[1]},黄秀兰,{REGION},HIMP0001,,,,,"
    rows[3] = f",{ids[3]},何桂芳,{REGION},HIMP0002,低保对象,,2023,1,2022/10/12"
    _upload(page, "参保人员.csv", "\r\n".join([HEADER, *rows]) + "\r\n")
    page.wait_for_url("**/console/import/persons?created=5*")
    summary = page.get_by_test_id("import-summary")
    expect(summary).to_contain_text("已导入 5 人")
    expect(summary).to_contain_text("其中 2 人同时办理了参保登记")
    assert _stored(console_app, ids) == (5, 2)

    page.reload()  # F5 after the redirect: a GET, nothing imported again
    expect(page.get_by_test_id("import-summary")).to_contain_text("已导入 5 人")
    assert _stored(console_app, ids) == (5, 2)


def test_the_read_only_role_sees_no_upload_form(login, server):
    page = login("只读")
    page.goto(f"{server}/console/import/persons")
    expect(page.get_by_test_id("import-no-role")).to_be_visible()
    expect(page.get_by_test_id("import-form")).to_have_count(0)
