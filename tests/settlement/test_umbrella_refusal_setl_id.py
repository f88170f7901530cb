"""An umbrella-category refusal names the claim in the batch as in real time (issue 14, fix).

彭水 2023 三（二）3 with the 救助 table of the narrow kinds only and 突发严重困难人口 at 70%: a
防止返贫监测对象 tag cannot be given one ratio (categories.applicable refuses). ``settle_year``
must say which claim, as ``settle_claim`` does.
"""

from __future__ import annotations

import polars as pl
import pytest

from tests.enrollment.test_umbrella_categories import with_value
from tests.settlement.conftest import claim
from tests.settlement.test_umbrella_categories import without_umbrella_assistance
from yibao.engine.settlement import Accumulators, settle_claim, settle_year
from yibao.engine.settlement_rules import SettlementError


class OnePolicy:
    def __init__(self, policy):
        self.policy = policy

    def resolve(self, code, year):
        return self.policy


@pytest.fixture(scope="module")
def disagreeing(library):
    policy = without_umbrella_assistance(library.resolve("500243", 2023))
    ratios = dict(policy.medical_assistance.ratio_by_category.value)
    ratios["突发严重困难人口"] = 7_000
    return with_value(policy, "medical_assistance", "ratio_by_category", ratios)


def test_batch_umbrella_refusal_names_the_setl_id(disagreeing):
    rows = [
        claim(total=1000, setl_id="ok-1", psn_no="P1", categories="低保对象"),
        claim(total=2000, setl_id="bad-7", psn_no="P2", categories="防止返贫监测对象"),
    ]
    with pytest.raises(SettlementError) as batch:
        settle_year(pl.DataFrame(rows), OnePolicy(disagreeing))
    with pytest.raises(SettlementError) as single:
        settle_claim(rows[1], disagreeing, Accumulators.empty())
    assert str(batch.value).startswith("categories: 防止返贫监测对象 在本地按细类")
    assert str(batch.value).endswith("(setl_id bad-7)")
    assert str(batch.value) == str(single.value)
