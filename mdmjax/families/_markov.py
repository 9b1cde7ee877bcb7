"""Markov-chain laws as tables (small ``n``).

``mdm.families.markov_chain`` returns a :class:`~mdmjax.Distribution` (the ``q^n`` table);
``mdm.curves.markov_chain_curve`` returns the :class:`~mdmjax.InformationCurve` of a chain at any
``n`` without building the table (docs/theory.md §9.1).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from mdmjax._src.keys import as_key
from mdmjax._src.markov import chain_length, clip_normalize, solve_stationary
from mdmjax._src.precision import scoped_x64
from mdmjax._src.random_laws import random_markov_parameters
from mdmjax._src.validate import as_positive_float, as_positive_int
from mdmjax.distribution import Distribution
from mdmjax.families._common import (
    array_module,
    as_table_positions,
    guard_uniform_table,
    prob_array,
)

__all__ = ["markov_chain", "random_markov_chain"]


def _markov_table(initial, transitions):
    """``p(x) = mu(x_1) prod_t T_t[x_t, x_{t+1}]``, appending one position per transition."""
    xp = array_module([initial, *transitions])
    t = xp.asarray(initial)
    for trans in transitions:
        t = t[..., None] * xp.reshape(xp.asarray(trans), (1,) * (t.ndim - 1) + trans.shape)
    return t


@scoped_x64
def markov_chain(initial, transition, n: int | None = None) -> Distribution:
    """A Markov chain ``p(x) = mu(x_1) prod_{t=1}^{n-1} T_t[x_t, x_{t+1}]``.

    Args:
      initial: the law ``mu`` of ``X_1``, a ``(q,)`` probability vector.
      transition: a ``(q, q)`` row-stochastic matrix (homogeneous chain) or an ``(n-1, q, q)``
        stack ``T_1..T_{n-1}`` (non-homogeneous).
      n: number of positions, ``>= 1``; required for a homogeneous chain, inferred (or checked)
        for a stack.

    Examples:
      >>> import mdmjax as mdm
      >>> d = mdm.families.markov_chain([0.5, 0.5], [[0.9, 0.1], [0.1, 0.9]], n=4)
      >>> d.shape
      (2, 2, 2, 2)
    """
    mu = prob_array(initial, "initial", 1, "the initial law")
    q = int(mu.shape[0])
    ndim = np.ndim(transition)
    if ndim not in (2, 3):
        raise ValueError(
            f"transition: expected shape (q, q) or (n-1, q, q), got {np.shape(transition)}"
        )
    trans = prob_array(transition, "transition", ndim, "every transition row")
    if tuple(trans.shape[-2:]) != (q, q):
        raise ValueError(
            f"transition: expected (.., {q}, {q}) to match initial's {q} values, got "
            f"{tuple(trans.shape)}"
        )
    n = chain_length(n, int(trans.shape[0]) if ndim == 3 else None)
    guard_uniform_table(q, n, "Markov-chain")
    steps = [trans if ndim == 2 else trans[t] for t in range(n - 1)]
    return Distribution.from_probs(_markov_table(mu, steps))


def _stationary(trans: jax.Array) -> jax.Array:
    """The stationary law ``pi = pi T``: solve ``pi (I - T + 1 1^T) = 1^T`` (unique if ergodic)."""
    return clip_normalize(solve_stationary(trans, jnp), jnp)


@scoped_x64
def random_markov_chain(
    key, n: int, q: int = 2, concentration: float = 1.0, stationary: bool = False
) -> Distribution:
    """A homogeneous Markov chain with Dirichlet-random initial law and transition rows.

    ``mu ~ Dir(c · 1_q)`` and each row ``T[a, :] ~ Dir(c · 1_q)`` independently, ``c`` the
    concentration. With ``stationary=True`` the chain starts from the stationary law of ``T``
    (then every position has the same marginal).

    Args:
      key: a ``jax.random`` key (an int is taken as a seed).
      n: number of positions, ``>= 1``.
      q: alphabet size, ``>= 1``.
      concentration: Dirichlet concentration ``c > 0`` (small = nearly deterministic).
      stationary: start from the stationary law instead of a random one.

    Usable under ``jax.vmap`` over keys.

    Examples:
      >>> import mdmjax as mdm
      >>> d = mdm.families.random_markov_chain(0, 3)
      >>> d.shape, round(float(d.probs.sum()), 12)
      ((2, 2, 2), 1.0)
    """
    n = as_table_positions(n)
    q = as_positive_int(q, "q")
    c = as_positive_float(concentration, "concentration")
    if not isinstance(stationary, bool | np.bool_):
        raise ValueError(f"stationary: expected True or False, got {stationary!r}")
    guard_uniform_table(q, n, "random Markov-chain")
    trans, mu = random_markov_parameters(as_key(key), q, c)
    if stationary:
        mu = _stationary(trans)
    return Distribution.from_probs(_markov_table(mu, [trans] * (n - 1)))
