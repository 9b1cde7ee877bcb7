"""Fewest steps for a KL budget, against ``n``: the raw material of the "O(log n) steps" figure.

For each ``n`` the curve comes from :func:`mdmjax.large_n.family_curve` (or a callable), and the
expected KL of every schedule from Theorem 4 (``mdm.expected_kl``). Four answers per ``n``:

* ``dp`` — the optimum, ``mdm.min_steps`` (exact DP);
* ``theorem9_tc`` / ``theorem9_dtc`` — Chen–Cong–Li (2026) Theorem 9 schedules built from
  ``eps`` and ``X̂ = TC`` (big steps first) or ``X̂ = DTC`` (small steps first), docs/theory.md §4;
  the theorem guarantees ``KL <= eps`` with ``k <= 2 + (1 + ln n)(1 + ceil(X̂ / eps))``;
* ``constant`` / ``cosine`` — the smallest ``T`` whose LLaDA-uniform or MaskGIT-cosine schedule
  (docs/theory.md §7) has ``KL <= eps``, reported as its number of non-empty steps.

The Theorem 9 and constant schedules come from the public catalogue ``mdm.schedules``. The cosine
schedule stays local: it evaluates ``cos(pi (k+1) / (2T))`` where ``mdm.schedules.cosine``
evaluates ``cos(pi r / 2)`` with ``r = (k+1)/T`` (as MaskGIT's code), and the two float roundings
give different floors for a few ``(n, T)`` where ``n cos(.)`` is an integer (e.g. ``n = 52``,
``T = 39``), so switching would change this table's ``cosine`` column.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from mdmjax import schedules
from mdmjax._src.precision import scoped_x64
from mdmjax._src.tolerances import EPS_SLACK
from mdmjax._src.validate import as_nonnegative_float, as_positive_int
from mdmjax.curves import InformationCurve, information_curve
from mdmjax.distribution import Distribution
from mdmjax.kl import expected_kl
from mdmjax.search._dp import min_steps

__all__ = ["steps_vs_n", "theorem9_sizes", "constant_sizes", "cosine_sizes"]

_CHUNK = 128


@scoped_x64
def theorem9_sizes(n: int, eps: float, bound: float, kind: str = "tc") -> tuple[int, ...]:
    """The Theorem 9 schedule of Chen–Cong–Li (2026) for a budget ``eps`` and ``X̂ = bound``.

    ``zeta = 1 + ceil(bound / eps)``; if ``zeta >= n + 1`` all steps have size 1. Otherwise
    ``lambda = floor(ln(n - zeta + 1) / ln(1 / (1 - 1/zeta))) + 2`` and

    * ``kind="tc"`` (``bound >= TC``): ``N_t = floor(N_{t-1} + (n - N_{t-1}) / zeta)`` for
      ``t <= lambda``, then steps of 1;
    * ``kind="dtc"`` (``bound >= DTC``): from ``N'_0 = n``, ``N'_t = ceil(N'_{t-1}(1 - 1/zeta))``
      for ``t <= lambda``, then down by 1 to 0, reversed.

    Zero-size steps are dropped. ``bound = 0`` (a product law) gives the one-step schedule.

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.search.theorem9_sizes(10, eps=1.0, bound=1.0)
      (5, 2, 1, 1, 1)
    """
    n = as_positive_int(n, "n")
    eps = as_nonnegative_float(eps, "eps")
    bound = as_nonnegative_float(bound, "bound")
    if kind not in ("tc", "dtc"):
        raise ValueError(f"kind: expected 'tc' or 'dtc', got {kind!r}")
    return (schedules.tc_schedule if kind == "tc" else schedules.dtc_schedule)(n, bound, eps)


@scoped_x64
def constant_sizes(n: int, steps: int) -> tuple[int, ...]:
    """LLaDA uniform: ``s_k = floor(n / T) + 1[k < n mod T]``, ``T = steps`` (docs/theory.md §7).

    ``mdm.schedules.constant``; here ``steps <= n``, so no step is empty.
    """
    return schedules.constant(n, steps)


@scoped_x64
def cosine_sizes(n: int, steps: int) -> tuple[int, ...]:
    """MaskGIT cosine: masked count after step ``k`` is ``clip(floor(n cos(pi r / 2)), 1, M_k - 1)``
    with ``r = (k+1)/T``, and 0 after the last step (docs/theory.md §7). Empty steps are dropped."""
    masked = n
    sizes = []
    for k in range(steps):  # a loop over steps
        if k == steps - 1:
            nxt = 0
        else:
            nxt = max(1, min(masked - 1, math.floor(n * math.cos(math.pi * (k + 1) / (2 * steps)))))
        sizes.append(masked - nxt)
        masked = nxt
    return tuple(s for s in sizes if s > 0)


def _padded(rows, n: int, count: int) -> np.ndarray:
    """A ``(count, n)`` zero-padded batch (one compiled shape per ``n``); spare rows: ``(n,)``."""
    batch = np.zeros((count, n), dtype=np.int64)
    batch[:, 0] = n
    for b, r in enumerate(rows):  # a loop over schedules of one chunk
        batch[b, 0] = 0
        batch[b, : len(r)] = r
    return batch


def _fewest(curve: InformationCurve, maker, eps: float) -> tuple[int, float]:
    """Smallest ``T`` with KL ``<= eps`` (vmapped over chunks of ``T``); returns (steps, kl)."""
    n = curve.n
    for lo in range(1, n + 1, _CHUNK):  # a loop over chunks of step counts
        rows = [maker(n, t) for t in range(lo, min(lo + _CHUNK, n + 1))]
        kls = np.asarray(expected_kl(curve, _padded(rows, n, _CHUNK)))[: len(rows)]
        hit = np.nonzero(kls <= eps + EPS_SLACK)[0]
        if hit.size:
            return len(rows[hit[0]]), float(kls[hit[0]])
    raise AssertionError("internal: the all-ones schedule has KL 0")  # pragma: no cover


def _curve_for(family, n: int, q, key, params) -> InformationCurve:
    if isinstance(family, str):
        from mdmjax.curves import family_curve

        return family_curve(family, n, q=q, key=key, **params)
    if callable(family):
        out = family(n)
        if isinstance(out, Distribution):
            out = information_curve(out)
        if not isinstance(out, InformationCurve) or out.n != n:
            raise ValueError(f"family: the callable must return an n = {n} InformationCurve")
        return out
    raise ValueError(f"family: expected a family name or a callable n -> curve, got {family!r}")


@scoped_x64
def steps_vs_n(
    family: str | Callable,
    ns,
    eps: float,
    *,
    q: int | None = None,
    key=None,
    dp: bool = True,
    progress: bool = True,
    **params,
) -> dict[str, list]:
    """Fewest steps with expected KL ``<= eps`` for each ``n``: DP, Theorem 9, constant, cosine.

    Args:
      family: a :func:`~mdmjax.large_n.family_curve` name, or a callable ``n -> curve``
        (an :class:`InformationCurve` or a :class:`Distribution`).
      ns: the values of ``n``.
      eps: the KL budget in nats, ``> 0``.
      q, key, **params: passed to ``family_curve``.
      dp: also run the exact DP (``O(k n^2)`` time and ``O(n^2)`` memory; 2.4 GB at ``n = 10^4``).
      progress: show a tqdm bar over ``ns``.

    Returns:
      columns (lists, one entry per ``n``): ``n``, ``tc``, ``dtc``, and for each method in
      ``dp``, ``theorem9_tc``, ``theorem9_dtc``, ``constant``, ``cosine`` the number of steps and
      ``<method>_kl`` its expected KL (``dp`` entries are ``None`` when ``dp=False``).

    Examples:
      >>> import mdmjax as mdm
      >>> t = mdm.search.steps_vs_n("repetition", [8, 16], eps=0.1, progress=False)
      >>> t["dp"], t["constant"]
      ([2, 2], [8, 16])
    """
    eps = as_nonnegative_float(eps, "eps")
    if eps <= 0:
        raise ValueError(f"eps: must be > 0, got {eps!r}")
    ns_list = [as_positive_int(v, "ns") for v in np.atleast_1d(np.asarray(ns)).tolist()]
    if not ns_list:
        raise ValueError("ns: expected at least one n")
    methods = ("dp", "theorem9_tc", "theorem9_dtc", "constant", "cosine")
    out: dict[str, list] = {"n": [], "tc": [], "dtc": []}
    for m in methods:
        out[m], out[m + "_kl"] = [], []
    from tqdm.auto import tqdm  # imported on use: it costs ~60 ms (asyncio) at import time

    for n in tqdm(ns_list, desc="steps_vs_n", disable=not progress):  # a loop over n
        curve = _curve_for(family, n, q, key, dict(params))
        tc, dtc = max(float(curve.tc), 0.0), max(float(curve.dtc), 0.0)
        out["n"].append(n)
        out["tc"].append(tc)
        out["dtc"].append(dtc)
        if dp:
            s = min_steps(curve, eps)
            out["dp"].append(s.steps)
            out["dp_kl"].append(s.kl)
        else:
            out["dp"].append(None)
            out["dp_kl"].append(None)
        both = [theorem9_sizes(n, eps, tc, "tc"), theorem9_sizes(n, eps, dtc, "dtc")]
        kls = np.asarray(expected_kl(curve, _padded(both, n, 2)))
        for m, sizes, kl in zip(("theorem9_tc", "theorem9_dtc"), both, kls, strict=True):
            out[m].append(len(sizes))
            out[m + "_kl"].append(float(kl))
        for m, maker in (("constant", constant_sizes), ("cosine", cosine_sizes)):
            k, kl = _fewest(curve, maker, eps)
            out[m].append(k)
            out[m + "_kl"].append(kl)
    return out
