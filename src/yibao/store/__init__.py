"""The store: SQLAlchemy 2 models, migrations and repositories (SQLite by default, PostgreSQL)."""

from yibao.store import aggregate_models as _aggregate_models  # noqa: F401  (tables on Base.metadata)
from yibao.store import enrollment_aggregate_models as _enrollment_models  # noqa: F401  (tables)
from yibao.store import enrollment_aggregates as _kept  # noqa: F401  (its session hook: always on)
from yibao.store import filing_models as _filing_models  # noqa: F401  (tables on Base.metadata)
from yibao.store import fund_models as _fund_models  # noqa: F401  (tables on Base.metadata)
from yibao.store import gateway_models as _gateway_models  # noqa: F401  (tables on Base.metadata)
from yibao.store import review_models as _review_models  # noqa: F401  (its tables on Base.metadata)
from yibao.store.db import database_url, make_engine, session_factory, transaction
from yibao.store.migrate import upgrade

__all__ = ["database_url", "make_engine", "session_factory", "transaction", "upgrade"]
