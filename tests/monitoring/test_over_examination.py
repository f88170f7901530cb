"""过度检查 (JK009) with the parameters of data/monitoring_rules.yaml: the same CT/MRI exam group
again within 14 days (inclusive); an inpatient exam share above both twice the median of at
least 20 peers (same hosp_lv and ICD-10 category) and 50 %."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from yibao.engine.supervision import run_rule
from yibao.monitoring.rules_file import DEFAULT_RULES, RulesFileError, load_rules

D = dt.date
KEY = "over_examination"


def hits(case, rules):
    claims, details, persons = case.tables()
    return run_rule(KEY, claims, details, persons, rules)


def exam(case, psn: str, day: dt.date, *codes: str) -> str:
    return case.visit(psn, day, [(code, day, 1, None) for code in codes])


# ---------------------------------------------------------------- repeated large-equipment exam
def test_same_site_again_within_14_days_is_a_hit_15_is_not(case, rules):
    case.person("P1")
    exam(case, "P1", D(2023, 3, 1), "IMG001")  # 胸部CT平扫
    again = exam(case, "P1", D(2023, 3, 15), "IMG003")  # 胸部CT增强, 14 days later: same exam
    exam(case, "P1", D(2023, 3, 30), "IMG001")  # 15 days after 3-15: not within the window
    found = hits(case, rules)
    assert found["setl_id"].to_list() == [again]
    assert found["vola_amt"][0] == 45_000  # the repeated exam's amount
    assert found["rule_id"][0] == "JK009" and found["rule_name"][0] == "过度检查"
    assert "CT-胸部" in found["vola_cont"][0] and "14天后" in found["vola_cont"][0]
    first = case.b.claims[0]["setl_id"]
    assert found["vola_evid"][0] == f"前次={first}#2; 本次={again}#2"


def test_other_site_modality_or_person_is_not_a_repeat(case, rules):
    case.person("P1")
    case.person("P2")
    exam(case, "P1", D(2023, 3, 1), "IMG001")  # CT-胸部
    exam(case, "P1", D(2023, 3, 2), "IMG004")  # CT-头部: another site
    exam(case, "P1", D(2023, 3, 3), "IMG010")  # MRI-头部: another modality
    exam(case, "P1", D(2023, 3, 4), "IMG011", "IMG002")  # MRI-腰椎; 超声 is no exam group
    exam(case, "P1", D(2023, 3, 5), "IMG002")
    exam(case, "P2", D(2023, 3, 2), "IMG001")  # another person's chest CT
    assert hits(case, rules).is_empty()


def test_one_claim_one_day_is_one_examination(case, rules):
    case.person("P1")
    day = D(2023, 3, 1)
    # 平扫 + 增强 in one session, and one exam billed as two units: not repeated (units above
    # the daily limit are 重复收费's).
    case.visit("P1", day, [("IMG001", day, 2, None), ("IMG003", day, 1, None)])
    assert hits(case, rules).is_empty()


def test_same_day_in_another_claim_and_later_in_a_stay_are_repeats(case, rules):
    case.person("P1")
    day = D(2023, 3, 1)
    exam(case, "P1", day, "IMG004")
    # admitted the same day; the head CT done again on admission and on day 3 of the stay
    stay = case.stay("P1", day, 5)
    case.b.details += [
        dict(case.b.details[-1], line_no=90, item_code="IMG004", item_type="检查", date=day,
             qty=1.0, price=20_000, amount=20_000),
        dict(case.b.details[-1], line_no=91, item_code="IMG004", item_type="检查",
             date=D(2023, 3, 3), qty=1.0, price=20_000, amount=20_000),
    ]  # fmt: skip
    found = hits(case, rules)
    assert found["setl_id"].to_list() == [stay, stay]
    assert sorted(found["vola_evid"].to_list()) == sorted(
        [f"前次={case.b.claims[0]['setl_id']}#2; 本次={stay}#90", f"前次={stay}#90; 本次={stay}#91"]
    )
    assert any("0天后" in c for c in found["vola_cont"].to_list())


# ---------------------------------------------------------------- exam share above peers
def stays(case, n: int, dx: str, hosp_lv: str, beds: int, ultrasounds: int) -> list[str]:
    """n stays whose lines are beds × 30 元 and ultrasounds × 150 元 (exam share exact)."""
    out = []
    for i in range(n):
        psn = f"{dx}{hosp_lv}{beds}-{ultrasounds}-{i}"
        case.person(psn)
        begin = D(2023, 1, 1) + dt.timedelta(days=i)
        lines = [("BED001", begin, beds, None), ("IMG002", begin, ultrasounds, None)]
        end = begin + dt.timedelta(days=5)
        out.append(case.b.claim(case.people[psn], "21", begin, end, dx, lines, hosp_lv=hosp_lv))
    return out


def test_exam_share_above_twice_the_peer_median(case, rules):
    stays(case, 19, "J18.9", "02", beds=35, ultrasounds=3)  # 45 000 / 150 000 = 30 %
    stays(case, 1, "J18.0", "02", beds=35, ultrasounds=9)  # 56.25 %: above 50 %, not 2×
    stays(case, 1, "J18.9", "02", beds=20, ultrasounds=6)  # exactly 60 % = 2 × median: not above
    (high,) = stays(case, 1, "J18.9", "02", beds=35, ultrasounds=14)  # 210 000 / 315 000
    found = hits(case, rules)
    assert found["setl_id"].to_list() == [high]
    # the exam amount above what the median share (30 %) of 315 000 fen would give
    assert found["vola_amt"][0] == 210_000 - 94_500
    assert "22例" in found["vola_cont"][0] and "中位数30%" in found["vola_cont"][0]
    assert found["vola_evid"][0].startswith(f"setl_id={high}; 检查210000分/明细合计315000分")


def test_exam_share_needs_the_floor_and_a_large_enough_group(case, rules):
    stays(case, 20, "I63.9", "02", beds=45, ultrasounds=1)  # 10 %
    stays(case, 1, "I63.9", "02", beds=30, ultrasounds=4)  # 40 %: 4 × median but below 50 %
    stays(case, 18, "K80.2", "02", beds=35, ultrasounds=3)
    stays(case, 1, "K80.2", "02", beds=1, ultrasounds=20)  # 99 %, but only 19 peers
    stays(case, 19, "J18.9", "05", beds=35, ultrasounds=3)  # another hospital level:
    stays(case, 1, "J18.9", "02", beds=1, ultrasounds=20)  # 21 J18 claims, 1 at level 02
    assert hits(case, rules).is_empty()


def test_outpatient_claims_are_not_judged_by_share(case, rules):
    stays(case, 20, "J18.9", "02", beds=35, ultrasounds=3)
    case.person("V")
    case.visit("V", D(2023, 3, 1), [("IMG002", D(2023, 3, 1), 1, None)], dx="J18.9")
    assert hits(case, rules).is_empty()


# ---------------------------------------------------------------- bad input and the rules file
def test_missing_column_names_the_field(case, rules):
    case.person("P1")
    case.stay("P1", D(2023, 3, 1), 3)
    claims, details, persons = case.tables()
    with pytest.raises(ValueError, match="hosp_lv"):
        run_rule(KEY, claims.drop("hosp_lv"), details, persons, rules)
    with pytest.raises(ValueError, match="details: missing column.*date"):
        run_rule(KEY, claims, details.drop("date"), persons, rules)
    with pytest.raises(ValueError, match="item_type"):
        run_rule(KEY, claims, details.drop("item_type"), persons, rules)


def test_rules_file_multiple_below_one_is_rejected(tmp_path: Path):
    data = yaml.safe_load(DEFAULT_RULES.read_text(encoding="utf-8"))
    data["rules"][KEY]["params"]["share_over_median"]["value"] = 0.8
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RulesFileError, match="share_over_median: must be >= 1"):
        load_rules(path)


def test_catalogue_exam_groups(rules):
    groups = dict(rules.catalogue.exam_groups().iter_rows())
    assert groups["IMG001"] == groups["IMG003"] == "CT-胸部"
    assert groups["IMG004"] == "CT-头部" and groups["IMG011"] == "MRI-腰椎"
    assert "IMG002" not in groups  # ultrasound is not large equipment
