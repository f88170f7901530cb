"""Values derived from a policy object, cached by the object's identity: one mechanism for the
engine's caches (resolved claim rules, per-policy rule tables, citations), all forgotten by
``clear_all`` (``policy.caches.clear_policy_caches``, called by ``POST /api/policy/reload``).

A policy (or one of its Params) is immutable once loaded, so what is derived from it may be
kept as long as the object lives. Entries are keyed by ``id(owner)`` and hold the owner, so the
id cannot be reused by another object while the entry lives; each cache is bounded (cleared
when full: a handful of policies per process, a few thousand kinds of claim).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

V = TypeVar("V")

_ALL: list[IdentityCache[Any]] = []


class IdentityCache(Generic[V]):
    def __init__(self, name: str, max_entries: int) -> None:
        self.name = name
        self.max_entries = max_entries
        self._entries: dict[tuple[int, Hashable], tuple[object, V]] = {}
        self._lock = threading.Lock()
        _ALL.append(self)

    def get(self, owner: object, key: Hashable, compute: Callable[[], V]) -> V:
        """The value for (``owner``, ``key``), computed once. Errors are not cached."""
        slot = (id(owner), key)
        hit = self._entries.get(slot)
        if hit is not None and hit[0] is owner:
            return hit[1]
        value = compute()
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[slot] = (owner, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def clear_all() -> None:
    """Forget every value derived from a policy (after a reload, to free the old policies)."""
    for cache in _ALL:
        cache.clear()
