"""Fixtures of the test suite; the configuration (x64 off, strict promotion, the XLA level, the
compilation cache, slow marks) is the repository root's ``conftest.py``, loaded first."""

import numpy as np
import pytest

from conftest import TEST_XLA_LEVEL as TEST_XLA_LEVEL  # the root conftest (tests/test_xla_level.py)
from conftest import XLA_LEVEL_OPTION as XLA_LEVEL_OPTION


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session, exitstatus):
    """Free the compiled programs and collect garbage now, while the worker still runs.

    Under xdist the controller shuts a worker down once it reports that its session finished;
    execnet then gives the worker 5 s to return and otherwise SIGINTs it. The first collection of
    a worker's thousands of compiled programs can take longer on a loaded machine, and the
    KeyboardInterrupt then surfaced in hypothesis' gc callback: a traceback on stderr after a
    passing run (exit code 0). Collected here, before xdist's own hook reports the end.
    """
    import gc

    import jax

    jax.clear_caches()
    gc.collect()


@pytest.fixture
def rng():
    return np.random.default_rng(20261122)
