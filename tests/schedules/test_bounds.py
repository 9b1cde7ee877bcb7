"""Bounds: every bound against exact values on many laws, and where each is attained."""

import itertools
import math

import numpy as np
import pytest

import mdmjax as mdm
from mdmjax import bounds as B
from mdmjax import schedules as S
from tests.reference import all_compositions


def reed_solomon(n, q, d, shift=0):
    """Uniform law on {(P(a_1), .., P(a_n)) + shift : deg P < d}, a_i = i, over F_q (q prime)."""
    vander = np.array([[pow(a, j, q) for a in range(n)] for j in range(d)])
    messages = np.array(list(itertools.product(range(q), repeat=d)))
    words = (messages @ vander + shift) % q
    p = np.zeros((q,) * n)
    p[tuple(words.T)] = 1.0 / q**d
    return mdm.Distribution.from_probs(p)


def parity(n):
    """Uniform on even-weight binary words: an MDS code of dimension n - 1."""
    grid = np.indices((2,) * n).sum(axis=0)
    return mdm.Distribution.from_probs((grid % 2 == 0) / 2.0 ** (n - 1))


def repetition(n, q):
    p = np.zeros((q,) * n)
    for v in range(q):
        p[(v,) * n] = 1.0 / q
    return mdm.Distribution.from_probs(p)


def dirichlet_law(rng, n, q, alpha):
    return mdm.Distribution.from_probs(rng.dirichlet(np.full(q**n, alpha)).reshape((q,) * n))


def padded(n):
    """All compositions of n as one zero-padded batch (one vmapped expected_kl call)."""
    comps = list(all_compositions(n))
    out = np.zeros((len(comps), n), dtype=np.int64)
    for i, sizes in enumerate(comps):
        out[i, : len(sizes)] = sizes
    return comps, out


def laws():
    rng = np.random.default_rng(20261122)
    out = [("rs-5-2", reed_solomon(4, 5, 2)), ("rs-5-3", reed_solomon(4, 5, 3, shift=1))]
    out += [("repetition", repetition(5, 3)), ("parity", parity(5))]
    for i, (n, q, a) in enumerate([(4, 2, 0.1), (4, 3, 0.5), (5, 2, 1.0), (3, 4, 0.2)]):
        out.append((f"dirichlet-{i}", dirichlet_law(rng, n, q, a)))
    return out


LAWS = laws()


@pytest.mark.parametrize(("name", "law"), LAWS, ids=[name for name, _ in LAWS])
def test_kl_bounds_hold_against_enumeration(name, law):
    c = mdm.information_curve(law)
    comps, batch = padded(law.n)
    theorem4 = mdm.expected_kl(c, batch)
    for i, sizes in enumerate(comps):
        # enumeration of ordered partitions (no Theorem 4) on a few, Theorem 4 on all
        exact = mdm.exact_kl(law, sizes) if i % 5 == 0 else theorem4[i]
        assert exact == pytest.approx(theorem4[i], abs=1e-10)
        s_max = max(sizes)
        assert B.smax(c, sizes) == pytest.approx((s_max - 1) * c.zn)
        assert exact <= B.smax(c, sizes) + 1e-10
        assert B.smax(c, sizes) <= B.li_cai(c, sizes) + 1e-12
        li_cai = (2 ** math.ceil(math.log2(s_max)) - 1) / law.n * (c.tc + c.dtc)
        assert B.li_cai(c, sizes) == pytest.approx(li_cai)
        log_q = math.log(max(law.shape))
        assert B.smax(c, sizes) <= (s_max - 1) * log_q + 1e-12


def test_kl_bounds_on_many_random_laws():
    rng = np.random.default_rng(1)
    for _ in range(12):
        n = int(rng.integers(2, 7))
        d = dirichlet_law(rng, n, 2, float(rng.choice([0.05, 0.3, 2.0])))
        c = mdm.information_curve(d)
        comps, batch = padded(n)
        for sizes, kl in zip(comps, mdm.expected_kl(c, batch), strict=True):
            assert kl <= B.smax(c, sizes) + 1e-12 <= B.li_cai(c, sizes) + 2e-12


def test_smax_is_attained_by_repetition_with_the_largest_block_first():
    for n, q in ((5, 3), (6, 2)):
        d = repetition(n, q)
        c = mdm.information_curve(d)
        comps, batch = padded(n)
        for i, (sizes, kl) in enumerate(zip(comps, mdm.expected_kl(c, batch), strict=True)):
            exact = mdm.exact_kl(d, sizes) if i % 4 == 0 else kl
            assert exact == pytest.approx(kl, abs=1e-10)
            if sizes[0] == max(sizes):
                assert exact == pytest.approx(B.smax(c, sizes), abs=1e-10)
                assert exact == pytest.approx((sizes[0] - 1) * math.log(q), abs=1e-10)
            else:
                assert exact < B.smax(c, sizes) - 1e-6
    # Li–Cai equals it exactly when s_max is a power of 2 (and is loose otherwise)
    c = mdm.information_curve(repetition(6, 2))
    assert mdm.expected_kl(c, (4, 2)) == pytest.approx(B.li_cai(c, (4, 2)))
    assert mdm.expected_kl(c, (3, 3)) < B.li_cai(c, (3, 3)) - 0.5


def test_mds_closed_form_and_bounds():
    # Expected KL of an MDS code of dimension d: N_t* - d (docs/theory.md §5), in units of log q
    d = reed_solomon(4, 5, 2)
    c = mdm.information_curve(d)
    lq = math.log(5)
    assert mdm.exact_kl(d, (4,)) / lq == pytest.approx(2.0)
    assert mdm.exact_kl(d, (1, 3)) / lq == pytest.approx(2.0)
    assert mdm.exact_kl(d, (3, 1)) / lq == pytest.approx(1.0)
    assert mdm.exact_kl(d, (2, 2)) == pytest.approx(0.0, abs=1e-10)
    assert B.smax(c, (4,)) / lq == pytest.approx(3.0)


def test_step_bounds_hold_for_the_schedules_they_describe():
    for n in (1, 2, 5, 17, 64, 300):
        for x_hat in (0.0, 0.3, 1.0, 7.0, 50.0):
            for eps in (0.01, 0.1, 1.0):
                assert len(S.tc_schedule(n, x_hat, eps)) <= B.theorem9_steps(n, x_hat, eps)
                assert len(S.dtc_schedule(n, x_hat, eps)) <= B.theorem9_steps(n, x_hat, eps)
                k = len(S.austin(n, x_hat, eps))
                assert k <= B.austin_steps(n, x_hat, eps)
                assert k <= 2 * math.sqrt(n * x_hat / eps) + 1


def test_step_bound_formulas():
    assert B.theorem9_steps(20, 1.0, 0.5) == pytest.approx(2 + (1 + math.log(20)) * 3)
    assert B.theorem9_steps(20, 0.0, 0.5) == pytest.approx(3 + math.log(20))
    assert B.theorem9_steps(20, 1.0, 0.0) == math.inf
    assert B.austin_steps(100, 1.0, 0.25) == 41
    assert B.austin_steps(100, 0.0, 0.25) == 1
    assert B.austin_steps(10, 5.0, 0.0) == 10
    assert B.corollary34_bound(10, 1.0, 0.5) == pytest.approx(0.25 * (10 - 5 + 1))
    assert B.corollary34_bound(3, 10.0, 0.5) == 0.0


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: B.smax(mdm.InformationCurve.from_z([0.0, 1.0]), (1, 2)), "sizes"),
        (lambda: B.li_cai("nope", (1,)), "curve"),
        (lambda: B.theorem9_steps(0, 1.0, 0.1), "n"),
        (lambda: B.theorem9_steps(3, -1.0, 0.1), "x_hat"),
        (lambda: B.austin_steps(3, 1.0, float("inf")), "eps"),
        (lambda: B.corollary34_bound(3, 1.0, 0.0), "delta"),
    ],
)
def test_bad_input_raises_naming_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()
