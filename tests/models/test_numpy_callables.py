"""Every public entry takes a NumPy callable (float64 or float32) as well as a JAX function.

A NumPy callable is reached through ``jax.pure_callback``; compiled under ``jax.jit`` outside the
scoped float64 context, its float64 result used to arrive as float32 ("Expected float64, Actual
float32"). The values below are checked against the exact conditionals of the law.
"""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import mdmjax as mdm

D = mdm.families.noisy_repetition(3, 0.2)
EXACT = mdm.models.from_distribution(D)
# the exact conditionals of every input y in {0, 1, mask=2}^3, as a NumPy table
_INPUTS = np.asarray(list(itertools.product(range(3), repeat=3)), dtype=np.int64)
with jax.enable_x64(True):
    _TABLE = np.asarray(EXACT.conditionals(jnp.asarray(_INPUTS)), dtype=np.float64)
_TABLE_JAX = _TABLE.copy()


def _lookup(y) -> np.ndarray:
    y = np.asarray(y, dtype=np.int64)
    return _TABLE[y @ np.array([9, 3, 1])]


def _models():
    np64 = mdm.models.from_callable(
        lambda y: _lookup(y), num_values=2, output="probs", traceable=False, n=3
    )
    np32 = mdm.models.from_callable(
        lambda y: _lookup(y).astype(np.float32), num_values=2, output="probs", traceable=False, n=3
    )

    def jax_fn(y):
        idx = y.astype(jnp.int32) @ jnp.asarray([9, 3, 1], dtype=jnp.int32)
        return jnp.asarray(_TABLE_JAX)[idx]

    traced = mdm.models.from_callable(jax_fn, num_values=2, output="probs", traceable=True, n=3)
    # float64 callables agree with the truth to rounding, float32 ones to float32 rounding
    return [("numpy64", np64, 1e-10), ("numpy32", np32, 1e-5), ("jax", traced, 1e-5)]


MODELS = _models()


@pytest.mark.parametrize("name, model, tol", MODELS, ids=[m[0] for m in MODELS])
def test_conditionals_under_jit_outside_x64(name, model, tol):
    y = np.array([[2, 0, 2], [1, 2, 2]])
    got = jax.jit(model.conditionals)(y)  # compiled and run with x64 off, as a user would
    assert got.dtype == jnp.float64
    np.testing.assert_allclose(np.asarray(got), _lookup(y) * (y == 2)[..., None], atol=tol)


def test_evaluate_policy_with_a_numpy_callable():
    """The default job's check (the walk fed int32 inputs the model compared with int64)."""
    _, model, tol = MODELS[0]
    policy = mdm.policies.confidence((2, 1))
    got, want = mdm.evaluate_policy(D, policy, model), mdm.evaluate_policy(D, policy)
    assert abs(got.kl - want.kl) <= tol


@pytest.mark.slow
@pytest.mark.parametrize("name, model, tol", MODELS, ids=[m[0] for m in MODELS])
def test_public_entries_accept_the_model(name, model, tol):
    policy = mdm.policies.confidence((1, 2))
    want = mdm.evaluate_policy(D, policy)
    got = mdm.evaluate_policy(D, policy, model)
    assert abs(got.kl - want.kl) <= tol * 10
    rows = np.asarray(D.sample(jax.random.key(0), 20))
    mc, ref = mdm.model_curve(model, rows, key=0), mdm.model_curve(EXACT, rows, key=0)
    np.testing.assert_allclose(mc.cross_entropy, ref.cross_entropy, atol=tol * 10)
    kl, kl_ref = (
        mdm.kl.model_mixture_kl(D, model, (1, 2)),
        mdm.kl.model_mixture_kl(D, EXACT, (1, 2)),
    )
    assert abs(kl - kl_ref) <= tol * 10
    x = mdm.sample(model, (1, 2), key=1, num_samples=8)
    np.testing.assert_array_equal(x, mdm.sample(EXACT, (1, 2), key=1, num_samples=8))
