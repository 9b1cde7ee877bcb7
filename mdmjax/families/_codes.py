"""Uniform laws on codes (repetition, parity, linear, Reed–Solomon) and the noisy repeated bit.

The uniform laws on MDS codes of dimension ``d`` (:func:`repetition`: ``d = 1``, :func:`parity`:
``d = n - 1``, :func:`reed_solomon`) have the closed-form information curve
``Z_j = ln q · 1[j > d]`` (docs/theory.md §5.2; Chen–Cong–Li 2026, Theorem 5/24); a general
linear code is in docs/theory.md §5.3, and :func:`noisy_repetition` has the closed-form profile of
docs/theory.md §5.5.
"""

from __future__ import annotations

import numpy as np

from mdmjax._src.memory import check_allocation
from mdmjax._src.precision import scoped_x64
from mdmjax._src.primes import as_prime
from mdmjax._src.validate import as_positive_int
from mdmjax.distribution import Distribution
from mdmjax.families._common import (
    as_int_array,
    as_probability,
    as_table_positions,
    guard_table,
    guard_uniform_table,
)

__all__ = ["linear_code", "noisy_repetition", "parity", "reed_solomon", "repetition"]


def _digit_sum(n: int, q: int, modulus: int | None = None) -> np.ndarray:
    """``x_1 + .. + x_n`` (reduced mod ``modulus`` if given) on the ``(q,)*n`` grid, as int32."""
    s = np.zeros((), dtype=np.int32)
    for _ in range(n):
        s = s[..., None] + np.arange(q, dtype=np.int32).reshape((1,) * s.ndim + (q,))
        if modulus is not None:
            s = s % modulus
    return s


@scoped_x64
def repetition(n: int, q: int = 2) -> Distribution:
    """The uniform law on the ``q`` constant sequences ``(a, .., a)``.

    An MDS code of dimension ``d = 1``: ``Z_j = ln q · 1[j > 1]``, and a schedule's expected KL is
    ``(s_1 - 1) ln q`` (docs/theory.md §5).

    Examples:
      >>> import mdmjax as mdm
      >>> d = mdm.families.repetition(3, q=2)
      >>> float(d.probs[0, 0, 0]), float(d.probs[0, 1, 0])
      (0.5, 0.0)
    """
    n = as_table_positions(n)
    q = as_positive_int(q, "q")
    guard_uniform_table(q, n, "repetition")
    table = np.zeros((q,) * n)
    idx = np.arange(q)
    table[(idx,) * n] = 1.0 / q
    return Distribution.from_probs(table)


@scoped_x64
def parity(n: int, q: int = 2) -> Distribution:
    """The uniform law on ``{x in Z_q^n : x_1 + .. + x_n = 0 mod q}``.

    An MDS code of dimension ``d = n - 1``: ``Z_j = ln q · 1[j = n]``; a schedule's expected KL
    is ``ln q · 1[s_k >= 2]`` (docs/theory.md §5).

    Examples:
      >>> import mdmjax as mdm
      >>> d = mdm.families.parity(3)
      >>> d.shape, float(d.probs[0, 0, 0]), float(d.probs[0, 0, 1])  # 4 even words of 8
      ((2, 2, 2), 0.25, 0.0)
    """
    n = as_table_positions(n)
    q = as_positive_int(q, "q")
    guard_uniform_table(q, n, "parity", copies=3)
    table = np.where(_digit_sum(n, q, modulus=q) == 0, float(q) ** -(n - 1), 0.0)
    return Distribution.from_probs(table)


def _code_table(generator: np.ndarray, q: int, shift: np.ndarray) -> np.ndarray:
    """Uniform law on ``{m G + w mod q : m in F_q^d}``, by counting codewords of all messages.

    The map ``m -> m G`` is linear, so every codeword has exactly ``q^(d - rank G)`` preimages:
    normalized counts are the uniform law on the image, rank-deficient ``G`` included.
    """
    d, n = generator.shape
    messages = np.stack(np.unravel_index(np.arange(q**d), (q,) * d), axis=1)  # (q^d, d)
    words = (messages @ (generator % q) + shift[None, :]) % q  # (q^d, n)
    flat = np.ravel_multi_index(tuple(words.T), (q,) * n)
    counts = np.bincount(flat, minlength=q**n).astype(np.float64)
    return (counts / counts.sum()).reshape((q,) * n)


def _as_shift(shift, n: int, q: int) -> np.ndarray:
    if shift is None:
        return np.zeros(n, dtype=np.int64)
    w = as_int_array(shift, "shift", 1)
    if w.shape[0] != n:
        raise ValueError(f"shift: expected {n} entries (one per position), got {w.shape[0]}")
    return w % q


@scoped_x64
def linear_code(generator, q: int, shift=None) -> Distribution:
    """The uniform law on the affine linear code ``{m G + w mod q : m in F_q^d}``.

    Args:
      generator: a ``(d, n)`` integer generator matrix ``G`` (entries reduced mod ``q``). A
        rank-deficient ``G`` is allowed: the image is still a subspace and the law is uniform on it.
      q: a prime (the field ``F_q``).
      shift: optional length-``n`` integer vector ``w`` (an affine shift; reduced mod ``q``).

    A code of dimension ``d`` that is MDS has ``Z_j = ln q · 1[j > d]`` (Chen–Cong–Li 2026,
    Theorem 24).

    Examples:
      >>> import mdmjax as mdm
      >>> d = mdm.families.linear_code([[1, 1, 1]], q=2)  # the binary repetition code
      >>> float(d.probs[1, 1, 1])
      0.5
    """
    q = as_prime(q, "q")
    g = as_int_array(generator, "generator", 2)
    d, n = g.shape
    if d < 1 or n < 1:
        raise ValueError(f"generator: expected shape (d, n) with d, n >= 1, got {g.shape}")
    w = _as_shift(shift, n, q)
    guard_table((q,) * n, "linear-code", "generator", copies=3)
    check_allocation(
        (q**d) * (d + 2 * n) * 8,
        f"the {q}^{d} messages of the code",
        hint="Use a generator with fewer rows (rows beyond the rank add nothing).",
        argument="generator",
    )
    return Distribution.from_probs(_code_table(g, q, w))


@scoped_x64
def reed_solomon(n: int, q: int, d: int, points=None, shift=None) -> Distribution:
    """The uniform law on an (affine) Reed–Solomon code over the prime field ``F_q``.

    ``{(P(a_1), .., P(a_n)) + w : deg P < d}`` with distinct evaluation points ``a_i``. It is MDS
    of dimension ``d``, so ``Z_j = ln q · 1[j > d]``, ``TC = (n - d) ln q``, ``DTC = d ln q``: the
    lower-bound witness of Chen–Cong–Li (2026), Theorem 5/24.

    Args:
      n: code length, ``1 <= n <= q`` (``n`` distinct points of ``F_q``; Theorem 5 takes
        ``q > n``, but the code is MDS whenever the points are distinct, e.g. ``n = q = 5``).
      q: a prime ``>= n``.
      d: dimension (polynomials of degree ``< d``), ``1 <= d <= n``.
      points: ``n`` distinct evaluation points in ``F_q`` (default ``0, 1, .., n-1``).
      shift: optional affine shift ``w`` (``n`` integers, reduced mod ``q``).

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> c = mdm.information_curve(mdm.families.reed_solomon(4, q=5, d=2))
      >>> np.round(np.asarray(c.z) / np.log(5), 10).tolist()
      [0.0, 0.0, 1.0, 1.0]
    """
    n = as_table_positions(n)
    q = as_prime(q, "q")
    if q < n:
        raise ValueError(
            f"q: Reed–Solomon needs a prime q >= n = {n} (n distinct points), got q = {q}"
        )
    d = as_positive_int(d, "d")
    if d > n:
        raise ValueError(f"d: the dimension must be <= n = {n}, got {d}")
    if points is None:
        a = np.arange(n, dtype=np.int64)
    else:
        a = as_int_array(points, "points", 1)
        if a.shape[0] != n:
            raise ValueError(f"points: expected {n} evaluation points, got {a.shape[0]}")
        if np.any(a < 0) or np.any(a >= q):
            raise ValueError(f"points: must lie in F_q = {{0, .., {q - 1}}}, got {a.tolist()}")
        if np.unique(a).size != n:
            raise ValueError(f"points: must be distinct, got {a.tolist()}")
    # Vandermonde generator G[k, i] = a_i^k mod q (0^0 = 1: the constant term), row by row.
    rows = [np.ones(n, dtype=np.int64)]
    for _ in range(1, d):
        rows.append((rows[-1] * a) % q)
    return linear_code(np.stack(rows), q, shift=_as_shift(shift, n, q))


@scoped_x64
def noisy_repetition(n: int, eta: float) -> Distribution:
    """The noisy repeated bit: ``U ~ Ber(1/2)``, ``X_i = U xor W_i``, ``W_i ~ Ber(eta)`` i.i.d.

    .. math:: p(x) = \\tfrac12\\left(\\eta^{k}(1-\\eta)^{n-k} + \\eta^{n-k}(1-\\eta)^{k}\\right),
              \\quad k = \\textstyle\\sum_i x_i.

    Its conditional-entropy profile ``g(m)`` has the closed form of docs/theory.md §5.

    Args:
      n: number of positions, ``>= 1``.
      eta: flip probability in ``[0, 1]`` (``0`` is the binary repetition law, ``1/2`` uniform).

    Examples:
      >>> import mdmjax as mdm
      >>> d = mdm.families.noisy_repetition(3, eta=0.1)
      >>> round(float(d.probs[0, 0, 0]), 12)  # (0.9^3 + 0.1^3) / 2
      0.365
    """
    n = as_table_positions(n)
    eta = as_probability(eta, "eta")
    guard_uniform_table(2, n, "noisy-repetition", copies=3)
    ones = _digit_sum(n, 2).astype(np.float64)  # k = number of ones
    # float ** float with 0.0 ** 0.0 = 1.0, so eta in {0, 1} is exact.
    table = 0.5 * (eta**ones * (1.0 - eta) ** (n - ones) + eta ** (n - ones) * (1.0 - eta) ** ones)
    return Distribution.from_probs(table)
