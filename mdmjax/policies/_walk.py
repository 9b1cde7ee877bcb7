"""Exact output law of any unmasking policy, by walking the sampler's tree of partial assignments.

A node of the tree is a partial assignment ``(A, x_A)`` with its probability of being reached.
At a node the policy's choice of ``B`` is a deterministic function of the conditionals
``p(x_i | x_A)`` (docs/theory.md §7), or, for ``random`` and ``gumbel_confidence``, a known law over
subsets. Each child ``(A ∪ B, x_{A ∪ B})`` has probability
``weight * P(B) * prod_{i in B} p(x_i | x_A)``, the tokens of ``B`` being drawn independently.
Fully revealed children are leaves and add their weight to the output law ``nu`` and to the law
of the number of steps.

The walk is level by level (level = number of steps taken). At every level the nodes are
processed in chunks: one jitted call computes the conditionals (from the model's extended
marginal table), the scores, the policy's choice and the fan-out of every node; a second jitted
call expands the children, vectorized over children, and scatter-adds the leaves into ``nu``.
Children of zero probability are pruned. For a deterministic policy every full assignment has
one path, so a level never holds more nodes than there are states; for a random policy nodes are
merged by ``(A, x_A)`` (the future depends on nothing else at a given level), which bounds a
level by ``C(n, N_t) q^{N_t}`` nodes.

Nodes the sampler reaches although ``P(x_A) = 0`` (its factorization error can produce them)
get uniform conditionals (see :mod:`mdmjax.models`); every full assignment below such a node has
``p(x) = 0``, so ``kl`` and ``tv`` do not depend on that convention, only ``probs`` off the
support of ``p`` does.

Measured on a shared 2-core CPU (``benchmarks/policies_scale.py``), first call including
compilation: every policy on a binary Ising chain with ``n = 12`` takes at most about 27
CPU-seconds (``random`` and ``gumbel_confidence``, up to 527,345 merged nodes), the deterministic
policies well under a second once compiled; on a 26-letter Markov chain with ``n = 5``
(11.9 million states) the deterministic policies take about 5 s and ``random`` about 20 s.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

import mdmjax.policies._plan as _plans
from mdmjax._src.buckets import pow2_bucket
from mdmjax._src.memory import check_allocation, table_bytes
from mdmjax._src.numerics import clip_kl, kl_terms, safe_log
from mdmjax._src.precision import scoped_x64
from mdmjax._src.subsets import combinations_mask, subset_bits
from mdmjax._src.subsets import strides as table_strides
from mdmjax.distribution import Distribution
from mdmjax.models import ConditionalModel, as_model, ext_strides
from mdmjax.policies._choice import (
    SCORE_IDS,
    SELECT_IDS,
    all_scores,
    choice_candidates,
    deterministic_choice,
)
from mdmjax.policies._chunks import (
    _CHILD_BUCKETS,
    _CHILD_CHUNK,
    _DENSE_MERGE,
    _MAX_NODE_CHUNK,
    _NODE_BUCKETS,
    _NODE_BUDGET,
    _WIDTH_BUCKETS,
    _bucket,
)
from mdmjax.policies._learning import (
    _expected_learning,
    _partition_factorization,
    _partition_learning,
)
from mdmjax.policies._plan import Plan, Step
from mdmjax.policies._rules import Policy

__all__ = ["PolicyEvaluation", "evaluate_policy", "walk_rows"]


@dataclasses.dataclass(frozen=True)
class PolicyEvaluation:
    """The exact behaviour of a policy on a law.

    Attributes:
      policy: the evaluated :class:`~mdmjax.policies.Policy`.
      probs: the sampler's output law ``nu``, a float64 array of the law's shape.
      kl: ``KL(p || nu)`` in nats (``inf`` where ``nu`` misses mass of ``p``).
      tv: total variation ``(1/2) sum_x |p(x) - nu(x)|``.
      expected_steps: ``E[K]``, ``K`` the number of steps (oracle calls).
      steps_distribution: ``(n + 1,)`` array, ``P(K = k)``.
      factorization: the factorization term of docs/theory.md §6 for a fixed partition
        (``fixed_order``, ``dilated``, a semi-autoregressive fixed order), or its expectation
        over ordered partitions for ``random`` (Theorem 4); else ``None``.
      learning: the learning term ``sum_t sum_{i in B_t} E_p KL(p(x_i|x_{A_t}) ||
        p̂(x_i|x_{A_t}))`` (0 without a model), or its expectation for ``random``; else ``None``.
      expected_kl: for ``random``, ``E_B KL(p || nu_hat_B) = factorization + learning`` (the
        expected KL, ``>= kl``, the mixture KL); for a fixed partition it equals ``kl``.
      nodes: number of tree nodes expanded.

    Examples:
      Both positions in one step: ``nu`` is the product of the (uniform) marginals, so
      ``TV = (1/2)(2 · 0.15 + 2 · 0.15) = 0.3``, one step surely, and the factorization term is
      the whole KL:

      >>> import numpy as np, mdmjax as mdm
      >>> d = mdm.Distribution.from_probs(np.array([[0.4, 0.1], [0.1, 0.4]]))
      >>> ev = mdm.evaluate_policy(d, mdm.policies.random((2,)))
      >>> np.asarray(ev.probs).round(12).tolist(), round(ev.tv, 12)
      ([[0.25, 0.25], [0.25, 0.25]], 0.3)
      >>> ev.expected_steps, ev.steps_distribution.tolist(), abs(ev.factorization - ev.kl) < 1e-12
      (1.0, [0.0, 1.0, 0.0], True)
    """

    policy: Policy
    probs: np.ndarray
    kl: float
    tv: float
    expected_steps: float
    steps_distribution: np.ndarray
    factorization: float | None = None
    learning: float | None = None
    expected_kl: float | None = None
    nodes: int = 0

    def __getitem__(self, key: str):
        """Dict-style access to the fields, e.g. ``result["kl"]``."""
        if key not in {f.name for f in dataclasses.fields(self)}:
            raise KeyError(key)
        return getattr(self, key)


# ------------------------------------------------------------------------------------------------
# Scores and choices (inside jit)
# ------------------------------------------------------------------------------------------------
def _true_positions(mask):
    """For each row of a bool ``(R, n)`` mask, its True positions in increasing order, padded
    with ``n`` (a sort-free stable compaction: slot ``r`` holds the position whose prefix count
    is ``r + 1``)."""
    n = mask.shape[1]
    slot = jnp.cumsum(mask, axis=1) - 1  # (R, n)
    hit = mask[:, None, :] & (slot[:, None, :] == jnp.arange(n)[None, :, None])  # (R, r, i)
    found = jnp.any(hit, axis=2)
    where_ = jnp.argmax(hit, axis=2)
    return jnp.where(found, where_, n).astype(jnp.int32)


def _plackett_luce(log_wb, log_w_out, s: int):
    """``P(top-s set = B)`` for sampling without replacement with weights (Plackett–Luce).

    ``log_wb`` ``(..., s)``: log-weights of the members of ``B``; ``log_w_out``: log of the total
    weight of the candidates outside ``B``. DP over the subsets ``S`` of ``B`` (members drawn so
    far): ``f(S) = sum_{i in S} f(S - i) w_i / (w_out + w(B - (S - i)))``. Every denominator is
    a sum of the weights still in play, formed in log space without subtraction, so extreme
    temperatures neither cancel nor underflow to 0/0.
    """
    drawn = jnp.asarray(subset_bits(s))  # (2^s, s)
    left = jnp.where(drawn, -jnp.inf, log_wb[..., None, :])  # members not yet drawn
    log_rest = jnp.logaddexp(log_w_out[..., None], jax.nn.logsumexp(left, axis=-1))
    f = jnp.zeros(log_wb.shape[:-1] + (2**s,)).at[..., 0].set(1.0)

    def body(mask, f):
        acc = jnp.zeros(log_wb.shape[:-1])
        for i in range(s):
            has = (mask >> i) & 1
            prev = jnp.where(has == 1, mask ^ (1 << i), 0)
            ratio = jnp.exp(log_wb[..., i] - jnp.take(log_rest, prev, axis=-1))
            acc = acc + jnp.where(has == 1, jnp.take(f, prev, axis=-1) * ratio, 0.0)
        return f.at[..., mask].set(acc)

    f = jax.lax.fori_loop(1, 2**s, body, f)
    return f[..., 2**s - 1]


@functools.partial(jax.jit, static_argnames=("options", "s_static"))
def _expand_nodes(
    model,
    y,
    w,
    size,
    level_cand,
    adaptive,
    block_length,
    priority,
    param,
    param2,
    level,
    score_id,
    select_id,
    combo_w,
    combo_slots,
    *,
    options: str,
    s_static: int,
):
    """Stage A: conditionals, the policy's options ``(B, P(B))`` and fan-outs of a node chunk.

    ``options`` is ``"single"`` (a deterministic choice: rank, threshold, entropy bound,
    factor, quota or skip, picked by the traced ``select_id``), ``"random"`` or ``"gumbel"``;
    the score is picked by the traced ``score_id``, so one compilation serves every
    deterministic policy. ``level`` is the number of steps taken (``threshold_quota``'s ``i``).
    """
    num, n = y.shape
    q = jnp.asarray(model.shape, dtype=y.dtype)
    cond = model.conditionals(y)  # (N, n, q_max)
    masked = y == q[None, :]
    pos = jnp.arange(n)
    cand = choice_candidates(masked, adaptive, block_length, level_cand)
    scores, conf, ent = all_scores(cond, priority)
    if options in ("random", "gumbel"):
        # Option k reveals the candidates in slots combo_slots[k] (candidates in increasing
        # position order), so its positions come out sorted.
        slots = jnp.minimum(_true_positions(cand), n - 1)
        k_opts = combo_slots.shape[0]
        members = jnp.take_along_axis(
            jnp.broadcast_to(slots[:, None, :], (num, k_opts, n)),
            jnp.broadcast_to(jnp.maximum(combo_slots, 0)[None, :, :], (num, k_opts, n)),
            axis=2,
        )
        members = jnp.where(combo_slots[None, :, :] >= 0, members, n)  # (N, K, n), n pads
        if options == "random":
            probs = jnp.broadcast_to(combo_w[None, :], (num, k_opts))
        else:  # Gumbel-top-k on log c_i / T: Plackett–Luce with log-weights log(c_i) / T
            log_w = jnp.where(cand, jnp.log(jnp.where(cand, conf, 1.0)) * param, -jnp.inf)
            log_wb = jnp.take_along_axis(
                jnp.broadcast_to(log_w[:, None, :], (num, k_opts, n)),
                jnp.minimum(members[:, :, :s_static], n - 1),
                axis=2,
            )
            in_b = jnp.any(
                members[:, :, :, None].astype(pos.dtype) == pos[None, None, None, :], axis=2
            )
            log_w_out = jax.nn.logsumexp(jnp.where(in_b, -jnp.inf, log_w[:, None, :]), axis=2)
            probs = _plackett_luce(log_wb, log_w_out, s_static)
            probs = jnp.where(combo_w[None, :] > 0, probs, 0.0)
        pair_pos = members.astype(jnp.int32)
    else:
        chosen = deterministic_choice(
            scores[score_id],
            conf,
            ent,
            cand,
            size=size,
            param=param,
            param2=param2,
            select_id=select_id,
            step=level,
            revealed=n - jnp.sum(masked, axis=1),
        )
        pair_pos = _true_positions(chosen)[:, None, :]
        probs = jnp.ones((num, 1))
    k_opts = pair_pos.shape[1]
    pair_w = (w[:, None] * probs).reshape(-1)
    pair_pos = pair_pos.reshape(num * k_opts, n)  # positions of B, increasing, padded with n
    pair_node = jnp.repeat(jnp.arange(num), k_opts)
    radix = jnp.asarray(model.shape + (1,), dtype=jnp.int64)
    fan = jnp.where(pair_w > 0, jnp.prod(radix[pair_pos], axis=1), 0)
    offsets = jnp.concatenate([jnp.zeros(1, dtype=jnp.int64), jnp.cumsum(fan)])
    width = jnp.max(jnp.where(pair_w > 0, jnp.sum(pair_pos < n, axis=1), 0))
    return cond, pair_node, pair_pos, pair_w, offsets, width


@functools.partial(jax.jit, static_argnames=("shape", "chunk", "width"), donate_argnums=(0,))
def _expand_children(
    acc, cond, y, pair_node, pair_pos, pair_w, offsets, start, *, shape, chunk, width
):
    """Stage B: children ``start .. start + chunk`` of the pairs; leaves go into ``acc``.

    Child ``j`` of pair ``p`` (``offsets[p] <= j < offsets[p+1]``) takes the values of the
    mixed-radix digits of ``j - offsets[p]`` on the positions of ``B`` (``pair_pos[p]``, at most
    ``width`` of them, padded with ``n``). A child is described by its parent's node index and
    output offset plus its ``|B|`` new digits, so the work per child is ``O(width)``.

    Returns ``acc`` (leaves added), and per child: its node index in the extended table, its
    weight, whether it is a live inner node, and the total leaf mass of the chunk.
    """
    n = len(shape)
    q = jnp.asarray(shape, dtype=jnp.int64)
    ext = jnp.asarray(ext_strides(shape))
    out_strides = jnp.asarray(table_strides(shape))
    # Per node: extended index, output offset of the revealed part, number still masked.
    y = y.astype(jnp.int64)
    revealed = y < q[None, :]
    node_key = jnp.sum(y.astype(jnp.int64) * ext[None, :], axis=1)
    node_out = jnp.sum(jnp.where(revealed, y, 0).astype(jnp.int64) * out_strides[None, :], 1)
    node_left = n - jnp.sum(revealed, axis=1)
    # The pair owning child j is the last pair p with offsets[p] <= j: mark every pair start
    # inside the chunk (earlier starts pile up on slot 0) and count the marks with a cumsum.
    j = start + jnp.arange(chunk, dtype=jnp.int64)
    valid = j < offsets[-1]
    starts = offsets[:-1] - start
    marks = jnp.zeros(chunk, dtype=jnp.int64).at[jnp.clip(starts, 0, chunk)].add(1, mode="drop")
    pair = jnp.clip(jnp.cumsum(marks) - 1, 0, pair_w.shape[0] - 1)
    local = j - offsets[pair]
    node = pair_node[pair]
    bpos = pair_pos[pair, :width]  # (chunk, width), n pads
    here = bpos < n
    at = jnp.minimum(bpos, n - 1)
    # Mixed-radix digits in float64: exact for indices < 2^50 (a fan-out is at most the number
    # of states of the law), and much faster than int64 division on CPU.
    radix = jnp.where(here, q[at], 1).astype(jnp.float64)
    rest = local.astype(jnp.float64)
    weight = jnp.where(valid, pair_w[pair], 0.0)
    key = node_key[node]
    out = node_out[node]
    for r in range(width):  # the child's values on B
        quotient = jnp.floor(rest / radix[:, r])
        xi = (rest - quotient * radix[:, r]).astype(jnp.int64)
        rest = quotient
        weight = weight * jnp.where(here[:, r], cond[node, at[:, r], xi], 1.0)
        key = key + jnp.where(here[:, r], (xi - q[at[:, r]]) * ext[at[:, r]], 0)
        out = out + jnp.where(here[:, r], xi * out_strides[at[:, r]], 0)
    leaf = valid & (node_left[node] == jnp.sum(here, axis=1))
    acc = acc.at[jnp.where(leaf, out, 0)].add(jnp.where(leaf, weight, 0.0))
    keep = valid & ~leaf & (weight > 0)
    return acc, key, weight, keep, jnp.sum(jnp.where(leaf, weight, 0.0))


def _level_options(step, m: int, n: int):
    """Static option tables of a random / gumbel level: ``C(m, s)`` subsets of the ``m`` slots."""
    s = step.size
    rows = combinations_mask(m, s)
    k_valid = rows.shape[0]
    # Powers of 2, at least 16 (few distinct shapes); a single option stays single.
    k_pad = 1 if k_valid == 1 else pow2_bucket(k_valid, 16)
    combo_w = np.zeros(k_pad)
    combo_w[:k_valid] = 1.0 / k_valid
    slots = np.full((k_pad, n), -1, dtype=np.int64)
    slots[:k_valid, :s] = np.nonzero(rows)[1].reshape(k_valid, s)
    return combo_w, slots


def _check_level_memory(plan: Plan, shape: tuple[int, ...]) -> None:
    """Refuse a walk whose widest level cannot be held: each node keeps ``n`` int32 values and
    a float64 weight. A deterministic policy has at most one node per state of the law at a
    level; a random one at most ``C(n, N_t) q^{N_t}`` merged nodes after ``N_t`` reveals."""
    n = len(shape)
    per_node = 4 * n + 8
    widest = math.prod(shape)
    if plan.select in ("random", "gumbel"):
        qbar = math.prod(shape) ** (1.0 / n)
        revealed = np.cumsum([0] + [s.size for s in plan.steps])[:-1]
        widest = max(math.comb(n, int(r)) * qbar ** int(r) for r in revealed)
        widest = max(widest, *(math.comb(n, int(r)) for r in revealed))
    check_allocation(
        int(widest * per_node * 3),
        f"the widest level of the policy tree (about {int(widest)} nodes)",
        hint="Exact evaluation enumerates partial assignments; use fewer positions.",
        argument="d",
    )


def _walk(d: Distribution, plan: Plan, model: ConditionalModel):
    """The output law, the steps law and the node count of ``plan`` under ``model``."""
    shape = d.shape
    n = d.n
    num_states = math.prod(shape)
    qmax = max(shape)
    q = np.asarray(shape, dtype=np.int32)
    strides = ext_strides(shape)
    ext_size = math.prod(qi + 1 for qi in shape)
    options = {"random": "random", "gumbel": "gumbel"}.get(plan.select, "single")
    adaptive = plan.steps is None
    max_levels = n if adaptive else len(plan.steps)
    fixed = dict(
        adaptive=jnp.asarray(adaptive),
        block_length=jnp.asarray(plan.block_length, dtype=jnp.int64),
        priority=jnp.asarray(plan.priority, dtype=jnp.float64),
        param=jnp.asarray(plan.param, dtype=jnp.float64),
        param2=jnp.asarray(plan.param2, dtype=jnp.float64),
        score_id=jnp.asarray(SCORE_IDS[plan.score], dtype=jnp.int32),
        select_id=jnp.asarray(SELECT_IDS[plan.select], dtype=jnp.int32),
    )
    check_allocation(table_bytes(shape) * 2, f"the output law of shape {shape}", argument="d")
    _check_level_memory(plan, shape)
    acc = jnp.zeros(num_states)
    hist = np.zeros(n + 1)
    ys = np.asarray([shape], dtype=np.int32)
    ws = np.ones(1)
    level = 0
    expanded = 0
    while ys.shape[0]:
        if level >= max_levels:  # pragma: no cover - guarded by the plan's construction
            raise RuntimeError("policy walk did not finish within its step budget")
        expanded += ys.shape[0]
        if adaptive:
            size, cand = 0, np.ones(n, dtype=bool)
        else:
            step = plan.steps[level]
            size, cand = step.size, np.asarray(step.candidates, dtype=bool)
        if plan.level_params is not None:
            fixed["param"] = jnp.asarray(plan.level_params[level], dtype=jnp.float64)
        s_static = 0
        level_options = options
        if options == "single":
            combo_w = np.ones(1)
            slots = np.zeros((1, n), dtype=np.int64)
        else:
            m = int(np.sum((ys[0] == q) & cand))  # the same for every node of a level
            combo_w, slots = _level_options(plan.steps[level], m, n)
            if combo_w.shape[0] == 1:  # the whole candidate set: nothing is random
                level_options = "random"
            s_static = size if level_options == "gumbel" else 0
        k_opts = combo_w.shape[0]
        per_node = n * max(qmax, k_opts) + k_opts * (2**s_static) * (s_static + 1)
        cap = max(1, min(_MAX_NODE_CHUNK, _NODE_BUDGET // per_node))
        cap = 1 << (cap.bit_length() - 1)
        next_key, next_w = [], []
        for lo in range(0, ys.shape[0], cap):
            y_part, w_part = ys[lo : lo + cap], ws[lo : lo + cap]
            bucket = _bucket(y_part.shape[0], _NODE_BUCKETS, cap)
            pad = bucket - y_part.shape[0]
            y_dev = jnp.asarray(
                np.concatenate([y_part, np.broadcast_to(q, (pad, n))]).astype(np.int32)
            )
            cond, pair_node, pair_pos, pair_w, offsets, width = _expand_nodes(
                model,
                y_dev,
                jnp.asarray(np.concatenate([w_part, np.zeros(pad)])),
                jnp.asarray(size, dtype=jnp.int64),
                jnp.asarray(cand),
                level=jnp.asarray(level, dtype=jnp.int64),
                **fixed,
                combo_w=jnp.asarray(combo_w),
                combo_slots=jnp.asarray(slots),
                options=level_options,
                s_static=s_static,
            )
            total = int(offsets[-1])
            width = n if n <= 4 else _bucket(int(width), _WIDTH_BUCKETS, n)
            for start in range(0, total, _CHILD_CHUNK):
                chunk = _bucket(total - start, _CHILD_BUCKETS, _CHILD_CHUNK)
                acc, key, weight, keep, leaf_mass = _expand_children(
                    acc,
                    cond,
                    y_dev,
                    pair_node,
                    pair_pos,
                    pair_w,
                    offsets,
                    jnp.asarray(start, dtype=jnp.int64),
                    shape=shape,
                    chunk=chunk,
                    width=width,
                )
                hist[level + 1] += float(leaf_mass)
                keep = np.asarray(keep)
                if keep.any():
                    next_key.append(np.asarray(key)[keep])
                    next_w.append(np.asarray(weight)[keep])
        if next_key:
            keys = np.concatenate(next_key)
            ws = np.concatenate(next_w)
            if options != "single":  # merge equal partial assignments (A, x_A)
                if ext_size <= _DENSE_MERGE:  # a histogram over the node space: no sort
                    merged = np.bincount(keys, weights=ws, minlength=ext_size)
                    keys = np.flatnonzero(merged)
                    ws = merged[keys]
                else:
                    keys, inverse = np.unique(keys, return_inverse=True)
                    ws = np.bincount(inverse.reshape(-1), weights=ws, minlength=keys.size)
            ys = ((keys[:, None] // strides[None, :]) % (q[None, :] + 1)).astype(np.int32)
        else:
            ys = np.zeros((0, n), dtype=np.int32)
        level += 1
    return np.asarray(acc).reshape(shape), hist, expanded


# ------------------------------------------------------------------------------------------------
# Public entry point
# ------------------------------------------------------------------------------------------------
@jax.jit
def _kl_tv_jit(p, nu):
    support = p > 0
    missing = jnp.any(support & (nu <= 0))
    return missing, jnp.sum(kl_terms(p, safe_log(nu))), 0.5 * jnp.sum(jnp.abs(p - nu))


def _kl_tv(p, nu) -> tuple[float, float]:
    """``KL(p || nu)`` (``inf`` if ``nu`` misses mass of ``p``; rounding below 0 clipped) and TV."""
    missing, kl, tv = _kl_tv_jit(jnp.asarray(p).reshape(-1), jnp.asarray(nu).reshape(-1))
    return (math.inf if bool(missing) else clip_kl(float(kl))), float(tv)


@scoped_x64
def evaluate_policy(d: Distribution, policy: Policy, model=None) -> PolicyEvaluation:
    """The exact output law of ``policy`` on ``d``, with its KL, TV and number of steps.

    Walks the sampler's tree of partial assignments level by level (module docstring). The
    policy sees, and the tokens are drawn from, the conditionals of ``model`` (the truth when
    ``None``); the KL and TV are against the truth ``d``.

    For a fixed partition (``fixed_order``, ``dilated``, a semi-autoregressive fixed order) the
    result also carries the exact split of docs/theory.md §6 (Lavenant–Zanella 2025):

    .. math:: KL(p \\| \\hat\\nu_B) = \\sum_t \\Big[\\sum_{i \\in B_t} H(X_i | X_{A_t})
              - H(X_{B_t} | X_{A_t})\\Big] + \\sum_t \\sum_{i \\in B_t}
              E_p\\, KL\\big(p(x_i | x_{A_t}) \\,\\|\\, \\hat p(x_i | x_{A_t})\\big).

    For ``random(sizes)`` it carries the expected split of ``E_B KL(p || nu_hat_B)``: Theorem 4
    (Chen–Cong–Li 2026) for the factorization term and ``sum_t s_t L(N_{t-1})`` for the
    learning term. ``kl`` itself is the mixture KL, the law the sampler actually outputs.

    Args:
      d: the true law.
      policy: a policy from :mod:`mdmjax.policies`.
      model: ``None`` (exact conditionals), a :class:`Distribution`, a
        :class:`~mdmjax.models.ConditionalModel` or a jax-traceable callable (see
        :mod:`mdmjax.models`).

    Returns:
      a :class:`PolicyEvaluation`.

    Raises:
      ValueError: ``d`` is not a Distribution, ``policy`` is not a Policy, its sizes do not sum
        to ``n``, its order has the wrong length, or ``model`` does not answer for ``d``'s shape.

    Examples:
      >>> import math, numpy as np, mdmjax as mdm
      >>> p = np.zeros((2, 2)); p[0, 0] = p[1, 1] = 0.5
      >>> d = mdm.Distribution.from_probs(p)
      >>> r = mdm.evaluate_policy(d, mdm.policies.confidence((2,)))
      >>> np.round(r.probs, 12).tolist(), round(r.kl / math.log(2), 12)
      ([[0.25, 0.25], [0.25, 0.25]], 1.0)
    """
    if not isinstance(d, Distribution):
        raise ValueError(f"d: expected a Distribution, got {type(d).__name__}")
    plan = _plans.plan(policy, d.n)
    truth = as_model(None, d)
    oracle = truth if model is None else as_model(model, d)
    nu, hist, expanded = _walk(d, plan, oracle)
    p = np.asarray(d.probs)
    kl, tv = _kl_tv(p, nu)
    ks = np.arange(d.n + 1)
    factorization = learning = expected = None
    if plan.blocks is not None:
        factorization = _partition_factorization(d, plan.blocks)
        learning = (
            0.0 if model is None else _partition_learning(truth, oracle, d.shape, plan.blocks)
        )
        expected = kl
    elif plan.random_sizes is not None:
        from mdmjax.kl import expected_kl

        factorization = float(expected_kl(d, plan.random_sizes))
        learning = 0.0 if model is None else _expected_learning(truth, oracle, plan.random_sizes)
        expected = factorization + learning
    return PolicyEvaluation(
        policy=policy,
        probs=nu,
        kl=kl,
        tv=tv,
        expected_steps=float(np.dot(ks, hist)),
        steps_distribution=hist,
        factorization=factorization,
        learning=learning,
        expected_kl=expected,
        nodes=int(expanded),
    )


# ------------------------------------------------------------------------------------------------
# The tree restricted to given rows (teacher forcing, exact)
# ------------------------------------------------------------------------------------------------
@scoped_x64
def walk_rows(model, policy: Policy, rows, start=None, *, max_nodes: int | None = None):
    """``log ν̂_π(x | start)`` of a fixed-size policy for each row ``x``, exactly.

    The sampler's tree restricted to one outcome (docs/theory.md §13.4): a node is
    ``(row, revealed set A)`` with the probability of having revealed ``A`` with the row's own
    values ``x_A``. At a node the policy's options ``(B, P(B))`` are the tree walk's
    (:func:`evaluate_policy`'s code), and the child ``A ∪ B`` gains
    ``P(B) · Π_{i∈B} p̂(x_i | x_A)``; nodes are merged by ``(row, A)``, so a level holds at
    most ``R · C(m, N_t)`` nodes. This is how :func:`mdmjax.calibrate.sampler_kl` is exact for
    random order and the ``random`` / ``gumbel_confidence`` policies on a law's support.

    .. math:: \\hat\\nu_\\pi(x) = \\sum_{B_1, .., B_k} \\prod_t P(B_t \\mid x_{A_t})
              \\prod_{i \\in B_t} \\hat p(x_i \\mid x_{A_t})

    Args:
      model: a :class:`~mdmjax.models.ConditionalModel` with a fixed ``shape`` (masked value
        ``shape[i]``), or a Distribution (its exact conditionals).
      policy: a policy with fixed sizes (``random``, ``gumbel_confidence``, ``confidence``, ...)
        summing to the number of masked positions of ``start``.
      rows: ``(R, n)`` int outcomes.
      start: ``(R, n)`` or ``(n,)`` starting rows (clues; ``shape[i]`` where masked); default
        all masked.
      max_nodes: refuse (``ValueError`` naming ``max_nodes``) before any model call when a level
        could hold more nodes than this.

    Returns:
      ``(log_nu, nodes)``: ``(R,)`` float64 (``-inf`` where unreachable) and the number of nodes
      expanded (model calls per row-node).

    Raises:
      ValueError: ``policy`` adaptive or not a Policy, sizes not summing to the masked count
        (``plan``), ``rows``/``start`` of the wrong shape, or too many nodes (``max_nodes``).

    Examples:
      Random order on two perfectly correlated bits, one per step, reproduces the law:
      ``ν̂(11) = 1/2``; both in one step gives ``1/4``:

      >>> import numpy as np, mdmjax as mdm
      >>> d = mdm.Distribution.from_probs(np.array([[0.5, 0.0], [0.0, 0.5]]))
      >>> rows = np.array([[1, 1], [0, 1]])
      >>> log_nu, nodes = mdm.policies.walk_rows(d, mdm.policies.random((1, 1)), rows)
      >>> np.exp(log_nu).round(12).tolist(), nodes
      ([0.5, 0.0], 6)
      >>> np.exp(mdm.policies.walk_rows(d, mdm.policies.random((2,)), rows)[0]).tolist()
      [0.25, 0.25]
    """
    from mdmjax.policies._select import selection_rule

    if isinstance(model, Distribution):
        model = as_model(None, model)
    if not isinstance(policy, Policy) or policy.adaptive:
        raise ValueError("policy: expected a Policy with fixed sizes (not an adaptive rule)")
    rows = np.asarray(rows)
    shape = tuple(int(q) for q in model.shape)
    n = len(shape)
    if rows.dtype.kind not in "iu" or rows.ndim != 2 or rows.shape[1] != n:
        raise ValueError(f"rows: expected an int array (R, {n}), got shape {rows.shape}")
    rows = rows.astype(np.int64)
    q = np.asarray(shape, dtype=np.int64)
    if start is None:
        start = np.broadcast_to(q, rows.shape)
    start = np.broadcast_to(np.asarray(start, dtype=np.int64), rows.shape).copy()
    m = int(np.sum(start[0] == q))
    sel = selection_rule(policy, n, generate=m)
    arrays, options = sel.arrays, sel.static.options
    revealed = np.cumsum([0] + [int(s) for s in arrays["sizes"]])[:-1]
    widest = rows.shape[0] * max(math.comb(m, int(r)) for r in revealed)
    if max_nodes is not None and widest > max_nodes:
        raise ValueError(f"max_nodes: a level could hold {widest} nodes > max_nodes = {max_nodes}")
    num_rows = rows.shape[0]
    sizes = [int(s) for s in np.asarray(arrays["sizes"])]
    fixed = dict(
        adaptive=jnp.asarray(arrays["adaptive"]),
        block_length=jnp.asarray(arrays["block_length"], dtype=jnp.int64),
        priority=jnp.asarray(arrays["priority"], dtype=jnp.float64),
        param2=jnp.asarray(arrays["param2"], dtype=jnp.float64),
        score_id=jnp.asarray(arrays["score_id"], dtype=jnp.int32),
        select_id=jnp.asarray(arrays["select_id"], dtype=jnp.int32),
    )
    nu = np.zeros(num_rows)
    ys = np.asarray(start, dtype=np.int64)
    owner = np.arange(num_rows)
    ws = np.ones(num_rows)
    expanded = 0
    for level, size in enumerate(sizes):
        if not ys.shape[0]:
            break
        expanded += ys.shape[0]
        cand = np.asarray(arrays["cands"])[level].astype(bool)
        m_t = int(np.sum((ys[0] == q) & cand))
        level_options, s_static = options, 0
        if options == "single":
            combo_w, slots = np.ones(1), np.zeros((1, n), dtype=np.int64)
        else:
            combo_w, slots = _level_options(Step(size=size, candidates=()), m_t, n)
            if combo_w.shape[0] == 1:
                level_options = "random"
            s_static = size if level_options == "gumbel" else 0
        k_opts = combo_w.shape[0]
        per_node = n * max(max(shape), k_opts) + k_opts * (2**s_static) * (s_static + 1)
        cap = max(1, min(_MAX_NODE_CHUNK, _NODE_BUDGET // per_node))
        cap = 1 << (cap.bit_length() - 1)
        next_y, next_owner, next_w = [], [], []
        for lo in range(0, ys.shape[0], cap):
            y_part, w_part, o_part = ys[lo : lo + cap], ws[lo : lo + cap], owner[lo : lo + cap]
            bucket = _bucket(y_part.shape[0], _NODE_BUCKETS, cap)
            pad = bucket - y_part.shape[0]
            y_dev = jnp.asarray(np.concatenate([y_part, np.broadcast_to(q, (pad, n))]))
            cond, pair_node, pair_pos, pair_w, _, _ = _expand_nodes(
                model,
                y_dev.astype(jnp.int32),
                jnp.asarray(np.concatenate([w_part, np.zeros(pad)])),
                jnp.asarray(size, dtype=jnp.int64),
                jnp.asarray(cand),
                level=jnp.asarray(level, dtype=jnp.int64),
                param=jnp.asarray(np.asarray(arrays["param"])[level], dtype=jnp.float64),
                **fixed,
                combo_w=jnp.asarray(combo_w),
                combo_slots=jnp.asarray(slots),
                options=level_options,
                s_static=s_static,
            )
            real = y_part.shape[0]
            cond = np.asarray(cond)[:real]
            x = rows[o_part]  # (N, n) the outcomes of the nodes
            px = np.take_along_axis(cond, np.minimum(x, cond.shape[2] - 1)[..., None], axis=2)
            pair_node = np.asarray(pair_node)
            keep = pair_node < real
            pair_node = pair_node[keep]
            pair_pos = np.asarray(pair_pos)[keep]
            pair_w = np.asarray(pair_w)[keep]
            member = np.zeros((pair_pos.shape[0], n + 1), dtype=bool)
            np.put_along_axis(member, pair_pos, True, axis=1)
            member = member[:, :n]
            with np.errstate(divide="ignore"):
                gain = np.exp(np.sum(np.where(member, np.log(px[pair_node, :, 0]), 0.0), axis=1))
            child_w = pair_w * gain
            live = child_w > 0
            child_y = np.where(member, x[pair_node], y_part[pair_node])[live]
            child_o = o_part[pair_node][live]
            child_w = child_w[live]
            leaf = ~np.any(child_y == q[None, :], axis=1)
            np.add.at(nu, child_o[leaf], child_w[leaf])
            next_y.append(child_y[~leaf])
            next_owner.append(child_o[~leaf])
            next_w.append(child_w[~leaf])
        ys = np.concatenate(next_y) if next_y else np.zeros((0, n), dtype=np.int64)
        owner = np.concatenate(next_owner) if next_owner else np.zeros(0, dtype=np.int64)
        ws = np.concatenate(next_w) if next_w else np.zeros(0)
        if options != "single" and ys.shape[0]:  # merge equal (row, A): the values are x_A
            keys = np.column_stack([owner, np.packbits(ys == q[None, :], axis=1)])
            keys, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
            ws = np.bincount(inverse.reshape(-1), weights=ws, minlength=keys.shape[0])
            ys, owner = ys[first], owner[first]
    with np.errstate(divide="ignore"):
        return np.log(nu), expanded
