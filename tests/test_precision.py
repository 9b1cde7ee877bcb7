"""Scoped float64 (docs/theory.md §10): the public Theorem 4 under jit/vmap/grad, and no leaks.

The suite runs with x64 OFF globally (tests/conftest.py), so every library call below is made as a
user without x64 would make it; the results must still be float64 and exact.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

import mdmjax as mdm
from tests import reference as ref


def _curve(n=7, seed=0):
    rng = np.random.default_rng(seed)
    return np.concatenate([[0.0], np.cumsum(rng.random(n - 1))])


def test_theorem4_matches_expected_kl_and_brute_force():
    z = _curve()
    with jax.enable_x64(True):
        kl = mdm.kl.theorem4(jnp.asarray(z), jnp.array([2, 4, 1, 0, 0]))
    c = mdm.InformationCurve.from_z(z)
    assert kl.dtype == jnp.float64
    direct = sum(z[j] - z[s] for s, e in ((0, 2), (2, 6), (6, 7)) for j in range(s, e))
    assert float(kl) == pytest.approx(direct, abs=1e-12)
    assert mdm.expected_kl(c, (2, 4, 1)) == pytest.approx(direct, abs=1e-12)


def test_theorem4_jit_vmap_grad_under_scoped_x64():
    z = _curve(6)
    batch = np.array([[6, 0, 0], [1, 5, 0], [2, 2, 2], [3, 3, 0]])
    with jax.enable_x64(True):
        zj = jnp.asarray(z)
        many = jax.jit(jax.vmap(mdm.kl.theorem4, in_axes=(None, 0)))(zj, jnp.asarray(batch))
        grad = jax.jit(jax.grad(mdm.kl.theorem4))(zj, jnp.array([2, 2, 2]))
        check_grads(lambda zz: mdm.kl.theorem4(zz, jnp.array([2, 2, 2])), (zj,), order=2)
        vgrad = jax.vmap(jax.grad(mdm.kl.theorem4), in_axes=(None, 0))(zj, jnp.asarray(batch))
    assert many.dtype == jnp.float64
    c = mdm.InformationCurve.from_z(z)
    np.testing.assert_allclose(many, mdm.expected_kl(c, batch), atol=1e-12)
    # linear in z: d/dz_j = +1 inside a block, -(s_t - 1) at its first position
    np.testing.assert_array_equal(grad, [-1.0, 1.0, -1.0, 1.0, -1.0, 1.0])
    np.testing.assert_array_equal(vgrad[0], [-5.0, 1, 1, 1, 1, 1])


def test_expected_kl_traced_returns_an_array():
    z = _curve(5)
    c = mdm.InformationCurve.from_z(z)
    with jax.enable_x64(True):
        out = jax.jit(lambda zz: mdm.expected_kl(mdm.InformationCurve(zz), jnp.array([2, 3])))(
            jnp.asarray(z)
        )
    assert isinstance(out, jax.Array) and out.dtype == jnp.float64
    assert float(out) == pytest.approx(mdm.expected_kl(c, (2, 3)), abs=1e-13)


def test_traced_without_x64_raises_instead_of_rounding():
    z32 = jnp.asarray(_curve(5), dtype=jnp.float32)
    with pytest.raises(ValueError, match="enable_x64"):
        jax.jit(mdm.kl.theorem4)(z32, jnp.array([2, 3]))
    with pytest.raises(ValueError, match="enable_x64"):
        jax.grad(mdm.kl.theorem4)(z32, jnp.array([2, 3]))
    probs = jnp.asarray(np.full((2, 2, 2), 1 / 8), dtype=jnp.float32)
    with pytest.raises(ValueError, match="enable_x64"):
        jax.jit(mdm.information_curve)(probs)


def test_public_results_are_float64_and_exact_without_global_x64(rng):
    assert not jax.config.jax_enable_x64
    p = rng.dirichlet(np.full(24, 0.7)).reshape(2, 3, 2, 2)
    d = mdm.Distribution.from_probs(p)
    assert d.probs.dtype == np.float64
    c = mdm.information_curve(d)
    for arr in (c.z, c.hbar, c.g, c.f):
        assert np.asarray(arr).dtype == np.float64
    np.testing.assert_allclose(c.z, ref.z_curve(p), atol=1e-12)
    assert isinstance(c.tc, float) and isinstance(c.dtc, float)
    assert c.tc == pytest.approx(float(np.sum(ref.z_curve(p))), abs=1e-12)
    kl = mdm.expected_kl(d, (2, 2))
    assert isinstance(kl, float)
    assert mdm.exact_kl(d, (2, 2)) == pytest.approx(kl, abs=1e-12)
    s = mdm.optimal_schedule(c, 2)
    assert s.kl == pytest.approx(min(mdm.expected_kl(c, q) for q in ((1, 3), (2, 2), (3, 1))))
    assert np.asarray(mdm.subset_entropies(d)).dtype == np.float64
    assert not jax.config.jax_enable_x64


def test_users_float32_stays_float32_after_calls():
    mdm.expected_kl(mdm.InformationCurve.from_z([0.0, 1.0, 1.5]), (1, 2))
    x = jnp.ones(3)
    assert x.dtype == jnp.float32 and (x * 2).dtype == jnp.float32


def test_scoped_results_keep_their_dict_order():
    """A scoped function's dict comes back in its own key order (jax.tree_util sorts keys)."""
    from mdmjax._src.precision import scoped_x64

    @scoped_x64
    def f():
        return {"b": jax.numpy.ones(1), "a": [{"z": 1, "y": 2}], "c": (3,)}

    out = f()
    assert list(out) == ["b", "a", "c"] and list(out["a"][0]) == ["z", "y"]
    assert out["b"].dtype == np.float64
    names = list(mdm.policies.practice_policies(8))
    assert names[:2] == ["LLaDA confidence", "Dream margin"]  # the documented order
