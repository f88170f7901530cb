"""Chinese labels for what the console shows a clerk: code tables, the funds, the engine's
internal names (pools, quote keys, request fields) and the English words the explanation still
carries. One table, read by every page that turns a key into words, so that a name is spelled
the same on the 结算单, the 缴费测算, the error messages and the 政策 page."""

from __future__ import annotations

import re
from typing import Any

from yibao.codes import FUND_NAMES, HOSP_LVS, MED_TYPES
from yibao.codes import INPATIENT_MED_TYPES as INPATIENT_MED_TYPES  # for the pages

FUNDS = FUND_NAMES  # fund_pay_type → the platform's name (data/codes.yaml)

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
_GLOSSED = re.compile(r"\b(med_type|hosp_lv)（[^）]*）")
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
    # "代码表 med_type（医疗类别）" (a clause naming the code table): the Chinese name once
    text = _GLOSSED.sub(lambda m: _EXPLANATION_WORDS[m.group(1)], text)
    return _WORD.sub(lambda m: _EXPLANATION_WORDS[m.group(1)], text)


def explanation(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The explanation rows as the console shows them: rule and value in Chinese words, the
    project's own assumed source named as such."""
    return [
        {
            **e,
            "rule": explanation_text(e.get("rule")),
            "value": explanation_text(e.get("value")),
            "clause": explanation_text(e.get("clause")),
            "source": source(e.get("source") or ""),
        }
        for e in entries
    ]


# ------------------------------------------------------------------ policy parameters
# The policy files' parameter paths (policy.params()) in Chinese. A pool's parameters are named
# by the pool and the parameter (benefits.pools.<pool>.<name>).
POOL_PARAMS = {
    "label": "名称",
    "deductible": "起付线",
    "deductible_basis": "起付线计算方式",
    "ratio": "支付比例",
    "annual_cap": "年度最高支付限额",
    "daily_cap": "日限额",
    "cap_group": "共用限额组",
}
PARAMS = {
    "financing.fiscal_subsidy_per_capita": "人均财政补助标准",
    "financing.fiscal_subsidy_increase": "人均财政补助新增",
    "financing.personal_contribution": "个人缴费标准（按档次）",
    "financing.personal_contribution_increase": "个人缴费新增",
    "financing.total_standard_min": "筹资总标准下限",
    "financing.next_year_personal_contribution_min": "下一年度个人缴费标准（预告）",
    "financing.shortfall_makeup_next_year": "差额次年补缴",
    "financing.previous_year_shortfall_standard": "上一年度差额补缴标准",
    "financing.previous_year_shortfall_per_person": "上一年度差额按人补缴",
    "financing.resident_permit_same_subsidy": "持居住证参保按当地居民标准补助",
    "financing.critical_illness_financing_per_capita": "大病保险人均筹资",
    "fiscal_sharing.central_share_by_group": "中央财政分担比例（按档次）",
    "fiscal_sharing.province_group": "本省所属档次",
    "fiscal_sharing.schemes": "财政补助分担方案",
    "fiscal_sharing.default_scheme": "默认分担方案",
    "fiscal_sharing.county_schemes": "县（区）分担方案",
    "fiscal_sharing.student_schemes": "在校学生分担方案",
    "assistance_subsidy.rules": "资助参保标准（按人员类别）",
    "assistance_subsidy.highest_applies": "多重身份按就高资助",
    "assistance_subsidy.no_double_subsidy": "不重复资助",
    "assistance_subsidy.no_top_up_after_change": "身份变化后不再差额资助",
    "assistance_subsidy.commercial_supplement": "商业补充保险（渝快保）补贴",
    "assistance_subsidy.commercial_supplement_fund": "商业补充保险补贴资金",
    "assistance_subsidy.other_groups": "其他按地方文件资助的群体",
    "enrollment.coverage_start": "待遇享受期开始（月-日）",
    "enrollment.coverage_end": "待遇享受期结束（月-日）",
    "enrollment.collection_start": "集中征缴期开始（月-日）",
    "enrollment.collection_end": "集中征缴期结束（月-日）",
    "enrollment.migrant_worker_deadline_month": "外出务工人员缴费延至（月）",
    "enrollment.continuation_grace_months": "接续参保不设等待期的期限（月）",
    "enrollment.continuation_waiting_months": "超期接续的等待期（月）",
    "enrollment.continuation_events": "可接续参保的情形",
    "enrollment.late_enrollment_waiting_months": "集中征缴期后参保的等待期（月）",
    "enrollment.newborn_grace_days": "新生儿参保期限（出生后天数）",
    "enrollment.transfer_in_benefit_start": "跨统筹区转入待遇起始",
    "enrollment.no_waiting_categories": "不设等待期的人员类别",
    "enrollment.concentrated_period_categories": "应在集中参保期内参保的人员类别",
    "benefits.hosp_level_map": "医院等级对应（代码 → 级别）",
    "benefits.med_type_pool": "医疗类别对应待遇（代码 → 待遇）",
    "benefits.inpatient_policy_ratio_target": "住院政策范围内基金支付比例目标",
    "benefits.county_inpatient_ratio_target": "县域内住院支付比例目标（按级别）",
    "benefits.chronic_outpatient_ratio_target": "门诊慢特病支付比例目标",
    "benefits.outpatient_cap_target": "普通门诊限额目标",
    "benefits.exclusive_pools": "不得重复享受的待遇",
    "benefits.student_local_places": "学生按本地标准结算的就医地",
    "benefits.offsite_ratio_reduction": "异地就医支付比例下调（按备案类型）",
    "critical_illness.deductible": "大病保险起付线",
    "critical_illness.segments": "大病保险分段支付比例",
    "critical_illness.annual_cap": "大病保险年度最高支付限额",
    "critical_illness.special_groups": "大病保险倾斜人群",
    "critical_illness.special_deductible_factor": "倾斜人群起付线系数",
    "critical_illness.special_ratio_add": "倾斜人群支付比例提高",
    "critical_illness.special_no_cap": "倾斜人群不设封顶线",
    "critical_illness.included_pools": "纳入大病保险的待遇",
    "critical_illness.policy_ratio_target": "大病保险政策范围内支付比例目标",
    "medical_assistance.ratio_by_category": "医疗救助比例（按人员类别）",
    "medical_assistance.deductible_by_category": "医疗救助起付标准（按人员类别）",
    "medical_assistance.annual_limit": "医疗救助年度限额",
    "medical_assistance.included_pools": "纳入医疗救助的待遇",
    "medical_assistance.application_lookback_months": "依申请救助回溯期（月）",
    "medical_assistance.application_ratio": "依申请救助比例",
    "medical_assistance.application_deductible": "依申请救助起付标准",
    "monitoring.standard": "防止返贫监测标准",
    "monitoring.warning_multiple": "预警倍数（监测标准的倍数）",
    "monitoring.followup_months_after_risk_eliminated": "风险消除后延续帮扶（月）",
    "monitoring.general_resident_threshold": "一般居民高额费用预警线",
    "monitoring.watched_categories": "按监测标准倍数预警的人群",
    "monitoring.warning_scope": "预警对象范围",
    "monitoring.followup_categories": "风险消除后延续帮扶的人群",
    "targets.enrollment_rate": "参保率目标",
    "targets.low_income_enrollment_rate": "低收入人口和脱贫人口参保率目标",
    "targets.eight_categories_enrollment_rate": "八类人员参保率目标",
    "targets.drg_institution_coverage": "DRG/DIP 机构覆盖目标",
    "targets.drg_disease_coverage": "DRG/DIP 病种覆盖目标",
    "targets.drg_fund_share": "DRG/DIP 基金占比目标",
    "targets.smart_monitoring_coverage": "智能监控覆盖目标",
    "targets.e_prescription_min_institutions": "电子处方流转定点医疗机构数",
    "targets.e_prescription_min_pharmacies": "电子处方流转定点药店数",
    "targets.cross_province_settlement_counties": "门诊慢特病跨省直接结算县域可及",
    "targets.about_tolerance": "“左右”的允许偏差",
    "fund_risk.balance_months_min": "累计结存可支付月数下限",
    "fund_risk.balance_months_max": "累计结存可支付月数上限",
    "fund_risk.current_year_deficit_warning": "当期收不抵支即预警",
}
# The quote's citation items that are not parameter paths (engine/contribution.py).
QUOTE_ITEMS = {
    "personal_contribution": "个人缴费标准",
    "fiscal_subsidy_per_capita": "人均财政补助标准",
    "highest_applies": "多重身份按就高资助",
    "no_double_subsidy": "不重复资助",
    "total_standard_min": "筹资总标准下限",
    "resident_permit_same_subsidy": "持居住证参保按当地居民标准补助",
    "assistance_subsidy": "资助参保",
}
# Words inside parameter values (enumerations the files use).
VALUE_WORDS = {
    "per_claim": "按次",
    "per_year": "按年",
    "next_day": "缴费次日",
    "watched_categories": "按类别分别预警",
    "all_residents": "全体居民",
    "central": "中央",
    "provincial": "省级",
    "municipal": "市级",
    "county": "县级",
    **POOLS,
}


def param(path: str) -> str:
    """A policy parameter's Chinese name: ``benefits.pools.inpatient.ratio`` → 住院·支付比例."""
    if path in PARAMS:
        return PARAMS[path]
    parts = path.split(".")
    if len(parts) == 4 and parts[:2] == ["benefits", "pools"]:
        return f"{POOLS.get(parts[2], parts[2])}·{POOL_PARAMS.get(parts[3], parts[3])}"
    # a leaf below a parameter (a diff's changed leaf): the parameter, then its keys
    for cut in range(len(parts) - 1, 0, -1):
        head = ".".join(parts[:cut])
        if head in PARAMS or (len(parts[:cut]) == 4 and parts[1] == "pools"):
            rest = "·".join(value_word(p) for p in parts[cut:])
            return f"{param(head)}·{rest}"
    return path


def quote_item(item: str) -> str:
    """A 缴费测算 citation item in Chinese (``assistance_subsidy.低保对象`` → 资助参保·低保对象,
    ``fiscal_sharing.default_scheme`` → 默认分担方案)."""
    if item in QUOTE_ITEMS:
        return QUOTE_ITEMS[item]
    if item in PARAMS:
        return PARAMS[item]
    head, _, rest = item.partition(".")
    if head in QUOTE_ITEMS:
        return f"{QUOTE_ITEMS[head]}·{rest}"
    for section in ("financing", "fiscal_sharing", "assistance_subsidy", "enrollment"):
        if f"{section}.{item}" in PARAMS:
            return PARAMS[f"{section}.{item}"]
    return param(item)


def value_word(word: str) -> str:
    return VALUE_WORDS.get(word, word)


def quote_for_console(quote: dict[str, Any]) -> dict[str, Any]:
    """The quote as the console shows it: its citation items named in Chinese."""
    sources = [
        {**c, "item": quote_item(str(c.get("item", "")))} for c in quote.get("sources") or []
    ]
    return {**quote, "sources": sources}
