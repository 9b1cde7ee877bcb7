"""Cross-fitting: a chosen schedule's KL on rows not used to choose it (docs/theory.md §8.6).

A schedule chosen by minimizing a noisy estimate looks better on that estimate than it is: the
minimum of unbiased estimates is biased downward (the optimizer's curse). The remedy: split the
rows in two halves ``A`` and ``B`` at random, choose the ``k``-step schedule on ``A`` and value it
on ``B`` (its value on ``B`` is unbiased for its true cost, since ``B`` did not choose it), then
swap. The report holds both held-out values, their mean with a normal interval (the halves are
independent given the choices, ``se = sqrt(se_A^2 + se_B^2) / 2``), and the plug-in optimum of
all rows for comparison only: never report the plug-in optimum alone.

Two sources of rows:

* :func:`cross_fit` — a :class:`~mdmjax.calibrate.ModelCurve` (rows = data rows; the per-row
  ``Z^CE`` values; choice by the dense DP on the raw estimates);
* :func:`cross_fit_monte_carlo` — a Monte-Carlo information curve
  (:func:`mdmjax.curves.monte_carlo_curve`; rows = draws ``(x, pi)``; choice on the isotonic
  curve of the half, as :func:`mdmjax.curves.monte_carlo_curve` would give it).

In both, a schedule's per-row value is Theorem 4 (:func:`mdmjax.kl.theorem4`) on that row's
``Z`` values, which is linear, so the held-out mean is unbiased and its error is the row spread.

:func:`cross_fit_frontier` cross-fits every ``k`` of a frontier on one split and adds a
**simultaneous** interval: the same rows value every ``k``'s chosen schedule, so the held-out
values are correlated, and the max-t critical value of their joint normal law (the ``level``
quantile of ``max_k |Z_k|``, ``Z`` with the per-row correlation matrix) makes all the intervals
hold at once with probability ``level`` (docs/theory.md §8.6).
"""

from __future__ import annotations

import dataclasses

import jax
import numpy as np

from mdmjax._src.keys import as_key
from mdmjax._src.numerics import normal_quantile
from mdmjax._src.precision import scoped_x64
from mdmjax._src.validate import as_level, as_positive_int
from mdmjax.calibrate._model_curve import (
    ModelCurve,
    _numpy_rng,
    schedule_rows,
    weighted_stats,
)
from mdmjax.curves import curve_from_estimates, monte_carlo_values
from mdmjax.kl import Interval
from mdmjax.search import Schedule, optimal_schedule

__all__ = ["CrossFit", "Frontier", "cross_fit", "cross_fit_frontier", "cross_fit_monte_carlo"]

# Draws of the joint normal law for the max-t critical value (fixed seed: the same data give the
# same band); its Monte-Carlo error on a 95% quantile is about 0.01 in the critical value.
_MAX_T_DRAWS = 200_000


@dataclasses.dataclass(frozen=True)
class CrossFit:
    """The cross-fitted value of the ``k``-step schedule chosen from an estimated curve.

    Attributes:
      steps: ``k``.
      chosen: the schedules chosen on half A and on half B.
      held_out: their values, each on the other half, as :class:`mdmjax.kl.Interval`.
      estimate: the mean of the two held-out values (nats), with ``lower``/``upper``.
      plug_in: the optimum of all rows on all rows (optimistic; for comparison only).
      level: the confidence level.

    Examples:
      A repeated bit of 4 positions in one step costs ``TC = 3 ln 2`` on every row, so both
      halves choose ``(4,)``, every interval is the point ``3 ln 2`` and nothing is optimistic:

      >>> import jax, math, numpy as np, mdmjax as mdm
      >>> d = mdm.families.repetition(4, 2)
      >>> x = np.asarray(d.sample(jax.random.key(0), 200))
      >>> mc = mdm.model_curve(mdm.models.from_distribution(d), x, key=0)
      >>> cf = mdm.calibrate.cross_fit(mc, 1)
      >>> cf.chosen, round(cf.estimate / math.log(2), 12), round(cf.upper / math.log(2), 12)
      (((4,), (4,)), 3.0, 3.0)
      >>> abs(cf.optimism) < 1e-12, cf.to_dict()["steps"]
      (True, 1)
    """

    steps: int
    chosen: tuple[tuple[int, ...], tuple[int, ...]]
    held_out: tuple[Interval, Interval]
    estimate: float
    lower: float
    upper: float
    plug_in: Schedule
    level: float

    @property
    def optimism(self) -> float:
        """``estimate - plug_in.kl``: how much better the plug-in optimum looked than it is."""
        return self.estimate - self.plug_in.kl

    def to_dict(self) -> dict:
        """JSON-able fields."""
        return {
            "steps": self.steps,
            "chosen": [list(c) for c in self.chosen],
            "held_out": [dataclasses.asdict(iv) for iv in self.held_out],
            "estimate": self.estimate,
            "lower": self.lower,
            "upper": self.upper,
            "plug_in_sizes": list(self.plug_in.sizes),
            "plug_in_kl": self.plug_in.kl,
            "level": self.level,
        }


def _halves(rows: int, key) -> tuple[np.ndarray, np.ndarray]:
    if rows < 4:
        raise ValueError(f"data: cross-fitting needs at least 4 rows (2 per half), got {rows}")
    perm = _numpy_rng(as_key(key)).permutation(rows)
    return np.sort(perm[: rows // 2]), np.sort(perm[rows // 2 :])


def _value(z_rows, weights, sizes, offsets, r) -> Interval:
    """Held-out value of ``sizes`` on rows ``z_rows`` (with per-row constants ``offsets``)."""
    arr = np.asarray(sizes, dtype=np.int64)[None, :]
    vals = schedule_rows(z_rows, arr)[:, 0] + offsets
    mean, se = weighted_stats(vals[:, None], weights)
    return Interval(float(mean[0]), float(mean[0] - r * se[0]), float(mean[0] + r * se[0]), 0.0)


def _combine(steps, chosen, values, ses, plug_in, lvl, r) -> CrossFit:
    held = tuple(Interval(v.estimate, v.lower, v.upper, lvl) for v in values)  # fill in the level
    est = 0.5 * (values[0].estimate + values[1].estimate)
    se = 0.5 * float(np.hypot(ses[0], ses[1]))
    return CrossFit(steps, chosen, held, est, est - r * se, est + r * se, plug_in, lvl)


@scoped_x64
def cross_fit(
    mc: ModelCurve, steps: int, *, key=0, level: float = 0.95, entropy_of_data=None
) -> CrossFit:
    """Cross-fitted KL of the ``steps``-step schedule chosen on a model curve (module docstring).

    Args:
      mc: a :class:`ModelCurve` (from :func:`mdmjax.model_curve`), with at least 4 rows.
      steps: ``k``, ``1 <= k <= n``.
      key: the random split of the rows (an int seed or a ``jax.random`` key).
      level: confidence level of the intervals.
      entropy_of_data: ``H(p)``: report absolute KL instead of the excess over one token per
        step (the choice does not depend on it).

    Returns:
      a :class:`CrossFit`.

    Examples:
      >>> import jax, numpy as np, mdmjax as mdm
      >>> d = mdm.families.repetition(4, 2)  # x = (b, b, b, b): CE = (log 2, 0, 0, 0)
      >>> x = np.asarray(d.sample(jax.random.key(0), 200))
      >>> mc = mdm.model_curve(mdm.models.from_distribution(d), x, key=0)
      >>> cf = mdm.calibrate.cross_fit(mc, 2)
      >>> cf.chosen, round(cf.estimate, 12), round(cf.plug_in.kl, 12)
      (((1, 3), (1, 3)), 0.0, 0.0)
    """
    if not isinstance(mc, ModelCurve):
        raise ValueError(f"mc: expected a ModelCurve (mdm.model_curve), got {type(mc).__name__}")
    lvl = as_level(level)
    r = normal_quantile(lvl)
    halves = _halves(mc.num_rows, key)
    plug_in = optimal_schedule(mc, steps, entropy_of_data=entropy_of_data)
    chosen, values, ses = [], [], []
    for a, b in (halves, halves[::-1]):
        pick = optimal_schedule(mc.subset(a), steps).sizes
        other = mc.subset(b)
        offsets = 0.0
        if entropy_of_data is not None:  # absolute KL = excess + sum_m CE_r(m) - H
            offsets = other.row_cross_entropy.sum(axis=1) - float(entropy_of_data)
        iv = _value(other.row_z, other.row_weights, pick, offsets, r)
        chosen.append(pick)
        values.append(iv)
        ses.append((iv.upper - iv.estimate) / r if r > 0 else 0.0)
    return _combine(int(steps), tuple(chosen), values, ses, plug_in, lvl, r)


@scoped_x64
def cross_fit_monte_carlo(
    model, steps: int, *, key, num_samples: int = 256, level: float = 0.95, batch_size=None
) -> CrossFit:
    """Cross-fitted KL of the schedule chosen on a Monte-Carlo curve (module docstring).

    The draws of :func:`mdmjax.curves.monte_carlo_values` (those of
    :func:`mdmjax.curves.monte_carlo_curve` with the same key) are split in two halves; each
    half's isotonic curve chooses the ``steps``-step DP optimum, valued by Theorem 4 on the
    other half's raw draws.

    Args:
      model: a model with exact conditionals (``mdm.curves.HiddenMarkovModel``, ...).
      steps: ``k``, ``1 <= k <= n``.
      key: a ``jax.random`` key or an int seed (draws and split).
      num_samples: draws ``(x, pi)``, ``>= 4``.
      level: confidence level.
      batch_size: passed to :func:`mdmjax.curves.monte_carlo_values`.

    Returns:
      a :class:`CrossFit`; ``plug_in`` is the optimum of the curve of all draws, on all draws.

    Examples:
      >>> import mdmjax as mdm
      >>> model = mdm.curves.MixtureOfProducts([0.5, 0.5], [[[0.9, 0.1]] * 6, [[0.1, 0.9]] * 6])
      >>> cf = mdm.calibrate.cross_fit_monte_carlo(model, 2, key=0, num_samples=64)
      >>> len(cf.chosen[0]), cf.lower <= cf.estimate <= cf.upper
      (2, True)
    """
    lvl = as_level(level)
    m = as_positive_int(num_samples, "num_samples", minimum=4)
    k_draw, k_split = jax.random.split(as_key(key))
    vals = monte_carlo_values(model, k_draw, m, batch_size=batch_size)  # (m, n)
    r = normal_quantile(lvl)

    def curve_of(rows):
        z, se = weighted_stats(vals[rows], np.full(rows.size, 1.0 / rows.size))
        return curve_from_estimates(z, se)

    full = curve_of(np.arange(m))
    plug_in = optimal_schedule(full, steps)  # the isotonic curve's optimum, as reported
    halves = _halves(m, k_split)
    chosen, values, ses = [], [], []
    for a, b in (halves, halves[::-1]):
        pick = optimal_schedule(curve_of(a), steps).sizes
        iv = _value(vals[b], np.full(b.size, 1.0 / b.size), pick, 0.0, r)
        chosen.append(pick)
        values.append(iv)
        ses.append((iv.upper - iv.estimate) / r if r > 0 else 0.0)
    return _combine(int(steps), tuple(chosen), values, ses, plug_in, lvl, r)


@dataclasses.dataclass(frozen=True)
class Frontier:
    """Cross-fitted values of a frontier's schedules with a simultaneous interval.

    Attributes:
      fits: one :class:`CrossFit` per ``k`` (same split of the rows for every ``k``).
      lower, upper: ``(K,)`` simultaneous interval: all ``K`` held-out values' targets lie in
        their intervals at once with probability ``level`` (max-t over the ``K`` schedules,
        with the per-row correlation), floored at ``floor`` when there is one.
      critical: the max-t critical value (the marginal intervals use the normal quantile).
      level: the confidence level.
      floor: ``0.0`` when the quantity cannot be negative (absolute KL; the excess of a model
        whose estimated ``CE`` is non-increasing up to sampling noise), else ``None``.

    Examples:
      A repeated bit valued by its exact conditionals: every row has ``CE = (ln 2, 0, 0, 0)``,
      so one step costs ``TC = 3 ln 2``, two steps ``(1, 3)`` cost nothing, and with no spread
      between rows each interval is a point:

      >>> import jax, math, numpy as np, mdmjax as mdm
      >>> d = mdm.families.repetition(4, 2)
      >>> x = np.asarray(d.sample(jax.random.key(0), 200))
      >>> mc = mdm.model_curve(mdm.models.from_distribution(d), x, key=0)
      >>> fr = mdm.calibrate.cross_fit_frontier(mc, [1, 2])
      >>> [round(f.estimate / math.log(2), 12) for f in fr.fits], fr.floor
      ([3.0, 0.0], 0.0)
      >>> bool(np.allclose(fr.lower, fr.upper)), len(fr.to_dict())
      (True, 2)
    """

    fits: tuple[CrossFit, ...]
    lower: np.ndarray
    upper: np.ndarray
    critical: float
    level: float
    floor: float | None

    def to_dict(self) -> list[dict]:
        """One JSON-able record per ``k``, with the simultaneous interval."""
        return [
            {
                **cf.to_dict(),
                "simultaneous_lower": float(lo),
                "simultaneous_upper": float(hi),
                "simultaneous_critical": self.critical,
            }
            for cf, lo, hi in zip(self.fits, self.lower, self.upper, strict=True)
        ]


# A rise of CE(m) -> CE(m + 1) larger than this many standard errors (of the per-row
# differences) shows an inconsistent model; below it, the rises are sampling noise.
_CONSISTENCY_Z = 4.0


def _looks_consistent(mc: ModelCurve) -> bool:
    """Whether the estimated ``CE`` is non-increasing up to sampling noise (Han: a consistent
    model's ``CE`` never rises, so its excess KL is ``>= 0``)."""
    rises, se = weighted_stats(np.diff(mc.row_cross_entropy, axis=1), mc.row_weights)
    return bool(np.all(rises <= _CONSISTENCY_Z * se))


def _max_t_critical(cov: np.ndarray, se: np.ndarray, level: float) -> float:
    """The ``level`` quantile of ``max_k |Z_k|``, ``Z`` normal with correlation ``cov``."""
    live = se > 0
    if not np.any(live):
        return normal_quantile(level)
    corr = cov[np.ix_(live, live)] / np.outer(se[live], se[live])
    vals, vecs = np.linalg.eigh(corr)
    root = vecs * np.sqrt(np.clip(vals, 0.0, None))[None, :]
    draws = np.random.default_rng(0).standard_normal((_MAX_T_DRAWS, corr.shape[0])) @ root.T
    return float(np.quantile(np.abs(draws).max(axis=1), level))


@scoped_x64
def cross_fit_frontier(
    mc: ModelCurve, steps, *, key=0, level: float = 0.95, entropy_of_data=None
) -> Frontier:
    """:func:`cross_fit` of every ``k`` in ``steps``, with a simultaneous interval (max-t).

    With one split ``(A, B)`` of the rows, each ``k``'s estimate is
    ``v_k = (mean_B v_{r,k}^{A} + mean_A v_{r,k}^{B}) / 2`` (``v^A`` valued with the schedule
    chosen on ``A``). Its influence per row gives the covariance of ``(v_1..v_K)``:

    .. math:: \\mathrm{Cov}(v_k, v_l) = \\tfrac14 \\sum_{h \\in \\{A, B\\}}
              \\tfrac{R_h}{R_h - 1} \\sum_{r \\in h} w_r^2 (v_{rk} - \\bar v_{hk})
              (v_{rl} - \\bar v_{hl}),

    and the band is ``v_k ± c se_k`` with ``c`` the ``level`` quantile of ``max_k |Z_k|``,
    ``Z ~ N(0, corr)`` (docs/theory.md §8.6). A quantity that cannot be negative has its lower
    end floored at 0: the absolute KL (``entropy_of_data`` given) always, and the excess when
    no rise of the estimated ``CE`` exceeds 4 standard errors (a consistent model's ``CE`` is
    non-increasing, so each Theorem-4 term, and its excess, is ``>= 0``).

    Args:
      mc: a :class:`ModelCurve` with at least 4 rows.
      steps: the step counts ``k`` (each ``1 <= k <= n``).
      key: the random split (the same for every ``k``).
      level: confidence level of the marginal and simultaneous intervals.
      entropy_of_data: ``H(p)``, for absolute KL.

    Returns:
      a :class:`Frontier`.

    Raises:
      ValueError: ``mc`` not a ModelCurve, ``steps`` empty or out of range, ``level``.

    Examples:
      >>> import jax, numpy as np, mdmjax as mdm
      >>> d = mdm.families.noisy_repetition(6, 0.1)
      >>> x = np.asarray(d.sample(jax.random.key(0), 400))
      >>> mc = mdm.model_curve(mdm.models.from_distribution(d), x, key=0)
      >>> fr = mdm.calibrate.cross_fit_frontier(mc, [2, 3, 6])
      >>> bool(fr.critical > 1.96), bool(np.all(fr.upper >= [f.upper for f in fr.fits])), fr.floor
      (True, True, 0.0)
    """
    if not isinstance(mc, ModelCurve):
        raise ValueError(f"mc: expected a ModelCurve (mdm.model_curve), got {type(mc).__name__}")
    ks = [int(k) for k in np.atleast_1d(np.asarray(steps))]
    if not ks:
        raise ValueError("steps: expected at least one step count")
    lvl = as_level(level)
    r = normal_quantile(lvl)
    halves = _halves(mc.num_rows, key)
    others = [mc.subset(b) for b in (halves[1], halves[0])]  # valued on: B, then A
    fits, cols = [], [[], []]
    for k in ks:
        fits.append(cross_fit(mc, k, key=key, level=lvl, entropy_of_data=entropy_of_data))
        for h, other in enumerate(others):
            arr = np.asarray(fits[-1].chosen[h], dtype=np.int64)[None, :]
            vals = schedule_rows(other.row_z, arr)[:, 0]
            if entropy_of_data is not None:
                vals = vals + other.row_cross_entropy.sum(axis=1) - float(entropy_of_data)
            cols[h].append(vals)
    cov = np.zeros((len(ks), len(ks)))
    for h, other in enumerate(others):
        v = np.stack(cols[h], axis=1)  # (R_h, K)
        w = other.row_weights
        dev = (v - w @ v) * w[:, None]
        rh = v.shape[0]
        cov += 0.25 * (rh / max(rh - 1, 1)) * (dev.T @ dev)
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    crit = max(_max_t_critical(cov, se, lvl), r)
    est = np.asarray([f.estimate for f in fits])
    lower, upper = est - crit * se, est + crit * se
    consistent = _looks_consistent(mc)
    floor = 0.0 if entropy_of_data is not None or consistent else None
    if floor is not None:
        lower = np.maximum(lower, floor)
    return Frontier(tuple(fits), lower, upper, float(crit), lvl, floor)
