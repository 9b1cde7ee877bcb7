"""The exact Markov-chain model (models/_markov.py) against brute force on the chain's table."""

import itertools

import numpy as np
import pytest

import mdmjax as mdm

MU = np.array([0.2, 0.5, 0.3])
P = np.array([[0.7, 0.2, 0.1], [0.1, 0.6, 0.3], [0.25, 0.25, 0.5]])
N = 5


def _brute_conditional(table: np.ndarray, y: np.ndarray, i: int, q: int) -> np.ndarray:
    """``p(x_i = . | x_S = y_S)`` by summing the full table (S: the positions with y < q)."""
    idx = tuple(slice(None) if v == q else int(v) for v in y)
    sub = table[idx]  # axes: the masked positions in order
    masked = [j for j in range(len(y)) if y[j] == q]
    axis = masked.index(i)
    marg = sub.sum(axis=tuple(a for a in range(sub.ndim) if a != axis))
    return marg / marg.sum()


def test_markov_chain_model_matches_the_table_at_every_mask():
    """Every mask of n = 5 positions, one data row: the model's log p̂(x_i | x_S) and entropy equal
    those computed by summing the table of mdm.families.markov_chain (an independent route)."""
    q = MU.size
    table = np.asarray(mdm.families.markov_chain(MU, P, n=N).probs)
    model = mdm.models.markov_chain_model(MU, P, N)
    x = np.array([0, 2, 1, 1, 0])
    masks = np.array(list(itertools.product([0, 1], repeat=N)), dtype=bool)  # True: masked
    y = np.where(masks, q, x[None, :])
    lpx, ent = model.score(y, np.repeat(x[None, :], len(y), axis=0))
    for r, m in enumerate(masks):
        for i in np.flatnonzero(m):
            c = _brute_conditional(table, y[r], i, q)
            assert lpx[r, i] == pytest.approx(np.log(c[x[i]]), abs=1e-12)
            h = -np.sum(np.where(c > 0, c * np.log(np.where(c > 0, c, 1.0)), 0.0))
            assert ent[r, i] == pytest.approx(h, abs=1e-12)


def test_markov_chain_model_old_home_is_the_same_function():
    assert mdm.calibrate.markov_chain_model is mdm.models.markov_chain_model
    assert mdm.calibrate.sample_markov_chain is mdm.families.sample_markov_chain


def test_markov_chain_model_bad_input():
    with pytest.raises(ValueError, match="transition"):
        mdm.models.markov_chain_model(MU, P[:2], N)
    with pytest.raises(ValueError, match="n"):
        mdm.models.markov_chain_model(MU, P, 0)
