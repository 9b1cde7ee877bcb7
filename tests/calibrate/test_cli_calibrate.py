"""``mdmjax calibrate``: the printed curve and frontier, JSON, and one-line errors naming flags."""

import json

import numpy as np
import pytest

import mdmjax as mdm
from mdmjax.cli import main


def chain_factory():
    return mdm.calibrate.markov_chain_model([0.5, 0.5], [[0.9, 0.1], [0.2, 0.8]], 6)


@pytest.fixture
def files(tmp_path):
    rows = np.asarray(
        mdm.calibrate.sample_markov_chain([0.5, 0.5], [[0.9, 0.1], [0.2, 0.8]], 6, 80)
    )
    data = tmp_path / "rows.npy"
    np.save(data, rows)
    return tmp_path, data


def test_calibrate_prints_curve_frontier_and_json(files, capsys):
    tmp, data = files
    out_json = tmp / "out.json"
    plot = tmp / "fig.png"
    rc = main(
        [
            "calibrate",
            "--model",
            "tests.calibrate.test_cli_calibrate:chain_factory",
            "--data",
            str(data),
            "--steps",
            "2,3",
            "--eps",
            "0.5",
            "--json",
            str(out_json),
            "--plot",
            str(plot),
        ]
    )
    text = capsys.readouterr().out
    assert rc == 0
    assert "CE(m)" in text and "cross-fitted" in text and "plug-in" in text and "min_steps" in text
    got = json.loads(out_json.read_text())
    assert len(got["frontier"]) == 2 and plot.exists()
    mc = mdm.model_curve(chain_factory(), np.load(data), key=0)
    np.testing.assert_allclose(got["curve"]["cross_entropy"], mc.cross_entropy, atol=1e-12)
    cf = mdm.calibrate.cross_fit(mc, 2, key=0)
    assert abs(got["frontier"][0]["estimate"] - cf.estimate) < 1e-12
    assert got["frontier"][0]["plug_in_kl"] == pytest.approx(mdm.optimal_schedule(mc, 2).kl)


@pytest.mark.parametrize(
    "extra,flag",
    [
        (["--model", "nowhere.mod:f"], "--model"),
        (["--model", "nocolon"], "--model"),
        (["--data", "missing.npy"], "--data"),
        (["--always-revealed", "0:99,100"], "--always-revealed"),
        (["--always-revealed", "0:6"], "--always-revealed"),
        (["--levels", "0,9"], "--levels"),
        (["--steps", "0"], "--steps"),
        (["--eps", "-1"], "--eps"),
        (["--weights", "W"], "--weights"),
    ],
)
def test_bad_input_one_line_naming_the_flag(files, capsys, extra, flag):
    tmp, data = files
    if extra[0] == "--weights":
        np.save(tmp / "w.npy", np.full(80, 0.5))
        extra = ["--weights", str(tmp / "w.npy")]
    args = ["calibrate", "--model", "tests.calibrate.test_cli_calibrate:chain_factory"]
    args += ["--data", str(data)]
    args += extra
    rc = main(args)
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and f"{flag}:" in err[0], err
