"""Gradient search (optax) over continuous relaxations of a schedule, checked against the DP.

Two relaxations of "choose ``k`` block sizes summing to ``n``":

* ``"breakpoints"`` — continuous partial sums ``0 < τ_1 < .. < τ_{k-1} < n``, parametrized
  without constraints by block sizes ``w = 1 + (n - k) softmax(θ)`` (every block at least one
  position, as every integer block is). With ``Hbar`` interpolated linearly between integers
  (equivalently ``G``, the linear interpolation of ``G_j = Z_1 + .. + Z_j``), Theorem 4's entropy
  form becomes

  .. math:: R(\\tau) = G(n) - \\sum_{t=1}^{k} (\\tau_t - \\tau_{t-1})\\, \\tilde z(\\tau_{t-1}),

  where ``z̃`` interpolates ``z`` linearly (``z̃(j) = Z_{j+1}``). At integer breakpoints ``R`` is
  exactly Theorem 4 (Chen–Cong–Li 2026): the relaxation is tight on the integers. Between them it
  can undercut Theorem 4 (by up to ``Z_n / 2`` in total when blocks shrink below one position on
  steep stretches of ``Z``), which is why blocks are kept ``>= 1``.
* ``"random-sizes"`` — per-step reveal probabilities ``p_t = sigmoid(θ_t)`` (last one 1): the
  binomial random-size schedule (:func:`mdmjax.schedules.binomial`), whose exact expected KL (an
  ``O(k n)`` sum over the laws of the revealed count) is a smooth function of ``θ``. Its
  expected partial sums ``n (1 - prod (1 - p_u))`` are rounded. Its optimum is a genuinely random
  schedule, so the rounded schedule is not always within 1% of the DP; the result says when.

How it runs: restarts are ``vmap``-ped and the optimizer loop is a jitted ``lax.scan``. The first
half of the iterations works on ``Z`` smoothed by Gaussians of decreasing width (a continuation:
on a curve with jumps the unsmoothed gradient is zero away from the jumps), the second half on the
exact curve. The continuous result is rounded (:func:`mdmjax.schedules.round_breakpoints`), then
polished by exact local searches: :func:`polish_breakpoints` (each breakpoint moved to its best
position between its neighbours while Theorem 4 strictly improves, which includes every ±1 move),
then :func:`window_polish_breakpoints` (all breakpoints moved jointly, each within
``±POLISH_WINDOW`` positions, by an exact DP on those windows, repeated while it improves), then
the first again; reported in ``rounded_kl`` and ``polish_moves``. The window search is what
makes saturating curves work, whose optimum starts with a run of size-1 steps that single moves
cannot shift together. Finally the result is checked against the exact
optimum of :func:`mdmjax.optimal_schedule`: ``gap``, ``ok`` and ``message`` are part of the result.

Known failure mode: staircases with more jumps than steps whose jumps lie farther apart than the
polish window. Which jumps get a breakpoint is a combinatorial choice the local slopes do not
reveal; the search can end in a local optimum, and ``ok`` is then ``False`` (in a scan of 12
random staircases with 10-40 jumps at n = 256, 12 of 36 searches at k = 4, 8, 12 ended more than
1 % off). A single jump (an MDS code) is found exactly.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
import numpy as np

from mdmjax._src.memory import check_allocation
from mdmjax._src.precision import scoped_x64
from mdmjax._src.smooth import gaussian_smooth
from mdmjax._src.tolerances import (
    LOGIT_CLIP,
    POLISH_RELATIVE,
    RELATIVE_GAP_FLOOR,
    RELAX_ABS_TOLERANCE,
    RELAX_GAP_TOLERANCE,
)
from mdmjax._src.validate import as_choice, as_positive_int
from mdmjax.curves import as_curve
from mdmjax.kl import (
    binomial_expected_kl,
    block_cost,
    expected_kl,
    relaxed_theorem4,
    theorem4,
)
from mdmjax.schedules import round_breakpoints, sqrt_rule
from mdmjax.search._dp import _curve_and_steps, optimal_schedule

if TYPE_CHECKING:  # optax is imported on use (~50 ms at import, for the CLI's start-up)
    import optax

__all__ = [
    "OptimizeResult",
    "optimize_schedule",
    "relaxed_kl",
    "relaxed_breakpoint_kl",
    "integer_breakpoint_kl",
    "polish_breakpoints",
    "window_polish_breakpoints",
    "POLISH_WINDOW",
    "RELAXATIONS",
    "GAP_TOLERANCE",
    "ABS_TOLERANCE",
]

RELAXATIONS = ("breakpoints", "random-sizes")
GAP_TOLERANCE = RELAX_GAP_TOLERANCE
ABS_TOLERANCE = RELAX_ABS_TOLERANCE
DEFAULT_ITERS = {"breakpoints": 600, "random-sizes": 300}
DEFAULT_LR = {"breakpoints": 0.05, "random-sizes": 0.1}
POLISH_WINDOW = 8  # the joint window search's half-width (positions), see window_polish_breakpoints


# ------------------------------------------------------------------------------------------------
# Objectives (pure, jittable)
# ------------------------------------------------------------------------------------------------


@scoped_x64
def relaxed_breakpoint_kl(z: jax.Array, tau: jax.Array) -> jax.Array:
    """The relaxed Theorem-4 objective ``R(τ)`` at continuous interior breakpoints.

    Args:
      z: ``(n,)`` information curve (``z[j-1] = Z_j``).
      tau: ``(k-1,)`` non-decreasing breakpoints in ``[0, n]``.

    Returns:
      ``G(n) - sum_t (τ_t - τ_{t-1}) z̃(τ_{t-1})`` with ``τ_0 = 0``, ``τ_k = n``, where ``z̃``
      interpolates ``z`` linearly (and ``z̃(n) = Z_n``); equal to Theorem 4 when every ``τ_t`` is
      an integer.

    Examples:
      ``Z = (0, 1, 1, 1)``, ``G(4) = 3``: at ``τ = 1.5`` the relaxation is
      ``3 - 1.5 · Z_1 - 2.5 · z̃(1.5) = 3 - 2.5 = 0.5``, halfway between the schedules
      ``(1, 3)`` (KL 0) and ``(2, 2)`` (KL 1):

      >>> import jax, jax.numpy as jnp, mdmjax as mdm
      >>> with jax.enable_x64(True):
      ...     z = jnp.array([0.0, 1.0, 1.0, 1.0])
      ...     r = [mdm.search.relaxed_breakpoint_kl(z, jnp.array([t])) for t in (1.0, 1.5, 2.0)]
      >>> [round(float(v), 12) for v in r]
      [0.0, 0.5, 1.0]
    """
    return relaxed_theorem4(jnp.concatenate([z, z[-1:]]), z.shape[0], tau)


@scoped_x64
def integer_breakpoint_kl(z: jax.Array, partial: jax.Array) -> jax.Array:
    """Theorem 4 at integer interior partial sums ``N_1 < .. < N_{k-1}`` (jittable).

    Summed position by position (``Z_j - Z_start(j) >= 0``), so it is never negative.
    """
    n = z.shape[0]
    full = jnp.concatenate([jnp.zeros(1, partial.dtype), partial, jnp.full(1, n, partial.dtype)])
    return theorem4(z, full[1:] - full[:-1])


@scoped_x64
def relaxed_kl(curve, breakpoints) -> float:
    """``R(τ)`` of :func:`relaxed_breakpoint_kl` for a curve and continuous breakpoints.

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> from mdmjax.search import relaxed_kl
      >>> c = mdm.InformationCurve.from_z(np.array([0.0, 1.0, 1.0, 1.0]))
      >>> relaxed_kl(c, [2.0]) == mdm.expected_kl(c, (2, 2))
      True
    """
    c = as_curve(curve)
    tau = jnp.asarray(np.asarray(breakpoints, dtype=np.float64).reshape(-1))
    return float(_relaxed_jit(jnp.asarray(c.z, dtype=jnp.float64), tau))


_relaxed_jit = jax.jit(relaxed_breakpoint_kl)


@scoped_x64
def polish_breakpoints(z: jax.Array, partial: jax.Array, max_sweeps: int) -> tuple:
    """Exact local search on integer breakpoints: coordinate descent on Theorem 4.

    Moving breakpoint ``N_t`` between its neighbours ``a = N_{t-1}`` and ``c = N_{t+1}`` changes
    only two blocks, whose cost is ``G(c) - G(a) - (b - a) Z_{a+1} - (c - b) Z_{b+1}`` at
    ``N_t = b``; so the best ``b`` in ``(a, c)`` is found exactly by one vectorized argmax. Odd and
    even breakpoints are updated alternately (each half-sweep moves breakpoints whose blocks do
    not overlap, so the improvements add up), and only strict improvements (by more than
    ``1e-12 (1 + G(n))``) are taken, so Theorem 4 decreases at every move. This contains the
    "move one breakpoint by ±1 while it improves" search. Stops at a local optimum or after
    ``max_sweeps`` sweeps. Jittable and vmappable.

    Returns:
      ``(partial, moves)``: the polished interior partial sums and the number of breakpoint moves.

    Examples:
      ``Z = (0, 0.5, 0.6, 0.6)``, ``G(4) = 1.7``: the two-step schedules ``(1, 3)``, ``(2, 2)``,
      ``(3, 1)`` cost ``1.7 - 3 · 0.5 = 0.2``, ``1.7 - 2 · 0.6 = 0.5`` and ``1.7 - 0.6 = 1.1``;
      one move takes ``N_1 = 3`` to the optimum ``N_1 = 1``:

      >>> import jax, jax.numpy as jnp, numpy as np, mdmjax as mdm
      >>> with jax.enable_x64(True):
      ...     z = jnp.array([0.0, 0.5, 0.6, 0.6])
      ...     part, moves = mdm.search.polish_breakpoints(z, jnp.array([3]), 10)
      >>> np.asarray(part).tolist(), int(moves)
      ([1], 1)
      >>> mdm.optimal_schedule(mdm.InformationCurve.from_z([0.0, 0.5, 0.6, 0.6]), 2).sizes
      (1, 3)
    """
    n = z.shape[0]
    k1 = partial.shape[0]
    if k1 == 0:
        return partial, jnp.zeros((), jnp.int64)
    tol = POLISH_RELATIVE * (1 + jnp.abs(jnp.sum(z)))
    b = jnp.arange(n, dtype=partial.dtype)
    rows = jnp.arange(k1)

    def half_sweep(part, parity):
        full = jnp.concatenate([jnp.zeros(1, part.dtype), part, jnp.full(1, n, part.dtype)])
        a, c = full[:-2], full[2:]
        za = z[a][:, None]
        left = (b[None, :] - a[:, None]).astype(z.dtype)
        right = (c[:, None] - b[None, :]).astype(z.dtype)
        gain = left * za + right * z[b][None, :]
        valid = (b[None, :] > a[:, None]) & (b[None, :] < c[:, None])
        gain = jnp.where(valid, gain, -jnp.inf)
        best = jnp.argmax(gain, axis=1)
        current = (part - a).astype(z.dtype) * z[a] + (c - part).astype(z.dtype) * z[part]
        move = (rows % 2 == parity) & (gain[rows, best] > current + tol)
        return jnp.where(move, best.astype(part.dtype), part), jnp.sum(move, dtype=jnp.int64)

    def cond(state):
        _, moves, last, sweeps = state
        return (last > 0) & (sweeps < max_sweeps)

    def body(state):
        part, moves, _, sweeps = state
        part, m0 = half_sweep(part, 0)
        part, m1 = half_sweep(part, 1)
        return part, moves + m0 + m1, m0 + m1, sweeps + 1

    start = (partial, jnp.zeros((), jnp.int64), jnp.ones((), jnp.int64), jnp.zeros((), jnp.int64))
    part, moves, _, _ = jax.lax.while_loop(cond, body, start)
    return part, moves


@scoped_x64
def window_polish_breakpoints(
    z: jax.Array, partial: jax.Array, window: int, max_rounds: int
) -> tuple:
    """Exact search over all breakpoints at once, each within ``±window`` of where it is.

    A larger neighbourhood than :func:`polish_breakpoints`, which moves one breakpoint at a time
    and so cannot shift a run of them together (on a saturating curve the optimum may need every
    early breakpoint moved by a few positions at once). Breakpoint ``t`` may take any integer in
    ``[N_t - w, N_t + w] ∩ [1, n - 1]``; the best choice of all ``k - 1`` of them jointly, with
    blocks of at least one position, is an exact dynamic program over ``t`` on these windows,
    ``O(k w^2)``, with the block cost ``G(b) - G(a) - (b - a) Z_{a+1}`` of Theorem 4
    (``G(j) = Z_1 + .. + Z_j``). Repeated, recentred on the new breakpoints, while Theorem 4
    strictly improves (by more than ``1e-12 (1 + G(n))``), for at most ``max_rounds`` rounds. The
    current breakpoints are always feasible in the window, so Theorem 4 never increases; with
    ``w >= n`` one round is the full DP. Jittable and vmappable (``window`` static).

    Returns:
      ``(partial, rounds)``: the polished interior partial sums and the rounds that improved.

    Examples:
      ``Z = (0, 0.5, 0.6, 0.6)``, ``G(4) = 1.7``: the two-step schedules ``(1, 3)``, ``(2, 2)``,
      ``(3, 1)`` cost ``1.7 - 3 · 0.5 = 0.2``, ``1.7 - 2 · 0.6 = 0.5`` and ``1.7 - 0.6 = 1.1``.
      A window of 2 around ``N_1 = 3`` holds the optimum ``N_1 = 1``:

      >>> import jax, jax.numpy as jnp, numpy as np, mdmjax as mdm
      >>> with jax.enable_x64(True):
      ...     z = jnp.array([0.0, 0.5, 0.6, 0.6])
      ...     part, rounds = mdm.search.window_polish_breakpoints(z, jnp.array([3]), 2, 5)
      >>> np.asarray(part).tolist(), int(rounds)
      ([1], 1)
    """
    n = z.shape[0]
    k1 = partial.shape[0]
    if k1 == 0:
        return partial, jnp.zeros((), jnp.int64)
    gcum = jnp.concatenate([jnp.zeros(1, z.dtype), jnp.cumsum(z)])  # G(j), j = 0..n
    zext = jnp.concatenate([z, z[-1:]])
    tol = POLISH_RELATIVE * (1 + jnp.abs(gcum[-1]))
    offsets = jnp.arange(-window, window + 1, dtype=partial.dtype)

    def block(a, b):  # Theorem 4 cost of the block (a, b], +inf where it is empty
        c = block_cost(gcum[b], gcum[a], (b - a).astype(z.dtype), zext[a])
        return jnp.where(b > a, c, jnp.inf)

    def one_round(part):
        cand = jnp.clip(part[:, None] + offsets[None, :], 1, n - 1)  # (k-1, 2w+1)
        first = block(jnp.zeros((), part.dtype), cand[0])

        def step(cost, t):
            trans = cost[:, None] + block(cand[t - 1][:, None], cand[t][None, :])
            arg = jnp.argmin(trans, axis=0)
            return jnp.min(trans, axis=0), arg

        cost, args = jax.lax.scan(step, first, jnp.arange(1, k1))
        total = cost + block(cand[-1], jnp.full((), n, part.dtype))
        j = jnp.argmin(total)

        def back(j, arg):
            return arg[j], j

        j0, idx = jax.lax.scan(back, j, args, reverse=True)
        idx = jnp.concatenate([j0[None], idx])
        return cand[jnp.arange(k1), idx], total[j]

    def cond(state):
        _, _, improved, rounds = state
        return improved & (rounds < max_rounds)

    def body(state):
        part, value, _, rounds = state
        new, new_value = one_round(part)
        better = new_value < value - tol
        rounds = rounds + better.astype(rounds.dtype)
        return jnp.where(better, new, part), jnp.minimum(new_value, value), better, rounds

    value = integer_breakpoint_kl(z, partial)
    start = (partial, value, jnp.ones((), bool), jnp.zeros((), jnp.int64))
    part, _, _, rounds = jax.lax.while_loop(cond, body, start)
    return part, rounds


# ------------------------------------------------------------------------------------------------
# Parametrizations
# ------------------------------------------------------------------------------------------------
def _tau_from_logits(theta, n):
    """Blocks ``w_t = 1 + (n - k) softmax(θ)_t``: every relaxed block is at least one position,
    as every integer block is (without it the relaxation rewards sub-unit blocks on steep
    stretches of ``Z``, where it undercuts Theorem 4 by up to ``Z_n / 2``)."""
    k = theta.shape[0]
    return jnp.cumsum(1 + (n - k) * jax.nn.softmax(theta))[:-1]


def _probs_from_logits(theta):
    return jnp.concatenate([jax.nn.sigmoid(theta), jnp.ones(1, theta.dtype)])


def _breakpoint_loss(theta, z):
    return relaxed_breakpoint_kl(z, _tau_from_logits(theta, z.shape[0]))


def _random_sizes_loss(theta, z):
    return binomial_expected_kl(z, _probs_from_logits(theta))


_LOSSES = {"breakpoints": _breakpoint_loss, "random-sizes": _random_sizes_loss}


def _expected_partial_sums(theta, n):
    """``E N_t = n (1 - prod_{u<=t} (1 - p_u))`` for ``t = 1..k-1``."""
    return n * -jnp.expm1(jnp.cumsum(jax.nn.log_sigmoid(-theta)))


# ------------------------------------------------------------------------------------------------
# The optimizer loop: vmapped restarts, lax.scan over iterations
# ------------------------------------------------------------------------------------------------
def _optax_step(optimizer: optax.GradientTransformation, grad, state, params):
    """One optax update, ``(new_params, new_state)``.

    optax's own arithmetic relies on JAX's standard dtype promotion (Adam's bias correction
    raises a Python-float decay to its int32 step count), so the update is traced under
    ``jax.numpy_dtype_promotion("standard")`` even where the caller runs with ``"strict"``; the
    parameters and gradients are float64 either way, so the values are the same.
    """
    import optax

    with jax.numpy_dtype_promotion("standard"):
        updates, state = optimizer.update(grad, state, params)
        return optax.apply_updates(params, updates), state


@functools.lru_cache(maxsize=32)
def _make_chunk(relaxation: str, optimizer: optax.GradientTransformation):
    """The jitted, vmapped scan for one relaxation and optimizer (cached: no recompilation)."""
    loss_fn = _LOSSES[relaxation]

    def one(params, state, zlevels, stages):
        def body(carry, stage):
            p, s = carry
            loss, grad = jax.value_and_grad(loss_fn)(p, zlevels[stage])
            return _optax_step(optimizer, grad, s, p), loss

        (params, state), losses = jax.lax.scan(body, (params, state), stages)
        return params, state, losses

    return jax.jit(jax.vmap(one, in_axes=(0, 0, None, None)))


def _smoothing_levels(z: np.ndarray, steps: int, num_iters: int):
    """Continuation: ``Z`` smoothed at widths ``n/k · 2^-i`` (>= 0.5), then the exact ``Z``."""
    n = z.size
    widths = [n / steps / 2**i for i in range(8)]
    widths = [w for w in widths if w >= 0.5]
    levels = np.stack([gaussian_smooth(z, w) for w in widths] + [z])
    half = num_iters // 2 if widths else 0
    stage = np.full(num_iters, len(widths), dtype=np.int32)
    if half:
        stage[:half] = np.minimum(np.arange(half) * len(widths) // half, len(widths) - 1)
    return levels, stage


def _initial_params(relaxation, curve, n, steps, restarts, key):
    """Restart 0 starts from the square-root rule, restart 1 from equal blocks, the others from
    random perturbations of those two in logit space, of scales 0.25, 0.5, 1 and 2 in turn."""
    sizes = np.asarray(sqrt_rule(curve, steps), dtype=np.float64)
    uniform = np.full(steps, n / steps)
    bases = np.stack([sizes, uniform])
    base = bases[np.arange(restarts) % 2]  # (R, k)
    scale = 0.25 * 2.0 ** (np.arange(restarts) // 2 % 4)
    noise = np.asarray(jax.random.normal(key, (restarts, steps))) * scale[:, None]
    noise[: min(2, restarts)] = 0.0
    if relaxation == "breakpoints":
        return np.log(base - 1 + 0.05) + noise
    partial = np.cumsum(base, axis=1)[:, :-1]
    before = np.concatenate([np.zeros((restarts, 1)), partial[:, :-1]], axis=1)
    p = np.clip((partial - before) / (n - before), LOGIT_CLIP, 1 - LOGIT_CLIP)
    return np.log(p) - np.log1p(-p) + noise[:, :-1]


@functools.lru_cache(maxsize=32)
def _default_optimizer(relaxation: str, iters: int) -> optax.GradientTransformation:
    """Adam with a cosine-decayed learning rate (cached so that jitted code is reused)."""
    import optax

    return optax.adam(optax.cosine_decay_schedule(DEFAULT_LR[relaxation], iters, alpha=0.01))


@dataclasses.dataclass(frozen=True)
class OptimizeResult:
    """The outcome of :func:`optimize_schedule`, with its check against the DP optimum.

    Attributes:
      sizes: the integer schedule (rounded, repaired to sum to ``n``, then polished if asked).
      kl: Theorem 4 at ``sizes``, in nats.
      relaxed_kl: the relaxed objective at the continuous optimum of the chosen restart (for
        ``"random-sizes"``: the exact expected KL of the binomial schedule).
      dp_kl: the exact optimum :func:`mdmjax.optimal_schedule` at the same ``k``.
      dp_sizes: the DP's schedule.
      gap: ``(kl - dp_kl) / max(dp_kl, 1e-12)``.
      ok: ``True`` when ``gap <= 0.01`` or ``kl - dp_kl <= 1e-6``.
      message: a one-line verdict, saying what failed when ``ok`` is ``False``.
      loss_history: ``(restarts, num_iters)`` objective values along the optimization.
      relaxation: ``"breakpoints"`` or ``"random-sizes"``.
      rounded_sizes: the schedule straight from rounding, before polishing.
      rounded_kl: Theorem 4 at ``rounded_sizes``.
      polish_moves: the breakpoint moves plus improving window rounds of the local searches (0
        when ``polish=False``).
      breakpoints: the continuous breakpoints (expected partial sums for ``"random-sizes"``).
      restart_kls: ``(restarts,)`` final Theorem-4 KL of every restart.
      best_restart: the index of the chosen restart.
      reveal_probs: for ``"random-sizes"``, the optimized binomial schedule's ``(k,)`` reveal
        probabilities (``relaxed_kl`` is its exact expected KL); ``None`` otherwise.

    Examples:
      ``Z = (0, 0.5, 0.6, 0.6)``, ``G(4) = 1.7``: the two-step schedules ``(1, 3)``, ``(2, 2)``,
      ``(3, 1)`` cost ``1.7 - 3 · 0.5 = 0.2``, ``1.7 - 2 · 0.6 = 0.5`` and ``1.7 - 0.6 = 1.1``,
      so the DP optimum is ``(1, 3)`` at 0.2:

      >>> import mdmjax as mdm
      >>> c = mdm.InformationCurve.from_z([0.0, 0.5, 0.6, 0.6])
      >>> r = mdm.optimize_schedule(c, 2, restarts=2, num_iters=50)
      >>> r.dp_sizes, round(r.dp_kl, 12), r.steps, r.kl >= r.dp_kl - 1e-12
      ((1, 3), 0.2, 2, True)
      >>> r.ok, r.relaxation, r.restart_kls.shape
      (True, 'breakpoints', (2,))
    """

    sizes: tuple[int, ...]
    kl: float
    relaxed_kl: float
    dp_kl: float
    dp_sizes: tuple[int, ...]
    gap: float
    ok: bool
    message: str
    loss_history: np.ndarray
    relaxation: str
    rounded_sizes: tuple[int, ...]
    rounded_kl: float
    polish_moves: int
    breakpoints: np.ndarray
    restart_kls: np.ndarray
    best_restart: int
    reveal_probs: np.ndarray | None = None

    @property
    @scoped_x64
    def steps(self) -> int:
        return len(self.sizes)


def _sizes_of(partial: np.ndarray, n: int) -> tuple[int, ...]:
    return tuple(int(s) for s in np.diff(np.concatenate([[0], partial, [n]])))


def _verdict(kl: float, dp_kl: float) -> tuple[float, bool, str]:
    gap = (kl - dp_kl) / max(dp_kl, RELATIVE_GAP_FLOOR)
    ok = gap <= GAP_TOLERANCE or kl - dp_kl <= ABS_TOLERANCE
    if ok:
        msg = f"within tolerance of the DP optimum (gap {gap:.3g}, excess {kl - dp_kl:.3g} nats)"
    else:
        msg = (
            f"NOT within 1% of the DP optimum: kl = {kl:.6g}, dp_kl = {dp_kl:.6g}, gap = {gap:.3g} "
            "(more restarts or iterations may help; the DP schedule is in dp_sizes)"
        )
    return gap, ok, msg


@scoped_x64
def optimize_schedule(
    curve,
    steps: int,
    relaxation: str = "breakpoints",
    optimizer: optax.GradientTransformation | None = None,
    num_iters: int | None = None,
    restarts: int = 16,
    key=None,
    *,
    polish: bool = True,
    progress: bool = False,
) -> OptimizeResult:
    """Search for a ``k``-step schedule by gradient descent on a continuous relaxation.

    The relaxations and the run are described in the module docstring (:mod:`mdmjax.search._relax`).
    The result carries its own check against the exact DP optimum (Chen–Cong–Li 2026, §3):
    ``dp_kl``, ``gap``, ``ok`` and ``message``.

    Args:
      curve: an :class:`~mdmjax.InformationCurve` or a :class:`~mdmjax.Distribution`.
      steps: the number of steps ``k``, ``1 <= k <= n``.
      relaxation: ``"breakpoints"`` or ``"random-sizes"``.
      optimizer: an optax transformation (default: Adam with a cosine-decayed learning rate,
        0.05 for breakpoints and 0.1 for random sizes).
      num_iters: optimizer iterations per restart (default 600 / 300).
      restarts: independent starts, run in parallel with ``vmap``.
      key: a ``jax.random`` key for the restarts (default ``jax.random.key(0)``).
      polish: run the exact local searches after rounding (module docstring).
      progress: show progress, a bar on a terminal or lines elsewhere (the scan is then run in
        jitted chunks).

    Returns:
      an :class:`OptimizeResult`.

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> c = mdm.InformationCurve.from_z(np.log(np.arange(1, 65)) / np.log(64))
      >>> r = mdm.optimize_schedule(c, 4, restarts=2, num_iters=200)
      >>> r.ok, r.sizes == r.dp_sizes or r.gap < 0.01
      (True, True)
    """
    c, k = _curve_and_steps(curve, steps)
    n = c.n
    relaxation = as_choice(relaxation, RELAXATIONS, "relaxation")
    iters = (
        DEFAULT_ITERS[relaxation] if num_iters is None else as_positive_int(num_iters, "num_iters")
    )
    restarts = as_positive_int(restarts, "restarts")
    import optax

    if optimizer is not None and not isinstance(optimizer, optax.GradientTransformation):
        raise ValueError(f"optimizer: expected an optax GradientTransformation, got {optimizer!r}")
    key = jax.random.key(0) if key is None else key
    z_np = np.asarray(c.z, dtype=np.float64)
    z = jnp.asarray(z_np)
    dp = optimal_schedule(c, k)

    if k == 1:  # nothing to search: one block
        kl = expected_kl(c, (n,))
        gap, ok, msg = _verdict(kl, dp.kl)
        return OptimizeResult(
            sizes=(n,),
            kl=kl,
            relaxed_kl=kl,
            dp_kl=dp.kl,
            dp_sizes=dp.sizes,
            gap=gap,
            ok=ok,
            message=msg,
            loss_history=np.zeros((restarts, 0)),
            relaxation=relaxation,
            rounded_sizes=(n,),
            rounded_kl=kl,
            polish_moves=0,
            breakpoints=np.zeros(0),
            restart_kls=np.full(restarts, kl),
            best_restart=0,
            reveal_probs=np.ones(1) if relaxation == "random-sizes" else None,
        )

    check_allocation(
        restarts * k * n * 8 * 4,
        f"the exact local search over {restarts} restarts ({k} x {n} candidate moves each)",
        hint="Use fewer restarts.",
        argument="restarts",
    )
    if optimizer is None:
        optimizer = _default_optimizer(relaxation, iters)

    levels, stages = _smoothing_levels(z_np, k, iters)
    params = jnp.asarray(_initial_params(relaxation, c, n, k, restarts, key))
    state = jax.vmap(optimizer.init)(params)
    chunk = _make_chunk(relaxation, optimizer)
    levels_j = jnp.asarray(levels)
    if progress:
        from mdmjax._src.progress import progress_bar  # a bar on a terminal, lines elsewhere

        size = max(1, math.ceil(iters / 50))
        history = []
        with progress_bar(iters, f"optimize ({relaxation})", "it") as bar:
            for start in range(0, iters, size):
                part = jnp.asarray(stages[start : start + size])
                params, state, losses = chunk(params, state, levels_j, part)
                history.append(np.asarray(losses))
                bar.update(int(part.shape[0]))
                bar.set_postfix(loss=float(np.min(history[-1][:, -1])))
        history = np.concatenate(history, axis=1)
    else:
        params, state, losses = chunk(params, state, levels_j, jnp.asarray(stages))
        history = np.asarray(losses)

    return _finish(relaxation, params, z, n, dp, polish, history)


def _round_and_polish(tau, z, do_polish):
    n = z.shape[0]
    partial = round_breakpoints(tau, n)
    rounded_kl = integer_breakpoint_kl(z, partial)
    max_sweeps = jnp.where(do_polish, n * (partial.shape[0] + 1), 0)
    polished, moves = polish_breakpoints(z, partial, max_sweeps)
    window = min(POLISH_WINDOW, n)
    polished, rounds = window_polish_breakpoints(z, polished, window, jnp.where(do_polish, n, 0))
    polished, more = polish_breakpoints(z, polished, max_sweeps)
    return partial, rounded_kl, polished, moves + rounds + more, integer_breakpoint_kl(z, polished)


@functools.partial(jax.jit, static_argnames=("relaxation",))
def _finish_batch(params, z, do_polish, relaxation):
    """Per restart: continuous breakpoints, relaxed value, rounding, polishing, Theorem 4."""
    n = z.shape[0]
    if relaxation == "breakpoints":
        tau = jax.vmap(lambda p: _tau_from_logits(p, n))(params)
        relaxed = jax.vmap(lambda t: relaxed_breakpoint_kl(z, t))(tau)
    else:
        tau = jax.vmap(lambda p: _expected_partial_sums(p, n))(params)
        relaxed = jax.vmap(lambda p: _random_sizes_loss(p, z))(params)
    rounded = jax.vmap(lambda t: _round_and_polish(t, z, do_polish))(tau)
    return (tau, relaxed, *rounded)


def _finish(relaxation, params, z, n, dp, polish, history) -> OptimizeResult:
    out = _finish_batch(params, z, jnp.asarray(polish), relaxation)
    tau, relaxed, rounded, rounded_kl, polished, moves, final_kl = (np.asarray(x) for x in out)
    best = int(np.argmin(final_kl))
    kl = float(final_kl[best])
    gap, ok, msg = _verdict(kl, dp.kl)
    return OptimizeResult(
        sizes=_sizes_of(polished[best], n),
        kl=kl,
        relaxed_kl=float(relaxed[best]),
        dp_kl=dp.kl,
        dp_sizes=dp.sizes,
        gap=gap,
        ok=ok,
        message=msg,
        loss_history=history,
        relaxation=relaxation,
        rounded_sizes=_sizes_of(rounded[best], n),
        rounded_kl=float(rounded_kl[best]),
        polish_moves=int(moves[best]),
        breakpoints=np.asarray(tau[best]),
        restart_kls=final_kl,
        best_restart=best,
        reveal_probs=(
            np.asarray(_probs_from_logits(params[best])) if relaxation == "random-sizes" else None
        ),
    )
