"""Time grids for the Bernoulli (MDLM/MD4) sampler from the gain curve (Wainwright 2026).

A grid ``0 = t_0 < .. < t_N = 1`` is run by revealing each masked position at step ``j`` with
probability ``(t_{j+1} - t_j)/(1 - t_j)`` (:func:`grid_schedule` turns it into a
:class:`~mdmjax.kl.BinomialSchedule`, valued exactly by ``mdm.expected_kl``; equal to
:func:`mdmjax.kl.bernoulli_kl`). docs/theory.md §12.

* :func:`ugc_grid` — Theorem 3: equal ``√q`` mass per step (``∫ √h'`` split evenly), whose KL is
  ``P/(2N) + o(1/N)`` with ``P = (∫_ℝ √q dλ)^2``.
* :func:`geo_grid` — Geo(ρ): equal log-odds steps of at most ``ρ`` across ``[1/d, 1-1/d]``
  (odds growing geometrically), plus a first step to ``1/d`` and a last one from ``1 - 1/d``.
* :func:`block_grid` — Proposition 1: blocks of ``[1/d, 1-1/d]`` with log-odds widths ``S_k``
  and growth complexities ``H_k``, each run at the Geo step
  ``ρ_k = min{1, (4√C/N) √(S_k/H_k)}`` (``C = C_UGC``; ``4√C/N``, not ``4√(C/N)``);
  :func:`optimal_blocks` finds the ``K``-block partition minimizing ``(Σ_k √(S_k H_k))^2``.
* :func:`certified_steps` — Theorem 2: ``N >= 8 Ĉ/ε`` certifies ``KL <= ε``.
"""

from __future__ import annotations

import math

import numpy as np

from mdmjax._src.precision import scoped_x64
from mdmjax._src.tolerances import GRID_COUNT_SLACK
from mdmjax._src.validate import as_positive_float, as_positive_int
from mdmjax.curves import ugc
from mdmjax.kl import as_grid, grid_reveal_probs
from mdmjax.schedules._random_sizes import BinomialSchedule, binomial

__all__ = [
    "ugc_grid",
    "geo_grid",
    "block_grid",
    "optimal_blocks",
    "grid_schedule",
    "certified_steps",
]


def _profile(curve):
    return curve if hasattr(curve, "h_card") and hasattr(curve, "fine") else ugc(curve)


@scoped_x64
def ugc_grid(curve, steps: int) -> np.ndarray:
    """Theorem 3's grid: ``N`` steps with equal ``√q`` mass (``∫_{t_j}^{t_{j+1}} √h' = P^{1/2}/N``).

    .. math:: \\int_0^{t_j} \\sqrt{h'(t)}\\,dt = \\frac{j}{N} \\int_0^1 \\sqrt{h'(t)}\\,dt

    docs/theory.md §12.

    Args:
      curve: a curve (anything :func:`mdmjax.curves.ugc` accepts) or a ``UGCProfile``.
      steps: ``N >= 1``.

    Returns:
      float64 ``(N+1,)`` grid from 0 to 1.

    Raises:
      ValueError: ``"steps: ..."`` for ``N < 1``; ``"curve: ..."`` for a product law (no mass).

    Examples:
      >>> import mdmjax as mdm
      >>> g = mdm.schedules.ugc_grid(mdm.curves.noisy_repetition_curve(16, 0.1), 4)
      >>> g.shape, float(g[0]), float(g[-1])
      ((5,), 0.0, 1.0)
    """
    n_steps = as_positive_int(steps, "steps")
    u = _profile(curve)
    if n_steps == 1:
        return np.array([0.0, 1.0])
    inner = u.sqrt_mass_quantiles(np.arange(1, n_steps) / n_steps)
    return as_grid(np.concatenate([[0.0], inner, [1.0]]))


def _lambda_points(lo: float, hi: float, rho: float) -> np.ndarray:
    count = max(1, math.ceil((hi - lo) / rho - GRID_COUNT_SLACK))
    return np.linspace(lo, hi, count + 1)


def _from_lambdas(lam: np.ndarray) -> np.ndarray:
    t = 1.0 / (1.0 + np.exp(-lam))
    t = np.unique(np.concatenate([[0.0], t, [1.0]]))
    return as_grid(t)


@scoped_x64
def geo_grid(n: int, rho: float) -> np.ndarray:
    """Geo(ρ): equal log-odds steps of at most ``ρ`` across ``[1/n, 1 - 1/n]``, between 0 and 1.

    The canonical interval ``λ ∈ [-ℓ, ℓ]``, ``ℓ = ln(n-1)``, is cut into ``ceil(2ℓ/ρ)`` equal
    steps (the odds ``t/(1-t)`` grow by a constant factor ``<= e^ρ``); the grid is
    ``0, σ(-ℓ), .., σ(ℓ), 1``. docs/theory.md §12.

    Args:
      n: number of positions, ``>= 2``.
      rho: the largest log-odds step, ``> 0``.

    Returns:
      float64 grid from 0 to 1.

    Examples:
      >>> import mdmjax as mdm
      >>> g = mdm.schedules.geo_grid(5, 0.5)   # ℓ = ln 4: ceil(2.77 / 0.5) = 6 steps, + 2
      >>> len(g) - 1, round(float(g[1]), 12), round(float(g[-2]), 12)
      (8, 0.2, 0.8)
    """
    n = as_positive_int(n, "n", minimum=2)
    r = as_positive_float(rho, "rho")
    ell = math.log(n - 1)
    return _from_lambdas(_lambda_points(-ell, ell, r) if ell > 0 else np.zeros(1))


@scoped_x64
def block_grid(curve, steps: int, breaks=()) -> np.ndarray:
    """Proposition 1's grid: blocks of ``[1/d, 1-1/d]``, each a Geo grid at its own step.

    Block ``k`` has log-odds width ``S_k`` and growth complexity ``H_k``; its step is
    ``ρ_k = min{1, (4√C/N) √(S_k/H_k)}`` with ``C = C_UGC`` (a block without complexity gets
    ``ρ_k = 1``), and it is cut into ``ceil(S_k/ρ_k)`` equal log-odds steps. The grid starts at
    0 and ends at 1. The resulting number of steps is what the allocation gives, not ``N``
    (for one block about ``N/4 + 2``; the certificate's constants are deliberately loose).
    docs/theory.md §12.

    Args:
      curve: a curve or a ``UGCProfile``.
      steps: the budget ``N >= 1`` in the multipliers.
      breaks: interior block edges in ``t``, increasing inside ``(1/d, 1-1/d)`` (default: one
        block).

    Returns:
      float64 grid from 0 to 1.

    Examples:
      >>> import mdmjax as mdm
      >>> c = mdm.curves.noisy_repetition_curve(32, 0.1)
      >>> g = mdm.schedules.block_grid(c, 64, breaks=[0.2])
      >>> float(g[0]), float(g[-1]), len(g) > 3
      (0.0, 1.0, True)
    """
    n_steps = as_positive_int(steps, "steps")
    u = _profile(curve)
    d = u.d
    if d < 3:
        return geo_grid(d, 1.0)
    inner = np.atleast_1d(np.asarray(breaks, dtype=np.float64))
    u.block_complexity(inner)  # validates breaks
    edges = np.concatenate([[1.0 / d], inner, [1.0 - 1.0 / d]])
    lam = np.log(edges) - np.log1p(-edges)
    mass = np.maximum(np.asarray(u.mass(edges[:-1], edges[1:])), 0.0)
    scale = 4.0 * math.sqrt(max(u.coarse, 0.0)) / n_steps
    points = []
    for a, b, h in zip(lam[:-1], lam[1:], mass, strict=True):  # a loop over blocks
        rho = 1.0 if h <= 0 else min(1.0, scale * math.sqrt((b - a) / h))
        if rho <= 0:
            rho = 1.0
        points.append(_lambda_points(a, b, rho))
    return _from_lambdas(np.concatenate(points))


@scoped_x64
def optimal_blocks(curve, blocks: int, *, resolution: int = 400) -> tuple[np.ndarray, float]:
    """The ``K``-block partition of ``[1/d, 1-1/d]`` with the least ``(Σ_k √(S_k H_k))^2``.

    Breakpoints are chosen among ``resolution`` equally spaced log-odds points by an exact DP
    (``O(K G^2)``); ``K = 1`` gives ``C_UGC`` and the value decreases towards ``P_UGC`` as ``K``
    grows. docs/theory.md §12.

    Args:
      curve: a curve or a ``UGCProfile``.
      blocks: ``K >= 1``.
      resolution: candidate points ``G >= K``.

    Returns:
      ``(breaks, complexity)``: the ``K - 1`` interior edges in ``t`` and the block complexity.

    Examples:
      >>> import mdmjax as mdm
      >>> u = mdm.curves.ugc(mdm.curves.noisy_repetition_curve(32, 0.1))
      >>> breaks, c3 = mdm.schedules.optimal_blocks(u, 3)
      >>> len(breaks), u.fine <= c3 <= u.coarse
      (2, True)
    """
    k = as_positive_int(blocks, "blocks")
    g = as_positive_int(resolution, "resolution", minimum=k)
    u = _profile(curve)
    d = u.d
    if d < 3:
        raise ValueError(f"curve: needs d >= 3 for a non-empty interval [1/d, 1-1/d], got {d}")
    ell = math.log(d - 1)
    lam = np.linspace(-ell, ell, g + 1)
    t = 1.0 / (1.0 + np.exp(-lam))
    t[0], t[-1] = 1.0 / d, 1.0 - 1.0 / d
    cum = np.asarray(u.mass(np.full(t.shape, 1.0 / d), t))
    width = lam[None, :] - lam[:, None]
    mass = np.maximum(cum[None, :] - cum[:, None], 0.0)
    cost = np.where(width > 0, np.sqrt(np.maximum(width, 0.0) * mass), np.inf)
    best = cost[0].copy()  # best[j]: one block covering points 0..j
    arg = np.zeros((k, g + 1), dtype=np.int64)
    for level in range(1, k):  # a loop over blocks (the DP's stages)
        total = best[:, None] + cost
        arg[level] = np.argmin(total, axis=0)
        best = total[arg[level], np.arange(g + 1)]
    idx, out = g, []
    for level in range(k - 1, 0, -1):
        idx = int(arg[level, idx])
        out.append(idx)
    breaks = t[np.asarray(out[::-1], dtype=np.int64)]
    return breaks, float(best[g]) ** 2


@scoped_x64
def grid_schedule(n: int, grid) -> BinomialSchedule:
    """The :class:`~mdmjax.kl.BinomialSchedule` that runs a time grid (MDLM/MD4 ancestral).

    Reveal probabilities ``(t_{j+1} - t_j)/(1 - t_j)``; ``mdm.expected_kl(curve, schedule)`` is
    then exact and equals :func:`mdmjax.kl.bernoulli_kl`. docs/theory.md §12.

    Examples:
      >>> import mdmjax as mdm
      >>> s = mdm.schedules.grid_schedule(4, [0.0, 0.5, 1.0])
      >>> s.reveal_probs.tolist()
      [0.5, 1.0]
    """
    return binomial(as_positive_int(n, "n"), grid_reveal_probs(grid))


@scoped_x64
def certified_steps(curve, eps: float) -> int:
    """Theorem 2's step count: ``N = ceil(8 Ĉ/ε)`` certifies ``KL <= ε`` (``Ĉ = C_UGC``).

    The paper's certificate bounds the bulk by ``4Ĉ/N`` and leaves the other half of ``ε`` to the
    initialisation and completion terms; this is the sufficient count, not the optimum.
    docs/theory.md §12.

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.schedules.certified_steps(mdm.curves.noisy_repetition_curve(16, 0.1), 0.1) > 0
      True
    """
    e = as_positive_float(eps, "eps")
    u = _profile(curve)
    return max(1, math.ceil(8.0 * u.coarse / e))
