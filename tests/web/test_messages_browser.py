"""Messages for a clerk (issue 16): no pydantic text and no English reaches the console. A bad
amount on the 结算 form is refused in Chinese naming 医疗费总额, the page lists what was sent,
and 返回修改 goes back to the form with the input kept; an unknown page is a Chinese 404; the
缴费测算 and the settlement's explanation show Chinese names, not the engine's keys."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from yibao.web import messages

pytestmark = pytest.mark.browser

ENGLISH_KEYS = ("personal_contribution", "assistance_subsidy", "fiscal_sharing", "med_type",
                "hosp_lv", "inpatient", "validation error", "errors.pydantic.dev", "Field required")  # fmt: skip


def _no_english(text: str) -> None:
    for key in ENGLISH_KEYS:
        assert key not in text, key
    assert messages.is_clerk_text(text), text[:400]


def test_a_bad_amount_is_refused_in_chinese_and_the_input_is_kept(login, server, seeded):
    page = login("经办")
    page.goto(f"{server}/console/settle?psn_no={seeded.fresh}")
    form = page.locator("form", has=page.locator("[name=medfee_sumamt]")).first
    form.locator("[name=medfee_sumamt]").fill("12,000.5x")
    form.locator("[name=dise_codg]").fill("J18.9")
    form.locator("button", has_text="预结算").click()
    # The 结算 form comes back with the refusal above it and what was typed still in it.
    error = page.get_by_test_id("refusal")
    expect(error).to_contain_text("医疗费总额")
    _no_english(error.inner_text())
    _no_english(page.locator("main").inner_text())
    expect(page.locator("[name=medfee_sumamt]").first).to_have_value("12,000.5x")
    expect(page.locator("[name=dise_codg]").first).to_have_value("J18.9")
    assert seeded.tokens["经办"] not in page.content()


def test_an_unknown_console_page_is_a_chinese_404(login, server):
    page = login("经办")
    response = page.goto(f"{server}/console/no-such-page")
    assert response is not None and response.status == 404
    expect(page.get_by_test_id("error")).to_contain_text("页面不存在")
    expect(page.locator("h1")).to_have_text("未找到")


def test_the_quote_and_the_explanation_show_chinese_names(login, server, seeded):
    page = login("经办")
    page.goto(f"{server}/console/persons/{seeded.warned}?quote_year=2023&tier=1")
    quote = page.get_by_test_id("quote")
    expect(quote).to_contain_text("个人缴费标准")
    expect(quote).to_contain_text("资助参保·低保对象")
    _no_english(quote.inner_text())

    page.goto(f"{server}/console/settlements/W-2023-0001")
    explanation = page.get_by_test_id("explanation")
    expect(explanation).to_contain_text("医疗类别 21 → 住院；医院等级 05 → 二级")
    expect(explanation).to_contain_text("本系统假定值")
    body = explanation.inner_text()
    assert not re.search(r"\b(med_type|hosp_lv|inpatient|yibao)\b", body)
