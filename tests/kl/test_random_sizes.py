"""Random-size schedules: the exact expected KL against brute-force enumeration of size outcomes."""

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from jax.test_util import check_grads

import mdmjax as mdm
from mdmjax import schedules as S
from mdmjax.kl import binomial_expected_kl
from mdmjax.schedules import KernelSchedule, RandomScheduleKL
from tests.reference import theorem4_sum as thm4
from tests.x64 import with_x64


def outcomes(n, steps):
    """Every sequence of ``steps`` non-negative sizes summing to ``n``."""
    for cuts in itertools.combinations_with_replacement(range(n + 1), steps - 1):
        partial = (0, *cuts, n)
        yield tuple(b - a for a, b in zip(partial, partial[1:], strict=False))


def brute_force_binomial(z, probs):
    """(E KL, law of the number of non-empty steps), enumerating every size outcome."""
    n, steps = len(z), len(probs)
    kl, pmf = 0.0, np.zeros(steps + 1)
    for sizes in outcomes(n, steps):
        weight, masked = 1.0, n
        for s, p in zip(sizes, probs, strict=True):
            weight *= math.comb(masked, s) * p**s * (1 - p) ** (masked - s)
            masked -= s
        kl += weight * thm4(z, sizes)
        pmf[sum(1 for s in sizes if s)] += weight
    return kl, pmf


def brute_force_kernels(z, kernels):
    n, steps = len(z), kernels.shape[0]
    kl, pmf = 0.0, np.zeros(steps + 1)
    for sizes in outcomes(n, steps):
        weight, m = 1.0, 0
        for t, s in enumerate(sizes):
            weight *= kernels[t, m, m + s]
            m += s
        kl += weight * thm4(z, sizes)
        pmf[sum(1 for s in sizes if s)] += weight
    return kl, pmf


def random_z(rng, n):
    return np.concatenate([[0.0], np.cumsum(rng.exponential(size=n - 1))])


@pytest.mark.slow
@given(
    n=st.sampled_from([1, 4, 7]),  # few shapes: each new shape is traced and compiled
    probs=st.lists(st.floats(0, 1, allow_nan=False), min_size=2, max_size=2),
    short=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_binomial_matches_enumeration_of_all_size_outcomes(n, probs, short, seed):
    z = random_z(np.random.default_rng(seed), n)
    probs = [1.0] if short else [*probs, 1.0]
    curve = mdm.InformationCurve.from_z(z)
    sched = S.binomial(n, probs)
    kl = mdm.expected_kl(curve, sched)
    ref_kl, ref_pmf = brute_force_binomial(z, probs)
    assert isinstance(kl, RandomScheduleKL) and kl.steps == len(probs)
    assert float(kl) == pytest.approx(ref_kl, abs=1e-10)
    np.testing.assert_allclose(kl.nonempty_steps_pmf, ref_pmf, atol=1e-12)
    assert kl.expected_nonempty_steps == pytest.approx(np.dot(np.arange(ref_pmf.size), ref_pmf))
    # the O(T n^2) kernel DP is a second, independent route
    dp = KernelSchedule(sched.kernels())
    assert float(mdm.expected_kl(curve, dp)) == pytest.approx(ref_kl, abs=1e-10)


@pytest.mark.parametrize("seed", range(4))
def test_general_kernel_matches_enumeration(seed):
    rng = np.random.default_rng(seed)
    n, steps = 6, 4
    kernels = np.zeros((steps, n + 1, n + 1))
    for t in range(steps):
        for m in range(n + 1):
            if t == steps - 1:
                kernels[t, m, n] = 1.0
            else:
                kernels[t, m, m:] = rng.dirichlet(np.full(n + 1 - m, 0.7))
    z = random_z(rng, n)
    sched = KernelSchedule(kernels)
    kl = mdm.expected_kl(mdm.InformationCurve.from_z(z), sched)
    ref_kl, ref_pmf = brute_force_kernels(z, kernels)
    assert float(kl) == pytest.approx(ref_kl, abs=1e-10)
    np.testing.assert_allclose(kl.nonempty_steps_pmf, ref_pmf, atol=1e-12)


def test_from_size_probs_truncates_at_the_masked_count():
    n = 5
    w = np.array([[0.2, 0.5, 0.0, 0.3, 0.0, 0.0], [0.0] * 5 + [1.0]])
    sched = KernelSchedule.from_size_probs(n, w)
    k = sched.kernels()
    assert k[0, 0, 3] == pytest.approx(0.3) and k[0, 4, 5] == pytest.approx(0.8)
    z = random_z(np.random.default_rng(1), n)
    ref = 0.2 * thm4(z, (5,)) + 0.5 * thm4(z, (1, 4)) + 0.3 * thm4(z, (3, 2))
    assert float(mdm.expected_kl(mdm.InformationCurve.from_z(z), sched)) == pytest.approx(ref)


def test_expected_kl_against_enumeration_of_ordered_partitions():
    """No Theorem 4 at all: average exact_kl (partition enumeration) over the size outcomes."""
    rng = np.random.default_rng(5)
    n, probs = 4, [0.3, 1.0]
    d = mdm.Distribution.from_probs(rng.dirichlet(np.full(3**n, 0.4)).reshape((3,) * n))
    total = 0.0
    for sizes in outcomes(n, len(probs)):
        weight, masked = 1.0, n
        for s, p in zip(sizes, probs, strict=True):
            weight *= math.comb(masked, s) * p**s * (1 - p) ** (masked - s)
            masked -= s
        nonzero = [s for s in sizes if s]
        total += weight * mdm.exact_kl(d, nonzero)
    assert float(mdm.expected_kl(d, S.binomial(n, probs))) == pytest.approx(total, abs=1e-10)


def test_monte_carlo_agrees_within_error_bars():
    rng = np.random.default_rng(2)
    n = 30
    z = random_z(rng, n)
    sched = S.ancestral(n, 6, "cosine")
    sizes = sched.sample(jax.random.key(0), 4000)
    assert (
        sizes.shape == (4000, sched.steps) and np.all(sizes.sum(axis=1) == n) and np.all(sizes >= 0)
    )
    values = np.array([thm4(z, s) for s in sizes])
    exact = float(mdm.expected_kl(mdm.InformationCurve.from_z(z), sched))
    assert abs(values.mean() - exact) < 4 * values.std() / np.sqrt(values.size)


def test_ancestral_reveal_probabilities():
    """The textbook uniform-grid sampler (no eps, no final argmax step, float64)."""
    steps = 5
    textbook = dict(eps=0.0, grid="uniform", final=False, dtype="float64")
    loglinear = S.ancestral(10, steps, "loglinear", **textbook).reveal_probs
    np.testing.assert_allclose(loglinear, 1 / (steps - np.arange(steps)), rtol=1e-14)
    linear = S.ancestral(10, steps, "linear", **textbook).reveal_probs
    np.testing.assert_allclose(linear, loglinear, rtol=1e-14)
    grid = 1 - np.arange(steps + 1) / steps
    alpha = 1 - np.cos(np.pi / 2 * (1 - grid))
    cos = S.ancestral(10, steps, "cosine", **textbook).reveal_probs
    assert cos[0] == pytest.approx(alpha[1]) and cos[2] == pytest.approx(
        (alpha[3] - alpha[2]) / (1 - alpha[2])
    )
    poly = S.ancestral(10, steps, "poly", power=3.0, **textbook).reveal_probs
    assert poly[1] == pytest.approx(((1 - 0.6**3) - (1 - 0.8**3)) / 0.8**3)
    for p in (loglinear, cos, poly):
        assert p[-1] == 1.0 and np.all((p >= 0) & (p <= 1))
    # log-linear reveals n / T per step in expectation
    np.testing.assert_allclose(S.ancestral(12, 4, **textbook).expected_sizes(), 3.0)


def test_revealed_marginals_match_the_kernel_chain():
    sched = S.ancestral(9, 5, "cosine")
    closed = sched.revealed_pmf()
    chain = KernelSchedule(sched.kernels()).revealed_pmf()
    np.testing.assert_allclose(closed, chain, atol=1e-13)
    np.testing.assert_allclose(closed.sum(axis=1), 1.0)
    assert closed[-1, -1] == 1.0


def test_batch_of_curves_and_distribution_input():
    rng = np.random.default_rng(9)
    zs = np.stack([random_z(rng, 6) for _ in range(3)])
    sched = S.binomial(6, [0.4, 0.5, 1.0])
    batch = mdm.expected_kl(mdm.InformationCurve(jnp.asarray(zs)), sched)
    assert isinstance(batch, np.ndarray) and batch.shape == (3,)
    for z, value in zip(zs, batch, strict=True):
        assert value == pytest.approx(brute_force_binomial(z, [0.4, 0.5, 1.0])[0])
    d = mdm.Distribution.from_probs(rng.dirichlet(np.ones(2**6)).reshape((2,) * 6))
    assert float(mdm.expected_kl(d, sched)) == pytest.approx(
        float(mdm.expected_kl(mdm.information_curve(d), sched))
    )


@with_x64
def test_gradients_of_the_exact_objective():
    z = jnp.asarray(random_z(np.random.default_rng(4), 12))

    def f(q):
        return binomial_expected_kl(z, jnp.concatenate([q, jnp.ones(1)]))

    check_grads(jax.jit(f), (jnp.array([0.2, 0.55, 0.8]),), order=1, modes=("fwd", "rev"))
    grad = jax.grad(f)(jnp.array([0.0, 0.5]))  # the endpoint p = 0 stays finite
    assert np.all(np.isfinite(np.asarray(grad)))


def test_step_count_conventions():
    # one step of Binomial(3, 1/2) then the rest: 2 non-empty steps unless step 1 takes 0 or 3
    kl = mdm.expected_kl(mdm.InformationCurve.from_z([0.0, 1.0, 1.0]), S.binomial(3, [0.5, 1]))
    assert float(kl) == pytest.approx(7 / 8)
    assert kl.steps == 2
    np.testing.assert_allclose(kl.nonempty_steps_pmf, [0, 2 / 8, 6 / 8])
    assert kl.expected_nonempty_steps == pytest.approx(1.75)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: S.binomial(3, [0.5, 0.9]), "reveal_probs"),
        (lambda: S.binomial(3, [1.5, 1.0]), "reveal_probs"),
        (lambda: S.binomial(3, []), "reveal_probs"),
        (lambda: S.binomial(0, [1.0]), "n"),
        (lambda: S.ancestral(3, 2, "nope"), "alpha"),
        (lambda: KernelSchedule(np.ones((1, 3, 3))), "kernels"),
        (lambda: KernelSchedule(np.eye(3)[None]), "kernels"),  # never reveals
        (lambda: KernelSchedule(np.array([[[0, 1.0], [1.0, 0]]])), "kernels"),  # goes back
        (lambda: KernelSchedule.from_size_probs(2, [[0.5, 0.5]]), "size_probs"),
        (lambda: S.binomial(3, [1.0]).expected_kl(mdm.InformationCurve.from_z([0.0])), "curve"),
    ],
)
def test_bad_input_raises_naming_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()
