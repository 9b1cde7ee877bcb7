"""``mdmjax schedules`` and ``mdmjax optimize`` (moved from tests/schedules and tests/search)."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

import mdmjax as mdm
from mdmjax import schedules as S
from tests.cli._util import run_error, run_json
from tests.search.test_relax import K, curve_shapes


def _parser():
    from mdmjax.cli import schedules as cli_schedules

    parser = argparse.ArgumentParser()
    cli_schedules.register(parser.add_subparsers(dest="command"))
    return parser


def test_cli_schedules_prints_every_schedule(tmp_path, capsys):
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(2**5)).reshape((2,) * 5)
    np.save(tmp_path / "law.npy", p)
    args = _parser().parse_args(
        ["schedules", "--from-npy", str(tmp_path / "law.npy"), "--steps", "2,3"]
    )
    assert args.func(args) == 0
    out = capsys.readouterr().out
    c = mdm.information_curve(mdm.Distribution.from_probs(p))
    for name in ("constant (LLaDA)", "maskgit cosine", "dream", "sqrt rule", "ancestral", "TC"):
        assert name in out
    assert f"{mdm.optimal_schedule(c, 3).kl:.4g}" in out


def test_cli_schedules_json_matches_library(capsys):
    res = run_json(
        capsys, ["schedules", "--family", "markov", "--n", "7", "--q", "3", "--steps", "2", "5"]
    )
    c = mdm.curves.family_curve("markov", 7, q=3, key=0)
    assert res["route"] == "exact Markov-chain curve"
    assert res["tc"] == pytest.approx(c.tc, abs=1e-12)
    assert [o["steps"] for o in res["optimal"]] == [2, 5]
    for o in res["optimal"]:
        best = mdm.optimal_schedule(c, o["steps"])
        assert o["kl"] == pytest.approx(best.kl, abs=1e-12)
        assert tuple(o["sizes"]) == best.sizes
    for cell in res["table"]["constant (LLaDA)"]:
        expect = mdm.expected_kl(c, S.constant(7, cell["steps"]))
        assert cell["kl"] == pytest.approx(expect, abs=1e-12)
    for cell in res["table"]["maskgit cosine"]:
        expect = mdm.expected_kl(c, S.maskgit(7, cell["steps"], "cosine"))
        assert cell["kl"] == pytest.approx(expect, abs=1e-12)
    assert res["min_steps"]["steps"] == mdm.min_steps(c, res["eps"]).steps


def test_cli_schedules_checks_steps_before_the_curve(capsys, monkeypatch):
    from mdmjax.cli import _law

    def boom(self):
        raise AssertionError("the curve was computed before --steps was checked")

    monkeypatch.setattr(_law.LawSpec, "curve", boom)
    line = run_error(capsys, ["schedules", "--family", "ising", "--n", "40", "--steps", "41"])
    assert "--steps" in line and "n = 40" in line


def test_cli_optimize(tmp_path, capsys, monkeypatch):
    import mdmjax._src.progress as progress
    from mdmjax.cli import schedules as cli_schedules

    monkeypatch.setattr(progress, "LINE_INTERVAL", 0.0)  # stderr is no terminal: a line a step

    np.save(tmp_path / "z.npy", curve_shapes(64)["sigmoid"])
    parser = argparse.ArgumentParser()
    cli_schedules.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["optimize", "--z-npy", str(tmp_path / "z.npy"), "--steps", str(K)])
    assert args.func(args) == 0
    captured = capsys.readouterr()
    assert "gap:" in captured.out and "within tolerance" in captured.out
    assert "optimize (breakpoints)" in captured.err  # the progress lines


def test_cli_optimize_bad_steps_names_the_flag(tmp_path, capsys):
    np.save(tmp_path / "z.npy", curve_shapes(64)["sigmoid"])
    line = run_error(capsys, ["optimize", "--z-npy", str(tmp_path / "z.npy"), "--steps", "65"])
    assert "--steps" in line and "n = 64" in line
    line = run_error(
        capsys, ["optimize", "--z-npy", str(tmp_path / "z.npy"), "--steps", "4", "--restarts", "0"]
    )
    assert line.endswith("--restarts: must be >= 1, got 0")
