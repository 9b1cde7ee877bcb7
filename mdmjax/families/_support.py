"""A law given by its support points: puzzles, codes given by codewords, word lists.

``p(x) = w_r`` on the listed rows ``x_r`` and 0 elsewhere. Nothing of size ``q^n`` is ever built,
so ``n`` may be a few hundred and the support up to about a million rows. The exact conditionals
are ratios of support sums,

.. math:: p(x_i = v \\mid x_A) = \\frac{\\sum_r w_r\\, 1[r_A = x_A,\\ r_i = v]}
          {\\sum_r w_r\\, 1[r_A = x_A]},

uniform where no support row agrees with ``x_A`` (the convention of
:class:`~mdmjax.models.DistributionModel`). :meth:`SupportLaw.model` gives them as a traceable
model that :func:`mdmjax.sample`, :func:`mdmjax.calibrate.sampler_kl` and
:func:`mdmjax.evaluate_policy` accept (docs/theory.md §13).
"""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np

from mdmjax._src.conditional import ConditionalModel
from mdmjax._src.keys import as_key
from mdmjax._src.memory import check_allocation
from mdmjax._src.precision import scoped_x64
from mdmjax._src.validate import as_positive_int

__all__ = ["SupportLaw", "SupportModel", "from_support"]

# Support rows matched per scan step inside the model (bounds the (B, chunk) match matrix).
_MATCH_CHUNK = 1024


@jax.tree_util.register_pytree_node_class
class SupportModel(ConditionalModel):
    """The exact conditionals of a :class:`SupportLaw` (module docstring), traceable.

    Masked positions hold ``shape[i]``. The support is scanned in chunks, so a batch costs
    ``O(B · R · n)`` and never holds more than a ``(B, chunk)`` match matrix.

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> law = mdm.families.from_support(np.array([[0, 1], [1, 0], [1, 1]]))
      >>> m = law.model()
      >>> np.asarray(m.conditionals(np.array([[1, 2]])))[0, 1].round(12).tolist()  # x_0 = 1
      [0.5, 0.5]
    """

    def __init__(self, rows, weights, shape: tuple[int, ...]):
        self.rows = rows
        self.weights = weights
        self.shape = tuple(int(q) for q in shape)

    def tree_flatten(self):
        return (self.rows, self.weights), self.shape

    @classmethod
    def tree_unflatten(cls, shape, children):
        return cls(children[0], children[1], shape)

    @scoped_x64
    def conditionals(self, y):
        y = jnp.asarray(y).astype(jnp.int64)
        q = jnp.asarray(self.shape, dtype=jnp.int64)
        qmax = max(self.shape)
        rows = jnp.asarray(self.rows).astype(jnp.int64)
        w = jnp.asarray(self.weights, dtype=jnp.float64)
        num_rows, n = rows.shape
        chunk = min(_MATCH_CHUNK, num_rows)
        pad = -num_rows % chunk
        rows = jnp.concatenate([rows, jnp.zeros((pad, n), jnp.int64)])
        w = jnp.concatenate([w, jnp.zeros(pad)])
        masked = y == q[None, :]

        def body(acc, part):
            r, wr = part
            agree = jnp.all(masked[:, None, :] | (y[:, None, :] == r[None, :, :]), axis=2)
            onehot = (r[:, :, None] == jnp.arange(qmax)[None, None, :]).astype(jnp.float64)
            return acc + jnp.einsum(
                "bc,cnv->bnv", agree.astype(jnp.float64) * wr[None, :], onehot
            ), None

        parts = (rows.reshape(-1, chunk, n), w.reshape(-1, chunk))
        acc0 = jnp.zeros((y.shape[0], n, qmax))
        acc, _ = jax.lax.scan(body, acc0, parts)
        tot = jnp.sum(acc, axis=2, keepdims=True)
        valid = jnp.arange(qmax)[None, :] < q[:, None]
        uniform = jnp.where(valid, 1.0 / q[:, None].astype(jnp.float64), 0.0)[None, :, :]
        cond = jnp.where(tot > 0, acc / jnp.where(tot > 0, tot, 1.0), uniform)
        return jnp.where(masked[:, :, None], cond, 0.0)


@dataclasses.dataclass(frozen=True)
class SupportLaw:
    """A law given by its support (:func:`from_support`).

    Attributes:
      rows: ``(K, n)`` int64, the distinct support points (sorted).
      weights: ``(K,)`` float64 probabilities, summing to 1.
      shape: the alphabet sizes ``(q_1, .., q_n)``.
      n: the number of positions.
      entropy: ``H(p) = -Σ_r w_r ln w_r`` in nats.

    Examples:
      >>> import math, numpy as np, mdmjax as mdm
      >>> law = mdm.families.from_support(np.array([[0, 0], [1, 1]]))
      >>> law.n, law.shape, round(law.entropy / math.log(2), 12)
      (2, (2, 2), 1.0)
      >>> law.log_prob(np.array([[1, 1], [0, 1]])).round(12).tolist()
      [-0.69314718056, -inf]
    """

    rows: np.ndarray
    weights: np.ndarray
    shape: tuple[int, ...]

    @property
    def n(self) -> int:
        return len(self.shape)

    @property
    def entropy(self) -> float:
        w = self.weights[self.weights > 0]
        return float(-np.sum(w * np.log(w)))

    def model(self) -> SupportModel:
        """The exact conditionals as a traceable :class:`SupportModel`."""
        return SupportModel(self.rows, self.weights, self.shape)

    @scoped_x64
    def sample(self, key, num: int) -> np.ndarray:
        """``(num, n)`` int64 rows drawn from the law (``key``: a ``jax.random`` key or seed)."""
        num = as_positive_int(num, "num")
        idx = jax.random.choice(
            as_key(key), self.rows.shape[0], (num,), p=jnp.asarray(self.weights)
        )
        return self.rows[np.asarray(idx)]

    def log_prob(self, rows) -> np.ndarray:
        """``(R,)`` float64 ``log p(x)`` (``-inf`` off the support).

        Raises:
          ValueError: ``rows`` not an int array ``(R, n)``.
        """
        x = np.asarray(rows)
        if x.dtype.kind not in "iu" or x.ndim != 2 or x.shape[1] != self.n:
            raise ValueError(f"rows: expected an int array (R, {self.n}), got shape {x.shape}")
        index = {r.tobytes(): i for i, r in enumerate(self.rows)}
        out = np.full(x.shape[0], -math.inf)
        for j, r in enumerate(x.astype(np.int64)):
            i = index.get(r.tobytes())
            if i is not None and self.weights[i] > 0:
                out[j] = math.log(self.weights[i])
        return out

    def to_distribution(self):
        """The dense :class:`~mdmjax.Distribution` (small ``q^n`` only; memory-guarded)."""
        from mdmjax.distribution import Distribution

        check_allocation(8 * math.prod(self.shape), "the dense table", argument="law")
        p = np.zeros(self.shape)
        np.add.at(p, tuple(self.rows.T), self.weights)
        return Distribution.from_probs(p)


def from_support(rows, weights=None, num_values=None) -> SupportLaw:
    """A law given by its support points: ``p(x_r) ∝ weights[r]`` (module docstring).

    Args:
      rows: ``(K, n)`` int array of support points; repeated rows add their weights.
      weights: ``(K,)`` non-negative weights (default uniform); normalised.
      num_values: the alphabet size of every position (default ``max(rows) + 1``), or a
        sequence of ``n`` sizes.

    Returns:
      a :class:`SupportLaw`.

    Raises:
      ValueError: ``rows`` not a non-empty int array ``(K, n)`` of values ``>= 0``; ``weights``
        of the wrong shape, negative, non-finite or summing to 0; ``num_values`` not covering
        the rows.

    Examples:
      The 2-bit parity code given by its codewords: ``H = ln 2``, and the exact conditionals
      make the second bit a copy of the first:

      >>> import math, numpy as np, mdmjax as mdm
      >>> law = mdm.families.from_support(np.array([[0, 0], [1, 1], [1, 1]]))
      >>> law.rows.tolist(), law.weights.round(12).tolist()
      ([[0, 0], [1, 1]], [0.333333333333, 0.666666666667])
      >>> np.asarray(law.model().conditionals(np.array([[1, 2]])))[0, 1].tolist()
      [0.0, 1.0]
    """
    x = np.asarray(rows)
    if x.dtype == object or x.dtype.kind not in "iu" or x.ndim != 2 or 0 in x.shape:
        raise ValueError(
            f"rows: expected a non-empty int array (K, n), got {x.dtype} of shape {x.shape}"
        )
    x = x.astype(np.int64)
    if np.any(x < 0):
        raise ValueError("rows: values must be >= 0")
    if weights is None:
        w = np.ones(x.shape[0])
    else:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (x.shape[0],) or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError(
                f"weights: expected {x.shape[0]} finite non-negative numbers with a positive sum"
            )
    n = x.shape[1]
    if num_values is None:
        shape = (int(x.max()) + 1,) * n
    else:
        arr = np.broadcast_to(np.asarray(num_values), (n,))
        if arr.dtype.kind not in "iu" or np.any(arr < 1):
            raise ValueError(f"num_values: expected a positive int or {n} of them")
        shape = tuple(int(v) for v in arr)
    if np.any(x >= np.asarray(shape)[None, :]):
        raise ValueError(f"num_values: {shape} does not cover the rows' values")
    check_allocation(x.nbytes * 4, "the support rows", argument="rows")
    uniq, inverse = np.unique(x, axis=0, return_inverse=True)
    merged = np.bincount(inverse.reshape(-1), weights=w, minlength=uniq.shape[0])
    return SupportLaw(rows=uniq, weights=merged / merged.sum(), shape=shape)
