"""Schedules as plain size tuples for the steps-vs-n study (docs/theory.md §4.3, §7.2).

:func:`theorem9_sizes` picks the TC or DTC schedule of Chen–Cong–Li (2026) Theorem 9;
:func:`cosine_sizes` is MaskGIT's cosine in float64 with empty steps dropped. Both were
``mdm.search`` names before issue 20 (deprecated aliases there for one version).
"""

from __future__ import annotations

import math

from mdmjax._src.precision import scoped_x64
from mdmjax._src.validate import as_nonnegative_float, as_positive_int
from mdmjax.schedules._theory import dtc_schedule, tc_schedule

__all__ = ["theorem9_sizes", "cosine_sizes"]


@scoped_x64
def theorem9_sizes(n: int, bound: float, eps: float, kind: str = "tc") -> tuple[int, ...]:
    """The Theorem 9 schedule of Chen–Cong–Li (2026) for a budget ``eps`` and ``X̂ = bound``.

    ``zeta = 1 + ceil(bound / eps)``; if ``zeta >= n + 1`` all steps have size 1. Otherwise
    ``lambda = floor(ln(n - zeta + 1) / ln(1 / (1 - 1/zeta))) + 2`` and

    * ``kind="tc"`` (``bound >= TC``): ``N_t = floor(N_{t-1} + (n - N_{t-1}) / zeta)`` for
      ``t <= lambda``, then steps of 1;
    * ``kind="dtc"`` (``bound >= DTC``): from ``N'_0 = n``, ``N'_t = ceil(N'_{t-1}(1 - 1/zeta))``
      for ``t <= lambda``, then down by 1 to 0, reversed.

    Zero-size steps are dropped. ``bound = 0`` (a product law) gives the one-step schedule. The
    arguments are in the order of :func:`tc_schedule` ``(n, tc_hat, eps)``; the old
    ``mdm.search.theorem9_sizes(n, eps, bound)`` is a deprecated alias.

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.schedules.theorem9_sizes(10, bound=1.0, eps=1.0)
      (5, 2, 1, 1, 1)
      >>> mdm.schedules.theorem9_sizes(10, 1.0, 1.0, kind="dtc")
      (1, 1, 1, 2, 5)
    """
    n = as_positive_int(n, "n")
    eps = as_nonnegative_float(eps, "eps")
    bound = as_nonnegative_float(bound, "bound")
    if kind not in ("tc", "dtc"):
        raise ValueError(f"kind: expected 'tc' or 'dtc', got {kind!r}")
    return (tc_schedule if kind == "tc" else dtc_schedule)(n, bound, eps)


@scoped_x64
def cosine_sizes(n: int, steps: int) -> tuple[int, ...]:
    """MaskGIT cosine in float64 as a size tuple, empty steps dropped (the E3 table's column).

    The masked count after step ``k`` is ``clip(floor(n cos(pi (k+1) / (2T))), 1, M_k - 1)`` and
    0 after the last step (docs/theory.md §7.2). :func:`cosine` evaluates ``cos(pi r / 2)`` with
    ``r = (k+1)/T`` in MaskGIT's own float32 arithmetic; the two roundings give different floors
    for a few ``(n, T)`` where ``n cos(.)`` is an integer (e.g. ``n = 52``, ``T = 39``).

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.schedules.cosine_sizes(10, 3)
      (2, 3, 5)
    """
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
