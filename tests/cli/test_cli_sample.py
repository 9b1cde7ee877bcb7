"""``mdmjax sample``: the rows equal mdm.sample's for the same plan and seed; one-line errors."""

import numpy as np
import pytest

import mdmjax as mdm
from mdmjax.cli import main
from tests.cli._util import run_error, run_json

BASE = ["sample", "--model", "words4", "--num", "6", "--seed", "3"]


@pytest.fixture(scope="module")
def words4():
    return mdm.calibrate.word_mdm(4)


def test_constant_schedule_matches_the_library(capsys, words4):
    out = run_json(capsys, [*BASE, "--steps", "2"])
    want, lp = mdm.sample(
        words4, mdm.schedules.constant(4, 2), key=3, num_samples=6, return_log_prob=True
    )
    np.testing.assert_array_equal(np.asarray(out["samples"]), want)
    np.testing.assert_allclose(out["log_nu_hat_B"], lp, rtol=1e-12)
    assert out["sizes"] == [2, 2] and out["n"] == 4


def test_policy_prompt_and_npy(capsys, tmp_path, words4):
    prompt = np.full(4, 26, dtype=np.int64)
    prompt[0] = 7
    np.save(tmp_path / "prompt.npy", prompt)
    code = main(
        [
            *BASE,
            "--steps",
            "3",
            "--schedule",
            "cosine",
            "--policy",
            "confidence",
            "--prompt",
            str(tmp_path / "prompt.npy"),
            "--npy",
            str(tmp_path / "x.npy"),
        ]
    )
    assert code == 0, capsys.readouterr().err
    x = np.load(tmp_path / "x.npy")
    sizes = mdm.schedules.cosine(3, 3)
    want = mdm.sample(words4, mdm.policies.confidence(sizes), key=3, num_samples=6, prompt=prompt)
    np.testing.assert_array_equal(x, want)
    assert np.all(x[:, 0] == 7)


def test_optimal_schedule_from_curve_data(capsys, tmp_path):
    rows = np.random.default_rng(0).integers(0, 26, size=(64, 4))
    np.save(tmp_path / "rows.npy", rows)
    out = run_json(
        capsys,
        [
            *BASE,
            "--steps",
            "2",
            "--schedule",
            "optimal",
            "--curve-data",
            str(tmp_path / "rows.npy"),
        ],
    )
    assert sum(out["sizes"]) == 4 and len(out["sizes"]) == 2
    assert np.asarray(out["samples"]).shape == (6, 4)


def test_optimal_schedule_of_a_shipped_model_needs_no_data(capsys):
    """Without --curve-data a shipped model's curve is measured on exact draws of its own law."""
    out = run_json(capsys, [*BASE, "--steps", "2", "--schedule", "optimal"])
    rows = mdm.calibrate.shipped_data("words4", 1000, seed=3).rows
    mc = mdm.model_curve(mdm.calibrate.word_mdm(4), rows, key=3)
    assert out["sizes"] == list(mdm.optimal_schedule(mc, 2).sizes)


def test_adaptive_policy_without_steps(capsys):
    out = run_json(capsys, [*BASE, "--policy", "threshold"])
    assert out["sizes"] is None and "threshold" in out["plan"]


@pytest.mark.parametrize(
    "extra, flag",
    [
        (["--steps", "2", "--schedule", "linear"], "--schedule"),
        (["--steps", "2", "--policy", "nope"], "--policy"),
        (["--steps", "0"], "--steps"),
        (["--steps", "9"], "--steps"),
        ([], "--steps"),
        (["--steps", "2", "--batch-size", "0"], "--batch-size"),
    ],
)
def test_errors(capsys, extra, flag):
    line = run_error(capsys, [*BASE, *extra])
    assert line.startswith(f"mdmjax sample: error: {flag}:"), line


def test_errors_num_model_prompt(capsys, tmp_path):
    line = run_error(capsys, ["sample", "--model", "words4", "--num", "0", "--steps", "2"])
    assert line.startswith("mdmjax sample: error: --num:"), line
    line = run_error(capsys, ["sample", "--model", "nope", "--num", "2", "--steps", "2"])
    assert line.startswith("mdmjax sample: error: --model:"), line
    np.save(tmp_path / "bad.npy", np.asarray([0, 1, 99, 26]))
    line = run_error(capsys, [*BASE, "--steps", "1", "--prompt", str(tmp_path / "bad.npy")])
    assert line.startswith("mdmjax sample: error: --prompt:"), line
