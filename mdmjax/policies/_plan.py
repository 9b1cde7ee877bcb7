"""The plan: a policy resolved against ``n`` positions, level by level.

:func:`plan` turns a :class:`~mdmjax.policies.Policy` (:mod:`mdmjax.policies._rules`) into the
fixed schedule of :class:`Step` s, or the adaptive rule, that the exact tree walk
(:mod:`mdmjax.policies._walk`) and the sampler's selection rule (:mod:`mdmjax.policies._select`)
both follow (docs/theory.md §7).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from mdmjax._src.precision import scoped_x64
from mdmjax.policies._rules import Policy, _check_sum, _maskgit_scale, uniform_sizes

__all__ = ["Step", "Plan", "plan"]


@dataclasses.dataclass(frozen=True)
class Step:
    """One step of a fixed schedule: ``size`` positions among ``candidates`` (bool ``(n,)``).

    Examples:
      Confidence inside blocks of 2 on 4 positions: the third step may only choose in the
      second block:

      >>> import mdmjax as mdm
      >>> pol = mdm.policies.semi_autoregressive(2, mdm.policies.confidence((1, 1)))
      >>> mdm.policies.plan(pol, 4).steps[2]
      Step(size=1, candidates=(False, False, True, True))
    """

    size: int
    candidates: tuple[bool, ...]


@dataclasses.dataclass(frozen=True)
class Plan:
    """A policy resolved for ``n`` positions.

    Attributes:
      select: ``"rank"`` (top-``s`` by score), ``"threshold"``, ``"entropy_bound"``,
        ``"random"``, ``"gumbel"``, ``"factor"``, ``"quota"`` (``threshold_quota``) or
        ``"skip"`` (``dilated`` with a threshold: every candidate with confidence ``>= param``,
        every candidate when the step's ``size`` is 1, i.e. in the last round).
      score: ``"confidence"``, ``"margin"``, ``"entropy"``, ``"priority"`` or ``"none"``.
      steps: the fixed schedule (one :class:`Step` per step), or ``None`` for adaptive ones.
      block_length: for an adaptive policy inside blocks, else ``n`` (one block).
      priority: ``(n,)`` static scores of a fixed order (higher first), else zeros.
      param: ``tau``, ``gamma``, ``f`` or ``1 / temperature``.
      blocks: the ordered partition when the plan is a fixed partition, else ``None``.
      random_sizes: the sizes of a top-level ``random`` policy (for the expected decomposition).
      param2: ``threshold_quota``'s quota ``q = n / T``, else 0.
      level_params: per-step ``param`` (an annealed ``gumbel_confidence``), else ``None``.

    Examples:
      A fixed order is a fixed partition (ranked by a static priority); a threshold rule is
      adaptive (no fixed steps):

      >>> import mdmjax as mdm
      >>> pl = mdm.policies.plan(mdm.policies.fixed_order((1, 0), (1, 1)), 2)
      >>> pl.select, pl.score, pl.blocks, [s.size for s in pl.steps]
      ('rank', 'priority', ((1,), (0,)), [1, 1])
      >>> pl = mdm.policies.plan(mdm.policies.threshold(0.9), 3)
      >>> pl.select, pl.steps, pl.param
      ('threshold', None, 0.9)
    """

    select: str
    score: str
    steps: tuple[Step, ...] | None
    block_length: int
    priority: tuple[float, ...]
    param: float
    blocks: tuple[tuple[int, ...], ...] | None = None
    random_sizes: tuple[int, ...] | None = None
    param2: float = 0.0
    level_params: tuple[float, ...] | None = None


_SELECT = {
    "random": ("random", "none"),
    "fixed_order": ("rank", "priority"),
    "dilated": ("rank", "priority"),
    "confidence": ("rank", "confidence"),
    "margin": ("rank", "margin"),
    "entropy": ("rank", "entropy"),
    "gumbel_confidence": ("gumbel", "confidence"),
    "threshold": ("threshold", "confidence"),
    "entropy_bound": ("entropy_bound", "entropy"),
    "factor": ("factor", "confidence"),
    "threshold_quota": ("quota", "confidence"),
}


def _select_score(policy: Policy) -> tuple[str, str]:
    if policy.kind == "entropy_bound" and policy.rank_by is not None:
        return "entropy_bound", policy.rank_by
    if policy.kind == "dilated" and policy.tau is not None:
        return "skip", "confidence"
    return _SELECT[policy.kind]


def _param(policy: Policy) -> float:
    if policy.kind in ("threshold", "threshold_quota", "dilated") and policy.tau is not None:
        return policy.tau
    if policy.kind == "factor":
        return policy.factor
    if policy.kind == "entropy_bound":
        return policy.gamma
    if policy.kind == "gumbel_confidence":
        return 1.0 / policy.temperature
    return 0.0


def _semi_ar_steps(n: int, L: int, inner: Policy) -> tuple[list[Step], list[float] | None]:
    """The fixed schedule of a semi-autoregressive policy with a fixed-size inner policy."""
    starts = list(range(0, n, L))
    lengths = [min(L, n - a) for a in starts]
    nb = len(starts)
    steps: list[Step] = []
    priority = None

    def block_mask(j):
        a = starts[j]
        return tuple(a <= i < a + lengths[j] for i in range(n))

    if inner.order is not None:  # a within-block fixed order (fixed_order / dilated of L)
        rank = np.empty(L, dtype=np.int64)
        rank[list(inner.order)] = np.arange(L)
        priority = [0.0] * n
        for j, a in enumerate(starts):
            for r in range(lengths[j]):
                priority[a + r] = float(-(a + int(rank[r])))
            for blk in inner.blocks():
                s = sum(1 for r in blk if r < lengths[j])
                if s:
                    steps.append(Step(s, block_mask(j)))
        return steps, priority
    total, k = sum(inner.sizes), len(inner.sizes)
    if total == L:
        for j in range(nb):
            left = lengths[j]
            for s in inner.sizes:
                take = min(s, left)
                if take:
                    steps.append(Step(take, block_mask(j)))
                left -= take
        return steps, priority
    if total == n:
        if k < nb:
            raise ValueError(
                f"inner: {k} steps cannot cover {nb} blocks of length {L} (n = {n}); each block "
                "needs at least one step"
            )
        for j in range(nb):
            kj = min(k // nb + (1 if j < k % nb else 0), lengths[j])
            for s in uniform_sizes(lengths[j], kj):
                steps.append(Step(s, block_mask(j)))
        return steps, priority
    raise ValueError(
        f"inner: step sizes sum to {total}; inside semi_autoregressive they must sum to the "
        f"block length {L} (a per-block schedule) or to n = {n} (a budget split over blocks)"
    )


@scoped_x64
def plan(policy: Policy, n: int) -> Plan:
    """Resolve ``policy`` for a law on ``n`` positions, validating sizes and orders against ``n``.

    Raises:
      ValueError: sizes that do not sum to ``n``, an order of the wrong length, or a
        semi-autoregressive budget that cannot cover the blocks.

    Examples:
      >>> import mdmjax as mdm
      >>> pl = mdm.policies.plan(mdm.policies.confidence((1, 2)), 3)
      >>> pl.select, pl.score, [s.size for s in pl.steps]
      ('rank', 'confidence', [1, 2])
    """
    if not isinstance(policy, Policy):
        raise ValueError(f"policy: expected an mdmjax.policies.Policy, got {type(policy).__name__}")
    everything = (True,) * n
    zeros = (0.0,) * n
    if policy.kind == "semi_autoregressive":
        inner, L = policy.inner, policy.block_length
        select, score = _select_score(inner)
        if inner.adaptive:
            return Plan(select, score, None, min(L, n), zeros, _param(inner))
        steps, priority = _semi_ar_steps(n, L, inner)
        blocks = None
        if priority is not None:
            order = np.argsort(-np.asarray(priority), kind="stable")
            ends = np.cumsum([s.size for s in steps])
            blocks = tuple(
                tuple(int(i) for i in order[e - s.size : e])
                for s, e in zip(steps, ends, strict=True)
            )
        return Plan(
            select,
            score,
            tuple(steps),
            n,
            tuple(priority) if priority is not None else zeros,
            _param(inner),
            blocks=blocks,
        )
    select, score = _select_score(policy)
    if policy.kind == "threshold_quota":
        if n % policy.budget:
            raise ValueError(
                f"policy: threshold_quota needs steps to divide n (upstream asserts it), got "
                f"steps = {policy.budget}, n = {n}"
            )
        return Plan(select, score, None, n, zeros, _param(policy), param2=float(n // policy.budget))
    if policy.adaptive:
        return Plan(select, score, None, n, zeros, _param(policy))
    if policy.order is not None and len(policy.order) != n:
        raise ValueError(f"policy: its order covers {len(policy.order)} positions, but n = {n}")
    _check_sum(policy.sizes, n)
    if select == "skip":  # round t: every still-masked position of rounds 1..t
        seen = np.zeros(n, dtype=bool)
        rounds = []
        for t, blk in enumerate(policy.blocks()):
            seen[list(blk)] = True
            last = t == len(policy.sizes) - 1
            rounds.append(Step(1 if last else 0, tuple(bool(v) for v in seen)))
        return Plan(select, score, tuple(rounds), n, zeros, _param(policy))
    level_params = None
    if policy.anneal_steps is not None:
        scales = [
            _maskgit_scale(j, policy.anneal_steps, policy.temperature)
            for j in range(len(policy.sizes))
        ]
        level_params = tuple(1.0 / v if v > 0 else 0.0 for v in scales)
    steps = tuple(Step(s, everything) for s in policy.sizes)
    priority = zeros
    if policy.order is not None:
        pr = np.empty(n)
        pr[list(policy.order)] = -np.arange(n, dtype=np.float64)
        priority = tuple(float(v) for v in pr)
    return Plan(
        select,
        score,
        steps,
        n,
        priority,
        _param(policy),
        blocks=policy.blocks(),
        random_sizes=policy.sizes if policy.kind == "random" else None,
        level_params=level_params,
    )
