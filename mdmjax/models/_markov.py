"""The exact conditionals of a Markov chain as a traceable model, at any ``n``.

For a homogeneous chain ``p(x) = mu(x_1) prod_t P[x_t, x_{t+1}]`` the law of a masked ``x_i``
given revealed positions depends only on the nearest revealed neighbours ``l < i < r``
(docs/theory.md §9.1):

.. math:: p(x_i = v \\mid x_S) \\propto \\big(P^{i-l}[x_l, v] \\text{ or } (\\mu P^{i})[v]\\big)
          \\cdot \\big(P^{r-i}[v, x_r] \\text{ or } 1\\big),

the left factor when ``l`` exists (else the marginal of ``X_i``), the right one when ``r``
exists. ``O(n q)`` per row with precomputed powers ``P^d``. Its :func:`mdmjax.model_curve` is an
unbiased estimate of the exact curve :func:`mdmjax.curves.markov_chain_curve` (``CE = g``), a test
case for long sequences. Its sampler is :func:`mdmjax.families.sample_markov_chain`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from mdmjax._src.precision import scoped_x64
from mdmjax._src.validate import as_positive_int, as_stochastic
from mdmjax.models._function import from_callable

__all__ = ["markov_chain_model"]


@scoped_x64
def markov_chain_model(initial, transition, n: int):
    """The exact conditionals of a homogeneous Markov chain, as a traceable probs model.

    Args:
      initial: ``(q,)`` law of ``X_1``.
      transition: ``(q, q)`` row-stochastic matrix.
      n: number of positions.

    Returns:
      a :class:`mdmjax.models.FunctionModel` (``output="probs"``, mask value ``q``).

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> m = mdm.models.markov_chain_model([0.5, 0.5], [[0.9, 0.1], [0.1, 0.9]], 3)
      >>> lpx, ent = m.score(np.array([[0, 2, 0]]), np.array([[0, 0, 0]]))
      >>> round(float(np.exp(lpx[0, 1])), 6)  # 0.81 / (0.81 + 0.01)
      0.987805
    """
    mu = as_stochastic(initial, "initial", (1,), "the initial law")
    tr = as_stochastic(transition, "transition", (2,), "every transition row")
    q = tr.shape[0]
    if tr.shape != (q, q) or mu.shape != (q,):
        raise ValueError(f"transition: expected ({mu.shape[0]}, {mu.shape[0]}), got {tr.shape}")
    n = as_positive_int(n, "n")
    powers = np.empty((n + 1, q, q))
    powers[0] = np.eye(q)
    for d in range(1, n + 1):
        powers[d] = powers[d - 1] @ tr
    marg = mu[None, :] @ powers[:n]  # (n, q): law of X_i
    marg = marg.reshape(n, q)
    pw, mg = jnp.asarray(powers), jnp.asarray(marg)

    def conditionals(y):
        y = jnp.asarray(y)
        b = y.shape[0]
        pos = jnp.arange(n)
        rev = y < q
        left = jax.lax.cummax(jnp.where(rev, pos, -1), axis=1)
        left = jnp.concatenate([jnp.full((b, 1), -1), left[:, :-1]], axis=1)
        right = jax.lax.cummin(jnp.where(rev, pos, n), axis=1, reverse=True)
        right = jnp.concatenate([right[:, 1:], jnp.full((b, 1), n)], axis=1)
        lv = jnp.take_along_axis(y, jnp.clip(left, 0, n - 1), axis=1).clip(0, q - 1)
        rv = jnp.take_along_axis(y, jnp.clip(right, 0, n - 1), axis=1).clip(0, q - 1)
        lf = jnp.where(
            (left >= 0)[..., None],
            pw[jnp.clip(pos[None, :] - left, 0, n), lv],  # (B, n, q): P^{i-l}[x_l, .]
            mg[None, :, :],
        )
        rmat = pw[jnp.clip(right - pos[None, :], 0, n)]  # (B, n, q, q)
        rf = jnp.where(
            (right < n)[..., None],
            jnp.take_along_axis(rmat, rv[..., None, None], axis=3)[..., 0],
            1.0,
        )
        w = lf * rf
        return w / jnp.sum(w, axis=-1, keepdims=True)

    return from_callable(
        conditionals, num_values=q, output="probs", traceable=True, n=n, name="markov_chain_model"
    )
