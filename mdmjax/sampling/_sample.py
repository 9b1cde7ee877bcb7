"""The masked-diffusion sampler driven by a model: ``mdm.sample`` (docs/theory.md §11).

A row starts with every position to generate masked (the mask value of the model's input
convention, ``V``, or a prompt's fixed tokens elsewhere). At each step the model is called once on
the partially revealed rows; a set ``B_t`` of masked positions is chosen and every ``x_i``,
``i in B_t``, is drawn **independently** from the model's conditional ``p̂(x_i | x_{A_t})`` (the
factorised step). The plan decides ``B_t``:

* **sizes** ``(s_1, .., s_k)``: ``B_t`` is a uniformly random ``s_t``-subset of the still-masked
  positions (the random-order sampler of Theorem 4). Each row draws one uniform permutation of
  its positions to generate; step ``t`` reveals the ranks ``N_{t-1} .. N_t - 1``. The output law
  is the mixture ``ν̂ = mean_B ν̂_B`` over ordered partitions with these sizes.
* **a random-size schedule** (:class:`~mdmjax.schedules.BinomialSchedule`,
  :class:`~mdmjax.schedules.KernelSchedule`): the revealed count follows the schedule's own chain
  ``N_t ~ K_t[N_{t-1}, .]`` (a binomial schedule: each masked token is revealed at step ``t``
  independently with ``p_t``), the revealed positions again a uniform subset: exactly the law whose
  expected KL :meth:`expected_kl` computes. Steps that reveal nothing in the whole batch skip the
  model call.
* **a policy** (:mod:`mdmjax.policies`): the positions are chosen from the model's conditionals by
  the policy's rule, as :func:`mdmjax.evaluate_policy` defines it (:func:`mdmjax.policies.
  selection_rule`).

Along its own path each row accumulates ``log ν̂_B(x) = sum_t sum_{i in B_t} log p̂(x_i | x_{A_t})``
(float64), returned with ``return_log_prob=True``.

Execution: every mdmjax model is a :class:`~mdmjax.models.ConditionalModel`, so one jitted program
per (model, plan kind, batch shape) runs the whole sampler (``lax.scan`` over steps, the rows of
a batch together); a NumPy callable is reached through ``jax.pure_callback`` once per step, batch
by batch. The last batch is padded to the batch size (static shapes). Row ``r`` draws its
randomness from ``fold_in(key, r)``, so the samples do not depend on the batch size.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from mdmjax._src.buckets import pow2_bucket
from mdmjax._src.distributed import check_world, current_processes, run_batches
from mdmjax._src.keys import as_key
from mdmjax._src.memory import check_allocation
from mdmjax._src.precision import scoped_x64
from mdmjax._src.tolerances import MODEL_NORMALIZATION_TOLERANCE
from mdmjax._src.validate import as_positive_int, as_sizes
from mdmjax.models import FunctionModel, as_conditional_model, as_scoring_model
from mdmjax.policies import Policy
from mdmjax.schedules import BinomialSchedule, KernelSchedule

__all__ = ["sample"]

# Elements of the largest per-batch array, the (B, n, V) conditionals, in the default batch size.
_BATCH_ELEMENTS = 2**22
# Rows x positions x steps above which the automatic progress bar is shown (several batches).
_PROGRESS_WORK = 10**7

# Keys of row r: fold_in(fold_in(key, r), purpose), then fold_in(step) for per-step draws.
_ORDER, _SIZES, _STEP = 0, 1, 2

# Codes of a bad model answer (first one per row is reported).
_NAN, _NOT_A_DISTRIBUTION = 1, 2


# ------------------------------------------------------------------------------------------------
# Inside the jitted program
# ------------------------------------------------------------------------------------------------
def _normalised(probs, masked, tol):
    """Renormalised conditionals and a per-row code of the first problem (0: none).

    ``probs`` ``(B, n, V)``; only masked positions are checked (the others are ignored). A masked
    row with NaN/inf, a negative entry, or a total mass off 1 by more than ``tol`` is bad; bad rows
    are replaced by a point mass on value 0 so that drawing stays defined (the caller raises).
    """
    # Reductions first, then the tests: XLA proves elementwise tests such as exp(.) >= 0 true and
    # would constant-fold the (B, n, V) result element by element (minutes at n = 256).
    mass = jnp.sum(probs, axis=-1)  # NaN or inf anywhere makes the sum non-finite
    low = jnp.min(probs, axis=-1)
    good = jnp.isfinite(mass) & (low >= 0) & (jnp.abs(mass - 1.0) <= tol)
    nan_pos = masked & ~jnp.isfinite(mass)
    bad_pos = masked & ~good
    code = jnp.where(
        jnp.any(nan_pos, axis=1), _NAN, jnp.where(jnp.any(bad_pos, axis=1), _NOT_A_DISTRIBUTION, 0)
    )
    point = (jnp.arange(probs.shape[-1]) == 0).astype(probs.dtype)
    safe = jnp.where(good[..., None], probs / jnp.where(good, mass, 1.0)[..., None], point)
    return jnp.where(masked[..., None], safe, 0.0), code


def _draw(keys, probs):
    """Independent draws ``x_i ~ probs[b, i]`` for every position and ``log probs[b, i, x_i]``.

    By inversion, one float64 uniform per position (not ``V`` Gumbels): ``x_i`` is the first
    value whose cumulative probability exceeds ``u_i``, which never has probability 0.
    """
    num, n, v = probs.shape
    u = _uniform64(keys, (n,))  # (B, n)
    cdf = jnp.cumsum(probs, axis=-1)
    x = jnp.sum(cdf <= (u * cdf[..., -1])[..., None], axis=-1)
    last = (v - 1) - jnp.argmax(jnp.flip(probs > 0, axis=-1), axis=-1)  # last value with p > 0
    x = jnp.minimum(x, last).astype(jnp.int64)
    px = jnp.take_along_axis(probs, x[..., None], axis=-1)[..., 0]
    return x, jnp.log(jnp.where(px > 0, px, 1.0))


def _row_keys(key, row_ids, purpose):
    return jax.vmap(lambda r: jax.random.fold_in(jax.random.fold_in(key, r), purpose))(row_ids)


def _ranks(keys, gen):
    """Per row, a uniformly random rank ``0 .. m-1`` of each position to generate (others: ``n``
    and above), from one uniform permutation of the ``n`` positions."""
    n = gen.shape[1]
    pos = jnp.arange(n, dtype=jnp.int32)

    def row(k, g):
        perm = jax.random.permutation(k, n).astype(jnp.int32)
        inv = jnp.zeros(n, jnp.int32).at[perm].set(pos)
        order = jnp.argsort(jnp.where(g, inv, n + pos))
        return jnp.zeros(n, jnp.int32).at[order].set(pos)

    return jax.vmap(row)(keys, gen)


def _uniform64(keys, shape):
    return jax.vmap(lambda k: jax.random.uniform(k, shape, dtype=jnp.float64))(keys)


def _reveal_steps(key, row_ids, gen, mode, plan_arrays, num_steps):
    """``(B, n)`` 0-based step at which each position is revealed (``-1``: fixed by the prompt)."""
    ranks = _ranks(_row_keys(key, row_ids, _ORDER), gen)
    if mode == "sizes":  # ends = (N_1, .., N_k): rank r is revealed at #{t: N_t <= r}
        ends = plan_arrays.astype(jnp.int32)
        step = jnp.searchsorted(ends, ranks, side="right").astype(jnp.int32)
    elif mode == "kernels":  # the revealed count's chain, then ranks as above
        cdfs = plan_arrays  # (T, m+1, m+1)
        u = _uniform64(_row_keys(key, row_ids, _SIZES), (num_steps,))  # (B, T)
        m = cdfs.shape[1] - 1

        def chain(counts, xs):
            cdf_t, u_t = xs
            rows = cdf_t[counts]  # (B, m+1)
            new = jnp.minimum(jnp.sum(rows <= u_t[:, None], axis=1), m).astype(jnp.int32)
            new = jnp.maximum(new, counts)
            return new, new

        start = jnp.zeros(gen.shape[0], jnp.int32)
        _, counts = jax.lax.scan(chain, start, (cdfs, u.T))  # (T, B): N_1 .. N_T
        search = jax.vmap(lambda c, r: jnp.searchsorted(c, r, side="right"))
        step = search(counts.T, ranks).astype(jnp.int32)
    else:  # "binomial": each token's step is independent, P(t) = p_t prod_{u<t} (1 - p_u)
        cdf = plan_arrays  # (T,)
        u = _uniform64(_row_keys(key, row_ids, _SIZES), (gen.shape[1],))  # (B, n)
        step = jnp.searchsorted(cdf, u, side="right").astype(jnp.int32)
        step = jnp.minimum(step, num_steps - 1)
    return jnp.where(gen, step, -1).astype(jnp.int32)


def _step(carry, t, probs, mask, step_keys, choose, tol, target=None):
    """One sampler step on a batch: check and renormalise ``probs``, choose ``B_t``, draw.

    ``carry = (y, log ν̂_B so far, first bad step, its code, steps taken)``;
    ``choose(probs, masked, keys)`` returns the bool ``(B, n)`` positions revealed at step ``t``.
    With a ``target`` ``(B, n)`` the step is teacher-forced (docs/theory.md §11): the chosen
    positions take the target's values instead of draws, and ``log ν̂`` adds their log
    conditionals (``-inf`` where the model gives a target value probability 0).
    """
    y, logp, bad_step, bad_code, steps = carry
    masked = y == mask[None, :]
    probs, code = _normalised(probs, masked, tol)
    keys = jax.vmap(lambda k: jax.random.fold_in(k, t))(step_keys)
    reveal = choose(probs, masked, jax.vmap(lambda k: jax.random.fold_in(k, _ORDER))(keys))
    reveal = reveal & masked
    if target is None:
        x, lp = _draw(keys, probs)
    else:
        x = target
        px = jnp.take_along_axis(probs, jnp.minimum(x, probs.shape[-1] - 1)[..., None], axis=-1)
        lp = jnp.log(px[..., 0])
    y = jnp.where(reveal, x, y)
    logp = logp + jnp.sum(jnp.where(reveal, lp, 0.0), axis=1)
    first = (bad_code == 0) & (code != 0)
    steps = steps + jnp.any(reveal, axis=1).astype(steps.dtype)
    return (y, logp, jnp.where(first, t, bad_step), jnp.where(first, code, bad_code), steps)


def _chooser(kind, plan_arrays, rule, step_of, t):
    if kind == "policy":
        return lambda probs, masked, keys: rule.select(plan_arrays, probs, masked, t, keys)
    return lambda probs, masked, keys: step_of == t


def _init(y0):
    num = y0.shape[0]
    return (
        y0,
        jnp.zeros(num, jnp.float64),
        jnp.full(num, -1, jnp.int32),
        jnp.zeros(num, jnp.int32),
        jnp.zeros(num, jnp.int32),
    )


def _active(kind, carry, step_of, t, mask):
    """Whether step ``t`` needs a model call for the batch (some row reveals something)."""
    if kind == "policy":
        return jnp.any(carry[0] == mask[None, :])
    return jnp.any(step_of == t)


@functools.partial(jax.jit, static_argnames=("kind", "rule", "num_steps"))
def _prepare(y0, mask, row_ids, key, plan_arrays, *, kind, rule, num_steps):
    """Per-row step keys and, for size plans and schedules, each position's reveal step."""
    del rule
    step_keys = _row_keys(key, row_ids, _STEP)
    if kind == "policy":
        return step_keys, jnp.zeros(y0.shape, jnp.int32)
    gen = y0 == mask[None, :]
    return step_keys, _reveal_steps(key, row_ids, gen, kind, plan_arrays, num_steps)


@functools.partial(jax.jit, static_argnames=("kind", "rule", "num_steps", "tol"))
def _run_traced(
    model, y0, mask, row_ids, key, plan_arrays, target=None, *, kind, rule, num_steps, tol
):
    """The whole sampler on one batch, one program: ``lax.scan`` over the steps (teacher-forced
    to ``target`` when given, :func:`_step`)."""
    step_keys, step_of = _prepare(
        y0, mask, row_ids, key, plan_arrays, kind=kind, rule=rule, num_steps=num_steps
    )

    def body(carry, t):
        def call(carry):
            probs = model.conditionals(carry[0])
            choose = _chooser(kind, plan_arrays, rule, step_of, t)
            return _step(carry, t, probs, mask, step_keys, choose, tol, target)

        active = _active(kind, carry, step_of, t, mask)
        return jax.lax.cond(active, call, lambda c: c, carry), None

    carry, _ = jax.lax.scan(body, _init(y0), jnp.arange(num_steps, dtype=jnp.int32))
    return carry


@functools.partial(jax.jit, static_argnames=("kind", "rule", "tol"))
def _host_step(
    carry, t, probs, mask, step_keys, step_of, plan_arrays, target=None, *, kind, rule, tol
):
    """One step of a host model's batch (the conditionals computed on the host)."""
    choose = _chooser(kind, plan_arrays, rule, step_of, t)
    return _step(carry, t, probs, mask, step_keys, choose, tol, target)


@functools.partial(jax.jit, static_argnames=("kind",))
def _host_active(carry, step_of, t, mask, *, kind):
    return _active(kind, carry, step_of, t, mask)


def _host_conditionals(wrapped, y: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """A NumPy callable's ``(B, n, V)`` conditionals, float64, zeros at revealed positions."""
    raw = wrapped.raw(y)
    want = (*y.shape, wrapped.num_values)
    if raw.shape != want:
        raise ValueError(f"model: {wrapped.name} returned shape {raw.shape}, expected {want}")
    if not np.issubdtype(raw.dtype, np.floating):
        raise ValueError(f"model: {wrapped.name} returned dtype {raw.dtype}, expected floats")
    raw = raw.astype(np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        probs = np.exp(raw) if wrapped.output == "log_probs" else raw
    return np.where((y == mask[None, :])[..., None], probs, 0.0)


def _run_host(
    wrapped, y0, mask, row_ids, key, plan_arrays, target=None, *, kind, rule, num_steps, tol
):
    """A NumPy callable's batch: the model on the host, each step's draws in one jitted call."""
    step_keys, step_of = _prepare(
        y0, mask, row_ids, key, plan_arrays, kind=kind, rule=rule, num_steps=num_steps
    )
    carry = _init(y0)
    mask_np = np.asarray(mask)
    for t in range(num_steps):
        t_dev = jnp.asarray(t, dtype=jnp.int32)
        if not bool(_host_active(carry, step_of, t_dev, mask, kind=kind)):
            continue
        probs = _host_conditionals(wrapped, np.asarray(carry[0]), mask_np)
        carry = _host_step(
            carry,
            t_dev,
            jnp.asarray(probs),
            mask,
            step_keys,
            step_of,
            plan_arrays,
            target,
            kind=kind,
            rule=rule,
            tol=tol,
        )
    return carry


# ------------------------------------------------------------------------------------------------
# Argument checks (all before any model call)
# ------------------------------------------------------------------------------------------------
def _model_info(model):
    """``(wrapped, n or None)``: the scoring view of a model from :func:`_as_sampler_model`."""
    wrapped = as_scoring_model(model, "model")
    return wrapped, wrapped.n


def _n_of(prompt, plan) -> int | None:
    """The ``n`` a prompt or a plan implies, or ``None`` (the checks come later, unchanged)."""
    if prompt is not None:
        arr = np.asarray(prompt)
        ok = arr.dtype != object and arr.dtype.kind in "iu" and arr.ndim in (1, 2)
        return int(arr.shape[-1]) if ok and arr.shape[-1] > 0 else None
    if isinstance(plan, Policy):
        if plan.order is not None:
            return len(plan.order)
        return None if plan.sizes is None or plan.inner is not None else int(sum(plan.sizes))
    if isinstance(plan, BinomialSchedule | KernelSchedule):
        return int(plan.n)
    if isinstance(plan, str | bytes | dict) or not isinstance(plan, Sequence | np.ndarray):
        return None
    arr = np.asarray(plan)
    if arr.dtype.kind not in "iu" or arr.ndim != 1 or arr.size == 0 or np.any(arr < 1):
        return None
    return int(arr.sum())


def _prompt_rows(prompt, wrapped, n_model, num: int) -> tuple[np.ndarray, np.ndarray]:
    """``(y0, mask)``: the starting rows ``(num or 1, n)`` and the per-position mask values."""
    if prompt is None:
        if n_model is None:
            raise ValueError(
                f"model: {wrapped.name} does not fix n, and an adaptive policy does not say it; "
                "pass n= to from_callable / from_torch, step sizes, or a prompt of shape (n,)"
            )
        mask = wrapped.mask_values(n_model)
        return mask[None, :].copy(), mask
    arr = np.asarray(prompt)
    if arr.dtype == object or arr.dtype.kind not in "iu" or arr.ndim not in (1, 2):
        raise ValueError(
            "prompt: expected an int array of shape (n,) or (num_samples, n), got "
            + (f"dtype {arr.dtype}" if arr.dtype.kind not in "iu" else f"shape {arr.shape}")
        )
    if arr.ndim == 2 and arr.shape[0] != num:
        raise ValueError(
            f"prompt: has {arr.shape[0]} rows, but num_samples = {num} (pass one row (n,) to use "
            "it for every sample)"
        )
    n = arr.shape[-1]
    if n == 0:
        raise ValueError("prompt: has no positions")
    if n_model is not None and n != n_model:
        raise ValueError(
            f"prompt: has n = {n} positions, but model {wrapped.name} has n = {n_model}"
        )
    mask = wrapped.mask_values(n)
    rows = arr.reshape(-1, n).astype(np.int64)
    bad = (rows < 0) | (rows > mask[None, :])
    if np.any(bad):
        r, i = (int(v[0]) for v in np.nonzero(bad))
        raise ValueError(
            f"prompt: value {int(rows[r, i])} at row {r}, position {i} is outside 0..{mask[i]} "
            f"(tokens 0..{mask[i] - 1}, {mask[i]} = masked)"
        )
    counts = np.sum(rows == mask[None, :], axis=1)
    if np.any(counts != counts[0]):
        raise ValueError(
            f"prompt: every row must have the same number of masked positions, got "
            f"{sorted(set(counts.tolist()))}"
        )
    if counts[0] == 0:
        raise ValueError("prompt: has no masked position to generate")
    return rows, mask


def _as_plan(plan, m: int, n: int, name: str):
    """``(kind, data)``: ``("sizes", ends)``, ``("kernels", cdfs)``, ``("binomial", cdf)`` or
    ``("policy", rule)``; ``m`` positions to generate among ``n``."""
    if isinstance(plan, Policy):
        from mdmjax.policies import selection_rule

        if m != n:
            return "policy", selection_rule(plan, n, generate=m)
        return "policy", selection_rule(plan, n)
    if isinstance(plan, BinomialSchedule | KernelSchedule):
        if plan.n != m:
            raise ValueError(
                f"model: {name} generates {m} positions, but the plan's schedule is for n = "
                f"{plan.n}"
            )
        if isinstance(plan, BinomialSchedule):
            probs = np.asarray(plan.reveal_probs, dtype=np.float64)
            stay = np.concatenate([[1.0], np.cumprod(1.0 - probs)[:-1]])
            cdf = np.cumsum(probs * stay)
            cdf[-1] = 1.0
            return "binomial", cdf
        kernels = np.asarray(plan.kernels(), dtype=np.float64)
        check_allocation(kernels.nbytes, "the schedule's cumulative kernels", argument="plan")
        cdfs = np.cumsum(kernels, axis=2)
        cdfs[:, :, -1] = 1.0
        return "kernels", cdfs
    if isinstance(plan, str | bytes | dict) or not isinstance(plan, Sequence | np.ndarray):
        raise ValueError(
            "plan: expected step sizes (a tuple of positive ints), a random-size schedule "
            "(mdm.schedules.ancestral / binomial / dream_origin) or an mdm.policies.Policy, got "
            f"{type(plan).__name__}"
        )
    sizes = as_sizes(plan, m, argument="plan", allow_batch=False)
    return "sizes", np.cumsum(sizes)


def _batch_size(batch_size, num: int, n: int, v: int) -> int:
    """Rows per program: a power of two by default (few batch shapes, so few compilations)."""
    if batch_size is None:
        cap = max(1, _BATCH_ELEMENTS // max(1, n * v))
        return min(pow2_bucket(num), 1 << (cap.bit_length() - 1))
    return min(as_positive_int(batch_size, "batch_size"), num)


def _padded(kind: str, data, m: int):
    """The plan padded to a power-of-two number of steps that reveal nothing (skipped at run
    time), so that plans of similar length share one compiled program."""
    if kind == "policy":
        steps = pow2_bucket(data.num_steps)
        return dataclasses.replace(data, static=dataclasses.replace(data.static, num_steps=steps))
    steps = data.shape[0]
    extra = pow2_bucket(steps) - steps
    if not extra:
        return data
    if kind == "sizes":  # more ends at m: no rank reaches them
        return np.concatenate([data, np.full(extra, m, dtype=data.dtype)])
    if kind == "binomial":  # a step after the cdf reached 1 is never drawn
        return np.concatenate([data, np.ones(extra)])
    stay = np.triu(np.ones((m + 1, m + 1)))  # the identity kernel's cdf: the count stays
    return np.concatenate([data, np.broadcast_to(stay, (extra, m + 1, m + 1))])


def _as_sampler_model(model, *, plan=None, prompt=None):
    """The model's full conditionals (:func:`~mdmjax.models.as_conditional_model`: a law stands
    for its exact conditionals, a ``from_torch`` model for its table, a scored model without one
    is refused); a model that leaves ``n`` open takes it from the prompt's width or, without a
    prompt, from the plan (step sizes sum to ``n``)."""
    model = as_conditional_model(model, argument="model")
    if as_scoring_model(model, "model").n is None:
        n = _n_of(prompt, plan)
        if n is not None:
            model = as_conditional_model(model, n=n)
    return model


@dataclasses.dataclass(frozen=True)
class Runner:
    """A model and a plan resolved for running batches of rows (shared with
    :func:`mdmjax.calibrate.sampler_kl`, which runs the same program teacher-forced).

    Attributes:
      model: the :class:`~mdmjax.models.ConditionalModel`.
      wrapped: its scoring view (name, host or traceable).
      kind: ``"sizes"``, ``"kernels"``, ``"binomial"`` or ``"policy"``.
      rule: the policy's static :class:`~mdmjax.policies.SelectionRule` (else ``None``).
      plan_dev: the plan's arrays on the device.
      mask_dev: the per-position mask values.
      num_steps: the padded number of steps (model calls per batch at most).
      num_values: the largest alphabet ``V``.
      stochastic: whether the choice of positions uses randomness (random order, random sizes,
        a random or Gumbel policy).
    """

    model: object
    wrapped: object
    kind: str
    rule: object
    plan_dev: object
    mask_dev: object
    num_steps: int
    num_values: int
    stochastic: bool

    @classmethod
    def build(cls, model, wrapped, plan, mask: np.ndarray, m: int) -> Runner:
        """Resolve ``plan`` for ``m`` positions to generate among ``len(mask)`` (``ValueError``
        naming ``plan`` or ``model`` on a bad plan)."""
        n = mask.shape[0]
        kind, data = _as_plan(plan, m, n, wrapped.name)
        if kind == "policy":
            stochastic = data.static.options != "single"
        elif kind == "sizes":
            stochastic = len(data) > 1
        else:
            stochastic = True
        data = _padded(kind, data, m)
        if kind == "policy":
            rule, num_steps = data.static, data.num_steps
            plan_dev = {k: jnp.asarray(a) for k, a in data.arrays.items()}
        else:
            rule, plan_dev = None, jnp.asarray(data)
            num_steps = len(data) if kind == "sizes" else int(data.shape[0])
        return cls(
            model=model,
            wrapped=wrapped,
            kind=kind,
            rule=rule,
            plan_dev=plan_dev,
            mask_dev=jnp.asarray(mask.astype(np.int64)),
            num_steps=int(num_steps),
            num_values=int(mask.max()),
            stochastic=bool(stochastic),
        )

    def run(self, y0, ids, key, *, target=None, real: int, row_of=None):
        """One batch: ``(x, log ν̂ along the path, steps taken)`` as NumPy arrays.

        ``y0`` ``(B, n)`` starting rows, ``ids`` ``(B,)`` the rows' random-stream ids (row ``r``
        draws from ``fold_in(key, ids[r])``), ``target`` ``(B, n)`` to teacher-force, ``real`` the
        number of rows that are not padding, ``row_of(r)`` the row number to name in an error.
        Raises ``ValueError`` (``model``) on a NaN or a conditional that is not a law.
        """
        tol = MODEL_NORMALIZATION_TOLERANCE
        args = (
            jnp.asarray(np.ascontiguousarray(y0).astype(np.int64)),
            self.mask_dev,
            jnp.asarray(np.asarray(ids).astype(np.int64)),
            key,
            self.plan_dev,
            None if target is None else jnp.asarray(np.asarray(target).astype(np.int64)),
        )
        static = dict(kind=self.kind, rule=self.rule, num_steps=self.num_steps, tol=tol)
        host = isinstance(self.wrapped, FunctionModel) and not self.wrapped.traceable
        if host:
            res = _run_host(self.wrapped, *args, **static)
        else:
            res = _run_traced(self.model, *args, **static)
        x, lp, bad_step, bad_code, steps = (np.asarray(a) for a in res)
        bad = np.nonzero(bad_code[:real])[0]
        if bad.size:
            r = int(bad[0])
            what = "NaN" if bad_code[r] == _NAN else "a conditional that is not a probability law"
            row = int(ids[r]) if row_of is None else row_of(r)
            raise ValueError(
                f"model: {self.wrapped.name} returned {what} at a masked position at step "
                f"{int(bad_step[r]) + 1} for row {row} (within {tol} in total mass)"
            )
        return x, lp, steps


# ------------------------------------------------------------------------------------------------
# Public entry point
# ------------------------------------------------------------------------------------------------
@scoped_x64
def sample(
    model,
    plan,
    key=0,
    num_samples: int = 1,
    prompt=None,
    batch_size: int | None = None,
    return_log_prob: bool = False,
    progress: bool | None = None,
    checkpoint=None,
):
    """Draw rows with the model's own masked-diffusion sampler (docs/theory.md §11).

    Every step calls the model once on the partially revealed rows, chooses the set ``B_t`` of
    masked positions to reveal (by ``plan``), and draws each ``x_i``, ``i in B_t``, independently
    from ``p̂(x_i | x_{A_t})``. With step sizes ``s`` the output law is the mixture

    .. math:: \\hat\\nu(x) = \\frac{\\prod_t s_t!}{m!} \\sum_{B} \\prod_t \\prod_{i \\in B_t}
              \\hat p(x_i \\mid x_{A_t})

    over the ordered partitions ``B`` of the ``m`` positions to generate; ``log ν̂_B(x)`` is the
    log of one term, along the row's own ``B``.

    Args:
      model: any mdmjax model that gives full conditionals
        (:func:`mdmjax.models.as_conditional_model`): :func:`mdmjax.models.from_callable`
        (``"probs"`` or ``"log_probs"``, traceable or a NumPy callable),
        :func:`mdmjax.models.from_torch`, :func:`mdmjax.models.from_distribution`, ``tempered``,
        ``noisy``, :func:`mdmjax.calibrate.markov_chain_model`, the shipped models; a
        :class:`~mdmjax.Distribution` stands for its exact conditionals. A model that leaves
        ``n`` open takes it from ``prompt`` or, without one, from ``plan`` (its sizes' sum, a
        schedule's or a policy's ``n``).
      plan: positive step sizes summing to the number of positions to generate; a random-size
        schedule (:func:`mdmjax.schedules.ancestral`, ``binomial``, ``dream_origin``,
        ``KernelSchedule``); or a :class:`~mdmjax.policies.Policy`.
      key: a ``jax.random`` key or an int seed. Same key, same samples, whatever ``batch_size``.
      num_samples: rows to draw, ``>= 1``.
      prompt: ``None`` (generate every position), or an int array ``(n,)`` or
        ``(num_samples, n)`` in the model's input convention: the mask value at the positions to
        generate, fixed tokens elsewhere. Every row must have the same number of masked positions.
      batch_size: rows per model call (default: as many as keep the ``(B, n, V)`` conditionals
        near ``2^22`` elements); the last batch is padded.
      return_log_prob: also return ``log ν̂_B(x)`` per row.
      progress: show progress over the batches (rows done, rows per second, time left): a bar
        on a terminal, else a line every few seconds on stderr (``None``: only for long runs).
      checkpoint: a file path: every completed batch is appended to it as it finishes, and a
        rerun with the same arguments resumes from it (the same rows, bit for bit).

    Several processes (``torchrun`` with an initialised ``torch.distributed`` process group, or
    ``jax.distributed``): the batches are split into one contiguous block per process and the
    rows all-gathered, so every process returns what one process returns (row ``r`` is keyed by
    ``fold_in(key, r)`` whatever process draws it). docs/scaling.md.

    Returns:
      an int64 array ``(num_samples, n)``; with ``return_log_prob`` a pair ``(x, log_nu_hat_B)``,
      the second a float64 array ``(num_samples,)``: the sum over the revealed positions of
      ``log p̂(x_i | revealed so far)`` along the row's own path.

    Raises:
      ValueError: naming the argument, before any model call: a scored model without its
        table, or ``n`` known nowhere (``model``), sizes that do not sum to the positions to
        generate or an unknown plan (``plan``), a schedule or policy for another ``n``
        (``model``), a prompt of the wrong shape or with out-of-range values (``prompt``),
        ``num_samples < 1``, a bad ``batch_size`` or ``key``, more processes than samples
        (``num_samples``), a checkpoint that cannot be written or is another run's
        (``checkpoint``), processes given different arguments (``arguments``). After a model
        call: a model returning NaN or a conditional that is not a probability law (``model``,
        naming the step and the row).

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> p = np.zeros((2, 2)); p[0, 0] = p[1, 1] = 0.5
      >>> m = mdm.models.from_distribution(mdm.Distribution.from_probs(p))
      >>> x = mdm.sample(m, (1, 1), key=0, num_samples=4)
      >>> x.shape, bool(np.all(x[:, 0] == x[:, 1]))
      ((4, 2), True)
      >>> x, lp = mdm.sample(m, (2,), key=0, num_samples=3, return_log_prob=True)
      >>> np.allclose(lp, 2 * np.log(0.5))
      True
    """
    model = _as_sampler_model(model, plan=plan, prompt=prompt)
    wrapped, n_model = _model_info(model)
    num = as_positive_int(num_samples, "num_samples")
    if not isinstance(return_log_prob, bool | np.bool_):
        raise ValueError(f"return_log_prob: expected True or False, got {return_log_prob!r}")
    if progress is not None and not isinstance(progress, bool | np.bool_):
        raise ValueError(f"progress: expected None, True or False, got {progress!r}")
    rows, mask = _prompt_rows(prompt, wrapped, n_model, num)
    n = rows.shape[1]
    runner = Runner.build(model, wrapped, plan, mask, int(np.sum(rows[0] == mask)))
    key = as_key(key)
    bsz = _batch_size(batch_size, num, n, runner.num_values)
    check_allocation(
        num * n * 8 + bsz * n * runner.num_values * 8 * 4,
        "the samples and one batch's conditionals",
        hint="Pass a smaller batch_size or fewer num_samples.",
        argument="num_samples",
    )
    num_batches = math.ceil(num / bsz)
    show = (
        progress
        if progress is not None
        else (num_batches > 1 and num * n * runner.num_steps > _PROGRESS_WORK)
    )
    procs = current_processes()
    check_world(num, procs, "num_samples", "samples")
    show = show and procs.rank == 0

    def work(indices):
        if show:  # a bar on a terminal, else a line every few seconds
            from mdmjax._src.progress import progress_iter

            counts = [min(bsz, num - b * bsz) for b in indices]
            indices = progress_iter(indices, counts, "sample", "rows")
        for b in indices:
            lo = b * bsz
            hi = min(num, lo + bsz)
            ids = np.arange(lo, lo + bsz)
            y0 = (
                rows[np.minimum(ids, num - 1)]
                if rows.shape[0] > 1
                else np.broadcast_to(rows, (bsz, n))
            )
            x, lp, _ = runner.run(y0, ids, key, real=hi - lo)
            yield b, {"x": x[: hi - lo], "log_prob": lp[: hi - lo]}

    identity = {
        "function": "sample",
        "model": wrapped.name,
        "plan_kind": runner.kind,
        "plan": {"rule": repr(runner.rule), "arrays": runner.plan_dev},
        "key": key,
        "num_samples": num,
        "prompt": rows,
        "batch_size": bsz,
    }
    log = None
    if show:
        import sys

        def log(text: str) -> None:
            print(f"sample {wrapped.name}: {text}", file=sys.stderr, flush=True)

        log(
            f"{num} rows, {runner.num_steps} steps: at most {num_batches * runner.num_steps} "
            f"model calls of {bsz} rows"
        )
    records = run_batches(
        num_batches, work, identity=identity, checkpoint=checkpoint, processes=procs, log=log
    )
    out = np.concatenate([r["x"] for r in records]).astype(np.int64, copy=False)
    logp = np.concatenate([r["log_prob"] for r in records]).astype(np.float64, copy=False)
    if return_log_prob:
        return out, logp
    return out
