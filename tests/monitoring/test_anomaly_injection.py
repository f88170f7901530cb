"""The simulator injects each violation pattern at a known rate; each rule finds what was
injected (recall) and flags few clean claims (precision)."""

from __future__ import annotations

import polars as pl
import pytest

from yibao.engine.supervision import run_rule, run_rules
from yibao.monitoring.clean_sample import clean_sample
from yibao.monitoring.quality import measure
from yibao.synth.anomalies import PATTERNS, inject


@pytest.fixture(scope="module")
def year():
    return clean_sample(persons=600, seed=11)


def test_clean_year_raises_no_hits(year, rules):
    claims, details, persons = year
    assert run_rules(claims, details, persons, rules).is_empty()


def test_each_pattern_injected_at_the_rate(year):
    claims, details, persons = year
    new_claims, new_details, truth = inject(claims, details, persons, rate=0.005, seed=3)
    want = round(0.005 * claims.height)
    counts = dict(truth.group_by("pattern").len().iter_rows())
    assert set(counts) == set(PATTERNS)
    assert all(n == want for n in counts.values())
    # totals still add up to the lines after injection
    sums = new_details.group_by("setl_id").agg(pl.col("amount").sum().alias("lines"))
    joined = new_claims.join(sums, on="setl_id", how="left").fill_null(0)
    assert (joined["medfee_sumamt"] == joined["lines"]).all()


def test_rules_find_what_was_injected(year, rules):
    claims, details, persons = year
    new_claims, new_details, truth = inject(claims, details, persons, rate=0.005, seed=5)
    for q in measure(new_claims, new_details, persons, truth, rules):
        assert q.injected > 0, q.rule
        assert q.recall is not None and q.recall >= 0.9, q.to_json()
        assert q.precision is not None and q.precision >= 0.9, q.to_json()


def test_rate_must_be_a_share(year):
    claims, details, persons = year
    with pytest.raises(ValueError, match="rate"):
        inject(claims, details, persons, rate=1.5)


def test_every_injected_over_examination_is_found(year, rules):
    """Both kinds are injected (a repeated chest CT, an exam-heavy stay) and each is hit."""
    claims, details, persons = year
    new_claims, new_details, truth = inject(
        claims, details, persons, rate=0.005, seed=5, patterns=("over_examination",)
    )
    injected = set(truth["setl_id"].to_list())
    hits = run_rule("over_examination", new_claims, new_details, persons, rules)
    assert injected and set(hits["setl_id"].to_list()) == injected
    kinds = {"再次检查" in c for c in hits["vola_cont"].to_list()}
    assert kinds == {True, False}
