"""Shared argument checks that raise ``ValueError`` naming the argument."""

from __future__ import annotations

import numpy as np


def as_sizes(sizes, n: int, argument: str = "sizes", allow_batch: bool = True) -> np.ndarray:
    """Validate a schedule (or a 2-D batch of schedules padded with zeros).

    A 1-D schedule is a sequence of positive integers summing to ``n``. In a 2-D batch each row
    sums to ``n`` and zeros are allowed (they are padding: a zero-size step costs nothing).

    Returns:
      an int64 array of the same shape.
    """
    arr = np.asarray(sizes)
    if arr.dtype == object:
        raise ValueError(f"{argument}: expected a sequence of integers, got {sizes!r}")
    if arr.ndim not in ((1, 2) if allow_batch else (1,)):
        raise ValueError(
            f"{argument}: expected a 1-D schedule"
            + (" or a 2-D batch of schedules" if allow_batch else "")
            + f", got an array of shape {arr.shape}"
        )
    if arr.shape[-1] == 0:
        raise ValueError(f"{argument}: a schedule needs at least one step, got zero steps")
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
        raise ValueError(f"{argument}: expected integers, got dtype {arr.dtype}")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValueError(f"{argument}: step sizes must be integers, got {arr.tolist()}")
    arr = arr.astype(np.int64)
    if arr.ndim == 1:
        if np.any(arr < 1):
            raise ValueError(f"{argument}: every step size must be >= 1, got {arr.tolist()}")
        if arr.sum() != n:
            raise ValueError(f"{argument}: step sizes sum to {int(arr.sum())}, but n = {n}")
    else:
        if np.any(arr < 0):
            raise ValueError(f"{argument}: step sizes must be >= 0 (zeros pad a batch)")
        sums = arr.sum(axis=1)
        bad = np.nonzero(sums != n)[0]
        if bad.size:
            raise ValueError(
                f"{argument}: row {int(bad[0])} sums to {int(sums[bad[0]])}, but n = {n}"
            )
    return arr


def as_positive_int(value, argument: str, minimum: int = 1) -> int:
    """An integer ``>= minimum``, else ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise ValueError(f"{argument}: expected an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{argument}: must be >= {minimum}, got {value}")
    return int(value)


def as_nonnegative_float(value, argument: str) -> float:
    """A finite float ``>= 0``, else ``ValueError``."""
    try:
        v = float(value)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{argument}: expected a number, got {value!r}") from err
    if not np.isfinite(v) or v < 0:
        raise ValueError(f"{argument}: must be finite and >= 0, got {value!r}")
    return v


def as_finite_float(value, argument: str) -> float:
    """A finite float (``bool`` refused), else ``ValueError``."""
    if isinstance(value, bool):
        raise ValueError(f"{argument}: expected a number, got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{argument}: expected a number, got {value!r}") from err
    if not np.isfinite(v):
        raise ValueError(f"{argument}: must be finite, got {value!r}")
    return v


def as_positive_float(value, argument: str) -> float:
    """A finite float ``> 0``, else ``ValueError``."""
    v = as_nonnegative_float(value, argument)
    if v <= 0:
        raise ValueError(f"{argument}: must be > 0, got {value!r}")
    return v


def check_finite_nonnegative(arr: np.ndarray, argument: str, what: str) -> None:
    """``ValueError`` unless every entry of the numeric array ``arr`` is finite and ``>= 0``."""
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{argument}: {what} has NaN or infinite entries")
    if np.any(arr < 0):
        raise ValueError(f"{argument}: {what} has negative entries (smallest {arr.min():.3g})")


def as_per_item(value, count: int, argument: str, what: str) -> np.ndarray:
    """``count`` finite floats from a scalar (broadcast) or one value per ``what``."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{argument}: expected numbers, got {value!r}") from err
    if arr.ndim == 0:
        arr = np.full(count, float(arr))
    if arr.shape != (count,):
        raise ValueError(
            f"{argument}: expected a scalar or one value per {what} ({count}), got shape "
            f"{arr.shape}"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{argument}: entries must be finite")
    return arr
