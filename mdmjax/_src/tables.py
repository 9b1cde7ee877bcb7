"""The one probability-table check, shared by every public entry that takes a table.

:meth:`mdmjax.Distribution.from_probs`, :func:`mdmjax.information_curve` and
:func:`mdmjax.subset_entropies` (on a raw array) all call :func:`as_probability_table`, so a
hostile table gets the same ``ValueError`` (naming the argument) wherever it enters.

Refused, in this order: strings and bytes; ragged nested lists and object arrays; dtypes that are
not real numbers (bool, complex, str, datetime, ...); 0-d arrays (no position) and empty axes; a
table that would not fit in memory; NaN or infinite entries; negative entries; a total mass off 1
by more than :func:`~mdmjax._src.tolerances.mass_tolerance` of the input dtype (1e-9 for float64
and integers, about ``64 sqrt(size) eps`` for float32/float16). The accepted table is returned in
float64, divided by its float64 total mass, so a table normalized in float32 is renormalized.

Traced input (inside the caller's ``jit``/``vmap``) has no values to check: its dtype and shape
are checked (they are static), its values are not, and it is returned as float64 unnormalized.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from mdmjax._src.memory import check_allocation, table_bytes
from mdmjax._src.precision import require_float64
from mdmjax._src.tolerances import mass_tolerance

__all__ = ["as_probability_table", "as_real_array", "check_table_dtype", "check_table_shape"]


def _summary(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_table_dtype(dtype, argument: str) -> None:
    """``ValueError`` unless ``dtype`` holds real numbers (int, uint or float; not bool)."""
    try:
        real = bool(jnp.issubdtype(dtype, jnp.integer) or jnp.issubdtype(dtype, jnp.floating))
    except TypeError:
        real = False
    if real and np.dtype(dtype) != np.bool_:
        return
    if np.dtype(dtype).kind == "c":
        raise ValueError(
            f"{argument}: complex tables are not probabilities (dtype {np.dtype(dtype)}); pass the "
            "real probabilities"
        )
    raise ValueError(
        f"{argument}: expected real numbers (a float or integer array), got dtype {np.dtype(dtype)}"
    )


def check_table_shape(shape: tuple[int, ...], argument: str) -> None:
    """``ValueError`` unless ``shape`` has ``n >= 1`` axes, each non-empty."""
    if len(shape) < 1:
        raise ValueError(
            f"{argument}: a law needs at least 1 position, got a scalar (shape {tuple(shape)})"
        )
    if min(shape) < 1:
        raise ValueError(
            f"{argument}: every axis needs at least one value, got shape {tuple(shape)}"
        )


def as_real_array(value, argument: str):
    """A concrete array of real numbers with ``n >= 1`` non-empty axes, values unchecked.

    A ``jax.Array`` is returned as given (it stays on its device); anything else becomes a NumPy
    array of its own dtype.

    Raises:
      ValueError: naming ``argument``: a string or bytes, a ragged nested list, objects, a
        non-real dtype, a 0-d array or an empty axis.
    """
    if isinstance(value, str | bytes | bytearray):
        raise ValueError(
            f"{argument}: expected a numeric probability table, got {type(value).__name__} "
            f"{_summary(value)}"
        )
    if isinstance(value, jax.Array):
        arr = value
    else:
        try:
            arr = np.asarray(value)
        except (ValueError, TypeError) as err:  # ragged nested lists, unconvertible objects
            raise ValueError(
                f"{argument}: expected a rectangular numeric array (nested lists of equal "
                f"lengths), got {_summary(value)}"
            ) from err
        if arr.dtype == object:
            raise ValueError(
                f"{argument}: expected a rectangular numeric array, got objects "
                f"({_summary(value)}); ragged nested lists and non-numbers are not tables"
            )
    check_table_dtype(arr.dtype, argument)
    check_table_shape(tuple(arr.shape), argument)
    return arr


@jax.jit
def _device_summary(table: jax.Array):
    """``(#non-finite, #negative, smallest, total mass)`` of a device table, in float64."""
    t = table.astype(jnp.float64)
    finite = jnp.isfinite(t)
    return (
        jnp.sum(~finite),
        jnp.sum(t < 0),
        jnp.min(jnp.where(finite, t, jnp.inf)),
        jnp.sum(jnp.where(finite, t, 0.0)),
    )


def as_probability_table(value, argument: str = "p", *, normalize: bool = True):
    """Validate a probability table and return it in float64, divided by its total mass.

    Call it inside ``jax.enable_x64(True)`` (every public function is ``@scoped_x64``).

    Args:
      value: array-like of shape ``(q_1, ..., q_n)``, ``n >= 1``, of real numbers: a NumPy array,
        a (nested) list, a concrete ``jax.Array`` (checked and normalized on its device) or a
        tracer (only its dtype and shape are checked).
      argument: the name that starts every error message.
      normalize: divide by the float64 total mass (else return the float64 values as given).

    Returns:
      a float64 NumPy array for host input, a float64 ``jax.Array`` for device or traced input.

    Raises:
      ValueError: ``f"{argument}: ..."`` for any input listed in the module docstring.
    """
    if isinstance(value, jax.core.Tracer):
        require_float64(value, argument)  # a float32 tracer was rounded before it got here
        check_table_dtype(value.dtype, argument)
        check_table_shape(tuple(value.shape), argument)
        return jnp.asarray(value, dtype=jnp.float64)
    arr = as_real_array(value, argument)
    on_device = isinstance(arr, jax.Array)
    shape = tuple(int(s) for s in arr.shape)
    check_allocation(table_bytes(shape), f"a probability table of shape {shape}", argument=argument)
    if on_device:
        nonfinite, negative, smallest, mass = (np.asarray(v) for v in _device_summary(arr))
        table = arr.astype(jnp.float64)
    else:
        table = np.asarray(arr, dtype=np.float64)
        finite = np.isfinite(table)
        nonfinite = table.size - np.count_nonzero(finite)
        negative = np.count_nonzero(table < 0)
        smallest = table.min() if not nonfinite else table[finite].min(initial=np.inf)
        with np.errstate(over="ignore"):  # an overflowing mass is refused just below
            mass = table.sum() if not nonfinite else None
    if int(nonfinite):
        raise ValueError(
            f"{argument}: {int(nonfinite)} entries are NaN or infinite; probabilities must be "
            "finite"
        )
    if int(negative):
        raise ValueError(
            f"{argument}: {int(negative)} entries are negative (smallest {float(smallest):.3g}); "
            "probabilities must be >= 0"
        )
    mass = float(mass)
    tolerance = mass_tolerance(arr.dtype, table.size)
    if not abs(mass - 1.0) <= tolerance:
        raise ValueError(
            f"{argument}: total mass is {mass!r}, not 1 (tolerance {tolerance:.3g} for "
            f"{np.dtype(arr.dtype).name} input); normalize it first"
        )
    return table / mass if normalize else table
