"""明细审核: 3101 事前分析, 3102 事中分析 — the smart-monitoring rules
(engine.supervision, parameters in data/monitoring_rules.yaml) run on the encounter's uploaded
detail, with the person's other encounters at the institution in the same year (the rules that
compare stays: 分解住院, 住院期间门诊).

Input ``data {psn_no, mdtrt_id, trig_scen}``; 3101 may also carry ``feedetail`` rows not yet
uploaded (a prescription being written), checked with the uploaded ones and not stored.
Output ``result`` rows: ``jr_id, rule_id, rule_name, vola_cont, vola_amt, sev_deg, vola_evid,
vola_bhvr_type, mdtrt_id, psn_no`` (yuan).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from decimal import Decimal
from typing import Any

import polars as pl

from yibao.engine.supervision import RuleSet, hits_to_json, run_rules
from yibao.engine.supervision.inputs import FEE_DETAIL_SCHEMA, PERSON_SCHEMA
from yibao.money import divide_half_up
from yibao.monitoring.rules_file import load_rules
from yibao.services.gateway.context import Context
from yibao.services.gateway.encounters import encounter_of
from yibao.services.gateway.fees import amount_checked
from yibao.services.gateway.split import catalogue_for
from yibao.store import gateway
from yibao.store import persons as register
from yibao.store.gateway_models import GatewayEncounter
from yibao.store.models import Person

CLAIM_SCHEMA: dict[str, Any] = {
    "setl_id": pl.String,
    "psn_no": pl.String,
    "med_type": pl.String,
    "hosp_lv": pl.String,
    "fixmedins_code": pl.String,
    "dise_codg": pl.String,
    "begndate": pl.Date,
    "enddate": pl.Date,
    "medfee_sumamt": pl.Int64,
}


@functools.lru_cache(maxsize=1)
def rules() -> RuleSet:
    return load_rules()


def _price_fen(pric: str) -> int:
    """单价 (yuan, up to 6 decimals) in fen, half up (money.divide_half_up)."""
    micro = int(Decimal(pric) * 1_000_000)
    return divide_half_up(micro, 10_000)


def _claim(enc: GatewayEncounter, total: int, today: dt.date) -> dict[str, Any]:
    return {
        "setl_id": enc.mdtrt_id,
        "psn_no": enc.psn_no,
        "med_type": enc.med_type,
        "hosp_lv": enc.hosp_lv,
        "fixmedins_code": enc.fixmedins_code,
        "dise_codg": enc.dise_codg,
        "begndate": enc.begntime.date(),
        "enddate": (enc.endtime.date() if enc.endtime else max(today, enc.begntime.date())),
        "medfee_sumamt": total,
    }


def analyse(ctx: Context) -> dict[str, Any]:
    data = ctx.data()
    enc = encounter_of(ctx, data)
    data.text("trig_scen", 2, required=False)
    # 限性别 / 限年龄 from the 就医地's 医保目录, as the split reads them (ItemCatalogue.with_medical).
    medical = catalogue_for(enc.mdtrtarea_admvs)
    ruleset = dataclasses.replace(rules(), catalogue=rules().catalogue.with_medical(medical))
    types = {item.item_code: item.item_type for item in ruleset.catalogue.items}
    types.update({code: medical.versions(code)[-1].item_type for code in medical.codes()})
    today = ctx.envelope.inf_time.date()
    year = enc.begntime.year
    others = [
        e
        for e in gateway.encounters_of(ctx.session, enc.psn_no)
        if e.fixmedins_code == enc.fixmedins_code
        and e.begntime.year == year
        and e.status != "cancelled"
    ]
    details: list[dict[str, Any]] = []
    claims = []
    for e in others:
        lines = gateway.lines(ctx.session, e.mdtrt_id, ("uploaded", "settled"))
        for n, line in enumerate(lines, start=1):
            details.append(
                {
                    "setl_id": e.mdtrt_id,
                    "line_no": n,
                    "item_code": line.med_list_codg,
                    "item_name": line.med_list_name,
                    "item_type": types.get(line.med_list_codg, ""),
                    "chrgitm_lv": line.chrgitm_lv,
                    "date": line.fee_ocur_time.date(),
                    "qty": float(Decimal(line.cnt)),
                    "price": _price_fen(line.pric),
                    "amount": line.det_item_fee_sumamt,
                    "days_supply": None,
                }
            )
        claims.append(_claim(e, sum(line.det_item_fee_sumamt for line in lines), today))
    if ctx.envelope.infno == "3101" and ctx.has("feedetail"):
        base = sum(1 for d in details if d["setl_id"] == enc.mdtrt_id)
        for n, row in enumerate(ctx.node_rows("feedetail"), start=base + 1):
            code = row.text("med_list_codg", 50)
            occurred = row.time("fee_ocur_time")
            assert occurred is not None
            amount = amount_checked(row)
            details.append(
                {
                    "setl_id": enc.mdtrt_id,
                    "line_no": n,
                    "item_code": code,
                    "item_name": row.text("med_list_name", 200, required=False),
                    "item_type": types.get(code, ""),
                    "chrgitm_lv": "",
                    "date": occurred.date(),
                    "qty": float(row.decimal("cnt")),
                    "price": _price_fen(str(row.decimal("pric"))),
                    "amount": amount,
                    "days_supply": None,
                }
            )
    person = ctx.session.get(Person, enc.psn_no)
    assert person is not None
    persons = pl.DataFrame(
        [
            {
                "psn_no": person.psn_no,
                "sex": person.gend,
                "birth_date": person.brdy,
                "township": "",
                "categories": "|".join(register.categories_on(person, today)),
            }
        ],
        schema=PERSON_SCHEMA,
    )
    hits = run_rules(
        pl.DataFrame(claims, schema=CLAIM_SCHEMA),
        pl.DataFrame(details, schema=FEE_DETAIL_SCHEMA),
        persons,
        ruleset,
    )
    # The encounter's own findings (a rule comparing two stays reports on either).
    rows = [
        h
        for h in hits_to_json(hits)
        if h["setl_id"] == enc.mdtrt_id or enc.mdtrt_id in h["vola_evid"]
    ]
    return {
        "result": [
            {
                "jr_id": f"{enc.mdtrt_id}-{n}",
                "rule_id": h["rule_id"],
                "rule_name": h["rule_name"],
                "vola_cont": h["vola_cont"],
                "vola_amt": h["vola_amt"],
                "sev_deg": h["sev_deg"],
                "vola_evid": h["vola_evid"],
                "vola_bhvr_type": h["vola_bhvr_type"],
                "mdtrt_id": h["setl_id"],
                "psn_no": h["psn_no"],
            }
            for n, h in enumerate(rows, start=1)
        ]
    }
