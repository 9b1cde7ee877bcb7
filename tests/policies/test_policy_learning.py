"""Learning error (docs/theory.md §6) and conditional models."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import mdmjax as mdm
from mdmjax import policies as P
from tests.policy_reference import (
    make_law,
    ref_conditionals,
)


# ------------------------------------------------------------------------------------------------
# Learning error (docs/theory.md §6)
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
