"""The steps-vs-n study function and the size tuples it compares (mdm.schedules)."""

import math

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

import mdmjax as mdm
from mdmjax.schedules import constant as constant_sizes
from mdmjax.schedules import cosine_sizes


def kl_numpy(curve, sizes):
    """Theorem 4 in numpy: every position against the first position of its block."""
    z = np.asarray(curve.z)
    sizes = np.asarray(sizes)
    starts = np.cumsum(sizes) - sizes
    return float(np.sum(z - np.repeat(z[starts], sizes)))


def test_theorem9_literal_example():
    # zeta = 2, lambda = floor(ln 9 / ln 2) + 2 = 5; N = 0, 5, 7, 8, 9, 9, then 10.
    assert mdm.schedules.theorem9_sizes(10, 1.0, 1.0, "tc") == (5, 2, 1, 1, 1)
    # DTC: N' = 10, 5, 3, 2, 1, 1, then 0; reversed partial sums 0, 1, 1, 2, 3, 5, 10.
    assert mdm.schedules.theorem9_sizes(10, 1.0, 1.0, "dtc") == (1, 1, 1, 2, 5)
    assert mdm.schedules.theorem9_sizes(10, 5.0, 0.1) == (1,) * 10  # zeta >= n + 1
    assert mdm.schedules.theorem9_sizes(10, 0.0, 0.1) == (10,)


@st.composite
def curves(draw):
    n = draw(st.integers(2, 60))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    shape = draw(st.sampled_from(["steps", "smooth", "late"]))
    if shape == "steps":
        z = np.sort(rng.choice([0.0, 0.5, 1.0, 2.0], size=n))
    elif shape == "smooth":
        z = np.cumsum(rng.exponential(1.0, size=n))
    else:
        z = np.cumsum(rng.exponential(1.0, size=n) * (np.arange(n) > n // 2))
    z = z - z[0]
    eps = draw(st.sampled_from([0.01, 0.1, 0.5, 2.0]))
    return mdm.InformationCurve.from_z(z), eps


@settings(max_examples=60)
@given(curves())
def test_theorem9_guarantee(case):
    """Chen–Cong–Li Theorem 9: KL <= eps and k <= 2 + (1 + ln n)(1 + ceil(X / eps))."""
    curve, eps = case
    n = curve.n
    for kind, bound in (("tc", curve.tc), ("dtc", curve.dtc)):
        sizes = mdm.schedules.theorem9_sizes(n, bound, eps, kind)
        assert sum(sizes) == n and min(sizes) >= 1
        assert kl_numpy(curve, sizes) <= eps + 1e-9
        assert len(sizes) <= 2 + (1 + math.log(n)) * (1 + math.ceil(bound / eps))


def test_constant_and_cosine_follow_theory():
    assert constant_sizes(10, 3) == (4, 3, 3)
    assert constant_sizes(5, 5) == (1,) * 5
    # MaskGIT cosine, n = 10, T = 3: masked after steps: floor(10 cos(pi/6)) = 8,
    # floor(10 cos(pi/3)) = 5, then 0.
    assert cosine_sizes(10, 3) == (2, 3, 5)
    for n in (1, 2, 7, 30):
        for t in range(1, n + 1):
            s = cosine_sizes(n, t)
            assert sum(s) == n and min(s) >= 1 and len(s) <= t
        assert cosine_sizes(n, n) == (1,) * n


def brute_fewest(curve, maker, eps):
    for t in range(1, curve.n + 1):
        s = maker(curve.n, t)
        if kl_numpy(curve, s) <= eps + 1e-12:
            return len(s)
    raise AssertionError


@pytest.mark.slow
def test_steps_vs_n_columns_against_references():
    eps = 0.2
    out = mdm.search.steps_vs_n("noisy_repetition", [5, 12, 30], eps, eta=0.15, progress=False)
    assert out["n"] == [5, 12, 30]
    for b, n in enumerate(out["n"]):
        curve = mdm.curves.noisy_repetition_curve(n, 0.15)
        assert out["dp"][b] == mdm.min_steps(curve, eps).steps
        assert out["dp_kl"][b] <= eps + 1e-12
        assert out["theorem9_tc"][b] == len(mdm.schedules.theorem9_sizes(n, curve.tc, eps, "tc"))
        assert out["theorem9_dtc"][b] == len(mdm.schedules.theorem9_sizes(n, curve.dtc, eps, "dtc"))
        assert out["constant"][b] == brute_fewest(curve, constant_sizes, eps)
        assert out["cosine"][b] == brute_fewest(curve, cosine_sizes, eps)
        for m in ("theorem9_tc", "theorem9_dtc", "constant", "cosine"):
            assert out[m + "_kl"][b] <= eps + 1e-9
            assert out["dp"][b] <= out[m][b]


def test_steps_vs_n_repetition_and_callable():
    out = mdm.search.steps_vs_n("repetition", [8, 16], 0.1, progress=False)
    assert out["dp"] == [2, 2] and out["constant"] == [8, 16]
    out2 = mdm.search.steps_vs_n(
        lambda n: mdm.curves.repetition_curve(n), [8, 16], 0.1, dp=False, progress=False
    )
    assert out2["dp"] == [None, None] and out2["constant"] == out["constant"]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(family="repetition", ns=[4], eps=0.0), "eps"),
        (dict(family="repetition", ns=[], eps=0.1), "ns"),
        (dict(family="repetition", ns=[0], eps=0.1), "ns"),
        (dict(family=3, ns=[4], eps=0.1), "family"),
        (dict(family=lambda n: mdm.curves.repetition_curve(n + 1), ns=[4], eps=0.1), "family"),
    ],
)
def test_steps_vs_n_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        mdm.search.steps_vs_n(progress=False, **kwargs)


def test_theorem9_bad_input():
    with pytest.raises(ValueError, match="kind"):
        mdm.schedules.theorem9_sizes(5, 1.0, 0.1, "both")
    with pytest.raises(ValueError, match="eps"):
        mdm.schedules.theorem9_sizes(5, 1.0, -0.1)


def test_moved_names_are_deprecated_aliases():
    """The old mdm.search names warn and keep their old behaviour (argument order included)."""
    with pytest.warns(DeprecationWarning, match="schedules.theorem9_sizes"):
        old = mdm.search.theorem9_sizes
    assert old(10, 0.1, 5.0) == mdm.schedules.theorem9_sizes(10, 5.0, 0.1) == (1,) * 10
    assert old(10, eps=0.1, bound=0.0) == (10,)
    with pytest.warns(DeprecationWarning, match="schedules.constant"):
        assert mdm.search.constant_sizes is mdm.schedules.constant
    with pytest.warns(DeprecationWarning, match="schedules.cosine_sizes"):
        assert mdm.search.cosine_sizes is mdm.schedules.cosine_sizes
    with pytest.raises(AttributeError):
        mdm.search.no_such_name  # noqa: B018
