"""``mdmjax calibrate --compare``: the printed comparison equals sampler_frontier's values."""

import json

import numpy as np
import pytest

import mdmjax as mdm
from mdmjax.cli import main
from tests.calibrate.test_cli_calibrate import chain_factory


@pytest.fixture
def data(tmp_path):
    rows = np.asarray(
        mdm.calibrate.sample_markov_chain([0.5, 0.5], [[0.9, 0.1], [0.2, 0.8]], 6, 24)
    )
    path = tmp_path / "rows.npy"
    np.save(path, rows)
    return path


MODEL = "tests.calibrate.test_cli_calibrate:chain_factory"


@pytest.mark.slow
def test_compare_prints_and_matches_sampler_frontier(data, tmp_path, capsys):
    out = tmp_path / "cmp.json"
    argv = ["calibrate", "--model", MODEL, "--data", str(data), "--compare", "llada,random"]
    rc = main(
        argv + ["--steps", "3", "--quiet", "--json", str(out), "--plot", str(tmp_path / "f.png")]
    )
    text = capsys.readouterr().out
    assert rc == 0
    lines = text.splitlines()
    assert lines[0].startswith("cost estimate: 2 plans x 24 rows")
    assert "cross-entropy" in text and "- best" in text
    got = json.loads(out.read_text())
    plans = mdm.calibrate.default_sampler_plans(6, [3])
    chosen = {k: plans[k] for k in ("LLaDA confidence, k=3", "random order, constant, k=3")}
    f = mdm.calibrate.sampler_frontier(
        chain_factory(), np.load(data), chosen, key=0, batch_size=2048
    )
    assert [r["name"] for r in got["compare"]] == list(chosen)
    for rec, want in zip(got["compare"], f.table(), strict=True):
        assert rec["cross_entropy"] == pytest.approx(want["cross_entropy"], abs=1e-12)
        assert rec["minus_best"] == pytest.approx(want["minus_best"], abs=1e-12)
        assert f"{want['cross_entropy']:.4f}" in text
    assert (tmp_path / "f.png").stat().st_size > 1000


@pytest.mark.parametrize(
    "extra,flag",
    [
        (["--compare", "bogus"], "--compare"),
        (["--compare", "fast-dllm-dream", "--steps", "4"], "--compare"),  # 4 does not divide 6
        (["--compare", "random", "--entropy", "-1"], "--entropy"),
    ],
)
def test_compare_bad_input(data, capsys, extra, flag):
    rc = main(["calibrate", "--model", MODEL, "--data", str(data), "--quiet"] + extra)
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and f"{flag}:" in err[0], err
