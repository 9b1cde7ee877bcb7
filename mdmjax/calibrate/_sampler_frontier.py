"""The frontier of the samplers a practitioner runs, on their own model (docs/theory.md §11).

:func:`sampler_frontier` values a set of plans with :func:`mdmjax.calibrate.sampler_kl` on the
same rows: the cross-entropy ``E_p[-log ν̂_π(X)]`` (the KL ``KL(p || ν̂_π)`` when ``H(p)`` is
known) of each plan's own output law, against what the sampler costs (model calls per sample).
Plans are compared with the best on the same rows by paired differences
(:meth:`SamplerKL.minus`): the row-to-row noise common to both plans cancels.

The default plans (:func:`default_sampler_plans`), for ``k`` in ``steps``:

* every practice policy of :func:`mdmjax.policies.practice_policies` (LLaDA low-confidence,
  Dream margin and entropy, MaskGIT Gumbel, Fast-dLLM thresholds, EB, DUS), the step-budgeted
  ones at each ``k`` and the adaptive ones once;
* random order at constant (:func:`mdmjax.schedules.constant`) and cosine
  (:func:`mdmjax.schedules.cosine`) sizes;
* random order at the DP-optimal sizes (:class:`OptimalSizes`). They are chosen from the
  model's per-level cross-entropy (:func:`mdmjax.model_curve`, Theorem 4) on one half of the
  rows and valued on the other half, then the halves swap (cross-fitting, as
  :func:`mdmjax.calibrate.cross_fit` does): a schedule valued on the rows that chose it would
  look better than it is. Given ``curve=`` (an exact curve), the sizes come from it instead;
  on a law small enough (:data:`EXACT_CURVE_ROWS`) they come from the model's exact curve on
  the whole law, and nothing needs cross-fitting.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

import numpy as np

from mdmjax._src.keys import as_key
from mdmjax._src.numerics import normal_quantile
from mdmjax._src.precision import scoped_x64
from mdmjax._src.stats import weighted_mean_stderr
from mdmjax._src.validate import as_level, as_positive_int
from mdmjax.distribution import Distribution
from mdmjax.sampling import SamplerKL, sampler_kl

__all__ = [
    "OptimalSizes",
    "SamplerFrontier",
    "default_sampler_plans",
    "sampler_frontier",
]


#: On a law, the DP-optimal sizes come from the model's exact curve (every mask of every support
#: row) when it costs at most this many forward rows; else they are cross-fitted.
EXACT_CURVE_ROWS = 2**18


@dataclasses.dataclass(frozen=True)
class OptimalSizes:
    """A plan placeholder: random order at the DP-optimal sizes with ``steps`` steps.

    :func:`sampler_frontier` chooses the sizes with :func:`mdmjax.optimal_schedule` on the
    model's estimated curve, cross-fitted over two halves of the rows (module docstring), or on
    the ``curve=`` it is given.

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.calibrate.OptimalSizes(4).steps
      4
    """

    steps: int

    def __post_init__(self):
        as_positive_int(self.steps, "steps")


def default_sampler_plans(n: int, steps: Sequence[int]) -> dict[str, object]:
    """The default plans of :func:`sampler_frontier` for ``n`` generated positions.

    Args:
      n: positions to generate.
      steps: the step budgets ``k`` (each ``1..n``).

    Returns:
      ``{name: plan}``: practice policies (step-budgeted ones as ``"NAME, k=K"``, for every
      ``k`` where the policy exists), then ``"random order, constant, k=K"``,
      ``"random order, cosine, k=K"`` and ``"random order, DP-optimal, k=K"``
      (an :class:`OptimalSizes`).

    Raises:
      ValueError: ``n`` or a step count not a positive int, or a step count above ``n``.

    Examples:
      >>> import mdmjax as mdm
      >>> plans = mdm.calibrate.default_sampler_plans(8, [2])
      >>> plans["random order, constant, k=2"], plans["random order, DP-optimal, k=2"]
      ((4, 4), OptimalSizes(steps=2))
      >>> plans["LLaDA confidence, k=2"].label
      'confidence(4,4)'
    """
    from mdmjax import schedules as S
    from mdmjax.policies import practice_policies, selection_rule

    n = as_positive_int(n, "n")
    ks = _as_steps(steps, n)
    plans: dict[str, object] = {}
    for name, entry in practice_policies(n).items():
        if callable(entry) and not hasattr(entry, "kind"):
            for k in ks:
                try:
                    policy = entry(k)
                    selection_rule(policy, n)  # validates it for n positions
                except ValueError:  # e.g. a quota that needs k | n: no such policy at this k
                    continue
                plans[f"{name}, k={k}"] = policy
        else:
            plans[name] = entry
    for k in ks:
        plans[f"random order, constant, k={k}"] = tuple(S.constant(n, k))
    for k in ks:
        plans[f"random order, cosine, k={k}"] = tuple(S.cosine(n, k))
    for k in ks:
        plans[f"random order, DP-optimal, k={k}"] = OptimalSizes(k)
    return plans


def _as_steps(steps, n: int) -> tuple[int, ...]:
    if isinstance(steps, int | np.integer):
        steps = [steps]
    try:
        ks = tuple(as_positive_int(k, "steps") for k in steps)
    except TypeError:
        raise ValueError(f"steps: expected positive ints, got {steps!r}") from None
    if not ks:
        raise ValueError("steps: expected at least one step count")
    if max(ks) > n:
        raise ValueError(f"steps: at most n = {n} steps, got {max(ks)}")
    return tuple(sorted(set(ks)))


@dataclasses.dataclass(frozen=True)
class SamplerFrontier:
    """Plans valued on the same rows by :func:`sampler_frontier`.

    Attributes:
      names: the plans' names, in the order given.
      results: ``{name: SamplerKL}`` (for a DP-optimal entry, the two cross-fitted halves
        joined into one result on all rows).
      calls: ``{name: model calls per sample}``, the sampler's own cost (steps).
      chosen: ``{name: sizes chosen on each half}`` for the DP-optimal entries.
      best: the name with the lowest cross-entropy.
      level: the level of the intervals.

    Examples:
      Two correlated bits, exact conditionals: one bit per step reproduces the law (KL 0),
      both at once costs the mutual information:

      >>> import numpy as np, mdmjax as mdm
      >>> d = mdm.Distribution.from_probs(np.array([[0.4, 0.1], [0.1, 0.4]]))
      >>> f = mdm.calibrate.sampler_frontier(d, d, {"one": (1, 1), "both": (2,)})
      >>> f.best, [round(r["kl"], 4) for r in f.table()]
      ('one', [0.0, 0.1927])
      >>> f.table()[1]["minus_best"], f.calls
      (0.1927..., {'one': 2.0, 'both': 1.0})
    """

    names: tuple[str, ...]
    results: dict
    calls: dict
    chosen: dict
    best: str
    level: float

    def result(self, name: str) -> SamplerKL:
        """The :class:`SamplerKL` of plan ``name``."""
        if name not in self.results:
            raise ValueError(f"name: no plan called {name!r}; plans: {', '.join(self.names)}")
        return self.results[name]

    @property
    def has_kl(self) -> bool:
        """Whether ``H(p)`` is known, so that the table holds KLs (else cross-entropies)."""
        return all(r.entropy_of_data is not None for r in self.results.values())

    @scoped_x64
    def table(self) -> list[dict]:
        """One plain row per plan (JSON/CSV-able), in the order given.

        Keys: ``name``, ``label``, ``calls`` (model calls per sample), ``estimator_calls``,
        ``cross_entropy``, ``stderr``, ``kl``/``kl_lower``/``kl_upper`` (``None`` without
        ``H``), ``minus_best`` with ``minus_best_lower``/``minus_best_upper`` (paired difference
        of cross-entropies from the best, and its interval), ``solve_rate`` with
        ``solve_rate_stderr``, ``exact``, ``particles``, ``stopped``.
        """
        best = self.results[self.best]
        out = []
        for name in self.names:
            r = self.results[name]
            d = r.minus(best, self.level)
            kl = lo = hi = None
            if r.entropy_of_data is not None:
                kl = r.kl
                lo, hi = r.kl_interval(self.level)
            out.append(
                {
                    "name": name,
                    "label": r.label,
                    "calls": self.calls[name],
                    "estimator_calls": r.model_calls,
                    "cross_entropy": r.cross_entropy,
                    "stderr": r.stderr,
                    "kl": kl,
                    "kl_lower": lo,
                    "kl_upper": hi,
                    "minus_best": d["difference"],
                    "minus_best_lower": d["interval"][0],
                    "minus_best_upper": d["interval"][1],
                    "solve_rate": r.solve_rate,
                    "solve_rate_stderr": r.solve_rate_stderr,
                    "exact": r.exact,
                    "particles": r.particles,
                    "stopped": r.stopped,
                }
            )
        return out

    def plot(self, path=None, ax=None):
        """KL (or cross-entropy) against model calls per sample, one series per plan family.

        A family is a name without its ``", k=K"`` suffix; its points are joined by a line.
        Error bars are the ``level`` intervals.

        Args:
          path: save the figure there when given.
          ax: a matplotlib Axes to draw into (a new figure otherwise).

        Returns:
          the matplotlib Figure.
        """
        if ax is None:
            from matplotlib.figure import Figure

            fig = Figure(figsize=(8, 5.5))
            ax = fig.subplots()
        else:
            fig = ax.figure
        kl = self.has_kl
        z = normal_quantile(self.level)
        families: dict[str, list[tuple[float, float, float]]] = {}
        for name in self.names:
            r = self.results[name]
            y = r.kl if kl else r.cross_entropy
            if not math.isfinite(y):
                continue
            fam = name.split(", k=")[0]
            families.setdefault(fam, []).append((self.calls[name], y, z * r.stderr))
        for fam, pts in families.items():
            pts.sort()
            x, y, e = (np.asarray(v) for v in zip(*pts, strict=True))
            style = "-o" if fam.startswith("random order") else "-s"
            ax.errorbar(x, y, yerr=e, fmt=style, ms=4, lw=1, capsize=2, label=fam)
        ax.set_xlabel("model calls per sample")
        ax.set_ylabel("KL(p || sampler) [nats]" if kl else "cross-entropy E[-log ν̂(X)] [nats]")
        ax.set_title(f"sampler frontier (best: {self.best})", fontsize=9)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=6, ncol=2)
        if path is not None:
            fig.savefig(path, dpi=150, bbox_inches="tight")
        return fig


def _calls_per_sample(plan, r: SamplerKL) -> float:
    """The sampler's steps per sample: the teacher-forced steps, else the plan's own count."""
    steps = np.asarray(r.steps, dtype=np.float64)
    if steps.size and np.all(np.isfinite(steps)):
        return float(np.dot(r.weights, steps))
    sizes = getattr(plan, "sizes", None) if not isinstance(plan, tuple | list) else plan
    return float(len(sizes)) if sizes is not None else math.nan


def _join(parts, weights: np.ndarray, label: str) -> SamplerKL:
    """One SamplerKL on all rows from results on disjoint index sets ``parts = [(idx, r)]``."""
    num = weights.shape[0]
    ll = np.empty(num)
    steps = np.empty(num)
    for idx, r in parts:
        ll[idx] = r.log_likelihood
        steps[idx] = r.steps
    exact = all(r.exact for _, r in parts)
    if np.any(np.isneginf(ll) & (weights > 0)):
        ce, se = math.inf, 0.0
    else:
        ce, se = (float(v) for v in weighted_mean_stderr(-ll, weights))
    mass = [float(weights[idx].sum()) for idx, _ in parts]
    common = set.intersection(*(set(r.particle_curve) for _, r in parts))
    curve = {
        m: float(sum(w * r.particle_curve[m] for w, (_, r) in zip(mass, parts, strict=True)))
        for m in sorted(common)
    }
    stopped = sorted({r.stopped for _, r in parts})
    spread = [r.log_weight_spread for _, r in parts]
    first = parts[0][1]
    return SamplerKL(
        label=label,
        log_likelihood=ll,
        weights=weights,
        cross_entropy=ce,
        stderr=0.0 if exact else se,
        entropy_of_data=first.entropy_of_data,
        model_calls=int(sum(r.model_calls for _, r in parts)),
        particles=max(r.particles for _, r in parts),
        exact=exact,
        stochastic=True,
        stopped="+".join(stopped),
        particle_curve=curve,
        log_weight_spread=float(np.dot(mass, spread)) / (sum(mass) or 1.0),
        steps=steps,
    )


def _rows_of(rows):
    """``(rows, weights, shape, on_law)``: a law's support or the given rows."""
    from mdmjax.families import SupportLaw

    if isinstance(rows, SupportLaw):
        return rows.rows, rows.weights, tuple(rows.shape), True
    if isinstance(rows, Distribution):  # its support, in the order sampler_kl uses
        p = np.asarray(rows.probs, dtype=np.float64)
        support = np.stack(np.nonzero(p > 0), axis=1).astype(np.int64)
        w = p[tuple(support.T)]
        return support, w / w.sum(), tuple(int(q) for q in rows.shape), True
    arr = np.asarray(rows)
    if arr.dtype == object or arr.dtype.kind not in "iu" or arr.ndim != 2 or 0 in arr.shape:
        raise ValueError(f"rows: expected a non-empty int array (R, n) or a law, got {arr.shape}")
    return arr.astype(np.int64), None, None, False


@scoped_x64
def sampler_frontier(
    model,
    rows,
    plans: Mapping[str, object] | None = None,
    *,
    steps: Sequence[int] | None = None,
    key=0,
    entropy_of_data=None,
    particles: int | None = None,
    prompt=None,
    curve=None,
    level: float = 0.95,
    batch_size: int | None = None,
    progress: bool | None = None,
) -> SamplerFrontier:
    """Every plan's own output-law KL on the same rows, against its model calls (module doc).

    Each plan is valued by :func:`mdmjax.calibrate.sampler_kl` (teacher forcing; exact on a
    law); an :class:`OptimalSizes` entry by cross-fitting (module docstring).

    Args:
      model: any model :func:`mdmjax.sample` accepts.
      rows: held-out rows ``(R, n)``, or a law (a Distribution or
        :func:`mdmjax.families.from_support`): then every value is exact.
      plans: ``{name: plan}``; a plan is anything :func:`sampler_kl` takes, or an
        :class:`OptimalSizes`. Default :func:`default_sampler_plans` at ``steps``.
      steps: the step budgets of the default plans (default ``n/8, n/4, n/2`` of the generated
        positions, at least 1, distinct).
      key: a ``jax.random`` key or int seed (the halves of the cross-fit, the paths of
        stochastic plans and the random masks of the curve).
      entropy_of_data: ``H(p)``, to report KLs (a law's own is used when ``rows`` is a law).
      particles: paths per row for stochastic plans (``None``: sampler_kl's doubling).
      prompt: ``(n,)`` or ``(R, n)`` clues (mask value at the positions to generate), as for
        :func:`sampler_kl`. A DP-optimal entry without ``curve=`` needs the same clue
        positions on every row (its curve is the model's with those positions revealed).
      curve: a curve to choose the DP-optimal sizes from (an :class:`~mdmjax.InformationCurve`
        or :class:`~mdmjax.ModelCurve` of the generated positions), instead of cross-fitting.
      level: the level of every interval.
      batch_size: passed to :func:`sampler_kl`.
      progress: passed to :func:`sampler_kl`.

    Returns:
      a :class:`SamplerFrontier`.

    Raises:
      ValueError: naming the argument: ``plans`` empty or not a mapping, ``steps`` out of range,
        ``level`` outside ``(0, 1)``, a DP-optimal entry with clue positions that differ
        between rows and no ``curve`` (``plans``), fewer than 4 rows to cross-fit (``rows``);
        and whatever :func:`sampler_kl` raises for a plan.

    Examples:
      On the exact conditionals of a 3-bit repetition code, confidence with one bit per step
      is exact (KL 0) and is the best; a single step costs ``TC = 2 ln 2``:

      >>> import math, mdmjax as mdm
      >>> d = mdm.families.repetition(3, 2)
      >>> f = mdm.calibrate.sampler_frontier(
      ...     d, d, {"conf": mdm.policies.confidence((1, 1, 1)), "one step": (3,)})
      >>> f.best, round(f.result("one step").kl / math.log(2), 12)
      ('conf', 2.0)
    """
    from mdmjax.models import from_distribution

    level = as_level(level)
    if isinstance(model, Distribution):  # a law stands for its exact conditionals
        model = from_distribution(model)
    rows_arr, law_w, shape, on_law = _rows_of(rows)
    n = rows_arr.shape[1]
    m = n if prompt is None else _generated(model, prompt, n)
    if plans is None:
        if steps is None:
            steps = sorted({max(1, m // 8), max(1, m // 4), max(1, m // 2)})
        plans = default_sampler_plans(m, steps)
    elif steps is not None:
        raise ValueError("steps: only for the default plans (plans=None)")
    if not isinstance(plans, Mapping) or not plans:
        raise ValueError("plans: expected a non-empty dict {name: plan}")
    key = as_key(key)
    common = {
        "entropy_of_data": entropy_of_data,
        "particles": particles,
        "batch_size": batch_size,
        "progress": progress,
    }
    results: dict[str, SamplerKL] = {}
    calls: dict[str, float] = {}
    chosen: dict[str, tuple] = {}
    for i, (name, plan) in enumerate(plans.items()):
        sub = _fold(key, i)
        if isinstance(plan, OptimalSizes):
            args = (rows_arr, law_w, shape, on_law, plan.steps, prompt, curve, sub, common)
            r, sizes = _cross_fitted(model, rows, *args)
            chosen[str(name)] = sizes
            calls[str(name)] = float(plan.steps)
        else:
            r = sampler_kl(model, plan, rows, key=sub, prompt=prompt, **common)
            calls[str(name)] = _calls_per_sample(plan, r)
        results[str(name)] = r
    names = tuple(results)
    best = min(names, key=lambda k: results[k].cross_entropy)
    return SamplerFrontier(
        names=names, results=results, calls=calls, chosen=chosen, best=best, level=level
    )


def _fold(key, i: int):
    import jax

    return jax.random.fold_in(key, i)


def _mask_values(model, n: int) -> np.ndarray:
    from mdmjax.models import as_scoring_model

    try:
        return np.asarray(as_scoring_model(model, "model").mask_values(n))
    except ValueError as err:
        raise ValueError(f"model: {err}") from None


def _generated(model, prompt, n: int) -> int:
    arr = np.asarray(prompt)
    if arr.dtype == object or arr.dtype.kind not in "iu" or arr.shape[-1:] != (n,):
        raise ValueError(f"prompt: expected an int array (n,) or (R, n), got shape {arr.shape}")
    return int(np.sum(arr.reshape(-1, n)[0] == _mask_values(model, n)))


def _cross_fitted(model, rows, rows_arr, law_w, shape, on_law, k, prompt, curve, key, common):
    """``(SamplerKL on all rows, chosen sizes)`` of random order at the DP-optimal sizes."""
    from mdmjax.calibrate._cross_fit import _halves
    from mdmjax.calibrate._model_curve import model_curve
    from mdmjax.families import from_support
    from mdmjax.search import optimal_schedule

    if curve is not None:
        sizes = tuple(int(s) for s in optimal_schedule(curve, k).sizes)
        r = sampler_kl(model, sizes, rows, key=key, prompt=prompt, **common)
        return dataclasses.replace(r, label=f"random order, DP-optimal {sizes}"), (sizes,)
    always = None
    if prompt is not None:
        p = np.asarray(prompt)
        pattern = p.reshape(-1, p.shape[-1]) != _mask_values(model, p.shape[-1])[None, :]
        if np.any(pattern != pattern[:1]):
            raise ValueError(
                "plans: a DP-optimal entry needs the same clue positions on every row (the "
                "model curve's always-revealed set), or curve="
            )
        always = pattern[0]

    def prompt_of(idx):
        if prompt is None or np.ndim(prompt) == 1:
            return prompt
        return np.asarray(prompt)[idx]

    num, n = rows_arr.shape
    weights = law_w if law_w is not None else np.full(num, 1.0 / num)
    free = n - (0 if always is None else int(always.sum()))
    if on_law and num * 2**free <= EXACT_CURVE_ROWS:
        # the model's curve on the whole law is exact (every mask): nothing to cross-fit
        mc = model_curve(model, rows_arr, weights=weights, masks="all", always_revealed=always)
        sizes = tuple(int(s) for s in optimal_schedule(mc, k).sizes)
        r = sampler_kl(model, sizes, rows, key=key, prompt=prompt, **common)
        return dataclasses.replace(r, label=f"random order, DP-optimal {sizes}"), (sizes,)
    if num < 4:
        raise ValueError(f"rows: cross-fitting the DP-optimal sizes needs >= 4 rows, got {num}")
    halves = _halves(num, key)
    picks = []
    for choose in halves:
        wc = weights[choose] / weights[choose].sum()
        mc = model_curve(model, rows_arr[choose], key=key, weights=wc, always_revealed=always)
        picks.append(tuple(int(s) for s in optimal_schedule(mc, k).sizes))
    h = common["entropy_of_data"]
    if h is None and on_law and prompt is None:
        pos = weights[weights > 0]
        h = -float(np.sum(pos * np.log(pos)))
    parts = []
    for value, sizes in zip(halves[::-1], picks, strict=True):  # chosen on one, valued on the other
        kw = dict(common, entropy_of_data=h)
        if on_law:
            target = from_support(rows_arr[value], weights[value], num_values=list(shape))
        else:
            target = rows_arr[value]
            kw["weights"] = weights[value]
        r = sampler_kl(model, sizes, target, key=key, prompt=prompt_of(value), **kw)
        parts.append((value, r))
    label = f"random order, DP-optimal {picks[0]} | {picks[1]} (cross-fitted)"
    return _join(parts, weights, label), tuple(picks)
