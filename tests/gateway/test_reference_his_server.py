"""The reference HIS (examples/reference_his.py) plays its day against the real server
(``yibao serve`` in its own process) over HTTP, and the evening's 对账 balances."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal

from tests.api.test_server_logs import Served
from tests.gateway.conftest import ROOT


def test_the_reference_his_plays_a_county_hospitals_day(tmp_path):
    served = Served(tmp_path)
    try:
        token = served.headers["Authorization"].split()[1]
        run = subprocess.run(
            [
                sys.executable,
                str(ROOT / "examples" / "reference_his.py"),
                "--url",
                served.base_url,
                "--token",
                token,
                "--setup",
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stdout + run.stderr
        day = json.loads(run.stdout)
        # A second run sends the same messages (same msgids, same content): it gets the
        # stored replies, and nothing is settled twice (the setl_ids come from the msgids).
        again = subprocess.run(
            [
                sys.executable,
                str(ROOT / "examples" / "reference_his.py"),
                "--url",
                served.base_url,
                "--token",
                token,
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert again.returncode == 0, again.stdout + again.stderr
        assert json.loads(again.stdout)["hospital_ledger"] == day["hospital_ledger"]
    finally:
        out, err = served.stop()
    assert day["balanced"] is True
    assert day["reconcile"]["3202"]["mismatches"] == []
    ledger = day["hospital_ledger"]
    # Three outpatient settlements, one of them reversed; 中途结算 and 出院结算 of the stay.
    assert sorted(k[0] for k in ledger) == ["R", "S", "S", "S", "S", "S"]
    stay = day["inpatient"]
    eight_days = 8 * (
        Decimal("45.00")
        + Decimal("20.00")
        + Decimal("15.00")
        + Decimal("130.60")
        + Decimal("24.00")
    )
    assert (
        Decimal(str(stay["mid"]["medfee_sumamt"])) + Decimal(str(stay["final"]["medfee_sumamt"]))
        == eight_days
    )
    for part in (stay["mid"], stay["final"], *[v["settle"] for v in day["outpatients"]]):
        fund, cash, total = (
            Decimal(str(part[k])) for k in ("fund_pay_sumamt", "psn_cash_pay", "medfee_sumamt")
        )
        assert fund + cash == total
        assert (
            Decimal(str(part["hifp_pay"]))
            + Decimal(str(part["hifmi_pay"]))
            + Decimal(str(part["maf_pay"]))
            == fund
        )
    assert Decimal(str(stay["final"]["maf_pay"])) > 0  # the 特困人员's 医疗救助
    assert day["reversal"]["medfee_sumamt"] == -day["outpatients"][2]["settle"]["medfee_sumamt"]
    statuses = [
        int(line.split('" ')[1].split()[0])
        for line in (out + err).splitlines()
        if "callService" in line and '" ' in line
    ]
    assert statuses and set(statuses) == {200}
