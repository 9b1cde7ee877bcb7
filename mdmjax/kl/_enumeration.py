"""Ground truth by enumeration: the sampler's output law built as a table, no closed form.

* :func:`partition_kl` — one fixed ordered partition, by building ``nu_B`` as a full table.
* :func:`exact_kl` — enumerate every ordered partition with the given sizes, build each ``nu_B``
  and average (``kind="expected"``) or mix (``kind="mixture"``). docs/theory.md §1, §2.1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from mdmjax._src.memory import check_allocation
from mdmjax._src.numerics import clip_kl, kl_terms, safe_log
from mdmjax._src.precision import scoped_x64
from mdmjax._src.subsets import combinations, ext_strides, subset_bits
from mdmjax._src.validate import as_choice, as_positive_int, as_sizes
from mdmjax.curves import extended_table
from mdmjax.distribution import Distribution

__all__ = ["partition_kl", "exact_kl", "count_partitions", "ordered_partitions"]

DEFAULT_MAX_PARTITIONS = 2_000_000


# ------------------------------------------------------------------------------------------------
# One fixed ordered partition
# ------------------------------------------------------------------------------------------------
def _is_position(i) -> bool:
    return isinstance(i, int | np.integer) and not isinstance(i, bool | np.bool_)


def _as_blocks(blocks, n: int) -> tuple[tuple[int, ...], ...]:
    """An ordered partition of ``0..n-1``: a sequence of non-empty sequences of int positions
    (a string, a float such as ``0.5`` or a bool is refused, never truncated)."""
    sequence = lambda b: hasattr(b, "__iter__") and not isinstance(b, str | bytes)  # noqa: E731
    if not sequence(blocks) or not all(sequence(b) for b in blocks):
        raise ValueError(f"blocks: expected a sequence of sequences of positions, got {blocks!r}")
    out = tuple(tuple(b) for b in blocks)
    if not all(_is_position(i) for b in out for i in b):
        raise ValueError(f"blocks: positions must be integers, got {blocks!r}")
    out = tuple(tuple(int(i) for i in b) for b in out)
    if not out:
        raise ValueError("blocks: an ordered partition needs at least one block, got zero steps")
    if any(len(b) == 0 for b in out):
        raise ValueError("blocks: every block must be non-empty")
    flat = [i for b in out for i in b]
    if sorted(flat) != list(range(n)):
        raise ValueError(
            f"blocks: must partition the positions 0..{n - 1} exactly once each, got {out}"
        )
    return out


def _kl_tables(p, log_nu):
    """``sum_{p > 0} p (log p - log nu)``."""
    return jnp.sum(kl_terms(p, log_nu))


def _partition_log_nu(probs, blocks):
    n = probs.ndim
    log_nu = jnp.zeros(probs.shape)
    revealed: list[int] = []
    for block in blocks:
        denom = jnp.sum(probs, axis=tuple(a for a in range(n) if a not in revealed), keepdims=True)
        for i in block:
            keep = set(revealed) | {i}
            num = jnp.sum(probs, axis=tuple(a for a in range(n) if a not in keep), keepdims=True)
            log_nu = log_nu + safe_log(num) - safe_log(denom)
        revealed.extend(block)
    return log_nu


@scoped_x64
def partition_kl(d: Distribution, blocks: Sequence[Sequence[int]]) -> float:
    """``KL(p || nu_B)`` for one fixed ordered partition ``B_1, .., B_k`` (0-indexed positions).

    The sampler's output law is built as a full table,

    .. math:: \\nu_B(x) = \\prod_t \\prod_{i \\in B_t} p(x_i \\mid x_{A_t}), \\quad
              A_t = B_1 \\cup \\dots \\cup B_{t-1},

    and the KL is summed over the support of ``p``. docs/theory.md §1.

    Raises:
      ValueError: ``blocks`` is not an ordered partition of ``0..n-1`` into non-empty blocks.

    Examples:
      >>> import math, mdmjax as mdm
      >>> d = mdm.families.reed_solomon(n=5, q=5, d=2)  # any 2 symbols determine the word
      >>> round(mdm.partition_kl(d, [[0, 1, 2], [3, 4]]) / math.log(5), 12)
      1.0
      >>> round(mdm.partition_kl(d, [[0, 1], [2, 3, 4]]), 12)
      0.0
    """
    if not isinstance(d, Distribution):
        raise ValueError(f"d: expected a Distribution, got {type(d).__name__}")
    b = _as_blocks(blocks, d.n)
    kl = float(_partition_kl_jit(d.probs, b))
    # KL >= 0: a rounding-level negative (one position per block gives exactly 0) is clipped.
    return clip_kl(kl)


@jax.jit
def _partition_kl_core(probs, log_nu):
    return _kl_tables(probs, log_nu)


def _partition_kl_jit(probs, blocks):
    return _partition_kl_core(probs, _partition_log_nu(probs, blocks))


# ------------------------------------------------------------------------------------------------
# Enumeration of ordered partitions (the ground truth)
# ------------------------------------------------------------------------------------------------
@scoped_x64
def count_partitions(sizes: Sequence[int]) -> int:
    """Number of ordered partitions with block sizes ``sizes``: ``n! / prod_t s_t!``.

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.kl.count_partitions((2, 1)), mdm.kl.count_partitions((1, 1, 1))  # 3!/(2! 1!), 3!
      (3, 6)
    """
    n = int(sum(sizes))
    out = math.factorial(n)
    for s in sizes:
        out //= math.factorial(int(s))
    return out


@scoped_x64
def ordered_partitions(sizes: Sequence[int]) -> np.ndarray:
    """All ordered partitions with these sizes, as an ``(P, n)`` array of block labels.

    Row ``r`` gives, for every position ``i``, the step ``t`` (0-indexed) at which ``i`` is
    revealed. Built block by block with vectorized numpy indexing (no loop over partitions).
    """
    sizes = [int(s) for s in sizes]
    n = sum(sizes)
    assign = np.full((1, n), -1, dtype=np.int8 if len(sizes) < 127 else np.int16)
    remaining = n
    for t, s in enumerate(sizes):
        combos = combinations(remaining, s)
        free = np.nonzero(assign == -1)[1].reshape(assign.shape[0], remaining)
        chosen = free[:, combos]  # (P, C, s)
        new = np.repeat(assign[:, None, :], combos.shape[0], axis=1)
        rows = np.arange(new.shape[0])[:, None, None]
        cols = np.arange(new.shape[1])[None, :, None]
        new[rows, cols, chosen] = t
        assign = new.reshape(-1, n)
        remaining -= s
    return assign


def _marginal_log_table(probs: jax.Array) -> jax.Array:
    """``log P(X_S = x_S)`` for every mask ``S`` (rows) and every state ``x`` (columns).

    Gathered from the extended marginal table; zero marginals give 0 (never used on ``p > 0``).
    """
    shape = probs.shape
    n = len(shape)
    ext = extended_table(probs).reshape(-1)
    strides = ext_strides(shape)
    states = np.stack(np.unravel_index(np.arange(math.prod(shape)), shape), axis=0)  # (n, Q)
    in_s = subset_bits(n)  # (2^n, n)
    idx = np.where(in_s[:, :, None], states[None], np.asarray(shape)[None, :, None])
    flat = np.tensordot(idx, strides, axes=([1], [0]))  # (2^n, Q)
    return safe_log(ext[jnp.asarray(flat)])


@jax.jit
def _enumerate_kl(probs, labels, weights, count):
    """``(sum_B KL(p||nu_B), KL(p||mean_B nu_B))`` over the ``count`` partitions, by chunks.

    ``weights`` is 1 for the real partitions and 0 for the padding rows of the last chunks.
    """
    n = probs.ndim
    p = probs.reshape(-1)
    log_m = _marginal_log_table(probs)
    bit = 2 ** jnp.arange(n)

    def chunk(carry, xs):
        lab, w = xs  # (C, n), (C,)
        before = jnp.sum(
            jnp.where(lab[:, None, :] < lab[:, :, None], bit[None, None, :], 0), axis=-1
        )  # (C, n): mask of positions revealed strictly before position i's step
        log_nu = jnp.sum(log_m[before | bit[None, :]] - log_m[before], axis=1)  # (C, Q)
        kl = jax.vmap(lambda ln: _kl_tables(p, ln))(log_nu)
        nu = jnp.exp(log_nu)
        kl_sum, nu_sum = carry
        return (kl_sum + jnp.sum(w * kl), nu_sum + jnp.sum(w[:, None] * nu, axis=0)), None

    init = (jnp.zeros(()), jnp.zeros_like(p))
    (kl_sum, nu_sum), _ = jax.lax.scan(chunk, init, (labels, weights))
    return kl_sum, _kl_tables(p, safe_log(nu_sum / count))


def _pow2_floor(x: int) -> int:
    return 1 << (int(x).bit_length() - 1)


def _pow2_ceil(x: int) -> int:
    return 1 << (int(x) - 1).bit_length()


@scoped_x64
def exact_kl(
    d: Distribution,
    sizes: Sequence[int],
    kind: str = "expected",
    *,
    max_partitions: int = DEFAULT_MAX_PARTITIONS,
    method: str = "auto",
):
    """Ground-truth KL by enumerating every ordered partition with block sizes ``sizes``.

    No closed form is used: each ``nu_B`` is built from marginals of ``p``
    (``nu_B(x) = prod_t prod_{i in B_t} P(x_{A_t + i}) / P(x_{A_t})``), vmapped over partitions.

    Args:
      d: the law.
      sizes: a schedule of positive ints summing to ``n``.
      kind: ``"expected"`` for ``mean_B KL(p || nu_B)`` (what Theorem 4 characterizes);
        ``"mixture"`` for ``KL(p || mean_B nu_B)``, the random-order sampler's actual output law;
        ``"both"`` for the pair ``(expected, mixture)``.
      max_partitions: refuse to enumerate more ordered partitions than this.
      method: ``"enumerate"`` (every ordered partition, as above), ``"dp"`` (the mixture by the
        subset-lattice DP of :func:`mdmjax.kl.mixture_kl`, no partition listed; only for
        ``kind="mixture"``), or ``"auto"``: ``"dp"`` for ``kind="mixture"``, else
        ``"enumerate"``.

    Raises:
      ValueError: bad ``sizes``, ``kind`` or ``method``, or more than ``max_partitions``
        partitions (the message gives the count).

    Examples:
      >>> import math, mdmjax as mdm
      >>> d = mdm.families.reed_solomon(n=5, q=5, d=2)  # Z_j = ln 5 · 1[j > 2]
      >>> round(mdm.exact_kl(d, (3, 2)) / math.log(5), 12)  # = Theorem 4: (Z_3 - Z_1) / ln 5
      1.0
      >>> round(mdm.exact_kl(d, (3, 2), kind="mixture") / math.log(5), 12)
      1.0
    """
    if not isinstance(d, Distribution):
        raise ValueError(f"d: expected a Distribution, got {type(d).__name__}")
    kind = as_choice(kind, ("expected", "mixture", "both"), "kind")
    method = as_choice(method, ("auto", "enumerate", "dp"), "method")
    max_partitions = as_positive_int(max_partitions, "max_partitions")
    if method == "dp" and kind != "mixture":
        raise ValueError(f"method: 'dp' computes the mixture KL only, got kind={kind!r}")
    if kind == "mixture" and method in ("auto", "dp"):
        from mdmjax.kl._mixture import mixture_kl

        return mixture_kl(d, sizes)
    arr = as_sizes(sizes, d.n, allow_batch=False)
    count = count_partitions(arr)
    if count > max_partitions:
        raise ValueError(
            f"sizes: {tuple(arr.tolist())} has {count} ordered partitions, more than "
            f"max_partitions={max_partitions}; use expected_kl (Theorem 4) for the expected KL"
        )
    n = d.n
    num_states = math.prod(d.shape)
    check_allocation(
        (2**n) * num_states * 8 * 3,
        f"the marginal table over 2^{n} subsets and {num_states} states",
        argument="d",
    )
    # Chunk so that one chunk's (C, n, Q) gathers stay near 32 MiB. Chunk size and chunk count
    # are powers of two so that few distinct shapes are ever compiled.
    chunk = _pow2_floor(max(1, min(count, (2**22) // max(1, n * num_states))))
    labels = ordered_partitions(arr)
    pad = _pow2_ceil(-(-count // chunk)) * chunk - count
    weights = np.concatenate([np.ones(count), np.zeros(pad)])
    labels = np.concatenate([labels, np.repeat(labels[:1], pad, axis=0)])
    labels = labels.astype(np.int32).reshape(-1, chunk, n)
    weights = weights.reshape(-1, chunk)
    kl_sum, mixture = _enumerate_kl(d.probs, labels, weights, np.float64(count))
    expected = float(kl_sum) / count
    mixture = float(mixture)
    if kind == "expected":
        return expected
    if kind == "mixture":
        return mixture
    return expected, mixture
