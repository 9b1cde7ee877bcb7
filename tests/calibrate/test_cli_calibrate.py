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
    assert "optimum band" not in text and "simultaneous" in text and "rows ±0.05" in text
    assert "fewer than 800 rows: interval unreliable" in text  # an 80-row run (docs/coverage.md)
    fr = mdm.calibrate.cross_fit_frontier(
        mdm.model_curve(chain_factory(), np.load(data), key=0), [2, 3], key=0
    )
    for rec, lo, hi in zip(got["frontier"], fr.lower, fr.upper, strict=True):
        assert rec["simultaneous_lower"] == pytest.approx(lo, abs=1e-12)
        assert rec["simultaneous_upper"] == pytest.approx(hi, abs=1e-12)
        floor = got["simultaneous"]["floor"]
        lower = rec["lower"] if floor is None else max(rec["lower"], floor)
        assert rec["simultaneous_lower"] <= lower and rec["upper"] <= rec["simultaneous_upper"]
        assert rec["rows_needed"] >= 2
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


def test_calibrate_json_to_stdout_and_only_evaluated_levels(files, capsys, tmp_path):
    import matplotlib

    tmp, data = files
    backend = matplotlib.get_backend()
    args = ["calibrate", "--model", "tests.calibrate.test_cli_calibrate:chain_factory"]
    args += ["--data", str(data), "--levels", "0,2,5", "--steps", "2", "--quiet"]
    rc = main([*args, "--json", "-", "--plot", str(tmp_path / "f.png")])
    cap = capsys.readouterr()
    assert rc == 0 and not (tmp_path / "-").exists()
    got = json.loads(cap.out)  # stdout holds only the JSON; the table went to stderr
    assert len(got["curve"]["cross_entropy"]) == 6 and got["curve"]["levels"] == [0, 2, 5]
    table = [ln.split()[0] for ln in cap.err.splitlines() if ln[:5].strip().isdigit()]
    assert table[:3] == ["0", "2", "5"]  # the evaluated levels only, then the frontier rows
    assert "3 levels evaluated; the other 3 interpolated" in cap.err
    assert matplotlib.get_backend() == backend  # --plot left the global backend alone


def test_calibrate_bad_half_width(files, capsys):
    tmp, data = files
    args = ["calibrate", "--model", "tests.calibrate.test_cli_calibrate:chain_factory"]
    rc = main([*args, "--data", str(data), "--half-width", "0"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "--half-width:" in err[0], err
