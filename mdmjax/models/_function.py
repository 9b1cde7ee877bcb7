"""Your trained model as an mdmjax model: a JAX function or a plain NumPy callable, checked.

:func:`from_callable` wraps a function in the one model protocol of :mod:`mdmjax.models`. Input
convention (the package's): ``y`` is an int array ``(B, n)`` with ``y[b, i] = x_i`` where position
``i`` is revealed and ``y[b, i] = V`` (the mask value, one past the last token) where it is
masked. Three output kinds:

* ``"probs"``: ``fn(y) -> (B, n, V)`` conditional probabilities ``p̂(x_i = v | y)``;
* ``"log_probs"``: ``fn(y) -> (B, n, V)`` their logarithms (``-inf`` allowed for zeros);
* ``"scored"``: ``fn(y, x) -> (log p̂(x_i | y), H(p̂(. | y)))``, two ``(B, n)`` arrays, where
  ``x`` ``(B, n)`` are the data rows. It may read ``x_i`` only to score ``x_i`` (a cross-entropy
  head that never forms the ``V`` probabilities); reading any other hidden token is peeking.

Rows of revealed positions are ignored. ``traceable=True``: ``fn`` is a pure JAX function; it is
``jax.jit``-compiled once per batch shape (``batched=False``: a function of one ``(n,)`` row,
``jax.vmap``-ed over the batch). ``traceable=False``: any Python callable on NumPy arrays, called
from the host one batch at a time, never traced. Float32 (or bfloat16) outputs are accepted; every
log-probability and entropy is converted to float64 before anything is summed.

**Checks** (:meth:`FunctionModel.check`, run by :func:`mdmjax.model_curve` on its first batch;
``ValueError`` naming the model and the problem): output shapes; NaN or ``+inf`` at a masked
position; a probability row that does not sum to 1 within ``1e-6``; a row's answer that changes
when *other* rows of the batch change (batch statistics leak data across rows); and for scored
models, peeking: the entropy at a masked position, or the score of ``x_i`` there, that changes
when another masked token of ``x`` changes (each masked position of a few rows is perturbed in
turn). A probs or log-probs model sees the data only through ``y``, where masked tokens are
already hidden, so it cannot peek through its input.

docs/theory.md §8.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec

from mdmjax._src.numerics import xlogx
from mdmjax._src.precision import scoped_x64
from mdmjax._src.tolerances import MODEL_NORMALIZATION_TOLERANCE, MODEL_PEEK_TOLERANCE
from mdmjax._src.validate import as_choice, as_positive_int
from mdmjax.models._conditional import ConditionalModel

__all__ = ["FunctionModel", "OUTPUTS", "from_callable", "as_scoring_model"]

OUTPUTS = ("probs", "log_probs", "scored")

# Rows of the first batch perturbed by the peeking check, and masked positions per row.
_PEEK_ROWS = 4
_PEEK_POSITIONS = 16


def _fn_name(fn) -> str:
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or type(fn).__name__


def _score_from_table(out, x, output: str):
    """``(log p̂(x_i | y), H(p̂(. | y)), mass, smallest)`` in float64 from a ``(B, n, V)`` output.

    ``mass`` is ``sum_v p̂(v | y)`` and ``smallest`` ``min_v p̂(v | y)`` (for the checks; NaN and
    ``+inf`` outputs propagate into ``mass``). Elementwise terms are computed in the output's
    own floating dtype (float32 stays float32: its values carry no more digits) and every sum
    over the vocabulary is accumulated in float64. Works on jnp (traced) and np arrays.
    """
    xp = jnp if isinstance(out, jax.Array) else np
    dt = out.dtype if xp.issubdtype(out.dtype, xp.floating) else xp.float64
    out = out.astype(dt)
    zero = xp.zeros((), dt)
    if output == "probs":
        p = out
        with np.errstate(divide="ignore", invalid="ignore"):
            lp = xp.log(xp.where(p > 0, p, zero))
        plogp = xlogx(p)
    else:
        lp = out
        p = xp.exp(lp)
        with np.errstate(invalid="ignore"):
            plogp = xp.where(p > 0, p * lp, zero)  # forward only: 0 * -inf is never kept
    ent = -xp.sum(plogp.astype(xp.float64), axis=-1)
    idx = x[..., None].astype(xp.int32 if xp is jnp else np.int64)
    lpx = xp.take_along_axis(lp, idx, axis=-1)[..., 0].astype(xp.float64)
    mass = xp.sum(p.astype(xp.float64), axis=-1)
    return lpx, ent, mass, xp.min(p, axis=-1).astype(xp.float64)


class _PytreeConditionals:
    """``model.conditionals`` of a :class:`ConditionalModel` pytree, kept as the pytree."""

    def __init__(self, model: ConditionalModel):
        self.model = model
        self.__qualname__ = type(model).__name__

    def __call__(self, y):
        return self.model.conditionals(y)

    def __eq__(self, other):
        return isinstance(other, _PytreeConditionals) and other.model is self.model

    def __hash__(self):
        return id(self.model)


# One compiled program per model type and batch shape: ``score`` always returns the two check
# columns too (two reductions over V, next to the forward pass), so that the checks and the
# scoring of the same batch shape share one compilation.
_pytree_scores = {
    "score": jax.jit(lambda model, y, x: _score_from_table(model.conditionals(y), x, "probs")),
    "raw": jax.jit(lambda model, y: model.conditionals(y)),
}


def _float64_callback(fn, y: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    """``fn(y)`` of a NumPy callable as a float64 JAX array, traced or not.

    ``jax.pure_callback`` canonicalizes the callback's result in the thread that runs it, where
    the scoped float64 setting of the caller does not hold when the call was compiled under
    ``jax.jit``: a float64 result would arrive as float32 ("Expected float64, Actual float32").
    The float64 bits travel as ``uint32`` pairs instead (canonical with or without x64) and are
    reassembled by a bitcast."""

    def host(yy):
        out = np.ascontiguousarray(np.asarray(fn(np.asarray(yy)), dtype=np.float64))
        return out.view(np.uint32).reshape(out.shape + (2,))

    bits = jax.pure_callback(host, jax.ShapeDtypeStruct(tuple(shape) + (2,), jnp.uint32), y)
    return jax.lax.bitcast_convert_type(bits, jnp.float64)


@jax.tree_util.register_pytree_node_class
class FunctionModel(ConditionalModel):
    """A user model wrapped by :func:`from_callable` (module docstring).

    Attributes:
      fn: the wrapped function.
      num_values: the vocabulary size ``V``; the mask value is ``V``.
      output: ``"probs"``, ``"log_probs"`` or ``"scored"``.
      traceable: whether ``fn`` is a JAX function (jit-compiled) or a NumPy callable (host).
      batched: whether ``fn`` takes a batch ``(B, n)`` (else one row ``(n,)``, vmapped).
      n: the sequence length it answers for, or ``None`` (any ``n``, set by the data).
      name: used in error messages.
      mask: per-position mask values, or ``None`` for ``V`` everywhere (models of
        :class:`~mdmjax.Distribution` laws with unequal alphabets mask position ``i`` with ``q_i``).

    Examples:
      A JAX function answering ``(1/2, 1/4, 1/4)`` at every position: the scores are
      ``log p̂(x_i)`` and the entropy ``(1/2) ln 2 + (1/2) ln 4 = 1.5 ln 2``:

      >>> import jax.numpy as jnp, math, numpy as np, mdmjax as mdm
      >>> def fn(y):
      ...     return jnp.broadcast_to(jnp.log(jnp.array([0.5, 0.25, 0.25])), y.shape + (3,))
      >>> m = mdm.models.from_callable(fn, num_values=3)
      >>> m.output, m.traceable, m.num_values
      ('log_probs', True, 3)
      >>> lpx, ent = m.score(np.array([[3, 3]]), np.array([[0, 1]]))
      >>> bool(np.allclose(lpx, np.log([[0.5, 0.25]]), atol=1e-6))
      True
      >>> bool(np.allclose(ent, 1.5 * math.log(2), atol=1e-6))
      True
    """

    @scoped_x64
    def __init__(
        self, fn, num_values, output, traceable, batched=True, n=None, name=None, mask=None
    ):
        self.fn = fn
        self.num_values = int(num_values)
        self.output = output
        self.traceable = bool(traceable)
        self.batched = bool(batched)
        self.n = None if n is None else int(n)
        self.name = name or _fn_name(fn)
        self.mask = None if mask is None else tuple(int(v) for v in mask)
        self._jitted: dict = {}

    def tree_flatten(self):
        aux = (
            self.fn,
            self.num_values,
            self.output,
            self.traceable,
            self.batched,
            self.n,
            self.name,
            self.mask,
        )
        return (), aux

    @classmethod
    def tree_unflatten(cls, aux, children):
        return cls(*aux)

    def __repr__(self) -> str:
        return (
            f"FunctionModel({self.name}, num_values={self.num_values}, output={self.output!r}, "
            f"traceable={self.traceable}, n={self.n})"
        )

    # -- shape ----------------------------------------------------------------------------------
    @property
    @scoped_x64
    def shape(self) -> tuple[int, ...]:
        """``(q_1, .., q_n)``: ``(V,) * n`` (``n`` must be known)."""
        if self.mask is not None:
            return self.mask
        if self.n is None:
            raise ValueError(f"model: {self.name} does not fix n; pass n= to from_callable")
        return (self.num_values,) * self.n

    @scoped_x64
    def mask_values(self, n: int) -> np.ndarray:
        """The mask value of each of ``n`` positions, int64 ``(n,)``.

        Raises:
          ValueError: ``n`` differs from the ``n`` the model answers for.
        """
        if self.n is not None and n != self.n:
            raise ValueError(
                f"data: rows have n = {n} positions, but model {self.name} has n = {self.n}"
            )
        if self.mask is not None:
            return np.asarray(self.mask, dtype=np.int64)
        return np.full(n, self.num_values, dtype=np.int64)

    # -- calls ----------------------------------------------------------------------------------
    def _traced_fn(self):
        return self.fn if self.batched else jax.vmap(self.fn)

    def _compiled(self, kind: str):
        fn = self._jitted.get(kind)
        if fn is None and isinstance(self.fn, _PytreeConditionals):
            # a ConditionalModel: one compilation per model type and shape, not per instance
            fn = functools.partial(_pytree_scores[kind], self.fn.model)
            self._jitted[kind] = fn
        if fn is None:
            base = self._traced_fn()
            output, v, name = self.output, self.num_values, self.name

            def scored(y, x):
                if output == "scored":
                    lpx, ent = base(y, x)
                    return jnp.asarray(lpx, jnp.float64), jnp.asarray(ent, jnp.float64)
                out = jnp.asarray(base(y))
                want = (*y.shape, v)
                if out.shape != want:  # raised while tracing
                    raise ValueError(
                        f"model: {name} returned shape {out.shape}, expected (B, n, V) = {want}"
                    )
                return _score_from_table(out, x, output)  # with the check columns (see above)

            fn = jax.jit(base) if kind == "raw" else jax.jit(scored)
            self._jitted[kind] = fn
        return fn

    @scoped_x64
    def raw(self, y, x=None):
        """The model's own output on ``y`` (and ``x`` for scored models), as NumPy arrays."""
        y = np.asarray(y, dtype=np.int64)
        args = (y,) if self.output != "scored" else (y, np.asarray(x, dtype=np.int64))
        if self.traceable:
            out = self._compiled("raw")(*args)
        elif self.batched:
            out = self.fn(*args)
        else:
            out = [self.fn(*(a[b] for a in args)) for b in range(len(y))]
            if self.output == "scored":
                out = (np.stack([o[0] for o in out]), np.stack([o[1] for o in out]))
            else:
                out = np.stack(out)
        if self.output == "scored":
            if not isinstance(out, tuple | list) or len(out) != 2:
                raise ValueError(
                    f"model: {self.name} (output='scored') must return a pair "
                    f"(log p̂(x_i | y), entropy), got {type(out).__name__}"
                )
            return np.asarray(out[0]), np.asarray(out[1])
        return np.asarray(out)

    @scoped_x64
    def score(self, y, x, *, diagnostics: bool = False, mesh=None):
        """``(log p̂(x_i | y), H(p̂(. | y)))``, two float64 ``(B, n)`` arrays.

        Values at revealed positions are whatever the model says there (callers ignore them).
        Traceable models run as one compiled function (the forward pass and the gather of
        ``x_i``), so only ``(B, n)`` arrays leave the device. With ``diagnostics=True`` (probs
        and log-probs models) two more ``(B, n)`` arrays come from the same pass: the total mass
        and the smallest probability of each conditional, for :meth:`check`. ``mesh``: a
        one-dimensional :class:`jax.sharding.Mesh` over which a traceable model's batch is split
        by rows (data-parallel; ``B`` must be a multiple of its size, else it is not split).
        """
        if self.traceable:
            out = self._dispatch(y, x, mesh)
            out = tuple(np.asarray(a, dtype=np.float64) for a in (out if diagnostics else out[:2]))
        else:
            raw = self.raw(y, x)
            if self.output == "scored":
                out = tuple(np.asarray(a, np.float64) for a in raw)
            else:
                want = (*np.shape(y), self.num_values)
                if raw.shape != want:
                    raise ValueError(
                        f"model: {self.name} returned shape {raw.shape}, expected (B, n, V) = "
                        f"{want}"
                    )
                if not np.issubdtype(raw.dtype, np.floating):
                    raise ValueError(
                        f"model: {self.name} returned dtype {raw.dtype}, expected floating point"
                    )
                out = _score_from_table(raw, np.asarray(x, dtype=np.int64), self.output)
        if diagnostics:
            return out if len(out) == 4 else (*out, None, None)
        return out[0], out[1]

    def _dispatch(self, y, x, mesh):
        """A traceable model's compiled scoring pass, dispatched (JAX runs it asynchronously)."""
        y = np.asarray(y, dtype=np.int64)
        x = np.asarray(x, dtype=np.int64)
        if mesh is not None and mesh.devices.size > 1 and y.shape[0] % mesh.devices.size == 0:
            rows = NamedSharding(mesh, PartitionSpec(mesh.axis_names[0]))
            y, x = jax.device_put(y, rows), jax.device_put(x, rows)
        else:
            y, x = jnp.asarray(y), jnp.asarray(x)
        return self._compiled("score")(y, x)

    @scoped_x64
    def submit_padded(self, y, x, batch_size: int, *, mesh=None):
        """Start :meth:`score_padded` and return a function that waits for its result.

        A traceable model's pass is dispatched and runs while the caller prepares the next
        batch (JAX's asynchronous dispatch); any other model is called now. The function
        returns ``(log p̂(x_i | y), H(p̂(. | y)))``, two float64 ``(b, n)`` arrays.
        """
        if not self.traceable:
            out = self.score_padded(y, x, batch_size, mesh=mesh)
            return lambda: out
        b = np.shape(y)[0]
        y, x = _pad_rows(y, x, batch_size)
        lpx, ent = self._dispatch(y, x, mesh)[:2]

        @scoped_x64
        def fetch():
            return np.asarray(lpx, dtype=np.float64)[:b], np.asarray(ent, dtype=np.float64)[:b]

        return fetch

    def score_padded(self, y, x, batch_size: int, *, check: bool = False, mesh=None):
        """:meth:`score` of ``b <= batch_size`` rows, the call padded to ``batch_size`` rows.

        Every call of a loop over batches then has one shape (one compilation); the padding
        repeats the first row and is dropped from the result. With ``check=True`` the padded
        batch is validated first (:meth:`check`, reusing the same scoring pass). ``mesh``: as
        in :meth:`score`.

        Returns:
          ``(log p̂(x_i | y), H(p̂(. | y)))``, two float64 ``(b, n)`` arrays.
        """
        b = np.shape(y)[0]
        y, x = _pad_rows(y, x, batch_size)
        if check:
            first = self.score(y, x, diagnostics=True, mesh=mesh)
            self.check(y, x, first)
            lpx, ent = first[0], first[1]
        else:
            lpx, ent = self.score(y, x, mesh=mesh)
        return lpx[:b], ent[:b]

    @scoped_x64
    def conditionals(self, y: jax.Array) -> jax.Array:
        """The protocol of :class:`ConditionalModel`: ``(B, n, V)`` float64 conditionals.

        Zeros at revealed positions. A NumPy callable is reached through
        ``jax.pure_callback``, so this also works inside ``jax.jit``. Not available for scored
        models (they never form the ``V`` probabilities).
        """
        if self.output == "scored":
            raise ValueError(
                f"model: {self.name} is a scored model (output='scored'); it has no conditionals"
            )
        y = jnp.asarray(y)
        if self.traceable:
            out = jnp.asarray(self._traced_fn()(y)).astype(jnp.float64)
        else:
            out = _float64_callback(self.raw, y, y.shape + (self.num_values,))
        probs = jnp.exp(out) if self.output == "log_probs" else out
        mask = jnp.asarray(self.mask_values(y.shape[-1])).astype(y.dtype)  # y may be int32
        return jnp.where((y == mask[None, :])[..., None], probs, 0.0)

    # -- checks ---------------------------------------------------------------------------------
    @scoped_x64
    def check(self, y, x, first=None) -> None:
        """Validate the model on one batch (module docstring); ``ValueError`` naming the problem.

        Args:
          y: ``(B, n)`` inputs in the package's convention (mask value at masked positions).
          x: ``(B, n)`` the data rows behind them.
          first: ``score(y, x, diagnostics=True)`` if already computed (saves a pass).
        """
        y = np.asarray(y, dtype=np.int64)
        x = np.asarray(x, dtype=np.int64)
        b, n = y.shape
        masked = y == self.mask_values(n)[None, :]
        who = f"model: {self.name}"
        lpx, ent, mass, smallest = (
            first if first is not None else self.score(y, x, diagnostics=True)
        )
        for arr, what in ((lpx, "log p̂(x_i | y)"), (ent, "entropy")):
            if arr.shape != (b, n):
                raise ValueError(
                    f"{who} returned {what} of shape {arr.shape}, expected (B, n) = {(b, n)}"
                )
        if self.output == "scored":
            self._check_finite(lpx, masked, "log p̂(x_i | y)")
            self._check_finite(ent, masked, "its entropy")
            if np.any(lpx[masked] > MODEL_NORMALIZATION_TOLERANCE):
                raise ValueError(f"{who}: log p̂(x_i | y) > 0 (a probability above 1)")
            top = math.log(self.num_values) + MODEL_NORMALIZATION_TOLERANCE
            e = ent[masked]
            if np.any(e < -MODEL_NORMALIZATION_TOLERANCE) or np.any(e > top):
                raise ValueError(f"{who}: predictive entropy outside [0, log V] = [0, {top:.4g}]")
        else:
            sums = mass[masked]
            if np.any(np.isnan(sums)):
                raise ValueError(f"{who} returned NaN at a masked position")
            if np.any(sums == np.inf):
                raise ValueError(f"{who} returned +inf at a masked position")
            if np.any(smallest[masked] < 0):
                raise ValueError(f"{who} returned negative probabilities")
            bad = np.abs(sums - 1.0) > MODEL_NORMALIZATION_TOLERANCE
            if np.any(bad):
                total = float(sums[np.argmax(bad)])
                hint = " (logits, not log-probabilities?)" if self.output == "log_probs" else ""
                raise ValueError(
                    f"{who}: a conditional law sums to {total!r}, not 1 within "
                    f"{MODEL_NORMALIZATION_TOLERANCE} in probability{hint}"
                )
        self._check_rows_independent(y, x, masked, (lpx, ent))
        if self.output == "scored":
            self._check_no_peeking(y, x, masked, (lpx, ent))

    def _check_finite(self, arr, masked, what):
        vals = arr[masked]
        if np.any(np.isnan(vals)):
            raise ValueError(f"model: {self.name} returned NaN in {what} at a masked position")
        if np.any(vals == np.inf):
            raise ValueError(f"model: {self.name} returned +inf in {what} at a masked position")

    def _check_rows_independent(self, y, x, masked, base):
        b = len(y)
        if b < 2:
            return
        half = b // 2
        y2 = y.copy()
        y2[half:] = self.mask_values(y.shape[1])[None, :]  # other rows: everything masked
        x2 = x.copy()
        x2[half:] = x[:1]
        lp1, e1 = base
        lp2, e2 = self.score(y2, x2)
        m = masked[:half]
        diff = max(_maxdiff(lp1[:half], lp2[:half], m), _maxdiff(e1[:half], e2[:half], m))
        if diff > MODEL_PEEK_TOLERANCE:
            raise ValueError(
                f"model: {self.name}: a row's answer changed by {diff:.3g} nats when the OTHER "
                "rows of its batch changed (batch statistics?); each row must depend on its own "
                "input only"
            )

    def _check_no_peeking(self, y, x, masked, base):
        """Perturb each masked token of a few rows, one at a time, and compare the other scores."""
        b, n = y.shape
        base_lp, base_e = base
        cases = []  # (row, perturbed position)
        for r in range(min(b, _PEEK_ROWS)):
            pos = np.nonzero(masked[r])[0][:_PEEK_POSITIONS]
            if pos.size >= 1:
                cases.extend((r, int(k)) for k in pos)
        for start in range(0, len(cases), b):
            chunk = cases[start : start + b]
            rows = np.asarray([r for r, _ in chunk])
            ks = np.asarray([k for _, k in chunk])
            yy = np.broadcast_to(y[rows[:1]], (b, n)).copy()
            xx = np.broadcast_to(x[rows[:1]], (b, n)).copy()
            yy[: len(chunk)] = y[rows]
            xx[: len(chunk)] = x[rows]
            vocab = self.mask_values(n)[ks]
            xx[np.arange(len(chunk)), ks] = (x[rows, ks] + 1) % vocab
            lp, e = self.score(yy, xx)
            for c, (r, k) in enumerate(chunk):
                others = masked[r].copy()
                d_e = _maxdiff(e[c], base_e[r], masked[r])
                others[k] = False
                d_lp = _maxdiff(lp[c], base_lp[r], others)
                if max(d_e, d_lp) > MODEL_PEEK_TOLERANCE:
                    raise ValueError(
                        f"model: {self.name} PEEKS: at row {r}, changing the hidden token at "
                        f"masked position {k} changed its {'entropy' if d_e >= d_lp else 'score'} "
                        f"at another masked position by {max(d_e, d_lp):.3g} nats; a scored "
                        "model may read x_i only to score x_i"
                    )


def _pad_rows(y, x, batch_size: int):
    """``y, x`` as int64, padded to ``batch_size`` rows by repeating the first row."""
    y = np.asarray(y, dtype=np.int64)
    x = np.asarray(x, dtype=np.int64)
    b = y.shape[0]
    if b < batch_size:
        pad = (batch_size - b, y.shape[1])
        y = np.concatenate([y, np.broadcast_to(y[:1], pad)])
        x = np.concatenate([x, np.broadcast_to(x[:1], pad)])
    return y, x


def _maxdiff(a, b, where) -> float:
    if not np.any(where):
        return 0.0
    a, b = np.asarray(a, np.float64)[where], np.asarray(b, np.float64)[where]
    both_inf = np.isneginf(a) & np.isneginf(b)
    with np.errstate(invalid="ignore"):
        d = np.where(both_inf, 0.0, np.abs(a - b))
    d = np.where(np.isnan(d), np.inf, d)
    return float(d.max())


@scoped_x64
def from_callable(
    fn: Callable,
    *,
    num_values: int,
    output: str = "log_probs",
    traceable: bool = True,
    batched: bool = True,
    n: int | None = None,
    name: str | None = None,
) -> FunctionModel:
    """Wrap a trained model's function as an mdmjax model (module docstring).

    Args:
      fn: ``fn(y) -> (B, n, V)`` probabilities or log-probabilities, or, for
        ``output="scored"``, ``fn(y, x) -> (log p̂(x_i | y), entropy)``, two ``(B, n)`` arrays.
        ``y`` holds the mask value ``V`` at masked positions.
      num_values: the vocabulary size ``V`` (tokens ``0..V-1``; ``V`` is the mask value).
      output: ``"probs"``, ``"log_probs"`` or ``"scored"``.
      traceable: ``True`` for a pure JAX function (jit-compiled, any float dtype),
        ``False`` for a Python callable on NumPy arrays (called from the host, never traced).
      batched: ``fn`` takes a batch ``(B, n)``; ``False``: one row ``(n,)`` (vmapped when
        traceable, looped otherwise).
      n: the sequence length the model answers for (``None``: any, fixed by the data).
      name: a name for error messages (default: the function's name).

    Returns:
      a :class:`FunctionModel`, accepted by :func:`mdmjax.model_curve`,
      :func:`mdmjax.kl.model_mixture_kl` and (probs/log-probs) :func:`mdmjax.evaluate_policy`.

    Raises:
      ValueError: ``fn`` not callable, ``num_values < 1``, an unknown ``output``.

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> uniform = lambda y: np.full(y.shape + (3,), 1 / 3)
      >>> m = mdm.models.from_callable(uniform, num_values=3, output="probs", traceable=False)
      >>> lpx, ent = m.score(np.array([[0, 3]]), np.array([[0, 2]]))
      >>> round(float(ent[0, 1]), 6) == round(float(np.log(3)), 6)
      True
    """
    if not callable(fn):
        raise ValueError(f"fn: expected a callable, got {type(fn).__name__}")
    v = as_positive_int(num_values, "num_values")
    output = as_choice(output, OUTPUTS, "output")
    for flag, arg in ((traceable, "traceable"), (batched, "batched")):
        if not isinstance(flag, bool | np.bool_):
            raise ValueError(f"{arg}: expected True or False, got {flag!r}")
    if n is not None:
        n = as_positive_int(n, "n")
    return FunctionModel(fn, v, output, bool(traceable), bool(batched), n, name)


@scoped_x64
def as_scoring_model(model, argument: str = "model") -> FunctionModel:
    """A :class:`FunctionModel` from any mdmjax model (the one model argument check).

    A :class:`FunctionModel` is returned as is; any other :class:`ConditionalModel` (exact,
    tempered, noisy conditionals of a law) is wrapped with its own per-position mask values.

    Args:
      model: a :class:`FunctionModel` or any :class:`ConditionalModel`.
      argument: the name error messages start with.

    Returns:
      a :class:`FunctionModel`.

    Raises:
      ValueError: naming ``argument``, for anything else (wrap a plain function with
        :func:`from_callable` first).

    Examples:
      The exact conditionals of a law, as a scoring model: ``p(x_1 = 0 | x_0 = 0) = 0.8``:

      >>> import math, numpy as np, mdmjax as mdm
      >>> d = mdm.Distribution.from_probs(np.array([[0.4, 0.1], [0.1, 0.4]]))
      >>> m = mdm.models.as_scoring_model(mdm.models.from_distribution(d))
      >>> m.output, m.mask
      ('probs', (2, 2))
      >>> lpx, ent = m.score(np.array([[0, 2]]), np.array([[0, 0]]))
      >>> round(float(lpx[0, 1]) - math.log(0.8), 12)
      0.0
      >>> mdm.models.as_scoring_model(len)  # doctest: +ELLIPSIS
      Traceback (most recent call last):
        ...
      ValueError: model: expected an mdmjax model (...), got builtin_function_or_method
    """
    if isinstance(model, FunctionModel):
        return model
    if isinstance(model, ConditionalModel):
        shape = tuple(int(q) for q in model.shape)
        return FunctionModel(
            _PytreeConditionals(model),
            max(shape),
            "probs",
            True,
            True,
            len(shape),
            type(model).__name__,
            shape,
        )
    raise ValueError(
        f"{argument}: expected an mdmjax model (mdm.models.from_callable(fn, ...), "
        f"mdm.calibrate.word_mdm(...), mdm.models.from_distribution(d), ...), got "
        f"{type(model).__name__}"
    )
