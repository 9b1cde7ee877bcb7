"""Distribution: a validated joint probability table over ``n`` discrete positions.

Position ``i`` takes ``q_i`` values, so the table has shape ``(q_1, ..., q_n)``. Alphabets may
differ per position. Probabilities are float64. A :class:`Distribution` is a pytree whose single
leaf is the table, so it passes through ``jax.jit`` and ``jax.vmap`` (a batch of laws of one shape
is a Distribution whose table has a leading batch axis).
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from mdmjax._src.memory import check_allocation, table_bytes
from mdmjax._src.numerics import entropy
from mdmjax._src.precision import scoped_x64
from mdmjax._src.tables import (
    as_probability_table,
    as_real_array,
    check_table_dtype,
    check_table_shape,
)

__all__ = ["Distribution"]


@jax.jit
def _entropy(probs: jax.Array) -> jax.Array:
    """``-sum p log p`` of a table, in nats (one compiled program, not one per operation)."""
    return entropy(probs, axis=None)


def _is_concrete(x) -> bool:
    return not isinstance(x, jax.core.Tracer)


@jax.tree_util.register_pytree_node_class
class Distribution:
    """A joint law ``p(x_1, ..., x_n)`` stored as a dense float64 table.

    Build one with :meth:`from_probs`, :meth:`from_logits` or :meth:`from_samples`; they validate
    everything. The bare constructor ``Distribution(probs)`` also accepts a batch of tables of one
    shape (leading batch axes), so it cannot check the total mass (it does not know ``n``); it
    refuses what no table or batch can be: strings, ragged lists, non-real dtypes (bool,
    complex, ...), 0-d or empty arrays and, for concrete values, NaN, infinite or negative
    entries. A traced ``probs`` is stored as given.

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> d = mdm.Distribution.from_probs(np.full((2, 2, 2), 1 / 8))
      >>> d.n, d.shape
      (3, (2, 2, 2))
    """

    __slots__ = ("probs",)

    @scoped_x64
    def __init__(self, probs):
        self.probs = _as_leaf(probs)

    # -- pytree ---------------------------------------------------------------------------------
    def tree_flatten(self):
        return (self.probs,), None

    @classmethod
    def tree_unflatten(cls, aux, children):
        # JAX rebuilds pytrees with tracers, sentinels and axis specs as leaves: no checks here.
        obj = object.__new__(cls)
        obj.probs = children[0]
        return obj

    # -- constructors ---------------------------------------------------------------------------
    @classmethod
    @scoped_x64
    def from_probs(cls, p, *, normalize: bool = True) -> Distribution:
        """Validate a probability table and wrap it.

        The table may be given in any real dtype. Its total mass must be 1 within the input
        dtype's own resolution: 1e-9 for float64 (and integer) tables, about
        ``64 sqrt(size) eps`` for float32 or float16 ones (so a table normalized in float32 is
        accepted; :func:`mdmjax._src.tolerances.mass_tolerance`). The stored table is float64,
        and with ``normalize`` it is divided by its total mass computed in float64, so it sums to
        1 to float64 precision whatever the input precision.

        Inside the caller's ``jit``/``vmap`` (a traced ``p``) only the dtype and shape are
        checked; the values cannot be.

        Args:
          p: array-like of shape ``(q_1, ..., q_n)``, ``n >= 1``: ``p[x_1, ..., x_n]``.
          normalize: divide by the total mass (renormalize in float64). Without it the values
            are stored as given (in float64), off 1 by up to the tolerance above.

        Returns:
          a :class:`Distribution` whose ``probs`` is a float64 array.

        Raises:
          ValueError: starting with ``"p: "``: a string, bytes, a ragged nested list or an object
            array; a bool, complex or other non-real dtype; no positions (a 0-d array) or an
            empty axis; negative, NaN or infinite entries; a total mass off 1 by more than the
            tolerance; a table that would not fit in memory.

        Examples:
          >>> import numpy as np, mdmjax as mdm
          >>> p32 = np.random.default_rng(0).random((2, 3)).astype(np.float32)
          >>> d = mdm.Distribution.from_probs(p32 / p32.sum())  # normalized in float32
          >>> d.probs.dtype, abs(float(d.probs.sum()) - 1) < 1e-15
          (dtype('float64'), True)
        """
        table = as_probability_table(p, "p", normalize=normalize)
        obj = object.__new__(cls)
        obj.probs = jnp.asarray(table, dtype=jnp.float64)
        return obj

    @classmethod
    @scoped_x64
    def from_logits(cls, logits) -> Distribution:
        """The law ``p(x) = exp(logits[x]) / sum_y exp(logits[y])``.

        ``-inf`` logits give zero probability; NaN and ``+inf`` are rejected.
        """
        raw = as_real_array(logits, "logits")
        shape = tuple(int(s) for s in raw.shape)
        check_allocation(table_bytes(shape), f"a logit table of shape {shape}", argument="logits")
        arr = np.asarray(raw, dtype=np.float64)
        if np.any(np.isnan(arr)) or np.any(arr == np.inf):
            raise ValueError("logits: entries must not be NaN or +inf")
        if not np.any(np.isfinite(arr)):
            raise ValueError("logits: every entry is -inf, so there is no probability mass")
        shifted = np.exp(arr - arr[np.isfinite(arr)].max())
        return cls.from_probs(shifted / shifted.sum())

    @classmethod
    @scoped_x64
    def from_samples(cls, samples, num_values, *, smoothing: float = 0.0) -> Distribution:
        """The empirical law of integer samples, with optional additive (Laplace) smoothing.

        ``p(x) = (count(x) + smoothing) / (m + smoothing * prod(q))``.

        Args:
          samples: integer array of shape ``(m, n)``, one sample per row, ``m >= 1``.
          num_values: ``q`` for every position, or a sequence ``(q_1, ..., q_n)``.
          smoothing: pseudo-count added to every cell, ``>= 0``.
        """
        s = np.asarray(samples)
        if s.ndim != 2 or s.shape[0] < 1 or s.shape[1] < 1:
            raise ValueError(
                f"samples: expected an integer array of shape (m, n) with m, n >= 1, got shape "
                f"{s.shape}"
            )
        if s.dtype.kind not in "iu":
            if s.dtype.kind == "f" and np.all(np.isfinite(s)) and np.all(s == np.round(s)):
                s = s.astype(np.int64)
            else:
                raise ValueError(f"samples: expected integers, got dtype {s.dtype}")
        n = s.shape[1]
        if np.ndim(num_values) == 0:
            q = (int(num_values),) * n
        else:
            q = tuple(int(v) for v in num_values)
            if len(q) != n:
                raise ValueError(f"num_values: has {len(q)} entries but samples have {n} columns")
        if min(q) < 1:
            raise ValueError(f"num_values: every alphabet size must be >= 1, got {q}")
        if np.any(s < 0) or np.any(s >= np.asarray(q)):
            raise ValueError(f"samples: values must lie in [0, q_i) with q = {q}")
        if not (np.isfinite(smoothing) and smoothing >= 0):
            raise ValueError(f"smoothing: must be finite and >= 0, got {smoothing}")
        check_allocation(table_bytes(q), f"a probability table of shape {q}", argument="num_values")
        counts = np.bincount(np.ravel_multi_index(s.T, q), minlength=int(np.prod(q)))
        counts = counts.astype(np.float64) + smoothing
        return cls.from_probs((counts / counts.sum()).reshape(q))

    # -- properties -----------------------------------------------------------------------------
    @property
    @scoped_x64
    def n(self) -> int:
        """Number of positions."""
        return int(np.ndim(self.probs))

    @property
    @scoped_x64
    def shape(self) -> tuple[int, ...]:
        """Alphabet sizes ``(q_1, ..., q_n)``."""
        return tuple(int(s) for s in np.shape(self.probs))

    @scoped_x64
    def marginal(self, positions: Sequence[int]) -> jax.Array:
        """The marginal table of ``positions`` (0-indexed), axes kept in increasing order."""
        keep = sorted({int(i) for i in positions})
        if any(i < 0 or i >= self.n for i in keep):
            raise ValueError(f"positions: must lie in [0, {self.n}), got {list(positions)}")
        drop = tuple(i for i in range(self.n) if i not in keep)
        return jnp.sum(self.probs, axis=drop)

    @scoped_x64
    def entropy(self):
        """Joint entropy ``H(X)`` in nats."""
        h = _entropy(self.probs)
        return float(h) if _is_concrete(h) else h

    @scoped_x64
    def sample(self, key: jax.Array, num_samples: int) -> jax.Array:
        """``num_samples`` draws from the law, an int array of shape ``(num_samples, n)``."""
        flat = jax.random.choice(
            key, self.probs.size, shape=(num_samples,), p=self.probs.reshape(-1)
        )
        return jnp.stack(jnp.unravel_index(flat, self.shape), axis=-1)

    def __repr__(self) -> str:
        return f"Distribution(n={self.n}, shape={self.shape})"


def _as_leaf(probs):
    """The bare constructor's checks (no mass: ``probs`` may be a batch); see the class docstring.

    Arrays (NumPy or JAX, concrete or traced) are stored as given; other array-likes (lists) are
    converted to a float64 ``jax.Array``.
    """
    if isinstance(probs, jax.core.Tracer | jax.ShapeDtypeStruct):
        check_table_dtype(probs.dtype, "probs")
        check_table_shape(tuple(probs.shape), "probs")
        return probs
    values = as_real_array(probs, "probs")
    if isinstance(values, jax.Array):
        nonfinite, negative = (int(v) for v in _nonfinite_negative(values))
    else:
        nonfinite = int(np.size(values) - np.count_nonzero(np.isfinite(values)))
        negative = int(np.count_nonzero(values < 0))
    if nonfinite:
        raise ValueError(
            f"probs: {nonfinite} entries are NaN or infinite; probabilities must be finite"
        )
    if negative:
        raise ValueError(f"probs: {negative} entries are negative; probabilities must be >= 0")
    return probs if isinstance(probs, np.ndarray | jax.Array) else jnp.asarray(values, jnp.float64)


@jax.jit
def _nonfinite_negative(table: jax.Array):
    return jnp.sum(~jnp.isfinite(table)), jnp.sum(table < 0)
