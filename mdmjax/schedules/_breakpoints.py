"""Integer schedules from partial sums: the shared tools of the schedule constructors.

Every deterministic constructor returns a tuple of positive ints ``(s_1, .., s_k)`` summing to
``n``. Where a formula produces a step that reveals nothing, that zero-size step is **dropped**:
an empty step needs no oracle call, and Theorem 4 charges nothing for it (docs/theory.md §2.3).

:func:`from_breakpoints` turns continuous partial sums into a valid integer schedule with exactly
``k`` steps; :func:`round_breakpoints` is its jittable core.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from mdmjax._src.memory import check_step_count
from mdmjax._src.precision import scoped_x64
from mdmjax._src.validate import as_positive_int, as_real_array

__all__ = ["from_breakpoints", "round_breakpoints"]


def _drop_zeros(sizes) -> tuple[int, ...]:
    return tuple(int(s) for s in sizes if int(s) != 0)


def _from_partial_sums(partial) -> tuple[int, ...]:
    """Sizes from partial sums ``N_0 = 0, .., N_k = n`` (non-decreasing), zero steps dropped."""
    return _drop_zeros(np.diff(np.asarray(partial, dtype=np.int64)))


def _as_steps(steps, n: int | None = None, argument: str = "steps") -> int:
    """A step count ``k >= 1``, ``<= n`` when ``n`` is given. Without ``n`` (the practice
    schedules, where steps past ``n`` are empty) the ``O(k)`` work is guarded like memory."""
    k = as_positive_int(steps, argument)
    if n is not None and k > n:
        raise ValueError(
            f"{argument}: must be <= n = {n} (each step reveals at least one position), got {k}"
        )
    check_step_count(k, argument)
    return k


@scoped_x64
def round_breakpoints(tau: jax.Array, n: int) -> jax.Array:
    """Round continuous interior breakpoints to integers ``0 < N_1 < .. < N_{k-1} < n``.

    Jittable and vmappable (``tau`` may carry leading batch axes). Each ``tau_t`` is rounded to
    the nearest integer (halves up), then repaired so that every step reveals at least one
    position: ``N_t - t`` is clipped to ``[0, n - k]`` and replaced by its running maximum, which
    keeps the partial sums strictly increasing with ``N_t <= n - (k - t)``.

    Args:
      tau: ``(..., k-1)`` non-decreasing continuous partial sums in ``[0, n]``.
      n: number of positions (static).

    Returns:
      ``(..., k-1)`` int array of partial sums.

    Examples:
      >>> import jax, jax.numpy as jnp, mdmjax as mdm
      >>> with jax.enable_x64(True):
      ...     cuts = mdm.schedules.round_breakpoints(jnp.array([1.4, 3.6]), 6)
      >>> cuts.tolist()  # sizes (1, 3, 2)
      [1, 4]
    """
    tau = jnp.asarray(tau)
    k = tau.shape[-1] + 1
    t = jnp.arange(1, k)
    y = jnp.clip(jnp.floor(tau + 0.5).astype(jnp.int64) - t, 0, n - k)
    if k > 1:
        y = jax.lax.cummax(y, axis=y.ndim - 1)
    return y + t


@scoped_x64
def from_breakpoints(n: int, breakpoints) -> tuple[int, ...]:
    """An integer schedule with exactly ``k`` steps from ``k - 1`` continuous breakpoints.

    The breakpoints are the interior partial sums ``N_1 <= .. <= N_{k-1}`` (floats allowed, in
    ``[0, n]``). They are rounded and repaired by :func:`round_breakpoints`, so every step is
    ``>= 1`` and the sizes sum to ``n``.

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.schedules.from_breakpoints(10, [2.4, 2.6, 7.5])
      (2, 1, 5, 2)
    """
    n = as_positive_int(n, "n")
    tau = as_real_array(breakpoints, "breakpoints").reshape(-1)
    if not np.all(np.isfinite(tau)):
        raise ValueError("breakpoints: must be finite")
    if tau.size + 1 > n:
        raise ValueError(f"breakpoints: {tau.size} breakpoints give more than n = {n} steps")
    if tau.size and (np.any(np.diff(tau) < 0) or tau[0] < 0 or tau[-1] > n):
        raise ValueError(f"breakpoints: must be non-decreasing within [0, {n}], got {tau}")
    # the host twin of round_breakpoints (numpy: no tracing or compilation per shape)
    k = tau.size + 1
    t = np.arange(1, k)
    y = np.maximum.accumulate(np.clip(np.floor(tau + 0.5).astype(np.int64) - t, 0, n - k))
    return _from_partial_sums(np.concatenate([[0], y + t, [n]]))
