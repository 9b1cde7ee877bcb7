"""Draws of a Markov chain (families/_markov_sampler.py) against the chain's law."""

import numpy as np
import pytest

import mdmjax as mdm

MU = np.array([0.2, 0.8])
P = np.array([[0.9, 0.1], [0.3, 0.7]])


def test_sample_markov_chain_frequencies_match_the_table():
    """Pair frequencies of 20000 draws of n = 3 against the exact table, within 5 standard errors;
    the same seed gives the same draws."""
    n, rows = 3, 20000
    x = mdm.families.sample_markov_chain(MU, P, n, rows, seed=3)
    assert x.shape == (rows, n) and x.dtype == np.int64
    np.testing.assert_array_equal(x, mdm.families.sample_markov_chain(MU, P, n, rows, seed=3))
    table = np.asarray(mdm.families.markov_chain(MU, P, n=n).probs)
    counts = np.zeros(table.shape)
    np.add.at(counts, tuple(x.T), 1)
    freq = counts / rows
    se = np.sqrt(table * (1 - table) / rows)
    assert np.all(np.abs(freq - table) <= 5 * se + 1e-12)


def test_sample_markov_chain_bad_input():
    with pytest.raises(ValueError, match="initial"):
        mdm.families.sample_markov_chain([0.5, 0.6], P, 3, 10)
    with pytest.raises(ValueError, match="transition"):
        mdm.families.sample_markov_chain(MU, [[0.5, 0.6], [0.5, 0.5]], 3, 10)
