import datetime as dt

import pytest

from yibao.idcard import make_id


@pytest.fixture
def ids():
    """Valid ID numbers for synthetic people (GB 11643 check digits computed, not typed)."""
    return [make_id("500243", dt.date(1960 + i, 1 + i % 12, 1 + i), i * 2 + 1) for i in range(12)]
