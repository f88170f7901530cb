"""The platform-shaped gateway: ``POST /fsi/api/rsfComIfsService/callService``.

One endpoint for every transaction, as the national platform's: the envelope names the
transaction (``infno``) and the reply says success or failure in ``infcode`` (HTTP 200 either
way, as the platform answers). Authenticated like the rest of the API (Bearer token, role 经办);
a deployment adds the platform's AK/SK signature in front of it (docs/gateway.md).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool

from yibao.api.auth import clerk
from yibao.api.responses import FastJSONResponse
from yibao.services.gateway.dispatch import handle
from yibao.store.audit import Actor

router = APIRouter(prefix="/fsi/api/rsfComIfsService", tags=["gateway"])

EXAMPLE = {
    "infno": "1101",
    "msgid": "H50024300001202306011000000001",
    "mdtrtarea_admvs": "500243",
    "insuplc_admdvs": "500243",
    "recer_sys_code": "YIBAO",
    "opter": "001",
    "opter_name": "收费员",
    "inf_time": "2023-06-01 10:00:00",
    "fixmedins_code": "H50024300001",
    "fixmedins_name": "彭水县人民医院",
    "input": {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": "500243199001011234"}},
}
OPENAPI = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}, "example": EXAMPLE}},
    }
}


@router.post("/callService", response_model=dict[str, Any], openapi_extra=OPENAPI)
async def call_service(request: Request, actor: Actor = Depends(clerk)) -> Response:
    """One transaction of the 定点医药机构接口规范 (infno 1101, 2201–2208, 2301–2305,
    2401–2405, 3101/3102, 3201/3202, 5201/5203/5206): the reply has ``infcode`` 0 and
    ``output``, or ``infcode`` -1 and ``err_msg`` naming the field; a refused message changes
    nothing. Idempotent by ``msgid``."""
    body = await request.body()
    state = request.app.state
    answer = await run_in_threadpool(handle, state.sessions, state.library, actor, body)
    return FastJSONResponse(answer, 200)
