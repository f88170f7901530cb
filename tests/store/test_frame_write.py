"""Frames written in bulk (store.frame_write) read back through the ORM as the values given, on
SQLite and PostgreSQL: dates and times, booleans, JSON text with quotes and Chinese, NULLs,
defaults; a frame that does not fit its table, or a failure in a later table, writes nothing."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import polars as pl
import pytest
from sqlalchemy import select

from yibao.money import fen_to_json
from yibao.store.frame_write import (
    FrameWriteError,
    fen_json_text,
    iso_columns,
    json_text,
    ratio_json_text,
    write_frames,
)
from yibao.store.models import Claim, Household, Person, Settlement


def _ids(n: int) -> list[str]:
    tag = uuid.uuid4().hex[:8]
    return [f"FW{tag}{i:04d}" for i in range(n)]


def _persons(psn: list[str], hh: str) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "psn_no": psn,
            "certno": [f"{p}X" for p in psn],
            "psn_name": ['王"五\\', "李四"][: len(psn)],
            "gend": ["1", "2"][: len(psn)],
            "brdy": [dt.date(1950, 1, 2), dt.date(2023, 12, 31)][: len(psn)],
            "insuplc_admdvs": ["500243"] * len(psn),
            "hh_id": [hh] * len(psn),
            "resident_permit": [True, False][: len(psn)],
        }
    )


def test_rows_read_back_as_given_with_defaults(factory, engine):
    psn = _ids(2)
    hh = psn[0] + "H"
    at = dt.datetime(2023, 3, 1, 10, 0, 0, 123456)
    document = pl.DataFrame({"setl_id": psn, "name": ['引号"与\\反斜杠', "大病"]}).select(
        json_text(pl.col("setl_id"), pl.col("name"))
    )
    settlements = pl.DataFrame(
        {
            "setl_id": psn,
            "mdtrt_id": psn,
            "psn_no": psn,
            "year": [2023, 2023],
            "insuplc_admdvs": ["500243", "500243"],
            "setl_time": [at, at.replace(microsecond=0)],
            "hifp_pay": [2**52, 0],
            "document": document.to_series(),
            "acc_before": ["{}", "{}"],
            "acc_after": ["{}", "{}"],
            "consumed": ['{"pool_paid": {"普通门诊": 5}}', "{}"],
            "created_by": ["批量导入", "批量导入"],
        }
    )
    households = pl.DataFrame({"hh_id": [hh], "admdvs": ["500243"]})
    claims = pl.DataFrame(
        {"setl_id": psn, "psn_no": psn, "year": [2023, 2023], "digest": ["", ""],
         "row": ['{"a": 1}', '{"a": 2}']}
    )  # fmt: skip
    counts = write_frames(
        engine,
        [(Household, households), (Person, _persons(psn, hh)), (Claim, claims),
         (Settlement, settlements)],
    )  # fmt: skip
    assert counts == [1, 2, 2, 2]
    with factory() as s:
        people = {p.psn_no: p for p in s.scalars(select(Person).where(Person.psn_no.in_(psn)))}
        assert people[psn[0]].psn_name == '王"五\\'
        assert people[psn[1]].brdy == dt.date(2023, 12, 31)
        assert people[psn[0]].resident_permit is True
        assert people[psn[1]].resident_permit is False
        assert people[psn[0]].created_at is not None  # the column's callable default
        house = s.get(Household, hh)
        assert house is not None and house.addr == ""  # the constant default
        rows = {
            r.setl_id: r for r in s.scalars(select(Settlement).where(Settlement.psn_no.in_(psn)))
        }
        first = rows[psn[0]]
        assert first.setl_time.replace(tzinfo=None) == at
        assert first.hifp_pay == 2**52
        assert first.maf_pay == 0 and first.status == "settled"
        assert first.document == {"setl_id": psn[0], "name": '引号"与\\反斜杠'}
        assert first.consumed == {"pool_paid": {"普通门诊": 5}}


def test_a_frame_that_does_not_fit_writes_nothing(factory, engine):
    psn = _ids(2)
    hh = psn[0] + "H"
    households = pl.DataFrame({"hh_id": [hh], "admdvs": ["500243"]})
    with pytest.raises(FrameWriteError, match="no column 'nickname'"):
        write_frames(
            engine,
            [
                (Household, households),
                (Person, _persons(psn, hh).with_columns(nickname=pl.lit("x"))),
            ],
        )
    bad_json = pl.DataFrame({"setl_id": psn, "document": [{"a": 1}, {"a": 2}]})
    with pytest.raises(FrameWriteError, match="JSON columns are written as text"):
        write_frames(engine, [(Settlement, bad_json)])
    with factory() as s:
        assert s.get(Household, hh) is None


def test_a_failure_in_a_later_table_rolls_back_the_earlier_ones(factory, engine):
    psn = _ids(2)
    hh = psn[0] + "H"
    households = pl.DataFrame({"hh_id": [hh], "admdvs": ["500243"]})
    twice = pl.concat([_persons(psn[:1], hh), _persons(psn[:1], hh)])  # duplicate primary key
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        write_frames(engine, [(Household, households), (Person, twice)])
    with factory() as s:
        assert s.get(Household, hh) is None
        assert s.get(Person, psn[0]) is None


def test_fen_and_ratio_texts_are_the_numbers_python_writes():
    fen = [*range(-2_005, 2_005), 2**52 - 1, 123_456_789, 904, 12_307]
    frame = pl.DataFrame({"fen": fen}, schema={"fen": pl.Int64})
    texts = frame.select(fen_json_text(pl.col("fen"))).to_series().to_list()
    assert [json.loads(t) for t in texts] == [fen_to_json(f) for f in fen]
    assert texts[fen.index(904)] == "9.04" and texts[fen.index(-150)] == "-1.50"
    bp = list(range(0, 10_001))
    ratios = pl.DataFrame({"bp": bp}).select(ratio_json_text(pl.col("bp"))).to_series().to_list()
    assert ratios == [str(b / 10_000) for b in bp]


def test_iso_columns_write_what_isoformat_writes():
    times = [dt.datetime(2023, 3, 1, 8, 30), dt.datetime(2023, 3, 1, 8, 30, 0, 5)]
    frame = pl.DataFrame({"t": times, "d": [dt.date(2023, 1, 2), None]})
    out = iso_columns(frame)
    assert out["t"].to_list() == [t.isoformat() for t in times]
    assert out["d"].to_list() == ["2023-01-02", None]


def test_an_empty_tables_indexes_are_built_after_its_rows_and_survive_a_rollback(tmp_path):
    from sqlalchemy import inspect

    from yibao.store import make_engine, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    upgrade(engine)
    indexes = {i["name"] for i in inspect(engine).get_indexes("persons")}
    assert indexes  # ix_persons_insuplc_admdvs …
    psn = _ids(2)
    hh = psn[0] + "H"
    households = pl.DataFrame({"hh_id": [hh], "admdvs": ["500243"]})
    twice = pl.concat([_persons(psn[:1], hh), _persons(psn[:1], hh)])
    with pytest.raises(Exception, match="(?i)unique"):
        write_frames(engine, [(Household, households), (Person, twice)])
    assert {i["name"] for i in inspect(engine).get_indexes("persons")} == indexes
    write_frames(engine, [(Household, households), (Person, _persons(psn, hh))])
    assert {i["name"] for i in inspect(engine).get_indexes("persons")} == indexes
    with engine.connect() as conn:
        plan = conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT psn_no FROM persons WHERE insuplc_admdvs = '500243'"
        ).fetchall()
    assert any("ix_persons_insuplc_admdvs" in str(row) for row in plan)
    engine.dispose()
