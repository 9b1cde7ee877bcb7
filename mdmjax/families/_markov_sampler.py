"""Draws of a homogeneous Markov chain (NumPy, seeded): validation data for model curves.

The exact conditionals of the same chain are :func:`mdmjax.models.markov_chain_model`; its law as
a table is :func:`mdmjax.families.markov_chain`. docs/theory.md §9.1.
"""

from __future__ import annotations

import numpy as np

from mdmjax._src.precision import scoped_x64
from mdmjax._src.validate import as_stochastic

__all__ = ["sample_markov_chain"]


@scoped_x64
def sample_markov_chain(initial, transition, n: int, rows: int, seed: int = 0) -> np.ndarray:
    """``rows`` draws of the chain ``p(x) = mu(x_1) prod_t P[x_t, x_{t+1}]``, int64 ``(rows, n)``.

    NumPy, seeded (``numpy.random.default_rng(seed)``): ``X_1 ~ initial``, then each ``X_{t+1}``
    by inverting the CDF of row ``X_t`` of ``transition`` at a uniform draw (docs/theory.md §9.1).
    :func:`mdmjax.models.markov_chain_model` gives the same chain's exact conditionals.

    Args:
      initial: ``(q,)`` law of ``X_1``.
      transition: ``(q, q)`` row-stochastic matrix.
      n: number of positions.
      rows: number of draws.
      seed: the NumPy seed.

    Examples:
      >>> import mdmjax as mdm
      >>> x = mdm.families.sample_markov_chain([0.5, 0.5], [[1.0, 0.0], [0.0, 1.0]], 4, 3, seed=0)
      >>> x.shape, bool((x == x[:, :1]).all())  # the identity chain repeats its first value
      ((3, 4), True)
    """
    mu = as_stochastic(initial, "initial", (1,), "the initial law")
    tr = as_stochastic(transition, "transition", (2,), "every transition row")
    rng = np.random.default_rng(seed)
    cum = np.cumsum(tr, axis=1)
    out = np.empty((rows, n), dtype=np.int64)
    out[:, 0] = rng.choice(mu.size, size=rows, p=mu)
    u = rng.random((rows, n))
    for t in range(1, n):
        out[:, t] = np.minimum((u[:, t, None] > cum[out[:, t - 1]]).sum(axis=1), mu.size - 1)
    return out
