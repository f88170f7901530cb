"""The main job end to end on a small county: simulate, settle, analyse, load, serve."""

import time

import polars as pl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from yibao.demo.load import LoadError, check_consumed_matches
from yibao.demo.run import opening_balance_for, run_demo
from yibao.store.db import make_engine, session_factory, transaction
from yibao.store.migrate import upgrade
from yibao.store.models import Accumulator, Person, Settlement, Warning


@pytest.fixture(scope="module")
def demo(tmp_path_factory, library):
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    steps: list[str] = []
    result = run_demo("500243", 2023, 1500, 7, engine, library, steps.append, time.perf_counter)
    return url, engine, result, steps


def test_every_step_runs_in_order(demo):
    _, _, _, steps = demo
    assert steps == ["simulate", "register", "settle", "analyse", "load"]


def test_store_holds_the_year(demo):
    _, engine, result, _ = demo
    with session_factory(engine)() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == result.year.persons.height
        assert s.scalar(select(func.count()).select_from(Settlement)) == result.year.claims.height
        assert s.scalar(select(func.count()).select_from(Warning)) == result.warnings.height
        stored_hifp = s.scalar(select(func.sum(Settlement.hifp_pay)))
    assert stored_hifp == result.statement.expenditure_by_layer["hifp_pay"]


def test_accumulators_equal_the_sum_of_stored_settlements(demo):
    _, engine, _, _ = demo
    with session_factory(engine)() as s:
        for acc in s.scalars(select(Accumulator).limit(200)):
            rows = s.scalars(select(Settlement).where(Settlement.psn_no == acc.psn_no)).all()
            assert sum(r.maf_pay for r in rows) == acc.assistance_paid
            assert sum(r.hifmi_pay for r in rows) == acc.critical_paid
            assert sum(r.hifp_pay for r in rows) == sum(acc.pool_paid.values())
            assert acc.settlements == len(rows)


def test_loader_refuses_settlements_that_do_not_add_up(demo):
    _, _, result, _ = demo
    check_consumed_matches(result.settlements, result.accumulators)
    broken = result.settlements.with_columns((result.settlements["maf_pay"] + 1).alias("maf_pay"))
    with pytest.raises(LoadError, match="do not add up"):
        check_consumed_matches(broken, result.accumulators)
    # a cap group's payments booked under another cap group add up in total, not per key
    groups = result.settlements["cap_group"].drop_nulls().unique().sort().to_list()
    assert len(groups) >= 2
    moved = result.settlements.with_columns(
        pl.when(pl.col("cap_group") == groups[0]).then(pl.lit(groups[1]))
        .otherwise(pl.col("cap_group")).alias("cap_group")
    )  # fmt: skip
    with pytest.raises(LoadError, match="do not add up"):
        check_consumed_matches(moved, result.accumulators)


def test_fund_statement_balances(demo):
    _, _, result, _ = demo
    st = result.statement
    assert st.revenue == st.personal_paid + sum(st.assistance_subsidy.values()) + sum(
        st.fiscal_subsidy.values()
    )
    assert st.closing_balance == st.opening_balance + st.surplus
    assert st.months_covered_tenths is not None


def test_opening_balance_follows_the_national_ratio():
    # 2022 累计结存 7534.13 亿 over 2023 expenditure 10457.65 亿
    assert opening_balance_for(1_045_765, 2023) == 753_413


def test_loaded_settlement_can_be_reversed_through_the_api(demo):
    from yibao.api.app import create_app
    from yibao.store import users

    url, engine, result, _ = demo
    with transaction(session_factory(engine)) as s:
        _, token = users.add_user(s, "demo-test-shenhe", "审核")
    paid = result.settlements.filter(result.settlements["maf_pay"] > 0)
    setl_id = (paid if paid.height else result.settlements).row(0, named=True)["setl_id"]
    psn = result.settlements.filter(result.settlements["setl_id"] == setl_id)["psn_no"][0]
    with TestClient(create_app(url)) as client:
        headers = {"Authorization": f"Bearer {token}"}
        before = client.get(f"/api/persons/{psn}/accumulators/2023", headers=headers)
        assert before.status_code == 200, before.text
        reversed_ = client.post(
            f"/api/settlements/{setl_id}/reverse", json={"reason": "重复结算"}, headers=headers
        )
        assert reversed_.status_code == 200, reversed_.text
        after = client.get(f"/api/persons/{psn}/accumulators/2023", headers=headers).json()
    row = result.settlements.filter(result.settlements["setl_id"] == setl_id).row(0, named=True)
    assert round(before.json()["assistance_paid"] - after["assistance_paid"], 2) == round(
        row["maf_pay"] / 100, 2
    )


def test_every_loaded_settlement_opens_whole_and_pays_what_was_paid(demo, library):
    """Issue 13 #3: a bulk-loaded settlement is recomputed from its stored claim and the
    person-year's totals before it; the recomputation pays what was stored, to the fen
    (whole_document raises Inconsistent otherwise), with setldetail and the explanation."""
    from yibao.store import ledger

    _, engine, result, _ = demo
    with session_factory(engine)() as s:
        stored = list(s.scalars(select(Settlement).order_by(Settlement.setl_id)))
        assert len(stored) == result.settlements.height
        for row in stored:
            doc = ledger.whole_document(s, library, row)
            assert doc["explanation"] and len(doc["setldetail"]) == 3
            assert doc["setlinfo"]["mdtrt_id"] == row.setl_id and doc["setlinfo"]["setl_time"]
            assert doc["setlinfo"]["hifp_pay"] == row.hifp_pay / 100
            assert doc["entitlement"]["status"] in ("covered", "waiting", "ended")


def test_a_loaded_settlement_whose_amounts_were_altered_does_not_open(demo, library):
    from yibao.store import ledger
    from yibao.store.errors import Inconsistent

    _, engine, _, _ = demo
    with session_factory(engine)() as s:
        row = s.scalars(select(Settlement).where(Settlement.hifp_pay > 0).limit(1)).one()
        row.hifp_pay += 1  # not committed: the session is rolled back
        with pytest.raises(Inconsistent, match="hifp_pay"):
            ledger.whole_document(s, library, row)
        s.rollback()


def test_a_loaded_settlement_opens_whole_over_the_api(demo):
    from yibao.api.app import create_app
    from yibao.store import users

    url, engine, result, _ = demo
    with transaction(session_factory(engine)) as s:
        _, token = users.add_user(s, "demo-test-zhidu", "只读")
    setl_id = result.settlements.row(0, named=True)["setl_id"]
    with TestClient(create_app(url)) as client:
        r = client.get(f"/api/settlements/{setl_id}", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["explanation"] and body["setldetail"][0]["setl_proc_info"]
    assert body["setlinfo"]["setl_time"] and body["recomputed"] is True
    # The console's 结算单 page opens it too (it failed on loaded history before: issue 13).
    with TestClient(create_app(url)) as client:
        login = client.post("/console/login", data={"token": token}, follow_redirects=False)
        assert login.status_code == 303
        page = client.get(f"/console/settlements/{setl_id}")
    assert page.status_code == 200 and "逐条计算说明" in page.text and "待遇享受期" in page.text


def test_demo_command_prints_the_summary_and_tokens(tmp_path):
    import json

    from typer.testing import CliRunner

    from yibao.cli.main import app

    db = tmp_path / "demo.sqlite"
    result = CliRunner().invoke(
        app, ["demo", "--persons", "400", "--seed", "3", "--db", str(db), "--no-serve", "--json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["persons"] == 400
    assert set(doc["tokens"]) == {"经办", "审核", "只读", "管理"}
    assert doc["stored_rows"]["settlements"] == doc["claims"]
    assert "months_covered" in doc["fund_statement"]
    assert db.exists()


def test_the_fund_statement_shows_inpatient_as_the_fund_pays_the_hospitals(demo):
    _, _, result, _ = demo
    as_paid = result.statement.inpatient_as_paid
    assert as_paid is not None and as_paid.method == "drg"
    claims = result.year.claims.select("setl_id", "med_type")
    inpatient = result.settlements.join(claims, on="setl_id", suffix="_claim").filter(
        pl.col("med_type_claim") == "21"
    )
    assert as_paid.claim_level_fen == int(inpatient["hifp_pay"].sum())
    assert as_paid.as_paid_fen == as_paid.by_points_fen + as_paid.by_project_fen
    assert result.statement.to_json()["inpatient_as_paid"]["method"] == "drg"


def test_the_printed_statement_has_the_as_paid_lines(tmp_path):
    from typer.testing import CliRunner

    from yibao.cli.main import app

    db = tmp_path / "demo.sqlite"
    result = CliRunner().invoke(
        app, ["demo", "--persons", "400", "--seed", "3", "--db", str(db), "--no-serve"]
    )
    assert result.exit_code == 0, result.output
    assert "其中住院（按结算单 hifp_pay）" in result.stdout
    assert "其中住院（按 DRG 实际支付，国家默认参数假定）" in result.stdout


def test_demo_rejects_an_unknown_region(tmp_path):
    from typer.testing import CliRunner

    from yibao.cli.main import app

    result = CliRunner().invoke(
        app, ["demo", "--region", "999999", "--db", str(tmp_path / "x.sqlite"), "--no-serve"]
    )
    assert result.exit_code != 0
    assert "unknown region" in result.stderr


def test_the_demo_stores_the_review_records_the_console_opens_on(demo):
    """预警 and 监管 pages read stored records: the demo scans the loaded year into them."""
    from yibao.store.review_models import SupervisionRecord, WarningRecord

    _, engine, result, _ = demo
    with session_factory(engine)() as s:
        warnings = s.scalar(select(func.count()).select_from(WarningRecord))
        suspects = s.scalar(select(func.count()).select_from(SupervisionRecord))
    assert warnings == result.counts["warning_records"] == result.warnings.height
    assert suspects == result.counts["supervision_records"]
