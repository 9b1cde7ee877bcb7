"""Plain-Python reference for the policy tests (no code shared with mdmjax.evaluate).

A recursion over partial assignments: conditionals by summing the numpy table, each policy's
semantics written out from the issue text (greedy top-s with ties within 1e-12 to the lower
index, Fast-dLLM threshold, EB-sampler, semi-autoregressive blocks, Plackett–Luce by summing over
orderings).
"""

from __future__ import annotations

import itertools
import math

import numpy as np

import mdmjax as mdm

TOL = 1e-12


# ------------------------------------------------------------------------------------------------
# Laws
# ------------------------------------------------------------------------------------------------
SHAPES = [(2, 2, 2, 2), (3, 2, 3)]


def make_law(shape, seed, kind="dirichlet"):
    rng = np.random.default_rng(seed)
    size = math.prod(shape)
    if kind == "dirichlet":
        p = rng.dirichlet(np.full(size, rng.uniform(0.2, 2.0)))
    elif kind == "sparse":  # zeros: the sampler reaches nodes of zero mass
        p = rng.dirichlet(np.ones(size)) * (rng.random(size) < 0.5)
        p[rng.integers(size)] += 0.1
        p = p / p.sum()
    else:  # exchangeable: p(x) depends on sum(x) only, so scores tie exactly
        total = np.indices(shape).sum(axis=0).reshape(-1)
        weights = rng.dirichlet(np.ones(total.max() + 1))
        p = weights[total]
        p = p / p.sum()
    return mdm.Distribution.from_probs(p.reshape(shape))


# ------------------------------------------------------------------------------------------------
# The plain-Python reference
# ------------------------------------------------------------------------------------------------
def ref_conditionals(p, assign):
    n = p.ndim
    sub = p[tuple(assign.get(i, slice(None)) for i in range(n))]
    masked = [i for i in range(n) if i not in assign]
    total = sub.sum()
    cond = {}
    for k, i in enumerate(masked):
        axes = tuple(a for a in range(len(masked)) if a != k)
        m = sub.sum(axis=axes) if axes else sub
        cond[i] = m / total if total > 0 else np.full(p.shape[i], 1.0 / p.shape[i])
    return cond


def ref_walk(p, choose):
    """Output law and steps law; ``choose(assign, cond, t)`` -> [(B, P(B)), ...]."""
    n = p.ndim
    out = np.zeros(p.shape)
    steps = np.zeros(n + 1)

    def rec(assign, t, w):
        if len(assign) == n:
            out[tuple(assign[i] for i in range(n))] += w
            steps[t] += w
            return
        cond = ref_conditionals(p, assign)
        for block, pb in choose(assign, cond, t):
            for vals in itertools.product(*[range(p.shape[i]) for i in block]):
                wc = w * pb
                for i, v in zip(block, vals, strict=True):
                    wc *= cond[i][v]
                if wc > 0:
                    rec({**assign, **dict(zip(block, vals, strict=True))}, t + 1, wc)

    rec({}, 0, 1.0)
    return out, steps


def conf(c):
    return float(np.max(c))


def margin_of(c):
    s = sorted(c.tolist(), reverse=True)
    return s[0] - (s[1] if len(s) > 1 else 0.0)


def ent(c):
    return float(-sum(v * math.log(v) for v in c if v > 0))


SCORE = {"confidence": conf, "margin": margin_of, "entropy": lambda c: -ent(c)}


def greedy(score, cands, k):
    """Top-k: repeatedly the best remaining, scores within 1e-12 tie to the lowest index."""
    rem, out = sorted(cands), []
    while rem and len(out) < k:
        best = max(score[i] for i in rem)
        pick = min(i for i in rem if score[i] >= best - TOL)
        out.append(pick)
        rem.remove(pick)
    return out


def masked_of(assign, n):
    return [i for i in range(n) if i not in assign]


def ref_rank(kind, sizes, n):
    def choose(assign, cond, t):
        cands = masked_of(assign, n)
        score = {i: SCORE[kind](cond[i]) for i in cands}
        return [(tuple(sorted(greedy(score, cands, sizes[t]))), 1.0)]

    return choose


def ref_threshold(tau, n, cands_of=None):
    def choose(assign, cond, t):
        cands = (cands_of or masked_of)(assign, n)
        score = {i: conf(cond[i]) for i in cands}
        top = greedy(score, cands, 1)[0]
        return [(tuple(sorted({top} | {i for i in cands if score[i] >= tau})), 1.0)]

    return choose


def ref_entropy_bound(gamma, n, cands_of=None):
    def choose(assign, cond, t):
        cands = (cands_of or masked_of)(assign, n)
        h = {i: ent(cond[i]) for i in cands}
        order = greedy({i: -h[i] for i in cands}, cands, len(cands))
        k = max(
            kk
            for kk in range(1, len(order) + 1)
            if kk == 1 or sum(h[i] for i in order[:kk]) - max(h[i] for i in order[:kk]) <= gamma
        )
        return [(tuple(sorted(order[:k])), 1.0)]

    return choose


def ref_random(sizes, n):
    def choose(assign, cond, t):
        cands = masked_of(assign, n)
        subsets = list(itertools.combinations(cands, sizes[t]))
        return [(b, 1.0 / len(subsets)) for b in subsets]

    return choose


def ref_gumbel(sizes, temperature, n):
    def choose(assign, cond, t):
        cands = masked_of(assign, n)
        w = {i: conf(cond[i]) ** (1.0 / temperature) for i in cands}
        total = sum(w.values())
        out = []
        for b in itertools.combinations(cands, sizes[t]):
            pb = 0.0
            for perm in itertools.permutations(b):
                term, left = 1.0, total
                for i in perm:
                    term *= w[i] / left
                    left -= w[i]
                pb += term
            out.append((b, pb))
        return out

    return choose


def ref_semi_ar_schedule(n, L, sizes):
    """[(block start, block end, size)] written from the docstring of semi_autoregressive."""
    blocks = [(a, min(a + L, n)) for a in range(0, n, L)]
    sched = []
    if sum(sizes) == L:
        for a, b in blocks:
            left = b - a
            for s in sizes:
                if min(s, left) > 0:
                    sched.append((a, b, min(s, left)))
                left -= min(s, left)
    else:
        k, nb = len(sizes), len(blocks)
        for j, (a, b) in enumerate(blocks):
            kj = min(k // nb + (1 if j < k % nb else 0), b - a)
            base, extra = divmod(b - a, kj)
            sched += [(a, b, base + (1 if i < extra else 0)) for i in range(kj)]
    return sched


def ref_semi_ar_rank(kind, L, sizes, n):
    sched = ref_semi_ar_schedule(n, L, sizes)

    def choose(assign, cond, t):
        a, b, s = sched[t]
        cands = [i for i in masked_of(assign, n) if a <= i < b]
        score = {i: SCORE[kind](cond[i]) for i in cands}
        return [(tuple(sorted(greedy(score, cands, s))), 1.0)]

    return choose


def current_block(L):
    def cands_of(assign, n):
        masked = masked_of(assign, n)
        blk = masked[0] // L
        return [i for i in masked if i // L == blk]

    return cands_of


def assert_law(result, ref):
    law, steps = ref
    np.testing.assert_allclose(result.probs, law, rtol=0, atol=1e-12)
    np.testing.assert_allclose(result.steps_distribution, steps, rtol=0, atol=1e-12)
    p = np.asarray(result.probs).reshape(-1)
    assert abs(p.sum() - 1) < 1e-12
    assert result.probs.dtype == np.float64


# ------------------------------------------------------------------------------------------------
# Upstream rules (the counts come from the transcriptions in tests/upstream/upstream_reference.py)
# ------------------------------------------------------------------------------------------------
def _upstream():
    from tests.upstream import upstream_reference as U

    return U


def ref_factor(f, n, cands_of=None):
    """Fast-dLLM ``get_transfer_index_dynamic``: ``factor_count`` on the ranked confidences."""

    def choose(assign, cond, t):
        cands = (cands_of or masked_of)(assign, n)
        score = {i: conf(cond[i]) for i in cands}
        order = greedy(score, cands, len(cands))
        k = _upstream().factor_count([score[i] for i in order], f)
        return [(tuple(sorted(order[:k])), 1.0)]

    return choose


def ref_eb(gamma, n, by="entropy"):
    """OpenDLM's EB rule: ``eb_count`` with the entropies in the ``by`` order (ties as greedy)."""

    def choose(assign, cond, t):
        cands = masked_of(assign, n)
        order = greedy({i: SCORE[by](cond[i]) for i in cands}, cands, len(cands))
        h = [ent(cond[i]) for i in order]
        picked, _ = _upstream().eb_count(h, [-r for r in range(len(order))], gamma)
        return [(tuple(sorted(order[j] for j in picked)), 1.0)]

    return choose


def ref_walk_stateful(p, start, choose, done):
    """Like :func:`ref_walk`, with a sampler state carried along each path.

    ``choose(assign, cond, state)`` -> [(B, P(B), new_state)]; a path ends when
    ``done(state)``, and must then be fully revealed.
    """
    n = p.ndim
    out = np.zeros(p.shape)
    steps = np.zeros(n + 2)

    def rec(assign, state, t, w):
        if done(state):
            assert len(assign) == n, "the sampler stopped with masked positions"
            out[tuple(assign[i] for i in range(n))] += w
            steps[t] += w
            return
        cond = ref_conditionals(p, assign)
        for block, pb, new in choose(assign, cond, state):
            for vals in itertools.product(*[range(p.shape[i]) for i in block]):
                wc = w * pb
                for i, v in zip(block, vals, strict=True):
                    wc *= cond[i][v]
                if wc > 0:
                    rec({**assign, **dict(zip(block, vals, strict=True))}, new, t + 1, wc)

    rec({}, start, 0, 1.0)
    return out, steps[: n + 1]


def ref_threshold_quota(steps, tau, n):
    """Fast-dLLM Dream ``confidence_threshold``, its loop state ``(i, steps, quota, carry)``
    transcribed literally (``_sample``: top-``quota + carry``, rank 0 always, each deferral
    carried; a deferral at ``i == steps - 1`` sets ``quota = 0`` and ``steps += 1``)."""
    assert n % steps == 0

    def choose(assign, cond, state):
        i, total, quota, carry = state
        cands = masked_of(assign, n)
        score = {j: conf(cond[j]) for j in cands}
        k = quota + carry
        carry = 0
        top = greedy(score, cands, k)
        keep = [top[0]]
        for r in range(1, len(top)):
            if score[top[r]] < tau:
                if i < total - 1:
                    carry += 1
                else:
                    quota, total, carry = 0, total + 1, carry + 1
            else:
                keep.append(top[r])
        return [(tuple(sorted(keep)), 1.0, (i + 1, total, quota, carry))]

    return (0, steps, n // steps, 0), choose, lambda state: state[0] >= state[1]


def ref_dilated_skip(n, base, tau):
    """OpenDLM's DUS with the skip: deferred candidates join the next round's list (upstream
    mutates its plan); in the last round everything left is revealed (mdmjax's completion)."""
    plan = [list(g) for g in _upstream().dus_blocks(n, float(base)) if g] if n > 1 else [[0]]

    def choose(assign, cond, state):
        t, extra = state
        cand = [i for i in plan[t] + list(extra) if i not in assign]
        if t == len(plan) - 1:
            return [(tuple(sorted(cand)), 1.0, (t + 1, ()))]
        keep = [i for i in cand if conf(cond[i]) >= tau]
        skip = tuple(i for i in cand if conf(cond[i]) < tau)
        return [(tuple(sorted(keep)), 1.0, (t + 1, skip))]

    return (0, ()), choose, lambda state: state[0] >= len(plan)


def ref_gumbel_annealed(sizes, tau, n, num_iter=None):
    """MaskGIT: Gumbel-top-k with the temperature ``maskgit_choice_temperature(t, num_iter)``."""
    num_iter = num_iter or len(sizes)

    def choose(assign, cond, t):
        cands = masked_of(assign, n)
        if sizes[t] == len(cands):
            return [(tuple(cands), 1.0)]
        temp = float(_upstream().maskgit_choice_temperature(t, num_iter, tau))
        return ref_gumbel(sizes, temp, n)(assign, cond, t)

    return choose
