"""One SparkSession for the whole test session, and a small deterministic year of claims.

The claims are drawn from a fixed seed so that each person-year exercises the layers the
notices describe: several inpatient stays (起付线 per admission, 年度限额), large bills (大病保险
segments), 救助对象 (医疗救助), mid-year coverage (待遇等待期) and outpatient pools.
"""

from __future__ import annotations

import datetime as dt
import os
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from yibao.claims import CASE_FIELDS, CLAIM_SCHEMA

REGIONS = ("341700", "370400", "421200", "500243", "150000")
CATEGORIES = ("", "", "", "", "低保对象", "特困人员", "稳定脱贫人口", "返贫致贫人口")
MED_TYPES = ("21", "21", "11", "11", "11", "14", "13", "9901")
HOSP_LVS = ("02", "05", "08", "13")


def make_claims(persons: int, seed: int, year: int = 2023) -> pa.Table:
    """A year of claims for ``persons`` people in CLAIM_SCHEMA (fen), sorted by nothing."""
    rng = np.random.default_rng(seed)
    counts = rng.poisson(4.0, persons) + 1
    counts[0] = 60  # one heavy user: her claims cross the small chunks in the tests
    person = np.repeat(np.arange(persons), counts)
    n = len(person)
    region = np.array(REGIONS)[np.arange(persons) % len(REGIONS)][person]
    cats = np.array(CATEGORIES)[rng.integers(0, len(CATEGORIES), persons)][person]
    tier = np.where(rng.random(persons) < 0.2, 2, 1).astype(np.int8)[person]
    late = rng.random(persons) < 0.1  # joined mid-year: covered from 1 July
    med_type = np.array(MED_TYPES)[rng.integers(0, len(MED_TYPES), n)]
    hosp_lv = np.array(HOSP_LVS)[rng.integers(0, len(HOSP_LVS), n)]
    day = rng.integers(0, 365, n)
    stay = np.where(med_type == "21", rng.integers(1, 20, n), 0)
    day = np.minimum(day, 364 - stay)
    inpatient = med_type == "21"
    big = rng.random(n) < 0.15
    yuan = np.where(
        inpatient,
        rng.lognormal(np.log(7674), 0.9, n) * np.where(big, 8, 1),
        rng.lognormal(np.log(180), 0.8, n),
    )
    medfee = np.round(yuan * 100).astype(np.int64)
    ownpay = (medfee * rng.uniform(0, 0.1, n)).astype(np.int64)
    overlmt = (medfee * rng.uniform(0, 0.05, n)).astype(np.int64)
    preself = (medfee * rng.uniform(0, 0.1, n)).astype(np.int64)
    jan1 = dt.date(year, 1, 1)
    begin = [jan1 + dt.timedelta(days=int(d)) for d in day]
    end = [b + dt.timedelta(days=int(s)) for b, s in zip(begin, stay, strict=True)]
    seconds = rng.integers(8 * 3600, 18 * 3600, n)
    setl_time = [
        dt.datetime.combine(e, dt.time()) + dt.timedelta(seconds=int(s))
        for e, s in zip(end, seconds, strict=True)
    ]
    psn_no = np.char.add("P", np.char.zfill(person.astype(str), 7))
    late_claim = late[person]
    cov_begin = [dt.date(year, 7, 1) if x else None for x in late_claim]
    return pa.Table.from_pydict(
        {
            "setl_id": [f"S{i:08d}" for i in rng.permutation(n)],
            "psn_no": psn_no.tolist(),
            "certno": [""] * n,
            "insuplc_admdvs": region.tolist(),
            "tier": tier,
            "categories": cats.tolist(),
            "med_type": med_type.tolist(),
            "hosp_lv": hosp_lv.tolist(),
            "fixmedins_code": [f"H{h}" for h in hosp_lv],
            "dise_codg": ["J18.9"] * n,
            "setl_time": setl_time,
            "begndate": begin,
            "enddate": end,
            "medfee_sumamt": medfee,
            "fulamt_ownpay_amt": ownpay,
            "overlmt_selfpay": overlmt,
            "preselfpay_amt": preself,
            "coverage_begin": cov_begin,
            "coverage_end": [None] * n,
            "offsite_kind": [None] * n,  # local claims
            "dedc_hosp_lv": [None] * n,
            "dedc_paid_in_stay": [None] * n,
            **{name: [None] * n for name in CASE_FIELDS},  # no 病案首页
        },
        schema=CLAIM_SCHEMA,
    )


@pytest.fixture(scope="session")
def spark():
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    from yibao.spark.session import get_session

    # local[2,2]: two threads, and a failed task is tried again (once) as on a cluster.
    session = get_session("local[2,2]", "yibao-tests", {"spark.driver.memory": "2g"})
    yield session
    session.stop()


@pytest.fixture(scope="session")
def claims() -> pa.Table:
    return make_claims(persons=400, seed=20230601)


@pytest.fixture(scope="session")
def claims_path(tmp_path_factory, claims) -> str:
    path = tmp_path_factory.mktemp("claims") / "claims.parquet"
    pq.write_table(claims, path)
    return str(path)
