"""The cases to group from the claims themselves: their 病案首页 columns (claims.CASE_FIELDS, the
4101 医疗保障基金结算清单 names) when the claims carry them, else derived by yibao.synth.cases
(synthetic, assumed distributions) for claim files without them (real data without a 病案首页).
Which of the two it was is returned with the cases, for the output to say.

Pure: frames in, the CASE_COLUMNS frame (synth.cases) and its source out."""

from __future__ import annotations

import polars as pl

from yibao.claims import CASE_FIELDS, CLAIM_SCHEMA
from yibao.drg.case import CaseError
from yibao.synth.cases import CASE_COLUMNS, CLAIM_FIELD, claim_facts, simulate_cases

SYNTHETIC = "synthetic (yibao.synth.cases, assumed distributions)"
FROM_CLAIMS = (
    "claims (病案首页 columns of the claims: dscg_maindiag_code, diseinfo_diag_code, "
    "oprninfo_oprn_oprt_code, gend, age, nwb_age, nwb_bir_wt, act_ipt_days, dscg_way)"
)
CASE_TYPES = dict(pl.DataFrame(CLAIM_SCHEMA.empty_table().select(list(CASE_FIELDS))).schema)
DIAGNOSES = "diseinfo_diag_code"
PROCEDURES = "oprninfo_oprn_oprt_code"


def carries_cases(claims: pl.DataFrame) -> bool:
    """Do the claims carry 病案首页 columns: a diagnosis list on at least one inpatient claim?"""
    if DIAGNOSES not in claims.columns:
        return False
    inpatient = claims.filter(pl.col("med_type") == "21")
    return inpatient.height > 0 and inpatient[DIAGNOSES].null_count() < inpatient.height


def cases_from_claims(claims: pl.DataFrame) -> pl.DataFrame:
    """CASE_COLUMNS for the inpatient (21) claims from their own 病案首页 columns. An inpatient
    claim without a diagnosis list, or whose dscg_maindiag_code is not its first diagnosis, is an
    error naming the claim and the field. gend, age, nwb_age and act_ipt_days left null are
    what the claim says (certno, begndate/enddate); nothing is drawn."""
    frame = claims.filter(pl.col("med_type") == "21")
    if frame.height == 0:
        return pl.DataFrame(schema=CASE_COLUMNS)
    needed = (DIAGNOSES, "certno", "setl_time", "begndate", "enddate")
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise CaseError(f"claims: 缺少列 {', '.join(missing)}")
    frame = frame.with_columns(
        pl.lit(None, CASE_TYPES[c]).alias(c) for c in CASE_FIELDS if c not in frame.columns
    )
    empty = frame.filter(pl.col(DIAGNOSES).is_null() | (pl.col(DIAGNOSES).list.len() == 0))
    if empty.height:
        raise CaseError(
            f"病例 {empty['setl_id'][0]}: {DIAGNOSES}: 住院结算没有诊断（缺主诊断）；"
            f"共 {empty.height} 笔，结算清单的病案首页须每笔住院都有"
        )
    first = pl.col(DIAGNOSES).list.first()
    main = pl.col("dscg_maindiag_code").cast(pl.String)
    wrong = frame.filter(main.is_not_null() & (main != "") & (main != first))
    if wrong.height:
        row = wrong.row(0, named=True)
        raise CaseError(
            f"病例 {row['setl_id']}: dscg_maindiag_code: 主诊断 {row['dscg_maindiag_code']} "
            f"不是 {DIAGNOSES} 的第一项（{row[DIAGNOSES][0]}）"
        )
    facts = claim_facts(frame)
    said = {case: pl.col(claim) for case, claim in CLAIM_FIELD.items()}
    out = frame.select(
        "setl_id",
        said["gend"].cast(pl.String).fill_null(pl.Series(facts["gend"])).alias("gend"),
        said["age"].cast(pl.Int32).fill_null(pl.Series(facts["age"])).alias("age"),
        said["age_days"].cast(pl.Int32).alias("age_days"),
        said["weight"].cast(pl.Int32).alias("weight"),
        said["los"].cast(pl.Int32).fill_null(pl.Series(facts["los"])).alias("los"),
        said["leaving_type"].cast(pl.String).alias("leaving_type"),
        pl.col(DIAGNOSES).list.join("|").alias("diagnoses"),
        pl.col(PROCEDURES)
        .cast(pl.List(pl.String))
        .list.join("|")
        .fill_null("")
        .alias("procedures"),
    )
    # 年龄不足1周岁: the age in days is what the claim says when left out.
    age_days = pl.Series(facts["age_days"]).cast(pl.Int32)
    return out.with_columns(
        pl.when(pl.col("age") == 0).then(pl.col("age_days").fill_null(age_days)).alias("age_days")
    ).select(*(pl.col(k).cast(v) for k, v in CASE_COLUMNS.items()))


def case_frame(claims: pl.DataFrame) -> tuple[pl.DataFrame, str]:
    """(CASE_COLUMNS for the inpatient claims, where they come from): the claims' own 病案首页
    columns when they carry them, else derived (synthetic, assumed). Where only some inpatient
    claims carry them (claims loaded with a 病案首页 next to claims settled through the real-time
    interface, which takes none), those that do not are derived and the source says how many:
    the derivation runs over all the inpatient claims, so a derived case is the one a claim
    file without any 病案首页 would give."""
    if not carries_cases(claims):
        return simulate_cases(claims), SYNTHETIC
    inpatient = claims.filter(pl.col("med_type") == "21")
    lacking = inpatient.filter(pl.col(DIAGNOSES).is_null())
    if lacking.height == 0:
        return cases_from_claims(claims), FROM_CLAIMS
    carried = cases_from_claims(inpatient.filter(pl.col(DIAGNOSES).is_not_null()))
    derived = simulate_cases(inpatient).filter(
        pl.col("setl_id").is_in(lacking["setl_id"].implode())
    )
    source = (
        f"{FROM_CLAIMS}; {lacking.height} of {inpatient.height} inpatient claims without "
        f"them derived: {SYNTHETIC}"
    )
    return pl.concat([carried, derived]), source


def derived_count(source: str) -> int:
    """How many cases case_frame derived, from its source text (all, none, or the stated count)."""
    if source == SYNTHETIC:
        return -1  # all of them
    if source.startswith(FROM_CLAIMS + "; "):
        return int(source[len(FROM_CLAIMS) + 2 :].split(" ", 1)[0])
    return 0


def with_cases(
    frame: pl.DataFrame, cases: pl.DataFrame | None = None, source: str = ""
) -> tuple[pl.DataFrame, str]:
    """The inpatient claims (or settlements joined with them) joined on setl_id with their cases:
    ``cases`` when given (a cases file, ``source`` its name), else case_frame's. The claims'
    own 病案首页 columns are dropped from the result (the cases hold them)."""
    if cases is None:
        cases, source = case_frame(frame)
    plain = frame.drop([c for c in (*CASE_FIELDS, *CASE_COLUMNS) if c != "setl_id"], strict=False)
    return plain.join(cases, on="setl_id", how="left", maintain_order="left"), source
