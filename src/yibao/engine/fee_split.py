"""The split of fee-detail lines (费用明细) against the 就医地's 医保目录: what of each line is
全自费, 超限价, 乙类先行自付 and 符合政策范围, exactly in fen; and the claim totals.

Pure: the caller passes the catalogue of the treatment region (就医地目录, for 异地就医 too:
就医地目录、参保地政策、就医地管理) and the hospital-level map of the policy
(``policy.benefits.hosp_level_map.value``).

Per line, in this order (docs/catalogue.md):

1. the item must be in the catalogue on the line's date, and ``det_item_fee_sumamt`` must be
   ``qty × price`` to the fen (half up, yibao.money), none of them negative;
2. 丙类 (03), a 限定支付 condition the visit does not meet (限性别/限年龄/限医疗机构等级/限门诊
   或住院), or a 医院审批标志 that declines the line: the whole line is ``fulamt_ownpay_amt``;
3. a unit price above the item's 限价 for the hospital's level: ``overlmt_amt`` =
   amount − qty × ceiling (rounded once);
4. 乙类 (02): ``preselfpay_amt`` = (amount − overlmt_amt) × 先行自付比例, rounded once;
5. ``inscp_scp_amt`` is the rest, so the four parts add up to the line by construction.

The claim totals are the four parts summed over the lines, in the claim's field names
(``overlmt_selfpay`` is the claim's name for the lines' ``overlmt_amt``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from yibao.catalogue.model import Catalogue, CatalogueEntry
from yibao.money import BP_PER_UNIT, divide_half_up, format_yuan

# med_type codes of the platform that are 住院 (2x 住院, 52 生育住院); all others are 门诊.
INPATIENT_MED_TYPES = frozenset({"21", "22", "23", "24", "25", "52"})
FULL_SELFPAY_BP = BP_PER_UNIT


class FeeSplitError(ValueError):
    """A fee-detail line that cannot be split; the message (Chinese) names the line and field."""

    def __init__(self, line: str, field: str, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.field = field


@dataclass(frozen=True)
class FeeLine:
    """One fee-detail line as the hospital uploads it (2204/2301 feedetail). Money in fen."""

    feedetl_sn: str  # 费用明细流水号: the line's id within the visit
    item_code: str  # 医保目录编码 (med_list_codg / hilist_code)
    date: dt.date  # 费用发生日期 (fee_ocur_time's day)
    qty: Decimal | int  # 数量 (cnt); may have decimals
    price: int | Decimal  # 单价 (pric), fen; a Decimal for a price finer than the fen (pric
    # has up to 6 decimals of yuan: 0.0857 元 a tablet is Decimal("8.57") fen)
    det_item_fee_sumamt: int  # 明细项目费用总额, fen
    # 医院审批标志 (2204/2301 hosp_appr_flag): for an item with a 限定支付范围 "1" = approved
    # (paid), "0" or "2" = 自费; for an item without one "2" = 自费. None: not sent, the
    # catalogue's conditions alone decide (those it cannot judge count as approved).
    hosp_appr_flag: str | None = None


@dataclass(frozen=True)
class Visit:
    """What the split needs to know of the visit and the person."""

    hosp_lv: str  # 医院等级 code (01..14)
    med_type: str  # 医疗类别 (11 普通门诊, 21 普通住院, …)
    sex: str  # "1" 男 / "2" 女
    age: int  # whole years on the visit's first day
    mdtrtarea_admvs: str  # 就医地 region code: the catalogue must be this region's


@dataclass(frozen=True)
class LineSplit:
    """One line split (the 2204 output per line). Money in fen, selfpay_prop in bp."""

    feedetl_sn: str
    item_code: str
    hilist_name: str
    list_type: str
    med_chrgitm_type: str
    chrgitm_lv: str
    det_item_fee_sumamt: int
    fulamt_ownpay_amt: int
    overlmt_amt: int
    preselfpay_amt: int
    inscp_scp_amt: int
    pric_uplmt_amt: int | None  # the ceiling applied (fen per unit), None: no ceiling
    selfpay_prop: int  # bp: 0 甲类, the 先行自付比例 for 乙类, 10000 全自费
    lmt_used_flag: str  # "1": the item has a 限定支付范围
    reason: str  # which catalogue row and which rule, in Chinese


@dataclass(frozen=True)
class SplitTotals:
    """The claim's amounts from its lines, in the claim's field names (yibao.claims)."""

    medfee_sumamt: int
    fulamt_ownpay_amt: int
    overlmt_selfpay: int
    preselfpay_amt: int
    inscp_scp_amt: int

    def claim_amounts(self) -> dict[str, int]:
        """The amounts a claim takes (claims.AMOUNT_FIELDS), fen."""
        return {
            "medfee_sumamt": self.medfee_sumamt,
            "fulamt_ownpay_amt": self.fulamt_ownpay_amt,
            "overlmt_selfpay": self.overlmt_selfpay,
            "preselfpay_amt": self.preselfpay_amt,
        }


def _fraction(value: Decimal | int, field: str, where: str, line: str) -> tuple[int, int]:
    """A whole or Decimal quantity or price as an exact fraction; bad or negative is refused."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise FeeSplitError(line, field, f"{where} {field}：必须是数字，收到 {value!r}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise FeeSplitError(line, field, f"{where} {field}：不是有限数 {value}")
    num, den = (value, 1) if isinstance(value, int) else value.as_integer_ratio()
    if num < 0:
        raise FeeSplitError(line, field, f"{where} {field}：不能为负（{value}）")
    return num, den


def times_qty(qty: Decimal | int, fen: int | Decimal, *, where: str = "", line: str = "") -> int:
    """qty × a unit amount in fen, rounded half up to the fen (the one rounding rule)."""
    qn, qd = _fraction(qty, "qty", where, line)
    pn, pd = _fraction(fen, "price", where, line)
    return divide_half_up(qn * pn, qd * pd)


def _unit_yuan(price: int | Decimal) -> str:
    """A unit price in yuan for messages: two decimals, more where the price has them."""
    if isinstance(price, int) or price == price.to_integral_value():
        return format_yuan(int(price))
    return f"{(price / 100).normalize():f}"


def _where(line: FeeLine) -> str:
    return f"费用明细 {line.feedetl_sn}（项目 {line.item_code}）"


def _check(line: FeeLine, catalogue: Catalogue) -> CatalogueEntry:
    where, sn = _where(line), line.feedetl_sn
    if not line.item_code:
        raise FeeSplitError(sn, "item_code", f"{where} item_code：医保目录编码缺失")
    for name in ("price", "det_item_fee_sumamt"):
        value = getattr(line, name)
        if name == "price" and isinstance(value, Decimal) and value.is_finite():
            if value < 0:
                raise FeeSplitError(
                    sn, name, f"{where} price：金额不能为负（{_unit_yuan(value)}元）"
                )
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise FeeSplitError(sn, name, f"{where} {name}：金额必须是整数分，收到 {value!r}")
        if value < 0:
            raise FeeSplitError(sn, name, f"{where} {name}：金额不能为负（{format_yuan(value)}元）")
    expected = times_qty(line.qty, line.price, where=where, line=sn)
    if expected != line.det_item_fee_sumamt:
        raise FeeSplitError(
            sn,
            "det_item_fee_sumamt",
            f"{where} det_item_fee_sumamt：明细金额 {format_yuan(line.det_item_fee_sumamt)}元 "
            f"不等于数量 {line.qty} × 单价 {_unit_yuan(line.price)}元 = {format_yuan(expected)}元",
        )
    entry = catalogue.entry(line.item_code, line.date)
    if entry is None:
        versions = catalogue.versions(line.item_code)
        if versions:
            spans = "、".join(f"{v.begndate}至{v.enddate or '今'}" for v in versions)
            detail = f"该项目在就医地目录中的有效期为 {spans}"
        else:
            detail = "就医地目录中没有该编码"
        raise FeeSplitError(
            sn,
            "item_code",
            f"{where} item_code：{line.date} 不在就医地 {catalogue.region} 医保目录内（{detail}）",
        )
    return entry


APPROVAL_FLAGS = ("0", "1", "2")


def _declined(line: FeeLine, entry: CatalogueEntry) -> str | None:
    """The 医院审批标志 that makes the line 自费, in words; None when it does not."""
    flag = line.hosp_appr_flag
    if flag is None:
        return None
    if flag not in APPROVAL_FLAGS:
        raise FeeSplitError(
            line.feedetl_sn,
            "hosp_appr_flag",
            f"{_where(line)} hosp_appr_flag：医院审批标志应为 0、1 或 2，收到 {flag!r}",
        )
    if entry.lmt_used_flag == "1" and flag in ("0", "2"):
        return f"限定支付项目医院审批标志为{flag}（未审批通过）"
    if flag == "2":
        return "医院审批标志为2（按自费处理）"
    return None


def _unmet_restriction(entry: CatalogueEntry, visit: Visit, level: str) -> str | None:
    """The 限定支付 condition the visit does not meet, in words; None when all are met."""
    r = entry.restriction
    if r.sex and visit.sex != r.sex:
        return f"限{'男' if r.sex == '1' else '女'}性使用，参保人性别代码为{visit.sex}"
    if r.age_min is not None and visit.age < r.age_min:
        return f"限{r.age_min}岁及以上，参保人{visit.age}岁"
    if r.age_max is not None and visit.age > r.age_max:
        return f"限{r.age_max}岁及以下，参保人{visit.age}岁"
    if r.hosp_levels and level not in r.hosp_levels:
        allowed = "、".join(x for x in ("三级", "二级", "一级") if x in r.hosp_levels)
        return f"限{allowed}医疗机构，本次为{level}医疗机构"
    if r.med_scope:
        scope = "住院" if visit.med_type in INPATIENT_MED_TYPES else "门诊"
        if scope != r.med_scope:
            return f"限{r.med_scope}使用，本次为{scope}（med_type {visit.med_type}）"
    return None


def split_line(
    line: FeeLine, visit: Visit, catalogue: Catalogue, hosp_level_map: Mapping[str, str]
) -> LineSplit:
    """Split one line. Raises FeeSplitError (Chinese, naming the line and field)."""
    level = _level(visit, hosp_level_map)
    _check_region(visit, catalogue)
    return _split(line, visit, catalogue, level)


def _level(visit: Visit, hosp_level_map: Mapping[str, str]) -> str:
    if visit.hosp_lv not in hosp_level_map:
        raise FeeSplitError("", "hosp_lv", f"hosp_lv：医院等级代码 {visit.hosp_lv!r} 不在代码表中")
    return hosp_level_map[visit.hosp_lv]


def _check_region(visit: Visit, catalogue: Catalogue) -> None:
    if visit.mdtrtarea_admvs != catalogue.region:
        raise FeeSplitError(
            "",
            "mdtrtarea_admvs",
            f"mdtrtarea_admvs：就医地 {visit.mdtrtarea_admvs} 与所用目录的地区 "
            f"{catalogue.region} 不一致（费用明细按就医地目录拆分）",
        )


def _split(line: FeeLine, visit: Visit, catalogue: Catalogue, level: str) -> LineSplit:
    entry = _check(line, catalogue)
    amount = line.det_item_fee_sumamt
    row = f"目录 {entry.hilist_code} {entry.hilist_name}（{entry.cite.label}）"
    full = over = pre = 0
    prop = 0
    ceiling_fen: int | None = None
    unmet = _unmet_restriction(entry, visit, level)
    declined = _declined(line, entry)
    if entry.chrgitm_lv == "03":
        full, prop = amount, FULL_SELFPAY_BP
        reason = f"{row}：丙类，全额自费"
    elif unmet is not None:
        full, prop = amount, FULL_SELFPAY_BP
        reason = f"{row}：限定支付范围“{entry.restriction.text}”不符（{unmet}），全额自费"
    elif declined is not None:
        full, prop = amount, FULL_SELFPAY_BP
        reason = f"{row}：{declined}，全额自费"
    else:
        kind = "甲类" if entry.chrgitm_lv == "01" else "乙类"
        parts = [f"{row}：{kind}"]
        ceiling = catalogue.ceiling(entry.hilist_code, line.date, level)
        if ceiling is not None:
            ceiling_fen = ceiling.hilist_pric_uplmt_amt
            if line.price > ceiling_fen:
                over = amount - times_qty(line.qty, ceiling_fen, line=line.feedetl_sn)
                parts.append(
                    f"单价 {_unit_yuan(line.price)}元 超{level}限价 {format_yuan(ceiling_fen)}元"
                    f"（{ceiling.cite.label}），超限价 {format_yuan(over)}元"
                )
        if entry.restriction.text:
            approval = "医院已审批" if line.hosp_appr_flag == "1" else "其余以医院审批为准"
            parts.append(f"限定支付范围“{entry.restriction.text}”：可判断的条件均符合，{approval}")
        if entry.chrgitm_lv == "02":
            try:
                prop, cite = catalogue.selfpay(entry, line.date)
            except LookupError as exc:
                raise FeeSplitError(
                    line.feedetl_sn, "selfpay_prop", f"{_where(line)} {exc}"
                ) from exc
            pre = divide_half_up((amount - over) * prop, BP_PER_UNIT)
            parts.append(f"先行自付比例 {prop / 100:g}%（{cite.label}）")
        reason = "，".join(parts)
    return LineSplit(
        feedetl_sn=line.feedetl_sn,
        item_code=entry.hilist_code,
        hilist_name=entry.hilist_name,
        list_type=entry.list_type,
        med_chrgitm_type=entry.med_chrgitm_type,
        chrgitm_lv=entry.chrgitm_lv,
        det_item_fee_sumamt=amount,
        fulamt_ownpay_amt=full,
        overlmt_amt=over,
        preselfpay_amt=pre,
        inscp_scp_amt=amount - full - over - pre,
        pric_uplmt_amt=ceiling_fen,
        selfpay_prop=prop,
        lmt_used_flag=entry.lmt_used_flag,
        reason=reason,
    )


def split_lines(
    lines: Iterable[FeeLine],
    visit: Visit,
    catalogue: Catalogue,
    hosp_level_map: Mapping[str, str],
) -> list[LineSplit]:
    """Split every line of one visit; the first bad line raises (nothing is returned)."""
    level = _level(visit, hosp_level_map)
    _check_region(visit, catalogue)
    seen: set[str] = set()
    out = []
    for line in lines:
        if line.feedetl_sn in seen:
            raise FeeSplitError(
                line.feedetl_sn, "feedetl_sn", f"feedetl_sn：费用明细流水号 {line.feedetl_sn} 重复"
            )
        seen.add(line.feedetl_sn)
        out.append(_split(line, visit, catalogue, level))
    return out


def claim_totals(splits: Iterable[LineSplit]) -> SplitTotals:
    """The claim's amounts: the lines' parts summed (they add up to medfee_sumamt)."""
    rows = list(splits)
    return SplitTotals(
        medfee_sumamt=sum(s.det_item_fee_sumamt for s in rows),
        fulamt_ownpay_amt=sum(s.fulamt_ownpay_amt for s in rows),
        overlmt_selfpay=sum(s.overlmt_amt for s in rows),
        preselfpay_amt=sum(s.preselfpay_amt for s in rows),
        inscp_scp_amt=sum(s.inscp_scp_amt for s in rows),
    )


def check_claim_total(totals: SplitTotals, medfee_sumamt: int) -> None:
    """A claim whose medfee_sumamt is not the sum of its lines is refused (naming the field)."""
    if totals.medfee_sumamt != medfee_sumamt:
        raise FeeSplitError(
            "",
            "medfee_sumamt",
            f"medfee_sumamt：医疗费总额 {format_yuan(medfee_sumamt)}元 不等于费用明细合计 "
            f"{format_yuan(totals.medfee_sumamt)}元",
        )
