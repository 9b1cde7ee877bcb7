"""Gaussian smoothing of a 1-D profile on the host (numpy), with edge-replicating padding.

Used to turn a raw information profile ``f`` (noisy, or a single spike for a code) into the
smoothed profile of the Lavenant–Zanella square-root rule, and to build the continuation levels of
the optax search. Edge replication keeps a non-decreasing input non-decreasing.
"""

from __future__ import annotations

import math

import numpy as np


def gaussian_smooth(x, sigma: float) -> np.ndarray:
    """``x`` convolved with a normalized Gaussian of standard deviation ``sigma`` (in samples).

    ``sigma <= 0`` returns a float64 copy of ``x``. The input is padded with its edge values over
    ``ceil(4 sigma)`` samples on both sides, so a constant input stays constant and a monotone one
    stays monotone.
    """
    arr = np.asarray(x, dtype=np.float64)
    if sigma <= 0 or arr.size < 2:
        return arr.copy()
    half = int(math.ceil(4.0 * sigma))
    offsets = np.arange(-half, half + 1, dtype=np.float64)
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2)
    kernel /= kernel.sum()
    padded = np.concatenate([np.full(half, arr[0]), arr, np.full(half, arr[-1])])
    return np.convolve(padded, kernel, mode="valid")
