"""Random-law parameter draws shared by ``mdm.families`` and ``mdm.curves.family_curve``.

Both modules draw the parameters of their random families here, from the same stream, so that at
small ``n`` a curve from ``family_curve`` equals the curve of the ``families.by_name`` table.
Everything computes in ``jax.numpy`` and is usable under ``jax.vmap`` over keys.

Called eagerly, a draw is two compiled programs: JAX's Gamma sampler, one per padded draw size
and shared by every family, and one jitted program per family and shape that slices the draw and
normalizes it. (Run op by op, the normalization would be a dozen programs, each traced, lowered
and looked up again by every warm start.)
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp

from mdmjax._src.buckets import pow2_bucket

# JAX's rejection sampler for Gamma variates takes seconds to compile, once per draw size, and
# its run time grows with the size. Each family therefore makes one draw, padded to a power of
# two (at least 8) when small, so that all families share a few compiled samplers for at most
# twice the work; draws larger than _BUCKET_MAX are exact-size. The padded size is part of the
# random stream: changing it changes every random law.
_BUCKET_MAX = 2**12


def _padded_log_gamma(key, count: int, alpha: float) -> jax.Array:
    """The padded draw behind :func:`log_gamma`; its first ``count`` entries are the variates."""
    size = count if count > _BUCKET_MAX else pow2_bucket(count, 8)
    return jax.random.loggamma(key, jnp.float64(alpha), shape=(size,))


def log_gamma(key, count: int, alpha: float) -> jax.Array:
    """``count`` i.i.d. ``log Gamma(alpha, 1)`` variates (log-space: stable for small ``alpha``)."""
    return _padded_log_gamma(key, count, alpha)[:count]


def dirichlet_rows(log_gammas: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    """Normalize i.i.d. log-gamma variates along the last axis: ``Dir(alpha)`` rows of ``shape``.

    ``G_k ~ Gamma(alpha)`` i.i.d. gives ``G / sum G ~ Dir(alpha 1)``; in log space this is a
    softmax (as in ``jax.random.dirichlet``).
    """
    return jax.nn.softmax(log_gammas.reshape(shape), axis=-1)


def random_dirichlet_rows(key, shape: tuple[int, ...], alpha: float) -> jax.Array:
    """Rows ``~ Dir(alpha 1)`` along the last axis of ``shape``, from one log-gamma draw."""
    shape = tuple(int(s) for s in shape)
    return _rows_of_draw(_padded_log_gamma(key, math.prod(shape), alpha), shape)


@functools.partial(jax.jit, static_argnames=("shape",))
def _rows_of_draw(draw: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    return dirichlet_rows(draw[: math.prod(shape)], shape)


def random_markov_parameters(key, q: int, concentration: float) -> tuple[jax.Array, jax.Array]:
    """``(T, mu)``: a ``(q, q)`` transition with rows ``~ Dir(c 1_q)`` and an initial law ``mu``
    ``~ Dir(c 1_q)``, all from one draw of ``q^2 + q`` log-gamma variates."""
    return _markov_of_draw(_padded_log_gamma(key, q * q + q, concentration), q)


@functools.partial(jax.jit, static_argnames=("q",))
def _markov_of_draw(draw: jax.Array, q: int) -> tuple[jax.Array, jax.Array]:
    return dirichlet_rows(draw[: q * q], (q, q)), dirichlet_rows(draw[q * q : q * q + q], (q,))


def random_mixture_parameters(
    key, m: int, n: int, q: int, alpha: float
) -> tuple[jax.Array, jax.Array]:
    """``(w, marginals)``: weights ``w ~ Dir(1_m)``, ``(m, n, q)`` marginals ``Dir(alpha 1_q)``."""
    k_w, k_m = jax.random.split(key)
    return random_dirichlet_rows(k_w, (m,), 1.0), random_dirichlet_rows(k_m, (m, n, q), alpha)
