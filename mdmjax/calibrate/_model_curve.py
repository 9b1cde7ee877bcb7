"""A trained model's curve: per-level cross-entropy on validation data (docs/theory.md §8).

For a model ``p̂`` and rows ``x ~ p``, the per-level cross-entropy

.. math:: CE(m) = E_x\\, \\mathrm{mean}_{|S| = m,\\ i \\notin S} [-\\log \\hat p(x_i \\mid x_S)],
          \\qquad m = 0, .., n-1,

values every schedule of the random-order sampler driven by ``p̂`` exactly (§8.2):

.. math:: E_B\\, KL(p \\| \\hat\\nu_B) = \\sum_t s_t\\, CE(N_{t-1}) - H(p).

With ``Z^CE_j = CE(0) - CE(j-1)``, Theorem 4 on ``Z^CE`` (:func:`mdmjax.kl.theorem4`) is the
schedule's **excess KL over one token per step**, ``sum_t s_t CE(N_{t-1}) - sum_m CE(m)``, and
``sum_m CE(m)`` is the usual MDM likelihood bound (§8.3). ``H(p)`` is a constant: it is needed
for the absolute KL only (``entropy_of_data=H``), never to rank schedules.

**Estimator** (§8.7). One forward pass at level ``m`` (a mask revealing ``m`` generated positions)
scores all ``n - m`` masked positions at once. Masks are drawn stratified by level: every row gets
``masks_per_row`` uniform masks at every level (``masks="all"``: every mask), and its masks are
averaged into per-row values ``CE_r(m)`` first. The row is the unit of replication: a schedule's
value is a per-row number ``v_r`` and its standard error ``sd(v_r) / sqrt(R)`` (weighted:
``sqrt(R/(R-1) sum_r w_r^2 (v_r - v)^2)``), which keeps the correlation between levels that share
a row. Log-probabilities are float64 from the first sum on, whatever the model's dtype.

The estimates are **raw**: an inconsistent model can make ``CE`` non-monotone, the identity holds
on the raw values, and schedules are optimized and reported on them (the dense DP of §2.4, exact
for any ``Z``). Only :attr:`ModelCurve.curve`, an :class:`~mdmjax.InformationCurve`, is the
isotonic projection of ``Z^CE`` (§9.3).
"""

from __future__ import annotations

import functools
import math
import warnings
import weakref

import jax
import jax.numpy as jnp
import numpy as np

from mdmjax._src.buckets import MODEL_BATCH_SIZE
from mdmjax._src.distributed import check_world, current_processes, run_batches
from mdmjax._src.keys import as_key
from mdmjax._src.memory import check_allocation, memory_limit
from mdmjax._src.numerics import normal_quantile
from mdmjax._src.precision import scoped_x64
from mdmjax._src.stats import weighted_mean_stderr
from mdmjax._src.subsets import combinations
from mdmjax._src.tolerances import MASS_TOLERANCE
from mdmjax._src.validate import (
    as_choice,
    as_half_width,
    as_level,
    as_nonnegative_float,
    as_positive_int,
    as_sizes,
    check_interval_rows,
)
from mdmjax.curves import InformationCurve, curve_from_estimates
from mdmjax.kl import Interval, theorem4
from mdmjax.models import as_scoring_model
from mdmjax.sharding import num_shards, resolve_mesh, state_mesh

__all__ = ["ModelCurve", "model_curve", "MASKS"]

MASKS = ("random", "all")
# rows_needed's margin: the normal 0.975 quantile on the log-variance scale. The 0.9 quantile
# (1.2816) left reruns within the request in only 80-86% (a pilot's kurtosis is underestimated
# when its rows miss a heavy tail); with 1.96 and a pilot of >= RELIABLE_ROWS rows, 94-100%
# (docs/coverage.md).
_PLAN_QUANTILE = 1.959963984540054
# masks="all" enumerates sum_m C(n, m) masks per row; refuse beyond this many per row.
_MAX_ALL_MASKS = 1 << 20


# The weighted mean over rows and its standard error (docs/theory.md §8.7): one home, _src/stats.
weighted_stats = weighted_mean_stderr


@jax.jit
def _theorem4_rows(z_rows: jax.Array, sizes: jax.Array) -> jax.Array:
    """Theorem 4 of every schedule (rows of ``sizes``) on every row curve: ``(R, S)``."""
    per_sched = jax.vmap(theorem4, in_axes=(None, 0))
    return jax.vmap(per_sched, in_axes=(0, None))(z_rows, sizes)


def schedule_rows(z_rows: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Theorem 4 per row for a batch of schedules: ``(R, S)`` float64 (``sizes`` 2-D padded)."""
    out = _theorem4_rows(jnp.asarray(z_rows, jnp.float64), jnp.asarray(sizes, jnp.int64))
    return np.asarray(out, dtype=np.float64)


def _deprecated(old: str, new: str) -> None:
    warnings.warn(
        f"ModelCurve.{old} is deprecated (it is the per-level predictive entropy, an array); use "
        f"ModelCurve.{new}",
        DeprecationWarning,
        stacklevel=3,
    )


def _as_batch(sizes, n: int) -> tuple[np.ndarray, bool]:
    arr = as_sizes(sizes, n)
    return (arr[None, :], True) if arr.ndim == 1 else (arr, False)


class ModelCurve:
    """Per-level cross-entropy of a model on data, with standard errors (module docstring).

    Built by :func:`model_curve`. Level ``m`` counts revealed *generated* positions
    (``always_revealed`` positions are context and not counted), so ``n`` is the number of
    generated positions.

    Attributes:
      cross_entropy: ``(n,)`` ``CE(m)`` in nats, raw estimates.
      cross_entropy_stderr: ``(n,)`` their standard errors.
      predictive_entropy: ``(n,)`` mean predictive entropy ``E_x H(p̂(. | x_S))`` at each level
        (not the entropy of the data, a scalar elsewhere: :attr:`mdmjax.InformationCurve.entropy`).
      predictive_entropy_stderr: ``(n,)``.
      entropy, entropy_stderr: deprecated aliases of the two above (``DeprecationWarning``;
        removed in the next version).
      calibration_gap: ``(n,)`` ``CE(m) - entropy(m)`` (§8.4; 0 for the true conditionals).
      calibration_gap_stderr: ``(n,)``.
      nll_bound: ``sum_m CE(m)``, the expected NLL of one-token-per-step sampling (§8.3).
      nll_bound_stderr: its standard error.
      raw_z: ``(n,)`` ``Z^CE_j = CE(0) - CE(j-1)`` (may dip), ``raw_z_stderr`` its errors.
      curve: the :class:`~mdmjax.InformationCurve` of ``Z^CE``, isotonic projection with
        ``stderr`` (``hbar`` rebuilt from ``CE(0)``), for code that needs a monotone curve.
      levels: the levels evaluated (all of ``0..n-1`` unless ``levels=`` gave a grid; the rest
        are linear interpolations, per row).
      row_cross_entropy, row_entropy: ``(R, n)`` per-row values; ``row_weights`` ``(R,)``.
      positions: ``(n,)`` the generated positions (0-indexed columns of the data).
      masks: ``"random"`` or ``"all"``; ``masks_per_row``.
      RELIABLE_ROWS: 800; with fewer rows the normal intervals are unreliable on skewed laws
        (docs/coverage.md; the CLI says so).

    Examples:
      A repeated bit valued by its exact conditionals: the first token costs ``ln 2`` and the
      rest are certain, so ``CE = (ln 2, 0, 0)``, ``sum_m CE(m) = H(p) = ln 2`` and the model is
      calibrated (gap 0):

      >>> import math, numpy as np, mdmjax as mdm
      >>> d = mdm.families.repetition(3, 2)
      >>> rows = np.array([[0, 0, 0], [1, 1, 1]])
      >>> mc = mdm.model_curve(mdm.models.from_distribution(d), rows, masks="all")
      >>> (mc.cross_entropy / math.log(2)).round(12).tolist(), round(mc.nll_bound / math.log(2), 12)
      ([1.0, 0.0, 0.0], 1.0)
      >>> bool(np.allclose(mc.calibration_gap, 0.0)), bool(np.allclose(mc.cross_entropy_stderr, 0))
      (True, True)
    """

    # Below this many rows the normal intervals on per-row values undercover on skewed laws (a 95%
    # interval of a tempered model covered 0.90 with 50 rows, 0.92-0.93 with 100-400 rows and 0.945
    # with 800: docs/coverage.md, "row sweep").
    RELIABLE_ROWS = 800

    @scoped_x64
    def __init__(
        self,
        row_cross_entropy,
        row_entropy,
        row_weights,
        *,
        levels=None,
        positions=None,
        masks="random",
        masks_per_row=1,
    ):
        self.row_cross_entropy = np.asarray(row_cross_entropy, dtype=np.float64)
        self.row_entropy = np.asarray(row_entropy, dtype=np.float64)
        w = np.asarray(row_weights, dtype=np.float64)
        self.row_weights = w / w.sum()
        n = self.row_cross_entropy.shape[1]
        self.levels = np.arange(n) if levels is None else np.asarray(levels)
        self.positions = np.arange(n) if positions is None else np.asarray(positions)
        self.masks = masks
        self.masks_per_row = masks_per_row
        ce, ce_se = weighted_stats(self.row_cross_entropy, self.row_weights)
        ent, ent_se = weighted_stats(self.row_entropy, self.row_weights)
        gap, gap_se = weighted_stats(self.row_cross_entropy - self.row_entropy, self.row_weights)
        nll, nll_se = weighted_stats(self.row_cross_entropy.sum(axis=1), self.row_weights)
        z, z_se = weighted_stats(self.row_z, self.row_weights)
        self.cross_entropy, self.cross_entropy_stderr = ce, ce_se
        self.predictive_entropy, self.predictive_entropy_stderr = ent, ent_se
        self.calibration_gap, self.calibration_gap_stderr = gap, gap_se
        self.nll_bound, self.nll_bound_stderr = float(nll), float(nll_se)
        self.raw_z, self.raw_z_stderr = z, z_se
        self.curve = curve_from_estimates(z, z_se, h1=max(float(ce[0]), 0.0))

    # -- basic ----------------------------------------------------------------------------------
    @property
    @scoped_x64
    def n(self) -> int:
        """Number of generated positions (the curve's length)."""
        return int(self.row_cross_entropy.shape[1])

    @property
    @scoped_x64
    def num_rows(self) -> int:
        """Number of data rows ``R``."""
        return int(self.row_cross_entropy.shape[0])

    @property
    def entropy(self) -> np.ndarray:
        """Deprecated alias of :attr:`predictive_entropy` (an array, unlike
        :attr:`mdmjax.InformationCurve.entropy`)."""
        _deprecated("entropy", "predictive_entropy")
        return self.predictive_entropy

    @property
    def entropy_stderr(self) -> np.ndarray:
        """Deprecated alias of :attr:`predictive_entropy_stderr`."""
        _deprecated("entropy_stderr", "predictive_entropy_stderr")
        return self.predictive_entropy_stderr

    @property
    @scoped_x64
    def row_z(self) -> np.ndarray:
        """``(R, n)`` per-row ``Z^CE_r(j) = CE_r(0) - CE_r(j-1)``."""
        return self.row_cross_entropy[:, :1] - self.row_cross_entropy

    @property
    @scoped_x64
    def entropy_curve(self) -> InformationCurve:
        """The predictive-entropy analogue ``Z^H_j = H(0) - H(j-1)``, isotonic (a diagnostic)."""
        rows = self.row_entropy[:, :1] - self.row_entropy
        z, se = weighted_stats(rows, self.row_weights)
        return curve_from_estimates(z, se, h1=max(float(self.predictive_entropy[0]), 0.0))

    def __repr__(self) -> str:
        return (
            f"ModelCurve(n={self.n}, rows={self.num_rows}, nll_bound={self.nll_bound:.6g} "
            f"± {self.nll_bound_stderr:.2g})"
        )

    @scoped_x64
    def subset(self, rows) -> ModelCurve:
        """The curve of a subset of the rows (weights renormalized), e.g. for cross-fitting."""
        idx = np.asarray(rows)
        return ModelCurve(
            self.row_cross_entropy[idx],
            self.row_entropy[idx],
            self.row_weights[idx],
            levels=self.levels,
            positions=self.positions,
            masks=self.masks,
            masks_per_row=self.masks_per_row,
        )

    # -- valuing schedules ----------------------------------------------------------------------
    def _row_values(self, sizes: np.ndarray, entropy_of_data) -> np.ndarray:
        """``(R, S)`` per-row values of each schedule: excess, or absolute with ``H``."""
        vals = schedule_rows(self.row_z, sizes)
        if entropy_of_data is not None:
            h = as_nonnegative_float(entropy_of_data, "entropy_of_data")
            vals = vals + self.row_cross_entropy.sum(axis=1)[:, None] - h
        return vals

    @scoped_x64
    def expected_kl(self, sizes, *, entropy_of_data=None):
        """The sampler's expected KL for ``sizes`` from the raw estimates (module docstring).

        Without ``entropy_of_data``: the excess over one token per step,
        ``sum_t s_t CE(N_{t-1}) - sum_m CE(m)`` (Theorem 4 on the raw ``Z^CE``; it can be
        negative for an inconsistent model). With ``entropy_of_data=H``: the absolute
        ``sum_t s_t CE(N_{t-1}) - H``.

        Args:
          sizes: a schedule summing to ``n`` or a 2-D zero-padded batch.
          entropy_of_data: ``H(p)`` in nats (of the generated positions given the always-revealed
            ones, when there are any).

        Returns:
          a float for one schedule, a float64 array for a batch.
        """
        arr, single = _as_batch(sizes, self.n)
        mean, _ = weighted_stats(self._row_values(arr, entropy_of_data), self.row_weights)
        return float(mean[0]) if single else mean

    @scoped_x64
    def expected_kl_interval(self, sizes, level: float = 0.95, *, entropy_of_data=None):
        """:meth:`expected_kl` with a normal interval from the per-row values (§8.7).

        Valid for a schedule fixed in advance; a schedule chosen on the same rows needs
        :func:`mdmjax.calibrate.cross_fit` (§8.6). The excess is not floored at 0.

        With fewer than :attr:`RELIABLE_ROWS` (800) rows the interval is unreliable: the per-row
        values of a model can be skewed and heavy-tailed (rare rows with a large ``-log p̂``),
        and a normal 95% interval of a tempered model covered 0.90 with 50 rows and 0.92-0.93
        with 100-400 rows (docs/coverage.md).

        Raises:
          ValueError: ``level`` outside ``(0, 1)``, fewer than 2 rows (``rows``), bad ``sizes``.

        Returns:
          an :class:`mdmjax.kl.Interval` (arrays for a batch).
        """
        lvl = as_level(level)
        check_interval_rows(self.num_rows, "rows")
        arr, single = _as_batch(sizes, self.n)
        mean, se = weighted_stats(self._row_values(arr, entropy_of_data), self.row_weights)
        r = normal_quantile(lvl)
        lo, hi = mean - r * se, mean + r * se
        if single:
            return Interval(float(mean[0]), float(lo[0]), float(hi[0]), lvl)
        return Interval(mean, lo, hi, lvl)

    @scoped_x64
    def expected_kl_stderr(self, sizes, *, entropy_of_data=None):
        """The standard error of :meth:`expected_kl` (same shapes)."""
        arr, single = _as_batch(sizes, self.n)
        _, se = weighted_stats(self._row_values(arr, entropy_of_data), self.row_weights)
        return float(se[0]) if single else se

    @scoped_x64
    def rows_needed(self, sizes, half_width: float, level: float = 0.95, *, entropy_of_data=None):
        """Rows for a ``level`` interval of half-width ``half_width`` on ``sizes``' value.

        This curve is the pilot: the per-row spread of the schedule's value is taken from its
        rows, and the standard error falls as ``1/sqrt(R)`` (rows are independent, §8.7). The
        plain count

        .. math:: R_0 = R \\left(\frac{z\\,\\mathrm{se}_R}{h}\right)^2, \\qquad
                  z = \\Phi^{-1}\\!\\left(\tfrac{1 + \text{level}}{2}\right),

        hits the target only on average: the pilot's spread and the rerun's are both estimates.
        The count is made **conservative**: ``R^* = \\lceil R_0 \\exp(1.96 \\sqrt{v_R +
        v_{R^*}}) \\rceil`` with ``v_m = 2/(m-1) + \\kappa/m`` the variance of a log sample
        variance of ``m`` rows (``\\kappa >= 0`` the pilot's excess kurtosis of the per-row
        values). With a pilot of at least :attr:`RELIABLE_ROWS` rows the rerun's half-width was
        within ``half_width`` in 94-100 % of reruns; a 50-row pilot is unreliable (86-99 %: its
        rows can miss a heavy tail). docs/theory.md §8.7, docs/coverage.md.

        The same number serves the cross-fitted value of a schedule chosen on half the rows
        (two halves of ``R/2`` rows give the standard error of ``R`` rows).

        Args:
          sizes: a schedule summing to ``n`` or a 2-D zero-padded batch.
          half_width: the target half-width, nats (``> 0``).
          level: the confidence level.
          entropy_of_data: as in :meth:`expected_kl` (the spread of the absolute value).

        Returns:
          an int (at least 2) for one schedule, an int64 array for a batch.

        Raises:
          ValueError: ``half_width`` not positive and finite, ``level`` outside ``(0, 1)``.

        Examples:
          >>> import jax, numpy as np, mdmjax as mdm
          >>> d = mdm.families.noisy_repetition(4, 0.1)
          >>> x = np.asarray(d.sample(jax.random.key(0), 200))
          >>> mc = mdm.model_curve(mdm.models.from_distribution(d), x, key=0)
          >>> r = mc.rows_needed((2, 2), 0.01)
          >>> iv = mc.expected_kl_interval((2, 2))
          >>> plain = 200 * ((iv.upper - iv.estimate) / 0.01) ** 2
          >>> bool(plain < r < 1.5 * plain)
          True
        """
        h = as_half_width(half_width)
        lvl = as_level(level)
        check_interval_rows(self.num_rows, "rows", what="a pilot")
        arr, single = _as_batch(sizes, self.n)
        vals = self._row_values(arr, entropy_of_data)
        mean, se = weighted_stats(vals, self.row_weights)
        z = normal_quantile(lvl)
        rows = self.num_rows
        plain = rows * np.square(z * se / h)
        dev = vals - mean[None, :]
        m2 = self.row_weights @ np.square(dev)
        with np.errstate(divide="ignore", invalid="ignore"):
            kurt = np.where(m2 > 0, (self.row_weights @ dev**4) / np.square(m2) - 3.0, 0.0)
        kurt = np.maximum(kurt, 0.0)
        need = plain
        for _ in range(3):  # the rerun's own noise depends on its size
            m = np.maximum(need, 2.0)
            var = 2.0 / (rows - 1) + kurt / rows + 2.0 / (m - 1) + kurt / m
            need = plain * np.exp(_PLAN_QUANTILE * np.sqrt(var))
        need = np.maximum(np.ceil(need), 2).astype(np.int64)
        return int(need[0]) if single else need

    @scoped_x64
    def entropy_offset(self, entropy_of_data=None) -> float:
        """What turns an excess into an absolute KL: ``sum_m CE(m) - H`` (0 without ``H``)."""
        if entropy_of_data is None:
            return 0.0
        return self.nll_bound - as_nonnegative_float(entropy_of_data, "entropy_of_data")

    @scoped_x64
    def to_dict(self) -> dict:
        """The per-level numbers as JSON-able lists."""
        return {
            "n": self.n,
            "rows": self.num_rows,
            "levels": self.levels.tolist(),
            "cross_entropy": self.cross_entropy.tolist(),
            "cross_entropy_stderr": self.cross_entropy_stderr.tolist(),
            "predictive_entropy": self.predictive_entropy.tolist(),
            "predictive_entropy_stderr": self.predictive_entropy_stderr.tolist(),
            "calibration_gap": self.calibration_gap.tolist(),
            "calibration_gap_stderr": self.calibration_gap_stderr.tolist(),
            "raw_z": self.raw_z.tolist(),
            "raw_z_stderr": self.raw_z_stderr.tolist(),
            "nll_bound": self.nll_bound,
            "nll_bound_stderr": self.nll_bound_stderr,
        }


# ------------------------------------------------------------------------------------------------
# Argument checks
# ------------------------------------------------------------------------------------------------
def _check_data(data, mask: np.ndarray) -> np.ndarray:
    arr = np.asarray(data)
    if arr.dtype.kind not in "iu" or arr.dtype == np.bool_:
        raise ValueError(f"data: expected an integer array of token ids, got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(f"data: expected a 2-D array (rows, n), got shape {arr.shape}")
    if arr.shape[0] < 2:
        raise ValueError(f"data: need at least 2 rows (standard errors), got {arr.shape[0]}")
    arr = arr.astype(np.int64)
    bad = (arr < 0) | (arr >= mask[None, :])
    if np.any(bad):
        r, i = (int(v) for v in np.argwhere(bad)[0])
        tok = int(arr[r, i])
        what = (
            f"equals the mask value {tok}"
            if tok == mask[i]
            else f"is outside the vocabulary 0..{int(mask[i]) - 1}"
        )
        raise ValueError(f"data: token {tok} at row {r}, position {i} {what}")
    return arr


def _check_weights(weights, rows: int) -> np.ndarray:
    if weights is None:
        return np.full(rows, 1.0 / rows)
    try:
        w = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"weights: expected numbers, got {weights!r}") from err
    if w.shape != (rows,):
        raise ValueError(f"weights: expected shape ({rows},), one per row, got {w.shape}")
    if not np.all(np.isfinite(w)):
        raise ValueError("weights: entries must be finite")
    if np.any(w < 0):
        raise ValueError(f"weights: must be >= 0, got smallest {w.min():.3g}")
    if abs(w.sum() - 1.0) > MASS_TOLERANCE:
        raise ValueError(f"weights: must sum to 1 (probabilities), got {w.sum()!r}")
    if np.count_nonzero(w) < 2:
        raise ValueError("weights: need at least 2 rows of positive weight")
    return w / w.sum()


def _check_always_revealed(always_revealed, n: int) -> np.ndarray:
    if always_revealed is None:
        return np.zeros(n, dtype=bool)
    arr = np.asarray(always_revealed)
    if arr.dtype != np.bool_ or arr.shape != (n,):
        raise ValueError(
            f"always_revealed: expected a boolean mask of shape ({n},), got dtype {arr.dtype} "
            f"and shape {arr.shape}"
        )
    if arr.all():
        raise ValueError("always_revealed: reveals every position; nothing is left to generate")
    return arr


def _check_levels(levels, n_gen: int) -> np.ndarray:
    if levels is None:
        return np.arange(n_gen)
    arr = np.asarray(levels)
    if arr.ndim != 1 or arr.size == 0 or arr.dtype.kind not in "iu" or arr.dtype == np.bool_:
        raise ValueError(f"levels: expected a non-empty 1-D array of integers, got {levels!r}")
    if arr.min() < 0 or arr.max() > n_gen - 1:
        raise ValueError(
            f"levels: values must lie in 0..n-1 = 0..{n_gen - 1} (revealed generated "
            f"positions), got {arr.min()}..{arr.max()}"
        )
    return np.union1d(arr.astype(np.int64), [0, n_gen - 1])


def _interpolation_matrix(levels: np.ndarray, n_gen: int) -> np.ndarray:
    """``(L, n)``: linear interpolation from the grid ``levels`` to every level ``0..n-1``."""
    out = np.zeros((levels.size, n_gen))
    for m in range(n_gen):
        k = int(np.searchsorted(levels, m))
        if levels[k] == m:
            out[k, m] = 1.0
        else:
            a, b = levels[k - 1], levels[k]
            t = (m - a) / (b - a)
            out[k - 1, m], out[k, m] = 1.0 - t, t
    return out


# ------------------------------------------------------------------------------------------------
# The estimator
# ------------------------------------------------------------------------------------------------
def _numpy_rng(key) -> np.random.Generator:
    data = np.asarray(jax.random.key_data(key)).astype(np.uint64).ravel()
    return np.random.default_rng([int(v) for v in data])


def _level_subsets(n_gen: int, m: int) -> np.ndarray:
    """All revealed sets of size ``m`` among ``n_gen`` positions, ``(C(n_gen, m), n_gen)``."""
    combos = combinations(n_gen, m).reshape(math.comb(n_gen, m), m)
    out = np.zeros((combos.shape[0], n_gen), dtype=bool)
    if m:
        np.put_along_axis(out, combos, True, axis=1)
    return out


class _Passes:
    """The forward passes of the estimator: ``(row, level index, revealed set)`` triples."""

    def __init__(self, rows, levels, n_gen, masks, masks_per_row, rng):
        self.n_gen = n_gen
        self.levels = levels
        self.random = masks == "random"
        self.rng = rng
        if self.random:
            per_row = np.repeat(np.arange(levels.size), masks_per_row)
            self.subsets = None
            self.state = rng.bit_generator.state  # PCG64: one 64-bit draw per uniform
            self._resume, self._gen = -1, None
        else:
            subsets = [_level_subsets(n_gen, int(m)) for m in levels]
            per_row = np.concatenate(
                [np.full(s.shape[0], li) for li, s in enumerate(subsets)]
            ).astype(np.int64)
            self.subsets = np.concatenate(subsets)
        self.per_row = per_row.size
        self.level_index = np.tile(per_row, rows)
        self.row = np.repeat(np.arange(rows), self.per_row)
        self.total = self.row.size

    def revealed(self, a: int, b: int) -> np.ndarray:
        """``(b - a, n_gen)`` revealed generated positions of passes ``a..b-1``."""
        lvl = self.levels[self.level_index[a:b]]
        if self.random:
            # Pass p's uniforms are draws p * n_gen .. of one stream, whatever the batches or the
            # processes: the stream is advanced to pass a (O(log a)), not replayed.
            if self._resume != a:  # not where the last batch ended: seek
                bits = np.random.PCG64()
                bits.state = self.state
                bits.advance(a * self.n_gen)
                self._gen = np.random.Generator(bits)
            u = self._gen.random((b - a, self.n_gen))
            self._resume = b
            # the lvl smallest uniforms of each row are revealed (rank < lvl): one argsort
            out = np.empty(u.shape, dtype=bool)
            first = np.arange(self.n_gen)[None, :] < lvl[:, None]
            np.put_along_axis(out, np.argsort(u, axis=1), first, axis=1)
            return out
        return self.subsets[np.arange(a, b) % self.per_row]


@scoped_x64
def model_curve(
    model,
    data,
    *,
    key=None,
    weights=None,
    masks: str = "random",
    masks_per_row: int = 1,
    levels=None,
    always_revealed=None,
    batch_size: int = MODEL_BATCH_SIZE,
    mesh=None,
    progress: bool = False,
    checkpoint=None,
) -> ModelCurve:
    """Estimate a model's per-level cross-entropy curve from data (module docstring).

    Args:
      model: an mdmjax model: :func:`mdmjax.models.from_callable` (JAX or NumPy function),
        :func:`mdmjax.calibrate.word_mdm`, or any :class:`mdmjax.models.ConditionalModel`
        (the exact conditionals of a law, tempered, noisy, ...).
      data: int ``(R, n)`` rows ``x ~ p`` (``R >= 2``); tokens in ``0..V-1``.
      key: a ``jax.random`` key or an int seed, for the random masks (not needed with
        ``masks="all"``).
      weights: ``(R,)`` probabilities of the rows (default uniform). With the whole support of a
        small law, ``weights=p`` and ``masks="all"``, ``cross_entropy`` is exact.
      masks: ``"random"`` (``masks_per_row`` uniform masks per row and level) or ``"all"``
        (every mask of every evaluated level).
      masks_per_row: masks per row and level for ``masks="random"``.
      levels: a grid of levels ``m`` to evaluate (0 and ``n-1`` are always added); the others
        are linear interpolations of the per-row values, which keeps monotone curves monotone.
        For long sequences.
      always_revealed: ``(n,)`` bool, a prompt revealed in every pass: the curve is then that of
        the conditional law of the other positions, and level ``m`` counts revealed generated
        positions only.
      batch_size: forward passes per model call (the last call is padded to the same size;
        for a traceable model split over several devices, rounded up to a multiple of their
        number). A probs or log-probs model's ``(B, n, V)`` output must fit in memory: the call
        is refused before the first batch otherwise.
      mesh: how a traceable (JAX) model's batches are spread over devices, data-parallel over
        rows (``jax.sharding``): ``None`` (every local device when there are several),
        ``False`` (one device), or a one-dimensional :class:`jax.sharding.Mesh`
        (:func:`mdmjax.sharding.state_mesh`). Host models (NumPy, torch) are called as they are.
      progress: show progress over the batches (rows per second, time left): a bar on a
        terminal, else a line every few seconds on stderr (logs, notebooks, CI); and, before
        the first batch and after the first two, the run's size, its checkpoint and the time
        extrapolated for the rest (stderr).
      checkpoint: a file path: every completed batch is appended to it as it finishes, and a
        rerun with the same arguments resumes from it (same result, bit for bit, as a run that
        was never interrupted). docs/scaling.md, "Several processes for one model".

    Several processes: under ``torchrun`` (an initialised ``torch.distributed`` process group)
    or ``jax.distributed`` the batches of forward passes are split into one contiguous block per
    process, each process scores its block on its own devices (a JAX model: its local devices),
    and the per-pass results are all-gathered: **every process returns the same**
    :class:`ModelCurve` **as a one-process run**, bit for bit (docs/scaling.md).

    Returns:
      a :class:`ModelCurve`.

    Raises:
      ValueError: naming the argument: ``data`` not an integer ``(R, n)`` array with
        ``R >= 2``, tokens outside the vocabulary or equal to the mask value, ``n`` different
        from the model's; ``weights`` negative or not summing to 1; ``levels`` outside
        ``0..n-1``; ``always_revealed`` revealing everything; ``batch_size``: a
        ``(B, n, V)`` output that would not fit in memory; ``checkpoint``: a path that cannot be
        written, or a file of a run with other arguments (naming what differs); ``data``: more
        processes than rows; ``arguments``: processes given different arguments; ``model``: the
        checks of
        :meth:`mdmjax.models.FunctionModel.check` on the first batch (once per model object and
        batch size: a later call with the same ones skips it), or ``-inf`` for an observed token
        (with its row and position).

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> p = np.array([[0.4, 0.1], [0.1, 0.4]])
      >>> d = mdm.Distribution.from_probs(p)
      >>> rows = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
      >>> mc = mdm.model_curve(mdm.models.from_distribution(d), rows, weights=p.ravel(),
      ...                      masks="all")
      >>> np.allclose(mc.cross_entropy, mdm.information_curve(d).g)
      True
    """
    m = as_scoring_model(model)
    raw = np.asarray(data)
    if raw.ndim != 2:
        _check_data(raw, np.zeros(0, np.int64))  # raises the shape/dtype message
    mask = m.mask_values(int(raw.shape[1]))
    x_all = _check_data(raw, mask)
    rows, n = x_all.shape
    w = _check_weights(weights, rows)
    prompt = _check_always_revealed(always_revealed, n)
    gen = np.nonzero(~prompt)[0]
    n_gen = gen.size
    grid = _check_levels(levels, n_gen)
    masks = as_choice(masks, MASKS, "masks")
    per_row = as_positive_int(masks_per_row, "masks_per_row")
    bs = as_positive_int(batch_size, "batch_size")
    if masks == "all":
        count = sum(math.comb(n_gen, int(lv)) for lv in grid)
        if count > _MAX_ALL_MASKS:
            raise ValueError(
                f"masks: 'all' would enumerate {count} masks per row (n = {n_gen}); use "
                "masks='random'"
            )
        rng = None
    else:
        rng = _numpy_rng(as_key(key))
    passes = _Passes(rows, grid, n_gen, masks, per_row, rng)
    check_allocation(
        passes.total * 16 + 8 * bs * n * 8,
        f"{passes.total} forward passes' bookkeeping",
        hint="Lower masks_per_row or use a levels grid.",
        argument="data",
    )
    procs = current_processes()
    check_world(rows, procs, "data")
    dp = _process_mesh(mesh, procs) if m.traceable else None
    if dp is not None:
        bs = -(-bs // num_shards(dp)) * num_shards(dp)
    _check_table_memory(m, bs, n)
    identity = {
        "function": "model_curve",
        "model": m.name,
        "rows": x_all,
        "weights": w,
        "levels": grid,
        "masks": masks,
        "masks_per_row": per_row,
        "always_revealed": prompt,
        "key": None if rng is None else passes.state["state"],
        "batch_size": bs,
    }
    num_batches = -(-passes.total // bs)
    bar = _progress_bar(passes.total, progress and procs.rank == 0, m.name)
    gen_len = n_gen - grid  # masked generated positions at each grid level

    checked = None if _was_checked(model, bs) else functools.partial(_mark_checked, model, bs)

    def work(indices):
        return _run_passes(m, passes, x_all, gen, mask, n, bs, dp, indices, gen_len, bar, checked)

    log = _stderr_log(m.name) if progress and procs.rank == 0 else None
    if log is not None:
        log(
            f"{passes.total} forward passes ({rows} rows x {passes.per_row} per row, "
            f"{grid.size} levels) in batches of {bs}"
        )
    try:
        records = run_batches(
            num_batches, work, identity=identity, checkpoint=checkpoint, processes=procs, log=log
        )
    finally:
        if bar is not None:
            bar.close()
    sum_ce, sum_ent = _sums(passes, records, rows, grid.size)
    counts = np.bincount(passes.level_index[: passes.per_row], minlength=grid.size)
    ce_grid = sum_ce / counts[None, :]
    ent_grid = sum_ent / counts[None, :]
    if grid.size != n_gen:
        interp = _interpolation_matrix(grid, n_gen)
        ce_rows, ent_rows = ce_grid @ interp, ent_grid @ interp
    else:
        ce_rows, ent_rows = ce_grid, ent_grid
    return ModelCurve(
        ce_rows,
        ent_rows,
        w,
        levels=grid,
        positions=gen,
        masks=masks,
        masks_per_row=per_row if masks == "random" else None,
    )


# Models whose first batch passed FunctionModel.check, with the batch sizes: a later call with the
# same model object and batch size skips the check (one more forward pass and its host work; the
# scores come from the same compiled program either way, so results are unchanged).
_CHECKED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _was_checked(model, bs: int) -> bool:
    try:
        return bs in _CHECKED.get(model, ())
    except TypeError:  # not weakly referenceable or not hashable: always checked
        return False


def _mark_checked(model, bs: int) -> None:
    try:
        _CHECKED.setdefault(model, set()).add(bs)
    except TypeError:
        pass


def _run_passes(m, passes, x_all, gen, mask, n, bs, dp, indices, gen_len, bar, checked):
    """Batches ``indices`` of forward passes, yielding ``(index, {"ce", "ent"})`` per batch: the
    per-pass cross-entropy and predictive entropy. Batch ``k + 1`` is dispatched before batch
    ``k`` is summed, so the host's work overlaps a JAX model's forward pass (asynchronous
    dispatch). Batch ``i`` holds passes ``i * bs ..``, whoever computes it."""
    pending = None
    for i in indices:
        a = i * bs
        b = min(a + bs, passes.total)
        rev_gen = passes.revealed(a, b)
        row = passes.row[a:b]
        x = x_all[row]
        masked = np.zeros((b - a, n), dtype=bool)
        masked[:, gen] = ~rev_gen
        y = np.where(masked, mask[None, :], x)
        if a == 0 and checked is not None:  # the first batch is also checked
            first = m.score_padded(y, x, bs, check=True, mesh=dp)
            checked()
            fetch = functools.partial(lambda out: out, first)
        else:
            fetch = m.submit_padded(y, x, bs, mesh=dp)
        if pending is not None:
            yield _finish(*pending, m.name, passes.n_gen, gen_len, bar)
        pending = (i, fetch, masked, row, passes.level_index[a:b])
    if pending is not None:
        yield _finish(*pending, m.name, passes.n_gen, gen_len, bar)


def _finish(i, fetch, masked, row, li, name, n_gen, gen_len, bar):
    lpx, ent = fetch()
    ce_sum = np.where(masked, lpx, 0.0).sum(axis=1)
    ent_sum = np.where(masked, ent, 0.0).sum(axis=1)
    _check_scores(lpx, ent, masked, row, name, n_gen, (ce_sum, ent_sum))
    ce_pass = -ce_sum / gen_len[li]
    ent_pass = ent_sum / gen_len[li]
    if bar is not None:
        bar.update(row.size)
    return i, {"ce": ce_pass, "ent": ent_pass}


def _sums(passes, records, rows: int, num_levels: int):
    """Per-row, per-level sums of the per-pass values, added in pass order (as one process)."""
    ce = np.concatenate([r["ce"] for r in records])
    ent = np.concatenate([r["ent"] for r in records])
    sum_ce = np.zeros((rows, num_levels))
    sum_ent = np.zeros((rows, num_levels))
    np.add.at(sum_ce, (passes.row, passes.level_index), ce)
    np.add.at(sum_ent, (passes.row, passes.level_index), ent)
    return sum_ce, sum_ent


def _process_mesh(mesh, procs):
    """The mesh of this process's batches: with several processes, its local devices only."""
    if procs.world == 1:
        return resolve_mesh(mesh, traced=False)
    if mesh is None:
        return state_mesh(jax.local_devices()) if jax.local_device_count() > 1 else None
    dp = resolve_mesh(mesh, traced=False)
    if dp is not None and any(d.process_index != jax.process_index() for d in dp.devices.flat):
        raise ValueError(
            "mesh: spans several processes, but the batches are already split over the "
            f"{procs.world} processes; pass None or a mesh of jax.local_devices()"
        )
    return dp


def _stderr_log(name: str):
    import sys

    def log(text: str) -> None:
        print(f"model_curve {name}: {text}", file=sys.stderr, flush=True)

    return log


# Bytes per entry of a (B, n, V) model output while it is scored: the table, its log (or exp) and
# p log p, in float64 (a float32 output is widened by the sums).
_TABLE_BYTES_PER_ENTRY = 3 * 8


def _check_table_memory(m, batch_size: int, n: int) -> None:
    """Refuse a probs/log-probs model whose ``(B, n, V)`` output of one call would not fit."""
    if m.output == "scored":
        return
    per_row = n * m.num_values * _TABLE_BYTES_PER_ENTRY
    fit = memory_limit() // per_row
    check_allocation(
        batch_size * per_row,
        f"one call's (B, n, V) = ({batch_size}, {n}, {m.num_values}) output of model {m.name}",
        hint=(
            "Return scores instead (output='scored': only (B, n) arrays leave the model; "
            "mdm.models.from_torch does) or lower batch_size"
            + (f" (at most {fit} rows fit)." if fit >= 1 else " (not even one row fits).")
        ),
        argument="batch_size",
    )


def _progress_bar(total: int, progress: bool, name: str):
    if not progress:
        return None
    from mdmjax._src.progress import progress_bar  # a bar on a terminal, lines elsewhere

    return progress_bar(
        total, f"model_curve {name}", "rows", unit_scale=True, smoothing=0.1, leave=False
    )


def _check_scores(lpx, ent, masked, row, name, n_gen, sums=()):
    """Raise for a non-finite score at a masked position. ``sums``: per-pass sums over the masked
    positions; when they are finite, so is every term (NaN and infinities propagate)."""
    if sums and all(np.all(np.isfinite(v)) for v in sums):
        return
    vals = lpx[masked]
    if np.all(np.isfinite(vals)) and np.all(np.isfinite(ent[masked])):
        return
    bad = masked & ~np.isfinite(lpx)
    if np.any(bad):
        b, i = (int(v) for v in np.argwhere(bad)[0])
        level = n_gen - int(masked[b].sum())
        what = "-inf" if np.isneginf(lpx[b, i]) else str(lpx[b, i])
        raise ValueError(
            f"model: {name} gives log p̂(x_i | x_S) = {what} for the observed token at row "
            f"{int(row[b])}, position {i} (level {level}); the data has probability 0 under it"
        )
    b, i = (int(v) for v in np.argwhere(masked & ~np.isfinite(ent))[0])
    raise ValueError(
        f"model: {name} gives a non-finite predictive entropy at row {int(row[b])}, position {i}"
    )
