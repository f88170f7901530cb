"""The fund history (issue 16): one row per 统筹区 and year of the 居民医保基金.

- ``fund_years``: 上年结存 (opening balance), 收入, 支出 and 累计结存 (closing balance) of a
  region-year, where each came from (``source``: 决算 a bureau entered from last year's final
  accounts, ``demo`` the demo's seed from the statistics bulletin, ``computed`` the year's
  statement from the stored settlements), who recorded it and when. Any figure may be absent
  (a bureau may enter only the opening balance of the current year). The 基金 page opens a year
  with its stored opening balance, or else the previous year's stored closing balance.

Money is integer fen.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from yibao.store.models import Base, utc_now

Fen = BigInteger


class FundYear(Base):
    __tablename__ = "fund_years"

    region: Mapped[str] = mapped_column(String(6), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    opening_balance: Mapped[int | None] = mapped_column(Fen, nullable=True)  # 上年累计结存
    revenue: Mapped[int | None] = mapped_column(Fen, nullable=True)  # 基金收入
    expenditure: Mapped[int | None] = mapped_column(Fen, nullable=True)  # 基金支出
    closing_balance: Mapped[int | None] = mapped_column(Fen, nullable=True)  # 累计结存
    source: Mapped[str] = mapped_column(String(12))  # final | demo | computed
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(100), default="")
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utc_now)
