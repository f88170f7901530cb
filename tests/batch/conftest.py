"""A small synthetic year written as Parquet, shared by the batch tests."""

import pytest

from yibao.synth import simulate_county
from yibao.synth.parquet import write_year


@pytest.fixture(scope="session")
def small_year(library):
    return simulate_county("500243", 2023, 300, seed=3, library=library)


@pytest.fixture(scope="session")
def year_files(small_year, tmp_path_factory):
    return write_year(small_year, tmp_path_factory.mktemp("year"))
