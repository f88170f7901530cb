"""异地就医备案 as a register (issue 17): record, 撤销, list, and what a claim is on a day.

The register is the authority for 已备案 / 未备案 on the stored settlement paths: a claim treated
outside its 参保地 (``mdtrtarea_admvs`` ≠ 参保地) is paid as the person's 备案 on that day for
that 就医地 says — its kind (``offsite_kind``), or 未备案 when there is none; a claim that itself
claims a 备案 kind the register does not hold is refused (``offsite_kind``). 就医地目录、参保地政策:
the kinds and their reductions are the 参保地's policy (``benefits.offsite_ratio_reduction``).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yibao.policy import PolicyError, PolicyLibrary
from yibao.store import audit
from yibao.store.audit import Actor
from yibao.store.errors import Invalid, NotFound
from yibao.store.filing_models import OffsiteFiling
from yibao.store.filings import UNFILED, covers
from yibao.store.models import Person, utc_now

ADMVS = re.compile(r"^\d{6}$")


def _kinds(library: PolicyLibrary, region: str, year: int) -> list[str]:
    try:
        policy = library.resolve(region, year)
    except (PolicyError, KeyError) as exc:
        raise Invalid(f"begin_date: 参保地 {region} {year} 年无政策文件（{exc}）") from exc
    return [k for k in policy.benefits.offsite_ratio_reduction.value if k != UNFILED]


def record_filing(
    session: Session,
    library: PolicyLibrary,
    psn_no: str,
    kind: str,
    mdtrtarea_admvs: str,
    begin_date: dt.date,
    end_date: dt.date | None,
    actor: Actor,
    note: str = "",
) -> OffsiteFiling:
    """A 备案, checked: the person exists; the kind is one the 参保地's policy of the begin year
    lists; the 就医地 is a 行政区划代码 outside the 参保地; the dates are in order."""
    person = session.get(Person, psn_no)
    if person is None:
        raise NotFound(f"psn_no: 无此参保人员 {psn_no}")
    kinds = _kinds(library, person.insuplc_admdvs, begin_date.year)
    if kind not in kinds:
        raise Invalid(f"kind: 备案类别 {kind!r} 不在参保地政策之列（{'、'.join(kinds)}）")
    if not ADMVS.match(mdtrtarea_admvs):
        raise Invalid(f"mdtrtarea_admvs: 就医地应为6位行政区划代码，收到 {mdtrtarea_admvs!r}")
    if covers(mdtrtarea_admvs, person.insuplc_admdvs) or covers(
        person.insuplc_admdvs, mdtrtarea_admvs
    ):
        raise Invalid(
            f"mdtrtarea_admvs: {mdtrtarea_admvs} 在参保地 {person.insuplc_admdvs} 之内，无需备案"
        )
    if end_date is not None and end_date < begin_date:
        raise Invalid("end_date: 早于 begin_date")
    filing = OffsiteFiling(
        psn_no=psn_no,
        kind=kind,
        mdtrtarea_admvs=mdtrtarea_admvs,
        begin_date=begin_date,
        end_date=end_date,
        note=note,
        created_by=actor.name,
    )
    session.add(filing)
    session.flush()
    audit.record(session, actor, "offsite_filing", "person", psn_no, after=filing_document(filing))
    return filing


def revoke_filing(session: Session, filing_id: int, actor: Actor) -> OffsiteFiling:
    """撤销 a 备案 (it stays, marked): claims settled from then on no longer take it."""
    filing = session.get(OffsiteFiling, filing_id)
    if filing is None:
        raise NotFound(f"filing_id: 无此备案 {filing_id}")
    if filing.revoked_at is not None:
        raise Invalid(f"filing_id: 备案 {filing_id} 已于 {filing.revoked_at:%Y-%m-%d} 撤销")
    before = filing_document(filing)
    filing.revoked_at, filing.revoked_by = utc_now(), actor.name
    audit.record(
        session,
        actor,
        "offsite_filing_revoke",
        "person",
        filing.psn_no,
        before,
        filing_document(filing),
    )
    return filing


def filings_of(session: Session, psn_no: str) -> list[OffsiteFiling]:
    if session.get(Person, psn_no) is None:
        raise NotFound(f"psn_no: 无此参保人员 {psn_no}")
    query = (
        select(OffsiteFiling)
        .where(OffsiteFiling.psn_no == psn_no)
        .order_by(OffsiteFiling.begin_date, OffsiteFiling.id)
    )
    return list(session.scalars(query))


def filing_document(f: OffsiteFiling) -> dict[str, Any]:
    return {
        "filing_id": f.id,
        "psn_no": f.psn_no,
        "kind": f.kind,
        "mdtrtarea_admvs": f.mdtrtarea_admvs,
        "begin_date": f.begin_date.isoformat(),
        "end_date": f.end_date.isoformat() if f.end_date else None,
        "note": f.note,
        "created_by": f.created_by,
        "status": "已撤销" if f.revoked_at else "有效",
        "revoked_at": f.revoked_at.isoformat() if f.revoked_at else None,
        "revoked_by": f.revoked_by,
    }
