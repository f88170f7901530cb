"""Whatever the envelope and input carry, the gateway answers with its envelope (never a 500),
and a refused message writes nothing. Hypothesis varies the fields of real messages of every
transaction: types, missing fields, strings, numbers, nesting."""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.gateway.conftest import GATEWAY, counts
from yibao.services.gateway.dispatch import TRANSACTIONS

WHEN = dt.datetime(2023, 6, 1, 9, 0)
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3),
)
FIELDS = ("psn_no", "mdtrt_id", "setl_id", "medfee_sumamt", "begntime", "endtime", "med_type", "hosp_lv",
          "mdtrt_cert_type", "mdtrt_cert_no", "insutype", "det_item_fee_sumamt", "cnt", "pric", "feedetl_sn",
          "fee_ocur_time", "med_list_codg", "mid_setl_flag", "stmt_begndate", "stmt_enddate", "setl_optins",
          "clr_type", "rcd_stas", "rcd_type", "setl_list", "cum_ym", "chrg_bchno")  # fmt: skip
NODES = ("data", "mdtrtinfo", "dscginfo", "feedetail")


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(
    infno=st.sampled_from([*TRANSACTIONS, "9999", ""]),
    node=st.sampled_from(NODES),
    as_list=st.booleans(),
    values=st.dictionaries(st.sampled_from(FIELDS), JUNK, max_size=8),
    envelope_junk=st.dictionaries(
        st.sampled_from(["msgid", "inf_time", "insuplc_admdvs", "opter", "input"]), JUNK, max_size=2
    ),
)
def test_no_message_makes_a_server_error_or_writes_when_refused(
    client, auth, app, hospital, infno, node, as_list, values, envelope_junk
):
    body = [values] if as_list else values
    message = {**hospital.envelope(infno or "1101", {node: body}, WHEN), **envelope_junk}
    if not infno:
        message["infno"] = infno
    before = counts(app)
    r = client.post(GATEWAY, json=message, headers=auth["clerk"])
    assert r.status_code == 200, r.text[:300]
    reply = r.json()
    assert reply["infcode"] in (0, -1)
    if reply["infcode"] == -1:
        assert reply["err_msg"] and ":" in reply["err_msg"]
        assert counts(app) == before


def test_non_finite_numbers_are_refused(client, auth, hospital):
    message = hospital.envelope("2207", {"data": {"medfee_sumamt": 1}}, WHEN)
    body = json.dumps(message).replace('"medfee_sumamt": 1', '"medfee_sumamt": Infinity').encode()
    reply = client.post(GATEWAY, content=body, headers=auth["clerk"]).json()
    assert reply["infcode"] == -1
    assert reply["err_msg"] == "报文: Infinity 不是合法的 JSON 数值"
