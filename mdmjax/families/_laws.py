"""Named joint laws: products, codes, noisy repetition, Markov chains, Ising models, mixtures.

Every constructor returns a validated :class:`~mdmjax.distribution.Distribution`. Tables are built
by broadcasting (loops run over positions, edges or polynomial degrees, never over states), and
the memory guard runs on the table size *before* anything is allocated, so ``repetition(40)``
raises ``ValueError`` with the estimated bytes instead of exhausting memory.

Random families (:func:`random_product`, :func:`random_markov_chain`,
:func:`random_mixture_of_products`, :func:`dirichlet`) take an explicit ``jax.random`` key, are
deterministic given it, and compute in ``jax.numpy`` so that a batch of laws is one
``jax.vmap`` over keys::

    keys = jax.random.split(jax.random.key(0), 100)
    tables = jax.vmap(lambda k: dirichlet(k, (2,) * 6).probs)(keys)  # (100, 2, 2, 2, 2, 2, 2)

The uniform laws on MDS codes (:func:`repetition`, :func:`parity`, :func:`reed_solomon`) have the
closed-form information curve ``Z_j = ln q · 1[j > d]`` (docs/theory.md §4–5; Chen–Cong–Li 2026,
Theorem 5/24), and :func:`noisy_repetition` has the closed-form profile of docs/theory.md §5.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from mdmjax._src.keys import as_key
from mdmjax._src.markov import chain_length, clip_normalize, solve_stationary
from mdmjax._src.memory import check_allocation, table_bytes
from mdmjax._src.precision import scoped_x64
from mdmjax._src.primes import as_prime, smallest_prime_above
from mdmjax._src.random_laws import (
    dirichlet_rows,
    log_gamma,
    random_markov_parameters,
    random_mixture_parameters,
)
from mdmjax._src.validate import (
    as_nonnegative_float,
    as_per_item,
    as_positive_float,
    as_positive_int,
    check_stochastic,
)
from mdmjax.distribution import Distribution
from mdmjax.families._real_data import digits_patches as digits_patches  # real laws, optional extra
from mdmjax.families._real_data import english_words as english_words

__all__ = [
    "FAMILY_NAMES",
    "by_name",
    "dirichlet",
    "ising",
    "linear_code",
    "markov_chain",
    "mixture_of_products",
    "noisy_repetition",
    "parity",
    "product",
    "random_markov_chain",
    "random_mixture_of_products",
    "random_product",
    "reed_solomon",
    "repetition",
]

ISING_GRAPHS = ("chain", "cycle", "grid", "complete")


# ------------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------------
def _is_tracer(x) -> bool:
    return isinstance(x, jax.core.Tracer)


def _describe(shape: tuple[int, ...]) -> str:
    if len(shape) > 6 and len(set(shape)) == 1:
        return f"({shape[0]},)*{len(shape)}"
    return str(tuple(shape))


def _guard_table(shape: Sequence[int], family: str, argument: str, copies: int = 2) -> None:
    """Refuse a ``shape`` table (plus ``copies - 1`` temporaries) that would not fit in memory."""
    shape = tuple(int(s) for s in shape)
    check_allocation(
        table_bytes(shape) * copies,
        f"the {family} table of shape {_describe(shape)} ({math.prod(shape)} states)",
        hint="Use fewer positions or smaller alphabets (the table is dense).",
        argument=argument,
    )


def _as_probability(value, argument: str) -> float:
    v = as_nonnegative_float(value, argument)
    if v > 1:
        raise ValueError(f"{argument}: must lie in [0, 1], got {value!r}")
    return v


def _as_alphabets(q, n: int, argument: str = "q") -> tuple[int, ...]:
    """``q`` for every position: an int (shared) or a sequence of ``n`` ints, each ``>= 1``."""
    if np.ndim(q) == 0:
        return (as_positive_int(q, argument),) * n
    qs = tuple(as_positive_int(v, argument) for v in np.asarray(q).tolist())
    if len(qs) != n:
        raise ValueError(f"{argument}: has {len(qs)} alphabet sizes, but n = {n}")
    return qs


def _as_int_array(value, argument: str, ndim: int) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype == object or arr.dtype.kind not in "iuf" or arr.dtype.kind == "b":
        raise ValueError(f"{argument}: expected integers, got {value!r}")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValueError(f"{argument}: expected integers, got {arr.tolist()}")
    if arr.ndim != ndim:
        raise ValueError(f"{argument}: expected a {ndim}-D integer array, got shape {arr.shape}")
    return arr.astype(np.int64)


def _prob_array(value, argument: str, ndim: int, what: str):
    """A float64 probability array: validated with numpy when concrete, passed through if traced."""
    if _is_tracer(value):
        arr = jnp.asarray(value, dtype=jnp.float64)
        if arr.ndim != ndim:
            raise ValueError(f"{argument}: expected a {ndim}-D array, got shape {arr.shape}")
        return arr
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{argument}: expected a numeric array, got {value!r}") from err
    if arr.ndim != ndim:
        raise ValueError(f"{argument}: expected a {ndim}-D array, got shape {arr.shape}")
    check_stochastic(arr, argument, what)
    return arr


def _array_module(arrays):
    """``jax.numpy`` when any array is traced (``jit``/``vmap``), else ``numpy``.

    Concrete tables are built with numpy: eager JAX would compile small kernels for every new
    shape, which costs more than the arithmetic.
    """
    return jnp if any(_is_tracer(a) for a in arrays) else np


def _outer(vectors):
    """``t[x_1..x_n] = prod_i v_i[x_i]``, by broadcasting one position at a time."""
    xp = _array_module(vectors)
    t = xp.asarray(vectors[0])
    for v in vectors[1:]:
        t = t[..., None] * xp.reshape(xp.asarray(v), (1,) * t.ndim + (-1,))
    return t


def _batched_outer(matrices):
    """``t[c, x_1..x_n] = prod_i m_i[c, x_i]`` for ``(m, q_i)`` matrices."""
    xp = _array_module(matrices)
    t = xp.asarray(matrices[0])
    for mat in matrices[1:]:
        m = mat.shape[0]
        t = t[..., None] * xp.reshape(
            xp.asarray(mat), (m,) + (1,) * (t.ndim - 1) + (mat.shape[-1],)
        )
    return t


def _digit_sum(n: int, q: int, modulus: int | None = None) -> np.ndarray:
    """``x_1 + .. + x_n`` (reduced mod ``modulus`` if given) on the ``(q,)*n`` grid, as int32."""
    s = np.zeros((), dtype=np.int32)
    for _ in range(n):
        s = s[..., None] + np.arange(q, dtype=np.int32).reshape((1,) * s.ndim + (q,))
        if modulus is not None:
            s = s % modulus
    return s


# ------------------------------------------------------------------------------------------------
# Products
# ------------------------------------------------------------------------------------------------
@scoped_x64
def product(marginals: Sequence) -> Distribution:
    """The product law ``p(x) = prod_i p_i(x_i)`` (independent positions).

    Every subset entropy is additive, so ``Z ≡ 0`` and every schedule has KL 0 (docs/theory.md §5).

    Args:
      marginals: a sequence of ``n >= 1`` one-dimensional probability vectors; alphabets may
        differ. Each must be finite, non-negative and sum to 1 within 1e-9.

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.families.product([[0.5, 0.5], [0.2, 0.3, 0.5]]).shape
      (2, 3)
    """
    if _is_tracer(marginals) or isinstance(marginals, np.ndarray | jax.Array):
        if np.ndim(marginals) != 2:
            raise ValueError(
                f"marginals: expected a sequence of 1-D vectors, got shape {np.shape(marginals)}"
            )
        vectors = [marginals[i] for i in range(np.shape(marginals)[0])]
    else:
        try:
            vectors = list(marginals)
        except TypeError as err:
            raise ValueError("marginals: expected a sequence of 1-D probability vectors") from err
    if not vectors:
        raise ValueError("marginals: a law needs at least 1 position, got none")
    shape = tuple(int(np.shape(v)[0]) if np.ndim(v) == 1 else -1 for v in vectors)
    if -1 in shape:
        i = shape.index(-1)
        raise ValueError(
            f"marginals: entry {i} must be a 1-D vector, got shape {np.shape(vectors[i])}"
        )
    _guard_table(shape, "product", "marginals")
    vecs = [_prob_array(v, "marginals", 1, f"marginal {i}") for i, v in enumerate(vectors)]
    return Distribution.from_probs(_outer(vecs))


@scoped_x64
def random_product(key, n: int, q=2, alpha: float = 1.0) -> Distribution:
    """A product law with i.i.d. symmetric-Dirichlet marginals ``p_i ~ Dir(alpha · 1_{q_i})``.

    Args:
      key: a ``jax.random`` key (an int is taken as a seed).
      n: number of positions, ``>= 1``.
      q: alphabet size (shared) or a sequence of ``n`` sizes.
      alpha: Dirichlet concentration, ``> 0`` (small = peaked marginals).

    Usable under ``jax.vmap`` over keys.
    """
    n = as_positive_int(n, "n")
    qs = _as_alphabets(q, n)
    alpha = as_positive_float(alpha, "alpha")
    _guard_table(qs, "random product", "n")
    draws = log_gamma(as_key(key), sum(qs), alpha)
    ends = np.cumsum(qs)
    vecs = [dirichlet_rows(draws[e - q : e], (q,)) for q, e in zip(qs, ends, strict=True)]
    return Distribution.from_probs(_outer(vecs))


# ------------------------------------------------------------------------------------------------
# Codes
# ------------------------------------------------------------------------------------------------
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
    n = as_positive_int(n, "n")
    q = as_positive_int(q, "q")
    _guard_table((q,) * n, "repetition", "n")
    table = np.zeros((q,) * n)
    idx = np.arange(q)
    table[(idx,) * n] = 1.0 / q
    return Distribution.from_probs(table)


@scoped_x64
def parity(n: int, q: int = 2) -> Distribution:
    """The uniform law on ``{x in Z_q^n : x_1 + .. + x_n = 0 mod q}``.

    An MDS code of dimension ``d = n - 1``: ``Z_j = ln q · 1[j = n]``; a schedule's expected KL
    is ``ln q · 1[s_k >= 2]`` (docs/theory.md §5).
    """
    n = as_positive_int(n, "n")
    q = as_positive_int(q, "q")
    _guard_table((q,) * n, "parity", "n", copies=3)
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
    w = _as_int_array(shift, "shift", 1)
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
    g = _as_int_array(generator, "generator", 2)
    d, n = g.shape
    if d < 1 or n < 1:
        raise ValueError(f"generator: expected shape (d, n) with d, n >= 1, got {g.shape}")
    w = _as_shift(shift, n, q)
    _guard_table((q,) * n, "linear-code", "generator", copies=3)
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
    n = as_positive_int(n, "n")
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
        a = _as_int_array(points, "points", 1)
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


# ------------------------------------------------------------------------------------------------
# Noisy repetition
# ------------------------------------------------------------------------------------------------
@scoped_x64
def noisy_repetition(n: int, eta: float) -> Distribution:
    """The noisy repeated bit: ``U ~ Ber(1/2)``, ``X_i = U xor W_i``, ``W_i ~ Ber(eta)`` i.i.d.

    .. math:: p(x) = \\tfrac12\\left(\\eta^{k}(1-\\eta)^{n-k} + \\eta^{n-k}(1-\\eta)^{k}\\right),
              \\quad k = \\textstyle\\sum_i x_i.

    Its conditional-entropy profile ``g(m)`` has the closed form of docs/theory.md §5.

    Args:
      n: number of positions, ``>= 1``.
      eta: flip probability in ``[0, 1]`` (``0`` is the binary repetition law, ``1/2`` uniform).
    """
    n = as_positive_int(n, "n")
    eta = _as_probability(eta, "eta")
    _guard_table((2,) * n, "noisy-repetition", "n", copies=3)
    ones = _digit_sum(n, 2).astype(np.float64)  # k = number of ones
    # float ** float with 0.0 ** 0.0 = 1.0, so eta in {0, 1} is exact.
    table = 0.5 * (eta**ones * (1.0 - eta) ** (n - ones) + eta ** (n - ones) * (1.0 - eta) ** ones)
    return Distribution.from_probs(table)


# ------------------------------------------------------------------------------------------------
# Markov chains
# ------------------------------------------------------------------------------------------------
def _markov_table(initial, transitions):
    """``p(x) = mu(x_1) prod_t T_t[x_t, x_{t+1}]``, appending one position per transition."""
    xp = _array_module([initial, *transitions])
    t = xp.asarray(initial)
    for trans in transitions:
        t = t[..., None] * xp.reshape(xp.asarray(trans), (1,) * (t.ndim - 1) + trans.shape)
    return t


@scoped_x64
def markov_chain(initial, transition, n: int | None = None) -> Distribution:
    """A Markov chain ``p(x) = mu(x_1) prod_{t=1}^{n-1} T_t[x_t, x_{t+1}]``.

    Args:
      initial: the law ``mu`` of ``X_1``, a ``(q,)`` probability vector.
      transition: a ``(q, q)`` row-stochastic matrix (homogeneous chain) or an ``(n-1, q, q)``
        stack ``T_1..T_{n-1}`` (non-homogeneous).
      n: number of positions, ``>= 1``; required for a homogeneous chain, inferred (or checked)
        for a stack.

    Examples:
      >>> import mdmjax as mdm
      >>> d = mdm.families.markov_chain([0.5, 0.5], [[0.9, 0.1], [0.1, 0.9]], n=4)
      >>> d.shape
      (2, 2, 2, 2)
    """
    mu = _prob_array(initial, "initial", 1, "the initial law")
    q = int(mu.shape[0])
    ndim = np.ndim(transition)
    if ndim not in (2, 3):
        raise ValueError(
            f"transition: expected shape (q, q) or (n-1, q, q), got {np.shape(transition)}"
        )
    trans = _prob_array(transition, "transition", ndim, "every transition row")
    if tuple(trans.shape[-2:]) != (q, q):
        raise ValueError(
            f"transition: expected (.., {q}, {q}) to match initial's {q} values, got "
            f"{tuple(trans.shape)}"
        )
    n = chain_length(n, int(trans.shape[0]) if ndim == 3 else None)
    _guard_table((q,) * n, "Markov-chain", "n")
    steps = [trans if ndim == 2 else trans[t] for t in range(n - 1)]
    return Distribution.from_probs(_markov_table(mu, steps))


def _stationary(trans: jax.Array) -> jax.Array:
    """The stationary law ``pi = pi T``: solve ``pi (I - T + 1 1^T) = 1^T`` (unique if ergodic)."""
    return clip_normalize(solve_stationary(trans, jnp), jnp)


@scoped_x64
def random_markov_chain(
    key, n: int, q: int = 2, concentration: float = 1.0, stationary: bool = False
) -> Distribution:
    """A homogeneous Markov chain with Dirichlet-random initial law and transition rows.

    ``mu ~ Dir(c · 1_q)`` and each row ``T[a, :] ~ Dir(c · 1_q)`` independently, ``c`` the
    concentration. With ``stationary=True`` the chain starts from the stationary law of ``T``
    (then every position has the same marginal).

    Args:
      key: a ``jax.random`` key (an int is taken as a seed).
      n: number of positions, ``>= 1``.
      q: alphabet size, ``>= 1``.
      concentration: Dirichlet concentration ``c > 0`` (small = nearly deterministic).
      stationary: start from the stationary law instead of a random one.

    Usable under ``jax.vmap`` over keys.
    """
    n = as_positive_int(n, "n")
    q = as_positive_int(q, "q")
    c = as_positive_float(concentration, "concentration")
    if not isinstance(stationary, bool | np.bool_):
        raise ValueError(f"stationary: expected True or False, got {stationary!r}")
    _guard_table((q,) * n, "random Markov-chain", "n")
    trans, mu = random_markov_parameters(as_key(key), q, c)
    if stationary:
        mu = _stationary(trans)
    return Distribution.from_probs(_markov_table(mu, [trans] * (n - 1)))


# ------------------------------------------------------------------------------------------------
# Ising model
# ------------------------------------------------------------------------------------------------
def _grid_shape(n, rows, cols) -> tuple[int, int]:
    if rows is None and cols is None:
        if n is None:
            raise ValueError("rows: a grid needs rows and cols (or n)")
        n = as_positive_int(n, "n")
        rows = max(r for r in range(1, math.isqrt(n) + 1) if n % r == 0)
        return rows, n // rows
    if rows is None or cols is None:
        if n is None:
            missing = "rows" if rows is None else "cols"
            raise ValueError(f"{missing}: a grid needs both rows and cols (or n)")
        n = as_positive_int(n, "n")
        known_name, known = ("rows", rows) if cols is None else ("cols", cols)
        known = as_positive_int(known, known_name)
        if n % known:
            raise ValueError(f"{known_name}: {known} does not divide n = {n}")
        return (known, n // known) if cols is None else (n // known, known)
    rows = as_positive_int(rows, "rows")
    cols = as_positive_int(cols, "cols")
    if n is not None and as_positive_int(n, "n") != rows * cols:
        raise ValueError(f"n: a {rows} x {cols} grid has {rows * cols} nodes, got n = {n}")
    return rows, cols


def _ising_edges(graph, n, rows, cols, edges) -> tuple[int, np.ndarray]:
    """``(n, E)`` with ``E`` an ``(m, 2)`` int array of edges ``i < j`` (0-indexed nodes)."""
    if edges is not None:
        if graph is not None:
            raise ValueError("graph: give either a named graph or explicit edges, not both")
        e = _as_int_array(edges, "edges", 2) if np.size(edges) else np.zeros((0, 2), np.int64)
        if e.shape[1] != 2:
            raise ValueError(f"edges: expected pairs (shape (m, 2)), got shape {e.shape}")
        if np.any(e < 0):
            raise ValueError("edges: node indices must be >= 0")
        if np.any(e[:, 0] == e[:, 1]):
            raise ValueError("edges: self-loops (i, i) are not allowed")
        if n is None and e.size == 0:
            raise ValueError("n: required when edges is empty")
        n = int(e.max()) + 1 if n is None else as_positive_int(n, "n")
        if e.size and e.max() >= n:
            raise ValueError(f"edges: node {int(e.max())} is out of range for n = {n}")
        return n, np.sort(e, axis=1)
    if graph not in ISING_GRAPHS:
        raise ValueError(f"graph: expected one of {ISING_GRAPHS} (or edges=...), got {graph!r}")
    if graph == "grid":
        rows, cols = _grid_shape(n, rows, cols)
        node = np.arange(rows * cols).reshape(rows, cols)
        right = np.stack([node[:, :-1].ravel(), node[:, 1:].ravel()], axis=1)
        down = np.stack([node[:-1, :].ravel(), node[1:, :].ravel()], axis=1)
        return rows * cols, np.concatenate([right, down]).reshape(-1, 2)
    if n is None:
        raise ValueError(f"n: required for graph={graph!r}")
    n = as_positive_int(n, "n")
    i = np.arange(n)
    if graph == "chain":
        return n, np.stack([i[:-1], i[1:]], axis=1)
    if graph == "cycle":
        if n < 3:
            raise ValueError(f"n: a cycle needs n >= 3 nodes, got {n}")
        return n, np.concatenate([np.stack([i[:-1], i[1:]], axis=1), [[0, n - 1]]])
    a, b = np.triu_indices(n, k=1)  # complete graph
    return n, np.stack([a, b], axis=1)


@scoped_x64
def ising(
    graph: str | None = None,
    n: int | None = None,
    rows: int | None = None,
    cols: int | None = None,
    coupling=1.0,
    field=0.0,
    edges=None,
) -> Distribution:
    """An Ising model ``p(x) ∝ exp(sum_{ij in E} J_ij s_i s_j + sum_i h_i s_i)``, ``s = 2x - 1``.

    Position ``i`` takes ``x_i in {0, 1}`` (spin ``s_i = -1, +1``). The normalization uses a
    stable log-sum-exp, so large couplings do not overflow.

    Args:
      graph: ``"chain"`` (``i ~ i+1``), ``"cycle"`` (chain plus ``0 ~ n-1``, ``n >= 3``),
        ``"grid"`` (``rows x cols``, node ``r * cols + c``, right and down neighbours) or
        ``"complete"``. Leave ``None`` and pass ``edges`` for any other graph.
      n: number of nodes (for a grid, inferred from ``rows * cols``; with ``edges``, defaults to
        the largest index + 1).
      rows, cols: grid dimensions; with ``n``, one of them may be left out (or both: then
        ``rows`` is the largest divisor of ``n`` that is ``<= sqrt(n)``).
      coupling: ``J``, a scalar or one value per edge, in the graph's edge order: chain
        ``(i, i+1)``; cycle the chain then ``(0, n-1)``; grid the horizontal edges row by row,
        then the vertical ones; complete ``(i, j)``, ``i < j``, lexicographic; else ``edges``.
      field: ``h``, a scalar or one value per node.
      edges: explicit ``(m, 2)`` integer pairs ``(i, j)``, ``i != j``.

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.families.ising("grid", rows=2, cols=3, coupling=0.5).shape
      (2, 2, 2, 2, 2, 2)
    """
    n, e = _ising_edges(graph, n, rows, cols, edges)
    j = as_per_item(coupling, e.shape[0], "coupling", "edge")
    h = as_per_item(field, n, "field", "node")
    _guard_table((2,) * n, "Ising", "n", copies=2 + n)
    # Spins of every state, C order (position 0 most significant), shape (2^n, n).
    bits = (np.arange(2**n)[:, None] >> (n - 1 - np.arange(n))[None, :]) & 1
    spins = 2.0 * bits - 1.0
    coupling_matrix = np.zeros((n, n))
    np.add.at(coupling_matrix, (e[:, 0], e[:, 1]), j)  # repeated edges add up
    energy = np.sum((spins @ coupling_matrix) * spins, axis=1) + spins @ h
    # Stable log-sum-exp: shift by the largest energy before exponentiating.
    top = energy.max()
    log_p = energy - (top + np.log(np.sum(np.exp(energy - top))))
    return Distribution.from_probs(np.exp(log_p).reshape((2,) * n))


# ------------------------------------------------------------------------------------------------
# Mixtures and Dirichlet laws
# ------------------------------------------------------------------------------------------------
@scoped_x64
def mixture_of_products(weights, marginals) -> Distribution:
    """A finite mixture of product laws ``p(x) = sum_c w_c prod_i m[c, i, x_i]``.

    Args:
      weights: ``(m,)`` mixture weights (a probability vector).
      marginals: ``(m, n, q)`` array; ``marginals[c, i]`` is component ``c``'s law of ``X_i``.

    Examples:
      >>> import mdmjax as mdm
      >>> w, m = [0.5, 0.5], [[[1.0, 0.0]] * 3, [[0.0, 1.0]] * 3]
      >>> float(mdm.families.mixture_of_products(w, m).probs[1, 1, 1])
      0.5
    """
    w = _prob_array(weights, "weights", 1, "the mixture weights")
    marg = _prob_array(marginals, "marginals", 3, "every marginal")
    m, n, q = (int(s) for s in marg.shape)
    if m != int(w.shape[0]):
        raise ValueError(
            f"marginals: has {m} components (axis 0) but weights has {int(w.shape[0])}"
        )
    _guard_table((q,) * n, "mixture", "marginals", copies=m + 2)
    return Distribution.from_probs(_mixture_table(w, marg))


def _mixture_table(w: jax.Array, marg: jax.Array) -> jax.Array:
    comps = _batched_outer([marg[:, i, :] for i in range(marg.shape[1])])  # (m, q, .., q)
    return _array_module([w, comps]).tensordot(w, comps, axes=1)


@scoped_x64
def random_mixture_of_products(
    key, n: int, q: int = 2, components: int = 2, alpha: float = 1.0
) -> Distribution:
    """A random mixture of ``components`` product laws.

    Weights ``w ~ Dir(1_m)`` (uniform on the simplex); every marginal ``m[c, i] ~ Dir(alpha 1_q)``
    independently.

    Args:
      key: a ``jax.random`` key (an int is taken as a seed).
      n: number of positions, ``>= 1``.
      q: alphabet size, ``>= 1``.
      components: number of mixture components ``m >= 1`` (``1`` gives a product law).
      alpha: Dirichlet concentration of the marginals, ``> 0``.

    Usable under ``jax.vmap`` over keys.
    """
    n = as_positive_int(n, "n")
    q = as_positive_int(q, "q")
    m = as_positive_int(components, "components")
    alpha = as_positive_float(alpha, "alpha")
    _guard_table((q,) * n, "random mixture", "n", copies=m + 2)
    w, marg = random_mixture_parameters(as_key(key), m, n, q, alpha)
    return Distribution.from_probs(_mixture_table(w, marg))


@scoped_x64
def dirichlet(key, shape: Sequence[int], alpha: float = 1.0) -> Distribution:
    """A random joint table ``p ~ Dir(alpha · 1)`` over all ``prod(shape)`` states.

    ``alpha = 1`` is uniform on the simplex; small ``alpha`` gives sparse, strongly dependent laws.

    Args:
      key: a ``jax.random`` key (an int is taken as a seed).
      shape: alphabet sizes ``(q_1, .., q_n)``, ``n >= 1``.
      alpha: concentration, ``> 0``.

    Usable under ``jax.vmap`` over keys.

    Examples:
      >>> import jax, mdmjax as mdm
      >>> keys = jax.random.split(jax.random.key(0), 4)
      >>> jax.vmap(lambda k: mdm.families.dirichlet(k, (2, 3)).probs)(keys).shape
      (4, 2, 3)
    """
    if np.ndim(shape) == 0:
        raise ValueError(f"shape: expected a sequence of alphabet sizes, got {shape!r}")
    shp = tuple(as_positive_int(s, "shape") for s in np.asarray(shape).tolist())
    if not shp:
        raise ValueError("shape: a law needs at least 1 position, got ()")
    alpha = as_positive_float(alpha, "alpha")
    _guard_table(shp, "Dirichlet", "shape", copies=3)
    flat = dirichlet_rows(log_gamma(as_key(key), math.prod(shp), alpha), (-1,))
    return Distribution.from_probs(flat.reshape(shp))


# ------------------------------------------------------------------------------------------------
# Registry (for the CLI)
# ------------------------------------------------------------------------------------------------
FAMILY_NAMES = (
    "product",
    "repetition",
    "parity",
    "linear_code",
    "reed_solomon",
    "noisy_repetition",
    "markov",
    "ising",
    "mixture",
    "dirichlet",
)

_DEFAULT_KEY_SEED = 0


def _call(fn, family: str, args: dict, params: dict):
    """Call ``fn(**args, **params)``, turning an unknown parameter into a ``ValueError``."""
    accepted = [p for p in inspect.signature(fn).parameters if p not in args]
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise ValueError(
            f"params: unknown parameter(s) {unknown} for family {family!r}; accepted: {accepted}"
        )
    return fn(**args, **params)


def _binary_only(family: str, q) -> None:
    if q is not None and as_positive_int(q, "q") != 2:
        raise ValueError(f"q: the {family} family is binary (q = 2), got q = {q}")


@scoped_x64
def by_name(name: str, n: int, q: int | None = None, key=None, **params) -> Distribution:
    """A named family with sensible defaults, for the CLI and quick experiments.

    ====================  ==========================================================================
    name                  law (defaults)
    ====================  ==========================================================================
    ``product``           :func:`product` if ``marginals`` is given, else :func:`random_product`
    ``repetition``        :func:`repetition` (``q = 2``)
    ``parity``            :func:`parity` (``q = 2``)
    ``linear_code``       :func:`linear_code`; without ``generator``, a random ``(n//2, n)`` one
                          over ``F_q`` drawn from ``key`` (``q = 2``)
    ``reed_solomon``      :func:`reed_solomon` (``q`` = smallest prime ``> n``, ``d = 2``)
    ``noisy_repetition``  :func:`noisy_repetition` (``eta = 0.1``; binary)
    ``markov``            :func:`markov_chain` if ``initial``/``transition`` are given, else
                          :func:`random_markov_chain` (``q = 2``)
    ``ising``             :func:`ising` (``graph = "chain"``, ``coupling = 0.5``; binary)
    ``mixture``           :func:`mixture_of_products` if ``weights``/``marginals`` are given, else
                          :func:`random_mixture_of_products` (``q = 2``)
    ``dirichlet``         :func:`dirichlet` on shape ``(q,)*n`` (``q = 2``)
    ====================  ==========================================================================

    Args:
      name: one of :data:`FAMILY_NAMES`.
      n: number of positions.
      q: alphabet size (family default when ``None``).
      key: a ``jax.random`` key or int seed for random families (default: seed 0).
      **params: passed on to the constructor (e.g. ``d=3``, ``eta=0.2``, ``coupling=1.0``).

    Raises:
      ValueError: unknown ``name`` (the message lists the valid ones), unknown parameters, or
        any error of the constructor.

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.families.by_name("reed_solomon", 4).shape  # q = 5, d = 2
      (5, 5, 5, 5)
    """
    if name not in FAMILY_NAMES:
        valid = ", ".join(FAMILY_NAMES)
        raise ValueError(f"name: unknown family {name!r}; valid names are {valid}")
    n = as_positive_int(n, "n")
    key = as_key(_DEFAULT_KEY_SEED if key is None else key)
    qq = 2 if q is None else q
    if name == "product":
        if "marginals" in params:
            return _call(product, name, {}, params)
        return _call(random_product, name, {"key": key, "n": n, "q": qq}, params)
    if name == "repetition":
        return _call(repetition, name, {"n": n, "q": qq}, params)
    if name == "parity":
        return _call(parity, name, {"n": n, "q": qq}, params)
    if name == "linear_code":
        if "generator" not in params:
            qp = as_prime(qq, "q")
            rows = int(params.pop("d", max(1, n // 2)))
            params["generator"] = np.asarray(jax.random.randint(key, (rows, n), 0, qp))
        return _call(linear_code, name, {"q": qq}, params)
    if name == "reed_solomon":
        params.setdefault("d", 2 if n >= 2 else 1)
        args = {"n": n, "q": smallest_prime_above(n) if q is None else q}
        return _call(reed_solomon, name, args, params)
    if name == "noisy_repetition":
        _binary_only(name, q)
        params.setdefault("eta", 0.1)
        return _call(noisy_repetition, name, {"n": n}, params)
    if name == "markov":
        if "initial" in params or "transition" in params:
            return _call(markov_chain, name, {"n": n}, params)
        return _call(random_markov_chain, name, {"key": key, "n": n, "q": qq}, params)
    if name == "ising":
        _binary_only(name, q)
        if "edges" not in params:
            params.setdefault("graph", "chain")
        params.setdefault("coupling", 0.5)
        return _call(ising, name, {"n": n}, params)
    if name == "mixture":
        if "weights" in params or "marginals" in params:
            return _call(mixture_of_products, name, {}, params)
        return _call(random_mixture_of_products, name, {"key": key, "n": n, "q": qq}, params)
    # dirichlet
    return _call(dirichlet, name, {"key": key, "shape": (qq,) * n}, params)
