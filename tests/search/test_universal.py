"""Universal schedule shapes fitted to several laws, with each law's regret against its optimum."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special
from jax.test_util import check_grads

import mdmjax as mdm
from mdmjax import schedules as S
from mdmjax import search as U


def thm4(z, sizes):
    z = np.asarray(z)
    ends = np.cumsum(sizes)
    return float(sum(np.sum(z[e - s : e] - z[e - s]) for s, e in zip(sizes, ends, strict=True)))


def mds_curve(n, d, q):
    """Z_j = log q 1[j > d]: the information curve of any MDS code of dimension d (§4)."""
    return mdm.InformationCurve.from_z(math.log(q) * (np.arange(1, n + 1) > d))


def check_fit(fit, curves, k):
    assert len(fit.sizes) == len(curves)
    for c, sizes, kl, dp in zip(curves, fit.sizes, fit.kl, fit.dp_kl, strict=True):
        assert len(sizes) == k and sum(sizes) == c.n and min(sizes) >= 1
        assert kl == pytest.approx(thm4(c.z, sizes), abs=1e-12)
        assert dp == mdm.optimal_schedule(c, k).kl
    np.testing.assert_allclose(fit.regret, fit.kl - fit.dp_kl)
    assert np.all(fit.regret >= -1e-12)
    np.testing.assert_allclose(fit.relative_regret, fit.regret / np.maximum(fit.dp_kl, 1e-12))
    agg = fit.regret.mean() if fit.objective == "mean" else fit.regret.max()
    assert fit.value == pytest.approx(agg)
    assert fit.fractions[0] == 0 and fit.fractions[-1] == pytest.approx(1.0)
    assert np.all(np.diff(fit.fractions) >= 0)


def test_betainc_matches_scipy_and_has_gradients_in_a_and_b():
    grid = np.geomspace(0.05, 50, 7)
    a, b, x = (v.ravel() for v in np.meshgrid(grid, grid, np.linspace(0.001, 0.999, 31)))
    with jax.enable_x64(True):  # the kernel under our own jit and grad: traced as float64
        f = jax.jit(U.betainc)
        got = np.asarray(f(jnp.asarray(a), jnp.asarray(b), jnp.asarray(x)))
        np.testing.assert_allclose(got, scipy.special.betainc(a, b, x), atol=1e-12)
        for a, b, xx in [(0.7, 2.5, 0.3), (3.0, 1.2, 0.8), (1.0, 1.0, 0.5)]:
            check_grads(f, (a, b, xx), order=1, modes=("fwd", "rev"), eps=1e-6)


def test_shapes_reduce_to_the_named_schedules():
    k = 5
    u = np.arange(k + 1) / k
    beta = U.family_fractions("beta", {"a": 1.0, "b": 1.0}, k)
    np.testing.assert_allclose(beta, np.sin(np.pi / 2 * u) ** 2, atol=1e-14)
    pow3 = U.family_fractions("maskgit-pow", {"a": 3.0, "b": 1.0}, k)
    np.testing.assert_allclose(pow3, u**3, atol=1e-14)  # MaskGIT pow: masked 1 - r^3
    n, r = 40, 1.7
    geo = U.family_fractions("geometric", {"lambda": k * math.log(r)}, k)
    assert S.from_breakpoints(n, n * geo[1:-1]) == S.geometric(n, k, r)


def test_fit_on_one_smooth_law_recovers_a_good_shape():
    n, k = 48, 5
    c = mdm.InformationCurve.from_z(np.log(np.arange(1, n + 1)))
    fit = mdm.fit_schedule_family([c], k, family="maskgit-pow")
    check_fit(fit, [c], k)
    assert fit.relative_regret[0] < 0.05
    linear = S.from_breakpoints(n, n * np.arange(1, k) / k)
    assert fit.kl[0] < thm4(c.z, linear)  # big steps late on a concave curve beat equal steps


def test_reed_solomon_family_no_single_schedule_is_close_to_every_optimum():
    """Chen–Cong–Li Theorems 5/6 made visible: MDS codes of dimensions d = 1..n-1 each have
    optimum 0 with 2 steps (a breakpoint exactly at d), but one breakpoint matches one d only;
    every other law pays at least log q."""
    n, q, k = 12, 13, 2
    curves = [mds_curve(n, d, q) for d in range(1, n)]
    for objective in ("mean", "max"):
        fit = mdm.fit_schedule_family(curves, k, family="geometric", objective=objective)
        check_fit(fit, curves, k)
        assert np.all(fit.dp_kl == 0)
        assert np.sum(fit.regret < 1e-12) <= 1
        assert np.sort(fit.regret)[1] >= math.log(q) - 1e-12
    # the minimax breakpoint sits in the middle: regret max(N_1 - 1, n - N_1 - 1) log q
    assert fit.value == pytest.approx(math.log(q) * (n // 2 - 1 + n % 2), rel=1e-12)


def test_reed_solomon_laws_from_tables():
    # the same picture on enumerated laws (n = 4, q = 5): curves from the probability tables
    from itertools import product

    curves = []
    for d in (1, 2, 3):
        vander = np.array([[pow(a, j, 5) for a in range(4)] for j in range(d)])
        words = (np.array(list(product(range(5), repeat=d))) @ vander) % 5
        p = np.zeros((5,) * 4)
        p[tuple(words.T)] = 1.0 / 5**d
        curves.append(mdm.information_curve(mdm.Distribution.from_probs(p)))
    fit = mdm.fit_schedule_family(curves, 2, family="geometric")
    check_fit(fit, curves, 2)
    assert np.sum(fit.regret > math.log(5) - 1e-9) >= 2


@pytest.mark.slow
def test_beta_family_on_curves_of_different_lengths():
    curves = [
        mdm.InformationCurve.from_z(np.log(np.arange(1, 25))),
        mdm.InformationCurve.from_z(np.sqrt(np.arange(30.0))),
    ]
    fit = mdm.fit_schedule_family(curves, 4, family="beta", num_iters=150, restarts=2)
    check_fit(fit, curves, 4)
    assert set(fit.params) == {"a", "b"}
    assert fit.loss_history.shape == (2, 150)
    # never worse than the uniform-in-time energy schedule a = b = 1 (it is on the grid's path)
    x = U.family_fractions("beta", {"a": 1.0, "b": 1.0}, 4)
    base = np.mean(
        [
            thm4(c.z, S.from_breakpoints(c.n, c.n * x[1:-1])) - dp
            for c, dp in zip(curves, fit.dp_kl, strict=True)
        ]
    )
    assert fit.value <= base + 1e-12


def test_batched_curve_input():
    zs = np.stack([np.log(np.arange(1, 21)) * s for s in (1.0, 2.0)])
    fit = mdm.fit_schedule_family(mdm.InformationCurve(jnp.asarray(zs)), 3, family="geometric")
    assert len(fit.sizes) == 2 and fit.sizes[0] == fit.sizes[1]  # scaling Z scales every KL


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"family": "cosine"}, "family"),
        ({"objective": "median"}, "objective"),
        ({"steps": 30}, "steps"),
        ({"restarts": 0}, "restarts"),
        ({"optimizer": "adam"}, "optimizer"),
    ],
)
def test_bad_input_raises_naming_the_argument(kwargs, name):
    c = mdm.InformationCurve.from_z(np.log(np.arange(1, 21)))
    args = {"steps": 3, **kwargs}
    with pytest.raises(ValueError, match=name):
        mdm.fit_schedule_family([c], **args)
    with pytest.raises(ValueError, match="curves"):
        mdm.fit_schedule_family([], 3)
