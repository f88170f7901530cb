"""异地就医备案 (issue 17): the register of who may be treated outside the 参保地 and how.

One row per 备案: the person, the kind (a key of the region's
``benefits.offsite_ratio_reduction`` other than 未备案: 异地长期居住人员, 常驻异地工作人员,
异地转诊人员, 异地急诊抢救人员, 其他临时外出就医人员), the 就医地 it covers (行政区划代码: a
county, a city or a province — a treatment place inside it is covered), the days it is valid and
who recorded or 撤销'd it. Same Base as ``store.models``; ``yibao.store`` imports this module so
its table is on the metadata (migration check, backup, restore).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from yibao.store.models import Base, utc_now


class OffsiteFiling(Base):
    __tablename__ = "offsite_filings"
    __table_args__ = (Index("ix_offsite_filings_psn_no_begin", "psn_no", "begin_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    psn_no: Mapped[str] = mapped_column(ForeignKey("persons.psn_no"))
    kind: Mapped[str] = mapped_column(String(20))
    mdtrtarea_admvs: Mapped[str] = mapped_column(String(6))  # 就医地: county, city or province
    begin_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)  # None: until 撤销
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)
    created_by: Mapped[str] = mapped_column(String(100), default="")
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
