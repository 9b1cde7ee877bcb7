"""Shared argument checks that raise ``ValueError`` naming the argument."""

from __future__ import annotations

import numpy as np

from mdmjax._src.tolerances import MASS_TOLERANCE


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


def as_choice(value, choices: tuple[str, ...], argument: str) -> str:
    """``value`` if it is one of the string ``choices``, else a ``ValueError`` naming
    ``argument`` and listing them (a non-string, an array say, is refused the same way)."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{argument}: expected one of {choices}, got {value!r}")
    return value


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


def _real_number(value, argument: str, expected: str = "a number") -> float:
    """``float(value)`` for a real number; a ``bool``, a string, a complex number or anything
    ``float`` cannot convert (an array of several values, an int past the float range) is a
    ``ValueError`` naming ``argument``."""
    if isinstance(value, bool | str | bytes | complex | np.bool_ | np.complexfloating):
        raise ValueError(f"{argument}: expected {expected}, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError) as err:
        raise ValueError(f"{argument}: expected {expected}, got {value!r}") from err


def as_nonnegative_float(value, argument: str) -> float:
    """A finite float ``>= 0``, else ``ValueError``."""
    v = _real_number(value, argument)
    if not np.isfinite(v) or v < 0:
        raise ValueError(f"{argument}: must be finite and >= 0, got {value!r}")
    return v


def as_level(level, argument: str = "level") -> float:
    """A confidence level strictly between 0 and 1, else ``ValueError``."""
    v = _real_number(level, argument, "a number in (0, 1)")
    if not 0.0 < v < 1.0:
        raise ValueError(f"{argument}: must lie strictly between 0 and 1, got {level!r}")
    return v


def check_interval_rows(count: int, argument: str, minimum: int = 2, what: str = "an interval"):
    """The one check that there are rows enough to form an interval (a standard error needs two
    rows; cross-fitting two per half, four in all), else ``ValueError`` naming ``argument``."""
    if count < minimum:
        raise ValueError(f"{argument}: {what} needs at least {minimum} rows, got {count}")


def as_half_width(value, argument: str = "half_width") -> float:
    """A requested interval half-width: finite and ``> 0``, else ``ValueError``."""
    v = _real_number(value, argument)
    if not (np.isfinite(v) and v > 0):
        raise ValueError(f"{argument}: must be > 0 and finite, got {value!r}")
    return v


def as_finite_float(value, argument: str) -> float:
    """A finite float (``bool`` refused), else ``ValueError``."""
    v = _real_number(value, argument)
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


def as_real_array(value, argument: str) -> np.ndarray:
    """``value`` as a float64 array of real numbers; strings (which NumPy would parse), complex
    numbers, booleans, ints past the float range and ragged nestings are a ``ValueError`` naming
    ``argument``, never a cast that drops an imaginary part."""
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as err:  # ragged nesting
        raise ValueError(f"{argument}: expected an array of real numbers") from err
    if arr.dtype.kind not in "iuf":
        raise ValueError(f"{argument}: expected real numbers, got dtype {arr.dtype}")
    return arr.astype(np.float64)


def as_per_item(value, count: int, argument: str, what: str) -> np.ndarray:
    """``count`` finite floats from a scalar (broadcast) or one value per ``what``."""
    arr = as_real_array(value, argument)
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


def check_stochastic(
    arr: np.ndarray, argument: str, what: str, *, allow_empty_batch: bool = False
) -> None:
    """The one stochastic check: non-empty, finite, non-negative, rows (last axis) summing to 1.

    Raises:
      ValueError: naming ``argument``, with the first bad row and its sum.
    """
    if arr.shape[-1] == 0 or (arr.size == 0 and not allow_empty_batch):
        raise ValueError(f"{argument}: {what} must be non-empty, got shape {arr.shape}")
    check_finite_nonnegative(arr, argument, what)
    sums = arr.sum(axis=-1)
    bad = np.abs(sums - 1.0) > MASS_TOLERANCE
    if np.any(bad):
        where = tuple(int(i) for i in np.argwhere(bad)[0]) if sums.ndim else ()
        raise ValueError(
            f"{argument}: {what} must sum to 1 (tolerance {MASS_TOLERANCE}); "
            f"{'row ' + str(where) + ' ' if where else ''}sums to {float(sums[where])!r}"
        )


def as_stochastic(value, argument: str, ndim: tuple[int, ...], what: str) -> np.ndarray:
    """A float64 array of ``ndim`` dimensions whose rows are probability vectors, renormalized.

    Raises:
      ValueError: naming ``argument``: not numeric, wrong dimension, or not stochastic.
    """
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{argument}: expected a numeric array, got {value!r}") from err
    if arr.ndim not in ndim:
        shapes = " or ".join(f"{k}-D" for k in ndim)
        raise ValueError(f"{argument}: expected a {shapes} array, got shape {arr.shape}")
    if arr.shape[-1] == 0 or (arr.size == 0 and arr.ndim < 3):
        raise ValueError(f"{argument}: {what} must be non-empty, got shape {arr.shape}")
    check_stochastic(arr, argument, what, allow_empty_batch=arr.ndim >= 3)
    return arr / arr.sum(axis=-1, keepdims=True)
