"""Exact information curves of Markov chains at any ``n`` (no enumeration).

A sub-sequence of a Markov chain is a Markov chain with multi-step transitions, so every
conditional entropy depends only on nearest revealed neighbours. With ``h(a) = H(X_a)`` and
``c(a, b) = H(X_b | X_a) = sum_x mu_a(x) H(P_{a->b}(x, .))`` for ``a < b``:

* only a left neighbour ``a``:       ``H(X_i | X_S) = c(a, i)``;
* only a right neighbour ``b``:      ``H(X_i | X_S) = h(i) + c(i, b) - h(b)``;
* both, ``a < i < b``:                ``H(X_i | X_S) = c(a, i) + c(i, b) - c(a, b)``.

Draw ``(S, i)`` as a uniform ``(j+1)``-subset ``T = {t_1 < .. < t_{j+1}}`` and a uniform element
``i`` of ``T``. Summing the three cases over ``i in T`` telescopes to

.. math::

   (j+1)\\, g(j) = E\\Big[h(t_1) - h(t_2) + 2\\sum_{m} c(t_m, t_{m+1})
                   - \\sum_{m} c(t_{m-1}, t_{m+1})\\Big].

A pair ``a < b = a + d`` is consecutive in ``T`` for ``C(n-1-d, j-1)`` of the ``C(n, j+1)``
subsets, and has exactly one element of ``T`` between it for ``(d-1) C(n-1-d, j-2)`` of them;
``t_1 = a`` for ``C(n-1-a, j)`` and ``t_2 = b`` for ``b C(n-1-b, j-1)``. Both pair counts depend on
the gap ``d`` only, so with ``T(d) = sum_a c(a, a+d)`` the whole profile costs ``O(n^2)``:

.. math::

   (j+1)\\, g(j) = \\sum_a h(a) V_j(a) - \\sum_b b\\, h(b) W_j(b)
                 + \\sum_d T(d) \\big(2 W_j(d) - U_j(d)\\big),

   V_j(a) = \\frac{\\binom{n-1-a}{j}}{\\binom{n}{j+1}}, \\quad
   W_j(d) = \\frac{\\binom{n-1-d}{j-1}}{\\binom{n}{j+1}}, \\quad
   U_j(d) = \\frac{(d-1)\\binom{n-1-d}{j-2}}{\\binom{n}{j+1}}.

These probability weights are carried from ``j`` to ``j + 1`` by exact rational ratios inside a
``lax.scan`` (never forming a binomial coefficient: the log-space values ``log C(n, j)`` reach
``~ 7000`` at ``n = 10^4``, where float64 keeps only ``1e-12`` of them). Then
``Z_j = g(0) - g(j-1)`` (docs/theory.md §2). Nothing large cancels: the result matches
enumeration to
``1e-13`` and stays non-decreasing to rounding.

Cost: ``O(n q^3 + n^2)`` for a homogeneous chain, ``O(n^2 q^3)`` for a non-homogeneous one.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from mdmjax._src.markov import chain_length, clip_normalize, solve_stationary
from mdmjax._src.memory import check_allocation
from mdmjax._src.numerics import entropy
from mdmjax._src.precision import scoped_x64
from mdmjax._src.tolerances import STATIONARY_NEGATIVE_TOLERANCE, STATIONARY_TOLERANCE
from mdmjax._src.validate import as_per_item, as_positive_int, as_stochastic
from mdmjax.curves._curve import InformationCurve
from mdmjax.curves._exact_z import exact_curve

__all__ = ["markov_chain_curve", "ising_chain", "stationary_law", "conditional_entropy_profile"]

BLOCKED_ABOVE_N = 2048  # non-homogeneous chains longer than this scan their gaps in 4 blocks


# ------------------------------------------------------------------------------------------------
# Validation
# ------------------------------------------------------------------------------------------------


@scoped_x64
def stationary_law(transition) -> np.ndarray:
    """A stationary law ``pi = pi P`` of a ``(q, q)`` row-stochastic matrix.

    Solves ``pi (I - P + 1 1^T) = 1^T``, unique when ``P`` has a single recurrent class.

    Raises:
      ValueError: ``transition`` is not row-stochastic or has no unique stationary law.

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> mdm.curves.stationary_law(np.array([[0.9, 0.1], [0.2, 0.8]])).round(12).tolist()
      [0.666666666667, 0.333333333333]
    """
    p = as_stochastic(transition, "transition", (2,), "every transition row")
    q = p.shape[0]
    if p.shape != (q, q):
        raise ValueError(f"transition: expected a square (q, q) matrix, got shape {p.shape}")
    try:
        pi = solve_stationary(p, np)
    except np.linalg.LinAlgError as err:
        raise ValueError("transition: the stationary law is not unique") from err
    if np.any(pi < -STATIONARY_NEGATIVE_TOLERANCE) or not np.allclose(
        pi @ p, pi, atol=STATIONARY_TOLERANCE
    ):
        raise ValueError("transition: the stationary law is not unique")
    return clip_normalize(pi, np)


# ------------------------------------------------------------------------------------------------
# Pair terms T(d) = sum_a c(a, a + d)
# ------------------------------------------------------------------------------------------------
def _row_entropies(p: jax.Array) -> jax.Array:
    """``H(p[..., x, :])`` for every row, in nats."""
    return entropy(p)


@functools.partial(jax.jit, static_argnames=("n",))
def _homogeneous_terms(mu0: jax.Array, p: jax.Array, n: int):
    """``h(a)`` for ``a < n`` and ``T(d)`` for ``d = 1..n-1`` of a homogeneous chain."""

    def marginal(m, _):
        return m @ p, m

    _, mus = jax.lax.scan(marginal, mu0, None, length=n)  # mus[a] = mu_a

    def power(pd, _):
        return pd @ p, _row_entropies(pd)

    _, e = jax.lax.scan(power, p, None, length=n - 1)  # e[d-1, x] = H(P^d(x, .))
    # sum_{a=0}^{n-1-d} mu_a = cum[n-1-d]; reversed so that row d-1 belongs to gap d.
    cum = jnp.cumsum(mus, axis=0)[: n - 1][::-1]
    return _row_entropies(mus), jnp.sum(cum * e, axis=1)


@jax.jit
def _chain_marginals(mu0: jax.Array, steps: jax.Array) -> jax.Array:
    """``mu_a`` for ``a = 0..n-1`` of the chain ``mu0, P_0, .., P_{n-2}``, shape ``(n, q)``."""

    def marginal(m, pt):
        return m @ pt, m

    last, mus = jax.lax.scan(marginal, mu0, steps)
    return jnp.concatenate([mus, last[None]], axis=0)


@functools.partial(jax.jit, static_argnames=("d0", "d1"))
def _gap_block(prod, mus_t, steps_t, d0: int, d1: int):
    """``T(d)`` for ``d0 <= d < d1``; ``prod[:, :, a] = P_{a -> a+d0}`` for the ``L = n - d0``
    starts ``a`` that have such a gap. Layout ``(q, q, L)`` keeps the long axis minor."""
    length = prod.shape[-1]
    starts = jnp.arange(length)
    n = length + d0

    def gap(prod, d):
        ent = entropy(prod, axis=1)  # (q, L): H(P_{a -> a+d}(x, .))
        t = jnp.sum(jnp.where((starts + d <= n - 1)[None, :], mus_t * ent, 0.0))
        nxt = jax.lax.dynamic_slice_in_dim(steps_t, d, length, axis=2)  # P_{a+d}
        return jnp.einsum("xya,yza->xza", prod, nxt), t

    return jax.lax.scan(gap, prod, jnp.arange(d0, d1))


def _inhomogeneous_terms(mu0: jax.Array, steps: jax.Array, n: int):
    """``h(a)`` and ``T(d)`` for the chain ``mu0, P_0, .., P_{n-2}`` (``steps[t] = P_t``).

    ``O(n^2 q^3)``: the products ``P_{a -> a+d}`` for all starts ``a`` are carried from gap ``d``
    to ``d + 1``. Gaps are processed in ``blocks`` ranges, each on the starts that still have a
    partner (``a <= n - 1 - d``), which nearly halves the work of one fixed-shape scan (each
    block compiles once, so small ``n`` uses one block).
    """
    blocks = 1 if n <= BLOCKED_ABOVE_N else 4
    mus = _chain_marginals(mu0, steps)
    q = steps.shape[-1]
    steps_t = jnp.transpose(steps, (1, 2, 0))  # (q, q, n-1)
    # Padding past the end is never used by a valid start (masked), it only keeps shapes static.
    steps_t = jnp.concatenate([steps_t, jnp.broadcast_to(jnp.eye(q)[:, :, None], (q, q, n))], 2)
    mus_t = mus.T
    edges = sorted({1 + (n - 1) * b // blocks for b in range(blocks)} | {n})
    prod = steps_t[:, :, : n - 1]
    out = []
    for d0, d1 in zip(edges[:-1], edges[1:], strict=True):  # a loop over gap blocks
        length = n - d0
        prod, t = _gap_block(prod[:, :, :length], mus_t[:, :length], steps_t, d0, d1)
        out.append(t)
    return _row_entropies(mus), jnp.concatenate(out)


# ------------------------------------------------------------------------------------------------
# The profile g(j), j = 0..n-1
# ------------------------------------------------------------------------------------------------
@functools.partial(jax.jit, static_argnames=("n",))
def _profile(h: jax.Array, t: jax.Array, n: int) -> jax.Array:
    """``g(j)`` for ``j = 0..n-1`` from ``h(a)`` (length ``n``) and ``T(d)`` (length ``n-1``)."""
    nf = float(n)
    d = jnp.arange(1, n, dtype=jnp.float64)  # gaps (and second-smallest positions b)
    a = jnp.arange(n, dtype=jnp.float64)  # smallest positions
    hb = h[1:] * d
    w_first = jnp.full((n - 1,), 2.0 / (nf * (nf - 1.0)))  # W_1(d)
    c3 = nf * (nf - 1.0) * (nf - 2.0) / 6.0
    u_first = (d - 1.0) / jnp.maximum(c3, 1.0)  # U_2(d)

    def body(carry, j):
        w, u, v = carry
        jf = j.astype(jnp.float64)
        g = (jnp.dot(h, v) - jnp.dot(hb, w) + jnp.dot(t, 2.0 * w - u)) / (jf + 1.0)
        # Ratios C(n, j+1) / C(n, j+2) times the numerator's ratio; clipped at 0 past the support.
        top = (jf + 2.0) / jnp.maximum(nf - jf - 1.0, 1.0)
        w_next = w * jnp.clip(nf - d - jf, 0.0, None) / jnp.maximum(jf, 1.0) * top
        u_next = u * jnp.clip(nf - d - jf + 1.0, 0.0, None) / jnp.maximum(jf - 1.0, 1.0) * top
        v_next = v * jnp.clip(nf - 1.0 - a - jf, 0.0, None) / (jf + 1.0) * top
        w_next = jnp.where(j == 0, w_first, w_next)
        u_next = jnp.where(j == 1, u_first, jnp.where(j == 0, 0.0, u_next))
        return (w_next, u_next, v_next), g

    init = (jnp.zeros(n - 1), jnp.zeros(n - 1), jnp.full((n,), 1.0 / nf))
    _, g = jax.lax.scan(body, init, jnp.arange(n))
    return g


@scoped_x64
def conditional_entropy_profile(h, pair_terms) -> np.ndarray:
    """``g(j) = E H(X_i | X_S)``, ``|S| = j``, of a Markov chain from its entropies.

    Args:
      h: ``(n,)`` marginal entropies ``h(a) = H(X_a)``.
      pair_terms: ``(n-1,)`` values ``T(d) = sum_a H(X_{a+d} | X_a)``, ``d = 1..n-1``.

    Returns:
      ``(n,)`` float64 array ``g(0..n-1)`` (module docstring for the formula).
    """
    h = jnp.asarray(h, dtype=jnp.float64)
    n = int(h.shape[0])
    if n == 1:
        return np.asarray(h)
    return np.asarray(_profile(h, jnp.asarray(pair_terms, dtype=jnp.float64), n))


def _curve_from_profile(g: np.ndarray, h: np.ndarray) -> InformationCurve:
    return exact_curve(g[0] - g, h1=float(np.mean(h)))


# ------------------------------------------------------------------------------------------------
# Public constructors
# ------------------------------------------------------------------------------------------------
@scoped_x64
def markov_chain_curve(initial, transition, n: int | None = None) -> InformationCurve:
    """The exact information curve of a Markov chain, at any ``n``, in ``O(n^2)``.

    ``p(x) = mu(x_1) prod_{t=1}^{n-1} P_t[x_t, x_{t+1}]``. The chain need not start from its
    stationary law. ``Hbar_j`` averages over all ``C(n, j)`` subsets exactly by counting how many
    subsets have given consecutive elements (module docstring; Chen–Cong–Li 2026, §2 defines
    ``Z``). No table of size ``q^n`` is formed.

    Args:
      initial: the law ``mu`` of ``X_1``, a ``(q,)`` probability vector, or ``"stationary"``
        (the stationary law of a homogeneous ``transition``).
      transition: a ``(q, q)`` row-stochastic matrix (homogeneous) or an ``(n-1, q, q)`` stack
        ``P_1..P_{n-1}`` (non-homogeneous).
      n: number of positions; required for a homogeneous chain, inferred (or checked) for a stack.

    Returns:
      an :class:`InformationCurve` with ``z`` and ``hbar`` in nats.

    Raises:
      ValueError: a law or matrix is not stochastic, shapes disagree, or ``n`` is missing.

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> c = mdm.curves.markov_chain_curve("stationary", [[0.9, 0.1], [0.1, 0.9]], n=10_000)
      >>> c.n, round(c.tc, 6) > 0
      (10000, True)
    """
    tr = as_stochastic(transition, "transition", (2, 3), "every transition row")
    q = int(tr.shape[-1])
    if tr.shape[-2] != q:
        raise ValueError(f"transition: expected (.., q, q) square matrices, got {tr.shape}")
    n = chain_length(n, int(tr.shape[0]) if tr.ndim == 3 else None)
    if isinstance(initial, str):
        if initial != "stationary":
            raise ValueError(
                f"initial: expected a probability vector or 'stationary', got {initial!r}"
            )
        if tr.ndim == 3:
            raise ValueError("initial: 'stationary' needs a homogeneous (q, q) transition")
        mu = stationary_law(tr)
    else:
        mu = as_stochastic(initial, "initial", (1,), "the initial law")
    if mu.shape[0] != q:
        raise ValueError(f"initial: has {mu.shape[0]} values but transition has q = {q}")
    mu0 = jnp.asarray(mu)
    if n == 1:
        h = np.asarray(_row_entropies(mu0))[None]
        return _curve_from_profile(h, h)
    if tr.ndim == 3 and np.all(tr == tr[:1]):
        tr = tr[0]
    if tr.ndim == 2:
        check_allocation(
            (4 * n * q + 8 * n) * 8, f"the Markov-chain terms for n = {n}", argument="n"
        )
        h, t = _homogeneous_terms(mu0, jnp.asarray(tr), n)
    else:
        check_allocation(
            4 * n * q * q * 8,
            f"the multi-step transition stack for n = {n}, q = {q}",
            hint="A homogeneous (q, q) transition needs O(n q) memory only.",
            argument="transition",
        )
        h, t = _inhomogeneous_terms(mu0, jnp.asarray(tr), n)
    h = np.asarray(h)
    return _curve_from_profile(conditional_entropy_profile(h, t), h)


@scoped_x64
def ising_chain_as_markov(n: int, coupling=1.0, field=0.0) -> tuple[np.ndarray, np.ndarray]:
    """The Ising chain as a Markov chain: ``(initial, transitions)`` with ``(n-1, 2, 2)`` steps.

    ``p(x) ∝ exp(sum_i J_i s_i s_{i+1} + sum_i h_i s_i)``, ``s = 2x - 1``. Backward messages
    ``log beta_i(x) = logsumexp_y (J_i s(x) s(y) + h_{i+1} s(y) + log beta_{i+1}(y))`` give
    ``P_i[x, y] ∝ exp(J_i s(x) s(y) + h_{i+1} s(y)) beta_{i+1}(y)``, computed in log space.
    """
    n = as_positive_int(n, "n")
    j = as_per_item(coupling, n - 1, "coupling", "edge")
    h = as_per_item(field, n, "field", "node")
    s = np.array([-1.0, 1.0])
    log_beta = np.zeros((n, 2))
    logits = np.zeros((max(n - 1, 0), 2, 2))
    for i in range(n - 2, -1, -1):  # loop over positions (backward messages)
        logits[i] = j[i] * s[:, None] * s[None, :] + (h[i + 1] * s + log_beta[i + 1])[None, :]
        m = logits[i].max(axis=1, keepdims=True)
        log_beta[i] = (m + np.log(np.exp(logits[i] - m).sum(axis=1, keepdims=True)))[:, 0]
    init = h[0] * s + log_beta[0]
    init = np.exp(init - init.max())
    steps = np.exp(logits - logits.max(axis=2, keepdims=True))
    return init / init.sum(), steps / steps.sum(axis=2, keepdims=True)


@scoped_x64
def ising_chain(n: int, coupling=1.0, field=0.0) -> InformationCurve:
    """The exact information curve of the Ising chain ``p(x) ∝ exp(sum J s_i s_{i+1} + sum h s_i)``.

    Spins ``s_i = 2 x_i - 1`` with ``x_i in {0, 1}`` (as ``mdm.families.ising("chain", ...)``). A
    chain-structured Ising model is a (non-homogeneous, if fields or couplings vary) Markov chain,
    so :func:`markov_chain_curve` evaluates it exactly.

    Args:
      n: number of nodes.
      coupling: ``J``, a scalar or ``n - 1`` values (edge ``(i, i+1)``).
      field: ``h``, a scalar or ``n`` values.

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.curves.ising_chain(3, coupling=0.0).z.round(12).tolist()  # independent spins
      [0.0, 0.0, 0.0]
    """
    n = as_positive_int(n, "n")
    if n == 1:
        h = as_per_item(field, 1, "field", "node")[0]
        mu = np.exp(np.array([-h, h]) - abs(h))
        return markov_chain_curve(mu / mu.sum(), np.eye(2), n=1)
    init, steps = ising_chain_as_markov(n, coupling, field)
    return markov_chain_curve(init, steps)
