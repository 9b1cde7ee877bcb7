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
        if not -(2**63) <= int(key) < 2**63:  # jax.random.key takes a 64-bit seed
            raise ValueError(f"{argument}: an int seed must fit in 64 bits, got {key}")
        return jax.random.key(int(key))
    if not isinstance(key, jax.Array) or isinstance(key, bool):
        raise ValueError(f"{argument}: expected a jax.random key or an int seed, got {key!r}")
    raw = key.dtype == np.uint32 and key.shape[-1:] == (2,)  # a jax.random.PRNGKey
    if not jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key) and not raw:
        raise ValueError(
            f"{argument}: expected a jax.random key (jax.random.key(seed)) or an int seed, got an "
            f"array of dtype {key.dtype}"
        )
    return key
