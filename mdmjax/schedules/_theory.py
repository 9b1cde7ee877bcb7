"""What the theory prescribes: Theorem 9, Austin, the square-root rule, geometric schedules.

:func:`tc_schedule` and :func:`dtc_schedule` (Chen–Cong–Li 2026, Theorem 9), :func:`austin`
(Theorem 10) and :func:`corollary34` (Corollary 34), :func:`sqrt_rule` (Lavenant–Zanella 2025,
the square-root rule), :func:`geometric` (optimal for inverse-square profiles), and
:func:`theorem9_sweep` (the power-of-2 sweep over an unknown TC/DTC). docs/theory.md §4.

These are *schedules* (step counts fixed in advance); adaptive *policies*, which choose tokens
from the model's conditionals, live in :mod:`mdmjax.policies`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

import numpy as np

from mdmjax._src.memory import check_step_count
from mdmjax._src.precision import scoped_x64
from mdmjax._src.smooth import gaussian_smooth
from mdmjax._src.tolerances import INTEGER_RATIO_TOLERANCE, SLOPE_FLOOR_RELATIVE
from mdmjax._src.validate import as_nonnegative_float, as_positive_float, as_positive_int
from mdmjax.bounds import corollary34_steps
from mdmjax.curves import as_curve
from mdmjax.kl import expected_kl
from mdmjax.schedules._breakpoints import _as_steps, _from_partial_sums, from_breakpoints
from mdmjax.schedules._practice import constant

__all__ = [
    "geometric",
    "tc_schedule",
    "dtc_schedule",
    "theorem9_zeta",
    "theorem9_lambda",
    "austin",
    "corollary34",
    "sqrt_rule",
    "theorem9_sweep",
    "Theorem9Sweep",
]


def _geometric_fractions(steps: int, ratio: float) -> np.ndarray:
    """``x_t = (r^t - 1) / (r^k - 1)``, ``t = 1..k-1``, computed without overflow."""
    t = np.arange(1, steps, dtype=np.float64)
    log_r = math.log(ratio)
    if log_r == 0:
        return t / steps
    if log_r > 0:  # divide through by r^k
        return np.exp((t - steps) * log_r) * (-np.expm1(-t * log_r)) / (-math.expm1(-steps * log_r))
    return np.expm1(t * log_r) / math.expm1(steps * log_r)


@scoped_x64
def geometric(n: int, steps: int, ratio: float) -> tuple[int, ...]:
    """Geometric sizes ``s_t ∝ ratio^(t-1)``: small steps first when ``ratio > 1``.

    The continuous partial sums ``N_t = n (r^t - 1)/(r^k - 1)`` are rounded by
    :func:`from_breakpoints`, so there are exactly ``steps`` steps (``steps <= n``). Geometric
    schedules are optimal for inverse-square information profiles (Lavenant–Zanella 2025).

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.schedules.geometric(15, 4, 2.0)
      (1, 2, 4, 8)
    """
    n = as_positive_int(n, "n")
    k = _as_steps(steps, n)
    ratio = as_positive_float(ratio, "ratio")
    return from_breakpoints(n, n * _geometric_fractions(k, ratio))


# ------------------------------------------------------------------------------------------------
# Chen–Cong–Li Theorem 9
# ------------------------------------------------------------------------------------------------
@scoped_x64
def theorem9_zeta(x_hat: float, eps: float, *, argument: str = "x_hat") -> float:
    """``zeta = 1 + ceil(x_hat / eps)`` of Chen–Cong–Li Theorem 9 (``inf`` when ``eps = 0``).

    ``argument`` names ``x_hat`` in errors (``tc_hat`` or ``dtc_hat`` for the schedules).

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.schedules.theorem9_zeta(1.0, 0.25)  # 1 + ceil(4)
      5
    """
    x_hat = as_nonnegative_float(x_hat, argument)
    eps = as_nonnegative_float(eps, "eps")
    if x_hat == 0:
        return 1
    if eps == 0:
        return math.inf
    ratio = x_hat / eps
    if not math.isfinite(ratio):
        return math.inf
    return 1 + math.ceil(ratio)


@scoped_x64
def theorem9_lambda(n: int, zeta: int) -> int:
    """``lambda = floor( ln(n - zeta + 1) / ln(1 / (1 - 1/zeta)) ) + 2`` for ``1 <= zeta <= n``.

    The floor is exact: when the ratio of logarithms is within 1e-9 of an integer ``m``, the
    integer inequality ``zeta^m <= (n - zeta + 1) (zeta - 1)^m`` decides it. ``zeta = 1`` gives
    the limit value 2.

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.schedules.theorem9_lambda(10, 2)  # floor(ln 9 / ln 2) + 2
      5
    """
    n = as_positive_int(n, "n")
    zeta = as_positive_int(zeta, "zeta")
    if zeta > n:
        raise ValueError(f"zeta: must be <= n = {n} (zeta >= n + 1 means all steps of 1)")
    if zeta == 1:
        return 2
    a = n - zeta + 1
    ratio = math.log(a) / math.log(1 / (1 - 1 / zeta))
    m = math.floor(ratio)
    near = round(ratio)
    if abs(ratio - near) < INTEGER_RATIO_TOLERANCE and near <= 4096:
        m = near if zeta**near <= a * (zeta - 1) ** near else near - 1
    return m + 2


@scoped_x64
def tc_schedule(n: int, tc_hat: float, eps: float) -> tuple[int, ...]:
    """Chen–Cong–Li (2026) Theorem 9, the TC schedule (big steps first).

    With ``zeta = 1 + ceil(tc_hat / eps)``:

    - if ``zeta >= n + 1``, every step has size 1;
    - otherwise, with ``lambda = floor(ln(n - zeta + 1) / ln(1/(1 - 1/zeta))) + 2``,
      ``N_t = floor(N_{t-1} + (n - N_{t-1}) / zeta)`` for ``t <= lambda``, then steps of 1 until
      ``n``. Zero-size steps are dropped.

    Integer arithmetic throughout (``N + (n - N) // zeta``), so no rounding can shift a step.
    Guarantee (Theorem 9): if ``tc_hat >= TC`` then ``E KL <= eps`` with at most
    ``2 + (1 + ln n)(1 + ceil(tc_hat / eps))`` steps (:func:`mdmjax.bounds.theorem9_steps`).

    Args:
      n: number of positions.
      tc_hat: an upper estimate of the total correlation, in nats (``>= 0``).
      eps: the KL budget in nats (``>= 0``; ``eps = 0`` with ``tc_hat > 0`` gives all ones).

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.schedules.tc_schedule(20, 1.0, 0.5)
      (6, 4, 3, 2, 1, 1, 1, 1, 1)
    """
    return _tc_partition(n, tc_hat, eps, "tc_hat")


def _tc_partition(n: int, x_hat: float, eps: float, argument: str) -> tuple[int, ...]:
    """The TC schedule of Theorem 9; errors name ``x_hat`` as ``argument``."""
    n = as_positive_int(n, "n")
    check_step_count(n, "n")  # up to n steps of 1
    zeta = theorem9_zeta(x_hat, eps, argument=argument)
    if zeta >= n + 1:
        return (1,) * n
    lam = theorem9_lambda(n, zeta)
    partial = [0]
    for _ in range(lam):
        partial.append(partial[-1] + (n - partial[-1]) // zeta)
    partial.extend(range(partial[-1] + 1, n + 1))
    return _from_partial_sums(partial)


@scoped_x64
def dtc_schedule(n: int, dtc_hat: float, eps: float) -> tuple[int, ...]:
    """Chen–Cong–Li (2026) Theorem 9, the DTC schedule (small steps first).

    With ``zeta`` and ``lambda`` as in :func:`tc_schedule`: start from ``N'_0 = n``, set
    ``N'_t = ceil(N'_{t-1} (1 - 1/zeta))`` for ``t <= lambda``, then count down by 1 to 0, and
    reverse the sequence to get the partial sums. Zero-size steps are dropped; ``zeta >= n + 1``
    gives all steps of size 1.

    The ceiling is exact (``N - N // zeta``): a float product such as ``9 * (1 - 1/3)`` evaluates
    to ``6.000000000000001`` and would round up to 7.

    Guarantee (Theorem 9): if ``dtc_hat >= DTC`` then ``E KL <= eps``, with the same step bound.

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.schedules.dtc_schedule(20, 1.0, 0.5)
      (1, 1, 1, 1, 1, 2, 3, 4, 6)
    """
    # The masked counts N'_t obey the same recursion as the masked counts n - N_t of the TC
    # schedule (N' - N' // zeta), so the DTC schedule is the TC schedule reversed.
    return _tc_partition(n, dtc_hat, eps, "dtc_hat")[::-1]


# ------------------------------------------------------------------------------------------------
# Austin / Chen–Cong–Li Theorem 10 and Corollary 34
# ------------------------------------------------------------------------------------------------
def _austin_plan(n: int, dtc: float, eps: float) -> tuple[int, int]:
    """``(m, b)``: ``m`` single steps, then blocks of at most ``b``, fewest steps with
    ``(b - 1) DTC / (m + 1) <= eps``."""
    if dtc == 0:
        return 0, n
    if eps == 0:
        return n, 1
    m = np.arange(n + 1)
    b = np.minimum(n, 1 + np.floor(eps * (m + 1) / dtc)).astype(np.int64)
    k = m + -(-(n - m) // b)
    best = int(np.argmin(k))
    return best, int(b[best])


@scoped_x64
def austin(n: int, dtc: float, eps: float) -> tuple[int, ...]:
    """Austin's schedule, Chen–Cong–Li (2026) Theorem 10: ``m`` single steps, then equal blocks.

    Why it works (the proof of Theorem 10, made explicit): a block starting at position ``a``
    costs at most ``(b - 1)(Z_end - Z_a)``, the blocks after the single steps telescope to at most
    ``(b - 1)(Z_n - Z_{m+1})``, and ``DTC = sum_j (Z_n - Z_j) >= (m + 1)(Z_n - Z_{m+1})``. Hence

    .. math:: E\\,KL \\le (b - 1)\\, DTC / (m + 1),

    and the schedule takes ``b = 1 + floor(eps (m + 1) / dtc)`` and the ``m`` that minimizes the
    number of steps ``m + ceil((n - m)/b)``; the remaining ``n - m`` positions are split into
    equal blocks (sizes differ by at most 1, larger first). If ``dtc >= DTC`` then
    ``E KL <= eps`` with at most ``2 sqrt(n dtc / eps) + 1`` steps
    (:func:`mdmjax.bounds.austin_steps`), i.e. ``k ≲ sqrt(DTC n / eps)``.

    Args:
      n: number of positions.
      dtc: an upper estimate of the dual total correlation, in nats (``>= 0``).
      eps: the KL budget in nats (``>= 0``; ``eps = 0`` with ``dtc > 0`` gives all ones).

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.schedules.austin(20, 1.0, 0.5)
      (1, 1, 1, 3, 3, 3, 3, 3, 2)
    """
    n = as_positive_int(n, "n")
    dtc = as_nonnegative_float(dtc, "dtc")
    eps = as_nonnegative_float(eps, "eps")
    m, b = _austin_plan(n, dtc, eps)
    rest = n - m
    tail = constant(rest, -(-rest // b)) if rest else ()
    return (1,) * m + tail


@scoped_x64
def corollary34(n: int, dtc: float, delta: float) -> tuple[int, ...]:
    """Chen–Cong–Li (2026) Corollary 34: ``(1, .., 1, n - k + 1)`` with ``k = ceil(DTC/δ²) + 1``.

    ``k - 1`` single steps and one final block. If ``dtc >= DTC`` its expected KL is at most
    ``δ² (n - k + 1)`` (:func:`mdmjax.bounds.corollary34_bound`); the corollary is meant for
    ``DTC <= δ² n``. When ``k >= n`` every step has size 1.

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.schedules.corollary34(10, dtc=1.0, delta=0.5)  # k = ceil(1 / 0.25) + 1 = 5
      (1, 1, 1, 1, 6)
    """
    n = as_positive_int(n, "n")
    dtc = as_nonnegative_float(dtc, "dtc")
    delta = as_positive_float(delta, "delta")
    k = corollary34_steps(n, dtc, delta)
    check_step_count(k, "n")  # k - 1 single steps
    return (1,) * (k - 1) + (n - k + 1,)


# ------------------------------------------------------------------------------------------------
# Lavenant–Zanella square-root rule
# ------------------------------------------------------------------------------------------------
@scoped_x64
def sqrt_rule(curve, steps: int, smoothing: float | None = None) -> tuple[int, ...]:
    """The Lavenant–Zanella (2025) square-root rule from a smoothed information profile.

    Write ``f(i) ≈ φ(i/n)/n``. In the continuum limit the error of a schedule that has revealed a
    fraction ``x(t)`` after a fraction ``t`` of the steps is
    ``(n/2k) ∫ x'(t)² φ(x(t)) dt − ½ ∫ φ``, minimized by block sizes ``∝ φ(x)^(-1/2)``:

    .. math:: t(x) = \\int_0^x \\sqrt{\\varphi} \\Big/ \\int_0^1 \\sqrt{\\varphi}.

    Here ``φ`` is the profile ``f(i) = Z_{i+1} - Z_i`` smoothed by a Gaussian of standard
    deviation ``smoothing`` positions (default ``n / (4k)``, at least 1; 0 for none), floored at
    ``1e-9`` of its maximum so that ``t(x)`` is strictly increasing, placed at ``i``, and
    integrated by the trapezoid rule over ``[0, n]``. The breakpoints ``N_t = x(t/k) n`` are
    rounded by :func:`from_breakpoints` (exactly ``steps`` steps).

    Args:
      curve: an :class:`~mdmjax.InformationCurve` or a :class:`~mdmjax.Distribution`.
      steps: number of steps ``k <= n``.
      smoothing: the Gaussian bandwidth in positions.

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> c = mdm.InformationCurve.from_z(np.log(2) * np.array([0.0, 0.0, 1.0, 1.0, 1.0, 1.0]))
      >>> mdm.schedules.sqrt_rule(c, 3)
      (1, 2, 3)
    """
    c = as_curve(curve)
    n = c.n
    k = _as_steps(steps, n)
    if n == 1 or k == 1:
        return (n,)
    sigma = (
        max(1.0, n / (4 * k)) if smoothing is None else as_nonnegative_float(smoothing, "smoothing")
    )
    f = np.clip(np.diff(np.asarray(c.z, dtype=np.float64)), 0, None)
    phi = np.clip(gaussian_smooth(f, sigma), 0, None)
    top = phi.max()
    phi = np.maximum(phi, SLOPE_FLOOR_RELATIVE * top) if top > 0 else np.ones_like(phi)
    root = np.sqrt(np.concatenate([phi[:1], phi, phi[-1:]]))  # at nodes 0..n
    cum = np.concatenate([[0.0], np.cumsum((root[1:] + root[:-1]) / 2)])
    targets = cum[-1] * np.arange(1, k) / k
    tau = np.interp(targets, cum, np.arange(n + 1, dtype=np.float64))
    return from_breakpoints(n, tau)


# ------------------------------------------------------------------------------------------------
# The sweep over unknown TC / DTC
# ------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Theorem9Sweep:
    """The outcome of :func:`theorem9_sweep`.

    Attributes:
      sizes: the chosen schedule.
      kl: its expected KL (Theorem 4), or ``None`` when only estimates were given.
      kind: ``"tc"`` or ``"dtc"``: which Theorem 9 schedule was chosen.
      x_hat: the value of ``X̂`` it was built with.
      steps: ``len(sizes)``, the oracle calls of one run of the chosen schedule.
      steps_spent: oracle calls spent by the whole sweep: the sum of the steps of every candidate
        schedule tried (both kinds at every power of 2 up to the one that met the budget).
      trials: one ``(kind, x_hat, steps, kl)`` tuple per candidate tried, in order.

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> c = mdm.InformationCurve.from_z(np.log(2) * np.array([0.0, 0.0, 1.0, 1.0, 1.0, 1.0]))
      >>> r = mdm.schedules.theorem9_sweep(c, eps=0.5)
      >>> r.sizes, r.kind, r.steps, r.steps_spent
      ((1, 1, 1, 3), 'dtc', 4, 8)
    """

    sizes: tuple[int, ...]
    kl: float | None
    kind: str
    x_hat: float
    steps: int
    steps_spent: int
    trials: tuple[tuple[str, float, int, float | None], ...]


@scoped_x64
def theorem9_sweep(curve_or_estimates, eps: float, *, x_max: float | None = None):
    """Theorem 9 without knowing TC or DTC: sweep ``X̂`` over powers of 2 (Chen–Cong–Li 2026).

    Given a curve, the curve plays the role of the user's check "is this schedule good enough?":
    for ``X̂ = 2^j``, ``j = floor(log2 eps), ..`` (so the first ``X̂ <= eps``), up to the first
    power of 2 ``>= x_max``, both :func:`tc_schedule` and :func:`dtc_schedule` are built and
    scored by Theorem 4; the sweep stops at the first ``X̂`` where one of them meets ``eps`` and
    returns the one with fewer steps. ``x_max`` defaults to ``n Z_n = TC + DTC`` (at most
    ``n log q``, the bound of docs/theory.md §4); Theorem 9 guarantees success once
    ``X̂ >= min(TC, DTC)``, so the sweep ends by then. The steps spent by the whole sweep are
    reported (``steps_spent``): that is the price of not knowing TC and DTC.

    Given estimates instead (a mapping with ``"n"`` and ``"tc"`` and/or ``"dtc"``), no sweep is
    needed: the shorter of the Theorem 9 schedules built from the estimates is returned, with
    ``kl = None``.

    Args:
      curve_or_estimates: an :class:`~mdmjax.InformationCurve`, a :class:`~mdmjax.Distribution`,
        or a mapping ``{"n": n, "tc": tc_hat, "dtc": dtc_hat}``.
      eps: the KL budget in nats, ``> 0``.
      x_max: the top of the sweep (default ``n Z_n``).

    Returns:
      an :class:`Theorem9Sweep`.

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> c = mdm.InformationCurve.from_z(np.log(2) * np.array([0.0, 0.0, 1.0, 1.0, 1.0, 1.0]))
      >>> r = mdm.schedules.theorem9_sweep(c, eps=0.5)  # X̂ = 0.25 fails, X̂ = 0.5 meets eps
      >>> r.sizes, r.x_hat, bool(r.kl <= 0.5)
      ((1, 1, 1, 3), 0.5, True)
    """
    eps = as_positive_float(eps, "eps")
    if isinstance(curve_or_estimates, Mapping):
        return _from_estimates(curve_or_estimates, eps)

    c = as_curve(curve_or_estimates)
    n = c.n
    top = float(n * c.zn) if x_max is None else as_nonnegative_float(x_max, "x_max")
    top = max(top, eps)
    j = math.floor(math.log2(eps))
    trials = []
    spent = 0
    while True:
        x_hat = 2.0**j
        found = []
        for kind, build in (("tc", tc_schedule), ("dtc", dtc_schedule)):
            sizes = build(n, x_hat, eps)
            kl = expected_kl(c, sizes)
            spent += len(sizes)
            trials.append((kind, x_hat, len(sizes), kl))
            if kl <= eps:
                found.append((len(sizes), kind, sizes, kl))
        if found or x_hat >= top:
            break
        j += 1
    if not found:  # cannot happen when x_max >= min(TC, DTC); all ones is always exact
        sizes = (1,) * n
        found = [(n, "ones", sizes, expected_kl(c, sizes))]
    steps, kind, sizes, kl = min(found, key=lambda item: item[0])
    return Theorem9Sweep(sizes, kl, kind, x_hat, steps, spent, tuple(trials))


def _from_estimates(est: Mapping, eps: float) -> Theorem9Sweep:
    if "n" not in est:
        raise ValueError("curve_or_estimates: a mapping of estimates needs the key 'n'")
    n = as_positive_int(est["n"], "curve_or_estimates['n']")
    options = []
    for kind, build in (("tc", tc_schedule), ("dtc", dtc_schedule)):
        if est.get(kind) is not None:
            x_hat = as_nonnegative_float(est[kind], f"curve_or_estimates[{kind!r}]")
            options.append((build(n, x_hat, eps), kind, x_hat))
    if not options:
        raise ValueError("curve_or_estimates: give an estimate under 'tc' and/or 'dtc'")
    sizes, kind, x_hat = min(options, key=lambda item: len(item[0]))
    trials = tuple((kd, x, len(s), None) for s, kd, x in options)
    return Theorem9Sweep(sizes, None, kind, x_hat, len(sizes), len(sizes), trials)
