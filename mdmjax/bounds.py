"""Upper bounds on the expected KL and on the number of steps (docs/theory.md §4).

* :func:`li_cai` — Li–Cai (2025): ``(2^ceil(log2 s_max) - 1)/n · sum_i I(X_i; X_-i)``.
* :func:`smax` — ``(s_max - 1) Z_n`` (Lavenant–Zanella 2025; Chen–Cong–Li 2026): sharper,
  independent of ``n``, attained by the repetition law with the largest block first.
* :func:`theorem9_steps` — Chen–Cong–Li (2026) Theorem 9: ``2 + (1 + ln n)(1 + ceil(X̂/ε))``.
* :func:`austin_steps` — Chen–Cong–Li (2026) Theorem 10 (Austin): ``k ≲ sqrt(DTC n / ε)``, with
  the explicit constant of :func:`mdmjax.schedules.austin`.
* :func:`corollary34_bound` — Chen–Cong–Li (2026) Corollary 34: ``δ² (n - k + 1)``.

Every KL bound takes the same ``(curve, sizes)`` as :func:`mdmjax.expected_kl`, in nats.
"""

from __future__ import annotations

import math

from mdmjax._src.precision import scoped_x64
from mdmjax._src.validate import as_nonnegative_float, as_positive_int, as_sizes
from mdmjax.curves import as_curve

__all__ = ["li_cai", "smax", "theorem9_steps", "austin_steps", "corollary34_bound"]


@scoped_x64
def _zn_and_smax(curve, sizes) -> tuple[float, int]:
    c = as_curve(curve)
    arr = as_sizes(sizes, c.n, allow_batch=False)
    return float(c.zn), int(arr.max())


@scoped_x64
def li_cai(curve, sizes) -> float:
    """The Li–Cai (2025) bound on the expected KL of a schedule.

    .. math:: E\\,KL \\le \\frac{2^{\\lceil \\log_2 s_{\\max} \\rceil} - 1}{n}
              \\sum_i I(X_i; X_{-i}) = (2^{\\lceil \\log_2 s_{\\max} \\rceil} - 1)\\, Z_n,

    using ``sum_i I(X_i; X_-i) = n Z_n`` (docs/theory.md §3). It is never below :func:`smax`, and
    equal to it when ``s_max`` is a power of 2.

    Args:
      curve: an :class:`~mdmjax.InformationCurve` or a :class:`~mdmjax.Distribution`.
      sizes: a schedule of positive ints summing to ``n``.

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> c = mdm.InformationCurve.from_z(np.array([0.0, 1.0, 1.0, 1.0, 1.0]))
      >>> mdm.bounds.li_cai(c, (3, 2))
      3.0
    """
    zn, s = _zn_and_smax(curve, sizes)
    return float((2 ** ((s - 1).bit_length()) - 1) * zn)  # bit_length(s-1) = ceil(log2 s)


@scoped_x64
def smax(curve, sizes) -> float:
    """The ``(s_max - 1) Z_n`` bound on the expected KL (Lavenant–Zanella 2025).

    .. math:: E\\,KL \\le (s_{\\max} - 1)\\, Z_n = \\frac{s_{\\max} - 1}{n} \\sum_i I(X_i; X_{-i})
              \\le (s_{\\max} - 1) \\log q.

    From Theorem 4 (Chen–Cong–Li 2026): a block of size ``s`` starting at ``a`` costs
    ``sum_j (Z_j - Z_a) <= (s - 1)(Z_end - Z_a)``, and these increments add up to at most
    ``Z_n``. It depends only on the largest step, not on ``n``. The repetition law
    (``Z_j = log q`` for ``j >= 2``) with the largest block first attains it.

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> c = mdm.InformationCurve.from_z(np.array([0.0, 1.0, 1.0, 1.0, 1.0]))
      >>> mdm.bounds.smax(c, (3, 2)), mdm.expected_kl(c, (3, 2))
      (2.0, 2.0)
    """
    zn, s = _zn_and_smax(curve, sizes)
    return float((s - 1) * zn)


@scoped_x64
def theorem9_steps(n: int, x_hat: float, eps: float) -> float:
    """Chen–Cong–Li (2026) Theorem 9: the step count of the TC/DTC schedules is at most

    .. math:: k \\le 2 + (1 + \\ln n)\\,(1 + \\lceil \\hat X / \\varepsilon \\rceil),

    where ``X̂ >= TC`` (for :func:`~mdmjax.schedules.tc_schedule`) or ``X̂ >= DTC`` (for
    :func:`~mdmjax.schedules.dtc_schedule`); then ``E KL <= eps``. Returns the right side as a
    float (``inf`` when ``eps = 0 < x_hat``).

    Examples:
      >>> import mdmjax as mdm
      >>> round(mdm.bounds.theorem9_steps(20, 1.0, 0.5), 6)
      13.987197
    """
    n = as_positive_int(n, "n")
    x_hat = as_nonnegative_float(x_hat, "x_hat")
    eps = as_nonnegative_float(eps, "eps")
    if x_hat == 0:
        return 2 + (1 + math.log(n))
    if eps == 0:
        return math.inf
    return 2 + (1 + math.log(n)) * (1 + math.ceil(x_hat / eps))


@scoped_x64
def austin_steps(n: int, dtc: float, eps: float) -> int:
    """Chen–Cong–Li (2026) Theorem 10 (Austin): ``k ≲ sqrt(DTC · n / ε)``, made explicit.

    :func:`mdmjax.schedules.austin` with ``dtc >= DTC`` has ``E KL <= eps`` and at most

    .. math:: k \\le \\min(n, \\lfloor 2 \\sqrt{n\\, \\mathrm{DTC} / \\varepsilon} + 1 \\rfloor)

    steps: with ``u = m + 1 = ceil(sqrt(n DTC/ε))`` single steps plus one, blocks of
    ``b = 1 + floor(ε u / DTC) > ε u / DTC`` need fewer than ``n DTC/(ε u) + 1`` steps, and
    ``u + n DTC/(ε u) <= 2 sqrt(n DTC/ε) + 1``. Returns ``n`` when ``eps = 0 < dtc`` and 1 when
    ``dtc = 0``.

    Args:
      n: number of positions.
      dtc: an upper bound on the law's DTC (nats).
      eps: the KL target (nats).

    Returns:
      the bound on the number of steps, an int in ``[1, n]``.

    Raises:
      ValueError: ``n`` not a positive int, ``dtc`` or ``eps`` negative or not finite.

    Examples:
      ``floor(2 sqrt(20 · 1 / 0.5) + 1) = floor(13.65) = 13``, and Austin's schedule keeps to
      it; on a repeated bit (``DTC = ln 2 <= 1``) its expected KL is below ``0.5``:

      >>> import mdmjax as mdm
      >>> mdm.bounds.austin_steps(20, 1.0, 0.5)
      13
      >>> sizes = mdm.schedules.austin(20, 1.0, 0.5)
      >>> len(sizes) <= 13, mdm.expected_kl(mdm.curves.repetition_curve(20, 2), sizes) <= 0.5
      (True, True)
    """
    n = as_positive_int(n, "n")
    dtc = as_nonnegative_float(dtc, "dtc")
    eps = as_nonnegative_float(eps, "eps")
    if dtc == 0:
        return 1
    if eps == 0:
        return n
    return int(min(n, math.floor(2 * math.sqrt(n * dtc / eps) + 1)))


@scoped_x64
def corollary34_bound(n: int, dtc: float, delta: float) -> float:
    """Chen–Cong–Li (2026) Corollary 34: the schedule of :func:`mdmjax.schedules.corollary34`,
    ``(1, .., 1, n - k + 1)`` with ``k = min(n, ceil(DTC/δ²) + 1)``, has ``E KL <= δ² (n - k + 1)``
    when ``dtc >= DTC`` (``0`` when ``k = n``: all steps of size 1).

    Args:
      n: number of positions.
      dtc: an upper bound on the law's DTC (nats).
      delta: ``δ > 0``.

    Returns:
      the bound in nats.

    Raises:
      ValueError: ``n`` not a positive int, ``dtc`` negative, ``delta`` not positive or
        ``δ²`` past the float range.

    Examples:
      ``k = ceil(1 / 0.25) + 1 = 5``, so the bound is ``0.25 · (10 - 5 + 1) = 1.5``; a noisy
      repeated bit has ``DTC <= 1`` here and keeps to it:

      >>> import mdmjax as mdm
      >>> mdm.bounds.corollary34_bound(10, 1.0, 0.5)
      1.5
      >>> c = mdm.curves.noisy_repetition_curve(10, 0.2)
      >>> c.dtc <= 1.0, mdm.expected_kl(c, mdm.schedules.corollary34(10, 1.0, 0.5)) <= 1.5
      (True, True)
      >>> mdm.bounds.corollary34_bound(4, 1.0, 0.5)  # k = n: all single steps, exact
      0.0
    """
    n = as_positive_int(n, "n")
    dtc = as_nonnegative_float(dtc, "dtc")
    delta = as_nonnegative_float(delta, "delta")
    if delta <= 0:
        raise ValueError(f"delta: must be > 0, got {delta!r}")
    if not math.isfinite(delta * delta):
        raise ValueError(f"delta: delta^2 overflows float64, got {delta!r}")
    k = corollary34_steps(n, dtc, delta)
    return 0.0 if k == n else float(delta * delta * (n - k + 1))


def corollary34_steps(n: int, dtc: float, delta: float) -> int:
    """``k = min(n, ceil(dtc / δ²) + 1)`` of Corollary 34 for validated ``n``, ``dtc``, ``δ > 0``;
    a ratio past the float range gives ``n`` (never an ``OverflowError``)."""
    ratio = dtc / (delta * delta)
    return n if not math.isfinite(ratio) else min(n, math.ceil(ratio) + 1)
