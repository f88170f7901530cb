"""Everything cached from the policy files, cleared in one place: `POST /api/policy/reload`
calls ``clear_policy_caches`` so that no rule resolved from the old files outlives them."""

from __future__ import annotations


def clear_policy_caches() -> None:
    """Forget the default library, the real-time path's resolved claim rules and the register's
    follow-up rules (each keyed by a policy or read from the default library)."""
    from yibao.engine import register, settlement_single
    from yibao.policy import loader

    settlement_single.clear_rules_cache()
    register.default_followup.cache_clear()
    loader.clear_default_library()
