"""sampler_frontier: every entry equals sampler_kl (and the exact tree walk) on the same rows."""

import math

import jax
import numpy as np
import pytest

import mdmjax as mdm
from mdmjax.calibrate import OptimalSizes


@pytest.fixture(scope="module")
def law():
    return mdm.families.dirichlet(jax.random.key(3), (2, 3, 2), alpha=0.7)


@pytest.mark.slow
def test_entries_equal_sampler_kl_and_the_exact_walk(law):
    P = mdm.policies
    plans = {
        "conf": P.confidence((1, 2)),
        "margin": P.margin((2, 1)),
        "random": (1, 1, 1),
        "dp": OptimalSizes(2),
    }
    f = mdm.calibrate.sampler_frontier(law, law, plans, batch_size=64)
    assert f.names == tuple(plans)
    curve = mdm.information_curve(law)
    best_dp = mdm.optimal_schedule(curve, 2)
    # on a law this small the DP sizes come from the exact curve: Theorem 4's optimum
    assert f.chosen["dp"] == (tuple(best_dp.sizes),)
    want = {
        "conf": mdm.evaluate_policy(law, P.confidence((1, 2))).kl,
        "margin": mdm.evaluate_policy(law, P.margin((2, 1))).kl,
        "random": mdm.exact_kl(law, (1, 1, 1), kind="mixture"),
        "dp": mdm.exact_kl(law, best_dp.sizes, kind="mixture"),
    }
    for name, plan in plans.items():
        got = f.result(name)
        assert got.exact and got.stderr == 0.0
        assert abs(got.kl - want[name]) < 1e-10, name
        if not isinstance(plan, OptimalSizes):
            direct = mdm.calibrate.sampler_kl(law, plan, law)
            np.testing.assert_allclose(got.log_likelihood, direct.log_likelihood, atol=1e-12)
    table = f.table()
    best = min(want, key=want.get)
    assert f.best == best
    for row in table:
        assert abs(row["minus_best"] - (want[row["name"]] - want[best])) < 1e-10
        assert row["kl_lower"] == row["kl_upper"] == row["kl"]
    assert [r["calls"] for r in table] == [2.0, 2.0, 3.0, 2.0]


@pytest.mark.slow
def test_cross_fitted_dp_on_rows(law):
    """On sampled rows the DP sizes are chosen on one half and valued on the other."""
    from mdmjax.calibrate._cross_fit import _halves

    x = np.asarray(law.sample(jax.random.key(1), 40))
    model = mdm.models.from_distribution(law)
    key = jax.random.key(7)
    plans = {"conf": mdm.policies.confidence((1, 1, 1)), "dp": OptimalSizes(2)}
    f = mdm.calibrate.sampler_frontier(model, x, plans, key=key, particles=4, batch_size=64)
    sub = jax.random.fold_in(key, 1)
    a, b = _halves(40, sub)
    picks = []
    for half in (a, b):
        mc = mdm.model_curve(model, x[half], key=sub)
        picks.append(tuple(mdm.optimal_schedule(mc, 2).sizes))
    assert f.chosen["dp"] == tuple(picks)
    r = f.result("dp")
    on_b = mdm.calibrate.sampler_kl(model, picks[0], x[b], key=sub, particles=4)
    on_a = mdm.calibrate.sampler_kl(model, picks[1], x[a], key=sub, particles=4)
    np.testing.assert_allclose(r.log_likelihood[b], on_b.log_likelihood, atol=1e-12)
    np.testing.assert_allclose(r.log_likelihood[a], on_a.log_likelihood, atol=1e-12)
    ce = -np.mean(r.log_likelihood)
    assert abs(r.cross_entropy - ce) < 1e-12 and not r.exact and r.stderr > 0
    # paired difference against the best, as SamplerKL.minus gives it
    conf = f.result("conf")
    d = r.minus(conf)
    row = f.table()[1]
    if f.best == "conf":
        assert abs(row["minus_best"] - d["difference"]) < 1e-12
        assert abs(row["minus_best_upper"] - d["interval"][1]) < 1e-12


@pytest.mark.slow
def test_prompts_give_the_solve_rate(law):
    """With clues, a row's value is log nu(solution | clues): closed forms on the law's table."""
    p = np.asarray(law.probs)
    sols = np.array([[0, 1, 1], [1, 2, 0]])
    prompt = np.array([[2, 3, 1], [2, 3, 0]])  # x_2 given, x_0 and x_1 generated
    plans = {"one step": (2,), "conf": mdm.policies.confidence((1, 1))}
    f = mdm.calibrate.sampler_frontier(law, sols, plans, prompt=prompt)
    # one step: the product of the two marginals given x_2
    want = []
    for x0, x1, x2 in sols:
        cond = p[:, :, x2] / p[:, :, x2].sum()
        want.append(cond.sum(1)[x0] * cond.sum(0)[x1])
    assert abs(f.result("one step").solve_rate - np.mean(want)) < 1e-12
    direct = mdm.calibrate.sampler_kl(law, plans["conf"], sols, prompt=prompt)
    np.testing.assert_allclose(f.result("conf").log_likelihood, direct.log_likelihood, atol=1e-12)
    assert f.calls == {"one step": 1.0, "conf": 2.0}


def test_default_plans():
    plans = mdm.calibrate.default_sampler_plans(12, [3, 5])
    names = list(plans)
    assert "LLaDA confidence, k=3" in names and "LLaDA confidence, k=5" in names
    assert "Fast-dLLM Dream threshold 0.9, k=3" in names  # 3 | 12
    assert "Fast-dLLM Dream threshold 0.9, k=5" not in names  # upstream needs k | n
    assert plans["random order, cosine, k=3"] == tuple(mdm.schedules.cosine(12, 3))
    assert plans["random order, DP-optimal, k=5"] == OptimalSizes(5)
    assert "Fast-dLLM threshold 0.9" in names and "EB entropy 0.1" in names
    for plan in plans.values():
        if isinstance(plan, tuple):
            assert sum(plan) == 12


@pytest.mark.slow
def test_plot_draws_every_family(law):
    f = mdm.calibrate.sampler_frontier(
        law, law, {"a, k=1": (3,), "a, k=3": (1, 1, 1), "b": mdm.policies.entropy((1, 2))}
    )
    fig = f.plot()
    ax = fig.axes[0]
    assert len(ax.get_legend().get_texts()) == 2
    assert "KL" in ax.get_ylabel()


def test_bad_input(law):
    frontier = mdm.calibrate.sampler_frontier
    with pytest.raises(ValueError, match="^plans: "):
        frontier(law, law, {})
    with pytest.raises(ValueError, match="^steps: "):
        frontier(law, law, {"a": (3,)}, steps=[1])
    with pytest.raises(ValueError, match="^steps: "):
        frontier(law, law, steps=[4])
    with pytest.raises(ValueError, match="^level: "):
        frontier(law, law, {"a": (3,)}, level=1.5)
    with pytest.raises(ValueError, match="^steps: "):
        OptimalSizes(0)
    with pytest.raises(ValueError, match="^rows: "):
        frontier(law, np.zeros((2, 3)), {"a": (3,)})
    x = np.array([[0, 0, 0], [1, 1, 1]])
    model = mdm.models.from_distribution(law)
    with pytest.raises(ValueError, match="^rows: "):
        frontier(model, x, {"dp": OptimalSizes(2)})  # 2 rows cannot be cross-fitted
    prompt = np.array([[0, 3, 2], [3, 1, 2]])  # clue positions differ between the rows
    with pytest.raises(ValueError, match="^plans: "):
        frontier(model, x, {"dp": OptimalSizes(1)}, prompt=prompt)
    with pytest.raises(ValueError, match="^name: "):
        frontier(law, law, {"a": (3,)}).result("b")
    assert math.isfinite(frontier(law, law, {"a": (3,)}).result("a").kl)
