"""mdm.kl.bernoulli_kl: Σ Γ against mdmjax's exact random-size KL and against quadrature.

Two independent routes to the same number (docs/theory.md §12): the gain curve's one-step
defects, and the binomial schedule's exact DP over revealed counts (kl/_random_sizes.py).
"""

from __future__ import annotations

import math

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.polynomial import Polynomial

import mdmjax as mdm


def _grid(seed: int, steps: int) -> np.ndarray:
    inc = np.random.default_rng(seed).dirichlet(np.ones(steps))
    return np.concatenate([[0.0], np.cumsum(inc)[:-1], [1.0]])


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(2, 6), steps=st.integers(1, 6))
def test_sum_of_defects_equals_random_size_kl(seed, n, steps):
    c = mdm.information_curve(mdm.families.dirichlet(jax.random.key(seed), (2,) * n))
    grid = _grid(seed, steps)
    kl = mdm.kl.bernoulli_kl(c, grid)
    exact = mdm.expected_kl(c, mdm.schedules.grid_schedule(n, grid))
    assert kl == pytest.approx(float(exact), abs=1e-10)


def test_against_quadrature_of_the_power_basis():
    """Σ ∫_{t_j}^{t_{j+1}} (h(u) - h(t_j)) du with ``h`` built from ``Hbar`` in the power basis."""
    c = mdm.information_curve(mdm.families.dirichlet(jax.random.key(7), (3, 2, 2, 3)))
    hbar = np.asarray(c.hbar)
    d = 4
    card = [d * (hbar[1] + hbar[j] - hbar[j + 1]) for j in range(d)]
    t, s = Polynomial([0.0, 1.0]), Polynomial([1.0, -1.0])
    h = sum((math.comb(d - 1, j) * card[j] * t**j * s ** (d - 1 - j) for j in range(d)), 0 * t)
    big = h.integ()
    grid = np.array([0.0, 0.1, 0.45, 0.8, 1.0])
    ref = sum(big(b) - big(a) - (b - a) * h(a) for a, b in zip(grid[:-1], grid[1:], strict=True))
    assert mdm.kl.bernoulli_kl(c, grid) == pytest.approx(ref, abs=1e-12)
    # one step is the one-step schedule: KL = TC
    assert mdm.kl.bernoulli_kl(c, [0.0, 1.0]) == pytest.approx(c.tc, abs=1e-12)


def test_large_n_matches_the_binomial_schedule():
    c = mdm.curves.noisy_repetition_curve(64, 0.1)
    grid = mdm.schedules.geo_grid(64, 0.7)
    exact = mdm.expected_kl(c, mdm.schedules.grid_schedule(64, grid))
    assert mdm.kl.bernoulli_kl(c, grid) == pytest.approx(float(exact), abs=1e-10)


def test_bad_grids():
    c = mdm.curves.repetition_curve(4, 2)
    for bad in (
        [0.0, 0.5, 0.5, 1.0],
        [0.1, 1.0],
        [0.0, 0.9],
        [0.0],
        [[0.0, 1.0]],
        [0.0, np.nan, 1],
    ):
        with pytest.raises(ValueError, match="^grid: "):
            mdm.kl.bernoulli_kl(c, bad)
    with pytest.raises(ValueError, match="^curve: "):
        mdm.kl.bernoulli_kl("x", [0.0, 1.0])
