"""Theorem 4 against enumeration of ordered partitions; exact_kl, partition_kl (theory §1–2)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mdmjax as mdm
from tests import reference as ref
from tests.reference import random_table as random_law

# A menu of shapes (n = 1..5, alphabets 1..3, singleton axes included) instead of any shape: the
# enumeration kernels compile once per shape and block sizes, and the menu lets 40 examples share
# them; the laws and the schedules stay random.
THEOREM4_SHAPES = [(1,), (3,), (2, 3), (3, 1, 2), (2, 2, 2), (1, 3, 2, 2), (2, 3, 2, 3)]
THEOREM4_SHAPES += [(2, 2, 1, 2, 3), (3, 2, 2, 2, 2)]


@settings(max_examples=25)  # each new (shape, sizes) compiles the enumeration: compile-bound
@given(shape=st.sampled_from(THEOREM4_SHAPES), seed=st.integers(0, 2**32 - 1), data=st.data())
def test_theorem4_equals_enumeration(shape, seed, data):
    p = random_law(np.random.default_rng(seed), shape, 0.3)
    d = mdm.Distribution.from_probs(p)
    n = len(shape)
    k = data.draw(st.integers(1, n))
    sizes = data.draw(st.sampled_from(list(ref.compositions(n, k))))
    expected, mixture = mdm.exact_kl(d, sizes, kind="both")
    assert mdm.expected_kl(d, sizes) == pytest.approx(expected, abs=1e-10)
    assert mixture <= expected + 1e-12
    assert mdm.exact_kl(d, sizes, kind="expected") == pytest.approx(expected, abs=1e-14)
    assert mdm.exact_kl(d, sizes, kind="mixture") == pytest.approx(mixture, abs=1e-14)
    hb = ref.hbar(p)
    assert mdm.expected_kl(d, sizes) == pytest.approx(
        ref.theorem4_entropy_form(hb, sizes), abs=1e-10
    )


def test_exact_kl_against_partition_by_partition_reference(rng):
    p = random_law(rng, (2, 3, 2, 2), 0.2)
    d = mdm.Distribution.from_probs(p)
    for sizes in [(2, 2), (1, 3), (3, 1), (1, 1, 2), (4,)]:
        parts = ref.all_ordered_partitions(sizes)
        assert len(parts) == mdm.kl.count_partitions(sizes)
        nus = [ref.nu_partition(p, b) for b in parts]
        expected = np.mean([ref.kl(p, nu) for nu in nus])
        mixture = ref.kl(p, np.mean(nus, axis=0))
        got = mdm.exact_kl(d, sizes, kind="both")
        assert got[0] == pytest.approx(expected, abs=1e-12)
        assert got[1] == pytest.approx(mixture, abs=1e-12)
        for b in parts[:5]:
            assert mdm.partition_kl(d, b) == pytest.approx(ref.kl(p, ref.nu_partition(p, b)))


def test_partition_kl_is_a_sum_of_conditional_total_correlations(rng):
    p = random_law(rng, (2, 2, 3, 2, 2))
    d = mdm.Distribution.from_probs(p)
    blocks = [[3], [0, 4], [1, 2]]
    want, revealed = 0.0, []
    for b in blocks:
        h_a = ref.subset_entropy(p, revealed)
        want += sum(ref.subset_entropy(p, revealed + [i]) - h_a for i in b)
        want -= ref.subset_entropy(p, revealed + b) - h_a
        revealed = revealed + b
    assert mdm.partition_kl(d, blocks) == pytest.approx(want, abs=1e-12)


def test_expected_kl_special_schedules_and_batches(rng):
    p = random_law(rng, (2, 2, 2, 3, 2))
    d = mdm.Distribution.from_probs(p)
    c = mdm.information_curve(d)
    assert mdm.expected_kl(c, (1,) * 5) == 0.0
    assert mdm.expected_kl(c, (5,)) == pytest.approx(c.tc, abs=1e-12)
    batch = np.array([[5, 0, 0, 0, 0], [1, 1, 1, 1, 1], [2, 3, 0, 0, 0], [2, 0, 3, 0, 0]])
    got = mdm.expected_kl(c, batch)
    assert got.dtype == np.float64 and got.shape == (4,)
    want = [mdm.expected_kl(c, (5,)), 0.0, mdm.expected_kl(c, (2, 3)), mdm.expected_kl(c, (2, 3))]
    np.testing.assert_allclose(got, want, atol=1e-14)
    # refining never raises the expected KL
    assert mdm.expected_kl(c, (1, 1, 3)) <= mdm.expected_kl(c, (2, 3)) + 1e-15


def test_kl_bad_input(rng):
    d = mdm.Distribution.from_probs(random_law(rng, (2, 2, 2)))
    c = mdm.information_curve(d)
    for bad, msg in [
        ((1, 1), "sum to 2"),
        ((0, 3), ">= 1"),
        ((), "zero steps"),
        ((1.5, 1.5), "integers"),
        ("abc", "sizes"),
    ]:
        with pytest.raises(ValueError, match="sizes"):
            mdm.expected_kl(c, bad)
        if msg != "sizes":
            with pytest.raises(ValueError, match=msg):
                mdm.expected_kl(c, bad)
    with pytest.raises(ValueError, match="row 1"):
        mdm.expected_kl(c, [[3, 0], [2, 0]])
    with pytest.raises(ValueError, match="curve_or_dist"):
        mdm.expected_kl(np.zeros(3), (3,))
    with pytest.raises(ValueError, match="kind"):
        mdm.exact_kl(d, (3,), kind="average")
    with pytest.raises(ValueError, match="sizes"):
        mdm.exact_kl(d, (2, 2))
    with pytest.raises(ValueError, match="blocks"):
        mdm.partition_kl(d, [[0, 1], [1, 2]])
    with pytest.raises(ValueError, match="blocks"):
        mdm.partition_kl(d, [[0, 1], []])
    with pytest.raises(ValueError, match="blocks"):
        mdm.partition_kl(d, [])
    big = mdm.Distribution.from_probs(np.full((2,) * 12, 2.0**-12))
    with pytest.raises(ValueError, match="479001600 ordered partitions"):
        mdm.exact_kl(big, (1,) * 12)


def test_exact_kl_n8_all_singletons_is_zero_and_fast_enough(rng):
    p = random_law(rng, (2,) * 8)
    d = mdm.Distribution.from_probs(p)
    e, m = mdm.exact_kl(d, (1,) * 8, kind="both")
    assert abs(e) < 1e-12 and abs(m) < 1e-12
    e, m = mdm.exact_kl(d, (2, 2, 2, 2), kind="both")
    assert e == pytest.approx(mdm.expected_kl(d, (2, 2, 2, 2)), abs=1e-10)
    assert m < e
