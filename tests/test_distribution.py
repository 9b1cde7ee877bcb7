"""Distribution: validation, memory guard, from_logits, from_samples, sampling."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import mdmjax as mdm


def test_distribution_validation():
    good = np.full((2, 3), 1 / 6)
    d = mdm.Distribution.from_probs(good)
    assert d.n == 2 and d.shape == (2, 3) and d.probs.dtype == jnp.float64
    with pytest.raises(ValueError, match="negative"):
        mdm.Distribution.from_probs(np.array([1.5, -0.5]))
    with pytest.raises(ValueError, match="NaN or infinite"):
        mdm.Distribution.from_probs(np.array([np.nan, 1.0]))
    with pytest.raises(ValueError, match="NaN or infinite"):
        mdm.Distribution.from_probs(np.array([np.inf, 1.0]))
    with pytest.raises(ValueError, match="total mass is 0.9"):
        mdm.Distribution.from_probs(np.array([0.5, 0.4]))
    with pytest.raises(ValueError, match="at least 1 position"):
        mdm.Distribution.from_probs(1.0)
    with pytest.raises(ValueError, match="at least one value"):
        mdm.Distribution.from_probs(np.zeros((2, 0)))
    # within 1e-9 is accepted and renormalized
    d = mdm.Distribution.from_probs(np.array([0.5, 0.5 + 5e-10]))
    assert float(d.probs.sum()) == pytest.approx(1.0, abs=1e-15)


def test_distribution_memory_guard(monkeypatch):
    monkeypatch.setenv("MDMJAX_MEMORY_LIMIT", "1M")
    with pytest.raises(ValueError, match="bytes"):
        mdm.Distribution.from_logits(np.zeros((2,) * 18))
    with pytest.raises(ValueError, match="estimated"):
        mdm.information_curve(mdm.Distribution(jnp.full((2,) * 13, 2.0**-13)))


def test_from_logits_and_samples():
    logits = np.log(np.array([[1.0, 2.0], [3.0, 4.0]]))
    d = mdm.Distribution.from_logits(logits)
    np.testing.assert_allclose(d.probs, np.array([[1, 2], [3, 4]]) / 10, atol=1e-15)
    d = mdm.Distribution.from_logits(np.array([0.0, -np.inf]))
    np.testing.assert_allclose(d.probs, [1.0, 0.0])
    with pytest.raises(ValueError, match="logits"):
        mdm.Distribution.from_logits(np.array([np.nan, 0.0]))
    with pytest.raises(ValueError, match="logits"):
        mdm.Distribution.from_logits(np.array([-np.inf, -np.inf]))
    samples = np.array([[0, 1], [0, 1], [1, 2], [0, 0]])
    d = mdm.Distribution.from_samples(samples, (2, 3))
    want = np.zeros((2, 3))
    want[0, 1], want[1, 2], want[0, 0] = 0.5, 0.25, 0.25
    np.testing.assert_allclose(d.probs, want)
    d = mdm.Distribution.from_samples(samples, 3, smoothing=1.0)
    assert d.shape == (3, 3) and float(d.probs[2, 2]) == pytest.approx(1 / 13)
    with pytest.raises(ValueError, match="samples"):
        mdm.Distribution.from_samples(np.array([[0, 3]]), 3)
    with pytest.raises(ValueError, match="samples"):
        mdm.Distribution.from_samples(np.array([0, 1]), 3)
    with pytest.raises(ValueError, match="num_values"):
        mdm.Distribution.from_samples(samples, (2, 3, 4))
    with pytest.raises(ValueError, match="smoothing"):
        mdm.Distribution.from_samples(samples, 3, smoothing=-1.0)


def test_distribution_sample_is_deterministic_given_key():
    d = mdm.Distribution.from_probs(np.array([[0.1, 0.2], [0.3, 0.4]]))
    a = d.sample(jax.random.key(0), 2000)
    b = d.sample(jax.random.key(0), 2000)
    assert a.shape == (2000, 2) and np.array_equal(a, b)
    freq = np.bincount(np.ravel_multi_index(np.asarray(a).T, (2, 2)), minlength=4) / 2000
    np.testing.assert_allclose(freq, [0.1, 0.2, 0.3, 0.4], atol=0.05)
