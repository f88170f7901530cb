"""A per-claim Python loop, the way row-by-row systems value claims: read a claim, look up the
person's running totals, settle it (yibao's own ``settle_claim``, the batch of one), store the new
totals, next claim. Same rules and same results as the vectorised batch, one claim at a time."""

from __future__ import annotations

from typing import Any

import polars as pl

from yibao.engine.settlement import Accumulators, settle_claim
from yibao.policy.model import Policy


def settle_loop(claims: pl.DataFrame, policy: Policy) -> list[dict[str, Any]]:
    totals: dict[str, Accumulators] = {}
    out: list[dict[str, Any]] = []
    for claim in claims.sort("psn_no", "setl_time", "setl_id").iter_rows(named=True):
        acc = totals.get(claim["psn_no"], Accumulators.empty())
        settlement, totals[claim["psn_no"]] = settle_claim(claim, policy, acc)
        out.append(settlement.setlinfo)
    return out
