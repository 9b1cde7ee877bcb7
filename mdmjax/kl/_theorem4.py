"""Theorem 4, the one formula: the expected KL of a schedule from the information curve.

Chen–Cong–Li (2026), Theorem 4 (also Lavenant–Zanella 2025); docs/theory.md §2.3 and §2.6. For
sizes ``s = (s_1, .., s_k)`` with partial sums ``N_t``,

.. math:: E_B\\,KL(p \\| \\nu_B) = \\sum_t \\sum_{j=1}^{s_t} (Z_{N_{t-1}+j} - Z_{N_{t-1}+1}),

the l1 area between ``Z`` and its left-endpoint step function. Every part of mdmjax that values a
schedule on a curve goes through this module:

* :func:`theorem4` — the pure kernel (jit, vmap, grad with respect to ``z``);
* :func:`block_cost` — the scalar (or broadcast) cost of one block from prefix sums, the one
  formula that the dynamic programmes, the local search and the bands all evaluate;
* :func:`block_cost_matrix` — the same sum for one block ``[i, j)``, for every pair at once, in
  prefix-sum form: the dynamic programmes of :mod:`mdmjax.search` and of random sizes
  (:mod:`mdmjax.kl`) and the band optimum of :func:`mdmjax.optimal_schedule_interval` use it;
* :func:`relaxed_theorem4` — the same sum at fractional breakpoints (``Z`` linearly
  interpolated), the differentiable objective of :func:`mdmjax.optimize_schedule`;
* :func:`expected_kl` — the convenience wrapper on curves, distributions and model curves.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from mdmjax._src.buckets import pow2_bucket
from mdmjax._src.precision import require_float64, scoped_x64
from mdmjax._src.validate import as_sizes
from mdmjax.curves import as_curve

__all__ = ["theorem4", "block_cost", "block_cost_matrix", "relaxed_theorem4", "expected_kl"]


@scoped_x64
def theorem4(z: jax.Array, sizes: jax.Array) -> jax.Array:
    """Theorem 4's expected KL, ``sum_j (Z_j - Z_{start(j)})``: pure, jittable, differentiable.

    Every position ``j`` is charged ``Z_j`` minus ``Z`` at the first position of its block
    (docs/theory.md §2.6). Each term is ``>= 0`` for a non-decreasing ``Z``, so the result is
    non-negative in floating point too.

    .. math:: \\mathrm{theorem4}(z, s) = \\sum_{j=1}^{n} \\big(Z_j - Z_{N_{t(j)-1}+1}\\big)

    Args:
      z: ``(n,)`` float64 information curve, ``z[j-1] = Z_j``.
      sizes: ``(K,)`` int array of step sizes ``s_1, .., s_k`` followed by zeros (padding to a
        fixed length ``K >= k``, so that schedules of different lengths share one compilation).
        The caller guarantees ``sum(sizes) == n``; :func:`expected_kl` validates.

    Returns:
      a float64 scalar array, in nats.

    Examples:
      >>> import math, jax, jax.numpy as jnp, mdmjax as mdm
      >>> with jax.enable_x64(True):  # compose the kernel under your own transformations
      ...     z = jnp.log(2.0) * jnp.array([0.0, 1.0, 1.0, 1.0])
      ...     kl = mdm.kl.theorem4(z, jnp.array([2, 2, 0, 0]))
      ...     g = jax.grad(mdm.kl.theorem4)(z, jnp.array([2, 2, 0, 0]))
      >>> round(float(kl) / math.log(2), 12), g.tolist()
      (1.0, [-1.0, 1.0, -1.0, 1.0])
    """
    require_float64(z, "z")
    if not isinstance(z, jax.core.Tracer):  # a concrete float32 or int z is computed on in float64
        z = jnp.asarray(z, dtype=jnp.float64)
    n = z.shape[-1]
    sizes = jnp.asarray(sizes)
    ends = jnp.cumsum(sizes)
    starts = ends - sizes
    block = jnp.searchsorted(ends, jnp.arange(n, dtype=ends.dtype), side="right")
    return jnp.sum(z - z[starts[block]])


def block_cost(prefix_end, prefix_start, width, z_first, carried=None):
    r"""Theorem 4's cost of one block from prefix sums: ``(S_end - S_start) - width · z_first``.

    For the block of 0-indexed breakpoints ``[i, j)`` (positions ``i+1..j``, 1-indexed) with
    prefix sums ``S_m = Z_1 + .. + Z_m``,

    .. math:: c(i, j) = \sum_{p=i+1}^{j} (Z_p - Z_{i+1}) = (S_j - S_i) - (j - i)\, Z_{i+1}

    (docs/theory.md §2.4, §2.6). Plain arithmetic, so it takes scalars or broadcasting arrays,
    NumPy or JAX, traced or not. ``carried`` (a DP value) is added before the last term, as
    ``carried + (S_end - S_start) - width · z_first``: one rounding order everywhere.

    Args:
      prefix_end: ``S_j``.
      prefix_start: ``S_i`` (or ``S_{i+1}`` with ``width = j - i - 1`` to skip the first term).
      width: ``j - i`` in the dtype of ``z``.
      z_first: ``Z_{i+1}``, the curve at the block's first position.
      carried: optional value added first (the DP's ``D_{t-1}[i]``).

    Examples:
      >>> import numpy as np
      >>> z = np.array([0.0, 1.0, 1.0, 3.0])
      >>> s = np.concatenate([[0.0], np.cumsum(z)])
      >>> float(block_cost(s[4], s[1], 3.0, z[1]))  # (1 - 1) + (1 - 1) + (3 - 1)
      2.0
    """
    cost = prefix_end - prefix_start
    if carried is not None:
        cost = carried + cost
    return cost - width * z_first


@scoped_x64
def block_cost_matrix(z: jax.Array, z_start: jax.Array | None = None, *, fill=jnp.inf):
    """Theorem 4's cost of one block, for every block ``[i, j)`` at once: ``(n+1, n+1)``.

    With 0-indexed breakpoints ``0 <= i < j <= n`` the block reveals positions ``i+1..j``
    (1-indexed) and costs ``theorem4`` of that one block,

    .. math:: c(i, j) = \\sum_{p=i+1}^{j} (Z_p - Z_{i+1}) = S_j - S_i - (j - i)\\, Z_{i+1},

    with prefix sums ``S``. Entries with ``i >= j`` are ``fill`` (``+inf`` for a DP over
    breakpoints, ``0`` for the expectation over random sizes).

    ``z_start`` (default ``z``) is the curve read at the block's first position: the band
    optimum of :func:`mdmjax.optimal_schedule_interval` charges
    ``sum_{p=i+2}^{j} z_p - (j - i - 1) z_start[i]``, which is the formula above when
    ``z_start = z``.

    Examples:
      >>> import jax, jax.numpy as jnp, mdmjax as mdm
      >>> with jax.enable_x64(True):
      ...     c = mdm.kl.block_cost_matrix(jnp.array([0.0, 1.0, 1.0]))
      >>> c[0].tolist()  # blocks [0, j): positions 1..j against Z_1
      [inf, 0.0, 1.0, 2.0]
    """
    require_float64(z, "z")
    n = z.shape[0]
    prefix = jnp.concatenate([jnp.zeros(1, z.dtype), jnp.cumsum(z)])
    i = jnp.arange(n + 1)[:, None]
    j = jnp.arange(n + 1)[None, :]
    ic = jnp.clip(i, 0, n - 1)
    width = (j - i).astype(z.dtype)
    if z_start is None:
        cost = block_cost(prefix[j], prefix[i], width, z[ic])
    else:  # the first position is read on z_start, the rest on z
        cost = block_cost(prefix[j], prefix[jnp.clip(i + 1, 0, n)], width - 1, z_start[ic])
    return jnp.where(i < j, cost, jnp.asarray(fill, z.dtype))


def _lerp(zpad: jax.Array, x: jax.Array) -> jax.Array:
    """Linear interpolation of ``zpad`` (values at nodes ``0, 1, ..``) at ``x`` (clipped)."""
    last = zpad.shape[0] - 1
    x = jnp.clip(x, 0, last)
    j = jnp.clip(jnp.floor(x), 0, last - 1).astype(jnp.int32)
    phi = x - j.astype(x.dtype)
    return zpad[j] * (1 - phi) + zpad[j + 1] * phi


@scoped_x64
def relaxed_theorem4(zpad: jax.Array, n, tau: jax.Array) -> jax.Array:
    """Theorem 4 at fractional breakpoints ``τ``: ``G(n) - sum_t (τ_t - τ_{t-1}) z̃(τ_{t-1})``.

    Summing the block costs of :func:`block_cost_matrix` telescopes to
    ``sum_j Z_j - sum_t s_t Z_{N_{t-1}+1}``; reading ``Z`` at a fractional node by linear
    interpolation ``z̃`` makes it differentiable in the breakpoints (docs/theory.md §2.6). It
    equals :func:`theorem4` when every ``τ_t`` is an integer.

    Args:
      zpad: ``(Z_1, .., Z_n, Z_n, ..)``, padded to any length ``>= n + 1``.
      n: the curve's length (may be traced, so curves of different lengths batch together).
      tau: ``(k-1,)`` non-decreasing interior breakpoints in ``[0, n]``.

    Examples:
      >>> import jax, jax.numpy as jnp, mdmjax as mdm
      >>> with jax.enable_x64(True):
      ...     zpad = jnp.array([0.0, 1.0, 1.0, 1.0])
      ...     at1 = mdm.kl.relaxed_theorem4(zpad, 3, jnp.array([1.0]))  # sizes (1, 2)
      ...     at15 = mdm.kl.relaxed_theorem4(zpad, 3, jnp.array([1.5]))  # between (1, 2) and (2, 1)
      >>> float(at1), float(at15)
      (0.0, 0.5)
    """
    require_float64(zpad, "zpad")
    n = jnp.asarray(n).astype(zpad.dtype)  # an int or a float count, traced or not
    nodes = jnp.arange(zpad.shape[0], dtype=zpad.dtype)  # exact integers in float64
    full = jnp.concatenate([jnp.zeros(1, zpad.dtype), tau, n[None]])
    total = jnp.sum(jnp.where(nodes < n, zpad, 0.0))
    return total - jnp.sum((full[1:] - full[:-1]) * _lerp(zpad, full[:-1]))


_theorem4_batch = jax.jit(jax.vmap(theorem4, in_axes=(None, 0)))
_theorem4_jit = jax.jit(theorem4)
_theorem4_batch.__doc__ = _theorem4_jit.__doc__ = None  # doctests run once, on theorem4


@scoped_x64
def expected_kl(curve_or_dist, sizes, *, entropy_of_data=None):
    """Expected KL of the random-order sampler, ``E_B KL(p || nu_B)``, by Theorem 4.

    Chen–Cong–Li (2026), Theorem 4 (docs/theory.md §2.3):

    .. math:: E_B\\,KL(p \\| \\nu_B) = \\sum_t \\sum_{j=1}^{s_t} (Z_{N_{t-1}+j} - Z_{N_{t-1}+1})

    the l1 area between ``Z`` and its left-endpoint step function on the schedule's nodes.

    Args:
      curve_or_dist: an :class:`~mdmjax.InformationCurve`, a :class:`~mdmjax.Distribution`, or
        any object with an ``expected_kl(sizes, entropy_of_data=...)`` method (a model curve).
      sizes: a schedule ``(s_1, ..., s_k)`` of positive ints summing to ``n``, a 2-D batch of
        schedules, one per row, padded with zeros (one vmapped call), or a random-size schedule
        (:func:`mdmjax.schedules.ancestral`), whose expectation over the sizes is exact.
      entropy_of_data: only for model curves (see :func:`mdmjax.model_curve`).

    Returns:
      a float in nats for one schedule, a float64 NumPy array for a batch. Traced (inside the
      user's ``jit``/``vmap``/``grad``) it returns a float64 array instead of a float.

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> c = mdm.InformationCurve.from_z(np.log(2) * np.array([0., 1., 1., 1.]))
      >>> round(float(mdm.expected_kl(c, (2, 2)) / np.log(2)), 12)
      1.0
    """
    own = getattr(curve_or_dist, "expected_kl", None)
    if callable(own):  # a model curve values schedules on its own cross-entropy
        return own(sizes, entropy_of_data=entropy_of_data)
    if entropy_of_data is not None:
        raise ValueError(
            "entropy_of_data: only a model curve (mdm.model_curve) takes the entropy of the data"
        )
    curve = as_curve(curve_or_dist, argument="curve_or_dist", allow_batch=True)
    random_kl = getattr(sizes, "expected_kl", None)
    if callable(random_kl):  # a random-size schedule knows how to average Theorem 4 exactly
        return random_kl(curve)
    z = curve.z
    if isinstance(z, jax.core.Tracer) or isinstance(sizes, jax.core.Tracer):
        require_float64(z, "curve_or_dist")
        sz = jnp.asarray(sizes)
        fn = theorem4 if sz.ndim == 1 else jax.vmap(theorem4, in_axes=(None, 0))
        return fn(z, sz) if jnp.ndim(z) == 1 else jax.vmap(fn, in_axes=(0, None))(z, sz)
    arr = as_sizes(sizes, curve.n)
    z = jnp.asarray(z, dtype=jnp.float64)
    if z.ndim != 1:
        return np.asarray(
            jax.vmap(lambda zz: theorem4(zz, jnp.asarray(arr)))(z)
            if arr.ndim == 1
            else jax.vmap(lambda zz: _theorem4_batch(zz, jnp.asarray(arr)))(z)
        )
    if arr.ndim == 1:
        return float(_theorem4_jit(z, _pad_sizes(arr)))
    return np.asarray(_theorem4_batch(z, jnp.asarray(arr)))


def _pad_sizes(arr: np.ndarray) -> np.ndarray:
    """One schedule padded with zeros to a power-of-two length ``>= 256``.

    Zero-size steps cost nothing (see :func:`theorem4`) and leave every position's block as it
    was, so the value is the same bit for bit; schedules of 1..256, 257..512, .. steps then share
    one compilation instead of one each (the padding adds a few comparisons per position).
    """
    length = pow2_bucket(arr.shape[0], 256)
    return np.concatenate([arr, np.zeros(length - arr.shape[0], arr.dtype)])
