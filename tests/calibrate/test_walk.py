"""The random-walk testbed (walk_law) against enumeration, and the shipped walk transformer.

docs/theory.md §8.9.
"""

import itertools
import math
import subprocess
import sys

import numpy as np
import pytest

import mdmjax as mdm
from mdmjax.calibrate import clopper_pearson_upper, regular_graph, walk_law


def _enumerated_table(law):
    """``p(x)`` of every sequence by the definition (uniform start, uniform neighbour)."""
    g, n = law.nodes, law.n
    table = np.zeros((g,) * n)
    for x in itertools.product(range(g), repeat=n):
        p = 1.0 / g
        for a, b in itertools.pairwise(x):
            p *= law.adjacency[a, b] / law.degree
        table[x] = p
    return table


def test_regular_graph_is_simple_regular_connected_and_not_bipartite():
    for nodes, degree, seed in [(8, 3, 1), (32, 4, 0), (10, 4, 7)]:
        a = regular_graph(nodes, degree, seed)
        assert np.array_equal(a, a.T) and np.all(np.diag(a) == 0)
        assert set(np.unique(a)) <= {0, 1} and np.all(a.sum(axis=1) == degree)
        # connected: every vertex reachable from every vertex; non-bipartite: a closed walk of
        # odd length (A^k with a positive diagonal for an odd k), as 0/1 matrix products.
        step = (np.eye(nodes, dtype=np.int64) + a) > 0
        reach = step.copy()
        for _ in range(nodes):
            reach = (reach.astype(np.int64) @ step.astype(np.int64)) > 0
        assert reach.all()
        walk, odd = a > 0, False
        for _ in range(nodes):  # walk = A^k > 0 for k = 1, 3, 5, ...
            odd |= bool(np.any(np.diag(walk)))
            walk = (walk.astype(np.int64) @ a @ a) > 0
        assert odd
        assert np.array_equal(a, regular_graph(nodes, degree, seed))  # deterministic


def test_curve_entropy_and_log_prob_against_enumeration():
    law = walk_law(n=4, nodes=6, degree=3, seed=2)
    table = _enumerated_table(law)
    assert math.isclose(table.sum(), 1.0, rel_tol=0, abs_tol=1e-12)
    d = mdm.Distribution.from_probs(table)
    exact = mdm.information_curve(d)
    np.testing.assert_allclose(law.curve.z, exact.z, atol=1e-10)
    np.testing.assert_allclose(law.curve.hbar, exact.hbar, atol=1e-10)
    support = -np.sum(table[table > 0] * np.log(table[table > 0]))
    assert math.isclose(law.entropy, support, abs_tol=1e-10)
    rows = np.array(list(itertools.product(range(6), repeat=4)))
    lp = law.log_prob(rows)
    with np.errstate(divide="ignore"):
        np.testing.assert_array_equal(np.isfinite(lp), table.reshape(-1) > 0)
        np.testing.assert_allclose(
            lp[np.isfinite(lp)], np.log(table.reshape(-1)[table.reshape(-1) > 0])
        )
    np.testing.assert_array_equal(law.is_valid(rows), table.reshape(-1) > 0)


def test_sample_is_the_law():
    law = walk_law(n=3, nodes=6, degree=3, seed=2)
    x = law.sample(0, 60_000)
    assert x.shape == (60_000, 3) and law.is_valid(x).all()
    np.testing.assert_array_equal(x, law.sample(0, 60_000))  # same key, same rows
    assert not np.array_equal(x, law.sample(1, 60_000))
    table = _enumerated_table(law).reshape(-1)
    counts = np.bincount(np.ravel_multi_index(x.T, (6, 6, 6)), minlength=table.size)
    keep = table > 0
    assert counts[~keep].sum() == 0
    expected = table[keep] * len(x)
    chi2 = float(np.sum((counts[keep] - expected) ** 2 / expected))
    dof = int(keep.sum()) - 1
    assert chi2 < dof + 6 * math.sqrt(2 * dof)  # far beyond the 1e-6 quantile of chi2(dof)
    assert chi2 > dof - 6 * math.sqrt(2 * dof)


def test_is_valid_rejects_broken_walks_and_bad_rows():
    law = walk_law(n=5, nodes=6, degree=3, seed=2)
    x = law.sample(3, 4)
    bad = x.copy()
    a = int(bad[0, 2])
    bad[0, 3] = int(np.flatnonzero(law.adjacency[a] == 0)[0])  # a non-neighbour of x_2
    assert law.is_valid(bad).tolist() == [False, True, True, True]
    assert law.log_prob(bad)[0] == -np.inf
    bad[1, 0] = 6  # out of range
    assert not law.is_valid(bad)[1]
    with pytest.raises(ValueError, match="^rows:"):
        law.is_valid(np.zeros((2, 4), dtype=int))
    with pytest.raises(ValueError, match="^rows:"):
        law.is_valid(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="^rows:"):
        law.sample(0, 0)
    with pytest.raises(ValueError, match="^degree:"):
        regular_graph(7, 3)
    with pytest.raises(ValueError, match="^n:"):
        walk_law(n=1)


def test_clopper_pearson_upper_against_closed_forms_and_coverage():
    # zero successes: the bound solves (1 - u)^N = 1 - level; all successes: 1.
    assert math.isclose(clopper_pearson_upper(0, 50, 0.9), 1 - 0.1 ** (1 / 50), rel_tol=1e-12)
    assert clopper_pearson_upper(7, 7, 0.95) == 1.0
    # the defining equation at an interior point
    u = clopper_pearson_upper(30, 100, 0.95)
    cdf = sum(math.comb(100, j) * u**j * (1 - u) ** (100 - j) for j in range(31))
    assert math.isclose(cdf, 0.05, rel_tol=1e-9)
    # coverage over a grid of true probabilities: P(p <= U) >= level
    for p in (0.05, 0.3, 0.9):
        cover = sum(
            math.comb(40, s) * p**s * (1 - p) ** (40 - s)
            for s in range(41)
            if p <= clopper_pearson_upper(s, 40, 0.9)
        )
        assert cover >= 0.9 - 1e-12
    with pytest.raises(ValueError, match="^successes:"):
        clopper_pearson_upper(5, 4)
    with pytest.raises(ValueError, match="^level:"):
        clopper_pearson_upper(1, 4, 1.5)


def test_kl_lower_bound_counts_invalid_rows():
    law = walk_law(n=6, nodes=6, degree=3, seed=2)
    x = law.sample(0, 20)
    x[:5, 1] = x[:5, 0]  # no loops in the graph: 5 invalid rows
    chk = law.kl_lower_bound(x, level=0.95)
    assert (chk.num_samples, chk.valid) == (20, 15) and chk.invalid_rate == 0.25
    assert chk.valid_upper == clopper_pearson_upper(15, 20, 0.95)
    assert math.isclose(chk.lower_bound, -math.log(chk.valid_upper))


def test_exact_model_cross_entropy_is_g():
    law = walk_law(n=5, nodes=6, degree=3, seed=2)
    table = _enumerated_table(law)
    rows = np.array(list(itertools.product(range(6), repeat=5)))
    keep = table.reshape(-1) > 0
    mc = mdm.model_curve(law.model(), rows[keep], weights=table.reshape(-1)[keep], masks="all")
    np.testing.assert_allclose(mc.cross_entropy, law.curve.g, atol=1e-10)


def test_shipped_walk_mdm_loads_in_a_fresh_process_with_the_base_install():
    code = (
        "import sys, numpy as np, mdmjax as mdm\n"
        "m, law = mdm.calibrate.walk_mdm(), mdm.calibrate.walk_law()\n"
        "assert (m.n, m.num_values, law.n, law.nodes) == (128, 32, 128, 32)\n"
        "y = np.full((2, 128), 32); x = law.sample(0, 2); y[:, ::2] = x[:, ::2]\n"
        "raw = np.asarray(m.raw(y))\n"
        "assert raw.dtype == np.float32 and raw.shape == (2, 128, 32), (raw.dtype, raw.shape)\n"
        "assert np.allclose(np.exp(raw).sum(-1), 1, atol=1e-4)\n"
        "assert not any(k in sys.modules for k in ('torch', 'flax', 'equinox'))\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]


def test_walk_mdm_cross_entropy_is_never_below_g():
    """CE(m) >= g(m) for every model; a CE below g by more than 4 standard errors is a bug."""
    law = walk_law()
    rows = law.sample(5, 200)
    mc = mdm.model_curve(mdm.calibrate.walk_mdm(), rows, key=0, levels=[0, 8, 64, 127])
    g = np.asarray(law.curve.g)
    for m in mc.levels:
        assert mc.cross_entropy[m] >= g[m] - 4 * mc.cross_entropy_stderr[m], m
    # and the model has learnt: its learning error is a fraction of a nat at every level
    # (0.005 to 0.2 measured at training time; a uniform guess would be off by up to 3 nats)
    assert np.all(mc.cross_entropy[mc.levels] - g[mc.levels] < 0.35)


@pytest.mark.slow
def test_training_script_quick_mode(tmp_path):
    """experiments/train_walk_mdm.py --quick trains a few steps and writes loadable weights."""
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "experiments" / "train_walk_mdm.py"
    spec = importlib.util.spec_from_file_location("train_walk_mdm", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    import jax

    # optax's schedules promote an int step count with Python floats implicitly: the script runs
    # under JAX's default promotion, as a user runs it (the suite is strict, tests/conftest.py)
    with jax.numpy_dtype_promotion("standard"):
        assert module.main(["--quick", "--out", str(tmp_path)]) == 0
    with np.load(tmp_path / "walk_mdm.npz") as npz:
        assert npz["pos"].shape == (128, 32) and npz["out_w"].shape == (32, 32)
    assert (tmp_path / "walk_mdm_training.json").is_file()
