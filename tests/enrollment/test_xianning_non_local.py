"""咸宁 咸医保发〔2022〕22号 一: 切实落实《居住证暂行条例》持居住证参保政策规定，继续执行参保不受
户籍限制规定，对于非本地户籍参加当地居民医保的，各地财政要按本地居民相同标准给予补助."""

from __future__ import annotations

from pathlib import Path

import pytest

from yibao.engine.contribution import quote

YUAN = 100


@pytest.mark.parametrize(("year", "fiscal"), [(2022, 610), (2023, 640)])
def test_xianning_1_non_local_resident_gets_the_locals_fiscal_subsidy(library, year, fiscal):
    policy = library.resolve("421200", year)
    local = quote(policy, ["低保对象"], "1")
    permit = quote(policy, ["低保对象"], "1", resident_permit=True)
    assert permit.fiscal_subsidy == local.fiscal_subsidy == fiscal * YUAN
    assert permit.fiscal_shares == local.fiscal_shares
    assert (permit.assistance_subsidy, permit.personal_due) == (
        local.assistance_subsidy,
        local.personal_due,
    )
    cited = next(c for c in permit.sources if c.item == "resident_permit_same_subsidy")
    assert cited.source == "咸医保发〔2022〕22号" and cited.clause.startswith("一")
    assert "非本地户籍参加当地居民医保的，各地财政要按本地居民相同标准给予补助" in cited.clause
    assert "参保不受户籍限制" in cited.clause and not cited.assumed


def test_xianning_1_the_clause_is_the_notices_text(library):
    clause = library.resolve("421200", 2022).financing.resident_permit_same_subsidy.clause
    quoted = clause[clause.index("（") + 1 : clause.rindex("）")]
    seed = next(Path("/work/shared/seeds").glob("003_*.txt"), None)
    if seed is None:
        pytest.skip("the 咸宁 notice is not held here")
    assert quoted in seed.read_text(encoding="utf-8")
