"""A small synthetic county in a fresh store, entered through the store's own functions: the
synth package's 彭水 2023 county (households with their township, persons, categories,
enrollments, payments, claims settled by the ledger), plus a few hand-made cases each page
needs: a 低保 person with large inpatient bills (预警), a re-admission within 15 days (监管,
分解住院), a 特困 person not enrolled (台账), and a 低保 person waiting to be enrolled in the
browser test."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from yibao.claims import ClaimIn
from yibao.idcard import make_id
from yibao.policy import PolicyLibrary
from yibao.services import payments, reviews
from yibao.store import ledger, persons, transaction, users
from yibao.store.audit import Actor
from yibao.store.models import Household
from yibao.synth.county import simulate_county

REGION, YEAR = "500243", 2023
ROLES = {"经办": "张经办", "审核": "李审核", "只读": "王只读", "管理": "赵管理"}
SITUATION = {"集中参保": "resident", "接续": "continuation", "迁入": "transfer_in"}
SEEDER = Actor("数据初始化", "经办")


@dataclass(frozen=True)
class Seeded:
    tokens: dict[str, str]  # role → token
    to_enroll: str  # psn_no of the 低保 person the browser test enrols
    to_enroll_name: str
    warned: str  # psn_no of the person with large bills
    fresh: str  # psn_no of an enrolled 低保 person with no claims yet (the settlement test)


def _household(s, hh_id: str, township: str) -> None:
    if s.get(Household, hh_id) is None:
        s.add(Household(hh_id=hh_id, admdvs=REGION, addr=township))
        s.flush()


def _person(s, n: int, name: str, township: str, category: str | None) -> tuple[str, str]:
    certno = make_id(REGION, dt.date(1958, 1, 1) + dt.timedelta(days=97 * n), 900 + n)
    psn_no = f"W{REGION}{n:04d}"
    hh_id = f"HW{REGION}{n:04d}"
    _household(s, hh_id, township)
    spans = (persons.CategorySpan(category, dt.date(2022, 1, 1)),) if category else ()
    persons.create_person(
        s,
        persons.PersonSpec(
            certno=certno,
            psn_name=name,
            insuplc_admdvs=REGION,
            psn_no=psn_no,
            hh_id=hh_id,
            categories=spans,
        ),
    )
    return psn_no, certno


def _enroll(s, psn_no: str, tier: int = 1) -> None:
    persons.enroll(
        s,
        persons.EnrollmentSpec(
            psn_no=psn_no,
            year=YEAR,
            enrolled_on=dt.date(2022, 10, 8),
            tier=tier,
            insuplc_admdvs=REGION,
            coverage_begin=dt.date(2023, 1, 1),
            coverage_end=dt.date(2023, 12, 31),
            coverage_rule="集中参保期内缴费，次年1月1日起享受待遇",
        ),
    )


def _claim(psn_no, certno, setl_id, begin, end, total, inst="H50024320001", dise="I63.9"):
    return ClaimIn(
        setl_id=setl_id,
        psn_no=psn_no,
        certno=certno,
        insuplc_admdvs=REGION,
        med_type="21",
        hosp_lv="05",
        fixmedins_code=inst,
        dise_codg=dise,
        setl_time=dt.datetime.combine(end, dt.time(15, 0)),
        begndate=begin,
        enddate=end,
        medfee_sumamt=total,
        fulamt_ownpay_amt="3000.00",
        preselfpay_amt="1200.00",
    ).to_row()


def seed(factory, library: PolicyLibrary, persons_count: int = 80) -> Seeded:
    tokens: dict[str, str] = {}
    with transaction(factory) as s:
        for role, name in ROLES.items():
            _, tokens[role] = users.add_user(s, name, role)

    county = simulate_county(REGION, YEAR, persons_count, seed=8, library=library)
    towns = dict(county.households.select("household_id", "township").iter_rows())
    enrolled = county.enrollments.filter(insutype="390")
    with transaction(factory) as s:
        for hh_id, township in towns.items():
            _household(s, hh_id, township)
        for p in county.persons.iter_rows(named=True):
            cats = [c for c in (p["categories"] or "").split("|") if c]
            persons.create_person(
                s,
                persons.PersonSpec(
                    certno=p["certno"],
                    psn_name=p["name"],
                    insuplc_admdvs=p["insuplc_admdvs"],
                    psn_no=p["psn_no"],
                    hh_id=p["household_id"],
                    categories=tuple(persons.CategorySpan(c, dt.date(2022, 1, 1)) for c in cats),
                ),
            )
        tiers = dict(county.persons.select("psn_no", "tier").iter_rows())
        for e in enrolled.iter_rows(named=True):
            persons.enroll(
                s,
                persons.EnrollmentSpec(
                    psn_no=e["psn_no"],
                    year=YEAR,
                    enrolled_on=e["paid_date"],
                    tier=int(tiers[e["psn_no"]]),
                    insuplc_admdvs=e["admdvs"],
                    coverage_begin=e["begin"],
                    coverage_end=e["end"],
                    situation=SITUATION.get(e["event"], "resident"),
                    coverage_rule=e["event"],
                ),
            )
            payments.record_payment(
                s,
                library,
                payments.PaymentRequest(
                    psn_no=e["psn_no"],
                    year=YEAR,
                    payment_id=payments.default_payment_id(e["psn_no"], YEAR),
                    paid_on=e["paid_date"],
                    personal_paid=e["personal_paid"],
                    assistance_subsidy=e["subsidy"],
                    channel="税务",
                ),
                SEEDER,
            )

    claims = county.claims.filter(county.claims["psn_no"].is_in(enrolled["psn_no"].implode()))
    for row in claims.sort("setl_time").to_dicts():
        row["categories"] = ""  # the store takes them from the person's categories
        with transaction(factory) as s:
            ledger.settle(s, library, row, SEEDER)

    with transaction(factory) as s:
        warned, warned_cert = _person(s, 1, "周德福", "汉葭街道", "低保对象")
        _enroll(s, warned)
        split, split_cert = _person(s, 2, "吴桂兰", "保家镇", "稳定脱贫人口")
        _enroll(s, split)
        _person(s, 3, "郑光明", "郁山镇", "特困人员")  # on the roster, not enrolled
        to_enroll, _ = _person(s, 4, "陈秀英", "鹿鸣乡", "低保对象")
        fresh, _ = _person(s, 5, "刘建国", "汉葭街道", "低保对象")
        _enroll(s, fresh)
    cases = [
        _claim(warned, warned_cert, "W-2023-0001", dt.date(2023, 2, 3), dt.date(2023, 2, 20), "160000.00", dise="C34.1"),
        _claim(warned, warned_cert, "W-2023-0002", dt.date(2023, 5, 6), dt.date(2023, 5, 28), "120000.00", dise="C34.1"),
        _claim(split, split_cert, "W-2023-0003", dt.date(2023, 3, 1), dt.date(2023, 3, 10), "9000.00", "H50024310017", "J18.0"),
        _claim(split, split_cert, "W-2023-0004", dt.date(2023, 3, 13), dt.date(2023, 3, 22), "8500.00", "H50024310017", "J18.9"),
    ]  # fmt: skip
    for row in cases:
        with transaction(factory) as s:
            ledger.settle(s, library, row, SEEDER)
    with transaction(factory) as s:  # 预警 and 监管 are scanned after settling, as the demo does
        reviews.scan(s, library, REGION, YEAR)
    return Seeded(tokens, to_enroll, "陈秀英", warned, fresh)
