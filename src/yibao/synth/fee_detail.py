"""The fee-detail table (费用明细) of synthetic claims: the lines a hospital uploads.

For each inpatient and outpatient claim the lines add up exactly to the claim: 甲类 (01) lines to
what is neither 乙类 nor 丙类, 乙类 (02) lines to the 乙类 part (whose 先行自付 share is the claim's
preselfpay_amt) and 丙类 (03) lines to fulamt_ownpay_amt. Every line has amount = qty × price.
The supervision rules (智能监控) run on this table; it is large, so it is made only on request.
"""

from __future__ import annotations

import numpy as np
import polars as pl

# (item_code, item_name, item_type) by 收费项目等级; codes shaped like the national catalogue.
CATALOGUE: dict[str, tuple[tuple[str, str, str], ...]] = {
    "01": (
        ("XJ01CAA040", "阿莫西林胶囊", "药品"),
        ("XC09AAE056", "卡托普利片", "药品"),
        ("XA10BAA007", "二甲双胍片", "药品"),
        ("XB05BBA173", "氯化钠注射液", "药品"),
        ("001101000010000", "普通门诊诊察费", "诊察"),
        ("001102000010000", "床位费（普通病房）", "床位"),
        ("001201000010000", "一级护理", "护理"),
        ("002501000010000", "血常规", "检查"),
        ("002502000010000", "肝功能检测", "检查"),
        ("003111000010000", "静脉输液", "治疗"),
    ),
    "02": (
        ("XJ01DDA045", "头孢曲松钠注射剂", "药品"),
        ("XN02BEA013", "对乙酰氨基酚缓释片", "药品"),
        ("XC10AAA030", "阿托伐他汀钙片", "药品"),
        ("002703000010000", "CT平扫", "检查"),
        ("002704000010000", "彩色多普勒超声", "检查"),
        ("003312000010000", "腹腔镜胆囊切除术", "治疗"),
        ("C0313000000", "一次性使用输液器", "材料"),
    ),
    "03": (
        ("XL01XCC999", "自费靶向药", "药品"),
        ("C1409000000", "进口人工晶体", "材料"),
        ("003999000010000", "特需病房床位", "床位"),
        ("002799000010000", "体检套餐（非医疗必需）", "检查"),
    ),
}
DETAIL_MED_TYPES = ("11", "13", "14", "21")


def _group_lines(
    rng: np.random.Generator,
    claim_rows: np.ndarray,
    totals: np.ndarray,
    lines: np.ndarray,
    level: str,
    stay_days: np.ndarray,
) -> dict[str, np.ndarray]:
    """Lines of one 收费项目等级 for each claim: they add up to ``totals`` exactly."""
    lines = np.where(totals > 0, np.maximum(lines, 1), 0)
    row = np.repeat(claim_rows, lines)
    n = len(row)
    if n == 0:
        return {}
    ends = np.cumsum(lines)[lines > 0] - 1  # last line of each claim's group
    starts = ends - lines[lines > 0] + 1
    total = np.repeat(totals, lines)
    w = rng.random(n) + 0.1
    wsum = np.repeat(np.add.reduceat(w, starts), lines[lines > 0])
    target = (total * (w / wsum)).astype(np.int64)
    catalogue = CATALOGUE[level]
    item = rng.integers(0, len(catalogue), size=n)
    kinds = np.array([c[2] for c in catalogue], dtype=object)[item]
    days = np.repeat(stay_days, lines)
    qty = np.where(kinds == "床位", np.maximum(days, 1), rng.integers(1, 6, size=n))
    price = target // qty
    amount = qty * price
    # The last line takes what is left, as one unit: the group adds up to the fen.
    others = np.add.reduceat(amount, starts) - amount[ends]
    rest = totals[lines > 0] - others
    qty[ends] = 1
    price[ends] = rest
    amount[ends] = rest
    return {
        "row": row,
        "item": item,
        "level": np.full(n, level, dtype=object),
        "kind": kinds,
        "qty": qty,
        "price": price,
        "amount": amount,
        "offset": (rng.random(n) * (days + 1)).astype(np.int64),
    }


def simulate_fee_detail(rng: np.random.Generator, claims: pl.DataFrame) -> pl.DataFrame:
    """费用明细 for the inpatient and outpatient claims (needs the generator's _yilei, _days)."""
    frame = claims.filter(pl.col("med_type").is_in(DETAIL_MED_TYPES))
    rows = np.arange(frame.height)
    total = frame["medfee_sumamt"].to_numpy()
    bing = frame["fulamt_ownpay_amt"].to_numpy()
    yi = frame["_yilei"].to_numpy()
    jia = total - yi - bing
    days = frame["_days"].to_numpy()
    inpatient = (frame["med_type"] == "21").to_numpy()
    n = frame.height
    parts = [
        _group_lines(rng, rows, jia, np.where(inpatient, 8 + rng.poisson(4, n), 1 + rng.poisson(1, n)), "01", days),
        _group_lines(rng, rows, yi, np.where(inpatient, 4 + rng.poisson(3, n), 1), "02", days),
        _group_lines(rng, rows, bing, np.where(inpatient, 1 + rng.poisson(1, n), 1), "03", days),
    ]  # fmt: skip
    parts = [p for p in parts if p]
    if not parts:
        return empty_fee_detail()
    data = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    codes = {lv: np.array([c[0] for c in cat], dtype=object) for lv, cat in CATALOGUE.items()}
    names = {lv: np.array([c[1] for c in cat], dtype=object) for lv, cat in CATALOGUE.items()}
    item_code = np.empty(len(data["row"]), dtype=object)
    item_name = np.empty(len(data["row"]), dtype=object)
    for lv in CATALOGUE:
        mask = data["level"] == lv
        item_code[mask] = codes[lv][data["item"][mask]]
        item_name[mask] = names[lv][data["item"][mask]]
    outpatient_drug = (data["kind"] == "药品") & ~inpatient[data["row"]]
    # 处方管理办法 第十九条: an outpatient prescription is at most 7 days; chronic-disease and
    # 两病 prescriptions are long prescriptions (长期处方管理规范: usually 4 weeks, up to 12).
    chronic = frame["med_type"].is_in(["14", "9901"]).to_numpy()[data["row"]]
    ordinary_days = rng.integers(1, 8, size=len(data["row"]))
    chronic_days = rng.choice(np.array([14, 28, 28, 30, 30]), size=len(data["row"]))
    supply = np.where(outpatient_drug, np.where(chronic, chronic_days, ordinary_days), 0)
    begin = frame["begndate"].to_numpy().astype("datetime64[D]")[data["row"]]
    detail = pl.DataFrame(
        {
            "setl_id": frame["setl_id"].gather(data["row"]),
            "item_code": pl.Series(item_code, dtype=pl.String),
            "item_name": pl.Series(item_name, dtype=pl.String),
            "item_type": pl.Series(data["kind"], dtype=pl.String),
            "chrgitm_lv": pl.Series(data["level"], dtype=pl.String),
            "date": begin + data["offset"].astype("timedelta64[D]"),
            "qty": data["qty"].astype(np.int64),
            "price": data["price"].astype(np.int64),
            "amount": data["amount"].astype(np.int64),
            "days_supply": pl.Series(supply).cast(pl.Int32).replace(0, None),
            "_row": data["row"],
        }
    )
    return (
        detail.sort("_row", "chrgitm_lv", "date", maintain_order=True)
        .with_columns(pl.int_range(1, pl.len() + 1).over("_row").cast(pl.Int32).alias("line_no"))
        .select(FEE_DETAIL_COLUMNS)
    )


FEE_DETAIL_COLUMNS = [
    "setl_id", "line_no", "item_code", "item_name", "item_type", "chrgitm_lv", "date", "qty",
    "price", "amount", "days_supply",
]  # fmt: skip


def empty_fee_detail() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "setl_id": pl.String, "line_no": pl.Int32, "item_code": pl.String,
            "item_name": pl.String, "item_type": pl.String, "chrgitm_lv": pl.String,
            "date": pl.Date, "qty": pl.Int64, "price": pl.Int64, "amount": pl.Int64,
            "days_supply": pl.Int32,
        }
    )  # fmt: skip
