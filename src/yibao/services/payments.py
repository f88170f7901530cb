"""参保缴费 as a record (issue 13): each payment is its own row, checked against the quote.

- 缴费: the amounts the contribution engine quotes for the person-year (personal part and the
  资助参保 subsidy with its paying fund); one per person-year.
- 补缴 / 退费: an amount that differs from the quote, with its reason (补缴 adds, 退费 gives
  back no more than was paid).
- 冲正: undoes one earlier record entirely (``refers_to``), with its reason; a 冲正 cannot be
  undone by another, and a record is undone at most once.

Rules of the notices (each refusal names the field and cites the clause):
- 内蒙古 一: a person-year that paid less than the standard the next year's policy names
  (``previous_year_shortfall_standard``: 380 元 for 2023) is made up in the next collection by a
  补缴 of exactly the shortfall, recorded for the year it makes up, the clause in its reason.
- 彭水 三（一）1 不再差额资助 (``no_top_up_after_change``): once a person-year has paid, a 补缴
  of subsidy (the difference a later category would give) is refused. The same clause fixes the
  subsidy 按参保缴费时就高身份确定: a new 缴费 after a 冲正 redoes that 参保缴费, so it is quoted
  with the categories as of the first 缴费 of the person-year (its reason cites the clause), not
  with a category the person gained since (the 冲正 + 缴费 way round 不再差额资助).
- 持居住证 (the register's ``resident_permit``): the quote gives the locals' fiscal subsidy where
  the policy says so, and is refused where it does not.
- A 缴费 may buy a commercial supplement (彭水 渝快保, ``supplement_product``): its subsidy and
  paying fund are recorded apart from the 资助参保.

``payment_id`` (税务票据号 or another payment id) is the idempotency key: the same request again
returns the first record; the same id with other content is a Conflict. A payment for a person
or year with no enrollment is refused. Amounts are integer fen, signed (退费 and 冲正 negative).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yibao.engine.contribution import Quote, QuoteError, quote
from yibao.money import fen_to_json, format_yuan
from yibao.policy import Policy, PolicyError, PolicyLibrary
from yibao.store import audit, persons
from yibao.store.audit import Actor
from yibao.store.errors import Conflict, Invalid, NotFound
from yibao.store.models import ContributionPayment, Enrollment

Kind = Literal["缴费", "补缴", "退费", "冲正"]
KINDS: tuple[Kind, ...] = ("缴费", "补缴", "退费", "冲正")


@dataclass(frozen=True)
class PaymentRequest:
    """A payment as received (fen). Amounts left None take the quote (缴费) or the record
    referred to (冲正); 补缴 and 退费 state theirs (positive numbers; 退费 is stored negative)."""

    psn_no: str
    year: int
    payment_id: str
    paid_on: dt.date
    kind: Kind = "缴费"
    personal_paid: int | None = None
    assistance_subsidy: int | None = None
    reason: str = ""
    refers_to: str | None = None
    channel: str = ""
    supplement_product: str | None = None  # 缴费 only: the 渝快保 product bought with it


@dataclass(frozen=True)
class Recorded:
    row: ContributionPayment
    replayed: bool


def default_payment_id(psn_no: str, year: int) -> str:
    """The key of a person-year's 缴费 when the caller has no 票据号: one 缴费 per person-year,
    so the same request twice is the same payment."""
    return f"{psn_no}-{year}-JF"


def quote_day(year: int, paid_on: dt.date) -> dt.date:
    """The day whose categories decide the subsidy: the payment day, but not before 1 January
    of the coverage year (payments of the collection period use the roster of the year)."""
    return max(paid_on, dt.date(year, 1, 1))


def quote_for(
    session: Session,
    library: PolicyLibrary,
    enrollment: Enrollment,
    paid_on: dt.date,
    supplement_product: str | None = None,
    categories_as_of: dt.date | None = None,
) -> Quote:
    """The contribution engine's quote for an enrolled person-year (with the previous year's
    shortfall where the policy collects it and the person was enrolled that year), with the
    categories of ``categories_as_of`` (default: the payment day) and the person's 持居住证."""
    person = persons.get_person(session, enrollment.psn_no)
    day = quote_day(enrollment.year, categories_as_of or paid_on)
    categories = persons.categories_on(person, day)
    policy = library.resolve(enrollment.insuplc_admdvs, enrollment.year)
    previous = None
    last_year = enrollment.year - 1
    if (
        policy.financing.previous_year_shortfall_standard.value is not None
        and persons.enrollment_for(session, enrollment.psn_no, last_year) is not None
    ):
        previous = sum(net_paid(session, enrollment.psn_no, last_year))
    try:
        return quote(
            policy,
            categories,
            str(enrollment.tier),
            resident_permit=person.resident_permit,
            supplement_product=supplement_product,
            previous_year_paid=previous,
        )
    except QuoteError as exc:
        raise Invalid(str(exc)) from None


def payment_document(row: ContributionPayment) -> dict[str, Any]:
    return {
        "payment_id": row.payment_id,
        "psn_no": row.psn_no,
        "year": row.year,
        "kind": row.kind,
        "personal_paid": fen_to_json(row.personal_paid),
        "assistance_subsidy": fen_to_json(row.assistance_subsidy),
        "subsidy_fund": row.subsidy_fund,
        "applied_category": row.applied_category,
        "quoted_personal": None
        if row.quoted_personal is None
        else fen_to_json(row.quoted_personal),
        "quoted_subsidy": None if row.quoted_subsidy is None else fen_to_json(row.quoted_subsidy),
        "supplement_product": row.supplement_product,
        "supplement_subsidy": fen_to_json(row.supplement_subsidy),
        "supplement_fund": row.supplement_fund,
        "reason": row.reason,
        "refers_to": row.refers_to,
        "paid_on": row.paid_on.isoformat(),
        "channel": row.channel,
        "created_by": row.created_by,
    }


def payments_of(
    session: Session, psn_no: str, year: int | None = None
) -> list[ContributionPayment]:
    stmt = select(ContributionPayment).where(ContributionPayment.psn_no == psn_no)
    if year is not None:
        stmt = stmt.where(ContributionPayment.year == year)
    return list(session.scalars(stmt.order_by(ContributionPayment.year, ContributionPayment.id)))


def net_paid(session: Session, psn_no: str, year: int) -> tuple[int, int]:
    """(personal, subsidy) paid net of 退费 and 冲正, fen."""
    personal, subsidy = session.execute(
        select(
            func.coalesce(func.sum(ContributionPayment.personal_paid), 0),
            func.coalesce(func.sum(ContributionPayment.assistance_subsidy), 0),
        ).where(ContributionPayment.psn_no == psn_no, ContributionPayment.year == year)
    ).one()
    return int(personal), int(subsidy)


def record_payment(
    session: Session, library: PolicyLibrary, request: PaymentRequest, actor: Actor
) -> Recorded:
    """Record one payment (see the module docstring); inside the caller's transaction."""
    persons.get_person(session, request.psn_no)
    if request.kind not in KINDS:
        raise Invalid(f"kind: 应为 {'、'.join(KINDS)} 之一，收到 {request.kind!r}")
    existing = session.scalar(
        select(ContributionPayment).where(ContributionPayment.payment_id == request.payment_id)
    )
    enrollment = persons.enrollment_for(session, request.psn_no, request.year)
    if enrollment is None:
        raise Invalid(
            f"year: 人员 {request.psn_no} 无 {request.year} 年度参保登记，不能登记缴费"
            "（请先办理参保登记）"
        )
    if existing is not None:
        if _same(existing, request):
            return Recorded(existing, replayed=True)
        raise Conflict(
            f"payment_id: 票据号 {request.payment_id} 已登记为另一笔缴费"
            f"（{existing.psn_no} {existing.year}年度 {existing.kind} "
            f"{format_yuan(existing.personal_paid)}元）"
        )
    row = _new_row(session, library, enrollment, request, actor)
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "pay",
        "payment",
        row.payment_id,
        after=payment_document(row),
    )
    return Recorded(row, replayed=False)


def _same(stored: ContributionPayment, request: PaymentRequest) -> bool:
    """Is ``request`` a retry of the stored record? Same fields, and the same amounts where the
    request states them (stored signed: 退费 and 冲正 negative)."""
    sign = -1 if stored.kind in ("退费", "冲正") else 1
    fields = (
        stored.psn_no == request.psn_no,
        stored.year == request.year,
        stored.kind == request.kind,
        stored.paid_on == request.paid_on,
        stored.channel == request.channel,
        _same_reason(stored.reason, request.reason.strip()),
        stored.refers_to == request.refers_to,
        request.supplement_product is None
        or stored.supplement_product == request.supplement_product.strip(),
    )
    amounts = (
        stated is None or sign * stated == value
        for stated, value in (
            (request.personal_paid, stored.personal_paid),
            (request.assistance_subsidy, stored.assistance_subsidy),
        )
    )
    return all(fields) and all(amounts)


CITED = "（依据 "


def _same_reason(stored: str, stated: str) -> bool:
    """The stored reason is the stated one, or it with the clause the system cited appended."""
    return stored == stated or (stored.startswith(stated + CITED) and stored.endswith("）"))


def _new_row(
    session: Session,
    library: PolicyLibrary,
    enrollment: Enrollment,
    request: PaymentRequest,
    actor: Actor,
) -> ContributionPayment:
    if request.supplement_product is not None and request.kind != "缴费":
        raise Invalid("supplement_product: 只有缴费可同时购买商业补充保险（渝快保）")
    first_paid, cited = _categories_fixed_on(session, library, enrollment, request)
    due = quote_for(
        session, library, enrollment, request.paid_on, request.supplement_product, first_paid
    )
    base = {
        "payment_id": request.payment_id,
        "psn_no": request.psn_no,
        "year": request.year,
        "kind": request.kind,
        "paid_on": request.paid_on,
        "channel": request.channel,
        "reason": request.reason.strip() + cited,
        "refers_to": request.refers_to,
        "quoted_personal": due.personal_due,
        "quoted_subsidy": due.assistance_subsidy,
        "created_by": actor.name,
    }
    for name in ("personal_paid", "assistance_subsidy"):
        value = getattr(request, name)
        if value is not None and value < 0:
            raise Invalid(f"{name}: 金额不能为负（退费、冲正按正数填写，系统记为负数）")
    if request.kind != "缴费" and not base["reason"]:
        raise Invalid(f"reason: {request.kind}须填写原因")
    supplement: dict[str, Any] = {
        "supplement_product": "",
        "supplement_subsidy": 0,
        "supplement_fund": "",
    }
    if request.kind == "缴费":
        amounts = _as_quoted(session, request, due)
        fund, category = due.subsidy_fund or "", due.applied_category
        if due.supplement is not None:
            supplement = {
                "supplement_product": due.supplement.product,
                "supplement_subsidy": due.supplement.subsidy,
                "supplement_fund": due.supplement.fund,
            }
    elif request.kind == "冲正":
        original = _reversible(session, request)
        amounts = (-original.personal_paid, -original.assistance_subsidy)
        fund, category = original.subsidy_fund, original.applied_category
        supplement = {
            "supplement_product": original.supplement_product,
            "supplement_subsidy": -original.supplement_subsidy,
            "supplement_fund": original.supplement_fund,
        }
    else:
        amounts = _adjustment(session, request)
        if request.kind == "补缴":
            policy = library.resolve(enrollment.insuplc_admdvs, enrollment.year)
            _no_top_up(session, policy, request, due)
            base["reason"] += _shortfall_makeup(session, library, enrollment, request)
        fund, category = due.subsidy_fund or "", due.applied_category
    personal, subsidy = amounts
    return ContributionPayment(
        **base,
        **supplement,
        personal_paid=personal,
        assistance_subsidy=subsidy,
        subsidy_fund=fund if subsidy else "",
        applied_category=category,
    )


def _categories_fixed_on(
    session: Session, library: PolicyLibrary, enrollment: Enrollment, request: PaymentRequest
) -> tuple[dt.date | None, str]:
    """彭水 三（一）1: 享受资助参保的标准，按参保缴费时就高身份确定；身份发生变化的，不再进行差额资助.
    A 缴费 of a person-year that already had one (since undone by a 冲正) redoes that 参保缴费:
    its categories are those as of the first 缴费's day. Returns that day (None: the rule does
    not apply, or this is the first 缴费) and the citation appended to the reason."""
    if request.kind != "缴费":
        return None, ""
    policy = library.resolve(enrollment.insuplc_admdvs, enrollment.year)
    rule = policy.assistance_subsidy.no_top_up_after_change
    if not rule.value:
        return None, ""
    first = session.scalar(
        select(func.min(ContributionPayment.paid_on)).where(
            ContributionPayment.psn_no == request.psn_no,
            ContributionPayment.year == request.year,
            ContributionPayment.kind == "缴费",
            ContributionPayment.payment_id != request.payment_id,
        )
    )
    if first is None:
        return None, ""
    return first, (
        f"{CITED}{rule.cite()}：冲正后重新缴费，按原缴费日 {first.isoformat()} 的身份测算资助，"
        "不再差额资助）"
    )


def _paid_record(session: Session, psn_no: str, year: int) -> ContributionPayment | None:
    """The person-year's 缴费 that stands (not undone by a 冲正)."""
    rows = session.scalars(
        select(ContributionPayment).where(
            ContributionPayment.psn_no == psn_no,
            ContributionPayment.year == year,
            ContributionPayment.kind == "缴费",
        )
    )
    return next((r for r in rows if not _undone(session, r.payment_id)), None)


def _no_top_up(session: Session, policy: Policy, request: PaymentRequest, due: Quote) -> None:
    """彭水 三（一）1: 享受资助参保后人员身份发生变化的，不再进行差额资助."""
    rule = policy.assistance_subsidy.no_top_up_after_change
    if not rule.value or not request.assistance_subsidy:
        return
    paid = _paid_record(session, request.psn_no, request.year)
    if paid is None:
        return
    raise Invalid(
        f"assistance_subsidy: {request.psn_no} {request.year}年度已于 {paid.paid_on.isoformat()} "
        f"缴费（资助 {format_yuan(paid.assistance_subsidy)}元，按当时身份 "
        f"{paid.applied_category or '无资助身份'}），现按身份测算资助 "
        f"{format_yuan(due.assistance_subsidy)}元；享受资助参保后人员身份发生变化的，"
        f"不再进行差额资助（{rule.cite()}）"
    )


def _shortfall_makeup(
    session: Session, library: PolicyLibrary, enrollment: Enrollment, request: PaymentRequest
) -> str:
    """内蒙古 一: where the next year's policy collects this year's shortfall and the person-year
    is short, the 补缴 must be exactly the shortfall (personal, no subsidy); returns the citation
    appended to the reason ("" when the rule does not apply)."""
    try:
        following = library.resolve(enrollment.insuplc_admdvs, request.year + 1)
    except PolicyError:
        return ""
    fin = following.financing
    standard = fin.previous_year_shortfall_standard
    if standard.value is None:
        return ""
    paid = sum(net_paid(session, request.psn_no, request.year))
    if paid >= standard.value:
        return ""
    shortfall = standard.value - paid
    cite = standard.cite()
    if fin.previous_year_shortfall_per_person.value and (
        (request.personal_paid or 0) != shortfall or request.assistance_subsidy
    ):
        raise Invalid(
            f"personal_paid: {request.psn_no} {request.year}年度已缴 {format_yuan(paid)}元，"
            f"未达到 {format_yuan(standard.value)}元，补缴应为差额 {format_yuan(shortfall)}元"
            f"（个人缴纳），收到个人 {format_yuan(request.personal_paid or 0)}元、"
            f"资助 {format_yuan(request.assistance_subsidy or 0)}元（{cite}）"
        )
    return f"{CITED}{cite}）"


def _as_quoted(session: Session, request: PaymentRequest, due: Quote) -> tuple[int, int]:
    if request.refers_to:
        raise Invalid("refers_to: 只有冲正须指明原缴费记录")
    personal = due.personal_due if request.personal_paid is None else request.personal_paid
    subsidy = (
        due.assistance_subsidy if request.assistance_subsidy is None else request.assistance_subsidy
    )
    if (personal, subsidy) != (due.personal_due, due.assistance_subsidy):
        raise Invalid(
            f"personal_paid: 与测算金额不符：应缴个人 {format_yuan(due.personal_due)}元、"
            f"资助 {format_yuan(due.assistance_subsidy)}元，收到个人 {format_yuan(personal)}元、"
            f"资助 {format_yuan(subsidy)}元；金额不同须按 补缴 / 退费 / 冲正 登记并填写原因"
        )
    earlier = session.scalar(
        select(ContributionPayment).where(
            ContributionPayment.psn_no == request.psn_no,
            ContributionPayment.year == request.year,
            ContributionPayment.kind == "缴费",
            ContributionPayment.payment_id != request.payment_id,
        )
    )
    if earlier is not None and not _undone(session, earlier.payment_id):
        raise Conflict(
            f"payment_id: {request.psn_no} {request.year}年度已缴费（票据号 {earlier.payment_id}），"
            "差额请按 补缴 / 退费 登记，错误的记录请 冲正"
        )
    return personal, subsidy


def _undone(session: Session, payment_id: str) -> bool:
    return (
        session.scalar(
            select(ContributionPayment.id).where(
                ContributionPayment.kind == "冲正", ContributionPayment.refers_to == payment_id
            )
        )
        is not None
    )


def _reversible(session: Session, request: PaymentRequest) -> ContributionPayment:
    if not request.refers_to:
        raise Invalid("refers_to: 冲正须指明被冲正记录的票据号")
    original = session.scalar(
        select(ContributionPayment).where(ContributionPayment.payment_id == request.refers_to)
    )
    if original is None:
        raise NotFound(f"refers_to: 无票据号为 {request.refers_to} 的缴费记录")
    if (original.psn_no, original.year) != (request.psn_no, request.year):
        raise Invalid(
            f"refers_to: 票据号 {request.refers_to} 属于 {original.psn_no} {original.year}年度"
        )
    if original.kind == "冲正":
        raise Invalid("refers_to: 冲正记录不能再冲正")
    if _undone(session, original.payment_id):
        raise Conflict(f"refers_to: 票据号 {request.refers_to} 已被冲正")
    stated = (request.personal_paid, request.assistance_subsidy)
    expected = (original.personal_paid, original.assistance_subsidy)
    for got, want, name in zip(
        stated, expected, ("personal_paid", "assistance_subsidy"), strict=True
    ):
        if got is not None and got != want:
            raise Invalid(f"{name}: 冲正金额须等于原记录金额 {format_yuan(want)}元")
    return original


def _adjustment(session: Session, request: PaymentRequest) -> tuple[int, int]:
    if request.refers_to:
        raise Invalid("refers_to: 只有冲正须指明原缴费记录")
    personal = request.personal_paid or 0
    subsidy = request.assistance_subsidy or 0
    if personal == 0 and subsidy == 0:
        raise Invalid(f"personal_paid: {request.kind}金额须大于 0")
    if request.kind == "补缴":
        return personal, subsidy
    paid_personal, paid_subsidy = net_paid(session, request.psn_no, request.year)
    if personal > paid_personal or subsidy > paid_subsidy:
        raise Invalid(
            f"personal_paid: 退费不能超过已缴金额（个人 {format_yuan(paid_personal)}元、"
            f"资助 {format_yuan(paid_subsidy)}元）"
        )
    return -personal, -subsidy
