"""Test configuration: float64 and strict rank promotion for the whole suite (see STYLE.md)."""

import os

import jax
import numpy as np
import pytest

# In-process calls of the CLI's main() must not switch on the persistent compilation cache for the
# whole test session (nor write to the user's cache): tests that want it set a folder themselves.
os.environ["MDMJAX_CACHE_DIR"] = "off"

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_rank_promotion", "raise")

from hypothesis import settings  # noqa: E402

import mdmjax  # noqa: E402,F401  (after the config, like a user would)

settings.register_profile("ci", max_examples=40, deadline=None, derandomize=True)
settings.register_profile("dev", max_examples=20, deadline=None)
settings.load_profile("ci")


@pytest.fixture
def rng():
    return np.random.default_rng(20261122)
