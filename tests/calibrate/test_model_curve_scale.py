"""model_curve at a real model's scale: devices, memory guard, progress, cost planning, and the
simultaneous frontier interval (its coverage checked by simulation in the slow job)."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import mdmjax as mdm
from mdmjax.curves import markov_chain_curve as markov_curve

MU = [0.5, 0.3, 0.2]
P = [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.3, 0.3, 0.4]]


def _chain(n, rows, seed):
    model = mdm.calibrate.markov_chain_model(MU, P, n)
    x = np.asarray(mdm.calibrate.sample_markov_chain(MU, P, n, rows, seed=seed))
    return model, x


def test_memory_guard_refuses_a_table_before_the_first_call(monkeypatch):
    calls = []

    def big(y):
        calls.append(1)
        return np.full(y.shape + (1000,), 1e-3)

    model = mdm.models.from_callable(big, num_values=1000, output="probs", traceable=False)
    x = np.zeros((4, 50), dtype=np.int64)
    monkeypatch.setenv("MDMJAX_MEMORY_LIMIT", "10M")  # one row: 50 * 1000 * 24 B = 1.2 MB
    with pytest.raises(ValueError, match=r"^batch_size: .*\(B, n, V\) = \(64, 50, 1000\)") as err:
        mdm.model_curve(model, x, key=0, batch_size=64)
    msg = str(err.value)
    assert "76800000 bytes" in msg and "output='scored'" in msg and "at most 8 rows fit" in msg
    assert calls == []
    mc = mdm.model_curve(model, x, key=0, batch_size=8)  # the fix works
    np.testing.assert_allclose(mc.cross_entropy, np.log(1000), atol=1e-9)


def test_progress_bar_gives_the_same_numbers():
    model, x = _chain(6, 40, 0)
    a = mdm.model_curve(model, x, key=3, batch_size=32, progress=True)
    b = mdm.model_curve(model, x, key=3, batch_size=32)
    np.testing.assert_array_equal(a.row_cross_entropy, b.row_cross_entropy)


def test_rows_needed_is_the_pilot_standard_error_scaled():
    model, x = _chain(8, 120, 1)
    mc = mdm.model_curve(model, x, key=0)
    sizes = np.array([[2, 3, 3], [4, 4, 0], [1, 7, 0]])
    got = mc.rows_needed(sizes, 0.02, level=0.9)
    # independent: per-row values by the entropy form of Theorem 4 on each row's CE
    n_cum = np.minimum(np.cumsum(sizes, axis=1) - sizes, 7)  # padded zeros: any column
    vals = np.stack(
        [
            (sizes[s] * mc.row_cross_entropy[:, n_cum[s]]).sum(1) - mc.row_cross_entropy.sum(1)
            for s in range(3)
        ],
        axis=1,
    )
    sd = vals.std(axis=0, ddof=1)
    z = 1.6448536269514722
    plain = (z * sd / 0.02) ** 2
    # the conservative margin: exp(1.96 sqrt(v_R + v_R*)), v_m = 2/(m-1) + kurtosis/m
    dev = vals - vals.mean(axis=0)
    kurt = np.maximum((dev**4).mean(axis=0) / (dev**2).mean(axis=0) ** 2 - 3.0, 0.0)
    need = plain
    for _ in range(3):
        v = 2 / 119 + kurt / 120 + 2 / (np.maximum(need, 2) - 1) + kurt / np.maximum(need, 2)
        need = plain * np.exp(1.959963984540054 * np.sqrt(v))
    want = np.maximum(np.ceil(need), 2)
    np.testing.assert_array_equal(got, want)
    assert np.all(got > plain)
    assert mc.rows_needed((2, 3, 3), 0.02, level=0.9) == int(want[0])
    with pytest.raises(ValueError, match="^half_width"):
        mc.rows_needed((2, 3, 3), 0.0)
    with pytest.raises(ValueError, match="^level"):
        mc.rows_needed((2, 3, 3), 0.1, level=1.5)


def test_frontier_band_contains_the_marginal_intervals_and_floors_at_zero():
    model, x = _chain(10, 200, 2)
    mc = mdm.model_curve(model, x, key=0)
    fr = mdm.calibrate.cross_fit_frontier(mc, [2, 3, 5, 10], key=1)
    assert fr.critical >= 1.959 and fr.floor == 0.0  # exact conditionals: CE non-increasing
    for cf, lo, hi in zip(fr.fits, fr.lower, fr.upper, strict=True):
        ref = mdm.calibrate.cross_fit(mc, cf.steps, key=1)
        assert cf.estimate == ref.estimate and cf.chosen == ref.chosen
        assert lo <= max(cf.lower, 0.0) + 1e-12 and cf.upper <= hi + 1e-12
        assert lo >= 0.0
    h = 1.0
    ab = mdm.calibrate.cross_fit_frontier(mc, [2, 3], key=1, entropy_of_data=h)
    assert ab.floor == 0.0 and np.all(ab.lower >= 0)
    with pytest.raises(ValueError, match="^steps"):
        mdm.calibrate.cross_fit_frontier(mc, [], key=1)


@pytest.mark.slow
def test_frontier_simultaneous_coverage_by_simulation():
    """All k's true values inside the band in >= ~95% of repetitions (exact conditionals)."""
    n, rows, reps, steps = 12, 120, 150, [2, 3, 4, 6]
    model = mdm.calibrate.markov_chain_model(MU, P, n)
    truth_curve = markov_curve(MU, P, n)
    hits_sim, hits_marg = 0, 0
    for rep in range(reps):
        x = np.asarray(mdm.calibrate.sample_markov_chain(MU, P, n, rows, seed=1000 + rep))
        mc = mdm.model_curve(model, x, key=rep)
        fr = mdm.calibrate.cross_fit_frontier(mc, steps, key=rep)
        ok_sim, ok_marg = True, True
        for cf, lo, hi in zip(fr.fits, fr.lower, fr.upper, strict=True):
            # the target of the held-out mean: the mean true value of the two chosen schedules
            true = 0.5 * sum(mdm.expected_kl(truth_curve, s) for s in cf.chosen)
            ok_sim &= lo <= true <= hi
            ok_marg &= cf.lower <= true <= cf.upper
        hits_sim += ok_sim
        hits_marg += ok_marg
    # Before the bootstrap standard error (the halves' variances summed): 134/150 = 0.893
    # simultaneous; the two halves' errors are positively correlated (docs/theory.md §8.6).
    assert hits_sim / reps >= 0.92, (hits_sim, hits_marg)
    assert hits_sim > hits_marg


FOUR_DEVICES = textwrap.dedent(
    """
    import numpy as np, jax
    import mdmjax as mdm
    from mdmjax.sharding import state_mesh

    assert jax.device_count() == 4, jax.devices()
    rng = np.random.default_rng(0)
    for model, x in [
        (mdm.calibrate.word_mdm(5), rng.integers(0, 26, size=(300, 5))),
        (mdm.calibrate.markov_chain_model([0.5, 0.5], [[0.9, 0.1], [0.3, 0.7]], 9),
         rng.integers(0, 2, size=(200, 9))),
    ]:
        one = mdm.model_curve(model, x, key=1, batch_size=256, mesh=False)
        four = mdm.model_curve(model, x, key=1, batch_size=254)  # rounded up to 256, 4 devices
        mesh = mdm.model_curve(model, x, key=1, batch_size=256, mesh=state_mesh())
        for other in (four, mesh):
            d = np.abs(other.row_cross_entropy - one.row_cross_entropy).max()
            e = np.abs(other.row_entropy - one.row_entropy).max()
            assert d <= 1e-6 and e <= 1e-6, (model, d, e)
        print("MAXDIFF", model.name, np.abs(four.row_cross_entropy - one.row_cross_entropy).max())
    y, x = np.full((256, 5), 26), np.zeros((256, 5), dtype=np.int64)
    with jax.enable_x64(True):
        lpx = mdm.calibrate.word_mdm(5)._dispatch(y, x, state_mesh())[0]
    assert len(lpx.sharding.device_set) == 4  # the rows really are split over the 4 devices
    print("SHARDED-MODEL-CURVE-OK")
    """
)


@pytest.mark.slow
def test_four_host_devices_give_the_one_device_curve():
    env = dict(os.environ)
    env["XLA_FLAGS"] = env.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=4"
    env["JAX_PLATFORMS"] = "cpu"
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(
        [sys.executable, "-c", FOUR_DEVICES], capture_output=True, text=True, env=env, timeout=900
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "SHARDED-MODEL-CURVE-OK" in proc.stdout, proc.stdout


def test_entropy_is_a_deprecated_alias_of_predictive_entropy():
    model, x = _chain(5, 30, 4)
    mc = mdm.model_curve(model, x, key=0)
    with pytest.warns(DeprecationWarning, match="predictive_entropy"):
        np.testing.assert_array_equal(mc.entropy, mc.predictive_entropy)
    with pytest.warns(DeprecationWarning, match="predictive_entropy_stderr"):
        np.testing.assert_array_equal(mc.entropy_stderr, mc.predictive_entropy_stderr)
    assert mc.predictive_entropy.shape == (5,)
    assert "predictive_entropy" in mc.to_dict()


def test_an_inconsistent_model_keeps_negative_lower_ends():
    # CE rises with the revealed count: revealing letters makes this model worse
    def worse(y):
        revealed = (y != 3).sum(axis=1, keepdims=True)[..., None]
        sharp = np.full(y.shape + (3,), 0.05)
        sharp[..., 1] = 0.9
        return np.where(revealed >= 2, sharp, np.full(y.shape + (3,), 1 / 3))

    model = mdm.models.from_callable(worse, num_values=3, output="probs", traceable=False)
    x = np.random.default_rng(0).integers(0, 3, size=(300, 5))
    mc = mdm.model_curve(model, x, key=0)
    fr = mdm.calibrate.cross_fit_frontier(mc, [2, 3], key=0)
    assert fr.floor is None and np.all(fr.upper < 0)
