"""Issue 15: a policy reload forgets every rule cached from the old files."""

from __future__ import annotations

import datetime as dt

from yibao.engine import register, settlement_single
from yibao.policy import default_library
from yibao.policy.caches import clear_policy_caches


def test_clearing_forgets_rules_followups_and_the_default_library():
    library = default_library()
    policy = library.resolve("421200", 2023)
    settlement_single.rules_for(policy, "21", "05", 1, "")
    register.default_followup("421200", dt.date(2023, 5, 1))
    assert settlement_single._rules_cache
    assert register.default_followup.cache_info().currsize
    clear_policy_caches()
    assert not settlement_single._rules_cache
    assert register.default_followup.cache_info().currsize == 0
    assert default_library() is not library  # read afresh
