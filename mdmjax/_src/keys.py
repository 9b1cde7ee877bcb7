"""The one PRNG-key check: explicit ``jax.random`` keys everywhere."""

from __future__ import annotations

import jax
import numpy as np

__all__ = ["as_key"]


def as_key(key, argument: str = "key"):
    """A ``jax.random`` key; an int is taken as a seed. ``None`` is refused (explicit keys).

    Raises:
      ValueError: naming ``argument``, for ``None``, a bool, or anything but an int or a key.
    """
    if key is None:
        raise ValueError(f"{argument}: a jax.random key is required (e.g. jax.random.key(0))")
    if isinstance(key, int | np.integer) and not isinstance(key, bool):
        return jax.random.key(int(key))
    if not isinstance(key, jax.Array) or isinstance(key, bool):
        raise ValueError(f"{argument}: expected a jax.random key or an int seed, got {key!r}")
    return key
