"""yibao settle FILE|- [--json]: one claim in (ClaimIn JSON, yuan), the explained settlement out."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from yibao.claims import ClaimIn, YtdIn
from yibao.cli.output import fail, print_json, user_errors
from yibao.engine.settlement import Accumulators, Settlement, settle_claim
from yibao.money import format_yuan, yuan_to_fen
from yibao.policy import default_library

SETLINFO_LABELS = {
    "medfee_sumamt": "医疗费总额",
    "fulamt_ownpay_amt": "全自费金额",
    "overlmt_selfpay": "超限价自费",
    "preselfpay_amt": "先行自付金额",
    "inscp_scp_amt": "符合政策范围金额",
    "act_pay_dedc": "实际支付起付线",
    "hifp_pay": "基本医疗保险统筹基金支出",
    "pool_prop_selfpay": "基本医疗保险统筹基金支付比例外自付比例",
    "hifmi_pay": "居民大病保险资金支出",
    "maf_pay": "医疗救助基金支出",
    "oth_pay": "其他支出",
    "fund_pay_sumamt": "基金支付总额",
    "psn_part_amt": "个人负担总金额",
    "psn_cash_pay": "个人现金支出",
    "balc": "个人账户余额",
}


def describe_validation(exc: ValidationError) -> str:
    """pydantic's errors as "field: message" (the validators' own messages name the field)."""
    parts = []
    for err in exc.errors():
        msg = str(err["msg"]).removeprefix("Value error, ")
        loc = ".".join(str(p) for p in err["loc"])
        parts.append(msg if not loc or msg.startswith(f"{loc}:") else f"{loc}: {msg}")
    return "; ".join(parts)


def accumulators_from_ytd(ytd: YtdIn | None) -> Accumulators:
    if ytd is None:
        return Accumulators.empty()
    return Accumulators(
        pool_paid={k: yuan_to_fen(v, f"ytd.pool_paid.{k}") for k, v in ytd.pool_paid.items()},
        deductible_used={
            k: yuan_to_fen(v, f"ytd.deductible_used.{k}") for k, v in ytd.deductible_used.items()
        },
        critical_eligible=yuan_to_fen(ytd.critical_eligible, "ytd.critical_eligible"),
        critical_paid=yuan_to_fen(ytd.critical_paid, "ytd.critical_paid"),
        assistance_eligible=yuan_to_fen(ytd.assistance_eligible, "ytd.assistance_eligible"),
        assistance_paid=yuan_to_fen(ytd.assistance_paid, "ytd.assistance_paid"),
    )


def read_claim(source: str) -> ClaimIn:
    text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"claim: not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ValueError("claim: expected a JSON object")
    try:
        return ClaimIn.model_validate(data)
    except ValidationError as exc:
        raise ValueError(describe_validation(exc)) from None


def settle_document(claim: ClaimIn) -> tuple[Settlement, Accumulators]:
    """Settle one ClaimIn with its policy (region at settle time) and its ytd totals."""
    for name in ("pool_paid", "deductible_used"):
        if claim.ytd is not None:
            for key, value in getattr(claim.ytd, name).items():
                if yuan_to_fen(value, f"ytd.{name}.{key}") < 0:
                    raise ValueError(f"ytd.{name}.{key}: must not be negative")
    acc = accumulators_from_ytd(claim.ytd)
    for name in ("critical_eligible", "critical_paid", "assistance_eligible", "assistance_paid"):
        if getattr(acc, name) < 0:
            raise ValueError(f"ytd.{name}: must not be negative")
    policy = default_library().resolve(claim.insuplc_admdvs, claim.setl_time.year)
    return settle_claim(claim.to_row(), policy, acc)


def _print_readable(settlement: Settlement, after: Accumulators) -> None:
    doc = settlement.to_json()
    console = Console()
    info = doc["setlinfo"]
    title = (
        f"一站式结算 {info['setl_id']}  参保地 {doc['policy']['region']} {doc['policy']['year']}年"
        f"  医疗类别 {info['med_type']}"
    )
    table = Table(title=title)
    table.add_column("项目")
    table.add_column("字段")
    table.add_column("金额（元）", justify="right")
    for key, label in SETLINFO_LABELS.items():
        value = settlement.setlinfo[key]
        shown = f"{int(value) / 100:g}%" if key == "pool_prop_selfpay" else format_yuan(int(value))
        table.add_row(label, key, shown)
    console.print(table)

    detail = Table(title="基金分项（setldetail）")
    for col in (
        "基金",
        "fund_pay_type",
        "支付（元）",
        "计算基数（元）",
        "本次可支付限额（元）",
        "说明",
    ):
        detail.add_column(col, overflow="fold")
    for row in settlement.setldetail:
        limit = row["crt_payb_lmt_amt"]
        detail.add_row(
            row["fund_pay_type_name"],
            row["fund_pay_type"],
            format_yuan(row["fund_payamt"]),
            format_yuan(row["inscp_scp_amt"]),
            "不设封顶" if limit is None else format_yuan(limit),
            row["setl_proc_info"],
        )
    console.print(detail)

    steps = Table(title="计算过程与政策依据", show_lines=True)
    for col in ("步骤", "规则", "政策值", "依据", "金额（元）"):
        steps.add_column(col, overflow="fold")
    for e in settlement.explanation:
        amount = "" if e["amount"] is None else format_yuan(e["amount"])
        steps.add_row(e["step"], e["rule"], e["value"], e["cite"], amount)
    console.print(steps)
    console.print(f"files: {', '.join(doc['policy']['files'])}")
    console.print(f"结算后本年累计: {json.dumps(after.to_json(), ensure_ascii=False)}")


def settle(
    source: str = typer.Argument(..., help="claim JSON file, or - for stdin"),
    json_out: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """一站式结算测算：基本医保 → 大病保险 → 医疗救助 → 个人负担，逐步列出政策依据。

    测算工具（无状态）：参保地、档次、身份类别、待遇享受期和年度累计（ytd）都以输入为准，
    不读取参保登记，不入账。真实结算（API、控制台、批量导入）以参保登记为准：
    未参保不予结算，参保地、档次、身份与登记不符的结算被拒绝。"""
    with user_errors():
        try:
            claim = read_claim(source)
        except OSError as exc:
            fail(f"FILE: cannot read {source}: {exc.strerror}")
        settlement, after = settle_document(claim)
    if json_out:
        doc: dict[str, Any] = settlement.to_json()
        print_json(
            {
                "setlinfo": doc["setlinfo"],
                "setldetail": doc["setldetail"],
                "explanation": doc["explanation"],
                "accumulators_after": after.to_json(),
                "policy": doc["policy"],
            }
        )
        return
    _print_readable(settlement, after)


def register(app: typer.Typer) -> None:
    app.command("settle")(settle)
