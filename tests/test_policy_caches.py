"""Issue 15: a policy reload forgets every rule cached from the old files."""

from __future__ import annotations

import datetime as dt

from yibao.engine import explain, register, settlement_batch, settlement_single
from yibao.policy import default_library
from yibao.policy.caches import clear_policy_caches


def test_clearing_forgets_rules_followups_and_the_default_library():
    library = default_library()
    policy = library.resolve("421200", 2023)
    settlement_single.rules_for(policy, "21", "05", 1, "")
    settlement_batch._rules_of(policy)
    explain.cite(policy.critical_illness.deductible)
    register.default_followup("421200", dt.date(2023, 5, 1))
    caches = (settlement_single._RULES_FOR, settlement_batch._RULES, explain._CITES)
    assert all(len(cache) for cache in caches)
    assert register.default_followup.cache_info().currsize
    clear_policy_caches()
    assert not any(len(cache) for cache in caches)  # one mechanism: engine.identity_cache
    assert register.default_followup.cache_info().currsize == 0
    assert default_library() is not library  # read afresh
