"""Monte-Carlo information curves, with standard errors, for laws with tractable conditionals.

Estimator (Chen–Cong–Li 2026 define ``Z_j`` as the mean mutual information between a fresh token
and ``j - 1`` revealed ones, docs/theory.md §2). For ``r = 1..m`` draw ``x^r ~ p`` and a uniform
permutation ``pi^r`` of the positions, independently. For every ``j = 1..n`` let
``S = {pi_1, .., pi_{j-1}}`` and ``i = pi_j``; then

.. math::

   \\hat Z_j = \\frac1m \\sum_r \\Big[ H(X_i) - H\\big(p(\\cdot \\mid x^r_S)\\big) \\Big]

is unbiased: ``(S, i)`` is a uniform ``(j-1)``-subset with a uniform fresh position, and
``E_x H(p(. | x_S)) = H(X_i | X_S)``. The marginal entropies ``H(X_i)`` are exact, so
``Z_1 = 0`` exactly and ``g(j) = g(0) - Z_{j+1}`` is unbiased too. Its standard error is the
sample standard deviation over ``r`` divided by ``sqrt(m)``. One permutation serves every ``j``
(the ``n`` estimates of one draw are correlated, each is marginally exact); the work is vmapped
over ``(r, j)`` pairs in batches.

A model is any pytree with attributes ``n`` and ``q`` (ints) and methods

* ``sample(key, m) -> (m, n)`` int array, exact draws from ``p``;
* ``conditional(x, mask, i) -> (q,)``: ``p(x_i = . | x_S)`` with ``S = {s : mask[s]}``,
  ``i not in S``, exact (forward–backward, belief propagation, Bayes' rule ...);
* ``marginal_entropies() -> (n,)``: ``H(X_i)`` exactly.

The returned curve's ``z`` is the weighted isotonic (non-decreasing, ``Z_1 = 0``) projection of
the raw estimates, because :class:`InformationCurve` requires a non-decreasing ``Z``; ``stderr``
holds the raw per-``j`` standard errors. :func:`estimate_z` returns the raw estimates.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from mdmjax._src.keys import as_key
from mdmjax._src.memory import check_allocation
from mdmjax._src.numerics import entropy
from mdmjax._src.precision import scoped_x64
from mdmjax._src.stats import mean_stderr
from mdmjax._src.validate import as_positive_int
from mdmjax.curves._curve import InformationCurve

__all__ = [
    "monte_carlo_curve",
    "estimate_z",
    "monte_carlo_values",
    "isotonic_increasing",
    "curve_from_estimates",
]

# Bytes of work memory one (sample, j) pair may need, per position and state (a few live copies).
_PAIR_BYTES_PER_STATE = 8 * 8


@scoped_x64
@functools.partial(jax.jit, static_argnames=("m",))
def draw_samples(model, key, m: int) -> jax.Array:
    """``model.sample(key, m)``, jitted (the model is a pytree).

    Args:
      model: a Monte-Carlo model (module docstring).
      key: a ``jax.random`` key.
      m: number of draws (static).

    Returns:
      ``(m, n)`` int draws.

    Examples:
      A mixture of two point masses draws constant rows only:

      >>> import jax, numpy as np, mdmjax as mdm
      >>> rep = mdm.curves.MixtureOfProducts([0.5, 0.5], [[[1.0, 0.0]] * 4, [[0.0, 1.0]] * 4])
      >>> x = np.asarray(mdm.curves.draw_samples(rep, jax.random.key(0), 5))
      >>> x.shape, bool(np.all(x == x[:, :1]))
      ((5, 4), True)
    """
    return model.sample(key, m)


@scoped_x64
@jax.jit
def marginal_entropies(model) -> jax.Array:
    """``model.marginal_entropies()``, jitted."""
    return jnp.asarray(model.marginal_entropies(), dtype=jnp.float64)


@scoped_x64
@functools.partial(jax.jit, static_argnames=("m", "n"))
def random_permutations(key, m: int, n: int) -> jax.Array:
    """``m`` independent uniform permutations of ``0..n-1``, shape ``(m, n)``.

    The ranks of i.i.d. uniform float64 keys (ties have probability ``< n^2 2^-53``).
    """
    return jnp.argsort(jax.random.uniform(key, (m, n), dtype=jnp.float64), axis=1)


@functools.partial(jax.jit, static_argnames=("batch_size",))
def _pair_values(model, x, perms, js, h, batch_size: int):
    """``H(X_i) - H(p(. | x_S))`` for every sample ``r`` and ``j`` in ``js``: ``(m, |js|)``."""
    m = x.shape[0]
    ranks = jnp.argsort(perms, axis=1)  # ranks[r, s] = index of s in pi^r
    rr, jj = jnp.meshgrid(jnp.arange(m), js, indexing="ij")
    total = m * js.shape[0]
    # Pad the pairs to whole batches: one vmapped body to compile, no remainder body.
    pad = -total % batch_size
    rr = jnp.concatenate([rr.reshape(-1), jnp.zeros(pad, dtype=rr.dtype)])
    jj = jnp.concatenate([jj.reshape(-1), jnp.ones(pad, dtype=jj.dtype)])

    def one(pair):
        r, j = pair
        i = perms[r, j - 1]
        mask = ranks[r] < j - 1
        # Z_1 = 0 by definition (nothing revealed); skip the round-off of H(X_i) - H(X_i).
        return jnp.where(j == 1, 0.0, h[i] - entropy(model.conditional(x[r], mask, i)))

    def batch(pairs):
        return jax.vmap(one)(pairs)

    vals = jax.lax.map(batch, (rr.reshape(-1, batch_size), jj.reshape(-1, batch_size)))
    return vals.reshape(-1)[:total].reshape(m, js.shape[0])


def _check_model(model) -> tuple[int, int]:
    for attr in ("n", "q", "sample", "conditional", "marginal_entropies"):
        if not hasattr(model, attr):
            raise ValueError(
                f"model: expected a model with n, q, sample, conditional and marginal_entropies "
                f"(e.g. mdm.curves.HiddenMarkovModel), missing {attr!r}"
            )
    return int(model.n), int(model.q)


@scoped_x64
def monte_carlo_values(
    model, key, num_samples: int = 256, js=None, batch_size: int | None = None
) -> np.ndarray:
    """The per-draw values ``H(X_i) - H(p(. | x^r_S))`` behind :func:`estimate_z`, ``(m, |js|)``.

    Row ``r`` is draw ``(x^r, pi^r)``; its mean over rows is :func:`estimate_z`'s ``z``. The rows
    are independent, so any statistic of them (a schedule's Theorem 4 value, a split into halves
    for cross-fitting, :func:`mdmjax.calibrate.cross_fit_monte_carlo`) gets its standard error
    from the row-to-row spread.

    Args:
      model: a model with exact conditionals (``HiddenMarkovModel``, ``TreeMRF``/``ising_tree``,
        ``MixtureOfProducts``, or your own with the same methods).
      key: a ``jax.random`` key (or an int seed). The same key gives the same numbers.
      num_samples: ``m``, the number of draws ``(x, pi)``; every ``j`` uses all of them.
      js: 1-indexed ``j`` values to estimate (default ``1..n``).
      batch_size: ``(sample, j)`` pairs vmapped at once (default: sized to ~64 MiB of work).

    Returns:
      float64 ``(num_samples, |js|)``, in nats.

    Examples:
      A repeated bit as a mixture of two point masses: ``H(X_i) = ln 2`` and one revealed
      token fixes the rest, so every draw gives ``(0, ln 2, ln 2, ln 2)`` exactly:

      >>> import math, numpy as np, mdmjax as mdm
      >>> rep = mdm.curves.MixtureOfProducts([0.5, 0.5], [[[1.0, 0.0]] * 4, [[0.0, 1.0]] * 4])
      >>> v = mdm.curves.monte_carlo_values(rep, key=0, num_samples=3, js=[1, 2, 4])
      >>> v.shape, bool(np.allclose(v, [0.0, math.log(2), math.log(2)]))
      ((3, 3), True)
    """
    n, q = _check_model(model)
    m = as_positive_int(num_samples, "num_samples")
    key = as_key(key)
    if js is None:
        js_arr = np.arange(1, n + 1)
    else:
        js_arr = np.asarray(js)
        if js_arr.ndim != 1 or js_arr.size == 0 or js_arr.dtype.kind not in "iu":
            raise ValueError(f"js: expected a non-empty 1-D array of integers, got {js!r}")
        if js_arr.min() < 1 or js_arr.max() > n:
            raise ValueError(f"js: values must lie in 1..n = {n}, got {js_arr.tolist()}")
    per_pair = _PAIR_BYTES_PER_STATE * n * max(q, getattr(model, "states", q))
    if batch_size is None:
        batch_size = int(max(1, min(m * js_arr.size, (64 << 20) // per_pair)))
    batch_size = as_positive_int(batch_size, "batch_size")
    check_allocation(
        per_pair * batch_size + 8 * m * (js_arr.size + 3 * n),
        f"Monte-Carlo work for {m} samples x {js_arr.size} values of j (n = {n})",
        hint="Lower batch_size or num_samples.",
        argument="num_samples",
    )
    k_x, k_pi = jax.random.split(key)
    x = draw_samples(model, k_x, m)
    perms = random_permutations(k_pi, m, n)
    h = marginal_entropies(model)
    return np.asarray(_pair_values(model, x, perms, jnp.asarray(js_arr), h, batch_size))


@scoped_x64
def estimate_z(model, key, num_samples: int = 256, js=None, batch_size: int | None = None):
    """Raw Monte-Carlo estimates of ``Z_j`` with standard errors (module docstring).

    The mean and standard error over the rows of :func:`monte_carlo_values`, which takes the
    same arguments (``model``, ``key``, ``num_samples``, ``js``, ``batch_size``).

    Returns:
      ``(z, stderr)``: float64 arrays over ``js``, in nats. ``z`` may dip (it is unbiased, not
      projected); ``stderr`` is ``inf`` when ``num_samples == 1``.

    Examples:
      A repeated bit as a mixture of two point masses: ``H(X_i) = ln 2`` and one revealed
      token fixes the rest, so every draw gives ``(0, ln 2, ln 2, ln 2)`` exactly:

      >>> import math, numpy as np, mdmjax as mdm
      >>> rep = mdm.curves.MixtureOfProducts([0.5, 0.5], [[[1.0, 0.0]] * 4, [[0.0, 1.0]] * 4])
      >>> z, se = mdm.curves.estimate_z(rep, key=0, num_samples=8)
      >>> bool(np.allclose(z, [0, math.log(2), math.log(2), math.log(2)])), bool(np.all(se < 1e-12))
      (True, True)
    """
    return mean_stderr(monte_carlo_values(model, key, num_samples, js, batch_size))


@scoped_x64
def isotonic_increasing(y, weights=None) -> np.ndarray:
    """Weighted least-squares projection of ``y`` on non-decreasing sequences (pool adjacent
    violators). Infinite weights pin a value.

    Args:
      y: ``(n,)`` values.
      weights: ``(n,)`` positive weights (default all 1); ``inf`` pins a value.

    Returns:
      the float64 projection.

    Examples:
      The violating pair ``(3, 2)`` is pooled to its weighted mean, ``(3 + 2)/2`` or, with
      weight 3 on the 2, ``(3 + 3 · 2)/4``:

      >>> import math, mdmjax as mdm
      >>> mdm.curves.isotonic_increasing([1.0, 3.0, 2.0, 4.0]).tolist()
      [1.0, 2.5, 2.5, 4.0]
      >>> mdm.curves.isotonic_increasing([1.0, 3.0, 2.0, 4.0], [1, 1, 3, 1]).tolist()
      [1.0, 2.25, 2.25, 4.0]
      >>> mdm.curves.isotonic_increasing([1.0, 3.0, 2.0], [1, math.inf, 1]).tolist()
      [1.0, 3.0, 3.0]
    """
    y = np.asarray(y, dtype=np.float64)
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype=np.float64)
    means: list[float] = []
    wsum: list[float] = []
    counts: list[int] = []
    for yi, wi in zip(y, w, strict=True):  # a loop over positions
        means.append(float(yi))
        wsum.append(float(wi))
        counts.append(1)
        while len(means) > 1 and means[-2] > means[-1]:
            w2, w1 = wsum.pop(), wsum[-1]
            m2, m1 = means.pop(), means[-1]
            c2 = counts.pop()
            if np.isinf(w1) and np.isinf(w2):
                merged = 0.5 * (m1 + m2)
            elif np.isinf(w1):
                merged = m1
            elif np.isinf(w2):
                merged = m2
            else:
                merged = (w1 * m1 + w2 * m2) / (w1 + w2)
            means[-1], wsum[-1] = merged, w1 + w2
            counts[-1] += c2
    return np.repeat(np.asarray(means), counts)


@scoped_x64
def curve_from_estimates(z, stderr, h1=None) -> InformationCurve:
    """An :class:`InformationCurve` from raw ``Z`` estimates: isotonic projection (weights
    ``1 / stderr^2``, exact values pinned), ``Z_1 = 0``, ``stderr`` kept.

    Args:
      z: ``(n,)`` raw estimates (``z[0]`` is set to 0).
      stderr: ``(n,)`` their standard errors (0: exact).
      h1: ``Hbar_1``, to rebuild ``hbar`` (optional).

    Returns:
      an :class:`InformationCurve` with ``stderr``.

    Examples:
      The dip ``0.5 -> 0.4`` (equal errors) is pooled to ``0.45``:

      >>> import numpy as np, mdmjax as mdm
      >>> c = mdm.curves.curve_from_estimates([0.0, 0.5, 0.4, 0.7], [0.0, 0.1, 0.1, 0.1])
      >>> np.round(c.z, 12).tolist(), c.stderr.tolist()
      ([0.0, 0.45, 0.45, 0.7], [0.0, 0.1, 0.1, 0.1])
    """
    z = np.asarray(z, dtype=np.float64)
    se = np.asarray(stderr, dtype=np.float64)
    with np.errstate(divide="ignore"):
        w = np.where(se > 0, 1.0 / np.square(se), np.inf)
    w[0] = np.inf
    z = np.asarray(z, dtype=np.float64).copy()
    z[0] = 0.0
    proj = np.maximum(isotonic_increasing(z, w), 0.0)
    proj[0] = 0.0
    proj = np.maximum.accumulate(proj)
    return InformationCurve.from_z(proj, h1=h1, stderr=np.where(np.isfinite(se), se, 0.0))


@scoped_x64
def monte_carlo_curve(
    model, key, num_samples: int = 256, batch_size: int | None = None
) -> InformationCurve:
    """A Monte-Carlo :class:`InformationCurve` with standard errors (module docstring).

    Args:
      model: a model with exact conditionals (see :func:`estimate_z`).
      key: a ``jax.random`` key or an int seed.
      num_samples: number of draws ``(x, pi)``, ``>= 2``.
      batch_size: ``(sample, j)`` pairs vmapped at once.

    Returns:
      a curve whose ``z`` is the isotonic projection of the unbiased estimates, ``stderr`` their
      standard errors, and ``hbar`` rebuilt from the exact ``Hbar_1 = mean_i H(X_i)``.

    Examples:
      >>> import mdmjax as mdm
      >>> model = mdm.curves.MixtureOfProducts([0.5, 0.5], [[[0.9, 0.1]] * 6, [[0.1, 0.9]] * 6])
      >>> c = mdm.curves.monte_carlo_curve(model, key=0, num_samples=64)
      >>> c.n, c.stderr.shape
      (6, (6,))
    """
    m = as_positive_int(num_samples, "num_samples", minimum=2)
    z, se = estimate_z(model, key, m, batch_size=batch_size)
    h1 = float(np.mean(np.asarray(marginal_entropies(model))))
    return curve_from_estimates(z, se, h1=h1)
