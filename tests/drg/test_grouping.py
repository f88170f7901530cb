"""CHS-DRG 1.1 grouping on the shipped table (issue 18): the oracle case, the 排除表, 未入组,
and the errors that name the case and the field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from yibao.drg.case import CaseError, parse_case
from yibao.drg.grouping import GROUPED, UNGROUPED, group_case
from yibao.drg.tables import DATA_DIR, TableError, load_drg_table, shipped_table

ORACLE = {
    "gend": "2",
    "age": 88,
    "los": 94,
    "leaving_type": "1",
    "diagnoses": ["K22.301", "K11.901", "E11.900", "I10.x05"],
    "procedures": ["96.0800x005"],
}


@pytest.fixture(scope="module")
def table():
    return shipped_table("CHS-DRG 1.1")


def test_oracle_female_88_k22_301_groups_mdcg_gz1_gz13(table):
    result = group_case(parse_case(ORACLE), table)
    assert (result.status, result.mdc, result.adrg, result.drg) == (GROUPED, "MDCG", "GZ1", "GZ13")
    assert any("K11.901 属于 CC" in line and "排除表 111" in line for line in result.trace)


def test_without_secondary_diagnoses_the_same_adrg_has_no_cc(table):
    result = group_case(parse_case({**ORACLE, "diagnoses": ["K22.301"]}), table)
    assert (result.adrg, result.drg) == ("GZ1", "GZ15")


def test_mcc_gives_the_1_subgroup(table):
    case = {"gend": "1", "age": 70, "los": 9, "diagnoses": ["J18.900", "J96.000"]}
    assert group_case(parse_case(case), table).drg == "ES31"


def test_surgical_adrg_by_main_procedure(table):
    case = {
        "gend": "1",
        "age": 40,
        "los": 5,
        "diagnoses": ["K35.800x001"],
        "procedures": ["47.0901"],
    }
    result = group_case(parse_case(case), table)
    assert (result.mdc, result.adrg, result.drg) == ("MDCG", "GD2", "GD25")


def test_male_only_mdc_refuses_a_female_case(table):
    male = {
        "gend": "1",
        "age": 70,
        "los": 5,
        "diagnoses": ["N40.x00"],
        "procedures": ["60.2900x003"],
    }
    assert group_case(parse_case(male), table).mdc == "MDCM"
    female = group_case(parse_case({**male, "gend": "2"}), table)
    assert female.status == UNGROUPED and female.drg is None


def test_code_in_no_mdc_is_ungrouped_with_reason(table):
    result = group_case(
        parse_case({"gend": "1", "age": 30, "los": 2, "diagnoses": ["Z00.000"]}), table
    )
    assert result.status == UNGROUPED
    assert result.reason == "不符合所有 MDC 的入组条件"


def test_diagnosis_not_in_version_names_case_and_field(table):
    case = parse_case({**ORACLE, "diagnoses": ["K22.301", "X99.999"]}, "S-1")
    with pytest.raises(
        CaseError, match=r"病例 S-1: diagnoses\[1\]: 诊断编码 X99.999 不在 CHS-DRG 1.1"
    ):
        group_case(case, table)


def test_no_main_diagnosis_is_an_error():
    with pytest.raises(CaseError, match="diagnoses: 缺少主诊断"):
        parse_case({**ORACLE, "diagnoses": []}, "S-2")


def test_newborn_needs_birth_weight():
    with pytest.raises(CaseError, match="weight"):
        parse_case({"gend": "1", "age": 0, "age_days": 3, "los": 3, "diagnoses": ["J18.900"]})


def test_loader_reads_a_bureau_folder_and_refuses_an_unknown_rule(tmp_path: Path, table):
    folder = tmp_path / "local"
    shutil.copytree(DATA_DIR / "chs-drg-1.1", folder)
    assert load_drg_table(folder).version == "CHS-DRG 1.1"
    adrg = folder / "adrg.csv"
    adrg.write_text(
        adrg.read_text(encoding="utf-8").replace("dx:main", "dx:primary", 1), encoding="utf-8"
    )
    with pytest.raises(TableError, match="adrg.csv 第 15 行: rule 条件 'dx:primary' 不认识"):
        load_drg_table(folder)


def test_unknown_version_is_an_error():
    with pytest.raises(TableError, match="version: 分组版本 'CHS-DRG 9' 不存在"):
        shipped_table("CHS-DRG 9")


def test_ambiguous_group_when_the_version_has_one(tmp_path: Path):
    # 歧义组: an operation-room procedure that no surgical ADRG of the case's MDC lists.
    folder = tmp_path / "qy"
    shutil.copytree(DATA_DIR / "chs-drg-1.1", folder)
    meta = folder / "version.yaml"
    meta.write_text(
        meta.read_text(encoding="utf-8").replace("ambiguous_group: false", "ambiguous_group: true"),
        encoding="utf-8",
    )
    case = parse_case({**ORACLE, "procedures": ["81.5100"]}, "Q-1")
    result = group_case(case, load_drg_table(folder))
    assert (result.status, result.mdc, result.drg) == ("歧义组", "MDCG", "GQY")
    assert "手术室手术" in result.reason
    # The shipped 1.1 transcription has no 歧义组: the same case goes on to its medical ADRG.
    assert group_case(case, shipped_table("CHS-DRG 1.1")).drg == "GZ13"


def test_a_broken_version_file_names_the_file(tmp_path: Path):
    folder = tmp_path / "broken"
    shutil.copytree(DATA_DIR / "chs-drg-1.1", folder)
    (folder / "version.yaml").write_text("version: [unclosed\n", encoding="utf-8")
    with pytest.raises(TableError, match=r"version.yaml: 不是合法的 YAML"):
        load_drg_table(folder)


def test_the_version_decides_the_group():
    # The oracle case under CHS-DRG 1.0 (the 细分组方案 before 1.1): the same MDC, another ADRG.
    result = group_case(parse_case(ORACLE), shipped_table("CHS-DRG 1.0"))
    assert (result.mdc, result.adrg, result.drg) == ("MDCG", "GS1", "GS19")
