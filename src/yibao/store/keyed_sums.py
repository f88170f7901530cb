"""Keyed integer sums: the in-memory deltas the stored aggregates are updated with."""

from __future__ import annotations

from typing import Any


def add_into(into: dict[Any, list[int]], key: Any, values: list[int]) -> None:
    """``into[key] += values`` element by element (a copy of ``values`` for a new key)."""
    have = into.get(key)
    if have is None:
        into[key] = list(values)
    else:
        for i, v in enumerate(values):
            have[i] += v
