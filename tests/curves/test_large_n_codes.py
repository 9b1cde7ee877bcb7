"""Linear-code curves: MDS closed form, exact rank counting, Monte-Carlo rank tests over F_q."""

import itertools

import hypothesis.strategies as st
import jax
import numpy as np
import pytest
from hypothesis import given, settings

import mdmjax as mdm

TOL = 1e-10


def code_table(generator, q, shift=None):
    """Uniform law on {u G + w}: enumerate all messages with numpy."""
    g = np.asarray(generator) % q
    k, n = g.shape
    msgs = np.asarray(list(itertools.product(range(q), repeat=k)), dtype=np.int64)
    words = (msgs @ g + (0 if shift is None else np.asarray(shift))) % q
    counts = np.bincount(np.ravel_multi_index(words.T, (q,) * n), minlength=q**n)
    return (counts / counts.sum()).reshape((q,) * n)


def enumerated(table):
    return mdm.information_curve(mdm.Distribution.from_probs(table))


def rank_reference(matrix, q):
    """Plain-Python Gaussian elimination mod q (independent of the library)."""
    rows = [[int(v) % q for v in r] for r in np.asarray(matrix)]
    rank, cols = 0, len(rows[0]) if rows else 0
    for c in range(cols):
        pivot = next((r for r in range(rank, len(rows)) if rows[r][c]), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        inv = pow(rows[rank][c], q - 2, q)
        rows[rank] = [(v * inv) % q for v in rows[rank]]
        for r in range(len(rows)):
            if r != rank and rows[r][c]:
                f = rows[r][c]
                rows[r] = [(a - f * b) % q for a, b in zip(rows[r], rows[rank], strict=True)]
        rank += 1
    return rank


@settings(max_examples=30)
@given(
    st.sampled_from([2, 3, 5, 7, 1_000_003]),
    st.integers(1, 5),
    st.integers(1, 7),
    st.integers(0, 2**31 - 1),
)
def test_rank_mod_q_matches_reference(q, k, n, seed):
    rng = np.random.default_rng(seed)
    m = rng.integers(0, q, size=(k, n))
    if rng.random() < 0.5 and k > 1:  # force dependence
        m[-1] = (m[0] * int(rng.integers(0, q)) + m[-2]) % q
    assert mdm.curves.rank_mod_q(m, q) == rank_reference(m, q)


@settings(max_examples=15)
@given(st.sampled_from([(2, 7), (3, 5), (5, 4)]), st.integers(1, 3), st.integers(0, 2**31 - 1))
def test_linear_code_exact_matches_enumeration(qn, k, seed):
    q, n = qn
    rng = np.random.default_rng(seed)
    g = rng.integers(0, q, size=(k, n))
    curve = mdm.curves.linear_code_curve(g, q)
    ref = enumerated(code_table(g, q))
    assert np.max(np.abs(np.asarray(curve.z) - np.asarray(ref.z))) <= TOL
    assert np.max(np.abs(np.asarray(curve.hbar) - np.asarray(ref.hbar))) <= TOL
    assert curve.stderr is None


def test_theory_table_n5():
    """docs/theory.md §5 table: expected KL in units of ln q."""
    table = {
        "parity": (mdm.curves.parity_curve(5, 2), 2, (1, 1, 1, 1)),
        "repetition": (mdm.curves.repetition_curve(5, 3), 3, (4, 1, 2, 0)),
        "rs": (mdm.curves.reed_solomon_curve(5, q=7, d=2), 7, (3, 0, 1, 0)),
    }
    for curve, q, want in table.values():
        got = [mdm.expected_kl(curve, s) / np.log(q) for s in ((5,), (2, 3), (3, 2), (1, 1, 3))]
        assert np.allclose(got, want, atol=1e-12)


@pytest.mark.parametrize(
    "curve, table",
    [
        (lambda: mdm.curves.repetition_curve(4, 3), lambda: code_table(np.ones((1, 4), int), 3)),
        (
            lambda: mdm.curves.parity_curve(5, 2),
            lambda: code_table(np.c_[np.eye(4, dtype=int), np.ones(4, int)], 2),
        ),
        (
            lambda: mdm.curves.reed_solomon_curve(4, q=5, d=2),
            lambda: code_table(np.vstack([np.ones(4, int), np.arange(4)]), 5, shift=[1, 2, 3, 4]),
        ),
    ],
)
def test_mds_closed_forms_match_enumeration(curve, table):
    c, ref = curve(), enumerated(table())
    assert np.max(np.abs(np.asarray(c.z) - np.asarray(ref.z))) <= TOL
    assert np.max(np.abs(np.asarray(c.hbar) - np.asarray(ref.hbar))) <= TOL


def test_mds_tc_dtc():
    c = mdm.curves.reed_solomon_curve(1000, d=7)  # q = 1009
    assert abs(c.tc - 993 * np.log(1009)) < 1e-8 and abs(c.dtc - 7 * np.log(1009)) < 1e-9


def test_monte_carlo_within_four_standard_errors():
    q = 3
    g = np.array([[1, 0, 0, 1, 1, 0, 2], [0, 1, 0, 1, 2, 0, 0], [0, 0, 1, 0, 0, 2, 1]])
    ref = np.asarray(mdm.curves.linear_code_curve(g, q, method="exact").z)
    z, se = mdm.curves.code_z_estimate(g, q, jax.random.key(7), num_samples=3000)
    assert z[0] == 0.0 and se[0] == 0.0
    exact = se == 0
    assert np.all(np.abs(z - ref)[exact] <= TOL)
    assert np.all(np.abs(z - ref)[~exact] <= 4 * se[~exact])
    z2, se2 = mdm.curves.code_z_estimate(g, q, jax.random.key(7), num_samples=3000)
    assert np.array_equal(z, z2) and np.array_equal(se, se2)


def test_monte_carlo_reed_solomon_n1000_is_exact():
    """For an MDS code every rank test is deterministic: the estimate is the closed form."""
    n, q, d = 1000, 1009, 3
    a = np.arange(n)
    g = np.stack([a**p % q for p in range(d)])
    c = mdm.curves.linear_code_curve(g, q, method="monte_carlo", key=0, num_samples=8)
    assert np.array_equal(np.asarray(c.z), np.asarray(mdm.curves.reed_solomon_curve(n, q, d).z))
    assert np.all(np.asarray(c.stderr) == 0)


def test_linear_code_auto_monte_carlo_needs_key():
    g = np.random.default_rng(0).integers(0, 2, size=(3, 20))
    with pytest.raises(ValueError, match="key"):
        mdm.curves.linear_code_curve(g, 2)
    c = mdm.curves.linear_code_curve(g, 2, key=1, num_samples=64)
    assert c.stderr is not None and np.all(np.diff(np.asarray(c.z)) >= 0)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: mdm.curves.reed_solomon_curve(5, q=5), "q"),
        (lambda: mdm.curves.reed_solomon_curve(5, q=8), "q"),
        (lambda: mdm.curves.reed_solomon_curve(5, q=7, d=6), "d"),
        (lambda: mdm.curves.reed_solomon_curve(3, q=7, points=[1, 1, 2]), "points"),
        (lambda: mdm.curves.mds_code(3, 1, 1), "q"),
        (lambda: mdm.curves.linear_code_curve([[1, 2]], 4), "q"),
        (lambda: mdm.curves.linear_code_curve([1, 2], 3), "generator"),
        (lambda: mdm.curves.linear_code_curve([[0.5, 1]], 3), "generator"),
        (lambda: mdm.curves.linear_code_curve([[1, 2]], 3, method="magic"), "method"),
        (
            lambda: mdm.curves.linear_code_curve(np.ones((1, 30), int), 2, method="exact"),
            "generator",
        ),
        (lambda: mdm.curves.rank_mod_q([[1]], 6), "q"),
        (
            lambda: mdm.curves.linear_code_curve(np.ones((1, 20), int), 2, key=0, num_samples=1),
            "num_samples",
        ),
    ],
)
def test_code_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
