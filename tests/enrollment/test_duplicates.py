"""Duplicate enrollment: persons insured twice in a year (overlapping coverage)."""

import polars as pl
import pytest

from yibao.enrollment.duplicates import duplicate_pairs, duplicate_persons
from yibao.enrollment.records import RecordError, validate_enrollments


def table(rows):
    cols = ["certno", "insutype", "insuplc_admdvs", "begndate", "enddate"]
    return pl.DataFrame(dict(zip(cols, map(list, zip(*rows, strict=True)), strict=True)))


def test_resident_in_two_regions_is_a_duplicate(ids):
    e = validate_enrollments(
        table(
            [
                (ids[0], "390", "500243", "2023-01-01", "2023-12-31"),
                (ids[0], "390", "341702", "2023-01-01", "2023-12-31"),
            ]
        )
    )
    pairs = duplicate_pairs(e, 2023)
    assert pairs["kind"].to_list() == ["居民+居民"]
    assert pairs["overlap_days"].to_list() == [365]


def test_resident_and_employee_insurance_overlapping_half_a_year(ids):
    e = validate_enrollments(
        table(
            [
                (ids[1], "390", "500243", "2023-01-01", "2023-12-31"),
                (ids[1], "310", "500243", "2023-07-01", "2024-06-30"),
            ]
        )
    )
    pairs = duplicate_pairs(e, 2023)
    assert pairs.row(0, named=True)["kind"] == "居民+职工"
    assert pairs.row(0, named=True)["overlap_days"] == 184


def test_one_shared_day_counts_and_touching_periods_do_not(ids):
    e = validate_enrollments(
        table(
            [
                (ids[2], "390", "500243", "2023-01-01", "2023-06-30"),
                (ids[2], "310", "500243", "2023-06-30", "2023-12-31"),  # shares 30 June
                (ids[3], "390", "500243", "2023-01-01", "2023-06-30"),
                (ids[3], "310", "500243", "2023-07-01", "2023-12-31"),  # follows on: fine
            ]
        )
    )
    pairs = duplicate_pairs(e, 2023)
    assert pairs["certno"].to_list() == [ids[2]]
    assert pairs["overlap_days"].to_list() == [1]


def test_overlap_outside_the_year_is_not_counted(ids):
    e = validate_enrollments(
        table(
            [
                (ids[4], "390", "500243", "2024-01-01", "2024-12-31"),
                (ids[4], "390", "341702", "2024-01-01", "2024-12-31"),
            ]
        )
    )
    assert duplicate_pairs(e, 2023).is_empty()
    assert duplicate_pairs(e, 2024).height == 1


def test_leap_year_full_overlap_is_366_days(ids):
    e = validate_enrollments(
        table(
            [
                (ids[5], "390", "500243", "2024-01-01", "2024-12-31"),
                (ids[5], "390", "341702", "2023-07-01", "2025-06-30"),
            ]
        )
    )
    assert duplicate_pairs(e, 2024)["overlap_days"].to_list() == [366]


def test_persons_summary_lists_regions(ids):
    e = validate_enrollments(
        table(
            [
                (ids[6], "390", "500243", "2023-01-01", "2023-12-31"),
                (ids[6], "390", "341702", "2023-01-01", "2023-12-31"),
                (ids[6], "310", "421202", "2023-03-01", "2023-12-31"),
                (ids[7], "390", "500243", "2023-01-01", "2023-12-31"),
            ]
        )
    )
    persons = duplicate_persons(duplicate_pairs(e, 2023))
    row = persons.row(0, named=True)
    assert persons.height == 1
    assert row["pairs"] == 3
    assert row["regions"] == ["341702", "421202", "500243"]


def test_year_column_means_the_whole_year(ids):
    e = validate_enrollments(
        pl.DataFrame(
            {
                "身份证号": [ids[8], ids[8]],
                "险种": ["390", "390"],
                "参保地": ["500243", "341702"],
                "年度": ["2023", "2023"],
            }
        )
    )
    assert duplicate_pairs(e, 2023).height == 1


def test_bad_id_number_rejected_naming_row_and_field(ids):
    bad = ids[0][:17] + ("0" if ids[0][17] != "0" else "1")
    with pytest.raises(RecordError, match=r"row 3: certno: .*check digit"):
        validate_enrollments(
            table(
                [
                    (ids[0], "390", "500243", "2023-01-01", "2023-12-31"),
                    (bad, "390", "500243", "2023-01-01", "2023-12-31"),
                ]
            )
        )


@pytest.mark.parametrize(
    ("field", "row", "message"),
    [
        ("insutype", ("X", "390", "500243", "2023-01-01", "2023-12-31"), "insutype"),
        ("insutype", ("X", "320", "500243", "2023-01-01", "2023-12-31"), "insutype"),
        ("region", ("X", "390", "5002", "2023-01-01", "2023-12-31"), "insuplc_admdvs"),
        ("date", ("X", "390", "500243", "2023-02-30", "2023-12-31"), "begndate"),
        ("order", ("X", "390", "500243", "2023-12-31", "2023-01-01"), "enddate"),
    ],
)
def test_bad_fields_rejected(ids, field, row, message):
    rows = [(ids[0], *row[1:])]
    if field == "insutype" and row[1] == "390":
        rows = [(ids[0], "", *row[2:])]
    with pytest.raises(RecordError, match=f"row 2: {message}"):
        validate_enrollments(table(rows))


def test_missing_column_named(ids):
    with pytest.raises(RecordError, match="missing column"):
        validate_enrollments(pl.DataFrame({"certno": [ids[0]]}))
