"""The store read as the monitor commands' input frames (issue 16): the settled (not reversed)
settlements and claims of one policy region and year, its persons and its enrollments, in the
shape the Parquet pipeline gives them (``yibao batch settle``'s output, ``CLAIM_SCHEMA``, the
synthetic persons and contributions), so ``yibao monitor … --db`` and ``yibao compare --db``
call the same report functions (monitoring/reports.py) as the Parquet path.

Read-only: one Core query per table (the claim's fields taken out of its JSON row by the
database), no ORM objects, nothing written; a SQLite file that does not exist is refused
rather than created. Which 参保地 codes belong to the region, and each person's township and
categories, are the review scan's own (services.reviews.scope_codes,
store.reviews.persons_frame): the console's 扫描 and these commands cannot disagree on who is
in the year.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from yibao.engine.settlement import SETLINFO_AMOUNTS
from yibao.policy import PolicyLibrary
from yibao.store import database_url, make_engine
from yibao.store.models import Claim, ContributionPayment, Enrollment, Person, Settlement

NEEDED_TABLES = ("persons", "enrollments", "claims", "settlements", "contribution_payments")
CLAIM_TEXT = (
    "certno", "insuplc_admdvs", "categories", "med_type", "hosp_lv", "fixmedins_code",
    "dise_codg", "offsite_kind", "dedc_hosp_lv",
)  # fmt: skip
CLAIM_DATES = ("begndate", "enddate", "coverage_begin", "coverage_end")
CLAIM_FEN = (
    "medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "dedc_paid_in_stay",
)  # fmt: skip
# The 病案首页 columns (claims.CASE_FIELDS; null where a claim was stored without them).
CASE_TEXT = ("gend", "dscg_way", "dscg_maindiag_code")
CASE_INT = ("age", "nwb_age", "nwb_bir_wt", "act_ipt_days")
CASE_LISTS = ("diseinfo_diag_code", "oprninfo_oprn_oprt_code")
SETTLED_SCHEMA: dict[str, Any] = {
    "setl_id": pl.String,
    "psn_no": pl.String,
    "year": pl.Int64,
    "setl_time": pl.Datetime("ms"),
    **dict.fromkeys(SETLINFO_AMOUNTS, pl.Int64),
    "critical_eligible_delta": pl.Int64,
    "assistance_eligible_delta": pl.Int64,
    "med_type": pl.String,
    "hosp_lv": pl.String,
    "categories": pl.String,
    "fixmedins_code": pl.String,
    "dise_codg": pl.String,
}


class StoreReadError(ValueError):
    """The store named by --db cannot be read; the message is Chinese and names --db."""


def _shown(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL at all: shown as given
        return url


@contextmanager
def read_store(db: str | None) -> Iterator[Session]:
    """A session on the store (``--db``, else YIBAO_DB, else ./yibao.db, as ``yibao db check``;
    a bare path is a SQLite file) that is only read: rolled back at the end. A missing SQLite file or a database without
    yibao's tables is refused with the URL (password hidden)."""
    url = database_url(db)
    if "://" not in url:  # a SQLite file's path, as ``yibao demo --db`` takes it
        url = f"sqlite:///{Path(url).resolve()}"
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise StoreReadError(f"--db: 不是数据库地址：{url!r}（例如 sqlite:///yibao.db）") from exc
    if parsed.get_backend_name() == "sqlite":
        name = parsed.database or ""
        if name in ("", ":memory:") or not Path(name).is_file():
            raise StoreReadError(f"--db: 数据库文件不存在：{name or url}（不会新建）")
    engine = make_engine(url)
    try:
        try:
            present = set(inspect(engine).get_table_names())
        except SQLAlchemyError as exc:
            raise StoreReadError(
                f"--db: 无法连接数据库 {_shown(url)}：{getattr(exc, 'orig', None) or exc}"
            ) from exc
        missing = [t for t in NEEDED_TABLES if t not in present]
        if missing:
            raise StoreReadError(
                f"--db: {_shown(url)} 不是 yibao 的数据库（缺少表 {', '.join(missing)}）"
            )
        with Session(engine) as session:
            try:
                yield session
            finally:
                session.rollback()
    finally:
        engine.dispose()


def scope_codes(session: Session, library: PolicyLibrary, region: str) -> list[str]:
    from yibao.services.reviews import scope_codes as review_scope

    return review_scope(session, library, region)


def _scoped(codes: list[str], year: int) -> list[Any]:
    return [
        Settlement.year == year,
        Settlement.status == "settled",
        Settlement.insuplc_admdvs.in_(codes),
    ]


CONSUMED = {"critical_eligible_delta": "critical_eligible",
            "assistance_eligible_delta": "assistance_eligible"}  # fmt: skip
FROM_CLAIM = ("med_type", "hosp_lv", "categories", "fixmedins_code", "dise_codg")
EXTRA = (*CONSUMED, *FROM_CLAIM)


def settled_frame(
    session: Session,
    codes: list[str],
    year: int,
    psn_no: str | None = None,
    extra: tuple[str, ...] = EXTRA,
) -> pl.DataFrame:
    """The year's settled settlements of ``codes`` as ``yibao batch settle`` writes them:
    setl_id, psn_no, year, setl_time, the setlinfo amounts (fen) and of ``extra`` what each
    added to the 大病 and 救助 running totals and the claim's med_type, hosp_lv, categories,
    fixmedins_code, dise_codg; with ``psn_no`` that person's only. One query; the claims'
    JSON is joined only when ``extra`` asks for one of its fields (a command that reads
    amounts alone does not pay for it)."""
    unknown = [k for k in extra if k not in EXTRA]
    if unknown:
        raise ValueError(f"settled_frame: unknown column(s) {', '.join(unknown)}")
    s = Settlement.__table__
    where = _scoped(codes, year) + ([s.c.psn_no == psn_no] if psn_no is not None else [])
    consumed = [k for k in EXTRA if k in extra and k in CONSUMED]
    claimed = [k for k in EXTRA if k in extra and k in FROM_CLAIM]
    stmt = select(
        s.c.setl_id, s.c.psn_no, s.c.year, s.c.setl_time,
        *(s.c[a] for a in SETLINFO_AMOUNTS),
        *(Settlement.consumed[CONSUMED[k]].as_integer() for k in consumed),
        *(Claim.row[k].as_string() for k in claimed),
    )  # fmt: skip
    if claimed:
        stmt = stmt.join(Claim.__table__, Claim.setl_id == s.c.setl_id)
    names = ["setl_id", "psn_no", "year", "setl_time", *SETLINFO_AMOUNTS, *consumed, *claimed]
    rows = session.connection().execute(stmt.where(*where).order_by(s.c.setl_id)).all()
    frame = pl.DataFrame(rows, schema={n: SETTLED_SCHEMA[n] for n in names}, orient="row")
    return frame.with_columns(
        *(pl.col(k).fill_null(0) for k in consumed), *(pl.col(k).fill_null("") for k in claimed)
    )


def claims_frame(session: Session, codes: list[str], year: int) -> pl.DataFrame:
    """The claims of the year's settled settlements of ``codes`` in CLAIM_SCHEMA's columns and
    types, as the register completed and stored them (what ``compare`` and the claim-level
    monitoring rules read). One query."""
    from yibao.claims import CLAIM_SCHEMA

    s = Settlement.__table__
    stmt = (
        select(
            s.c.setl_id, s.c.psn_no, s.c.setl_time,
            Claim.row["tier"].as_integer(),
            *(Claim.row[k].as_string() for k in CLAIM_TEXT),
            *(Claim.row[k].as_string() for k in CLAIM_DATES),
            *(Claim.row[k].as_integer() for k in CLAIM_FEN),
            *(Claim.row[k].as_string() for k in CASE_TEXT),
            *(Claim.row[k].as_integer() for k in CASE_INT),
            *(Claim.row[k] for k in CASE_LISTS),
        )
        .join(Claim.__table__, Claim.setl_id == s.c.setl_id)
        .where(*_scoped(codes, year))
        .order_by(s.c.setl_id)
    )  # fmt: skip
    names = ["setl_id", "psn_no", "setl_time", "tier", *CLAIM_TEXT, *CLAIM_DATES, *CLAIM_FEN,
             *CASE_TEXT, *CASE_INT, *CASE_LISTS]  # fmt: skip
    raw: dict[str, Any] = {
        "setl_id": pl.String, "psn_no": pl.String, "setl_time": pl.Datetime("ms"),
        "tier": pl.Int64, **dict.fromkeys((*CLAIM_TEXT, *CLAIM_DATES, *CASE_TEXT), pl.String),
        **dict.fromkeys((*CLAIM_FEN, *CASE_INT), pl.Int64),
        **dict.fromkeys(CASE_LISTS, pl.List(pl.String)),
    }  # fmt: skip
    rows = session.connection().execute(stmt).all()
    frame = pl.DataFrame(rows, schema={n: raw[n] for n in names}, orient="row")
    target = pl.from_arrow(CLAIM_SCHEMA.empty_table())
    assert isinstance(target, pl.DataFrame)
    return frame.with_columns(
        pl.col("tier").fill_null(1),
        pl.col("categories").fill_null(""),
        *(pl.col(k).fill_null(0) for k in CLAIM_FEN),
        *(pl.col(k).str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False) for k in CLAIM_DATES),
    ).select(pl.col(n).cast(t) for n, t in target.schema.items())


def persons_frame(session: Session, codes: list[str], year: int) -> pl.DataFrame:
    """psn_no, township, categories (valid in the year), sex, birth_date: the scan's frame."""
    from yibao.store.reviews import persons_frame as review_persons

    return review_persons(session, codes, year)


def people_frame(session: Session, codes: list[str], year: int) -> pl.DataFrame:
    """The persons enrolled in the year (compare's population): psn_no, tier (the enrollment's),
    categories and township. Enrollments in one query, joined to ``persons_frame``."""
    e = Enrollment.__table__
    enrolled = pl.DataFrame(
        session.connection()
        .execute(
            select(e.c.psn_no, e.c.tier)
            .where(e.c.year == year, e.c.insuplc_admdvs.in_(codes), e.c.status == "enrolled")
            .order_by(e.c.psn_no, e.c.id)
        )
        .all(),
        schema={"psn_no": pl.String, "tier": pl.Int64},
        orient="row",
    ).unique("psn_no", keep="last", maintain_order=True)
    people = persons_frame(session, codes, year).select("psn_no", "categories", "township")
    return enrolled.join(people, on="psn_no", how="inner").sort("psn_no")


def contributions_frame(
    session: Session, codes: list[str], year: int, quoted: pl.DataFrame
) -> pl.DataFrame:
    """One row per enrolled person: personal_paid and subsidy (资助参保) as the store recorded
    them (every payment, 退费 and 冲正 included, summed by the database), fiscal_subsidy as the
    contribution engine quotes it (``quoted``: psn_no, fiscal_subsidy; the store keeps no
    fiscal figure). A person enrolled without a payment row pays what was quoted."""
    c, p = ContributionPayment.__table__, Person.__table__
    paid = pl.DataFrame(
        session.connection()
        .execute(
            select(c.c.psn_no, func.sum(c.c.personal_paid), func.sum(c.c.assistance_subsidy))
            .join(p, p.c.psn_no == c.c.psn_no)
            .where(c.c.year == year, p.c.insuplc_admdvs.in_(codes))
            .group_by(c.c.psn_no)
        )
        .all(),
        schema={"psn_no": pl.String, "paid": pl.Int64, "paid_subsidy": pl.Int64},
        orient="row",
    )
    recorded = pl.col("paid").is_not_null()
    return (
        quoted.join(paid, on="psn_no", how="left")
        .select(
            "psn_no",
            pl.when(recorded).then("paid").otherwise("personal_paid").alias("personal_paid"),
            pl.when(recorded).then("paid_subsidy").otherwise("subsidy").alias("subsidy"),
            "fiscal_subsidy",
        )
        .sort("psn_no")
    )
