"""The optimal k-step schedule: best left-Riemann step approximation of ``Z`` (THEORY.md §2).

By Theorem 4 the expected KL of sizes ``s`` is a sum of block costs. With 0-indexed breakpoints
``0 = N_0 < N_1 < .. < N_k = n`` and ``S[m] = sum_{p < m} z[p]`` (``z[p] = Z_{p+1}``), the block
covering positions ``N_{t-1} .. N_t - 1`` costs

.. math:: c(i, j) = S[j] - S[i] - (j - i)\\, Z_{i+1}, \\qquad i = N_{t-1},\\ j = N_t,

and the optimum is ``D_k[n]`` of the dynamic programme ``D_t[j] = min_{i<j} D_{t-1}[i] + c(i, j)``,
``O(k n^2)`` work, vectorized over ``j`` and scanned over ``t`` with ``lax.scan``.
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np

from mdmjax import _x64
from mdmjax._memory import check_allocation
from mdmjax._validate import as_nonnegative_float, as_positive_int
from mdmjax.curve import InformationCurve, information_curve
from mdmjax.distribution import Distribution

__all__ = ["Schedule", "optimal_schedule", "min_steps", "block_cost_matrix"]

# Slack when comparing an optimum with a budget, so that a budget equal to an optimum (computed
# along another floating-point route) is met.
EPS_SLACK = 1e-12


@dataclasses.dataclass(frozen=True)
class Schedule:
    """A schedule with its exact expected KL.

    Attributes:
      sizes: the step sizes ``(s_1, .., s_k)``, positive and summing to ``n``.
      kl: Theorem 4's expected KL of ``sizes``, in nats.
    """

    sizes: tuple[int, ...]
    kl: float

    @property
    def steps(self) -> int:
        """Number of steps ``k``."""
        return len(self.sizes)

    @property
    def breakpoints(self) -> tuple[int, ...]:
        """Partial sums ``(N_1, .., N_k)``."""
        return tuple(int(v) for v in np.cumsum(self.sizes))


def _as_curve(curve) -> InformationCurve:
    if isinstance(curve, InformationCurve):
        if np.ndim(curve.z) != 1:
            raise ValueError("curve: expected a single curve, got a batch")
        return curve
    if isinstance(curve, Distribution):
        return information_curve(curve)
    raise ValueError(
        f"curve: expected an InformationCurve or a Distribution, got {type(curve).__name__}"
    )


def block_cost_matrix(z: jax.Array) -> jax.Array:
    """``C[i, j] = c(i, j)`` for ``0 <= i < j <= n``, ``+inf`` elsewhere."""
    n = z.shape[0]
    prefix = jnp.concatenate([jnp.zeros(1), jnp.cumsum(z)])
    i = jnp.arange(n + 1)[:, None]
    j = jnp.arange(n + 1)[None, :]
    cost = prefix[j] - prefix[i] - (j - i) * z[jnp.clip(i, 0, n - 1)]
    return jnp.where(i < j, cost, jnp.inf)


def _dp_step(cost, d_prev):
    total = d_prev[:, None] + cost
    return jnp.min(total, axis=0), jnp.argmin(total, axis=0).astype(jnp.int32)


def _initial(n):
    return jnp.where(jnp.arange(n + 1) == 0, 0.0, jnp.inf)


@functools.partial(jax.jit, static_argnames=("steps",))
def _dp(z, steps):
    cost = block_cost_matrix(z)

    def body(d, _):
        d_new, arg = _dp_step(cost, d)
        return d_new, arg

    d, args = jax.lax.scan(body, _initial(z.shape[0]), None, length=steps)
    return d[-1], args


def _backtrack(args: np.ndarray, n: int) -> tuple[int, ...]:
    sizes = []
    j = n
    for t in range(args.shape[0] - 1, -1, -1):
        i = int(args[t, j])
        sizes.append(j - i)
        j = i
    assert j == 0
    return tuple(reversed(sizes))


def _check_dp_memory(n: int) -> None:
    check_allocation(
        3 * (n + 1) ** 2 * 8,
        f"the O(n^2) block-cost matrix for n = {n}",
        hint="The quadrangle-inequality DP (issue 4) avoids it for very large n.",
        argument="curve",
    )


def optimal_schedule(curve, steps: int) -> Schedule:
    """The schedule with exactly ``steps`` steps that minimizes Theorem 4's expected KL.

    The minimum over compositions of ``n`` into ``steps`` positive parts of the l1 distance
    between ``Z`` and its left-Riemann step function (Chen–Cong–Li 2026, §3), by exact dynamic
    programming in ``O(k n^2)``.

    Args:
      curve: an :class:`InformationCurve` (or a :class:`Distribution`).
      steps: the number of steps ``k``, ``1 <= k <= n``.

    Returns:
      a :class:`Schedule` with ``sizes`` and ``kl``.

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> n = 200; z = np.log(np.arange(1, n + 1)) / np.log(n)
      >>> s = mdm.optimal_schedule(mdm.InformationCurve.from_z(z), 2)
      >>> s.sizes, round(s.kl, 4)
      ((41, 159), 50.76)
    """
    _x64.require_x64()
    c = _as_curve(curve)
    n = c.n
    k = as_positive_int(steps, "steps")
    if k > n:
        raise ValueError(f"steps: must be <= n = {n} (each step reveals at least one position)")
    _check_dp_memory(n)
    from mdmjax.kl import expected_kl

    _, args = _dp(jnp.asarray(c.z, dtype=jnp.float64), k)
    sizes = _backtrack(np.asarray(args), n)
    return Schedule(sizes, expected_kl(c, sizes))


@jax.jit
def _fewest_steps(z, eps):
    n = z.shape[0]
    cost = block_cost_matrix(z)

    def cond(state):
        t, d = state
        return (t < n) & (d[n] > eps)

    def body(state):
        t, d = state
        return t + 1, _dp_step(cost, d)[0]

    d1 = _dp_step(cost, _initial(n))[0]
    t, _ = jax.lax.while_loop(cond, body, (jnp.asarray(1), d1))
    return t


def min_steps(curve, eps: float) -> Schedule:
    """The fewest steps ``k`` whose optimal expected KL is ``<= eps``, with that schedule.

    The optimum is non-increasing in ``k`` and zero at ``k = n``, so the answer exists for every
    ``eps >= 0``. A slack of ``1e-12`` nats absorbs rounding when ``eps`` equals an optimum.

    Args:
      curve: an :class:`InformationCurve` (or a :class:`Distribution`).
      eps: the KL budget in nats, ``>= 0``.

    Returns:
      the :class:`Schedule` of :func:`optimal_schedule` at the smallest feasible ``k``.
    """
    _x64.require_x64()
    c = _as_curve(curve)
    budget = as_nonnegative_float(eps, "eps")
    _check_dp_memory(c.n)
    k = int(_fewest_steps(jnp.asarray(c.z, dtype=jnp.float64), budget + EPS_SLACK))
    return optimal_schedule(c, k)
