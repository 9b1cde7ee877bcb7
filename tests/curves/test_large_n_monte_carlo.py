"""Monte-Carlo curves (HMM, tree Ising, mixtures) against enumeration, and closed forms."""

import itertools
import math
from decimal import Decimal, getcontext

import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings

import mdmjax as mdm
from mdmjax.curves import draw_samples
from tests.x64 import with_x64

TOL = 1e-10


def states(n, q):
    return np.asarray(list(itertools.product(range(q), repeat=n)))


def enumerated(table):
    return mdm.information_curve(mdm.Distribution.from_probs(table))


def hmm_table(mu, a, b, n):
    """Sum over hidden paths with numpy (independent of forward–backward)."""
    q = b.shape[1]
    x = states(n, q)
    p = np.zeros(len(x))
    for zs in itertools.product(range(len(mu)), repeat=n):
        pz = mu[zs[0]] * np.prod([a[zs[t], zs[t + 1]] for t in range(n - 1)])
        p += pz * np.prod([b[zs[t], x[:, t]] for t in range(n)], axis=0)
    return p.reshape((q,) * n)


def ising_table(n, edges, coupling, field):
    s = 2.0 * states(n, 2) - 1.0
    e = np.asarray(edges)
    energy = np.sum(coupling * s[:, e[:, 0]] * s[:, e[:, 1]], axis=1) + s @ field
    p = np.exp(energy - energy.max())
    return (p / p.sum()).reshape((2,) * n)


def mixture_table(w, theta):
    c, n, q = theta.shape
    x = states(n, q)
    p = sum(w[k] * np.prod(theta[k, np.arange(n), x], axis=1) for k in range(c))
    return p.reshape((q,) * n)


def table_conditional(table, x, mask, i):
    """``p(x_i | x_S)`` from a dense table (reference)."""
    n = table.ndim
    keep = [a for a in range(n) if mask[a] or a == i]
    marg = table.sum(axis=tuple(a for a in range(n) if a not in keep))
    idx = tuple(int(x[a]) if mask[a] else slice(None) for a in keep)
    cond = marg[idx]
    return cond / cond.sum()


def models(rng):
    n = 6
    k, q = 2, 3
    mu, a = rng.dirichlet(np.ones(k)), rng.dirichlet(np.ones(k), size=k)
    b = rng.dirichlet(np.ones(q), size=k)
    yield "hmm", mdm.curves.HiddenMarkovModel(mu, a, b, n), hmm_table(mu, a, b, n)
    edges = np.array([[0, 1], [0, 2], [2, 3], [2, 4], [1, 5]])
    coupling, field = rng.normal(size=5), 0.5 * rng.normal(size=6)
    yield (
        "ising",
        mdm.curves.ising_tree(6, edges, coupling, field),
        ising_table(6, edges, coupling, field),
    )
    w, theta = rng.dirichlet(np.ones(3)), rng.dirichlet(np.full(2, 0.5), size=(3, 6))
    yield "mixture", mdm.curves.MixtureOfProducts(w, theta), mixture_table(w, theta)


@pytest.fixture(scope="module")
def cases():
    return list(models(np.random.default_rng(11)))


@jax.jit
def _conditional(model, x, mask, i):
    return model.conditional(x, mask, i)


@with_x64
def test_conditionals_and_marginals_exact(cases):
    rng = np.random.default_rng(3)
    for _, model, table in cases:
        n, q = table.ndim, table.shape[0]
        ref = enumerated(table)
        assert abs(float(np.mean(model.marginal_entropies())) - float(ref.hbar[1])) < TOL
        support = np.argwhere(table > 1e-12)
        for _ in range(10):
            x = support[rng.integers(len(support))]
            mask = rng.random(n) < 0.5
            i = int(rng.integers(n))
            mask[i] = False
            got = np.asarray(_conditional(model, jnp.asarray(x), jnp.asarray(mask), i))
            assert got.shape == (q,)
            assert np.max(np.abs(got - table_conditional(table, x, mask, i))) < TOL


def test_samples_follow_the_law(cases):
    for _, model, table in cases:
        m = 20_000
        x = np.asarray(draw_samples(model, jax.random.key(5), m))
        q = table.shape[0]
        flat = np.ravel_multi_index(x.T, table.shape)
        emp = np.bincount(flat, minlength=table.size) / m
        p = table.reshape(-1)
        # chi-square-like check per state: within 5 standard deviations
        assert np.all(np.abs(emp - p) <= 5 * np.sqrt(p * (1 - p) / m) + 1e-12), q


NUM_SAMPLES = 1500


@pytest.fixture(scope="module")
def estimates(cases):
    return [
        mdm.curves.estimate_z(model, jax.random.key(2026), num_samples=NUM_SAMPLES)
        for _, model, _ in cases
    ]


def test_estimates_within_four_standard_errors(cases, estimates):
    for (name, _, table), (z, se) in zip(cases, estimates, strict=True):
        ref = np.asarray(enumerated(table).z)
        assert z[0] == 0.0 and se[0] == 0.0, name
        assert np.all(se[1:] > 0), name
        assert np.all(np.abs(z - ref) <= 4 * se + 1e-12), (name, (z - ref) / np.maximum(se, 1e-300))


def test_estimator_is_deterministic_and_key_dependent(cases, estimates):
    _, model, _ = cases[2]
    a = estimates[2]
    b = mdm.curves.estimate_z(model, jax.random.key(2026), num_samples=NUM_SAMPLES)
    c = mdm.curves.estimate_z(model, jax.random.key(1), num_samples=NUM_SAMPLES)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])
    d = mdm.curves.estimate_z(model, 2026, num_samples=NUM_SAMPLES, batch_size=1000)
    assert np.allclose(a[0], d[0], atol=1e-13)


def test_monte_carlo_curve_is_monotone_with_stderr(cases):
    _, model, table = cases[0]
    c = mdm.curves.monte_carlo_curve(model, key=4, num_samples=NUM_SAMPLES)
    z = np.asarray(c.z)
    assert z[0] == 0 and np.all(np.diff(z) >= 0)
    assert c.stderr.shape == (6,) and float(c.stderr[0]) == 0.0
    assert abs(float(c.hbar[1]) - float(enumerated(table).hbar[1])) < TOL


def test_hmm_with_identity_emissions_matches_exact_markov():
    """An HMM that shows its hidden state is a Markov chain: Monte-Carlo vs the exact O(n^2)."""
    rng = np.random.default_rng(8)
    n = 40
    mu, a = rng.dirichlet(np.ones(3)), rng.dirichlet(np.ones(3), size=3)
    exact = np.asarray(mdm.curves.markov_chain_curve(mu, a, n).z)
    model = mdm.curves.HiddenMarkovModel(mu, a, np.eye(3), n)
    z, se = mdm.curves.estimate_z(model, jax.random.key(0), num_samples=400)
    assert np.all(np.abs(z - exact) <= 4 * se + 1e-12)


def test_estimate_z_on_a_grid_of_j(cases):
    _, model, table = cases[1]
    ref = np.asarray(enumerated(table).z)
    js = np.array([2, 4, 6])
    z, se = mdm.curves.estimate_z(model, 9, num_samples=NUM_SAMPLES, js=js)
    assert z.shape == (3,) and np.all(np.abs(z - ref[js - 1]) <= 4 * se)


def isotonic_brute(y, w):
    """Projection on non-decreasing sequences by enumerating block partitions (tiny inputs)."""
    n = len(y)
    best, best_cost = None, np.inf
    for cuts in itertools.product([0, 1], repeat=n - 1):
        bounds = [0] + [i + 1 for i, c in enumerate(cuts) if c] + [n]
        fit = np.empty(n)
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
            fit[lo:hi] = np.sum(w[lo:hi] * y[lo:hi]) / np.sum(w[lo:hi])
        if np.all(np.diff(fit) >= -1e-12):
            cost = np.sum(w * (fit - y) ** 2)
            if cost < best_cost:
                best, best_cost = fit, cost
    return best


@settings(max_examples=30)
@given(st.lists(st.floats(-2, 2), min_size=1, max_size=7), st.integers(0, 2**31 - 1))
def test_isotonic_projection(y, seed):
    y = np.asarray(y)
    w = np.random.default_rng(seed).uniform(0.1, 3.0, size=y.size)
    got = mdm.curves.isotonic_increasing(y, w)
    assert np.all(np.diff(got) >= -1e-12)
    assert np.allclose(got, isotonic_brute(y, w), atol=1e-9)


def exact_log_pmf(c, m, p):
    getcontext().prec = 60
    pd = Decimal(p)
    return float((Decimal(math.comb(m, c)) * pd**c * (1 - pd) ** (m - c)).ln())


def test_log_binomial_pmf_against_exact_decimal():
    worst = 0.0
    for m in (1, 2, 15, 16, 17, 36, 81, 501, 10_000):
        cs = np.unique(np.linspace(0, m, 17).astype(int))
        for p in (0.1, 0.37, 0.9):
            got = np.asarray(mdm.curves.log_binomial_pmf(cs, m, p))
            ref = np.array([exact_log_pmf(int(c), m, p) for c in cs])
            worst = max(worst, float(np.max(np.abs(got - ref) / np.maximum(1.0, np.abs(ref)))))
    assert worst < 1e-13


@pytest.mark.parametrize("n, eta", [(1, 0.1), (9, 0.1), (9, 0.45), (7, 0.0), (6, 0.5)])
def test_noisy_repetition_matches_enumeration(n, eta):
    k = states(n, 2).sum(axis=1)
    table = 0.5 * (eta**k * (1 - eta) ** (n - k) + eta ** (n - k) * (1 - eta) ** k)
    ref = enumerated(table.reshape((2,) * n))
    c = mdm.curves.noisy_repetition_curve(n, eta)
    assert np.max(np.abs(np.asarray(c.z) - np.asarray(ref.z))) <= TOL
    assert np.max(np.abs(np.asarray(c.hbar) - np.asarray(ref.hbar))) <= TOL


def test_noisy_repetition_theory_formula_large_n():
    """docs/theory.md §5's g(m) with exact Decimal binomials at m = 300 (independent of Loader)."""
    n, eta = 301, 0.2
    getcontext().prec = 60
    e = Decimal(eta)

    def g(m):
        total = Decimal(0)
        for c in range(m + 1):
            a = e**c * (1 - e) ** (m - c)
            b = e ** (m - c) * (1 - e) ** c
            w = Decimal(math.comb(m, c)) * (a + b) / 2
            pc = b / (a + b)
            t = float(pc * (1 - e) + (1 - pc) * e)
            total += w * Decimal(-(t * math.log(t) + (1 - t) * math.log(1 - t)))
        return float(total)

    curve = mdm.curves.noisy_repetition_curve(n, eta)
    gg = np.asarray(curve.g)
    for m in (0, 1, 7, 150, 300):
        assert abs(gg[m] - g(m)) < 1e-12


def test_product_curve():
    marg = np.array([[0.5, 0.5], [0.9, 0.1], [0.2, 0.8]])
    c = mdm.curves.product_curve(marg)
    table = marg[0][:, None, None] * marg[1][None, :, None] * marg[2][None, None, :]
    ref = enumerated(table)
    assert np.max(np.abs(np.asarray(c.hbar) - np.asarray(ref.hbar))) <= TOL
    assert np.all(np.asarray(c.z) == 0)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: mdm.curves.HiddenMarkovModel([1.0], [[1.0]], [[0.5, 0.6]], 3), "emission"),
        (lambda: mdm.curves.HiddenMarkovModel([0.5, 0.5], [[1.0]], [[1.0]], 3), "transition"),
        (lambda: mdm.curves.HiddenMarkovModel([1.0], [[1.0]], [[1.0]], 0), "n"),
        (lambda: mdm.curves.ising_tree(4, [[0, 1], [1, 2], [2, 0]]), "edges"),
        (lambda: mdm.curves.ising_tree(4, [[0, 1], [1, 2]]), "edges"),
        (lambda: mdm.curves.ising_tree(3, [[0, 1], [1, 2]], coupling=[1.0]), "coupling"),
        (lambda: mdm.curves.MixtureOfProducts([0.5, 0.5], np.full((3, 2, 2), 0.5)), "marginals"),
        (lambda: mdm.curves.noisy_repetition_curve(3, 1.5), "eta"),
        (
            lambda: mdm.curves.TreeMRF(
                np.zeros((3, 2)), np.zeros((3, 2, 2)), [1, -1, 0], [0, 1, 2]
            ),
            "parent",
        ),
        (
            lambda: mdm.curves.TreeMRF(np.zeros((3, 2)), np.zeros((3, 2)), [-1, 0, 1], [0, 1, 2]),
            "log_pairwise",
        ),
        (lambda: mdm.curves.estimate_z(object(), 0), "model"),
        (lambda: mdm.curves.estimate_z(mdm.curves.ising_tree(3), None), "key"),
        (lambda: mdm.curves.estimate_z(mdm.curves.ising_tree(3), 0, js=[0, 1]), "js"),
        (lambda: mdm.curves.monte_carlo_curve(mdm.curves.ising_tree(3), 0, 1), "num_samples"),
    ],
)
def test_monte_carlo_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
