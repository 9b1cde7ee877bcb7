"""The subset-entropy kernel: ``H(X_S)`` for all ``2^n`` subsets ``S`` in one jitted pass.

Method (the ``(q+1)^n`` marginal transform). Along every axis ``i`` append one extra slice, the sum
over that axis. In the extended table, the entry at index ``(y_1, ..., y_n)`` with ``y_i = q_i``
for ``i not in S`` and ``y_i = x_i`` for ``i in S`` is the marginal ``P(X_S = x_S)``. Applying
``-xlogy(t, t)`` to every entry and, per axis, keeping the "summed-out" slice apart from the sum of
the others, reduces the table to ``2^n`` numbers: ``H(X_S) = -sum_{x_S} P(x_S) log P(x_S)``.

Subsets are encoded as bit masks: bit ``i`` (value ``1 << i``) is set iff position ``i`` is in
``S``.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import xlogy

from mdmjax import _x64
from mdmjax._memory import check_allocation, format_bytes

__all__ = ["subset_entropies", "extended_table", "subset_sizes", "average_subset_entropy"]

# The extended table, its -xlogy image and one concatenation copy are alive at once.
_LIVE_COPIES = 3


def extended_table(probs: jax.Array) -> jax.Array:
    """The ``(q_1+1, ..., q_n+1)`` table of all marginals (index ``q_i`` = summed out)."""
    t = probs
    for axis in range(probs.ndim):
        t = jnp.concatenate([t, jnp.sum(t, axis=axis, keepdims=True)], axis=axis)
    return t


def _reduce_to_subsets(neg_plogp: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    """Per axis: slot 0 = summed-out slice (not in S), slot 1 = sum over values (in S)."""
    t = neg_plogp
    for axis, q in enumerate(shape):
        out = jnp.take(t, q, axis=axis)
        kept = jnp.sum(jax.lax.slice_in_dim(t, 0, q, axis=axis), axis=axis)
        t = jnp.stack([out, kept], axis=axis)
    # C order makes position 0 the most significant bit; reverse so bit i <-> position i.
    return jnp.transpose(t, tuple(reversed(range(len(shape))))).reshape(-1)


@jax.jit
def _subset_entropies_jit(probs: jax.Array) -> jax.Array:
    ext = extended_table(probs)
    return _reduce_to_subsets(-xlogy(ext, ext), probs.shape)


def extended_table_bytes(shape) -> int:
    """Estimated peak bytes of the dense kernel for a table of ``shape``."""
    return math.prod(q + 1 for q in shape) * 8 * _LIVE_COPIES


def subset_entropies(probs) -> jax.Array:
    """``H(X_S)`` in nats for every subset ``S``, as a float64 array of length ``2^n``.

    .. math:: H(X_S) = -\\sum_{x_S} P(X_S = x_S) \\log P(X_S = x_S)

    Args:
      probs: a probability table of shape ``(q_1, ..., q_n)`` (or a :class:`Distribution`).

    Returns:
      ``h`` with ``h[mask] = H(X_S)``, where bit ``i`` of ``mask`` is set iff ``i in S``;
      ``h[0] = 0`` and ``h[2^n - 1] = H(X)``.

    Raises:
      ValueError: the extended table would not fit in memory.
    """
    _x64.require_x64()
    probs = getattr(probs, "probs", probs)
    probs = jnp.asarray(probs, dtype=jnp.float64)
    shape = tuple(probs.shape)
    if not isinstance(probs, jax.core.Tracer):
        need = extended_table_bytes(shape)
        check_allocation(
            need,
            f"the subset-entropy kernel's (q+1)^n extended table for shape {shape}",
            hint=(
                "Reduce n, or use the chunked kernel (mdmjax.entropy.subset_entropies_chunked) "
                "when it is available; estimated need is " + format_bytes(need) + "."
            ),
            argument="probs",
        )
    return _subset_entropies_jit(probs)


@functools.lru_cache(maxsize=64)
def subset_sizes(n: int) -> np.ndarray:
    """``|S|`` for every mask ``0 .. 2^n - 1`` (popcount), as int32."""
    masks = np.arange(2**n, dtype=np.uint32)
    bits = (masks[:, None] >> np.arange(n, dtype=np.uint32)) & 1
    return bits.sum(axis=1).astype(np.int32)


def average_subset_entropy(h: jax.Array, n: int) -> jax.Array:
    """``Hbar_j = mean_{|S| = j} H(X_S)`` for ``j = 0..n``, from the ``2^n`` subset entropies."""
    sizes = jnp.asarray(subset_sizes(n))
    totals = jax.ops.segment_sum(h, sizes, num_segments=n + 1)
    counts = jnp.asarray([math.comb(n, j) for j in range(n + 1)], dtype=jnp.float64)
    return totals / counts
