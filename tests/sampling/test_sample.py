"""mdm.sample against exact output laws (chi-square at fixed seeds), keys, batches, bad input.

The exact laws come from tests/sampling/_laws.py: brute-force enumeration of ordered partitions
over the model's conditionals (docs/theory.md §11).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import mdmjax as mdm
from tests.sampling._laws import (
    P_VALUE_FLOOR,
    chi_square_p,
    conditionals,
    counts,
    mixture_law,
    path_prob,
    schedule_law,
    states,
)

NUM = 100_000  # one batch shape for every chi-square test: shared compilations
SHAPE4 = (2, 3, 2, 3)  # unequal alphabets: per-position mask values
SHAPE5 = (2,) * 5


def _law(shape, seed, alpha=0.4):
    rng = np.random.default_rng(seed)
    return mdm.Distribution.from_probs(rng.dirichlet([alpha] * int(np.prod(shape))).reshape(shape))


@pytest.fixture(scope="module")
def d4():
    return _law(SHAPE4, 1)


@pytest.fixture(scope="module")
def d5():
    return _law(SHAPE5, 2)


def _models(d):
    return {
        "exact": mdm.models.from_distribution(d),
        "tempered": mdm.models.tempered(d, 0.6),
        "noisy": mdm.models.noisy(d, 0.8, seed=3),
    }


@pytest.mark.parametrize(
    "which, sizes",
    [
        ("exact", (2, 2)),
        pytest.param("tempered", (1, 3), marks=pytest.mark.slow),
        ("noisy", (1, 2, 1)),
    ],
)
def test_sizes_match_the_mixture_law(d4, which, sizes):
    model = _models(d4)[which]
    x = mdm.sample(model, sizes, key=7, num_samples=NUM)
    assert x.shape == (NUM, 4) and x.dtype == np.int64
    law = mixture_law(model, SHAPE4, sizes)
    assert chi_square_p(counts(x, SHAPE4), law) > P_VALUE_FLOOR


def test_chi_square_can_fail(d4):
    """The same samples are rejected against laws they do not follow: the test has power."""
    model = _models(d4)["exact"]
    x = mdm.sample(model, (2, 2), key=7, num_samples=NUM)
    c = counts(x, SHAPE4)
    assert chi_square_p(c, np.asarray(d4.probs).reshape(-1)) < P_VALUE_FLOOR  # the truth p
    assert chi_square_p(c, mixture_law(model, SHAPE4, (1, 3))) < P_VALUE_FLOOR  # other sizes


def test_one_step_per_position_is_exact(d4):
    """Sizes (1,..,1) with the exact conditionals reproduce p itself (chain rule)."""
    x = mdm.sample(mdm.models.from_distribution(d4), (1, 1, 1, 1), key=3, num_samples=NUM)
    assert chi_square_p(counts(x, SHAPE4), np.asarray(d4.probs).reshape(-1)) > P_VALUE_FLOOR


def _jax_fn(d, output):
    base = mdm.models.from_distribution(d)

    def fn(y):  # float32 output, like a trained network
        p = base.conditionals(y).astype(jnp.float32)
        return p if output == "probs" else jnp.log(p)

    return fn


@pytest.mark.parametrize("output", ["probs", "log_probs"])
def test_traceable_float32_callable(d5, output):
    model = mdm.models.from_callable(_jax_fn(d5, output), num_values=2, output=output, n=5)
    x = mdm.sample(model, (2, 3), key=11, num_samples=NUM)
    law = mixture_law(mdm.models.from_distribution(d5), SHAPE5, (2, 3))
    assert chi_square_p(counts(x, SHAPE5), law) > P_VALUE_FLOOR


def test_host_callable(d5):
    base = mdm.models.from_distribution(d5)
    calls = []

    def fn(y):  # NumPy in, NumPy out, never traced
        assert isinstance(y, np.ndarray)
        calls.append(y.shape)
        return conditionals(base, y)

    model = mdm.models.from_callable(fn, num_values=2, output="probs", traceable=False, n=5)
    x = mdm.sample(model, (3, 2), key=5, num_samples=NUM)
    assert len(calls) == 2  # one call per step, one batch
    law = mixture_law(base, SHAPE5, (3, 2))
    assert chi_square_p(counts(x, SHAPE5), law) > P_VALUE_FLOOR


def test_log_prob_is_the_path_probability(d4):
    """Sizes (1, 3): log ν̂_B(x) is one of the n path terms (the first position unknown)."""
    model = _models(d4)["noisy"]
    x, lp = mdm.sample(model, (1, 3), key=2, num_samples=64, return_log_prob=True)
    assert lp.dtype == np.float64 and lp.shape == (64,)
    cands = np.stack(
        [
            np.log(path_prob(model, SHAPE4, x, [], [(j,), tuple(i for i in range(4) if i != j)]))
            for j in range(4)
        ],
        axis=1,
    )
    assert np.min(np.abs(cands - lp[:, None]), axis=1).max() < 1e-9
    # one step: the product of the marginals, a known path
    x, lp = mdm.sample(model, (4,), key=2, num_samples=64, return_log_prob=True)
    want = np.log(path_prob(model, SHAPE4, x, [], [(0, 1, 2, 3)]))
    np.testing.assert_allclose(lp, want, rtol=0, atol=1e-9)


def test_keys_and_batch_size(d4):
    model = _models(d4)["tempered"]
    a, la = mdm.sample(model, (2, 2), key=4, num_samples=50, return_log_prob=True)
    b, lb = mdm.sample(
        model, (2, 2), key=jax.random.key(4), num_samples=50, batch_size=7, return_log_prob=True
    )
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(la, lb)
    c = mdm.sample(model, (2, 2), key=5, num_samples=50)
    assert not np.array_equal(a, c)
    # the first rows do not depend on how many rows are drawn
    np.testing.assert_array_equal(mdm.sample(model, (2, 2), key=4, num_samples=40), a[:40])


def test_prompt_conditional_law(d4):
    model = _models(d4)["exact"]
    prompt = np.asarray(SHAPE4)  # all masked ...
    prompt[1] = 2  # ... but position 1 fixed to 2
    x = mdm.sample(model, (2, 1), key=9, num_samples=NUM, prompt=prompt)
    assert np.all(x[:, 1] == 2)
    law = mixture_law(model, SHAPE4, (2, 1), prompt=prompt)
    assert chi_square_p(counts(x, SHAPE4), law) > P_VALUE_FLOOR
    # one prompt per row
    rows = np.tile(prompt, (6, 1))
    rows[:3, 0] = 0
    rows[3:, 0] = 1
    y = mdm.sample(model, (1, 1), key=9, num_samples=6, prompt=rows)
    assert np.all(y[:, :2] == rows[:, :2])


def test_random_size_schedules(d4):
    model = _models(d4)["noisy"]
    for plan in (
        mdm.schedules.binomial(4, [0.3, 0.5, 1.0]),
        mdm.schedules.KernelSchedule.from_size_probs(
            4, [[0.2, 0.5, 0.3, 0, 0], [0.1, 0.4, 0.5, 0, 0], [0, 0, 0, 0, 1.0]]
        ),
    ):
        x = mdm.sample(model, plan, key=13, num_samples=NUM)
        law = schedule_law(model, SHAPE4, plan.kernels())
        assert chi_square_p(counts(x, SHAPE4), law) > P_VALUE_FLOOR, plan


def test_ancestral_and_dream_run(d4):
    model = _models(d4)["exact"]
    for plan in (mdm.schedules.ancestral(4, 8), mdm.schedules.dream_origin(4, 3)):
        x, lp = mdm.sample(model, plan, key=1, num_samples=64, return_log_prob=True)
        assert x.shape == (64, 4) and np.all(np.isfinite(lp)) and np.all(lp <= 0)


def test_markov_chain_model_one_token_per_step_is_the_chain():
    """Exact conditionals, one position per step: the output law is the Markov chain itself."""
    init, trans = np.asarray([0.3, 0.7]), np.asarray([[0.9, 0.1], [0.2, 0.8]])
    model = mdm.calibrate.markov_chain_model(init, trans, 4)
    x = mdm.sample(model, (1, 1, 1, 1), key=21, num_samples=NUM)
    xs = states((2,) * 4)
    law = init[xs[:, 0]] * np.prod(trans[xs[:, :-1], xs[:, 1:]], axis=1)
    assert chi_square_p(counts(x, (2,) * 4), law) > P_VALUE_FLOOR
    assert chi_square_p(counts(x, (2,) * 4), np.full(16, 1 / 16)) < P_VALUE_FLOOR


def test_distribution_stands_for_its_exact_model(d4):
    a = mdm.sample(d4, (2, 2), key=2, num_samples=8)
    b = mdm.sample(mdm.models.from_distribution(d4), (2, 2), key=2, num_samples=8)
    np.testing.assert_array_equal(a, b)


def test_shipped_and_markov_models():
    m = mdm.calibrate.word_mdm(4)
    x = mdm.sample(m, (2, 2), key=0, num_samples=8)
    assert x.shape == (8, 4) and np.all((x >= 0) & (x < m.num_values))


# ------------------------------------------------------------------------------------------------
# Bad input: ValueError naming the argument, before any model call
# ------------------------------------------------------------------------------------------------
def _counting_model(d):
    base = mdm.models.from_distribution(d)
    calls = []

    def fn(y):
        calls.append(1)
        return conditionals(base, y)

    return mdm.models.from_callable(fn, num_values=2, output="probs", traceable=False, n=5), calls


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(plan=(2, 2)), "plan"),
        (dict(plan=(3, 0, 2)), "plan"),
        (dict(plan=(6, -1)), "plan"),
        (dict(plan="cosine"), "plan"),
        (dict(plan={"a": 1}), "plan"),
        (dict(num_samples=0), "num_samples"),
        (dict(prompt=np.zeros((2, 2, 5), dtype=int)), "prompt"),
        (dict(prompt=np.asarray([0, 1, 2, 3, 2])), "prompt"),
        (dict(prompt=np.asarray([0, 1, 2, 2])), "prompt"),
        (dict(prompt=np.asarray([-1, 2, 2, 2, 2])), "prompt"),
        (dict(prompt=np.asarray([0.0, 2, 2, 2, 2])), "prompt"),
        (dict(prompt=np.zeros((3, 5), dtype=int), num_samples=2), "prompt"),
        (dict(plan=mdm.schedules.binomial(4, [0.5, 1.0])), "model"),
        (dict(batch_size=0), "batch_size"),
        (dict(key="seed"), "key"),
    ],
)
def test_bad_input(d5, kwargs, name):
    model, calls = _counting_model(d5)
    args = dict(plan=(2, 3), key=0, num_samples=3) | kwargs
    with pytest.raises(ValueError, match=f"^{name}:"):
        mdm.sample(model, **args)
    assert not calls


def test_bad_models(d5):
    scored = mdm.models.from_callable(lambda y, x: (y, y), num_values=2, output="scored", n=5)
    with pytest.raises(ValueError, match="^model: .*scored"):
        mdm.sample(scored, (5,))
    with pytest.raises(ValueError, match="^model:"):
        mdm.sample(lambda y: y, (5,))
    free = mdm.models.from_callable(
        lambda y: jnp.full(y.shape + (2,), 0.5), num_values=2, output="probs"
    )
    assert mdm.sample(free, (2, 3)).shape == (1, 5)  # n = 5 from the sizes (issue 27)
    with pytest.raises(ValueError, match="^model: .*does not fix n"):
        mdm.sample(free, mdm.policies.threshold(0.5))  # an adaptive policy does not say n
    assert mdm.sample(free, (2,), prompt=np.asarray([2, 0, 2])).shape == (1, 3)


def test_nan_names_step_and_row(d5):
    base = mdm.models.from_distribution(d5)

    def fn(y):  # NaN once a row has a revealed position: from step 2 on
        p = base.conditionals(y)
        return jnp.where(jnp.any(y != 2, axis=1)[:, None, None], jnp.nan, p)

    model = mdm.models.from_callable(fn, num_values=2, output="probs", n=5)
    with pytest.raises(ValueError, match=r"^model: .*NaN.* step 2 for row 0"):
        mdm.sample(model, (1, 1, 1, 1, 1), key=0, num_samples=40)

    def unnormalised(y):
        return 2 * base.conditionals(y)

    model = mdm.models.from_callable(unnormalised, num_values=2, output="probs", n=5)
    with pytest.raises(ValueError, match=r"^model: .*not a probability law at .*step 1 for row 0"):
        mdm.sample(model, (5,), key=0, num_samples=4)


# ------------------------------------------------------------------------------------------------
# Policies: against evaluate_policy's exact output law
# ------------------------------------------------------------------------------------------------
_FAST_POLICIES = [  # the default suite: one of each kind of rule
    mdm.policies.confidence((2, 1, 1)),
    mdm.policies.threshold(0.5),
    mdm.policies.gumbel_confidence((1, 2, 1), 2.0, anneal="maskgit"),
    mdm.policies.semi_autoregressive(2, mdm.policies.confidence((1, 1))),
]
_SLOW_POLICIES = [
    mdm.policies.margin((1, 3)),
    mdm.policies.entropy((2, 2)),
    mdm.policies.random((1, 2, 1)),
    mdm.policies.entropy_bound(0.4),
    mdm.policies.entropy_bound(0.4, order="margin"),
    mdm.policies.factor(1.0),
    mdm.policies.threshold_quota(2, 0.6),
    mdm.policies.gumbel_confidence((2, 2), 0.7),
    mdm.policies.fixed_order((3, 0, 2, 1), (1, 2, 1)),
    mdm.policies.dilated(4, threshold=0.6),
    mdm.policies.semi_autoregressive(2, mdm.policies.threshold(0.7)),
]
POLICIES = [
    *_FAST_POLICIES,
    *(pytest.param(p, marks=pytest.mark.slow, id=p.label) for p in _SLOW_POLICIES),
]


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.label)
def test_policy_matches_evaluate_policy(d4, policy):
    model = _models(d4)["noisy"]
    x = mdm.sample(model, policy, key=17, num_samples=NUM)
    law = np.asarray(mdm.evaluate_policy(d4, policy, model).probs).reshape(-1)
    assert chi_square_p(counts(x, SHAPE4), law) > P_VALUE_FLOOR


def test_policy_chi_square_can_fail(d4):
    model = _models(d4)["noisy"]
    x = mdm.sample(model, mdm.policies.confidence((2, 1, 1)), key=17, num_samples=NUM)
    other = mdm.evaluate_policy(d4, mdm.policies.margin((2, 1, 1)), model).probs
    law = np.asarray(mdm.evaluate_policy(d4, mdm.policies.random((2, 1, 1)), model).probs)
    assert chi_square_p(counts(x, SHAPE4), law.reshape(-1)) < P_VALUE_FLOOR
    assert np.abs(np.asarray(other) - law).sum() > 0  # the laws differ


def test_fixed_order_log_prob(d4):
    """A fixed order has a known path: log ν̂_B(x) is recomputed from the conditionals."""
    model = _models(d4)["tempered"]
    policy = mdm.policies.fixed_order((3, 0, 2, 1), (1, 2, 1))
    x, lp = mdm.sample(model, policy, key=1, num_samples=64, return_log_prob=True)
    want = np.log(path_prob(model, SHAPE4, x, [], [(3,), (0, 2), (1,)]))
    np.testing.assert_allclose(lp, want, rtol=0, atol=1e-9)


def test_policy_with_prompt(d4):
    model = _models(d4)["exact"]
    prompt = np.asarray(SHAPE4)
    prompt[2] = 1
    x = mdm.sample(model, mdm.policies.confidence((2, 1)), key=3, num_samples=200, prompt=prompt)
    assert np.all(x[:, 2] == 1)
    with pytest.raises(ValueError, match="^plan:"):
        mdm.sample(model, mdm.policies.confidence((2, 2)), prompt=prompt)
    with pytest.raises(ValueError, match="^prompt:"):
        mdm.sample(model, mdm.policies.fixed_order((0, 1, 2, 3), (4,)), prompt=prompt)
