"""A rule hit in the shape of the national platform's audit output (智能审核/监控结果).

``rule_id, rule_name, vola_cont`` (what happened), ``vola_amt`` (amount at issue, fen),
``sev_deg`` (可疑 suspicious / 明确 certain), ``vola_evid`` (claim and line ids),
``vola_bhvr_type`` (kind of behaviour); plus ``psn_no`` and ``setl_id`` of the claim hit so a
reviewer can open it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from yibao.money import fen_to_json

HIT_SCHEMA: dict[str, Any] = {
    "rule_id": pl.String,
    "rule_name": pl.String,
    "psn_no": pl.String,
    "setl_id": pl.String,
    "vola_cont": pl.String,
    "vola_amt": pl.Int64,
    "sev_deg": pl.String,
    "vola_evid": pl.String,
    "vola_bhvr_type": pl.String,
}
HIT_COLUMNS = tuple(HIT_SCHEMA)


@dataclass(frozen=True)
class RuleMeta:
    """Who a rule is in the audit output (from the rules file)."""

    rule_id: str
    rule_name: str
    sev_deg: str
    vola_bhvr_type: str


def empty_hits() -> pl.DataFrame:
    return pl.DataFrame(schema=HIT_SCHEMA)


def finish(found: pl.DataFrame, meta: RuleMeta) -> pl.DataFrame:
    """Give a rule's findings (psn_no, setl_id, vola_cont, vola_amt, vola_evid) the audit shape."""
    if found.is_empty():
        return empty_hits()
    return (
        found.with_columns(
            pl.lit(meta.rule_id).alias("rule_id"),
            pl.lit(meta.rule_name).alias("rule_name"),
            pl.lit(meta.sev_deg).alias("sev_deg"),
            pl.lit(meta.vola_bhvr_type).alias("vola_bhvr_type"),
            pl.col("vola_amt").cast(pl.Int64),
        )
        .select(HIT_COLUMNS)
        .cast(HIT_SCHEMA)  # type: ignore[arg-type]
        .sort("setl_id")
    )


def hits_to_json(hits: pl.DataFrame) -> list[dict[str, Any]]:
    """Hits for the API and CLI: vola_amt in yuan (two decimals)."""
    rows = hits.select(HIT_COLUMNS).to_dicts()
    for row in rows:
        row["vola_amt"] = fen_to_json(int(row["vola_amt"]))
    return rows
