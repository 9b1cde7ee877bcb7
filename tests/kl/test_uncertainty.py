"""Confidence intervals for expected KL and the optimal schedule on curves with stderr."""

import itertools
from statistics import NormalDist

import hypothesis.strategies as st
import jax
import numpy as np
import pytest
from hypothesis import given, settings

import mdmjax as mdm
from tests.reference import compositions


def theorem4_plain(z, sizes):
    """Theorem 4 written out with Python loops (reference)."""
    total, start = 0.0, 0
    for s in sizes:
        for j in range(start, start + s):
            total += z[j] - z[start]
        start += s
    return total


def random_curve(rng, n):
    z = np.concatenate([[0.0], np.cumsum(rng.exponential(0.3, size=n - 1))])
    se = np.concatenate([[0.0], rng.uniform(0.0, 0.05, size=n - 1)])
    return mdm.InformationCurve.from_z(z, stderr=se), z, se


def test_exact_curve_gives_degenerate_interval():
    c = mdm.curves.reed_solomon_curve(12, q=13, d=3)
    iv = mdm.expected_kl_interval(c, (4, 8))
    assert iv.estimate == iv.lower == iv.upper == mdm.expected_kl(c, (4, 8))
    si = mdm.optimal_schedule_interval(c, 2)
    assert si.optimum.lower == si.optimum.upper == si.schedule.kl


@settings(max_examples=25)
@given(st.integers(2, 9), st.integers(0, 2**31 - 1), st.floats(0.5, 0.99))
def test_interval_is_the_range_over_the_band(n, seed, level):
    """Lower/upper equal min/max of Theorem 4 over the two extreme corners of the band."""
    rng = np.random.default_rng(seed)
    c, z, se = random_curve(rng, n)
    r = NormalDist().inv_cdf((1 + level) / 2)
    k = int(rng.integers(1, n + 1))
    sizes = next(iter(compositions(n, k)))
    iv = mdm.expected_kl_interval(c, sizes, level=level)
    assert abs(iv.estimate - theorem4_plain(z, sizes)) < 1e-12
    # Reference: coefficient-wise worst case, written with loops.
    lo, hi, start = 0.0, 0.0, 0
    for s in sizes:
        for j in range(start + 1, start + s):
            lo += (z[j] - r * se[j]) - (z[start] + r * se[start])
            hi += (z[j] + r * se[j]) - (z[start] - r * se[start])
        start += s
    assert abs(iv.lower - max(0.0, lo)) < 1e-12 and abs(iv.upper - hi) < 1e-12
    assert iv.lower <= iv.estimate <= iv.upper and iv.level == level


def test_batch_of_schedules():
    rng = np.random.default_rng(0)
    c, _, _ = random_curve(rng, 6)
    batch = np.array([[6, 0, 0], [1, 2, 3], [2, 2, 2]])
    iv = mdm.expected_kl_interval(c, batch)
    for b, row in enumerate(batch):
        one = mdm.expected_kl_interval(c, tuple(int(v) for v in row if v))
        assert np.isclose(iv.lower[b], one.lower) and np.isclose(iv.upper[b], one.upper)


@settings(max_examples=12)
@given(st.integers(2, 8), st.integers(0, 2**31 - 1))
def test_optimum_interval_matches_brute_force(n, seed):
    rng = np.random.default_rng(seed)
    c, z, se = random_curve(rng, n)
    k = int(rng.integers(1, n + 1))
    si = mdm.optimal_schedule_interval(c, k, level=0.9)
    lo_band, hi_band = mdm.kl.z_band(c, 0.9, simultaneous=True)

    def corner(sizes, inside, start_vals):
        total, start = 0.0, 0
        for s in sizes:
            for j in range(start + 1, start + s):
                total += inside[j] - start_vals[start]
            start += s
        return total

    comps = list(compositions(n, k))
    low = min(corner(s, lo_band, hi_band) for s in comps)
    high = min(corner(s, hi_band, lo_band) for s in comps)
    best = min(theorem4_plain(z, s) for s in comps)
    assert abs(si.schedule.kl - best) < 1e-12
    assert abs(si.optimum.lower - max(0.0, min(low, best))) < 1e-10
    assert abs(si.optimum.upper - max(high, best)) < 1e-10
    assert si.kl.lower <= si.schedule.kl <= si.kl.upper


def test_simultaneous_band_is_wider():
    c, _, _ = random_curve(np.random.default_rng(1), 10)
    point = mdm.expected_kl_interval(c, (3, 7))
    joint = mdm.expected_kl_interval(c, (3, 7), simultaneous=True)
    assert joint.lower <= point.lower and joint.upper >= point.upper


def test_coverage_by_simulation():
    """Monte-Carlo curves of a small mixture: the 90% interval covers the exact KL in >= 90% of
    independent runs (it is conservative), and narrows roughly like 1/sqrt(m)."""
    rng = np.random.default_rng(5)
    w, theta = rng.dirichlet(np.ones(2)), rng.dirichlet(np.full(2, 0.4), size=(2, 5))
    model = mdm.curves.MixtureOfProducts(w, theta)
    x = np.asarray(list(itertools.product(range(2), repeat=5)))
    table = sum(w[c] * np.prod(theta[c, np.arange(5), x], axis=1) for c in range(2))
    exact = mdm.information_curve(mdm.Distribution.from_probs(table.reshape((2,) * 5)))
    sizes = (2, 3)
    truth = mdm.expected_kl(exact, sizes)
    truth_opt = mdm.optimal_schedule(exact, 2).kl
    keys = jax.random.split(jax.random.key(17), 40)
    hits, hits_opt, widths = 0, 0, []
    for key in keys:
        curve = mdm.curves.monte_carlo_curve(model, key, num_samples=100)
        iv = mdm.expected_kl_interval(curve, sizes, level=0.9)
        hits += iv.lower <= truth <= iv.upper
        widths.append(iv.upper - iv.lower)
        opt = mdm.optimal_schedule_interval(curve, 2, level=0.9).optimum
        hits_opt += opt.lower <= truth_opt <= opt.upper
    assert hits >= 36 and hits_opt >= 36
    wide = mdm.expected_kl_interval(
        mdm.curves.monte_carlo_curve(model, keys[0], num_samples=400), sizes, level=0.9
    )
    assert 0.3 < (wide.upper - wide.lower) / np.mean(widths) < 0.7


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda c: mdm.expected_kl_interval(c, (2, 2), level=1.0), "level"),
        (lambda c: mdm.expected_kl_interval(c, (2, 2), level="x"), "level"),
        (lambda c: mdm.expected_kl_interval(c, (2, 3)), "sizes"),
        (lambda c: mdm.expected_kl_interval("curve", (2, 2)), "curve"),
        (lambda c: mdm.optimal_schedule_interval(c, 5), "steps"),
        (lambda c: mdm.optimal_schedule_interval(c, 0), "steps"),
    ],
)
def test_bad_input(call, match):
    c = mdm.InformationCurve.from_z([0.0, 0.1, 0.2, 0.2], stderr=[0.0, 0.01, 0.01, 0.01])
    with pytest.raises(ValueError, match=match):
        call(c)
