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
import functools

import jax
import jax.numpy as jnp
import numpy as np

from mdmjax._src.precision import scoped_x64
from mdmjax.kl import Interval, block_cost_matrix, expected_kl_interval, z_band
from mdmjax.search._dp import (
    Schedule,
    _check_dp_memory,
    _curve_and_steps,
    _dp_step,
    _initial,
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
    """

    schedule: Schedule
    kl: Interval
    optimum: Interval


@functools.partial(jax.jit, static_argnames=("steps",))
def _band_optimum(inside: jax.Array, start: jax.Array, steps: int) -> jax.Array:
    cost = block_cost_matrix(inside, start)

    def body(d, _):
        return _dp_step(cost, d)[0], None

    d, _ = jax.lax.scan(body, _initial(inside.shape[0]), None, length=steps)
    return d[-1]


@scoped_x64
def optimal_schedule_interval(curve, steps: int, level: float = 0.95) -> ScheduleInterval:
    """The optimal ``steps``-step schedule with intervals for its KL and for the true optimum.

    Uses the simultaneous band of :func:`z_band`; the optimum's ends are the exact minima of the
    band's lower and upper Theorem 4 costs over all ``steps``-step schedules (module docstring).

    Args:
      curve: an :class:`InformationCurve` (with ``stderr`` for a non-trivial interval).
      steps: the number of steps ``k``, ``1 <= k <= n``.
      level: confidence level in ``(0, 1)``.

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> c = mdm.InformationCurve.from_z([0.0, 0.5, 0.6, 0.6], stderr=[0.0, 0.01, 0.01, 0.01])
      >>> si = mdm.optimal_schedule_interval(c, 2)
      >>> si.schedule.sizes, si.optimum.lower <= si.schedule.kl <= si.optimum.upper
      ((1, 3), True)
    """
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
