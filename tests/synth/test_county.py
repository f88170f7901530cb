"""The synthetic county year: shapes, validity and determinism."""

import datetime as dt

import polars as pl
import pyarrow as pa

from yibao.categories import canonical_all
from yibao.claims import CLAIM_SCHEMA
from yibao.idcard import parse_id
from yibao.synth import simulate_county
from yibao.synth.parquet import claims_arrow, write_year


def test_same_seed_gives_the_same_year(library):
    a = simulate_county("500243", 2023, 1500, seed=5, library=library)
    b = simulate_county("500243", 2023, 1500, seed=5, library=library)
    for name, frame in a.tables().items():
        assert frame.equals(b.tables()[name]), name


def test_another_seed_gives_another_year(library):
    a = simulate_county("500243", 2023, 1500, seed=5, library=library)
    b = simulate_county("500243", 2023, 1500, seed=6, library=library)
    assert not a.claims.equals(b.claims)


def test_asking_for_fee_detail_does_not_change_the_claims(library):
    a = simulate_county("500243", 2023, 1500, seed=5, library=library)
    b = simulate_county("500243", 2023, 1500, seed=5, fee_detail=True, library=library)
    assert a.claims.equals(b.claims)
    assert b.fee_detail.height > 0 and a.fee_detail.height == 0


def test_chunks_with_offsets_do_not_reuse_ids(library):
    a = simulate_county("500243", 2023, 1000, seed=5, offset=0, library=library)
    b = simulate_county("500243", 2023, 1000, seed=5, offset=1000, library=library)
    both = pl.concat([a.persons, b.persons])
    assert both["psn_no"].n_unique() == 2000
    assert both["certno"].n_unique() == 2000


def test_every_certno_is_a_valid_gb11643_number_matching_birth_and_sex(pengshui):
    for certno, birth, sex in pengshui.persons.select("certno", "birth_date", "sex").iter_rows():
        parsed = parse_id(certno)
        assert parsed.birth_date == birth
        assert parsed.sex == sex
    assert pengshui.persons["certno"].n_unique() == pengshui.persons.height


def test_categories_are_canonical_names_joined_by_bar(pengshui):
    for joined in pengshui.persons["categories"].unique():
        names = [c for c in joined.split("|") if c]
        assert tuple(names) == canonical_all(names)


def test_townships_are_pengshui_townships(pengshui):
    assert set(pengshui.persons["township"]) <= {
        *__import__("yibao.synth.places", fromlist=["TOWNSHIPS"]).TOWNSHIPS["500243"]
    }


def test_claims_follow_claim_schema_exactly(pengshui):
    assert pengshui.claims.columns == CLAIM_SCHEMA.names
    table = claims_arrow(pengshui.claims)
    assert table.schema == CLAIM_SCHEMA
    assert isinstance(table, pa.Table)


def test_claim_parts_never_exceed_the_bill_and_dates_are_in_the_year(pengshui):
    c = pengshui.claims
    parts = c["fulamt_ownpay_amt"] + c["overlmt_selfpay"] + c["preselfpay_amt"]
    assert (parts <= c["medfee_sumamt"]).all()
    assert (c["medfee_sumamt"] > 0).all()
    assert (c["enddate"] >= c["begndate"]).all()
    assert c["setl_time"].dt.year().unique().to_list() == [2023]
    assert c["setl_id"].n_unique() == c.height


def test_claims_only_for_enrolled_people_with_their_coverage(pengshui):
    resident = pengshui.enrollments.filter(pl.col("insutype") == "390")
    assert set(pengshui.claims["psn_no"]) <= set(resident["psn_no"])
    late = resident.filter(pl.col("begin") > dt.date(2023, 1, 1))
    claims = pengshui.claims.join(late.select("psn_no", "begin"), on="psn_no")
    assert (claims["coverage_begin"] == claims["begin"]).all()


def test_all_claim_kinds_of_pengshui_appear(pengshui):
    assert {"11", "13", "14", "21", "51", "52", "9901"} <= set(pengshui.claims["med_type"])


def test_newborns_enroll_as_newborns_and_are_covered_from_birth_within_90_days(pengshui):
    newborn = pengshui.enrollments.filter(pl.col("event") == "新生儿").join(
        pengshui.persons.select("psn_no", "birth_date"), on="psn_no"
    )
    assert newborn.height > 0
    on_time = newborn.filter((pl.col("paid_date") - pl.col("birth_date")).dt.total_days() <= 90)
    assert (on_time["begin"] == on_time["birth_date"]).all()


def test_a_few_people_are_also_employees_elsewhere(pengshui):
    employees = pengshui.enrollments.filter(pl.col("insutype") == "310")
    assert employees.height > 0
    assert (employees["admdvs"] != "500243").all()


def test_write_year_writes_parquet_that_reads_back(pengshui, tmp_path):
    paths = write_year(pengshui, tmp_path)
    assert set(paths) == {
        "households",
        "persons",
        "enrollments",
        "contributions",
        "claims",
        "fee_detail",
    }
    back = pl.read_parquet(paths["claims"])
    assert back["setl_id"].to_list() == pengshui.claims["setl_id"].to_list()
