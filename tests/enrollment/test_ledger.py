"""应保尽保 ledger: who is not insured, 参保率 by township and category against the targets."""

import datetime as dt

import polars as pl
import pytest
from openpyxl import load_workbook

from yibao.enrollment.files import read_table, write_ledger_xlsx
from yibao.enrollment.ledger import build_ledger, target_for
from yibao.enrollment.records import RecordError, validate_enrollments, validate_roster
from yibao.idcard import make_id


def roster_frame(ids):
    return pl.DataFrame(
        {
            "身份证号": ids[:6],
            "姓名": ["甲", "乙", "丙", "丁", "戊", "己"],
            "类别": ["低保对象", "低保对象", "特困人员", "稳定脱贫人口", "低保边缘户", "低保对象"],
            "乡镇": ["汉葭街道", "汉葭街道", "汉葭街道", "保家镇", "保家镇", "保家镇"],
        }
    )


def enrollment_frame(ids):
    # ids[1] not insured at all; ids[4] insured only in 2022; ids[3] as an employee (310).
    return pl.DataFrame(
        {
            "certno": [ids[0], ids[2], ids[3], ids[4], ids[5]],
            "insutype": ["390", "390", "310", "390", "390"],
            "insuplc_admdvs": ["500243", "500243", "500243", "500243", "341702"],
            "begndate": ["2023-01-01", "2023-04-02", "2023-01-01", "2022-01-01", "2023-01-01"],
            "enddate": ["2023-12-31", "2023-12-31", "2023-12-31", "2022-12-31", "2023-12-31"],
        }
    )


@pytest.fixture
def ledger(library, ids):
    roster = validate_roster(roster_frame(ids))
    enrollments = validate_enrollments(enrollment_frame(ids))
    return build_ledger(roster, enrollments, library.resolve("500243", 2023))


def rate(ledger, township, category):
    rows = ledger.rates.filter(
        (pl.col("township") == township) & (pl.col("category") == category)
    ).to_dicts()
    assert len(rows) == 1
    return rows[0]


def test_uninsured_listed_by_township_and_category(ledger, ids):
    got = ledger.uninsured.select("township", "category", "certno").rows()
    assert got == [("保家镇", "低保边缘家庭成员", ids[4]), ("汉葭街道", "低保对象", ids[1])]


def test_insured_elsewhere_or_as_employee_counts_as_insured(ledger, ids):
    assert ids[5] not in ledger.uninsured["certno"].to_list()  # 异地参保 (341702)
    assert ids[3] not in ledger.uninsured["certno"].to_list()  # 职工医保


def test_township_rate_and_pengshui_eight_categories_target_100_percent(ledger):
    row = rate(ledger, "汉葭街道", "低保对象")
    assert (row["roster"], row["insured"], row["rate_bp"]) == (2, 1, 5000)
    assert row["target_bp"] == 10000
    assert row["meets_target"] is False


def test_overall_rate_against_low_income_target_99_percent(ledger):
    row = rate(ledger, "", "")
    assert (row["roster"], row["insured"], row["uninsured"]) == (6, 4, 2)
    assert row["rate_bp"] == 6667  # 4/6 = 66.67 %, half up
    assert row["target_bp"] == 9900


def test_category_total_over_townships(ledger):
    row = rate(ledger, "", "低保对象")
    assert (row["roster"], row["insured"]) == (3, 2)


def test_targets_by_jurisdiction(library):
    pengshui = library.resolve("500243", 2023)
    zaozhuang = library.resolve("370400", 2023)
    assert target_for(pengshui, "低保对象").bp == 10000
    assert target_for(pengshui, "一般居民").bp == 9500  # 参保完成率 95%
    assert target_for(zaozhuang, "低保对象").bp == 9900  # 99%
    assert target_for(zaozhuang, "防止返贫监测对象").param == "low_income_enrollment_rate"


def test_meets_target_is_exact_not_rounded(library):
    # 枣庄 99%: 1979 of 1999 insured is 98.9995 %, shown as 99.00 % but short of the target.
    people = [make_id("370402", dt.date(1950, 1, 1) + dt.timedelta(days=i), 1) for i in range(1999)]
    roster = validate_roster(
        pl.DataFrame(
            {
                "certno": people,
                "psn_name": ["x"] * 1999,
                "category": ["低保对象"] * 1999,
                "township": ["x"] * 1999,
            }
        )
    )
    insured = people[:1979]
    enrollments = validate_enrollments(
        pl.DataFrame(
            {
                "certno": insured,
                "insutype": ["390"] * 1979,
                "insuplc_admdvs": ["370402"] * 1979,
                "year": ["2023"] * 1979,
            }
        )
    )
    row = rate(build_ledger(roster, enrollments, library.resolve("370400", 2023)), "", "")
    assert row["rate_bp"] == 9900
    assert row["target_bp"] == 9900
    assert row["meets_target"] is False


def test_bad_roster_category_named(ids):
    frame = roster_frame(ids).with_columns(pl.lit("贵族").alias("类别"))
    with pytest.raises(RecordError, match="row 2: category"):
        validate_roster(frame)


def test_ledger_json_masks_id_numbers_by_default(ledger, ids):
    doc = ledger.to_json()
    assert all(ids[1] != p["certno"] for p in doc["uninsured"])
    assert ledger.to_json(unmask=True)["uninsured"][1]["certno"] == ids[1]


def test_excel_roundtrip_keeps_ids_and_writes_three_sheets(ledger, ids, tmp_path):
    roster_path = tmp_path / "roster.xlsx"
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    frame = roster_frame(ids)
    sheet.append(frame.columns)
    for row in frame.rows():
        sheet.append(list(row))
    book.save(roster_path)
    assert validate_roster(read_table(roster_path))["certno"].to_list() == ids[:6]

    out = write_ledger_xlsx(ledger, tmp_path / "ledger.xlsx")
    wb = load_workbook(out)
    assert wb.sheetnames == ["未参保名单", "参保率", "目标"]
    assert [c.value for c in wb["未参保名单"][2]][2] == ids[4]
    assert any(r[7] == "未达标" for r in wb["参保率"].iter_rows(values_only=True))
