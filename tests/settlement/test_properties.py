"""Properties over random years of claims: layers add up, caps hold, payments are monotone in
cost, batch equals one-by-one settlement to the fen, and reversal restores every total."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yibao.claims import CLAIM_SCHEMA
from yibao.engine.settlement import (
    SETLINFO_AMOUNTS,
    Accumulators,
    accumulators_from_frame,
    reverse_settlement,
    settle_claim,
    settle_year,
)
from yibao.engine.settlement_rules import NO_CAP, claim_rules
from yibao.policy import default_library

REGIONS = ("500243", "421200", "341700", "150000", "370400")
MED_TYPES = ("11", "13", "14", "21", "51", "52", "9901")
HOSP_LVS = ("02", "05", "08", "11")
CATEGORIES = ("", "低保对象", "特困人员", "低保边缘家庭成员", "脱贫不稳定人口", "稳定脱贫人口")
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def amounts(draw, high=30_000_000):
    total = draw(st.integers(0, high))
    ful = draw(st.integers(0, total))
    over = draw(st.integers(0, total - ful))
    pre = draw(st.integers(0, total - ful - over))
    return total, ful, over, pre


@st.composite
def person_claims(draw, psn_no):
    region = draw(st.sampled_from(REGIONS))
    tier = draw(st.sampled_from((1, 2)))
    cats = draw(st.sampled_from(CATEGORIES))
    waiting = draw(st.sampled_from((None, None, dt.date(2023, 4, 1))))
    n = draw(st.integers(1, 8))
    minutes = sorted(draw(st.lists(st.integers(0, 364 * 24 * 60), min_size=n, max_size=n)))
    rows = []
    for i, minute in enumerate(minutes):
        when = dt.datetime(2023, 1, 1) + dt.timedelta(minutes=minute)
        begin = when.date() - dt.timedelta(days=draw(st.integers(0, 3)))
        begin = max(begin, dt.date(2023, 1, 1))
        total, ful, over, pre = draw(amounts())
        rows.append(
            {
                "setl_id": f"{psn_no}-{i}",
                "psn_no": psn_no,
                "certno": "",
                "insuplc_admdvs": region,
                "tier": tier,
                "categories": cats,
                "med_type": draw(st.sampled_from(MED_TYPES)),
                "hosp_lv": draw(st.sampled_from(HOSP_LVS)),
                "fixmedins_code": "",
                "dise_codg": "",
                "setl_time": when,
                "begndate": begin,
                "enddate": when.date(),
                "medfee_sumamt": total,
                "fulamt_ownpay_amt": ful,
                "overlmt_selfpay": over,
                "preselfpay_amt": pre,
                "coverage_begin": waiting,
                "coverage_end": None,
            }
        )
    return rows


@st.composite
def years(draw):
    persons = draw(st.integers(1, 4))
    rows = []
    for p in range(persons):
        rows += draw(person_claims(f"P{p}"))
    return rows


def _sequential(rows, library, start=None):
    accs: dict[str, Accumulators] = {}
    out = {}
    for row in sorted(rows, key=lambda r: (r["psn_no"], r["setl_time"], r["setl_id"])):
        policy = library.resolve(row["insuplc_admdvs"], row["setl_time"].year)
        acc = accs.get(row["psn_no"]) or (start or {}).get(row["psn_no"]) or Accumulators()
        s, accs[row["psn_no"]] = settle_claim(row, policy, acc)
        out[row["setl_id"]] = s
    return out, accs


@SETTINGS
@given(years())
def test_batch_equals_one_by_one_sequential_settlement_to_the_fen(rows):
    library = default_library()
    frame, final = settle_year(pa.Table.from_pylist(rows, schema=CLAIM_SCHEMA), library)
    one_by_one, accs = _sequential(rows, library)
    for row in frame.iter_rows(named=True):
        s = one_by_one[row["setl_id"]]
        assert {k: row[k] for k in SETLINFO_AMOUNTS} == {k: s.setlinfo[k] for k in SETLINFO_AMOUNTS}
        assert row["pool_prop_selfpay"] == s.setlinfo["pool_prop_selfpay"]
    batch_accs = {psn: acc for (psn, _), acc in accumulators_from_frame(final).items()}
    assert batch_accs == accs


@SETTINGS
@given(years())
def test_layers_add_up_and_never_exceed_the_policy_scope(rows):
    frame, _ = settle_year(pa.Table.from_pylist(rows, schema=CLAIM_SCHEMA), default_library())
    for r in frame.iter_rows(named=True):
        assert r["fund_pay_sumamt"] == r["hifp_pay"] + r["hifmi_pay"] + r["maf_pay"] + r["oth_pay"]
        assert r["fund_pay_sumamt"] + r["psn_part_amt"] == r["medfee_sumamt"]
        assert min(r["hifp_pay"], r["hifmi_pay"], r["maf_pay"]) >= 0
        assert r["fund_pay_sumamt"] <= r["inscp_scp_amt"]
        assert r["act_pay_dedc"] <= r["inscp_scp_amt"]
        assert r["psn_cash_pay"] == r["psn_part_amt"] and r["balc"] == 0
        if not r["covered"]:
            assert r["fund_pay_sumamt"] == 0


@st.composite
def near_caps(draw):
    """Prior totals close to (or beyond) the caps, so that every cap is exercised."""
    return Accumulators(
        pool_paid={
            "统筹基金": draw(st.integers(0, 30_000_000)),
            "outpatient_general": draw(st.integers(0, 50_000)),
            "two_diseases": draw(st.integers(0, 50_000)),
            "maternity": draw(st.integers(0, 100_000)),
        },
        critical_eligible=draw(st.integers(0, 50_000_000)),
        critical_paid=draw(st.integers(0, 40_000_000)),
        assistance_eligible=draw(st.integers(0, 10_000_000)),
        assistance_paid=draw(st.integers(0, 6_000_000)),
    )


@SETTINGS
@given(years(), st.data())
def test_no_cap_is_ever_exceeded(rows, data):
    library = default_library()
    start = {r["psn_no"]: data.draw(near_caps()) for r in rows}
    _, accs = _sequential(rows, library, start)
    for psn, acc in accs.items():
        mine = [r for r in rows if r["psn_no"] == psn]
        before = start[psn]
        for r in mine:
            rules = claim_rules(
                library.resolve(r["insuplc_admdvs"], 2023),
                r["med_type"],
                r["hosp_lv"],
                r["tier"],
                tuple(c for c in r["categories"].split("|") if c),
            )
            group = rules.cap_group
            assert acc.pool_paid[group] <= max(rules.annual_cap, before.pool_paid.get(group, 0))
            if rules.critical_cap < NO_CAP:
                assert acc.critical_paid <= max(rules.critical_cap, before.critical_paid)
            assert acc.assistance_paid <= max(rules.assistance_limit, before.assistance_paid)


@SETTINGS
@given(
    st.sampled_from(REGIONS),
    st.sampled_from(MED_TYPES),
    st.sampled_from(HOSP_LVS),
    st.sampled_from(CATEGORIES),
    st.integers(0, 20_000_000),
    st.integers(1, 5_000_000),
    st.data(),
)
def test_payments_are_monotone_in_cost(region, med_type, hosp_lv, cats, base, extra, data):
    library = default_library()
    policy = library.resolve(region, 2023)
    acc = data.draw(near_caps())
    row = {
        "setl_id": "m",
        "psn_no": "P",
        "insuplc_admdvs": region,
        "tier": 1,
        "categories": cats,
        "med_type": med_type,
        "hosp_lv": hosp_lv,
        "setl_time": dt.datetime(2023, 5, 1),
        "medfee_sumamt": base,
    }
    low, _ = settle_claim(row, policy, acc)
    high, _ = settle_claim({**row, "medfee_sumamt": base + extra}, policy, acc)
    for layer in ("hifp_pay", "hifmi_pay", "maf_pay", "fund_pay_sumamt", "psn_part_amt"):
        assert high.setlinfo[layer] >= low.setlinfo[layer], layer


@SETTINGS
@given(years(), st.randoms(use_true_random=False))
def test_settle_then_reverse_restores_every_running_total(rows, rnd):
    library = default_library()
    settled, accs = _sequential(rows, library)
    claims = list(settled.values())
    rnd.shuffle(claims)
    for s in claims:
        psn = s.setlinfo["psn_no"]
        accs[psn] = reverse_settlement(s, accs[psn])
    assert all(acc == Accumulators.empty() for acc in accs.values())


@SETTINGS
@given(years())
def test_reversing_the_last_claim_gives_back_exactly_what_it_consumed(rows):
    library = default_library()
    ordered = sorted(rows, key=lambda r: (r["psn_no"], r["setl_time"], r["setl_id"]))
    acc = Accumulators()
    last = ordered[-1]
    for row in ordered:
        if row["psn_no"] != last["psn_no"]:
            continue
        before = acc
        s, acc = settle_claim(row, library.resolve(row["insuplc_admdvs"], 2023), acc)
    assert reverse_settlement(s, acc) == before
