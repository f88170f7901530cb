"""The per-line split of uploaded fee detail (2204 / 2301): one function, ``split_line``.

Each line is split by the engine (``engine.fee_split.split_line``) against the 医保目录 of the
就医地 (``mdtrtarea_admvs``: 就医地目录、参保地政策、就医地管理) on the line's day, with the
hospital level map of the 就医地's policy: 丙类 and unmet 限定支付 conditions are 全自费, a
price above the 限价 for the hospital's level is 超限价, 乙类 pays its 先行自付比例 first, and the
rest is in the policy scope. An item code not in the catalogue on that day is refused, naming
the line. The claim's amounts at settlement are the sums of the lines, so a settlement through
the gateway pays what the REST path pays for the same amounts, to the fen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from yibao.catalogue.loader import CatalogueFileError, load_catalogue
from yibao.catalogue.model import Catalogue
from yibao.engine import fee_split
from yibao.money import divide_half_up
from yibao.policy import PolicyError, PolicyLibrary
from yibao.services.gateway.envelope import Fields, GatewayError

SOURCE_CATALOGUE = "catalogue"


@dataclass(frozen=True)
class LineSplit:
    """A line's split (fen): the four parts add up to the line's total."""

    det_item_fee_sumamt: int
    fulamt_ownpay_amt: int
    overlmt_amt: int
    preselfpay_amt: int
    inscp_scp_amt: int
    chrgitm_lv: str
    selfpay_prop_bp: int  # 0 甲类, the 先行自付比例 for 乙类, 10000 全自费
    pric_uplmt_amt: int | None  # the ceiling applied (fen per unit)
    med_chrgitm_type: str
    lmt_used_flag: str
    med_list_name: str
    source: str  # which catalogue row and rule, in Chinese


@dataclass(frozen=True)
class VisitFacts:
    """What the split needs of the visit and the person."""

    hosp_lv: str
    med_type: str
    sex: str
    age: int
    mdtrtarea_admvs: str


def price_fen(pric: Decimal) -> int:
    """单价 (yuan, up to 6 decimals) in fen, half up (money.divide_half_up)."""
    return divide_half_up(int(pric * 1_000_000), 10_000)


def catalogue_for(region: str) -> Catalogue:
    try:
        return load_catalogue(region)
    except (CatalogueFileError, PolicyError, KeyError, ValueError) as exc:
        raise GatewayError(f"mdtrtarea_admvs: 就医地 {region} 的医保目录不可用（{exc}）") from exc


def level_map(library: PolicyLibrary, region: str, year: int) -> dict[str, str]:
    try:
        policy = library.resolve(region, year)
    except (PolicyError, ValueError) as exc:
        raise GatewayError(f"mdtrtarea_admvs: 就医地 {region} 无 {year} 年度政策（{exc}）") from exc
    return dict(policy.benefits.hosp_level_map.value)


def split_line(
    line: Fields,
    *,
    sn: str,
    code: str,
    day: dt.date,
    cnt: Decimal,
    pric: Decimal,
    amount: int,
    visit: VisitFacts,
    catalogue: Catalogue,
    levels: dict[str, str],
) -> LineSplit:
    """The split of one uploaded line; a line the split refuses is a GatewayError naming it."""
    fee_line = fee_split.FeeLine(
        feedetl_sn=sn,
        item_code=code,
        date=day,
        qty=cnt,
        price=price_fen(pric),
        det_item_fee_sumamt=amount,
    )
    facts = fee_split.Visit(
        hosp_lv=visit.hosp_lv,
        med_type=visit.med_type,
        sex=visit.sex,
        age=visit.age,
        mdtrtarea_admvs=catalogue.region,
    )
    try:
        split = fee_split.split_line(fee_line, facts, catalogue, levels)
    except fee_split.FeeSplitError as exc:
        field = {"item_code": "med_list_codg", "qty": "cnt", "price": "pric"}.get(
            exc.field, exc.field
        )
        raise GatewayError(f"{line.where(field)}: {exc}") from exc
    return LineSplit(
        det_item_fee_sumamt=split.det_item_fee_sumamt,
        fulamt_ownpay_amt=split.fulamt_ownpay_amt,
        overlmt_amt=split.overlmt_amt,
        preselfpay_amt=split.preselfpay_amt,
        inscp_scp_amt=split.inscp_scp_amt,
        chrgitm_lv=split.chrgitm_lv,
        selfpay_prop_bp=split.selfpay_prop,
        pric_uplmt_amt=split.pric_uplmt_amt,
        med_chrgitm_type=split.med_chrgitm_type,
        lmt_used_flag=split.lmt_used_flag,
        med_list_name=split.hilist_name,
        source=split.reason,
    )
