"""The mixture-KL lattice DP against partition enumeration and the closed forms."""

import itertools
import math

import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mdmjax as mdm
from mdmjax.kl import lattice_work, mixture_kl, mixture_log_ratio
from tests.reference import random_table

LN2 = math.log(2)


def random_law(rng, shape, zeros=0.0):
    return mdm.Distribution.from_probs(random_table(rng, shape, zeros, alpha=0.6))


def brute_mixture_kl(p: np.ndarray, sizes) -> float:
    """Plain Python: average nu_B over every ordered partition, then KL (n <= 5)."""
    n = p.ndim
    states = list(itertools.product(*[range(q) for q in p.shape]))
    marg = {}

    def m(x, subset):
        key = (tuple(sorted(subset)), tuple(x[i] for i in sorted(subset)))
        if key not in marg:
            drop = tuple(i for i in range(n) if i not in subset)
            t = p.sum(axis=drop) if drop else p
            marg[key] = t[key[1]] if subset else 1.0
        return marg[key]

    nu = dict.fromkeys(states, 0.0)
    count = 0
    for perm in itertools.permutations(range(n)):
        blocks, start = [], 0
        for s in sizes:
            blocks.append(perm[start : start + s])
            start += s
        if any(list(b) != sorted(b) for b in blocks):
            continue  # one representative per ordered partition
        count += 1
        for x in states:
            if p[x] == 0:
                continue
            val, revealed = 1.0, []
            for b in blocks:
                for i in b:
                    val *= m(x, revealed + [i]) / m(x, revealed)
                revealed += list(b)
            nu[x] += val
    return sum(p[x] * math.log(p[x] * count / nu[x]) for x in states if p[x] > 0)


# A fixed menu of shapes and schedules keeps the number of compilations small.
CASES = [
    ((2,), (1,)),
    ((2, 3, 2), (2, 1)),
    ((3, 2, 2, 3), (1, 3)),
    ((3, 2, 2, 3), (2, 2)),
    ((2,) * 5, (2, 3)),
    ((2,) * 5, (1, 2, 2)),
    ((2,) * 6, (2, 1, 3)),
    ((3, 3, 2, 2, 2), (3, 2)),
]


@st.composite
def law_and_sizes(draw, cases=tuple(CASES)):
    shape, sizes = draw(st.sampled_from(cases))
    seed = draw(st.integers(0, 2**31 - 1))
    zeros = draw(st.sampled_from([0.0, 0.4]))
    return random_law(np.random.default_rng(seed), shape, zeros), sizes


@settings(max_examples=20)
@given(law_and_sizes())
def test_dp_matches_enumeration(case):
    d, sizes = case
    dp = mixture_kl(d, sizes)
    enum = mdm.exact_kl(d, sizes, kind="mixture", method="enumerate")
    assert dp == pytest.approx(enum, abs=1e-10)
    assert dp >= 0


@pytest.mark.parametrize(
    "shape,sizes",
    [
        ((2,) * 7, (1, 2, 3, 1)),
        pytest.param((2,) * 8, (2, 3, 3), marks=pytest.mark.slow),
        pytest.param((2,) * 8, (1, 1, 2, 4), marks=pytest.mark.slow),
    ],
)
def test_dp_matches_enumeration_up_to_n8(rng, shape, sizes):
    d = random_law(rng, shape, zeros=0.2)
    assert mixture_kl(d, sizes) == pytest.approx(
        mdm.exact_kl(d, sizes, kind="mixture", method="enumerate"), abs=1e-10
    )


def test_dp_matches_plain_python(rng):
    for shape, sizes in [((2, 3, 2), (2, 1)), ((3, 2, 2, 2), (1, 3)), ((2,) * 5, (2, 2, 1))]:
        d = random_law(rng, shape, zeros=0.2)
        assert mixture_kl(d, sizes) == pytest.approx(
            brute_mixture_kl(np.asarray(d.probs), sizes), abs=1e-12
        )


def test_closed_forms():
    # Parity on 5 bits (an MDS code): mixture = expected = 1[s_k >= 2] bits (docs/theory.md §5).
    p = np.zeros((2,) * 5)
    for x in itertools.product((0, 1), repeat=5):
        if sum(x) % 2 == 0:
            p[x] = 1 / 16
    parity = mdm.Distribution.from_probs(p)
    for sizes in [(5,), (2, 3), (3, 2), (1, 1, 3), (4, 1)]:
        assert mixture_kl(parity, sizes) / LN2 == pytest.approx(float(sizes[-1] >= 2), abs=1e-12)
    # Repetition, q = 3, n = 5: s_1 - 1 (in units of ln 3).
    r = np.zeros((3,) * 5)
    for v in range(3):
        r[(v,) * 5] = 1 / 3
    rep = mdm.Distribution.from_probs(r)
    for sizes in [(5,), (2, 3), (3, 2), (1, 1, 3)]:
        assert mixture_kl(rep, sizes) / math.log(3) == pytest.approx(sizes[0] - 1, abs=1e-12)


def test_product_law_and_single_steps_are_exact(rng):
    marginals = [rng.dirichlet(np.ones(q)) for q in (2, 3, 2, 2)]
    prod = mdm.Distribution.from_probs(np.einsum("a,b,c,d->abcd", *marginals))
    for sizes in [(4,), (2, 2), (1, 3)]:
        assert mixture_kl(prod, sizes) == pytest.approx(0.0, abs=1e-13)
    d = random_law(rng, (2, 3, 2, 2))
    assert mixture_kl(d, (1, 1, 1, 1)) == pytest.approx(0.0, abs=1e-13)
    ratio = mixture_log_ratio(d, (1, 1, 1, 1))
    assert ratio.shape == (2, 3, 2, 2)
    np.testing.assert_allclose(ratio, 0.0, atol=1e-13)


@settings(max_examples=15)
@given(law_and_sizes())
def test_mixture_below_expected_kl(case):
    """Convexity: KL(p || mean nu_B) <= mean KL(p || nu_B) = Theorem 4."""
    d, sizes = case
    assert mixture_kl(d, sizes) <= mdm.expected_kl(d, sizes) + 1e-12


def test_exact_kl_dispatch(rng):
    d = random_law(rng, (2,) * 5)
    sizes = (2, 3)
    dp = mixture_kl(d, sizes)
    assert mdm.exact_kl(d, sizes, kind="mixture") == dp
    assert mdm.exact_kl(d, sizes, kind="mixture", method="dp") == dp
    enum = mdm.exact_kl(d, sizes, kind="mixture", method="enumerate")
    assert enum == pytest.approx(dp, abs=1e-12)
    expected, mixture = mdm.exact_kl(d, sizes, kind="both")
    assert mixture == pytest.approx(dp, abs=1e-12)
    assert expected == pytest.approx(mdm.expected_kl(d, sizes), abs=1e-12)
    with pytest.raises(ValueError, match="method"):
        mdm.exact_kl(d, sizes, kind="expected", method="dp")
    with pytest.raises(ValueError, match="method"):
        mdm.exact_kl(d, sizes, kind="mixture", method="fast")
    # the DP needs no partition list, so max_partitions does not limit it
    big = random_law(rng, (2,) * 10)
    assert mdm.exact_kl(big, (5, 5), kind="mixture", max_partitions=10) >= 0


def test_float32_mode(rng):
    d = random_law(rng, (2,) * 8)
    a = mixture_kl(d, (3, 3, 2))
    b = mixture_kl(d, (3, 3, 2), dtype=jnp.float32)
    assert a != b and abs(a - b) < 1e-4 * max(a, 1e-3)


def test_bad_arguments(rng):
    d = random_law(rng, (2, 2, 2))
    with pytest.raises(ValueError, match="sizes"):
        mixture_kl(d, (2, 2))
    with pytest.raises(ValueError, match="sizes"):
        mixture_kl(d, (3, 0))
    with pytest.raises(ValueError, match="d:"):
        mixture_kl(np.full((2, 2), 0.25), (2,))
    with pytest.raises(ValueError, match="dtype"):
        mixture_kl(d, (3,), dtype=np.int32)


def test_memory_guard(rng, monkeypatch):
    d = random_law(rng, (2,) * 6)
    monkeypatch.setenv("MDMJAX_MEMORY_LIMIT", "2000")
    with pytest.raises(ValueError, match=r"d: the mixture-KL DP .* bytes"):
        mixture_kl(d, (3, 3))


def test_lattice_work():
    # sum_t C(n, N_t) C(N_t, s_t) (s_t + 2)
    assert lattice_work((2, 1)) == math.comb(3, 2) * 1 * 4 + 1 * math.comb(3, 1) * 3
    assert lattice_work((4,)) == 6
