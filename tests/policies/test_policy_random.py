"""Random-order and randomized (Gumbel) policies: the mixture law, against exact_kl and the
plain-Python reference."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mdmjax as mdm
from mdmjax import policies as P
from tests.policy_reference import (
    assert_law,
    make_law,
    masked_of,
    ref_gumbel,
    ref_random,
    ref_semi_ar_schedule,
    ref_walk,
)
from tests.reference import all_compositions


@settings(max_examples=8)
@given(
    seed=st.integers(0, 2**31),
    kind=st.sampled_from(["dirichlet", "sparse"]),
    sizes=st.sampled_from(all_compositions(4)),
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
