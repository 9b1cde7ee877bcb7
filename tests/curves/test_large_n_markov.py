"""Exact large-n Markov-chain curves against enumeration and independent references."""

import math
from fractions import Fraction

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

import mdmjax as mdm

TOL = 1e-10


def chain_table(mu, steps):
    """Dense ``p(x) = mu(x_1) prod_t P_t[x_t, x_{t+1}]``, by numpy broadcasting."""
    t = np.asarray(mu, dtype=np.float64)
    for p in steps:
        t = t[..., None] * np.asarray(p).reshape((1,) * (t.ndim - 1) + p.shape)
    return t


def enumerated(table):
    return mdm.information_curve(mdm.Distribution.from_probs(table))


def close(a, b, tol=TOL):
    return np.max(np.abs(np.asarray(a) - np.asarray(b))) <= tol


def _entropy(p):
    p = np.asarray(p)
    return float(-np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)))


@st.composite
def chains(draw):
    n = draw(st.sampled_from([1, 2, 5, 8]))
    q = draw(st.integers(2, 3))
    seed = draw(st.integers(0, 2**31 - 1))
    homogeneous = draw(st.booleans())
    sparse = draw(st.booleans())
    rng = np.random.default_rng(seed)
    alpha = 0.3 if sparse else 1.0
    mu = rng.dirichlet(np.full(q, alpha))
    if homogeneous:
        trans = rng.dirichlet(np.full(q, alpha), size=q)
        steps = [trans] * (n - 1)
    else:
        trans = rng.dirichlet(np.full(q, alpha), size=(max(n - 1, 1), q))[: n - 1]
        steps = list(trans)
    return n, mu, trans, steps


@settings(max_examples=20)
@given(chains())
def test_markov_matches_enumeration(case):
    n, mu, trans, steps = case
    curve = mdm.curves.markov_chain_curve(mu, trans, n)
    ref = enumerated(chain_table(mu, steps))
    assert close(curve.z, ref.z)
    assert close(curve.hbar, ref.hbar)
    assert np.asarray(curve.z).dtype == np.float64


@pytest.mark.parametrize("q, n", [(2, 12), (3, 9)])
def test_markov_stationary_and_not(rng, q, n):
    trans = rng.dirichlet(np.ones(q), size=q)
    pi = mdm.curves.stationary_law(trans)
    assert close(pi @ trans, pi, 1e-14)
    start = np.zeros(q)
    start[0] = 1.0
    for mu in (start, rng.dirichlet(np.ones(q))):
        ref = enumerated(chain_table(mu, [trans] * (n - 1)))
        assert close(mdm.curves.markov_chain_curve(mu, trans, n).z, ref.z)
    ref = enumerated(chain_table(pi, [trans] * (n - 1)))
    assert close(mdm.curves.markov_chain_curve("stationary", trans, n).z, ref.z)


def hbar_by_pair_counting(mu, trans, n):
    """Independent reference: ``Hbar_j`` from ``H(X_S) = h(min S) + sum of consecutive c(a, b)``
    with exact integer binomials (a different decomposition from the library's ``g`` formula)."""
    q = len(mu)
    mus = [np.asarray(mu, dtype=np.float64)]
    for _ in range(n - 1):
        mus.append(mus[-1] @ trans)
    powers = [np.eye(q)]
    for _ in range(n - 1):
        powers.append(powers[-1] @ trans)
    h = [_entropy(m) for m in mus]
    row_h = [np.array([_entropy(r) for r in p]) for p in powers]
    gap_total = [0.0] + [sum(float(mus[a] @ row_h[d]) for a in range(n - d)) for d in range(1, n)]
    hbar = [0.0]
    for j in range(1, n + 1):
        total = Fraction(0)
        for a in range(n):
            total += Fraction(h[a]) * math.comb(n - 1 - a, j - 1)
        if j >= 2:
            for d in range(1, n):
                total += Fraction(gap_total[d]) * math.comb(n - 1 - d, j - 2)
        hbar.append(float(total / math.comb(n, j)))
    return np.asarray(hbar)


def test_markov_n40_against_pair_counting(rng):
    trans = rng.dirichlet(np.ones(3), size=3)
    mu = rng.dirichlet(np.ones(3))
    n = 40
    ref = hbar_by_pair_counting(mu, trans, n)
    curve = mdm.curves.markov_chain_curve(mu, trans, n)
    assert close(curve.hbar, ref, 1e-11)
    z_ref = ref[1] + ref[:-1] - ref[1:]
    assert close(curve.z, z_ref, 1e-11)


def test_markov_large_n_tc_dtc_direct(rng):
    """At n = 3000, TC and DTC from the curve against direct sums of entropies."""
    n = 3000
    trans = rng.dirichlet(np.ones(2), size=2)
    mu = np.array([0.9, 0.1])
    curve = mdm.curves.markov_chain_curve(mu, trans, n)
    mus = [mu]
    for _ in range(n - 1):
        mus.append(mus[-1] @ trans)
    mus = np.asarray(mus)
    h = np.array([_entropy(m) for m in mus])
    row_h = np.array([_entropy(r) for r in trans])
    c1 = mus[:-1] @ row_h  # H(X_{a+1} | X_a)
    joint = h[0] + c1.sum()
    two = trans @ trans
    c2 = mus[:-2] @ np.array([_entropy(r) for r in two])  # H(X_{a+2} | X_a)
    # H(X_i | X_-i): ends use one neighbour, the middle c(a,i) + c(i,b) - c(a,b).
    first = h[0] + c1[0] - h[1]
    middle = c1[:-1] + c1[1:] - c2
    last = c1[-1]
    dtc = joint - (first + middle.sum() + last)
    tc = h.sum() - joint
    assert abs(curve.tc - tc) < 1e-8 * max(1.0, tc)
    assert abs(curve.dtc - dtc) < 1e-8 * max(1.0, dtc)
    assert np.all(np.diff(np.asarray(curve.z)) >= 0)


def test_identity_transition_is_repetition():
    mu = np.array([0.2, 0.3, 0.5])
    curve = mdm.curves.markov_chain_curve(mu, np.eye(3), 500)
    z = np.asarray(curve.z)
    assert z[0] == 0.0 and close(z[1:], _entropy(mu), 1e-12)


def test_ising_chain_matches_enumeration(rng):
    n = 8
    coupling = rng.normal(size=n - 1)
    field = 0.5 * rng.normal(size=n)
    bits = (np.arange(2**n)[:, None] >> (n - 1 - np.arange(n))[None, :]) & 1
    s = 2.0 * bits - 1.0
    energy = np.sum(coupling * s[:, :-1] * s[:, 1:], axis=1) + s @ field
    p = np.exp(energy - energy.max())
    ref = enumerated((p / p.sum()).reshape((2,) * n))
    assert close(mdm.curves.ising_chain(n, coupling, field).z, ref.z)
    # constant coupling, no field: a homogeneous chain
    energy = 0.7 * np.sum(s[:, :-1] * s[:, 1:], axis=1)
    p = np.exp(energy - energy.max())
    ref = enumerated((p / p.sum()).reshape((2,) * n))
    assert close(mdm.curves.ising_chain(n, 0.7).z, ref.z)


def test_inhomogeneous_blocked_path_matches_enumeration(rng, monkeypatch):
    """Long non-homogeneous chains scan their gaps in blocks; force that path at n = 9."""
    from mdmjax.curves import _markov as _markov_curve

    monkeypatch.setattr(_markov_curve, "BLOCKED_ABOVE_N", 4)
    n = 9
    steps = rng.dirichlet(np.ones(2), size=(n - 1, 2))
    mu = rng.dirichlet(np.ones(2))
    ref = enumerated(chain_table(mu, list(steps)))
    assert close(mdm.curves.markov_chain_curve(mu, steps).z, ref.z)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(initial=[0.5, 0.6], transition=[[1, 0], [0, 1]], n=3), "initial"),
        (dict(initial=[0.5, 0.5], transition=[[1, 0], [0.5, 0.6]], n=3), "transition"),
        (dict(initial=[0.5, 0.5], transition=[[1.5, -0.5], [0, 1]], n=3), "transition"),
        (dict(initial=[0.5, 0.5], transition=[[1, 0], [0, 1]], n=None), "n"),
        (dict(initial=[0.5, 0.5], transition=[[1, 0], [0, 1]], n=0), "n"),
        (dict(initial=[1 / 3] * 3, transition=[[1, 0], [0, 1]], n=3), "initial"),
        (dict(initial="uniform", transition=[[1, 0], [0, 1]], n=3), "initial"),
        (dict(initial=[0.5, 0.5], transition=np.full((2, 2, 2), 0.5), n=5), "n"),
        (dict(initial="stationary", transition=np.full((2, 2, 2), 0.5), n=3), "initial"),
        (dict(initial=[0.5, 0.5], transition=[[np.nan, 1], [0, 1]], n=3), "transition"),
    ],
)
def test_markov_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        mdm.curves.markov_chain_curve(**kwargs)


def test_stationary_law_not_unique():
    with pytest.raises(ValueError, match="transition"):
        mdm.curves.stationary_law(np.eye(2))


@pytest.mark.slow
def test_markov_n10000_smoke():
    curve = mdm.curves.markov_chain_curve("stationary", [[0.9, 0.1], [0.2, 0.8]], 10_000)
    z = np.asarray(curve.z)
    assert curve.n == 10_000 and np.all(np.diff(z) >= 0) and z[0] == 0.0
