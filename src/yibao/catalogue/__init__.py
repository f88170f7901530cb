"""The 医保目录 (medical-insurance catalogue) as dated, cited data per jurisdiction: drugs
(西药/中成药), 医疗服务项目 and 医用耗材 with their 甲/乙/丙 class (``chrgitm_lv``), the 乙类
先行自付比例, price ceilings (限价) and 限定支付 conditions. ``model`` holds the immutable,
resolved catalogue the engine reads; ``loader`` reads the files (docs/catalogue.md)."""

from yibao.catalogue.model import (
    Catalogue,
    CatalogueEntry,
    Cited,
    PriceCeiling,
    Restriction,
    SelfpayRule,
)

__all__ = [
    "Catalogue",
    "CatalogueEntry",
    "Cited",
    "PriceCeiling",
    "Restriction",
    "SelfpayRule",
]
