"""docs/theory.md §5 closed forms, TC/DTC against dit and entropy sums, and Theorem-4 properties.

Every expected value here comes from a route independent of the code under test: a closed form
of docs/theory.md §5, ``dit``, direct sums of entropies computed with numpy, enumeration of ordered
partitions (``exact_kl``), or a plain-Python Theorem 4 and brute force over all compositions.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mdmjax as mdm
from tests.reference import all_compositions, sizes_from_cuts
from tests.reference import theorem4_sum as theorem4_python

F = mdm.families
ATOL = 1e-10

# A few fixed mixed-alphabet shapes: exact_kl and the entropy kernel compile once per shape (and
# per partition count), so drawing laws from a small set of shapes keeps the suite fast.
SHAPES = [(2, 3), (3, 1, 2), (2, 3, 2), (3, 2, 2, 2), (2, 2, 3, 1, 2)]
ENUM_SHAPES = SHAPES[:4]  # n <= 4 where ordered partitions are enumerated


# ------------------------------------------------------------------------------------------------
# Independent references
# ------------------------------------------------------------------------------------------------
def padded_batch(scheds, n):
    """A 2-D batch of schedules, rows padded with zeros (one vmapped expected_kl call)."""
    batch = np.zeros((len(scheds), n), dtype=int)
    for r, s in enumerate(scheds):
        batch[r, : len(s)] = s
    return batch


def entropy(p):
    p = np.asarray(p).ravel()
    p = p[p > 0]
    return float(-np.sum(p * np.log(p)))


def marginal(probs, keep):
    return probs.sum(axis=tuple(a for a in range(probs.ndim) if a not in keep))


def tc_direct(probs):
    """``sum_i H(X_i) - H(X)``."""
    n = probs.ndim
    return sum(entropy(marginal(probs, (i,))) for i in range(n)) - entropy(probs)


def dtc_direct(probs):
    """``H(X) - sum_i H(X_i | X_-i)`` with ``H(X_i | X_-i) = H(X) - H(X_-i)``."""
    n = probs.ndim
    h = entropy(probs)
    rest = [entropy(marginal(probs, tuple(a for a in range(n) if a != i))) for i in range(n)]
    return h - sum(h - r for r in rest)


def mds_kl(sizes, d):
    """docs/theory.md §5, in units of ln q: ``N_{t*} - d`` if ``N_{t*-1} < d``, else 0."""
    before = 0
    for s in sizes:
        if before < d + 1 <= before + s:
            return before + s - d if before < d else 0
        before += s
    return 0  # d = n: no block holds position d + 1


# ------------------------------------------------------------------------------------------------
# Strategies
# ------------------------------------------------------------------------------------------------
@st.composite
def random_laws(draw, shapes=SHAPES):
    shape = draw(st.sampled_from(shapes))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    alpha = draw(st.sampled_from([0.1, 0.5, 1.0, 5.0]))
    p = rng.dirichlet(np.full(math.prod(shape), alpha))
    if draw(st.booleans()):  # sparse support: exact zeros exercise 0 log 0
        p = np.where(rng.random(p.size) < 0.4, 0.0, p)
        if p.sum() == 0:
            p[rng.integers(p.size)] = 1.0
        p = p / p.sum()
    return mdm.Distribution.from_probs(p.reshape(shape))


@st.composite
def a_composition(draw, n):
    return sizes_from_cuts(draw(st.lists(st.booleans(), min_size=n - 1, max_size=n - 1)))


@st.composite
def laws_and_schedules(draw):
    d = draw(random_laws(ENUM_SHAPES))
    return d, draw(a_composition(d.n))


@st.composite
def random_z(draw, n):
    """A valid random information curve: cumulative sums of non-negative increments."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["uniform", "sparse", "concave", "convex"]))
    inc = rng.exponential(size=n - 1)
    if kind == "sparse":
        inc = np.where(rng.random(n - 1) < 0.6, 0.0, inc)
    elif kind == "concave":
        inc = np.sort(inc)[::-1]
    elif kind == "convex":
        inc = np.sort(inc)
    return np.concatenate([[0.0], np.cumsum(inc)])


# ------------------------------------------------------------------------------------------------
# Products: Z == 0
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "law",
    [
        F.product([[0.2, 0.8], [0.1, 0.3, 0.6], [1.0], [0.5, 0.5]]),
        F.product([np.random.default_rng(1).dirichlet(np.ones(q)) for q in (3, 2, 2, 4, 2)]),
        F.noisy_repetition(4, 0.5),
    ],
    ids=["mixed", "random", "noise_half"],
)
def test_product_law_has_zero_curve_and_zero_kl(law):
    c = mdm.information_curve(law)
    np.testing.assert_allclose(c.z, 0.0, atol=1e-12)
    assert abs(c.tc) < 1e-12 and abs(c.dtc) < 1e-12
    for sizes in [(law.n,), (1,) * law.n, (2, law.n - 2)]:
        assert abs(mdm.expected_kl(c, sizes)) < 1e-12
    if law.shape == (2, 3, 1, 2):
        exp, mix = mdm.exact_kl(law, (2, law.n - 2), kind="both")
        assert abs(exp) < 1e-12 and abs(mix) < 1e-12


# ------------------------------------------------------------------------------------------------
# MDS codes
# ------------------------------------------------------------------------------------------------
def rs_full_field(q, d):
    """Reed–Solomon on all of F_q (n = q points), via the Vandermonde generator."""
    return F.linear_code([[pow(a, k, q) for a in range(q)] for k in range(d)], q)


MDS_LAWS = {  # name: (law, q, d), every one with d < n
    "repetition n=5 q=3": (F.repetition(5, 3), 3, 1),
    "repetition n=4 q=2": (F.repetition(4, 2), 2, 1),
    "repetition code n=4 q=3": (F.linear_code([[1, 1, 1, 1]], 3), 3, 1),
    "parity n=5 q=2": (F.parity(5, 2), 2, 4),
    "parity n=4 q=3": (F.parity(4, 3), 3, 3),
    "RS n=4 q=5 d=2": (F.reed_solomon(4, 5, 2), 5, 2),
    "RS n=4 q=5 d=3 affine": (
        F.reed_solomon(4, 5, 3, points=[4, 1, 3, 2], shift=[1, 0, 2, 3]),
        5,
        3,
    ),
    "RS n=5 q=7 d=3": (F.reed_solomon(5, 7, 3, points=[6, 0, 3, 5, 1]), 7, 3),
    "RS n=5 q=5 d=2 (all of F_5)": (rs_full_field(5, 2), 5, 2),
}


@pytest.mark.parametrize("name", list(MDS_LAWS))
def test_mds_curve_tc_dtc(name):
    law, q, d = MDS_LAWS[name]
    n = law.n
    c = mdm.information_curve(law)
    expected_z = np.log(q) * (np.arange(1, n + 1) > d)
    np.testing.assert_allclose(c.z, expected_z, atol=1e-12)
    assert c.tc == pytest.approx((n - d) * np.log(q), abs=1e-12)
    assert c.dtc == pytest.approx(d * np.log(q), abs=1e-12)
    probs = np.asarray(law.probs)
    assert tc_direct(probs) == pytest.approx((n - d) * np.log(q), abs=1e-12)
    assert dtc_direct(probs) == pytest.approx(d * np.log(q), abs=1e-12)


@pytest.mark.parametrize("name", list(MDS_LAWS))
def test_mds_expected_kl_on_every_schedule(name):
    law, q, d = MDS_LAWS[name]
    n = law.n
    scheds = all_compositions(n)
    closed = np.array([mds_kl(s, d) for s in scheds]) * np.log(q)
    np.testing.assert_allclose(mdm.expected_kl(law, padded_batch(scheds, n)), closed, atol=ATOL)
    c = mdm.information_curve(law)
    for s, want in list(zip(scheds, closed, strict=True))[::3]:
        assert mdm.expected_kl(c, s) == pytest.approx(want, abs=ATOL)  # one schedule at a time


# Named closed forms: repetition KL = s_1 - 1, parity KL = 1[s_k >= 2] (units of ln q).
@pytest.mark.parametrize("n", [2, 5, 10])
def test_repetition_and_parity_formulas(n):
    scheds = all_compositions(n)
    z_rep = np.log(3) * (np.arange(1, n + 1) > 1)
    z_par = np.log(2) * (np.arange(1, n + 1) > n - 1)
    rep = mdm.expected_kl(mdm.InformationCurve.from_z(z_rep), padded_batch(scheds, n))
    par = mdm.expected_kl(mdm.InformationCurve.from_z(z_par), padded_batch(scheds, n))
    np.testing.assert_allclose(rep, [(s[0] - 1) * np.log(3) for s in scheds], atol=ATOL)
    np.testing.assert_allclose(par, [(s[-1] >= 2) * np.log(2) for s in scheds], atol=ATOL)
    for s in scheds:  # the general MDS rule reduces to both
        assert mds_kl(s, 1) == s[0] - 1 and mds_kl(s, n - 1) == int(s[-1] >= 2)


# The schedules of the n = 5 table, plus more with the same partition counts (one compile each).
EXACT_SCHEDULES = [(5,), (2, 3), (3, 2), (1, 1, 3), (3, 1, 1), (1, 3, 1)]


@pytest.mark.parametrize(
    "name", ["repetition n=5 q=3", "parity n=5 q=2", "RS n=5 q=5 d=2 (all of F_5)"]
)
def test_mds_enumeration_matches_closed_form(name):
    law, q, d = MDS_LAWS[name]
    for sizes in EXACT_SCHEDULES:
        want = mds_kl(sizes, d) * np.log(q)
        exp, mix = mdm.exact_kl(law, sizes, kind="both")
        assert exp == pytest.approx(want, abs=ATOL), sizes
        assert mix == pytest.approx(want, abs=ATOL), sizes  # equality for MDS codes (§1)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(MDS_LAWS))
def test_mds_enumeration_on_every_schedule(name):
    law, q, d = MDS_LAWS[name]
    for sizes in all_compositions(law.n):
        exp, mix = mdm.exact_kl(law, sizes, kind="both")
        assert exp == pytest.approx(mds_kl(sizes, d) * np.log(q), abs=ATOL), sizes
        assert mix == pytest.approx(exp, abs=ATOL), sizes


N5_TABLE = {  # docs/theory.md §5, units of ln q, schedules (5), (2,3), (3,2), (1,1,3)
    "parity n=5 q=2": [1, 1, 1, 1],
    "repetition n=5 q=3": [4, 1, 2, 0],
    "RS n=5 q=5 d=2 (all of F_5)": [3, 0, 1, 0],
}


@pytest.mark.parametrize("name", list(N5_TABLE))
def test_n5_table(name):
    law, q, _ = MDS_LAWS[name]
    for sizes, want in zip([(5,), (2, 3), (3, 2), (1, 1, 3)], N5_TABLE[name], strict=True):
        assert mdm.expected_kl(law, sizes) / np.log(q) == pytest.approx(want, abs=ATOL)
        assert mdm.exact_kl(law, sizes) / np.log(q) == pytest.approx(want, abs=ATOL)


# ------------------------------------------------------------------------------------------------
# Constant profile and the noisy repeated bit
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n,c", [(6, 0.3), (9, 1.7)])
def test_constant_profile(n, c):
    curve = mdm.InformationCurve.from_z(c * np.arange(n))  # f(i) = Z_{i+1} - Z_i = c
    scheds = all_compositions(n)
    want = [c * sum(s * (s - 1) / 2 for s in sched) for sched in scheds]
    np.testing.assert_allclose(mdm.expected_kl(curve, padded_batch(scheds, n)), want, atol=ATOL)


def binary_entropy(x):
    return -sum(v * math.log(v) for v in (x, 1 - x) if v > 0)


def noisy_bit_g(m, eta):
    """docs/theory.md §5: ``g(m) = sum_c 1/2 C(m,c) (a_c + b_c) H_b(p_c (1-eta) + (1-p_c) eta)``."""
    total = 0.0
    for c in range(m + 1):
        a = eta**c * (1 - eta) ** (m - c)
        b = eta ** (m - c) * (1 - eta) ** c
        p = b / (a + b)
        total += 0.5 * math.comb(m, c) * (a + b) * binary_entropy(p * (1 - eta) + (1 - p) * eta)
    return total


@pytest.mark.parametrize("eta", [0.02, 0.1, 0.25, 0.4])
def test_noisy_repeated_bit_profile(eta):
    n = 7
    c = mdm.information_curve(F.noisy_repetition(n, eta))
    want = [noisy_bit_g(m, eta) for m in range(n)]
    np.testing.assert_allclose(np.asarray(c.g), want, atol=1e-12)
    np.testing.assert_allclose(np.asarray(c.z), want[0] - np.asarray(want), atol=1e-12)


# ------------------------------------------------------------------------------------------------
# TC and DTC: dit and direct entropy sums (not the curve)
# ------------------------------------------------------------------------------------------------
def dit_tc_dtc(probs):
    import dit

    outcomes, pmf = [], []
    for x in itertools.product(*(range(q) for q in probs.shape)):
        if probs[x] > 0:
            outcomes.append(tuple(int(v) for v in x))
            pmf.append(float(probs[x]))
    d = dit.Distribution(outcomes, pmf)
    ln2 = math.log(2)  # dit reports bits
    return (
        dit.multivariate.total_correlation(d) * ln2,
        dit.multivariate.dual_total_correlation(d) * ln2,
    )


@settings(max_examples=25)
@given(random_laws())
def test_tc_dtc_against_dit_and_entropy_sums(law):
    probs = np.asarray(law.probs)
    c = mdm.information_curve(law)
    tc, dtc = dit_tc_dtc(probs)
    assert c.tc == pytest.approx(tc, abs=1e-10)
    assert c.dtc == pytest.approx(dtc, abs=1e-10)
    assert c.tc == pytest.approx(tc_direct(probs), abs=1e-10)
    assert c.dtc == pytest.approx(dtc_direct(probs), abs=1e-10)
    # TC + DTC = sum_i I(X_i; X_-i) = n Z_n (docs/theory.md §3)
    n, h = probs.ndim, entropy(probs)
    mi = sum(
        entropy(marginal(probs, (i,)))
        + entropy(marginal(probs, tuple(a for a in range(n) if a != i)))
        - h
        for i in range(n)
    )
    assert c.mutual_information_sum == pytest.approx(mi, abs=1e-10)


@pytest.mark.parametrize(
    "law",
    [
        F.ising("cycle", n=4, coupling=0.8, field=[0.1, -0.3, 0.0, 0.5]),
        F.markov_chain([0.3, 0.7], [[0.9, 0.1], [0.4, 0.6]], 5),
        F.mixture_of_products([0.3, 0.7], np.array([[[0.9, 0.1]] * 4, [[0.2, 0.8]] * 4])),
        F.noisy_repetition(5, 0.15),
    ],
    ids=["ising", "markov", "mixture", "noisy"],
)
def test_tc_dtc_of_families_against_dit(law):
    probs = np.asarray(law.probs)
    c = mdm.information_curve(law)
    tc, dtc = dit_tc_dtc(probs)
    assert c.tc == pytest.approx(tc, abs=1e-10)
    assert c.dtc == pytest.approx(dtc, abs=1e-10)


# ------------------------------------------------------------------------------------------------
# Theorem 4 against enumeration (hypothesis)
# ------------------------------------------------------------------------------------------------
@settings(max_examples=30)
@given(laws_and_schedules())
def test_theorem4_matches_enumeration(case):
    law, sizes = case
    exp, mix = mdm.exact_kl(law, sizes, kind="both")
    assert mdm.expected_kl(law, sizes) == pytest.approx(exp, abs=ATOL)
    assert mix <= exp + 1e-12  # convexity (docs/theory.md §1)
    assert mix >= -1e-12


@settings(max_examples=15)
@given(random_laws(ENUM_SHAPES))
def test_extreme_schedules(law):
    n = law.n
    tc = tc_direct(np.asarray(law.probs))
    assert mdm.expected_kl(law, (1,) * n) == pytest.approx(0.0, abs=ATOL)
    assert mdm.exact_kl(law, (1,) * n, kind="expected") == pytest.approx(0.0, abs=ATOL)
    assert mdm.exact_kl(law, (1,) * n, kind="mixture") == pytest.approx(0.0, abs=ATOL)
    assert mdm.expected_kl(law, (n,)) == pytest.approx(tc, abs=ATOL)
    exp, mix = mdm.exact_kl(law, (n,), kind="both")
    assert exp == pytest.approx(tc, abs=ATOL) and mix == pytest.approx(tc, abs=ATOL)


@st.composite
def refinements(draw, n):
    sizes = list(draw(a_composition(n)))
    splittable = [t for t, s in enumerate(sizes) if s >= 2]
    if not splittable:
        return tuple(sizes), tuple(sizes)
    t = draw(st.sampled_from(splittable))
    cut = draw(st.integers(1, sizes[t] - 1))
    fine = sizes[:t] + [cut, sizes[t] - cut] + sizes[t + 1 :]
    return tuple(sizes), tuple(fine)


@given(random_laws().flatmap(lambda d: st.tuples(st.just(d), refinements(d.n))))
def test_refining_never_raises_expected_kl_on_laws(case):
    law, (coarse, fine) = case
    c = mdm.information_curve(law)
    assert mdm.expected_kl(c, fine) <= mdm.expected_kl(c, coarse) + 1e-12


@given(st.sampled_from([9, 40]).flatmap(lambda n: st.tuples(random_z(n), refinements(n))))
def test_refining_never_raises_expected_kl_on_curves(case):
    z, (coarse, fine) = case
    n = len(z)
    kl_coarse, kl_fine = mdm.expected_kl(
        mdm.InformationCurve.from_z(z), padded_batch([coarse, fine], n)
    )  # one vmapped call (one compile per n)
    assert kl_fine <= kl_coarse + 1e-12
    assert kl_coarse == pytest.approx(theorem4_python(z, coarse), abs=ATOL)
    assert kl_fine == pytest.approx(theorem4_python(z, fine), abs=ATOL)


# ------------------------------------------------------------------------------------------------
# Optimal schedules against brute force over all compositions
# ------------------------------------------------------------------------------------------------
def brute_force_optimum(z, k):
    """Minimum plain-Python Theorem 4 over all compositions of n into exactly k parts."""
    return min(theorem4_python(z, s) for s in all_compositions(len(z)) if len(s) == k)


def check_optimum(curve, z, k):
    s = mdm.optimal_schedule(curve, k)
    assert len(s.sizes) == k and sum(s.sizes) == len(z) and min(s.sizes) >= 1
    best = brute_force_optimum(z, k)
    assert s.kl == pytest.approx(best, abs=ATOL)
    assert theorem4_python(z, s.sizes) == pytest.approx(best, abs=ATOL)


# optimal_schedule compiles once per (n, k): the fast tests share n = 8 for every k; the slow
# test covers every n <= 10 and every k.
@settings(max_examples=6)
@given(random_z(8))
def test_optimal_schedule_brute_force_random_curves(z):
    c = mdm.InformationCurve.from_z(z)
    for k in range(1, 9):
        check_optimum(c, z, k)


@settings(max_examples=4)
@given(st.integers(1, 9).flatmap(lambda n: st.tuples(random_z(n), st.integers(1, n))))
def test_optimal_schedule_brute_force_any_n(case):
    z, k = case
    check_optimum(mdm.InformationCurve.from_z(z), z, k)


_RNG = np.random.default_rng(5)


@pytest.mark.parametrize(
    "law",
    [
        F.ising("grid", rows=2, cols=4, coupling=0.9, field=0.2),
        F.noisy_repetition(8, 0.1),
        F.markov_chain(_RNG.dirichlet(np.ones(2)), _RNG.dirichlet(np.full(2, 0.3), size=2), 8),
        mdm.Distribution.from_probs(_RNG.dirichlet(np.full(2**8, 0.2)).reshape((2,) * 8)),
        F.linear_code(_RNG.integers(0, 2, size=(3, 8)), 2),
    ],
    ids=["ising", "noisy", "markov", "dirichlet", "code"],
)
def test_optimal_schedule_brute_force_real_laws(law):
    c = mdm.information_curve(law)
    z = np.asarray(c.z).tolist()
    for k in range(1, law.n + 1):
        check_optimum(c, z, k)


@settings(max_examples=10)
@given(random_z(8), st.floats(0.0, 3.0))
def test_min_steps_brute_force(z, frac):
    c = mdm.InformationCurve.from_z(z)
    eps = frac * theorem4_python(z, (8,)) / 3
    optima = [brute_force_optimum(z, k) for k in range(1, 9)]
    want = next(k for k, v in zip(range(1, 9), optima, strict=True) if v <= eps + 1e-12)
    s = mdm.min_steps(c, eps)
    assert len(s.sizes) == want
    assert s.kl <= eps + 1e-12


@pytest.mark.slow
def test_optimal_schedule_brute_force_every_n_and_k():
    rng = np.random.default_rng(0)
    for n in range(1, 11):
        z = np.concatenate([[0.0], np.cumsum(rng.exponential(size=n - 1))])
        c = mdm.InformationCurve.from_z(z)
        for k in range(1, n + 1):
            check_optimum(c, z, k)


def test_dp_regression_value():
    n = 200
    z = np.log(np.arange(1, n + 1)) / np.log(n)
    s = mdm.optimal_schedule(mdm.InformationCurve.from_z(z), 2)
    best = min(range(1, n), key=lambda a: theorem4_python(z, (a, n - a)))
    assert s.sizes == (41, 159) == (best, n - best)
    assert round(s.kl, 4) == 50.7600


def test_reed_solomon_with_q_equal_to_n_is_mds():
    import mdmjax as mdm

    d = mdm.families.reed_solomon(5, q=5, d=2)
    c = mdm.information_curve(d)
    np.testing.assert_allclose(np.asarray(c.z) / np.log(5), [0, 0, 1, 1, 1], atol=1e-12)
    for sizes, want in [((5,), 3), ((2, 3), 0), ((3, 2), 1), ((1, 1, 3), 0)]:
        assert mdm.expected_kl(c, sizes) / np.log(5) == pytest.approx(want, abs=1e-12)
        assert mdm.exact_kl(d, sizes) / np.log(5) == pytest.approx(want, abs=1e-10)
