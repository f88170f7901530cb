"""The review workflows' tables (issue 16): 防止因病返贫预警 and 智能监管疑点 as stored records
with their status, and every step taken on them (who, when — UTC, shown 北京时间 —, a note).

Same Base as ``store.models``; ``yibao.store`` imports this module so that its tables are on
the metadata wherever the store is used (migrations check, backup, restore).

Money is integer fen. A record keeps what the engine returned when it was last scanned; the
scan updates the amounts of records still open and never touches a closed one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yibao.store.models import Base, Fen, utc_now

# 预警: 待核实 → 已核实 → 已推送 (民政 / 乡村振兴) → 已处置; 排除 (with a reason) before 推送.
WARNING_STATUSES = ("待核实", "已核实", "已推送", "已处置", "已排除")
WARNING_OPEN = ("待核实", "已核实", "已推送")
# 监管疑点: 待核查 → 核查中 → 申诉中 (the institution's appeal) → 已认定 (违规 + 扣款, or 不违规);
# 认定 may also follow 核查中 directly when the institution does not appeal.
SUPERVISION_STATUSES = ("待核查", "核查中", "申诉中", "已认定")
SUPERVISION_OPEN = ("待核查", "核查中", "申诉中")


class WarningRecord(Base):
    """One 因病返贫致贫预警 of a person-year: what engine.warning.early_warnings returned."""

    __tablename__ = "warning_records"
    __table_args__ = (
        Index("ix_warning_records_scope_status", "region", "year", "status"),
        Index("ix_warning_records_scope_township", "region", "year", "township"),
        UniqueConstraint("psn_no", "year", "kind", name="uq_warning_records_psn_no_year_kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    region: Mapped[str] = mapped_column(String(12))  # the policy region (its own files)
    year: Mapped[int] = mapped_column(Integer)
    psn_no: Mapped[str] = mapped_column(ForeignKey("persons.psn_no"))
    kind: Mapped[str] = mapped_column(String(40))
    basis: Mapped[str] = mapped_column(String(20))  # 监测标准倍数 | 一般居民
    township: Mapped[str] = mapped_column(String(100))
    categories: Mapped[str] = mapped_column(String(400), default="")  # "|"-joined
    amount: Mapped[int] = mapped_column(Fen)  # yearly psn_part_amt (个人自付)
    threshold: Mapped[int] = mapped_column(Fen)
    medfee_sumamt: Mapped[int] = mapped_column(Fen, default=0)
    fund_pay_sumamt: Mapped[int] = mapped_column(Fen, default=0)
    claim_count: Mapped[int] = mapped_column(Integer, default=0)
    standard_multiple_bp: Mapped[int] = mapped_column(Integer, default=0)
    top_claims: Mapped[list[str]] = mapped_column(JSON, default=list)
    reaches_line: Mapped[int] = mapped_column(Integer, default=1)  # 0: below it at the last scan
    status: Mapped[str] = mapped_column(String(8), default="待核实")
    pushed_to: Mapped[str] = mapped_column(String(40), default="")  # 民政、乡村振兴
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)
    scanned_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)


class SupervisionRecord(Base):
    """One 智能监管疑点: a rule hit (engine.supervision, the platform's audit shape) on a claim."""

    __tablename__ = "supervision_records"
    __table_args__ = (
        Index("ix_supervision_records_scope_status", "region", "year", "status"),
        Index("ix_supervision_records_scope_rule", "region", "year", "rule_id"),
        Index("ix_supervision_records_scope_institution", "region", "year", "fixmedins_code"),
        Index("ix_supervision_records_scope_township", "region", "year", "township"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # sha256 of rule_id, setl_id and vola_evid: the same hit found again is the same record
    hit_key: Mapped[str] = mapped_column(String(64), unique=True)
    region: Mapped[str] = mapped_column(String(12))
    year: Mapped[int] = mapped_column(Integer)
    rule_id: Mapped[str] = mapped_column(String(20))
    rule_name: Mapped[str] = mapped_column(String(60))
    setl_id: Mapped[str] = mapped_column(String(64), index=True)
    psn_no: Mapped[str] = mapped_column(ForeignKey("persons.psn_no"))
    fixmedins_code: Mapped[str] = mapped_column(String(40), default="")
    township: Mapped[str] = mapped_column(String(100), default="")
    vola_cont: Mapped[str] = mapped_column(Text, default="")
    vola_amt: Mapped[int] = mapped_column(Fen, default=0)
    sev_deg: Mapped[str] = mapped_column(String(8), default="")
    vola_evid: Mapped[str] = mapped_column(Text, default="")
    vola_bhvr_type: Mapped[str] = mapped_column(String(40), default="")
    fund_pay_sumamt: Mapped[int] = mapped_column(Fen, default=0)  # the claim's, caps 扣款
    status: Mapped[str] = mapped_column(String(8), default="待核查")
    finding: Mapped[str] = mapped_column(String(8), default="")  # 违规 | 不违规 once 已认定
    deduction: Mapped[int | None] = mapped_column(Fen, nullable=True)  # 扣款 (fen), 违规 only
    appeal: Mapped[str] = mapped_column(Text, default="")  # the institution's 申诉
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)
    scanned_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)


class ReviewStep(Base):
    """One step on a record: 扫描发现 / 金额更新 / 核实 / 推送 / 处置 / 排除 / 开始核查 / 申诉 /
    认定, from one status to the next, by whom (the API or console user), when, with a note."""

    __tablename__ = "review_steps"
    __table_args__ = (Index("ix_review_steps_record", "record_type", "record_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_type: Mapped[str] = mapped_column(String(12))  # warning | supervision
    record_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(12))
    from_status: Mapped[str] = mapped_column(String(8), default="")
    to_status: Mapped[str] = mapped_column(String(8))
    actor: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(8))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)
    note: Mapped[str] = mapped_column(Text, default="")
    amount: Mapped[int | None] = mapped_column(Fen, nullable=True)  # 扣款, or the new amount
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
