"""Random-law parameter draws shared by ``mdm.families`` and ``mdm.curves.family_curve``.

Both modules draw the parameters of their random families here, from the same stream, so that at
small ``n`` a curve from ``family_curve`` equals the curve of the ``families.by_name`` table.
Everything computes in ``jax.numpy`` and is usable under ``jax.vmap`` over keys. The draws a
family makes are each one jitted program (static sizes): run eagerly, their dozen small operations
would each be traced, lowered and cached as a program of its own, which a warm start pays again.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp

from mdmjax._src.buckets import pow2_bucket

# JAX's rejection sampler for Gamma variates takes seconds to compile, once per draw size, and
# its run time grows with the size. Each family therefore makes one draw, padded to a power of
# two (at least 8) when small, so that the families' programs see few distinct sampler sizes;
# draws larger than _BUCKET_MAX are exact-size. The padded size is part of the random stream:
# changing it changes every random law.
_BUCKET_MAX = 2**12


def log_gamma(key, count: int, alpha: float) -> jax.Array:
    """``count`` i.i.d. ``log Gamma(alpha, 1)`` variates (log-space: stable for small ``alpha``)."""
    size = count if count > _BUCKET_MAX else pow2_bucket(count, 8)
    return jax.random.loggamma(key, jnp.float64(alpha), shape=(size,))[:count]


def dirichlet_rows(log_gammas: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    """Normalize i.i.d. log-gamma variates along the last axis: ``Dir(alpha)`` rows of ``shape``.

    ``G_k ~ Gamma(alpha)`` i.i.d. gives ``G / sum G ~ Dir(alpha 1)``; in log space this is a
    softmax (as in ``jax.random.dirichlet``).
    """
    return jax.nn.softmax(log_gammas.reshape(shape), axis=-1)


def random_dirichlet_rows(key, shape: tuple[int, ...], alpha: float) -> jax.Array:
    """Rows ``~ Dir(alpha 1)`` along the last axis of ``shape``, from one log-gamma draw."""
    return _random_dirichlet_rows(key, tuple(int(s) for s in shape), alpha)


@functools.partial(jax.jit, static_argnames=("shape",))
def _random_dirichlet_rows(key, shape, alpha):
    return dirichlet_rows(log_gamma(key, math.prod(shape), alpha), shape)


@functools.partial(jax.jit, static_argnames=("q",))
def random_markov_parameters(key, q: int, concentration: float) -> tuple[jax.Array, jax.Array]:
    """``(T, mu)``: a ``(q, q)`` transition with rows ``~ Dir(c 1_q)`` and an initial law ``mu``
    ``~ Dir(c 1_q)``, all from one draw of ``q^2 + q`` log-gamma variates."""
    draws = log_gamma(key, q * q + q, concentration)
    return dirichlet_rows(draws[: q * q], (q, q)), dirichlet_rows(draws[q * q :], (q,))


@functools.partial(jax.jit, static_argnames=("m", "n", "q"))
def random_mixture_parameters(
    key, m: int, n: int, q: int, alpha: float
) -> tuple[jax.Array, jax.Array]:
    """``(w, marginals)``: weights ``w ~ Dir(1_m)``, ``(m, n, q)`` marginals ``Dir(alpha 1_q)``."""
    k_w, k_m = jax.random.split(key)
    w = dirichlet_rows(log_gamma(k_w, m, 1.0), (m,))
    return w, dirichlet_rows(log_gamma(k_m, m * n * q, alpha), (m, n, q))
