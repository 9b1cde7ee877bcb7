"""A policy's choice of positions: the one implementation (docs/theory.md §7 and §13).

Three consumers make the same choice from the same conditionals, and all three call this module:

* the exact tree walk (:func:`mdmjax.evaluate_policy`) at every node of the sampler's tree;
* the sampler (:func:`mdmjax.sample`, through :func:`mdmjax.policies.selection_rule`) on each row;
* the teacher-forced estimator (:func:`mdmjax.calibrate.sampler_kl`) on each held-out row.

Deterministic rules (``rank``, ``threshold``, ``entropy_bound``, ``factor``, ``quota``, ``skip``)
are :func:`deterministic_choice`: a greedy order by the policy's score (ties within
``TIE_TOLERANCE`` to the lowest index) and a count. The stochastic rules draw their randomness
here too: :func:`uniform_choice` (a uniformly random ``s``-subset of the candidates) and
:func:`gumbel_choice` (Gumbel-top-``s`` on ``log c_i / T``: Plackett–Luce without replacement);
the tree walk enumerates the same laws (:mod:`mdmjax.policies._walk`).

Everything here runs inside ``jax.jit`` on batches: ``(N, n)`` masks and scores, ``(N, n, V)``
conditionals.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from mdmjax._src.numerics import entropy
from mdmjax._src.tolerances import TIE_TOLERANCE

__all__ = [
    "SCORE_IDS",
    "SELECT_IDS",
    "all_scores",
    "choice_candidates",
    "deterministic_choice",
    "greedy_order",
    "gumbel_choice",
    "prefix_mask",
    "uniform_choice",
]

#: Row of :func:`all_scores` each score name reads.
SCORE_IDS = {"confidence": 0, "margin": 1, "entropy": 2, "priority": 3, "none": 4}
#: Code of each selection rule (a traced int, so one compilation serves every deterministic rule).
SELECT_IDS = {
    "rank": 0,
    "threshold": 1,
    "entropy_bound": 2,
    "random": 3,
    "gumbel": 4,
    "factor": 5,
    "quota": 6,
    "skip": 7,
}


def all_scores(cond, priority):
    """``(5, N, n)`` scores (higher first): confidence, margin, -entropy, priority, zeros; and
    the confidence ``max_v p(x_i = v | x_A)`` and entropy ``H(X_i | x_A)``, each ``(N, n)``."""
    conf = jnp.max(cond, axis=2)
    if cond.shape[2] == 1:
        marg = conf
    else:  # top1 - top2, without a sort
        values = jnp.arange(cond.shape[2])
        top1 = jnp.argmax(cond, axis=2)
        rest = jnp.where(values[None, None, :] == top1[:, :, None], -jnp.inf, cond)
        marg = conf - jnp.max(rest, axis=2)
    ent = entropy(cond, axis=2)
    prio = jnp.broadcast_to(priority[None, :], conf.shape)
    return jnp.stack([conf, marg, -ent, prio, jnp.zeros_like(conf)]), conf, ent


def greedy_order(scores, cand):
    """Positions in reveal order: repeatedly the best remaining, ties within ``TIE_TOLERANCE`` to
    the lowest index. Returns ``order`` ``(N, n)`` (``n`` pads) and the candidate count ``(N,)``."""
    num, n = scores.shape
    pos = jnp.arange(n, dtype=jnp.int32)

    def body(j, carry):
        remaining, order = carry
        sc = jnp.where(remaining, scores, -jnp.inf)
        best = jnp.max(sc, axis=1, keepdims=True)
        tied = remaining & (sc >= best - TIE_TOLERANCE)
        first = jnp.where(jnp.any(tied, axis=1), jnp.argmax(tied, axis=1), n).astype(jnp.int32)
        order = order.at[:, j].set(first)
        remaining = remaining & (pos[None, :] != first[:, None])
        return remaining, order

    init = (cand, jnp.full((num, n), n, dtype=jnp.int32))
    _, order = jax.lax.fori_loop(0, n, body, init)
    return order, jnp.sum(cand, axis=1)


def prefix_mask(order, k):
    """Mask ``(N, n)`` of the first ``k[r]`` positions of ``order[r]``."""
    n = order.shape[1]
    pos = jnp.arange(n, dtype=jnp.int64)
    take = pos[None, :] < k.astype(jnp.int64)[:, None]
    hit = (order.astype(jnp.int64)[:, :, None] == pos[None, None, :]) & take[:, :, None]
    return jnp.any(hit, axis=1)


def choice_candidates(masked, adaptive, block_length, level_cand):
    """The positions a step may reveal: the masked ones of the step's planned candidates, or
    (adaptive rules) of the block holding the first masked position. ``level_cand`` is ``(n,)``
    or ``(N, n)``."""
    n = masked.shape[1]
    pos = jnp.arange(n)
    first = jnp.argmax(masked, axis=1)
    current = (pos[None, :] // block_length) == (first // block_length)[:, None]
    planned = level_cand if level_cand.ndim == 2 else level_cand[None, :]
    return masked & jnp.where(adaptive, current, planned)


def deterministic_choice(
    scores, conf, ent, cand, *, size, param, param2, select_id, step, revealed
):
    """Bool ``(N, n)``: the positions a deterministic rule reveals (docs/theory.md §7).

    Args:
      scores: ``(N, n)`` the policy's score (higher first).
      conf, ent: ``(N, n)`` confidences and entropies.
      cand: ``(N, n)`` candidates (:func:`choice_candidates`).
      size: the step's planned size (``rank``; ``skip``: positive on the last round).
      param: ``tau`` (threshold, quota, skip), ``gamma`` (entropy bound) or ``f`` (factor).
      param2: the quota's per-step share ``q``.
      select_id: the rule's code (:data:`SELECT_IDS`), traced.
      step: the number of steps taken (``threshold_quota``'s ``i``).
      revealed: ``(N,)`` positions revealed so far among those to generate.
    """
    num, n = cand.shape
    order, count = greedy_order(scores, cand)
    k_rank = jnp.minimum(size, count)
    # entropy bound (EB-sampler): the longest prefix with sum H - max H <= gamma
    sorted_h = jnp.take_along_axis(
        jnp.concatenate([ent, jnp.zeros((num, 1), ent.dtype)], axis=1), order, axis=1
    )
    excess = jnp.cumsum(sorted_h, axis=1) - jax.lax.cummax(sorted_h, axis=1)
    ks = jnp.arange(1, n + 1)
    ok = (excess <= param + TIE_TOLERANCE) & (ks[None, :] <= count[:, None])
    k_bound = jnp.max(jnp.where(ok, ks[None, :], 1), axis=1)
    # factor (Fast-dLLM): the first rank r >= 1 with c_r < 1 - f / (r + 2), off-by-one kept
    sorted_c = jnp.take_along_axis(
        jnp.concatenate([conf, jnp.zeros((num, 1), conf.dtype)], axis=1), order, axis=1
    )
    r = jnp.arange(n)
    bar = jnp.where(r == 0, -1.0, 1.0 - param / (r.astype(jnp.float64) + 2.0))
    fail = (sorted_c < bar[None, :] - TIE_TOLERANCE) & (r[None, :] < count[:, None])
    first_fail = jnp.where(jnp.any(fail, axis=1), jnp.argmax(fail, axis=1), count - 1)
    bump = (first_fail == 0) | (first_fail == count - 1)
    k_factor = jnp.where(bump, first_fail + 1, first_fail)
    # quota (Fast-dLLM Dream): the top (i + 1) q - N_i, of which rank 0 and the confident
    k_quota = jnp.clip(
        (step + 1).astype(jnp.float64) * param2 - revealed.astype(jnp.float64),
        1.0,
        count.astype(jnp.float64),
    ).astype(count.dtype)
    k = jnp.select(
        [select_id == 0, select_id == 1, select_id == 2, select_id == 5],
        [k_rank, jnp.ones_like(k_rank), k_bound, k_factor],
        jnp.where(select_id == 6, 1, 0),
    )
    chosen = prefix_mask(order, k)
    above = cand & (conf >= param - TIE_TOLERANCE)  # threshold: every other confident one
    chosen = chosen | (above & (select_id == 1))
    chosen = chosen | (prefix_mask(order, k_quota) & above & (select_id == 6))
    take_all = size > 0  # skip: the last round reveals every candidate
    chosen = chosen | (cand & (above | take_all) & (select_id == 7))
    return chosen & cand


def uniform_choice(keys, cand, size):
    """A uniformly random ``min(size, #cand)``-subset of the candidates, per row (float64 keys,
    top ``size``); ``keys`` ``(N,)``."""
    n = cand.shape[1]
    u = jax.vmap(lambda k: jax.random.uniform(k, (n,), dtype=jnp.float64))(keys)
    order = jnp.argsort(jnp.where(cand, u, 2.0), axis=1)
    return prefix_mask(order, jnp.minimum(size, jnp.sum(cand, axis=1))) & cand


def gumbel_choice(keys, cand, conf, inverse_temperature, size):
    """Gumbel-top-``size`` on ``log c_i / T``: Plackett–Luce sampling without replacement with
    weights ``c_i^{1/T}``, the law the tree walk enumerates; ``keys`` ``(N,)``."""
    n = cand.shape[1]
    g = jax.vmap(lambda k: jax.random.gumbel(k, (n,), dtype=jnp.float64))(keys)
    logc = jnp.log(jnp.where(cand, conf, 1.0))
    order = jnp.argsort(jnp.where(cand, -(logc * inverse_temperature + g), jnp.inf), axis=1)
    return prefix_mask(order, jnp.minimum(size, jnp.sum(cand, axis=1))) & cand
