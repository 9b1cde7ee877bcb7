"""Any mdmjax model that can give its full conditionals, as the sampler and the tree walk want it.

:func:`as_conditional_model` is the one place where a model's *full* conditionals
``p̂(x_i = . | y)`` are reached: what :func:`mdmjax.sample`, :func:`mdmjax.evaluate_policy`,
:func:`mdmjax.policies.policy_frontier` (and the mixture KL of a sampler) consume. A scored model
that also gives the whole table (:func:`mdmjax.models.from_torch`: its ``log_probs`` method) is
presented as a host log-probability model; a model that truly has only scores is refused with a
message saying what to pass instead. docs/theory.md §8 and §11.
"""

from __future__ import annotations

import numpy as np

from mdmjax._src.precision import scoped_x64
from mdmjax._src.validate import as_positive_int
from mdmjax.distribution import Distribution
from mdmjax.models._conditional import CallableModel, ConditionalModel, from_distribution
from mdmjax.models._function import FunctionModel, as_scoring_model

__all__ = ["as_conditional_model", "as_model"]


class _TableOf:
    """``y -> model.log_probs(y)``: the whole ``(B, n, V)`` table of a scored model, on the host.

    Equal (and hashing alike) for the same model, so that wrappers of one model share
    compilations (the function is static data of the :class:`FunctionModel` pytree).
    """

    def __init__(self, model):
        self.model = model
        self.__qualname__ = getattr(model, "name", type(model).__name__)

    def __call__(self, y):
        # renormalised in float64 (a float32 log-softmax sums to 1 only within ~1e-7), so that
        # exact evaluations see a law summing to 1 at the precision of the walk
        lp = np.asarray(self.model.log_probs(np.asarray(y, dtype=np.int64)), dtype=np.float64)
        top = np.max(lp, axis=-1, keepdims=True)
        top = np.where(np.isfinite(top), top, 0.0)
        return lp - (top + np.log(np.sum(np.exp(lp - top), axis=-1, keepdims=True)))

    def __eq__(self, other):
        return isinstance(other, _TableOf) and other.model is self.model

    def __hash__(self):
        return id(self.model)


def _fixed_n(model) -> int | None:
    if isinstance(model, FunctionModel):
        return model.n if model.mask is None else len(model.mask)
    return len(tuple(model.shape))


@scoped_x64
def as_conditional_model(model, n: int | None = None, *, argument: str = "model"):
    """The model as one that gives full conditionals: what samplers and the tree walk consume.

    * a :class:`~mdmjax.Distribution`: its exact conditionals (:func:`from_distribution`);
    * a probs / log-probs :class:`FunctionModel` (:func:`from_callable`, the shipped models) or
      any other :class:`ConditionalModel`: itself (with ``n`` filled in if it had none);
    * a scored model that can give its whole table (:func:`from_torch`: a ``log_probs(y)``
      method returning ``(B, n, V)`` log-probabilities): a host ``FunctionModel`` with
      ``output="log_probs"``, ``traceable=False`` calling that method (the table renormalised
      in float64: ``log p̂ - logsumexp(log p̂)``);
    * a scored model without one: ``ValueError`` saying what to pass instead.

    The result has ``.conditionals(y)`` (``(B, n, V)`` float64, zeros at revealed positions,
    usable inside ``jax.jit``), and is accepted by
    :func:`mdmjax.models.as_scoring_model`.

    Args:
      model: any mdmjax model, or a Distribution.
      n: the sequence length, for a model that does not fix its own (``from_callable(...,
        n=None)``, ``from_torch`` without ``n=``): inferred by the caller from the data, the
        law or the plan. ``None``: leave it as the model has it.
      argument: the name error messages start with.

    Returns:
      a :class:`ConditionalModel` (a :class:`FunctionModel` for function and torch models).

    Raises:
      ValueError: naming ``argument``: not an mdmjax model; a scored model without its whole
        table; a model that fixes another ``n`` than the one given.

    Examples:
      A scored model that can give its table (here a stand-in with a ``log_probs`` method, as
      ``from_torch`` models have) becomes a host log-probability model the sampler accepts;
      ``n`` comes from the caller:

      >>> import numpy as np, mdmjax as mdm
      >>> table = lambda y: np.log(np.full(y.shape + (2,), 0.5))
      >>> scored = mdm.models.from_callable(
      ...     lambda y, x: (np.full(y.shape, np.log(0.5)), np.full(y.shape, np.log(2))),
      ...     num_values=2, output="scored", traceable=False, name="half")
      >>> scored.log_probs = table
      >>> m = mdm.models.as_conditional_model(scored, n=3)
      >>> m.output, m.traceable, m.n, m.name
      ('log_probs', False, 3, 'half')
      >>> np.asarray(m.conditionals(np.array([[0, 2, 2]]))).tolist()
      [[[0.0, 0.0], [0.5, 0.5], [0.5, 0.5]]]
      >>> mdm.sample(m, (1, 2), key=0, num_samples=2).shape
      (2, 3)

      Without a table there is nothing to sample from:

      >>> del scored.log_probs
      >>> mdm.models.as_conditional_model(scored)  # doctest: +ELLIPSIS
      Traceback (most recent call last):
        ...
      ValueError: model: half is a scored model (output='scored'): it gives log p̂(x_i | y) ...
    """
    if n is not None:
        n = as_positive_int(n, "n")
    if isinstance(model, Distribution):
        model = from_distribution(model)
    if not isinstance(model, ConditionalModel):
        as_scoring_model(model, argument)  # the one "not an mdmjax model" message
    if isinstance(model, FunctionModel) and model.output == "scored":
        table = getattr(model, "log_probs", None)
        if not callable(table):
            raise ValueError(
                f"{argument}: {model.name} is a scored model (output='scored'): it gives "
                "log p̂(x_i | y) of the data token only, and sampling needs the full "
                "conditionals p̂(x_i = . | y); pass a function returning probabilities or "
                "log-probabilities (mdm.models.from_callable(fn, output='log_probs'), or "
                "output='probs'), or a torch module through mdm.models.from_torch"
            )
        model = FunctionModel(
            _TableOf(model),
            model.num_values,
            "log_probs",
            False,
            True,
            model.n,
            model.name,
            model.mask,
        )
    have = _fixed_n(model)
    if n is None or have == n:
        return model
    if have is not None:
        name = getattr(model, "name", type(model).__name__)
        raise ValueError(f"{argument}: {name} answers for n = {have}, not n = {n}")
    return FunctionModel(
        model.fn,
        model.num_values,
        model.output,
        model.traceable,
        model.batched,
        n,
        model.name,
        model.mask,
    )


@scoped_x64
def as_model(model, d: Distribution) -> ConditionalModel:
    """Resolve ``evaluate_policy``'s ``model=``: ``None`` is the truth ``d`` itself.

    Accepts a :class:`ConditionalModel`, a :class:`Distribution` (its exact conditionals) or a
    jax-traceable callable ``fn(y) -> (N, n, q_max)``. Function and torch models go through
    :func:`mdmjax.models.as_conditional_model` (``n`` from ``d`` when they leave it open).

    Args:
      model: ``None``, a Distribution, a ConditionalModel or a callable.
      d: the true law (its shape is checked against the model's).

    Returns:
      a :class:`ConditionalModel`.

    Raises:
      ValueError: ``model`` of another type, or answering for another shape.

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> d = mdm.Distribution.from_probs(np.array([[0.4, 0.1], [0.1, 0.4]]))
      >>> type(mdm.models.as_model(None, d)).__name__
      'DistributionModel'
      >>> type(mdm.models.as_model(lambda y: y, d)).__name__
      'CallableModel'
      >>> mdm.models.as_model(mdm.families.repetition(3, 2), d)
      Traceback (most recent call last):
        ...
      ValueError: model: answers for shape (2, 2, 2), but the law has (2, 2)
    """
    if model is None:
        return from_distribution(d)
    if isinstance(model, Distribution):
        out = from_distribution(model)
    elif isinstance(model, ConditionalModel):
        # function and torch models: their full conditionals, n taken from the law if unset
        out = as_conditional_model(model)
        if _fixed_n(out) is None:
            out = as_conditional_model(out, n=d.n)
    elif callable(model):
        out = CallableModel(model, d.shape)
    else:
        raise ValueError(
            "model: expected None, a Distribution, an mdmjax.models.ConditionalModel or a "
            f"callable, got {type(model).__name__}"
        )
    if tuple(out.shape) != d.shape:
        raise ValueError(f"model: answers for shape {tuple(out.shape)}, but the law has {d.shape}")
    return out
