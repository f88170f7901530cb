"""A bad request or a malformed file gives one clear message naming file and key."""

import shutil
from pathlib import Path

import pytest

from yibao.policy.errors import PolicyError
from yibao.policy.loader import PACKAGE_POLICY_DIR, PolicyLibrary


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "policies"
    shutil.copytree(PACKAGE_POLICY_DIR, root)
    return root


def write(root: Path, rel: str, text: str) -> None:
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_text(text, encoding="utf-8")


def test_unknown_region(tree):
    with pytest.raises(PolicyError, match="unknown region '999999'"):
        PolicyLibrary(tree).resolve("999999", 2023)


def test_unknown_year_lists_available(tree):
    with pytest.raises(PolicyError, match="policy years available: 2023"):
        PolicyLibrary(tree).resolve("500243", 2021)


def test_wrong_type_names_file_and_key(tree):
    text = (tree / "500243/2023.yaml").read_text(encoding="utf-8")
    write(tree, "500243/2023.yaml", text.replace("value: 16901", "value: lots"))
    with pytest.raises(PolicyError) as err:
        PolicyLibrary(tree).resolve("500243", 2023)
    assert "500243/2023.yaml" in str(err.value) and "critical_illness.deductible" in str(err.value)


def test_missing_source_names_file_and_key(tree):
    write(
        tree,
        "500243/2030.yaml",
        'region: "500243"\nyear: 2030\nparameters:\n  monitoring:\n    standard: {value: 1, clause: x}\n',
    )
    with pytest.raises(PolicyError, match=r"2030.yaml: monitoring.standard: missing source"):
        PolicyLibrary(tree).resolve("500243", 2030)


def test_missing_clause_is_an_error(tree):
    write(
        tree,
        "500243/2030.yaml",
        'region: "500243"\nyear: 2030\ndocument: X\nparameters:\n  monitoring:\n    standard: {value: 1}\n',
    )
    with pytest.raises(PolicyError, match="missing clause"):
        PolicyLibrary(tree).resolve("500243", 2030)


def test_child_overriding_unknown_key(tree):
    text = (tree / "500243/2023.yaml").read_text(encoding="utf-8")
    write(tree, "500243/2023.yaml", text + "  made_up_section:\n    thing: {value: 1, clause: x}\n")
    with pytest.raises(PolicyError, match="made_up_section.thing: overrides a key that its parent"):
        PolicyLibrary(tree).resolve("500243", 2023)


def test_file_name_and_region_must_agree(tree):
    write(tree, "500243/2031.yaml", 'region: "500000"\nyear: 2031\nparameters: {}\n')
    with pytest.raises(PolicyError, match="does not match its folder"):
        PolicyLibrary(tree).resolve("500243", 2031)


def test_assumed_needs_a_note(tree):
    write(
        tree,
        "500243/2030.yaml",
        'region: "500243"\nyear: 2030\ndocument: X\nparameters:\n  monitoring:\n    standard: {value: 1, assumed: true}\n',
    )
    with pytest.raises(PolicyError, match="assumed value needs a note"):
        PolicyLibrary(tree).resolve("500243", 2030)


def test_nothing_half_loaded(tree):
    lib = PolicyLibrary(tree)
    good = lib.resolve("500243", 2023)
    text = (tree / "500243/2023.yaml").read_text(encoding="utf-8")
    write(tree, "500243/2023.yaml", text.replace("value: 16901", "value: -"))
    fresh = PolicyLibrary(tree)
    with pytest.raises(PolicyError):
        fresh.resolve("500243", 2023)
    assert good.critical_illness.deductible.value == 1690100


def test_invalid_yaml(tree):
    write(tree, "500243/2030.yaml", "region: [unclosed\n")
    with pytest.raises(PolicyError, match="not valid YAML"):
        PolicyLibrary(tree).resolve("500243", 2030)


def test_new_year_by_file_alone(tree):
    write(
        tree,
        "000000/2025.yaml",
        'region: "000000"\nyear: 2025\nextends: 2024\ndocument: 医保发〔2025〕X号\nparameters:\n'
        "  financing:\n    fiscal_subsidy_per_capita: {value: 700, clause: 一}\n",
    )
    p = PolicyLibrary(tree).resolve("000000", 2025)
    assert p.financing.fiscal_subsidy_per_capita.value == 70000
    assert p.financing.personal_contribution.value["1"] == 40000


def test_file_coverage_disagreeing_with_enrollment_is_refused(tree):
    text = (tree / "341700/2024.yaml").read_text(encoding="utf-8")
    write(tree, "341700/2024.yaml", text.replace("to: 2024-12-31", "to: 2024-06-30"))
    with pytest.raises(PolicyError) as err:
        PolicyLibrary(tree).resolve("341700", 2024)
    msg = str(err.value)
    assert msg.startswith("341700/2024.yaml: coverage.to: 2024-06-30 disagrees with")
    assert "enrollment.coverage_end" in msg


def test_coverage_end_before_start_is_refused(tree):
    text = (tree / "341700/2024.yaml").read_text(encoding="utf-8")
    text = text.replace('coverage_start: {value: "01-01"', 'coverage_start: {value: "07-01"')
    text = text.replace('coverage_end: {value: "12-31"', 'coverage_end: {value: "06-30"')
    write(
        tree, "341700/2024.yaml", text.replace("coverage: {from: 2024-01-01, to: 2024-12-31}\n", "")
    )
    with pytest.raises(
        PolicyError, match=r"341700/2024.yaml: enrollment.coverage_end: 06-30 is before"
    ):
        PolicyLibrary(tree).resolve("341700", 2024)


def test_impossible_coverage_day_names_file_and_key(tree):
    text = (tree / "341700/2024.yaml").read_text(encoding="utf-8")
    write(
        tree,
        "341700/2024.yaml",
        text.replace('coverage_end: {value: "12-31"', 'coverage_end: {value: "02-30"'),
    )
    with pytest.raises(PolicyError, match=r"341700/2024.yaml: enrollment.coverage_end: '02-30'"):
        PolicyLibrary(tree).resolve("341700", 2024)
