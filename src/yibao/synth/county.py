"""A synthetic county year: people, households, enrollment, contributions, claims (and, on
request, the fee-detail lines), as polars frames; deterministic for a seed.

``simulate_county`` builds it in memory (the demo uses it directly); ``simulate_chunks`` builds a
large population in chunks of people with distinct ids, so a CLI can write them as it goes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from yibao.policy import default_library
from yibao.policy.loader import PolicyLibrary
from yibao.synth.calibration import Calibration, load_calibration
from yibao.synth.cases import with_case_fields
from yibao.synth.claims import claim_table, simulate_claims
from yibao.synth.enrollment import simulate_enrollments
from yibao.synth.fee_detail import empty_fee_detail, simulate_fee_detail
from yibao.synth.places import townships
from yibao.synth.population import PopulationSpec, simulate_population

TABLES = ("households", "persons", "enrollments", "contributions", "claims", "fee_detail")
Progress = Callable[[str], None]


class SimulationError(ValueError):
    pass


@dataclass(frozen=True)
class SyntheticYear:
    region: str
    year: int
    seed: int
    households: pl.DataFrame
    persons: pl.DataFrame
    enrollments: pl.DataFrame
    contributions: pl.DataFrame
    claims: pl.DataFrame  # CLAIM_SCHEMA columns, fen
    fee_detail: pl.DataFrame = field(default_factory=empty_fee_detail)

    def tables(self) -> dict[str, pl.DataFrame]:
        return {name: getattr(self, name) for name in TABLES}

    def counts(self) -> dict[str, int]:
        return {name: frame.height for name, frame in self.tables().items()}


def simulate_county(
    region: str,
    year: int,
    persons: int,
    seed: int = 0,
    *,
    fee_detail: bool = False,
    offset: int = 0,
    library: PolicyLibrary | None = None,
    calibration: Calibration | None = None,
    progress: Progress | None = None,
) -> SyntheticYear:
    """One region's synthetic year, in memory. ``offset`` numbers the people from there, so
    chunks of one large population do not collide; each chunk draws from (seed, offset)."""
    if persons <= 0:
        raise SimulationError(f"persons: must be positive, got {persons}")
    library = library or default_library()
    calib = calibration or load_calibration()
    policy = library.resolve(region, year)
    step = progress or (lambda _: None)
    # Independent streams per stage: asking for the fee detail does not change the claims. The
    # fifth (渝快保 purchases) was added later: spawn keeps the first four as they were.
    streams = np.random.SeedSequence([seed, offset]).spawn(5)
    rng_people, rng_enrol, rng_claims, rng_detail, rng_supplement = (
        np.random.default_rng(s) for s in streams
    )

    spec = PopulationSpec(
        region=region,
        year=year,
        persons=persons,
        townships=townships(region, library.regions),
        has_tier2="2" in policy.financing.personal_contribution.value,
        offset=offset,
    )
    households, people = simulate_population(rng_people, spec, calib)
    step("persons")
    enrollments, contributions = simulate_enrollments(
        rng_enrol, people, policy, calib, rng_supplement
    )
    step("enrollments")
    # The 病案首页 of the inpatient claims are drawn from their own stream (a hash of setl_id,
    # synth.cases): every draw above is as it was without them.
    claims = with_case_fields(simulate_claims(rng_claims, people, enrollments, policy, calib))
    step("claims")
    detail = simulate_fee_detail(rng_detail, claims) if fee_detail else empty_fee_detail()
    if fee_detail:
        step("fee_detail")
    return SyntheticYear(
        region=region,
        year=year,
        seed=seed,
        households=households,
        persons=people,
        enrollments=enrollments,
        contributions=contributions,
        claims=claim_table(claims),
        fee_detail=detail,
    )


def simulate_chunks(
    region: str,
    year: int,
    persons: int,
    seed: int = 0,
    *,
    chunk: int = 250_000,
    fee_detail: bool = False,
    library: PolicyLibrary | None = None,
) -> Iterator[SyntheticYear]:
    """A large population as successive chunks of at most ``chunk`` people."""
    library = library or default_library()
    calib = load_calibration()
    for offset in range(0, persons, chunk):
        yield simulate_county(
            region, year, min(chunk, persons - offset), seed,
            fee_detail=fee_detail, offset=offset, library=library, calibration=calib,
        )  # fmt: skip
