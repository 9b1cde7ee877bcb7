"""The KL of the sampler a practitioner runs, on held-out rows (docs/theory.md §13).

For a plan ``π`` (step sizes, a random-size schedule or a policy) driven by a model ``p̂``, the
sampler outputs a law ``ν̂_π``. On held-out rows ``x ~ p``,

.. math:: KL(p \\| \\hat\\nu_\\pi) = E_p[-\\log \\hat\\nu_\\pi(X)] - H(p),

and differences between plans need no ``H(p)``. ``log ν̂_π(x)`` is computed by running the
sampler's own program **teacher-forced** on ``x`` (``Runner`` of :func:`mdmjax.sample`): the
same choice rule as :func:`mdmjax.sample` and :func:`mdmjax.evaluate_policy`
(:mod:`mdmjax.policies._choice`), the row's own values in place of draws.

* **Deterministic choice** (confidence, margin, entropy, thresholds, EB, fixed order, dilated,
  blocks with such an inner rule, one step): ``x`` is reached by one path, so
  ``log ν̂_π(x) = Σ_t Σ_{i∈S_t(x)} log p̂(x_i | x_{C_t(x)})`` exactly, one model call per step.
* **Stochastic choice** (random order, random sizes, ``random`` and Gumbel policies):
  ``ν̂_π(x) = E_path[w(path, x)]`` with ``w = Π_t Π_{i∈S_t} p̂(x_i | x_{C_t})`` and the path drawn
  from the plan's own randomness (teacher-forced). With ``M`` paths per row,
  ``log mean_M w`` underestimates ``log ν̂_π(x)`` on average (Jensen), so the cross-entropy is
  an upper bound that decreases to the truth as ``M`` grows; at ``M = 1`` it is Theorem 4's
  ``E_B KL(p || ν̂_B)`` for random order. The result reports the estimate at every
  power-of-two ``M' <= M`` (nested particle sets) as its own bias diagnostic.
* **On a law** (a :class:`~mdmjax.Distribution` or :func:`mdmjax.families.from_support`) the
  rows are its support, weighted by ``p``: the result is exact. Stochastic policies and random
  order get ``ν̂_π(x)`` exactly by a teacher-forced walk of the sampler's tree restricted to
  ``x`` (a DP over the revealed subsets, the tree walk's own choice code), where its widest
  level fits :data:`EXACT_NODE_BUDGET`.
"""

from __future__ import annotations

import dataclasses
import math

import jax
import numpy as np

from mdmjax._src.buckets import pow2_bucket
from mdmjax._src.distributed import check_world, current_processes, run_batches
from mdmjax._src.keys import as_key
from mdmjax._src.memory import check_allocation
from mdmjax._src.precision import scoped_x64
from mdmjax._src.stats import mean_stderr, weighted_mean_stderr
from mdmjax._src.validate import as_positive_float, as_positive_int
from mdmjax.distribution import Distribution
from mdmjax.models import as_conditional_model
from mdmjax.sampling._sample import Runner, _as_sampler_model, _model_info

__all__ = ["SamplerBracket", "SamplerKL", "sampler_bracket", "sampler_kl"]

#: Most nodes (row, revealed subset) one level of the exact teacher-forced walk may hold.
EXACT_NODE_BUDGET = 2_000_000
#: ``particles=None``: the first particle count, the doubling tolerance (nats per row on
#: average) and the default particle budget.
FIRST_PARTICLES = 4
PARTICLE_TOLERANCE = 0.05
MAX_PARTICLES = 256
# Elements of the (B, n, V) conditionals of one teacher-forced batch.
_BATCH_ELEMENTS = 2**22


@dataclasses.dataclass(frozen=True)
class SamplerKL:
    """The sampler's own output law, valued on rows (:func:`sampler_kl`).

    Attributes:
      label: the plan, in words.
      log_likelihood: ``(R,)`` float64, per row the estimate of ``log ν̂_π(x)`` (of the generated
        positions given the prompt, when there is one); ``-inf`` where the sampler cannot
        produce the row.
      weights: ``(R,)`` the rows' weights (summing to 1).
      cross_entropy: ``E[-log ν̂_π(X)]`` in nats.
      stderr: its standard error over rows (0 when ``exact``).
      entropy_of_data: ``H(p)`` when known (given, or the law's own), else ``None``.
      model_calls: model calls spent (teacher-forced steps summed over rows and particles).
      particles: paths per row (1 for a deterministic plan).
      exact: whether the value is exact (a law's support, and deterministic or walked exactly).
      stochastic: whether the plan's choice of positions is random.
      stopped: ``"exact"``, ``"deterministic"``, ``"fixed"`` (``particles`` given),
        ``"tolerance"`` (doubling converged) or ``"max_particles"`` (budget reached).
      particle_curve: ``{M': cross-entropy with the first M' paths}`` for the powers of two
        ``M' <= particles`` (the bias diagnostic: it decreases towards the truth).
      log_weight_spread: mean over rows of the standard deviation of the paths' log-weights
        (0 for a deterministic plan); large values mean slow convergence in ``M``.
      steps: ``(R,)`` mean number of steps (model calls) per path of each row.

    Examples:
      Two perfectly correlated bits revealed in one step: the sampler outputs the product of
      the marginals, ``ν̂(00) = 1/4``, so the cross-entropy is ``ln 4`` and the KL ``ln 2``:

      >>> import math, numpy as np, mdmjax as mdm
      >>> d = mdm.Distribution.from_probs(np.array([[0.5, 0.0], [0.0, 0.5]]))
      >>> r = mdm.calibrate.sampler_kl(d, (2,), d)
      >>> round(r.cross_entropy / math.log(2), 12), round(r.kl / math.log(2), 12), r.exact
      (2.0, 1.0, True)
    """

    label: str
    log_likelihood: np.ndarray
    weights: np.ndarray
    cross_entropy: float
    stderr: float
    entropy_of_data: float | None
    model_calls: int
    particles: int
    exact: bool
    stochastic: bool
    stopped: str
    particle_curve: dict
    log_weight_spread: float
    steps: np.ndarray

    @property
    def kl(self) -> float:
        """``KL(p || ν̂_π) = cross_entropy - H(p)`` (needs ``entropy_of_data``)."""
        return self.cross_entropy - self._entropy()

    @property
    def probability(self) -> np.ndarray:
        """``(R,)`` per row ``ν̂_π(x)`` (``exp`` of :attr:`log_likelihood`)."""
        return np.exp(self.log_likelihood)

    @property
    def solve_rate(self) -> float:
        """``E_rows ν̂_π(x | prompt)``: with clues whose completion is unique, the probability
        that the sampler produces the solution (docs/theory.md §13)."""
        return float(np.dot(self.weights, self.probability))

    @property
    def solve_rate_stderr(self) -> float:
        """Standard error of :attr:`solve_rate` over rows (0 when exact)."""
        if self.exact:
            return 0.0
        return float(weighted_mean_stderr(self.probability, self.weights)[1])

    def _entropy(self) -> float:
        if self.entropy_of_data is None:
            raise ValueError(
                "entropy_of_data: the KL needs H(p); pass entropy_of_data= to sampler_kl (or "
                "compare plans with .minus, which needs no H)"
            )
        return self.entropy_of_data

    def kl_interval(self, level: float = 0.95) -> tuple[float, float]:
        """Normal interval for the KL at ``level`` (a point when exact).

        For a stochastic plan it is an interval for the ``M``-particle value, an upper bound on
        the KL; :attr:`particle_curve` shows how far ``M`` has converged.
        """
        from mdmjax._src.numerics import normal_quantile

        h = self._entropy()
        z = normal_quantile(level)
        return (self.cross_entropy - h - z * self.stderr, self.cross_entropy - h + z * self.stderr)

    def minus(self, other: SamplerKL, level: float = 0.95) -> dict:
        """Paired difference ``self - other`` of cross-entropies (= of KLs) on the same rows.

        Returns ``{"difference", "stderr", "interval"}``: the weighted mean of the per-row
        differences of ``-log ν̂``, its standard error and a normal interval at ``level``.

        Raises:
          ValueError: ``other`` is not a SamplerKL on the same rows (``other``).
        """
        from mdmjax._src.numerics import normal_quantile

        if not isinstance(other, SamplerKL):
            raise ValueError(f"other: expected a SamplerKL, got {type(other).__name__}")
        if other.log_likelihood.shape != self.log_likelihood.shape or not np.allclose(
            other.weights, self.weights
        ):
            raise ValueError(
                "other: was computed on other rows (a paired difference needs the same)"
            )
        z = normal_quantile(level)
        with np.errstate(invalid="ignore"):
            diff = other.log_likelihood - self.log_likelihood
        if not np.all(np.isfinite(diff)):
            d = self.cross_entropy - other.cross_entropy
            return {"difference": d, "stderr": math.nan, "interval": (d, d)}
        mean, se = (float(v) for v in weighted_mean_stderr(diff, self.weights))
        se = 0.0 if (self.exact and other.exact) else se
        return {"difference": mean, "stderr": se, "interval": (mean - z * se, mean + z * se)}


# ------------------------------------------------------------------------------------------------
# Arguments
# ------------------------------------------------------------------------------------------------
def _table_entropy(weights: np.ndarray) -> float:
    w = weights[weights > 0]
    return float(-np.sum(w * np.log(w)))


def _given_prompt(prompt, rows: np.ndarray, weights: np.ndarray, wrapped, n: int):
    """The support rows that complete ``prompt`` (one row ``(n,)``) and their weights."""
    arr = np.asarray(prompt)
    if arr.dtype == object or arr.dtype.kind not in "iu" or arr.shape != (n,):
        raise ValueError(
            f"prompt: with a law, expected one int row of shape ({n},), got {arr.dtype} "
            f"of shape {arr.shape}"
        )
    try:
        mask = wrapped.mask_values(n)
    except ValueError as err:
        raise ValueError(f"model: {err}") from None
    fixed = arr != mask
    agree = np.all(~fixed[None, :] | (rows == arr[None, :]), axis=1)
    if not np.any(agree & (weights > 0)):
        raise ValueError("prompt: no row of the law's support completes it")
    return rows[agree], weights[agree]


def _law_rows(law):
    """``(rows, weights)``: the support of a Distribution or a support law."""
    from mdmjax.families import SupportLaw

    if isinstance(law, SupportLaw):
        return law.rows, law.weights
    p = np.asarray(law.probs, dtype=np.float64)
    rows = np.stack(np.nonzero(p > 0), axis=1).astype(np.int64)
    return rows, p[tuple(rows.T)]


def _as_rows(rows, n: int | None) -> np.ndarray:
    arr = np.asarray(rows)
    if arr.dtype == object or arr.dtype.kind not in "iu":
        raise ValueError(f"rows: expected an int array (R, n) of token ids, got dtype {arr.dtype}")
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"rows: expected a non-empty int array (R, n), got shape {arr.shape}")
    if n is not None and arr.shape[1] != n:
        raise ValueError(f"rows: have n = {arr.shape[1]} positions, but the model has n = {n}")
    return arr.astype(np.int64)


def _as_weights(weights, num: int) -> np.ndarray:
    if weights is None:
        return np.full(num, 1.0 / num)
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (num,) or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError(
            f"weights: expected {num} finite non-negative numbers with a positive sum, got "
            f"shape {w.shape}"
        )
    return w / w.sum()


def _as_entropy(entropy_of_data) -> float | None:
    if entropy_of_data is None:
        return None
    try:
        h = float(entropy_of_data)
    except (TypeError, ValueError):
        raise ValueError(
            f"entropy_of_data: expected a finite number >= 0, got {entropy_of_data!r}"
        ) from None
    if not math.isfinite(h) or h < 0:
        raise ValueError(f"entropy_of_data: expected a finite number >= 0, got {entropy_of_data!r}")
    return h


def _start_rows(prompt, rows: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``(R, n)`` starting rows: all masked, or the prompt's clues (checked against ``rows``)."""
    num, n = rows.shape
    if prompt is None:
        return np.broadcast_to(mask, (num, n)).copy()
    arr = np.asarray(prompt)
    if arr.dtype == object or arr.dtype.kind not in "iu" or arr.ndim not in (1, 2):
        raise ValueError(f"prompt: expected an int array (n,) or (R, n), got shape {arr.shape}")
    if arr.shape[-1] != n or (arr.ndim == 2 and arr.shape[0] != num):
        raise ValueError(f"prompt: has shape {arr.shape}, but rows have shape {rows.shape}")
    start = np.broadcast_to(arr.astype(np.int64), (num, n)).copy()
    gen = start == mask[None, :]
    if np.any((start < 0) | (start > mask[None, :])):
        raise ValueError(f"prompt: values must lie in 0..{int(mask.max())} (the mask value)")
    clash = ~gen & (start != rows)
    if np.any(clash):
        r, i = (int(v[0]) for v in np.nonzero(clash))
        raise ValueError(
            f"prompt: fixes position {i} to {int(start[r, i])}, but row {r} has {int(rows[r, i])} "
            "there (the rows must complete the prompt)"
        )
    counts = gen.sum(axis=1)
    if np.any(counts != counts[0]) or counts[0] == 0:
        raise ValueError(
            "prompt: every row must have the same, positive number of masked positions"
        )
    return start


# ------------------------------------------------------------------------------------------------
# Teacher-forced runs
# ------------------------------------------------------------------------------------------------
def _teacher_forced(runner, start, rows, ids_of, key, batch_size, progress, desc, checkpoint):
    """``(log w, steps)`` for the (row, particle) pairs listed by ``ids_of`` ``(P, 2)``.

    The pairs run in batches through :func:`mdmjax._src.distributed.run_batches`: split over
    the processes of a ``torch.distributed`` / ``jax.distributed`` run (every rank gets every
    record) and appended to ``checkpoint`` as they finish (a rerun resumes from it).
    """
    num_pairs = ids_of.shape[0]
    num_batches = -(-num_pairs // batch_size)
    procs = current_processes()
    check_world(num_batches, procs, "rows", "batches of (row, path) pairs")

    def work(indices):
        if progress and procs.rank == 0:
            from mdmjax._src.progress import progress_iter

            counts = [min(batch_size, num_pairs - b * batch_size) for b in indices]
            indices = progress_iter(indices, counts, desc, "paths")
        for b in indices:
            lo = b * batch_size
            idx = np.minimum(np.arange(lo, lo + batch_size), num_pairs - 1)
            real = min(batch_size, num_pairs - lo)
            rws, stream = ids_of[idx, 0], ids_of[idx, 1]
            _, lp, st = runner.run(
                start[rws],
                stream,
                key,
                target=rows[rws],
                real=real,
                row_of=lambda r, w=rws: int(w[r]),
            )
            yield b, {"log_w": lp[:real], "steps": st[:real]}

    identity = {
        "function": "sampler_kl",
        "phase": desc,
        "model": runner.wrapped.name,
        "plan_kind": runner.kind,
        "plan": {"rule": repr(runner.rule), "arrays": runner.plan_dev},
        "key": key,
        "rows": rows,
        "start": start,
        "pairs": ids_of,
        "batch_size": batch_size,
    }
    records = run_batches(
        num_batches, work, identity=identity, checkpoint=checkpoint, processes=procs
    )
    lw = np.concatenate([r["log_w"] for r in records]).astype(np.float64, copy=False)
    steps = np.concatenate([r["steps"] for r in records]).astype(np.float64, copy=False)
    return lw, steps


def _exact_walk(runner, plan, start, rows):
    """``(log ν̂(x), nodes)`` per row by the teacher-forced tree walk, or ``None`` where it does
    not apply (random-size schedules, a model without a fixed shape) or would not fit."""
    from mdmjax.policies import random as random_order
    from mdmjax.policies import walk_rows

    if runner.kind == "sizes":
        policy = random_order(
            tuple(int(s) for s in np.diff(np.concatenate([[0], np.cumsum(plan)])))
        )
    elif runner.kind == "policy":
        policy = plan
    else:
        return None
    try:
        shape = tuple(runner.model.shape)
    except ValueError:
        return None
    if shape != tuple(int(v) for v in np.asarray(runner.mask_dev)):
        return None
    try:
        return walk_rows(runner.model, policy, rows, start, max_nodes=EXACT_NODE_BUDGET)
    except ValueError as err:
        if str(err).startswith("max_nodes:"):
            return None
        raise


def _logmeanexp(lw: np.ndarray) -> np.ndarray:
    top = np.max(lw, axis=1, keepdims=True)
    safe = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        return safe[:, 0] + np.log(np.mean(np.exp(lw - safe), axis=1))


def _log_weight_spread(lw: np.ndarray) -> float:
    """Mean over rows of the standard deviation of the finite log-weights (rows with two or
    more finite ones); NaN where no row has two."""
    finite = np.isfinite(lw)
    count = finite.sum(axis=1)
    ok = count >= 2
    if not np.any(ok):
        return math.nan
    safe = np.where(finite, lw, 0.0)[ok]
    mean = safe.sum(axis=1) / count[ok]
    var = np.where(finite[ok], (safe - mean[:, None]) ** 2, 0.0).sum(axis=1) / count[ok]
    return float(np.mean(np.sqrt(var)))


def _ce(log_lik: np.ndarray, weights: np.ndarray) -> tuple[float, float]:
    if np.any(np.isneginf(log_lik) & (weights > 0)):
        return math.inf, 0.0
    mean, se = weighted_mean_stderr(-log_lik, weights)
    return float(mean), float(se)


# ------------------------------------------------------------------------------------------------
# Public entry point
# ------------------------------------------------------------------------------------------------
@scoped_x64
def sampler_kl(
    model,
    plan,
    rows,
    *,
    key=0,
    particles: int | None = None,
    entropy_of_data=None,
    prompt=None,
    batch_size: int | None = None,
    progress: bool | None = None,
    weights=None,
    tolerance: float = PARTICLE_TOLERANCE,
    max_particles: int = MAX_PARTICLES,
    checkpoint=None,
) -> SamplerKL:
    """``E_p[-log ν̂_π(X)]`` and ``KL(p || ν̂_π)`` of the sampler's own output law (module doc).

    .. math:: KL(p \\| \\hat\\nu_\\pi) = E_{x \\sim p}\\big[-\\log \\hat\\nu_\\pi(x)\\big] - H(p)

    Args:
      model: any model :func:`mdmjax.sample` accepts (a Distribution stands for its exact
        conditionals).
      plan: step sizes (random order), a random-size schedule, or a
        :class:`~mdmjax.policies.Policy`, as for :func:`mdmjax.sample`.
      rows: held-out rows, an int array ``(R, n)`` of token ids; or a law (a
        :class:`~mdmjax.Distribution` or :func:`mdmjax.families.from_support`): its support
        weighted by ``p``, ``H(p)`` filled in, and the result exact where it can be.
      key: a ``jax.random`` key or int seed for the paths of a stochastic plan.
      particles: paths per row for a stochastic plan; ``None`` doubles from 4 until the
        cross-entropy moves by less than ``tolerance`` or ``max_particles`` is reached.
      entropy_of_data: ``H(p)`` in nats, to report the KL itself.
      prompt: ``None``, or ``(n,)`` / ``(R, n)`` clues in the model's input convention (mask
        value at the positions to generate); the rows must agree with it. The result is then
        about ``ν̂_π(x | prompt)``: with a unique completion, :attr:`SamplerKL.solve_rate`.
        With a law, one row ``(n,)``: the law given the clues (its support rows that complete
        them, renormalised; ``H`` is then the conditional entropy).
      batch_size: (row, path) pairs per model call.
      progress: a progress bar over batches (``None``: for long runs only).
      weights: ``(R,)`` row weights (default uniform).
      tolerance: the doubling's stopping rule, nats per row on average.
      max_particles: the doubling's budget.
      checkpoint: a file path: completed batches are appended as they finish and a rerun with
        the same arguments resumes from them (the doubling's later rounds use ``PATH.paths-…``
        beside it). Under ``torchrun`` / ``jax.distributed`` the batches are split over the
        processes and every process returns the same result (docs/scaling.md).

    Returns:
      a :class:`SamplerKL`.

    Raises:
      ValueError: naming the argument, before any model call: rows of the wrong width or with
        values outside the model's alphabet (``rows``), a plan whose sizes do not sum to the
        positions to generate (``plan``), ``particles < 1``, a prompt the rows do not complete
        (``prompt``), a negative or non-finite ``entropy_of_data``. After a model call: NaN or
        a conditional that is not a law (``model``, naming the step and the row).

    Examples:
      Confidence on the exact conditionals of two correlated bits reveals one bit, then the
      other, so it reproduces the law: ``KL = 0``. Revealing both at once costs ``I = 0.193``:

      >>> import numpy as np, mdmjax as mdm
      >>> d = mdm.Distribution.from_probs(np.array([[0.4, 0.1], [0.1, 0.4]]))
      >>> one = mdm.calibrate.sampler_kl(d, mdm.policies.confidence((1, 1)), d)
      >>> both = mdm.calibrate.sampler_kl(d, (2,), d)
      >>> round(one.kl, 12), round(both.kl, 4), round(both.minus(one)["difference"], 4)
      (0.0, 0.1927, 0.1927)

      On sampled rows, random order is estimated with paths per row (an upper bound that
      falls as the paths grow):

      >>> x = mdm.sample(d, (1, 1), key=1, num_samples=200)
      >>> r = mdm.calibrate.sampler_kl(d, (1, 1), x, particles=8, entropy_of_data=1.1935)
      >>> r.particles, r.stopped, r.model_calls, abs(r.kl) < 0.1
      (8, 'fixed', 3200, True)
    """
    from mdmjax.families import SupportLaw

    model = _as_sampler_model(model)
    wrapped, n_model = _model_info(model)
    on_law = isinstance(rows, Distribution | SupportLaw)
    if on_law:
        law_rows, law_w = _law_rows(rows)
        if weights is not None:
            raise ValueError("weights: a law's rows are weighted by the law itself")
        rows_arr = _as_rows(law_rows, n_model)
        if prompt is not None:  # the law given the clues: its support rows that complete them
            rows_arr, law_w = _given_prompt(prompt, rows_arr, law_w, wrapped, rows_arr.shape[1])
            prompt = np.asarray(prompt)
        weights = law_w / law_w.sum()
        if entropy_of_data is None:
            entropy_of_data = _table_entropy(weights)
    else:
        rows_arr = _as_rows(rows, n_model)
    num, n = rows_arr.shape
    if n_model is None:  # a model that leaves n open answers for the rows' width
        model = as_conditional_model(model, n=n)
        wrapped, n_model = _model_info(model)
    w = _as_weights(weights, num)
    h = _as_entropy(entropy_of_data)
    if particles is not None:
        particles = as_positive_int(particles, "particles")
    max_particles = as_positive_int(max_particles, "max_particles")
    tolerance = as_positive_float(tolerance, "tolerance")
    budget = particles if particles is not None else max_particles
    check_allocation(
        num * budget * 8 * 6,
        f"the log-weights and path ids of {num} rows x {budget} paths",
        hint="Pass fewer rows, particles or max_particles.",
        argument="particles",
    )
    try:
        mask = wrapped.mask_values(n)
    except ValueError as err:
        raise ValueError(f"model: {err}") from None
    bad = (rows_arr < 0) | (rows_arr >= mask[None, :])
    if np.any(bad):
        r, i = (int(v[0]) for v in np.nonzero(bad))
        raise ValueError(
            f"rows: value {int(rows_arr[r, i])} at row {r}, position {i} is outside "
            f"0..{int(mask[i]) - 1} (the model's alphabet)"
        )
    start = _start_rows(prompt, rows_arr, mask)
    m = int(np.sum(start[0] == mask))
    runner = Runner.build(model, wrapped, plan, mask, m)
    label = _label(plan)
    key = as_key(key)
    if batch_size is not None:
        batch_size = as_positive_int(batch_size, "batch_size")

    def pairs(first: int, count: int) -> np.ndarray:
        """(row, stream id) of paths ``first .. first + count - 1`` of every row."""
        part = np.repeat(np.arange(first, first + count), num)
        rws = np.tile(np.arange(num), count)
        return np.stack([rws, part * num + rws], axis=1)

    def run(first, count):
        size = batch_size
        if size is None:  # a power of two (few compiled shapes), the conditionals near 2^22
            cap = max(1, _BATCH_ELEMENTS // max(1, n * runner.num_values))
            size = min(pow2_bucket(num * count), 1 << (cap.bit_length() - 1))
        work = num * count * n * runner.num_steps
        show = progress if progress is not None else work > 10**8
        phase = f"paths {first}..{first + count - 1}"
        path = checkpoint
        if checkpoint is not None and first > 0:  # the doubling's later rounds: files beside it
            path = f"{checkpoint}.paths-{first}-{first + count - 1}"
        lw, st = _teacher_forced(
            runner, start, rows_arr, pairs(first, count), key, size, show, phase, path
        )
        return lw.reshape(count, num).T, st.reshape(count, num).T

    if not runner.stochastic:
        lw, st = run(0, 1)
        ce, se = _ce(lw[:, 0], w)
        return SamplerKL(
            label=label,
            log_likelihood=lw[:, 0],
            weights=w,
            cross_entropy=ce,
            stderr=0.0 if on_law else se,
            entropy_of_data=h,
            model_calls=int(st.sum()),
            particles=1,
            exact=on_law,
            stochastic=False,
            stopped="deterministic",
            particle_curve={1: ce},
            log_weight_spread=0.0,
            steps=st[:, 0].astype(np.float64),
        )
    if on_law:
        exact = _exact_walk(runner, plan, start, rows_arr)
        if exact is not None:
            log_lik, calls = exact
            ce, _ = _ce(log_lik, w)
            return SamplerKL(
                label=label,
                log_likelihood=log_lik,
                weights=w,
                cross_entropy=ce,
                stderr=0.0,
                entropy_of_data=h,
                model_calls=int(calls),
                particles=0,
                exact=True,
                stochastic=True,
                stopped="exact",
                particle_curve={},
                log_weight_spread=math.nan,
                steps=np.full(num, math.nan),
            )
    # Stochastic: nested particle sets, doubled until the estimate settles.
    count = particles if particles is not None else min(FIRST_PARTICLES, max_particles)
    lw, st = run(0, count)
    stopped = "fixed" if particles is not None else None
    while stopped is None:
        previous, _ = _ce(_logmeanexp(lw), w)
        if lw.shape[1] >= max_particles:
            stopped = "max_particles"
            break
        extra = min(lw.shape[1], max_particles - lw.shape[1])
        more_lw, more_st = run(lw.shape[1], extra)
        lw = np.concatenate([lw, more_lw], axis=1)
        st = np.concatenate([st, more_st], axis=1)
        now, _ = _ce(_logmeanexp(lw), w)
        if abs(previous - now) < tolerance or not math.isfinite(now):
            stopped = "tolerance"
    log_lik = _logmeanexp(lw)
    ce, se = _ce(log_lik, w)
    curve = {}
    size = 1
    while size <= lw.shape[1]:
        curve[size] = _ce(_logmeanexp(lw[:, :size]), w)[0]
        size *= 2
    spread = _log_weight_spread(lw)
    return SamplerKL(
        label=label,
        log_likelihood=log_lik,
        weights=w,
        cross_entropy=ce,
        stderr=se,
        entropy_of_data=h,
        model_calls=int(st.sum()),
        particles=int(lw.shape[1]),
        exact=False,
        stochastic=True,
        stopped=stopped,
        particle_curve=curve,
        log_weight_spread=spread,
        steps=st.mean(axis=1),
    )


def _label(plan) -> str:
    from mdmjax.policies import Policy

    if isinstance(plan, Policy):
        return plan.label
    if hasattr(plan, "label"):
        return str(plan.label)
    try:
        return "random order (" + ",".join(str(int(s)) for s in plan) + ")"
    except TypeError:
        return type(plan).__name__


@dataclasses.dataclass(frozen=True)
class SamplerBracket:
    """Both sides of ``E_ν̂[-log ν̂(X)]`` on rows the sampler drew itself (:func:`sampler_bracket`).

    Attributes:
      upper: the mean over rows of ``-log mean_M w`` (``M`` prior paths): an upper bound on
        average, the side :func:`sampler_kl` reports.
      lower: the same with the row's own generating path as one of the ``M`` paths: a lower
        bound on average (the path is an exact posterior sample).
      upper_stderr, lower_stderr: their standard errors over rows.
      width: ``upper - lower``, the convergence check of ``M`` paths (0 when converged).
      width_stderr: its standard error (paired over rows).
      particles: ``M``.
      rows: the number of sampled rows.

    Examples:
      Random order on exact conditionals: every path gives ``w = p(x)``, so both sides agree:

      >>> import numpy as np, mdmjax as mdm
      >>> d = mdm.Distribution.from_probs(np.array([[0.4, 0.1], [0.1, 0.4]]))
      >>> b = mdm.calibrate.sampler_bracket(d, (1, 1), 64, particles=4)
      >>> round(b.width, 12), b.particles, b.rows
      (0.0, 4, 64)
    """

    upper: float
    upper_stderr: float
    lower: float
    lower_stderr: float
    width: float
    width_stderr: float
    particles: int
    rows: int


@scoped_x64
def sampler_bracket(
    model, plan, num_rows: int = 256, *, particles: int = 64, key=0, prompt=None, batch_size=None
) -> SamplerBracket:
    """Bracket ``log ν̂(x)`` from both sides on rows drawn from the sampler (docs/theory.md §13).

    A row ``x`` drawn by :func:`mdmjax.sample` comes with its generating path ``b*``, an exact
    sample of the posterior over paths given ``x``. With ``M - 1`` further paths from the plan's
    own randomness (teacher-forced, as in :func:`sampler_kl`),

    .. math:: E \\log \\frac{1}{M - 1}\\sum_{m < M} w_m \\;\\le\\; \\log \\hat\\nu(x) \\;\\le\\;
              E \\log \\frac{1}{M}\\Big(w(b^*, x) + \\sum_{m < M} w_m\\Big)

    (bidirectional Monte Carlo, Grosse et al. 2015). The gap between the two sides, averaged over
    rows, says how far ``M`` paths are from converged for this model and plan.

    Args:
      model: as for :func:`mdmjax.sample`.
      plan: a stochastic plan (random order, a random-size schedule, a random or Gumbel policy).
      num_rows: rows to draw.
      particles: ``M >= 2``.
      key: a ``jax.random`` key or int seed.
      prompt: as for :func:`mdmjax.sample` (one row ``(n,)``).
      batch_size: rows or (row, path) pairs per model call.

    Returns:
      a :class:`SamplerBracket`.

    Raises:
      ValueError: ``particles < 2`` or as :func:`mdmjax.sample` and :func:`sampler_kl` do.

    Examples:
      A noisy model in random order: its two orders disagree, so 2 paths leave a gap of about
      0.15 nats that 32 paths close to about 0.005:

      >>> import numpy as np, mdmjax as mdm
      >>> d = mdm.Distribution.from_probs(np.array([[0.5, 0.1], [0.3, 0.1]]))
      >>> m = mdm.models.noisy(d, 1.0, seed=0)
      >>> few = mdm.calibrate.sampler_bracket(m, (1, 1), 400, particles=2, key=1)
      >>> many = mdm.calibrate.sampler_bracket(m, (1, 1), 400, particles=32, key=1)
      >>> round(few.width, 2), round(many.width, 3)
      (0.15, 0.005)
    """
    from mdmjax.sampling._sample import sample

    particles = as_positive_int(particles, "particles")
    if particles < 2:
        raise ValueError(f"particles: the bracket needs at least 2 paths, got {particles}")
    num_rows = as_positive_int(num_rows, "num_rows")
    draw_key, path_key = jax.random.split(as_key(key))
    x, log_own = sample(
        model,
        plan,
        key=draw_key,
        num_samples=num_rows,
        prompt=prompt,
        return_log_prob=True,
        batch_size=batch_size,
    )
    r = sampler_kl(
        model, plan, x, key=path_key, particles=particles - 1, prompt=prompt, batch_size=batch_size
    )
    lower_side = r.log_likelihood
    both = np.stack([log_own, lower_side + math.log(particles - 1)], axis=1)
    upper_side = _logmeanexp(both) + math.log(2) - math.log(particles)
    up, up_se = mean_stderr(-lower_side)
    lo, lo_se = mean_stderr(-upper_side)
    width, width_se = mean_stderr(upper_side - lower_side)
    return SamplerBracket(
        upper=float(up),
        upper_stderr=float(up_se),
        lower=float(lo),
        lower_stderr=float(lo_se),
        width=float(width),
        width_stderr=float(width_se),
        particles=particles,
        rows=num_rows,
    )
