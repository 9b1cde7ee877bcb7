"""Schedule catalogue: practice formulas, Theorem 9 against an exact reference, guarantees."""

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mdmjax as mdm
from mdmjax import bounds as B
from mdmjax import schedules as S


def assert_valid(sizes, n):
    assert isinstance(sizes, tuple)
    assert all(isinstance(s, int) and s >= 1 for s in sizes), sizes
    assert sum(sizes) == n


def random_law(rng, n, q=2, alpha=0.5):
    p = rng.dirichlet(np.full(q**n, alpha)).reshape((q,) * n)
    return mdm.Distribution.from_probs(p)


def thm4(curve, sizes):
    """Theorem 4 in plain numpy: sum over blocks of sum_j (Z_{N+j} - Z_{N+1})."""
    z = np.asarray(curve.z)
    ends = np.cumsum(sizes)
    return float(sum(np.sum(z[e - s : e] - z[e - s]) for s, e in zip(sizes, ends, strict=True)))


def random_curve(rng, n):
    """A non-decreasing Z with Z_1 = 0: sparse exponential increments."""
    inc = rng.exponential(size=n - 1) * (rng.uniform(size=n - 1) < rng.uniform(0.1, 1))
    return mdm.InformationCurve.from_z(np.concatenate([[0.0], np.cumsum(inc)]))


# ------------------------------------------------------------------------------------------------
# Plain-Python references of docs/theory.md §7 (no numpy, no shared code with the package)
# ------------------------------------------------------------------------------------------------
def ref_llada(n, steps):
    return tuple(s for s in (n // steps + (k < n % steps) for k in range(steps)) if s)


def ref_maskgit(n, steps, gamma, power=2.0):
    fns = {
        "cosine": lambda r: math.cos(math.pi * r / 2),
        "linear": lambda r: 1 - r,
        "pow": lambda r: 1 - r**power,
        "log": lambda r: -math.log2(r) / math.log2(n),
        "exp": lambda r: 1 - 2 ** (-math.log2(n) * (1 - r)),
    }
    masked, out = n, []
    for k in range(steps):
        r = (k + 1) / steps
        after = 0 if k == steps - 1 else max(1, min(masked - 1, math.floor(n * fns[gamma](r))))
        out.append(masked - after)
        masked = after
    return tuple(s for s in out if s)


def ref_dream(n, steps, eps=1e-3):
    t = [1 + (eps - 1) * i / steps for i in range(steps + 1)]
    masked, out = n, []
    for i in range(steps):
        s = masked if i == steps - 1 else int(masked * (1 - t[i + 1] / t[i]))
        out.append(s)
        masked -= s
    return tuple(s for s in out if s)


def ref_theorem9(n, x_hat, eps, kind):
    """Chen–Cong–Li Theorem 9 in exact rational arithmetic."""
    zeta = 1 + math.ceil(Fraction(x_hat) / Fraction(eps))
    if zeta >= n + 1:
        return (1,) * n
    if zeta == 1:
        lam = 2
    else:  # largest m with (zeta / (zeta - 1))^m <= n - zeta + 1
        m = 0
        while Fraction(zeta, zeta - 1) ** (m + 1) <= n - zeta + 1:
            m += 1
        lam = m + 2
    if kind == "tc":
        partial = [0]
        for _ in range(lam):
            partial.append(math.floor(partial[-1] + Fraction(n - partial[-1], zeta)))
        partial += list(range(partial[-1] + 1, n + 1))
    else:
        down = [n]
        for _ in range(lam):
            down.append(math.ceil(down[-1] * (1 - Fraction(1, zeta))))
        down += list(range(down[-1] - 1, -1, -1))
        partial = down[::-1]
    return tuple(b - a for a, b in zip(partial, partial[1:], strict=False) if b > a)


# ------------------------------------------------------------------------------------------------
# Practice
# ------------------------------------------------------------------------------------------------
def test_hand_computed_practice_cases():
    assert S.constant(10, 4) == (3, 3, 2, 2)
    assert S.constant(3, 5) == (1, 1, 1)  # empty steps dropped
    # cosine, n = 16, T = 4: floor(16 cos(pi r/2)) = 14, 11, 6 masked after steps 1..3
    assert S.maskgit(16, 4) == (2, 3, 5, 6) == S.cosine(16, 4)
    # linear, n = 8, T = 4: masked 6, 4, 2, 0
    assert S.maskgit(8, 4, "linear") == (2, 2, 2, 2)
    # float64 as written: floor(10 * (1 - 4/5)) = floor(1.9999999999999996) = 1
    assert S.maskgit(10, 5, "linear", dtype="float64") == (2, 2, 2, 3, 1)
    # MaskGIT's float32: 1 - 3 * f32(1/5) = 0.39999998, so floor(10 * .) = 3 masked, not 4
    assert S.maskgit(10, 5, "linear") == (2, 2, 3, 2, 1) == S.maskgit(10, 5, "uniform")
    # n = 4, T = 3: 4 cos(pi/3) is 2 in float64 but 1.9999999 in MaskGIT's float32
    assert S.maskgit(4, 3, dtype="float64") == (1, 1, 2)
    assert S.maskgit(4, 3) == (1, 2, 1) == S.cosine(4, 3)
    # log, n = 64, T = 8, r = 1/8: -log2(1/8)/6 = 1/2, so 32 masked after step 1
    assert S.maskgit(64, 8, "log")[0] == 32
    # Dream, n = 16, T = 4: t = 1, .75025, .5005, .25075; int(16 * .24975) = 3, ...
    assert S.dream(16, 4) == (3, 4, 4, 5)
    assert S.geometric(15, 4, 2.0) == (1, 2, 4, 8)
    assert S.geometric(15, 4, 0.5) == (8, 4, 2, 1)
    assert S.geometric(12, 4, 1.0) == (3, 3, 3, 3)


@given(n=st.integers(1, 300), steps=st.integers(1, 40))
def test_practice_schedules_match_plain_python_references(n, steps):
    assert S.constant(n, steps) == ref_llada(n, steps)
    for gamma in S.GAMMAS:
        if n > 1:
            got = S.maskgit(n, steps, gamma, dtype="float64")
            assert got == ref_maskgit(n, steps, gamma), gamma
    assert S.maskgit(n, steps, "pow", power=3.0, dtype="float64") == (
        ref_maskgit(n, steps, "pow", 3.0) if n > 1 else (1,)
    )
    assert S.dream(n, steps) == ref_dream(n, steps)
    for sizes in [S.constant(n, steps), S.dream(n, steps)] + [
        S.maskgit(n, steps, g) for g in S.GAMMAS
    ]:
        assert_valid(sizes, n)
        assert len(sizes) <= steps


@given(
    n=st.integers(1, 400),
    steps=st.integers(1, 60),
    log_ratio=st.floats(-6, 6, allow_nan=False),
)
def test_geometric_has_exactly_k_steps_in_ratio(n, steps, log_ratio):
    steps = min(steps, n)
    ratio = math.exp(log_ratio)
    sizes = S.geometric(n, steps, ratio)
    assert_valid(sizes, n)
    assert len(sizes) == steps
    # rounded partial sums stay within one position of n (r^t - 1)/(r^k - 1), up to the repair
    if steps > 1 and abs(log_ratio) > 1e-9 and n >= 4 * steps:
        ideal = n * np.expm1(np.arange(1, steps) * log_ratio) / math.expm1(steps * log_ratio)
        assert np.max(np.abs(np.cumsum(sizes)[:-1] - ideal)) <= steps


@given(
    n=st.integers(1, 200),
    raw=st.lists(st.floats(0, 1, allow_nan=False), min_size=0, max_size=30),
)
def test_from_breakpoints_agrees_with_jitted_round_breakpoints(n, raw):
    tau = np.sort(np.asarray(raw, dtype=float))[: n - 1] * n
    sizes = S.from_breakpoints(n, tau)
    assert_valid(sizes, n)
    assert len(sizes) == tau.size + 1
    partial = np.asarray(S.round_breakpoints(tau, n))
    assert tuple(np.diff(np.concatenate([[0], partial, [n]])).tolist()) == sizes


def test_from_breakpoints_rounds_and_repairs():
    assert S.from_breakpoints(10, [2.4, 2.6, 7.5]) == (2, 1, 5, 2)
    assert S.from_breakpoints(5, [0.0, 0.0, 0.1, 5.0]) == (1, 1, 1, 1, 1)
    assert S.from_breakpoints(7, []) == (7,)
    with pytest.raises(ValueError, match="breakpoints"):
        S.from_breakpoints(5, [3.0, 2.0])
    with pytest.raises(ValueError, match="breakpoints"):
        S.from_breakpoints(3, [1.0, 1.5, 2.0])


# ------------------------------------------------------------------------------------------------
# Theorem 9
# ------------------------------------------------------------------------------------------------
def test_theorem9_matches_exact_reference_on_a_grid():
    # dyadic x_hat / eps so that the ratio is exact in floating point
    for n in range(1, 70):
        for x_hat in (0.0, 0.25, 1.0, 1.5, 2.0, 3.0, 5.0, 8.0):
            for eps in (0.125, 0.25, 0.5, 1.0, 4.0):
                for kind, build in (("tc", S.tc_schedule), ("dtc", S.dtc_schedule)):
                    got = build(n, x_hat, eps)
                    assert got == ref_theorem9(n, x_hat, eps, kind), (n, x_hat, eps, kind)
                    assert_valid(got, n)
                    assert len(got) <= B.theorem9_steps(n, x_hat, eps)


@given(n=st.integers(1, 3000), zeta=st.integers(1, 3000))
def test_theorem9_lambda_is_the_exact_floor(n, zeta):
    zeta = min(zeta, n)
    lam = S.theorem9_lambda(n, zeta)
    if zeta == 1:
        assert lam == 2
        return
    m = lam - 2
    a = n - zeta + 1
    assert Fraction(zeta, zeta - 1) ** m <= a < Fraction(zeta, zeta - 1) ** (m + 1)


def test_theorem9_hand_cases():
    # zeta >= n + 1: all ones; x_hat = 0: one step
    assert S.tc_schedule(5, 10.0, 1.0) == (1,) * 5
    assert S.dtc_schedule(5, 10.0, 1.0) == (1,) * 5
    assert S.tc_schedule(7, 0.0, 0.1) == (7,)
    assert S.dtc_schedule(7, 0.0, 0.1) == (7,)
    assert S.tc_schedule(4, 1.0, 0.0) == (1, 1, 1, 1)
    # n = 9, zeta = 3: exact ceil(9 * 2/3) = 6, where float gives 6.000000000000001 -> 7
    assert S.dtc_schedule(9, 2.0, 1.0) == ref_theorem9(9, 2.0, 1.0, "dtc")
    assert S.dtc_schedule(9, 2.0, 1.0)[-1] == 3
    # n = 20, x_hat/eps = 2, zeta = 3, lambda = floor(ln 18 / ln 1.5) + 2 = 9
    assert S.theorem9_lambda(20, 3) == 9
    assert S.tc_schedule(20, 1.0, 0.5) == (6, 4, 3, 2, 1, 1, 1, 1, 1)


@pytest.mark.parametrize("seed", range(6))
def test_theorem9_and_austin_guarantees_on_random_laws(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 8))
    q = 2 if n > 5 else int(rng.integers(2, 4))
    c = mdm.information_curve(random_law(rng, n, q, alpha=float(rng.choice([0.1, 0.5, 2.0]))))
    for eps in (0.3 * c.tc, 0.05, 0.01):
        for over in (1.0, 1.7):
            for x_hat, build in ((c.tc * over, S.tc_schedule), (c.dtc * over, S.dtc_schedule)):
                sizes = build(n, x_hat, eps)
                assert mdm.expected_kl(c, sizes) <= eps + 1e-12
                assert len(sizes) <= B.theorem9_steps(n, x_hat, eps)
            sizes = S.austin(n, c.dtc * over, eps)
            assert_valid(sizes, n)
            assert mdm.expected_kl(c, sizes) <= eps + 1e-12
            assert len(sizes) <= B.austin_steps(n, c.dtc * over, eps)


def test_theorem9_and_austin_guarantees_on_many_curves():
    rng = np.random.default_rng(7)
    for n in (2, 9, 37, 150) * 8:  # few distinct n: few shapes to trace
        c = random_curve(rng, n)
        for eps in (0.01, 0.3, 2.0):
            tc_s = S.tc_schedule(n, c.tc, eps)
            dtc_s = S.dtc_schedule(n, c.dtc, eps)
            aus = S.austin(n, c.dtc, eps)
            assert thm4(c, tc_s) <= eps + 1e-9
            assert thm4(c, dtc_s) <= eps + 1e-9
            assert thm4(c, aus) <= eps + 1e-9
            assert len(aus) <= B.austin_steps(n, c.dtc, eps)


def test_mds_code_theory_schedules():
    # Z_j = log q 1[j > d]: TC = (n - d) log q, DTC = d log q (docs/theory.md §4)
    n, d, lq = 60, 4, math.log(7)
    c = mdm.InformationCurve.from_z(lq * (np.arange(1, n + 1) > d))
    assert c.dtc == pytest.approx(d * lq) and c.tc == pytest.approx((n - d) * lq)
    eps = 0.5
    dtc_s = S.dtc_schedule(n, c.dtc, eps)
    assert mdm.expected_kl(c, dtc_s) <= eps
    assert len(dtc_s) < len(S.tc_schedule(n, c.tc, eps))  # small DTC: the DTC schedule wins


def test_corollary34():
    rng = np.random.default_rng(3)
    for n in (2, 11, 64) * 8:
        c = random_curve(rng, n)
        for delta in (0.1, 0.5, 2.0):
            sizes = S.corollary34(n, c.dtc, delta)
            k = min(n, math.ceil(c.dtc / delta**2) + 1)
            assert sizes == (1,) * (k - 1) + (n - k + 1,)
            assert thm4(c, sizes) <= B.corollary34_bound(n, c.dtc, delta) + 1e-12


# ------------------------------------------------------------------------------------------------
# Square-root rule and the sweep
# ------------------------------------------------------------------------------------------------
def test_sqrt_rule_constant_profile_gives_equal_blocks():
    n, k = 120, 6
    c = mdm.InformationCurve.from_z(0.01 * np.arange(n))
    assert S.sqrt_rule(c, k) == (20,) * 6
    # and it is optimal there: KL = c sum s(s-1)/2 is minimized by equal sizes (docs/theory.md §5)
    assert mdm.expected_kl(c, S.sqrt_rule(c, k)) == pytest.approx(mdm.optimal_schedule(c, k).kl)


def test_sqrt_rule_inverse_square_profile_is_geometric():
    # f(i) ∝ 1/i^2 -> block sizes ∝ i: geometric schedule (Lavenant–Zanella)
    n, k = 4000, 6
    f = 1.0 / np.arange(1, n) ** 2
    c = mdm.InformationCurve.from_z(np.concatenate([[0.0], np.cumsum(f)]))
    sizes = np.asarray(S.sqrt_rule(c, k, smoothing=0.0), dtype=float)
    ratios = sizes[2:] / sizes[1:-1]
    assert np.ptp(ratios) < 0.15 * ratios.mean()


def test_sqrt_rule_is_near_optimal_on_a_smooth_curve():
    n = 400
    c = mdm.InformationCurve.from_z(np.log(np.arange(1, n + 1)))
    for k in (8, 20):
        sizes = S.sqrt_rule(c, k)
        assert_valid(sizes, n) and len(sizes) == k
        ratio = mdm.expected_kl(c, sizes) / mdm.optimal_schedule(c, k).kl
        assert 1 <= ratio < 1.15
        assert ratio < mdm.expected_kl(c, S.constant(n, k)) / mdm.optimal_schedule(c, k).kl


def test_adaptive_sweep_meets_budget_and_counts_its_steps():
    rng = np.random.default_rng(11)
    c = mdm.information_curve(random_law(rng, 6, 2, alpha=0.3))
    for eps in (0.02, 0.1):
        res = S.theorem9_sweep(c, eps)
        assert_valid(res.sizes, 6)
        assert res.kl == pytest.approx(mdm.expected_kl(c, res.sizes)) and res.kl <= eps
        assert res.steps_spent == sum(t[2] for t in res.trials) >= res.steps
        xs = sorted({t[1] for t in res.trials})
        assert all(b == 2 * a for a, b in zip(xs, xs[1:], strict=False))  # powers of 2
        assert xs[0] <= eps < 2 * xs[0]
        failed = [t for t in res.trials if t[1] < res.x_hat]
        assert all(t[3] > eps for t in failed)  # the sweep stopped at the first success
        # the guarantee: success by X^ = the first power of 2 >= min(TC, DTC)
        assert res.x_hat <= 2 * max(min(c.tc, c.dtc), eps)
    est = S.theorem9_sweep({"n": 6, "tc": c.tc, "dtc": c.dtc}, 0.1)
    assert est.kl is None
    assert est.sizes == min(S.tc_schedule(6, c.tc, 0.1), S.dtc_schedule(6, c.dtc, 0.1), key=len)


# ------------------------------------------------------------------------------------------------
# Errors
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: S.constant(0, 3), "n"),
        (lambda: S.constant(5, 0), "steps"),
        (lambda: S.maskgit(5, 2, "nope"), "gamma"),
        (lambda: S.dream(5, 2, eps=2.0), "eps"),
        (lambda: S.geometric(5, 6, 2.0), "steps"),
        (lambda: S.geometric(5, 2, -1.0), "ratio"),
        (lambda: S.tc_schedule(5, -1.0, 0.1), "tc_hat"),
        (lambda: S.dtc_schedule(5, 1.0, float("nan")), "eps"),
        (lambda: S.austin(5, 1.0, -0.1), "eps"),
        (lambda: S.corollary34(5, 1.0, 0.0), "delta"),
        (lambda: S.theorem9_sweep({"tc": 1.0}, 0.1), "curve_or_estimates"),
        (lambda: S.theorem9_sweep(mdm.InformationCurve.from_z([0.0, 1.0]), 0.0), "eps"),
    ],
)
def test_bad_input_raises_naming_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()
