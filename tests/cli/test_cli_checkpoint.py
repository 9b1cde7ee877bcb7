"""``--checkpoint PATH`` on ``mdmjax calibrate`` and ``mdmjax sample``: resume, refuse, estimate."""

import json

import numpy as np

import mdmjax as mdm
from mdmjax.cli import main


def chain_factory():
    return mdm.calibrate.markov_chain_model([0.5, 0.5], [[0.9, 0.1], [0.2, 0.8]], 6)


CHAIN = "tests.cli.test_cli_checkpoint:chain_factory"


def test_calibrate_checkpoint_resumes_and_refuses_another_run(tmp_path, capsys):
    rows = np.asarray(
        mdm.calibrate.sample_markov_chain([0.5, 0.5], [[0.9, 0.1], [0.2, 0.8]], 6, 60)
    )
    data = tmp_path / "rows.npy"
    np.save(data, rows)
    ck = tmp_path / "run.ckpt"
    args = ["calibrate", "--model", CHAIN, "--data", str(data), "--batch-size", "64"]
    args += ["--steps", "1,2,3", "--checkpoint", str(ck)]
    assert main([*args, "--json", str(tmp_path / "a.json")]) == 0
    err = capsys.readouterr().err
    assert "360 forward passes (60 rows x 6 per row, 6 levels) in batches of 64" in err
    assert f"checkpoint {ck}" in err and "first batch" in err and "about" in err
    assert main([*args, "--json", str(tmp_path / "b.json")]) == 0
    assert "6 already in the checkpoint, 0 to run here" in capsys.readouterr().err
    first, again = (json.loads((tmp_path / f).read_text()) for f in ("a.json", "b.json"))
    assert first == again
    plain = mdm.model_curve(chain_factory(), rows, key=0, batch_size=64)
    assert first["curve"]["cross_entropy"] == plain.cross_entropy.tolist()
    assert main([*args, "--levels", "0,2,5", "--quiet"]) == 2
    msg = capsys.readouterr().err.strip()
    assert msg.startswith("mdmjax calibrate: error: --checkpoint: ") and "differs: levels" in msg
    assert "\n" not in msg
    bad = ["calibrate", "--model", CHAIN, "--data", str(data), "--quiet"]
    assert main([*bad, "--checkpoint", str(tmp_path / "no" / "c")]) == 2
    msg = capsys.readouterr().err.strip()
    assert msg.startswith("mdmjax calibrate: error: --checkpoint: cannot write")


def test_sample_checkpoint_resumes(tmp_path, capsys):
    ck = tmp_path / "s.ckpt"
    args = ["sample", "--model", CHAIN, "--steps", "3", "--num", "9", "--batch-size", "4"]
    args += ["--seed", "2", "--checkpoint", str(ck)]
    assert main([*args, "--npy", str(tmp_path / "a.npy")]) == 0
    assert ck.stat().st_size > 0
    assert main([*args, "--npy", str(tmp_path / "b.npy")]) == 0
    a, b = np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy")
    assert np.array_equal(a, b)
    want = mdm.sample(chain_factory(), (2, 2, 2), key=2, num_samples=9, batch_size=4)
    assert np.array_equal(a, want)
    assert main([*args[:4], "2", *args[5:]]) == 2
    msg = capsys.readouterr().err.strip().splitlines()[-1]
    assert msg.startswith("mdmjax sample: error: --checkpoint: ") and "differs: plan" in msg
