"""防止因病返贫预警 records (issue 16): what engine.warning.early_warnings returns for a region-
year, stored once per person-year, then followed 核实 → 推送 → 处置 (or 排除) in store.reviews.

A scan is idempotent: a person-year flagged for the first time becomes a 待核实 record; an
open record (待核实 / 已核实 / 已推送) gets the amounts of this scan, with a 金额更新 step when
they changed; a closed one (已处置 / 已排除) is left as it was decided. An open record whose
person no longer reaches the line (a settlement reversed) keeps its status, is marked below
the line and gets the year's out-of-pocket as the settlements now sum it.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yibao.money import format_yuan
from yibao.store.audit import Actor
from yibao.store.models import Settlement, utc_now
from yibao.store.review_models import WARNING_OPEN, WarningRecord
from yibao.store.reviews import SCANNER, add_step

KIND = "因病返贫致贫预警"


def _values(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "basis": row["basis"],
        "township": (row["township"] or "")[:100],  # the column's length (an address's head)
        "categories": (row["categories"] or "")[:400],
        "amount": int(row["psn_part_amt"]),
        "threshold": int(row["threshold"]),
        "medfee_sumamt": int(row["medfee_sumamt"]),
        "fund_pay_sumamt": int(row["fund_pay_sumamt"]),
        "claim_count": int(row["claim_count"]),
        "standard_multiple_bp": int(row["standard_multiple_bp"]),
        "top_claims": [str(s) for s in row["top_claims"]],
        "reaches_line": 1,
    }


def store_warnings(
    session: Session, region: str, year: int, flagged: pl.DataFrame, actor: Actor
) -> dict[str, int]:
    """Store the engine's flagged persons of a region-year (see the module's rules). Returns
    how many records were added, updated and marked below the line."""
    now = utc_now()
    stored = {
        r.psn_no: r
        for r in session.scalars(
            select(WarningRecord).where(
                WarningRecord.region == region,
                WarningRecord.year == year,
                WarningRecord.kind == KIND,
            )
        )
    }
    added: list[WarningRecord] = []
    updated = below = 0
    seen = set()
    for row in flagged.iter_rows(named=True):
        psn_no = row["psn_no"]
        seen.add(psn_no)
        values = _values(row)
        record = stored.get(psn_no)
        if record is None:
            record = WarningRecord(
                region=region, year=year, psn_no=psn_no, kind=KIND, status="待核实",
                created_at=now, updated_at=now, scanned_at=now, pushed_to="", **values,
            )  # fmt: skip
            added.append(record)
            continue
        record.scanned_at = now
        if record.status not in WARNING_OPEN:
            continue
        if _changed(record, values):
            _update(session, record, values, actor, now)
            updated += 1
    falling = [r for p, r in stored.items() if p not in seen and r.status in WARNING_OPEN]
    if falling:
        sums = _out_of_pocket(session, year, [r.psn_no for r in falling])
        for record in falling:
            record.scanned_at = now
            paid, count = sums.get(record.psn_no, (0, 0))
            if record.reaches_line or record.amount != paid:
                values = {"amount": paid, "claim_count": count, "reaches_line": 0}
                _update(session, record, values, actor, now, "未达预警线（结算撤销等）")
                below += 1
    session.add_all(added)
    session.flush()
    for record in added:
        add_step(
            session, "warning", record.id, SCANNER, "", record.status, actor,
            f"个人自付 {format_yuan(record.amount)} 元，达到预警线 {format_yuan(record.threshold)} 元"
            f"（{record.basis}）",
            record.amount, at=now,
        )  # fmt: skip
    return {"added": len(added), "updated": updated, "below_line": below}


def _changed(record: WarningRecord, values: dict[str, Any]) -> bool:
    return any(getattr(record, k) != v for k, v in values.items())


def _update(
    session: Session,
    record: WarningRecord,
    values: dict[str, Any],
    actor: Actor,
    now: Any,
    why: str = "",
) -> None:
    before = {k: getattr(record, k) for k in values}
    for key, value in values.items():
        setattr(record, key, value)
    record.updated_at = now
    note = f"重新扫描：个人自付 {format_yuan(before['amount'])} → {format_yuan(record.amount)} 元"
    add_step(
        session, "warning", record.id, "金额更新", record.status, record.status, actor,
        f"{note}；{why}" if why else note, record.amount,
        {"before": before, "after": values}, at=now,
    )  # fmt: skip


def _out_of_pocket(session: Session, year: int, psn_nos: list[str]) -> dict[str, tuple[int, int]]:
    """The year's 个人自付 and settlement count of these persons, settled settlements only."""
    out: dict[str, tuple[int, int]] = {}
    for start in range(0, len(psn_nos), 500):
        chunk = psn_nos[start : start + 500]
        for psn_no, paid, count in session.execute(
            select(Settlement.psn_no, func.sum(Settlement.psn_part_amt), func.count())
            .where(
                Settlement.psn_no.in_(chunk),
                Settlement.year == year,
                Settlement.status == "settled",
            )
            .group_by(Settlement.psn_no)
        ):
            out[psn_no] = (int(paid or 0), int(count))
    return out
