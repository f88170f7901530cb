"""Fixtures: the shipped 医保目录 of the five regions and the hospital-level map of the policy."""

from __future__ import annotations

import pytest

from yibao.catalogue.loader import load_catalogue
from yibao.policy.loader import load_policy


@pytest.fixture(scope="session")
def pengshui():
    return load_catalogue("500243")


@pytest.fixture(scope="session")
def levels():
    return load_policy("500243", 2023).benefits.hosp_level_map.value
