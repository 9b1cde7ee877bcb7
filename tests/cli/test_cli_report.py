"""The ``mdmjax report`` command: numbers agree with the library, errors are clean."""

from __future__ import annotations

import json

import numpy as np
import pytest

import mdmjax as mdm
from mdmjax.cli import main


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
