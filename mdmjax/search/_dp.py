"""The optimal k-step schedule: best left-Riemann step approximation of ``Z`` (docs/theory.md §2).

By Theorem 4 the expected KL of sizes ``s`` is a sum of block costs. With 0-indexed breakpoints
``0 = N_0 < N_1 < .. < N_k = n`` and ``S[m] = sum_{p < m} z[p]`` (``z[p] = Z_{p+1}``), the block
covering positions ``N_{t-1} .. N_t - 1`` costs

.. math:: c(i, j) = S[j] - S[i] - (j - i)\\, Z_{i+1}, \\qquad i = N_{t-1},\\ j = N_t,

and the optimum is ``D_k[n]`` of the dynamic programme ``D_t[j] = min_{i<j} D_{t-1}[i] + c(i, j)``.

Two exact solvers of the same programme:

* ``"dense"``: every ``(i, j)`` pair, ``O(k n^2)`` work and ``O(n^2)`` memory, vectorized over
  ``j`` and scanned over ``t``. The reference.
* ``"monotone"``: ``c`` satisfies the quadrangle (Monge) inequality, because for
  ``a <= b <= c <= d``,
  ``c(a, c) + c(b, d) - c(a, d) - c(b, c) = (d - c)(Z_{a+1} - Z_{b+1}) <= 0`` when ``Z`` is
  non-decreasing. So the leftmost optimal predecessor ``opt_t(j)`` is non-decreasing in ``j``
  (Aggarwal et al. 1987; Galil–Park 1992), and each layer is a divide-and-conquer over ``j``:
  the rows of one recursion level are solved together, each searching only between the optima
  of its two neighbours of the coarser level. ``O(k n log n)`` work, ``O(n)`` memory per layer.
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np

from mdmjax._src.buckets import pow2_bucket
from mdmjax._src.memory import check_allocation
from mdmjax._src.precision import scoped_x64
from mdmjax._src.tolerances import EPS_SLACK
from mdmjax._src.validate import as_choice, as_nonnegative_float, as_positive_int
from mdmjax.curves import InformationCurve, as_curve
from mdmjax.kl import block_cost, block_cost_matrix

__all__ = ["Schedule", "optimal_schedule", "optimal_schedules", "min_steps", "DP_METHODS"]


DP_METHODS = ("auto", "dense", "monotone")
# "auto" uses the dense reference up to this n, the monotone solver above it.
DENSE_MAX_N = 512


@dataclasses.dataclass(frozen=True)
class Schedule:
    """A schedule with its exact expected KL.

    Attributes:
      sizes: the step sizes ``(s_1, .., s_k)``, positive and summing to ``n``.
      kl: Theorem 4's expected KL of ``sizes``, in nats.

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> s = mdm.optimal_schedule(mdm.InformationCurve.from_z(np.array([0.0, 1.0, 1.0])), 2)
      >>> s.sizes, s.steps, round(s.kl, 12)
      ((1, 2), 2, 0.0)
    """

    sizes: tuple[int, ...]
    kl: float

    @property
    @scoped_x64
    def steps(self) -> int:
        """Number of steps ``k``."""
        return len(self.sizes)

    @property
    @scoped_x64
    def breakpoints(self) -> tuple[int, ...]:
        """Partial sums ``(N_1, .., N_k)``."""
        return tuple(int(v) for v in np.cumsum(self.sizes))


def model_curve_z(curve):
    """The raw ``Z^CE`` of a model curve (:func:`mdmjax.model_curve`), else ``None``.

    A model curve is any object with a ``raw_z`` array and an ``expected_kl(sizes,
    entropy_of_data=...)`` method; its ``Z^CE`` may dip (docs/theory.md §8.3), so only the dense
    solver is exact on it (the monotone one needs a non-decreasing ``Z``, §2.4).
    """
    raw = getattr(curve, "raw_z", None)
    if raw is None or not callable(getattr(curve, "expected_kl", None)):
        return None
    return np.asarray(raw, dtype=np.float64)


def _model_steps(z: np.ndarray, steps) -> int:
    k = as_positive_int(steps, "steps")
    if k > z.size:
        raise ValueError(
            f"steps: must be <= n = {z.size} (each step reveals at least one position)"
        )
    return k


def _model_method(method: str) -> str:
    method = as_choice(method, DP_METHODS, "method")
    if method == "monotone":
        raise ValueError(
            "method: the monotone solver needs a non-decreasing Z, and a model curve's raw Z^CE "
            "may dip (docs/theory.md §2.4, §8.3); use 'dense' or 'auto'"
        )
    return "dense"


def _no_entropy(entropy_of_data) -> None:
    if entropy_of_data is not None:
        raise ValueError(
            "entropy_of_data: only a model curve (mdm.model_curve) takes the entropy of the data"
        )


def _curve_and_steps(curve, steps) -> tuple[InformationCurve, int]:
    """The curve (as :func:`_as_curve`) and a step count ``1 <= k <= n``, else ``ValueError``."""
    c = as_curve(curve)
    k = as_positive_int(steps, "steps")
    if k > c.n:
        raise ValueError(f"steps: must be <= n = {c.n} (each step reveals at least one position)")
    return c, k


def _dp_step(cost, d_prev):
    total = d_prev[:, None] + cost
    return jnp.min(total, axis=0), jnp.argmin(total, axis=0).astype(jnp.int32)


def _initial(n):
    return jnp.where(jnp.arange(n + 1) == 0, 0.0, jnp.inf)


def _layers(steps: int) -> int:
    """The compiled number of DP layers for ``steps``: up to 64 steps a power of two >= 8.

    The step count is a traced argument and the layers past it are skipped (``lax.cond``), so
    one compilation serves every ``k`` of a bucket (``k = 1..8``, ``9..16``, ``17..32``,
    ``33..64``): a report over several ``k`` compiles the DP once or twice, not once per ``k``.
    Past 64 steps the count is exact, so the ``(layers, n+1)`` argmin table never grows.
    """
    steps = int(steps)
    return pow2_bucket(steps, 8) if steps <= 64 else steps


def _scan_layers(layer, d0: jax.Array, steps, length: int):
    """``length`` layers of ``d -> layer(d) = (d', argmins)``, only the first ``steps`` live.

    Returns ``(D_steps, argmins)``; rows ``>= steps`` of the argmins are zeros.
    """

    def body(d, t):
        idle = lambda d: (d, jnp.zeros(d.shape, jnp.int32))  # noqa: E731
        return jax.lax.cond(t < steps, layer, idle, d)

    return jax.lax.scan(body, d0, jnp.arange(length, dtype=jnp.int32))


@functools.partial(jax.jit, static_argnames=("length",))
def _cost_dp_jit(cost, steps, length):
    layer = lambda d: _dp_step(cost, d)  # noqa: E731
    d, args = _scan_layers(layer, _initial(cost.shape[0] - 1), steps, length)
    return d[-1], args


def cost_dp(cost: jax.Array, steps: int):
    """The dense DP over any ``(n+1, n+1)`` block-cost matrix: ``(D_steps[n], argmins)``.

    ``D_steps[n]`` is the least cost of ``[0, n)`` in ``steps`` blocks; the argmins have one row
    per layer. Compiled once per bucket of step counts (:func:`_layers`). The Theorem 4
    optimum and the interval bounds of :mod:`mdmjax.search._intervals` both run through it.
    """
    d, args = _cost_dp_jit(cost, np.int32(steps), _layers(steps))
    return d, np.asarray(args)[:steps]  # sliced on the host: no program per step count


_block_costs = jax.jit(block_cost_matrix)


def _dp(z, steps: int):
    return cost_dp(_block_costs(z), steps)


# ------------------------------------------------------------------------------------------------
# The monotone (quadrangle-inequality) solver
# ------------------------------------------------------------------------------------------------
def _monotone_layer(d_prev: jax.Array, z: jax.Array, prefix: jax.Array, opt0: jax.Array):
    """One layer ``D_t[j] = min_{i<j} D_{t-1}[i] + c(i, j)`` with leftmost argmins.

    Divide and conquer over the rows ``j = 1..n`` by levels: at the level of step ``h`` (a power
    of two, halving from the largest ``h <= n`` down to 1) the rows are ``j_r = h(2r+1)``; their
    neighbours ``j_r -/+ h`` are multiples of ``2h``, solved at coarser levels, and by
    monotonicity row ``r`` only searches ``[lo_r, hi_r] = [opt(2hr), min(opt(2h(r+1)), j_r-1)]``.

    The breakpoints ``lo_r`` split ``i = 0..n`` into pieces ``[lo_r, lo_{r+1})``; since
    ``hi_r <= lo_{r+1}``, each candidate of row ``r`` lies in piece ``r`` except possibly its
    right end ``hi_r``, evaluated apart. So a level is one pass over ``i`` and a ``segment_min``
    per piece: ``O(n)`` with static shapes. The piece of ``i`` is carried from level to level:
    the next level's breakpoints interleave the old ones with this level's optima, so
    ``piece' = 2 piece + [opt(j_piece) <= i]`` (no sort, scatter or prefix sum). The levels run
    in a ``lax.fori_loop``; rows past ``n`` are masked.

    Args:
      d_prev: ``D_{t-1}``, shape ``(n+1,)``, ``+inf`` where infeasible.
      z: ``Z``, shape ``(n,)``, non-decreasing.
      prefix: ``S``, shape ``(n+1,)``.
      opt0: zeros of shape ``(n+1,)``, int32 (passed in so that XLA does not constant-fold).

    Returns:
      ``(D_t, opt_t)``, with ``opt_t[0] = 0`` and ``D_t[0] = +inf``.
    """
    n = z.shape[0]
    levels = max(1, n.bit_length())
    k = max(1, (n + 1) // 2)
    r = jnp.arange(k, dtype=jnp.int32)
    i = jnp.arange(n + 1, dtype=jnp.int32)
    z_i = jnp.concatenate([z, z[-1:]])  # z[i] for i = 0..n (i = n is never a candidate)

    def cost(i_, j_):
        return block_cost(prefix[j_], prefix[i_], (j_ - i_).astype(z.dtype), z_i[i_], d_prev[i_])

    def level(step, carry):
        opt, best, piece = carry
        h = jnp.left_shift(jnp.int32(1), levels - 1 - step)
        last = (n - h) // (2 * h)  # live rows h(2r+1) <= n (no int32 overflow for large r)
        live = r <= last
        rr = jnp.minimum(r, last)
        rows = h * (2 * rr + 1)
        lo = opt[2 * h * rr]
        up = rows + h
        hi = jnp.minimum(jnp.where(up <= n, opt[jnp.minimum(up, n)], n), rows - 1)
        seg = jnp.minimum(piece, k - 1)
        j = h * (2 * seg + 1)
        valid = (piece <= last) & (i < j)
        # cost(i, j) with i = 0..n read directly (no gather along i)
        val = block_cost(prefix[jnp.minimum(j, n)], prefix, (j - i).astype(z.dtype), z_i, d_prev)
        val = jnp.where(valid, val, jnp.inf)
        seg_min = jax.ops.segment_min(val, seg, num_segments=k, indices_are_sorted=True)
        cand = jnp.where(valid & (val == seg_min[seg]), i, n + 1)
        seg_arg = jax.ops.segment_min(cand, seg, num_segments=k, indices_are_sorted=True)
        end_val = cost(hi, rows)  # the right end hi_r, which may lie in the next piece
        row_min = jnp.minimum(seg_min, end_val)
        arg = jnp.where(seg_min <= end_val, seg_arg, hi)
        arg = jnp.where(jnp.isinf(row_min), lo, arg)  # an all-infinite row (j < t) keeps lo
        target = jnp.where(live, rows, n + 1)
        opt = opt.at[target].set(arg, mode="drop")
        best = best.at[target].set(row_min, mode="drop")
        split = (piece <= last) & (arg[seg] <= i)
        piece = 2 * piece + split.astype(jnp.int32)
        return opt, best, piece

    best0 = jnp.full(n + 1, jnp.inf, d_prev.dtype)
    opt, best, _ = jax.lax.fori_loop(0, levels, level, (opt0, best0, opt0))
    return best, opt


@functools.partial(jax.jit, static_argnames=("length",))
def _dp_monotone_jit(z, opt0, steps, length):
    prefix = jnp.concatenate([jnp.zeros(1, z.dtype), jnp.cumsum(z)])
    layer = lambda d: _monotone_layer(d, z, prefix, opt0)  # noqa: E731
    d, args = _scan_layers(layer, _initial(z.shape[0]), steps, length)
    return d[-1], args


def _dp_monotone(z, steps: int):
    opt0 = np.zeros(z.shape[0] + 1, np.int32)  # host arrays: no eager program to compile
    d, args = _dp_monotone_jit(z, opt0, np.int32(steps), _layers(steps))
    return d, np.asarray(args)[:steps]


@jax.jit
def _fewest_steps_monotone_jit(z, eps, opt0):
    n = z.shape[0]
    prefix = jnp.concatenate([jnp.zeros(1, z.dtype), jnp.cumsum(z)])

    def cond(state):
        t, d = state
        return (t < n) & (d[n] > eps)

    def body(state):
        t, d = state
        return t + 1, _monotone_layer(d, z, prefix, opt0)[0]

    d1 = _monotone_layer(_initial(n), z, prefix, opt0)[0]
    t, _ = jax.lax.while_loop(cond, body, (jnp.asarray(1), d1))
    return t


def _fewest_steps_monotone(z, eps):
    return _fewest_steps_monotone_jit(z, eps, np.zeros(z.shape[0] + 1, np.int32))


def _resolve_method(method: str, n: int) -> str:
    method = as_choice(method, DP_METHODS, "method")
    if method == "auto":
        return "dense" if n <= DENSE_MAX_N else "monotone"
    return method


def _backtrack(args: np.ndarray, n: int) -> tuple[int, ...]:
    sizes = []
    j = n
    for t in range(args.shape[0] - 1, -1, -1):
        i = int(args[t, j])
        sizes.append(j - i)
        j = i
    assert j == 0
    return tuple(reversed(sizes))


def _check_dp_memory(n: int, method: str, steps: int = 1) -> None:
    if method == "dense":
        check_allocation(
            3 * (n + 1) ** 2 * 8,
            f"the O(n^2) block-cost matrix for n = {n}",
            hint="Use method='monotone' (the quadrangle-inequality DP), which needs O(n).",
            argument="curve",
        )
    check_allocation(
        _layers(steps) * (n + 1) * 4 + 16 * (n + 1) * 8,
        f"the DP's predecessor table for {steps} steps and n = {n}",
        argument="steps",
    )


@scoped_x64
def optimal_schedule(curve, steps: int, *, method: str = "auto", entropy_of_data=None) -> Schedule:
    """The schedule with exactly ``steps`` steps that minimizes Theorem 4's expected KL.

    The minimum over compositions of ``n`` into ``steps`` positive parts of the l1 distance
    between ``Z`` and its left-Riemann step function (Chen–Cong–Li 2026, §3), by exact dynamic
    programming: ``O(k n^2)`` (``"dense"``) or, using the quadrangle inequality of the block
    cost, ``O(k n log n)`` (``"monotone"``; see the module docstring).

    A model curve (:func:`mdmjax.model_curve`) is optimized on its raw ``Z^CE`` by the dense
    solver (exact for any ``Z``; docs/theory.md §8.3), and ``kl`` is the excess over one token
    per step, or the absolute KL with ``entropy_of_data=H``.

    Args:
      curve: an :class:`InformationCurve` (or a :class:`Distribution`), or a model curve.
      steps: the number of steps ``k``, ``1 <= k <= n``.
      method: ``"dense"``, ``"monotone"``, or ``"auto"`` (dense for ``n <= 512``; always dense
        for a model curve).
      entropy_of_data: ``H(p)``, for a model curve's absolute KL only.

    Returns:
      a :class:`Schedule` with ``sizes`` and ``kl``.

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> n = 200; z = np.log(np.arange(1, n + 1)) / np.log(n)
      >>> s = mdm.optimal_schedule(mdm.InformationCurve.from_z(z), 2)
      >>> s.sizes, round(s.kl, 4)
      ((41, 159), 50.76)
    """
    return optimal_schedules(curve, (steps,), method=method, entropy_of_data=entropy_of_data)[0]


def _as_step_list(steps) -> list:
    """``steps`` as a non-empty list (each entry validated later against ``n``)."""
    if isinstance(steps, (str, bytes)) or not hasattr(steps, "__iter__"):
        raise ValueError(f"steps: expected a sequence of step counts, got {steps!r}")
    out = list(steps)
    if not out:
        raise ValueError(f"steps: expected at least one step count, got {steps!r}")
    return out


@scoped_x64
def optimal_schedules(
    curve, steps, *, method: str = "auto", entropy_of_data=None
) -> tuple[Schedule, ...]:
    """:func:`optimal_schedule` for several step counts at once, from one run of the DP.

    Layer ``t`` of the programme ``D_t[j] = min_{i<j} D_{t-1}[i] + c(i, j)`` does not depend on
    how many layers follow, so the ``max(steps)`` layers of one run hold the optimum of every
    ``k <= max(steps)``; each schedule is backtracked from the first ``k`` layers. The result
    equals ``tuple(optimal_schedule(curve, k) for k in steps)`` exactly, at the cost of the
    largest ``k`` alone.

    Args:
      curve: as in :func:`optimal_schedule`.
      steps: a sequence of step counts, each ``1 <= k <= n`` (repeats and any order allowed).
      method: ``"dense"``, ``"monotone"``, or ``"auto"``, as in :func:`optimal_schedule`.
      entropy_of_data: ``H(p)``, for a model curve's absolute KL only.

    Returns:
      one :class:`Schedule` per entry of ``steps``, in the same order.

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> n = 200; c = mdm.InformationCurve.from_z(np.log(np.arange(1, n + 1)) / np.log(n))
      >>> [s.sizes for s in mdm.optimal_schedules(c, [1, 2])]
      [(200,), (41, 159)]
    """
    wanted = _as_step_list(steps)
    raw = model_curve_z(curve)
    if raw is not None:
        ks = [_model_steps(raw, k) for k in wanted]
        _check_dp_memory(raw.size, _model_method(method), max(ks))
        _, args = _dp(jnp.asarray(raw), max(ks))
        args = np.asarray(args)
        return tuple(
            Schedule(sizes, curve.expected_kl(sizes, entropy_of_data=entropy_of_data))
            for sizes in (_backtrack(args[:k], raw.size) for k in ks)
        )
    _no_entropy(entropy_of_data)
    c = as_curve(curve)
    ks = [_curve_and_steps(c, k)[1] for k in wanted]
    n = c.n
    how = _resolve_method(method, n)
    _check_dp_memory(n, how, max(ks))
    from mdmjax.kl import expected_kl

    z = jnp.asarray(c.z, dtype=jnp.float64)
    _, args = (_dp if how == "dense" else _dp_monotone)(z, max(ks))
    args = np.asarray(args)
    return tuple(
        Schedule(sizes, expected_kl(c, sizes)) for sizes in (_backtrack(args[:k], n) for k in ks)
    )


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


@scoped_x64
def min_steps(curve, eps: float, *, method: str = "auto", entropy_of_data=None) -> Schedule:
    """The fewest steps ``k`` whose optimal expected KL is ``<= eps``, with that schedule.

    The optimum is non-increasing in ``k`` and zero at ``k = n``, so the answer exists for every
    ``eps >= 0``. A slack of ``1e-12`` nats absorbs rounding when ``eps`` equals an optimum.

    For a model curve the budget is on its excess KL over one token per step (the raw
    estimates), or on the absolute KL with ``entropy_of_data=H``. Its optimum need not decrease
    with ``k`` (an inconsistent model can prefer fewer steps), so the layers run in order until
    one meets the budget.

    Args:
      curve: an :class:`InformationCurve` (or a :class:`Distribution`), or a model curve.
      eps: the KL budget in nats, ``>= 0``.
      method: ``"dense"``, ``"monotone"``, or ``"auto"``, as in :func:`optimal_schedule`.
      entropy_of_data: ``H(p)``, for a model curve's absolute KL only.

    Returns:
      the :class:`Schedule` of :func:`optimal_schedule` at the smallest feasible ``k``.

    Raises:
      ValueError: a bad argument, or (absolute budgets of a model curve) no ``k`` meets ``eps``.

    Examples:
      >>> import mdmjax as mdm
      >>> c = mdm.information_curve(mdm.families.reed_solomon(n=5, q=5, d=2))
      >>> s = mdm.min_steps(c, eps=0.5)  # one step costs TC = 3 ln 5; two steps cost 0
      >>> s.sizes, s.steps
      ((2, 3), 2)
    """
    budget = as_nonnegative_float(eps, "eps")
    raw = model_curve_z(curve)
    if raw is not None:
        _check_dp_memory(raw.size, _model_method(method))
        offset = curve.entropy_offset(entropy_of_data)  # absolute = excess + offset
        k = int(_fewest_steps(jnp.asarray(raw), budget - offset + EPS_SLACK))
        best = optimal_schedule(curve, k, entropy_of_data=entropy_of_data)
        if best.kl > budget + EPS_SLACK:
            raise ValueError(
                f"eps: no schedule of this model meets {budget!r} nats (absolute KL, with "
                f"entropy_of_data); even one token per step costs {offset:.6g}"
            )
        return best
    _no_entropy(entropy_of_data)
    c = as_curve(curve)
    how = _resolve_method(method, c.n)
    _check_dp_memory(c.n, how)
    fewest = _fewest_steps if how == "dense" else _fewest_steps_monotone
    k = int(fewest(jnp.asarray(c.z, dtype=jnp.float64), budget + EPS_SLACK))
    return optimal_schedule(c, k, method=how)
