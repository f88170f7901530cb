"""Claims for the settlement tests, written in yuan like the notices and converted to fen."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from yibao.engine.settlement import Accumulators, Settlement, settle_claim
from yibao.money import yuan_to_fen
from yibao.policy import default_library


def fen(yuan: float | int | str) -> int:
    return yuan_to_fen(str(yuan))


def claim(
    region: str = "500243",
    *,
    total: str | int = 0,
    ful: str | int = 0,
    over: str | int = 0,
    pre: str | int = 0,
    med_type: str = "21",
    hosp_lv: str = "05",
    tier: int = 1,
    categories: str = "",
    when: dt.datetime = dt.datetime(2023, 6, 1, 10),
    begin: dt.date | None = None,
    end: dt.date | None = None,
    setl_id: str = "c1",
    psn_no: str = "P1",
    **extra: Any,
) -> dict[str, Any]:
    """A CLAIM_SCHEMA row (fen) from yuan amounts."""
    begin = begin or when.date()
    return {
        "setl_id": setl_id,
        "psn_no": psn_no,
        "certno": "",
        "insuplc_admdvs": region,
        "tier": tier,
        "categories": categories,
        "med_type": med_type,
        "hosp_lv": hosp_lv,
        "setl_time": when,
        "begndate": begin,
        "enddate": end or begin,
        "medfee_sumamt": fen(total),
        "fulamt_ownpay_amt": fen(ful),
        "overlmt_selfpay": fen(over),
        "preselfpay_amt": fen(pre),
        **extra,
    }


def settle(row: dict[str, Any], acc: Accumulators | None = None) -> tuple[Settlement, Accumulators]:
    year = row["setl_time"].year
    policy = default_library().resolve(row["insuplc_admdvs"], year)
    return settle_claim(row, policy, acc or Accumulators.empty())


@pytest.fixture(scope="session")
def library():
    return default_library()
