"""The ``mdmjax report`` command: numbers agree with the library, errors are clean."""

from __future__ import annotations

import json

import numpy as np
import pytest

import mdmjax as mdm
from mdmjax.cli import main
from tests.cli._util import run_error, run_json


def test_report_family_json_matches_library(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert (
        main(
            [
                "report",
                "--family",
                "parity",
                "--n",
                "6",
                "--steps",
                "1",
                "2",
                "6",
                "--k",
                "3",
                "--eps",
                "0.5",
                "--json",
                str(out),
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "TC" in text and "DTC" in text and "optimal" in text
    res = json.loads(out.read_text())
    c = mdm.information_curve(mdm.families.parity(6))
    assert res["n"] == 6
    assert res["tc"] == pytest.approx(c.tc) and res["dtc"] == pytest.approx(c.dtc)
    rows = {r["steps"]: r for r in res["table"]}
    assert rows[1]["optimal_kl"] == pytest.approx(np.log(2))  # parity: TC = (n - d) ln q, d = n - 1
    assert rows[6]["optimal_kl"] == 0.0
    assert rows[2]["optimal_kl"] == pytest.approx(mdm.optimal_schedule(c, 2).kl)
    assert res["optimal"]["kl"] == pytest.approx(mdm.optimal_schedule(c, 3).kl)
    assert res["min_steps"]["steps"] == mdm.min_steps(c, 0.5).steps


def test_report_from_npy_and_stdout_json(tmp_path, capsys):
    p = np.random.default_rng(0).dirichlet(np.ones(16)).reshape(2, 2, 2, 2)
    f = tmp_path / "p.npy"
    np.save(f, p)
    assert main(["report", "--from-npy", str(f), "--json", "-"]) == 0
    res = json.loads(capsys.readouterr().out)
    c = mdm.information_curve(mdm.Distribution.from_probs(p))
    np.testing.assert_allclose(res["z"], np.asarray(c.z), atol=1e-12)


def test_report_default_law_runs(capsys):
    assert main(["report", "--steps", "1", "2"]) == 0
    assert "law:" in capsys.readouterr().out


def test_report_bad_input_is_a_clean_error(tmp_path, capsys):
    assert main(["report", "--family", "nope", "--n", "4"]) == 2
    assert "error" in capsys.readouterr().err
    assert main(["report", "--family", "parity"]) == 2
    assert "--n" in capsys.readouterr().err
    assert main(["report", "--family", "parity", "--n", "4", "--steps", "9"]) == 2
    assert "--steps" in capsys.readouterr().err
    bad = tmp_path / "bad.npy"
    np.save(bad, np.array([0.5, 0.6]))
    assert main(["report", "--from-npy", str(bad)]) == 2
    assert "total mass" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------
# JSON against the library, route selection
# ------------------------------------------------------------------------------------------------
def test_report_json_stdout_matches_library(capsys):
    res = run_json(capsys, ["report", "--family", "markov", "--n", "9", "--q", "3", "--k", "4",
                            "--steps", "1,2", "5", "--eps", "0.05"])  # fmt: skip
    c = mdm.curves.family_curve("markov", 9, q=3, key=0)
    assert res["route"] == "exact Markov-chain curve" and res["route_kind"] == "exact"
    np.testing.assert_allclose(res["z"], np.asarray(c.z), atol=1e-12)
    assert res["tc"] == pytest.approx(c.tc, abs=1e-12)
    assert [r["steps"] for r in res["table"]] == [1, 2, 5]
    for r in res["table"]:
        k = r["steps"]
        assert r["optimal_kl"] == pytest.approx(mdm.optimal_schedule(c, k).kl, abs=1e-12)
        assert tuple(r["optimal_sizes"]) == mdm.optimal_schedule(c, k).sizes
        const = mdm.expected_kl(c, mdm.schedules.constant(9, k))
        assert r["constant_kl"] == pytest.approx(const, abs=1e-12)
        assert r["cosine_kl"] == pytest.approx(
            mdm.expected_kl(c, mdm.schedules.cosine(9, k)), abs=1e-12
        )
    assert res["optimal"]["kl"] == pytest.approx(mdm.optimal_schedule(c, 4).kl, abs=1e-12)
    assert res["min_steps"]["steps"] == mdm.min_steps(c, 0.05).steps
    # the same law enumerated from its table gives the same curve
    d = mdm.families.by_name("markov", 9, q=3, key=0)
    np.testing.assert_allclose(res["z"], np.asarray(mdm.information_curve(d).z), atol=1e-10)


def test_report_ising_n22_takes_the_chain_route(capsys, monkeypatch):
    from mdmjax.cli import _law

    def no_table(self):
        raise AssertionError("enumerated")

    monkeypatch.setattr(_law.LawSpec, "table", no_table)
    res = run_json(capsys, ["report", "--family", "ising", "--n", "22", "--steps", "2", "--k", "2"])
    assert res["route"].startswith("exact Ising-chain curve")
    c = mdm.curves.ising_chain(22, 0.5, 0.0)
    assert res["tc"] == pytest.approx(c.tc, abs=1e-12)
    assert res["table"][0]["optimal_kl"] == pytest.approx(mdm.optimal_schedule(c, 2).kl, abs=1e-12)


def test_report_reed_solomon_picks_the_smallest_prime(capsys):
    res = run_json(capsys, ["report", "--family", "reed_solomon", "--n", "12", "--steps", "1"])
    assert res["shape"] == [13] * 12
    assert "Reed-Solomon over F_13" in res["route"]
    assert res["tc"] == pytest.approx(10 * np.log(13), abs=1e-10)  # (n - d) ln q, d = 2
    line = run_error(capsys, ["report", "--family", "reed_solomon", "--n", "12", "--q", "11"])
    assert "--q:" in line and "prime q > n = 12" in line


def test_report_enumeration_route_is_named(capsys):
    res = run_json(capsys, ["report", "--family", "dirichlet", "--n", "4", "--steps", "1"])
    assert res["route"].startswith("enumeration of the (q+1)^n table")
    c = mdm.information_curve(mdm.families.by_name("dirichlet", 4, key=0))
    assert res["tc"] == pytest.approx(c.tc, abs=1e-12)


def test_report_monte_carlo_prints_samples_and_intervals(capsys):
    argv = ["report", "--family", "hmm", "--n", "12", "--samples", "32", "--steps", "1,3",
            "--k", "3"]  # fmt: skip
    res = run_json(capsys, argv)
    assert res["route"] == "Monte Carlo, 32 samples" and res["num_samples"] == 32
    c = mdm.curves.family_curve("hmm", 12, key=0, num_samples=32)
    np.testing.assert_allclose(res["z"], np.asarray(c.z), atol=1e-12)
    for r in res["table"]:
        k = r["steps"]
        si = mdm.optimal_schedule_interval(c, k)
        assert r["optimal_kl"] == pytest.approx(si.schedule.kl, abs=1e-12)
        assert r["optimal_interval"] == pytest.approx([si.optimum.lower, si.optimum.upper])
        iv = mdm.expected_kl_interval(c, mdm.schedules.constant(12, k))
        assert r["constant_interval"] == pytest.approx([iv.lower, iv.upper])
        iv = mdm.expected_kl_interval(c, mdm.schedules.cosine(12, k))
        assert r["cosine_interval"] == pytest.approx([iv.lower, iv.upper])
        assert "optimal_cross_fitted" in r  # reserved for the cross-fitted value
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "route: Monte Carlo, 32 samples" in text and "95% interval" in text
    lo, hi = res["optimal"]["optimum_interval"]
    assert f"[{lo:.3g}, {hi:.3g}]" in text or f"[0, {hi:.3g}]" in text


def test_report_text_shows_round_off_as_zero(tmp_path, capsys):
    np.save(tmp_path / "z.npy", np.array([0.0, 3e-13, 3e-13]))
    assert main(["report", "--z-npy", str(tmp_path / "z.npy"), "--steps", "1"]) == 0
    text = capsys.readouterr().out
    assert "TC   = 0 nats" in text and "e-13" not in text
    res = run_json(capsys, ["report", "--z-npy", str(tmp_path / "z.npy"), "--steps", "1"])
    assert res["tc"] == pytest.approx(6e-13, rel=1e-9)  # JSON keeps the raw value


def test_report_help_states_the_tie_rule(capsys):
    assert main(["report", "--help"]) == 0
    assert "leftmost argmin" in capsys.readouterr().out


def test_report_plot_only_when_asked(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["report", "--family", "parity", "--n", "4", "--steps", "1"]) == 0
    assert list(tmp_path.iterdir()) == []
    assert main(["report", "--family", "parity", "--n", "4", "--plot", "r.png"]) == 0
    assert (tmp_path / "r.png").stat().st_size > 0


# ------------------------------------------------------------------------------------------------
# Hostile input: one line naming the flag, exit 2, checked before expensive work
# ------------------------------------------------------------------------------------------------
def _hostile_files(tmp_path):
    files = {}
    (tmp_path / "empty.npy").write_bytes(b"")
    files["empty"] = ("empty.npy", "is empty")
    (tmp_path / "text.npy").write_text("0.5 0.5\n")
    files["text"] = ("text.npy", "not a .npy file")
    np.savez(tmp_path / "arr.npz", p=np.ones(4) / 4)
    files["npz"] = ("arr.npz", ".npz archive")
    (tmp_path / "dir.npy").mkdir()
    files["directory"] = ("dir.npy", "is a directory")
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    files["pickled"] = ("obj.npy", "Python objects")
    np.save(tmp_path / "nan.npy", np.array([[0.5, np.nan], [0.25, 0.25]]))
    files["nan"] = ("nan.npy", "NaN or infinite")
    np.save(tmp_path / "neg.npy", np.array([[0.6, -0.1], [0.25, 0.25]]))
    files["negative"] = ("neg.npy", "negative")
    np.save(tmp_path / "unnorm.npy", np.array([[0.5, 0.6], [0.25, 0.25]]))
    files["unnormalized"] = ("unnorm.npy", "total mass")
    np.save(tmp_path / "scalar.npy", np.array(1.0))
    files["0-d"] = ("scalar.npy", "0-d array")
    np.save(tmp_path / "str.npy", np.array(["a", "b"]))
    files["strings"] = ("str.npy", "expected real numbers")
    np.save(tmp_path / "good.npy", np.ones((2, 2, 2)) / 8)
    (tmp_path / "trunc.npy").write_bytes((tmp_path / "good.npy").read_bytes()[:-20])
    files["truncated"] = ("trunc.npy", "damaged")
    files["missing"] = ("nonexistent.npy", "no such file")
    return files


HOSTILE = ["empty", "text", "npz", "directory", "pickled", "nan", "negative", "unnormalized",
           "0-d", "strings", "truncated", "missing"]  # fmt: skip


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_from_npy_is_one_line(tmp_path, capsys, kind):
    name, words = _hostile_files(tmp_path)[kind]
    path = str(tmp_path / name)
    line = run_error(capsys, ["report", "--from-npy", path])
    assert line.startswith("mdmjax report: error: --from-npy: ") and path in line
    assert words in line
    for numpy_text in ("allow_pickle=True", "Failed to interpret", "cannot reshape", "Errno"):
        assert numpy_text not in line


@pytest.mark.parametrize("command", ["schedules", "policies"])
def test_hostile_from_npy_other_commands(tmp_path, capsys, command):
    name, _ = _hostile_files(tmp_path)["pickled"]
    line = run_error(capsys, [command, "--from-npy", str(tmp_path / name)])
    assert f"mdmjax {command}: error: --from-npy:" in line


def test_report_missing_file_absolute_path(capsys):
    line = run_error(capsys, ["report", "--from-npy", "/nonexistent/law.npy"])
    assert line == "mdmjax report: error: --from-npy: no such file: /nonexistent/law.npy"


def test_hostile_z_npy(tmp_path, capsys):
    np.save(tmp_path / "z2.npy", np.zeros((2, 3)))
    assert "1-D array" in run_error(capsys, ["report", "--z-npy", str(tmp_path / "z2.npy")])
    np.save(tmp_path / "zd.npy", np.array([0.0, 0.5, 0.2]))
    line = run_error(capsys, ["report", "--z-npy", str(tmp_path / "zd.npy")])
    assert line.startswith("mdmjax report: error: --z-npy: ") and "non-decreasing" in line


@pytest.mark.parametrize(
    "argv, flag",
    [
        (["--family", "parity", "--n", "0"], "--n:"),
        (["--family", "nope", "--n", "3"], "--family:"),
        (["--family", "ising", "--n", "4", "--param", "coupling=abc"], "--param coupling:"),
        (["--family", "ising", "--n", "4", "--param", "foo=1"], "--param:"),
        (["--family", "ising", "--n", "4", "--param", "eta"], "--param:"),
        (["--family", "ising", "--n", "4", "--q", "3"], "--q:"),
        (["--family", "ising", "--n", "4", "--k", "5"], "--k:"),
        (["--family", "ising", "--n", "4", "--eps", "nan"], "--eps:"),
        (["--family", "ising", "--n", "4", "--steps", "0"], "--steps:"),
        (["--family", "ising", "--n", "4", "--steps", "x"], "--steps:"),
        (["--family", "hmm", "--n", "4", "--samples", "1"], "--samples:"),
        (["--family", "dirichlet", "--n", "30"], "--n:"),
        (["--n", "4"], "--n:"),
        (["--family", "ising", "--n", "abc"], "--n:"),
    ],
)
def test_messages_name_the_flag(capsys, argv, flag):
    line = run_error(capsys, ["report", *argv])
    assert flag in line
    for python_name in (" n:", " p:", " name:", " params:", " d:", " k:", " eps:"):
        assert python_name not in line


@pytest.mark.parametrize(
    "extra, flag",
    [(["--steps", "100001"], "--steps"), (["--k", "0"], "--k"), (["--eps", "-1"], "--eps")],
)
def test_cheap_checks_come_before_the_curve(capsys, monkeypatch, extra, flag):
    from mdmjax.cli import _law

    def boom(self):
        raise AssertionError("the curve was computed before the arguments were checked")

    monkeypatch.setattr(_law.LawSpec, "curve", boom)
    line = run_error(capsys, ["report", "--family", "markov", "--n", "100000", *extra])
    assert f"error: {flag}:" in line
    line = run_error(capsys, ["report", "--family", "mixture", "--n", "40", "--samples", "1"])
    assert "--samples:" in line
