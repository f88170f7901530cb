"""Messages for a clerk over HTTP (issue 16): the lower layers' English reasons and pydantic's
errors said in Chinese naming the field; an unexpected error is a Chinese 系统错误 page (the
trace only in the log); an unknown address a Chinese 404; a PDF without a CJK font a Chinese
503; every policy parameter has a Chinese name."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from yibao.web import labels, messages
from yibao.web.templating import environment


@pytest.fixture(scope="module")
def client(console_app):
    app, _ = console_app
    with TestClient(app) as c:
        yield c


def _login(client, token: str) -> None:
    client.cookies.clear()
    client.post("/console/login", data={"token": token}, follow_redirects=False)


def test_an_unexpected_error_is_a_chinese_page(client, seeded, monkeypatch):
    from yibao.web import policy

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom: something internal")

    monkeypatch.setattr(policy, "parameter_rows", broken)
    _login(client, seeded.tokens["只读"])
    response = client.get("/console/policy?show=500243-2023")
    assert response.status_code == 500
    assert "系统内部错误" in response.text and "boom" not in response.text
    assert "<h1>系统错误</h1>" in response.text


def test_unknown_addresses_are_a_chinese_404(client, seeded):
    _login(client, seeded.tokens["经办"])
    for method in ("get", "post"):
        response = getattr(client, method)("/console/persons/x/no-such")
        assert response.status_code == 404 and "页面不存在" in response.text


def test_a_pdf_without_a_cjk_font_is_refused_in_chinese(client, seeded, monkeypatch):
    monkeypatch.setenv("YIBAO_PDF_FONT", "/nonexistent/font.ttf")
    _login(client, seeded.tokens["经办"])
    response = client.get("/console/settlements/W-2023-0001/print.pdf")
    assert response.status_code == 503
    assert "未安装中文字体" in response.text and "scripts/ensure-fonts.sh" in response.text
    assert client.get("/console/settlements/W-2023-0001/print").status_code == 200


def test_service_messages_are_said_in_chinese():
    assert messages.chinese("certno: 500243********1234 fails the GB 11643 check digit") == (
        "身份证号：500243********1234 校验码错误（GB 11643），请核对号码"
    )
    assert messages.chinese("certno: a person with this ID number already exists") == (
        "身份证号：该身份证号已登记，不能重复登记"
    )
    assert messages.chinese("setl_id: no settlement X1") == "结算编号：无结算编号为 X1 的结算"
    assert messages.chinese("psn_no: 未参保：…") == "个人编号：未参保：…"


def test_pydantic_errors_are_said_by_their_kind():
    from pydantic import ValidationError

    from yibao.api.schemas import PersonIn

    with pytest.raises(ValidationError) as caught:
        PersonIn(certno="123", psn_name="", insuplc_admdvs="50024")
    text = messages.describe(caught.value.errors(), skip=0)
    assert "身份证号：长度不足（至少 18 个字符）" in text
    assert "姓名：长度不足" in text and "参保地：格式不正确" in text
    assert messages.is_clerk_text(text)


def test_labels_name_every_policy_parameter(library):
    for region, years in library.available():
        for year in years:
            for p in library.resolve(region.code, year).params():
                assert labels.param(p.path) != p.path, p.path
    assert environment.filters["explain"]("med_type 21 → 住院") == "医疗类别 21 → 住院"
