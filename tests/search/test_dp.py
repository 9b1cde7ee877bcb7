"""The exact DP against brute force; min_steps; bad input (docs/theory.md §2.4–2.5)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mdmjax as mdm
from tests import reference as ref
from tests.reference import random_table as random_law


def test_dp_regression_value():
    n = 200
    z = np.log(np.arange(1, n + 1)) / np.log(n)
    s = mdm.optimal_schedule(mdm.InformationCurve.from_z(z), 2)
    assert s.sizes == (41, 159)
    assert s.kl == pytest.approx(50.7600, abs=5e-5)
    assert s.steps == 2 and s.breakpoints == (41, 200)


@given(
    increments=st.lists(st.floats(0, 1), min_size=1, max_size=9),
    zeros=st.lists(st.booleans(), min_size=9, max_size=9),
    data=st.data(),
)
def test_optimal_schedule_equals_brute_force(increments, zeros, data):
    inc = np.array([0.0 if zz else v for v, zz in zip(increments, zeros, strict=False)])
    z = np.concatenate([[0.0], np.cumsum(inc)])
    c = mdm.InformationCurve.from_z(z)
    n = z.size
    k = data.draw(st.integers(1, n))
    best = min(mdm.expected_kl(c, s) for s in ref.compositions(n, k))
    got = mdm.optimal_schedule(c, k)
    assert len(got.sizes) == k and sum(got.sizes) == n and min(got.sizes) >= 1
    assert got.kl == pytest.approx(best, abs=1e-12)
    assert got.kl == pytest.approx(mdm.expected_kl(c, got.sizes), abs=1e-15)


def test_optimum_non_increasing_and_min_steps(rng):
    p = random_law(rng, (2,) * 7)
    c = mdm.information_curve(mdm.Distribution.from_probs(p))
    opts = [mdm.optimal_schedule(c, k).kl for k in range(1, 8)]
    assert all(a >= b - 1e-15 for a, b in itertools.pairwise(opts))
    assert opts[0] == pytest.approx(c.tc) and opts[-1] == 0.0
    for eps in [0.0, opts[3], (opts[2] + opts[3]) / 2, 10.0, opts[1] * 1.0000001]:
        s = mdm.min_steps(c, eps)
        want = next(k for k in range(1, 8) if opts[k - 1] <= eps + 1e-12)
        assert s.steps == want and s.kl <= eps + 1e-12
    assert mdm.min_steps(mdm.Distribution.from_probs(p), 10.0).sizes == (7,)


def test_optimal_bad_input():
    c = mdm.InformationCurve.from_z([0.0, 0.1, 0.2])
    for bad in [0, -1, 4, 1.5, "2"]:
        with pytest.raises(ValueError, match="steps"):
            mdm.optimal_schedule(c, bad)
    for bad in [-1.0, np.nan, np.inf, "x"]:
        with pytest.raises(ValueError, match="eps"):
            mdm.min_steps(c, bad)
    with pytest.raises(ValueError, match="curve"):
        mdm.optimal_schedule([0.0, 0.1], 1)
