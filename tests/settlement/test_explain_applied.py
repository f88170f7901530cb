"""The explanation cites the policy value each step actually applied (issue 15).

彭水 2023 lifts the 大病 cap for 特困/低保/返贫 (三（二）2 不设封顶线). Where a region keeps the cap
for its special groups (a reform here: special_no_cap false), the 大病 cap step must cite the
ordinary annual cap, not the 不设封顶线 clause that did not apply.
"""

from __future__ import annotations

from pathlib import Path

from tests.settlement.conftest import claim
from yibao.engine.settlement import Accumulators, settle_claim
from yibao.policy import default_library
from yibao.simulation.overlay import apply_reform, load_reform


def _entry(settlement, step: str) -> dict:
    return next(e for e in settlement.explanation if e["step"] == step)


def _policy(tmp_path: Path, *, lifted: bool):
    base = default_library().resolve("500243", 2023)
    if lifted:
        return base
    reform = tmp_path / "keep_cap.yaml"
    reform.write_text(
        "name: 特殊群体保留大病封顶线\ndocument: 测试方案\nparameters:\n"
        "  critical_illness:\n    special_no_cap: {value: false, clause: 测试（保留封顶线）}\n",
        encoding="utf-8",
    )
    return apply_reform(base, load_reform(reform))


def test_special_group_with_lifted_cap_cites_the_no_cap_clause(tmp_path):
    policy = _policy(tmp_path, lifted=True)
    s, _ = settle_claim(claim(total=60000, categories="低保对象"), policy, Accumulators())
    cap = _entry(s, "大病保险年度限额")
    assert cap["clause"] == policy.critical_illness.special_no_cap.clause
    assert "不设封顶" in cap["value"]


def test_special_group_whose_cap_is_kept_cites_the_annual_cap(tmp_path):
    policy = _policy(tmp_path, lifted=False)
    ci = policy.critical_illness
    s, _ = settle_claim(claim(total=60000, categories="低保对象"), policy, Accumulators())
    cap = _entry(s, "大病保险年度限额")
    assert cap["clause"] == ci.annual_cap.clause != ci.special_no_cap.clause
    assert cap["cite"] == ci.annual_cap.cite()
    # the lowered deductible still cites the special factor it applied
    assert _entry(s, "大病保险起付线")["clause"] == ci.special_deductible_factor.clause


def test_ordinary_resident_cites_the_ordinary_deductible_and_cap(tmp_path):
    policy = _policy(tmp_path, lifted=True)
    ci = policy.critical_illness
    s, _ = settle_claim(claim(total=100000, hosp_lv="02"), policy, Accumulators())
    assert _entry(s, "大病保险起付线")["clause"] == ci.deductible.clause
    assert _entry(s, "大病保险年度限额")["clause"] == ci.annual_cap.clause
