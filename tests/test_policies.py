"""Exact evaluation of unmasking policies against independent references.

The reference below is a plain-Python recursion over partial assignments: conditionals by summing
the numpy table, each policy's semantics written out from the issue text (greedy top-s with ties
within 1e-12 to the lower index, Fast-dLLM threshold, EB-sampler, semi-autoregressive blocks,
Plackett–Luce by summing over orderings). It shares no code with mdmjax.evaluate.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mdmjax as mdm
from mdmjax import policies as P

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


def compositions(n):
    out = []
    for cut in itertools.product([0, 1], repeat=n - 1):
        sizes, run = [], 1
        for c in cut:
            if c:
                sizes.append(run)
                run = 1
            else:
                run += 1
        sizes.append(run)
        out.append(tuple(sizes))
    return out


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
# Random order and fixed orders against the core's enumeration
# ------------------------------------------------------------------------------------------------
@settings(max_examples=12)
@given(
    seed=st.integers(0, 2**31),
    kind=st.sampled_from(["dirichlet", "sparse"]),
    sizes=st.sampled_from(compositions(4)),
)
def test_random_equals_mixture_kl(seed, kind, sizes):
    d = make_law((2, 2, 2, 2), seed, kind)
    r = mdm.evaluate_policy(d, P.random(sizes))
    assert abs(r.kl - mdm.exact_kl(d, sizes, kind="mixture")) < 1e-10
    assert r.expected_steps == pytest.approx(len(sizes), abs=1e-12)
    assert r.factorization == pytest.approx(mdm.expected_kl(d, sizes), abs=1e-12)
    assert r.expected_kl >= r.kl - 1e-12  # convexity: mixture KL <= expected KL


def test_random_mixed_alphabets_against_reference():
    d = make_law((3, 2, 3), 5)
    for sizes in [(1, 2), (2, 1), (1, 1, 1), (3,)]:
        r = mdm.evaluate_policy(d, P.random(sizes))
        assert_law(r, ref_walk(np.asarray(d.probs), ref_random(sizes, 3)))
        assert abs(r.kl - mdm.exact_kl(d, sizes, kind="mixture")) < 1e-10


@settings(max_examples=12)
@given(
    seed=st.integers(0, 2**31),
    perm=st.permutations(range(4)),
    sizes=st.sampled_from(compositions(4)),
    kind=st.sampled_from(["dirichlet", "sparse"]),
)
def test_fixed_order_equals_partition_kl(seed, perm, sizes, kind):
    d = make_law((2, 2, 2, 2), seed, kind)
    pol = P.fixed_order(perm, sizes)
    r = mdm.evaluate_policy(d, pol)
    assert abs(r.kl - mdm.partition_kl(d, pol.blocks())) < 1e-10
    assert r.factorization == pytest.approx(r.kl, abs=1e-10)
    assert r.learning == 0.0
    np.testing.assert_allclose(r.steps_distribution, np.eye(5)[len(sizes)], atol=1e-12)


def test_dilated_blocks_and_order():
    assert P.dilated_blocks(8) == ((0, 4), (2, 6), (1, 3, 5, 7))
    assert P.dilated_blocks(12) == ((0, 6), (3, 9), (1, 2, 4, 5, 7, 8, 10, 11))
    assert P.dilated_blocks(9, base=3) == ((0, 3, 6), (1, 2, 4, 5, 7, 8))
    assert P.dilated_blocks(1) == ((0,),)
    assert P.dilated_blocks(5) == ((0, 2, 4), (1, 3))
    for n in range(1, 20):
        for base in (2, 3):
            flat = [i for b in P.dilated_blocks(n, base) for i in b]
            assert sorted(flat) == list(range(n))
    d = make_law((2, 2, 2, 2), 3)
    r = mdm.evaluate_policy(d, P.dilated(4))
    assert abs(r.kl - mdm.partition_kl(d, P.dilated_blocks(4))) < 1e-10


# ------------------------------------------------------------------------------------------------
# Adaptive policies against the reference
# ------------------------------------------------------------------------------------------------
@settings(max_examples=10)
@given(
    seed=st.integers(0, 2**31),
    kind=st.sampled_from(["dirichlet", "sparse", "exchangeable"]),
    score=st.sampled_from(["confidence", "margin", "entropy"]),
    sizes=st.sampled_from(compositions(4)),
)
def test_rank_policies_match_reference(seed, kind, score, sizes):
    d = make_law((2, 2, 2, 2), seed, kind)
    r = mdm.evaluate_policy(d, getattr(P, score)(sizes))
    assert_law(r, ref_walk(np.asarray(d.probs), ref_rank(score, sizes, 4)))


@pytest.mark.parametrize("kind", ["dirichlet", "sparse", "exchangeable"])
def test_rank_policies_mixed_alphabets(kind):
    d = make_law((3, 2, 3), 11, kind)
    for score in ("confidence", "margin", "entropy"):
        for sizes in [(1, 2), (2, 1), (1, 1, 1)]:
            r = mdm.evaluate_policy(d, getattr(P, score)(sizes))
            assert_law(r, ref_walk(np.asarray(d.probs), ref_rank(score, sizes, 3)))


@settings(max_examples=10)
@given(
    seed=st.integers(0, 2**31),
    kind=st.sampled_from(["dirichlet", "sparse", "exchangeable"]),
    tau=st.sampled_from([0.0, 0.55, 0.7, 0.85, 0.97, 1.0]),
    gamma=st.sampled_from([0.0, 0.05, 0.3, 1.0, 5.0]),
)
def test_threshold_and_entropy_bound_match_reference(seed, kind, tau, gamma):
    d = make_law((2, 2, 2, 2), seed, kind)
    p = np.asarray(d.probs)
    assert_law(mdm.evaluate_policy(d, P.threshold(tau)), ref_walk(p, ref_threshold(tau, 4)))
    assert_law(
        mdm.evaluate_policy(d, P.entropy_bound(gamma)), ref_walk(p, ref_entropy_bound(gamma, 4))
    )


def test_threshold_and_entropy_bound_mixed_alphabets():
    d = make_law((3, 2, 3), 2)
    p = np.asarray(d.probs)
    for tau in (0.4, 0.6, 0.9):
        assert_law(mdm.evaluate_policy(d, P.threshold(tau)), ref_walk(p, ref_threshold(tau, 3)))
    for gamma in (0.0, 0.4, 2.0):
        assert_law(
            mdm.evaluate_policy(d, P.entropy_bound(gamma)),
            ref_walk(p, ref_entropy_bound(gamma, 3)),
        )


@settings(max_examples=8)
@given(
    seed=st.integers(0, 2**31),
    kind=st.sampled_from(["dirichlet", "sparse", "exchangeable"]),
    score=st.sampled_from(["confidence", "margin", "entropy"]),
    L=st.sampled_from([1, 2, 3, 4]),
    k=st.integers(2, 4),
)
def test_semi_autoregressive_budget_split_matches_reference(seed, kind, score, L, k):
    n = 4
    d = make_law((2,) * n, seed, kind)
    sizes = P.uniform_sizes(n, k)
    if k < math.ceil(n / L):
        with pytest.raises(ValueError, match="inner"):
            mdm.evaluate_policy(d, P.semi_autoregressive(L, getattr(P, score)(sizes)))
        return
    r = mdm.evaluate_policy(d, P.semi_autoregressive(L, getattr(P, score)(sizes)))
    assert_law(r, ref_walk(np.asarray(d.probs), ref_semi_ar_rank(score, L, sizes, n)))


def test_semi_autoregressive_adaptive_inner_matches_reference():
    for seed, kind in [(1, "dirichlet"), (2, "sparse"), (3, "exchangeable")]:
        d = make_law((2, 2, 2, 2, 2), seed, kind)
        p = np.asarray(d.probs)
        for L in (2, 3):
            r = mdm.evaluate_policy(d, P.semi_autoregressive(L, P.threshold(0.7)))
            assert_law(r, ref_walk(p, ref_threshold(0.7, 5, current_block(L))))
            r = mdm.evaluate_policy(d, P.semi_autoregressive(L, P.entropy_bound(0.4)))
            assert_law(r, ref_walk(p, ref_entropy_bound(0.4, 5, current_block(L))))


def test_semi_autoregressive_steps_beyond_what_remains():
    d = make_law((2, 2, 2, 2), 9)
    p = np.asarray(d.probs)
    # Per-block schedule (sizes sum to L = 3): the short last block {3} takes min(2, 1) = 1
    # position, then it is full and the step of size 1 is dropped: 2 + 1 = 3 steps in all.
    r = mdm.evaluate_policy(d, P.semi_autoregressive(3, P.confidence((2, 1))))
    assert r.expected_steps == pytest.approx(3.0, abs=1e-12)
    assert_law(r, ref_walk(p, ref_semi_ar_rank("confidence", 3, (2, 1), 4)))
    # Budget split (sizes sum to n = 4, k = 4 steps over 2 blocks = 2 + 2): the last block has
    # one position, so one of its steps is dropped: 3 steps, sizes (2, 1) then (1).
    r = mdm.evaluate_policy(d, P.semi_autoregressive(3, P.confidence((1, 1, 1, 1))))
    assert r.expected_steps == pytest.approx(3.0, abs=1e-12)
    assert_law(r, ref_walk(p, ref_semi_ar_rank("confidence", 3, (1, 1, 1, 1), 4)))
    # Remainder of the budget goes to the first blocks: k = 3 over 2 blocks of 2 -> 2 + 1.
    r = mdm.evaluate_policy(d, P.semi_autoregressive(2, P.confidence((2, 1, 1))))
    assert_law(r, ref_walk(p, ref_semi_ar_rank("confidence", 2, (2, 1, 1), 4)))
    assert ref_semi_ar_schedule(4, 2, (2, 1, 1)) == [(0, 2, 1), (0, 2, 1), (2, 4, 2)]
    # One block: the inner policy itself.
    one = mdm.evaluate_policy(d, P.semi_autoregressive(4, P.margin((3, 1))))
    np.testing.assert_allclose(
        one.probs, mdm.evaluate_policy(d, P.margin((3, 1))).probs, atol=1e-15
    )


def test_semi_autoregressive_fixed_and_random_inner():
    d = make_law((2,) * 5, 4)
    # DUS inside blocks of 4: dilated(4) = {0,2}, {1,3}; the short last block {4} keeps the
    # restriction of that order to its first position: {4}, and its empty step is dropped.
    pol = P.semi_autoregressive(4, P.dilated(4))
    r = mdm.evaluate_policy(d, pol)
    blocks = ((0, 2), (1, 3), (4,))
    assert r.expected_steps == pytest.approx(3.0)
    assert abs(r.kl - mdm.partition_kl(d, blocks)) < 1e-10
    assert r.factorization == pytest.approx(r.kl, abs=1e-10)
    # Random inside blocks = the mixture over within-block orders.
    pol = P.semi_autoregressive(2, P.random((2, 1, 1, 1)))  # k = 4 over 3 blocks: 2, 1, 1
    sched = ref_semi_ar_schedule(5, 2, (2, 1, 1, 1))

    def choose(assign, cond, t):
        a, b, s = sched[t]
        cands = [i for i in masked_of(assign, 5) if a <= i < b]
        subsets = list(itertools.combinations(cands, s))
        return [(bb, 1.0 / len(subsets)) for bb in subsets]

    assert_law(mdm.evaluate_policy(d, pol), ref_walk(np.asarray(d.probs), choose))


@pytest.mark.parametrize("sizes", [(2, 2), (1, 3), (3, 1)])
def test_gumbel_confidence_matches_plackett_luce_reference(sizes):
    d = make_law((2, 2, 2, 2), 7)
    r = mdm.evaluate_policy(d, P.gumbel_confidence(sizes, 0.5))
    assert_law(r, ref_walk(np.asarray(d.probs), ref_gumbel(sizes, 0.5, 4)))


def test_gumbel_confidence_limits():
    d = make_law((2, 2, 2, 2), 8)
    cold = mdm.evaluate_policy(d, P.gumbel_confidence((2, 2), 1e-4))
    greedy_law = mdm.evaluate_policy(d, P.confidence((2, 2)))
    np.testing.assert_allclose(cold.probs, greedy_law.probs, atol=1e-9)


# ------------------------------------------------------------------------------------------------
# The tie rule
# ------------------------------------------------------------------------------------------------
def chain_law(c0, c1):
    """X0 ~ Ber(c0) independent of (X1, X2); X1 ~ Ber(c1); X2 copies X1 with prob 0.9;
    X3 a fair coin (confidence 0.5, never a contender)."""
    p0 = np.array([c0, 1 - c0])
    p1 = np.array([c1, 1 - c1])
    p21 = np.array([[0.9, 0.1], [0.1, 0.9]])
    p = p0[:, None, None] * p1[None, :, None] * p21[None, :, :]
    return mdm.Distribution.from_probs(p[..., None] * np.array([0.5, 0.5]))


@pytest.mark.parametrize(
    "c0, c1, first",
    [
        (0.7, 0.7, 0),  # an exact tie: lower index
        (0.7, 0.7 + 5e-13, 0),  # within 1e-12: still a tie, lower index even though c1 > c0
        (0.7 + 5e-13, 0.7, 0),
        (0.7, 0.7 + 1e-9, 1),  # a real difference: the higher confidence
        (0.7 + 1e-9, 0.7, 0),
    ],
)
def test_tie_rule(c0, c1, first):
    # Sizes (1, 3): whichever of 0 and 1 goes first, the other is drawn jointly with X2. Revealing
    # X0 first leaves X1, X2 (dependent) in one block; revealing X1 first costs nothing.
    d = chain_law(c0, c1)
    r = mdm.evaluate_policy(d, P.confidence((1, 3)))
    order = (0, 1, 2, 3) if first == 0 else (1, 0, 2, 3)
    expected = mdm.evaluate_policy(d, P.fixed_order(order, (1, 3)))
    np.testing.assert_allclose(r.probs, expected.probs, atol=1e-15)
    swapped = (1, 0, 2, 3) if first == 0 else (0, 1, 2, 3)
    other = mdm.evaluate_policy(d, P.fixed_order(swapped, (1, 3)))
    assert np.max(np.abs(r.probs - other.probs)) > 1e-3  # the two orders differ


def test_exact_ties_and_certain_tokens():
    # Repetition code: every position ties at the root (lowest index first), and after the first
    # reveal the rest are certain (confidence 1 >= tau = 1): exact in 2 steps.
    p = np.zeros((2, 2, 2, 2))
    p[0, 0, 0, 0] = p[1, 1, 1, 1] = 0.5
    d = mdm.Distribution.from_probs(p)
    r = mdm.evaluate_policy(d, P.threshold(1.0))
    np.testing.assert_allclose(r.probs, p, atol=1e-15)
    assert r.expected_steps == pytest.approx(2.0)
    # A law where only position 3 is informative about the others once revealed: ties at the
    # root go to position 0, which the reference confirms.
    q = make_law((2, 2, 2, 2), 0, "exchangeable")
    for score in ("confidence", "margin", "entropy"):
        r = mdm.evaluate_policy(q, getattr(P, score)((1, 3)))
        assert_law(r, ref_walk(np.asarray(q.probs), ref_rank(score, (1, 3), 4)))
        first = mdm.evaluate_policy(q, P.fixed_order((0, 1, 2, 3), (1, 3)))
        np.testing.assert_allclose(r.probs, first.probs, atol=1e-15)


# ------------------------------------------------------------------------------------------------
# Learning error (THEORY.md §6)
# ------------------------------------------------------------------------------------------------
def brute_learning(p, q_hat, blocks):
    """sum_x p(x) sum_t sum_{i in B_t} log p(x_i | x_A) / q̂(x_i | x_A), by enumeration."""
    n = p.ndim
    total = 0.0
    for x in itertools.product(*[range(s) for s in p.shape]):
        if p[x] == 0:
            continue
        revealed = {}
        for block in blocks:
            cp = ref_conditionals(p, revealed)
            cq = ref_conditionals(q_hat, revealed)
            for i in block:
                total += p[x] * (math.log(cp[i][x[i]]) - math.log(cq[i][x[i]]))
            revealed.update({i: x[i] for i in block})
    assert len(revealed) == n
    return total


@pytest.mark.parametrize(
    "order, sizes", [((0, 1, 2, 3), (2, 2)), ((3, 1, 0, 2), (1, 3)), ((2, 0, 1, 3), (1, 1, 2))]
)
def test_decomposition_identity_fixed_order(order, sizes):
    d = make_law((2, 2, 2, 2), 21)
    q_hat = make_law((2, 2, 2, 2), 22)
    pol = P.fixed_order(order, sizes)
    models = [q_hat, mdm.models.tempered(d, 0.6), mdm.models.noisy(d, 0.5, seed=3)]
    if sizes == (2, 2):
        models += [mdm.models.product_approximation(d), mdm.models.markov_approximation(d)]
    for model in models:
        r = mdm.evaluate_policy(d, pol, model=model)
        assert abs(r.factorization + r.learning - r.kl) < 1e-10
        assert r.factorization == pytest.approx(mdm.partition_kl(d, pol.blocks()), abs=1e-10)
        assert r.learning >= -1e-12
    r = mdm.evaluate_policy(d, pol, model=q_hat)
    expected = brute_learning(np.asarray(d.probs), np.asarray(q_hat.probs), pol.blocks())
    assert r.learning == pytest.approx(expected, abs=1e-10)


def test_decomposition_identity_mixed_alphabets_and_dilated():
    d = make_law((3, 2, 3), 31)
    q_hat = make_law((3, 2, 3), 32)
    r = mdm.evaluate_policy(d, P.dilated(3), model=q_hat)
    assert abs(r.factorization + r.learning - r.kl) < 1e-10
    expected = brute_learning(np.asarray(d.probs), np.asarray(q_hat.probs), P.dilated_blocks(3))
    assert r.learning == pytest.approx(expected, abs=1e-10)


@pytest.mark.parametrize("sizes", [(2, 2), (1, 3), (1, 1, 2)])
def test_random_order_expected_decomposition(sizes):
    d = make_law((2, 2, 2, 2), 41)
    q_hat = make_law((2, 2, 2, 2), 42)
    r = mdm.evaluate_policy(d, P.random(sizes), model=q_hat)
    # Enumerate the ordered partitions: the mean KL is the expected KL, and the mean law is the
    # sampler's output law (the mixture).
    kls, laws = [], []
    seen = set()
    for perm in itertools.permutations(range(4)):
        pol = P.fixed_order(perm, sizes)
        key = tuple(frozenset(b) for b in pol.blocks())
        if key in seen:
            continue
        seen.add(key)
        e = mdm.evaluate_policy(d, pol, model=q_hat)
        kls.append(e.kl)
        laws.append(e.probs)
    assert r.expected_kl == pytest.approx(np.mean(kls), abs=1e-10)
    assert r.factorization == pytest.approx(mdm.expected_kl(d, sizes), abs=1e-12)
    assert abs(r.factorization + r.learning - r.expected_kl) < 1e-12
    np.testing.assert_allclose(r.probs, np.mean(laws, axis=0), atol=1e-12)


def test_models_reduce_to_truth():
    d = make_law((2, 2, 2, 2), 51)
    truth = mdm.evaluate_policy(d, P.confidence((2, 1, 1)))
    for model in (d, mdm.models.tempered(d, 1.0), mdm.models.noisy(d, 0.0, seed=1)):
        r = mdm.evaluate_policy(d, P.confidence((2, 1, 1)), model=model)
        np.testing.assert_allclose(r.probs, truth.probs, atol=1e-13)
    a = mdm.evaluate_policy(d, P.entropy((2, 2)), model=mdm.models.noisy(d, 1.0, seed=1))
    b = mdm.evaluate_policy(d, P.entropy((2, 2)), model=mdm.models.noisy(d, 1.0, seed=1))
    c = mdm.evaluate_policy(d, P.entropy((2, 2)), model=mdm.models.noisy(d, 1.0, seed=2))
    np.testing.assert_array_equal(a.probs, b.probs)
    assert np.max(np.abs(a.probs - c.probs)) > 1e-6


def test_model_conditionals_and_approximations():
    d = make_law((3, 2, 3), 61)
    p = np.asarray(d.probs)
    y = np.array([[3, 2, 3], [1, 2, 3], [0, 1, 3], [2, 2, 0]], dtype=np.int32)
    cond = np.asarray(mdm.models.from_distribution(d).conditionals(y))
    for row, yy in enumerate(y):
        assign = {i: int(v) for i, v in enumerate(yy) if v < d.shape[i]}
        ref = ref_conditionals(p, assign)
        for i in range(3):
            if i in assign:
                assert np.all(cond[row, i] == 0)
            else:
                np.testing.assert_allclose(cond[row, i, : d.shape[i]], ref[i], atol=1e-15)
    hot = np.asarray(mdm.models.tempered(d, 0.5).conditionals(y[:1]))[0, 0]
    ref = ref_conditionals(p, {})[0] ** 2
    np.testing.assert_allclose(hot, ref / ref.sum(), atol=1e-14)
    prod = np.asarray(mdm.models.product_approximation(d).probs)
    marg = [p.sum(axis=tuple(a for a in range(3) if a != i)) for i in range(3)]
    np.testing.assert_allclose(prod, np.einsum("a,b,c->abc", *marg), atol=1e-15)
    markov = np.asarray(mdm.models.markov_approximation(d).probs)
    p01, p12, p1 = p.sum(axis=2), p.sum(axis=0), p.sum(axis=(0, 2))
    np.testing.assert_allclose(
        markov, p01[:, :, None] * p12[None, :, :] / p1[None, :, None], atol=1e-15
    )


def test_callable_model():
    d = make_law((2, 2, 2, 2), 71)
    base = mdm.models.from_distribution(make_law((2, 2, 2, 2), 72))
    pol = P.fixed_order((0, 1, 2, 3), (1, 3))
    r = mdm.evaluate_policy(d, pol, model=base.conditionals)
    s = mdm.evaluate_policy(d, pol, model=base)
    np.testing.assert_allclose(r.probs, s.probs, atol=1e-15)
    assert abs(r.factorization + r.learning - r.kl) < 1e-10


# ------------------------------------------------------------------------------------------------
# Results and bad input
# ------------------------------------------------------------------------------------------------
def test_result_fields():
    d = make_law((2, 2, 2, 2), 81)
    r = mdm.evaluate_policy(d, P.entropy_bound(0.2))
    assert r.probs.shape == d.shape
    assert r.steps_distribution.shape == (5,)
    assert r.steps_distribution.sum() == pytest.approx(1.0, abs=1e-12)
    assert r.expected_steps == pytest.approx(np.dot(np.arange(5), r.steps_distribution))
    assert 1 <= r.expected_steps <= 4
    assert r.tv == pytest.approx(0.5 * np.abs(r.probs - np.asarray(d.probs)).sum())
    assert r.factorization is None and r.learning is None
    one = mdm.evaluate_policy(d, P.confidence((4,)))
    product = np.einsum("a,b,c,d->abcd", *[np.asarray(d.marginal([i])) for i in range(4)])
    np.testing.assert_allclose(one.probs, product, atol=1e-15)
    # A model that never proposes a value of positive probability: infinite KL, not NaN.
    zero = np.zeros((2, 2, 2, 2))
    zero[0, 0, 0, 0] = 1.0
    r = mdm.evaluate_policy(d, P.confidence((1, 1, 1, 1)), model=mdm.Distribution.from_probs(zero))
    assert r.kl == math.inf


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: P.random(()), "sizes"),
        (lambda: P.random((0, 2)), "sizes"),
        (lambda: P.confidence((1.5, 2)), "sizes"),
        (lambda: P.margin("ab"), "sizes"),
        (lambda: P.fixed_order((0, 0, 1), (3,)), "order"),
        (lambda: P.fixed_order((0, 1, 2), (2, 2)), "sizes"),
        (lambda: P.threshold(1.5), "tau"),
        (lambda: P.threshold(float("nan")), "tau"),
        (lambda: P.entropy_bound(-0.1), "gamma"),
        (lambda: P.entropy_bound(float("inf")), "gamma"),
        (lambda: P.gumbel_confidence((2,), 0.0), "temperature"),
        (lambda: P.semi_autoregressive(0, P.threshold(0.5)), "block_length"),
        (lambda: P.semi_autoregressive(2, "confidence"), "inner"),
        (lambda: P.semi_autoregressive(2, P.semi_autoregressive(1, P.threshold(0.5))), "inner"),
        (lambda: P.semi_autoregressive(2, P.dilated(4)), "inner"),
        (lambda: P.dilated(0), "n"),
        (lambda: P.dilated(4, base=1), "base"),
        (lambda: mdm.models.tempered(make_law((2, 2), 1), 0.0), "temperature"),
        (lambda: mdm.models.noisy(make_law((2, 2), 1), -1.0), "scale"),
        (lambda: mdm.models.noisy(make_law((2, 2), 1), 1.0, seed="x"), "seed"),
    ],
)
def test_bad_policy_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_evaluation_arguments():
    d = make_law((2, 2, 2, 2), 91)
    with pytest.raises(ValueError, match="sizes: step sizes sum to 2, but n = 4"):
        mdm.evaluate_policy(d, P.confidence((1, 1)))
    with pytest.raises(ValueError, match="sizes"):
        mdm.evaluate_policy(d, P.random((3, 3)))
    with pytest.raises(ValueError, match="policy"):
        mdm.evaluate_policy(d, P.fixed_order((0, 1, 2), (3,)))
    with pytest.raises(ValueError, match="policy"):
        mdm.evaluate_policy(d, "confidence")
    with pytest.raises(ValueError, match="d:"):
        mdm.evaluate_policy(np.asarray(d.probs), P.threshold(0.5))
    with pytest.raises(ValueError, match="model"):
        mdm.evaluate_policy(d, P.threshold(0.5), model=make_law((2, 2, 2), 1))
    with pytest.raises(ValueError, match="model"):
        mdm.evaluate_policy(d, P.threshold(0.5), model=42)
    with pytest.raises(ValueError, match="inner"):  # 2 steps cannot cover 4 blocks
        mdm.evaluate_policy(d, P.semi_autoregressive(1, P.confidence((2, 2))))
    with pytest.raises(ValueError, match="inner"):  # sums to neither L = 3 nor n = 4
        mdm.evaluate_policy(d, P.semi_autoregressive(3, P.confidence((1, 1))))


def test_policy_metadata():
    assert P.threshold(0.9).adaptive and not P.threshold(0.9).stochastic
    assert P.random((1, 1)).stochastic and P.random((1, 1)).steps == 2
    assert P.semi_autoregressive(2, P.entropy_bound(0.1)).adaptive
    assert P.fixed_order((1, 0, 2), (1, 2)).blocks() == ((1,), (0, 2))
    assert P.uniform_sizes(7, 3) == (3, 2, 2)
    assert P.confidence([2, 2]) == P.confidence((2, 2))
    labels = {
        P.random((1,)).label,
        P.dilated(4).label,
        P.threshold(0.5).label,
        P.semi_autoregressive(2, P.margin((1, 1))).label,
    }
    assert len(labels) == 4
    with pytest.raises(ValueError, match="k"):
        P.uniform_sizes(2, 3)


def test_steps_law_counts_oracle_calls():
    d = make_law((2, 2, 2, 2, 2), 101)
    _, steps = ref_walk(np.asarray(d.probs), ref_threshold(0.6, 5))
    r = mdm.evaluate_policy(d, P.threshold(0.6))
    np.testing.assert_allclose(r.steps_distribution, steps, atol=1e-12)
    assert r.steps_distribution[0] == 0.0
