"""The random-order sampler's output law, by dynamic programming over the subset lattice.

The sampler with sizes ``s = (s_1..s_k)`` draws a uniformly random ordered partition
``B_1..B_k`` with those sizes and outputs ``nu_B``, so its output law is the mixture
(docs/theory.md §1; Chen–Cong–Li 2026, Lavenant–Zanella 2025)

.. math:: \\nu(x) = \\frac{1}{\\#} \\sum_B \\prod_t \\prod_{i \\in B_t}
          \\frac{P(x_{A_t \\cup i})}{P(x_{A_t})}, \\qquad \\# = \\frac{n!}{\\prod_t s_t!},

with ``A_t = B_1 ∪ .. ∪ B_{t-1}``. An ordered partition is a chain ``∅ = A_1 ⊂ .. ⊂ A_{k+1} =
[n]`` with ``|A_{t+1}| = N_t``, and the weight of a chain is a product of one factor per link, so
for each outcome ``x`` the sum over chains is a forward pass over the lattice of subsets:

.. math:: F_0(∅) = 1, \\qquad
          F_t(A') = \\sum_{A \\subset A',\\ |A| = N_{t-1}} F_{t-1}(A)
          \\prod_{i \\in A' \\setminus A} \\frac{P(x_{A \\cup i})}{P(x_A)}, \\qquad
          \\nu(x) = F_k([n]) / \\#.

Work per outcome is ``sum_t C(n, N_t) C(N_t, s_t) s_t`` (at most about ``3^n``), never the
``n!/prod s_t!`` partitions. ``F`` is kept in the log domain (``logsumexp`` over the links into
each ``A'``), so no product of small conditionals underflows. The pass is vmapped over a chunk of
outcomes, streamed over chunks with ``lax.map`` and sharded over devices with ``jax.shard_map``.
The enumeration of partitions (:func:`mdmjax.kl.exact_kl` with ``method="enumerate"``) stays as
the reference.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

from mdmjax._src.memory import check_allocation, format_bytes
from mdmjax._src.numerics import clip_kl
from mdmjax._src.precision import scoped_x64
from mdmjax._src.subsets import combinations, ext_strides, mask_bits
from mdmjax._src.validate import as_sizes
from mdmjax.curves import extended_table, subset_sizes
from mdmjax.distribution import Distribution
from mdmjax.sharding import STATE_AXIS, device_memory_limit, num_shards, resolve_mesh

__all__ = ["mixture_kl", "mixture_log_ratio", "lattice_work"]

# Bytes one chunk of outcomes may use for its gathered link terms.
_CHUNK_BYTES = {"cpu": 2**26}
_CHUNK_BYTES_ACCELERATOR = 2**31


@scoped_x64
def lattice_work(sizes) -> int:
    """Links times factors the DP evaluates per outcome: ``sum_t C(n,N_t) C(N_t,s_t) (s_t+2)``.

    A cost model for choosing chunk sizes and for benchmarks (the worst schedule of a given
    ``n`` maximizes it).

    Args:
      sizes: a schedule of positive ints.

    Returns:
      the count, an int.

    Examples:
      ``(1, 1)``: ``C(2,1) C(1,1) · 3 + C(2,2) C(2,1) · 3 = 6 + 6``; ``(2,)``:
      ``C(2,2) C(2,2) · 4``:

      >>> import mdmjax as mdm
      >>> mdm.kl.lattice_work((1, 1)), mdm.kl.lattice_work((2,))
      (12, 4)
    """
    sizes = [int(s) for s in sizes]
    n = sum(sizes)
    work, total = 0, 0
    for s in sizes:
        total += s
        work += math.comb(n, total) * math.comb(total, s) * (s + 2)
    return work


@functools.lru_cache(maxsize=16)
def _lattice(n: int, sizes: tuple[int, ...]):
    """Static index arrays of the forward pass, one triple per step.

    For step ``t`` with target level ``N_t``: ``masks`` of the ``M`` subsets ``A'`` of size
    ``N_t`` (increasing); for each ``A'`` and each of its ``K = C(N_t, s_t)`` sub-blocks ``B``:
    ``pred[M, K]``, the rank of ``A = A' \\ B`` in the previous level, ``amask[M, K]``, the mask
    of ``A``, and ``bplus[M, K, s_t]``, the masks ``A ∪ {i}`` for ``i`` in ``B``.
    """
    pop = subset_sizes(n)
    all_masks = np.arange(2**n, dtype=np.int64)
    rank = np.zeros(2**n, dtype=np.int64)
    for level in range(n + 1):
        members = all_masks[pop == level]
        rank[members] = np.arange(members.size)
    steps = []
    total = 0
    for s in sizes:
        total += s
        masks = all_masks[pop == total]  # (M,)
        elems = mask_bits(masks, n)
        positions = np.nonzero(elems)[1].reshape(masks.size, total)  # (M, N_t), increasing
        combos = combinations(total, s)
        chosen = positions[:, combos]  # (M, K, s): the positions of B
        bmask = np.sum(np.left_shift(1, chosen), axis=-1)  # (M, K)
        amask = masks[:, None] ^ bmask
        bplus = amask[:, :, None] | np.left_shift(1, chosen)
        steps.append(
            (
                rank[amask].astype(np.int32),
                amask.astype(np.int32),
                bplus.astype(np.int32),
            )
        )
    return tuple(steps)


def _subset_indices(offsets: jax.Array) -> jax.Array:
    """Flat indices into the extended table of ``x_S`` for every mask ``S`` (bit i = i in S).

    ``offsets[i, c] = (x_i - q_i) stride_i`` for outcome ``c`` of a chunk; starting from the
    all-summed index, doubling over positions gives the ``(2^n, chunk)`` indices with
    ``2^(n+1)`` additions per outcome.
    """
    idx = jnp.zeros((1, offsets.shape[1]), offsets.dtype)
    for i in range(offsets.shape[0]):
        idx = jnp.concatenate([idx, idx + offsets[i][None, :]], axis=0)
    return idx


def _log_ratio_chunk(digits, log_ext, base, strides, qs, steps, sizes):
    """``log(nu(x)/p(x)) + log #`` for a chunk of outcomes ``digits`` (shape ``(chunk, n)``).

    The outcomes are the last (contiguous) axis of every array, so each lattice gather moves a
    whole row of ``chunk`` values.
    """
    offsets = ((digits - qs[None, :]) * strides[None, :]).T  # (n, chunk)
    logm = log_ext[base + _subset_indices(offsets)]  # (2^n, chunk): log P(x_S), every S
    log_f = jnp.zeros((1, digits.shape[0]), log_ext.dtype)
    for (pred, amask, bplus), s in zip(steps, sizes, strict=True):
        # sum_{i in B} log P(x_i | x_A), shape (M, K, chunk)
        link = jnp.sum(logm[bplus], axis=2) - s * logm[amask]
        log_f = jax.nn.logsumexp(log_f[pred] + link, axis=1)  # (M, chunk)
    return log_f[0] - logm[-1]


def _chunk_states(n_states: int, per_state_bytes: int, devices: int, backend: str) -> int:
    budget = _CHUNK_BYTES.get(backend, _CHUNK_BYTES_ACCELERATOR)
    per_device = -(-n_states // devices)
    c = max(1, min(per_device, budget // max(1, per_state_bytes)))
    return 1 << (c.bit_length() - 1)


@functools.lru_cache(maxsize=16)
def _compiled(shape, sizes, chunk, mesh, dtype):
    strides = ext_strides(shape)
    base = int(np.sum(np.asarray(shape) * strides))  # index of the all-summed entry

    def per_chunk(digits, log_ext, steps):
        return _log_ratio_chunk(
            digits,
            log_ext,
            base,
            jnp.asarray(strides, jnp.int64),
            jnp.asarray(shape, jnp.int64),
            steps,
            sizes,
        )

    def stream(digits, log_ext, steps):  # digits: (chunks, chunk, n)
        return lax.map(lambda d: per_chunk(d, log_ext, steps), digits).reshape(-1)

    def run(probs, digits, steps):
        log_ext = jnp.log(jnp.maximum(extended_table(probs.astype(dtype)), jnp.finfo(dtype).tiny))
        log_ext = log_ext.reshape(-1)
        if mesh is None:
            return stream(digits, log_ext, steps)
        return jax.shard_map(
            stream, mesh=mesh, in_specs=(P(STATE_AXIS), P(), P()), out_specs=P(STATE_AXIS)
        )(digits, log_ext, steps)

    if mesh is None:
        return jax.jit(run)
    # Replicate the per-outcome results on every device (a gather), so that every process of a
    # multi-process run can read them; the values are those of the single-device path.
    return jax.jit(run, out_shardings=NamedSharding(mesh, P()))


@scoped_x64
def mixture_log_ratio(d: Distribution, sizes, *, dtype=jnp.float64, mesh=None) -> np.ndarray:
    """``log(nu(x) / p(x))`` for every outcome, where ``nu`` is the random-order sampler's law.

    Args:
      d: the law.
      sizes: a schedule of positive ints summing to ``n``.
      dtype: ``float64`` (exact) or ``float32``.
      mesh: ``None`` (all devices when there are several), ``False``, or a 1-D mesh.

    Returns:
      a float64 numpy array of the table's shape. Entries where ``p(x) = 0`` are not meaningful.

    Raises:
      ValueError: ``d`` not a Distribution, ``sizes`` not a schedule of ``n``, ``dtype``.

    Examples:
      One step of two positions samples the product of the (uniform) marginals,
      ``nu = 1/4``; its ``p``-mean is ``-KL(p || nu)``:

      >>> import numpy as np, mdmjax as mdm
      >>> p = np.array([[0.4, 0.1], [0.1, 0.4]])
      >>> d = mdm.Distribution.from_probs(p)
      >>> r = mdm.kl.mixture_log_ratio(d, (2,))
      >>> bool(np.allclose(r, np.log(0.25 / p)))
      True
      >>> bool(np.isclose(-(p * r).sum(), mdm.kl.mixture_kl(d, (2,))))
      True
      >>> bool(np.allclose(mdm.kl.mixture_log_ratio(d, (1, 1)), 0.0))  # one at a time: nu = p
      True
    """
    if not isinstance(d, Distribution):
        raise ValueError(f"d: expected a Distribution, got {type(d).__name__}")
    dtype = np.dtype(dtype)
    if dtype not in (np.dtype(np.float64), np.dtype(np.float32)):
        raise ValueError(f"dtype: expected float64 or float32, got {dtype}")
    sizes = tuple(int(s) for s in as_sizes(sizes, d.n, allow_batch=False))
    mesh = resolve_mesh(mesh, traced=False)
    shape, n = d.shape, d.n
    n_states = math.prod(shape)
    devices = num_shards(mesh)
    backend = jax.default_backend() if mesh is None else mesh.devices.flat[0].platform
    links = sum(math.comb(n, t) * math.comb(t, s) * (s + 2) for t, s in _levels(sizes))
    index_bytes = 4 * links
    per_state = 3 * dtype.itemsize * links + 2 * dtype.itemsize * 2**n
    chunk = _chunk_states(n_states, per_state, devices, backend)
    ext_entries = math.prod(q + 1 for q in shape)
    need = (
        index_bytes + chunk * per_state + 2 * dtype.itemsize * ext_entries + 8 * n_states * (n + 2)
    )
    check_allocation(
        need,
        f"the mixture-KL DP for shape {shape} and sizes {sizes} (chunks of {chunk} outcomes, "
        f"{format_bytes(index_bytes)} of lattice indices)",
        hint="Shard over more devices (mesh=...) or reduce n.",
        argument="d",
    )
    device_limit = device_memory_limit(mesh) if backend != "cpu" else None
    if device_limit is not None and need > 0.9 * device_limit:
        raise ValueError(
            f"d: the mixture-KL DP for shape {shape} and sizes {sizes} needs an estimated "
            f"{format_bytes(need)} ({need} bytes) per device, over 90% of the accelerator's "
            f"{format_bytes(device_limit)}. Shard over more devices (mesh=...) or reduce n."
        )
    steps = _lattice(n, sizes)  # host arrays, passed to the program as they are
    padded = -(-n_states // (chunk * devices)) * chunk * devices
    digits = np.stack(np.unravel_index(np.arange(padded) % n_states, shape), axis=-1)
    digits = digits.astype(np.int64).reshape(-1, chunk, n)
    fn = _compiled(shape, sizes, chunk, mesh, dtype)
    out = np.asarray(fn(d.probs, digits, steps), dtype=np.float64)[:n_states]
    log_count = _log_count(sizes)
    return (out - log_count).reshape(shape)


def _levels(sizes):
    total = 0
    for s in sizes:
        total += s
        yield total, s


def _log_count(sizes) -> float:
    n = sum(sizes)
    return math.lgamma(n + 1) - sum(math.lgamma(s + 1) for s in sizes)


@scoped_x64
def mixture_kl(d: Distribution, sizes, *, dtype=jnp.float64, mesh=None) -> float:
    """``KL(p || nu)`` for the random-order sampler's actual output law ``nu``, by the lattice DP.

    .. math:: KL(p \\| \\nu) = \\sum_{p(x) > 0} p(x) \\log \\frac{p(x)}{\\nu(x)}, \\qquad
              \\nu = \\operatorname{mean}_B \\nu_B

    (docs/theory.md §1). By convexity it is at most the expected KL of Theorem 4, with equality for
    uniform laws on MDS codes. The per-outcome terms are summed with :func:`math.fsum`, so the
    result does not depend on how the outcomes were split over devices.

    Args:
      d: the law.
      sizes: a schedule of positive ints summing to ``n``.
      dtype: ``float64`` (default, exact) or ``float32``.
      mesh: ``None`` (all devices when there are several), ``False``, or a 1-D mesh.

    Returns:
      the KL in nats, a float ``>= 0``.

    Raises:
      ValueError: bad ``d``, ``sizes`` or ``dtype``, or the DP does not fit in memory.

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> p = np.zeros((2, 2, 2)); p[0, 0, 0] = p[1, 1, 1] = 0.5
      >>> d = mdm.Distribution.from_probs(p)
      >>> round(float(mdm.mixture_kl(d, (2, 1)) / np.log(2)), 12)  # repetition: s_1 - 1 bits
      1.0
    """
    log_ratio = mixture_log_ratio(d, sizes, dtype=dtype, mesh=mesh).reshape(-1)
    p = np.asarray(d.probs, dtype=np.float64).reshape(-1)
    keep = p > 0
    kl = -math.fsum((p[keep] * log_ratio[keep]).tolist())
    # KL >= 0; only a rounding-level negative is clipped (a larger one would be a bug, shown).
    return clip_kl(kl)
