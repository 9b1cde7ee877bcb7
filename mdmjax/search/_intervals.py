"""An interval for the optimal schedule's KL on a curve with standard errors.

The optimum ``min_s KL(s)`` is not linear in ``Z`` and the schedule is chosen from the data, so
the interval uses a *simultaneous* band (:func:`mdmjax.kl.z_band`, Bonferroni over the ``j`` with
``se_j > 0``). If the true ``Z`` lies in the band, every ``k``-step schedule has
``L(s) <= KL(s) <= U(s)`` (the band's two Theorem 4 ends), hence
``min_s L(s) <= min_s KL(s) <= min_s U(s)``; both minima are exact dynamic programmes over the
band costs of :func:`mdmjax.kl.block_cost_matrix`. docs/theory.md §9.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from mdmjax._src.numerics import normal_quantile
from mdmjax._src.precision import scoped_x64
from mdmjax._src.validate import as_level, check_interval_rows
from mdmjax.kl import Interval, block_cost, block_cost_matrix, expected_kl_interval, z_band
from mdmjax.search._dp import (
    Schedule,
    _check_dp_memory,
    _curve_and_steps,
    _model_method,
    _model_steps,
    _no_entropy,
    cost_dp,
    model_curve_z,
    optimal_schedule,
)

__all__ = ["ScheduleInterval", "optimal_schedule_interval"]


@dataclasses.dataclass(frozen=True)
class ScheduleInterval:
    """The optimal ``k``-step schedule of the estimated curve, with intervals.

    Attributes:
      schedule: ``mdm.optimal_schedule(curve, k)`` on the point estimate.
      kl: an interval for that schedule's true expected KL (simultaneous band).
      optimum: an interval for the true optimal ``k``-step expected KL.

    Examples:
      An exact curve (no standard errors) leaves no room: both intervals are the point
      ``G(4) - 3 Z_2 = 1.7 - 1.5 = 0.2`` of the optimum ``(1, 3)``:

      >>> import mdmjax as mdm
      >>> c = mdm.InformationCurve.from_z([0.0, 0.5, 0.6, 0.6])
      >>> si = mdm.optimal_schedule_interval(c, 2)
      >>> si.schedule.sizes, [round(v, 12) for v in (si.kl.lower, si.kl.upper, si.optimum.upper)]
      ((1, 3), [0.2, 0.2, 0.2])
    """

    schedule: Schedule
    kl: Interval
    optimum: Interval


_band_costs = jax.jit(block_cost_matrix)


def _cost_optimum(cost: jax.Array, steps: int) -> jax.Array:
    """The least total of ``steps`` blocks under ``cost`` (:func:`~mdmjax.search._dp.cost_dp`)."""
    return cost_dp(cost, steps)[0]


def _band_optimum(inside: jax.Array, start: jax.Array, steps: int) -> jax.Array:
    return _cost_optimum(_band_costs(inside, start), steps)


def _model_block_costs(start: np.ndarray, inside: np.ndarray, absolute: bool) -> np.ndarray:
    """Block costs of a model curve with the start level read on ``start`` and the others on
    ``inside``: excess ``(j-i-1) start[i] - sum_{m=i+1}^{j-1} inside[m]``, absolute
    ``(j-i) start[i]`` (0-indexed levels, block ``[i, j)``; docs/theory.md §8.3)."""
    n = start.size
    i = np.arange(n + 1)[:, None]
    j = np.arange(n + 1)[None, :]
    ic = np.clip(i, 0, n - 1)
    width = (j - i).astype(np.float64)
    if absolute:
        cost = width * start[ic]
    else:
        prefix = np.concatenate([[0.0], np.cumsum(inside)])
        # minus Theorem 4's block cost (exact; 0.0 - x keeps +0.0 where the two sides are equal)
        cost = 0.0 - block_cost(prefix[j], prefix[np.clip(i + 1, 0, n)], width - 1, start[ic])
    return np.where(i < j, cost, np.inf)


def _model_interval(curve, raw, steps, level, entropy_of_data) -> ScheduleInterval:
    """:func:`optimal_schedule_interval` for a model curve: a Bonferroni band on ``CE``."""
    lvl = as_level(level)
    check_interval_rows(curve.num_rows, "curve")
    k = _model_steps(raw, steps)
    _check_dp_memory(raw.size, _model_method("auto"), k)
    best = optimal_schedule(curve, k, entropy_of_data=entropy_of_data)
    ce = np.asarray(curve.cross_entropy, dtype=np.float64)
    se = np.asarray(curve.cross_entropy_stderr, dtype=np.float64)
    count = max(1, int(np.count_nonzero(se > 0)))
    r = normal_quantile(lvl, count)
    lo, hi = ce - r * se, ce + r * se
    absolute = entropy_of_data is not None
    shift = -curve.entropy_offset(entropy_of_data) + curve.nll_bound if absolute else 0.0
    # the chosen schedule: linear in CE with coefficients c_m (s_t - 1 or -1; s_t or 0 absolute)
    c = np.zeros(ce.size) if absolute else -np.ones(ce.size)
    starts = np.cumsum(best.sizes) - np.asarray(best.sizes)
    c[starts] += np.asarray(best.sizes, dtype=np.float64)
    low_s = float(np.sum(np.minimum(c * lo, c * hi))) - shift
    high_s = float(np.sum(np.maximum(c * lo, c * hi))) - shift
    kl = Interval(best.kl, min(low_s, best.kl), max(high_s, best.kl), lvl)
    low = float(_cost_optimum(jnp.asarray(_model_block_costs(lo, hi, absolute)), k)) - shift
    high = float(_cost_optimum(jnp.asarray(_model_block_costs(hi, lo, absolute)), k)) - shift
    optimum = Interval(best.kl, min(low, best.kl), max(high, best.kl), lvl)
    return ScheduleInterval(best, kl, optimum)


@scoped_x64
def optimal_schedule_interval(
    curve, steps: int, level: float = 0.95, *, entropy_of_data=None
) -> ScheduleInterval:
    """The optimal ``steps``-step schedule with intervals for its KL and for the true optimum.

    Uses the simultaneous band of :func:`z_band`; the optimum's ends are the exact minima of the
    band's lower and upper Theorem 4 costs over all ``steps``-step schedules (module docstring).

    A model curve (:func:`mdmjax.model_curve`) is handled on its raw cross-entropy: the schedule
    is the dense-DP optimum of its excess KL (absolute with ``entropy_of_data=H``), and the
    band is Bonferroni over the levels, ``CE(m) ± r se_m``; its block costs read the block's
    first level on one edge and the others on the other edge, and the excess is not floored at 0.

    Args:
      curve: an :class:`InformationCurve` (with ``stderr`` for a non-trivial interval), or a
        model curve.
      steps: the number of steps ``k``, ``1 <= k <= n``.
      level: confidence level in ``(0, 1)``.
      entropy_of_data: ``H(p)``, for a model curve's absolute KL only.

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> c = mdm.InformationCurve.from_z([0.0, 0.5, 0.6, 0.6], stderr=[0.0, 0.01, 0.01, 0.01])
      >>> si = mdm.optimal_schedule_interval(c, 2)
      >>> si.schedule.sizes, si.optimum.lower <= si.schedule.kl <= si.optimum.upper
      ((1, 3), True)
    """
    raw = model_curve_z(curve)
    if raw is not None:
        return _model_interval(curve, raw, steps, level, entropy_of_data)
    _no_entropy(entropy_of_data)
    c, k = _curve_and_steps(curve, steps)
    best = optimal_schedule(c, k)
    kl = expected_kl_interval(c, best.sizes, level, simultaneous=True)
    lo, hi = z_band(c, level, simultaneous=True)
    _check_dp_memory(c.n, "dense", k)
    if c.stderr is None or not np.any(
        np.asarray(c.stderr) > 0
    ):  # an exact curve: nothing to propagate
        return ScheduleInterval(best, kl, Interval(best.kl, best.kl, best.kl, level))
    low = float(_band_optimum(jnp.asarray(lo), jnp.asarray(hi), k))
    high = float(_band_optimum(jnp.asarray(hi), jnp.asarray(lo), k))
    optimum = Interval(best.kl, max(0.0, min(low, best.kl)), max(high, best.kl), level)
    return ScheduleInterval(best, kl, optimum)
