"""The monotone (quadrangle-inequality) DP against the dense O(k n^2) DP and brute force."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mdmjax as mdm
from mdmjax.search._dp import DENSE_MAX_N, _resolve_method
from tests.reference import theorem4_sum as theorem4


def brute_optimum(z, k):
    n = len(z)
    best = np.inf
    for cuts in itertools.combinations(range(1, n), k - 1):
        bounds = (0, *cuts, n)
        sizes = [b - a for a, b in itertools.pairwise(bounds)]
        best = min(best, theorem4(z, sizes))
    return best


# A menu of sizes keeps the number of compilations (one per (n, k)) small.
SIZES = (1, 2, 7, 16, 33)


@st.composite
def curves(draw, sizes=SIZES):
    n = draw(st.sampled_from(sizes))
    kind = draw(st.sampled_from(["random", "flat", "steps", "concave"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    if kind == "random":
        inc = rng.exponential(size=n - 1)
    elif kind == "flat":
        inc = np.zeros(n - 1)
    elif kind == "steps":  # ties everywhere: MDS-like jumps
        inc = (rng.random(n - 1) < 0.2).astype(float) * rng.integers(1, 3, n - 1)
    else:
        inc = np.diff(np.log(np.arange(1, n + 1))) if n > 1 else np.zeros(0)
    z = np.concatenate([[0.0], np.cumsum(inc)])
    return mdm.InformationCurve.from_z(z)


def steps_for(c, data):
    return data.draw(st.sampled_from(sorted({1, min(2, c.n), max(1, c.n // 2), c.n})))


@settings(max_examples=20)
@given(curves(), st.data())
def test_monotone_equals_dense(c, data):
    k = steps_for(c, data)
    a = mdm.optimal_schedule(c, k, method="dense")
    b = mdm.optimal_schedule(c, k, method="monotone")
    assert b.kl == pytest.approx(a.kl, abs=1e-10)
    assert len(b.sizes) == k and sum(b.sizes) == c.n and min(b.sizes) >= 1
    assert b.kl == pytest.approx(theorem4(np.asarray(c.z), b.sizes), abs=1e-10)


@settings(max_examples=12)
@given(curves(sizes=(1, 3, 7, 11)), st.data())
def test_monotone_equals_brute_force(c, data):
    k = steps_for(c, data)
    b = mdm.optimal_schedule(c, k, method="monotone")
    assert b.kl == pytest.approx(brute_optimum(np.asarray(c.z), k), abs=1e-10)


@settings(max_examples=10)
@given(curves(sizes=(2, 7, 16)), st.floats(0, 5))
def test_min_steps_monotone_equals_dense(c, eps):
    a = mdm.min_steps(c, eps, method="dense")
    b = mdm.min_steps(c, eps, method="monotone")
    assert a.steps == b.steps
    assert b.kl <= eps + 1e-9 and b.kl == pytest.approx(a.kl, abs=1e-10)


def test_regression_value_both_methods():
    n = 200
    c = mdm.InformationCurve.from_z(np.log(np.arange(1, n + 1)) / np.log(n))
    for method in ("dense", "monotone", "auto"):
        s = mdm.optimal_schedule(c, 2, method=method)
        assert s.sizes == (41, 159)
        assert s.kl == pytest.approx(50.7600, abs=5e-5)


@pytest.mark.slow
def test_large_n_against_dense():
    n = 3000
    rng = np.random.default_rng(5)
    z = np.concatenate([[0.0], np.cumsum(rng.exponential(size=n - 1) / n)])
    c = mdm.InformationCurve.from_z(z)
    for k in (7, 40):
        assert mdm.optimal_schedule(c, k, method="monotone").kl == pytest.approx(
            mdm.optimal_schedule(c, k, method="dense").kl, abs=1e-9
        )


def test_auto_method_and_errors():
    assert _resolve_method("auto", DENSE_MAX_N) == "dense"
    assert _resolve_method("auto", DENSE_MAX_N + 1) == "monotone"
    c = mdm.InformationCurve.from_z(np.arange(5.0))
    with pytest.raises(ValueError, match="method"):
        mdm.optimal_schedule(c, 2, method="smawk")
    with pytest.raises(ValueError, match="method"):
        mdm.min_steps(c, 0.1, method="knuth")


@pytest.mark.slow
def test_monotone_memory_is_linear():
    """n = 200 000 is refused by the dense DP's guard but fine for the monotone one."""
    n = 200_000
    c = mdm.InformationCurve.from_z(np.log(np.arange(1, n + 1)) / np.log(n))
    with pytest.raises(ValueError, match="method='monotone'"):
        mdm.optimal_schedule(c, 2, method="dense")
    s = mdm.optimal_schedule(c, 2)
    assert sum(s.sizes) == n and len(s.sizes) == 2


@settings(max_examples=10)
@given(curves(sizes=(1, 3, 7, 11)), st.sampled_from(["dense", "monotone"]))
def test_optimal_schedules_one_run_equals_brute_force_for_every_k(c, method):
    """One DP run for k = n, .., 1 (any order, repeats): each optimum is the brute-force one."""
    ks = list(range(c.n, 0, -1)) + [1]
    got = mdm.optimal_schedules(c, ks, method=method)
    assert len(got) == len(ks)
    z = np.asarray(c.z)
    for k, s in zip(ks, got, strict=True):
        assert len(s.sizes) == k and sum(s.sizes) == c.n and min(s.sizes) >= 1
        assert s.kl == pytest.approx(brute_optimum(z, k), abs=1e-10)
        assert s.kl == pytest.approx(theorem4(z, s.sizes), abs=1e-10)


def test_optimal_schedules_equal_optimal_schedule_exactly():
    """Same sizes and the same float as one optimal_schedule call per k, for both solvers, and
    across the DP's compiled layer buckets (k <= 8, 9..16, 33..64, > 64)."""
    rng = np.random.default_rng(11)
    n = 66
    c = mdm.InformationCurve.from_z(np.concatenate([[0.0], np.cumsum(rng.exponential(size=n - 1))]))
    ks = [1, 3, 9, 40, 66]
    for method in ("dense", "monotone"):
        many = mdm.optimal_schedules(c, ks, method=method)
        for k, s in zip(ks, many, strict=True):
            one = mdm.optimal_schedule(c, k, method=method)
            assert s.sizes == one.sizes and s.kl == one.kl


def test_optimal_schedules_errors():
    c = mdm.InformationCurve.from_z(np.arange(5.0))
    for bad in ([], "12", 3, [2, 0], [2, 6], [1.5]):
        with pytest.raises(ValueError, match="^steps"):
            mdm.optimal_schedules(c, bad)
    with pytest.raises(ValueError, match="method"):
        mdm.optimal_schedules(c, [2], method="smawk")
