"""``sampler_kl``: the sampler's own output-law KL, against independent enumeration.

Oracles: :func:`mdmjax.evaluate_policy`'s exact output law (every policy), the brute-force
mixture over ordered partitions of ``tests/sampling/_laws.py`` (random order, with prompts), and
``mdm.sample``'s own ``log ν̂`` along its path (the sample/estimator identity).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import mdmjax as mdm
from tests.sampling._laws import mixture_law, states

SHAPE = (2, 3, 2)  # unequal alphabets
AGREE = 1e-10


def _law(shape, seed, alpha=0.5):
    rng = np.random.default_rng(seed)
    return mdm.Distribution.from_probs(rng.dirichlet([alpha] * int(np.prod(shape))).reshape(shape))


@pytest.fixture(scope="module")
def d3():
    return _law(SHAPE, 7)


def _models(d):
    return {
        "exact": mdm.models.from_distribution(d),
        "tempered": mdm.models.tempered(d, 0.6),
        "noisy": mdm.models.noisy(d, 0.8, seed=3),
    }


def _entropy(d):
    p = np.asarray(d.probs).reshape(-1)
    p = p[p > 0]
    return float(-np.sum(p * np.log(p)))


def _practice(n, steps):
    out = {}
    for name, entry in mdm.policies.practice_policies(n).items():
        try:
            out[name] = (
                entry(steps)
                if callable(entry) and not isinstance(entry, mdm.policies.Policy)
                else entry
            )
        except ValueError:  # e.g. the Dream quota needs steps | n
            continue
    return out


_FAST = [
    mdm.policies.confidence((2, 1)),
    mdm.policies.random((1, 2)),
    mdm.policies.gumbel_confidence((1, 2), 2.0),
    mdm.policies.threshold(0.5),
]


@pytest.mark.parametrize("policy", _FAST, ids=lambda p: p.label)
def test_matches_evaluate_policy_on_the_law(d3, policy):
    model = _models(d3)["noisy"]
    r = mdm.calibrate.sampler_kl(model, policy, d3)
    ev = mdm.evaluate_policy(d3, policy, model=model)
    assert r.exact and r.stderr == 0.0
    assert abs(r.kl - ev.kl) < AGREE
    assert abs(r.entropy_of_data - _entropy(d3)) < AGREE


@pytest.mark.slow
@pytest.mark.parametrize("which", ["exact", "tempered", "noisy"])
def test_every_practice_policy_matches_evaluate_policy(which):
    d = _law((2, 2, 3, 2), 11)
    model = _models(d)[which]
    for steps in (2, 4):  # the Dream quota needs steps | n
        for name, policy in _practice(d.n, steps).items():
            r = mdm.calibrate.sampler_kl(model, policy, d)
            ev = mdm.evaluate_policy(d, policy, model=model)
            assert abs(r.kl - ev.kl) < AGREE, (which, steps, name, r.kl, ev.kl)


@pytest.mark.parametrize("sizes", [(1, 2), (2, 1), (1, 1, 1)])
def test_random_order_is_the_mixture_kl(d3, sizes):
    model = _models(d3)["tempered"]
    r = mdm.calibrate.sampler_kl(model, sizes, d3)
    assert r.exact and r.stopped == "exact"
    nu = mixture_law(model, SHAPE, sizes)
    p = np.asarray(d3.probs).reshape(-1)
    want = float(np.sum(p * (np.log(p) - np.log(nu))))
    assert abs(r.kl - want) < AGREE
    assert abs(r.kl - mdm.kl.model_mixture_kl(d3, model, sizes)) < AGREE


def test_prompt_random_order_against_brute_force(d3):
    model = _models(d3)["noisy"]
    xs = states(SHAPE)
    keep = xs[:, 1] == 2
    rows = xs[keep]
    prompt = np.array([2, 2, 2])  # position 1 fixed to 2 (its mask value is 3)
    weights = np.asarray(d3.probs).reshape(-1)[keep]
    law = mdm.families.from_support(rows, weights, num_values=(2, 3, 2))
    r = mdm.calibrate.sampler_kl(model, (1, 1), law, prompt=prompt)
    nu = mixture_law(model, SHAPE, (1, 1), prompt=prompt).reshape(-1)[keep]
    order = np.lexsort(rows.T[::-1])
    assert np.allclose(np.exp(r.log_likelihood), nu[order], atol=AGREE, rtol=0)
    cond = np.asarray(d3.probs).reshape(-1)[keep][order]
    cond = cond / cond.sum()
    assert abs(r.entropy_of_data - float(-np.sum(cond * np.log(cond)))) < AGREE  # H(p | clue)
    assert abs(r.kl - float(np.sum(cond * (np.log(cond) - np.log(nu[order]))))) < AGREE
    # the dense law given the clue: the same rows, the same numbers
    dense = mdm.calibrate.sampler_kl(model, (1, 1), d3, prompt=prompt)
    assert abs(dense.kl - r.kl) < AGREE
    with pytest.raises(ValueError, match="^prompt:"):
        mdm.calibrate.sampler_kl(model, (1, 1), d3, prompt=np.array([[2, 2, 2]]))


def test_sample_and_estimator_agree_on_a_deterministic_policy(d3):
    model = _models(d3)["tempered"]
    for policy in (mdm.policies.margin((1, 2)), mdm.policies.entropy_bound(0.3)):
        x, lp = mdm.sample(model, policy, key=4, num_samples=64, return_log_prob=True)
        r = mdm.calibrate.sampler_kl(model, policy, x)
        assert np.allclose(r.log_likelihood, lp, atol=AGREE, rtol=0)
        assert r.stopped == "deterministic" and r.particles == 1
        assert r.model_calls == int(np.sum(r.steps))


@pytest.mark.slow
def test_stochastic_estimate_is_an_upper_bound_that_converges(d3):
    model = _models(d3)["noisy"]
    sizes = (1, 1, 1)
    exact = mdm.calibrate.sampler_kl(model, sizes, d3)
    # every support point 40 times, weighted by p: many independent paths per point
    rows = np.repeat(states(SHAPE), 40, axis=0)
    weights = np.repeat(np.asarray(d3.probs).reshape(-1), 40)
    one = mdm.calibrate.sampler_kl(model, sizes, rows, weights=weights, particles=1, key=2)
    theorem4 = mdm.kl.model_expected_kl(d3, model, sizes) + exact.entropy_of_data
    assert abs(one.cross_entropy - theorem4) < 4 * one.stderr  # M = 1 is E_B KL(p || nu_B)
    r = mdm.calibrate.sampler_kl(model, sizes, rows, weights=weights, particles=64, key=3)
    first, last = r.particle_curve[1], r.particle_curve[64]
    assert theorem4 - exact.cross_entropy > 0.2  # a real Jensen gap to close
    assert exact.cross_entropy - 4 * r.stderr < last < first
    assert last - exact.cross_entropy < 0.25 * (theorem4 - exact.cross_entropy)
    auto = mdm.calibrate.sampler_kl(model, sizes, rows, weights=weights, key=2, tolerance=0.02)
    assert auto.stopped in ("tolerance", "max_particles") and auto.particles >= 8
    assert auto.model_calls == 3 * auto.particles * rows.shape[0]


def test_particles_smoke(d3):
    model = _models(d3)["noisy"]
    x = mdm.sample(model, (1, 2), key=1, num_samples=20)
    r = mdm.calibrate.sampler_kl(model, (1, 2), x, key=0, max_particles=16, tolerance=1e-9)
    assert r.stopped == "max_particles" and r.particles == 16
    assert sorted(r.particle_curve) == [1, 2, 4, 8, 16]
    assert r.model_calls == 2 * 16 * 20 and np.all(r.steps == 2)
    again = mdm.calibrate.sampler_kl(model, (1, 2), x, key=0, particles=16, batch_size=7)
    assert np.allclose(again.log_likelihood, r.log_likelihood, atol=AGREE, rtol=0)  # batch-free


def test_minus_and_intervals(d3):
    model = _models(d3)["exact"]
    x = mdm.sample(model, (1, 1, 1), key=0, num_samples=300)
    a = mdm.calibrate.sampler_kl(model, mdm.policies.confidence((1, 1, 1)), x, entropy_of_data=1.0)
    b = mdm.calibrate.sampler_kl(model, (3,), x, entropy_of_data=1.0)
    diff = b.minus(a)
    per_row = a.log_likelihood - b.log_likelihood
    assert abs(diff["difference"] - per_row.mean()) < 1e-12
    assert abs(diff["stderr"] - per_row.std(ddof=1) / math.sqrt(len(per_row))) < 1e-12
    lo, hi = a.kl_interval(0.9)
    assert lo < a.kl < hi and abs((hi - lo) / 2 - 1.6448536 * a.stderr) < 1e-6
    with pytest.raises(ValueError, match="^level:"):
        a.kl_interval(1.5)
    with pytest.raises(ValueError, match="^entropy_of_data:"):
        mdm.calibrate.sampler_kl(model, (3,), x).kl  # noqa: B018


def test_unreachable_rows_give_inf():
    d = mdm.Distribution.from_probs(np.array([[0.5, 0.0], [0.0, 0.5]]))
    truth = mdm.models.from_distribution(d)
    r = mdm.calibrate.sampler_kl(truth, (1, 1), np.array([[0, 1]]))
    assert r.log_likelihood[0] == -math.inf and r.cross_entropy == math.inf


def test_solve_rate_of_a_point_mass():
    # Two bits, the first a clue: the sampler fills the second from p(x_1 | x_0) = 0.8.
    d = mdm.Distribution.from_probs(np.array([[0.4, 0.1], [0.1, 0.4]]))
    r = mdm.calibrate.sampler_kl(d, (1,), np.array([[0, 0]]), prompt=np.array([0, 2]))
    assert abs(r.solve_rate - 0.8) < AGREE and r.solve_rate_stderr > -1


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(rows=np.zeros((2, 4), dtype=np.int64)), "rows"),
        (dict(rows=np.full((2, 3), 5)), "rows"),
        (dict(rows=np.zeros((2, 3))), "rows"),
        (dict(plan=(1, 1)), "plan"),
        (dict(particles=0), "particles"),
        (dict(entropy_of_data=-1.0), "entropy_of_data"),
        (dict(entropy_of_data=math.nan), "entropy_of_data"),
        (dict(prompt=np.array([1, 3, 2])), "prompt"),
        (dict(weights=np.ones(3)), "weights"),
    ],
)
def test_bad_input(d3, kwargs, name):
    calls = []

    def fn(y):
        calls.append(1)
        return np.full(y.shape + (3,), 1.0 / 3)

    model = mdm.models.from_callable(fn, num_values=3, output="probs", traceable=False, n=3)
    args = dict(rows=np.zeros((2, 3), dtype=np.int64), plan=(1, 2))
    args.update(kwargs)
    with pytest.raises(ValueError, match=f"^{name}:"):
        mdm.calibrate.sampler_kl(model, args.pop("plan"), args.pop("rows"), **args)
    assert not calls  # refused before any model call


def test_nan_names_step_and_row():
    def fn(y):
        out = np.full(y.shape + (2,), 0.5)
        out[1] = np.nan
        return out

    model = mdm.models.from_callable(fn, num_values=2, output="probs", traceable=False, n=2)
    with pytest.raises(ValueError, match=r"^model: .*NaN .*step 1 for row 1"):
        mdm.calibrate.sampler_kl(model, (2,), np.zeros((3, 2), dtype=np.int64))


# ------------------------------------------------------------------------------------------------
# from_support and walk_rows
# ------------------------------------------------------------------------------------------------
def test_support_model_is_the_dense_law():
    rng = np.random.default_rng(0)
    rows = rng.integers(0, 3, size=(40, 4))
    w = rng.random(40)
    law = mdm.families.from_support(rows, w)
    dense = law.to_distribution()
    exact = mdm.models.from_distribution(dense)
    ys = states((4,) * 4)[rng.choice(4**4, 200, replace=False)]  # value 3 = masked
    from tests.sampling._laws import conditionals

    got, want = conditionals(law.model(), ys), conditionals(exact, ys)
    assert np.allclose(got, want, atol=AGREE, rtol=0)
    assert abs(law.entropy - _entropy(dense)) < AGREE
    lp = law.log_prob(rows)
    assert np.allclose(np.exp(lp), np.asarray(dense.probs)[tuple(rows.T)], atol=AGREE)
    draws = law.sample(1, 20000)
    freq = np.mean(np.all(draws == law.rows[0], axis=1))
    assert abs(freq - law.weights[0]) < 5 * math.sqrt(law.weights[0] / 20000) + 1e-3


def test_from_support_bad_input():
    with pytest.raises(ValueError, match="^rows:"):
        mdm.families.from_support(np.zeros((0, 3), dtype=int))
    with pytest.raises(ValueError, match="^rows:"):
        mdm.families.from_support(np.array([[-1, 0]]))
    with pytest.raises(ValueError, match="^weights:"):
        mdm.families.from_support(np.array([[0, 0]]), weights=[-1.0])
    with pytest.raises(ValueError, match="^num_values:"):
        mdm.families.from_support(np.array([[0, 2]]), num_values=2)


def test_walk_rows_refuses_too_many_nodes(d3):
    with pytest.raises(ValueError, match="^max_nodes:"):
        mdm.policies.walk_rows(d3, mdm.policies.random((1, 2)), states(SHAPE), max_nodes=5)
    with pytest.raises(ValueError, match="^policy:"):
        mdm.policies.walk_rows(d3, mdm.policies.threshold(0.5), states(SHAPE))


@pytest.mark.slow
def test_bracket_holds_the_sampler_entropy(d3):
    model = _models(d3)["noisy"]
    sizes = (1, 1, 1)
    nu = mixture_law(model, SHAPE, sizes)
    truth = float(-np.sum(nu[nu > 0] * np.log(nu[nu > 0])))  # E_nu[-log nu(X)], exactly
    b = mdm.calibrate.sampler_bracket(model, sizes, 3000, particles=3, key=5)
    assert b.lower - 4 * b.lower_stderr < truth < b.upper + 4 * b.upper_stderr
    assert b.width > 0.01  # three paths leave a visible gap here
    wide = mdm.calibrate.sampler_bracket(model, sizes, 3000, particles=48, key=5)
    assert wide.width < b.width / 3
    with pytest.raises(ValueError, match="^particles:"):
        mdm.calibrate.sampler_bracket(model, sizes, 10, particles=1)


@pytest.mark.slow
def test_hypothesis_deterministic_policies_on_random_laws():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=15, deadline=None)
    @given(
        seed=st.integers(0, 10**6),
        shape=st.sampled_from([(2, 2, 2), (3, 2), (2, 3, 2)]),
        which=st.sampled_from(["confidence", "margin", "entropy", "threshold", "eb"]),
        temperature=st.floats(0.3, 2.0),
    )
    def check(seed, shape, which, temperature):
        d = _law(shape, seed, alpha=0.3)
        n = d.n
        policy = {
            "confidence": mdm.policies.confidence((1,) * n),
            "margin": mdm.policies.margin((2,) + (1,) * (n - 2)),
            "entropy": mdm.policies.entropy((n - 1, 1)),
            "threshold": mdm.policies.threshold(0.6),
            "eb": mdm.policies.entropy_bound(0.2),
        }[which]
        model = mdm.models.tempered(d, temperature)
        r = mdm.calibrate.sampler_kl(model, policy, d)
        ev = mdm.evaluate_policy(d, policy, model=model)
        assert abs(r.kl - ev.kl) < AGREE or (math.isinf(r.kl) and math.isinf(ev.kl))

    check()


@pytest.mark.slow
def test_trained_word_mdm_against_its_enumerated_output_law():
    """A real trained network (the shipped 4-letter word MDM): sampler_kl on the word law's
    support equals the KL of the sampler's output law enumerated by evaluate_policy."""
    pytest.importorskip("wordfreq")
    d = mdm.families.english_words(4)
    p = np.asarray(d.probs)
    rows = np.stack(np.nonzero(p > 0), axis=1)
    law = mdm.families.from_support(rows, p[tuple(rows.T)], num_values=26)
    model = mdm.calibrate.word_mdm(4)
    for policy in (
        mdm.policies.confidence((2, 1, 1)),
        mdm.policies.threshold(0.9),
        mdm.policies.random((1, 3)),
        mdm.policies.gumbel_confidence((2, 2), 4.5),
    ):
        r = mdm.calibrate.sampler_kl(model, policy, law)
        ev = mdm.evaluate_policy(d, policy, model=model)
        assert r.exact
        # The network's float32 softmax sums to 1 within ~1e-7; the sampler (and so sampler_kl)
        # renormalises it, the tree walk does not: the two differ at that level, no more.
        assert abs(r.kl - ev.kl) < 1e-6, (policy.label, r.kl, ev.kl)


def test_numpy_model_without_n_takes_the_rows_width():
    import jax

    d = _law((3, 3, 3), 5)
    exact = mdm.models.from_distribution(d)

    def fn(y):  # a NumPy float64 callable that leaves n open
        with jax.enable_x64(True):
            return np.asarray(exact.conditionals(np.asarray(y)), dtype=np.float64)

    model = mdm.models.from_callable(fn, num_values=3, output="probs", traceable=False)
    for plan in (mdm.policies.confidence((1, 2)), (2, 1)):
        r = mdm.calibrate.sampler_kl(model, plan, d)
        ev = mdm.evaluate_policy(
            d, mdm.policies.confidence((1, 2)) if plan != (2, 1) else mdm.policies.random((2, 1))
        )
        assert r.exact and abs(r.kl - ev.kl) < AGREE


def test_checkpoint_resumes_and_refuses_another_run(d3, tmp_path):
    model = _models(d3)["noisy"]
    x = mdm.sample(model, (1, 2), key=1, num_samples=40)
    path = tmp_path / "skl.ckpt"
    kw = dict(key=3, max_particles=8, tolerance=1e-9, batch_size=16)
    first = mdm.calibrate.sampler_kl(model, (1, 2), x, checkpoint=path, **kw)
    assert path.exists() and (tmp_path / "skl.ckpt.paths-4-7").exists()
    again = mdm.calibrate.sampler_kl(model, (1, 2), x, checkpoint=path, **kw)
    assert np.array_equal(again.log_likelihood, first.log_likelihood)
    plain = mdm.calibrate.sampler_kl(model, (1, 2), x, **kw)
    assert np.array_equal(plain.log_likelihood, first.log_likelihood)
    with pytest.raises(ValueError, match="^checkpoint:"):
        mdm.calibrate.sampler_kl(model, (1, 2), x, checkpoint=path, **{**kw, "key": 4})
    with pytest.raises(ValueError, match="^checkpoint:"):
        mdm.calibrate.sampler_kl(model, (1, 2), x, checkpoint=tmp_path / "no" / "such" / "f")
