"""Shared subset and stride tables: bit tables of masks, combinations, table strides.

One home for each (docs/theory.md §2.2, §7.9): a subset ``S`` of positions ``0..n-1`` is the bit
mask ``sum_{i in S} 2^i``; the extended table of a law of shape ``(q_1, .., q_n)`` has shape
``(q_1 + 1, .., q_n + 1)`` (value ``q_i`` at position ``i`` means "summed out"). Names carry no
underscore: they are shared on purpose within the package.
"""

from __future__ import annotations

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["mask_bits", "subset_bits", "combinations", "combinations_mask", "strides"]
__all__ += ["ext_strides"]


def mask_bits(masks, n: int):
    """Bit ``i`` of every mask: a bool array ``(len(masks), n)`` (NumPy in, NumPy out; else JAX).

    Examples:
      >>> import numpy as np
      >>> mask_bits(np.array([0, 5]), 3).tolist()
      [[False, False, False], [True, False, True]]
    """
    if isinstance(masks, jax.Array):
        return ((masks[:, None] >> jnp.arange(n, dtype=masks.dtype)[None, :]) & 1) == 1
    masks = np.asarray(masks)
    return ((masks[:, None] >> np.arange(n, dtype=masks.dtype)) & 1).astype(bool)


def subset_bits(n: int) -> np.ndarray:
    """The bit table of all ``2^n`` subsets of ``n`` positions, in mask order: ``(2^n, n)`` bool.

    Examples:
      >>> subset_bits(2).tolist()
      [[False, False], [True, False], [False, True], [True, True]]
    """
    return mask_bits(np.arange(2**n, dtype=np.int64), n)


def combinations(m: int, s: int) -> np.ndarray:
    """The ``C(m, s)`` subsets of ``s`` among ``0..m-1`` as sorted index rows ``(C(m, s), s)``.

    In ``itertools.combinations`` order, int64.

    Examples:
      >>> combinations(3, 2).tolist()
      [[0, 1], [0, 2], [1, 2]]
    """
    return np.asarray(list(itertools.combinations(range(m), s)), dtype=np.int64)


def combinations_mask(m: int, s: int) -> np.ndarray:
    """All ``C(m, s)`` subsets of ``s`` among ``m`` slots, as a bool array ``(C(m, s), m)``.

    Built from the ``2^m`` bit masks (vectorized) for ``m <= 20``, rows in increasing mask
    order; from :func:`combinations` above that (the table itself is the cost there).

    Examples:
      >>> combinations_mask(3, 2).astype(int).tolist()
      [[1, 1, 0], [1, 0, 1], [0, 1, 1]]
    """
    if m > 20:
        idx = combinations(m, s)
        rows = np.zeros((idx.shape[0], m), dtype=bool)
        rows[np.arange(idx.shape[0])[:, None], idx] = True
        return rows
    bits = subset_bits(m)
    return bits[bits.sum(axis=1) == s]


def strides(dims) -> np.ndarray:
    """C-order strides (in entries) of a table of shape ``dims``, as int64.

    Examples:
      >>> strides((2, 3, 4)).tolist()
      [12, 4, 1]
    """
    dims = [int(d) for d in dims]
    return np.asarray([math.prod(dims[i + 1 :]) for i in range(len(dims))], dtype=np.int64)


def ext_strides(shape) -> np.ndarray:
    """C-order strides of the extended ``(q_1+1, .., q_n+1)`` table, as int64.

    Examples:
      >>> ext_strides((2, 2)).tolist()
      [3, 1]
    """
    return strides([q + 1 for q in shape])
