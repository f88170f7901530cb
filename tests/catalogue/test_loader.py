"""Loading the 医保目录 files: inheritance along the region chain, and errors that name file,
row and field (a bureau drops in its full catalogue)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from yibao.catalogue.loader import CatalogueFileError, CatalogueLibrary
from yibao.engine.fee_split import FeeLine, Visit, split_line
from yibao.policy.loader import PACKAGE_POLICY_DIR

HEAD = (
    "hilist_code,hilist_name,list_type,med_chrgitm_type,chrgitm_lv,begndate,enddate,selfpay_prop,"
    "lmt_sex,lmt_age_min,lmt_age_max,lmt_hosp_lv,lmt_med_scope,lmt_text,source,clause,assumed,note"
)
DRUG = "XA02BCA348X001010100001,奥美拉唑肠溶胶囊,101,09,02,2023-01-01,,,,,,,,,目录,第1条,false,"
SELFPAY = "list_type,selfpay_prop,begndate,enddate,source,clause,assumed,note\n,0.05,2023-01-01,,通知,一、2,false,\n"


def library(tmp_path: Path, files: dict[str, str]) -> CatalogueLibrary:
    shutil.copy(Path(PACKAGE_POLICY_DIR) / "regions.yaml", tmp_path / "regions.yaml")
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return CatalogueLibrary(tmp_path)


def items(*rows: str) -> str:
    return "\n".join(["# a comment line", HEAD, *rows]) + "\n"


def refused(tmp_path: Path, files: dict[str, str], region: str = "500243") -> CatalogueFileError:
    with pytest.raises(CatalogueFileError) as err:
        library(tmp_path, files).resolve(region)
    return err.value


def test_the_five_regions_resolve_with_their_chain():
    lib = CatalogueLibrary(Path(PACKAGE_POLICY_DIR))
    assert lib.resolve("500243").chain == ("000000", "500000")
    assert lib.resolve("341702").chain == ("000000", "340000", "341700")
    for region in ("341700", "150000", "370400", "421200"):
        assert lib.resolve(region).entry("XJ01CAA040A001010100001", dt.date(2023, 6, 1))


def test_a_city_row_replaces_the_national_rows_of_that_code(tmp_path):
    lib = library(
        tmp_path,
        {
            "000000/catalogue/items.csv": items(DRUG),
            "500000/catalogue/items.csv": items(DRUG.replace(",02,", ",01,", 1)),
            "500000/catalogue/selfpay.csv": SELFPAY,
            "341700/catalogue/selfpay.csv": SELFPAY,
        },
    )
    entry = lib.resolve("500243").entry("XA02BCA348X001010100001", dt.date(2023, 6, 1))
    assert entry is not None and entry.chrgitm_lv == "01" and entry.cite.jurisdiction == "500000"
    national = lib.resolve("341700").entry("XA02BCA348X001010100001", dt.date(2023, 6, 1))
    assert national is not None and national.chrgitm_lv == "02"


def test_an_items_own_selfpay_ratio_beats_the_regions(tmp_path):
    own = DRUG.replace(",2023-01-01,,,", ",2023-01-01,,0.20,", 1)
    cat = library(
        tmp_path,
        {"000000/catalogue/items.csv": items(own), "500000/catalogue/selfpay.csv": SELFPAY},
    ).resolve("500243")
    visit = Visit("05", "11", "1", 30, "500243")
    s = split_line(
        FeeLine("1", "XA02BCA348X001010100001", dt.date(2023, 6, 1), 1, 1000, 1000),
        visit,
        cat,
        {"05": "二级"},
    )
    assert (s.selfpay_prop, s.preselfpay_amt) == (2000, 200)


def test_the_regions_ratio_applies_where_the_item_sets_none(tmp_path):
    cat = library(
        tmp_path,
        {"000000/catalogue/items.csv": items(DRUG), "500000/catalogue/selfpay.csv": SELFPAY},
    ).resolve("500243")
    line = FeeLine("1", "XA02BCA348X001010100001", dt.date(2023, 6, 1), 1, 1000, 1000)
    s = split_line(line, Visit("05", "11", "1", 30, "500243"), cat, {"05": "二级"})
    assert (s.selfpay_prop, s.preselfpay_amt) == (500, 50)


@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        (DRUG.replace(",02,", ",04,", 1), "chrgitm_lv", "不在代码表中"),
        (DRUG.replace("2023-01-01", "2023-13-01"), "begndate", "不是日期"),
        (DRUG.replace("目录,第1条,false,", ",第1条,false,"), "source", "缺失"),
        (DRUG.replace("目录,第1条,false,", "目录,,true,"), "note", "须写明理由"),
        (DRUG.replace("目录,第1条,false,", "目录,,false,"), "clause", "缺失"),
        (DRUG.replace("XA02BCA348X001010100001", "XA02BCA348X0"), "hilist_code", "23位药品代码"),
        (DRUG.replace(",,,,,,,,,目录", ",,,3,,,,,,目录"), "lmt_sex", "男"),
        (DRUG.replace(",,,,,,,,,目录", ",,,,,,,门急诊,,目录"), "lmt_med_scope", "门诊 或 住院"),
        (DRUG.replace(",,,,,,,,,目录", ",,,,,,四级,,,目录"), "lmt_hosp_lv", "三级/二级/一级"),
        (DRUG.replace(",,,,,,,,,目录", ",,,,,,,住院,,目录"), "lmt_text", "原文"),
        (DRUG.replace(",2023-01-01,,", ",2023-01-01,2022-12-31,", 1), "enddate", "早于"),
        (DRUG.replace(",2023-01-01,,,", ",2023-01-01,,1.5,", 1), "selfpay_prop", "0 至 1"),
    ],
)
def test_a_bad_value_names_file_row_and_field(tmp_path, row, field, words):
    err = refused(
        tmp_path,
        {"000000/catalogue/items.csv": items(row), "500000/catalogue/selfpay.csv": SELFPAY},
    )
    assert (err.file, err.row, err.field) == ("000000/catalogue/items.csv", 3, field)
    assert words in str(err) and str(err).startswith("000000/catalogue/items.csv 第3行 " + field)


def test_overlapping_versions_of_one_code_are_refused(tmp_path):
    later = DRUG.replace("2023-01-01", "2023-06-01")
    err = refused(tmp_path, {"000000/catalogue/items.csv": items(DRUG, later)})
    assert (err.row, err.field) == (4, "begndate") and "第3行重叠" in str(err)


def test_an_unknown_column_is_refused(tmp_path):
    text = items(DRUG).replace(",note", ",note,备注")
    err = refused(tmp_path, {"000000/catalogue/items.csv": text})
    assert (err.row, err.field) == (2, "备注")


def test_a_class_b_item_without_any_ratio_is_refused(tmp_path):
    err = refused(tmp_path, {"000000/catalogue/items.csv": items(DRUG)})
    assert (err.file, err.row, err.field) == ("000000/catalogue/items.csv", 3, "selfpay_prop")
    assert "没有先行自付比例" in str(err)


def test_a_price_for_an_item_not_in_the_catalogue_is_refused(tmp_path):
    prices = (
        "hilist_code,hosp_lv,hilist_pric_uplmt_amt,begndate,enddate,source,clause,assumed,note\n"
        "001109000010000,二级,40.00,2023-01-01,,价格文件,一,false,\n"
    )
    err = refused(
        tmp_path,
        {
            "000000/catalogue/items.csv": items(DRUG),
            "500000/catalogue/selfpay.csv": SELFPAY,
            "500000/catalogue/prices.csv": prices,
        },
    )
    assert (err.file, err.row, err.field) == ("500000/catalogue/prices.csv", 2, "hilist_code")


@pytest.mark.parametrize(
    ("amount", "words"), [("40.001", "至多两位小数"), ("0", "应大于0"), ("四十", "不是金额")]
)
def test_a_bad_ceiling_is_refused(tmp_path, amount, words):
    prices = (
        "hilist_code,hosp_lv,hilist_pric_uplmt_amt,begndate,enddate,source,clause,assumed,note\n"
        f"XA02BCA348X001010100001,二级,{amount},2023-01-01,,价格文件,一,false,\n"
    )
    err = refused(
        tmp_path,
        {
            "000000/catalogue/items.csv": items(DRUG),
            "500000/catalogue/selfpay.csv": SELFPAY,
            "500000/catalogue/prices.csv": prices,
        },
    )
    assert (err.row, err.field) == (2, "hilist_pric_uplmt_amt") and words in str(err)
