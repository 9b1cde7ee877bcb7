"""Named families against brute-force constructions (itertools over states, loops allowed here).

Each oracle builds the table straight from the family's definition, one state at a time, with no
code shared with ``mdmjax.families``. Random families are checked for determinism, ``vmap``
agreement, their structural property (product form, Markov property, ...) and their Dirichlet
moments. The bad-input section covers every ``ValueError`` of the constructors and of
``Distribution`` validation.
"""

from __future__ import annotations

import itertools
import math

import jax
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mdmjax as mdm

F = mdm.families
TOL = 1e-12
# One batch size for the moment tests, so that they share one compiled (vmapped) sampler.
MOMENT_SAMPLES = 3000


def brute_table(shape, fn):
    """``t[x] = fn(x)`` for every state ``x`` (test oracle: a Python loop over states)."""
    t = np.zeros(shape)
    for x in itertools.product(*(range(q) for q in shape)):
        t[x] = fn(x)
    return t


def assert_law(d, expected, tol=TOL):
    assert isinstance(d, mdm.Distribution)
    probs = np.asarray(d.probs)
    assert probs.dtype == np.float64
    assert probs.shape == np.shape(expected)
    np.testing.assert_allclose(probs, expected, atol=tol, rtol=0)
    assert abs(probs.sum() - 1.0) < 1e-12


# ------------------------------------------------------------------------------------------------
# Products
# ------------------------------------------------------------------------------------------------
@given(
    st.lists(st.integers(1, 4), min_size=1, max_size=5),
    st.integers(0, 2**32 - 1),
)
def test_product_matches_brute_force(shape, seed):
    rng = np.random.default_rng(seed)
    marginals = [rng.dirichlet(np.ones(q)) for q in shape]
    expected = brute_table(
        shape, lambda x: math.prod(m[v] for m, v in zip(marginals, x, strict=True))
    )
    assert_law(F.product(marginals), expected)


def test_product_accepts_a_2d_array():
    m = np.array([[0.2, 0.8], [0.6, 0.4], [0.5, 0.5]])
    expected = brute_table((2, 2, 2), lambda x: m[0, x[0]] * m[1, x[1]] * m[2, x[2]])
    assert_law(F.product(m), expected)


def _marginals_of(probs):
    n = probs.ndim
    return [probs.sum(axis=tuple(a for a in range(n) if a != i)) for i in range(n)]


def test_random_product_is_a_product_and_deterministic():
    key = jax.random.key(3)
    d = F.random_product(key, 4, q=(2, 3, 2, 4), alpha=0.7)
    probs = np.asarray(d.probs)
    margs = _marginals_of(probs)
    expected = brute_table(
        probs.shape, lambda x: math.prod(m[v] for m, v in zip(margs, x, strict=True))
    )
    assert_law(d, expected)
    np.testing.assert_array_equal(
        probs, np.asarray(F.random_product(key, 4, (2, 3, 2, 4), 0.7).probs)
    )
    other = np.asarray(F.random_product(jax.random.key(4), 4, (2, 3, 2, 4), 0.7).probs)
    assert np.abs(other - probs).max() > 1e-3


def test_random_product_marginal_moments():
    # Dir(alpha 1_q) marginals: mean 1/q, variance (1/q)(1 - 1/q)/(q alpha + 1).
    q, alpha, m = 3, 0.5, MOMENT_SAMPLES
    keys = jax.random.split(jax.random.key(11), m)
    tables = np.asarray(jax.vmap(lambda k: F.random_product(k, 2, q, alpha).probs)(keys))
    first = tables.sum(axis=2)  # (m, q): law of X_1
    var = (1 / q) * (1 - 1 / q) / (q * alpha + 1)
    np.testing.assert_allclose(first.mean(axis=0), 1 / q, atol=5 * math.sqrt(var / m))
    np.testing.assert_allclose(first.var(axis=0), var, rtol=0.15)


# ------------------------------------------------------------------------------------------------
# Codes
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n,q", [(1, 2), (1, 3), (3, 2), (4, 3), (5, 2), (2, 5)])
def test_repetition_matches_brute_force(n, q):
    expected = brute_table((q,) * n, lambda x: 1 / q if len(set(x)) == 1 else 0.0)
    assert_law(F.repetition(n, q), expected)


@pytest.mark.parametrize("n,q", [(1, 2), (1, 3), (3, 2), (4, 3), (5, 2), (3, 4)])
def test_parity_matches_brute_force(n, q):
    expected = brute_table((q,) * n, lambda x: q ** -(n - 1) if sum(x) % q == 0 else 0.0)
    assert_law(F.parity(n, q), expected)


def code_oracle(words, q, n):
    """Uniform law on a set of codewords."""
    words = set(words)
    return brute_table((q,) * n, lambda x: 1 / len(words) if tuple(x) in words else 0.0)


def brute_linear_code(generator, q, shift):
    d, n = len(generator), len(generator[0])
    words = []
    for m in itertools.product(range(q), repeat=d):
        words.append(
            tuple((sum(m[r] * generator[r][i] for r in range(d)) + shift[i]) % q for i in range(n))
        )
    return code_oracle(words, q, n)


@given(
    st.sampled_from([2, 3, 5]),
    st.integers(1, 3),
    st.integers(1, 4),
    st.integers(0, 2**32 - 1),
    st.booleans(),
)
def test_linear_code_matches_brute_force(q, d, n, seed, shifted):
    rng = np.random.default_rng(seed)
    g = rng.integers(-q, 2 * q, size=(d, n))  # any integers: reduced mod q
    w = rng.integers(0, q, size=n) if shifted else np.zeros(n, dtype=int)
    expected = brute_linear_code(g.tolist(), q, w.tolist())
    assert_law(F.linear_code(g, q, shift=w if shifted else None), expected)


def test_linear_code_rank_deficient_is_uniform_on_image():
    g = [[1, 2, 0, 1], [2, 4, 0, 2], [0, 0, 0, 0]]  # rank 1 over F_3
    d = F.linear_code(g, 3, shift=[0, 1, 2, 0])
    probs = np.asarray(d.probs)
    support = probs[probs > 0]
    assert support.size == 3
    np.testing.assert_allclose(support, 1 / 3, atol=TOL)
    assert_law(d, brute_linear_code(g, 3, [0, 1, 2, 0]))


def brute_reed_solomon(n, q, d, points, shift):
    words = []
    for coeffs in itertools.product(range(q), repeat=d):
        words.append(
            tuple(
                (sum(c * pow(a, k, q) for k, c in enumerate(coeffs)) + w) % q
                for a, w in zip(points, shift, strict=True)
            )
        )
    assert len(set(words)) == q**d  # distinct points, deg < d <= n: the map is injective
    return code_oracle(words, q, n)


@pytest.mark.parametrize(
    "n,q,d,points,shift",
    [
        (3, 5, 1, None, None),
        (4, 5, 2, None, None),
        (4, 5, 3, [4, 0, 2, 1], [1, 0, 3, 4]),
        (3, 7, 2, [6, 3, 5], None),
        (2, 3, 2, [1, 2], [2, 2]),
        (1, 2, 1, None, [1]),
    ],
)
def test_reed_solomon_matches_brute_force(n, q, d, points, shift):
    expected = brute_reed_solomon(
        n, q, d, list(range(n)) if points is None else points, shift or [0] * n
    )
    assert_law(F.reed_solomon(n, q, d, points=points, shift=shift), expected)


# ------------------------------------------------------------------------------------------------
# Noisy repetition
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 2, 5])
@pytest.mark.parametrize("eta", [0.0, 0.1, 0.5, 0.73, 1.0])
def test_noisy_repetition_matches_brute_force(n, eta):
    def law(x):
        total = 0.0
        for u in (0, 1):
            term = 0.5
            for xi in x:
                term *= eta if xi != u else 1 - eta  # X_i = U xor W_i
            total += term
        return total

    assert_law(F.noisy_repetition(n, eta), brute_table((2,) * n, law))


def test_noisy_repetition_edge_cases():
    np.testing.assert_allclose(F.noisy_repetition(4, 0.0).probs, F.repetition(4).probs, atol=0)
    np.testing.assert_allclose(F.noisy_repetition(4, 0.5).probs, np.full((2,) * 4, 1 / 16))


# ------------------------------------------------------------------------------------------------
# Markov chains
# ------------------------------------------------------------------------------------------------
def brute_markov(mu, trans_at, n):
    q = len(mu)

    def law(x):
        v = mu[x[0]]
        for t in range(1, n):
            v *= trans_at(t - 1)[x[t - 1]][x[t]]
        return v

    return brute_table((q,) * n, law)


@pytest.mark.parametrize("n", [1, 2, 4])
def test_markov_chain_homogeneous(n):
    rng = np.random.default_rng(n)
    mu = rng.dirichlet(np.ones(3))
    trans = rng.dirichlet(np.ones(3), size=3)
    assert_law(F.markov_chain(mu, trans, n), brute_markov(mu, lambda t: trans, n))


def test_markov_chain_non_homogeneous():
    rng = np.random.default_rng(7)
    mu = rng.dirichlet(np.ones(2))
    stack = rng.dirichlet(np.ones(2), size=(4, 2))  # (n-1, q, q)
    expected = brute_markov(mu, lambda t: stack[t], 5)
    assert_law(F.markov_chain(mu, stack), expected)
    assert_law(F.markov_chain(mu, stack, n=5), expected)


def _conditionals(probs, t):
    """``P(X_{t+1} = b | X_t = a)`` from the pair marginal (brute force)."""
    n = probs.ndim
    pair = probs.sum(axis=tuple(a for a in range(n) if a not in (t, t + 1)))
    return pair / pair.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("stationary", [False, True])
def test_random_markov_chain_is_homogeneous_markov(stationary):
    d = F.random_markov_chain(jax.random.key(5), 5, q=3, concentration=0.8, stationary=stationary)
    probs = np.asarray(d.probs)
    trans = _conditionals(probs, 0)
    for t in range(1, 4):
        np.testing.assert_allclose(_conditionals(probs, t), trans, atol=1e-12)  # homogeneous
    mu = probs.sum(axis=(1, 2, 3, 4))
    assert_law(d, brute_markov(mu, lambda t: trans, 5))  # Markov property
    margs = _marginals_of(probs)
    if stationary:
        for m in margs[1:]:
            np.testing.assert_allclose(m, margs[0], atol=1e-12)
    else:
        assert np.abs(margs[1] - margs[0]).max() > 1e-6


# ------------------------------------------------------------------------------------------------
# Ising
# ------------------------------------------------------------------------------------------------
def brute_ising(n, edges, couplings, fields):
    def energy(x):
        s = [2 * v - 1 for v in x]
        e = sum(j * s[a] * s[b] for (a, b), j in zip(edges, couplings, strict=True))
        return e + sum(h * si for h, si in zip(fields, s, strict=True))

    w = brute_table((2,) * n, lambda x: math.exp(energy(x)))
    return w / w.sum()


GRAPHS = {
    ("chain", 4): [(0, 1), (1, 2), (2, 3)],
    ("cycle", 4): [(0, 1), (1, 2), (2, 3), (0, 3)],
    ("complete", 4): [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)],
    ("grid", 6): [(0, 1), (1, 2), (3, 4), (4, 5), (0, 3), (1, 4), (2, 5)],  # 2 x 3
}


@pytest.mark.parametrize("graph,n", list(GRAPHS))
def test_ising_named_graphs(graph, n):
    edges = GRAPHS[(graph, n)]
    rng = np.random.default_rng(n)
    j = rng.normal(size=len(edges))
    h = rng.normal(size=n)
    kwargs = {"rows": 2, "cols": 3} if graph == "grid" else {"n": n}
    expected = brute_ising(n, edges, j, h)
    assert_law(F.ising(graph, coupling=j, field=h, **kwargs), expected)
    scalar = brute_ising(n, edges, [0.7] * len(edges), [-0.2] * n)
    assert_law(F.ising(graph, coupling=0.7, field=-0.2, **kwargs), scalar)


def test_ising_grid_from_n_and_explicit_edges():
    np.testing.assert_array_equal(
        F.ising("grid", n=6, coupling=0.3).probs,
        F.ising("grid", rows=2, cols=3, coupling=0.3).probs,
    )
    edges = [(0, 2), (3, 1), (0, 2)]  # a repeated edge adds its couplings
    expected = brute_ising(4, edges, [0.5, -1.0, 0.25], [0.1, 0.0, 0.0, 0.3])
    got = F.ising(edges=edges, coupling=[0.5, -1.0, 0.25], field=[0.1, 0.0, 0.0, 0.3])
    assert_law(got, expected)
    assert F.ising(edges=[(0, 1)], n=3).n == 3


def test_ising_is_stable_for_huge_couplings():
    d = F.ising("chain", n=5, coupling=500.0)  # exp(2000) overflows without log-sum-exp
    expected = np.zeros((2,) * 5)
    expected[(0,) * 5] = expected[(1,) * 5] = 0.5
    assert_law(d, expected)


# ------------------------------------------------------------------------------------------------
# Mixtures and Dirichlet
# ------------------------------------------------------------------------------------------------
def test_mixture_of_products_matches_brute_force():
    rng = np.random.default_rng(2)
    m, n, q = 3, 4, 3
    w = rng.dirichlet(np.ones(m))
    marg = rng.dirichlet(np.ones(q), size=(m, n))

    def law(x):
        return sum(w[c] * math.prod(marg[c, i, x[i]] for i in range(n)) for c in range(m))

    assert_law(F.mixture_of_products(w, marg), brute_table((q,) * n, law))


def test_random_mixture_with_one_component_is_a_product():
    d = F.random_mixture_of_products(jax.random.key(0), 4, q=3, components=1)
    probs = np.asarray(d.probs)
    margs = _marginals_of(probs)
    assert_law(
        d,
        brute_table(probs.shape, lambda x: math.prod(m[v] for m, v in zip(margs, x, strict=True))),
    )


def test_random_mixture_is_not_a_product():
    d = F.random_mixture_of_products(jax.random.key(0), 3, q=2, components=2, alpha=0.3)
    assert mdm.information_curve(d).tc > 1e-4


def test_dirichlet_moments():
    # Dir(alpha 1_Q): every cell has mean 1/Q and variance (1/Q)(1 - 1/Q)/(Q alpha + 1).
    shape, alpha, m = (2, 4), 0.5, MOMENT_SAMPLES
    big_q = 8
    keys = jax.random.split(jax.random.key(1), m)
    tables = np.asarray(jax.vmap(lambda k: F.dirichlet(k, shape, alpha).probs)(keys))
    assert tables.shape == (m, *shape)
    np.testing.assert_allclose(tables.sum(axis=(1, 2)), 1.0, atol=1e-12)
    var = (1 / big_q) * (1 - 1 / big_q) / (big_q * alpha + 1)
    np.testing.assert_allclose(tables.mean(axis=0), 1 / big_q, atol=5 * math.sqrt(var / m))
    np.testing.assert_allclose(tables.var(axis=0), var, rtol=0.15)


RANDOM_FAMILIES = {
    "dirichlet": lambda k: F.dirichlet(k, (2,) * 6),
    "dirichlet_mixed": lambda k: F.dirichlet(k, (2, 3, 1, 2), alpha=0.3),
    "product": lambda k: F.random_product(k, 4, q=(2, 3, 2, 2)),
    "markov": lambda k: F.random_markov_chain(k, 4, q=3),
    "markov_stationary": lambda k: F.random_markov_chain(k, 4, q=3, stationary=True),
    "mixture": lambda k: F.random_mixture_of_products(k, 4, q=3, components=3),
}


@pytest.mark.parametrize("name", list(RANDOM_FAMILIES))
def test_random_families_vmap_and_determinism(name):
    make = RANDOM_FAMILIES[name]
    keys = jax.random.split(jax.random.key(42), 3)
    batch = np.asarray(jax.vmap(lambda k: make(k).probs)(keys))
    one_by_one = np.stack([np.asarray(make(k).probs) for k in keys])
    np.testing.assert_allclose(batch, one_by_one, atol=1e-13, rtol=0)
    np.testing.assert_array_equal(np.asarray(make(keys[0]).probs), one_by_one[0])
    assert np.abs(one_by_one[0] - one_by_one[1]).max() > 1e-6
    np.testing.assert_allclose(batch.reshape(3, -1).sum(axis=1), 1.0, atol=1e-12)


def test_int_seed_is_a_key():
    np.testing.assert_array_equal(
        F.dirichlet(7, (2, 2)).probs, F.dirichlet(jax.random.key(7), (2, 2)).probs
    )


# ------------------------------------------------------------------------------------------------
# Registry
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", F.FAMILY_NAMES)
def test_by_name_defaults_are_valid_laws(name):
    d = F.by_name(name, 4)
    assert isinstance(d, mdm.Distribution)
    assert d.n == 4
    assert abs(float(np.sum(d.probs)) - 1.0) < 1e-12


def test_by_name_defaults():
    np.testing.assert_array_equal(
        F.by_name("ising", 5).probs, F.ising("chain", 5, coupling=0.5).probs
    )
    np.testing.assert_array_equal(
        F.by_name("markov", 4).probs, F.random_markov_chain(jax.random.key(0), 4, 2).probs
    )
    assert F.by_name("reed_solomon", 4).shape == (5,) * 4  # smallest prime > 4
    assert F.by_name("reed_solomon", 5).shape == (7,) * 5  # smallest prime > 5
    z = np.asarray(mdm.information_curve(F.by_name("reed_solomon", 4)).z) / np.log(5)
    np.testing.assert_allclose(z, [0, 0, 1, 1], atol=1e-12)  # d = 2
    np.testing.assert_array_equal(F.by_name("parity", 3, q=3).probs, F.parity(3, 3).probs)
    np.testing.assert_array_equal(
        F.by_name("noisy_repetition", 3, eta=0.2).probs, F.noisy_repetition(3, 0.2).probs
    )
    np.testing.assert_array_equal(
        F.by_name("dirichlet", 3, q=2, key=5, alpha=0.5).probs,
        F.dirichlet(jax.random.key(5), (2, 2, 2), 0.5).probs,
    )
    m = [[0.5, 0.5], [0.1, 0.9]]
    np.testing.assert_array_equal(F.by_name("product", 2, marginals=m).probs, F.product(m).probs)
    assert F.by_name("ising", 6, graph="grid").shape == (2,) * 6


def test_by_name_rejects_unknown_names_and_parameters():
    with pytest.raises(ValueError, match="name: unknown family 'nope'.*reed_solomon"):
        F.by_name("nope", 4)
    with pytest.raises(ValueError, match="params: unknown parameter.*'colour'"):
        F.by_name("parity", 4, colour=3)
    with pytest.raises(ValueError, match="q: the ising family is binary"):
        F.by_name("ising", 4, q=3)


# ------------------------------------------------------------------------------------------------
# Bad input
# ------------------------------------------------------------------------------------------------
KEY = jax.random.key(0)
BAD = [
    (lambda: F.product([]), "marginals"),
    (lambda: F.product([[0.5, 0.5], [[0.5, 0.5]]]), "marginals: entry 1"),
    (lambda: F.product([[0.5, 0.6]]), "marginals: .*sums to 1.1"),
    (lambda: F.product([[1.5, -0.5]]), "marginals: .*negative"),
    (lambda: F.product([[np.nan, 1.0]]), "marginals: .*NaN"),
    (lambda: F.random_product(KEY, 0), "n: must be >= 1"),
    (lambda: F.random_product(KEY, 3, alpha=0.0), "alpha: must be > 0"),
    (lambda: F.random_product(KEY, 3, q=(2, 2)), "q: has 2 alphabet sizes"),
    (lambda: F.random_product(None, 3), "key: a jax.random key is required"),
    (lambda: F.repetition(0), "n: must be >= 1"),
    (lambda: F.repetition(3, q=0), "q: must be >= 1"),
    (lambda: F.repetition(2.5), "n: expected an integer"),
    (lambda: F.parity(3, q=-1), "q: must be >= 1"),
    (lambda: F.linear_code([[1, 1]], 4), "q: must be a prime"),
    (lambda: F.linear_code([[1, 1]], 1), "q: must be a prime"),
    (lambda: F.linear_code([1, 1], 2), "generator: expected a 2-D"),
    (lambda: F.linear_code([[0.5, 1]], 2), "generator: expected integers"),
    (lambda: F.linear_code(np.zeros((0, 3), int), 2), "generator: expected shape"),
    (lambda: F.linear_code([[1, 1]], 2, shift=[1]), "shift: expected 2 entries"),
    (lambda: F.reed_solomon(4, 4, 2), "q: must be a prime"),
    (lambda: F.reed_solomon(6, 5, 2), "q: Reed–Solomon needs a prime q >= n"),
    (lambda: F.reed_solomon(4, 3, 2), "q: Reed–Solomon needs a prime q >= n"),
    (lambda: F.reed_solomon(3, 5, 0), "d: must be >= 1"),
    (lambda: F.reed_solomon(3, 5, 4), "d: the dimension must be <= n"),
    (lambda: F.reed_solomon(3, 5, 2, points=[0, 1, 1]), "points: must be distinct"),
    (lambda: F.reed_solomon(3, 5, 2, points=[0, 1, 5]), "points: must lie in F_q"),
    (lambda: F.reed_solomon(3, 5, 2, points=[0, 1]), "points: expected 3"),
    (lambda: F.reed_solomon(3, 5, 2, shift=[0, 1]), "shift: expected 3"),
    (lambda: F.noisy_repetition(3, -0.1), "eta: must be finite and >= 0"),
    (lambda: F.noisy_repetition(3, 1.5), r"eta: must lie in \[0, 1\]"),
    (lambda: F.noisy_repetition(3, np.nan), "eta"),
    (lambda: F.noisy_repetition(0, 0.1), "n: must be >= 1"),
    (
        lambda: F.markov_chain([0.5, 0.5], [[0.9, 0.1], [0.2, 0.7]], 3),
        "transition: every transition row must sum to 1",
    ),
    (lambda: F.markov_chain([0.5, 0.6], [[1, 0], [0, 1]], 3), "initial: .*sums to 1.1"),
    (lambda: F.markov_chain([0.5, 0.5], [[1, 0], [0, 1]]), "n: required"),
    (lambda: F.markov_chain([0.5, 0.5], [1, 0], 3), "transition: expected shape"),
    (lambda: F.markov_chain([0.5, 0.5], np.eye(3), 3), "transition: expected"),
    (lambda: F.markov_chain([0.5, 0.5], np.stack([np.eye(2)] * 2), 4), "n: a stack of 2"),
    (lambda: F.markov_chain([0.5, 0.5], [[1, 0], [0, 1]], 0), "n: must be >= 1"),
    (lambda: F.random_markov_chain(KEY, 3, concentration=-1), "concentration"),
    (lambda: F.random_markov_chain(KEY, 3, stationary="yes"), "stationary"),
    (lambda: F.ising("ring", n=3), "graph: expected one of"),
    (lambda: F.ising("chain"), "n: required"),
    (lambda: F.ising("cycle", n=2), "n: a cycle needs n >= 3"),
    (lambda: F.ising("grid"), "rows: a grid needs"),
    (lambda: F.ising("grid", rows=2), "cols: a grid needs"),
    (lambda: F.ising("grid", n=6, rows=4), "rows: 4 does not divide"),
    (lambda: F.ising("grid", n=5, rows=2, cols=3), "n: a 2 x 3 grid has 6"),
    (lambda: F.ising("chain", n=3, coupling=[1.0, 2.0, 3.0]), "coupling: expected a scalar"),
    (lambda: F.ising("chain", n=3, field=[1.0, 2.0]), "field: expected a scalar"),
    (lambda: F.ising("chain", n=3, coupling=np.inf), "coupling: entries must be finite"),
    (lambda: F.ising("chain", n=3, edges=[(0, 1)]), "graph: give either"),
    (lambda: F.ising(edges=[(0, 0)]), "edges: self-loops"),
    (lambda: F.ising(edges=[(0, 3)], n=3), "edges: node 3 is out of range"),
    (lambda: F.ising(edges=[(0, 1, 2)]), r"edges: expected pairs"),
    (lambda: F.ising(edges=[(-1, 1)]), "edges: node indices must be >= 0"),
    (lambda: F.mixture_of_products([0.5, 0.5], np.full((3, 2, 2), 0.5)), "marginals: has 3"),
    (lambda: F.mixture_of_products([0.5, 0.6], np.full((2, 2, 2), 0.5)), "weights: .*sums"),
    (lambda: F.mixture_of_products([1.0], np.full((1, 2, 2), 0.6)), "marginals: .*sums to 1.2"),
    (lambda: F.mixture_of_products([1.0], np.full((2, 2), 0.5)), "marginals: expected a 3-D"),
    (lambda: F.random_mixture_of_products(KEY, 3, components=0), "components: must be >= 1"),
    (lambda: F.dirichlet(KEY, ()), r"shape: a law needs at least 1 position"),
    (lambda: F.dirichlet(KEY, 3), "shape: expected a sequence"),
    (lambda: F.dirichlet(KEY, (2, 0)), "shape: must be >= 1"),
    (lambda: F.dirichlet(KEY, (2, 2), alpha=-1.0), "alpha"),
]


@pytest.mark.parametrize("make,match", BAD, ids=[m for _, m in BAD])
def test_constructor_errors_name_the_argument(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize(
    "make",
    [
        lambda: F.repetition(40),
        lambda: F.parity(40),
        lambda: F.noisy_repetition(45, 0.1),
        lambda: F.dirichlet(KEY, (2,) * 40),
        lambda: F.random_product(KEY, 40),
        lambda: F.random_markov_chain(KEY, 40),
        lambda: F.random_mixture_of_products(KEY, 40),
        lambda: F.markov_chain([0.5, 0.5], np.eye(2), 40),
        lambda: F.ising("chain", n=40),
        lambda: F.product([[0.5, 0.5]] * 40),
        lambda: F.linear_code(np.ones((1, 40), int), 2),
        lambda: F.reed_solomon(30, 31, 2),
    ],
)
def test_memory_guard_runs_before_building(make):
    with pytest.raises(ValueError, match=r"needs an estimated .* bytes"):
        make()


def test_memory_guard_respects_the_limit(monkeypatch):
    monkeypatch.setenv("MDMJAX_MEMORY_LIMIT", "1K")
    with pytest.raises(ValueError, match=r"n: the repetition table .*\(2048 bytes\)"):
        F.repetition(7)  # 128 states * 8 bytes * 2 copies
    monkeypatch.setenv("MDMJAX_MEMORY_LIMIT", "1M")
    assert F.repetition(7).n == 7


# ------------------------------------------------------------------------------------------------
# Distribution validation
# ------------------------------------------------------------------------------------------------
def test_distribution_rejects_negative():
    with pytest.raises(ValueError, match=r"p: 1 entries are negative"):
        mdm.Distribution.from_probs([0.5, 0.6, -0.1])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_distribution_rejects_non_finite(bad):
    with pytest.raises(ValueError, match=r"p: 1 entries are NaN or infinite"):
        mdm.Distribution.from_probs([[0.5, bad], [0.25, 0.25]])


@pytest.mark.parametrize("scale", [1 + 2e-9, 1 - 2e-9, 0.5, 2.0])
def test_distribution_rejects_wrong_mass_and_says_it(scale):
    p = np.full((2, 2), 0.25) * scale
    with pytest.raises(ValueError, match=r"p: total mass is ") as err:
        mdm.Distribution.from_probs(p)
    assert repr(float(p.sum())) in str(err.value)


def test_distribution_accepts_mass_within_tolerance():
    p = np.full((2, 2), 0.25) * (1 + 5e-10)
    d = mdm.Distribution.from_probs(p)
    assert abs(float(np.sum(d.probs)) - 1.0) < 1e-15


def test_distribution_rejects_scalar_and_empty_axis():
    with pytest.raises(ValueError, match=r"p: a law needs at least 1 position"):
        mdm.Distribution.from_probs(1.0)
    with pytest.raises(ValueError, match=r"p: every axis needs at least one value"):
        mdm.Distribution.from_probs(np.zeros((2, 0)))


def test_distribution_memory_guard(monkeypatch):
    monkeypatch.setenv("MDMJAX_MEMORY_LIMIT", "100")
    with pytest.raises(ValueError, match=r"p: a probability table .*\(128 bytes\)"):
        mdm.Distribution.from_probs(np.full(16, 1 / 16))


def test_family_specs_are_the_one_table():
    """FAMILY_SPECS: by_name, curves.CURVE_FAMILIES and the CLI's names all come from it."""
    names = [s.name for s in F.FAMILY_SPECS]
    assert F.FAMILY_NAMES == tuple(s.name for s in F.FAMILY_SPECS if s.table is not None)
    assert set(mdm.curves.CURVE_FAMILIES) == {
        a for s in F.FAMILY_SPECS if s.curve for a in (s.name, *s.aliases)
    }
    assert len(set(names)) == len(names) and "hmm" in names and "hmm" not in F.FAMILY_NAMES
    assert F.family_spec("rs") is F.family_spec("reed_solomon")
    assert F.family_spec("reed_solomon").alphabet_size(10, None, {}) == 11
    assert F.family_spec("markov").alphabet_size(5, None, {"transition": np.eye(3)}) == 3
    assert F.family_spec("ising").alphabet == "binary"
    with pytest.raises(ValueError, match="^name"):
        F.family_spec("nope")
