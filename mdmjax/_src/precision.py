"""Scoped float64: exact means float64, without touching the user's global JAX configuration.

Importing mdmjax changes no global JAX setting (``jax_enable_x64`` stays as the user left it). Every
public function runs its body under ``jax.enable_x64(True)`` (:func:`scoped_x64`), so its arrays
are float64 and its results are float64 (NumPy arrays or Python floats), while a user's float32
model in the same process stays float32. docs/theory.md §10.

Composing mdmjax kernels (:func:`mdmjax.kl.theorem4` and the other pure kernels) under your own
``jax.jit``, ``jax.vmap`` or ``jax.grad``: run the transformation inside the same scope,

    >>> import jax, jax.numpy as jnp, mdmjax as mdm
    >>> with jax.enable_x64(True):
    ...     z = jnp.array([0.0, 1.0, 1.0, 1.0])
    ...     float(jax.jit(mdm.kl.theorem4)(z, jnp.array([2, 2, 0])))
    1.0

A kernel traced with float32 inputs (x64 off while the user's ``jit`` traced it) raises
:class:`ValueError` instead of rounding silently (:func:`require_float64`).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import TypeVar

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["scoped_x64", "require_float64", "is_traced"]

F = TypeVar("F", bound=Callable)


_DEPTH = threading.local()


def _to_host(x):
    """A concrete float64/int64 JAX array as a NumPy array; anything else unchanged.

    A float64 JAX array handed back to a caller without x64 would be silently truncated to
    float32 by the caller's next ``jnp`` operation; a NumPy array keeps its precision.
    """
    if not isinstance(x, jax.Array) or isinstance(x, jax.core.Tracer):
        return x
    if jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key) or not x.is_fully_addressable:
        return x  # keys stay keys; arrays spanning other processes stay sharded
    if len(x.sharding.device_set) > 1:
        return x  # a result sharded over several devices stays where the mesh put it
    return np.asarray(x) if jnp.issubdtype(x.dtype, jnp.number) else x


def _any_traced(tree) -> bool:
    """Whether any leaf of ``tree`` is a floating tracer narrower than float64.

    Such a tracer was rounded before mdmjax saw it. Integer and PRNG-key tracers (a ``vmap`` over
    keys, say) carry no rounding and pass. An object not yet flattenable counts as not traced.
    """
    try:
        leaves = jax.tree_util.tree_leaves(tree)
    except Exception:  # e.g. ``self`` of a pytree class inside its own ``__init__``
        return False
    return any(
        is_traced(leaf) and jnp.issubdtype(leaf.dtype, jnp.floating) and leaf.dtype != jnp.float64
        for leaf in leaves
    )


def scoped_x64(fn: F) -> F:
    """Decorator: run ``fn`` under ``jax.enable_x64(True)`` and restore the caller's setting.

    At the outermost decorated call, concrete JAX arrays in the result (also inside tuples,
    dicts and pytrees such as :class:`~mdmjax.InformationCurve`) are returned as NumPy arrays, so
    that they stay float64 in a caller whose x64 is off. Traced values are returned as they are.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if getattr(_DEPTH, "value", 0) > 0 and jax.config.jax_enable_x64:
            return fn(*args, **kwargs)  # already inside a scope: no nested context, no copies
        if not jax.config.jax_enable_x64 and _any_traced((args, kwargs)):
            # float32 values traced without x64 were rounded already: refuse with the fix
            raise ValueError(
                f"{fn.__name__}: traced while x64 is off, but mdmjax computes in float64. Run your "
                "jax.jit / jax.vmap / jax.grad inside `with jax.enable_x64(True):`"
            )
        depth = getattr(_DEPTH, "value", 0)
        _DEPTH.value = depth + 1
        try:
            with jax.enable_x64(True):
                out = fn(*args, **kwargs)
        finally:
            _DEPTH.value = depth
        if depth == 0 and out is not None:
            out = _host_tree(out)
        return out

    return wrapper  # type: ignore[return-value]


def _host_tree(out):
    """:func:`_to_host` over a result; plain dicts, lists and tuples keep their own order and
    type (``jax.tree_util`` would rebuild a dict with its keys sorted)."""
    if type(out) is dict:
        return {k: _host_tree(v) for k, v in out.items()}
    if type(out) in (list, tuple):
        return type(out)(_host_tree(v) for v in out)
    return jax.tree_util.tree_map(_to_host, out)


def is_traced(x) -> bool:
    """Whether ``x`` is a JAX tracer (inside ``jit``, ``vmap`` or ``grad``)."""
    return isinstance(x, jax.core.Tracer)


def require_float64(x, argument: str) -> None:
    """Raise ``ValueError`` if a traced floating ``x`` is narrower than float64.

    A tracer's dtype is fixed by the caller's transformation; a float32 tracer means the values
    were already rounded, and computing on would silently return a float32-exact number.
    """
    if is_traced(x) and np.issubdtype(x.dtype, np.floating) and x.dtype != np.float64:
        raise ValueError(
            f"{argument}: traced as {x.dtype}, but mdmjax computes in float64. Run your "
            "jax.jit / jax.vmap / jax.grad inside `with jax.enable_x64(True):` so that the "
            "inputs are traced as float64"
        )
