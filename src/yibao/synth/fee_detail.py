"""The fee-detail table (费用明细) of synthetic claims: the lines a hospital uploads, drawn from
the 就医地's 医保目录 (yibao.catalogue) and split by the engine (engine.fee_split_batch, held
equal to engine.fee_split line by line).

The claims are generated first and are not changed by asking for their lines (the claim
amounts that the synthetic year's tests and the fund statement rest on stay as they were); the
lines are built to add up to them exactly, and the engine's split of the lines is checked
against every claim:

* 丙类 (03) lines add up to ``fulamt_ownpay_amt``;
* 乙类 (02) lines add up to the claim's 乙类 part: every line but the last is a multiple of the
  amount at which the item's 先行自付比例 is exact (10 fen at 10 %), so the lines' rounded
  先行自付 add up to the claim's ``preselfpay_amt`` to the fen;
* 甲类 (01) lines add up to the rest; where the claim has ``overlmt_selfpay`` one line is a
  甲类 item with a price ceiling at the hospital's level, billed at ceiling + the over-limit
  amount, so its ``overlmt_amt`` is the claim's.

Items are drawn only where the split pays them as their class: no sex or age limits (the
generator does not pick patients for them), the hospital level and 门诊/住院 scope met, valid
the whole year, an item with a ceiling never above it (except the over-limit line). Every line
has amount = qty × price. The supervision rules (智能监控) run on this table; it is large, so
it is made only on request.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from math import gcd

import numpy as np
import polars as pl

from yibao.catalogue.loader import load_catalogue
from yibao.catalogue.model import Catalogue, CatalogueEntry
from yibao.engine.fee_split import INPATIENT_MED_TYPES
from yibao.engine.fee_split_batch import split_frame
from yibao.money import BP_PER_UNIT, apply_ratio
from yibao.policy.loader import load_policy

DETAIL_MED_TYPES = ("11", "13", "14", "21")
LONG = (14, 28, 28, 30, 30)  # days of a long prescription (长期处方管理规范)


class FeeDetailError(ValueError):
    """The catalogue cannot make lines that add up to a synthetic claim."""


@dataclass(frozen=True)
class _Pool:
    """Candidate items of one class for one (hospital level, 门诊/住院) combination."""

    codes: list[str]  # hilist_code
    ceilings: list[int]  # fen; -1: no ceiling at this level
    kinds: list[str]  # item_type
    free: list[int]  # indices into codes of items without a ceiling (the closing line)


def _usable(
    entry: CatalogueEntry, level: str, inpatient: bool, first: dt.date, last: dt.date
) -> bool:
    r = entry.restriction
    if r.sex or r.age_min is not None or r.age_max is not None:
        return False
    if r.hosp_levels and level not in r.hosp_levels:
        return False
    if r.med_scope and r.med_scope != ("住院" if inpatient else "门诊"):
        return False
    return entry.begndate <= first and (entry.enddate is None or entry.enddate >= last)


def _pools(
    catalogue: Catalogue, first: dt.date, last: dt.date
) -> dict[tuple[str, bool, str], _Pool]:
    """Pools by (level, inpatient, chrgitm_lv); 乙类 items keyed by their 先行自付比例 as well
    (chrgitm_lv "02:<bp>")."""
    rows: dict[tuple[str, bool, str], list[tuple[str, int, str]]] = {}
    for code in catalogue.codes():
        entry = catalogue.entry(code, first)
        if entry is None:
            continue
        for level in ("三级", "二级", "一级"):
            for inpatient in (False, True):
                if not _usable(entry, level, inpatient, first, last):
                    continue
                ceiling = catalogue.ceiling(code, first, level)
                lv = entry.chrgitm_lv
                if lv == "02":
                    lv = f"02:{catalogue.selfpay(entry, first)[0]}"
                rows.setdefault((level, inpatient, lv), []).append(
                    (
                        code,
                        -1 if ceiling is None else ceiling.hilist_pric_uplmt_amt,
                        entry.item_type,
                    )
                )
    out: dict[tuple[str, bool, str], _Pool] = {}
    for key, items in rows.items():
        out[key] = _Pool(
            codes=[i[0] for i in items],
            ceilings=[i[1] for i in items],
            kinds=[i[2] for i in items],
            free=[k for k, i in enumerate(items) if i[1] < 0],
        )
    return out


def _group_lines(
    rnd: random.Random,
    total: int,
    lines: int,
    pool: _Pool,
    days: int,
    unit: int,
) -> list[tuple[str, str, int, int]]:
    """Lines (code, kind, qty, price) of one class adding up to ``total`` exactly; every line but
    the last is a multiple of ``unit`` fen, and the last is an item without a ceiling."""
    if total <= 0:
        return []
    if not pool.free:
        raise FeeDetailError("目录中没有可作结尾行的无限价项目")
    n = max(lines, 1)
    w = [rnd.random() + 0.1 for _ in range(n)]
    wsum = sum(w)
    out = []
    used = 0
    for k in range(n - 1):
        i = int(rnd.random() * len(pool.codes))
        kind = pool.kinds[i]
        qty = max(days, 1) if kind == "床位" else 1 + int(rnd.random() * 5)
        price = int(total * w[k] / wsum) // qty // unit * unit
        ceiling = pool.ceilings[i]
        if ceiling >= 0:
            price = min(price, ceiling // unit * unit)
        out.append((pool.codes[i], kind, qty, price))
        used += qty * price
    last = pool.free[int(rnd.random() * len(pool.free))]
    out.append((pool.codes[last], pool.kinds[last], 1, total - used))
    return out


def _over_line(pool: _Pool, jia: int, over: int) -> tuple[str, str, int, int]:
    """The 甲类 line billed above its ceiling by exactly ``over`` (the cheapest ceiling that fits)."""
    capped = sorted((c, i) for i, c in enumerate(pool.ceilings) if c >= 0)
    for ceiling, i in capped:
        if ceiling + over <= jia:
            return pool.codes[i], pool.kinds[i], 1, ceiling + over
    raise FeeDetailError(
        f"甲类部分 {jia} 分放不下超限价 {over} 分的明细（目录中没有合适的限价项目）"
    )


def _selfpay_key(
    pools: dict[tuple[str, bool, str], _Pool], level: str, inpatient: bool, yi: int, pre: int
) -> str:
    """The 乙类 pool whose 先行自付比例 reproduces the claim's preselfpay_amt."""
    for key in sorted(
        k[2] for k in pools if k[:2] == (level, inpatient) and k[2].startswith("02:")
    ):
        if apply_ratio(yi, int(key[3:])) == pre:
            return key
    raise FeeDetailError(
        f"就医地目录中没有先行自付比例能得出 preselfpay_amt={pre} 分（乙类部分 {yi} 分）的乙类项目"
    )


def simulate_fee_detail(rng: np.random.Generator, claims: pl.DataFrame) -> pl.DataFrame:
    """费用明细 for the inpatient and outpatient claims (needs the generator's _yilei, _days),
    with the engine's split of every line."""
    frame = claims.filter(pl.col("med_type").is_in(DETAIL_MED_TYPES))
    if frame.height == 0:
        return empty_fee_detail()
    regions = frame["insuplc_admdvs"].unique().to_list()
    year = int(frame["begndate"].min().year)  # type: ignore[union-attr]
    first, last = dt.date(year, 1, 1), dt.date(year + 1, 12, 31)
    n = frame.height
    line_counts = {
        "01": np.where(frame["med_type"] == "21", 8 + rng.poisson(4, n), 1 + rng.poisson(1, n)),
        "02": np.where(frame["med_type"] == "21", 4 + rng.poisson(3, n), 1),
        "03": np.where(frame["med_type"] == "21", 1 + rng.poisson(1, n), 1),
    }
    parts: list[pl.DataFrame] = []
    for region in sorted(regions):
        # Residents are treated where they are insured: 就医地 = 参保地.
        catalogue = load_catalogue(region)
        level_map = load_policy(region, year).benefits.hosp_level_map.value
        pools = _pools(catalogue, first, last)
        rows = np.flatnonzero((frame["insuplc_admdvs"] == region).to_numpy())
        rnd = random.Random(int(rng.integers(0, 2**63 - 1)))
        lines = _region_lines(rnd, frame, rows, line_counts, pools, level_map)
        parts.append(split_frame(lines, catalogue, level_map, region))
    detail = pl.concat(parts)
    _check_claims(detail, frame)
    return (
        detail.rename({"hilist_name": "item_name", "det_item_fee_sumamt": "amount"})
        .sort("_row", "chrgitm_lv", "date", maintain_order=True)
        .with_columns(pl.int_range(1, pl.len() + 1).over("_row").cast(pl.Int32).alias("line_no"))
        .select(FEE_DETAIL_COLUMNS)
    )


def _region_lines(
    rnd: random.Random,
    frame: pl.DataFrame,
    rows: np.ndarray,
    counts: dict[str, np.ndarray],
    pools: dict[tuple[str, bool, str], _Pool],
    level_map: dict[str, str],
) -> pl.DataFrame:
    """The lines of one region's claims with their visit (before the split)."""
    col = {name: frame[name].to_list() for name in _CLAIM_COLUMNS}
    n_lines = {lv: c.tolist() for lv, c in counts.items()}
    row_of: list[int] = []
    codes: list[str] = []
    kinds: list[str] = []
    qtys: list[int] = []
    prices: list[int] = []
    for r in rows.tolist():
        stay = col["_days"][r]
        inpatient = col["med_type"][r] in INPATIENT_MED_TYPES
        level = level_map[col["hosp_lv"][r]]
        yi, bing, over = col["_yilei"][r], col["fulamt_ownpay_amt"][r], col["overlmt_selfpay"][r]
        jia = col["medfee_sumamt"][r] - yi - bing
        flat: list[tuple[str, str, int, int]] = []
        jia_pool = _pool(pools, (level, inpatient, "01"))
        if over > 0:
            flat.append(_over_line(jia_pool, jia, over))
            jia -= flat[-1][3]
        flat += _group_lines(rnd, jia, n_lines["01"][r], jia_pool, stay, 1)
        if yi > 0:
            key = _selfpay_key(pools, level, inpatient, yi, col["preselfpay_amt"][r])
            unit = BP_PER_UNIT // gcd(int(key[3:]), BP_PER_UNIT)
            yi_pool = _pool(pools, (level, inpatient, key))
            flat += _group_lines(rnd, yi, n_lines["02"][r], yi_pool, stay, unit)
        if bing > 0:
            bing_pool = _pool(pools, (level, inpatient, "03"))
            flat += _group_lines(rnd, bing, n_lines["03"][r], bing_pool, stay, 1)
        row_of += [r] * len(flat)
        for code, kind, q, p in flat:
            codes.append(code)
            kinds.append(kind)
            qtys.append(q)
            prices.append(p)
    n = len(row_of)
    draw = np.random.default_rng(rnd.getrandbits(63))
    stay_days = frame["_days"].to_numpy()[row_of]
    qty = np.array(qtys, dtype=np.int64)
    price = np.array(prices, dtype=np.int64)
    # 处方管理办法 第十九条: an outpatient prescription is at most 7 days; chronic-disease and
    # 两病 prescriptions are long (长期处方管理规范: usually 4 weeks, up to 12).
    med = frame["med_type"].to_numpy()[row_of]
    chronic = np.isin(med, ["14", "9901"])
    outpatient_drug = (np.array(kinds, dtype=object) == "药品") & ~np.isin(
        med, sorted(INPATIENT_MED_TYPES)
    )
    supply = np.where(chronic, draw.choice(np.array(LONG), n), draw.integers(1, 8, n))
    lines = pl.DataFrame(
        {
            "_row": np.array(row_of, dtype=np.int64),
            "item_code": codes,
            "item_type": kinds,
            "_offset": (draw.random(n) * (stay_days + 1)).astype(np.int64),
            "qty": qty,
            "price": price,
            "det_item_fee_sumamt": qty * price,
            "days_supply": pl.Series(np.where(outpatient_drug, supply, 0)).cast(pl.Int32),
        }
    )
    visits = _visits(frame)
    return (
        lines.join(visits, on="_row", how="left")
        .with_columns(
            (pl.col("begndate") + pl.duration(days=pl.col("_offset"))).alias("date"),
            pl.int_range(pl.len()).over("_row").cast(pl.String).alias("feedetl_sn"),
            pl.col("days_supply").replace(0, None),
        )
        .select(list(_BUILD_COLUMNS))
        .cast(_BUILD_COLUMNS)  # type: ignore[arg-type]
    )


def _visits(frame: pl.DataFrame) -> pl.DataFrame:
    """Per claim: its row, setl_id, first day, hosp_lv, med_type and the person's sex and age
    on the first day, read from the ID number (GB 11643: birth date at 7–14, sex at 17, as
    yibao.idcard.parse_id reads it; synthetic numbers are valid)."""
    birth = pl.col("certno").str.slice(6, 8).str.strptime(pl.Date, "%Y%m%d")
    before = (pl.col("begndate").dt.month().cast(pl.Int32) * 100 + pl.col("begndate").dt.day()) < (
        birth.dt.month().cast(pl.Int32) * 100 + birth.dt.day()
    )
    return frame.with_row_index("_row").select(
        pl.col("_row").cast(pl.Int64),
        "setl_id",
        "begndate",
        "hosp_lv",
        "med_type",
        pl.when(pl.col("certno").str.slice(16, 1).cast(pl.Int32) % 2 == 1)
        .then(pl.lit("1"))
        .otherwise(pl.lit("2"))
        .alias("sex"),
        (
            pl.col("begndate").dt.year().cast(pl.Int64)
            - birth.dt.year().cast(pl.Int64)
            - before.cast(pl.Int64)
        ).alias("age"),
    )


def _check_claims(split: pl.DataFrame, frame: pl.DataFrame) -> None:
    """The lines' split must give each claim's amounts (never a silent mismatch)."""
    names = {
        "det_item_fee_sumamt": "medfee_sumamt",
        "fulamt_ownpay_amt": "fulamt_ownpay_amt",
        "overlmt_amt": "overlmt_selfpay",
        "preselfpay_amt": "preselfpay_amt",
    }
    sums = split.group_by("setl_id").agg(pl.col(c).sum().alias(f"_{c}") for c in names)
    joined = frame.select("setl_id", *names.values()).join(sums, on="setl_id", how="inner")
    wrong = joined.filter(pl.any_horizontal(pl.col(f"_{c}") != pl.col(n) for c, n in names.items()))
    if joined.height != sums.height or wrong.height:
        row = wrong.row(0, named=True) if wrong.height else {"setl_id": "?"}
        raise FeeDetailError(f"{row['setl_id']}：费用明细拆分与结算金额不一致 {row}")


_CLAIM_COLUMNS = (
    "med_type", "hosp_lv", "medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay",
    "preselfpay_amt", "_yilei", "_days",
)  # fmt: skip


def _pool(pools: dict[tuple[str, bool, str], _Pool], key: tuple[str, bool, str]) -> _Pool:
    if key not in pools:
        scope = "住院" if key[1] else "门诊"
        raise FeeDetailError(f"就医地目录中没有{key[0]}医疗机构{scope}可用的{key[2]}类项目")
    return pools[key]


_BUILD_COLUMNS: dict[str, pl.DataType | type[pl.DataType]] = {
    "_row": pl.Int64, "setl_id": pl.String, "feedetl_sn": pl.String, "item_code": pl.String,
    "item_type": pl.String, "date": pl.Date, "qty": pl.Int64, "price": pl.Int64,
    "det_item_fee_sumamt": pl.Int64, "days_supply": pl.Int32, "hosp_lv": pl.String,
    "med_type": pl.String, "sex": pl.String, "age": pl.Int64,
}  # fmt: skip

# Money in fen; selfpay_prop in basis points (1000 = 10 %), as everywhere inside yibao.
FEE_DETAIL_COLUMNS = [
    "setl_id", "line_no", "item_code", "item_name", "item_type", "chrgitm_lv", "date", "qty",
    "price", "amount", "days_supply", "fulamt_ownpay_amt", "overlmt_amt", "preselfpay_amt",
    "inscp_scp_amt", "selfpay_prop", "lmt_used_flag",
]  # fmt: skip


def empty_fee_detail() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "setl_id": pl.String, "line_no": pl.Int32, "item_code": pl.String,
            "item_name": pl.String, "item_type": pl.String, "chrgitm_lv": pl.String,
            "date": pl.Date, "qty": pl.Int64, "price": pl.Int64, "amount": pl.Int64,
            "days_supply": pl.Int32, "fulamt_ownpay_amt": pl.Int64, "overlmt_amt": pl.Int64,
            "preselfpay_amt": pl.Int64, "inscp_scp_amt": pl.Int64, "selfpay_prop": pl.Int32,
            "lmt_used_flag": pl.String,
        }
    )  # fmt: skip
