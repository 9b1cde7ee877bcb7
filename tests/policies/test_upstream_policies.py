"""The practitioners' adaptive rules against the plain-Python reference (tests/policy_reference.py),
whose counts come from the upstream transcriptions in tests/upstream/upstream_reference.py.

Upstream snapshots: OpenDLM DUS ``Jianguo99/OpenDLM@a4088d1``
``opendlm/sampler/scheduler/dus.py``; EB ``Jianguo99/OpenDLM@3b81d45``
``opendlm/sampler/scheduler/eb.py``; factor ``NVlabs/Fast-dLLM@f6b35ec``
``llada/generate.py::get_transfer_index_dynamic``; Dream confidence threshold
``NVlabs/Fast-dLLM@24cc59e`` ``dream/model/generation_utils.py::_sample``; MaskGIT
``google-research/maskgit@1db2359`` ``maskgit/libml/parallel_decode.py::decode``.
"""

from __future__ import annotations

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
    ref_dilated_skip,
    ref_eb,
    ref_factor,
    ref_gumbel_annealed,
    ref_threshold_quota,
    ref_walk,
    ref_walk_stateful,
)
from tests.upstream import upstream_reference as U


# ------------------------------------------------------------------------------------------------
# DUS blocks (OpenDLM's merge rule)
# ------------------------------------------------------------------------------------------------
def _check_dus(n_max):
    for base in (2, 3, 4):
        for n in range(2, n_max + 1):
            want = tuple(tuple(sorted(g)) for g in U.dus_blocks(n, float(base)) if g)
            assert P.dilated_blocks(n, base) == want, (n, base)


def test_dilated_blocks_follow_opendlm_merge_rule():
    """OpenDLM@a4088d1 ``DetailedUnmaskingScheduler._precompute_transfer_indices``: the boundary
    cases are a smaller last round merged into the one before (n = 7, 23 base 3; n = 9 base 4),
    and 243 = 3^5, where the float log ratio gives one round too many (an empty one, merged)."""
    assert [len(b) for b in P.dilated_blocks(7, 3)] == [7]
    assert [len(b) for b in P.dilated_blocks(23, 3)] == [4, 19]
    assert [len(b) for b in P.dilated_blocks(9, 4)] == [9]
    assert [len(b) for b in P.dilated_blocks(243, 3)] == [3, 6, 18, 54, 162]
    assert U.dus_counts(1) == () and P.dilated_blocks(1) == ((0,),)  # upstream never reveals
    _check_dus(128)


@pytest.mark.slow
def test_dilated_blocks_full_grid():
    _check_dus(1024)


# ------------------------------------------------------------------------------------------------
# Adaptive rules: exact output law against the reference
# ------------------------------------------------------------------------------------------------
LAWS = st.sampled_from(["dirichlet", "sparse", "exchangeable"])


@settings(max_examples=8)
@given(seed=st.integers(0, 2**31), kind=LAWS, f=st.sampled_from([0.3, 1.0, 2.0]))
def test_factor_matches_reference(seed, kind, f):
    d = make_law((2, 2, 2, 2), seed, kind)
    ref = ref_walk(np.asarray(d.probs), ref_factor(f, 4))
    assert_law(mdm.evaluate_policy(d, P.factor(f)), ref)


def test_factor_mixed_alphabets_and_blocks():
    d = make_law((3, 2, 3), 4)
    assert_law(
        mdm.evaluate_policy(d, P.factor(1.0)), ref_walk(np.asarray(d.probs), ref_factor(1.0, 3))
    )
    d = make_law((2, 2, 2, 2, 2), 5)
    r = mdm.evaluate_policy(d, P.semi_autoregressive(2, P.factor(0.5)))
    assert_law(r, ref_walk(np.asarray(d.probs), ref_factor(0.5, 5, current_block(2))))


@settings(max_examples=8)
@given(
    seed=st.integers(0, 2**31),
    kind=LAWS,
    by=st.sampled_from(P.EB_ORDERS),
    gamma=st.sampled_from([0.0, 0.2, 0.8]),
)
def test_entropy_bound_orders_match_reference(seed, kind, by, gamma):
    d = make_law((2, 2, 2, 2), seed, kind)
    r = mdm.evaluate_policy(d, P.entropy_bound(gamma, order=by))
    assert_law(r, ref_walk(np.asarray(d.probs), ref_eb(gamma, 4, by)))


@settings(max_examples=8)
@given(
    seed=st.integers(0, 2**31),
    kind=LAWS,
    steps=st.sampled_from([1, 2, 4]),
    tau=st.sampled_from([0.5, 0.7, 0.9]),
)
def test_threshold_quota_matches_the_literal_loop(seed, kind, steps, tau):
    d = make_law((2, 2, 2, 2), seed, kind)
    ref = ref_walk_stateful(np.asarray(d.probs), *ref_threshold_quota(steps, tau, 4))
    assert_law(mdm.evaluate_policy(d, P.threshold_quota(steps, tau)), ref)


def test_threshold_quota_mixed_alphabets():
    d = make_law((3, 2, 3, 2), 7)
    for steps in (1, 2, 4):
        ref = ref_walk_stateful(np.asarray(d.probs), *ref_threshold_quota(steps, 0.6, 4))
        assert_law(mdm.evaluate_policy(d, P.threshold_quota(steps, 0.6)), ref)


@settings(max_examples=8)
@given(
    seed=st.integers(0, 2**31),
    kind=LAWS,
    n=st.sampled_from([4, 5]),
    tau=st.sampled_from([0.55, 0.7, 0.9]),
)
def test_dilated_skip_matches_reference(seed, kind, n, tau):
    d = make_law((2,) * n, seed, kind)
    ref = ref_walk_stateful(np.asarray(d.probs), *ref_dilated_skip(n, 2, tau))
    r = mdm.evaluate_policy(d, P.dilated(n, threshold=tau))
    assert_law(r, ref)
    assert r.factorization is None  # the realized blocks are random


@pytest.mark.parametrize("sizes, num_iter", [((1, 2, 1), None), ((2, 2), None), ((1, 1, 2), 5)])
def test_annealed_gumbel_matches_reference(sizes, num_iter):
    d = make_law((2, 2, 2, 2), 11)
    pol = P.gumbel_confidence(sizes, 4.5, anneal="maskgit", num_iter=num_iter)
    ref = ref_walk(np.asarray(d.probs), ref_gumbel_annealed(sizes, 4.5, 4, num_iter))
    assert_law(mdm.evaluate_policy(d, pol), ref)
    # annealing changes the law (the constant temperature is a different sampler)
    const = mdm.evaluate_policy(d, P.gumbel_confidence(sizes, 4.5))
    assert np.abs(const.probs - ref[0]).max() > 1e-6


def test_new_policy_arguments_and_metadata():
    assert P.factor(1.0).adaptive and P.threshold_quota(2).adaptive
    assert not P.dilated(8, threshold=0.9).adaptive
    assert P.dilated(8, threshold=0.0) == P.dilated(8)
    assert P.entropy_bound(0.1).label == "entropy_bound(0.1)"
    d = make_law((2, 2, 2), 1)
    with pytest.raises(ValueError, match="^policy: threshold_quota"):
        mdm.evaluate_policy(d, P.threshold_quota(2))
    for make, arg in [
        (lambda: P.factor(0.0), "f"),
        (lambda: P.threshold_quota(0), "steps"),
        (lambda: P.threshold_quota(2, 1.5), "tau"),
        (lambda: P.entropy_bound(0.1, order="nope"), "order"),
        (lambda: P.dilated(4, threshold=2.0), "threshold"),
        (lambda: P.gumbel_confidence((1, 1), 1.0, anneal="x"), "anneal"),
        (lambda: P.gumbel_confidence((1, 1), 1.0, anneal="maskgit", num_iter=1), "num_iter"),
        (lambda: P.gumbel_confidence((1, 1), 1.0, num_iter=3), "num_iter"),
        (lambda: P.semi_autoregressive(2, P.threshold_quota(2)), "inner"),
        (lambda: P.semi_autoregressive(2, P.dilated(2, threshold=0.5)), "inner"),
    ]:
        with pytest.raises(ValueError, match=f"^{arg}:"):
            make()


def test_practice_policies_catalogue():
    d = make_law((2, 2, 2, 2), 3)
    cat = P.practice_policies(4)
    assert len(cat) == 12
    for name, entry in cat.items():
        pol = entry if isinstance(entry, P.Policy) else entry(2)
        r = mdm.evaluate_policy(d, pol)
        assert abs(r.probs.sum() - 1) < 1e-12 and r.expected_steps >= 1, name
    assert cat["EB margin 0.1"] == P.entropy_bound(0.1, order="margin")
    assert cat["MaskGIT Gumbel (cosine, tau 4.5, annealed)"](3).anneal_steps == 3
