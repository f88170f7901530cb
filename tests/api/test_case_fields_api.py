"""The 病案首页 of an inpatient claim over HTTP (issue 18): a hospital sends the 4101 结算清单
fields with the settlement; they are stored with the claim and DRG/DIP reads them instead of
deriving a case. Wrong ones are refused naming the field, and nothing is written."""

from __future__ import annotations

import polars as pl
from sqlalchemy import select

from tests.api.conftest import claim
from yibao.drg.claim_cases import FROM_CLAIMS, case_frame
from yibao.monitoring.store_frames import claims_frame
from yibao.store import transaction
from yibao.store.models import Claim

CASE = {
    "gend": "2",
    "age": 88,
    "act_ipt_days": 94,
    "dscg_way": "1",
    "dscg_maindiag_code": "K22.301",
    "diseinfo_diag_code": ["K22.301", "K11.901", "E11.900", "I10.x05"],
    "oprninfo_oprn_oprt_code": ["96.0800x005"],
}


def test_the_case_fields_are_stored_and_drg_reads_them(app, client, auth, person):
    setl_id = f"{person['psn_no']}-drg"
    r = client.post("/api/settlements", json=claim(person, setl_id, **CASE), headers=auth["clerk"])
    assert r.status_code == 201, r.text
    with transaction(app.state.sessions) as s:
        row = s.scalars(select(Claim.row).where(Claim.setl_id == setl_id)).one()
        assert row["diseinfo_diag_code"] == CASE["diseinfo_diag_code"]
        assert row["dscg_way"] == "1" and row["act_ipt_days"] == 94
        frame = claims_frame(s, ["421200"], 2023).filter(pl.col("setl_id") == setl_id)
    cases, source = case_frame(frame)
    assert source == FROM_CLAIMS
    case = cases.row(0, named=True)
    assert case["diagnoses"] == "K22.301|K11.901|E11.900|I10.x05"
    assert case["procedures"] == "96.0800x005"
    assert (case["age"], case["los"], case["gend"]) == (88, 94, "2")


def _refusal(client, auth, body) -> str:
    """The 422's text of a refused settlement, after checking nothing was stored."""
    r = client.post("/api/settlements", json=body, headers=auth["clerk"])
    assert r.status_code == 422, r.text
    stored = client.get(f"/api/settlements/{body['setl_id']}", headers=auth["clerk"])
    assert stored.status_code == 404
    return r.text


def test_wrong_case_fields_are_refused_and_nothing_is_written(client, auth, person):
    base = person["psn_no"]
    outpatient = claim(person, f"{base}-op", med_type="11", hosp_lv="11", **CASE)
    assert "病案首页字段只用于住院结算" in _refusal(client, auth, outpatient)
    swapped = {**CASE, "diseinfo_diag_code": ["E11.900", "K22.301"]}
    assert "第一个诊断应为主诊断" in _refusal(client, auth, claim(person, f"{base}-sw", **swapped))
    assert "gend" in _refusal(client, auth, claim(person, f"{base}-gd", gend="M"))
    assert "dscg_way" in _refusal(client, auth, claim(person, f"{base}-dw", dscg_way="7"))
    assert "age" in _refusal(client, auth, claim(person, f"{base}-ag", age=-1))
