"""Upstream samplers' float32 arithmetic, reproduced on the host bit for bit.

PyTorch samplers build their time grids with ``torch.linspace`` on float32 tensors; where a
count or a probability is decided by a float32 rounding, mdmjax reproduces that rounding instead
of the exact value (docs/upstream_notes.md).
"""

from __future__ import annotations

import numpy as np

__all__ = ["F32", "linspace32", "cos32"]

F32 = np.float32


def linspace32(start: float, end: float, num: int) -> np.ndarray:
    """``torch.linspace(start, end, num)`` in float32 as the CUDA kernel computes it.

    ``step = f32(end - start) / (num - 1)``; index ``i < num // 2`` is ``start + step * i``, the
    others ``end - step * (num - 1 - i)``, each multiply-add rounded once (nvcc contracts it; the
    float64 product and sum are exact here, so one rounding to float32 reproduces the fma).

    Examples:
      >>> from mdmjax._src.float32 import linspace32
      >>> linspace32(1.0, 1e-3, 3).tolist()
      [1.0, 0.5005000233650208, 0.0010000000474974513]
    """
    a, b = F32(start), F32(end)
    if num == 1:
        return np.array([a], dtype=F32)
    step = F32(F32(b - a) / F32(num - 1))
    i = np.arange(num)
    lower = i < num // 2
    base = np.where(lower, np.float64(a), np.float64(b))
    k = np.where(lower, i, -(num - 1 - i)).astype(np.float64)
    return (base + np.float64(step) * k).astype(F32)


def cos32(x) -> np.ndarray:
    """Correctly rounded float32 cosine of float32 ``x``."""
    return np.cos(np.asarray(x, dtype=F32).astype(np.float64)).astype(F32)
