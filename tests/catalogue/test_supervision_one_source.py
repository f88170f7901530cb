"""The smart-monitoring 限性别/限年龄 rules read the 医保目录 (one source with the split)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from yibao.engine.supervision.restricted_item import restricted_age, restricted_sex
from yibao.monitoring.rules_file import load_rules


def tables(code: str, sex: str, birth: dt.date, day: dt.date):
    claims = pl.DataFrame({"setl_id": ["S1"], "psn_no": ["P1"]})
    details = pl.DataFrame(
        {"setl_id": ["S1"], "line_no": [1], "item_code": [code], "date": [day], "amount": [80000]}
    )
    persons = pl.DataFrame({"psn_no": ["P1"], "sex": [sex], "birth_date": [birth]})
    return claims, details, persons


def test_a_male_only_catalogue_item_billed_to_a_woman_is_a_hit(pengshui):
    rules = load_rules()
    catalogue = rules.catalogue.with_medical(pengshui)
    meta = rules.meta["restricted_sex"]
    day = dt.date(2023, 6, 1)
    woman = tables("003312040190100", "2", dt.date(1980, 1, 1), day)  # 阴茎静脉结扎术: 限男性
    hits = restricted_sex(*woman, catalogue, meta)
    assert hits.height == 1 and hits["vola_amt"][0] == 80000
    assert restricted_sex(*woman, rules.catalogue, meta).height == 0  # the rules file alone
    man = tables("003312040190100", "1", dt.date(1980, 1, 1), day)
    assert restricted_sex(*man, catalogue, meta).height == 0


def test_the_rules_files_own_items_still_count(pengshui):
    rules = load_rules()
    catalogue = rules.catalogue.with_medical(pengshui)
    man = tables("SEXF01", "1", dt.date(1980, 1, 1), dt.date(2023, 6, 1))  # 示例目录 限女性
    assert restricted_sex(*man, catalogue, rules.meta["restricted_sex"]).height == 1


def test_an_age_limit_of_the_catalogue_is_a_hit(pengshui):
    rules = load_rules()
    catalogue = rules.catalogue.with_medical(pengshui)
    teen = tables("001204000070000", "1", dt.date(2008, 1, 1), dt.date(2023, 6, 1))  # 限儿童 ≤14
    hits = restricted_age(*teen, catalogue, rules.meta["restricted_age"])
    assert hits.height == 1 and "参保人15岁" in hits["vola_cont"][0]
