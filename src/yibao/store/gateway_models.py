"""The gateway's tables (issue 17): the platform-shaped messages and what they register.

- ``gateway_messages``: every message answered with success (infcode 0), by ``msgid``, with
  its content digest and the reply as sent: a retry of the msgid gets the stored reply.
- ``gateway_encounters``: 就诊 (门诊挂号 2201 / 入院办理 2401), with 就医地, 参保地 and the
  异地就医 备案 status the message carried, the hospital's level and the deductible level.
- ``gateway_fee_lines``: 费用明细 (2204 / 2301), each line with its split (fen).
- ``gateway_settlements``: each 结算 (2207 / 2304) and each 撤销 (2208 / 2305) as its own
  record; a reversal ``refers_to`` the settlement it undoes and carries negated amounts, so
  the 对账 totals of a day are plain sums. The amounts of a settlement are the ledger's
  (``settlements`` table, same setl_id): the gateway copies what 对账 needs.

Money is integer fen; ratios are basis points.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from yibao.store.models import Base, utc_now

Fen = BigInteger


class GatewayMessage(Base):
    __tablename__ = "gateway_messages"
    __table_args__ = (Index("ix_gateway_messages_fixmedins_code_infno", "fixmedins_code", "infno"),)

    msgid: Mapped[str] = mapped_column(String(30), primary_key=True)
    infno: Mapped[str] = mapped_column(String(8))
    fixmedins_code: Mapped[str] = mapped_column(String(20))
    digest: Mapped[str] = mapped_column(String(64))  # sha256 of the envelope as sent
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    reply: Mapped[dict[str, Any]] = mapped_column(JSON)
    opter: Mapped[str] = mapped_column(String(30), default="")
    actor: Mapped[str] = mapped_column(String(100), default="")  # the API user
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)


class GatewayEncounter(Base):
    """就诊: one outpatient registration or one inpatient stay."""

    __tablename__ = "gateway_encounters"

    mdtrt_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    psn_no: Mapped[str] = mapped_column(ForeignKey("persons.psn_no"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # 门诊 | 住院
    insutype: Mapped[str] = mapped_column(String(6), default="390")
    med_type: Mapped[str] = mapped_column(String(6))
    fixmedins_code: Mapped[str] = mapped_column(String(20), index=True)
    fixmedins_name: Mapped[str] = mapped_column(String(200), default="")
    hosp_lv: Mapped[str] = mapped_column(String(2))
    dedc_hosp_lv: Mapped[str] = mapped_column(String(2))  # 起付线医院等级 (异地: may differ)
    mdtrtarea_admvs: Mapped[str] = mapped_column(String(6))  # 就医地
    insuplc_admdvs: Mapped[str] = mapped_column(String(6))  # 参保地 (the register's)
    out_flag: Mapped[str] = mapped_column(String(1), default="0")  # 1: 异地就医
    rcd_stas: Mapped[str] = mapped_column(String(1), default="")  # 备案: 1 已备案 0 未备案
    rcd_type: Mapped[str] = mapped_column(String(6), default="")  # 备案类型 (docs/gateway.md)
    ipt_otp_no: Mapped[str] = mapped_column(String(40), default="")  # 住院/门诊号
    begntime: Mapped[dt.datetime] = mapped_column(DateTime)
    endtime: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    dise_codg: Mapped[str] = mapped_column(String(40), default="")
    dise_name: Mapped[str] = mapped_column(String(200), default="")
    # 病案首页 (2401/2402 diseinfo, 主诊断 first; 2402 dscg_way): the claim's DRG/DIP case
    diag_codes: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    dscg_way: Mapped[str | None] = mapped_column(String(2), nullable=True)
    # registered → (outpatient) settled; admitted → discharged → settled; cancelled
    status: Mapped[str] = mapped_column(String(12))
    settled_until: Mapped[dt.date | None] = mapped_column(Date, nullable=True)  # 中途结算
    msgid: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)


class GatewayFeeLine(Base):
    """费用明细 line (fen). ``status``: uploaded → settled (setl_id); cancelled (2205/2302)."""

    __tablename__ = "gateway_fee_lines"
    __table_args__ = (Index("ix_gateway_fee_lines_mdtrt_id_status", "mdtrt_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    mdtrt_id: Mapped[str] = mapped_column(ForeignKey("gateway_encounters.mdtrt_id"))
    feedetl_sn: Mapped[str] = mapped_column(String(30))
    chrg_bchno: Mapped[str] = mapped_column(String(30), default="")
    med_list_codg: Mapped[str] = mapped_column(String(50))
    medins_list_codg: Mapped[str] = mapped_column(String(150), default="")
    med_list_name: Mapped[str] = mapped_column(String(200), default="")
    fee_ocur_time: Mapped[dt.datetime] = mapped_column(DateTime)
    cnt: Mapped[str] = mapped_column(String(20))  # decimal text as sent (16,4)
    pric: Mapped[str] = mapped_column(String(20))  # yuan text as sent (16,6)
    det_item_fee_sumamt: Mapped[int] = mapped_column(Fen)
    fulamt_ownpay_amt: Mapped[int] = mapped_column(Fen, default=0)
    overlmt_amt: Mapped[int] = mapped_column(Fen, default=0)
    preselfpay_amt: Mapped[int] = mapped_column(Fen, default=0)
    inscp_scp_amt: Mapped[int] = mapped_column(Fen, default=0)
    chrgitm_lv: Mapped[str] = mapped_column(String(3), default="")
    selfpay_prop_bp: Mapped[int] = mapped_column(Integer, default=0)
    pric_uplmt_amt: Mapped[int | None] = mapped_column(Fen, nullable=True)  # 限价 applied
    med_chrgitm_type: Mapped[str] = mapped_column(String(6), default="")  # 医疗收费项目类别
    lmt_used_flag: Mapped[str] = mapped_column(String(1), default="0")  # 限制使用标志
    split_source: Mapped[str] = mapped_column(Text, default="")  # the catalogue row and rule
    status: Mapped[str] = mapped_column(String(12), default="uploaded")
    setl_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    msgid: Mapped[str] = mapped_column(String(30))
    cancel_msgid: Mapped[str | None] = mapped_column(String(30), nullable=True)


class GatewaySettlement(Base):
    """A settlement (2207 / 2304) or a reversal (2208 / 2305), each its own record."""

    __tablename__ = "gateway_settlements"
    __table_args__ = (
        Index("ix_gateway_settlements_fixmedins_code_setl_time", "fixmedins_code", "setl_time"),
    )

    setl_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # settle | reverse
    refers_to: Mapped[str | None] = mapped_column(String(64), nullable=True)  # reversal: original
    mdtrt_id: Mapped[str] = mapped_column(ForeignKey("gateway_encounters.mdtrt_id"), index=True)
    psn_no: Mapped[str] = mapped_column(String(40), index=True)
    fixmedins_code: Mapped[str] = mapped_column(String(20))
    insutype: Mapped[str] = mapped_column(String(6))
    clr_type: Mapped[str] = mapped_column(String(6))  # 清算类别: 11 门诊, 21 住院
    clr_way: Mapped[str] = mapped_column(String(6))  # 清算方式: 1 按项目
    clr_optins: Mapped[str] = mapped_column(String(6))  # 清算经办机构 (参保地 admdvs)
    mid_setl_flag: Mapped[str] = mapped_column(String(1), default="0")  # 1: 中途结算
    setl_time: Mapped[dt.datetime] = mapped_column(DateTime)
    medfee_sumamt: Mapped[int] = mapped_column(Fen)
    fund_pay_sumamt: Mapped[int] = mapped_column(Fen)
    acct_pay: Mapped[int] = mapped_column(Fen, default=0)
    psn_cash_pay: Mapped[int] = mapped_column(Fen)
    status: Mapped[str] = mapped_column(String(12), default="settled")  # settled | reversed
    reversed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)  # reversal setl_id
    msgid: Mapped[str] = mapped_column(String(30))
    reply: Mapped[dict[str, Any]] = mapped_column(JSON)  # the output as returned
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)
