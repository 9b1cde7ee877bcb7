"""Information curves of uniform laws on linear codes over a prime field ``F_q``.

``X = u G (+ w)`` with ``u`` uniform on ``F_q^k``: ``H(X_S) = rank(G_S) ln q`` for the columns
``G_S``, so (Chen–Cong–Li 2026, Theorem 24; docs/theory.md §4)

.. math:: Z_j = \\ln q \\cdot \\Pr[M_i \\ne 0 \\text{ and } M_i \\in \\mathrm{span}(M_S)],
          \\quad |S| = j - 1,\\ i \\notin S.

Three routes:

* **MDS codes** (Reed–Solomon, repetition, parity): any ``d`` columns are independent and any
  ``d`` span everything, so ``Z_j = ln q · 1[j > d]`` (closed form).
* **Exact rank counting** for a general generator: ``Hbar_j = ln q · mean_{|S|=j} rank(G_S)``
  over all ``2^n`` subsets, in exact rational arithmetic on the integer rank sums (``n <= 22``).
* **Monte-Carlo**: for a uniform permutation ``pi``, insert the columns ``M_{pi_1}, M_{pi_2}, ..``
  into an incrementally reduced basis over ``F_q``; the indicator "``M_{pi_j} != 0`` and already in
  the span" is an unbiased draw of ``Z_j / ln q`` for every ``j`` at once. Gaussian elimination
  mod ``q`` runs in jitted ``lax`` loops, vmapped over permutations: ``O(m n k^2)``.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np

from mdmjax._src.keys import as_key
from mdmjax._src.memory import check_allocation
from mdmjax._src.precision import scoped_x64
from mdmjax._src.primes import as_prime
from mdmjax._src.primes import smallest_prime_above as smallest_prime_above
from mdmjax._src.stats import mean_stderr
from mdmjax._src.subsets import mask_bits
from mdmjax._src.validate import as_positive_int
from mdmjax.curves._curve import InformationCurve
from mdmjax.curves._exact_z import exact_curve
from mdmjax.curves._monte_carlo import curve_from_estimates, random_permutations

__all__ = [
    "mds_code",
    "reed_solomon_curve",
    "repetition_curve",
    "parity_curve",
    "linear_code_curve",
    "rank_mod_q",
    "code_z_estimate",
]

MAX_EXACT_N = 22
AUTO_EXACT_N = 16


# ------------------------------------------------------------------------------------------------
# Closed forms
# ------------------------------------------------------------------------------------------------
@scoped_x64
def mds_code(n: int, d: int, q: int) -> InformationCurve:
    """The uniform law on an MDS code of length ``n`` and dimension ``d`` over an alphabet of ``q``.

    Any ``d`` coordinates are free and determine the rest, so ``H(X_S) = min(|S|, d) ln q`` and

    .. math:: Z_j = \\ln q \\cdot 1[j > d], \\quad TC = (n - d) \\ln q, \\quad DTC = d \\ln q

    (docs/theory.md §4–5; Chen–Cong–Li 2026, Theorem 24). ``d = 0`` is the point mass (``Z ≡ 0``).

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> c = mdm.curves.mds_code(5, d=2, q=5)
      >>> (np.asarray(c.z) / np.log(5)).tolist()
      [0.0, 0.0, 1.0, 1.0, 1.0]
    """
    n = as_positive_int(n, "n")
    d = as_positive_int(d, "d", minimum=0)
    q = as_positive_int(q, "q", minimum=2)
    if d > n:
        raise ValueError(f"d: the dimension must be <= n = {n}, got {d}")
    if d == 0:
        return InformationCurve.from_z(np.zeros(n), h1=0.0)
    z = np.log(q) * (np.arange(1, n + 1) > d)
    return InformationCurve.from_z(z, h1=np.log(q))


@scoped_x64
def repetition_curve(n: int, q: int = 2) -> InformationCurve:
    """The repetition law (``q`` constant words): MDS with ``d = 1``, ``Z_j = ln q · 1[j > 1]``.

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> (mdm.curves.repetition_curve(4).z / np.log(2)).round(12).tolist()
      [0.0, 1.0, 1.0, 1.0]
    """
    return mds_code(n, 1, q)


@scoped_x64
def parity_curve(n: int, q: int = 2) -> InformationCurve:
    """The parity law (``sum x_i = 0 mod q``): MDS with ``d = n - 1``, ``Z_j = ln q · 1[j = n]``.

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> (mdm.curves.parity_curve(4).z / np.log(2)).round(12).tolist()
      [0.0, 0.0, 0.0, 1.0]
    """
    n = as_positive_int(n, "n")
    return mds_code(n, n - 1, q)


@scoped_x64
def reed_solomon_curve(n: int, q: int | None = None, d: int = 2, points=None) -> InformationCurve:
    """The uniform law on an (affine) Reed–Solomon code: MDS, so ``Z_j = ln q · 1[j > d]``.

    ``{(P(a_1), .., P(a_n)) + w : deg P < d}`` with distinct points ``a_i`` in ``F_q``, prime
    ``q > n`` — the hard family of Chen–Cong–Li (2026), Theorem 5/24. The affine shift does not
    change any entropy. Works at any ``n`` (e.g. ``n = 1000``, ``q = 1009``) in microseconds.

    Args:
      n: code length.
      q: a prime ``> n`` (default: the smallest such, as ``mdm.families.by_name``).
      d: dimension, ``1 <= d <= n`` (default 2).
      points: optional ``n`` distinct evaluation points (validated; they do not change the curve).

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> (mdm.curves.reed_solomon_curve(5, q=7, d=2).z / np.log(7)).round(12).tolist()
      [0.0, 0.0, 1.0, 1.0, 1.0]
    """
    n = as_positive_int(n, "n")
    q = smallest_prime_above(n) if q is None else as_prime(q, "q", int64_products=True)
    if q <= n:
        raise ValueError(f"q: Reed–Solomon needs a prime q > n = {n}, got q = {q}")
    d = as_positive_int(d, "d")
    if d > n:
        raise ValueError(f"d: the dimension must be <= n = {n}, got {d}")
    if points is not None:
        a = np.asarray(points)
        if a.shape != (n,) or a.dtype.kind not in "iu":
            raise ValueError(f"points: expected {n} integer evaluation points, got {points!r}")
        if np.any(a < 0) or np.any(a >= q) or np.unique(a).size != n:
            raise ValueError(f"points: must be {n} distinct elements of F_q = {{0, .., {q - 1}}}")
    return mds_code(n, d, q)


# ------------------------------------------------------------------------------------------------
# Gaussian elimination mod q
# ------------------------------------------------------------------------------------------------
def _inverse_mod(a: jax.Array, q: int) -> jax.Array:
    """``a^(q-2) mod q`` (Fermat), by square-and-multiply over the static exponent's bits."""
    result = jnp.ones_like(a)
    base = a % q
    e = q - 2
    while e > 0:  # a loop over the (<= 31) bits of a static exponent
        if e & 1:
            result = (result * base) % q
        base = (base * base) % q
        e >>= 1
    return result


def _insert(basis: jax.Array, has: jax.Array, v: jax.Array, q: int):
    """Reduce ``v`` against a basis in echelon form; add it if it is independent.

    ``basis[r]`` (when ``has[r]``) has a 1 at ``r`` and zeros before ``r``. Returns the new basis,
    flags, and whether ``v`` was new (``False`` for ``v = 0`` or ``v`` in the span).
    """
    k = v.shape[0]

    def reduce(r, v):
        coef = v[r]
        return jnp.where(has[r] & (coef != 0), (v - coef * basis[r]) % q, v)

    v = jax.lax.fori_loop(0, k, reduce, v % q)
    nonzero = v != 0
    new = jnp.any(nonzero)
    pivot = jnp.argmax(nonzero)
    row = (v * _inverse_mod(v[pivot], q)) % q
    basis = basis.at[pivot].set(jnp.where(new, row, basis[pivot]))
    has = has.at[pivot].set(has[pivot] | new)
    return basis, has, new


@functools.partial(jax.jit, static_argnames=("q",))
def _column_flags(columns: jax.Array, q: int):
    """Insert columns in order; per column: (nonzero, new). ``columns`` is ``(n, k)``."""
    k = columns.shape[1]

    def body(state, v):
        basis, has = state
        basis, has, new = _insert(basis, has, v, q)
        return (basis, has), (jnp.any(v % q != 0), new)

    init = (jnp.zeros((k, k), dtype=columns.dtype), jnp.zeros(k, dtype=bool))
    _, (nonzero, new) = jax.lax.scan(body, init, columns)
    return nonzero, new


def _as_generator(generator, q: int) -> np.ndarray:
    arr = np.asarray(generator)
    if arr.dtype == object or arr.dtype.kind not in "iuf" or arr.dtype.kind == "b":
        raise ValueError(f"generator: expected an integer matrix, got {generator!r}")
    if arr.dtype.kind == "f" and (not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr))):
        raise ValueError("generator: entries must be integers")
    if arr.ndim != 2 or min(arr.shape) < 1:
        raise ValueError(f"generator: expected shape (k, n) with k, n >= 1, got {arr.shape}")
    return np.mod(arr.astype(np.int64), q)


@scoped_x64
def rank_mod_q(matrix, q: int) -> int:
    """The rank of an integer matrix over the prime field ``F_q`` (jitted Gaussian elimination).

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.curves.rank_mod_q([[1, 1], [1, 1]], 2), mdm.curves.rank_mod_q([[1, 1], [1, 2]], 3)
      (1, 2)
    """
    q = as_prime(q, "q", int64_products=True)
    g = _as_generator(matrix, q)
    _, new = _column_flags(jnp.asarray(g.T), q)
    return int(np.sum(np.asarray(new)))


# ------------------------------------------------------------------------------------------------
# Exact rank counting over all subsets
# ------------------------------------------------------------------------------------------------
@functools.partial(jax.jit, static_argnames=("q",))
def _subset_ranks(columns: jax.Array, masks: jax.Array, q: int) -> jax.Array:
    n = columns.shape[0]
    bits = mask_bits(masks, n)

    def rank(b):
        cols = jnp.where(b[:, None], columns, 0)
        return jnp.sum(_column_flags(cols, q)[1])

    return jax.vmap(rank)(bits)


def _exact_z(g: np.ndarray, q: int, chunk: int = 1 << 14) -> tuple[np.ndarray, float]:
    k, n = g.shape
    if n > MAX_EXACT_N:
        raise ValueError(
            f"generator: exact rank counting enumerates 2^n subsets; n = {n} > {MAX_EXACT_N}. "
            "Use method='monte_carlo'."
        )
    check_allocation(
        chunk * (k * k + 2 * n) * 8 + (1 << n) * 16,
        f"exact rank counting over the 2^{n} column subsets",
        hint="Use method='monte_carlo'.",
        argument="generator",
    )
    cols = jnp.asarray(g.T)
    total = 1 << n
    sums = np.zeros(n + 1, dtype=np.int64)
    for start in range(0, total, chunk):  # a loop over chunks of subsets
        masks = np.arange(start, min(start + chunk, total), dtype=np.int64)
        if masks.size < chunk:
            masks = np.concatenate([masks, np.zeros(chunk - masks.size, dtype=np.int64)])
        ranks = np.asarray(_subset_ranks(cols, jnp.asarray(masks), q))
        sizes = np.bitwise_count(masks.astype(np.uint64)).astype(np.int64)
        valid = np.arange(chunk) < min(chunk, total - start)
        np.add.at(sums, sizes[valid], ranks[valid])
    hbar = [Fraction(int(sums[j]), math.comb(n, j)) for j in range(n + 1)]  # units of ln q
    z = [hbar[1] + hbar[j - 1] - hbar[j] for j in range(1, n + 1)]
    return np.log(q) * np.asarray([float(v) for v in z]), float(hbar[1]) * np.log(q)


# ------------------------------------------------------------------------------------------------
# Monte-Carlo over permutations
# ------------------------------------------------------------------------------------------------
@functools.partial(jax.jit, static_argnames=("q",))
def _permutation_indicators(columns: jax.Array, perms: jax.Array, q: int) -> jax.Array:
    """``1[M_{pi_j} != 0 and M_{pi_j} in span(M_{pi_1..pi_{j-1}})]``, shape ``(m, n)``."""

    def one(perm):
        nonzero, new = _column_flags(columns[perm], q)
        return (nonzero & ~new).astype(jnp.float64)

    return jax.vmap(one)(perms)


@scoped_x64
def code_z_estimate(generator, q: int, key, num_samples: int = 256):
    """Raw Monte-Carlo ``(Z, stderr)`` of the code generated by ``generator`` (module docstring).

    Every permutation yields one unbiased draw of ``Z_j / ln q`` for every ``j``.

    Args:
      generator: ``(k, n)`` integer generator matrix (reduced mod ``q``).
      q: a prime.
      key: a ``jax.random`` key or an int seed.
      num_samples: permutations.

    Returns:
      ``(z, stderr)``: float64 ``(n,)`` arrays in nats (raw estimates, not projected).

    Raises:
      ValueError: ``q`` not a prime, a bad ``generator`` or ``num_samples``.

    Examples:
      A single parity check on 4 bits: any 3 tokens are independent and fix the fourth, so
      every permutation gives ``Z = (0, 0, 0, ln 2)``, as the exact rank count does:

      >>> import numpy as np, mdmjax as mdm
      >>> G = [[1, 0, 0, 1], [0, 1, 0, 1], [0, 0, 1, 1]]
      >>> z, se = mdm.curves.code_z_estimate(G, 2, key=0, num_samples=8)
      >>> bool(np.allclose(z, [0, 0, 0, np.log(2)])), bool(np.all(se == 0))
      (True, True)
      >>> bool(np.allclose(z, mdm.curves.linear_code_curve(G, 2, method="exact").z))
      True
    """
    q = as_prime(q, "q", int64_products=True)
    g = _as_generator(generator, q)
    m = as_positive_int(num_samples, "num_samples")
    k, n = g.shape
    check_allocation(
        m * (k * k + 4 * n) * 8,
        f"Monte-Carlo rank tests for {m} permutations (n = {n}, k = {k})",
        hint="Lower num_samples.",
        argument="num_samples",
    )
    perms = random_permutations(as_key(key), m, n)
    ind = np.asarray(_permutation_indicators(jnp.asarray(g.T), perms, q))
    mean, se = mean_stderr(ind)
    return np.log(q) * mean, np.log(q) * se


@scoped_x64
def linear_code_curve(
    generator, q: int, shift=None, *, method: str = "auto", key=None, num_samples: int = 256
) -> InformationCurve:
    """The information curve of the uniform law on ``{u G + w : u in F_q^k}``.

    Args:
      generator: ``(k, n)`` integer generator matrix (reduced mod ``q``; rank-deficient is fine).
      q: a prime.
      shift: optional affine shift ``w`` (ignored: it changes no entropy; validated for length).
      method: ``"exact"`` (rank counting over all ``2^n`` subsets, ``n <= 22``),
        ``"monte_carlo"`` (permutations; needs ``key``), or ``"auto"`` (exact for
        ``n <= 16``, else Monte-Carlo).
      key: ``jax.random`` key or int seed for Monte-Carlo.
      num_samples: permutations for Monte-Carlo.

    Returns:
      an :class:`InformationCurve`; a Monte-Carlo one carries ``stderr`` and an isotonic ``z``.

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> c = mdm.curves.linear_code_curve([[1, 0, 1, 1], [0, 1, 1, 2]], q=3)   # MDS, d = 2
      >>> (np.asarray(c.z) / np.log(3)).round(12).tolist()
      [0.0, 0.0, 1.0, 1.0]
    """
    q = as_prime(q, "q", int64_products=True)
    g = _as_generator(generator, q)
    n = g.shape[1]
    if shift is not None and np.shape(shift) != (n,):
        raise ValueError(f"shift: expected {n} entries (one per position), got {np.shape(shift)}")
    if method not in ("auto", "exact", "monte_carlo"):
        raise ValueError(f"method: expected 'auto', 'exact' or 'monte_carlo', got {method!r}")
    if method == "exact" or (method == "auto" and n <= AUTO_EXACT_N):
        z, h1 = _exact_z(g, q)
        return exact_curve(z, h1=h1)
    if key is None:
        raise ValueError(
            f"key: a Monte-Carlo curve (n = {n} > {AUTO_EXACT_N}) needs a jax.random key"
        )
    z, se = code_z_estimate(g, q, key, as_positive_int(num_samples, "num_samples", minimum=2))
    h1 = float(np.log(q) * np.mean(np.any(g != 0, axis=0)))
    return curve_from_estimates(z, se, h1=h1)
