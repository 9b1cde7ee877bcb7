"""InformationCurve: the average subset entropies ``Hbar`` and the information curve ``Z``.

Definitions (docs/theory.md §2, Chen–Cong–Li 2026; Lavenant–Zanella 2025), ``j`` 1-indexed:

.. math::

   \\bar H_j = \\binom{n}{j}^{-1} \\sum_{|S| = j} H(X_S), \\qquad
   g(j) = \\bar H_{j+1} - \\bar H_j, \\qquad
   Z_j = g(0) - g(j-1) = \\bar H_1 + \\bar H_{j-1} - \\bar H_j,

   f(i) = Z_{i+1} - Z_i, \\qquad TC = \\sum_j Z_j, \\qquad DTC = \\sum_j (Z_n - Z_j).

Array conventions (the stable API, docs/theory.md §2.2): ``hbar[j] = Hbar_j`` for ``j = 0..n``;
``z[j-1] = Z_j`` so ``z[0] == 0``; ``g[j] = g(j)`` for ``j = 0..n-1``; ``f[i-1] = f(i)`` for
``i = 1..n-1``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from mdmjax._src.precision import require_float64, scoped_x64
from mdmjax._src.tables import as_probability_table
from mdmjax._src.tolerances import Z_TOLERANCE
from mdmjax._src.validate import as_nonnegative_float, as_real_array
from mdmjax.curves._subset_entropy import average_subset_entropy, subset_entropies
from mdmjax.distribution import Distribution

__all__ = ["InformationCurve", "information_curve"]


def _as_output(x):
    """A Python float for a concrete scalar, the array otherwise (batched or traced)."""
    if isinstance(x, jax.core.Tracer) or np.ndim(x) > 0:
        return x
    return float(x)


@jax.jit
def _z_from_hbar(hbar: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``(Z, Hbar)`` with ``Z_j = Hbar_1 + Hbar_{j-1} - Hbar_j`` (docs/theory.md §2.2);
    ``Hbar_0 = Z_1 = 0`` exactly, whatever the rounding."""
    hbar = hbar.at[..., 0].set(0.0)
    z = hbar[..., 1:2] + hbar[..., :-1] - hbar[..., 1:]
    return z.at[..., 0].set(0.0), hbar


@jax.tree_util.register_pytree_node_class
class InformationCurve:
    """The information curve ``Z`` of a law, with ``Hbar`` when it is known.

    Build one with :func:`information_curve` (from a :class:`Distribution`) or
    :meth:`InformationCurve.from_z` (from given ``Z`` values, e.g. an analytic or large-n curve).
    It is a pytree, so a batch of curves can come out of ``jax.vmap``.

    Attributes:
      z: ``(n,)`` array, ``z[j-1] = Z_j``; non-decreasing with ``z[0] = 0``.
      hbar: ``(n+1,)`` array, ``hbar[j] = Hbar_j``, or ``None`` when only ``Z`` is known.
      stderr: optional ``(n,)`` standard errors of ``z`` (Monte-Carlo curves), else ``None``.

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> c = mdm.InformationCurve.from_z(np.array([0.0, 1.0, 1.0]))
      >>> c, c.n, c.tc, c.dtc
      (InformationCurve(n=3, tc=2, dtc=1), 3, 2.0, 1.0)
    """

    __slots__ = ("z", "hbar", "stderr")

    @scoped_x64
    def __init__(self, z, hbar=None, stderr=None):
        self.z = z
        self.hbar = hbar
        self.stderr = stderr

    def tree_flatten(self):
        return (self.z, self.hbar, self.stderr), None

    @classmethod
    def tree_unflatten(cls, aux, children):
        return cls(*children)

    # -- constructors ---------------------------------------------------------------------------
    @classmethod
    @scoped_x64
    def from_z(cls, z, *, h1=None, stderr=None) -> InformationCurve:
        """A curve given by its ``Z`` values.

        Args:
          z: ``(n,)`` values ``Z_1..Z_n`` in nats; ``Z_1 = 0`` and non-decreasing, within 1e-12.
          h1: optional ``Hbar_1`` (mean single-position entropy). With it ``Hbar`` is rebuilt as
            ``Hbar_j = j Hbar_1 - sum_{i <= j} Z_i``; without it ``hbar`` and ``g`` are ``None``.
          stderr: optional ``(n,)`` standard errors of ``z``.

        Raises:
          ValueError: ``z`` is not a non-empty 1-D finite array, ``Z_1 != 0`` or ``Z`` decreases.
        """
        arr = as_real_array(z, "z")
        if arr.ndim != 1 or arr.size < 1:
            raise ValueError(f"z: expected a non-empty 1-D array, got shape {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise ValueError("z: entries must be finite (no NaN or inf)")
        if abs(arr[0]) > Z_TOLERANCE:
            raise ValueError(f"z: Z_1 = z[0] must be 0 (within {Z_TOLERANCE}), got {arr[0]!r}")
        steps = np.diff(arr)
        if steps.size and steps.min() < -Z_TOLERANCE:
            j = int(np.argmin(steps))
            raise ValueError(
                f"z: Z must be non-decreasing (within {Z_TOLERANCE}), but Z_{j + 2} < Z_{j + 1} "
                f"by {-steps[j]:.3g}"
            )
        with np.errstate(over="ignore"):
            overflows = not np.isfinite(arr.size * arr[-1]) or not np.isfinite(np.sum(arr))
        if overflows:
            raise ValueError(
                f"z: values too large: n Z_n = {arr.size} * {float(arr[-1])!r} overflows"
            )
        hbar = None
        if h1 is not None:
            h1 = as_nonnegative_float(h1, "h1")
            if not np.isfinite(arr.size * h1):
                raise ValueError(f"h1: too large: n Hbar_1 = {arr.size} * {h1!r} overflows")
            hbar = np.concatenate([[0.0], np.arange(1, arr.size + 1) * h1 - np.cumsum(arr)])
            hbar = jnp.asarray(hbar)
        if stderr is not None:
            stderr = as_real_array(stderr, "stderr")
            if stderr.shape != arr.shape or np.any(~np.isfinite(stderr)) or np.any(stderr < 0):
                raise ValueError(
                    f"stderr: expected finite non-negative values of shape {arr.shape}"
                )
            stderr = jnp.asarray(stderr)
        return cls(jnp.asarray(arr), hbar, stderr)

    @classmethod
    @scoped_x64
    def from_hbar(cls, hbar) -> InformationCurve:
        """A curve from average subset entropies ``Hbar_0..Hbar_n`` (``Hbar_0 = 0``)."""
        return cls(*_z_from_hbar(jnp.asarray(hbar, dtype=jnp.float64)))

    # -- derived quantities ---------------------------------------------------------------------
    @property
    @scoped_x64
    def n(self) -> int:
        """Number of positions."""
        return int(np.shape(self.z)[-1])

    @property
    @scoped_x64
    def g(self):
        """Conditional-entropy profile ``g(j) = E H(X_i | X_S)``, ``|S| = j``, ``j = 0..n-1``."""
        if self.hbar is None:
            return None
        return self.hbar[..., 1:] - self.hbar[..., :-1]

    @property
    @scoped_x64
    def f(self):
        """Information profile ``f(i) = Z_{i+1} - Z_i``, ``i = 1..n-1`` (length ``n-1``)."""
        return self.z[..., 1:] - self.z[..., :-1]

    @property
    @scoped_x64
    def zn(self):
        """``Z_n``, the mean of ``I(X_i; X_{-i})``."""
        return _as_output(self.z[..., -1])

    @property
    @scoped_x64
    def tc(self):
        """Total correlation ``TC = sum_j Z_j = sum_i H(X_i) - H(X)`` in nats."""
        if self.hbar is not None:
            n = self.n
            return _as_output(n * self.hbar[..., 1] - self.hbar[..., n])
        return _as_output(jnp.sum(self.z, axis=-1))

    @property
    @scoped_x64
    def dtc(self):
        """Dual total correlation ``DTC = sum_j (Z_n - Z_j) = H(X) - sum_i H(X_i | X_-i)``."""
        return _as_output(jnp.sum(self.z[..., -1:] - self.z, axis=-1))

    @property
    @scoped_x64
    def mutual_information_sum(self):
        """``sum_i I(X_i; X_{-i}) = n Z_n = TC + DTC``."""
        return _as_output(self.n * self.z[..., -1])

    @property
    @scoped_x64
    def entropy(self):
        """Joint entropy ``H(X) = Hbar_n``, or ``None`` when ``Hbar`` is unknown."""
        if self.hbar is None:
            return None
        return _as_output(self.hbar[..., -1])

    def __repr__(self) -> str:
        if np.ndim(self.z) == 1 and not isinstance(self.z, jax.core.Tracer):
            return f"InformationCurve(n={self.n}, tc={self.tc:.6g}, dtc={self.dtc:.6g})"
        return f"InformationCurve(z.shape={np.shape(self.z)})"


@scoped_x64
def information_curve(d: Distribution | jax.Array) -> InformationCurve:
    """The exact information curve of a law, by enumerating all ``2^n`` subset entropies.

    Args:
      d: a :class:`Distribution`, or a bare probability table, which is validated exactly as
        :meth:`Distribution.from_probs` does (a table normalized in float32 is accepted and
        renormalized in float64); inside the caller's ``jit``/``vmap`` a traced table is
        checked for dtype and shape only.

    Returns:
      an :class:`InformationCurve` with ``hbar`` and ``z`` in nats.

    Raises:
      ValueError: starting with ``"d: "``, for a table that :meth:`Distribution.from_probs`
        refuses (strings, ragged lists, bool or complex dtypes, 0-d or empty arrays, negative,
        NaN or infinite entries, a total mass off 1), or one too large for memory.

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> p = np.zeros((2, 2, 2)); p[0, 0, 0] = p[1, 1, 1] = 0.5
      >>> c = mdm.information_curve(mdm.Distribution.from_probs(p))
      >>> np.round(np.asarray(c.z) / np.log(2), 12).tolist()
      [0.0, 1.0, 1.0]
    """
    require_float64(d.probs if isinstance(d, Distribution) else d, "d")
    if not isinstance(d, Distribution):  # the checks of Distribution.from_probs, naming "d"
        table = jnp.asarray(as_probability_table(d, "d"), dtype=jnp.float64)
        d = Distribution.tree_unflatten(None, (table,))  # already validated: wrap, don't recheck
    n = d.probs.ndim
    h = subset_entropies(d)
    return InformationCurve.from_hbar(average_subset_entropy(h, n))


@scoped_x64
def as_curve(curve, *, argument: str = "curve", allow_batch: bool = False) -> InformationCurve:
    """An :class:`InformationCurve` from a curve or a :class:`Distribution` (its curve computed).

    The one argument check for every function that takes a curve.

    Raises:
      ValueError: naming ``argument``, for any other type, or for a batch of curves when
        ``allow_batch`` is false.

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.curves.as_curve(mdm.families.repetition(3))
      InformationCurve(n=3, tc=1.38629, dtc=0.693147)
    """
    if isinstance(curve, Distribution):
        return information_curve(curve)
    if not isinstance(curve, InformationCurve):
        kind = type(curve).__name__
        raise ValueError(f"{argument}: expected an InformationCurve or a Distribution, got {kind}")
    if not allow_batch and np.ndim(curve.z) != 1:
        raise ValueError(f"{argument}: expected a single curve, got a batch")
    return curve
