"""The steps–KL frontier of unmasking policies, against the optimal random-order schedule.

For each policy family over its parameter grid, :func:`policy_frontier` evaluates the exact
output law (:func:`mdmjax.evaluate_policy`) and records ``(E[steps], KL(p || nu))``. Beside them
it puts the DP-optimal random-order curve: :func:`mdmjax.optimal_schedule` at each ``k``, whose
value is the *expected* KL of Theorem 4 (Chen–Cong–Li 2026), an upper bound on the mixture KL
the random-order sampler actually reaches with those sizes (family ``"random_optimal"``).

It answers: how many steps are enough; does the block length matter; is confidence ordering
better than random.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np

import mdmjax.policies._rules as P
from mdmjax._src.precision import scoped_x64
from mdmjax._src.tolerances import DISPLAY_ZERO, STEPS_MATCH_TOLERANCE
from mdmjax._src.validate import as_positive_int
from mdmjax.curves import information_curve
from mdmjax.distribution import Distribution
from mdmjax.policies._walk import evaluate_policy
from mdmjax.search import Schedule, optimal_schedule

__all__ = [
    "Frontier",
    "FrontierPoint",
    "policy_frontier",
    "DEFAULT_FAMILIES",
    "family_policies",
    "practice_policies",
]

DEFAULT_FAMILIES = (
    "random",
    "random_optimal",
    "left_to_right",
    "confidence",
    "margin",
    "entropy",
    "threshold",
    "entropy_bound",
    "dilated",
)

TAU_GRID = (1.0, 0.999, 0.99, 0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.0)


@dataclasses.dataclass(frozen=True)
class FrontierPoint:
    """One evaluated policy: ``family``, its ``label``, ``E[steps]``, ``KL(p || nu)``, TV.

    Examples:
      Three repeated bits in one step give the uniform law: ``KL = TC = 2 ln 2`` and
      ``TV = (1/2)(2 (1/2 - 1/8) + 6/8) = 3/4``:

      >>> import math, mdmjax as mdm
      >>> d = mdm.families.repetition(3, 2)
      >>> pt = mdm.policy_frontier(d, ["confidence"], [1]).points[0]
      >>> pt.family, pt.expected_steps, round(pt.kl / math.log(2), 12), round(pt.tv, 12)
      ('confidence', 1.0, 2.0, 0.75)
    """

    family: str
    label: str
    expected_steps: float
    kl: float
    tv: float


@dataclasses.dataclass(frozen=True)
class Frontier:
    """Policy points and the DP-optimal random-order curve.

    Attributes:
      points: every evaluated policy, grouped by family, each family by ``E[steps]``.
      optimal: :func:`~mdmjax.optimal_schedule` at every ``k`` of the steps range.
      families: the family names, in the order given.

    Examples:
      Three repeated bits: the optimum is ``TC = 2 ln 2`` in one step and 0 with a first step
      of size 1:

      >>> import math, mdmjax as mdm
      >>> d = mdm.families.repetition(3, 2)
      >>> f = mdm.policy_frontier(d, ["confidence", "random"], [1, 2])
      >>> f.families, [round(f.optimum_at(k) / math.log(2), 12) for k in (1, 2)]
      (('confidence', 'random'), [2.0, 0.0])
      >>> [pt.expected_steps for pt in f.family("random")], len(f.rows())
      ([1.0, 2.0], 6)
    """

    points: tuple[FrontierPoint, ...]
    optimal: tuple[Schedule, ...]
    families: tuple[str, ...]

    @scoped_x64
    def family(self, name: str) -> tuple[FrontierPoint, ...]:
        """The points of one family, by increasing ``E[steps]``."""
        return tuple(p for p in self.points if p.family == name)

    @scoped_x64
    def optimum_at(self, k: int) -> float | None:
        """The DP-optimal expected KL with exactly ``k`` steps, if ``k`` was in the range."""
        for s in self.optimal:
            if s.steps == k:
                return s.kl
        return None

    @scoped_x64
    def rows(self) -> list[dict]:
        """Plain rows (for JSON/CSV): the points, then the optimum as family ``"optimal"``.

        ``kl_kind`` says which KL a row holds: ``"output"`` for a policy, ``KL(p || law of its
        output)``; ``"expected"`` for the optimum, Theorem 4's ``E_B KL(p || nu_B)`` over the
        random orders, which is an upper bound on the random-order sampler's output KL (so a
        policy point may lie below it).
        """
        out = [{**dataclasses.asdict(p), "kl_kind": "output"} for p in self.points]
        out += [
            {
                "family": "optimal",
                "label": "sizes=" + ",".join(str(v) for v in s.sizes),
                "expected_steps": float(s.steps),
                "kl": s.kl,
                "tv": None,
                "kl_kind": "expected",
            }
            for s in self.optimal
        ]
        return out

    @scoped_x64
    def table(self) -> str:
        """A fixed-width text table in nats. ``KL out`` is ``KL(p || output law)`` of the policy;
        ``E-KL opt@k`` is the DP optimum of Theorem 4's *expected* KL at ``k = E[steps]`` (when
        ``E[steps]`` is an integer of the range), an upper bound on the random-order sampler's
        output KL, not the same quantity."""
        head = f"{'family':16s} {'policy':44s} {'E[steps]':>9s} {'KL out':>12s} "
        head += f"{'TV':>9s} {'E-KL opt@k':>12s}"
        lines = [head, "-" * len(head)]
        for p in self.points:
            k = round(p.expected_steps)
            opt = self.optimum_at(k) if abs(p.expected_steps - k) < STEPS_MATCH_TOLERANCE else None
            label = p.label if len(p.label) <= 44 else p.label[:41] + "..."
            lines.append(
                f"{p.family:16s} {label:44s} {p.expected_steps:9.3f} {p.kl:12.5e} "
                f"{p.tv:9.5f} {_fmt(opt):>12s}"
            )
        lines.append("")
        lines.append(
            "DP-optimal random-order schedule, expected KL E_B KL(p || nu_B) (Theorem 4; "
            "an upper bound on that sampler's output KL):"
        )
        lines.append(f"{'k':>4s} {'KL (nats)':>12s}  sizes")
        for s in self.optimal:
            lines.append(f"{s.steps:4d} {s.kl:12.5e}  {','.join(str(v) for v in s.sizes)}")
        return "\n".join(lines)

    @scoped_x64
    def plot(self, path=None, ax=None, floor: float | None = None):
        """KL against expected steps, log scale, one line per family, the optimum dashed.

        KL values below ``floor`` (exact zeros, e.g. one token per step) are drawn at ``floor``.

        Args:
          path: save the figure there when given.
          ax: a matplotlib Axes to draw into (a new figure otherwise).
          floor: the smallest KL drawn; default a tenth of the smallest positive KL (above
            1e-12) in the frontier.

        Returns:
          the matplotlib Figure.
        """
        if floor is None:
            values = [p.kl for p in self.points] + [s.kl for s in self.optimal]
            positive = [v for v in values if v > DISPLAY_ZERO and math.isfinite(v)]
            floor = 0.1 * min(positive) if positive else DISPLAY_ZERO
        if ax is None:  # a backend-free Figure: works headless, needs no pyplot state
            from matplotlib.figure import Figure

            fig = Figure(figsize=(7.5, 5))
            ax = fig.subplots()
        else:
            fig = ax.figure
        for name in self.families:
            pts = self.family(name)
            if not pts:
                continue
            x = [p.expected_steps for p in pts]
            y = [max(p.kl, floor) for p in pts]
            ax.plot(x, y, marker="o", markersize=3, linewidth=1.2, label=name)
        if self.optimal:
            ax.plot(
                [s.steps for s in self.optimal],
                [max(s.kl, floor) for s in self.optimal],
                "k--",
                linewidth=1.5,
                label="optimal random order (expected KL)",
            )
        ax.set_yscale("log")
        ax.set_xlabel("expected number of steps")
        ax.set_ylabel(f"KL(p || output), nats (zeros drawn at {floor:.2g})")
        ax.legend(fontsize=8)
        ax.grid(True, which="both", alpha=0.3)
        if path is not None:
            fig.savefig(path, dpi=150, bbox_inches="tight")
        return fig


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.5e}"


def _steps(steps_range, n: int) -> tuple[int, ...]:
    if steps_range is None:
        return tuple(range(1, n + 1))
    if isinstance(steps_range, str | bytes) or not hasattr(steps_range, "__iter__"):
        raise ValueError(f"steps_range: expected a sequence of integers, got {steps_range!r}")
    ks = sorted({as_positive_int(k, "steps_range") for k in steps_range})  # 1.5 is refused
    if not ks:
        raise ValueError("steps_range: is empty")
    if ks[0] < 1 or ks[-1] > n:
        raise ValueError(f"steps_range: steps must lie in [1, n = {n}], got {ks[0]}..{ks[-1]}")
    return tuple(ks)


@scoped_x64
def family_policies(name: str, d: Distribution, ks: Sequence[int]) -> list[P.Policy]:
    """The policies of a built-in family on ``d`` for the step counts ``ks``.

    Families: ``random``, ``confidence``, ``margin``, ``entropy``, ``left_to_right`` (LLaDA's
    uniform sizes, :func:`mdmjax.policies.uniform_sizes`, at each ``k``); ``random_optimal``
    (random order with the DP-optimal sizes at each ``k``); ``dilated`` (one point);
    ``threshold`` (``tau`` in ``TAU_GRID``); ``entropy_bound`` (``gamma`` in 0 and a geometric grid
    up to ``n log q_max``); ``semi_ar:L`` (confidence inside blocks of ``L``, budget ``k`` for
    every ``k >= ceil(n / L)``).

    Args:
      name: a family name above.
      d: the law (its ``n``, alphabet, and for ``random_optimal`` its curve).
      ks: the step counts.

    Returns:
      a list of :class:`~mdmjax.policies.Policy`.

    Raises:
      ValueError: ``"policies: ..."`` for an unknown family or a bad ``semi_ar:L``.

    Examples:
      >>> import mdmjax as mdm
      >>> d = mdm.families.repetition(4, 2)
      >>> [p.sizes for p in mdm.policies.family_policies("confidence", d, [1, 2, 4])]
      [(4,), (2, 2), (1, 1, 1, 1)]
      >>> opt = mdm.policies.family_policies("random_optimal", d, [2])[0]
      >>> opt.sizes == mdm.optimal_schedule(mdm.information_curve(d), 2).sizes
      True
      >>> len(mdm.policies.family_policies("threshold", d, [1]))  # one per TAU_GRID value
      10
    """
    n = d.n
    if name in ("random", "confidence", "margin", "entropy"):
        make = getattr(P, name)
        return [make(P.uniform_sizes(n, k)) for k in ks]
    if name == "left_to_right":
        return [P.fixed_order(range(n), P.uniform_sizes(n, k)) for k in ks]
    if name == "random_optimal":
        curve = information_curve(d)
        return [P.random(optimal_schedule(curve, k).sizes) for k in ks]
    if name == "dilated":
        return [P.dilated(n)]
    if name == "threshold":
        return [P.threshold(t) for t in TAU_GRID]
    if name == "entropy_bound":
        top = n * math.log(max(max(d.shape), 2))
        return [P.entropy_bound(g) for g in (0.0, *np.geomspace(1e-3, top, 10))]
    if name.startswith("semi_ar:"):
        try:
            L = int(name.split(":", 1)[1])
        except ValueError as err:
            raise ValueError(f"policies: bad block length in {name!r}") from err
        nb = math.ceil(n / L)
        return [
            P.semi_autoregressive(L, P.confidence(P.uniform_sizes(n, k))) for k in ks if k >= nb
        ]
    raise ValueError(
        f"policies: unknown family {name!r}; built-ins are {', '.join(DEFAULT_FAMILIES)} and "
        "'semi_ar:L'"
    )


def _resolve(policies, d: Distribution, ks) -> list[tuple[str, list[P.Policy]]]:
    if policies is None:
        policies = DEFAULT_FAMILIES
    if isinstance(policies, str | P.Policy):
        policies = [policies]
    items: Iterable
    if isinstance(policies, Mapping):
        items = policies.items()
    else:
        items = []
        for spec in policies:
            if isinstance(spec, str):
                items.append((spec, spec))
            elif isinstance(spec, P.Policy):
                items.append((spec.kind, [spec]))
            elif callable(spec):
                items.append((getattr(spec, "__name__", "custom"), spec))
            else:
                raise ValueError(f"policies: cannot use {spec!r} as a policy family")
    out = []
    for name, fam in items:
        if isinstance(fam, str):
            pols = family_policies(fam, d, ks)
        elif isinstance(fam, P.Policy):
            pols = [fam]
        elif callable(fam):
            pols = [fam(k) for k in ks]
        else:
            pols = list(fam)
        for pol in pols:
            if not isinstance(pol, P.Policy):
                raise ValueError(f"policies: family {name!r} produced {pol!r}, not a Policy")
        out.append((str(name), pols))
    return out


@scoped_x64
def policy_frontier(
    d: Distribution,
    policies: Mapping[str, object] | Sequence[object] | None = None,
    steps_range: Iterable[int] | None = None,
    *,
    model=None,
    progress: bool = False,
) -> Frontier:
    """Exact ``(E[steps], KL)`` of policy families, and the DP-optimal random-order curve.

    Args:
      d: the law.
      policies: ``None`` for :data:`DEFAULT_FAMILIES`; or a sequence of built-in family names
        (see :func:`family_policies`) and policies; or a mapping ``name -> family`` where a family
        is a built-in name, a :class:`~mdmjax.policies.Policy`, a sequence of policies (a
        parameter grid) or a callable ``k -> Policy`` evaluated at every ``k`` of
        ``steps_range``.
      steps_range: the step counts ``k`` (integers in ``[1, n]``); default ``1..n``.
      model: passed to :func:`~mdmjax.evaluate_policy` (the policies see its conditionals; the
        optimum is the truth's).
      progress: show a tqdm progress bar.

    Returns:
      a :class:`Frontier`.

    Examples:
      >>> import math, numpy as np, mdmjax as mdm
      >>> p = np.zeros((2, 2, 2)); p[0, 0, 0] = p[1, 1, 1] = 0.5
      >>> f = mdm.policy_frontier(mdm.Distribution.from_probs(p), ["confidence"], [1, 3])
      >>> [(pt.expected_steps, round(pt.kl / math.log(2), 9)) for pt in f.points]
      [(1.0, 2.0), (3.0, 0.0)]
    """
    if not isinstance(d, Distribution):
        raise ValueError(f"d: expected a Distribution, got {type(d).__name__}")
    ks = _steps(steps_range, d.n)
    families = _resolve(policies, d, ks)
    jobs = [(name, pol) for name, pols in families for pol in pols]
    if progress:
        from tqdm.auto import tqdm

        jobs = tqdm(jobs, desc="policies", unit="policy")
    points = []
    for name, pol in jobs:
        r = evaluate_policy(d, pol, model=model)
        points.append(FrontierPoint(name, pol.label, r.expected_steps, r.kl, r.tv))
    order = {name: i for i, (name, _) in enumerate(families)}
    points.sort(key=lambda p: (order[p.family], p.expected_steps, -p.kl))
    curve = information_curve(d)
    optimal = tuple(optimal_schedule(curve, k) for k in ks)
    return Frontier(tuple(points), optimal, tuple(order))


# ------------------------------------------------------------------------------------------------
# The practitioners' policies (the CLI's catalogue)
# ------------------------------------------------------------------------------------------------
@scoped_x64
def practice_policies(n: int) -> dict[str, P.Policy | Callable[[int], P.Policy]]:
    """Every practitioner policy with upstream defaults, for ``n`` positions.

    A value is either a :class:`~mdmjax.policies.Policy` (the adaptive rules, which take no
    step budget) or a factory ``steps -> Policy`` (the rules run with a step budget ``T``). The
    entries, with their upstream defaults:

    - ``LLaDA confidence`` (``T`` -> :func:`confidence` with LLaDA's sizes);
    - ``Dream margin``, ``Dream entropy`` (``T`` -> Dream's top-k counts, ``alg='topk_margin'`` /
      ``'entropy'``);
    - ``MaskGIT Gumbel (cosine, tau 4.5, annealed)`` (``T`` -> :func:`gumbel_confidence` on
      MaskGIT's float32 cosine counts, ``choice_temperature=4.5`` annealed over ``num_iter = T``);
    - ``Fast-dLLM threshold 0.9`` (:func:`threshold`), ``Fast-dLLM factor 1`` (:func:`factor`),
      ``Fast-dLLM Dream threshold 0.9`` (``T`` -> :func:`threshold_quota`, needs ``T | n``);
    - ``EB entropy 0.1``, ``EB confidence 0.1``, ``EB margin 0.1`` (:func:`entropy_bound`);
    - ``DUS base 2`` (:func:`dilated`, OpenDLM's ``alpha=2, threshold=0``) and
      ``DUS base 2, skip 0.9`` (its confidence skip).

    Args:
      n: number of positions.

    Returns:
      a new dict (insertion order as above).

    Raises:
      ValueError: ``n`` not a positive int.

    Examples:
      >>> import mdmjax as mdm
      >>> cat = mdm.policies.practice_policies(8)
      >>> cat["Fast-dLLM factor 1"].label, cat["LLaDA confidence"](3).label
      ('factor(1)', 'confidence(3,3,2)')
    """
    from mdmjax import schedules as S

    n = as_positive_int(n, "n")
    return {
        "LLaDA confidence": lambda steps: P.confidence(S.constant(n, steps)),
        "Dream margin": lambda steps: P.margin(S.dream(n, steps)),
        "Dream entropy": lambda steps: P.entropy(S.dream(n, steps)),
        "MaskGIT Gumbel (cosine, tau 4.5, annealed)": lambda steps: P.gumbel_confidence(
            S.maskgit(n, steps), 4.5, anneal="maskgit", num_iter=steps
        ),
        "Fast-dLLM threshold 0.9": P.threshold(0.9),
        "Fast-dLLM factor 1": P.factor(1.0),
        "Fast-dLLM Dream threshold 0.9": lambda steps: P.threshold_quota(steps, 0.9),
        "EB entropy 0.1": P.entropy_bound(0.1, order="entropy"),
        "EB confidence 0.1": P.entropy_bound(0.1, order="confidence"),
        "EB margin 0.1": P.entropy_bound(0.1, order="margin"),
        "DUS base 2": P.dilated(n, 2),
        "DUS base 2, skip 0.9": P.dilated(n, 2, threshold=0.9),
    }
