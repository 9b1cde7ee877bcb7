"""family_curve: named families at large n, against enumeration and mdm.families.by_name."""

import itertools

import jax
import numpy as np
import pytest

import mdmjax as mdm

TOL = 1e-10


def enumerated(table):
    return mdm.information_curve(mdm.Distribution.from_probs(table))


def states(n, q):
    return np.asarray(list(itertools.product(range(q), repeat=n)))


def assert_matches(curve, ref, tol=TOL):
    z, zr = np.asarray(curve.z), np.asarray(ref.z)
    if curve.stderr is None:
        assert np.max(np.abs(z - zr)) <= tol
        assert np.max(np.abs(np.asarray(curve.hbar) - np.asarray(ref.hbar))) <= tol
    else:
        se = np.asarray(curve.stderr)
        assert np.all(np.abs(z - zr) <= 4 * se + tol)


BY_NAME_CASES = [
    ("markov", 6, None, {}),
    ("markov", 5, 3, {}),
    ("markov", 6, None, {"stationary": True, "concentration": 0.5}),
    ("product", 5, 3, {}),
    ("reed_solomon", 5, None, {}),
    ("reed_solomon", 4, None, {"d": 3}),
    ("repetition", 5, 3, {}),
    ("parity", 6, None, {}),
    ("noisy_repetition", 7, None, {"eta": 0.2}),
    ("ising", 7, None, {}),
    ("ising", 6, None, {"coupling": [0.3, -0.5, 1.0, 0.2, 0.1], "field": 0.3}),
    ("linear_code", 7, 3, {}),
    ("mixture", 6, None, {"num_samples": 1500}),
]


@pytest.mark.parametrize("name, n, q, params", BY_NAME_CASES)
def test_same_law_as_families_by_name(name, n, q, params):
    """Same names, defaults and random draws as ``mdm.families.by_name``."""
    law_params = {k: v for k, v in params.items() if k != "num_samples"}
    ref = mdm.information_curve(mdm.families.by_name(name, n, q=q, key=3, **law_params))
    assert_matches(mdm.curves.family_curve(name, n, q=q, key=3, **params), ref)


def chain_table(mu, steps):
    t = np.asarray(mu)
    for p in steps:
        t = t[..., None] * np.asarray(p).reshape((1,) * (t.ndim - 1) + p.shape)
    return t


def test_explicit_markov_and_ising(rng):
    mu, trans = rng.dirichlet(np.ones(3)), rng.dirichlet(np.ones(3), size=3)
    c = mdm.curves.family_curve("markov", 7, initial=mu, transition=trans)
    assert_matches(c, enumerated(chain_table(mu, [trans] * 6)))
    coupling, field = rng.normal(size=6), rng.normal(size=7)
    s = 2.0 * states(7, 2) - 1.0
    energy = np.sum(coupling * s[:, :-1] * s[:, 1:], axis=1) + s @ field
    p = np.exp(energy - energy.max())
    c = mdm.curves.family_curve("ising", 7, coupling=coupling, field=field)
    assert_matches(c, enumerated((p / p.sum()).reshape((2,) * 7)))


def test_explicit_codes_and_products(rng):
    g = np.array([[1, 0, 1, 1, 0], [0, 1, 1, 0, 1]])
    msgs = states(2, 2)
    words = (msgs @ g) % 2
    table = np.zeros((2,) * 5)
    table[tuple(words.T)] = 0.25
    assert_matches(mdm.curves.family_curve("linear_code", 5, generator=g), enumerated(table))
    marg = rng.dirichlet(np.ones(3), size=4)
    table = np.einsum("a,b,c,d->abcd", *marg)
    assert_matches(mdm.curves.family_curve("product", 4, marginals=marg), enumerated(table))
    rs = mdm.curves.family_curve("rs", 6, q=7, d=3)
    assert np.allclose(np.asarray(rs.z) / np.log(7), [0, 0, 0, 1, 1, 1], atol=1e-15)


def test_explicit_monte_carlo_families(rng):
    # Ising on a star tree, by belief propagation.
    edges = np.array([[0, 1], [0, 2], [0, 3], [3, 4], [3, 5]])
    coupling = rng.normal(size=5)
    s = 2.0 * states(6, 2) - 1.0
    energy = np.sum(coupling * s[:, edges[:, 0]] * s[:, edges[:, 1]], axis=1)
    p = np.exp(energy - energy.max())
    c = mdm.curves.family_curve("ising", 6, edges=edges, coupling=coupling, num_samples=1500)
    assert c.stderr is not None
    assert_matches(c, enumerated((p / p.sum()).reshape((2,) * 6)))
    # Mixture of products.
    w, theta = rng.dirichlet(np.ones(2)), rng.dirichlet(np.ones(2), size=(2, 6))
    x = states(6, 2)
    table = sum(w[k] * np.prod(theta[k, np.arange(6), x], axis=1) for k in range(2))
    c = mdm.curves.family_curve("mixture", 6, weights=w, marginals=theta, num_samples=1500)
    assert_matches(c, enumerated(table.reshape((2,) * 6)))


@pytest.mark.slow
def test_random_hmm_family_runs_and_is_reproducible():
    a = mdm.curves.family_curve("hmm", 12, key=jax.random.key(1), num_samples=64)
    b = mdm.curves.family_curve("hmm", 12, key=jax.random.key(1), num_samples=64)
    assert np.array_equal(np.asarray(a.z), np.asarray(b.z)) and a.stderr is not None


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(name="dirichlet", n=5), "name"),
        (dict(name="markov", n=5, colour="red"), "params"),
        (dict(name="markov", n=5, transition=[[1.0]]), "params"),
        (dict(name="ising", n=5, graph="grid"), "graph"),
        (dict(name="ising", n=5, q=3), "q"),
        (dict(name="noisy_repetition", n=5, q=3), "q"),
        (dict(name="reed_solomon", n=5, q=5), "q"),
        (dict(name="linear_code", n=5, q=4), "q"),
        (dict(name="linear_code", n=5, generator=[[1, 1, 1, 1, 1]], d=1), "d"),
        (dict(name="mixture", n=5, weights=[1.0], marginals=np.full((1, 4, 2), 0.5)), "n"),
        (dict(name="markov", n=0), "n"),
        (dict(name="markov", n=5, key="seed"), "key"),
    ],
)
def test_family_curve_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        mdm.curves.family_curve(**kwargs)


@pytest.mark.slow
def test_large_n_routes_run():
    """The sizes the CLI report needs: Markov at n = 10^4, Reed–Solomon at n = 10^3."""
    m = mdm.curves.family_curve("markov", 10_000)
    assert m.n == 10_000 and np.all(np.diff(np.asarray(m.z)) >= 0)
    rs = mdm.curves.family_curve("reed_solomon", 1000, d=5)
    assert abs(rs.dtc - 5 * np.log(1009)) < 1e-9


def test_family_route_is_the_route_family_curve_takes():
    """curves.family_route against what family_curve computes: an exact route gives a curve
    without standard errors, a Monte-Carlo route one with them (linear_code switches at
    AUTO_EXACT_N = 16, the CLI's former hard-coded threshold)."""
    cases = [("linear_code", 16, {}), ("linear_code", 17, {"num_samples": 8}), ("markov", 9, {})]
    for name, n, params in cases:
        route = mdm.curves.family_route(name, n, **params)
        curve = mdm.curves.family_curve(name, n, **params)
        assert route.kind == ("exact" if curve.stderr is None else "monte_carlo"), (name, n)
    assert mdm.curves.family_route("linear_code", 17, num_samples=8).num_samples == 8
    assert mdm.curves.family_route("rs", 6).description.endswith("over F_7)")
    assert mdm.curves.family_route("ising", 8, graph="cycle").kind == "none"
    assert mdm.curves.family_route("ising", 8, edges=[[0, 1]]).kind == "monte_carlo"
    assert mdm.curves.family_route("dirichlet", 4).kind == "none"
    with pytest.raises(ValueError, match="^name"):
        mdm.curves.family_route("nope", 4)


def test_old_curve_names_are_deprecated_aliases():
    for old in ("markov_chain", "product", "repetition", "parity", "linear_code", "reed_solomon",
                "noisy_repetition"):  # fmt: skip
        with pytest.warns(DeprecationWarning, match=f"{old}_curve"):
            fn = getattr(mdm.curves, old)
        assert fn is getattr(mdm.curves, f"{old}_curve")
    with pytest.raises(AttributeError):
        mdm.curves.no_such_name  # noqa: B018
