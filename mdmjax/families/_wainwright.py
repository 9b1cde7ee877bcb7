"""The laws of Wainwright (2026): random binary centres with flip noise, and XORSAT.

* **Random-centres mixture.** ``M`` centres ``c_1..c_M`` uniform in ``{0,1}^d`` (the paper uses
  ``M = 2^{d/4}``); draw a centre uniformly, then flip each bit independently with probability
  ``η``. It is a mixture of products, ``p(x) = (1/M) Σ_m Π_i η^{[x_i ≠ c_{m,i}]}
  (1-η)^{[x_i = c_{m,i}]}``, so :func:`random_centres_marginals` gives the arrays that
  ``mdm.curves.MixtureOfProducts`` (exact conditionals, a Monte-Carlo curve at ``d = 32..64``)
  and :func:`mixture_of_products` (a full table, small ``d``) take, and ``log p(x)`` is exact
  per row (:func:`random_centres_log_prob`).
  :func:`random_centres_z_rows` gives the same per-row Monte-Carlo values as
  ``mdm.curves.monte_carlo_values`` on that model, in ``O(M d)`` per row instead of
  ``O(M d^2)`` (the posterior over centres is updated along the permutation by cumulative sums),
  which makes ``d = 64`` (``M = 65536``) cheap.
* **XORSAT.** ``Z = A U mod 2`` with ``U`` uniform on ``F_2^k`` and ``A`` a ``d × k`` binary
  matrix: the uniform law on the linear code with generator ``A^T``, exact by rank counting
  (``mdm.curves.linear_code_curve(xorsat_matrix(..).T, 2)``) or as a table (:func:`xorsat`).

docs/theory.md §12.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from mdmjax._src.keys import as_key
from mdmjax._src.numerics import binary_entropy
from mdmjax._src.precision import scoped_x64
from mdmjax._src.validate import as_positive_int
from mdmjax.distribution import Distribution
from mdmjax.families._codes import linear_code
from mdmjax.families._common import as_probability
from mdmjax.families._mixtures import mixture_of_products

__all__ = [
    "random_centres",
    "random_centres_marginals",
    "random_centres_mixture",
    "random_centres_log_prob",
    "random_centres_z_rows",
    "xorsat_matrix",
    "xorsat",
]


@scoped_x64
def random_centres(key, d: int, num_centres: int | None = None) -> np.ndarray:
    """``(M, d)`` centres uniform in ``{0,1}^d``; ``M = 2^{d/4}`` (rounded) by default.

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.families.random_centres(0, 8).shape
      (4, 8)
    """
    d = as_positive_int(d, "d")
    m = max(1, round(2.0 ** (d / 4))) if num_centres is None else num_centres
    m = as_positive_int(m, "num_centres")
    k = as_key(key)
    return np.asarray(jax.random.bernoulli(k, 0.5, (m, d))).astype(np.int64)


@scoped_x64
def random_centres_marginals(centres, eta: float) -> tuple[np.ndarray, np.ndarray]:
    """``(weights (M,), marginals (M, d, 2))`` of the flip-noise mixture on ``centres``.

    Examples:
      >>> import mdmjax as mdm
      >>> w, m = mdm.families.random_centres_marginals([[0, 1]], 0.1)
      >>> m.tolist()
      [[[0.9, 0.1], [0.1, 0.9]]]
    """
    c = np.asarray(centres)
    if c.ndim != 2 or c.size == 0 or not np.all((c == 0) | (c == 1)):
        raise ValueError("centres: expected a non-empty (M, d) array of 0/1")
    e = as_probability(eta, "eta")
    marg = np.where(c[..., None] == np.arange(2), 1.0 - e, e)
    return np.full(c.shape[0], 1.0 / c.shape[0]), marg


@scoped_x64
def random_centres_mixture(key, d: int, eta: float, num_centres: int | None = None):
    """The flip-noise mixture on random centres as a probability table (small ``d``).

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.families.random_centres_mixture(0, 6, 0.1).n
      6
    """
    w, m = random_centres_marginals(random_centres(key, d, num_centres), eta)
    return mixture_of_products(w, m)


@scoped_x64
def random_centres_log_prob(centres, eta: float, x) -> np.ndarray:
    """Exact ``log p(x)`` per row of ``x`` (``(R, d)`` 0/1) under the flip-noise mixture.

    .. math:: \\log p(x) = \\log \\frac1M \\sum_m \\eta^{D_m} (1-\\eta)^{d - D_m},
              \\quad D_m = \\#\\{i : x_i \\ne c_{m,i}\\}

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> lp = mdm.families.random_centres_log_prob([[0, 0]], 0.5, [[0, 1]])
      >>> np.round(lp, 12).tolist() == [round(2 * np.log(0.5), 12)]
      True
    """
    c = np.asarray(centres)
    random_centres_marginals(c, eta)  # validates
    rows = np.asarray(x)
    if rows.ndim != 2 or rows.shape[1] != c.shape[1]:
        raise ValueError(f"x: expected (R, {c.shape[1]}) rows, got shape {rows.shape}")
    dist = jnp.asarray((rows[:, None, :] != c[None, :, :]).sum(-1), dtype=jnp.float64)
    e = float(eta)
    d = c.shape[1]
    log_e = jnp.log(e) if e > 0 else -jnp.inf
    log_1e = jnp.log1p(-e) if e < 1 else -jnp.inf
    terms = jnp.where(dist > 0, dist * log_e, 0.0) + jnp.where(
        d - dist > 0, (d - dist) * log_1e, 0.0
    )
    return np.asarray(jax.nn.logsumexp(terms, axis=1) - jnp.log(c.shape[0]))


@scoped_x64
def xorsat_matrix(key, d: int, k: int, row_weight: int | None = None) -> np.ndarray:
    """A ``(d, k)`` binary matrix ``A``: entries uniform, or ``row_weight`` ones per row.

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.families.xorsat_matrix(0, 5, 3, row_weight=2).sum(axis=1).tolist()
      [2, 2, 2, 2, 2]
    """
    d = as_positive_int(d, "d")
    k = as_positive_int(k, "k")
    key = as_key(key)
    if row_weight is None:
        return np.asarray(jax.random.bernoulli(key, 0.5, (d, k))).astype(np.int64)
    w = as_positive_int(row_weight, "row_weight")
    if w > k:
        raise ValueError(f"row_weight: at most k = {k}, got {w}")
    order = jnp.argsort(jax.random.uniform(key, (d, k), dtype=jnp.float64), axis=1)
    return (np.asarray(order) < w).astype(np.int64)


@scoped_x64
def xorsat(key, d: int, k: int, row_weight: int | None = None) -> Distribution:
    """XORSAT: the law of ``Z = A U mod 2``, ``U`` uniform on ``F_2^k`` (a linear code; exact).

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.families.xorsat(0, 4, 2).n
      4
    """
    return linear_code(xorsat_matrix(key, d, k, row_weight).T, 2)


@jax.jit
def _z_row(centres, log_e, log_1e, theta1, h_marg, x, order):
    """Row values ``H(X_i) - H(p(X_i | x_S))`` along one permutation (``j = 1..d``)."""
    cs = centres[:, order]  # (M, d) centres in reveal order
    xs = x[order]
    mismatch = (cs != xs[None, :]).astype(jnp.float64)
    seen = jnp.cumsum(mismatch, axis=1) - mismatch  # mismatches among the first j revealed
    j = jnp.arange(order.shape[0], dtype=jnp.float64)[None, :]
    post = jax.nn.softmax(seen * log_e + (j - seen) * log_1e, axis=0)
    p1 = jnp.sum(post * theta1[:, order], axis=0)
    vals = h_marg[order] - binary_entropy(p1)
    return vals.at[0].set(0.0)


@scoped_x64
def random_centres_z_rows(key, centres, eta: float, num_samples: int = 256) -> np.ndarray:
    """Per-row Monte-Carlo values of ``Z`` for the flip-noise mixture, ``(num_samples, d)``.

    Row ``r``: draw ``x^r ~ p`` and a uniform permutation ``π^r``; entry ``j`` is
    ``H(X_i) - H(p(. | x^r_S))`` with ``S = {π_1..π_{j-1}}``, ``i = π_j`` (the estimator of
    ``mdm.curves.monte_carlo_values``; its column means are unbiased for ``Z_j``). The posterior
    over centres after ``j`` reveals is ``∝ η^{D_m} (1-η)^{j-D_m}`` with ``D_m`` the mismatches so
    far, so one row costs ``O(M d)``.

    Args:
      key: a ``jax.random`` key or int seed.
      centres: ``(M, d)`` 0/1 centres.
      eta: flip probability in ``(0, 1)``.
      num_samples: rows, ``>= 1``.

    Examples:
      >>> import mdmjax as mdm
      >>> c = mdm.families.random_centres(0, 8)
      >>> mdm.families.random_centres_z_rows(1, c, 0.1, 4).shape
      (4, 8)
    """
    w, marg = random_centres_marginals(centres, eta)
    e = float(eta)
    if not 0 < e < 1:
        raise ValueError(f"eta: must lie strictly inside (0, 1), got {eta!r}")
    m = as_positive_int(num_samples, "num_samples")
    c = jnp.asarray(np.asarray(centres), dtype=jnp.int64)
    big_m, d = c.shape
    k_c, k_x, k_p = jax.random.split(as_key(key), 3)
    pick = jax.random.randint(k_c, (m,), 0, big_m)
    flips = jax.random.bernoulli(k_x, e, (m, d)).astype(jnp.int64)
    x = (c[pick] + flips) % 2
    orders = jnp.argsort(jax.random.uniform(k_p, (m, d), dtype=jnp.float64), axis=1)
    theta1 = jnp.asarray(marg[..., 1])
    h_marg = binary_entropy(jnp.mean(theta1, axis=0))
    log_e, log_1e = jnp.log(jnp.asarray(e)), jnp.log1p(-jnp.asarray(e))
    rows = jax.lax.map(lambda a: _z_row(c, log_e, log_1e, theta1, h_marg, a[0], a[1]), (x, orders))
    return np.asarray(rows)
