"""Closed-form information curves at any ``n`` (docs/theory.md §4–5), for the large-n experiments.

* MDS codes of dimension ``d`` over ``F_q`` (repetition ``d = 1``, parity ``d = n - 1``,
  Reed–Solomon): ``Z_j = ln q · 1[j > d]``.
* Noisy repeated bit (``U ~ Ber(1/2)``, ``X_i = U xor W_i``, ``W_i ~ Ber(eta)``):
  ``g(m) = sum_c 1/2 C(m, c) (a_c + b_c) H_b(p_c (1 - eta) + (1 - p_c) eta)`` with
  ``a_c = eta^c (1-eta)^(m-c)``, ``b_c = eta^(m-c) (1-eta)^c``, ``p_c = b_c / (a_c + b_c)``, and
  ``Z_j = g(0) - g(j - 1)``. Evaluated in log space so that ``n`` in the thousands is fine.

The tests hold both against enumeration at small ``n``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import gammaln

import mdmjax as mdm


def mds_curve(n: int, q: int, d: int) -> mdm.InformationCurve:
    """``Z_j = ln q · 1[j > d]``, with ``Hbar_1 = ln q``."""
    j = np.arange(1, n + 1)
    return mdm.InformationCurve.from_z(math.log(q) * (j > d), h1=math.log(q))


def _binary_entropy(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -(np.where(p > 0, p * np.log(p), 0.0) + np.where(p < 1, (1 - p) * np.log1p(-p), 0.0))
    return h


def noisy_repetition_g(n: int, eta: float) -> np.ndarray:
    """``g(m)`` for ``m = 0..n-1`` (nats), by docs/theory.md §5 in log space."""
    le, l1e = math.log(eta), math.log1p(-eta)
    out = np.empty(n)
    for m in range(n):
        c = np.arange(m + 1)
        log_a = c * le + (m - c) * l1e
        log_b = (m - c) * le + c * l1e
        log_ab = np.logaddexp(log_a, log_b)
        log_w = gammaln(m + 1) - gammaln(c + 1) - gammaln(m - c + 1) + log_ab - math.log(2)
        p_c = np.exp(log_b - log_ab)
        out[m] = np.sum(np.exp(log_w) * _binary_entropy(p_c * (1 - eta) + (1 - p_c) * eta))
    return out


def noisy_repetition_curve(n: int, eta: float) -> mdm.InformationCurve:
    g = noisy_repetition_g(n, eta)
    z = g[0] - g
    z = np.maximum.accumulate(np.maximum(z, 0.0))  # remove 1e-16 rounding wiggles
    z[0] = 0.0
    return mdm.InformationCurve.from_z(z, h1=g[0])
