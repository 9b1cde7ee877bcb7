"""The bootstrap behind cross_fit's standard error (docs/theory.md §8.6), checked piece by piece."""

import itertools

import jax
import numpy as np

import mdmjax as mdm
from mdmjax.calibrate import _cross_fit


def _theorem4(z, sizes):
    a = np.ones(len(z))
    starts = np.cumsum(sizes) - np.asarray(sizes)
    a[starts] -= np.asarray(sizes)
    return float(a @ z), a


def test_batched_choice_is_the_optimum_by_enumeration():
    rng = np.random.default_rng(0)
    z = np.cumsum(rng.normal(0.2, 0.3, size=(25, 6)), axis=1)  # not monotone: any z
    z[:, 0] = 0.0
    for k in (1, 2, 3, 6):
        a = _cross_fit._batched_choice(z, k)
        for row, coef in zip(z, a, strict=True):
            best = min(
                _theorem4(row, np.diff((0, *cut, 6)))[0]
                for cut in itertools.combinations(range(1, 6), k - 1)
            )
            assert abs(coef @ row - best) < 1e-12
            assert coef.sum() == 0.0  # sum_j a_j = n - sum_t s_t


def _curve(rows=120):
    d = mdm.families.noisy_repetition(6, 0.2)
    x = np.asarray(d.sample(jax.random.key(1), rows))
    return mdm.model_curve(mdm.models.tempered(d, 0.7), x, key=0)


def test_without_a_choice_the_bootstrap_is_the_plain_standard_error():
    """k = n has one schedule: nothing is chosen, so the procedure's standard error is the
    halves' (sqrt(se_A^2 + se_B^2) / 2), up to the bootstrap's own noise (~1/sqrt(2 B)). The
    absolute KL (``entropy_of_data``), since the excess of one token per step is 0 on every row."""
    mc = _curve()
    cf = mdm.calibrate.cross_fit(mc, mc.n, key=3, num_bootstrap=2000, entropy_of_data=1.0)
    plain = 0.5 * np.hypot(*[(iv.upper - iv.estimate) / 1.959963984540054 for iv in cf.held_out])
    assert abs(cf.stderr / plain - 1) < 0.08, (cf.stderr, plain)
    assert abs(cf.upper - cf.estimate - 1.959963984540054 * cf.stderr) < 1e-12


def test_frontier_uses_the_same_replicates_as_cross_fit():
    mc = _curve()
    fr = mdm.calibrate.cross_fit_frontier(mc, [2, 3], key=5)
    for f in fr.fits:
        assert abs(f.stderr / mdm.calibrate.cross_fit(mc, f.steps, key=5).stderr - 1) < 1e-12
