"""UGC grids (Theorem 3, Geo, Prop. 1 blocks), the optax grid search and Theorem 2's count.

docs/theory.md §12.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import mdmjax as mdm

CURVE = mdm.curves.noisy_repetition_curve(32, 0.1)


def test_ugc_grid_has_equal_sqrt_mass():
    u = mdm.curves.ugc(CURVE)
    grid = mdm.schedules.ugc_grid(u, 6)
    lam = np.log(grid[1:-1]) - np.log1p(-grid[1:-1])
    cum = u.cumulative_sqrt_mass(lam)
    total = math.sqrt(u.fine_total)
    np.testing.assert_allclose(cum, total * np.arange(1, 6) / 6, rtol=1e-9)
    # the whole-line √q integral is ∫_0^1 √h'(t) dt: midpoint rule in t as an independent check
    t = (np.arange(200000) + 0.5) / 200000
    assert np.sum(np.sqrt(u.h_prime(t))) / t.size == pytest.approx(total, rel=1e-5)


def test_theorem3_rate():
    """N · KL of the equal-√q grid approaches P/2 (whole line) from above."""
    u = mdm.curves.ugc(CURVE)
    vals = [n * mdm.kl.bernoulli_kl(CURVE, mdm.schedules.ugc_grid(u, n)) for n in (16, 64, 256)]
    assert vals[0] > vals[1] > vals[2] > u.fine_total / 2
    assert vals[2] < 1.1 * u.fine_total / 2


def test_geo_grid():
    g = mdm.schedules.geo_grid(17, 0.5)
    lam = np.log(g[1:-1]) - np.log1p(-g[1:-1])
    assert g[0] == 0 and g[-1] == 1
    assert lam[0] == pytest.approx(-math.log(16)) and lam[-1] == pytest.approx(math.log(16))
    steps = np.diff(lam)
    assert np.all(steps <= 0.5 + 1e-12) and np.ptp(steps) < 1e-12


def test_block_grid_multipliers():
    u = mdm.curves.ugc(CURVE)
    n_budget = 200
    grid = mdm.schedules.block_grid(u, n_budget, breaks=[0.3])
    lam = np.log(grid[1:-1]) - np.log1p(-grid[1:-1])
    edges = np.array([1 / 32, 0.3, 1 - 1 / 32])
    le = np.log(edges) - np.log1p(-edges)
    for a, b, ta, tb in zip(le[:-1], le[1:], edges[:-1], edges[1:], strict=True):
        s, h = b - a, u.mass(ta, tb)
        rho = min(1.0, 4 * math.sqrt(u.coarse) / n_budget * math.sqrt(s / h))
        inside = lam[(lam >= a - 1e-12) & (lam <= b + 1e-12)]
        assert len(inside) - 1 == math.ceil(s / rho - 1e-12)


def test_optax_grid_beats_or_matches_the_ugc_grid():
    for steps in (3, 8):
        r = mdm.search.optimize_bernoulli_grid(CURVE, steps, iterations=150)
        start = mdm.kl.bernoulli_kl(CURVE, mdm.schedules.ugc_grid(CURVE, steps))
        assert r.initial_kl == pytest.approx(start)
        assert r.kl <= start and r.kl == pytest.approx(mdm.kl.bernoulli_kl(CURVE, r.grid))
    assert r.kl < start  # at 8 steps the asymptotic grid is not optimal: optax improves it


def test_grid_schedule_and_certificate():
    s = mdm.schedules.grid_schedule(4, [0.0, 0.25, 0.5, 1.0])
    np.testing.assert_allclose(s.reveal_probs, [0.25, 1 / 3, 1.0])
    u = mdm.curves.ugc(CURVE)
    n = mdm.schedules.certified_steps(u, 0.05)
    assert n == math.ceil(8 * u.coarse / 0.05)


def test_bad_input():
    with pytest.raises(ValueError, match="^steps: "):
        mdm.schedules.ugc_grid(CURVE, 0)
    with pytest.raises(ValueError, match="^rho: "):
        mdm.schedules.geo_grid(8, 0.0)
    with pytest.raises(ValueError, match="^n: "):
        mdm.schedules.geo_grid(1, 0.5)
    with pytest.raises(ValueError, match="^breaks: "):
        mdm.schedules.block_grid(CURVE, 10, breaks=[0.5, 0.2])
    with pytest.raises(ValueError, match="^eps: "):
        mdm.schedules.certified_steps(CURVE, -1)
    with pytest.raises(ValueError, match="^grid: "):
        mdm.schedules.grid_schedule(4, [0.0, 0.7, 0.6, 1.0])
    with pytest.raises(ValueError, match="^curve: "):
        mdm.schedules.ugc_grid(mdm.curves.product_curve(np.full((4, 2), 0.5)), 3)
