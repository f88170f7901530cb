"""补缴 / 退费 / 冲正 and the 缴费凭证 in the console, as a clerk does them: register a person,
enrol them, then register a 补缴, a refused 退费 (nothing written, input kept) and a 冲正;
只读 sees no form, a forged POST is refused, and the receipt masks the ID number."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient

from yibao.idcard import make_id, mask
from yibao.services import payments
from yibao.store import transaction

REGION = "500243"
CERTNO = make_id(REGION, dt.date(1971, 3, 9), 611)
NAME = "马春燕"


@pytest.fixture(scope="module")
def client(console_app):
    app, _ = console_app
    with TestClient(app) as c:
        yield c


def _login(client, token: str) -> None:
    client.cookies.clear()
    assert (
        client.post("/console/login", data={"token": token}, follow_redirects=False).status_code
        == 303
    )


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


def _table(html: str) -> str:
    return html.split('data-testid="payments"', 1)[1].split("</table>", 1)[0]


def _net(console_app, psn_no: str) -> tuple[int, int]:
    with transaction(console_app[0].state.sessions) as s:
        return payments.net_paid(s, psn_no, 2023)


def _count(console_app, psn_no: str) -> int:
    with transaction(console_app[0].state.sessions) as s:
        return len(payments.payments_of(s, psn_no))


@pytest.fixture(scope="module")
def enrolled(client, seeded) -> str:
    """A clerk registers 马春燕 and enrols her for 2023 (her 缴费 as quoted)."""
    _login(client, seeded.tokens["经办"])
    csrf = _csrf(client.get("/console/persons").text)
    form = {"csrf": csrf, "certno": CERTNO, "psn_name": NAME, "insuplc_admdvs": REGION}
    response = client.post("/console/persons", data=form, follow_redirects=False)
    assert response.status_code == 303
    psn_no = response.headers["location"].split("/")[-1].split("?")[0]
    form = {"csrf": csrf, "year": "2023", "enrolled_on": "2022-10-08", "tier": "1",
            "situation": "resident", "payment_id": "PE-JF-1"}  # fmt: skip
    response = client.post(f"/console/persons/{psn_no}/enroll", data=form)
    assert response.status_code == 200 and "参保登记成功" in response.text
    return psn_no


def _count_id(client, psn_no: str, payment_id: str) -> int:
    return client.get(f"/console/persons/{psn_no}").text.count(f'/payments/{payment_id}/receipt"')


def _pay(client, psn_no: str, **fields: str):
    csrf = _csrf(client.get(f"/console/persons/{psn_no}").text)
    form = {"csrf": csrf, "year": "2023", "paid_on": "2023-03-01", **fields}
    return client.post(f"/console/persons/{psn_no}/payments", data=form, follow_redirects=False)


def test_a_clerk_registers_a_top_up_a_refused_refund_and_a_reversal(
    client, seeded, console_app, enrolled
):
    _login(client, seeded.tokens["经办"])
    before = _net(console_app, enrolled)
    response = _pay(client, enrolled, kind="补缴", payment_id="PE-BJ-1",
                    personal_paid="1,200.50", reason="漏缴差额补缴")  # fmt: skip
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"/console/persons/{enrolled}?paid=PE-BJ-1")
    html = client.get(response.headers["location"]).text
    assert "已登记补缴（票据号 PE-BJ-1" in html and "1,200.50元" in html
    assert "PE-BJ-1" in _table(html) and "漏缴差额补缴" in _table(html)
    assert _net(console_app, enrolled) == (before[0] + 120050, before[1])

    count = _count(console_app, enrolled)
    too_much = f"{(before[0] + 120050) / 100 + 0.01:.2f}"
    response = _pay(client, enrolled, kind="退费", payment_id="PE-TF-1",
                    personal_paid=too_much, reason="多缴退费")  # fmt: skip
    assert response.status_code == 422
    assert "退费不能超过已缴金额" in response.text
    assert "personal_paid:" not in response.text
    assert f'value="{too_much}"' in response.text and 'value="PE-TF-1"' in response.text
    assert 'value="多缴退费"' in response.text
    assert _count(console_app, enrolled) == count

    response = _pay(client, enrolled, kind="退费", payment_id="PE-TF-2", personal_paid="10")
    assert response.status_code == 422 and "退费须填写原因" in response.text
    assert _count(console_app, enrolled) == count

    response = _pay(client, enrolled, kind="冲正", payment_id="PE-CZ-1", year="",
                    refers_to="PE-BJ-1", reason="票据号录错")  # fmt: skip
    assert response.status_code == 303
    html = client.get(response.headers["location"]).text
    assert "已登记冲正（票据号 PE-CZ-1" in html and "-1,200.50" in _table(html)
    assert _net(console_app, enrolled) == before


def test_amounts_are_parsed_exactly(client, seeded, console_app, enrolled):
    _login(client, seeded.tokens["经办"])
    count = _count(console_app, enrolled)
    response = _pay(client, enrolled, kind="补缴", payment_id="PE-BJ-X",
                    personal_paid="12.345", reason="补缴")  # fmt: skip
    assert response.status_code == 422 and "最多两位小数" in response.text
    assert _count(console_app, enrolled) == count


def test_read_only_sees_no_form_and_a_forged_post_is_refused(client, seeded, console_app, enrolled):
    _login(client, seeded.tokens["只读"])
    html = client.get(f"/console/persons/{enrolled}").text
    assert 'data-testid="payment-form"' not in html
    count = _count(console_app, enrolled)
    response = _pay(client, enrolled, kind="补缴", payment_id="PE-RO-1",
                    personal_paid="50", reason="伪造")  # fmt: skip
    assert response.status_code == 403 and "只读无权执行此操作" in response.text
    assert _count(console_app, enrolled) == count


def test_the_receipt_shows_the_amounts_and_masks_the_id_for_read_only(client, seeded, enrolled):
    _login(client, seeded.tokens["经办"])
    if _count_id(client, enrolled, "PE-BJ-1") == 0:  # (the entry test ran in another worker)
        response = _pay(client, enrolled, kind="补缴", payment_id="PE-BJ-1",
                        personal_paid="1,200.50", reason="漏缴差额补缴")  # fmt: skip
        assert response.status_code == 303
    html = client.get(f"/console/persons/{enrolled}").text
    assert "/console/payments/PE-JF-1/receipt" in html and "打印缴费凭证" in html
    html = client.get("/console/payments/PE-BJ-1/receipt").text
    assert "缴费凭证" in html and CERTNO in html and NAME in html
    assert re.search(r'data-testid="receipt-personal">1,200.50 元', html)
    assert re.search(r'data-testid="receipt-kind">补缴', html)
    assert "张经办" in html and "北京时间" in html and "@media print" in html

    _login(client, seeded.tokens["只读"])
    html = client.get("/console/payments/PE-BJ-1/receipt").text
    assert CERTNO not in html and mask(CERTNO) in html and NAME not in html
    assert client.get("/console/payments/NO-SUCH/receipt").status_code == 404
