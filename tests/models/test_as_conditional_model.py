"""Every model that can give full conditionals works everywhere (issue 27): ``as_conditional_model``
and the ``n`` a sampler infers, checked against the exact conditionals of the same law.

The stand-in for a ``from_torch`` model here is a scored NumPy model with a ``log_probs`` method
(what ``TorchModel`` has); the torch models themselves are in test_torch_path.py (slow job).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import mdmjax as mdm

N, V = 3, 2


def _law(seed=0):
    p = np.random.default_rng(seed).dirichlet(np.ones(V**N)).reshape((V,) * N)
    return mdm.Distribution.from_probs(p)


def _exact_table(d):
    """The oracle: ``log p(x_i = . | y)`` by summing the table (no mdmjax model code)."""
    p = np.asarray(d.probs)

    def log_probs(y):
        y = np.asarray(y)
        out = np.zeros(y.shape + (V,))
        for b, row in enumerate(y):
            for i in range(N):
                sel = tuple(
                    slice(None) if (row[j] == V or j == i) else int(row[j]) for j in range(N)
                )
                sub = p[sel]  # axes: the masked positions and i
                axes_kept = [j for j in range(N) if row[j] == V or j == i]
                k = axes_kept.index(i)
                marg = np.moveaxis(sub, k, 0).reshape(V, -1).sum(1)
                out[b, i] = np.log(marg / marg.sum())
        return out

    return log_probs


def _scored_with_table(d, name="stand-in"):
    table = _exact_table(d)

    def scored(y, x):
        lp = table(y)
        lpx = np.take_along_axis(lp, np.asarray(x)[..., None], -1)[..., 0]
        return lpx, -(np.exp(lp) * lp).sum(-1)

    m = mdm.models.from_callable(scored, num_values=V, output="scored", traceable=False, name=name)
    m.log_probs = table  # what from_torch models have
    return m


def test_scored_model_with_a_table_is_the_exact_model():
    d = _law()
    m = mdm.models.as_conditional_model(_scored_with_table(d), n=N)
    assert (m.output, m.traceable, m.n, m.name) == ("log_probs", False, N, "stand-in")
    y = np.array([[0, V, V], [V, V, V], [1, 0, V]])
    got = np.asarray(m.conditionals(y))
    with jax.enable_x64(True):
        want = np.asarray(mdm.models.from_distribution(d).conditionals(jnp.asarray(y)))
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


@pytest.mark.slow  # the tree walk compiles per policy kind around a host callback: ~10 s
def test_evaluate_policy_and_frontier_take_a_scored_model_with_a_table():
    d = _law(1)
    m = _scored_with_table(d)  # n open: taken from the law
    for pol in (mdm.policies.random((1, 2)), mdm.policies.confidence((2, 1))):
        got = mdm.evaluate_policy(d, pol, model=m)
        want = mdm.evaluate_policy(d, pol)  # the truth: the table is exact
        assert abs(got.kl - want.kl) < 1e-10
        np.testing.assert_allclose(got.probs, want.probs, rtol=0, atol=1e-12)
    fr = mdm.policies.policy_frontier(d, ["confidence"], [3], model=m)
    ref = mdm.policies.policy_frontier(d, ["confidence"], [3])
    assert len(fr.points) == len(ref.points) > 0
    for a, b in zip(fr.points, ref.points, strict=True):
        assert abs(a.kl - b.kl) < 1e-10


def test_sample_takes_a_scored_model_with_a_table_and_infers_n():
    d = _law(2)
    m = _scored_with_table(d)
    x, lp = mdm.sample(m, (N,), key=3, num_samples=50, return_log_prob=True)
    assert x.shape == (50, N)
    # one step from all-masked: log nu_B(x) = sum_i log p(x_i)  (the marginals)
    p = np.asarray(d.probs)
    marg = [p.sum(axis=tuple(j for j in range(N) if j != i)) for i in range(N)]
    want = sum(np.log(marg[i][x[:, i]]) for i in range(N))
    np.testing.assert_allclose(lp, want, rtol=0, atol=1e-12)


def test_sample_infers_n_from_sizes_schedules_and_policies():
    uniform = lambda y: np.full(y.shape + (3,), 1 / 3)  # noqa: E731
    m = mdm.models.from_callable(uniform, num_values=3, output="probs", traceable=False)
    x, lp = mdm.sample(m, (2, 2), key=0, num_samples=5, return_log_prob=True)
    assert x.shape == (5, 4) and np.all((x >= 0) & (x < 3))
    np.testing.assert_allclose(lp, 4 * math.log(1 / 3), rtol=0, atol=1e-12)
    assert mdm.sample(
        m, mdm.schedules.binomial(5, [0.5, 0.5, 1.0]), key=0, num_samples=2
    ).shape == (2, 5)
    assert mdm.sample(m, mdm.policies.confidence((1, 2)), key=0, num_samples=2).shape == (2, 3)
    prompt = np.array([1, 3, 3])
    xp = mdm.sample(m, (2,), key=0, num_samples=3, prompt=prompt)
    assert xp.shape == (3, 3) and np.all(xp[:, 0] == 1)
    with pytest.raises(ValueError, match="^model: .*does not fix n"):
        mdm.sample(m, mdm.policies.threshold(0.9), key=0)


def test_a_model_with_only_scores_is_told_what_to_pass():
    scored = mdm.models.from_callable(
        lambda y, x: (np.zeros(y.shape), np.zeros(y.shape)),
        num_values=2,
        output="scored",
        traceable=False,
        n=2,
        name="ce-head",
    )
    msg = r"^model: ce-head is a scored model .*output='log_probs'.*from_torch"
    with pytest.raises(ValueError, match=msg):
        mdm.models.as_conditional_model(scored)
    with pytest.raises(ValueError, match=msg):
        mdm.sample(scored, (1, 1))
    d = mdm.Distribution.from_probs(np.full((2, 2), 0.25))
    with pytest.raises(ValueError, match=msg):
        mdm.evaluate_policy(d, mdm.policies.random((1, 1)), model=scored)


def test_n_checks_and_pass_through():
    d = _law()
    exact = mdm.models.from_distribution(d)
    for same in (
        mdm.models.as_conditional_model(exact),
        mdm.models.as_conditional_model(exact, n=N),
    ):
        assert type(same) is type(exact) and np.array_equal(same.ext, exact.ext)
    assert type(mdm.models.as_conditional_model(d)).__name__ == "DistributionModel"
    with pytest.raises(ValueError, match="^model: DistributionModel answers for n = 3, not n = 4"):
        mdm.models.as_conditional_model(exact, n=4)
    with pytest.raises(ValueError, match="^n: "):
        mdm.models.as_conditional_model(exact, n=0)
    with pytest.raises(ValueError, match="^fn: expected an mdmjax model"):
        mdm.models.as_conditional_model(len, argument="fn")
    open_n = mdm.models.from_callable(lambda y: jnp.zeros(y.shape + (2,)), num_values=2)
    fixed = mdm.models.as_conditional_model(open_n, n=5)
    assert fixed.n == 5 and fixed.fn is open_n.fn and open_n.n is None
