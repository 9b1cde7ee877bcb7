"""Confidence intervals for Theorem 4 KL and the optimal schedule on curves with standard errors.

Monte-Carlo curves (:mod:`mdmjax.curves`) carry per-``j`` standard errors ``se_j`` of ``Z_j``.
Intervals are obtained by **propagating** them through the (linear) Theorem 4 formula.

**One schedule.** Chen–Cong–Li (2026), Theorem 4 makes the expected KL linear in ``Z``:

.. math:: KL(s) = \\sum_j a_j(s) Z_j, \\qquad a_j = +1 \\text{ inside a block},\\
          a_j = -(s_t - 1) \\text{ at the first position of block } t.

The estimates ``Z_j`` of one run are correlated (one permutation serves every ``j``), and only
their marginal errors are stored, so the variance ``a^T Cov a`` is bounded with Minkowski's
inequality, valid for *any* correlation: ``sd(a·Ẑ) <= sum_j |a_j| se_j``. With the normal
quantile ``r`` the interval is

.. math:: \\big[\\max(0,\\ KL - r \\textstyle\\sum_j |a_j| se_j),\\ KL + r \\sum_j |a_j| se_j\\big].

Equivalently it is the range of Theorem 4 over the band ``Z_j ± r se_j``: the lower end takes
``Z_j - r se_j`` inside blocks and ``Z_j + r se_j`` at block starts, the upper end the reverse.
It is conservative (the estimates are positively correlated, so the true spread of a sum with
mixed signs is smaller); ``tests/test_uncertainty.py`` checks its coverage by simulation.

**The optimum.** ``min_s KL(s)`` is not linear, and the optimal schedule is chosen from the data,
so :func:`optimal_schedule_interval` uses a *simultaneous* band (Bonferroni over the ``j`` with
``se_j > 0``: ``r = Phi^{-1}(1 - (1 - level) / (2 n))``). If the true ``Z`` lies in the band, then
for every ``k``-step schedule ``L(s) <= KL(s) <= U(s)``, where ``L`` and ``U`` are the two ends
above; hence ``min_s L(s) <= min_s KL(s) <= min_s U(s)``. Both minima are computed exactly by the
``O(k n^2)`` dynamic programme of :mod:`mdmjax.search` with the block cost
``sum_{p in block, p != start} Z^{lo/hi}_p - (s - 1) Z^{hi/lo}_{start}``.

A curve without ``stderr`` (an exact curve) gets the degenerate interval ``[KL, KL]``.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from mdmjax._src.numerics import normal_quantile
from mdmjax._src.precision import scoped_x64
from mdmjax._src.validate import as_level, as_sizes
from mdmjax.curves import InformationCurve, as_curve
from mdmjax.kl._theorem4 import expected_kl

__all__ = [
    "Interval",
    "expected_kl_interval",
    "z_band",
]


@dataclasses.dataclass(frozen=True)
class Interval:
    """A point estimate with a confidence interval (nats).

    Attributes:
      estimate: the value on the curve's ``z``.
      lower, upper: the interval's ends (``lower >= 0``: a KL is non-negative).
      level: the nominal confidence level.

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> c = mdm.curves.curve_from_estimates(np.array([0.0, 1.0, 1.5]), np.array([0.0, 0.1, 0.1]))
      >>> iv = mdm.expected_kl_interval(c, (1, 2))
      >>> iv.estimate, round(iv.lower, 4), round(iv.upper, 4), iv.level
      (0.5, 0.108, 0.892, 0.95)
    """

    estimate: float | np.ndarray
    lower: float | np.ndarray
    upper: float | np.ndarray
    level: float


def _stderr(curve: InformationCurve) -> np.ndarray:
    if curve.stderr is None:
        return np.zeros(curve.n)
    return np.asarray(curve.stderr, dtype=np.float64)


@scoped_x64
def z_band(curve, level: float = 0.95, simultaneous: bool = False):
    """The band ``Z_j ± r se_j`` as ``(lower, upper)`` arrays.

    ``r`` is the two-sided normal quantile of ``level``; with ``simultaneous=True`` it is
    Bonferroni-corrected over the ``j`` with ``se_j > 0``.

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> c = mdm.curves.curve_from_estimates(np.array([0.0, 1.0, 1.5]), np.array([0.0, 0.1, 0.1]))
      >>> lo, hi = mdm.kl.z_band(c, 0.95)  # Z_j ± 1.96 se_j
      >>> np.round(lo, 4).tolist(), np.round(hi, 4).tolist()
      ([0.0, 0.804, 1.304], [0.0, 1.196, 1.696])
    """
    c = as_curve(curve)
    lvl = as_level(level)
    se = _stderr(c)
    z = np.asarray(c.z, dtype=np.float64)
    count = max(1, int(np.count_nonzero(se > 0))) if simultaneous else 1
    r = normal_quantile(lvl, count)
    return z - r * se, z + r * se


def _coefficients(sizes: np.ndarray, n: int) -> np.ndarray:
    """``a_j(s)`` for a 1-D or zero-padded 2-D batch of schedules, shape ``(..., n)``."""
    sizes = np.atleast_2d(sizes)
    ends = np.cumsum(sizes, axis=1)
    starts = ends - sizes
    a = np.ones((sizes.shape[0], n))
    rows, cols = np.nonzero(sizes > 0)
    np.subtract.at(a, (rows, starts[rows, cols]), sizes[rows, cols].astype(np.float64))
    return a


@scoped_x64
def expected_kl_interval(curve, sizes, level: float = 0.95, simultaneous: bool = False) -> Interval:
    """Theorem 4's expected KL of ``sizes`` with a confidence interval from ``curve.stderr``.

    The estimate equals ``mdm.expected_kl(curve, sizes)`` (unchanged). The interval is the
    propagation described in the module docstring: ``KL ± r sum_j |a_j| se_j``, clipped at 0.

    Args:
      curve: an :class:`InformationCurve`, usually Monte-Carlo (``stderr`` set).
      sizes: a schedule, or a 2-D zero-padded batch (then the fields are arrays).
      level: confidence level in ``(0, 1)``.
      simultaneous: use the Bonferroni band (valid jointly for all schedules).

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> c = mdm.InformationCurve.from_z([0.0, 0.5, 0.6], stderr=[0.0, 0.01, 0.02])
      >>> iv = mdm.expected_kl_interval(c, (2, 1))
      >>> round(iv.estimate, 6), round(iv.lower, 4), round(iv.upper, 4)
      (0.5, 0.4804, 0.5196)
    """
    c = as_curve(curve)
    arr = as_sizes(sizes, c.n)
    est = expected_kl(c, arr)
    lo, hi = z_band(c, level, simultaneous)
    a = _coefficients(arr, c.n)
    lower = np.where(a > 0, a * lo, a * hi).sum(axis=1)
    upper = np.where(a > 0, a * hi, a * lo).sum(axis=1)
    if not np.any(_stderr(c) > 0):  # an exact curve: nothing to propagate
        lower = upper = np.atleast_1d(est).astype(np.float64)
    if arr.ndim == 1:
        est_f = float(est)
        return Interval(
            est_f, max(0.0, min(float(lower[0]), est_f)), max(float(upper[0]), est_f), level
        )
    est = np.asarray(est)
    return Interval(est, np.clip(np.minimum(lower, est), 0.0, None), np.maximum(upper, est), level)
