"""The learning-error and factorization terms of a policy's KL (docs/theory.md §6).

For a fixed partition ``B = (B_1, .., B_T)`` the KL of the sampler driven by a model ``p̂``
splits into a factorization term (the dependence the sampler ignores inside each block) and a
learning term (the model's error on the conditionals it is asked); for ``random(sizes)`` both
are averaged over uniform ordered partitions. :func:`mdmjax.evaluate_policy`
(:mod:`mdmjax.policies._walk`) reports them beside the exact output law.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from mdmjax._src.buckets import pow2_bucket
from mdmjax._src.numerics import kl_terms, safe_log
from mdmjax.curves import subset_entropies
from mdmjax.distribution import Distribution
from mdmjax.models import ext_strides
from mdmjax.policies._chunks import _NODE_BUCKETS, _NODE_BUDGET, _bucket


# ------------------------------------------------------------------------------------------------
# Learning error (docs/theory.md §6)
# ------------------------------------------------------------------------------------------------
def _kl_rows(p, p_hat):
    """``KL(p || p_hat)`` over the last axis; ``inf`` where ``p_hat`` misses mass of ``p``."""
    terms = kl_terms(p, safe_log(p_hat))
    missing = jnp.any((p > 0) & (p_hat <= 0), axis=-1)
    return jnp.where(missing, jnp.inf, jnp.sum(terms, axis=-1))


@jax.jit
def _learning_chunk(truth, model, y, valid, bmask):
    """``sum_{x_A} p(x_A) sum_{i in B} KL(p(.|x_A) || p̂(.|x_A))`` over the valid rows of ``y``."""
    weight = jnp.where(valid, truth.marginal(y), 0.0)
    kl = _kl_rows(truth.conditionals(y), model.conditionals(y))  # (N, n)
    per_node = jnp.sum(jnp.where(bmask[None, :], kl, 0.0), axis=1)
    return jnp.sum(jnp.where(weight > 0, weight * per_node, 0.0))


def _partition_learning(truth, model, shape, blocks) -> float:
    n = len(shape)
    total = 0.0
    revealed: list[int] = []
    for block in blocks:
        grid_shape = tuple(shape[i] for i in revealed)
        size = math.prod(grid_shape)
        bmask = jnp.asarray(np.isin(np.arange(n), block))
        step = max(1, _NODE_BUDGET // (n * max(shape)))
        for lo in range(0, size, step):
            flat = np.arange(lo, min(size, lo + step))
            rows = _bucket(flat.size, _NODE_BUCKETS, max(flat.size, step))
            y = np.broadcast_to(np.asarray(shape, dtype=np.int32), (rows, n)).copy()
            if revealed:
                y[: flat.size, revealed] = np.stack(np.unravel_index(flat, grid_shape), axis=1)
            valid = jnp.asarray(np.arange(rows) < flat.size)
            total += float(_learning_chunk(truth, model, jnp.asarray(y), valid, bmask))
        revealed.extend(block)
    return total


@functools.partial(jax.jit, static_argnames=("chunk",))
def _expected_learning_chunk(truth, model, start, *, chunk):
    """Per ``|A|``: ``sum_{A, x_A} p(x_A) sum_{i not in A} KL(p(.|x_A) || p̂(.|x_A))``."""
    shape = truth.shape
    n = len(shape)
    idx = start + jnp.arange(chunk, dtype=jnp.int64)
    size = math.prod(q + 1 for q in shape)
    valid = idx < size
    strides = jnp.asarray(ext_strides(shape))
    y = ((idx[:, None] // strides[None, :]) % (jnp.asarray(shape)[None, :] + 1)).astype(jnp.int32)
    y = jnp.where(valid[:, None], y, jnp.asarray(shape, dtype=jnp.int32)[None, :])
    masked = y == jnp.asarray(shape, dtype=jnp.int32)[None, :]
    weight = jnp.where(valid, truth.marginal(y), 0.0)
    kl = _kl_rows(truth.conditionals(y), model.conditionals(y))
    per_node = jnp.sum(jnp.where(masked, kl, 0.0), axis=1)
    contrib = jnp.where(weight > 0, weight * per_node, 0.0)
    revealed = n - jnp.sum(masked, axis=1)
    return jax.ops.segment_sum(contrib, revealed, num_segments=n + 1)


def _expected_learning(truth, model, sizes) -> float:
    """``E_B sum_t sum_{i in B_t} E_p KL(..)`` over uniform ordered partitions with ``sizes``.

    Position ``i`` of block ``t`` sees a uniform ``A`` of size ``N_{t-1}`` not containing ``i``,
    so the expectation is ``sum_t s_t L(N_{t-1})``, ``L(m)`` the mean of the per-``(A, i)``
    learning term over ``|A| = m``.
    """
    shape = truth.shape
    n = len(shape)
    size = math.prod(q + 1 for q in shape)
    chunk = pow2_bucket(min(size, max(64, _NODE_BUDGET // (n * max(shape)))))
    sums = np.zeros(n + 1)
    for lo in range(0, size, chunk):
        sums += np.asarray(
            _expected_learning_chunk(truth, model, jnp.asarray(lo, dtype=jnp.int64), chunk=chunk)
        )
    mean = [sums[m] / (math.comb(n, m) * (n - m)) for m in range(n)]
    before = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    return float(sum(s * mean[int(b)] for s, b in zip(sizes, before, strict=True)))


def _partition_factorization(d: Distribution, blocks) -> float:
    """``sum_t [sum_{i in B_t} H(X_i | X_{A_t}) - H(X_{B_t} | X_{A_t})]`` (docs/theory.md §2)."""
    h = np.asarray(subset_entropies(d.probs))
    total = 0.0
    a = 0
    for block in blocks:
        b = sum(1 << i for i in block)
        total += sum(h[a | (1 << i)] - h[a] for i in block) - (h[a | b] - h[a])
        a |= b
    return float(total)
