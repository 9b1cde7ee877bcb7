"""The subset-entropy kernel: ``H(X_S)`` for all ``2^n`` subsets ``S``, chunked and sharded.

Method (the ``(q+1)^n`` marginal transform). Along every axis ``i`` append one extra slice, the
sum over that axis. In the extended table, the entry at index ``(y_1, ..., y_n)`` with
``y_i = q_i`` for ``i not in S`` and ``y_i = x_i`` for ``i in S`` is the marginal
``P(X_S = x_S)``. Applying ``-x log x`` to every entry and, per axis, keeping the "summed-out"
slice apart from the sum of the others, reduces the table to ``2^n`` numbers:
``H(X_S) = -sum_{x_S} P(x_S) log P(x_S)``.

Chunking. The extended table has ``(q+1)^n`` entries (28 GB for ``n = 20`` binary positions), so
it is never built whole. The leading ``m`` axes are extended first (a table of
``prod_{i<m}(q_i+1) * prod_{i>=m} q_i`` entries); each of its *rows*, one per kept/summed pattern
``(y_1..y_m)`` of the leading axes, is the law of the trailing ``n - m`` positions restricted to
that pattern. A ``lax.scan`` streams over the rows, extends each over the trailing axes, applies
``-x log x`` and reduces it to ``2^(n-m)`` partial sums; a final reduction over the leading axes
gives the ``2^n`` entropies. The number ``m`` of leading axes and the rows per scan step are chosen
by :func:`plan_subset_entropies` from the memory guard and the backend.

Fused block. Within a row, the first ``f`` axes are never extended as a table. Each of their
``prod q_i`` values indexes one contiguous slab of the row, with the other axes already extended.
The slabs' ``prod (q_i + 1)`` marginals are formed by shared partial sums, transformed by
``-x log x``, and summed into ``2^f`` pattern slabs. All of this is one elementwise expression
that XLA compiles to one fusion, with unit-stride reads and writes.
The table kept in memory shrinks by ``prod (q_i+1)/q_i`` (``(3/2)^5 = 7.6`` for five bits) and
the traffic of the passes over it with it: on an accelerator the kernel is bound by memory
traffic, not by its ``(q+1)^n`` logarithms (the block is sized for that case; its GPU timing is
recorded by ``benchmarks/fused_axes.py`` when a device is at hand). The block
size is per backend (``_FUSED_ENTRIES``; ``f = 2`` on a CPU, where a row already stays in
cache, measured by ``benchmarks/fused_axes.py``). The numbers are the same sums in another order:
agreement with the unfused kernel is to rounding (at most ``8e-15`` in the measurements).

Sharding. With several devices the rows are split over a one-dimensional mesh with
``jax.shard_map`` (:mod:`mdmjax.sharding`); the per-row results are gathered and reduced exactly as
on one device.

Subsets are encoded as bit masks: bit ``i`` (value ``1 << i``) is set iff position ``i`` is in
``S``.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

from mdmjax._src.memory import format_bytes, memory_limit
from mdmjax._src.precision import require_float64, scoped_x64
from mdmjax._src.subsets import subset_bits
from mdmjax._src.tables import as_probability_table
from mdmjax._src.validate import as_choice, as_positive_int
from mdmjax.curves._fused_block import (
    FUSED_IMPLS,
    extend_slabs,
    fused_block,
    neg_xlogx,
    pattern_totals,
)
from mdmjax.distribution import Distribution
from mdmjax.sharding import STATE_AXIS, device_memory_limit, num_shards, resolve_mesh

__all__ = [
    "subset_entropies",
    "plan_subset_entropies",
    "subset_entropy_kernel",
    "SubsetEntropyPlan",
    "extended_table",
    "extended_table_bytes",
    "subset_sizes",
    "average_subset_entropy",
]

# Entries of one trailing extended table (one row's work): small enough to stay in cache on a
# CPU, large enough to fill an accelerator.
_TARGET_INNER = {"cpu": 2**16}
_TARGET_INNER_ACCELERATOR = 2**27
# Entries processed per scan step (rows per step times the trailing extended size).
_TARGET_STEP = {"cpu": 2**16}  # one row per step measured fastest on a CPU
_TARGET_STEP_ACCELERATOR = 2**27
# Marginals per fused block (a row's first axes extended, transformed and reduced in one elementwise
# fusion, never stored): 3^5 = 243 for bits, 4^4 = 256 for ternary positions. On an accelerator
# the kernel is bound by memory traffic, and each fused axis divides the table kept in memory by
# (q+1)/q. On a CPU blocks of up to 9 marginals (2 bits, 1 ternary position) measured fastest:
# 1.44/1.58/1.62 of the roofline against 1.41/1.41/1.43 unfused at n = 16/18/20 binary, 0.99
# against 0.95 at n = 13 ternary (docs/bench_cpu_fused_axes.json); larger blocks compile slower
# and gain nothing there.
_FUSED_ENTRIES = {"cpu": 9}
_FUSED_ENTRIES_ACCELERATOR = 256
# Live copies of one row's extended table while it is extended, transformed and reduced.
_LIVE_COPIES = 3


def _backend_of(mesh) -> str:
    if mesh is not None:
        return mesh.devices.flat[0].platform
    return jax.default_backend()


# ------------------------------------------------------------------------------------------------
# Building blocks (pure, traceable)
# ------------------------------------------------------------------------------------------------
# Axes are processed in groups whose extended size stays within _GROUP_SLABS: one XLA fusion per
# group instead of one per axis, i.e. fewer passes over the table and a smaller program.
_GROUP_SLABS = 16


def _axis_groups(axes, sizes) -> list[list[int]]:
    """Consecutive runs of ``axes`` with ``prod(q_i + 1) <= _GROUP_SLABS`` per run."""
    groups, current, extent = [], [], 1
    for axis, q in zip(axes, sizes, strict=True):
        if current and (extent * (q + 1) > _GROUP_SLABS or axis != current[-1] + 1):
            groups.append(current)
            current, extent = [], 1
        current.append(axis)
        extent *= q + 1
    if current:
        groups.append(current)
    return groups


def _group_view(t: jax.Array, first: int, count: int, extent: int):
    """``t`` as ``(lead, extent, trail)`` around axes ``first .. first+count-1``."""
    lead = math.prod(t.shape[:first])
    trail = math.prod(t.shape[first + count :])
    return t.reshape(lead, extent, trail)


def _extend_axes(t: jax.Array, axes) -> jax.Array:
    """Append along each of ``axes`` the slice summed over that axis.

    Within a group of axes every extended slab is built from the group's slabs by additions
    (partial sums shared), and the group's output is one stack of slabs.
    """
    axes = list(axes)
    for group in _axis_groups(axes, [t.shape[a] for a in axes]):
        first, qs = group[0], [t.shape[a] for a in group]
        view = _group_view(t, first, len(group), math.prod(qs))
        values = itertools.product(*[range(q) for q in qs])
        slabs = extend_slabs({x: view[:, i, :] for i, x in enumerate(values)}, qs)
        order = itertools.product(*[range(q + 1) for q in qs])
        stacked = jnp.stack([slabs[y] for y in order], axis=1)
        t = stacked.reshape(t.shape[:first] + tuple(q + 1 for q in qs) + t.shape[first + len(qs) :])
    return t


@scoped_x64
def extended_table(probs: jax.Array) -> jax.Array:
    """The ``(q_1+1, ..., q_n+1)`` table of all marginals (index ``q_i`` = summed out).

    Args:
      probs: a ``(q_1, .., q_n)`` probability table (a JAX array; pure, jittable).

    Returns:
      the extended table: entry ``y`` is ``P(x_A = y_A)`` with ``A = {i : y_i < q_i}``.

    Examples:
      >>> import jax, jax.numpy as jnp, numpy as np, mdmjax as mdm
      >>> with jax.enable_x64(True):
      ...     t = mdm.curves.extended_table(jnp.array([[0.4, 0.1], [0.1, 0.4]]))
      >>> np.asarray(t).round(12).tolist()  # row 2 / column 2: that position summed out
      [[0.4, 0.1, 0.5], [0.1, 0.4, 0.5], [0.5, 0.5, 1.0]]
    """
    return _extend_axes(probs, range(probs.ndim))


def _reduce_axes(t: jax.Array, axes, sizes) -> jax.Array:
    """Per axis: slot 0 = summed-out slice (not in S), slot 1 = sum over the values (in S).

    Grouped like :func:`_extend_axes`: each extended slab of a group is added to the one output
    slab of its kept/summed pattern, so every entry is read once per group.
    """
    axes, sizes = list(axes), list(sizes)
    for group in _axis_groups(axes, sizes):
        first = group[0]
        qs = [sizes[axes.index(a)] for a in group]
        view = _group_view(t, first, len(group), math.prod(q + 1 for q in qs))
        values = itertools.product(*[range(q + 1) for q in qs])
        totals = pattern_totals({y: view[:, i, :] for i, y in enumerate(values)}, qs)
        t = jnp.stack(totals, 1).reshape(
            t.shape[:first] + (2,) * len(qs) + t.shape[first + len(qs) :]
        )
    return t


def _row_subset_sums(row: jax.Array, fused_axes: int = 0, fused_impl: str = "xla") -> jax.Array:
    """``sum_{x_S} -P log P`` over one row, for every subset ``S`` of its axes (bit i = axis i).

    The last ``k - fused_axes`` axes are extended as a table. The first ``fused_axes`` are
    extended, transformed and reduced in one fused block (:func:`fused_block`). Then the others
    are reduced.
    """
    k = row.ndim
    f = fused_axes
    t = _extend_axes(row, range(f, k))
    t = fused_block(t, f, fused_impl) if f else neg_xlogx(t)
    t = _reduce_axes(t, range(f, k), row.shape[f:])
    # C order makes axis 0 the most significant bit; reverse so bit i <-> axis i.
    return jnp.transpose(t, tuple(reversed(range(k)))).reshape(-1)


# ------------------------------------------------------------------------------------------------
# The plan: how many leading axes to stream over, and how many rows per step
# ------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class SubsetEntropyPlan:
    """How :func:`subset_entropies` chunks one table.

    Attributes:
      shape: the alphabet sizes ``(q_1, .., q_n)``.
      outer_axes: ``m``, the number of leading axes extended up front; the scan streams over
        their ``prod_{i<m}(q_i+1)`` kept/summed patterns (rows).
      rows_per_step: rows vmapped together in one scan step.
      num_devices: devices the rows are sharded over.
      itemsize: bytes per float (8 for float64, 4 for float32).
      bytes: the estimated peak bytes per device.
      fused_axes: ``f``, the number of a row's first axes (axes ``m .. m+f-1``) extended,
        transformed and reduced in one fused elementwise block (no intermediate table for them);
        ``0``: none.
      fused_impl: how the fused block runs: ``"xla"`` (an elementwise expression XLA fuses) or
        ``"pallas"`` (a Pallas kernel; Pallas' interpreter on a CPU).

    Examples:
      Streaming over the first axis of a ``(2, 3, 2)`` table: ``q_0 + 1 = 3`` rows of
      ``4 · 3 = 12`` marginals each, ``3 · 4 · 3 = 36`` in all:

      >>> import mdmjax as mdm
      >>> plan = mdm.curves.plan_subset_entropies((2, 3, 2), outer_axes=1)
      >>> plan.outer_axes, plan.rows, plan.inner_entries, plan.entries
      (1, 3, 12, 36)
    """

    shape: tuple[int, ...]
    outer_axes: int
    rows_per_step: int
    num_devices: int
    itemsize: int
    bytes: int
    fused_axes: int = 0
    fused_impl: str = "xla"

    @property
    @scoped_x64
    def rows(self) -> int:
        """Number of rows ``prod_{i<m}(q_i+1)``."""
        return math.prod(q + 1 for q in self.shape[: self.outer_axes])

    @property
    @scoped_x64
    def padded_rows(self) -> int:
        """Rows after padding to a multiple of ``rows_per_step * num_devices``."""
        block = self.rows_per_step * self.num_devices
        return -(-self.rows // block) * block

    @property
    @scoped_x64
    def inner_entries(self) -> int:
        """Marginals of one row, ``prod_{i>=m}(q_i+1)`` (the ``x log x`` count per row)."""
        return math.prod(q + 1 for q in self.shape[self.outer_axes :])

    @property
    @scoped_x64
    def materialized_entries(self) -> int:
        """Entries of one row's table in memory: the fused axes stay unextended."""
        return _materialized(self.shape, self.outer_axes, self.fused_axes)

    @property
    @scoped_x64
    def entries(self) -> int:
        """Entries of the whole extended table, ``prod_i (q_i+1)``: the ``x log x`` count."""
        return math.prod(q + 1 for q in self.shape)


def _materialized(shape, m: int, f: int) -> int:
    """Entries of one row's table: the ``f`` fused axes ``m .. m+f-1`` raw, the rest extended."""
    return math.prod(shape[m : m + f]) * math.prod(q + 1 for q in shape[m + f :])


def _fusable(shape, m: int, max_entries: int) -> int:
    """The most axes from ``m`` on whose marginals number ``<= max_entries``."""
    f, extent = 0, 1
    for q in shape[m:]:
        if extent * (q + 1) > max_entries:
            break
        f, extent = f + 1, extent * (q + 1)
    return f


def _plan_bytes(shape, m: int, rows_per_step: int, devices: int, itemsize: int, f: int) -> int:
    n = len(shape)
    table = math.prod(shape)
    rows = math.prod(q + 1 for q in shape[:m])
    inner_raw = math.prod(shape[m:])
    inner_ext = _materialized(shape, m, f)
    block = rows_per_step * devices
    padded = -(-rows // block) * block
    entries = (
        2 * table  # the input, and its copy on the device
        + (2 * rows * inner_raw if m else 0)  # the leading-axes extension: old and new copy
        + padded * inner_raw  # the padded rows
        + _LIVE_COPIES * rows_per_step * inner_ext  # one scan step
        + 2 * padded * 2 ** (n - m)  # per-row results, and the reduction over leading axes
        + 2 * 2**n  # the output
    )
    return entries * itemsize


@scoped_x64
def plan_subset_entropies(
    shape,
    *,
    dtype=jnp.float64,
    num_devices: int = 1,
    limit: int | None = None,
    backend: str | None = None,
    outer_axes: int | None = None,
    rows_per_step: int | None = None,
    fused_axes: int | None = None,
    fused_impl: str = "xla",
    batched: bool = False,
) -> SubsetEntropyPlan:
    """Choose the chunking of :func:`subset_entropies` for a table of ``shape``.

    The smallest number ``m`` of leading axes is taken whose trailing extended table fits the
    backend's chunk target and whose estimated peak bytes fit ``limit``; if none does, the ``m``
    with the smallest estimate is taken. The rows per step fill the step target.

    Args:
      shape: alphabet sizes ``(q_1, .., q_n)``.
      dtype: ``float64`` (exact) or ``float32``.
      num_devices: devices the rows are sharded over.
      limit: bytes allowed per device; default :func:`mdmjax._src.memory.memory_limit`, and on an
        accelerator at most 90% of its ``bytes_limit``.
      backend: ``"cpu"``, ``"gpu"`` or ``"tpu"``; default ``jax.default_backend()``.
      outer_axes: force ``m`` (for tests and benchmarks).
      rows_per_step: force the rows per step.
      fused_axes: force the number of a row's first axes handled in one fused block (at most
        ``n - m``); default: as many as keep the block within the backend's size
        (``_FUSED_ENTRIES``).
      fused_impl: ``"xla"`` (default) or ``"pallas"`` (GPU via Triton, or Pallas' interpreter on
        a CPU; not on a TPU, which has no float64).
      batched: the kernel runs under ``jax.vmap`` (batch size unknown): smaller rows, so that a
        batch of them still fits in cache.

    Returns:
      a :class:`SubsetEntropyPlan`.

    Raises:
      ValueError: no chunking fits ``limit``; the message gives the smallest estimate and the
        limit.

    Examples:
      Any plan gives the same entropies; forcing one outer axis on three fair bits still gives
      ``H(X_S) = |S| ln 2``:

      >>> import math, numpy as np, mdmjax as mdm
      >>> plan = mdm.curves.plan_subset_entropies((2, 2, 2), outer_axes=1, rows_per_step=1)
      >>> plan.shape, plan.rows, plan.bytes > 0
      ((2, 2, 2), 3, True)
      >>> h = mdm.subset_entropies(np.full((2, 2, 2), 0.125), plan=plan)
      >>> bool(np.allclose(h, mdm.curves.subset_sizes(3) * math.log(2)))
      True
    """
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__iter__"):
        raise ValueError(f"shape: expected a sequence of alphabet sizes, got {shape!r}")
    shape = tuple(as_positive_int(q, "shape") for q in shape)
    n = len(shape)
    if outer_axes is not None:
        outer_axes = as_positive_int(outer_axes, "outer_axes", minimum=0)
    if fused_axes is not None:
        fused_axes = as_positive_int(fused_axes, "fused_axes", minimum=0)
    if rows_per_step is not None:
        rows_per_step = as_positive_int(rows_per_step, "rows_per_step")
    fused_impl = as_choice(fused_impl, FUSED_IMPLS, "fused_impl")
    itemsize = int(np.dtype(dtype).itemsize)
    if limit is None:
        limit = memory_limit()
        device_limit = device_memory_limit() if backend != "cpu" else None
        if device_limit is not None:  # an accelerator's own memory, with 10% headroom
            limit = min(limit, int(0.9 * device_limit))
    limit = int(limit)
    backend = backend or jax.default_backend()
    if fused_impl == "pallas" and backend == "tpu":
        raise ValueError("fused_impl: 'pallas' runs on a GPU or (interpreted) a CPU, not a TPU")
    target_inner = _TARGET_INNER.get(backend, _TARGET_INNER_ACCELERATOR)
    target_step = _TARGET_STEP.get(backend, _TARGET_STEP_ACCELERATOR)
    fused_entries = _FUSED_ENTRIES.get(backend, _FUSED_ENTRIES_ACCELERATOR)
    if batched:
        target_inner, target_step = min(target_inner, 2**13), min(target_step, 2**13)

    if fused_axes is not None and not 0 <= fused_axes <= n:
        raise ValueError(f"fused_axes: must lie in [0, {n}], got {fused_axes}")

    def fused_for(m: int) -> int:
        if fused_axes is not None:
            return min(fused_axes, n - m)
        return _fusable(shape, m, fused_entries)

    def steps_for(m: int) -> int:
        rows = math.prod(q + 1 for q in shape[:m])
        inner = _materialized(shape, m, fused_for(m))
        per_device = -(-rows // num_devices)
        b = max(1, min(per_device, target_step // inner))
        return 1 << (b.bit_length() - 1)  # a power of two

    candidates = [outer_axes] if outer_axes is not None else list(range(n + 1))
    if outer_axes is not None and not 0 <= outer_axes <= n:
        raise ValueError(f"outer_axes: must lie in [0, {n}], got {outer_axes}")
    if outer_axes is not None and fused_axes is not None and fused_axes > n - outer_axes:
        raise ValueError(
            f"fused_axes: at most n - outer_axes = {n - outer_axes} axes can be fused, "
            f"got {fused_axes}"
        )
    fits = []
    for m in candidates:
        b, f = rows_per_step or steps_for(m), fused_for(m)
        need = _plan_bytes(shape, m, b, num_devices, itemsize, f)
        while rows_per_step is None and need > limit and b > 1:
            b //= 2  # fewer rows per step before more leading axes
            need = _plan_bytes(shape, m, b, num_devices, itemsize, f)
        fits.append((m, b, need, _materialized(shape, m, f)))
    good = [f for f in fits if f[2] <= limit and (f[3] <= target_inner or f[0] == n)]
    if not good:
        good = [f for f in fits if f[2] <= limit]
    if not good:
        m, b, need, _ = min(fits, key=lambda f: f[2])
        raise ValueError(
            f"probs: the subset-entropy kernel for shape {shape} needs at least an estimated "
            f"{format_bytes(need)} ({need} bytes) per device even when chunked (over {m} leading "
            f"axes), over the memory limit of {format_bytes(limit)} ({limit} bytes; set "
            "MDMJAX_MEMORY_LIMIT to change it). Shard over more devices (mesh=...), or reduce n."
        )
    m, b, need, _ = good[0]
    return SubsetEntropyPlan(shape, m, b, num_devices, itemsize, need, fused_for(m), fused_impl)


@scoped_x64
def extended_table_bytes(shape) -> int:
    """Estimated peak bytes of the unchunked kernel (the whole extended table, 3 live copies)."""
    return math.prod(q + 1 for q in shape) * 8 * _LIVE_COPIES


# ------------------------------------------------------------------------------------------------
# The kernel
# ------------------------------------------------------------------------------------------------
def _scan_rows(rows: jax.Array, fused_axes: int, fused_impl: str) -> jax.Array:
    """``rows`` of shape ``(steps, B, *inner)`` -> per-row subset sums ``(steps * B, 2^k)``."""
    row_sums = functools.partial(_row_subset_sums, fused_axes=fused_axes, fused_impl=fused_impl)

    def body(carry, block):
        return carry, jax.vmap(row_sums)(block)

    _, out = lax.scan(body, None, rows)
    return out.reshape(-1, out.shape[-1])


def _kernel(probs: jax.Array, plan: SubsetEntropyPlan, mesh) -> jax.Array:
    shape = plan.shape
    n, m = len(shape), plan.outer_axes
    inner = shape[m:]
    rows = _extend_axes(probs, range(m)).reshape((plan.rows,) + inner)
    pad = plan.padded_rows - plan.rows
    if pad:
        # Zero rows contribute -0 log 0 = 0 and are dropped below.
        rows = jnp.concatenate([rows, jnp.zeros((pad,) + inner, rows.dtype)], axis=0)
    rows = rows.reshape((-1, plan.rows_per_step) + inner)
    scan_rows = functools.partial(
        _scan_rows, fused_axes=plan.fused_axes, fused_impl=plan.fused_impl
    )
    if mesh is None:
        out = scan_rows(rows)
    else:
        out = jax.shard_map(scan_rows, mesh=mesh, in_specs=P(STATE_AXIS), out_specs=P(STATE_AXIS))(
            rows
        )
        # Gather the per-row results so that the reduction below is the single-device one.
        out = lax.with_sharding_constraint(out, NamedSharding(mesh, P()))
    out = out[: plan.rows].reshape(tuple(q + 1 for q in shape[:m]) + (2 ** (n - m),))
    t = _reduce_axes(out, range(m), shape[:m])
    # Final mask = leading mask | (trailing mask << m): the trailing index is most significant.
    h = jnp.transpose(t, (m,) + tuple(reversed(range(m)))).reshape(-1)
    return jnp.where(h == 0, 0.0, h)  # -1 log 1 is -0.0; report +0.0


@functools.lru_cache(maxsize=32)
def _compiled_kernel(plan: SubsetEntropyPlan, mesh):
    fn = functools.partial(_kernel, plan=plan, mesh=mesh)
    if mesh is None:
        return jax.jit(fn)
    return jax.jit(fn, out_shardings=NamedSharding(mesh, P()))


def subset_entropy_kernel(plan: SubsetEntropyPlan, mesh=None):
    """The jitted subset-entropy kernel of a plan: ``fn(probs) -> H``, ``H[S]`` for every ``S``.

    What :func:`subset_entropies` runs after validating its input, exposed so that a caller can
    compile it apart from running it (``fn.lower(x).compile()``), as ``mdmjax bench`` does to time
    compilation and the run separately. ``probs`` must be a JAX array of ``plan``'s shape and
    dtype (x64 on for float64); nothing is validated. docs/theory.md §2.2.

    Args:
      plan: from :func:`plan_subset_entropies`.
      mesh: the ``jax.sharding.Mesh`` the plan was made for (``None``: one device).

    Returns:
      a jitted function of the table.

    Examples:
      >>> import jax, jax.numpy as jnp, mdmjax as mdm
      >>> plan = mdm.curves.plan_subset_entropies((2, 2))
      >>> with jax.enable_x64(True):
      ...     h = mdm.curves.subset_entropy_kernel(plan)(jnp.full((2, 2), 0.25))
      >>> [round(float(v), 6) for v in h]
      [0.0, 0.693147, 0.693147, 1.386294]
    """
    return _compiled_kernel(plan, mesh)


@scoped_x64
def subset_entropies(
    probs,
    *,
    dtype=jnp.float64,
    mesh=None,
    plan: SubsetEntropyPlan | None = None,
) -> jax.Array:
    """``H(X_S)`` in nats for every subset ``S``, as an array of length ``2^n``.

    .. math:: H(X_S) = -\\sum_{x_S} P(X_S = x_S) \\log P(X_S = x_S)

    All ``prod_i (q_i+1)`` marginal entries are computed by the ``(q+1)^n`` transform, streamed
    over the kept/summed patterns of a block of leading axes so that memory stays within the
    guard (see the module docstring). Works under ``jax.jit`` and ``jax.vmap`` (the chunking is
    then chosen from the per-example shape, and the memory guard is the caller's business).

    Args:
      probs: a :class:`Distribution`, or a probability table of shape ``(q_1, ..., q_n)``,
        validated exactly as :meth:`Distribution.from_probs` does and renormalized in float64
        (a table normalized in float32 is accepted); a traced table (inside the caller's
        ``jit``/``vmap``) is checked for dtype and shape only.
      dtype: ``float64`` (default; exact) or ``float32`` (faster on accelerators; its error is
        measured by ``mdmjax bench --float32``, typically ``1e-6`` relative).
      mesh: ``None`` (shard the rows over all devices when there are several), ``False`` (one
        device), or a one-dimensional :class:`jax.sharding.Mesh` (:mod:`mdmjax.sharding`).
      plan: a :class:`SubsetEntropyPlan` from :func:`plan_subset_entropies`; default: automatic.

    Returns:
      ``h`` with ``h[mask] = H(X_S)``, where bit ``i`` of ``mask`` is set iff ``i in S``;
      ``h[0] = 0`` and ``h[2^n - 1] = H(X)``.

    Raises:
      ValueError: ``probs`` is not a valid table (strings, ragged lists, bool or complex dtypes,
        0-d or empty arrays, negative, NaN or infinite entries, a total mass off 1: the message
        starts with ``"probs: "``); no chunking fits the memory limit (the message gives the
        estimate and the limit); or ``dtype``/``mesh``/``plan`` is invalid.

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> h = mdm.subset_entropies(np.full((2, 2), 0.25))
      >>> np.round(np.asarray(h) / np.log(2), 12).tolist()
      [0.0, 1.0, 1.0, 2.0]
    """
    dtype = np.dtype(dtype)
    if dtype not in (np.dtype(np.float64), np.dtype(np.float32)):
        raise ValueError(f"dtype: expected float64 or float32, got {dtype}")
    if isinstance(probs, Distribution):
        probs = probs.probs  # validated when it was built
    else:  # a raw table: the checks of Distribution.from_probs, then renormalized in float64
        probs = as_probability_table(probs, "probs")
    traced = isinstance(probs, jax.core.Tracer)
    if traced and dtype == np.dtype(np.float64):
        require_float64(probs, "probs")
    if isinstance(probs, jax.Array):
        probs = probs.astype(dtype)
    else:  # host data stays on the host until the jitted kernel places it (also multi-host)
        probs = np.asarray(probs, dtype=dtype)
    shape = tuple(probs.shape)
    mesh = resolve_mesh(mesh, traced=traced)
    if plan is None:
        if traced:
            plan = plan_subset_entropies(
                shape,
                dtype=dtype,
                num_devices=1,
                limit=2**62,
                backend=jax.default_backend(),
                batched=True,
            )
        else:
            plan = plan_subset_entropies(
                shape, dtype=dtype, num_devices=num_shards(mesh), backend=_backend_of(mesh)
            )
    elif not isinstance(plan, SubsetEntropyPlan) or plan.shape != shape:
        raise ValueError(f"plan: expected a SubsetEntropyPlan for shape {shape}, got {plan!r}")
    elif plan.num_devices != num_shards(mesh) or plan.itemsize != dtype.itemsize:
        raise ValueError(
            f"plan: made for {plan.num_devices} device(s) and {plan.itemsize}-byte floats, but "
            f"the call uses {num_shards(mesh)} device(s) and {dtype.itemsize}-byte floats"
        )
    return _compiled_kernel(plan, mesh)(probs)


@functools.lru_cache(maxsize=64)
@scoped_x64
def subset_sizes(n: int) -> np.ndarray:
    """``|S|`` for every mask ``0 .. 2^n - 1`` (popcount), as int32.

    Args:
      n: number of positions.

    Returns:
      int32 ``(2^n,)``; entry ``mask`` is the number of set bits of ``mask``.

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.curves.subset_sizes(3).tolist()  # masks 0b000 .. 0b111
      [0, 1, 1, 2, 1, 2, 2, 3]
    """
    return subset_bits(n).sum(axis=1).astype(np.int32)


@scoped_x64
def average_subset_entropy(h: jax.Array, n: int) -> jax.Array:
    """``Hbar_j = mean_{|S| = j} H(X_S)`` for ``j = 0..n``, from the ``2^n`` subset entropies.

    Args:
      h: float64 ``(2^n,)`` subset entropies (:func:`mdmjax.subset_entropies`).
      n: number of positions.

    Returns:
      float64 ``(n+1,)``.

    Raises:
      ValueError: ``h`` not float64.

    Examples:
      Three repeated bits have ``H(X_S) = ln 2`` for every non-empty ``S``:

      >>> import math, numpy as np, mdmjax as mdm
      >>> h = mdm.subset_entropies(mdm.families.repetition(3, 2))
      >>> np.round(np.asarray(mdm.curves.average_subset_entropy(h, 3)) / math.log(2), 12).tolist()
      [0.0, 1.0, 1.0, 1.0]
    """
    require_float64(h, "h")
    h = jnp.asarray(h, dtype=jnp.float64)  # a concrete float32 input is computed on in float64
    counts = np.asarray([math.comb(n, j) for j in range(n + 1)], dtype=np.float64)
    return _size_means(h, subset_sizes(n), counts)


@jax.jit
def _size_means(h: jax.Array, sizes: jax.Array, counts: jax.Array) -> jax.Array:
    return jax.ops.segment_sum(h, sizes, num_segments=counts.shape[0]) / counts
