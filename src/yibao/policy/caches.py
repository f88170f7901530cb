"""Everything cached from the policy files, cleared in one place: `POST /api/policy/reload`
calls ``clear_policy_caches`` so that no rule resolved from the old files outlives them."""

from __future__ import annotations


def clear_policy_caches() -> None:
    """Forget the default library, everything the engine derived from a policy object (its
    identity caches: resolved claim rules, per-policy rule tables, citations) and the
    register's follow-up rules (read from the default library)."""
    from yibao.catalogue.loader import clear_catalogue_cache
    from yibao.engine import identity_cache, register
    from yibao.policy import loader

    identity_cache.clear_all()
    clear_catalogue_cache()  # the 医保目录 files, read with the policy files
    register.default_followup.cache_clear()
    loader.clear_default_library()
