"""Private helpers shared by the family constructors.

The table memory guard, alphabet and integer-array checks, the probability-vector check
(numpy when concrete, passed through when traced) and the broadcast outer products that build
every table one position at a time (loops run over positions, never over states).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from mdmjax._src.memory import check_allocation, memory_limit, table_bytes
from mdmjax._src.validate import as_nonnegative_float, as_positive_int, check_stochastic


def is_tracer(x) -> bool:
    return isinstance(x, jax.core.Tracer)


def _describe(shape: tuple[int, ...]) -> str:
    if len(shape) > 6 and len(set(shape)) == 1:
        return f"({shape[0]},)*{len(shape)}"
    return str(tuple(shape))


def guard_table(shape: Sequence[int], family: str, argument: str, copies: int = 2) -> None:
    """Refuse a ``shape`` table (plus ``copies - 1`` temporaries) that would not fit in memory."""
    shape = tuple(int(s) for s in shape)
    check_allocation(
        table_bytes(shape) * copies,
        f"the {family} table of shape {_describe(shape)} ({math.prod(shape)} states)",
        hint="Use fewer positions or smaller alphabets (the table is dense).",
        argument=argument,
    )


# A family's law is a dense table with one axis per position, and NumPy arrays have at most 64
# axes; checked before anything of length n is built (n = 10**9 would otherwise build a
# billion-entry shape tuple before the memory guard could refuse the table).
MAX_TABLE_POSITIONS = 64


def as_table_positions(n, argument: str = "n") -> int:
    """The number of positions of a dense family table: an int in ``1..64``, else ValueError."""
    n = as_positive_int(n, argument)
    if n > MAX_TABLE_POSITIONS:
        raise ValueError(
            f"{argument}: a family's law is a dense table with one axis per position, and NumPy "
            f"allows at most {MAX_TABLE_POSITIONS} axes, got n = {n} (mdm.curves.family_curve "
            "computes the curves of large-n families without the table)"
        )
    return n


def guard_uniform_table(q, n: int, family: str, copies: int = 2) -> None:
    """:func:`guard_table` for the table of a family built from ``n`` and ``q`` (an int, shared,
    or one alphabet size per position); the message names ``q`` when a binary table of the same
    ``n`` would fit, else ``n``."""
    shape = (q,) * n if np.ndim(q) == 0 else tuple(q)
    binary_fits = table_bytes((2,) * n) * copies <= memory_limit()
    guard_table(shape, family, "q" if binary_fits else "n", copies=copies)


def as_probability(value, argument: str) -> float:
    v = as_nonnegative_float(value, argument)
    if v > 1:
        raise ValueError(f"{argument}: must lie in [0, 1], got {value!r}")
    return v


def as_alphabets(q, n: int, argument: str = "q") -> tuple[int, ...]:
    """``q`` for every position: an int (shared) or a sequence of ``n`` ints, each ``>= 1``."""
    if np.ndim(q) == 0:
        return (as_positive_int(q, argument),) * n
    qs = tuple(as_positive_int(v, argument) for v in np.asarray(q).tolist())
    if len(qs) != n:
        raise ValueError(f"{argument}: has {len(qs)} alphabet sizes, but n = {n}")
    return qs


def as_int_array(value, argument: str, ndim: int) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype == object or arr.dtype.kind not in "iuf" or arr.dtype.kind == "b":
        raise ValueError(f"{argument}: expected integers, got {value!r}")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValueError(f"{argument}: expected integers, got {arr.tolist()}")
    if arr.ndim != ndim:
        raise ValueError(f"{argument}: expected a {ndim}-D integer array, got shape {arr.shape}")
    return arr.astype(np.int64)


def prob_array(value, argument: str, ndim: int, what: str):
    """A float64 probability array: validated with numpy when concrete, passed through if traced."""
    if is_tracer(value):
        arr = jnp.asarray(value, dtype=jnp.float64)
        if arr.ndim != ndim:
            raise ValueError(f"{argument}: expected a {ndim}-D array, got shape {arr.shape}")
        return arr
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{argument}: expected a numeric array, got {value!r}") from err
    if arr.ndim != ndim:
        raise ValueError(f"{argument}: expected a {ndim}-D array, got shape {arr.shape}")
    check_stochastic(arr, argument, what)
    return arr


def array_module(arrays):
    """``jax.numpy`` when any array is traced (``jit``/``vmap``), else ``numpy``.

    Concrete tables are built with numpy: eager JAX would compile small kernels for every new
    shape, which costs more than the arithmetic.
    """
    return jnp if any(is_tracer(a) for a in arrays) else np


def outer(vectors):
    """``t[x_1..x_n] = prod_i v_i[x_i]``, by broadcasting one position at a time."""
    xp = array_module(vectors)
    t = xp.asarray(vectors[0])
    for v in vectors[1:]:
        t = t[..., None] * xp.reshape(xp.asarray(v), (1,) * t.ndim + (-1,))
    return t


def batched_outer(matrices):
    """``t[c, x_1..x_n] = prod_i m_i[c, x_i]`` for ``(m, q_i)`` matrices."""
    xp = array_module(matrices)
    t = xp.asarray(matrices[0])
    for mat in matrices[1:]:
        m = mat.shape[0]
        t = t[..., None] * xp.reshape(
            xp.asarray(mat), (m,) + (1,) * (t.ndim - 1) + (mat.shape[-1],)
        )
    return t
