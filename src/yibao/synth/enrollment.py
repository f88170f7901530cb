"""Synthetic enrollment events and contributions for a simulated population.

The dates and amounts come from the engine, not from here: coverage dates from
``engine.eligibility.coverage_for`` and the money from ``engine.contribution.quote``, called once
per distinct case (a few hundred calls for a county) and joined back to the people.
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
    rng: np.random.Generator, persons: pl.DataFrame, policy: Policy, calib: Calibration
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(enrollments, contributions): one 390 row per enrolled person (and a few 310 rows
    elsewhere) with coverage dates; what each enrolled person paid and who subsidised it."""
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

    money = contributions(frame.select("psn_no", "categories", "tier"), policy)
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


def contributions(people: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    """Contribution of each enrolled person (fen): the engine's quote per (tier, categories)."""
    combos = people.select("tier", "categories").unique()
    rows = []
    for tier, categories in combos.iter_rows():
        q = quote(policy, [c for c in categories.split("|") if c], str(tier))
        shares = q.fiscal_shares
        rows.append(
            {
                "tier": tier,
                "categories": categories,
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
            }
        )
    table = pl.DataFrame(rows, schema_overrides={"tier": people.schema["tier"]})
    return (
        people.join(table, on=["tier", "categories"], how="left")
        .with_columns(pl.lit(policy.meta.code).alias("admdvs"), pl.lit(policy.meta.year).alias("year"))
        .select(
            "psn_no", "admdvs", "year", "tier", "categories", "standard", "personal_paid", "subsidy",
            "subsidy_category", "subsidy_fund", "fiscal_subsidy", "fiscal_central",
            "fiscal_provincial", "fiscal_municipal", "fiscal_county",
        )
    )  # fmt: skip
