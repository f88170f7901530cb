"""The 政策 page as a policy officer reads it (issue 16): parameters by topic (参保缴费, 待遇
门诊/住院/大病/救助, 基金 …) under Chinese names, values as tables (个人缴费 by 档次, not
``{"1": 380, "2": 735}``), the document and clause beside each value, assumed values marked with
their note, each topic folding, so the page opens within three screens; and the difference of
two years or two regions in the same form."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.web.conftest import shoot
from yibao.policy import default_library

pytestmark = pytest.mark.browser

SCREEN = 900  # the test viewport's height


def test_the_policy_page_reads_by_topic_with_tables_and_citations(login, server):
    page = login("只读")
    page.goto(f"{server}/console/policy?show=500243-2023")
    params = page.get_by_test_id("params")
    topics = params.locator("details.topic > summary")
    titles = [t.strip() for t in topics.all_inner_texts()]
    for want in ("参保缴费：筹资标准", "参保缴费：资助参保", "待遇：门诊", "待遇：住院与生育",
                 "待遇：大病保险", "待遇：医疗救助", "基金运行与风险"):  # fmt: skip
        assert any(t.startswith(want) for t in titles), (want, titles)
    assert page.locator("details.topic[open]").count() == 1  # the others fold

    row = params.locator("tr[data-path='financing.personal_contribution']")
    expect(row.locator("td").first).to_contain_text("个人缴费标准（按档次）")
    value = row.locator("td[data-value] table.val")
    expect(value.locator("tr", has_text="一档")).to_contain_text("380.00 元")
    expect(value.locator("tr", has_text="二档")).to_contain_text("735.00 元")
    cited = default_library().resolve("500243", 2023).financing.personal_contribution
    expect(row).to_contain_text(cited.source)  # the document beside the value
    subsidy = params.locator("tr[data-path='assistance_subsidy.rules']")
    expect(subsidy).to_contain_text("三（一）1")  # 彭水's clause, in the rule's own row
    assert '{"' not in params.inner_text() and '{"' not in params.text_content()

    # A value the notices leave open is marked, with why.
    page.locator("details.topic[data-topic='critical'] > summary").click()
    segments = params.locator("tr[data-path='critical_illness.segments']")
    expect(segments.locator("table.val")).to_contain_text("以上（不设上限）")
    assumed = params.locator("details.topic[data-topic='critical'] tr.is-assumed").first
    expect(assumed).to_contain_text("假定值")
    ratio = params.locator("tr[data-path='benefits.pools.inpatient.ratio']")
    expect(ratio.locator("table.val")).to_contain_text("75%")  # 二级, 一档
    shown = params.inner_text()
    for key in ("financing.", "deductible_basis", "outpatient_general", "per_claim", "yibao"):
        assert key not in shown, key  # Chinese names; the path is only the cell's tooltip

    page.goto(f"{server}/console/policy?show=500243-2023")
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height <= 3 * SCREEN, height
    shoot(page, "07-policy", full_page=False)


def test_the_diff_of_two_years_shows_both_values_in_the_same_form(login, server):
    page = login("审核")
    page.goto(f"{server}/console/policy?show=500243-2023&a=500243-2023&b=500243-2024")
    diff = page.get_by_test_id("diff")
    row = diff.locator("tr[data-path='financing.personal_contribution']")
    lib = default_library()
    a = lib.resolve("500243", 2023).financing.personal_contribution.raw
    b = lib.resolve("500243", 2024).financing.personal_contribution.raw
    assert a != b
    expect(row.locator("td[data-side='a']")).to_contain_text(f"{a['1']:,.2f} 元")
    expect(row.locator("td[data-side='b']")).to_contain_text(f"{b['1']:,.2f} 元")
    expect(row.locator("td").first).to_contain_text("个人缴费标准（按档次）")
    assert '{"' not in diff.text_content()


def test_the_diff_of_two_regions(login, server):
    page = login("审核")
    page.goto(f"{server}/console/policy?a=421200-2023&b=341700-2023")
    diff = page.get_by_test_id("diff")
    expect(diff).to_contain_text("住院·支付比例")
    expect(page.locator("h2", has_text="差异")).to_contain_text("咸宁")
    expect(page.locator("h2", has_text="差异")).to_contain_text("池州")
