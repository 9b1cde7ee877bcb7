"""Unmasking policies: which masked positions a masked-diffusion sampler reveals next.

A policy sees the revealed set ``A``, the values ``x_A`` and the conditionals ``p(x_i | x_A)`` of
every masked ``i`` (exact, or a model's: :mod:`mdmjax.models`). It returns the set ``B`` to reveal;
the tokens of ``B`` are then drawn independently from those conditionals (docs/theory.md §1,
§7). The
exact output law of any policy is computed by :func:`mdmjax.evaluate_policy`.

Scores (docs/theory.md §7), computed from the conditionals the sampler sees:

* confidence ``c_i = max_v p(x_i = v | x_A)`` (higher first);
* margin ``top1 - top2`` of ``p(x_i = . | x_A)`` (higher first; ``top2 = 0`` when ``q_i = 1``);
* entropy ``H(X_i | x_A)`` (lower first).

**Tie rule.** A top-``s`` choice is made greedily, one position at a time: among the positions
not yet chosen, those whose score is within ``TIE_TOLERANCE = 1e-12`` of the best are tied, and
the lowest position index wins. The same tolerance is used where a score meets a parameter:
``threshold`` accepts ``c_i >= tau - 1e-12`` and ``entropy_bound`` accepts a sum ``<= gamma +
1e-12``.

**Step budgets.** A policy with fixed sizes ``(s_1, .., s_k)`` (``random``, ``fixed_order``,
``confidence``, ``margin``, ``entropy``, ``gumbel_confidence``) reveals ``s_t`` positions at step
``t``; used on its own the sizes must be positive and sum to ``n`` (``ValueError`` otherwise), so a
step never asks for more positions than remain. Inside :func:`semi_autoregressive` the sizes are
mapped onto blocks, and a step larger than what remains in its block reveals what remains (see
there). ``threshold`` and ``entropy_bound`` are adaptive: their number of steps is random.

Policies are small frozen dataclasses (hashable, comparable); they hold no arrays.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np

from mdmjax._src.precision import scoped_x64
from mdmjax._src.tolerances import TIE_TOLERANCE
from mdmjax._src.validate import as_choice, as_finite_float, as_positive_int

__all__ = [
    "Policy",
    "random",
    "fixed_order",
    "dilated",
    "dilated_blocks",
    "confidence",
    "margin",
    "entropy",
    "threshold",
    "entropy_bound",
    "semi_autoregressive",
    "gumbel_confidence",
    "factor",
    "threshold_quota",
    "uniform_sizes",
    "EB_ORDERS",
    "TIE_TOLERANCE",
]


_ADAPTIVE = ("threshold", "entropy_bound", "factor", "threshold_quota")

#: The scores :func:`entropy_bound` can sort by (OpenDLM's ``score_type``).
EB_ORDERS = ("entropy", "confidence", "margin")

#: Snapshots the adaptive rules transcribe (``owner/repo@commit``).
FASTDLLM_LLADA_COMMIT = "NVlabs/Fast-dLLM@f6b35ec3f1b16e1b3d3357938046559ae2d350fa"
FASTDLLM_DREAM_COMMIT = "NVlabs/Fast-dLLM@24cc59e75f20a6384bae8c905965bb090b96388e"
OPENDLM_COMMIT = "Jianguo99/OpenDLM@a4088d10c64e40cfb0ce172acc485c30b2ec43ca"
OPENDLM_EB_COMMIT = "Jianguo99/OpenDLM@3b81d45461e9cda2e39a142b47c8d4d41e577ac1"
MASKGIT_COMMIT = "google-research/maskgit@1db23594e1bd328ee78eadcd148a19281cd0f5b8"


@dataclasses.dataclass(frozen=True)
class Policy:
    """An unmasking policy. Build one with the constructors of :mod:`mdmjax.policies`.

    Attributes:
      kind: ``"random"``, ``"fixed_order"``, ``"dilated"``, ``"confidence"``, ``"margin"``,
        ``"entropy"``, ``"threshold"``, ``"entropy_bound"``, ``"factor"``,
        ``"threshold_quota"``, ``"semi_autoregressive"`` or ``"gumbel_confidence"``.
      sizes: the step sizes of a fixed-size policy, else ``None``.
      order: the reveal order of ``fixed_order`` / ``dilated`` (0-indexed positions), else
        ``None``.
      tau: the confidence threshold of ``threshold``, ``threshold_quota`` and of ``dilated``'s
        confidence skip (``None``: no skip).
      gamma: ``entropy_bound``'s entropy budget (nats).
      temperature: ``gumbel_confidence``'s temperature.
      base: ``dilated``'s base.
      block_length: ``semi_autoregressive``'s block length.
      inner: ``semi_autoregressive``'s policy inside a block.
      factor: ``factor``'s ``f``.
      rank_by: the score ``entropy_bound`` sorts by (:data:`EB_ORDERS`).
      budget: ``threshold_quota``'s number of steps ``T``.
      anneal_steps: MaskGIT's ``num_iter`` when ``gumbel_confidence`` anneals its temperature,
        else ``None``.

    Examples:
      Revealing both positions of a pair in one step samples the product of the marginals, so
      the KL is ``KL(p || p_0 ⊗ p_1) = ln 4 - H(p)`` here (both marginals uniform):

      >>> import math, numpy as np, mdmjax as mdm
      >>> d = mdm.Distribution.from_probs(np.array([[0.4, 0.1], [0.1, 0.4]]))
      >>> both = mdm.policies.random((2,))
      >>> both.kind, both.sizes, both.order
      ('random', (2,), None)
      >>> h = -float(np.sum(d.probs * np.log(d.probs)))
      >>> round(mdm.evaluate_policy(d, both).kl - (math.log(4) - h), 12)
      0.0
      >>> mdm.policies.fixed_order((1, 0), (1, 1)).order
      (1, 0)
    """

    kind: str
    sizes: tuple[int, ...] | None = None
    order: tuple[int, ...] | None = None
    tau: float | None = None
    gamma: float | None = None
    temperature: float | None = None
    base: int | None = None
    block_length: int | None = None
    inner: Policy | None = None
    factor: float | None = None
    rank_by: str | None = None
    budget: int | None = None
    anneal_steps: int | None = None

    @property
    @scoped_x64
    def adaptive(self) -> bool:
        """Whether the number of steps is random (the sizes depend on the conditionals)."""
        if self.kind == "semi_autoregressive":
            return self.inner.adaptive
        return self.kind in _ADAPTIVE

    @property
    @scoped_x64
    def stochastic(self) -> bool:
        """Whether the choice of positions is random given the conditionals."""
        if self.kind == "semi_autoregressive":
            return self.inner.stochastic
        return self.kind in ("random", "gumbel_confidence")

    @property
    @scoped_x64
    def steps(self) -> int | None:
        """Number of steps of a fixed-size policy used on its own, else ``None``."""
        return None if self.sizes is None else len(self.sizes)

    @property
    @scoped_x64
    def label(self) -> str:
        """A short human-readable description, e.g. ``'confidence(2,2,1)'``."""
        sizes = "" if self.sizes is None else ",".join(str(s) for s in self.sizes)
        if self.kind in ("random", "confidence", "margin", "entropy"):
            return f"{self.kind}({sizes})"
        if self.kind == "fixed_order":
            return f"fixed_order({','.join(str(i) for i in self.order)}; {sizes})"
        if self.kind == "dilated":
            skip = "" if self.tau is None else f", skip<{self.tau:g}"
            return f"dilated(n={len(self.order)}, base={self.base}{skip})"
        if self.kind == "threshold":
            return f"threshold({self.tau:g})"
        if self.kind == "entropy_bound":
            by = "" if self.rank_by in (None, "entropy") else f", by {self.rank_by}"
            return f"entropy_bound({self.gamma:g}{by})"
        if self.kind == "factor":
            return f"factor({self.factor:g})"
        if self.kind == "threshold_quota":
            return f"threshold_quota(T={self.budget}, {self.tau:g})"
        if self.kind == "gumbel_confidence":
            anneal = "" if self.anneal_steps is None else f", annealed over {self.anneal_steps}"
            return f"gumbel_confidence({sizes}; T={self.temperature:g}{anneal})"
        return f"semi_autoregressive({self.block_length}, {self.inner.label})"

    @scoped_x64
    def blocks(self) -> tuple[tuple[int, ...], ...] | None:
        """The ordered partition of ``fixed_order`` / ``dilated``, else ``None``.

        For ``dilated`` with a confidence skip these are the planned rounds, not the revealed
        blocks (those depend on the conditionals).
        """
        if self.order is None:
            return None
        ends = np.cumsum(self.sizes)
        return tuple(
            tuple(self.order[e - s : e]) for s, e in zip(self.sizes, ends.tolist(), strict=True)
        )


# ------------------------------------------------------------------------------------------------
# Argument checks
# ------------------------------------------------------------------------------------------------
def _as_step_sizes(sizes, argument: str = "sizes") -> tuple[int, ...]:
    """Positive integers, at least one; their sum is checked against ``n`` at evaluation."""
    arr = np.asarray(sizes)
    if arr.dtype == object or arr.ndim != 1:
        raise ValueError(f"{argument}: expected a 1-D sequence of positive integers, got {sizes!r}")
    if arr.size == 0:
        raise ValueError(f"{argument}: a schedule needs at least one step, got zero steps")
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
        raise ValueError(f"{argument}: expected integers, got dtype {arr.dtype}")
    if arr.dtype.kind == "f" and (not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr))):
        raise ValueError(f"{argument}: step sizes must be integers, got {arr.tolist()}")
    arr = arr.astype(np.int64)
    if np.any(arr < 1):
        raise ValueError(f"{argument}: every step size must be >= 1, got {arr.tolist()}")
    return tuple(int(s) for s in arr)


def _as_order(order) -> tuple[int, ...]:
    arr = np.asarray(order)
    if arr.dtype == object or arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"order: expected a non-empty 1-D permutation of 0..n-1, got {order!r}")
    if arr.dtype.kind not in "iu":
        if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise ValueError(f"order: expected integers, got dtype {arr.dtype}")
    if sorted(arr.tolist()) != list(range(arr.size)):
        raise ValueError(
            f"order: must be a permutation of 0..{arr.size - 1} (each position once), "
            f"got {arr.tolist()}"
        )
    return tuple(int(i) for i in arr)


def _check_sum(sizes: tuple[int, ...], n: int, argument: str = "sizes") -> None:
    if sum(sizes) != n:
        raise ValueError(f"{argument}: step sizes sum to {sum(sizes)}, but n = {n}")


# ------------------------------------------------------------------------------------------------
# Constructors
# ------------------------------------------------------------------------------------------------
@scoped_x64
def random(sizes: Sequence[int]) -> Policy:
    """The papers' sampler: at step ``t``, ``s_t`` masked positions chosen uniformly at random.

    Its output law is the mixture ``nu = mean_B nu_B`` over ordered partitions with these sizes,
    so its KL is :func:`mdmjax.exact_kl` with ``kind="mixture"`` (docs/theory.md §1).

    Args:
      sizes: positive step sizes summing to ``n``.

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.policies.random((2, 1)).label
      'random(2,1)'
    """
    return Policy("random", sizes=_as_step_sizes(sizes))


@scoped_x64
def fixed_order(order: Sequence[int], sizes: Sequence[int]) -> Policy:
    """Reveal ``order`` left to right: block ``t`` is ``order[N_{t-1}:N_t]``.

    The output law is ``nu_B`` of the ordered partition ``B`` (docs/theory.md §1), so the KL is
    :func:`mdmjax.partition_kl`.

    Args:
      order: a permutation of ``0..n-1``.
      sizes: positive step sizes summing to ``n = len(order)``.

    Examples:
      >>> import mdmjax as mdm
      >>> p = mdm.policies.fixed_order((2, 0, 1), (2, 1))  # x_3 and x_1 first, then x_2
      >>> r = mdm.policies.evaluate_policy(mdm.families.parity(3), p)
      >>> round(r.kl, 12), r.expected_steps
      (0.0, 2.0)
    """
    o = _as_order(order)
    s = _as_step_sizes(sizes)
    _check_sum(s, len(o))
    return Policy("fixed_order", sizes=s, order=o)


@scoped_x64
def dilated_blocks(n: int, base: int = 2) -> tuple[tuple[int, ...], ...]:
    """The ordered partition of the dilated (DUS) order, coarse to fine, as OpenDLM builds it.

    Luxembourg, Permuter & Nachmani (2025), "Plan for Speed: Dilated Scheduling for Masked
    Diffusion Language Models"; upstream Jianguo99/OpenDLM@a4088d1,
    ``opendlm/sampler/scheduler/dus.py::DetailedUnmaskingScheduler(gen_length, alpha=2.0,
    threshold=0.0)._precompute_transfer_indices``. With ``R = ceil(log n / log base)`` rounds
    (float64 logs, as upstream), round ``t = 1..R`` reveals the still-masked positions ``i``
    (0-indexed) with ``i mod d_t == 0``, where ``d_t = max(1, floor(n / base^t))``. **Merge
    rule:** if the last round is smaller than the one before, it is merged into it (``n = 23``,
    base 3: rounds of 4, 10, 9 become 4, 19). Empty rounds are dropped.

    ``n = 1``: upstream has ``R = 0`` rounds and never reveals the token (a bug); here it is one
    round, ``((0,),)``.

    Examples:
      >>> from mdmjax.policies import dilated_blocks
      >>> dilated_blocks(8)
      ((0, 4), (2, 6), (1, 3, 5, 7))
      >>> [len(b) for b in dilated_blocks(23, 3)]
      [4, 19]
    """
    n = as_positive_int(n, "n")
    base = as_positive_int(base, "base", minimum=2)
    if n == 1:
        return ((0,),)
    rounds = math.ceil(math.log(n) / math.log(base))
    revealed = np.zeros(n, dtype=bool)
    groups: list[np.ndarray] = []
    for t in range(1, rounds + 1):
        dilation = max(1, n // base**t)
        pick = (~revealed) & (np.arange(n) % dilation == 0)
        if t == rounds and groups and pick.sum() < groups[-1].sum():
            groups[-1] = groups[-1] | pick
        else:
            groups.append(pick)
        revealed |= pick
    if not revealed.all():  # pragma: no cover - the last round has dilation 1
        groups.append(~revealed)
    return tuple(tuple(int(i) for i in np.nonzero(g)[0]) for g in groups if g.any())


@scoped_x64
def dilated(n: int, base: int = 2, threshold: float = 0.0) -> Policy:
    """The dilated unmasking schedule (DUS) on ``n`` positions, with OpenDLM's confidence skip.

    Spread-out positions first (weakly dependent under a Markov-like law), then the gaps. The
    rounds are :func:`dilated_blocks`: e.g. ``n = 8``: ``{0,4}, {2,6}, {1,3,5,7}``; about
    ``log_base n`` steps. Without a threshold it is a fixed order, evaluated like
    :func:`fixed_order`.

    **Confidence skip** (``threshold > 0``; OpenDLM@a4088d1 ``DetailedUnmaskingScheduler.
    get_transfer_indices``): a candidate of round ``t`` whose confidence is below the threshold
    (within ``1e-12``) is deferred to round ``t + 1``, so round ``t``'s candidates are all the
    still-masked positions of rounds ``1..t``; a round can reveal nothing (it still costs a model
    call). In the last round upstream *drops* the low-confidence candidates and returns them
    masked; mdmjax needs a complete sample, so its last round reveals every position left
    (the only deviation; then the number of steps is the number of rounds).

    Args:
      n: number of positions (must equal the law's ``n``).
      base: the dilation base, ``>= 2`` (OpenDLM's ``alpha``).
      threshold: the skip threshold in ``[0, 1]``; 0 (the default) is no skip.

    Raises:
      ValueError: a bad ``n``, ``base`` or ``threshold``.

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.policies.dilated(8, threshold=0.9).label
      'dilated(n=8, base=2, skip<0.9)'
    """
    blocks = dilated_blocks(n, base)
    order = tuple(i for b in blocks for i in b)
    tau = as_finite_float(threshold, "threshold")
    if not 0.0 <= tau <= 1.0:
        raise ValueError(f"threshold: a confidence threshold must lie in [0, 1], got {threshold!r}")
    return Policy(
        "dilated",
        sizes=tuple(len(b) for b in blocks),
        order=order,
        base=int(base),
        tau=tau if tau > 0 else None,
    )


@scoped_x64
def confidence(sizes: Sequence[int]) -> Policy:
    """Top-``s_t`` masked positions by confidence ``max_v p(x_i = v | x_A)`` (LLaDA, MaskGIT).

    Ties within ``1e-12`` go to the lower position index.

    Examples:
      >>> import math, mdmjax as mdm
      >>> d = mdm.families.parity(3)  # x_3 = x_1 xor x_2: Z = (0, 0, ln 2)
      >>> kl = lambda p: round(mdm.policies.evaluate_policy(d, p).kl / math.log(2), 12)
      >>> kl(mdm.policies.confidence((2, 1))), kl(mdm.policies.confidence((1, 2)))  # bits
      (0.0, 1.0)
    """
    return Policy("confidence", sizes=_as_step_sizes(sizes))


@scoped_x64
def margin(sizes: Sequence[int]) -> Policy:
    """Top-``s_t`` masked positions by margin ``top1 - top2`` of ``p(x_i | x_A)`` (Dream).

    Examples:
      >>> import math, mdmjax as mdm
      >>> r = mdm.policies.evaluate_policy(mdm.families.parity(3), mdm.policies.margin((1, 2)))
      >>> round(r.kl / math.log(2), 12), r.expected_steps  # two dependent bits in one step
      (1.0, 2.0)
    """
    return Policy("margin", sizes=_as_step_sizes(sizes))


@scoped_x64
def entropy(sizes: Sequence[int]) -> Policy:
    """The ``s_t`` masked positions of lowest entropy ``H(X_i | x_A)`` (Dream ``alg="entropy"``).

    Examples:
      >>> import math, mdmjax as mdm
      >>> r = mdm.policies.evaluate_policy(mdm.families.parity(3), mdm.policies.entropy((2, 1)))
      >>> round(r.kl / math.log(2), 12), r.expected_steps
      (0.0, 2.0)
    """
    return Policy("entropy", sizes=_as_step_sizes(sizes))


@scoped_x64
def threshold(tau: float) -> Policy:
    """Fast-dLLM: the top-1 by confidence plus every other masked token with confidence >= tau.

    Wu et al. (2025), "Fast-dLLM". The comparison allows ``1e-12`` of slack:
    ``c_i >= tau - 1e-12``. At least one position is revealed per step, so at most ``n`` steps.

    Args:
      tau: the threshold in ``[0, 1]``.

    Examples:
      >>> import mdmjax as mdm
      >>> r = mdm.policies.evaluate_policy(mdm.families.parity(3), mdm.policies.threshold(0.9))
      >>> round(r.kl, 12), r.expected_steps  # no fair coin passes 0.9: one token per step
      (0.0, 3.0)
    """
    t = as_finite_float(tau, "tau")
    if not 0.0 <= t <= 1.0:
        raise ValueError(f"tau: a confidence threshold must lie in [0, 1], got {tau!r}")
    return Policy("threshold", tau=t)


@scoped_x64
def entropy_bound(gamma: float, order: str = "entropy") -> Policy:
    """EB-sampler: sort the masked positions by a score; reveal the longest prefix whose entropy
    sum minus its largest entropy is ``<= gamma``.

    Ben-Hamu et al. (2025), "Accelerated Sampling from Masked Diffusion Models via Entropy
    Bounded Unmasking"; upstream Jianguo99/OpenDLM@3b81d45,
    ``opendlm/sampler/scheduler/eb.py::EntropyBoundedUnmaskingScheduler(gamma=0.1)`` with
    ``opendlm/sampler/eb.py::EBSampler(block_length=32, gamma=0.1, score_type='entropy')``. The
    masked positions are sorted by ``order`` (best first, ties within ``1e-12`` to the lower
    index): ``"entropy"`` lowest entropy first, ``"confidence"`` highest top probability,
    ``"margin"`` highest ``top1 - top2``. With the *entropies* ``H_(1), H_(2), ..`` in that order,
    the policy reveals the first ``k`` for the largest ``k >= 1`` with

    .. math:: \\sum_{j \\le k} H_{(j)} - \\max_{j \\le k} H_{(j)} \\le \\gamma + 10^{-12}.

    Upstream's entropies are ``-sum p log(p + 1e-10)``; mdmjax uses the exact entropy.

    Args:
      gamma: the entropy budget in nats, ``>= 0``.
      order: one of :data:`EB_ORDERS`.

    Raises:
      ValueError: a negative or non-finite ``gamma``, or an unknown ``order``.

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.policies.entropy_bound(0.1, order="margin").label
      'entropy_bound(0.1, by margin)'
    """
    g = as_finite_float(gamma, "gamma")
    if g < 0:
        raise ValueError(f"gamma: an entropy budget must be >= 0, got {gamma!r}")
    order = as_choice(order, EB_ORDERS, "order")
    return Policy("entropy_bound", gamma=g, rank_by=order)


@scoped_x64
def factor(f: float = 1.0) -> Policy:
    """Fast-dLLM's factor rule: reveal the confident prefix of the confidence ranking.

    Upstream NVlabs/Fast-dLLM@f6b35ec, ``llada/generate.py::get_transfer_index_dynamic(...,
    factor=1)``. With the ``m`` masked positions sorted by confidence, ``c_0 >= c_1 >= ..``
    (ties within ``1e-12`` to the lower index), rank ``r >= 1`` passes if
    ``c_r >= 1 - f / (r + 2)`` (within ``1e-12``; rank 0 always passes). With ``r*`` the first
    failing rank (``m - 1`` if none fails), the policy reveals the top ``r*`` positions, or
    ``r* + 1`` when ``r* = 0`` or ``r* = m - 1``: upstream's off-by-one, kept, so a failure at the
    last rank still reveals all ``m``. At least one position per step.

    Args:
      f: the factor, ``> 0``.

    Raises:
      ValueError: a non-positive or non-finite ``f``.

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.policies.factor(1.0).label
      'factor(1)'
    """
    value = as_finite_float(f, "f")
    if value <= 0:
        raise ValueError(f"f: must be > 0, got {f!r}")
    return Policy("factor", factor=value)


@scoped_x64
def threshold_quota(steps: int, tau: float = 0.9) -> Policy:
    """Fast-dLLM's Dream ``alg='confidence_threshold'``: a per-step quota, with carry-over.

    Upstream NVlabs/Fast-dLLM@24cc59e, ``dream/model/generation_utils.py::
    DreamGenerationMixin._sample(..., alg='confidence_threshold', threshold=0.9)``. With
    ``q = n / T`` (upstream asserts ``T`` divides ``n``) and a carry ``c`` (initially 0), step
    ``i`` takes the top ``q + c`` masked positions by confidence and reveals rank 0 and every
    other with confidence ``>= tau`` (within ``1e-12``); each one not revealed adds 1 to the next
    step's carry. At the last planned step a deferral sets ``q = 0`` and adds one step, so the
    sampler then reveals the top-1 plus every confident position until it is done (the
    :func:`threshold` rule). Since ``c_i = i q - N_i`` (``N_i`` revealed before step ``i``),
    step ``i`` takes the top ``min(M, (i + 1) q - N_i)``; there are never empty calls.

    Args:
      steps: the planned number of steps ``T`` (must divide the law's ``n``).
      tau: the threshold in ``[0, 1]``.

    Raises:
      ValueError: a bad ``steps`` or ``tau``; at evaluation, ``T`` not dividing ``n``.

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.policies.threshold_quota(4).label
      'threshold_quota(T=4, 0.9)'
    """
    big_t = as_positive_int(steps, "steps")
    t = as_finite_float(tau, "tau")
    if not 0.0 <= t <= 1.0:
        raise ValueError(f"tau: a confidence threshold must lie in [0, 1], got {tau!r}")
    return Policy("threshold_quota", budget=big_t, tau=t)


@scoped_x64
def gumbel_confidence(
    sizes: Sequence[int],
    temperature: float,
    anneal: str | None = None,
    num_iter: int | None = None,
) -> Policy:
    """Randomized confidence (MaskGIT's Gumbel-top-k; Dream's ``alg_temp``).

    At step ``t`` the keys ``log c_i + temperature * G_i`` (``G_i`` i.i.d. standard Gumbel) of
    the masked positions are ranked and the top ``s_t`` revealed. Equivalently the revealed set
    follows Plackett–Luce sampling without replacement with weights ``w_i = c_i^(1/temperature)``:
    the exact evaluation averages over all subsets with their Plackett–Luce probabilities. As
    ``temperature -> 0`` it tends to :func:`confidence`.

    **MaskGIT's annealing** (``anneal="maskgit"``; google-research/maskgit@1db2359,
    ``maskgit/libml/parallel_decode.py::decode`` passes ``choice_temperature * (1 - ratio)`` to
    ``mask_by_random_topk``): step ``j`` (0-based) uses the temperature
    ``tau (1 - (j + 1) / num_iter)``, in float32 as upstream, where ``num_iter`` is MaskGIT's
    number of iterations (default ``len(sizes)``; pass it when :func:`mdmjax.schedules.maskgit`
    dropped empty steps, which only happen once a single token is left, where the choice is not
    random). The last iteration has temperature 0 and takes what is left. The class-conditional
    ImageNet config uses ``tau = 4.5``.

    Args:
      sizes: positive step sizes summing to ``n``.
      temperature: ``> 0`` (MaskGIT's ``choice_temperature`` when annealed).
      anneal: ``None`` (constant temperature) or ``"maskgit"``.
      num_iter: MaskGIT's ``num_iter`` (``>= len(sizes)``), only with ``anneal``.

    Raises:
      ValueError: bad sizes, a non-positive temperature, an unknown ``anneal`` or a bad
        ``num_iter``.

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.policies.gumbel_confidence((2, 3, 5, 6), 4.5, anneal="maskgit").label
      'gumbel_confidence(2,3,5,6; T=4.5, annealed over 4)'
    """
    s = _as_step_sizes(sizes)
    t = as_finite_float(temperature, "temperature")
    if t <= 0:
        raise ValueError(f"temperature: must be > 0, got {temperature!r}")
    if anneal not in (None, "maskgit"):
        raise ValueError(f"anneal: expected None or 'maskgit', got {anneal!r}")
    steps_total = None
    if anneal is not None:
        steps_total = len(s) if num_iter is None else as_positive_int(num_iter, "num_iter")
        if steps_total < len(s):
            raise ValueError(f"num_iter: must be >= len(sizes) = {len(s)}, got {num_iter!r}")
    elif num_iter is not None:
        raise ValueError("num_iter: only used with anneal='maskgit'")
    return Policy("gumbel_confidence", sizes=s, temperature=t, anneal_steps=steps_total)


def _maskgit_scale(step: int, num_iter: int, temperature: float) -> float:
    """MaskGIT's ``choice_temperature * (1 - (step + 1) / num_iter)`` in float32."""
    ratio = np.float32(step + 1) * (np.float32(1.0) / np.float32(num_iter))
    return float(np.float32(temperature) * (np.float32(1.0) - ratio))


@scoped_x64
def semi_autoregressive(block_length: int, inner: Policy) -> Policy:
    """Semi-autoregressive blocks (LLaDA, Fast-dLLM): ``inner`` runs inside the current block.

    The positions are cut into consecutive blocks ``[0, L), [L, 2L), ..`` of ``L = block_length``
    (the last one shorter when ``L`` does not divide ``n``); ``b = ceil(n / L)`` blocks. The
    current block is the first one with a masked position; the inner policy chooses among the
    current block's masked positions only, and the next block starts when the current one is
    full.

    How a fixed-size ``inner`` (``random``, ``confidence``, ``margin``, ``entropy``,
    ``gumbel_confidence``) is mapped to blocks, with ``k = len(inner.sizes)``:

    * ``sum(inner.sizes) == L`` (checked first): the sizes are the schedule of every block. In a
      shorter last block, a step larger than what remains reveals what remains, and the steps
      after the block is full are dropped (no oracle call).
    * ``sum(inner.sizes) == n``: the step budget ``k`` is split evenly over the blocks: block
      ``j`` (0-indexed) gets ``k // b`` steps, plus one if ``j < k mod b`` (the remainder goes to
      the first blocks). Inside a block of ``L_j`` positions with ``k_j`` steps the sizes are
      LLaDA's uniform split ``floor(L_j / k_j) + 1[i < L_j mod k_j]``. When ``k_j > L_j`` the
      block has more steps than positions: it takes ``L_j`` steps of size 1 and the surplus
      steps are dropped, so the total can fall below ``k``. ``k < b`` is a ``ValueError``.

    A ``fixed_order`` or ``dilated`` inner of ``L`` positions is the within-block order (e.g.
    DUS per block: ``semi_autoregressive(L, dilated(L))``); in a shorter last block its blocks
    are restricted to the positions that exist and empty steps are dropped. ``threshold`` and
    ``entropy_bound`` run unchanged on the current block (their top-1 and their sort are within
    the block).

    Args:
      block_length: ``L >= 1``.
      inner: any policy but another ``semi_autoregressive``.

    Examples:
      >>> import mdmjax as mdm
      >>> p = mdm.policies.semi_autoregressive(2, mdm.policies.threshold(0.9))
      >>> r = mdm.policies.evaluate_policy(mdm.families.parity(3), p)
      >>> round(r.kl, 12), r.expected_steps
      (0.0, 3.0)
    """
    L = as_positive_int(block_length, "block_length")
    if not isinstance(inner, Policy):
        raise ValueError(f"inner: expected a Policy, got {type(inner).__name__}")
    if inner.kind == "semi_autoregressive":
        raise ValueError("inner: semi_autoregressive policies cannot be nested")
    if (
        inner.kind == "threshold_quota"
        or inner.anneal_steps is not None
        or (inner.kind == "dilated" and inner.tau is not None)
    ):
        raise ValueError(
            f"inner: {inner.label} counts steps over the whole sequence and is not supported "
            "inside semi_autoregressive"
        )
    if inner.order is not None and len(inner.order) != L:
        raise ValueError(
            f"inner: a {inner.kind} order inside semi_autoregressive is the order within one "
            f"block, so it needs block_length = {L} positions, got {len(inner.order)}"
        )
    return Policy("semi_autoregressive", block_length=L, inner=inner)


# ------------------------------------------------------------------------------------------------
# Sizes
# ------------------------------------------------------------------------------------------------
@scoped_x64
def uniform_sizes(m: int, k: int) -> tuple[int, ...]:
    """LLaDA's uniform split of ``m`` positions into ``k`` steps (docs/theory.md §7).

    ``s_i = floor(m / k) + 1[i < m mod k]`` (the larger steps first).

    Examples:
      >>> from mdmjax.policies import uniform_sizes
      >>> uniform_sizes(7, 3)
      (3, 2, 2)
    """
    m = as_positive_int(m, "m")
    k = as_positive_int(k, "k")
    if k > m:
        raise ValueError(f"k: at most m = {m} steps of size >= 1, got {k}")
    return tuple(m // k + (1 if i < m % k else 0) for i in range(k))
