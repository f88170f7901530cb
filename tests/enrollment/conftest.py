import datetime as dt

import pytest

from yibao.idcard import make_id


@pytest.fixture
def ids():
    """Valid ID numbers for synthetic people (GB 11643 check digits computed, not typed)."""
    return [make_id("500243", dt.date(1960 + i, 1 + i % 12, 1 + i), i * 2 + 1) for i in range(12)]


@pytest.fixture
def session(tmp_path):
    """A migrated SQLite store of one's own, for the payment and enrollment services."""
    from yibao.store import make_engine, session_factory, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    with session_factory(engine)() as s:
        yield s
    engine.dispose()
