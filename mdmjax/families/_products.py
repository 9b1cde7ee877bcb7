"""Product laws and Dirichlet-random joint tables.

A product law has additive subset entropies, so ``Z ≡ 0`` (docs/theory.md §5.1); a Dirichlet
table :func:`dirichlet` is a generic dependent law with no closed form.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import jax
import numpy as np

from mdmjax._src.keys import as_key
from mdmjax._src.precision import scoped_x64
from mdmjax._src.random_laws import dirichlet_rows, log_gamma, random_dirichlet_rows
from mdmjax._src.validate import as_positive_float, as_positive_int
from mdmjax.distribution import Distribution
from mdmjax.families._common import (
    as_alphabets,
    as_table_positions,
    guard_table,
    guard_uniform_table,
    is_tracer,
    outer,
    prob_array,
)

__all__ = ["dirichlet", "product", "random_product"]


@scoped_x64
def product(marginals: Sequence) -> Distribution:
    """The product law ``p(x) = prod_i p_i(x_i)`` (independent positions).

    Every subset entropy is additive, so ``Z ≡ 0`` and every schedule has KL 0 (docs/theory.md §5).

    Args:
      marginals: a sequence of ``n >= 1`` one-dimensional probability vectors; alphabets may
        differ. Each must be finite, non-negative and sum to 1 within 1e-9.

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.families.product([[0.5, 0.5], [0.2, 0.3, 0.5]]).shape
      (2, 3)
    """
    if is_tracer(marginals) or isinstance(marginals, np.ndarray | jax.Array):
        if np.ndim(marginals) != 2:
            raise ValueError(
                f"marginals: expected a sequence of 1-D vectors, got shape {np.shape(marginals)}"
            )
        vectors = [marginals[i] for i in range(np.shape(marginals)[0])]
    else:
        try:
            vectors = list(marginals)
        except TypeError as err:
            raise ValueError("marginals: expected a sequence of 1-D probability vectors") from err
    if not vectors:
        raise ValueError("marginals: a law needs at least 1 position, got none")
    shape = tuple(int(np.shape(v)[0]) if np.ndim(v) == 1 else -1 for v in vectors)
    if -1 in shape:
        i = shape.index(-1)
        raise ValueError(
            f"marginals: entry {i} must be a 1-D vector, got shape {np.shape(vectors[i])}"
        )
    guard_table(shape, "product", "marginals")
    vecs = [prob_array(v, "marginals", 1, f"marginal {i}") for i, v in enumerate(vectors)]
    return Distribution.from_probs(outer(vecs))


@scoped_x64
def random_product(key, n: int, q=2, alpha: float = 1.0) -> Distribution:
    """A product law with i.i.d. symmetric-Dirichlet marginals ``p_i ~ Dir(alpha · 1_{q_i})``.

    Args:
      key: a ``jax.random`` key (an int is taken as a seed).
      n: number of positions, ``>= 1``.
      q: alphabet size (shared) or a sequence of ``n`` sizes.
      alpha: Dirichlet concentration, ``> 0`` (small = peaked marginals).

    Usable under ``jax.vmap`` over keys.

    Examples:
      >>> import mdmjax as mdm
      >>> d = mdm.families.random_product(0, 3)  # explicit key (an int seed or a PRNG key)
      >>> d.shape, bool(abs(mdm.information_curve(d).tc) < 1e-12)  # independent: TC = 0
      ((2, 2, 2), True)
    """
    n = as_table_positions(n)
    qs = as_alphabets(q, n)
    alpha = as_positive_float(alpha, "alpha")
    guard_uniform_table(qs, n, "random product")
    draws = log_gamma(as_key(key), sum(qs), alpha)
    ends = np.cumsum(qs)
    vecs = [dirichlet_rows(draws[e - q : e], (q,)) for q, e in zip(qs, ends, strict=True)]
    return Distribution.from_probs(outer(vecs))


@scoped_x64
def dirichlet(key, shape: Sequence[int], alpha: float = 1.0) -> Distribution:
    """A random joint table ``p ~ Dir(alpha · 1)`` over all ``prod(shape)`` states.

    ``alpha = 1`` is uniform on the simplex; small ``alpha`` gives sparse, strongly dependent laws.

    Args:
      key: a ``jax.random`` key (an int is taken as a seed).
      shape: alphabet sizes ``(q_1, .., q_n)``, ``n >= 1``.
      alpha: concentration, ``> 0``.

    Usable under ``jax.vmap`` over keys.

    Examples:
      >>> import jax, mdmjax as mdm
      >>> keys = jax.random.split(jax.random.key(0), 4)
      >>> jax.vmap(lambda k: mdm.families.dirichlet(k, (2, 3)).probs)(keys).shape
      (4, 2, 3)
    """
    if np.ndim(shape) == 0:
        raise ValueError(f"shape: expected a sequence of alphabet sizes, got {shape!r}")
    shp = tuple(as_positive_int(s, "shape") for s in np.asarray(shape).tolist())
    if not shp:
        raise ValueError("shape: a law needs at least 1 position, got ()")
    alpha = as_positive_float(alpha, "alpha")
    guard_table(shp, "Dirichlet", "shape", copies=3)
    flat = random_dirichlet_rows(as_key(key), (math.prod(shp),), alpha)
    return Distribution.from_probs(flat.reshape(shp))
