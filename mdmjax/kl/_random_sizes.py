"""Random-size schedules: the step sizes are random, the expected KL is exact.

A random-size schedule is a Markov chain on the revealed count ``N_0 = 0 -> N_1 -> .. -> N_T = n``
with per-step kernels ``K_t[m, m'] = P(N_t = m' | N_{t-1} = m)`` (zero for ``m' < m``). The
positions revealed at a step are a uniformly random subset of the masked ones, as in MDLM/MD4
ancestral sampling, so given the sizes the expected KL is Theorem 4 (Chen–Cong–Li 2026), and over
the sizes it is the average of Theorem 4 (Zhao–Cai 2026; docs/theory.md §4):

.. math::

   E\\,KL = \\sum_{t=1}^{T} \\sum_{m \\le m'} P(N_{t-1} = m)\\, K_t[m, m']\\, c(m, m'),
   \\qquad c(m, m') = \\sum_{j=m+1}^{m'} (Z_j - Z_{m+1}),

with ``c(m, m) = 0``: a step that reveals nothing costs nothing. It is computed exactly by a
forward DP over the revealed count (``lax.scan`` over steps, ``O(T n^2)``), not by sampling.

For :func:`binomial` schedules there is a faster exact route, ``O(T n)``. Since
``c(m, m') = G(m') - G(m) - (m' - m) Z_{m+1}`` with ``G(j) = Z_1 + .. + Z_j``, the ``G`` terms
telescope to ``G(n)``, and ``E[N_t - N_{t-1} | N_{t-1}] = p_t (n - N_{t-1})``; each token's
reveal step is independent of the others, so ``N_t ~ Binomial(n, P_t)`` with
``P_t = 1 - prod_{u <= t} (1 - p_u)``. Hence

.. math:: E\\,KL = G(n) - \\sum_{t=1}^{T} p_t\\, E\\big[(n - N_{t-1})\\, Z_{N_{t-1}+1}\\big],

a sum over the marginal laws of the revealed count. Tests check both routes against brute-force
enumeration of every size outcome.

The schedules themselves (:func:`mdmjax.schedules.binomial`, :func:`mdmjax.schedules.ancestral`,
:func:`mdmjax.schedules.dream_origin`, :class:`mdmjax.schedules.KernelSchedule`) are built in
:mod:`mdmjax.schedules`; this module holds the kernels that value them (``size_chain_*``).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import gammaln

from mdmjax._src.precision import scoped_x64
from mdmjax.kl._theorem4 import block_cost_matrix

__all__ = [
    "binomial_kernel",
    "binomial_expected_kl",
    "binomial_marginals",
    "log_binomial_table",
    "size_chain_kl",
    "size_chain_pmf",
    "size_chain_kernels",
    "size_chain_step",
]


# ------------------------------------------------------------------------------------------------
# Kernels and the exact DP (pure, jittable, differentiable in the reveal probabilities)
# ------------------------------------------------------------------------------------------------


@scoped_x64
def log_binomial_table(n: int) -> np.ndarray:
    """``L[m, m'] = log C(n - m, m' - m)`` for ``m <= m'``, 0 elsewhere (masked later).

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> np.round(np.exp(mdm.kl.log_binomial_table(2)), 12).tolist()  # C(2 - m, m' - m); 1 below
      [[1.0, 2.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """
    m = np.arange(n + 1)[:, None]
    s = np.arange(n + 1)[None, :] - m
    r = n - m
    valid = s >= 0
    s0 = np.where(valid, s, 0).astype(np.float64)
    out = gammaln(r + 1.0) - gammaln(s0 + 1) - gammaln(np.where(valid, r - s, 0) + 1.0)
    return np.where(valid, np.asarray(out), 0.0)


@scoped_x64
def binomial_kernel(p: jax.Array, log_binom: jax.Array) -> jax.Array:
    """``K[m, m'] = Binomial(n - m, p)(m' - m)``: each masked token revealed with probability p.

    Args:
      p: the reveal probability, a scalar in ``[0, 1]`` (``p = 1`` reveals everything).
      log_binom: ``(n+1, n+1)`` table ``log C(n - m, m' - m)`` (see :func:`log_binomial_table`).

    Differentiable in ``p`` on ``(0, 1)``; the endpoints are handled exactly by ``where``.
    """
    n = log_binom.shape[0] - 1
    m = jnp.arange(n + 1)[:, None]
    mp = jnp.arange(n + 1)[None, :]
    s = mp - m
    valid = s >= 0
    inside = (p > 0) & (p < 1)
    p_safe = jnp.where(inside, p, 0.5)
    fs, fn = s.astype(log_binom.dtype), (n - mp).astype(log_binom.dtype)
    log_pmf = log_binom + fs * jnp.log(p_safe) + fn * jnp.log1p(-p_safe)
    interior = jnp.where(valid, jnp.exp(jnp.where(valid, log_pmf, 0.0)), 0.0)
    everything = jnp.where(mp == n, 1.0, 0.0).astype(interior.dtype) * jnp.ones_like(interior)
    nothing = jnp.where(s == 0, 1.0, 0.0).astype(interior.dtype) * jnp.ones_like(interior)
    return jnp.where(inside, interior, jnp.where(p >= 1, everything, nothing))


def _matrix_kernel(kernel, aux):
    del aux
    return kernel


def _binomial_step(p, aux):
    return binomial_kernel(p, aux)


_KERNEL_FNS = {"binomial": _binomial_step, "matrix": _matrix_kernel}


def _dp_expected_kl(z, xs, aux, kind):
    """Exact ``E KL`` and the final law of ``N_T`` by a forward scan over steps."""
    kernel_fn = _KERNEL_FNS[kind]
    cost = block_cost_matrix(z, fill=0.0)
    n = z.shape[0]
    pi0 = jnp.zeros(n + 1).at[0].set(1.0)

    @jax.checkpoint  # keep only the (n+1,) carry per step for reverse mode, not the kernels
    def step(pi, x):
        kernel = kernel_fn(x, aux)
        return pi @ kernel, pi @ jnp.sum(kernel * cost, axis=1)

    pi, costs = jax.lax.scan(step, pi0, xs)
    return jnp.sum(costs), pi


_dp_expected_kl_jit = jax.jit(_dp_expected_kl, static_argnames=("kind",))
_dp_expected_kl_batch = jax.jit(
    jax.vmap(_dp_expected_kl, in_axes=(0, None, None, None)), static_argnames=("kind",)
)


def binomial_marginals(n: int, reveal_probs: jax.Array) -> jax.Array:
    """``(T+1, n+1)``: row ``t`` is the law of ``N_t``, ``Binomial(n, 1 - prod_{u<=t} (1-p_u))``.

    Examples:
      >>> import jax, jax.numpy as jnp, numpy as np, mdmjax as mdm
      >>> with jax.enable_x64(True):
      ...     m = mdm.kl.binomial_marginals(2, jnp.array([0.5, 1.0]))
      >>> np.round(np.asarray(m), 12).tolist()  # N_1 ~ Binomial(2, 1/2)
      [[1.0, 0.0, 0.0], [0.25, 0.5, 0.25], [0.0, 0.0, 1.0]]
    """
    below = reveal_probs < 1  # double where: no inf or NaN in the gradient at p = 1
    log_stay = jnp.where(below, jnp.log1p(-jnp.where(below, reveal_probs, 0.0)), -jnp.inf)
    log_keep = jnp.concatenate([jnp.zeros(1, log_stay.dtype), jnp.cumsum(log_stay)])
    done = jnp.concatenate([jnp.zeros(1, bool), jnp.cumsum(reveal_probs >= 1) > 0])
    m = jnp.arange(n + 1, dtype=reveal_probs.dtype)
    log_coef = gammaln(n + 1.0) - gammaln(m + 1) - gammaln(n - m + 1)
    # log P_t = log(1 - keep) = log(-expm1(log_keep)); guarded at P_t = 0 (t = 0) and P_t = 1.
    some = (log_keep < 0) & ~done
    safe_keep = jnp.where(some, log_keep, -1.0)
    log_reveal = jnp.log(-jnp.expm1(safe_keep))
    log_pmf = (
        log_coef[None, :] + m[None, :] * log_reveal[:, None] + (n - m)[None, :] * safe_keep[:, None]
    )
    start = (m == 0).astype(reveal_probs.dtype)
    end = (m == n).astype(reveal_probs.dtype)
    return jnp.where(
        some[:, None], jnp.exp(log_pmf), jnp.where(done[:, None], end[None, :], start[None, :])
    )


@scoped_x64
def binomial_expected_kl(z: jax.Array, reveal_probs: jax.Array) -> jax.Array:
    """Exact expected KL of a binomial schedule in ``O(T n)``: pure and differentiable.

    .. math:: E\\,KL = G(n) - \\sum_t p_t\\, E[(n - N_{t-1}) Z_{N_{t-1}+1}], \\qquad
              N_{t-1} \\sim \\mathrm{Binomial}(n, 1 - \\textstyle\\prod_{u<t} (1 - p_u))

    (module docstring). Agrees with the ``O(T n^2)`` kernel DP and with enumeration.

    Args:
      z: ``(n,)`` information curve (``z[j-1] = Z_j``).
      reveal_probs: ``(T,)`` reveal probabilities (last entry 1).

    Returns:
      the expected KL in nats (a scalar array); differentiable in ``reveal_probs`` on ``(0, 1)``.

    Examples:
      >>> import jax, jax.numpy as jnp, mdmjax as mdm
      >>> with jax.enable_x64(True):
      ...     kl = mdm.kl.binomial_expected_kl(jnp.array([0.0, 1.0, 1.0]), jnp.array([0.5, 1.0]))
      >>> round(float(kl), 12)
      0.875
    """
    n = z.shape[0]
    marg = binomial_marginals(n, reveal_probs)[:-1]  # laws of N_0 .. N_{T-1}
    weight = (n - jnp.arange(n + 1, dtype=z.dtype)) * jnp.concatenate([z, z[-1:]])
    gain = marg @ weight
    # the sum is a mean of Z values, below G(n); clip float noise so the result is never < 0
    return jnp.maximum(jnp.sum(z) - jnp.sum(reveal_probs * gain), 0.0)


_binomial_expected_kl_jit = jax.jit(binomial_expected_kl)
_binomial_expected_kl_batch = jax.jit(jax.vmap(binomial_expected_kl, in_axes=(0, None)))


@functools.partial(jax.jit, static_argnames=("kind", "size"))
def _revealed_pmf(xs, aux, kind, size):
    kernel_fn = _KERNEL_FNS[kind]
    pi0 = jnp.zeros(size).at[0].set(1.0)

    def step(pi, x):
        new = pi @ kernel_fn(x, aux)
        return new, new

    _, pis = jax.lax.scan(step, pi0, xs)
    return jnp.concatenate([pi0[None, :], pis], axis=0)


@functools.partial(jax.jit, static_argnames=("kind", "size"))
def _nonempty_pmf(xs, aux, kind, size):
    """Joint law of (revealed count, non-empty steps so far), scanned over steps."""
    kernel_fn = _KERNEL_FNS[kind]
    steps = jax.tree_util.tree_leaves(xs)[0].shape[0]
    joint0 = jnp.zeros((size, steps + 1)).at[0, 0].set(1.0)

    def step(joint, x):
        kernel = kernel_fn(x, aux)
        stay = jnp.diagonal(kernel)
        moved = (kernel - jnp.diag(stay)).T @ joint  # arrivals from m < m', one more step
        shifted = jnp.concatenate([jnp.zeros((size, 1)), moved[:, :-1]], axis=1)
        return stay[:, None] * joint + shifted, None

    joint, _ = jax.lax.scan(step, joint0, xs)
    return jnp.sum(joint, axis=0)


@functools.partial(jax.jit, static_argnames=("kind",))
def _all_kernels(xs, aux, kind):
    return jax.vmap(lambda x: _KERNEL_FNS[kind](x, aux))(xs)


# ------------------------------------------------------------------------------------------------
# The kernel API of the schedules (mdmjax.schedules builds the chains, these value them)
# ------------------------------------------------------------------------------------------------
def size_chain_kl(z: jax.Array, xs, aux, kind: str, *, method: str = "dp") -> jax.Array:
    """Exact expected KL of a revealed-count chain on the curve ``z`` (``(n,)`` or ``(B, n)``).

    ``method="dp"``: the ``O(T n^2)`` forward DP over the revealed count with the step kernels
    ``kind`` (``"binomial"``: ``xs`` are reveal probabilities and ``aux`` is
    :func:`log_binomial_table`; ``"matrix"``: ``xs`` are the ``(T, n+1, n+1)`` kernels).
    ``method="marginal"``: the ``O(T n)`` route of :func:`binomial_expected_kl` (``kind``
    ``"binomial"`` only). Module docstring; docs/theory.md §4.6.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> with jax.enable_x64(True):
      ...     z, p = jnp.array([0.0, 1.0, 1.0]), jnp.array([0.5, 1.0])
      ...     dp = size_chain_kl(z, p, log_binomial_table(3), "binomial")
      ...     marginal = size_chain_kl(z, p, None, "binomial", method="marginal")
      >>> round(float(dp), 12), round(float(marginal), 12)
      (0.875, 0.875)
    """
    batch = z.ndim == 2
    if method == "marginal":
        return (_binomial_expected_kl_batch if batch else _binomial_expected_kl_jit)(z, xs)
    return (_dp_expected_kl_batch if batch else _dp_expected_kl_jit)(z, xs, aux, kind)[0]


def size_chain_pmf(xs, aux, kind: str, size: int, *, nonempty: bool = False) -> jax.Array:
    """Laws of a revealed-count chain: of ``N_t`` for every ``t`` (``(T+1, size)``), or with
    ``nonempty=True`` of the number of steps that reveal something (``(T+1,)``).

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> with jax.enable_x64(True):
      ...     pmf = size_chain_pmf(jnp.array([0.5, 1.0]), log_binomial_table(1), "binomial", 2)
      >>> pmf.tolist()
      [[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]]
    """
    return (_nonempty_pmf if nonempty else _revealed_pmf)(xs, aux, kind, size)


def size_chain_kernels(xs, aux, kind: str) -> jax.Array:
    """The ``(T, n+1, n+1)`` step kernels ``K_t[m, m']`` of a revealed-count chain.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> with jax.enable_x64(True):
      ...     k = size_chain_kernels(jnp.array([0.5]), log_binomial_table(1), "binomial")
      >>> k.tolist()
      [[[0.5, 0.5], [0.0, 1.0]]]
    """
    return _all_kernels(xs, aux, kind)


def size_chain_step(x, aux, kind: str) -> jax.Array:
    """One step kernel ``K[m, m']`` (traceable; ``x`` a reveal probability or a kernel).

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> with jax.enable_x64(True):
      ...     k = size_chain_step(jnp.float64(1.0), log_binomial_table(1), "binomial")
      >>> k.tolist()
      [[0.0, 1.0], [0.0, 1.0]]
    """
    return _KERNEL_FNS[kind](x, aux)
