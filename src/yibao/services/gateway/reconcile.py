"""对账: 3201 对总账, 3202 明细对账.

The center's side is the gateway's settlement records of the institution with setl_time in
[stmt_begndate, stmt_enddate]. Sums and counts are net: a reversal is its own record with the
amounts negated and counts −1, so a settlement reversed the same day nets to nothing.

3201 compares the hospital's totals for one 险种 (insutype) and 清算类别 (clr_type) at one
结算经办机构 (setl_optins) and lists the center's totals of every 险种 × 清算类别 of the period.
3202 compares record by record: the platform takes the hospital's detail as an uploaded file;
here it travels inline as ``setl_list`` (docs/gateway.md). Mismatches: 1 中心有医院无,
2 医院有中心无, 3 金额不符.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from yibao.money import fen_to_json
from yibao.services.gateway import codes
from yibao.services.gateway.context import Context
from yibao.services.gateway.envelope import Fields
from yibao.store import gateway
from yibao.store.gateway_models import GatewaySettlement

FIELDS = ("medfee_sumamt", "fund_pay_sumamt", "acct_pay")


def _period(ctx: Context, data: Fields) -> list[GatewaySettlement]:
    begin = data.date("stmt_begndate")
    end = data.date("stmt_enddate")
    assert begin is not None and end is not None
    if end < begin:
        raise data.fail("stmt_enddate", "早于对账开始日期")
    if (end - begin).days > 366:
        raise data.fail("stmt_enddate", "：对账期间至多一年")
    return gateway.settlements_between(ctx.session, ctx.envelope.fixmedins_code, begin, end)


def _sums(records: list[GatewaySettlement]) -> dict[str, int]:
    return {
        "medfee_sumamt": sum(r.medfee_sumamt for r in records),
        "fund_pay_sumamt": sum(r.fund_pay_sumamt for r in records),
        "acct_pay": sum(r.acct_pay for r in records),
        "cash_payamt": sum(r.psn_cash_pay for r in records),
        "fixmedins_setl_cnt": sum(1 if r.kind == "settle" else -1 for r in records),
    }


def _yuan(sums: dict[str, int]) -> dict[str, Any]:
    return {k: v if k == "fixmedins_setl_cnt" else fen_to_json(v) for k, v in sums.items()}


def totals(ctx: Context) -> dict[str, Any]:
    """3201 → data {setl_optins, stmt_rslt (0 平 / 1 不平), stmt_rslt_dscr}, stmt_totals."""
    data = ctx.data()
    insutype = data.choice("insutype", codes.INSUTYPES)
    clr_type = data.choice("clr_type", codes.CLR_TYPES)
    optins = data.text("setl_optins", 6, pattern=r"\d{6}")
    records = _period(ctx, data)
    by_key: dict[tuple[str, str, str], list[GatewaySettlement]] = defaultdict(list)
    for r in records:
        by_key[(r.insutype, r.clr_type, r.clr_optins)].append(r)
    center = _sums(by_key.get((insutype, clr_type, optins), []))
    stated = {name: data.yuan(name, signed=True) for name in FIELDS}
    stated_cnt = data.text("fixmedins_setl_cnt", 10, pattern=r"-?\d+")
    differences = [
        f"{name} 医院 {fen_to_json(stated[name]):.2f} 中心 {fen_to_json(center[name]):.2f}"
        for name in FIELDS
        if stated[name] != center[name]
    ]
    if int(stated_cnt) != center["fixmedins_setl_cnt"]:
        differences.append(
            f"fixmedins_setl_cnt 医院 {stated_cnt} 中心 {center['fixmedins_setl_cnt']}"
        )
    return {
        "data": {
            "setl_optins": optins,
            "stmt_rslt": "0" if not differences else "1",
            "stmt_rslt_dscr": "对账一致" if not differences else "；".join(differences),
        },
        "stmt_totals": [
            {"insutype": k[0], "clr_type": k[1], "setl_optins": k[2], **_yuan(_sums(v))}
            for k, v in sorted(by_key.items())
        ],
    }


def detail(ctx: Context) -> dict[str, Any]:
    """3202 → data {stmt_rslt, stmt_rslt_dscr, counts}, mismatches [{setl_id, stmt_rslt, …}]."""
    data = ctx.data()
    optins = data.text("setl_optins", 6, pattern=r"\d{6}")
    clr_type = data.choice("clr_type", codes.CLR_TYPES) if data.data.get("clr_type") else ""
    records = [
        r
        for r in _period(ctx, data)
        if r.clr_optins == optins and (not clr_type or r.clr_type == clr_type)
    ]
    center = {r.setl_id: r for r in records}
    his: dict[str, dict[str, int]] = {}
    for row in data.rows("setl_list", max_rows=100_000):
        setl_id = row.text("setl_id", 64)
        if setl_id in his:
            raise row.fail("setl_id", f" {setl_id} 在结算明细中重复")
        his[setl_id] = {
            "medfee_sumamt": row.yuan("medfee_sumamt", signed=True),
            "fund_pay_sumamt": row.yuan("fund_pay_sumamt", signed=True),
            "acct_pay": row.yuan("acct_pay", required=False, signed=True),
        }
        row.text("mdtrt_id", 40, required=False)
        row.text("psn_no", 40, required=False)
    mismatches: list[dict[str, Any]] = []
    for setl_id, r in center.items():
        ours = {
            "medfee_sumamt": r.medfee_sumamt,
            "fund_pay_sumamt": r.fund_pay_sumamt,
            "acct_pay": r.acct_pay,
        }
        theirs = his.get(setl_id)
        if theirs is None:
            mismatches.append(_mismatch(r.setl_id, "1", "中心有医院无", ours, None, r))
        elif theirs != ours:
            names = "、".join(n for n in FIELDS if theirs[n] != ours[n])
            mismatches.append(_mismatch(setl_id, "3", f"金额不符：{names}", ours, theirs, r))
    for setl_id, theirs in his.items():
        if setl_id not in center:
            mismatches.append(_mismatch(setl_id, "2", "医院有中心无", None, theirs, None))
    sums = _sums(records)
    return {
        "data": {
            "setl_optins": optins,
            "stmt_rslt": "0" if not mismatches else "1",
            "stmt_rslt_dscr": "明细对账一致" if not mismatches else f"{len(mismatches)} 笔不一致",
            "center_cnt": len(center),
            "his_cnt": len(his),
            **_yuan(sums),
        },
        "mismatches": mismatches,
    }


def _mismatch(
    setl_id: str,
    result: str,
    memo: str,
    ours: dict[str, int] | None,
    theirs: dict[str, int] | None,
    record: GatewaySettlement | None,
) -> dict[str, Any]:
    return {
        "setl_id": setl_id,
        "mdtrt_id": record.mdtrt_id if record else None,
        "psn_no": record.psn_no if record else None,
        "stmt_rslt": result,
        "memo": memo,
        "center": None if ours is None else {k: fen_to_json(v) for k, v in ours.items()},
        "his": None if theirs is None else {k: fen_to_json(v) for k, v in theirs.items()},
    }
