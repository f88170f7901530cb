"""Synthetic enrollment events and contributions for a simulated population.

The dates and amounts come from the engine, not from here: coverage dates from
``engine.eligibility.coverage_for`` and the money from ``engine.contribution.quote``, called once
per distinct case (a few hundred calls for a county) and joined back to the people.

A commercial supplement (彭水 三（一）3 渝快保) is bought, or not, by the persons the quote gives a
supplement group for, with the assumed shares of ``commercial_supplement_uptake``, from a stream of
its own (``rng_supplement``): the other draws, and so the claims, do not depend on it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from yibao.categories import EIGHT_CATEGORIES
from yibao.engine.contribution import quote
from yibao.engine.eligibility import EnrollmentEvent, collection_period, coverage_for
from yibao.policy.model import Policy
from yibao.synth.calibration import Calibration

# Our event labels (enrollment table) and the eligibility engine's situations.
EVENTS = {
    "集中参保": "resident",
    "补缴": "resident",
    "接续": "continuation",
    "迁入": "transfer_in",
    "新生儿": "newborn",
}
# Where the few people also insured as employees (职工医保, 310) are: big labour-importing cities.
EMPLOYEE_ELSEWHERE = ("440300", "330100", "500112", "320500")


def _days(start: dt.date, n: int, span: int, rng: np.random.Generator) -> np.ndarray:
    return np.datetime64(start) + rng.integers(0, max(span, 1), size=n).astype("timedelta64[D]")


def simulate_enrollments(
    rng: np.random.Generator,
    persons: pl.DataFrame,
    policy: Policy,
    calib: Calibration,
    rng_supplement: np.random.Generator | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(enrollments, contributions): one 390 row per enrolled person (and a few 310 rows
    elsewhere) with coverage dates; what each enrolled person paid and who subsidised it.
    With ``rng_supplement``, eligible persons buy the region's commercial supplement."""
    year = policy.meta.year
    shares = calib.assumption("enrollment")
    n = persons.height
    cats = persons["categories"].to_numpy()
    priority = np.array([any(c in str(s).split("|") for c in EIGHT_CATEGORIES) for s in cats])
    birth = persons["birth_date"].to_numpy().astype("datetime64[D]")
    year_start = np.datetime64(f"{year}-01-01")
    newborn = birth >= year_start
    # 八类人群应保尽保 (targets.eight_categories_enrollment_rate 100%); others ~96%.
    enrolled = priority | newborn | (rng.random(n) >= shares["not_enrolled_ordinary"])

    u = rng.random(n)
    c1 = shares["event_continuation"]
    c2 = c1 + shares["event_transfer_in"]
    c3 = c2 + shares["event_late"]
    event = np.where(u < c1, "接续", np.where(u < c2, "迁入", np.where(u < c3, "补缴", "集中参保")))
    event = np.where(newborn, "新生儿", event).astype(object)

    col_start, col_end = collection_period(policy)
    pay = _days(col_start, n, (col_end - col_start).days + 1, rng)
    in_year = _days(dt.date(year, 1, 15), n, 300, rng)
    late = np.isin(event, ["接续", "迁入", "补缴"])
    pay = np.where(late, in_year, pay)
    # Newborns pay within about four months of birth (some after the 90-day grace).
    newborn_pay = birth + rng.integers(0, 120, size=n).astype("timedelta64[D]")
    year_end = np.datetime64(f"{year}-12-31")
    pay = np.where(newborn, np.minimum(newborn_pay, year_end), pay)
    # 接续: the old (employee) coverage ended 1..150 days before payment.
    previous_end = pay - rng.integers(1, 150, size=n).astype("timedelta64[D]")
    events_list = policy.enrollment.continuation_events.value
    cont_event = np.array(events_list, dtype=object)[rng.integers(0, len(events_list), size=n)]

    frame = (
        persons.select("psn_no", "certno", "categories", "tier", "birth_date")
        .with_columns(
            pl.Series("event", event, dtype=pl.String),
            pl.Series("paid_date", pay.astype("datetime64[D]")),
            pl.Series("previous_end", previous_end.astype("datetime64[D]")),
            pl.Series("continuation_event", cont_event, dtype=pl.String),
        )
        .filter(pl.Series(enrolled))
    )

    # Coverage: one engine call per distinct case.
    keys = ["event", "paid_date", "categories", "birth_date", "previous_end", "continuation_event"]
    on_time = frame["event"] == "集中参保"
    cases = frame.with_columns(
        pl.when(on_time).then(None).otherwise(pl.col(c)).alias(c)
        for c in ("birth_date", "previous_end", "continuation_event", "categories")
    ).select(keys)
    unique = cases.unique()
    begins: list[dt.date] = []
    ends: list[dt.date] = []
    for row in unique.iter_rows(named=True):
        situation = EVENTS[row["event"]]
        cov = coverage_for(
            EnrollmentEvent(
                coverage_year=year,
                payment_date=row["paid_date"],
                situation=situation,  # type: ignore[arg-type]
                categories=tuple(c for c in (row["categories"] or "").split("|") if c),
                previous_coverage_end=row["previous_end"] if situation == "continuation" else None,
                continuation_event=row["continuation_event"]
                if situation == "continuation"
                else None,
                birth_date=row["birth_date"] if situation == "newborn" else None,
            ),
            policy,
        )
        begins.append(cov.coverage_begin)
        ends.append(cov.coverage_end)
    unique = unique.with_columns(pl.Series("begin", begins), pl.Series("end", ends))
    covered = cases.join(unique, on=keys, how="left", nulls_equal=True)

    people = frame.select("psn_no", "categories", "tier")
    if rng_supplement is not None:
        uptake = calib.assumption("commercial_supplement_uptake")
        people = people.with_columns(
            supplement_products(rng_supplement, people["categories"], policy, uptake)
        )
    money = contributions(people, policy)
    resident = pl.DataFrame(
        {
            "psn_no": frame["psn_no"],
            "certno": frame["certno"],
            "insutype": pl.Series(["390"] * frame.height, dtype=pl.String),
            "admdvs": pl.Series([policy.meta.code] * frame.height, dtype=pl.String),
            "year": pl.Series([year] * frame.height, dtype=pl.Int32),
            "begin": covered["begin"],
            "end": covered["end"],
            "paid_date": frame["paid_date"],
            "event": frame["event"],
        }
    ).join(money.select("psn_no", "personal_paid", "subsidy"), on="psn_no", how="left")

    # A few are also employees somewhere else (重复参保 to be found by the enrollment checks).
    dup = frame.filter(pl.Series(rng.random(frame.height) < shares["duplicate_employee_elsewhere"]))
    employees = pl.DataFrame(
        {
            "psn_no": dup["psn_no"],
            "certno": dup["certno"],
            "insutype": pl.Series(["310"] * dup.height, dtype=pl.String),
            "admdvs": pl.Series(
                np.array(EMPLOYEE_ELSEWHERE, dtype=object)[rng.integers(0, 4, size=dup.height)],
                dtype=pl.String,
            ),
            "year": pl.Series([year] * dup.height, dtype=pl.Int32),
            "begin": pl.Series([dt.date(year, 1, 1)] * dup.height, dtype=pl.Date),
            "end": pl.Series([dt.date(year, 12, 31)] * dup.height, dtype=pl.Date),
            "paid_date": pl.Series([dt.date(year, 1, 1)] * dup.height, dtype=pl.Date),
            "event": pl.Series(["职工参保"] * dup.height, dtype=pl.String),
            "personal_paid": pl.Series([0] * dup.height, dtype=pl.Int64),
            "subsidy": pl.Series([0] * dup.height, dtype=pl.Int64),
        }
    )
    enrollments = pl.concat([resident, employees]).sort("psn_no", "insutype", maintain_order=True)
    return enrollments, money


def _names(categories: str | None) -> list[str]:
    return [c for c in (categories or "").split("|") if c]


def supplement_products(
    rng: np.random.Generator,
    categories: pl.Series,
    policy: Policy,
    uptake: dict[str, dict[str, float]],
) -> pl.Series:
    """The commercial supplement product each person buys ("" for none). Eligible: the quote
    gives them a supplement group for one of the policy's products (the first such product's
    group picks the shares); ``uptake``: group → product → share of that group buying it."""
    products = list(policy.assistance_subsidy.commercial_supplement.value)
    group_of: dict[str, str | None] = {}
    for cats in categories.unique().to_list():
        group_of[cats] = None
        for product in products:
            supplement = quote(policy, _names(cats), supplement_product=product).supplement
            if supplement is not None and supplement.group is not None:
                group_of[cats] = supplement.group
                break
    u = rng.random(categories.len())  # drawn for every person, whatever the region
    chosen = np.full(categories.len(), "", dtype=object)
    groups = np.array([group_of[c] or "" for c in categories.to_list()], dtype=object)
    for group, shares in uptake.items():
        if sum(shares.values()) > 1:
            raise ValueError(f"commercial_supplement_uptake.{group}: shares sum above 1")
        mine = groups == group
        low = 0.0
        for product, share in shares.items():
            if product in products:
                chosen[mine & (u >= low) & (u < low + share)] = product
            low += share
    return pl.Series("supplement_product", chosen, dtype=pl.String)


def contributions(people: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    """Contribution of each enrolled person (fen): the engine's quote per (tier, categories,
    supplement_product). ``people`` may carry ``supplement_product`` ("" or absent: none)."""
    if "supplement_product" not in people.columns:
        people = people.with_columns(pl.lit("", dtype=pl.String).alias("supplement_product"))
    keys = ["tier", "categories", "supplement_product"]
    combos = people.select(keys).unique()
    rows = []
    for tier, categories, product in combos.iter_rows():
        q = quote(policy, _names(categories), str(tier), supplement_product=product or None)
        shares = q.fiscal_shares
        supplement = q.supplement
        rows.append(
            {
                "tier": tier,
                "categories": categories,
                "supplement_product": product,
                "standard": q.standard,
                "subsidy": q.assistance_subsidy,
                "personal_paid": q.personal_due,
                "subsidy_category": q.applied_category or "",
                "subsidy_fund": q.subsidy_fund or "",
                "fiscal_subsidy": q.fiscal_subsidy,
                "fiscal_central": shares.central,
                "fiscal_provincial": shares.provincial,
                "fiscal_municipal": shares.municipal,
                "fiscal_county": shares.county,
                "supplement_subsidy": 0 if supplement is None else supplement.subsidy,
                "supplement_fund": "" if supplement is None else supplement.fund,
            }
        )
    table = pl.DataFrame(
        rows,
        schema_overrides={
            "tier": people.schema["tier"],
            "categories": people.schema["categories"],
            "supplement_product": pl.String,
            "supplement_subsidy": pl.Int64,
            "supplement_fund": pl.String,
        },
    )
    return (
        people.join(table, on=keys, how="left", nulls_equal=True)
        .with_columns(pl.lit(policy.meta.code).alias("admdvs"), pl.lit(policy.meta.year).alias("year"))
        .select(
            "psn_no", "admdvs", "year", "tier", "categories", "standard", "personal_paid", "subsidy",
            "subsidy_category", "subsidy_fund", "fiscal_subsidy", "fiscal_central",
            "fiscal_provincial", "fiscal_municipal", "fiscal_county",
            "supplement_product", "supplement_subsidy", "supplement_fund",
        )
    )  # fmt: skip
