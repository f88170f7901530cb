"""The per-line split of uploaded fee detail (2204 / 2301): one function, ``split_line``.

Until the 医保目录 and the engine's per-line split (issue 17 part 1) are committed, the split
is the one the REST API already takes, stated by the hospital: a line may carry the local
extension fields ``chrgitm_lv``, ``fulamt_ownpay_amt``, ``overlmt_amt`` and ``preselfpay_amt``
(yuan); a line without them is 甲类 and wholly within the policy scope. The claim's amounts at
settlement are the sums of its lines, so a settlement through the gateway pays what the REST
path pays for the same amounts, to the fen.

When the catalogue lands, ``split_line`` calls it instead (and refuses an item code that is not
in the catalogue on the day), and the extension fields are ignored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from yibao.money import BP_PER_UNIT, divide_half_up
from yibao.services.gateway.codes import CHRGITM_LVS
from yibao.services.gateway.envelope import Fields

SOURCE_STATED = "hospital_stated"  # the hospital's split (REST-API semantics)


@dataclass(frozen=True)
class LineSplit:
    """A line's split (fen): the four parts add up to the line's total."""

    det_item_fee_sumamt: int
    fulamt_ownpay_amt: int
    overlmt_amt: int
    preselfpay_amt: int
    inscp_scp_amt: int
    chrgitm_lv: str
    selfpay_prop_bp: int  # the share of the line paid by the person before the fund (乙类)
    source: str


def split_line(
    line: Fields,
    amount: int,
    *,
    med_list_codg: str,
    day: dt.date,
    mdtrtarea_admvs: str,
    hosp_lv: str,
) -> LineSplit:
    """The split of one line of ``amount`` fen. 就医地目录: the catalogue of ``mdtrtarea_admvs``
    on ``day`` (once it exists); ``hosp_lv`` for price ceilings by hospital level."""
    return _stated_split(line, amount)


def _stated_split(line: Fields, amount: int) -> LineSplit:
    fulamt = line.yuan("fulamt_ownpay_amt", required=False)
    overlmt = line.yuan("overlmt_amt", required=False)
    preself = line.yuan("preselfpay_amt", required=False)
    stated_lv = line.text("chrgitm_lv", 3, required=False)
    if stated_lv and stated_lv not in CHRGITM_LVS:
        raise line.fail(
            "chrgitm_lv", f"取值 {stated_lv!r} 不在代码表中（01 甲类、02 乙类、03 丙类）"
        )
    if fulamt + overlmt + preself > amount:
        raise line.fail("fulamt_ownpay_amt", "、超限价金额与先行自付金额之和大于明细项目费用总额")
    lv = stated_lv or ("03" if amount and fulamt == amount else "02" if preself else "01")
    if lv == "03" and fulamt != amount:
        raise line.fail("chrgitm_lv", "为丙类（03）时全自费金额须等于明细项目费用总额")
    prop = (
        BP_PER_UNIT
        if lv == "03"
        else divide_half_up(preself * BP_PER_UNIT, amount - fulamt - overlmt)
        if lv == "02" and amount - fulamt - overlmt > 0
        else 0
    )
    return LineSplit(
        det_item_fee_sumamt=amount,
        fulamt_ownpay_amt=fulamt,
        overlmt_amt=overlmt,
        preselfpay_amt=preself,
        inscp_scp_amt=amount - fulamt - overlmt - preself,
        chrgitm_lv=lv,
        selfpay_prop_bp=prop,
        source=SOURCE_STATED,
    )
