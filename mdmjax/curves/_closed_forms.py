"""Closed-form information curves at any ``n``: products and the noisy repeated bit.

Noisy repeated bit (docs/theory.md §5): ``U ~ Ber(1/2)``, ``X_i = U xor W_i``, ``W_i ~ Ber(eta)``.
Given ``m`` revealed bits with ``c`` ones, ``P(U = 1 | c) = p_c = b_c / (a_c + b_c)`` and

.. math::

   g(m) = \\sum_{c=0}^{m} \\tfrac12 \\big(B(c; m, \\eta) + B(c; m, 1-\\eta)\\big)
          \\, H_b\\big(p_c (1-\\eta) + (1-p_c)\\eta\\big),

with ``B`` the binomial pmf and ``Z_j = g(0) - g(j-1)``. The binomial probabilities come from
Loader's saddle-point form (``stirlerr`` and ``bd0``, as in R's ``dbinom``), accurate to a few
ulps of each probability even at ``m = 10^4``, where ``log C(m, c)`` from ``lgamma`` would lose
``1e-11`` and break the monotonicity of ``Z``. ``O(n^2)`` work, vmapped over ``c``, mapped over
``m``.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from mdmjax._src.numerics import binary_entropy, entropy
from mdmjax._src.precision import scoped_x64
from mdmjax._src.validate import as_nonnegative_float, as_positive_int, as_stochastic
from mdmjax.curves._codes import mds_code
from mdmjax.curves._curve import InformationCurve
from mdmjax.curves._exact_z import exact_curve

__all__ = ["noisy_repetition_curve", "product_curve", "log_binomial_pmf"]

_LOG_2PI = math.log(2.0 * math.pi)
# stirlerr(k) = log k! - ((k + 1/2) log k - k + log(2 pi)/2), k = 0..15 (0 by convention at 0).
_STIRLERR_TABLE = np.asarray(
    [0.0]
    + [math.lgamma(k + 1) - ((k + 0.5) * math.log(k) - k + 0.5 * _LOG_2PI) for k in range(1, 16)]
)


def _stirlerr(k: jax.Array) -> jax.Array:
    s0, s1, s2, s3, s4 = 1 / 12, 1 / 360, 1 / 1260, 1 / 1680, 1 / 1188
    kk = jnp.maximum(k, 1.0)
    k2 = kk * kk
    series = jnp.where(
        kk > 500,
        (s0 - s1 / k2) / kk,
        jnp.where(
            kk > 80,
            (s0 - (s1 - s2 / k2) / k2) / kk,
            jnp.where(
                kk > 35,
                (s0 - (s1 - (s2 - s3 / k2) / k2) / k2) / kk,
                (s0 - (s1 - (s2 - (s3 - s4 / k2) / k2) / k2) / k2) / kk,
            ),
        ),
    )
    table = jnp.asarray(_STIRLERR_TABLE)[jnp.clip(k, 0, 15).astype(jnp.int32)]
    return jnp.where(k <= 15, table, series)


def _bd0(x: jax.Array, mean: jax.Array) -> jax.Array:
    """``x log(x / mean) + mean - x``, by its series when ``x`` is close to ``mean``."""
    close = jnp.abs(x - mean) < 0.1 * (x + mean)
    v = (x - mean) / jnp.where(x + mean > 0, x + mean, 1.0)
    s = (x - mean) * v
    ej = 2.0 * x * v
    v2 = v * v
    for j in range(1, 12):  # |v| < 1/19: term j is below v^(2j-1) ~ 1e-28 of s by j = 11
        ej = ej * v2
        s = s + ej / (2 * j + 1)
    safe = jnp.where(x > 0, x, 1.0) / jnp.where(mean > 0, mean, 1.0)
    direct = jnp.where(x > 0, x * jnp.log(safe), 0.0) + mean - x
    return jnp.where(close, s, direct)


@scoped_x64
@jax.jit
def log_binomial_pmf(c, m, p) -> jax.Array:
    """``log Bin(c; m, p)`` for integers ``0 <= c <= m`` and ``0 < p < 1`` (Loader 2000).

    .. math:: \\log \\mathrm{Bin} = \\delta(m) - \\delta(c) - \\delta(m-c)
              - \\mathrm{bd0}(c, mp) - \\mathrm{bd0}(m-c, m(1-p))
              - \\tfrac12 \\log\\big(2\\pi c (m-c)/m\\big)

    with ``delta = stirlerr``; the end points are ``m log(1-p)`` and ``m log p``.

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> round(float(np.exp(mdm.curves.log_binomial_pmf(1, 2, 0.5))), 12)
      0.5
    """
    c = jnp.asarray(c, dtype=jnp.float64)
    m = jnp.asarray(m, dtype=jnp.float64)
    inner = (c > 0) & (c < m)
    cs = jnp.where(inner, c, 1.0)
    ms = jnp.where(inner, m, 2.0)
    body = (
        _stirlerr(ms)
        - _stirlerr(cs)
        - _stirlerr(ms - cs)
        - _bd0(cs, ms * p)
        - _bd0(ms - cs, ms * (1.0 - p))
        - 0.5 * (_LOG_2PI + jnp.log(cs) + jnp.log1p(-cs / ms))
    )
    low = m * jnp.log1p(-p)
    high = m * jnp.log(p)
    return jnp.where(inner, body, jnp.where(c == 0, low, high))


@functools.partial(jax.jit, static_argnames=("n",))
def _noisy_profile(eta: jax.Array, n: int) -> jax.Array:
    """``g(m)``, ``m = 0..n-1``. Rows ``m = r`` and ``m = n-1-r`` (``r + 1`` and ``n - r`` values of
    ``c``) share one length-``n+1`` vector, so the triangle of ``(m, c)`` pairs is computed once."""
    t = jnp.arange(n + 1)

    def pair(r):
        m1, m2 = r, n - 1 - r
        first = t <= m1
        m = jnp.where(first, m1, m2)
        c = jnp.where(first, t, t - (m1 + 1))
        la = log_binomial_pmf(c, m, eta)  # U = 0: c ~ Bin(m, eta)
        # U = 1: c ~ Bin(m, 1 - eta) = Bin(m - c; m, eta): the same row read backwards.
        lb = la[jnp.where(first, m1 - c, m1 + 1 + m2 - c)]
        weight = 0.5 * (jnp.exp(la) + jnp.exp(lb))
        p1 = jax.nn.sigmoid(lb - la)
        terms = weight * binary_entropy(eta + p1 * (1.0 - 2.0 * eta))
        return jnp.sum(jnp.where(first, terms, 0.0)), jnp.sum(jnp.where(first, 0.0, terms))

    rows = jnp.arange((n + 1) // 2)
    g1, g2 = jax.lax.map(pair, rows, batch_size=32)
    return jnp.zeros(n).at[n - 1 - rows].set(g2).at[rows].set(g1)


@scoped_x64
def noisy_repetition_curve(n: int, eta: float = 0.1) -> InformationCurve:
    """The exact curve of the noisy repeated bit (module docstring), at any ``n``.

    Args:
      n: number of positions.
      eta: flip probability in ``[0, 1]``; ``0`` and ``1`` give the binary repetition law,
        ``1/2`` the uniform product law.

    Examples:
      >>> import mdmjax as mdm
      >>> c = mdm.curves.noisy_repetition_curve(2000, eta=0.1)
      >>> round(c.zn / 0.6931471805599453, 6) < 1
      True
    """
    n = as_positive_int(n, "n")
    eta = as_nonnegative_float(eta, "eta")
    if eta > 1:
        raise ValueError(f"eta: must lie in [0, 1], got {eta!r}")
    if eta in (0.0, 1.0):
        return mds_code(n, 1, 2)
    if eta == 0.5:
        return InformationCurve.from_z(np.zeros(n), h1=math.log(2.0))
    g = np.asarray(_noisy_profile(jnp.asarray(eta), n))
    return exact_curve(g[0] - g, h1=math.log(2.0))


@scoped_x64
def product_curve(marginals) -> InformationCurve:
    """A product law: every subset entropy is additive, so ``Z ≡ 0`` (docs/theory.md §5).

    Args:
      marginals: ``(n, q)`` probability vectors (one per position), for ``Hbar``.

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> c = mdm.curves.product_curve(np.array([[0.5, 0.5], [0.9, 0.1]]))
      >>> c.z.tolist(), c.tc
      ([0.0, 0.0], 0.0)
    """
    marg = as_stochastic(marginals, "marginals", (2,), "every marginal")
    h = entropy(np.asarray(marg), axis=1)
    return InformationCurve.from_z(np.zeros(marg.shape[0]), h1=float(np.mean(h)))
