"""``mdmjax policies`` (the CLI test moved from tests/policies/test_frontier.py, and more)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import mdmjax as mdm
from mdmjax import cli
from mdmjax import policies as P
from tests.cli._util import run_error, run_json


def law(seed=0, shape=(2, 2, 2, 2)):
    rng = np.random.default_rng(seed)
    return mdm.Distribution.from_probs(rng.dirichlet(np.ones(math.prod(shape))).reshape(shape))


def test_cli_policies(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli, "SUBCOMMAND_MODULES", ["mdmjax.cli.policies"])
    plot, rows = tmp_path / "frontier.png", tmp_path / "frontier.json"
    code = cli.main(
        ["policies", "--n", "4", "--coupling", "0.8", "--field", "0.1",
         "--policies", "confidence,threshold,semi_ar:2", "--steps", "1:4",
         "--plot", str(plot), "--json", str(rows), "--quiet"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "confidence(2,2)" in out and "DP-optimal" in out
    assert plot.stat().st_size > 0
    data = json.loads(rows.read_text())
    d = mdm.families.ising("chain", n=4, coupling=0.8, field=0.1)
    row = next(r for r in data["rows"] if r["label"] == "confidence(2,2)")
    assert row["kl"] == pytest.approx(mdm.evaluate_policy(d, P.confidence((2, 2))).kl, abs=1e-15)
    code = cli.main(["policies", "--n", "3", "--model", "noisy:oops", "--plot", "", "--quiet"])
    assert code == 2
    assert "model" in capsys.readouterr().err
    code = cli.main(
        ["policies", "--family", "markov", "--n", "3", "--q", "3", "--model", "noisy:0.3:1",
         "--policies", "entropy", "--plot", "", "--quiet"]
    )  # fmt: skip
    assert code == 0
    np.save(tmp_path / "law.npy", np.asarray(law(5).probs))
    code = cli.main(
        ["policies", "--probs", str(tmp_path / "law.npy"), "--policies", "dilated",
         "--plot", "", "--quiet"]
    )  # fmt: skip
    assert code == 0 and "dilated(n=4, base=2)" in capsys.readouterr().out
    code = cli.main(["policies", "--family", "noisy_repetition", "--n", "3", "--param", "eta",
                     "--plot", "", "--quiet"])  # fmt: skip
    assert code == 2 and "KEY=VALUE" in capsys.readouterr().err


def test_cli_policies_json_matches_library(capsys):
    res = run_json(
        capsys,
        ["policies", "--family", "ising", "--n", "4", "--param", "coupling=0.7",
         "--policies", "random,random_optimal,confidence", "--steps", "1:4", "--quiet"],
    )  # fmt: skip
    d = mdm.families.ising("chain", n=4, coupling=0.7)
    c = mdm.information_curve(d)
    assert set(res["kl_kinds"]) == {"output", "mixture", "expected"}
    assert [o["steps"] for o in res["optimal"]] == [1, 2, 3, 4]
    for o in res["optimal"]:
        best = mdm.optimal_schedule(c, o["steps"])
        assert tuple(o["sizes"]) == best.sizes
        assert o["expected_kl"] == pytest.approx(mdm.expected_kl(c, best.sizes), abs=1e-12)
        assert o["mixture_kl"] == pytest.approx(mdm.mixture_kl(d, best.sizes), abs=1e-12)
        assert o["mixture_kl"] <= o["expected_kl"] + 1e-12  # the mixture KL is the smaller
    for r in res["rows"]:
        if r["family"] == "confidence":
            sizes = tuple(int(v) for v in r["label"][len("confidence(") : -1].split(","))
            assert r["kl_kind"] == "output"
            assert r["kl"] == pytest.approx(
                mdm.evaluate_policy(d, P.confidence(sizes)).kl, abs=1e-12
            )
        if r["family"] == "random_optimal":  # random order at the DP sizes = the mixture law
            k = round(r["expected_steps"])
            o = next(o for o in res["optimal"] if o["steps"] == k)
            assert r["kl"] == pytest.approx(o["mixture_kl"], abs=1e-10)


def test_cli_policies_writes_no_file_without_plot(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = cli.main(["policies", "--family", "parity", "--n", "3", "--policies", "confidence",
                     "--quiet"])  # fmt: skip
    assert code == 0
    assert list(tmp_path.iterdir()) == []
    out = capsys.readouterr().out
    assert "output KL" in out and "mixture KL" in out and "expected KL" in out


def test_cli_policies_plot_shows_coincident_curves(tmp_path, capsys):
    plot = tmp_path / "f.png"
    code = cli.main(
        ["policies", "--family", "ising", "--n", "4", "--policies",
         "confidence,margin,random_optimal", "--plot", str(plot), "--quiet"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0 and plot.stat().st_size > 0
    assert "plot note: confidence = margin" in out
    assert "random_optimal = random order, DP-optimal sizes (mixture KL)" in out


def test_cli_policies_checks_size_first(capsys, monkeypatch):
    from mdmjax.cli import _law

    def boom(self):
        raise AssertionError("the table was built before the size check")

    monkeypatch.setattr(_law.LawSpec, "table", boom)
    line = run_error(capsys, ["policies", "--family", "ising", "--n", "30", "--quiet"])
    assert "--n:" in line and "lower --n" in line and "2^30" in line
    line = run_error(capsys, ["policies", "--family", "reed_solomon", "--n", "12", "--quiet"])
    assert "--n:" in line and "13^12" in line
    line = run_error(capsys, ["policies", "--family", "hmm", "--n", "4", "--quiet"])
    assert line.startswith("mdmjax policies: error: --family: hmm has no probability table")
    line = run_error(capsys, ["policies", "--family", "ising", "--n", "4", "--steps", "5"])
    assert "--steps" in line and "n = 4" in line
    line = run_error(capsys, ["policies", "--family", "ising", "--n", "4", "--policies", "nope"])
    assert "--policies: unknown family 'nope'" in line
