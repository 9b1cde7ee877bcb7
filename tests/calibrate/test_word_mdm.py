"""The shipped word MDM: loads, answers normalized log-probabilities, and is close to the law."""

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import mdmjax as mdm
from mdmjax.calibrate import _word_mdm as wm

LENGTHS = (4, 5)


def _word(s: str) -> np.ndarray:
    return np.asarray([ord(c) - ord("a") for c in s], dtype=np.int64)


def _random_partial(rng, batch: int, n: int) -> np.ndarray:
    x = rng.integers(0, 26, size=(batch, n))
    return np.where(rng.random((batch, n)) < 0.5, x, wm.MASK)


@pytest.mark.parametrize("length", LENGTHS)
def test_load_shapes_dtypes_and_normalization(length, rng):
    apply_fn, params = wm.load_word_mdm(length)
    leaves = jax.tree_util.tree_leaves(params)
    assert all(leaf.dtype == jnp.float32 for leaf in leaves)
    assert sum(leaf.size for leaf in leaves) * 4 <= 1_100_000  # <= ~1 MB of float32
    y = _random_partial(rng, 6, length)
    # Un-jitted, with two leading batch axes.
    lp = np.asarray(apply_fn(params, y.reshape(2, 3, length)))
    assert lp.shape == (2, 3, length, 26) and lp.dtype == np.float32
    assert np.all(np.isfinite(lp))
    np.testing.assert_allclose(np.log(np.exp(lp.astype(np.float64)).sum(axis=-1)), 0.0, atol=1e-5)
    # jit + vmap over single (n,) sequences agrees with the batched call.
    per_row = jax.jit(jax.vmap(apply_fn, in_axes=(None, 0)))(params, y)
    np.testing.assert_allclose(np.asarray(per_row), lp.reshape(6, length, 26), atol=1e-5)


@pytest.mark.parametrize("length", LENGTHS)
def test_deterministic_cached_and_row_independent(length, rng):
    fn = wm.word_mdm_log_probs(length)
    assert wm.word_mdm_log_probs(length) is fn
    y = _random_partial(rng, 32, length)
    a = np.asarray(fn(y))
    np.testing.assert_array_equal(a, np.asarray(fn(y)))
    apply_fn, params = wm.load_word_mdm(length)  # params as arguments, not baked-in constants
    np.testing.assert_allclose(np.asarray(jax.jit(apply_fn)(params, y)), a, atol=1e-5)
    # Each row's answer depends on that row only.
    for b in (0, 31):
        np.testing.assert_allclose(np.asarray(fn(y[b : b + 1]))[0], a[b], atol=1e-5)


@pytest.mark.parametrize("length", LENGTHS)
def test_no_peeking_and_uses_context(length):
    fn = wm.word_mdm_log_probs(length)
    # Two words that agree on the revealed positions give the same input, hence the same output:
    # the hidden letters cannot leak.
    w1, w2 = ("that", "than") if length == 4 else ("there", "these")
    revealed = np.arange(length) < 3
    y1 = np.where(revealed, _word(w1), wm.MASK)[None]
    y2 = np.where(revealed, _word(w2), wm.MASK)[None]
    np.testing.assert_array_equal(y1, y2)
    np.testing.assert_array_equal(np.asarray(fn(y1)), np.asarray(fn(y2)))
    # The revealed letters do matter: after a leading 'q' the model predicts 'u'.
    y = np.full((1, length), wm.MASK)
    y[0, 0] = ord("q") - ord("a")
    lp_q = np.asarray(fn(y))[0]
    lp_blank = np.asarray(fn(np.full((1, length), wm.MASK)))[0]
    assert int(np.argmax(lp_q[1])) == ord("u") - ord("a")
    assert np.max(np.abs(lp_q[1:] - lp_blank[1:])) > 1.0


def test_load_rejects_other_lengths():
    for bad in (3, 6, 4.0, True, "4"):
        with pytest.raises(ValueError, match="length"):
            wm.load_word_mdm(bad)


def _padded(conditionals, rows: int = 256):
    """A numpy log-prob function from a model's conditionals, one compiled shape."""
    jitted = jax.jit(conditionals)

    def log_prob_fn(y):
        y = np.asarray(y)
        pad = np.concatenate([y, np.broadcast_to(y[:1], (rows - len(y), y.shape[1]))])
        with jax.enable_x64(True):  # the documented scope for tracing a model ourselves
            cond = np.asarray(jitted(jnp.asarray(pad)))[: len(y)]
        return np.log(np.where(cond > 0, cond, 1e-300))

    return log_prob_fn


def test_level_cross_entropy_matches_brute_force(rng):
    # A small random law and a tempered model: the deduplicated enumeration equals a plain loop.
    n, q = 3, 3
    p = rng.dirichlet(np.full(q**n, 0.4)).reshape((q,) * n)
    p[p < 0.005] = 0.0
    p /= p.sum()
    d = mdm.Distribution.from_probs(p)
    log_prob_fn = _padded(mdm.models.tempered(d, 0.7).conditionals)
    got = wm.level_cross_entropy(log_prob_fn, d)
    cases = [
        (x, s)
        for m in range(n)
        for s in itertools.combinations(range(n), m)
        for x in itertools.product(range(q), repeat=n)
    ]
    ys = np.asarray([[x[i] if i in s else q for i in range(n)] for x, s in cases])
    lps = log_prob_fn(ys)  # one call for every (x, S)
    want = np.zeros(n)
    for (x, s), lp in zip(cases, lps, strict=True):
        hidden = [i for i in range(n) if i not in s]
        want[len(s)] += p[x] * np.mean([-lp[i, x[i]] for i in hidden]) / math.comb(n, len(s))
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    assert np.all(got > np.asarray(mdm.information_curve(d).g))  # T != 1 costs nats
    # The exact conditionals reach the conditional entropy profile g.
    exact = _padded(mdm.models.from_distribution(d).conditionals)
    ce = wm.level_cross_entropy(exact, d)
    np.testing.assert_allclose(ce, np.asarray(mdm.information_curve(d).g), atol=1e-10)


@pytest.mark.parametrize("length", LENGTHS)
def test_cross_entropy_close_to_conditional_entropy(length):
    pytest.importorskip("wordfreq")
    d = mdm.families.english_words(length=length)
    g = np.asarray(mdm.information_curve(d).g)
    ce = wm.level_cross_entropy(wm.word_mdm_log_probs(length), d)
    assert ce.shape == (length,) and np.all(np.isfinite(ce))
    # CE(m) - g(m) = E KL(p(x_i | x_S) || p̂(x_i | x_S)) >= 0 (up to float32 rounding) ...
    assert np.all(ce >= g - 1e-4), (ce, g)
    # ... and the trained model is within half a nat of the law at every level.
    assert np.all(ce - g <= 0.5), (ce, g)
