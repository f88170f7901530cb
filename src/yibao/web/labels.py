"""Chinese labels for what the console shows a clerk: code tables, the funds, the engine's
internal names (pools, quote keys, request fields) and the English words the explanation still
carries. One table, read by every page that turns a key into words, so that a name is spelled
the same on the 结算单, the 缴费测算, the error messages and the 政策 page."""

from __future__ import annotations

import re
from typing import Any

from yibao.claims import HOSP_LVS, MED_TYPES

# Medical types that are a hospital stay (the form then shows 入院/出院 and 住院天数).
INPATIENT_MED_TYPES = frozenset({"21", "52"})

FUNDS = {"390100": "基本医疗保险统筹基金", "390200": "大病保险基金", "610100": "医疗救助基金"}

# The engine's benefit pools (policy benefits.pools keys).
POOLS = {
    "inpatient": "住院",
    "chronic_outpatient": "门诊慢特病",
    "outpatient_general": "普通门诊统筹",
    "two_diseases": "两病门诊用药",
    "maternity": "生育医疗费用",
    "separately_paid_drugs": "门诊单独支付药品",
}

# Request and document fields: form errors name the field by these words.
FIELDS = {
    "psn_no": "个人编号",
    "certno": "身份证号",
    "psn_name": "姓名",
    "insuplc_admdvs": "参保地",
    "hh_id": "家庭编号",
    "categories": "人员类别",
    "category": "人员类别",
    "category_begin": "类别起始日期",
    "begin_date": "起始日期",
    "end_date": "终止日期",
    "year": "参保年度",
    "tier": "缴费档次",
    "enrolled_on": "参保登记日期",
    "paid_on": "缴费日期",
    "payment_id": "票据号",
    "personal_paid": "个人缴费",
    "assistance_subsidy": "资助参保",
    "reason": "原因",
    "kind": "类型",
    "setl_id": "结算编号",
    "mdtrt_id": "就诊编号",
    "med_type": "医疗类别",
    "hosp_lv": "医院等级",
    "setl_time": "结算时间",
    "begndate": "入院（就诊）日期",
    "enddate": "出院日期",
    "medfee_sumamt": "医疗费总额",
    "fulamt_ownpay_amt": "全自费金额",
    "overlmt_selfpay": "超限价自付",
    "preselfpay_amt": "先行自付金额",
    "inscp_scp_amt": "政策范围内费用",
    "act_pay_dedc": "起付线",
    "hifp_pay": "基本医保统筹基金支付",
    "hifmi_pay": "大病保险支付",
    "maf_pay": "医疗救助支付",
    "oth_pay": "其他基金支付",
    "fund_pay_sumamt": "基金支付合计",
    "psn_part_amt": "个人负担",
    "psn_cash_pay": "个人现金支付",
    "fixmedins_code": "定点机构编码",
    "dise_codg": "诊断编码",
    "supplement_product": "渝快保产品",
    "resident_permit": "持居住证",
    "region": "统筹区",
    "file": "文件",
    "token": "令牌",
    "csrf": "表单校验",
    "role": "角色",
    "name": "姓名",
}

# The contribution quote (engine.contribution.Quote.to_json) and its nested keys.
QUOTE = {
    "region": "统筹区",
    "year": "年度",
    "tier": "缴费档次",
    "categories": "人员类别",
    "standard": "个人缴费标准",
    "personal_contribution": "个人缴费",
    "assistance_subsidy": "资助参保",
    "applied_category": "按此类别资助",
    "subsidy_fund": "资助资金",
    "fiscal_subsidy": "财政补助",
    "fiscal_shares": "财政补助分担",
    "central": "中央",
    "provincial": "省级",
    "municipal": "市级",
    "county": "县级",
    "supplement_product": "渝快保产品",
    "supplement_subsidy": "渝快保补贴",
    "supplement_fund": "渝快保补贴资金",
    "supplement_premium": "渝快保保费",
    "total": "合计",
    "explanation": "说明",
    "resident_permit": "持居住证",
}

# Words of the engine's explanation that are not Chinese (engine/explain.py writes codes and
# pool keys): replaced whole-word where the console shows an explanation.
_EXPLANATION_WORDS = {
    "med_type": "医疗类别",
    "hosp_lv": "医院等级",
    **POOLS,
}
_WORD = re.compile(
    r"\b(" + "|".join(sorted(map(re.escape, _EXPLANATION_WORDS), key=len, reverse=True)) + r")\b"
)
# The project's own source name for assumed values (policy files: ``source: yibao``).
OWN_SOURCE = "yibao"
OWN_SOURCE_LABEL = "本系统假定值"


def med_type(code: str) -> str:
    return f"{code} {MED_TYPES[code]}" if code in MED_TYPES else code


def hosp_lv(code: str) -> str:
    return f"{code} {HOSP_LVS[code]}" if code in HOSP_LVS else code


def field(name: str) -> str:
    """A request field's Chinese name (the name itself when there is none)."""
    return FIELDS.get(name, name)


def quote_key(name: str) -> str:
    """A quote key (or a dotted path of keys) in Chinese: ``assistance_subsidy.低保对象`` →
    ``资助参保·低保对象``."""
    return "·".join(QUOTE.get(part, POOLS.get(part, part)) for part in str(name).split("."))


def source(name: str) -> str:
    return OWN_SOURCE_LABEL if name == OWN_SOURCE else name


def explanation_text(text: Any) -> str:
    """An explanation's rule or value with its English words in Chinese."""
    if not isinstance(text, str):
        return "" if text is None else str(text)
    return _WORD.sub(lambda m: _EXPLANATION_WORDS[m.group(1)], text)


def explanation(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The explanation rows as the console shows them: rule and value in Chinese words, the
    project's own assumed source named as such."""
    return [
        {
            **e,
            "rule": explanation_text(e.get("rule")),
            "value": explanation_text(e.get("value")),
            "source": source(e.get("source") or ""),
        }
        for e in entries
    ]
