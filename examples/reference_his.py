"""A reference HIS: a county hospital's day against yibao's platform-shaped gateway, over HTTP.

    .venv/bin/python examples/reference_his.py --url http://127.0.0.1:8000 --token yb_… [--setup]

彭水县人民医院 (fixmedins_code H50024300001, 二级甲等 05) on 1 June 2023: three outpatients
(1101 人员信息获取, 2201 挂号, 2203 就诊信息, 2204 费用明细, 3101 事前审核, 2206 预结算,
2207 结算), one of them settled, reversed (2208), its detail cancelled (2205) and its
registration cancelled (2202); an inpatient admitted on 25 May (2401) with daily detail (2301),
a 中途结算 in the morning (2304, mid_setl_flag 1), the day's detail, discharge (2402),
预结算 (2303) and 出院结算 (2304); then the evening's 对账: 3201 per 清算类别 and 3202 with the
hospital's own list of settlements, expecting no mismatch. The hospital keeps its own ledger
from the replies (Decimal yuan, exact), as an HIS does, and reconciles that against the center.

``--setup`` first registers the day's persons through the REST API (as the bureau's register
would hold them: /api/persons, /api/enrollments), with a 特困人员 among them. The script prints one
JSON summary and exits non-zero when a transaction fails or 对账 does not balance.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

GATEWAY = "/fsi/api/rsfComIfsService/callService"
HOSPITAL = "H50024300001"
HOSPITAL_NAME = "彭水县人民医院"
REGION = "500243"
DAY = dt.date(2023, 6, 1)

Send = Callable[[dict[str, Any]], dict[str, Any]]


class GatewayFailure(RuntimeError):
    pass


@dataclass
class Hospital:
    """Builds the envelopes (msgid = institution code + yyyyMMddHHmmss + 4-digit sequence)."""

    send_raw: Send
    code: str = HOSPITAL
    name: str = HOSPITAL_NAME
    region: str = REGION
    opter: str = "0001"
    opter_name: str = "门诊收费员"
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    settlements: dict[str, dict[str, Decimal | str]] = field(default_factory=dict)

    def envelope(
        self, infno: str, node: dict[str, Any], when: dt.datetime, insuplc: str | None = None
    ) -> dict[str, Any]:
        seq = next(self._seq) % 10_000
        return {
            "infno": infno,
            "msgid": f"{self.code}{when:%Y%m%d%H%M%S}{seq:04d}",
            "mdtrtarea_admvs": self.region,
            "insuplc_admdvs": self.region if insuplc is None else insuplc,
            "recer_sys_code": "YIBAO",
            "dev_no": "",
            "dev_safe_info": "",
            "cainfo": "",
            "signtype": "",
            "infver": "V1.0",
            "opter_type": "1",
            "opter": self.opter,
            "opter_name": self.opter_name,
            "inf_time": when.strftime("%Y-%m-%d %H:%M:%S"),
            "fixmedins_code": self.code,
            "fixmedins_name": self.name,
            "sign_no": "",
            "input": node,
        }

    def call(
        self, infno: str, node: dict[str, Any], when: dt.datetime, **kw: Any
    ) -> dict[str, Any]:
        """The output of a successful transaction; a failure raises GatewayFailure."""
        reply = self.send_raw(self.envelope(infno, node, when, **kw))
        if reply.get("infcode") != 0:
            raise GatewayFailure(f"{infno}: {reply.get('err_msg')}")
        out: dict[str, Any] = reply["output"]
        return out

    def keep(self, output: dict[str, Any]) -> None:
        """The hospital's own ledger of settlements and reversals (from the replies)."""
        info = output["setlinfo"]
        self.settlements[info["setl_id"]] = {
            "mdtrt_id": info["mdtrt_id"],
            "psn_no": info["psn_no"],
            "clr_type": info["clr_type"],
            "medfee_sumamt": Decimal(str(info["medfee_sumamt"])),
            "fund_pay_sumamt": Decimal(str(info["fund_pay_sumamt"])),
            "acct_pay": Decimal(str(info["acct_pay"])),
        }


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute))


def line(
    sn: str,
    code: str,
    name: str,
    cnt: str,
    pric: str,
    when: dt.datetime,
    mdtrt_id: str,
    psn_no: str,
    **split: str,
) -> dict[str, Any]:
    amount = (Decimal(cnt) * Decimal(pric)).quantize(Decimal("0.01"))
    return {
        "feedetl_sn": sn,
        "mdtrt_id": mdtrt_id,
        "psn_no": psn_no,
        "chrg_bchno": f"B{mdtrt_id[-6:]}",
        "rx_circ_flag": "0",
        "fee_ocur_time": when.strftime("%Y-%m-%d %H:%M:%S"),
        "med_list_codg": code,
        "medins_list_codg": f"HIS-{code}",
        "med_list_name": name,
        "det_item_fee_sumamt": str(amount),
        "cnt": cnt,
        "pric": pric,
        "bilg_dept_codg": "A03",
        "bilg_dept_name": "内科",
        "bilg_dr_codg": "D001",
        "bilg_dr_name": "李医生",
        "hosp_appr_flag": "1",
        **split,
    }


def total(lines: list[dict[str, Any]]) -> str:
    return str(sum(Decimal(x["det_item_fee_sumamt"]) for x in lines))


# ------------------------------------------------------------------ the day
# National codes of the 医保目录 (policies/000000/catalogue, 500000 for 重庆's prices and 先行自付):
# 甲类 诊查费; 乙类 奥美拉唑 (10 % 先行自付); 甲类 糖化血红蛋白; 丙类 多维元素片 (全自费); 甲类 输液器
# at 4.00 above its 3.00 ceiling (1.00 超限价).
OUTPATIENT_LINES = [
    ("001102000010000", "普通门诊诊查费", "1", "10.00", {}),
    ("XA02BCA348X001010100001", "奥美拉唑肠溶胶囊", "2", "18.50", {}),
    ("002503020030000", "糖化血红蛋白测定", "1", "25.00", {}),
    ("XA11AAD001A001010100001", "多维元素片", "1", "6.00", {}),
    ("C0302010010000000001", "一次性使用输液器", "1", "4.00", {}),
]


def outpatient(h: Hospital, certno: str, hour: int, settle: bool = True) -> dict[str, Any]:
    person = h.call(
        "1101",
        {
            "data": {
                "mdtrt_cert_type": "02",
                "mdtrt_cert_no": certno,
                "psn_cert_type": "01",
                "certno": certno,
            }
        },
        at(hour),
        insuplc="",
    )
    psn_no = person["baseinfo"]["psn_no"]
    insuplc = person["insuinfo"][0]["insuplc_admdvs"]
    reg = h.call(
        "2201",
        {
            "data": {
                "psn_no": psn_no,
                "insutype": "390",
                "begntime": at(hour, 5).strftime("%Y-%m-%d %H:%M:%S"),
                "mdtrt_cert_type": "02",
                "mdtrt_cert_no": certno,
                "ipt_otp_no": f"MZ{hour:02d}{psn_no[-4:]}",
                "atddr_no": "D001",
                "dr_name": "李医生",
                "dept_code": "A03",
                "dept_name": "内科",
                "caty": "A03",
                "hosp_lv": "05",
            }
        },
        at(hour, 5),
        insuplc=insuplc,
    )["data"]
    mdtrt_id = reg["mdtrt_id"]
    h.call(
        "2203",
        {
            "mdtrtinfo": {
                "mdtrt_id": mdtrt_id,
                "psn_no": psn_no,
                "med_type": "11",
                "begntime": at(hour, 5).strftime("%Y-%m-%d %H:%M:%S"),
                "dise_codg": "J06.900",
                "dise_name": "急性上呼吸道感染",
            },
            "diseinfo": [
                {
                    "diag_type": "1",
                    "diag_srt_no": "1",
                    "diag_code": "J06.900",
                    "diag_name": "急性上呼吸道感染",
                }
            ],
        },
        at(hour, 10),
        insuplc=insuplc,
    )
    lines = [
        line(f"{n:04d}", code, name, cnt, pric, at(hour, 15), mdtrt_id, psn_no, **split)
        for n, (code, name, cnt, pric, split) in enumerate(OUTPATIENT_LINES, start=1)
    ]
    split = h.call("2204", {"feedetail": lines}, at(hour, 15), insuplc=insuplc)["result"]
    review = h.call(
        "3101",
        {"data": {"psn_no": psn_no, "mdtrt_id": mdtrt_id, "trig_scen": "2"}},
        at(hour, 16),
        insuplc=insuplc,
    )
    pay = {
        "psn_no": psn_no,
        "mdtrt_cert_type": "02",
        "mdtrt_cert_no": certno,
        "med_type": "11",
        "medfee_sumamt": total(lines),
        "psn_setlway": "01",
        "mdtrt_id": mdtrt_id,
        "chrg_bchno": lines[0]["chrg_bchno"],
        "acct_used_flag": "0",
        "insutype": "390",
    }
    pre = h.call("2206", {"data": pay}, at(hour, 20), insuplc=insuplc)
    result = {
        "psn_no": psn_no,
        "mdtrt_id": mdtrt_id,
        "insuplc": insuplc,
        "lines": split,
        "review": review["result"],
        "presettle": pre["setlinfo"],
        "certno": certno,
        "chrg_bchno": lines[0]["chrg_bchno"],
    }
    if settle:
        done = h.call("2207", {"data": pay}, at(hour, 21), insuplc=insuplc)
        h.keep(done)
        result["settle"] = done["setlinfo"]
    return result


def inpatient(h: Hospital, certno: str) -> dict[str, Any]:
    admitted = at(9, 30, DAY - dt.timedelta(days=7))
    person = h.call(
        "1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": certno}}, admitted, insuplc=""
    )
    psn_no = person["baseinfo"]["psn_no"]
    insuplc = person["insuinfo"][0]["insuplc_admdvs"]
    stay = h.call(
        "2401",
        {
            "mdtrtinfo": {
                "psn_no": psn_no,
                "insutype": "390",
                "coner_name": "家属",
                "tel": "13800000000",
                "begntime": admitted.strftime("%Y-%m-%d %H:%M:%S"),
                "mdtrt_cert_type": "02",
                "mdtrt_cert_no": certno,
                "med_type": "21",
                "ipt_no": f"ZY{psn_no[-6:]}",
                "medrcdno": f"BA{psn_no[-6:]}",
                "atddr_no": "D002",
                "chfpdr_name": "王医生",
                "adm_diag_dscr": "肺炎",
                "adm_dept_codg": "A03",
                "adm_dept_name": "内科",
                "adm_bed": "12",
                "dscg_maindiag_code": "J18.900",
                "dscg_maindiag_name": "肺炎",
                "dise_codg": "J18.900",
                "dise_name": "肺炎",
                "hosp_lv": "05",
            },
            "diseinfo": [
                {
                    "psn_no": psn_no,
                    "diag_type": "1",
                    "maindiag_flag": "1",
                    "diag_srt_no": "1",
                    "diag_code": "J18.900",
                    "diag_name": "肺炎",
                    "diag_time": admitted.strftime("%Y-%m-%d %H:%M:%S"),
                }
            ],
        },
        admitted,
        insuplc=insuplc,
    )["result"]
    mdtrt_id = stay["mdtrt_id"]

    def day_lines(day: dt.date, first: int) -> list[dict[str, Any]]:
        when = at(8, 0, day)
        # 床位费 45.00 above the 二级 ceiling 40.00; 乙类 甲钴胺 with 10 % 先行自付.
        rows = [
            ("001109000010000", "普通病房床位费", "1", "45.00", {}),
            ("001201000040000", "Ⅱ级护理", "1", "20.00", {}),
            ("001102000050000", "住院诊查费", "1", "15.00", {}),
            ("XB03BAJ038B001010100001", "甲钴胺注射液", "2", "65.30", {}),
            ("001204000060000", "静脉输液", "2", "12.00", {}),
        ]
        return [
            {
                **line(
                    f"{day:%m%d}{first + n:02d}",
                    code,
                    name,
                    cnt,
                    pric,
                    when,
                    mdtrt_id,
                    psn_no,
                    **split,
                ),
                "med_type": "21",
                "drord_no": f"YZ{first + n}",
            }
            for n, (code, name, cnt, pric, split) in enumerate(rows)
        ]

    uploaded: list[dict[str, Any]] = []
    for offset in range(7, 0, -1):
        rows = day_lines(DAY - dt.timedelta(days=offset), 1)
        h.call(
            "2301", {"feedetail": rows}, at(20, 0, DAY - dt.timedelta(days=offset)), insuplc=insuplc
        )
        uploaded += rows
    pay = {
        "psn_no": psn_no,
        "mdtrt_cert_type": "02",
        "mdtrt_cert_no": certno,
        "medfee_sumamt": total(uploaded),
        "psn_setlway": "01",
        "mdtrt_id": mdtrt_id,
        "insutype": "390",
        "acct_used_flag": "0",
        "mid_setl_flag": "1",
    }
    mid = h.call("2304", {"data": pay}, at(7, 30), insuplc=insuplc)
    h.keep(mid)
    today = day_lines(DAY, 1)
    h.call("2301", {"feedetail": today}, at(12, 0), insuplc=insuplc)
    h.call(
        "2402",
        {
            "dscginfo": {
                "mdtrt_id": mdtrt_id,
                "psn_no": psn_no,
                "insutype": "390",
                "endtime": at(15).strftime("%Y-%m-%d %H:%M:%S"),
                "dise_codg": "J18.900",
                "dise_name": "肺炎",
                "dscg_way": "1",
            },
            "diseinfo": [
                {
                    "mdtrt_id": mdtrt_id,
                    "psn_no": psn_no,
                    "diag_type": "1",
                    "maindiag_flag": "1",
                    "diag_srt_no": "1",
                    "diag_code": "J18.900",
                    "diag_name": "肺炎",
                }
            ],
        },
        at(15),
        insuplc=insuplc,
    )
    final = {**pay, "medfee_sumamt": total(today), "mid_setl_flag": "0"}
    pre = h.call("2303", {"data": final}, at(15, 10), insuplc=insuplc)
    done = h.call("2304", {"data": final}, at(15, 20), insuplc=insuplc)
    h.keep(done)
    cum = h.call(
        "5206", {"data": {"psn_no": psn_no, "cum_ym": f"{DAY:%Y%m}"}}, at(15, 30), insuplc=insuplc
    )
    return {
        "psn_no": psn_no,
        "mdtrt_id": mdtrt_id,
        "mid": mid["setlinfo"],
        "presettle": pre["setlinfo"],
        "final": done["setlinfo"],
        "cuminfo": cum["cuminfo"],
    }


def reverse_one(h: Hospital, visit: dict[str, Any]) -> dict[str, Any]:
    """A settlement reversed in the afternoon: 2208, then the detail (2205) and the
    registration (2202) cancelled, as the cashier does when a patient leaves unpaid."""
    ins = visit["insuplc"]
    out = h.call(
        "2208",
        {
            "data": {
                "setl_id": visit["settle"]["setl_id"],
                "mdtrt_id": visit["mdtrt_id"],
                "psn_no": visit["psn_no"],
            }
        },
        at(16),
        insuplc=ins,
    )
    h.keep(out)
    h.call(
        "2205",
        {
            "data": {
                "mdtrt_id": visit["mdtrt_id"],
                "chrg_bchno": visit["chrg_bchno"],
                "psn_no": visit["psn_no"],
            }
        },
        at(16, 5),
        insuplc=ins,
    )
    h.call(
        "2202",
        {"data": {"psn_no": visit["psn_no"], "mdtrt_id": visit["mdtrt_id"], "ipt_otp_no": ""}},
        at(16, 6),
        insuplc=ins,
    )
    return out["setlinfo"]


def reconcile(h: Hospital) -> dict[str, Any]:
    """The evening's 对账: 3201 per 清算类别 from the hospital's ledger, then 3202 in detail."""
    day = DAY.isoformat()
    results = {}
    for clr_type in ("11", "21"):
        mine = [s for s in h.settlements.values() if s["clr_type"] == clr_type]
        data = {
            "insutype": "390",
            "clr_type": clr_type,
            "setl_optins": REGION,
            "stmt_begndate": day,
            "stmt_enddate": day,
            "medfee_sumamt": str(sum(Decimal(s["medfee_sumamt"]) for s in mine)),
            "fund_pay_sumamt": str(sum(Decimal(s["fund_pay_sumamt"]) for s in mine)),
            "acct_pay": str(sum(Decimal(s["acct_pay"]) for s in mine)),
            "fixmedins_setl_cnt": str(
                sum(-1 if Decimal(s["medfee_sumamt"]) < 0 else 1 for s in mine)
            ),
        }
        results[clr_type] = h.call("3201", {"data": data}, at(20), insuplc=REGION)
    setl_list = [
        {
            "setl_id": k,
            "mdtrt_id": s["mdtrt_id"],
            "psn_no": s["psn_no"],
            "medfee_sumamt": str(s["medfee_sumamt"]),
            "fund_pay_sumamt": str(s["fund_pay_sumamt"]),
            "acct_pay": str(s["acct_pay"]),
        }
        for k, s in h.settlements.items()
    ]
    detail = h.call(
        "3202",
        {
            "data": {
                "setl_optins": REGION,
                "stmt_begndate": day,
                "stmt_enddate": day,
                "setl_list": setl_list,
            }
        },
        at(20, 5),
        insuplc=REGION,
    )
    return {"3201": results, "3202": detail}


def play_day(send: Send, certnos: list[str]) -> dict[str, Any]:
    """The whole day; ``certnos``: three outpatients and one inpatient (the register's)."""
    h = Hospital(send)
    visits = [outpatient(h, certno, 8 + n) for n, certno in enumerate(certnos[:3])]
    stay = inpatient(h, certnos[3])
    reversal = reverse_one(h, visits[2])
    evening = reconcile(h)
    balanced = all(r["data"]["stmt_rslt"] == "0" for r in evening["3201"].values())
    balanced = (
        balanced
        and evening["3202"]["data"]["stmt_rslt"] == "0"
        and not evening["3202"]["mismatches"]
    )
    return {
        "outpatients": visits,
        "inpatient": stay,
        "reversal": reversal,
        "reconcile": evening,
        "hospital_ledger": {k: {n: str(v) for n, v in s.items()} for k, s in h.settlements.items()},
        "balanced": balanced,
    }


# ------------------------------------------------------------------ the register (--setup)
def setup_register(http: httpx.Client, certnos: list[str]) -> None:
    """The day's persons as the bureau's register holds them (REST API), enrolled for 2023."""
    names = ["张一", "李二", "王三", "赵四"]
    for n, certno in enumerate(certnos):
        categories = [{"category": "特困人员", "begin_date": "2023-01-01"}] if n == 3 else []
        r = http.post(
            "/api/persons",
            json={
                "certno": certno,
                "psn_name": names[n % 4],
                "insuplc_admdvs": REGION,
                "categories": categories,
            },
        )
        if r.status_code == 409:
            continue
        r.raise_for_status()
        psn_no = r.json()["psn_no"]
        r = http.post(
            "/api/enrollments", json={"psn_no": psn_no, "year": 2023, "enrolled_on": "2022-11-01"}
        )
        r.raise_for_status()


def default_certnos() -> list[str]:
    from yibao.idcard import make_id

    return [make_id("500243", dt.date(1950 + 9 * n, 3, 1 + n), 11 + n) for n in range(4)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--token", required=True)
    parser.add_argument(
        "--setup", action="store_true", help="register the day's persons first (REST API)"
    )
    args = parser.parse_args()
    headers = {"Authorization": f"Bearer {args.token}"}
    certnos = default_certnos()
    with httpx.Client(base_url=args.url, headers=headers, timeout=60) as http:
        if args.setup:
            setup_register(http, certnos)

        def send(message: dict[str, Any]) -> dict[str, Any]:
            r = http.post(GATEWAY, content=json.dumps(message, ensure_ascii=False).encode())
            r.raise_for_status()
            reply: dict[str, Any] = r.json()
            return reply

        try:
            summary = play_day(send, certnos)
        except GatewayFailure as exc:
            print(json.dumps({"failed": str(exc)}, ensure_ascii=False))
            return 1
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    return 0 if summary["balanced"] else 2


if __name__ == "__main__":
    sys.exit(main())
