"""The Bernoulli (MDLM/MD4 ancestral) sampler on a time grid, valued by the gain curve.

On a grid ``0 = t_0 < t_1 < .. < t_N = 1`` every still-masked position is revealed at step ``j``
independently with probability ``(t_{j+1} - t_j)/(1 - t_j)``, so a position is revealed by time
``t_j`` with probability ``t_j``. Wainwright (2026) writes its expected KL as a sum of one-step
defects of the gain curve ``h`` (:func:`mdmjax.curves.ugc`, docs/theory.md §12):

.. math::

   KL = \\sum_{j=0}^{N-1} \\Gamma(t_j, t_{j+1}), \\qquad
   \\Gamma(p, q) = \\int_p^q \\big(h(u) - h(p)\\big)\\,du
   = \\int_0^1 h - \\sum_j (t_{j+1} - t_j)\\, h(t_j).

``h`` is a Bernstein polynomial, so ``∫ h`` is exact (the integral of a Bernstein polynomial is
the Bernstein polynomial of one degree more with cumulative coefficients) and no quadrature is
needed. The same number is mdmjax's exact random-size expected KL of
``mdm.schedules.binomial(n, reveal_probs)`` with those probabilities (a second, independent code
path; the tests check the identity on random laws).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from mdmjax._src.precision import scoped_x64
from mdmjax.curves import as_curve, bernstein

__all__ = ["bernoulli_kl", "bernoulli_kl_kernel", "grid_reveal_probs", "as_grid"]


def bernoulli_kl_kernel(z: jax.Array, grid: jax.Array) -> jax.Array:
    """Pure form of :func:`bernoulli_kl` (jit, vmap, grad in the interior grid points).

    Args:
      z: ``(n,)`` information curve ``Z_1..Z_n`` (float64).
      grid: ``(N+1,)`` increasing points from 0 to 1 (not checked here).

    Returns:
      the scalar ``Σ_j Γ(t_j, t_{j+1})`` in nats.

    Examples:
      A repeated bit, ``n = 4``: ``Z = (0, ln 2, ln 2, ln 2)``, so ``h(t) = 4 ln 2 (1 - (1-t)^3)``
      and on ``[0, 1/2, 1]`` the KL is ``∫h - h(1/2)/2 = 3 ln 2 - 1.75 ln 2 = 1.25 ln 2``:

      >>> import jax, jax.numpy as jnp, math, mdmjax as mdm
      >>> z = mdm.curves.repetition_curve(4, 2).z
      >>> with jax.enable_x64(True):
      ...     kl = mdm.kl.bernoulli_kl_kernel(jnp.asarray(z), jnp.array([0.0, 0.5, 1.0]))
      >>> round(float(kl) / math.log(2), 12)
      1.25
    """
    n = z.shape[-1]
    h_card = n * z
    integral = jnp.sum(h_card) / n  # ∫_0^1 h = mean of the coefficients
    left = bernstein(h_card, grid[:-1])
    return integral - jnp.sum(jnp.diff(grid) * left)


_bernoulli_kl_jit = jax.jit(bernoulli_kl_kernel)


def as_grid(grid, argument: str = "grid") -> np.ndarray:
    """A validated grid ``0 = t_0 < t_1 < .. < t_N = 1`` (float64), ``N >= 1``.

    Args:
      grid: the points, any 1-D sequence of numbers.
      argument: the name error messages start with.

    Returns:
      the grid as a float64 NumPy array.

    Raises:
      ValueError: naming ``argument``: not 1-D, fewer than 2 points, not finite, not from 0 to
        1, or not strictly increasing.

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.kl.as_grid([0, 0.25, 1]).tolist()
      [0.0, 0.25, 1.0]
      >>> mdm.kl.as_grid([0, 0.5, 0.5, 1], "times")
      Traceback (most recent call last):
        ...
      ValueError: times: must be strictly increasing
    """
    try:
        arr = np.asarray(grid, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{argument}: expected a 1-D array of numbers") from None
    if arr.ndim != 1 or arr.size < 2:
        raise ValueError(f"{argument}: expected at least 2 points (0 and 1), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{argument}: entries must be finite")
    if arr[0] != 0.0 or arr[-1] != 1.0:
        raise ValueError(f"{argument}: must start at 0 and end at 1, got {arr[0]!r}..{arr[-1]!r}")
    if np.any(np.diff(arr) <= 0):
        raise ValueError(f"{argument}: must be strictly increasing")
    return arr


@scoped_x64
def grid_reveal_probs(grid) -> np.ndarray:
    """Per-step reveal probabilities ``(t_{j+1} - t_j)/(1 - t_j)`` of a grid (the last is 1).

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.kl.grid_reveal_probs([0.0, 0.5, 0.75, 1.0]).tolist()
      [0.5, 0.5, 1.0]
    """
    t = as_grid(grid)
    probs = np.diff(t) / (1.0 - t[:-1])
    probs[-1] = 1.0
    return probs


@scoped_x64
def bernoulli_kl(curve, grid) -> float:
    """Exact expected KL of the Bernoulli sampler on ``grid`` (Wainwright 2026, one-step defects).

    .. math:: KL = \\sum_j \\int_{t_j}^{t_{j+1}} \\big(h(u) - h(t_j)\\big)\\,du

    with ``h`` the gain curve (:func:`mdmjax.curves.ugc`); equal to
    ``mdm.expected_kl(curve, mdm.schedules.binomial(n, mdm.kl.grid_reveal_probs(grid)))``.
    docs/theory.md §12.

    Args:
      curve: an :class:`~mdmjax.InformationCurve` or :class:`~mdmjax.Distribution`.
      grid: ``0 = t_0 < t_1 < .. < t_N = 1``.

    Returns:
      the KL in nats (a float).

    Raises:
      ValueError: ``"curve: ..."`` or ``"grid: ..."`` (not increasing from 0 to 1).

    Examples:
      >>> import math, mdmjax as mdm
      >>> c = mdm.curves.repetition_curve(4, 2)   # KL = (one-step TC) = 3 ln 2 on the grid [0, 1]
      >>> round(mdm.kl.bernoulli_kl(c, [0.0, 1.0]) / math.log(2), 12)
      3.0
      >>> s = mdm.schedules.binomial(4, mdm.kl.grid_reveal_probs([0, 0.5, 1]))
      >>> abs(mdm.kl.bernoulli_kl(c, [0, 0.5, 1]) - mdm.expected_kl(c, s)) < 1e-12
      True
    """
    c = as_curve(curve)
    t = as_grid(grid)
    z = jnp.asarray(c.z, dtype=jnp.float64)
    return float(_bernoulli_kl_jit(z, jnp.asarray(t)))
