"""Exact evaluation of deterministic unmasking policies against the plain-Python reference
(tests/policy_reference.py) and the core's partition_kl."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mdmjax as mdm
from mdmjax import policies as P
from tests.policy_reference import (
    assert_law,
    current_block,
    make_law,
    ref_entropy_bound,
    ref_rank,
    ref_semi_ar_rank,
    ref_semi_ar_schedule,
    ref_threshold,
    ref_walk,
)
from tests.reference import all_compositions


# ------------------------------------------------------------------------------------------------
# Random order and fixed orders against the core's enumeration
# ------------------------------------------------------------------------------------------------
@settings(max_examples=12)
@given(
    seed=st.integers(0, 2**31),
    perm=st.permutations(range(4)),
    sizes=st.sampled_from(all_compositions(4)),
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
    sizes=st.sampled_from(all_compositions(4)),
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
