"""The slab algebra of the subset-entropy kernel, and its fused block (XLA or Pallas).

A *slab* is the part of a table at one value of a group of axes. Extending a group appends,
along each axis ``i``, the "summed out" value ``q_i`` (:func:`extend_slabs`). Reducing sums the
extended slabs by kept/summed pattern (:func:`pattern_totals`). Both are written once here, on
dicts of slabs, and serve three callers:

* the table passes of :mod:`mdmjax.curves._subset_entropy` (slabs are strided views);
* :func:`fused_block` with ``impl="xla"``: one elementwise expression over contiguous slabs;
* :func:`fused_block` with ``impl="pallas"``: the same expression inside a Pallas kernel, one
  program per block of columns, so the marginals live only in registers. On a GPU (Triton)
  this guarantees one read of the input and one write of the output. On a CPU it runs in
  Pallas' interpreter (for tests: the code path a device runs, checked exactly).
"""

from __future__ import annotations

import itertools
import math

import jax
import jax.numpy as jnp

__all__ = ["FUSED_IMPLS", "extend_slabs", "pattern_totals", "neg_xlogx", "fused_block"]

FUSED_IMPLS = ("xla", "pallas")
# Columns per Pallas program (a power of two, as Triton requires).
PALLAS_BLOCK = 256


def neg_xlogx(t: jax.Array) -> jax.Array:
    """``-t log t`` with ``0 log 0 = 0``.

    ``log(max(t, tiny))`` instead of a select keeps XLA's loop vectorized; for ``t`` below the
    smallest normal number the term is below ``1e-305`` either way.
    """
    tiny = jnp.finfo(t.dtype).tiny
    return -t * jnp.log(jnp.maximum(t, tiny))


def extend_slabs(slabs: dict, qs) -> dict:
    """Extend a dict ``value tuple -> slab`` along every axis: add the "summed out" value ``q``.

    Partial sums are shared: the summed slab of axis ``j`` is built from slabs already extended
    along axes ``< j``. Every entry of the result is one marginal of the group's axes.
    """
    slabs = dict(slabs)
    for j, q in enumerate(qs):
        for key in [k for k in slabs if k[j] == 0]:
            total = slabs[key]
            for value in range(1, q):
                total = total + slabs[key[:j] + (value,) + key[j + 1 :]]
            slabs[key[:j] + (q,) + key[j + 1 :]] = total
    return slabs


def pattern_totals(slabs: dict, qs, transform=None) -> list:
    """Sum the extended slabs by kept/summed pattern, in C order of the patterns.

    Pattern bit ``1`` = value kept (``y_i < q_i``, axis in ``S``), ``0`` = summed out. Each slab
    is passed through ``transform`` first (``-x log x`` in the fused block).
    """
    totals: dict[tuple[int, ...], jax.Array] = {}
    for y in itertools.product(*[range(q + 1) for q in qs]):
        pattern = tuple(int(v < q) for v, q in zip(y, qs, strict=True))
        slab = slabs[y] if transform is None else transform(slabs[y])
        totals[pattern] = slab if pattern not in totals else totals[pattern] + slab
    return [totals[s] for s in itertools.product((0, 1), repeat=len(qs))]


def _block_totals(rows, qs) -> list:
    """Pattern totals of ``-x log x`` of the marginals, from the raw slabs ``rows[i]``."""
    values = itertools.product(*[range(q) for q in qs])
    slabs = extend_slabs({x: rows[i] for i, x in enumerate(values)}, qs)
    return pattern_totals(slabs, qs, transform=neg_xlogx)


def _pallas_totals(flat: jax.Array, qs: tuple[int, ...], interpret: bool) -> jax.Array:
    """``(prod q, C) -> (2^f, C)`` by a Pallas kernel, one program per ``PALLAS_BLOCK`` columns."""
    from jax.experimental import pallas as pl

    rows, cols = flat.shape
    block = min(PALLAS_BLOCK, pl.next_power_of_2(cols))

    def kernel(x_ref, o_ref):
        totals = _block_totals([x_ref[i, :] for i in range(rows)], qs)
        for p, total in enumerate(totals):
            o_ref[p, :] = total

    return pl.pallas_call(
        kernel,
        out_shape=jax.ShapeDtypeStruct((2 ** len(qs), cols), flat.dtype),
        grid=(pl.cdiv(cols, block),),
        in_specs=[pl.BlockSpec((rows, block), lambda j: (0, j))],
        out_specs=pl.BlockSpec((2 ** len(qs), block), lambda j: (0, j)),
        interpret=interpret,
    )(flat)


def fused_block(t: jax.Array, count: int, impl: str = "xla") -> jax.Array:
    """Extend, apply ``-x log x`` and reduce the first ``count`` axes of ``t`` in one pass.

    Each of the ``prod q_i`` values of the first axes indexes one contiguous slab of the rest of
    ``t``. The slabs' ``prod (q_i + 1)`` marginals are formed by shared partial sums, put
    through ``-x log x``, and summed into ``2^count`` pattern slabs (axes of size 2, with slot 0
    summed out and slot 1 kept). No table of marginals is stored: ``impl="xla"`` writes it as
    one elementwise expression for XLA to fuse, ``impl="pallas"`` as a Pallas kernel (Pallas'
    interpreter on a CPU). Both give the same sums in the same order.
    """
    qs, rest = t.shape[:count], t.shape[count:]
    flat = t.reshape((math.prod(qs),) + rest)
    if impl == "xla":
        out = jnp.stack(_block_totals(flat, qs), axis=0)
    elif impl == "pallas":
        cols = flat.reshape(flat.shape[0], -1)
        out = _pallas_totals(cols, tuple(qs), jax.default_backend() == "cpu")
    else:
        raise ValueError(f"fused_impl: expected one of {FUSED_IMPLS}, got {impl!r}")
    return out.reshape((2,) * count + rest)
