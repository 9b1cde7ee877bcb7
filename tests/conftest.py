"""Fixtures of the test suite; the configuration (x64 off, strict promotion, the XLA level, the
compilation cache, slow marks) is the repository root's ``conftest.py``, loaded first."""

import numpy as np
import pytest

from conftest import TEST_XLA_LEVEL as TEST_XLA_LEVEL  # the root conftest (tests/test_xla_level.py)
from conftest import XLA_LEVEL_OPTION as XLA_LEVEL_OPTION


@pytest.fixture
def rng():
    return np.random.default_rng(20261122)
