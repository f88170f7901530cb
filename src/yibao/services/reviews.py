"""The review workflows as use cases (issue 16), shared by the API, the console and the CLI:

- ``scan`` (both kinds) — run after settlements (``yibao monitor warnings --db``, the console's
  扫描 button, the demo): the engines judge the region-year's stored settlements and their
  results are stored as records (store.warnings, store.reviews), idempotently;
- 预警 steps 核实 / 推送 (民政、乡村振兴) / 处置 / 排除, 监管疑点 steps 开始核查 / 申诉 / 认定
  (违规 with 扣款 in exact fen, or 不违规), each with who, when and a note;
- the paged, filtered lists and a record with its history.

Who may act is checked here as well as at the edges: 审核 and 管理 act, every role reads.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from yibao.categories import CategoryError
from yibao.engine.supervision import run_rules
from yibao.engine.supervision.inputs import FEE_DETAIL_SCHEMA
from yibao.engine.warning import early_warnings
from yibao.money import MoneyError, format_yuan, yuan_to_fen
from yibao.monitoring.rules_file import load_rules
from yibao.policy import PolicyLibrary
from yibao.store import reviews, warnings
from yibao.store.audit import Actor
from yibao.store.errors import Invalid, NotFound
from yibao.store.models import Person
from yibao.store.review_models import ReviewStep
from yibao.store.reviews import Filter

ACT_ROLES = ("审核", "管理")
PUSH_TARGETS = ("民政", "乡村振兴")
FINDINGS = ("违规", "不违规")
NOTE_MAX = 500
# The store keeps claims, not their 费用明细: only the rules that read claims alone run on it
# (the others run in batch over Parquet with the fee-detail file).
CLAIM_ONLY_RULES = ("split_admission", "outpatient_during_stay")
SYSTEM = Actor("系统扫描", "审核")


class Forbidden(PermissionError):
    """403: the user's role may not take this step."""


def may_act(actor: Actor) -> bool:
    return actor.role in ACT_ROLES


def _require(actor: Actor) -> None:
    if not may_act(actor):
        raise Forbidden(f"role: {actor.role}不能办理预警和监管疑点（需要审核或管理角色）")


# ---------------------------------------------------------------- scans
def scope_codes(session: Session, library: PolicyLibrary, region: str) -> list[str]:
    """The 参保地 codes in the store whose policy region is ``region`` (a county without files
    of its own belongs to its city's)."""
    codes = []
    for code in session.scalars(select(Person.insuplc_admdvs).distinct()):
        try:
            if library.policy_region(code).code == region:
                codes.append(code)
        except ValueError:
            continue
    return sorted(codes)


def _policy(library: PolicyLibrary, region: str, year: int) -> Any:
    try:
        return library.resolve(region, year)
    except ValueError as exc:
        raise Invalid(f"region: {region} {year}年没有政策文件（{exc}）") from None


@dataclass(frozen=True)
class ScanInput:
    """What both scans read: the scope's persons and settled claims (read once by ``scan``)."""

    persons: pl.DataFrame
    claims: pl.DataFrame  # settlements_frame(..., claims=True)


def scan_input(session: Session, library: PolicyLibrary, region: str, year: int) -> ScanInput:
    codes = scope_codes(session, library, region)
    return ScanInput(
        reviews.persons_frame(session, codes, year),
        reviews.settlements_frame(session, codes, year, claims=True),
    )


def scan_warnings(
    session: Session,
    library: PolicyLibrary,
    region: str,
    year: int,
    actor: Actor = SYSTEM,
    as_of: dt.date | None = None,
    data: ScanInput | None = None,
) -> dict[str, int]:
    """The warning engine over the region-year's settled claims; results stored (see
    store.warnings). ``as_of``: the day follow-up status is judged on (default 31 December,
    or today if earlier)."""
    _require(actor)
    policy = _policy(library, region, year)
    if data is None:
        codes = scope_codes(session, library, region)
        persons = reviews.persons_frame(session, codes, year)
        settled = reviews.settlements_frame(session, codes, year)
    else:
        persons, settled = data.persons, data.claims
    day = as_of or min(dt.date.today(), dt.date(year, 12, 31))
    try:
        flagged = early_warnings(settled, persons, policy, day)
    except CategoryError as exc:
        raise Invalid(f"categories: {exc}") from None
    result = {
        "settlements": settled.height,
        "flagged": flagged.height,
        **warnings.store_warnings(session, region, year, flagged, actor),
    }
    reviews.record_scan(session, "warning", region, year, actor, result)
    return result


def scan_supervision(
    session: Session,
    library: PolicyLibrary,
    region: str,
    year: int,
    actor: Actor = SYSTEM,
    data: ScanInput | None = None,
) -> dict[str, int]:
    """The claim-only monitoring rules over the region-year's settled claims; hits stored."""
    _require(actor)
    _policy(library, region, year)
    data = data or scan_input(session, library, region, year)
    hits = run_rules(
        data.claims, pl.DataFrame(schema=FEE_DETAIL_SCHEMA), data.persons, load_rules(),
        only=CLAIM_ONLY_RULES,
    )  # fmt: skip
    added, updated = reviews.store_hits(
        session, region, year, hits, data.claims, data.persons, actor
    )
    result = {
        "settlements": data.claims.height,
        "hits": hits.height,
        "added": added,
        "updated": updated,
    }
    reviews.record_scan(session, "supervision", region, year, actor, result)
    return result


def scan(
    session: Session, library: PolicyLibrary, region: str, year: int, actor: Actor = SYSTEM
) -> dict[str, dict[str, int]]:
    """Both scans of a region-year in the caller's transaction, reading the store once (the
    demo's one call after settling)."""
    _require(actor)
    data = scan_input(session, library, region, year)
    return {
        "warnings": scan_warnings(session, library, region, year, actor, data=data),
        "supervision": scan_supervision(session, library, region, year, actor, data=data),
    }


def rules_summary() -> tuple[dict[str, str], list[str]]:
    """rule_id → rule_name from the rules file, and the names of the rules the store's scan
    cannot run (they need 费用明细)."""
    rules = load_rules()
    names = {m.rule_id: m.rule_name for m in rules.meta.values()}
    return names, [rules.meta[k].rule_name for k in rules.meta if k not in CLAIM_ONLY_RULES]


# ---------------------------------------------------------------- steps
def _note(text: str | None, field: str, required: str = "") -> str:
    note = (text or "").strip()
    if required and not note:
        raise Invalid(f"{field}: {required}")
    if len(note) > NOTE_MAX:
        raise Invalid(f"{field}: 不能超过 {NOTE_MAX} 个字（现 {len(note)} 个字）")
    return note


def verify(session: Session, record_id: int, actor: Actor, note: str = "") -> Any:
    """核实: the township confirmed the person's situation."""
    _require(actor)
    text = _note(note, "note", "请填写核实情况")
    return reviews.advance(session, "warning", record_id, "verify", actor, text)


def push(session: Session, record_id: int, actor: Actor, targets: list[str], note: str = "") -> Any:
    """推送 to 民政 and/or 乡村振兴 (彭水 2023 三（三）2: 及时推送)."""
    _require(actor)
    chosen = [t for t in PUSH_TARGETS if t in targets]
    unknown = [t for t in targets if t not in PUSH_TARGETS]
    if unknown or not chosen:
        raise Invalid(f"targets: 请选择推送部门（{'、'.join(PUSH_TARGETS)}）")
    text = _note(note, "note")
    return reviews.advance(
        session, "warning", record_id, "push", actor, text,
        changes={"pushed_to": "、".join(chosen)}, detail={"targets": chosen},
    )  # fmt: skip


def dispose(session: Session, record_id: int, actor: Actor, note: str) -> Any:
    """处置: what was done (救助、帮扶) — the record is closed."""
    _require(actor)
    text = _note(note, "note", "请填写处置情况")
    return reviews.advance(session, "warning", record_id, "dispose", actor, text)


def exclude(session: Session, record_id: int, actor: Actor, reason: str) -> Any:
    """排除 with a reason (e.g. 经核实家庭收入较高，不存在返贫风险) — the record is closed."""
    _require(actor)
    text = _note(reason, "reason", "请填写排除原因")
    return reviews.advance(session, "warning", record_id, "exclude", actor, text)


def start(session: Session, record_id: int, actor: Actor, note: str = "") -> Any:
    """开始核查 of a 监管疑点."""
    _require(actor)
    text = _note(note, "note")
    return reviews.advance(session, "supervision", record_id, "start", actor, text)


def appeal(session: Session, record_id: int, actor: Actor, text: str) -> Any:
    """申诉: the institution's appeal, entered as received."""
    _require(actor)
    body = _note(text, "appeal", "请填写定点机构的申诉内容")
    return reviews.advance(
        session, "supervision", record_id, "appeal", actor, body, changes={"appeal": body}
    )


def decide(
    session: Session,
    record_id: int,
    actor: Actor,
    finding: str,
    deduction: object = None,
    note: str = "",
) -> Any:
    """认定: 违规 with the 扣款 (yuan, two decimals at most; kept in fen; at most what the fund
    paid for the claim), or 不违规 (no 扣款)."""
    _require(actor)
    if finding not in FINDINGS:
        raise Invalid(f"finding: 请选择认定结果（{'、'.join(FINDINGS)}）")
    text = _note(note, "note", "请填写认定意见")
    record = reviews.get(session, "supervision", record_id)
    fen: int | None = None
    if finding == "违规":
        if deduction is None or str(deduction).strip() == "":
            raise Invalid("deduction: 认定违规须填写扣款金额（元，可为 0）")
        try:
            fen = yuan_to_fen(str(deduction).strip().replace(",", ""), "deduction")
        except MoneyError:
            raise Invalid(
                f"deduction: 扣款金额“{deduction}”不是有效金额（元，最多两位小数）"
            ) from None
        if fen < 0:
            raise Invalid("deduction: 扣款金额不能为负数")
        if fen > record.fund_pay_sumamt:
            raise Invalid(
                f"deduction: 扣款 {format_yuan(fen)} 元超过该结算基金支付 "
                f"{format_yuan(record.fund_pay_sumamt)} 元"
            )
    elif deduction not in (None, "") and str(deduction).strip() not in ("", "0", "0.00"):
        raise Invalid("deduction: 认定不违规时不扣款")
    return reviews.advance(
        session, "supervision", record_id, "decide", actor, text,
        changes={"finding": finding, "deduction": fen}, amount=fen,
        detail={"finding": finding},
    )  # fmt: skip


# ---------------------------------------------------------------- reading
@dataclass(frozen=True)
class Listing:
    rows: list[dict[str, Any]]
    total: int
    page_no: int
    pages: int
    per_page: int


def listing(
    session: Session, record_type: str, f: Filter, page_no: int = 1, per_page: int = 50
) -> Listing:
    found, total = reviews.page(session, record_type, f, page_no, per_page)
    rows = [_row(r, name, certno) for r, name, certno in found]
    pages = max((total + per_page - 1) // per_page, 1)
    return Listing(rows, total, page_no, pages, per_page)


def export_rows(session: Session, record_type: str, f: Filter, limit: int) -> list[dict[str, Any]]:
    return [_row(r, n, c) for r, n, c in reviews.all_matching(session, record_type, f, limit)]


def _row(record: Any, name: str, certno: str) -> dict[str, Any]:
    return {**reviews.record_document(record), "psn_name": name, "certno": certno}


def record(session: Session, record_type: str, record_id: int) -> dict[str, Any]:
    """A record with the person's name and ID number and its steps, oldest first."""
    found = reviews.get(session, record_type, record_id)
    person = session.get(Person, found.psn_no)
    if person is None:
        raise NotFound(f"psn_no: {found.psn_no} 不存在")
    return {
        **_row(found, person.psn_name, person.certno),
        "history": [step_document(s) for s in reviews.history(session, record_type, found.id)],
    }


def step_document(s: ReviewStep) -> dict[str, Any]:
    return {
        "action": s.action,
        "from_status": s.from_status,
        "to_status": s.to_status,
        "actor": s.actor,
        "role": s.role,
        "at": s.at.isoformat(),
        "note": s.note,
        "amount": s.amount,
        "detail": s.detail,
    }


def choices(session: Session, record_type: str, f: Filter) -> dict[str, list[tuple[str, int, int]]]:
    """The values the list can be narrowed to, with their counts (the other filters kept)."""
    columns = ["status", "township"]
    if record_type == "supervision":
        columns += ["rule_id", "fixmedins_code"]
    return {c: reviews.counts_by(session, record_type, f, c) for c in columns}


def last_scan(session: Session, record_type: str, region: str, year: int) -> dict[str, Any] | None:
    entry = reviews.last_scan(session, record_type, region, year)
    if entry is None:
        return None
    return {"at": entry.at, "actor": entry.actor, "result": entry.after or {}}
