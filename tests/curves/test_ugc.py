"""Wainwright's gain curve and growth complexities (mdm.curves.ugc) against independent oracles.

Oracles: the card coefficients from ``Hbar`` (paper eq. 66), NumPy power-basis polynomials for
``h``, ``h'`` and their integrals, TC/DTC/TSE from the curve, and closed forms for the repeated
bit and parity. docs/theory.md §12.
"""

from __future__ import annotations

import math

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.polynomial import Polynomial

import mdmjax as mdm

LN2 = math.log(2)


def _law(seed: int, n: int):
    return mdm.information_curve(mdm.families.dirichlet(jax.random.key(seed), (2,) * n))


def _h_poly(hbar: np.ndarray) -> Polynomial:
    """``h`` in the power basis, from ``Hbar`` directly: ``h^card_j = d (e_1 + e_j - e_{j+1})``."""
    d = hbar.size - 1
    card = [d * (hbar[1] + hbar[j] - hbar[j + 1]) for j in range(d)]
    t, s = Polynomial([0.0, 1.0]), Polynomial([1.0, -1.0])
    return sum((math.comb(d - 1, j) * card[j] * t**j * s ** (d - 1 - j) for j in range(d)), 0 * t)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(3, 5))
def test_identities_on_random_laws(seed, n):
    c = _law(seed, n)
    hbar = np.asarray(c.hbar)
    u = mdm.curves.ugc(c)
    poly = _h_poly(hbar)
    ts = np.linspace(0.0, 1.0, 7)
    np.testing.assert_allclose(u.h(ts), poly(ts), atol=1e-12)
    np.testing.assert_allclose(u.h_prime(ts), poly.deriv()(ts), atol=1e-11)
    # H(p, q) = ∫ t(1-t) h'
    big_h = (Polynomial([0.0, 1.0, -1.0]) * poly.deriv()).integ()
    assert u.mass(0.2, 0.7) == pytest.approx(big_h(0.7) - big_h(0.2), abs=1e-12)
    # H(0,1) = (2/(d+1)) TSE, TSE = Σ_k (e_k - (k/d) e_d)
    d = n
    tse = sum(hbar[k] - k / d * hbar[d] for k in range(1, d + 1))
    assert u.h01 == pytest.approx(2 / (d + 1) * tse, abs=1e-10)
    assert u.h01 == pytest.approx(big_h(1.0) - big_h(0.0), abs=1e-12)
    # TC = ∫ (1-t) h', DTC = ∫ t h'
    tc_poly = (Polynomial([1.0, -1.0]) * poly.deriv()).integ()
    dtc_poly = (Polynomial([0.0, 1.0]) * poly.deriv()).integ()
    assert tc_poly(1.0) - tc_poly(0.0) == pytest.approx(c.tc, abs=1e-10)
    assert dtc_poly(1.0) - dtc_poly(0.0) == pytest.approx(c.dtc, abs=1e-10)
    assert u.tc == pytest.approx(c.tc, abs=1e-10) and u.dtc == pytest.approx(c.dtc, abs=1e-10)
    assert u.h01 <= min(c.tc, c.dtc) + 1e-10
    # coarse exactly, fine against a rule of twice the panels; Ratio >= 1
    ell = math.log(d - 1)
    assert u.coarse == pytest.approx(2 * ell * (big_h(1 - 1 / d) - big_h(1 / d)), abs=1e-12)
    finer = u.quadrature_sqrt_mass(-ell, ell, panel_width=0.05) ** 2
    assert u.fine == pytest.approx(finer, rel=1e-10, abs=1e-14)
    assert u.ratio >= 1 - 1e-10


@pytest.mark.parametrize("d", [16, 64, pytest.param(128, marks=pytest.mark.slow)])
def test_repetition_and_parity_closed_forms(d):
    """Repeated bit: ``h' = (d-1) d ln2 (1-t)^{d-2}``; parity: its mirror ``t ↦ 1-t``."""
    root = math.sqrt((d - 1) * d * LN2) * ((1 - 1 / d) ** (d / 2) - (1 / d) ** (d / 2)) / (d / 2)
    for curve in (mdm.curves.repetition_curve(d, 2), mdm.curves.parity_curve(d, 2)):
        u = mdm.curves.ugc(curve)
        assert u.h01 == pytest.approx((d - 1) / (d + 1) * LN2, abs=1e-10)
        assert u.fine == pytest.approx(root**2, rel=1e-10)
        assert u.ratio >= 1
    rep = mdm.curves.ugc(mdm.curves.repetition_curve(d, 2))
    ts = np.array([0.0, 0.01, 0.3, 0.9])
    np.testing.assert_allclose(rep.h_prime(ts), (d - 1) * d * LN2 * (1 - ts) ** (d - 2), rtol=1e-12)


@pytest.mark.slow
def test_quadrature_against_the_exact_mass_and_its_own_refinement():
    """The rule of ``fine`` on ``q`` reproduces the exact ``H``; halving panels changes nothing."""
    for eta in (0.01, 0.3):
        u = mdm.curves.ugc(mdm.curves.noisy_repetition_curve(128, eta))
        ell = math.log(127)
        exact = u.mass(1 / 128, 1 - 1 / 128)
        assert u.quadrature_mass(-ell, ell) == pytest.approx(exact, rel=1e-12)
        coarse_rule = u.quadrature_sqrt_mass(-ell, ell)
        fine_rule = u.quadrature_sqrt_mass(-ell, ell, panel_width=0.05)
        assert coarse_rule == pytest.approx(fine_rule, rel=1e-12)
        # the whole line: ∫_ℝ q dλ = H(0, 1)
        assert u.quadrature_mass(-60, 60) == pytest.approx(u.h01, rel=1e-10)


@pytest.mark.slow
def test_noisy_repeated_bit_ratios_of_the_paper():
    """Fig. 1 of the paper (4.51 / 2.16 / 1.65); the project lead found 4.511 / 2.165 / 1.653."""
    got = [
        mdm.curves.ugc(mdm.curves.noisy_repetition_curve(128, e)).ratio for e in (0.01, 0.3, 0.45)
    ]
    np.testing.assert_allclose(got, [4.511, 2.165, 1.653], atol=5e-4)


@pytest.mark.slow
def test_large_d_is_stable():
    u = mdm.curves.ugc(mdm.curves.noisy_repetition_curve(1024, 0.1))
    assert np.isfinite([u.coarse, u.fine, u.h01]).all() and u.ratio >= 1
    assert np.all(u.h_prime(np.linspace(0, 1, 11)) >= 0)
    assert np.isfinite(u.density(np.array([-800.0, 0.0, 800.0]))).all()


def test_block_complexity_between_fine_and_coarse():
    u = mdm.curves.ugc(mdm.curves.noisy_repetition_curve(32, 0.1))
    assert u.block_complexity([]) == pytest.approx(u.coarse, rel=1e-12)
    breaks, c3 = mdm.schedules.optimal_blocks(u, 3)
    assert u.fine <= c3 <= u.coarse
    assert u.block_complexity(breaks) == pytest.approx(c3, rel=1e-9)
    many = 1 / (1 + np.exp(-np.linspace(-math.log(31), math.log(31), 2001)[1:-1]))
    assert u.block_complexity(many) == pytest.approx(u.fine, rel=1e-4)


def test_model_curve_is_an_estimate_with_an_interval():
    c = _law(3, 5)
    g = np.asarray(c.g)
    rng = np.random.default_rng(0)
    rows = g[None, :] + 0.01 * rng.standard_normal((40, 5))
    mc = mdm.ModelCurve(rows, rows, np.ones(40))
    u = mdm.curves.ugc(mc, num_bootstrap=30)
    assert u.estimate and u.ratio == pytest.approx(mdm.curves.ugc(mc.curve).ratio)
    iv = u.ratio_interval
    assert iv.lower <= iv.upper and iv.stderr > 0


def test_monte_carlo_curve_is_marked_as_an_estimate():
    model = mdm.curves.MixtureOfProducts([0.5, 0.5], [[[0.9, 0.1]] * 6, [[0.1, 0.9]] * 6])
    u = mdm.curves.ugc(mdm.curves.monte_carlo_curve(model, key=0, num_samples=32))
    assert u.estimate and u.ratio >= 1


def test_bad_input():
    with pytest.raises(ValueError, match="^curve: "):
        mdm.curves.ugc(mdm.InformationCurve.from_z(np.zeros(1)))
    with pytest.raises(ValueError, match="^curve: "):
        mdm.curves.ugc([0.0, 1.0])
    u = mdm.curves.ugc(mdm.curves.repetition_curve(4, 2))
    with pytest.raises(ValueError, match="^t: "):
        u.h(1.5)
    with pytest.raises(ValueError, match="^breaks: "):
        u.block_complexity([0.9, 0.5])
    with pytest.raises(ValueError, match="^row_z: "):
        mdm.curves.ugc_bootstrap(np.zeros((1, 4)))
    assert math.isnan(mdm.curves.ugc(mdm.curves.product_curve(np.full((4, 2), 0.5))).ratio)
