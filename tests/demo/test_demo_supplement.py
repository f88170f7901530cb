"""The demo's 渝快保 outlay (彭水 三（一）3): in the fund statement JSON outside the fund, and the
stored payment rows' supplement columns sum to it."""

import time

from sqlalchemy import func, select

from yibao.demo.run import run_demo, summary
from yibao.money import fen_to_json
from yibao.store.db import make_engine, session_factory
from yibao.store.migrate import upgrade
from yibao.store.models import ContributionPayment


def test_statement_json_carries_the_outlay_the_payment_rows_sum_to(tmp_path, library):
    engine = make_engine(f"sqlite:///{tmp_path / 'demo.sqlite'}")
    upgrade(engine)
    result = run_demo("500243", 2023, 1500, 7, engine, library, lambda _: None, time.perf_counter)
    outside = summary(result)["fund_statement"]["outside_fund"]
    with session_factory(engine)() as s:
        stored = dict(
            s.execute(
                select(
                    ContributionPayment.supplement_product,
                    func.sum(ContributionPayment.supplement_subsidy),
                )
                .where(ContributionPayment.supplement_fund == "统筹衔接资金")
                .group_by(ContributionPayment.supplement_product)
            ).all()
        )
    engine.dispose()
    assert set(stored) == {"渝快保普惠款", "渝快保升级款"} and all(v > 0 for v in stored.values())
    assert outside["commercial_supplement_subsidies"] == {
        "统筹衔接资金": {product: fen_to_json(fen) for product, fen in sorted(stored.items())}
    }
