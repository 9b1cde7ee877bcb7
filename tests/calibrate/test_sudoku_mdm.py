"""The shipped Sudoku MDM: loads as an n = 16, V = 4 model and has learnt the 288 grids."""

import importlib.util
from pathlib import Path

import jax
import numpy as np
import pytest

import mdmjax as mdm


def test_loads_and_is_shipped():
    m = mdm.calibrate.sudoku_mdm()
    assert m.n == 16
    assert mdm.calibrate.shipped_model("sudoku4").n == 16
    lp = np.asarray(m.raw(np.full((2, 16), 4)), dtype=np.float64)
    assert lp.shape == (2, 16, 4)
    np.testing.assert_allclose(np.exp(lp).sum(-1), 1.0, atol=1e-5)
    # with nothing revealed every cell is (nearly) uniform, as under the law
    assert np.max(np.abs(np.exp(lp) - 0.25)) < 0.05


def test_shipped_data_are_grids():
    held = mdm.calibrate.shipped_data("sudoku4", 50, seed=2)
    assert held.rows.shape == (50, 16) and mdm.families.is_sudoku(held.rows).all()
    assert abs(held.entropy - np.log(288)) < 1e-12
    again = mdm.calibrate.shipped_data("sudoku4", 50, seed=2)
    np.testing.assert_array_equal(held.rows, again.rows)


@pytest.mark.slow
def test_learning_error_is_small():
    """CE(m) of the model against the exact conditionals' CE(m) on the same masks."""
    grids = mdm.families.sudoku_grids()
    exact = mdm.families.from_support(grids).model()
    mc = mdm.model_curve(mdm.calibrate.sudoku_mdm(), grids, key=0, masks_per_row=2)
    ref = mdm.model_curve(exact, grids, key=0, masks_per_row=2)
    gap = mc.cross_entropy - ref.cross_entropy
    # the model is never better than the truth beyond noise, and at most 0.15 nats worse per
    # level (0.09 at worst, m = 5, measured at training time)
    assert np.all(gap > -4 * mc.cross_entropy_stderr - 1e-9)
    assert np.all(gap < 0.15)
    assert abs(ref.nll_bound - np.log(288)) < 0.2


@pytest.mark.slow
def test_training_script_quick_mode(tmp_path):
    script = Path(__file__).resolve().parents[2] / "experiments" / "train_sudoku_mdm.py"
    spec = importlib.util.spec_from_file_location("train_sudoku_mdm", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with jax.numpy_dtype_promotion("standard"):
        assert module.main(["--quick", "--out", str(tmp_path)]) == 0
    with np.load(tmp_path / "sudoku_mdm.npz") as npz:
        assert npz["pos"].shape == (16, 64) and npz["out_w"].shape == (64, 4)
    assert (tmp_path / "sudoku_mdm_training.json").is_file()
    g = module.exact_level_entropies(mdm.families.sudoku_grids())
    assert abs(g.sum() - np.log(288)) < 1e-10 and abs(g[0] - np.log(4)) < 1e-12
