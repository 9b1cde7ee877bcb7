"""Shared numerical primitives: entropy, KL between tables, the normal quantile.

One home for each formula (docs/theory.md §10.2, §10.3): every module of mdmjax that needs an
entropy ``-sum p log p``, a KL sum ``sum_{p > 0} p (log p - log q)``, the one clipping rule for a
KL that rounding took below 0, or a two-sided normal quantile calls these. Names carry no
underscore: they are shared on purpose within the package (as diffrax's ``_misc.py``), and are
not part of the public API.

``0 log 0 = 0`` is explicit everywhere: ``xlogy`` (JAX) or a mask on the support (NumPy).
"""

from __future__ import annotations

import math
from statistics import NormalDist

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import xlog1py, xlogy

from mdmjax._src.tolerances import KL_ROUNDING_TOLERANCE
from mdmjax._src.validate import as_level

__all__ = [
    "xlogx",
    "entropy",
    "entropy_fsum",
    "safe_log",
    "kl_terms",
    "kl_fsum",
    "clip_kl",
    "normal_quantile",
    "binary_entropy",
]


def xlogx(p):
    """``p log p`` elementwise, exactly 0 where ``p = 0`` (NumPy in, NumPy out; else JAX).

    Examples:
      >>> import numpy as np
      >>> xlogx(np.array([0.0, 1.0])).tolist()
      [0.0, 0.0]
    """
    if isinstance(p, np.ndarray):
        return np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    return xlogy(p, p)


def entropy(p, axis=-1):
    """``H(p) = -sum p log p`` over ``axis`` (``None``: the whole table), in nats.

    NumPy input is summed with NumPy, anything else with ``jax.numpy`` (traceable under ``jit``).

    Examples:
      >>> import numpy as np
      >>> float(entropy(np.array([0.5, 0.5, 0.0])) / np.log(2))
      1.0
    """
    if isinstance(p, np.ndarray):
        return -np.sum(xlogx(p), axis=axis)
    return -jnp.sum(xlogy(p, p), axis=axis)


def entropy_fsum(p: np.ndarray) -> float:
    """``-sum p log p`` of the positive entries ``p`` (NumPy), exactly rounded (``math.fsum``).

    Examples:
      >>> import numpy as np
      >>> round(entropy_fsum(np.array([0.25] * 4)) / float(np.log(2)), 12)
      2.0
    """
    return -math.fsum((p * np.log(p)).tolist())


def safe_log(x):
    """``log x`` where ``x > 0`` and 0 elsewhere (a value used only off the support; JAX).

    Examples:
      >>> import jax.numpy as jnp
      >>> safe_log(jnp.array([1.0, 0.0])).tolist()
      [0.0, 0.0]
    """
    return jnp.log(jnp.where(x > 0, x, 1.0))


def kl_terms(p: jax.Array, log_q: jax.Array) -> jax.Array:
    """The terms ``p (log p - log q)`` of ``KL(p || q)``, 0 off the support of ``p`` (JAX).

    Sum them over the axes wanted; where ``q`` may vanish on the support of ``p`` the caller
    decides (the KL is then ``+inf``).

    Examples:
      >>> import jax.numpy as jnp
      >>> p = jnp.array([0.5, 0.5, 0.0])
      >>> round(float(jnp.sum(kl_terms(p, jnp.log(jnp.array([0.25, 0.25, 0.5]))))), 6)
      0.693147
    """
    return jnp.where(p > 0, xlogy(p, p) - p * log_q, 0.0)


def kl_fsum(p: np.ndarray, log_q: np.ndarray) -> float:
    """``sum p (log p - log q)`` over the positive entries ``p`` (NumPy), exactly rounded.

    Examples:
      >>> import numpy as np
      >>> round(kl_fsum(np.array([0.5, 0.5]), np.log([0.25, 0.75])), 6)
      0.143841
    """
    return math.fsum((p * (np.log(p) - log_q)).tolist())


def clip_kl(kl: float) -> float:
    """The one clipping rule for a KL: a rounding-level negative becomes 0, nothing else moves.

    A KL is non-negative; a value in ``(-KL_ROUNDING_TOLERANCE, 0)`` is cancellation in its sum
    and is returned as 0, while a larger negative (a bug) is returned as it is, to be seen
    (docs/theory.md §10.3).

    Examples:
      >>> clip_kl(-1e-15), clip_kl(0.25)
      (0.0, 0.25)
    """
    return 0.0 if -KL_ROUNDING_TOLERANCE < kl < 0 else kl


def normal_quantile(level, count: int = 1, argument: str = "level") -> float:
    """The two-sided standard-normal quantile ``r`` of ``level``, Bonferroni over ``count``.

    ``r = Phi^{-1}(1 - (1 - level) / (2 count))``: ``|N(0, 1)| <= r`` with probability ``level``
    (``count = 1``), or for all of ``count`` independent ones with probability at least
    ``level`` (docs/theory.md §9.4). ``level`` is checked by ``as_level``.

    Examples:
      >>> round(normal_quantile(0.95), 4), round(normal_quantile(0.95, count=2), 4)
      (1.96, 2.2414)
    """
    lvl = as_level(level, argument)
    return NormalDist().inv_cdf(1.0 - (1.0 - lvl) / (2.0 * count))


def binary_entropy(t):
    """``H_b(t) = -t log t - (1 - t) log(1 - t)`` elementwise, in nats (JAX; 0 at t = 0 and 1).

    ``log(1 - t)`` is taken as ``log1p(-t)``, accurate for small ``t``.

    Examples:
      >>> import jax.numpy as jnp
      >>> round(float(binary_entropy(jnp.asarray(0.5)) / jnp.log(2.0)), 6)
      1.0
    """
    return -xlogy(t, t) - xlog1py(1.0 - t, -t)
