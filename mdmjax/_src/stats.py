"""Shared statistics: a mean with its standard error, plain or weighted (docs/theory.md §8.7).

One home for the estimate ``mean ± se`` of Monte-Carlo curves and of model curves. Names carry
no underscore: they are shared on purpose within the package.
"""

from __future__ import annotations

import numpy as np

__all__ = ["mean_stderr", "weighted_mean_stderr"]


def mean_stderr(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean over rows (axis 0) and its standard error ``sd / sqrt(m)`` (``inf`` for ``m < 2``).

    Examples:
      >>> import numpy as np
      >>> m, se = mean_stderr(np.array([[1.0], [3.0]]))
      >>> m.tolist(), se.tolist()
      ([2.0], [1.0])
    """
    m = values.shape[0]
    mean = values.mean(axis=0)
    if m < 2:
        return mean, np.full(mean.shape, np.inf)
    return mean, values.std(axis=0, ddof=1) / np.sqrt(m)


def weighted_mean_stderr(values, weights) -> tuple[np.ndarray, np.ndarray]:
    """Weighted mean over rows (axis 0) and its standard error.

    ``se^2 = R/(R-1) sum_r w_r^2 (v_r - mean)^2`` for weights summing to 1; with equal weights
    ``sd / sqrt(R)``.

    Examples:
      >>> import numpy as np
      >>> m, se = weighted_mean_stderr(np.array([[1.0], [3.0]]), np.array([0.5, 0.5]))
      >>> m.tolist(), se.tolist()
      ([2.0], [1.0])
    """
    w = np.asarray(weights, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    mean = np.tensordot(w, v, axes=(0, 0))
    r = w.shape[0]
    dev = v - mean[None, ...]
    var = np.tensordot(np.square(w), np.square(dev), axes=(0, 0)) * (r / max(r - 1, 1))
    return mean, np.sqrt(np.maximum(var, 0.0))
