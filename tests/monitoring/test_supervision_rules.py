"""One test per smart-monitoring rule, with the parameters of data/monitoring_rules.yaml:
挂床 half the days idle, 分解住院 within 15 days, 处方 7 days (长期处方 12 weeks), 低标准入院 3 days
and 2000 yuan."""

from __future__ import annotations

import datetime as dt

import pytest

from yibao.engine.supervision import HIT_COLUMNS, hits_to_json, run_rule

D = dt.date


def hits(case, rules, key):
    claims, details, persons = case.tables()
    return run_rule(key, claims, details, persons, rules)


def test_bed_hogging_half_the_days_with_only_bed_and_nursing(case, rules):
    case.person("P1")
    sid = case.stay("P1", D(2023, 3, 1), 6)
    # Days 4–6 of 6 keep only bed and nursing: 3 of 6 days idle = 50 % → 挂床.
    idle = {D(2023, 3, 4), D(2023, 3, 5), D(2023, 3, 6)}
    case.b.details = [
        ln for ln in case.b.details if ln["date"] not in idle or ln["item_type"] in ("床位", "护理")
    ]
    found = hits(case, rules, "bed_hogging")
    assert found["setl_id"].to_list() == [sid]
    assert found["vola_amt"][0] == 3 * (3_000 + 2_000)  # the idle days' bed and nursing
    assert "2023-03-04" in found["vola_evid"][0]


def test_bed_hogging_not_below_the_share(case, rules):
    case.person("P1")
    case.stay("P1", D(2023, 3, 1), 6)
    idle = {D(2023, 3, 5), D(2023, 3, 6)}  # 2 of 6 days: below 50 %
    case.b.details = [
        ln for ln in case.b.details if ln["date"] not in idle or ln["item_type"] in ("床位", "护理")
    ]
    assert hits(case, rules, "bed_hogging").is_empty()


def test_split_admission_readmitted_within_15_days_same_diagnosis(case, rules):
    case.person("P1")
    case.stay("P1", D(2023, 3, 1), 5, dx="J18.9")  # discharged 3-6
    second = case.stay("P1", D(2023, 3, 21), 5, dx="J18.0")  # 15 days later, same category J18
    case.stay("P1", D(2023, 5, 1), 5, dx="J18.9")  # 35 days later: not split
    found = hits(case, rules, "split_admission")
    assert found["setl_id"].to_list() == [second]
    assert "15天" in found["vola_cont"][0]


def test_split_admission_excludes_chemotherapy_courses_and_other_diagnoses(case, rules):
    case.person("P1")
    case.stay("P1", D(2023, 3, 1), 3, dx="Z51.1")
    case.stay("P1", D(2023, 3, 10), 3, dx="Z51.1")  # planned chemotherapy course
    case.stay("P1", D(2023, 4, 1), 3, dx="K80.2")
    case.stay("P1", D(2023, 4, 8), 3, dx="I63.9")  # a different diagnosis
    assert hits(case, rules, "split_admission").is_empty()


def test_split_admission_excludes_same_day_transfer(case, rules):
    case.person("P1")
    case.stay("P1", D(2023, 3, 1), 3, dx="I63.9", hosp_lv="05")
    case.stay("P1", D(2023, 3, 4), 8, dx="I63.9", hosp_lv="02")  # transferred up the same day
    assert hits(case, rules, "split_admission").is_empty()


def test_outpatient_settled_strictly_inside_a_stay(case, rules):
    case.person("P1")
    case.stay("P1", D(2023, 3, 1), 5)  # 3-1 to 3-6
    inside = case.visit("P1", D(2023, 3, 3), [])
    case.visit("P1", D(2023, 3, 1), [])  # admission day: not strictly inside
    case.visit("P1", D(2023, 3, 6), [])  # discharge day
    found = hits(case, rules, "outpatient_during_stay")
    assert found["setl_id"].to_list() == [inside]
    assert found["sev_deg"][0] == "明确"


def test_duplicate_charge_above_daily_limit(case, rules):
    case.person("P1")
    sid = case.stay("P1", D(2023, 3, 1), 3)
    extra = dict(case.b.details[0], line_no=99)  # a second 床位费 on 3-1 (limit 1 a day)
    case.b.details.append(extra)
    found = hits(case, rules, "duplicate_charge")
    assert found["setl_id"].to_list() == [sid]
    assert found["vola_amt"][0] == 3_000


def test_duplicate_charge_sub_item_beside_its_package(case, rules):
    case.person("P1")
    day = D(2023, 3, 1)
    sid = case.visit("P1", day, [("LAB100", day, 1, None), ("LAB101", day, 1, None)])
    case.visit("P1", D(2023, 3, 2), [("LAB101", D(2023, 3, 2), 1, None)])  # alone: fine
    found = hits(case, rules, "duplicate_charge")
    assert found["setl_id"].to_list() == [sid]
    assert found["vola_amt"][0] == 500


def test_over_supply_seven_days_general_twelve_weeks_chronic(case, rules):
    case.person("P1")
    over = case.visit("P1", D(2023, 3, 1), [("DRG001", D(2023, 3, 1), 14, 14)])
    case.visit("P1", D(2023, 4, 1), [("DRG002", D(2023, 4, 1), 7, 7)])  # exactly 7: fine
    case.visit("P1", D(2023, 5, 1), [("DRG003", D(2023, 5, 1), 84, 84)], med_type="14")
    found = hits(case, rules, "over_supply")
    assert found["setl_id"].to_list() == [over]
    assert found["vola_amt"][0] == 600 * 14 * 7 // 14  # the 7 days beyond the limit


def test_over_supply_refill_before_most_of_the_supply_is_used(case, rules):
    case.person("P1")
    case.visit("P1", D(2023, 1, 1), [("DRG003", D(2023, 1, 1), 30, 30)], med_type="14")
    early = case.visit("P1", D(2023, 1, 16), [("DRG003", D(2023, 1, 16), 30, 30)], med_type="14")
    case.visit("P1", D(2023, 2, 12), [("DRG003", D(2023, 2, 12), 30, 30)], med_type="14")
    # 15 days after a 30-day supply (< 70 %) is early; 27 days after the second is not.
    found = hits(case, rules, "over_supply")
    assert found["setl_id"].to_list() == [early]
    assert found["vola_amt"][0] == 150 * 30 * 15 // 30  # 15 days' supply left over


def test_restricted_sex_item_billed_to_the_other_sex(case, rules):
    case.person("M", sex="1")
    case.person("F", sex="2")
    day = D(2023, 3, 1)
    wrong = case.visit("M", day, [("SEXF01", day, 1, None)])  # 宫颈细胞学 for a man
    case.visit("F", day, [("SEXF01", day, 1, None)])
    found = hits(case, rules, "restricted_sex")
    assert found["setl_id"].to_list() == [wrong]
    assert found["sev_deg"][0] == "明确"
    assert found["vola_amt"][0] == 12_000


def test_restricted_age_counts_the_birthday(case, rules):
    case.person("A", birth=D(2008, 3, 2))  # 14 on 2023-03-01, 15 on 2023-03-02
    ok = D(2023, 3, 1)
    case.visit("A", ok, [("AGE002", ok, 3, 3)])  # 小儿 drug, up to 14 years
    late = case.visit("A", D(2023, 3, 20), [("AGE002", D(2023, 3, 20), 3, 3)])
    found = hits(case, rules, "restricted_age")
    assert found["setl_id"].to_list() == [late]


def test_low_standard_admission_short_cheap_exams_for_a_cold(case, rules):
    case.person("P1")
    begin = D(2023, 6, 1)
    exams = [("BED001", begin, 1, None), ("LAB100", begin, 1, None), ("IMG001", begin, 1, None)]
    low = case.b.claim(case.people["P1"], "21", begin, begin + dt.timedelta(days=2), "J06.9", exams)
    # the same stay for pneumonia is not on the outpatient-treatable list
    case.b.claim(
        case.people["P1"],
        "21",
        D(2023, 8, 1),
        D(2023, 8, 3),
        "J18.9",
        [("BED001", D(2023, 8, 1), 1, None), ("IMG001", D(2023, 8, 1), 1, None)],
    )
    found = hits(case, rules, "low_standard_admission")
    assert found["setl_id"].to_list() == [low]
    assert found["vola_amt"][0] == 3_000 + 2_500 + 28_000


def test_hits_have_the_audit_shape_in_yuan(case, rules):
    case.person("M", sex="1")
    day = D(2023, 3, 1)
    case.visit("M", day, [("SEXF01", day, 1, None)])
    rows = hits_to_json(hits(case, rules, "restricted_sex"))
    assert tuple(rows[0]) == HIT_COLUMNS
    assert rows[0]["vola_amt"] == 120.0
    assert rows[0]["rule_id"] == "JK006" and rows[0]["rule_name"] == "限性别"


def test_missing_column_names_the_field(case, rules):
    case.person("P1")
    case.stay("P1", D(2023, 3, 1), 3)
    claims, details, persons = case.tables()
    with pytest.raises(ValueError, match="enddate"):
        run_rule("bed_hogging", claims.drop("enddate"), details, persons, rules)
