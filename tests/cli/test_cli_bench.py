"""``mdmjax bench`` on a tiny kernel set: its numbers are the library's, its timings per call."""

from __future__ import annotations

import numpy as np
import pytest

import mdmjax as mdm
from mdmjax.cli import main
from tests.cli._util import run_error, run_json

TINY = ["bench", "--kernel", "dp,mixture", "--dp-n", "200", "--dp-k", "3", "--mixture-n", "4",
        "--no-isolate", "--quiet"]  # fmt: skip


def _bench_law(n: int) -> np.ndarray:
    # benchmarks/kernels.py::_law, written out: Dirichlet(1) weights from seed 0
    p = np.random.default_rng(0).standard_exponential(2**n)
    return (p / p.sum()).reshape((2,) * n)


def test_bench_json_matches_library(tmp_path, capsys):
    res = run_json(capsys, TINY)
    assert all(r["ok"] for r in res["results"])
    dp = next(r for r in res["results"] if r["spec"]["kind"] == "dp")
    curve = mdm.InformationCurve.from_z(np.log(np.arange(1, 201)) / np.log(200))
    assert dp["kl"] == pytest.approx(mdm.optimal_schedule(curve, 3).kl, abs=1e-12)
    assert dp["run_s"] * dp["calls"] >= 0.2  # repeated until the measurement is >= 0.2 s
    d = mdm.Distribution.from_probs(_bench_law(4))
    mixtures = [r for r in res["results"] if r["spec"]["kind"] == "mixture"]
    assert {tuple(r["sizes"]) for r in mixtures} >= {(4,), (2, 2), (1, 1, 1, 1)}
    for r in mixtures:
        f = r["float64"]
        assert f["kl"] == pytest.approx(mdm.mixture_kl(d, r["sizes"]), abs=1e-12)
        assert f["run_s"] * f["calls"] >= 0.2


def test_bench_writes_files_only_when_asked(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = ["bench", "--kernel", "dp", "--dp-n", "50", "--dp-k", "2", "--no-isolate", "--quiet"]
    assert main(args) == 0
    assert list(tmp_path.iterdir()) == []
    assert "dp" in capsys.readouterr().out
    assert main([*args, "--json", "b.json", "--plot"]) == 0
    assert (tmp_path / "b.json").stat().st_size > 0 and (tmp_path / "b.png").stat().st_size > 0


def test_bench_bad_flags(capsys):
    assert "--dp-n:" in run_error(capsys, ["bench", "--kernel", "dp", "--dp-n", "x"])
    assert "--kernel:" in run_error(capsys, ["bench", "--kernel", "nope"])
    line = run_error(capsys, ["bench", "--kernel", "dp", "--dp-n", "10", "--dp-k", "20"])
    assert "--dp-k:" in line


@pytest.mark.slow
def test_bench_warm_start_ratio(capsys, monkeypatch):
    """``--kernel warm``: cold and warm whole processes of a command, their ratio and targets."""
    import mdmjax.cli.bench as bench

    load = bench.load_benchmarks

    def tiny(name="kernels"):
        module = load(name)
        if name == "warm_start":  # one small command instead of the two
            module.COMMANDS = {"tiny": (["schedules", "--family", "product", "--n", "3"], 1.0)}
        return module

    monkeypatch.setattr(bench, "load_benchmarks", tiny)
    res = run_json(capsys, ["bench", "--kernel", "warm", "--quiet"])
    (warm,) = [r for r in res["results"] if r["spec"]["kind"] == "warm"]
    assert warm["ok"] and warm["identical"] and warm["cache_entries"] > 0
    assert warm["ratio"] == pytest.approx(warm["cold_s"] / warm["warm_s"])
    assert 0 < warm["warm_s"] - warm["warm_minus_floor_s"] < warm["warm_s"]  # a positive floor
    (target,) = [t for t in res["targets"] if t["name"] == "warm_start_tiny_ratio"]
    assert target["measured"] == warm["ratio"] and target["met"] == (warm["ratio"] >= 1.0)
