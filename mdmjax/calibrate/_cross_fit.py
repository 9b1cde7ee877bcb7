"""Cross-fitting: a chosen schedule's KL on rows not used to choose it (docs/theory.md §8.6).

A schedule chosen by minimizing a noisy estimate looks better on that estimate than it is: the
minimum of unbiased estimates is biased downward (the optimizer's curse). The remedy: split the
rows in two halves ``A`` and ``B`` at random, choose the ``k``-step schedule on ``A`` and value it
on ``B`` (its value on ``B`` is unbiased for its true cost, since ``B`` did not choose it), then
swap. The report holds both held-out values, their mean with a normal interval, and the plug-in
optimum of all rows for comparison only: never report the plug-in optimum alone.

**Which interval, and its variance.** The interval is for the true value of the schedules the
report names, ``theta = (KL(s_A) + KL(s_B)) / 2``. The error of the estimate is
``(e_B(s_A) + e_A(s_B)) / 2`` with ``e_h(s)`` the noise of half ``h``'s mean value of ``s``. Each
term alone has the variance of its half (``s_A`` is fixed given ``A``), but the two are
positively correlated: the noise of ``B`` both values ``s_A`` and chooses ``s_B``, and the noise of
``A`` does the reverse (with two near-tied schedules the covariance is ``E[D^+]^2 > 0``, ``D``
the noise of their difference). The sum of the halves' variances,
``sqrt(se_A^2 + se_B^2) / 2``, ignores it and covered 0.89-0.94 at nominal 0.95. The standard
error is instead the **bootstrap of the whole procedure**: each replicate draws two halves of
the same sizes from the rows, chooses the optimum on each (the same dynamic programme, batched),
values it on the other, and subtracts the replicate's ``theta`` under the rows' empirical law;
``stderr`` is the spread of these errors (``NUM_BOOTSTRAP`` replicates; docs/theory.md §8.6,
coverage in docs/coverage.md). The held-out intervals of each half stay the halves' own.

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
from mdmjax._src.validate import as_level, as_positive_int, check_interval_rows
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
      estimate: the mean of the two held-out values (nats), with ``lower``/``upper``: a
        ``level`` interval for the chosen schedules' mean true value, ``estimate ± z stderr``.
      plug_in: the optimum of all rows on all rows (optimistic; for comparison only).
      level: the confidence level.
      stderr: the standard error of ``estimate`` (bootstrap of the procedure, module docstring).

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
    stderr: float = float("nan")

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
            "stderr": self.stderr,
        }


def _halves(rows: int, key, argument: str = "mc") -> tuple[np.ndarray, np.ndarray]:
    check_interval_rows(rows, argument, 4, "cross-fitting (2 rows per half)")
    perm = _numpy_rng(as_key(key)).permutation(rows)
    return np.sort(perm[: rows // 2]), np.sort(perm[rows // 2 :])


# Bootstrap replicates of the whole cross-fitting procedure behind its standard error.
NUM_BOOTSTRAP = 400
# Replicates per batch of the vectorized dynamic programme (memory ~ chunk (n+1)^2 floats).
_BOOT_CHUNK_ELEMENTS = 1 << 22


def _batched_choice(z: np.ndarray, steps: int) -> np.ndarray:
    """Theorem 4's ``steps``-step optimum of every row of ``z`` ``(B, n)``, as its coefficient
    vector ``a`` (``KL = a . z``; ``+1`` inside a block, ``1 - s`` at its first position).

    The dense dynamic programme of :mod:`mdmjax.search` in NumPy, batched over replicates (the
    block ``[i, j)`` costs ``S_j - S_i - (j - i) z_i``, any ``z``)."""
    b, n = z.shape
    pre = np.concatenate([np.zeros((b, 1)), np.cumsum(z, axis=1)], axis=1)
    i = np.arange(n + 1)[:, None]
    j = np.arange(n + 1)[None, :]
    zi = np.concatenate([z, np.zeros((b, 1))], axis=1)  # z at the block start (row n unused)
    cost = pre[:, None, :] - pre[:, :, None] - (j - i)[None] * zi[:, :, None]
    cost = np.where((i < j)[None], cost, np.inf)
    d = np.full((b, n + 1), np.inf)
    d[:, 0] = 0.0
    args = np.zeros((steps, b, n + 1), dtype=np.int64)
    for t in range(steps):
        tot = d[:, :, None] + cost  # (B, i, j)
        args[t] = np.argmin(tot, axis=1)
        d = np.take_along_axis(tot, args[t][:, None, :], axis=1)[:, 0, :]
    a = np.ones((b, n))
    end = np.full(b, n)
    rows = np.arange(b)
    for t in range(steps - 1, -1, -1):
        start = args[t, rows, end]
        a[rows, start] -= end - start
        end = start
    return a


def _bootstrap_errors(z_rows, extra, weights, halves, ks, key, num, project=None) -> np.ndarray:
    """``(num, K)`` bootstrap replicates of ``estimate - target`` for each ``k`` in ``ks``.

    The data's world is the weighted empirical law of all rows: each replicate draws two halves
    of the real halves' sizes from the rows (uniform draws, weighted means), chooses on each, values
    on the other and subtracts the replicate's target, the two chosen schedules' mean value
    under the empirical law (docs/theory.md §8.6). ``project`` maps a half's mean ``Z`` to the
    curve the choice is made on (the isotonic projection for Monte-Carlo curves)."""
    rng = _numpy_rng(jax.random.fold_in(as_key(key), 1))  # not the split's stream
    rows, n = z_rows.shape
    zx = np.concatenate([z_rows, extra[:, None]], axis=1)  # extra: the absolute KL's offset
    full = weights @ zx
    chunk = max(1, min(num, _BOOT_CHUNK_ELEMENTS // ((n + 1) * max(n + 1, rows))))
    out = []
    for lo in range(0, num, chunk):
        m = min(chunk, num - lo)
        means = []
        for h in halves:
            idx = rng.integers(0, rows, size=(m, h.size))  # uniform draws, weighted means
            w = weights[idx]
            means.append(np.einsum("bi,bij->bj", w / w.sum(axis=1, keepdims=True), zx[idx]))
        errs = []
        for k in ks:
            err = 0.0
            for h in range(2):
                zc = means[h][:, :n]
                if project is not None:
                    zc = np.stack([project(row, h) for row in zc])
                a = _batched_choice(zc, k)
                a = np.concatenate([a, np.ones((m, 1))], axis=1)
                err = err + 0.5 * np.sum(a * (means[1 - h] - full[None, :]), axis=1)
            errs.append(err)
        out.append(np.stack(errs, axis=1))
    return np.concatenate(out, axis=0)


def _value(z_rows, weights, sizes, offsets, r) -> Interval:
    """Held-out value of ``sizes`` on rows ``z_rows`` (with per-row constants ``offsets``)."""
    arr = np.asarray(sizes, dtype=np.int64)[None, :]
    vals = schedule_rows(z_rows, arr)[:, 0] + offsets
    mean, se = weighted_stats(vals[:, None], weights)
    return Interval(float(mean[0]), float(mean[0] - r * se[0]), float(mean[0] + r * se[0]), 0.0)


def _combine(steps, chosen, values, se, plug_in, lvl, r) -> CrossFit:
    held = tuple(Interval(v.estimate, v.lower, v.upper, lvl) for v in values)  # fill in the level
    est = 0.5 * (values[0].estimate + values[1].estimate)
    se = float(se)
    return CrossFit(steps, chosen, held, est, est - r * se, est + r * se, plug_in, lvl, se)


def _procedure_se(errors: np.ndarray) -> np.ndarray:
    """The standard deviation of bootstrap errors ``(B, K)``, per column."""
    return np.sqrt(
        np.mean(np.square(errors - errors.mean(axis=0)), axis=0)
        * errors.shape[0]
        / max(errors.shape[0] - 1, 1)
    )


@scoped_x64
def cross_fit(
    mc: ModelCurve,
    steps: int,
    *,
    key=0,
    level: float = 0.95,
    entropy_of_data=None,
    num_bootstrap: int = NUM_BOOTSTRAP,
) -> CrossFit:
    """Cross-fitted KL of the ``steps``-step schedule chosen on a model curve (module docstring).

    Args:
      mc: a :class:`ModelCurve` (from :func:`mdmjax.model_curve`), with at least 4 rows.
      steps: ``k``, ``1 <= k <= n``.
      key: the random split of the rows (an int seed or a ``jax.random`` key).
      level: confidence level of the intervals.
      entropy_of_data: ``H(p)``: report absolute KL instead of the excess over one token per
        step (the choice does not depend on it).
      num_bootstrap: replicates of the procedure behind the standard error (``>= 2``).

    Returns:
      a :class:`CrossFit`.

    Raises:
      ValueError: ``mc`` not a ModelCurve or with fewer than 4 rows (2 per half), ``level``
        outside ``(0, 1)``, ``steps`` out of range, ``num_bootstrap < 2``.

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
    nb = as_positive_int(num_bootstrap, "num_bootstrap", minimum=2)
    halves = _halves(mc.num_rows, key)
    return _cross_fit(mc, steps, halves, key, lvl, entropy_of_data, nb)


def _cross_fit(mc, steps, halves, key, lvl, entropy_of_data, nb, se=None) -> CrossFit:
    """:func:`cross_fit` on the split ``halves``; ``se`` (the procedure's standard error) when
    the caller bootstrapped it already."""
    r = normal_quantile(lvl)
    plug_in = optimal_schedule(mc, steps, entropy_of_data=entropy_of_data)
    chosen, values = [], []
    for a, b in (halves, halves[::-1]):
        pick = optimal_schedule(mc.subset(a), steps).sizes
        other = mc.subset(b)
        offsets = 0.0
        if entropy_of_data is not None:  # absolute KL = excess + sum_m CE_r(m) - H
            offsets = other.row_cross_entropy.sum(axis=1) - float(entropy_of_data)
        chosen.append(pick)
        values.append(_value(other.row_z, other.row_weights, pick, offsets, r))
    if se is None:
        extra = _extra(mc, entropy_of_data)
        errs = _bootstrap_errors(mc.row_z, extra, mc.row_weights, halves, [int(steps)], key, nb)
        se = _procedure_se(errs)[0]
    return _combine(int(steps), tuple(chosen), values, se, plug_in, lvl, r)


def _extra(mc: ModelCurve, entropy_of_data) -> np.ndarray:
    """Per-row offset of the absolute KL (``sum_m CE_r(m)``; zeros for the excess)."""
    if entropy_of_data is None:
        return np.zeros(mc.num_rows)
    return mc.row_cross_entropy.sum(axis=1)


@scoped_x64
def cross_fit_monte_carlo(
    model,
    steps: int,
    *,
    key,
    num_samples: int = 256,
    level: float = 0.95,
    batch_size=None,
    num_bootstrap: int = NUM_BOOTSTRAP,
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
      num_bootstrap: replicates behind the standard error (module docstring; each replicate's
        halves choose on their isotonic curves, as the real halves do).

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
    nb = as_positive_int(num_bootstrap, "num_bootstrap", minimum=2)
    m = as_positive_int(num_samples, "num_samples", minimum=4)
    k_draw, k_split = jax.random.split(as_key(key))
    vals = monte_carlo_values(model, k_draw, m, batch_size=batch_size)  # (m, n)
    r = normal_quantile(lvl)

    def curve_of(rows):
        z, se = weighted_stats(vals[rows], np.full(rows.size, 1.0 / rows.size))
        return curve_from_estimates(z, se)

    full = curve_of(np.arange(m))
    plug_in = optimal_schedule(full, steps)  # the isotonic curve's optimum, as reported
    halves = _halves(m, k_split, "num_samples")
    chosen, values, half_se = [], [], []
    for a, b in (halves, halves[::-1]):
        curve_a = curve_of(a)
        pick = optimal_schedule(curve_a, steps).sizes
        chosen.append(pick)
        values.append(_value(vals[b], np.full(b.size, 1.0 / b.size), pick, 0.0, r))
        half_se.append(np.asarray(curve_a.stderr))

    def project(z, h):  # each half chooses on its isotonic curve (its own standard errors)
        return np.asarray(curve_from_estimates(z, half_se[h]).z)

    errs = _bootstrap_errors(
        vals, np.zeros(m), np.full(m, 1.0 / m), halves, [len(chosen[0])], k_split, nb, project
    )
    return _combine(int(steps), tuple(chosen), values, _procedure_se(errs)[0], plug_in, lvl, r)


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
    mc: ModelCurve,
    steps,
    *,
    key=0,
    level: float = 0.95,
    entropy_of_data=None,
    num_bootstrap: int = NUM_BOOTSTRAP,
) -> Frontier:
    """:func:`cross_fit` of every ``k`` in ``steps``, with a simultaneous interval (max-t).

    With one split ``(A, B)`` of the rows, each ``k``'s estimate is
    ``v_k = (mean_B v_{r,k}^{A} + mean_A v_{r,k}^{B}) / 2`` (``v^A`` valued with the schedule
    chosen on ``A``). The covariance of the errors of ``(v_1..v_K)`` is that of the bootstrap
    replicates of the whole procedure (module docstring; the same replicates serve every ``k``),
    and the band is ``v_k ± c se_k`` with ``c`` the ``level`` quantile of ``max_k |Z_k|``,
    ``Z ~ N(0, corr)`` (docs/theory.md §8.6). A quantity that cannot be negative has its lower
    end floored at 0: the absolute KL (``entropy_of_data`` given) always, and the excess when
    no rise of the estimated ``CE`` exceeds 4 standard errors (a consistent model's ``CE`` is
    non-increasing, so each Theorem-4 term, and its excess, is ``>= 0``).

    With fewer than ``ModelCurve.RELIABLE_ROWS`` (800) rows the band is unreliable: with 50
    rows it held all three values in 0.88-0.95 of repeats at nominal 0.95 (docs/coverage.md).

    Args:
      mc: a :class:`ModelCurve` with at least 4 rows.
      steps: the step counts ``k`` (each ``1 <= k <= n``).
      key: the random split (the same for every ``k``).
      level: confidence level of the marginal and simultaneous intervals.
      entropy_of_data: ``H(p)``, for absolute KL.
      num_bootstrap: replicates behind the covariance (module docstring).

    Returns:
      a :class:`Frontier`.

    Raises:
      ValueError: ``mc`` not a ModelCurve or with fewer than 4 rows, ``steps`` empty or out of
        range, ``level`` outside ``(0, 1)``.

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
    if min(ks) < 1 or max(ks) > mc.n:
        raise ValueError(f"steps: every step count must lie in 1..{mc.n}, got {ks}")
    lvl = as_level(level)
    nb = as_positive_int(num_bootstrap, "num_bootstrap", minimum=2)
    r = normal_quantile(lvl)
    halves = _halves(mc.num_rows, key)
    # one bootstrap for every k (the same draws as each k's cross_fit): a covariance matrix
    errs = _bootstrap_errors(
        mc.row_z, _extra(mc, entropy_of_data), mc.row_weights, halves, ks, key, nb
    )
    dev = errs - errs.mean(axis=0)
    cov = (dev.T @ dev) / max(errs.shape[0] - 1, 1)
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    fits = [
        _cross_fit(mc, k, halves, key, lvl, entropy_of_data, nb, se=float(se_k))
        for k, se_k in zip(ks, se, strict=True)
    ]
    crit = max(_max_t_critical(cov, se, lvl), r)
    est = np.asarray([f.estimate for f in fits])
    lower, upper = est - crit * se, est + crit * se
    consistent = _looks_consistent(mc)
    floor = 0.0 if entropy_of_data is not None or consistent else None
    if floor is not None:
        lower = np.maximum(lower, floor)
    return Frontier(tuple(fits), lower, upper, float(crit), lvl, floor)
