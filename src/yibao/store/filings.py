"""异地就医备案 on the settlement paths (issue 17): the register says what a claim treated outside
its 参保地 is — the person's 备案 kind on that day for that 就医地, or 未备案. Recording and
撤销 are ``services.filings``; the table is ``store.filing_models``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, select

from yibao.store.errors import Invalid
from yibao.store.filing_models import OffsiteFiling

UNFILED = "未备案"


def covers(area: str, place: str) -> bool:
    """Does a 备案 for ``area`` (a county, city or province code) cover treatment at ``place``?
    A province code ends in 0000, a city's in 00."""
    for digits in (2, 4):
        if area.endswith("0" * (6 - digits)) and place[:digits] == area[:digits]:
            return True
    return area == place


def active_filings(conn: Connection, psn_nos: Iterable[str]) -> dict[str, list[Any]]:
    """The 备案 not 撤销'd of these persons (one query), by psn_no."""
    wanted = sorted(set(psn_nos))
    if not wanted:
        return {}
    t = OffsiteFiling.__table__
    rows = conn.execute(
        select(t.c.psn_no, t.c.kind, t.c.mdtrtarea_admvs, t.c.begin_date, t.c.end_date)
        .where(t.c.psn_no.in_(wanted), t.c.revoked_at.is_(None))
        .order_by(t.c.begin_date.desc(), t.c.id.desc())
    )
    out: dict[str, list[Any]] = {}
    for r in rows:
        out.setdefault(r.psn_no, []).append(r)
    return out


def kind_on(filings: list[Any], place: str, day: dt.date) -> str:
    """The 备案 kind covering treatment at ``place`` on ``day`` (the latest begun), or 未备案."""
    for f in filings:
        valid = f.begin_date <= day and (f.end_date is None or day <= f.end_date)
        if valid and covers(f.mdtrtarea_admvs, place):
            return str(f.kind)
    return UNFILED


def offsite_from_register(
    row: Mapping[str, Any], claim: dict[str, Any], filings: list[Any], student_places: list[str]
) -> None:
    """The claim's offsite_kind as the register says (in place): for a claim whose 就医地
    (``row['mdtrtarea_admvs']``) is outside its 参保地; a claim's own 备案 kind must be the
    register's (a 池州 二、9 student place kind is the claim's to say: the engine checks it)."""
    place = str(row.get("mdtrtarea_admvs") or "")
    sent = str(row.get("offsite_kind") or "")
    home = str(claim["insuplc_admdvs"])
    if sent in student_places:
        return
    if not place or covers(home, place):
        if sent and sent != UNFILED:
            raise Invalid(
                f"offsite_kind: {sent} 须同时给出参保地以外的就医地 mdtrtarea_admvs（备案按就医地登记）"
            )
        if place:  # treated at home: local, whatever was sent
            claim["offsite_kind"] = None
        return
    day = claim.get("begndate") or claim["setl_time"].date()
    registered = kind_on(filings, place, day)
    if sent and sent not in (registered, UNFILED):  # (a sender's 未备案 gives way to a 备案)
        raise Invalid(
            f"offsite_kind: {sent} 与参保地备案登记不符（{day} 在 {place} 就医：{registered}）"
        )
    claim["offsite_kind"] = registered
