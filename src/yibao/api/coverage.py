"""Coverage dates for an enrollment, from the eligibility engine (waiting periods, newborns,
transfers, continuation); explicit dates in the request override it."""

from __future__ import annotations

import datetime as dt

from yibao.engine.eligibility import EnrollmentEvent, coverage_for
from yibao.policy import PolicyLibrary
from yibao.store.models import Person
from yibao.store.persons import categories_on


def coverage_of(
    library: PolicyLibrary,
    person: Person,
    *,
    region: str,
    year: int,
    payment_date: dt.date,
    situation: str = "resident",
    previous_coverage_end: dt.date | None = None,
    continuation_event: str | None = None,
) -> tuple[dt.date, dt.date, str]:
    policy = library.resolve(region, year)
    coverage = coverage_for(
        EnrollmentEvent(
            coverage_year=year,
            payment_date=payment_date,
            situation=situation,  # type: ignore[arg-type]
            categories=tuple(categories_on(person, payment_date)),
            previous_coverage_end=previous_coverage_end,
            continuation_event=continuation_event,
            birth_date=person.brdy,
        ),
        policy,
    )
    return coverage.coverage_begin, coverage.coverage_end, coverage.reason
