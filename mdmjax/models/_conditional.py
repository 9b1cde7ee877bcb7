"""Conditional oracles: the ``p̂(x_i | x_A)`` a sampler sees when its model is imperfect.

A model answers, for a batch of partial assignments, the conditional law of every masked
position. Partial assignments are int arrays ``y`` of shape ``(N, n)`` with ``y[:, i] = x_i`` for
revealed ``i`` and ``y[:, i] = q_i`` (one past the last value) for masked ``i``. The answer is a
float64 array ``(N, n, q_max)``: row ``i`` is ``p̂(x_i = . | x_A)`` for masked ``i`` (zero-padded
past ``q_i``) and all zeros for revealed ``i``. Models are pytrees, so they pass into ``jax.jit``.

Built-ins:

* :func:`from_distribution` — the exact conditionals of a :class:`~mdmjax.Distribution`: the
  truth, a law fitted from a few samples (:meth:`Distribution.from_samples`), or an
  approximation such as :func:`product_approximation` or :func:`markov_approximation`;
* :func:`tempered` — ``p̂ ∝ p^(1/T)`` per conditional;
* :func:`noisy` — logits plus seeded Gaussian noise, a fixed function of the node.

**Zero-mass convention.** Where the model's law gives ``P(x_A) = 0`` (a node the sampler can
still reach through its factorization error) the conditionals are taken uniform on each
alphabet. No KL or TV value depends on this choice: every ``x`` below such a node has
``p(x) = 0``.

Learning error (docs/theory.md §6): with a model, ``KL(p || nu_hat_B) = factorization +
sum_t sum_{i in B_t} E_p KL(p(x_i | x_{A_t}) || p̂(x_i | x_{A_t}))``; see
:func:`mdmjax.evaluate_policy`.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from mdmjax._src.conditional import ConditionalModel
from mdmjax._src.memory import check_allocation, table_bytes
from mdmjax._src.precision import scoped_x64
from mdmjax._src.subsets import ext_strides
from mdmjax._src.validate import as_finite_float
from mdmjax.curves import extended_table
from mdmjax.distribution import Distribution

__all__ = [
    "ConditionalModel",
    "DistributionModel",
    "TemperedModel",
    "NoisyModel",
    "CallableModel",
    "from_distribution",
    "tempered",
    "noisy",
    "product_approximation",
    "markov_approximation",
    "ext_strides",
]


@scoped_x64
def node_index(y: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    """Flat index of partial assignments ``y`` ``(N, n)`` in the extended table."""
    strides = jnp.asarray(ext_strides(shape))
    return jnp.sum(y.astype(jnp.int64) * strides[None, :], axis=1)


def _value_mask(shape: tuple[int, ...]) -> jax.Array:
    """``(n, q_max)``: True where ``v < q_i``."""
    q = np.asarray(shape)
    return jnp.asarray(np.arange(max(shape))[None, :] < q[:, None])


def _masked_softmax(logits: jax.Array, keep: jax.Array) -> jax.Array:
    """Softmax over the last axis restricted to ``keep``; all-False rows give zeros."""
    lg = jnp.where(keep, logits, -jnp.inf)
    top = jnp.max(lg, axis=-1, keepdims=True)
    top = jnp.where(jnp.isfinite(top), top, 0.0)
    e = jnp.where(keep, jnp.exp(lg - top), 0.0)
    tot = jnp.sum(e, axis=-1, keepdims=True)
    return jnp.where(tot > 0, e / jnp.where(tot > 0, tot, 1.0), 0.0)


@jax.tree_util.register_pytree_node_class
class DistributionModel(ConditionalModel):
    """The exact conditionals of a joint law, read from its extended marginal table.

    ``p(x_i = v | x_A) = P(x_A, x_i = v) / sum_u P(x_A, x_i = u)``; uniform where
    ``P(x_A) = 0``. Built by :func:`from_distribution`.

    Examples:
      Masked positions hold ``q`` (here 2); :meth:`marginal` is ``P(x_A)``:

      >>> import jax.numpy as jnp, numpy as np, mdmjax as mdm
      >>> d = mdm.Distribution.from_probs(np.array([[0.4, 0.1], [0.1, 0.4]]))
      >>> m = mdm.models.from_distribution(d)
      >>> np.asarray(m.marginal(jnp.array([[0, 2], [2, 2], [1, 1]]))).tolist()
      [0.5, 1.0, 0.4]
    """

    @scoped_x64
    def __init__(self, ext: jax.Array, shape: tuple[int, ...]):
        self.ext = ext
        self.shape = tuple(int(q) for q in shape)

    def tree_flatten(self):
        return (self.ext,), self.shape

    @classmethod
    def tree_unflatten(cls, shape, children):
        return cls(children[0], shape)

    @scoped_x64
    def marginal(self, y: jax.Array) -> jax.Array:
        """``P(x_A)`` for every partial assignment in ``y``."""
        return jnp.asarray(self.ext)[node_index(y, self.shape)]

    @scoped_x64
    def conditionals(self, y: jax.Array) -> jax.Array:
        shape = self.shape
        q = jnp.asarray(shape, dtype=jnp.int64)
        qmax = max(shape)
        strides = jnp.asarray(ext_strides(shape))
        base = node_index(y, shape)
        masked = y.astype(jnp.int64) == q[None, :]
        v = jnp.arange(qmax, dtype=jnp.int64)
        valid_v = _value_mask(shape)
        idx = base[:, None, None] + (v[None, None, :] - q[None, :, None]) * strides[None, :, None]
        ok = masked[:, :, None] & valid_v[None, :, :]
        ext = jnp.asarray(self.ext)  # a NumPy array once handed back by a scoped_x64 function
        num = jnp.where(ok, ext[jnp.where(ok, idx, 0)], 0.0)
        tot = jnp.sum(num, axis=2, keepdims=True)
        uniform = jnp.where(valid_v, 1.0 / q[:, None].astype(jnp.float64), 0.0)[None, :, :]
        cond = jnp.where(tot > 0, num / jnp.where(tot > 0, tot, 1.0), uniform)
        return jnp.where(masked[:, :, None], cond, 0.0)


@jax.tree_util.register_pytree_node_class
class TemperedModel(ConditionalModel):
    """``p̂(x_i = v | x_A) ∝ p(x_i = v | x_A)^(1 / T)``: sharper for ``T < 1``, flatter above.

    Built by :func:`tempered`.

    Examples:
      ``p(x_1 | x_0 = 0) = (0.8, 0.2)``; at ``T = 1/2`` it becomes ``(0.64, 0.04) / 0.68``:

      >>> import jax.numpy as jnp, numpy as np, mdmjax as mdm
      >>> d = mdm.Distribution.from_probs(np.array([[0.4, 0.1], [0.1, 0.4]]))
      >>> m = mdm.models.tempered(d, 0.5)
      >>> c = np.asarray(m.conditionals(jnp.array([[0, 2]])))
      >>> bool(np.allclose(c[0, 1], [0.64 / 0.68, 0.04 / 0.68])), c[0, 0].tolist()
      (True, [0.0, 0.0])
    """

    @scoped_x64
    def __init__(self, base: ConditionalModel, temperature):
        self.base = base
        self.temperature = temperature
        self.shape = base.shape

    def tree_flatten(self):
        return (self.base, self.temperature), None

    @classmethod
    def tree_unflatten(cls, aux, children):
        return cls(*children)

    @scoped_x64
    def conditionals(self, y: jax.Array) -> jax.Array:
        cond = self.base.conditionals(y)
        keep = cond > 0
        logits = jnp.log(jnp.where(keep, cond, 1.0)) / self.temperature
        return _masked_softmax(logits, keep)


@jax.tree_util.register_pytree_node_class
class NoisyModel(ConditionalModel):
    """``p̂(x_i | x_A) = softmax(log p(x_i | x_A) + scale * eps)``, eps standard normal.

    The noise of a node is drawn from ``fold_in(key, node index)`` (its index in the extended
    table), so it is a fixed function of ``(A, x_A, i, v)`` and of the seed: the same node always
    gets the same conditionals. Values of zero probability stay at zero. Built by :func:`noisy`.

    Examples:
      >>> import jax.numpy as jnp, numpy as np, mdmjax as mdm
      >>> d = mdm.Distribution.from_probs(np.array([[0.4, 0.1], [0.1, 0.4]]))
      >>> y = jnp.array([[0, 2], [0, 2], [2, 2]])
      >>> c = np.asarray(mdm.models.noisy(d, 1.0, seed=3).conditionals(y))
      >>> bool(np.allclose(c[0], c[1])), bool(np.allclose(c[:, 1].sum(-1), 1.0))
      (True, True)
      >>> exact = np.asarray(mdm.models.from_distribution(d).conditionals(y))
      >>> bool(np.allclose(np.asarray(mdm.models.noisy(d, 0.0).conditionals(y)), exact))
      True
    """

    @scoped_x64
    def __init__(self, base: ConditionalModel, scale, key):
        self.base = base
        self.scale = scale
        self.key = key
        self.shape = base.shape

    def tree_flatten(self):
        return (self.base, self.scale, self.key), None

    @classmethod
    def tree_unflatten(cls, aux, children):
        return cls(*children)

    @scoped_x64
    def conditionals(self, y: jax.Array) -> jax.Array:
        cond = self.base.conditionals(y)
        n, qmax = len(self.shape), max(self.shape)
        idx = node_index(y, self.shape)
        lo = (idx % (2**31)).astype(jnp.uint32)
        hi = (idx // (2**31)).astype(jnp.uint32)

        def draw(a, b):
            k = jax.random.fold_in(jax.random.fold_in(self.key, a), b)
            return jax.random.normal(k, (n, qmax), dtype=jnp.float64)

        eps = jax.vmap(draw)(lo, hi)
        keep = cond > 0
        logits = jnp.log(jnp.where(keep, cond, 1.0)) + self.scale * eps
        return _masked_softmax(logits, keep)


@jax.tree_util.register_pytree_node_class
class CallableModel(ConditionalModel):
    """Wrap a pure, jax-traceable function ``fn(y) -> (N, n, q_max)`` as a model.

    Args:
      fn: the function (``y`` holds ``q_i`` at masked positions).
      shape: the alphabet sizes ``(q_1, .., q_n)``.

    Examples:
      >>> import jax.numpy as jnp, numpy as np, mdmjax as mdm
      >>> def uniform(y):
      ...     return jnp.where((y == 2)[..., None], 0.5, 0.0).repeat(2, axis=-1)
      >>> m = mdm.models.CallableModel(uniform, (2, 2))
      >>> np.asarray(m.conditionals(jnp.array([[1, 2]]))).tolist()
      [[[0.0, 0.0], [0.5, 0.5]]]
    """

    @scoped_x64
    def __init__(self, fn: Callable, shape: tuple[int, ...]):
        self.fn = fn
        self.shape = tuple(int(q) for q in shape)

    def tree_flatten(self):
        return (), (self.fn, self.shape)

    @classmethod
    def tree_unflatten(cls, aux, children):
        return cls(*aux)

    @scoped_x64
    def conditionals(self, y: jax.Array) -> jax.Array:
        return jnp.asarray(self.fn(y), dtype=jnp.float64)


# ------------------------------------------------------------------------------------------------
# Constructors
# ------------------------------------------------------------------------------------------------
@scoped_x64
def from_distribution(d: Distribution) -> DistributionModel:
    """The exact conditionals of ``d`` (e.g. a law fitted from samples, or an approximation).

    Args:
      d: a :class:`~mdmjax.Distribution`.

    Returns:
      a :class:`DistributionModel` (``p(x_i = v | x_A)`` read from the extended table).

    Raises:
      ValueError: ``d`` is not a Distribution, or its ``(q+1)^n`` marginal table would not fit.

    Examples:
      ``p(x_1 = 0 | x_0 = 0) = 0.4 / (0.4 + 0.1)``; revealed positions get zeros:

      >>> import jax.numpy as jnp, numpy as np, mdmjax as mdm
      >>> d = mdm.Distribution.from_probs(np.array([[0.4, 0.1], [0.1, 0.4]]))
      >>> m = mdm.models.from_distribution(d)
      >>> np.asarray(m.conditionals(jnp.array([[0, 2], [2, 2]]))).round(12).tolist()
      [[[0.0, 0.0], [0.8, 0.2]], [[0.5, 0.5], [0.5, 0.5]]]
    """
    if not isinstance(d, Distribution):
        raise ValueError(f"d: expected a Distribution, got {type(d).__name__}")
    shape = d.shape
    check_allocation(
        table_bytes([q + 1 for q in shape]) * 2,
        f"the (q+1)^n marginal table of a law of shape {shape}",
        argument="d",
    )
    ext = _extended_flat(d.probs)
    return DistributionModel(ext, shape)


@jax.jit
def _extended_flat(probs):
    return extended_table(probs).reshape(-1)


def _base_model(d_or_model, argument: str = "d") -> ConditionalModel:
    if isinstance(d_or_model, Distribution):
        return from_distribution(d_or_model)
    if isinstance(d_or_model, ConditionalModel):
        return d_or_model
    raise ValueError(
        f"{argument}: expected a Distribution or a ConditionalModel, got "
        f"{type(d_or_model).__name__}"
    )


@scoped_x64
def tempered(d, temperature: float) -> TemperedModel:
    """The conditionals of ``d`` (a Distribution or a model) raised to ``1 / temperature``.

    Args:
      d: the law (or model) to temper.
      temperature: ``T > 0``; ``T = 1`` is ``d`` itself.

    Returns:
      a :class:`TemperedModel`.

    Raises:
      ValueError: ``temperature`` not a positive number, or ``d`` neither a law nor a model.

    Examples:
      ``(0.8, 0.2)`` at ``T = 2`` is ``(√0.8, √0.2) / (√0.8 + √0.2) = (2/3, 1/3)``:

      >>> import jax.numpy as jnp, numpy as np, mdmjax as mdm
      >>> d = mdm.Distribution.from_probs(np.array([[0.4, 0.1], [0.1, 0.4]]))
      >>> c = np.asarray(mdm.models.tempered(d, 2.0).conditionals(jnp.array([[0, 2]])))
      >>> c[0, 1].round(12).tolist()
      [0.666666666667, 0.333333333333]
    """
    t = as_finite_float(temperature, "temperature")
    if t <= 0:
        raise ValueError(f"temperature: must be > 0, got {temperature!r}")
    return TemperedModel(_base_model(d), jnp.asarray(t, dtype=jnp.float64))


@scoped_x64
def noisy(d, scale: float, seed: int = 0) -> NoisyModel:
    """The conditionals of ``d`` with seeded Gaussian logit noise of standard deviation ``scale``.

    Args:
      d: the law (or model).
      scale: noise standard deviation on the logits (nats), ``>= 0``; 0 is ``d`` itself.
      seed: an int seed or a ``jax.random`` key; the same seed gives the same model.

    Returns:
      a :class:`NoisyModel`.

    Raises:
      ValueError: ``scale`` negative or not finite, ``seed`` neither an int nor a key, or ``d``
        neither a law nor a model.

    Examples:
      The noise is a fixed function of the seed, and leaves a law on each position:

      >>> import jax.numpy as jnp, numpy as np, mdmjax as mdm
      >>> d = mdm.Distribution.from_probs(np.array([[0.4, 0.1], [0.1, 0.4]]))
      >>> y = jnp.array([[0, 2]])
      >>> a = np.asarray(mdm.models.noisy(d, 0.5, seed=1).conditionals(y))
      >>> b = np.asarray(mdm.models.noisy(d, 0.5, seed=1).conditionals(y))
      >>> bool(np.array_equal(a, b)), round(float(a[0, 1].sum()), 12)
      (True, 1.0)
    """
    s = as_finite_float(scale, "scale")
    if s < 0:
        raise ValueError(f"scale: must be >= 0, got {scale!r}")
    if isinstance(seed, int | np.integer) and not isinstance(seed, bool):
        key = jax.random.key(int(seed))
    elif isinstance(seed, jax.Array) and jnp.issubdtype(seed.dtype, jax.dtypes.prng_key):
        key = seed
    else:
        raise ValueError(f"seed: expected an int or a jax.random key, got {seed!r}")
    return NoisyModel(_base_model(d), jnp.asarray(s, dtype=jnp.float64), key)


@scoped_x64
def product_approximation(d: Distribution) -> Distribution:
    """The product of the marginals of ``d``: ``prod_i p(x_i)``.

    Args:
      d: a :class:`~mdmjax.Distribution`.

    Returns:
      the product law, a :class:`~mdmjax.Distribution` of the same shape.

    Raises:
      ValueError: ``d`` is not a Distribution.

    Examples:
      Both marginals of this law are ``(0.5, 0.5)``, so their product is uniform:

      >>> import numpy as np, mdmjax as mdm
      >>> d = mdm.Distribution.from_probs(np.array([[0.4, 0.1], [0.1, 0.4]]))
      >>> np.asarray(mdm.models.product_approximation(d).probs).round(12).tolist()
      [[0.25, 0.25], [0.25, 0.25]]
    """
    if not isinstance(d, Distribution):
        raise ValueError(f"d: expected a Distribution, got {type(d).__name__}")
    probs = np.ones(())
    for i in range(d.n):
        probs = np.multiply.outer(probs, np.asarray(d.marginal([i])))
    return Distribution.from_probs(probs / probs.sum())


@scoped_x64
def markov_approximation(d: Distribution) -> Distribution:
    """The first-order Markov chain with the pairwise marginals of ``d`` along ``0, 1, .., n-1``.

    ``p̂(x) = p(x_1) prod_i p(x_{i+1} | x_i)`` (transitions uniform where ``p(x_i) = 0``).

    Args:
      d: a :class:`~mdmjax.Distribution`.

    Returns:
      the chain's law, a :class:`~mdmjax.Distribution` of the same shape.

    Raises:
      ValueError: ``d`` is not a Distribution.

    Examples:
      A parity law has uniform pairs, so its Markov approximation is uniform; a repeated bit
      is a Markov chain already:

      >>> import numpy as np, mdmjax as mdm
      >>> p = np.asarray(mdm.models.markov_approximation(mdm.families.parity(3)).probs)
      >>> bool(np.allclose(p, 1 / 8))
      True
      >>> r = mdm.families.repetition(3, 2)
      >>> bool(np.allclose(mdm.models.markov_approximation(r).probs, r.probs))
      True
    """
    if not isinstance(d, Distribution):
        raise ValueError(f"d: expected a Distribution, got {type(d).__name__}")
    probs = np.asarray(d.marginal([0]))
    for i in range(d.n - 1):
        pair = np.asarray(d.marginal([i, i + 1]))
        row = pair.sum(axis=1, keepdims=True)
        trans = np.where(row > 0, pair / np.where(row > 0, row, 1.0), 1.0 / pair.shape[1])
        probs = probs[..., None] * trans.reshape((1,) * i + trans.shape)
    return Distribution.from_probs(probs / probs.sum())
