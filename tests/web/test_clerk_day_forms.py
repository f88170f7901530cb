"""Two forms of the clerk's day without a browser (issue 16; found by the clerk's-day browser
test): in a bureau configured for 2023 the person page's 参保登记 and 缴费测算 start on 2023, not
on the newest policy year (2024); the settlement form takes an amount with thousands
separators as printed on a hospital invoice (128,600.00) and still refuses a badly grouped one
with the field named and the input kept; 参保登记 answers with a 303 (F5 enrols nothing twice); the settlement and 撤销 pages name the person, and a
person whose only settlement was reversed is told why the 年度累计 is empty; a refused new
person (bad check digit, a category without its date or with a date not ISO) gets the page again
with the reason in Chinese and the form as typed, nothing written."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.web.test_bureau_scope import PENGSHUI, _client
from yibao.idcard import make_id
from yibao.store import session_factory, transaction, users


def _chosen_years(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None, name
    return re.findall(r"<option\s+selected>(\d{4})</option>", select.group(1))


def _csrf(client) -> str:
    html = client.get("/console/persons").text
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


def _register(client, certno: str) -> str:
    form = {"csrf": _csrf(client), "certno": certno, "psn_name": "冉德秀"}
    form |= {"insuplc_admdvs": PENGSHUI, "category": "低保对象", "category_begin": "2022-01-01"}
    response = client.post("/console/persons", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text[:500]
    return response.headers["location"].split("/persons/")[1].split("?")[0]


@pytest.fixture
def bureau_2023(tmp_path, monkeypatch):
    with _client(tmp_path, monkeypatch, region=PENGSHUI, year=2023) as client:
        yield client


def test_the_person_forms_start_on_the_bureaus_year(bureau_2023):
    psn_no = _register(bureau_2023, make_id(PENGSHUI, dt.date(1972, 5, 9), 218))
    html = bureau_2023.get(f"/console/persons/{psn_no}").text
    assert _chosen_years(html, "year") == ["2023"]
    assert _chosen_years(html, "quote_year") == ["2023"]
    # once a year is quoted, the forms stay on it
    html = bureau_2023.get(f"/console/persons/{psn_no}?quote_year=2024&tier=1").text
    assert "2024年度个人缴费测算" in html
    assert _chosen_years(html, "quote_year") == ["2024"]


def _preview(client, psn_no: str, amount: str):
    form = {
        "csrf": _csrf(client),
        "psn_no": psn_no,
        "med_type": "21",
        "hosp_lv": "05",
        "begndate": "2023-06-05",
        "enddate": "2023-06-19",
        "setl_time": "2023-06-19T15:30",
        "medfee_sumamt": amount,
        "fulamt_ownpay_amt": "2,600.00",
    }
    return client.post("/console/settle/preview", data=form)


def test_the_settlement_form_takes_thousands_separators(bureau_2023):
    psn_no = _register(bureau_2023, make_id(PENGSHUI, dt.date(1968, 11, 23), 531))
    form = {"csrf": _csrf(bureau_2023), "year": "2023", "enrolled_on": "2022-10-18"}
    form["payment_id"] = "SW-DAY-0001"
    enrolled = bureau_2023.post(
        f"/console/persons/{psn_no}/enroll", data=form, follow_redirects=False
    )
    assert enrolled.status_code == 303  # F5 on the page that follows repeats nothing
    page = bureau_2023.get(enrolled.headers["location"]).text
    assert (
        "2023年度参保登记成功：待遇享受期 2023-01-01 至 2023-12-31；已登记缴费（票据号 SW-DAY-0001"
        in page
    )
    assert "2023年度个人缴费测算" in page

    response = _preview(bureau_2023, psn_no, "128,600.00")
    assert response.status_code == 200
    assert 'data-testid="result"' in response.text
    assert "128,600.00" in response.text and "2,600.00" in response.text

    for bad in ("1,28,600.00", "128,60.00", "12,8600"):
        response = _preview(bureau_2023, psn_no, bad)
        assert response.status_code == 422, bad
        assert "医疗费总额" in response.text and 'data-testid="result"' not in response.text
        assert f'name="medfee_sumamt" value="{bad}"' in response.text  # the input kept


def test_the_reversal_page_names_the_person_and_the_person_page_says_why_no_totals(bureau_2023):
    client = bureau_2023
    psn_no = _register(client, make_id(PENGSHUI, dt.date(1959, 7, 2), 644))
    form = {"csrf": _csrf(client), "year": "2023", "enrolled_on": "2022-10-18"}
    client.post(f"/console/persons/{psn_no}/enroll", data=form)
    claim = {
        "csrf": _csrf(client),
        "setl_id": "DAY-FORMS-0001",
        "psn_no": psn_no,
        "begndate": "2023-04-03",
        "enddate": "2023-04-09",
        "setl_time": "2023-04-09T11:05",
        "medfee_sumamt": "6,480.00",
    }
    settled = client.post("/console/settle", data=claim)
    assert 'data-testid="psn-name">冉德秀<' in settled.text  # the settlement page names her

    with transaction(session_factory(client.app.state.engine)) as s:
        _, token = users.add_user(s, "day-reviewer", "审核")
    client.cookies.clear()
    assert client.post("/console/login", data={"token": token}).status_code == 200
    confirm = client.get("/console/settlements/DAY-FORMS-0001/reverse").text
    assert 'data-testid="psn-name">冉德秀<' in confirm
    assert "结算流水号" in confirm and "2023-04-09 11:05<" in confirm
    reason = {"csrf": _csrf(client), "reason": "录入错误"}
    reversed_ = client.post("/console/settlements/DAY-FORMS-0001/reverse", data=reason)
    assert 'data-testid="reversal-reason">录入错误<' in reversed_.text

    person = client.get(f"/console/persons/{psn_no}").text
    assert "该人员的结算均已撤销，不计入年度累计" in person
    assert "DAY-FORMS-0001" in person  # still in 就医记录, as 已撤销


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"certno": "CHECK"}, "身份证号：500243********"),
        ({"category": "低保对象"}, "类别起始日期：选择身份类别时必填"),
        (
            {"category": "低保对象", "category_begin": "2022/03/01"},
            "应为日期（YYYY-MM-DD），收到“2022/03/01”",
        ),
    ],
    ids=["check-digit", "category-without-date", "category-date-format"],
)
def test_a_refused_new_person_keeps_the_form_and_writes_nothing(bureau_2023, fields, said):
    certno = make_id(PENGSHUI, dt.date(1983, 2, 14), 905)
    if fields.get("certno") == "CHECK":
        fields = {"certno": certno[:-1] + ("1" if certno[-1] != "1" else "2")}
    form = {"certno": certno, "psn_name": "冉德秀", "insuplc_admdvs": PENGSHUI, "hh_id": "HD01"}
    form |= fields
    response = bureau_2023.post("/console/persons", data={"csrf": _csrf(bureau_2023), **form})
    assert response.status_code == 422
    assert said in response.text and "Invalid isoformat" not in response.text
    for name in ("certno", "psn_name", "hh_id", "category_begin"):
        if form.get(name):
            assert f'value="{form[name]}"' in response.text, name
    if "category" in form:
        assert f"<option selected>{form['category']}</option>" in response.text
    found = bureau_2023.get(f"/console/persons?q={certno[6:14]}").text
    assert "未找到符合条件的人员" in found  # nothing written
