"""Store fixtures: a migrated database per backend for the session."""

from __future__ import annotations

import pytest

from tests.store.databases import database
from yibao.store import make_engine, session_factory, upgrade


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def db_url(request, tmp_path_factory):
    with database(request.param, tmp_path_factory.mktemp("store"), "store") as url:
        yield url


@pytest.fixture(scope="session")
def engine(db_url):
    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def factory(engine):
    return session_factory(engine)
