"""One message in, one reply out: the envelope checked, idempotency by msgid, the transaction
function of the ``infno`` run in one database transaction, the message and reply stored.

All or nothing: a refused message (infcode -1) writes nothing at all, neither its business
records nor the message; an accepted one commits its records, the message and the reply
together. A msgid already answered returns the stored reply when the content is the same and
is refused when it differs.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from yibao.policy import PolicyLibrary
from yibao.services.gateway import encounters, fees, queries, reconcile, review, settle
from yibao.services.gateway.context import Context
from yibao.services.gateway.envelope import (
    GatewayError,
    digest,
    parse_body,
    parse_envelope,
    plain,
    reply,
)
from yibao.store import gateway
from yibao.store.audit import Actor
from yibao.store.errors import Conflict, NotFound

log = logging.getLogger("yibao.gateway")

Transaction = Callable[[Context], dict[str, Any]]

# infno → (name, function): the one table the gateway dispatches by.
TRANSACTIONS: dict[str, tuple[str, Transaction]] = {
    "1101": ("人员信息获取", queries.person_info),
    "2201": ("门诊挂号", encounters.register_outpatient),
    "2202": ("门诊挂号撤销", encounters.cancel_outpatient),
    "2203": ("门诊就诊信息上传", encounters.upload_visit),
    "2204": ("门诊费用明细信息上传", fees.upload),
    "2205": ("门诊费用明细信息撤销", fees.cancel),
    "2206": ("门诊预结算", settle.presettle),
    "2207": ("门诊结算", settle.settle),
    "2208": ("门诊结算撤销", settle.reverse),
    "2301": ("住院费用明细信息上传", fees.upload),
    "2302": ("住院费用明细信息撤销", fees.cancel),
    "2303": ("住院预结算", settle.presettle),
    "2304": ("住院结算", settle.settle),
    "2305": ("住院结算撤销", settle.reverse),
    "2401": ("入院办理", encounters.admit),
    "2402": ("出院办理", encounters.discharge),
    "2404": ("入院办理撤销", encounters.cancel_admission),
    "2405": ("出院撤销", encounters.cancel_discharge),
    "3101": ("明细审核事前分析服务", review.analyse),
    "3102": ("明细审核事中分析服务", review.analyse),
    "3201": ("医药机构费用结算对总账", reconcile.totals),
    "3202": ("医药机构费用结算对明细账", reconcile.detail),
    "5201": ("就诊信息查询", queries.encounters),
    "5203": ("结算信息查询", queries.settlement),
    "5206": ("人员累计信息查询", queries.cumulative),
}


def handle(
    sessions: sessionmaker[Session], library: PolicyLibrary, actor: Actor, body: bytes
) -> dict[str, Any]:
    """The reply to one request body (never raises for a message's own fault)."""
    received = dt.datetime.now()
    try:
        raw = parse_body(body)
        envelope = parse_envelope(raw)
        if envelope.infno not in TRANSACTIONS:
            known = "、".join(TRANSACTIONS)
            raise GatewayError(f"infno: 不支持的交易编号 {envelope.infno}（支持：{known}）")
    except GatewayError as exc:
        return reply(received, None, str(exc))
    content = digest(raw)
    for attempt in (1, 2):
        try:
            with sessions() as session, session.begin():
                stored = gateway.message(session, envelope.msgid)
                if stored is not None:
                    return _replay(stored, content, received)
                _, function = TRANSACTIONS[envelope.infno]
                ctx = Context(session, library, actor, envelope, received)
                output = function(ctx)
                answer = reply(received, output)
                gateway.save_message(
                    session,
                    msgid=envelope.msgid,
                    infno=envelope.infno,
                    fixmedins_code=envelope.fixmedins_code,
                    digest=content,
                    request=plain(dict(raw)),
                    reply=answer,
                    opter=envelope.opter,
                    actor=actor.name,
                )
            return answer
        except GatewayError as exc:
            return reply(received, None, str(exc))
        except (NotFound, Conflict) as exc:
            return reply(received, None, f"{exc}")
        except IntegrityError:
            # The same msgid committed meanwhile by a concurrent request: read its reply.
            if attempt == 2:
                raise
            log.info("msgid %s: concurrent first use, reading the stored reply", envelope.msgid)
        except ValueError as exc:  # a domain error of a lower layer, naming its field
            return reply(received, None, f"{exc}")
    raise AssertionError("unreachable")


def _replay(stored: gateway.GatewayMessage, content: str, received: dt.datetime) -> dict[str, Any]:
    if stored.digest != content:
        raise GatewayError(
            f"msgid: 发送方报文ID {stored.msgid} 已用于另一笔内容不同的报文（交易 {stored.infno}），"
            "请使用新的报文ID"
        )
    return dict(stored.reply)
