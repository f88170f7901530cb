"""One small synthetic county year per session (彭水 2023), shared by the synth tests."""

import pytest

from yibao.synth import simulate_county


@pytest.fixture(scope="session")
def pengshui(library):
    return simulate_county("500243", 2023, 4000, seed=11, fee_detail=True, library=library)
