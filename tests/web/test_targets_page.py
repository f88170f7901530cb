"""目标 page over HTTP: the store's 彭水 2023 year against every target of the policy, the
county ratios recomputed here from the store's rows, and the Excel download."""

from __future__ import annotations

import io
import re

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from yibao.money import BP_PER_UNIT, bp_to_percent, divide_half_up
from yibao.store import transaction
from yibao.store.models import Claim, Settlement

LEVEL_TWO = {"05", "06", "07", "13"}  # hosp_lv codes the national map puts at 二级


@pytest.fixture(scope="module")
def as_role(console_app, seeded):
    """A test client of the console app, logged in afresh as the role asked for."""
    with TestClient(console_app[0]) as http:

        def logged_in(role: str | None) -> TestClient:
            http.cookies.clear()
            if role is not None:
                http.post("/console/login", data={"token": seeded.tokens[role]})
            return http

        yield logged_in


def _level_two_ratio(app) -> tuple[int, int]:
    """Σ hifp_pay / Σ inscp_scp_amt of the settled 二级 inpatient claims, straight from the store."""
    num = den = 0
    with transaction(app.state.sessions) as s:
        rows = s.execute(
            select(Settlement.hifp_pay, Settlement.inscp_scp_amt, Claim.row)
            .join(Claim, Claim.setl_id == Settlement.setl_id)
            .where(Settlement.status == "settled", Settlement.year == 2023)
        ).all()
    for hifp, inscp, claim in rows:
        if claim.get("med_type") == "21" and claim.get("hosp_lv") in LEVEL_TWO:
            num, den = num + hifp, den + inscp
    return num, den


def test_targets_page_shows_every_target_row(as_role, console_app):
    html = as_role("只读").get("/console/targets?region=500243&year=2023").text
    for name in (
        "政策范围内住院费用基金支付比例",
        "县域住院政策范围内基金支付比例（二级医院）",
        "县域住院政策范围内基金支付比例（一级医院）",
        "大病保险政策范围内支付比例",
        "参保率（全体城乡居民）",
        "参保率（八类人员）",
        "门诊慢特病跨省直接结算县域覆盖",
    ):
        assert name in html, name
    assert "三（二）1" in html and "假定值" in html
    num, den = _level_two_ratio(console_app[0])
    assert den > 0
    row = re.search(r'data-key="benefits.county_inpatient_ratio_target.二级".*?</tr>', html, re.S)
    assert row is not None
    shown = divide_half_up(num * BP_PER_UNIT, den)
    assert bp_to_percent(shown) in row.group(0)
    met = num * BP_PER_UNIT >= 7000 * den
    assert ("达到" if met else "未达到") in row.group(0)
    general = re.search(r'data-key="targets.enrollment_rate".*?</tr>', html, re.S).group(0)
    assert "无法测算" in general  # the store has no count of who should be insured
    assert 'href="/console/targets"' in html  # in the navigation


def test_targets_excel_download_has_the_rows(as_role):
    r = as_role("经办").get("/console/targets.xlsx?region=500243&year=2023")
    assert r.status_code == 200
    assert "attachment" in r.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(r.content))["目标"]
    names = [row[0].value for row in sheet.iter_rows(min_row=5)]
    assert "县域住院政策范围内基金支付比例（二级医院）" in names
    level2 = next(
        row for row in sheet.iter_rows(min_row=5) if row[0].value.endswith("（二级医院）")
    )
    assert level2[3].value == pytest.approx(0.7) and level2[3].number_format == "0.00%"


def test_targets_page_needs_a_login(as_role):
    r = as_role(None).get("/console/targets", follow_redirects=False)
    assert r.status_code in (302, 303, 307, 401)
