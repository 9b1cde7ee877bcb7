"""Finite mixtures of product laws, given or Dirichlet-random."""

from __future__ import annotations

import jax

from mdmjax._src.keys import as_key
from mdmjax._src.precision import scoped_x64
from mdmjax._src.random_laws import random_mixture_parameters
from mdmjax._src.validate import as_positive_float, as_positive_int
from mdmjax.distribution import Distribution
from mdmjax.families._common import (
    array_module,
    as_table_positions,
    batched_outer,
    guard_table,
    guard_uniform_table,
    prob_array,
)

__all__ = ["mixture_of_products", "random_mixture_of_products"]


@scoped_x64
def mixture_of_products(weights, marginals) -> Distribution:
    """A finite mixture of product laws ``p(x) = sum_c w_c prod_i m[c, i, x_i]``.

    Args:
      weights: ``(m,)`` mixture weights (a probability vector).
      marginals: ``(m, n, q)`` array; ``marginals[c, i]`` is component ``c``'s law of ``X_i``.

    Examples:
      >>> import mdmjax as mdm
      >>> w, m = [0.5, 0.5], [[[1.0, 0.0]] * 3, [[0.0, 1.0]] * 3]
      >>> float(mdm.families.mixture_of_products(w, m).probs[1, 1, 1])
      0.5
    """
    w = prob_array(weights, "weights", 1, "the mixture weights")
    marg = prob_array(marginals, "marginals", 3, "every marginal")
    m, n, q = (int(s) for s in marg.shape)
    if m != int(w.shape[0]):
        raise ValueError(
            f"marginals: has {m} components (axis 0) but weights has {int(w.shape[0])}"
        )
    guard_table((q,) * n, "mixture", "marginals", copies=m + 2)
    return Distribution.from_probs(_mixture_table(w, marg))


def _mixture_table(w: jax.Array, marg: jax.Array) -> jax.Array:
    comps = batched_outer([marg[:, i, :] for i in range(marg.shape[1])])  # (m, q, .., q)
    return array_module([w, comps]).tensordot(w, comps, axes=1)


@scoped_x64
def random_mixture_of_products(
    key, n: int, q: int = 2, components: int = 2, alpha: float = 1.0
) -> Distribution:
    """A random mixture of ``components`` product laws.

    Weights ``w ~ Dir(1_m)`` (uniform on the simplex); every marginal ``m[c, i] ~ Dir(alpha 1_q)``
    independently.

    Args:
      key: a ``jax.random`` key (an int is taken as a seed).
      n: number of positions, ``>= 1``.
      q: alphabet size, ``>= 1``.
      components: number of mixture components ``m >= 1`` (``1`` gives a product law).
      alpha: Dirichlet concentration of the marginals, ``> 0``.

    Usable under ``jax.vmap`` over keys.

    Examples:
      >>> import mdmjax as mdm
      >>> d = mdm.families.random_mixture_of_products(0, 3)
      >>> d.shape, round(float(d.probs.sum()), 12)
      ((2, 2, 2), 1.0)
    """
    n = as_table_positions(n)
    q = as_positive_int(q, "q")
    m = as_positive_int(components, "components")
    alpha = as_positive_float(alpha, "alpha")
    guard_uniform_table(q, n, "random mixture", copies=m + 2)
    w, marg = random_mixture_parameters(as_key(key), m, n, q, alpha)
    return Distribution.from_probs(_mixture_table(w, marg))
