"""Fewest steps for a KL budget, against ``n``: the raw material of the "O(log n) steps" figure.

For each ``n`` the curve comes from :func:`mdmjax.curves.family_curve` (or a callable), and the
expected KL of every schedule from Theorem 4 (``mdm.expected_kl``). Four answers per ``n``:

* ``dp`` — the optimum, ``mdm.min_steps`` (exact DP);
* ``theorem9_tc`` / ``theorem9_dtc`` — Chen–Cong–Li (2026) Theorem 9 schedules built from
  ``eps`` and ``X̂ = TC`` (big steps first) or ``X̂ = DTC`` (small steps first), docs/theory.md §4;
  the theorem guarantees ``KL <= eps`` with ``k <= 2 + (1 + ln n)(1 + ceil(X̂ / eps))``;
* ``constant`` / ``cosine`` — the smallest ``T`` whose LLaDA-uniform or MaskGIT-cosine schedule
  (docs/theory.md §7) has ``KL <= eps``, reported as its number of non-empty steps.

A study function (the E3 experiment's table), not a schedule: the schedules it compares all come
from ``mdm.schedules`` (:func:`~mdmjax.schedules.theorem9_sizes`,
:func:`~mdmjax.schedules.constant`, :func:`~mdmjax.schedules.cosine_sizes`). The cosine column
uses ``cosine_sizes``, which evaluates ``cos(pi (k+1) / (2T))`` where ``mdm.schedules.cosine``
evaluates ``cos(pi r / 2)`` with ``r = (k+1)/T`` (as MaskGIT's code), and the two float roundings
give different floors for a few ``(n, T)`` where ``n cos(.)`` is an integer (e.g. ``n = 52``,
``T = 39``), so switching would change this table's ``cosine`` column.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mdmjax._src.precision import scoped_x64
from mdmjax._src.tolerances import EPS_SLACK
from mdmjax._src.validate import as_nonnegative_float, as_positive_int
from mdmjax.curves import InformationCurve, information_curve
from mdmjax.distribution import Distribution
from mdmjax.kl import expected_kl
from mdmjax.schedules import constant, cosine_sizes, theorem9_sizes
from mdmjax.search._dp import min_steps

__all__ = ["steps_vs_n"]

_CHUNK = 128


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
      family: a :func:`~mdmjax.curves.family_curve` name, or a callable ``n -> curve``
        (an :class:`InformationCurve` or a :class:`Distribution`).
      ns: the values of ``n``.
      eps: the KL budget in nats, ``> 0``.
      q, key, **params: passed to ``family_curve``.
      dp: also run the exact DP (``O(k n^2)`` time and ``O(n^2)`` memory; 2.4 GB at ``n = 10^4``).
      progress: show progress over ``ns`` (a bar on a terminal, else lines on stderr).

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
    from mdmjax._src.progress import progress_iter  # a bar on a terminal, lines elsewhere

    ns_iter = progress_iter(ns_list, [1] * len(ns_list), "steps_vs_n", "n") if progress else ns_list
    for n in ns_iter:  # a loop over n
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
        both = [theorem9_sizes(n, tc, eps, "tc"), theorem9_sizes(n, dtc, eps, "dtc")]
        kls = np.asarray(expected_kl(curve, _padded(both, n, 2)))
        for m, sizes, kl in zip(("theorem9_tc", "theorem9_dtc"), both, kls, strict=True):
            out[m].append(len(sizes))
            out[m + "_kl"].append(float(kl))
        for m, maker in (("constant", constant), ("cosine", cosine_sizes)):
            k, kl = _fewest(curve, maker, eps)
            out[m].append(k)
            out[m + "_kl"].append(kl)
    return out
