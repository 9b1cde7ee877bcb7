"""Unmasking growth complexity (Wainwright 2026, arXiv 2608.13520): the gain curve of a law.

Everything here is a function of the information curve ``Z`` alone (docs/theory.md §12). With
``d = n`` positions the card coefficients are

.. math::

   h^{card}_j = d\\,(\\bar H_1 + \\bar H_j - \\bar H_{j+1}) = d\\, Z_{j+1}, \\qquad j = 0..d-1,

and the gain curve is their Bernstein polynomial of degree ``d - 1``,

.. math::

   h(t) = \\sum_{j=0}^{d-1} \\binom{d-1}{j} t^j (1-t)^{d-1-j} h^{card}_j, \\qquad
   h'(t) = (d-1) \\sum_{j=0}^{d-2} \\binom{d-2}{j} t^j (1-t)^{d-2-j}
           (h^{card}_{j+1} - h^{card}_j) \\ge 0 .

The growth complexity ``H(p, q) = ∫_p^q t(1-t) h'(t) dt`` has log-odds density
``q(λ) = r^2 (1-r)^2 h'(r)``, ``r = σ(λ)``; on ``λ ∈ [-ℓ, ℓ]``, ``ℓ = ln(d-1)`` (the interval
``[1/d, 1-1/d]``) the coarse and fine complexities are ``C = 2ℓ ∫ q dλ`` and
``P = (∫ √q dλ)^2``, and ``Ratio = C/P >= 1`` (Cauchy–Schwarz).

**Numerics.** Bernstein sums are evaluated in log space: ``log C(m, j)`` (``lgamma``) plus
``j log t + (m-j) log(1-t)`` (or ``log σ(±λ)`` in log-odds), combined by a signed ``logsumexp``,
so ``d = 128`` and far beyond neither under- nor overflow. The ``h'`` coefficients are ``>= 0``
for any law; rounding in ``Z`` can leave tiny negatives, which are set to 0 when they are within
the curve's own tolerance (``d · Z_TOLERANCE``; a curve is only accepted when ``Z`` is monotone
within ``Z_TOLERANCE``).

**Exact versus quadrature.** ``H(p, q)``, ``H(0, 1)``, ``C_UGC`` and ``∫ h`` are exact: the
integral of a Bernstein polynomial of degree ``m`` with coefficients ``c`` is the Bernstein
polynomial of degree ``m + 1`` with coefficients ``(1/(m+1)) Σ_{k<i} c_k``, and
``t(1-t) B_{j,d-2} = ((j+1)(d-1-j)/(d(d-1))) B_{j+1,d}``. Only the fine complexity needs a
quadrature: ``∫ √q dλ`` by composite Gauss–Legendre in ``λ`` with :data:`PANEL_NODES` nodes per
panel and panels no wider than ``min(0.25, 2/√d)`` (a Bernstein basis function of degree ``m``
is a bump of width ``>= 2/√m`` in ``λ``, so each panel sees a smooth, well-resolved integrand).
Tests compare it with the exact ``∫ q dλ`` through the same rule, with closed forms (repeated
bit, parity) and with a rule of twice as many panels.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from mdmjax._src.keys import as_key
from mdmjax._src.precision import scoped_x64
from mdmjax._src.tolerances import Z_TOLERANCE
from mdmjax._src.validate import as_level, as_positive_int
from mdmjax.curves._curve import InformationCurve, as_curve
from mdmjax.curves._monte_carlo import curve_from_estimates

__all__ = ["UGCProfile", "ugc", "bernstein", "ugc_bootstrap", "UGCInterval"]

#: Gauss–Legendre nodes per panel of the composite rule for ``∫ √q dλ``.
PANEL_NODES = 16
#: Widest panel (in log-odds) of the composite rule; narrower (``2/√d``) for large ``d``.
MAX_PANEL_WIDTH = 0.25
#: Extra log-odds beyond the bulk where the full-line ``∫ √q`` is truncated: the tail beyond is
#: below ``e^{-40} √max h'`` (``√q <= e^{-|λ|} √max h'``).
TAIL_LOG_ODDS = 40.0


def _log_comb(m: int) -> np.ndarray:
    """``log C(m, j)`` for ``j = 0..m`` (float64, ``lgamma``: ~1e-14 relative at ``m = 10^3``)."""
    j = np.arange(m + 1)
    return np.array([math.lgamma(m + 1) - math.lgamma(k + 1) - math.lgamma(m - k + 1) for k in j])


def _row(v: jax.Array, ndim: int) -> jax.Array:
    """``v`` (1-D) with leading unit axes to ``ndim`` (the suite forbids rank promotion)."""
    return v.reshape((1,) * (ndim - 1) + (-1,))


def _signed_sum(log_basis: jax.Array, coef: jax.Array) -> jax.Array:
    """``Σ_j coef_j exp(log_basis_j)`` over the last axis, by a signed logsumexp."""
    b = jnp.broadcast_to(_row(coef, log_basis.ndim), log_basis.shape)
    lse, sign = jax.nn.logsumexp(log_basis, axis=-1, b=b, return_sign=True)
    return sign * jnp.exp(lse)


def _log_basis_t(t: jax.Array, m: int) -> jax.Array:
    """``log B_{j,m}(t)`` for ``j = 0..m`` (last axis); exact ``0 / -inf`` at ``t = 0, 1``."""
    t = t[..., None]
    j = _row(jnp.arange(m + 1, dtype=jnp.float64), t.ndim)
    inside = (t > 0) & (t < 1)
    ts = jnp.where(inside, t, 0.5)
    log_t = jnp.where(j > 0, j * jnp.log(ts), 0.0)
    log_s = jnp.where(j < m, (m - j) * jnp.log1p(-ts), 0.0)
    interior = _row(jnp.asarray(_log_comb(m)), t.ndim) + log_t + log_s
    at0 = jnp.where(j == 0, 0.0, -jnp.inf)
    at1 = jnp.where(j == m, 0.0, -jnp.inf)
    return jnp.where(inside, interior, jnp.where(t <= 0, at0, at1))


def _log_basis_lam(lam: jax.Array, m: int) -> jax.Array:
    """``log B_{j,m}(σ(λ))`` for ``j = 0..m`` (last axis), stable for any real ``λ``."""
    lam = lam[..., None]
    j = _row(jnp.arange(m + 1, dtype=jnp.float64), lam.ndim)
    return (
        _row(jnp.asarray(_log_comb(m)), lam.ndim)
        + j * jax.nn.log_sigmoid(lam)
        + (m - j) * jax.nn.log_sigmoid(-lam)
    )


def bernstein(coef, t):
    """``Σ_j coef_j C(m, j) t^j (1-t)^{m-j}``, ``m = len(coef) - 1``, evaluated in log space.

    Pure and jittable (differentiable in ``t`` inside ``(0, 1)``), for any shape of ``t``.
    docs/theory.md §12.

    .. math:: B[c](t) = \\sum_{j=0}^{m} c_j \\binom{m}{j} t^j (1-t)^{m-j}

    Args:
      coef: ``(m+1,)`` coefficients (any signs).
      t: points in ``[0, 1]``.

    Returns:
      an array of the shape of ``t`` (float64 under x64).

    Examples:
      >>> import jax, jax.numpy as jnp, mdmjax as mdm
      >>> with jax.enable_x64(True):
      ...     round(float(mdm.curves.bernstein(jnp.array([0.0, 1.0, 2.0]), jnp.asarray(0.5))), 12)
      1.0
    """
    coef = jnp.asarray(coef)
    return _signed_sum(_log_basis_t(jnp.asarray(t, dtype=coef.dtype), coef.shape[-1] - 1), coef)


def _integral_coefficients(coef: jax.Array) -> jax.Array:
    """Coefficients (degree ``m+1``) of ``x -> ∫_0^x B[coef]``."""
    m = coef.shape[-1] - 1
    return jnp.concatenate([jnp.zeros(1, coef.dtype), jnp.cumsum(coef)]) / (m + 1)


def _card(z: jax.Array) -> jax.Array:
    return z.shape[-1] * z


def _slopes(h_card: jax.Array) -> jax.Array:
    """``h^card_{j+1} - h^card_j`` with rounding negatives (within ``d Z_TOLERANCE``) set to 0."""
    d = h_card.shape[-1]
    delta = jnp.diff(h_card)
    return jnp.where(delta < 0, jnp.where(delta >= -d * Z_TOLERANCE, 0.0, delta), delta)


def _mass_coefficients(h_card: jax.Array) -> jax.Array:
    """Degree-``d+1`` coefficients of ``x -> H(0, x) = ∫_0^x t(1-t) h'(t) dt``."""
    d = h_card.shape[-1]
    j = jnp.arange(d - 1, dtype=jnp.float64)
    inner = _slopes(h_card) * (j + 1) * (d - 1 - j) / d  # coefficients of t(1-t)h', degree d
    a = jnp.concatenate([jnp.zeros(1, h_card.dtype), inner, jnp.zeros(1, h_card.dtype)])
    return _integral_coefficients(a)


def _gauss_legendre(a: float, b: float, d: int, width: float | None = None):
    """Composite Gauss–Legendre nodes and weights on ``[a, b]`` (module docstring)."""
    if width is None:
        width = min(MAX_PANEL_WIDTH, 2.0 / math.sqrt(max(d, 1)))
    panels = max(1, math.ceil((b - a) / width))
    x, w = np.polynomial.legendre.leggauss(PANEL_NODES)
    edges = np.linspace(a, b, panels + 1)
    half = 0.5 * np.diff(edges)[:, None]
    mid = 0.5 * (edges[1:] + edges[:-1])[:, None]
    return (mid + half * x[None, :]).ravel(), (half * w[None, :]).ravel()


def _log_density(h_card: jax.Array, lam: jax.Array) -> jax.Array:
    """``log q(λ)``; ``-inf`` where ``h'`` vanishes."""
    d = h_card.shape[-1]
    hp = (d - 1) * _signed_sum(_log_basis_lam(lam, d - 2), _slopes(h_card))
    hp = jnp.maximum(hp, 0.0)  # negative only for a curve whose Z dips beyond rounding
    safe = jnp.where(hp > 0, hp, 1.0)
    logq = 2 * jax.nn.log_sigmoid(lam) + 2 * jax.nn.log_sigmoid(-lam) + jnp.log(safe)
    return jnp.where(hp > 0, logq, -jnp.inf)


@jax.jit
def _sqrt_integral(h_card, nodes, weights):
    return jnp.sum(weights * jnp.exp(0.5 * _log_density(h_card, nodes)), axis=-1)


@jax.jit
def _ranged_sqrt_integral(h_card, lo, hi, x, w):
    """``∫_lo^hi √q`` for each pair ``(lo, hi)`` by one Gauss–Legendre rule (``x``, ``w``)."""
    half = 0.5 * (hi - lo)[..., None]
    nodes = 0.5 * (hi + lo)[..., None] + half * _row(x, half.ndim)
    return jnp.sum(half * _row(w, half.ndim) * jnp.exp(0.5 * _log_density(h_card, nodes)), axis=-1)


@jax.jit
def _density_integral(h_card, nodes, weights):
    return jnp.sum(weights * jnp.exp(_log_density(h_card, nodes)), axis=-1)


@functools.partial(jax.jit, static_argnums=(1,))
def _core(z: jax.Array, d: int):
    """``(C_UGC, √P_UGC, H(0,1))`` of one curve (vmappable over bootstrap replicates)."""
    h_card = _card(z)
    ell = math.log(d - 1) if d > 2 else 0.0
    lo, hi = 1.0 / d, 1.0 - 1.0 / d
    coef = _mass_coefficients(h_card)
    ends = bernstein(coef, jnp.asarray([lo, hi]))
    coarse = 2 * ell * (ends[1] - ends[0])
    nodes, weights = _gauss_legendre(-ell, ell, d) if d > 2 else (np.zeros(1), np.zeros(1))
    root = _sqrt_integral(h_card, jnp.asarray(nodes), jnp.asarray(weights))
    return coarse, root, coef[-1]


def _as_output(x):
    arr = np.asarray(x, dtype=np.float64)
    return float(arr) if arr.ndim == 0 else arr


class UGCInterval(NamedTuple):
    """A bootstrap summary of a UGC quantity: ``value`` (the plug-in), ``stderr`` and a
    percentile interval ``(lower, upper)`` at ``level`` (:func:`ugc_bootstrap`).

    Examples:
      Rows that all agree leave nothing to resample: the interval is the point, the curve's own
      ``C_UGC``:

      >>> import numpy as np, mdmjax as mdm
      >>> c = mdm.curves.repetition_curve(4, 2)
      >>> iv = mdm.curves.ugc_bootstrap(np.tile(c.z, (4, 1)), num_bootstrap=8)["coarse"]
      >>> iv.stderr, iv.lower == iv.value == iv.upper, iv.level
      (0.0, True, 0.95)
      >>> bool(np.isclose(iv.value, mdm.curves.ugc(c).coarse, rtol=1e-12))
      True
    """

    value: float
    stderr: float
    lower: float
    upper: float
    level: float


class UGCProfile:
    """The gain curve ``h`` of a law and its unmasking growth complexities (module docstring).

    Built by :func:`ugc`. docs/theory.md §12.

    Attributes:
      d: number of positions.
      h_card: ``(d,)`` card coefficients ``h^card_j = d Z_{j+1}``, ``j = 0..d-1`` (nats).
      coarse: ``C_UGC = 2ℓ H(1/d, 1-1/d)``, exact.
      fine: ``P_UGC = (∫_{-ℓ}^{ℓ} √q dλ)^2`` (composite Gauss–Legendre).
      fine_total: ``(∫_ℝ √q dλ)^2 = (∫_0^1 √h'(t) dt)^2``, the whole line (Theorem 3's constant
        for a grid from 0 to 1).
      ratio: ``C_UGC / P_UGC >= 1``; ``nan`` when ``P_UGC = 0`` (a product law, or ``d = 2``
        where the canonical interval is a point).
      h01: ``H(0, 1) = (2/(d+1)) TSE``, exact.
      tc, dtc: ``∫ (1-t) h'`` and ``∫ t h'`` (equal to the curve's TC and DTC).
      estimate: whether the curve is an estimate (Monte Carlo or a model's CE).
      ratio_interval, coarse_interval, fine_interval: :class:`UGCInterval` from a row bootstrap
        for a :class:`~mdmjax.ModelCurve`, else ``None``.

    Examples:
      A repeated bit, ``d = 4``: ``Z = (0, ln 2, ln 2, ln 2)``, so ``h(t) = 4 ln 2 (1 - (1-t)^3)``,
      ``h(1/2) = 3.5 ln 2``, and the by-parts integrals give ``TC = 3 ln 2``, ``DTC = ln 2``:

      >>> import math, mdmjax as mdm
      >>> u = mdm.curves.ugc(mdm.curves.repetition_curve(4, 2))
      >>> [round(v / math.log(2), 12) for v in (u.h(0.5), u.tc, u.dtc)]
      [3.5, 3.0, 1.0]
      >>> round(u.mass(0.0, 1.0) / u.h01, 12), u.ratio >= 1
      (1.0, True)
    """

    def __init__(self, z: np.ndarray, *, estimate: bool = False, intervals=None):
        self.d = int(z.shape[0])
        self._z = jnp.asarray(z, dtype=jnp.float64)
        self.h_card = np.asarray(_card(self._z))
        self._slope = _slopes(jnp.asarray(self.h_card))
        self._mass_coef = _mass_coefficients(jnp.asarray(self.h_card))
        self._h_int_coef = _integral_coefficients(jnp.asarray(self.h_card))
        coarse, root, h01 = _core(self._z, self.d)
        self.coarse = float(coarse)
        self.fine = float(root) ** 2
        self.h01 = float(h01)
        self.ratio = self.coarse / self.fine if self.fine > 0 else math.nan
        self.estimate = bool(estimate)
        iv = intervals or {}
        self.ratio_interval = iv.get("ratio")
        self.coarse_interval = iv.get("coarse")
        self.fine_interval = iv.get("fine")
        self._fine_total = None

    # -- the gain curve ---------------------------------------------------------------------------
    @scoped_x64
    def h(self, t):
        """``h(t)`` (vectorised over ``t`` in ``[0, 1]``)."""
        return _as_output(bernstein(jnp.asarray(self.h_card), _as_points(t, "t")))

    @scoped_x64
    def h_prime(self, t):
        """``h'(t) >= 0`` (vectorised over ``t`` in ``[0, 1]``)."""
        pts = _as_points(t, "t")
        return _as_output((self.d - 1) * bernstein(self._slope, pts) if self.d > 1 else 0 * pts)

    @scoped_x64
    def density(self, lam):
        """Log-odds density ``q(λ) = r^2 (1-r)^2 h'(r)``, ``r = σ(λ)`` (any real ``λ``)."""
        arr = jnp.asarray(np.asarray(lam, dtype=np.float64))
        return _as_output(jnp.exp(_log_density(jnp.asarray(self.h_card), arr)))

    @scoped_x64
    def mass(self, p, q):
        """``H(p, q) = ∫_p^q t(1-t) h'(t) dt``, exact (vectorised, broadcasting ``p``, ``q``)."""
        a, b = _as_points(p, "p"), _as_points(q, "q")
        return _as_output(bernstein(self._mass_coef, b) - bernstein(self._mass_coef, a))

    @scoped_x64
    def h_integral(self, p, q):
        """``∫_p^q h(u) du``, exact (vectorised)."""
        a, b = _as_points(p, "p"), _as_points(q, "q")
        return _as_output(bernstein(self._h_int_coef, b) - bernstein(self._h_int_coef, a))

    @scoped_x64
    def sqrt_mass(self, lam_lo: float, lam_hi: float) -> float:
        """``∫_{lam_lo}^{lam_hi} √q(λ) dλ`` (composite Gauss–Legendre; ``±inf`` allowed)."""
        lo, hi = self._clip_line(float(lam_lo)), self._clip_line(float(lam_hi))
        if hi <= lo:
            return 0.0
        nodes, weights = _gauss_legendre(lo, hi, self.d)
        return float(_sqrt_integral(self._z * self.d, jnp.asarray(nodes), jnp.asarray(weights)))

    @scoped_x64
    def quadrature_mass(self, lam_lo: float, lam_hi: float, *, panel_width=None) -> float:
        """``∫ q dλ`` by the rule used for :attr:`fine` (a check of it: :meth:`mass` is exact)."""
        nodes, weights = _gauss_legendre(float(lam_lo), float(lam_hi), self.d, panel_width)
        return float(_density_integral(self._z * self.d, jnp.asarray(nodes), jnp.asarray(weights)))

    @scoped_x64
    def quadrature_sqrt_mass(self, lam_lo: float, lam_hi: float, *, panel_width=None) -> float:
        """``∫ √q dλ`` with a chosen panel width (convergence checks of :attr:`fine`)."""
        nodes, weights = _gauss_legendre(float(lam_lo), float(lam_hi), self.d, panel_width)
        return float(_sqrt_integral(self._z * self.d, jnp.asarray(nodes), jnp.asarray(weights)))

    @scoped_x64
    def cumulative_sqrt_mass(self, lam) -> np.ndarray:
        """``∫_{-∞}^{λ} √q`` at each sorted ``λ`` (one rule per gap; ``±inf`` allowed)."""
        lam = np.asarray(lam, dtype=np.float64)
        edges = np.concatenate([[-np.inf], lam])
        pieces = [self.sqrt_mass(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)]
        return np.cumsum(pieces)

    @scoped_x64
    def sqrt_mass_quantiles(self, fractions) -> np.ndarray:
        """The ``t`` at which ``∫_0^t √h'`` reaches each fraction of ``∫_0^1 √h'``.

        (``∫_0^t √h' dt = ∫_{-∞}^{λ(t)} √q dλ``.) Panel sums are tabulated once over the whole
        line; inside a panel the point is found by bisection on a 16-node Gauss–Legendre rule
        over ``[panel start, λ]``, to ~1e-13 in ``λ``.

        Args:
          fractions: values in ``(0, 1)``.

        Returns:
          float64 points in ``(0, 1)``, of the shape of ``fractions``.
        """
        u = np.asarray(fractions, dtype=np.float64)
        if np.any(~np.isfinite(u)) or np.any(u <= 0) or np.any(u >= 1):
            raise ValueError("fractions: values must lie strictly inside (0, 1)")
        b = self._line_bound()
        width = min(MAX_PANEL_WIDTH, 2.0 / math.sqrt(self.d))
        panels = max(1, math.ceil(2 * b / width))
        edges = np.linspace(-b, b, panels + 1)
        h_card = jnp.asarray(self.h_card)
        x, w = np.polynomial.legendre.leggauss(PANEL_NODES)
        per = np.asarray(
            _ranged_sqrt_integral(
                h_card,
                jnp.asarray(edges[:-1]),
                jnp.asarray(edges[1:]),
                jnp.asarray(x),
                jnp.asarray(w),
            )
        )
        cum = np.concatenate([[0.0], np.cumsum(per)])
        if cum[-1] <= 0:
            raise ValueError("curve: h' vanishes (a product law): no √q mass to split")
        target = u.ravel() * cum[-1]
        k = np.clip(np.searchsorted(cum, target, side="right") - 1, 0, panels - 1)
        lo, hi = edges[k].copy(), edges[k + 1].copy()
        need = target - cum[k]
        for _ in range(60):  # bisection: the panel width 0.25 halves 60 times below 1e-18
            mid = 0.5 * (lo + hi)
            val = np.asarray(
                _ranged_sqrt_integral(
                    h_card, jnp.asarray(edges[k]), jnp.asarray(mid), jnp.asarray(x), jnp.asarray(w)
                )
            )
            below = val < need
            lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
        lam = 0.5 * (lo + hi)
        return (1.0 / (1.0 + np.exp(-lam))).reshape(u.shape)

    def _clip_line(self, lam: float) -> float:
        bound = self._line_bound()
        return min(max(lam, -bound), bound)

    def _line_bound(self) -> float:
        top = float(np.max(self.h_card)) * max(self.d - 1, 1) + 1.0
        return math.log(max(self.d - 1, 1)) + TAIL_LOG_ODDS + 0.5 * math.log(top)

    @property
    def fine_total(self) -> float:
        if self._fine_total is None:
            b = self._line_bound()
            self._fine_total = self.sqrt_mass(-b, b) ** 2
        return self._fine_total

    @property
    @scoped_x64
    def tc(self) -> float:
        """``∫_0^1 (1-t) h'(t) dt = ∫_0^1 h - h(0)`` (by parts; equals the curve's TC)."""
        return float(self.h_integral(0.0, 1.0) - self.h_card[0])

    @property
    @scoped_x64
    def dtc(self) -> float:
        """``∫_0^1 t h'(t) dt = h(1) - ∫_0^1 h`` (by parts; equals the curve's DTC)."""
        return float(self.h_card[-1] - self.h_integral(0.0, 1.0))

    @scoped_x64
    def block_complexity(self, breaks) -> float:
        """``(Σ_k √(S_k H_k))^2`` of the partition of ``[1/d, 1-1/d]`` at ``breaks``.

        ``S_k`` is the log-odds width and ``H_k`` the growth complexity of block ``k``; one block
        gives ``C_UGC``, ever finer blocks tend to ``P_UGC`` (Cauchy–Schwarz in between).

        Args:
          breaks: interior breakpoints in ``t``, strictly inside ``(1/d, 1-1/d)``, increasing.
        """
        t = _block_edges(self.d, breaks)
        lam = np.log(t) - np.log1p(-t)
        h = np.maximum(np.asarray(self.mass(t[:-1], t[1:])), 0.0)
        return float(np.sum(np.sqrt(np.diff(lam) * h)) ** 2)

    def __repr__(self) -> str:
        return (
            f"UGCProfile(d={self.d}, coarse={self.coarse:.6g}, fine={self.fine:.6g}, "
            f"ratio={self.ratio:.6g}, h01={self.h01:.6g})"
        )


def _block_edges(d: int, breaks) -> np.ndarray:
    inner = np.atleast_1d(np.asarray(breaks, dtype=np.float64))
    lo, hi = 1.0 / d, 1.0 - 1.0 / d
    edges = np.concatenate([[lo], inner, [hi]])
    if inner.ndim != 1 or not np.all(np.isfinite(inner)) or np.any(np.diff(edges) <= 0):
        raise ValueError(
            f"breaks: expected increasing points strictly inside (1/d, 1-1/d) = ({lo}, {hi}), "
            f"got {inner.tolist()}"
        )
    return edges


def _as_points(t, argument: str) -> jax.Array:
    arr = np.asarray(t, dtype=np.float64)
    if np.any(~np.isfinite(arr)) or np.any(arr < 0) or np.any(arr > 1):
        raise ValueError(f"{argument}: points must lie in [0, 1]")
    return jnp.asarray(arr)


def _curve_z(curve, argument: str = "curve") -> np.ndarray:
    z = np.asarray(as_curve(curve, argument=argument).z, dtype=np.float64)
    if z.shape[0] < 2:
        raise ValueError(f"{argument}: needs at least 2 positions, got n = {z.shape[0]}")
    return z


@scoped_x64
def ugc_bootstrap(
    row_z, *, weights=None, key=0, num_bootstrap: int = 200, level: float = 0.95
) -> dict[str, UGCInterval]:
    """Bootstrap intervals on ``C_UGC``, ``P_UGC`` and the ratio from per-row ``Z`` estimates.

    Each replicate resamples the rows (with probabilities ``weights``), averages them, projects
    the mean on non-decreasing curves (as :func:`mdmjax.curves.curve_from_estimates` does) and
    computes the complexities. ``value`` is the plug-in on all rows. docs/theory.md §12.

    Args:
      row_z: ``(R, d)`` per-row estimates of ``Z`` (Monte-Carlo draws, or a model's
        ``ModelCurve.row_z``); ``R >= 2``, ``d >= 3``.
      weights: optional ``(R,)`` row weights.
      key: a ``jax.random`` key or an int seed.
      num_bootstrap: replicates, ``>= 2``.
      level: interval level in ``(0, 1)``.

    Returns:
      ``{"ratio": UGCInterval, "coarse": ..., "fine": ...}``.

    Raises:
      ValueError: naming the argument.

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> noise = np.linspace(0, 0.1, 8)[:, None] * [0, 1, 1, 1]
      >>> rows = np.tile([0.0, 0.5, 0.7, 0.8], (8, 1)) + noise
      >>> iv = mdm.curves.ugc_bootstrap(rows, key=0, num_bootstrap=50)
      >>> iv["ratio"].lower <= iv["ratio"].value <= iv["ratio"].upper
      True
    """
    rows = np.asarray(row_z, dtype=np.float64)
    if rows.ndim != 2 or rows.shape[0] < 2 or rows.shape[1] < 3 or not np.all(np.isfinite(rows)):
        raise ValueError(f"row_z: expected a finite (R >= 2, d >= 3) array, got {rows.shape}")
    r, d = rows.shape
    w = np.full(r, 1.0 / r) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (r,) or np.any(~np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError(f"weights: expected {r} finite non-negative weights with a positive sum")
    w = w / w.sum()
    b = as_positive_int(num_bootstrap, "num_bootstrap", minimum=2)
    lvl = as_level(level)
    rng = np.random.default_rng(np.asarray(jax.random.key_data(as_key(key))).astype(np.uint64))

    def numbers(mean_z):
        z = np.asarray(curve_from_estimates(mean_z, np.zeros(d)).z)
        coarse, root, _ = _core(jnp.asarray(z), d)
        return float(coarse), float(root) ** 2

    plug_c, plug_f = numbers(w @ rows)
    reps = []
    for _ in range(b):  # a loop over replicates (each one jitted program call)
        idx = rng.choice(r, size=r, p=w)
        reps.append(numbers(rows[idx].mean(axis=0)))
    reps = np.asarray(reps)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(reps[:, 1] > 0, reps[:, 0] / reps[:, 1], np.nan)
    alpha = 0.5 * (1 - lvl)

    def summary(value, samples):
        lo, hi = np.nanquantile(samples, [alpha, 1 - alpha])
        return UGCInterval(value, float(np.nanstd(samples, ddof=1)), float(lo), float(hi), lvl)

    plug_r = plug_c / plug_f if plug_f > 0 else math.nan
    return {
        "ratio": summary(plug_r, ratios),
        "coarse": summary(plug_c, reps[:, 0]),
        "fine": summary(plug_f, reps[:, 1]),
    }


@scoped_x64
def ugc(curve, *, key=0, num_bootstrap: int = 200, level: float = 0.95) -> UGCProfile:
    """The gain curve and unmasking growth complexities of a law (Wainwright 2026).

    Accepts every curve mdmjax makes: an exact :func:`~mdmjax.information_curve`, the exact
    large-n curves (:func:`markov_chain`, codes, :func:`noisy_repetition`, ...), a Monte-Carlo
    curve (its plug-in ``Z``), a :class:`~mdmjax.Distribution` (its exact curve), or a
    :class:`~mdmjax.ModelCurve`. Only ``Z`` is needed: ``h^card_j = d(e_1 + e_j - e_{j+1}) =
    d Z_{j+1}``, so curves without ``Hbar`` work too.

    A :class:`~mdmjax.ModelCurve` is an estimate from a trained model's cross-entropy: its
    profile is the **model's** geometry (the ``Z^CE`` of the model's own sampler), not the
    data's; the two agree only when the model's conditionals are exact. Its ``ratio_interval``
    (and ``coarse_interval``, ``fine_interval``) come from a bootstrap over the data rows
    (:func:`ugc_bootstrap`), on the isotonic ``Z^CE`` as ``ModelCurve.curve`` uses. A
    Monte-Carlo :class:`~mdmjax.InformationCurve` keeps only per-``j`` standard errors, not its
    rows (the ``j`` estimates of a row are correlated), so its profile is the plug-in with
    ``estimate=True`` and no interval: pass the rows of
    :func:`~mdmjax.curves.monte_carlo_values` to :func:`ugc_bootstrap` for one.

    .. math::

       C_{UGC} = 2\\ell \\int_{-\\ell}^{\\ell} q\\,d\\lambda, \\quad
       P_{UGC} = \\Big(\\int_{-\\ell}^{\\ell} \\sqrt{q}\\,d\\lambda\\Big)^2, \\quad
       H(0,1) = \\frac{2}{d+1} \\sum_k \\Big(e_k - \\frac{k}{d} e_d\\Big).

    docs/theory.md §12.

    Args:
      curve: an :class:`~mdmjax.InformationCurve`, a :class:`~mdmjax.Distribution` or a
        :class:`~mdmjax.ModelCurve`, with ``n >= 2`` positions.
      key, num_bootstrap, level: the row bootstrap of a ``ModelCurve`` (ignored otherwise).

    Returns:
      a :class:`UGCProfile`.

    Raises:
      ValueError: starting with ``"curve: "`` for another type or fewer than 2 positions.

    Examples:
      >>> import math, mdmjax as mdm
      >>> u = mdm.curves.ugc(mdm.curves.repetition_curve(16, 2))
      >>> round(u.h01 / (15 / 17 * math.log(2)), 12), u.ratio >= 1
      (1.0, True)
      >>> round(mdm.curves.ugc(mdm.curves.noisy_repetition_curve(128, 0.3)).ratio, 3)
      2.165
    """
    if hasattr(curve, "row_z") and hasattr(curve, "curve") and hasattr(curve, "row_weights"):
        z = _curve_z(curve.curve)  # a ModelCurve (duck-typed: calibrate imports curves)
        iv = None
        if z.shape[0] >= 3 and np.asarray(curve.row_z).shape[0] >= 2:
            iv = ugc_bootstrap(
                curve.row_z,
                weights=curve.row_weights,
                key=key,
                num_bootstrap=num_bootstrap,
                level=level,
            )
        return UGCProfile(z, estimate=True, intervals=iv)
    if not isinstance(curve, InformationCurve) and not hasattr(curve, "probs"):
        raise ValueError(
            "curve: expected an InformationCurve, a Distribution or a ModelCurve, "
            f"got {type(curve).__name__}"
        )
    z = _curve_z(curve)
    estimate = isinstance(curve, InformationCurve) and curve.stderr is not None
    return UGCProfile(z, estimate=estimate)
