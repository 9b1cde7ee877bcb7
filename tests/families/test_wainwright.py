"""Wainwright's laws: the random-centres mixture and XORSAT, against direct constructions."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import mdmjax as mdm


def test_mixture_table_and_log_prob_match_enumeration():
    centres = mdm.families.random_centres(1, 6, 3)
    eta = 0.2
    w, m = mdm.families.random_centres_marginals(centres, eta)
    law = mdm.families.mixture_of_products(w, m)
    xs = np.array(list(itertools.product([0, 1], repeat=6)))
    ref = [np.mean([np.prod(np.where(x == c, 1 - eta, eta)) for c in centres]) for x in xs]
    np.testing.assert_allclose(np.asarray(law.probs).ravel(), ref, atol=1e-15)
    lp = mdm.families.random_centres_log_prob(centres, eta, xs)
    np.testing.assert_allclose(np.exp(lp), ref, rtol=1e-12)
    assert mdm.families.random_centres(0, 32).shape == (256, 32)


def test_xorsat_is_the_linear_code_of_a_transpose():
    a = mdm.families.xorsat_matrix(2, 6, 3, row_weight=2)
    law = mdm.families.xorsat(2, 6, 3, row_weight=2)
    support = {tuple(a @ np.array(u) % 2) for u in itertools.product([0, 1], repeat=3)}
    probs = np.asarray(law.probs)
    assert {tuple(x) for x in np.argwhere(probs > 0)} == support
    np.testing.assert_allclose(probs[probs > 0], 1 / len(support))
    exact = mdm.curves.linear_code_curve(a.T, 2)
    np.testing.assert_allclose(mdm.information_curve(law).z, exact.z, atol=1e-12)


def test_bad_input():
    with pytest.raises(ValueError, match="^centres: "):
        mdm.families.random_centres_marginals([[0, 2]], 0.1)
    with pytest.raises(ValueError, match="^eta: "):
        mdm.families.random_centres_marginals([[0, 1]], 1.5)
    with pytest.raises(ValueError, match="^row_weight: "):
        mdm.families.xorsat_matrix(0, 4, 2, row_weight=3)


def test_fast_monte_carlo_rows_estimate_the_exact_curve():
    centres = mdm.families.random_centres(3, 6, 4)
    eta = 0.15
    w, m = mdm.families.random_centres_marginals(centres, eta)
    exact = np.asarray(mdm.information_curve(mdm.families.mixture_of_products(w, m)).z)
    rows = mdm.families.random_centres_z_rows(5, centres, eta, 4000)
    mean, se = rows.mean(axis=0), rows.std(axis=0, ddof=1) / np.sqrt(rows.shape[0])
    assert rows[:, 0].tolist() == [0.0] * 4000
    assert np.all(np.abs(mean - exact)[1:] <= 4.5 * se[1:])
