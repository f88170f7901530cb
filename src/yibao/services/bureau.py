"""The bureau's scope: its 统筹区 and current year, configured once (`yibao serve --region
--year`, or YIBAO_REGION / YIBAO_YEAR) and the default of every console form and page.

Kept on the app (``app.state.bureau``) and on its database sessions (``session.info[BUREAU_KEY]``),
so that the console's store queries find it without importing the application."""

from __future__ import annotations

import os
from dataclasses import dataclass

from yibao.policy import PolicyError, PolicyLibrary

BUREAU_KEY = "yibao.bureau"


@dataclass(frozen=True)
class Bureau:
    """The bureau's 统筹区 (a region with policy files of its own) and current year (None:
    not configured, pages choose as without a bureau)."""

    region: str
    year: int | None


def bureau_scope(library: PolicyLibrary, region: str | None, year: int | None) -> Bureau | None:
    """The bureau's scope from the arguments, else YIBAO_REGION / YIBAO_YEAR; a PolicyError
    (stopping the server at start) for an unknown region or a year without a policy file."""
    region = region or os.environ.get("YIBAO_REGION", "").strip() or None
    if year is None and os.environ.get("YIBAO_YEAR", "").strip():
        text = os.environ["YIBAO_YEAR"].strip()
        if not text.isdigit():
            raise PolicyError(f"YIBAO_YEAR: {text!r} is not a year")
        year = int(text)
    if region is None:
        if year is not None:
            raise PolicyError(f"year {year}: the bureau's year needs its region (--region)")
        return None
    owner = library.policy_region(library.regions.get(region).code)
    if owner.code != region:
        raise PolicyError(
            f"region {region}: no policy files of its own (its 统筹区 is {owner.code} {owner.name})"
        )
    years = library.years_of(region)
    if year is not None and year not in years:
        have = ", ".join(str(y) for y in years)
        raise PolicyError(f"year {year}: no policy file for region {region} (have {have})")
    return Bureau(region, year)
