"""Shared fixtures. Each area keeps its own conftest.py in its test folder."""

import pytest

from yibao.policy import default_library


@pytest.fixture(scope="session")
def library():
    return default_library()
