"""预警 and 监管疑点 as stored records (issue 16): a scan stores what the engines return and is
idempotent; each workflow step is taken once, from its own statuses, by 审核 or 管理, with who,
when and the note kept; 扣款 is exact fen and at most what the fund paid."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.store.test_ledger import make_person
from yibao.claims import ClaimIn
from yibao.services import reviews as service
from yibao.store import ledger, transaction
from yibao.store.audit import Actor
from yibao.store.errors import Conflict, Invalid
from yibao.store.review_models import SupervisionRecord, WarningRecord
from yibao.store.reviews import Filter

CLERK = Actor("张经办", "经办")
REVIEWER = Actor("李审核", "审核")
ADMIN = Actor("赵管理", "管理")
REGION, YEAR = "421200", 2023


def _claim(psn_no, certno, setl_id, begin, end, total, ownpay, dise="I63.9"):
    return ClaimIn(
        setl_id=setl_id,
        psn_no=psn_no,
        certno=certno,
        insuplc_admdvs=REGION,
        med_type="21",
        hosp_lv="05",
        fixmedins_code="H42120000001",
        dise_codg=dise,
        setl_time=dt.datetime.combine(end, dt.time(15)),
        begndate=begin,
        enddate=end,
        medfee_sumamt=total,
        fulamt_ownpay_amt=ownpay,
    ).to_row()


def _settle(factory, library, row):
    with transaction(factory) as s:
        return ledger.settle(s, library, row, CLERK).document["setlinfo"]


def _warning(factory, psn_no):
    with transaction(factory) as s:
        found = s.query(WarningRecord).filter_by(psn_no=psn_no, year=YEAR).all()
        assert len(found) <= 1
        return service.record(s, "warning", found[0].id) if found else None


def _scan(factory, library, actor=REVIEWER):
    with transaction(factory) as s:
        return service.scan_warnings(s, library, REGION, YEAR, actor)


def test_a_warning_is_stored_once_and_its_amount_follows_the_settlements(factory, library):
    psn_no, certno = make_person(factory, categories=("低保对象",))
    first = _settle(
        factory, library,
        _claim(psn_no, certno, f"{psn_no}-1", dt.date(2023, 3, 1), dt.date(2023, 3, 9),
               "40000.00", "20000.00"),
    )  # fmt: skip
    result = _scan(factory, library)
    assert result["added"] >= 1
    w = _warning(factory, psn_no)
    # 咸宁 2023: 2 × the 7200-yuan monitoring standard; the amount is the engine's 个人自付.
    assert w["status"] == "待核实" and w["threshold"] == 1_440_000
    assert w["amount"] == round(first["psn_part_amt"] * 100) and w["amount"] >= 2_000_000
    assert [h["action"] for h in w["history"]] == ["扫描"]
    assert w["history"][0]["actor"] == "李审核"

    _scan(factory, library)  # nothing changed: no new record, no new step
    assert _warning(factory, psn_no)["history"] == w["history"]

    second = _settle(
        factory, library,
        _claim(psn_no, certno, f"{psn_no}-2", dt.date(2023, 6, 1), dt.date(2023, 6, 5),
               "5000.00", "3000.00"),
    )  # fmt: skip
    _scan(factory, library)
    w2 = _warning(factory, psn_no)
    assert w2["id"] == w["id"] and w2["claim_count"] == 2
    assert w2["amount"] == w["amount"] + round(second["psn_part_amt"] * 100)
    update = w2["history"][-1]
    assert update["action"] == "金额更新" and update["detail"]["before"]["amount"] == w["amount"]


def test_the_warning_workflow_is_verify_push_dispose_by_reviewer_or_admin(factory, library):
    psn_no, certno = make_person(factory, categories=("低保对象",))
    _settle(
        factory, library,
        _claim(psn_no, certno, f"{psn_no}-1", dt.date(2023, 4, 1), dt.date(2023, 4, 9),
               "40000.00", "20000.00"),
    )  # fmt: skip
    _scan(factory, library)
    wid = _warning(factory, psn_no)["id"]
    with pytest.raises(service.Forbidden, match="role"), transaction(factory) as s:
        service.verify(s, wid, CLERK, "已入户")
    with pytest.raises(Invalid, match="note: 请填写核实情况"), transaction(factory) as s:
        service.verify(s, wid, REVIEWER, "  ")
    with pytest.raises(Conflict, match="已核实"), transaction(factory) as s:
        service.push(s, wid, REVIEWER, ["民政"])
    assert _warning(factory, psn_no)["status"] == "待核实"

    with transaction(factory) as s:
        service.verify(s, wid, REVIEWER, "乡镇入户核实，住院属实")
    with pytest.raises(Invalid, match="targets"), transaction(factory) as s:
        service.push(s, wid, ADMIN, ["教育"])
    with transaction(factory) as s:
        service.push(s, wid, ADMIN, ["民政", "乡村振兴"], "推送两部门")
    with pytest.raises(Conflict), transaction(factory) as s:
        service.exclude(s, wid, REVIEWER, "已推送不可排除")
    with transaction(factory) as s:
        service.dispose(s, wid, REVIEWER, "纳入临时救助 3000 元")
    with pytest.raises(Conflict, match="已处置"), transaction(factory) as s:
        service.dispose(s, wid, REVIEWER, "再处置")

    w = _warning(factory, psn_no)
    assert w["status"] == "已处置" and w["pushed_to"] == "民政、乡村振兴"
    steps = [(h["action"], h["from_status"], h["to_status"], h["actor"]) for h in w["history"]]
    assert steps == [
        ("扫描", "", "待核实", "李审核"),
        ("核实", "待核实", "已核实", "李审核"),
        ("推送", "已核实", "已推送", "赵管理"),
        ("处置", "已推送", "已处置", "李审核"),
    ]
    assert w["history"][3]["note"] == "纳入临时救助 3000 元"

    # A closed warning keeps what was decided: a later settlement does not change it.
    _settle(
        factory, library,
        _claim(psn_no, certno, f"{psn_no}-2", dt.date(2023, 7, 1), dt.date(2023, 7, 3),
               "5000.00", "3000.00"),
    )  # fmt: skip
    _scan(factory, library)
    assert _warning(factory, psn_no)["amount"] == w["amount"]


def test_exclude_needs_a_reason_and_a_reversal_marks_an_open_warning_below_the_line(
    factory, library
):
    psn_no, certno = make_person(factory, categories=("低保对象",))
    setl_id = f"{psn_no}-1"
    _settle(
        factory, library,
        _claim(psn_no, certno, setl_id, dt.date(2023, 5, 1), dt.date(2023, 5, 9),
               "40000.00", "20000.00"),
    )  # fmt: skip
    _scan(factory, library)
    wid = _warning(factory, psn_no)["id"]
    with transaction(factory) as s:
        ledger.reverse(s, setl_id, REVIEWER, reason="重复上传")
    _scan(factory, library)
    w = _warning(factory, psn_no)
    assert w["status"] == "待核实" and w["reaches_line"] == 0 and w["amount"] == 0
    assert "未达预警线" in w["history"][-1]["note"]
    with pytest.raises(Invalid, match="reason: 请填写排除原因"), transaction(factory) as s:
        service.exclude(s, wid, REVIEWER, "")
    with transaction(factory) as s:
        service.exclude(s, wid, REVIEWER, "结算已撤销，不存在高额自付")
    assert _warning(factory, psn_no)["status"] == "已排除"


def _hit(factory, setl_id):
    with transaction(factory) as s:
        found = s.query(SupervisionRecord).filter_by(setl_id=setl_id).all()
        return [service.record(s, "supervision", r.id) for r in found]


def test_a_split_admission_is_stored_once_and_decided_with_an_exact_deduction(factory, library):
    psn_no, certno = make_person(factory)
    _settle(
        factory, library,
        _claim(psn_no, certno, f"{psn_no}-a", dt.date(2023, 3, 1), dt.date(2023, 3, 10),
               "9000.00", "0", dise="J18.0"),
    )  # fmt: skip
    second = _settle(
        factory, library,
        _claim(psn_no, certno, f"{psn_no}-b", dt.date(2023, 3, 14), dt.date(2023, 3, 22),
               "8500.00", "0", dise="J18.9"),
    )  # fmt: skip
    with transaction(factory) as s:
        service.scan_supervision(s, library, REGION, YEAR, REVIEWER)
    hits = _hit(factory, f"{psn_no}-b")
    assert [(h["rule_id"], h["status"]) for h in hits] == [("JK002", "待核查")]
    hid = hits[0]["id"]
    fund_paid = round(second["fund_pay_sumamt"] * 100)
    assert hits[0]["fund_pay_sumamt"] == fund_paid > 0
    with transaction(factory) as s:
        again = service.scan_supervision(s, library, REGION, YEAR, REVIEWER)
    assert again["updated"] == 0 and len(_hit(factory, f"{psn_no}-b")) == 1

    with transaction(factory) as s:
        page = service.listing(
            s, "supervision", Filter(REGION, YEAR, rule="JK002", status="待核查")
        )
        assert hid in [r["id"] for r in page.rows] and page.total >= 1

    with pytest.raises(Conflict, match="核查中"), transaction(factory) as s:
        service.decide(s, hid, REVIEWER, "违规", "100.00", "x")
    with transaction(factory) as s:
        service.start(s, hid, REVIEWER, "调取病历")
    with pytest.raises(Invalid, match="appeal"), transaction(factory) as s:
        service.appeal(s, hid, REVIEWER, "")
    with transaction(factory) as s:
        service.appeal(s, hid, REVIEWER, "两次住院诊断不同：大叶性肺炎与肺炎")
    for bad, why in (
        ("12.345", "最多两位小数"),
        ("-1", "不能为负数"),
        ("", "须填写扣款金额"),
        (f"{fund_paid / 100 + 0.01:.2f}", "超过该结算基金支付"),
    ):
        with pytest.raises(Invalid, match=why), transaction(factory) as s:
            service.decide(s, hid, ADMIN, "违规", bad, "认定分解住院")
    with pytest.raises(Invalid, match="不违规时不扣款"), transaction(factory) as s:
        service.decide(s, hid, ADMIN, "不违规", "5.00", "诊断不同")
    assert _hit(factory, f"{psn_no}-b")[0]["status"] == "申诉中"

    with transaction(factory) as s:
        service.decide(s, hid, ADMIN, "违规", "1,234.56", "申诉不成立，追回基金")
    h = _hit(factory, f"{psn_no}-b")[0]
    assert (h["status"], h["finding"], h["deduction"]) == ("已认定", "违规", 123456)
    assert h["appeal"] == "两次住院诊断不同：大叶性肺炎与肺炎"
    assert [s["action"] for s in h["history"]] == ["扫描", "开始核查", "申诉", "认定"]
    assert h["history"][-1]["amount"] == 123456 and h["history"][-1]["actor"] == "赵管理"
