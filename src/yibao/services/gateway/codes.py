"""Code tables the gateway checks (the national platform's, as in shared/DESIGN.md), and the
local extensions it accepts (docs/gateway.md)."""

from __future__ import annotations

from yibao.claims import HOSP_LVS, INSUTYPE_RESIDENT, MED_TYPES

INSUTYPES = {INSUTYPE_RESIDENT: "城乡居民基本医疗保险"}
OUTPATIENT_MED_TYPES = {k: v for k, v in MED_TYPES.items() if k in ("11", "13", "14", "51")}
OUTPATIENT_MED_TYPES.update({k: v for k, v in MED_TYPES.items() if k.startswith("99")})
INPATIENT_MED_TYPES = {k: v for k, v in MED_TYPES.items() if k in ("21", "52")}
HOSPITAL_LEVELS = HOSP_LVS
MDTRT_CERT_TYPES = {"01": "医保电子凭证", "02": "居民身份证", "03": "社会保障卡"}
CHRGITM_LVS = {"01": "甲类", "02": "乙类", "03": "丙类"}
# 异地就医备案 (local extension fields of 2201/2401; the platform keeps 备案 in its 2501 series).
# The names are the kinds of the policy's benefits.offsite_ratio_reduction (the engine's
# offsite_kind), with 未备案 for rcd_stas 0.
RCD_STAS = {"1": "已备案", "0": "未备案"}
RCD_TYPES = {
    "1": "异地长期居住人员",
    "2": "常驻异地工作人员",
    "3": "异地转诊人员",  # 转外就医
    "4": "异地急诊抢救人员",
    "5": "其他临时外出就医人员",
}
OFFSITE_UNFILED = "未备案"
PSN_SETLWAYS = {"01": "按项目结算", "02": "按定额结算"}
MID_SETL_FLAGS = {"0": "否", "1": "是（中途结算）"}
CLR_TYPES = {"11": "门诊", "21": "住院"}
CLR_WAY_ITEMS = "1"  # 按项目
FUND_PAY_TYPE_NAMES = {
    "390100": "城乡居民基本医疗保险基金",
    "390200": "城乡居民大病医疗保险基金",
    "610100": "医疗救助基金",
}
