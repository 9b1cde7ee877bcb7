"""The best Bernoulli (MDLM/MD4) time grid with ``N`` steps, by optax over the grid itself.

The grid ``0 = t_0 < .. < t_N = 1`` is parametrized without constraints by its increments,
``t_{j+1} - t_j = softmax(θ)_j``, and :func:`mdmjax.kl.bernoulli_kl_kernel` (exact, smooth in
the interior points) is minimized with Adam from Theorem 3's equal-``√q`` grid
(:func:`mdmjax.schedules.ugc_grid`). The best iterate is kept, so the result never does worse
than its start. The loss is the exact KL of the grid, so no rounding or polishing is needed.
docs/theory.md §12.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from mdmjax._src.precision import scoped_x64
from mdmjax._src.validate import as_positive_float, as_positive_int
from mdmjax.curves import as_curve
from mdmjax.kl import bernoulli_kl, bernoulli_kl_kernel
from mdmjax.schedules import ugc_grid

__all__ = ["BernoulliGrid", "optimize_bernoulli_grid"]


class BernoulliGrid(NamedTuple):
    """Result of :func:`optimize_bernoulli_grid`: the ``grid``, its exact ``kl``, the start's
    ``initial_kl`` (the equal-``√q`` grid) and the loss ``history``.

    Examples:
      A repeated bit, ``n = 4``, two steps ``[0, t, 1]``: the KL is
      ``3 ln 2 - 4 ln 2 · u (1 - u^3)`` with ``u = 1 - t``, least at ``u = 4^{-1/3}``, where it
      is ``3 ln 2 (1 - 4^{-1/3})`` (docs/theory.md §12):

      >>> import math, mdmjax as mdm
      >>> c = mdm.curves.repetition_curve(4, 2)
      >>> r = mdm.search.optimize_bernoulli_grid(c, 2)
      >>> r.grid.shape, r.kl <= r.initial_kl, r.kl == mdm.kl.bernoulli_kl(c, r.grid)
      ((3,), True, True)
      >>> round(r.kl / (3 * math.log(2) * (1 - 4 ** (-1 / 3))), 6)
      1.0
    """

    grid: np.ndarray
    kl: float
    initial_kl: float
    history: np.ndarray


def _grid_from_logits(theta):
    inc = jax.nn.softmax(theta)
    return jnp.concatenate([jnp.zeros(1, theta.dtype), jnp.cumsum(inc)[:-1], jnp.ones(1)])


@functools.lru_cache(maxsize=8)
def _make_run(iterations: int, learning_rate: float):
    import optax

    optimizer = optax.adam(learning_rate)

    def loss(theta, z):
        return bernoulli_kl_kernel(z, _grid_from_logits(theta))

    def run(theta, z):
        with jax.numpy_dtype_promotion("standard"):  # optax's own arithmetic (as search._relax)
            state = optimizer.init(theta)

            def body(carry, _):
                p, s, best_p, best_l = carry
                val, grad = jax.value_and_grad(loss)(p, z)
                better = val < best_l
                best_p = jnp.where(better, p, best_p)
                best_l = jnp.where(better, val, best_l)
                updates, s = optimizer.update(grad, s, p)
                return (optax.apply_updates(p, updates), s, best_p, best_l), val

            init = (theta, state, theta, jnp.asarray(jnp.inf, theta.dtype))
            (p, _, best_p, best_l), hist = jax.lax.scan(body, init, None, length=iterations)
            last = loss(p, z)
            best_p = jnp.where(last < best_l, p, best_p)
            return best_p, hist

    return jax.jit(run)


@scoped_x64
def optimize_bernoulli_grid(
    curve, steps: int, *, iterations: int = 400, learning_rate: float = 0.05
) -> BernoulliGrid:
    """The best ``N``-step Bernoulli grid found by optax (Adam over softmax increments).

    Minimizes ``Σ_j ∫_{t_j}^{t_{j+1}} (h(u) - h(t_j)) du`` (:func:`mdmjax.kl.bernoulli_kl`) over
    the grid, started at :func:`mdmjax.schedules.ugc_grid` (Theorem 3's asymptotic optimum). A
    local optimum: the KL is not convex in the grid in general. docs/theory.md §12.

    Args:
      curve: an :class:`~mdmjax.InformationCurve` or :class:`~mdmjax.Distribution`, ``n >= 2``,
        not a product law.
      steps: ``N >= 1``.
      iterations: Adam steps.
      learning_rate: Adam's step size on the logits.

    Returns:
      a :class:`BernoulliGrid` with ``kl <= initial_kl``.

    Examples:
      >>> import mdmjax as mdm
      >>> c = mdm.curves.noisy_repetition_curve(16, 0.1)
      >>> r = mdm.search.optimize_bernoulli_grid(c, 4, iterations=50)
      >>> r.kl <= r.initial_kl, r.grid.shape
      (True, (5,))
    """
    c = as_curve(curve)
    n_steps = as_positive_int(steps, "steps")
    iters = as_positive_int(iterations, "iterations")
    lr = as_positive_float(learning_rate, "learning_rate")
    if c.n < 2:
        raise ValueError(f"curve: needs at least 2 positions, got n = {c.n}")
    start = ugc_grid(c, n_steps)
    initial = bernoulli_kl(c, start)
    if n_steps == 1:
        return BernoulliGrid(start, initial, initial, np.zeros(0))
    theta = jnp.log(jnp.asarray(np.diff(start)))
    z = jnp.asarray(c.z, dtype=jnp.float64)
    best, hist = _make_run(iters, lr)(theta, z)
    grid = np.asarray(_grid_from_logits(best))
    grid = np.maximum.accumulate(grid)
    try:
        kl = bernoulli_kl(c, grid)
    except ValueError:  # increments underflowed to 0: keep the start
        grid, kl = start, initial
    if not kl <= initial:
        grid, kl = start, initial
    return BernoulliGrid(grid, kl, initial, np.asarray(hist))
