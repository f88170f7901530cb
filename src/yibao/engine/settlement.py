"""One-stop three-layer settlement (一站式结算): 基本医保 → 大病保险 → 医疗救助 → 个人.

Public interface:
- ``Accumulators``: a person-year's running totals (fen).
- ``settle_claim(claim, policy, acc) -> (Settlement, acc_after)``: one CLAIM_SCHEMA row (fen).
- ``reverse_settlement(settlement, acc) -> acc``: 结算撤销, gives back exactly what it consumed.
- ``settle_year(claims, library, prior) -> (settlements, accumulators)``: a whole year, vectorised;
  equal to one-by-one ``settle_claim`` in (person, settle time) order, to the fen.

In ``setlinfo`` (and the ``settle_year`` frame) every amount is fen; ``pool_prop_selfpay`` is in
basis points there (2500 = 25 %) and a ratio (0.25) in ``to_json``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa  # type: ignore[import-untyped]

from yibao.codes import FUND_ASSISTANCE, FUND_BASIC, FUND_CRITICAL, FUND_NAMES
from yibao.engine.explain import explain
from yibao.engine.running_totals import (
    DELTA_COLUMNS,
    KEYED,
    NAMES,
    SCALARS,
    TOTALS,
    RunningTotals,
    empty_values,
)
from yibao.engine.settlement_batch import Prepared, Slots, Totals, initial_totals, prepare, run
from yibao.engine.settlement_rules import NO_CAP, ClaimRules, SettlementError
from yibao.engine.settlement_single import prepare_claim, settle_prepared, typed_row
from yibao.money import BP_PER_UNIT, bp_to_percent, fen_to_json, format_yuan
from yibao.policy.loader import PolicyLibrary
from yibao.policy.model import Policy

__all__ = [
    "SETLINFO_AMOUNTS",
    "Accumulators",
    "Settlement",
    "SettlementError",
    "accumulators_frame",
    "accumulators_from_frame",
    "reverse_settlement",
    "settle_claim",
    "settle_year",
    "settle_year_sums",
]


SETLINFO_AMOUNTS = (
    "medfee_sumamt",
    "fulamt_ownpay_amt",
    "overlmt_selfpay",
    "preselfpay_amt",
    "inscp_scp_amt",
    "act_pay_dedc",
    "hifp_pay",
    "hifmi_pay",
    "maf_pay",
    "oth_pay",
    "fund_pay_sumamt",
    "psn_part_amt",
    "psn_cash_pay",
    "balc",
)
# The claim columns settle_year reads (CLAIM_SCHEMA less certno, fixmedins_code, dise_codg).
SETTLED_COLUMNS = frozenset(
    {
        "setl_id",
        "psn_no",
        "insuplc_admdvs",
        "tier",
        "categories",
        "med_type",
        "hosp_lv",
        "setl_time",
        "begndate",
        "enddate",
        "medfee_sumamt",
        "fulamt_ownpay_amt",
        "overlmt_selfpay",
        "preselfpay_amt",
        "coverage_begin",
        "coverage_end",
        "offsite_kind",
        "dedc_hosp_lv",
        "dedc_paid_in_stay",
    }
)


class Accumulators(RunningTotals[Mapping[str, int], int]):
    """A person-year's running totals (fen), as ``running_totals.RunningTotals`` defines them:
    the keyed totals as maps by name (pool_paid by cap group — pools sharing a cap_group share
    one yearly cap —, deductible_used by pool), the others as integers. Totals not given are 0.
    """

    def __init__(self, **values: Any) -> None:
        unknown = set(values) - set(NAMES)
        if unknown:
            raise TypeError(f"Accumulators: unknown running total {sorted(unknown)[0]!r}")
        super().__init__(**{**empty_values(), **values})

    @classmethod
    def empty(cls) -> Accumulators:
        return cls()

    def as_dict(self) -> dict[str, Any]:
        """Fen, with zero entries dropped from the maps (so equal totals compare equal)."""
        return {
            t.name: {k: int(v) for k, v in sorted(getattr(self, t.name).items()) if v}
            if t.keyed
            else int(getattr(self, t.name))
            for t in TOTALS
        }

    def to_json(self) -> dict[str, Any]:
        return {
            name: {k: fen_to_json(v) for k, v in value.items()}
            if isinstance(value, dict)
            else fen_to_json(value)
            for name, value in self.as_dict().items()
        }

    def plus(self, other: Accumulators, sign: int = 1) -> Accumulators:
        def merge(a: Mapping[str, int], b: Mapping[str, int]) -> dict[str, int]:
            out = dict(a)
            for k, v in b.items():
                out[k] = out.get(k, 0) + sign * v
            return out

        return Accumulators(
            **{
                t.name: merge(getattr(self, t.name), getattr(other, t.name))
                if t.keyed
                else getattr(self, t.name) + sign * getattr(other, t.name)
                for t in TOTALS
            }
        )

    def before(self, keys: Mapping[str, str]) -> dict[str, int]:
        """Each total before a claim: the keyed ones at the claim's ``keys`` (slot → name)."""
        return {
            t.name: int(getattr(self, t.name).get(keys[t.slot], 0))
            if t.keyed
            else int(getattr(self, t.name))
            for t in TOTALS
        }

    @staticmethod
    def of_claim(r: Mapping[str, int], keys: Mapping[str, str]) -> Accumulators:
        """What one claim added to each total (its step results ``r``), keyed at ``keys``."""
        return Accumulators(
            **{
                t.name: {keys[t.slot]: r[t.increment]} if t.keyed else r[t.increment]
                for t in TOTALS
            }
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Accumulators) and self.as_dict() == other.as_dict()

    def __hash__(self) -> int:
        return hash(repr(self.as_dict()))


@dataclass(frozen=True)
class Settlement:
    setlinfo: dict[str, int | str]
    setldetail: list[dict[str, Any]]
    explanation: list[dict[str, Any]]
    consumed: Accumulators  # what this claim added to each running total
    policy: dict[str, Any]  # region, year, files

    def to_json(self) -> dict[str, Any]:
        info: dict[str, Any] = {}
        for key, value in self.setlinfo.items():
            if key == "pool_prop_selfpay":
                info[key] = int(value) / BP_PER_UNIT
            elif key in SETLINFO_AMOUNTS:
                info[key] = fen_to_json(int(value))
            else:
                info[key] = value
        detail = [
            {
                **row,
                "fund_payamt": fen_to_json(row["fund_payamt"]),
                "inscp_scp_amt": fen_to_json(row["inscp_scp_amt"]),
                "crt_payb_lmt_amt": None
                if row["crt_payb_lmt_amt"] is None
                else fen_to_json(row["crt_payb_lmt_amt"]),
            }
            for row in self.setldetail
        ]
        steps = [
            {**e, "amount": None if e["amount"] is None else fen_to_json(e["amount"])}
            for e in self.explanation
        ]
        return {
            "setlinfo": info,
            "setldetail": detail,
            "explanation": steps,
            "policy": self.policy,
        }


# ---------------------------------------------------------------- one claim
def _claim_frame(claim: Mapping[str, Any]) -> pl.DataFrame:
    """One claim as a one-row frame, its fields checked and typed as the real-time path does."""
    from yibao.claims import CLAIM_SCHEMA

    frame = pl.from_arrow(pa.Table.from_pylist([typed_row(claim)], schema=CLAIM_SCHEMA))
    assert isinstance(frame, pl.DataFrame)
    return frame


def _acc_map(acc: Accumulators) -> dict[str, object]:
    return {name: getattr(acc, name) for name in NAMES}


def _slot_keys(rules: ClaimRules) -> dict[str, str]:
    """The names a claim's keyed running totals are kept under: its cap group and its pool."""
    return {"cap": rules.cap_group, "pool": rules.pool}


def settle_claim(
    claim: Mapping[str, Any], policy: Policy, acc: Accumulators
) -> tuple[Settlement, Accumulators]:
    """Settle one claim (a CLAIM_SCHEMA row, fen) given the person-year's accumulators.

    The real-time path (``settlement_single``): the claim is checked as ``settle_year`` checks
    it and settled by the same ``settle_step``, without building a frame. Amounts of 2^52 fen
    or more are refused on both paths (settlement_rules.MAX_AMOUNT_FEN).
    """
    prep = prepare_claim(claim, policy)
    rules = prep.rules
    before: dict[str, int] = {
        **acc.before(_slot_keys(rules)),
        # 池州 二、7: the use so far of the pool that excludes this one (exclusive_pools)
        "watched_used": int(acc.deductible_used.get(rules.exclusive_watch, 0))
        if rules.exclusive_watch
        else 0,
    }
    r = settle_prepared(prep, before)
    settlement = _build(rules, prep.row, r, before, prep.days)
    return settlement, acc.plus(settlement.consumed)


def settle_claim_columnar(
    claim: Mapping[str, Any], policy: Policy, acc: Accumulators
) -> tuple[Settlement, Accumulators]:
    """The batch of one: ``prepare`` and ``run`` of ``settle_year`` on a one-row frame.

    Slower (a frame per claim); kept as the reference the real-time path is tested against."""

    def resolve(code: str, year: int) -> Policy:
        return policy

    prep = prepare(_claim_frame(claim), resolve)
    key = prep.person_year.row(0)
    totals = initial_totals(prep, {key: _acc_map(acc)})
    results, _ = run(prep, totals)
    settlement = _settlement(prep, results, totals, 0)
    return settlement, acc.plus(settlement.consumed)


def reverse_settlement(settlement: Settlement, acc: Accumulators) -> Accumulators:
    """结算撤销: give back exactly what the claim consumed from each running total."""
    after = acc.plus(settlement.consumed, sign=-1)
    negative = [k for k, v in after.as_dict().items() if isinstance(v, int) and v < 0]
    negative += [f"{name}.{k}" for name in KEYED for k, v in getattr(after, name).items() if v < 0]
    if negative:
        raise SettlementError(
            f"{negative[0]}: reversing {settlement.setlinfo.get('setl_id')} would go below zero; "
            "these accumulators did not include it"
        )
    return after


def _settlement(prep: Prepared, results: dict[str, Any], totals: Totals, i: int) -> Settlement:
    rules: ClaimRules = prep.rules[int(prep.rule_index[i])]
    row = prep.frame.row(i, named=True)
    r = {name: int(values[i]) for name, values in results.items()}
    slot = {
        "cap": prep.cap.of_claim[i],
        "pool": prep.pool.of_claim[i],
        "person_year": prep.py_slot[i],
    }
    before = {t.name: int(getattr(totals, t.name)[slot[t.slot]]) for t in TOTALS}
    return _build(rules, row, r, before, int(prep.claim["days"][i]))


def _build(
    rules: ClaimRules,
    row: Mapping[str, Any],
    r: dict[str, int],
    before: dict[str, int],
    days: int,
) -> Settlement:
    """The settlement of one claim from its row (the validated CLAIM_SCHEMA row with year,
    inscp_scp_amt and covered), its rules, its step results and its totals before it."""
    setlinfo: dict[str, int | str] = {
        "setl_id": row["setl_id"],
        "psn_no": row["psn_no"],
        "insutype": "390",
        "med_type": row["med_type"],
        "insuplc_admdvs": row["insuplc_admdvs"],
        **_setlinfo_amounts(row, r, rules.ratio_bp),
    }
    detail = [
        _detail(
            FUND_BASIC,
            r["hifp_pay"],
            int(row["inscp_scp_amt"]) if row["covered"] else 0,
            rules.annual_cap,
            before["pool_paid"],
            f"{rules.pool_values.label} 起付线{format_yuan(r['act_pay_dedc'])}元 "
            f"比例{bp_to_percent(rules.ratio_bp)}",
        ),
        _detail(
            FUND_CRITICAL,
            r["hifmi_pay"],
            r["critical_eligible_delta"],
            rules.critical_cap,
            before["critical_paid"],
            f"本年合规累计{format_yuan(before['critical_eligible'] + r['critical_eligible_delta'])}元 "
            f"起付线{format_yuan(rules.critical_deductible)}元",
        ),
        _detail(
            FUND_ASSISTANCE,
            r["maf_pay"],
            r["assistance_eligible_delta"],
            rules.assistance_limit if rules.assistance_included else 0,
            before["assistance_paid"],
            f"{rules.assistance_category or '非救助对象'} 比例{bp_to_percent(rules.assistance_ratio_bp)}",
        ),
    ]
    consumed = Accumulators.of_claim(r, _slot_keys(rules))
    explanation = explain(rules, {**row, "days": days}, r, before, bool(row["covered"]))
    meta = rules.policy.meta
    return Settlement(
        setlinfo=setlinfo,
        setldetail=detail,
        explanation=explanation,
        consumed=consumed,
        policy={"region": meta.code, "year": meta.year, "files": list(meta.files)},
    )


def _setlinfo_amounts(
    row: Mapping[str, Any], r: Mapping[str, int], ratio_bp: int
) -> dict[str, int]:
    return {
        "medfee_sumamt": int(row["medfee_sumamt"]),
        "fulamt_ownpay_amt": int(row["fulamt_ownpay_amt"]),
        "overlmt_selfpay": int(row["overlmt_selfpay"]),
        "preselfpay_amt": int(row["preselfpay_amt"]),
        "inscp_scp_amt": int(row["inscp_scp_amt"]),
        "act_pay_dedc": r["act_pay_dedc"],
        "hifp_pay": r["hifp_pay"],
        "pool_prop_selfpay": BP_PER_UNIT - ratio_bp,
        "hifmi_pay": r["hifmi_pay"],
        "maf_pay": r["maf_pay"],
        "oth_pay": 0,  # no other funds in resident insurance here
        "fund_pay_sumamt": r["fund_pay_sumamt"],
        "psn_part_amt": r["psn_part_amt"],
        "psn_cash_pay": r["psn_part_amt"],  # no personal account: all of it is cash
        "balc": 0,  # resident insurance has no personal account
    }


def _detail(fund: str, pay: int, base: int, cap: int, used: int, info: str) -> dict[str, Any]:
    return {
        "fund_pay_type": fund,
        "fund_pay_type_name": FUND_NAMES[fund],
        "fund_payamt": pay,
        "inscp_scp_amt": base,
        # the limit still payable when this claim came in (None: no cap)
        "crt_payb_lmt_amt": None if cap >= NO_CAP else max(cap - used, 0),
        "setl_proc_info": info,
    }


# ---------------------------------------------------------------- a whole year
ACC_PAIR = pl.List(pl.Struct({"name": pl.String, "fen": pl.Int64}))
ACC_SCHEMA: dict[str, Any] = {
    "psn_no": pl.String,
    "year": pl.Int64,
    **{t.name: ACC_PAIR if t.keyed else pl.Int64 for t in TOTALS},
}


def accumulators_frame(rows: Mapping[tuple[str, int], Accumulators]) -> pl.DataFrame:
    """Accumulators per (psn_no, year) as a frame: the maps as lists of {name, fen}."""
    data = []
    for (psn, year), acc in rows.items():
        d = acc.as_dict()
        data.append(
            {
                "psn_no": psn,
                "year": year,
                **{name: [{"name": k, "fen": v} for k, v in d[name].items()] for name in KEYED},
                **{name: d[name] for name in SCALARS},
            }
        )
    return pl.DataFrame(data, schema=ACC_SCHEMA)


def accumulators_from_frame(frame: pl.DataFrame) -> dict[tuple[str, int], Accumulators]:
    out: dict[tuple[str, int], Accumulators] = {}
    for row in frame.iter_rows(named=True):
        out[(str(row["psn_no"]), int(row["year"]))] = Accumulators(
            **{name: {p["name"]: int(p["fen"]) for p in row[name] or []} for name in KEYED},
            **{name: int(row[name] or 0) for name in SCALARS},
        )
    return out


def settle_year(
    claims: pa.Table | pl.DataFrame,
    library: PolicyLibrary,
    prior: pl.DataFrame | None = None,
    *,
    accumulators: bool = True,
    carry: Sequence[str] = (),
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Settle many persons' claims at once, in (psn_no, setl_time, setl_id) order.

    Returns one row per claim (setl_id, psn_no, year, covered + setlinfo amounts in fen, and what
    the claim consumed: pool, cap_group, deductible_used_delta, critical_eligible_delta,
    assistance_eligible_delta; sorted like the settlement order) and the final accumulators per (psn_no, year) for every
    person-year in the claims (``accumulators_frame`` layout). ``prior`` has that layout too.
    Any bad claim raises ``SettlementError`` naming the field and the setl_id; nothing is
    settled then. ``accumulators=False``: the second frame is only the claims' person-years
    (psn_no, year), for a batch that does not keep the running totals (building them is a
    tenth of the work). ``carry``: claim columns (e.g. setl_time, hosp_lv, categories) added to
    each settlement row as the claim was settled (defaults filled) — in the same pass, no join.
    """
    out, accumulators_out, _ = _settle(claims, library, prior, accumulators, carry)
    return out, accumulators_out


def settle_year_sums(
    claims: pa.Table | pl.DataFrame,
    library: PolicyLibrary,
    by: Sequence[str],
    summed: Sequence[str],
    *,
    accumulators: bool = True,
    carry: Sequence[str] = (),
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """``settle_year`` and, per distinct ``by`` (rule-key columns: insuplc_admdvs, year,
    med_type, hosp_lv, tier, categories), the number of claims and the sums of the ``summed``
    output columns. The sums are taken per rule set (a small integer per claim, summed with
    numpy) and only then per ``by``: far cheaper than grouping the claims by several string
    columns."""
    out, accumulators_out, prep = _settle(claims, library, None, accumulators, carry)
    n_rules = prep.keys.height
    per_rule = {"claims": np.bincount(prep.rule_index, minlength=n_rules).astype(np.int64)}
    for name in summed:  # integer sums by rule set: exact, and no hashing of the claims
        per_rule[name] = np.zeros(n_rules, np.int64)
        np.add.at(per_rule[name], prep.rule_index, out.get_column(name).to_numpy())
    sums = (
        prep.keys.with_columns(pl.Series(name, values) for name, values in per_rule.items())
        .filter(pl.col("claims") > 0)
        .group_by(by)
        .agg(pl.col("claims").sum(), *[pl.col(c).sum() for c in summed])
    )
    return out, accumulators_out, sums


def _settle(
    claims: pa.Table | pl.DataFrame,
    library: PolicyLibrary,
    prior: pl.DataFrame | None,
    accumulators: bool,
    carry: Sequence[str] = (),
) -> tuple[pl.DataFrame, pl.DataFrame, Prepared]:
    frame = claims if isinstance(claims, pl.DataFrame) else pl.from_arrow(claims)
    assert isinstance(frame, pl.DataFrame)
    # Columns the settlement never reads (certno, institution, diagnosis) are not carried
    # through the sort.
    frame = frame.select([c for c in frame.columns if c in SETTLED_COLUMNS or c in carry])
    prep = prepare(frame, library.resolve)
    prior_entries = _prior_entries(prep, prior)
    totals = _prior_totals(prep, prior_entries)
    results, final = run(prep, totals)

    ratio = np.asarray([r.ratio_bp for r in prep.rules], np.int64)[prep.rule_index]
    out = prep.frame.select(
        "setl_id", "psn_no", "year", "med_type", "covered", *SETLINFO_AMOUNTS[:5]
    ).with_columns(
        pl.Series("act_pay_dedc", results["act_pay_dedc"]),
        pl.Series("hifp_pay", results["hifp_pay"]),
        pl.Series("pool_prop_selfpay", BP_PER_UNIT - ratio),
        pl.Series("hifmi_pay", results["hifmi_pay"]),
        pl.Series("maf_pay", results["maf_pay"]),
        pl.lit(0, pl.Int64).alias("oth_pay"),
        pl.Series("fund_pay_sumamt", results["fund_pay_sumamt"]),
        pl.Series("psn_part_amt", results["psn_part_amt"]),
        pl.Series("psn_cash_pay", results["psn_part_amt"]),
        pl.lit(0, pl.Int64).alias("balc"),
        # What each claim added to its person-year's running totals (besides the three paid
        # amounts): a store can load the year and still reverse any one settlement exactly.
        _per_claim("pool", [r.pool for r in prep.rules], prep.rule_index),
        _per_claim("cap_group", [r.cap_group for r in prep.rules], prep.rule_index),
        *[pl.Series(name, results[name]) for name in DELTA_COLUMNS],
        # claim columns asked for, as settled (defaults filled), in the same order: no join
        *[prep.frame.get_column(name) for name in carry],
    )
    if not accumulators:
        return out, prep.person_year, prep
    return out, _final_accumulators(prep, final, prior_entries), prep


def _per_claim(name: str, per_rule: list[str], rule_index: np.ndarray) -> pl.Series:
    """A string per claim from its rule set's, by index: the strings are not copied per claim."""
    return pl.Series(name, per_rule, pl.String).gather(pl.Series(rule_index))


# Prior accumulators of the claims' person-years, by joins rather than per-person Python:
# scalars per person-year slot ("_py") and the maps as (_py, name, fen) entries.
PriorEntries = tuple[pl.DataFrame, dict[str, pl.DataFrame]] | None
MAPS = KEYED


def _prior_entries(prep: Prepared, prior: pl.DataFrame | None) -> PriorEntries:
    if prior is None or prior.height == 0:
        return None
    keys = ["psn_no", "year"]
    # accumulators_from_frame semantics: a repeated person-year or name, the last one counts.
    prior = prior.with_columns(pl.col("psn_no").cast(pl.String), pl.col("year").cast(pl.Int64))
    prior = prior.unique(keys, keep="last", maintain_order=True)
    joined = prep.person_year.with_row_index("_py").join(
        prior, on=keys, how="left", maintain_order="left"
    )
    scalars = joined.select(
        pl.col("_py").cast(pl.Int64), *[pl.col(n).fill_null(0).cast(pl.Int64) for n in SCALARS]
    )
    entries = {
        name: joined.select(pl.col("_py").cast(pl.Int64), pl.col(name))
        .explode(name)
        .drop_nulls(name)
        .unnest(name)
        .select("_py", pl.col("name").cast(pl.String), pl.col("fen").fill_null(0).cast(pl.Int64))
        .unique(["_py", "name"], keep="last", maintain_order=True)
        for name in MAPS
    }
    return scalars, entries


def _slot_names(slots: Slots) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "_py": slots.py,
            "name": pl.Series(slots.names, dtype=pl.String).gather(slots.name_id),
        }
    )


def _keyed_slots(prep: Prepared) -> dict[str, Slots]:
    """Each keyed running total's slots (per cap group, per pool) in ``prep``."""
    return {t.name: getattr(prep, t.slot) for t in TOTALS if t.keyed}


def _prior_totals(prep: Prepared, prior: PriorEntries) -> Totals:
    """Each slot primed from the prior accumulators (zero where there are none)."""
    n_py = prep.person_year.height
    slots = _keyed_slots(prep)
    if prior is None:
        return Totals(
            **{name: np.zeros(len(s.py), np.int64) for name, s in slots.items()},
            **{name: np.zeros(n_py, np.int64) for name in SCALARS},
        )
    scalars, entries = prior
    keyed = {
        name: _slot_names(s)
        .join(entries[name], on=["_py", "name"], how="left", maintain_order="left")
        .get_column("fen")
        .fill_null(0)
        .to_numpy()
        .astype(np.int64)
        for name, s in slots.items()
    }
    return Totals(
        **keyed, **{name: scalars.get_column(name).to_numpy().astype(np.int64) for name in SCALARS}
    )


def _final_accumulators(prep: Prepared, final: Totals, prior: PriorEntries) -> pl.DataFrame:
    """``accumulators_frame`` of the claims' person-years: the slots' final totals, plus the
    prior's entries for names these claims did not touch; zero entries dropped, names sorted."""
    frame = prep.person_year.with_columns(
        *[pl.Series(name, getattr(final, name), pl.Int64) for name in SCALARS]
    ).with_row_index("_py")
    for name, slots in _keyed_slots(prep).items():
        entries = _slot_names(slots).with_columns(pl.Series("fen", getattr(final, name), pl.Int64))
        if prior is not None:
            untouched = prior[1][name].join(entries, on=["_py", "name"], how="anti")
            entries = pl.concat([entries, untouched])
        lists = (
            entries.filter(pl.col("fen") != 0)
            .sort("_py", "name")
            .group_by("_py", maintain_order=True)
            .agg(pl.struct("name", "fen").alias(name))
        )
        frame = frame.join(
            lists.with_columns(pl.col("_py").cast(pl.UInt32)),
            on="_py",
            how="left",
            maintain_order="left",
        )
        frame = frame.with_columns(pl.col(name).fill_null(pl.lit([], ACC_PAIR)))
    return frame.select([pl.col(name).cast(dtype) for name, dtype in ACC_SCHEMA.items()])
