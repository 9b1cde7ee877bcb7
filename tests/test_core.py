"""Core: subset entropies, the information curve, Theorem-4 KL, partition KL, enumeration, DP."""

from __future__ import annotations

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mdmjax as mdm
from mdmjax.curves import subset_entropies
from tests import reference as ref
from tests.reference import random_table as random_law
from tests.x64 import with_x64

shapes = st.lists(st.integers(1, 3), min_size=1, max_size=5).map(tuple)


# ------------------------------------------------------------------------------------------------
# subset entropies and the curve
# ------------------------------------------------------------------------------------------------
@given(shape=shapes, seed=st.integers(0, 2**32 - 1), sparse=st.booleans())
def test_subset_entropies_match_direct_marginals(shape, seed, sparse):
    rng = np.random.default_rng(seed)
    p = random_law(rng, shape, 0.4 if sparse else 0.0)
    h = np.asarray(subset_entropies(p))
    n = len(shape)
    assert h.dtype == np.float64 and h.shape == (2**n,)
    for mask in range(2**n):
        subset = [i for i in range(n) if mask >> i & 1]
        assert h[mask] == pytest.approx(ref.subset_entropy(p, subset), abs=1e-12)


@given(shape=shapes, seed=st.integers(0, 2**32 - 1))
def test_information_curve_matches_reference(shape, seed):
    p = random_law(np.random.default_rng(seed), shape)
    c = mdm.information_curve(mdm.Distribution.from_probs(p))
    n = len(shape)
    assert c.hbar.shape == (n + 1,) and c.z.shape == (n,)
    assert c.hbar.dtype == jnp.float64 and c.z.dtype == jnp.float64
    np.testing.assert_allclose(c.hbar, ref.hbar(p), atol=1e-12)
    np.testing.assert_allclose(c.z, ref.z_curve(p), atol=1e-12)
    assert float(c.z[0]) == 0.0
    assert np.all(np.diff(np.asarray(c.z)) >= -1e-12)  # Han's inequality
    # g, f conventions
    np.testing.assert_allclose(c.g, np.diff(ref.hbar(p)), atol=1e-12)
    np.testing.assert_allclose(c.f, np.diff(ref.z_curve(p)), atol=1e-12)
    assert c.f.shape == (n - 1,)
    # TC and DTC against direct entropy sums, not the curve
    h_joint = ref.entropy(p)
    tc = sum(ref.subset_entropy(p, [i]) for i in range(n)) - h_joint
    others = [[a for a in range(n) if a != i] for i in range(n)]
    dtc = h_joint - sum(h_joint - ref.subset_entropy(p, o) for o in others)
    assert c.tc == pytest.approx(tc, abs=1e-11)
    assert c.dtc == pytest.approx(dtc, abs=1e-11)
    assert c.tc + c.dtc == pytest.approx(c.mutual_information_sum, abs=1e-11)
    assert isinstance(c.tc, float) and isinstance(c.dtc, float)


def test_repetition_curve_closed_form():
    n, q = 4, 3
    p = np.zeros((q,) * n)
    for v in range(q):
        p[(v,) * n] = 1 / q
    c = mdm.information_curve(mdm.Distribution.from_probs(p))
    np.testing.assert_allclose(np.asarray(c.z) / np.log(q), [0, 1, 1, 1], atol=1e-12)
    assert c.tc == pytest.approx((n - 1) * np.log(q))
    assert c.dtc == pytest.approx(np.log(q))


@with_x64
def test_curve_is_a_pytree_through_jit_and_vmap(rng):
    ps = np.stack([random_law(rng, (2, 3, 2)) for _ in range(5)])
    batch = mdm.Distribution(jnp.asarray(ps))
    curves = jax.vmap(mdm.information_curve)(batch)
    assert curves.z.shape == (5, 3)
    for b in range(5):
        np.testing.assert_allclose(curves.z[b], ref.z_curve(ps[b]), atol=1e-12)
    np.testing.assert_allclose(curves.tc, [ref.z_curve(x).sum() for x in ps], atol=1e-12)
    jitted = jax.jit(lambda d: mdm.information_curve(d).z)(mdm.Distribution.from_probs(ps[0]))
    np.testing.assert_allclose(jitted, ref.z_curve(ps[0]), atol=1e-12)


def test_from_z_validates_and_rebuilds_hbar(rng):
    p = random_law(rng, (2, 2, 3, 2))
    c = mdm.information_curve(mdm.Distribution.from_probs(p))
    c2 = mdm.InformationCurve.from_z(np.asarray(c.z), h1=float(c.hbar[1]))
    np.testing.assert_allclose(c2.hbar, c.hbar, atol=1e-12)
    assert c2.tc == pytest.approx(c.tc, abs=1e-12)
    assert c2.dtc == pytest.approx(c.dtc, abs=1e-12)
    assert mdm.InformationCurve.from_z([0.0, 1.0]).hbar is None
    with pytest.raises(ValueError, match="z: Z_1"):
        mdm.InformationCurve.from_z([0.1, 0.2])
    with pytest.raises(ValueError, match="non-decreasing"):
        mdm.InformationCurve.from_z([0.0, 0.5, 0.4])
    with pytest.raises(ValueError, match="z:"):
        mdm.InformationCurve.from_z([0.0, np.nan])
    with pytest.raises(ValueError, match="z:"):
        mdm.InformationCurve.from_z([])
    with pytest.raises(ValueError, match="z:"):
        mdm.InformationCurve.from_z([[0.0, 1.0]])
    # within tolerance is accepted
    mdm.InformationCurve.from_z([1e-13, 0.5, 0.5 - 1e-13])


# ------------------------------------------------------------------------------------------------
# Theorem 4 and the enumeration
# ------------------------------------------------------------------------------------------------
# A menu of shapes (n = 1..5, alphabets 1..3, singleton axes included) instead of any shape: the
# enumeration kernels compile once per shape and block sizes, and the menu lets 40 examples share
# them; the laws and the schedules stay random.
THEOREM4_SHAPES = [(1,), (3,), (2, 3), (3, 1, 2), (2, 2, 2), (1, 3, 2, 2), (2, 3, 2, 3)]
THEOREM4_SHAPES += [(2, 2, 1, 2, 3), (3, 2, 2, 2, 2)]


@settings(max_examples=25)  # each new (shape, sizes) compiles the enumeration: compile-bound
@given(shape=st.sampled_from(THEOREM4_SHAPES), seed=st.integers(0, 2**32 - 1), data=st.data())
def test_theorem4_equals_enumeration(shape, seed, data):
    p = random_law(np.random.default_rng(seed), shape, 0.3)
    d = mdm.Distribution.from_probs(p)
    n = len(shape)
    k = data.draw(st.integers(1, n))
    sizes = data.draw(st.sampled_from(list(ref.compositions(n, k))))
    expected, mixture = mdm.exact_kl(d, sizes, kind="both")
    assert mdm.expected_kl(d, sizes) == pytest.approx(expected, abs=1e-10)
    assert mixture <= expected + 1e-12
    assert mdm.exact_kl(d, sizes, kind="expected") == pytest.approx(expected, abs=1e-14)
    assert mdm.exact_kl(d, sizes, kind="mixture") == pytest.approx(mixture, abs=1e-14)
    hb = ref.hbar(p)
    assert mdm.expected_kl(d, sizes) == pytest.approx(
        ref.theorem4_entropy_form(hb, sizes), abs=1e-10
    )


def test_exact_kl_against_partition_by_partition_reference(rng):
    p = random_law(rng, (2, 3, 2, 2), 0.2)
    d = mdm.Distribution.from_probs(p)
    for sizes in [(2, 2), (1, 3), (3, 1), (1, 1, 2), (4,)]:
        parts = ref.all_ordered_partitions(sizes)
        assert len(parts) == mdm.kl.count_partitions(sizes)
        nus = [ref.nu_partition(p, b) for b in parts]
        expected = np.mean([ref.kl(p, nu) for nu in nus])
        mixture = ref.kl(p, np.mean(nus, axis=0))
        got = mdm.exact_kl(d, sizes, kind="both")
        assert got[0] == pytest.approx(expected, abs=1e-12)
        assert got[1] == pytest.approx(mixture, abs=1e-12)
        for b in parts[:5]:
            assert mdm.partition_kl(d, b) == pytest.approx(ref.kl(p, ref.nu_partition(p, b)))


def test_partition_kl_is_a_sum_of_conditional_total_correlations(rng):
    p = random_law(rng, (2, 2, 3, 2, 2))
    d = mdm.Distribution.from_probs(p)
    blocks = [[3], [0, 4], [1, 2]]
    want, revealed = 0.0, []
    for b in blocks:
        h_a = ref.subset_entropy(p, revealed)
        want += sum(ref.subset_entropy(p, revealed + [i]) - h_a for i in b)
        want -= ref.subset_entropy(p, revealed + b) - h_a
        revealed = revealed + b
    assert mdm.partition_kl(d, blocks) == pytest.approx(want, abs=1e-12)


def test_expected_kl_special_schedules_and_batches(rng):
    p = random_law(rng, (2, 2, 2, 3, 2))
    d = mdm.Distribution.from_probs(p)
    c = mdm.information_curve(d)
    assert mdm.expected_kl(c, (1,) * 5) == 0.0
    assert mdm.expected_kl(c, (5,)) == pytest.approx(c.tc, abs=1e-12)
    batch = np.array([[5, 0, 0, 0, 0], [1, 1, 1, 1, 1], [2, 3, 0, 0, 0], [2, 0, 3, 0, 0]])
    got = mdm.expected_kl(c, batch)
    assert got.dtype == np.float64 and got.shape == (4,)
    want = [mdm.expected_kl(c, (5,)), 0.0, mdm.expected_kl(c, (2, 3)), mdm.expected_kl(c, (2, 3))]
    np.testing.assert_allclose(got, want, atol=1e-14)
    # refining never raises the expected KL
    assert mdm.expected_kl(c, (1, 1, 3)) <= mdm.expected_kl(c, (2, 3)) + 1e-15


def test_kl_bad_input(rng):
    d = mdm.Distribution.from_probs(random_law(rng, (2, 2, 2)))
    c = mdm.information_curve(d)
    for bad, msg in [
        ((1, 1), "sum to 2"),
        ((0, 3), ">= 1"),
        ((), "zero steps"),
        ((1.5, 1.5), "integers"),
        ("abc", "sizes"),
    ]:
        with pytest.raises(ValueError, match="sizes"):
            mdm.expected_kl(c, bad)
        if msg != "sizes":
            with pytest.raises(ValueError, match=msg):
                mdm.expected_kl(c, bad)
    with pytest.raises(ValueError, match="row 1"):
        mdm.expected_kl(c, [[3, 0], [2, 0]])
    with pytest.raises(ValueError, match="curve_or_dist"):
        mdm.expected_kl(np.zeros(3), (3,))
    with pytest.raises(ValueError, match="kind"):
        mdm.exact_kl(d, (3,), kind="average")
    with pytest.raises(ValueError, match="sizes"):
        mdm.exact_kl(d, (2, 2))
    with pytest.raises(ValueError, match="blocks"):
        mdm.partition_kl(d, [[0, 1], [1, 2]])
    with pytest.raises(ValueError, match="blocks"):
        mdm.partition_kl(d, [[0, 1], []])
    with pytest.raises(ValueError, match="blocks"):
        mdm.partition_kl(d, [])
    big = mdm.Distribution.from_probs(np.full((2,) * 12, 2.0**-12))
    with pytest.raises(ValueError, match="479001600 ordered partitions"):
        mdm.exact_kl(big, (1,) * 12)


def test_exact_kl_n8_all_singletons_is_zero_and_fast_enough(rng):
    p = random_law(rng, (2,) * 8)
    d = mdm.Distribution.from_probs(p)
    e, m = mdm.exact_kl(d, (1,) * 8, kind="both")
    assert abs(e) < 1e-12 and abs(m) < 1e-12
    e, m = mdm.exact_kl(d, (2, 2, 2, 2), kind="both")
    assert e == pytest.approx(mdm.expected_kl(d, (2, 2, 2, 2)), abs=1e-10)
    assert m < e


# ------------------------------------------------------------------------------------------------
# optimal schedules
# ------------------------------------------------------------------------------------------------
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


# ------------------------------------------------------------------------------------------------
# Distribution
# ------------------------------------------------------------------------------------------------
def test_distribution_validation():
    good = np.full((2, 3), 1 / 6)
    d = mdm.Distribution.from_probs(good)
    assert d.n == 2 and d.shape == (2, 3) and d.probs.dtype == jnp.float64
    with pytest.raises(ValueError, match="negative"):
        mdm.Distribution.from_probs(np.array([1.5, -0.5]))
    with pytest.raises(ValueError, match="NaN or infinite"):
        mdm.Distribution.from_probs(np.array([np.nan, 1.0]))
    with pytest.raises(ValueError, match="NaN or infinite"):
        mdm.Distribution.from_probs(np.array([np.inf, 1.0]))
    with pytest.raises(ValueError, match="total mass is 0.9"):
        mdm.Distribution.from_probs(np.array([0.5, 0.4]))
    with pytest.raises(ValueError, match="at least 1 position"):
        mdm.Distribution.from_probs(1.0)
    with pytest.raises(ValueError, match="at least one value"):
        mdm.Distribution.from_probs(np.zeros((2, 0)))
    # within 1e-9 is accepted and renormalized
    d = mdm.Distribution.from_probs(np.array([0.5, 0.5 + 5e-10]))
    assert float(d.probs.sum()) == pytest.approx(1.0, abs=1e-15)


def test_distribution_memory_guard(monkeypatch):
    monkeypatch.setenv("MDMJAX_MEMORY_LIMIT", "1M")
    with pytest.raises(ValueError, match="bytes"):
        mdm.Distribution.from_logits(np.zeros((2,) * 18))
    with pytest.raises(ValueError, match="estimated"):
        mdm.information_curve(mdm.Distribution(jnp.full((2,) * 13, 2.0**-13)))


def test_from_logits_and_samples():
    logits = np.log(np.array([[1.0, 2.0], [3.0, 4.0]]))
    d = mdm.Distribution.from_logits(logits)
    np.testing.assert_allclose(d.probs, np.array([[1, 2], [3, 4]]) / 10, atol=1e-15)
    d = mdm.Distribution.from_logits(np.array([0.0, -np.inf]))
    np.testing.assert_allclose(d.probs, [1.0, 0.0])
    with pytest.raises(ValueError, match="logits"):
        mdm.Distribution.from_logits(np.array([np.nan, 0.0]))
    with pytest.raises(ValueError, match="logits"):
        mdm.Distribution.from_logits(np.array([-np.inf, -np.inf]))
    samples = np.array([[0, 1], [0, 1], [1, 2], [0, 0]])
    d = mdm.Distribution.from_samples(samples, (2, 3))
    want = np.zeros((2, 3))
    want[0, 1], want[1, 2], want[0, 0] = 0.5, 0.25, 0.25
    np.testing.assert_allclose(d.probs, want)
    d = mdm.Distribution.from_samples(samples, 3, smoothing=1.0)
    assert d.shape == (3, 3) and float(d.probs[2, 2]) == pytest.approx(1 / 13)
    with pytest.raises(ValueError, match="samples"):
        mdm.Distribution.from_samples(np.array([[0, 3]]), 3)
    with pytest.raises(ValueError, match="samples"):
        mdm.Distribution.from_samples(np.array([0, 1]), 3)
    with pytest.raises(ValueError, match="num_values"):
        mdm.Distribution.from_samples(samples, (2, 3, 4))
    with pytest.raises(ValueError, match="smoothing"):
        mdm.Distribution.from_samples(samples, 3, smoothing=-1.0)


def test_distribution_sample_is_deterministic_given_key():
    d = mdm.Distribution.from_probs(np.array([[0.1, 0.2], [0.3, 0.4]]))
    a = d.sample(jax.random.key(0), 2000)
    b = d.sample(jax.random.key(0), 2000)
    assert a.shape == (2000, 2) and np.array_equal(a, b)
    freq = np.bincount(np.ravel_multi_index(np.asarray(a).T, (2, 2)), minlength=4) / 2000
    np.testing.assert_allclose(freq, [0.1, 0.2, 0.3, 0.4], atol=0.05)
