"""The command line as a new user meets it (issue 27): modules in the working folder, shipped
testbeds with no data, outputs checked before work, progress off a terminal, help texts."""

from __future__ import annotations

import argparse
import io
import json
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import mdmjax as mdm
from mdmjax._src import progress
from mdmjax.cli import build_parser, main

REPO = Path(mdm.__file__).resolve().parent.parent

UNIFORM_MODULE = textwrap.dedent(
    """
    import numpy as np
    import mdmjax as mdm

    def make():
        return mdm.models.from_callable(lambda y: np.full(y.shape + (3,), 1 / 3),
                                        num_values=3, output="probs", traceable=False,
                                        name="uniform3")

    def scores_only():
        return mdm.models.from_callable(lambda y, x: (0 * y, 0 * y), num_values=3,
                                        output="scored", traceable=False, n=4, name="ce-head")

    def broken():
        raise RuntimeError("weights not found")

    def not_a_model():
        return 42
    """
)


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A working folder holding the user's module; sys.path restored after the test."""
    (tmp_path / "usermod_i27.py").write_text(UNIFORM_MODULE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    monkeypatch.delitem(sys.modules, "usermod_i27", raising=False)
    return tmp_path


def _err(capsys):
    return capsys.readouterr().err.strip()


def test_module_in_the_working_folder_is_found(workdir, capsys):
    base = ["sample", "--model", "usermod_i27:make", "--steps", "2", "--num", "3", "--quiet"]
    # found; the model leaves n open and nothing else gives it: one line saying what to pass
    assert main(base) == 2
    err = _err(capsys)
    assert err.startswith("mdmjax sample: error: --model: uniform3 does not fix n")
    assert "from_torch(..., n=N)" in err and "--curve-data" in err
    # n from the held-out rows (and the optimal schedule from their curve)
    np.save(workdir / "rows.npy", np.random.default_rng(0).integers(0, 3, (20, 4)))
    assert main([*base, "--curve-data", "rows.npy", "--schedule", "optimal"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("sampled 3 rows of n = 4 (4 generated) with sizes [")
    assert len(out) == 4 and all(len(r.split()) == 4 for r in out[1:])
    # a scored-only model: told what to pass instead, before any sampling
    argv = ["sample", "--model", "usermod_i27:scores_only", "--steps", "2", "--num", "1"]
    assert main(argv) == 2
    err = _err(capsys)
    assert err.startswith("mdmjax sample: error: --model: ce-head is a scored model")
    assert "output='log_probs'" in err and "\n" not in err


def test_module_errors_say_where_and_what(workdir, capsys):
    assert main(["sample", "--model", "nosuchmod_i27:make", "--steps", "1", "--num", "1"]) == 2
    err = _err(capsys)
    assert err.startswith("mdmjax sample: error: --model: no module named 'nosuchmod_i27'")
    assert f"looked in the current folder {workdir}" in err and "\n" not in err
    cases = {
        "usermod_i27:broken": "--model: usermod_i27:broken() raised RuntimeError: weights not "
        "found",
        "usermod_i27:not_a_model": "--model: usermod_i27:not_a_model() returned a int, not an "
        "mdmjax model",
        "usermod_i27:missing": "--model: module 'usermod_i27' (",
    }
    for spec, msg in cases.items():
        assert main(["sample", "--model", spec, "--steps", "1", "--num", "1"]) == 2
        err = _err(capsys)
        assert msg in err and "\n" not in err, err


@pytest.mark.slow  # a fresh interpreter importing jax: a few seconds
def test_python_dash_m_mdmjax_runs_the_cli():
    proc = subprocess.run(
        [sys.executable, "-m", "mdmjax", "data", "--help"],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("usage: mdmjax data")


def test_outputs_are_checked_before_any_model_call(monkeypatch, tmp_path, capsys):
    def refuse(*args, **kwargs):
        raise AssertionError("the model was loaded before the output paths were checked")

    monkeypatch.setattr("mdmjax.cli._model.load_model", refuse)
    monkeypatch.setattr("mdmjax.cli.calibrate.load_model", refuse)
    monkeypatch.setattr("mdmjax.cli.sample.load_model", refuse)
    bad = "/nonexistent_i27/dir/out"
    runs = [
        (["calibrate", "--model", "words4", "--json", f"{bad}.json"], "--json"),
        (["calibrate", "--model", "words4", "--plot", f"{bad}.png"], "--plot"),
        (
            ["sample", "--model", "words4", "--steps", "2", "--num", "2", "--npy", f"{bad}.npy"],
            "--npy",
        ),
        (["data", "--model", "walk", "--npy", str(tmp_path)], "--npy"),
    ]
    for argv, flag in runs:
        assert main(argv) == 2, argv
        err = _err(capsys)
        assert err.startswith(f"mdmjax {argv[0]}: error: {flag}: cannot write"), err
        assert "\n" not in err


def test_unknown_flag_names_the_subcommand(capsys):
    assert main(["calibrate", "--model", "words4", "--no-such-flag"]) == 2
    err = _err(capsys)
    assert err == (
        "mdmjax calibrate: error: unrecognized arguments: --no-such-flag "
        "(see mdmjax calibrate --help)"
    )


def test_help_is_plain_text_with_every_flag_documented():
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, command in sub.choices.items():
        text = command.format_help()
        assert "``" not in text and ":func:" not in text and ":class:" not in text, name
        for action in command._actions:
            assert action.help, (name, action.option_strings)
    for name in ("calibrate", "sample"):
        model_help = next(
            a.help for a in sub.choices[name]._actions if "--model" in a.option_strings
        )
        for shipped in mdm.calibrate.SHIPPED_MODELS:
            assert shipped in model_help
        assert "SHIPPED_MODELS" not in model_help


def test_shipped_data_are_exact_draws_with_the_exact_entropy():
    held = mdm.calibrate.shipped_data("walk", 50, seed=3)
    law = mdm.calibrate.walk_law()
    assert held.rows.shape == (50, 128) and law.is_valid(held.rows).all()
    assert held.entropy == pytest.approx(math.log(32) + 127 * math.log(4), abs=1e-12)
    again = mdm.calibrate.shipped_data("walk", 50, seed=3)
    assert np.array_equal(held.rows, again.rows)
    words = mdm.calibrate.shipped_data("words4", 400, seed=1)
    d = mdm.families.english_words(4)  # the law as a table: an independent route to H and p
    assert words.entropy == pytest.approx(float(d.entropy()), abs=1e-10)
    p = np.asarray(d.probs)
    assert np.all(p[tuple(words.rows.T)] > 0)  # every draw is a word of the law
    with pytest.raises(ValueError, match="^name: no shipped model called 'walk2'"):
        mdm.calibrate.shipped_data("walk2", 3)
    with pytest.raises(ValueError, match="^num: "):
        mdm.calibrate.shipped_data("walk", 0)


def test_calibrate_a_shipped_model_without_data(tmp_path, capsys):
    out = tmp_path / "w.json"
    argv = ["calibrate", "--model", "words4", "--rows", "64", "--steps", "2", "--json", str(out)]
    assert main([*argv, "--quiet"]) == 0
    text = capsys.readouterr().out
    held = mdm.calibrate.shipped_data("words4", 64, seed=0)
    assert text.splitlines()[0].startswith("data: 64 exact draws of english_words(4) over ")
    assert f"exact H(p) = {held.entropy:.6g} nats" in text
    assert "frontier (absolute KL, nats)" in text  # H filled in
    got = json.loads(out.read_text())
    assert got["kind"] == "absolute KL"
    assert got["data"]["exact_draws"] == 64 and got["data"]["seed"] == 0
    assert got["data"]["entropy"] == held.entropy
    # the same rows given as a file give the same curve
    np.save(tmp_path / "rows.npy", held.rows)
    assert main(["data", "--model", "words4", "--num", "64", "--npy", str(tmp_path / "d.npy")]) == 0
    assert np.array_equal(np.load(tmp_path / "d.npy"), held.rows)
    assert "exact H(p) = " in capsys.readouterr().out
    out2 = tmp_path / "f.json"
    argv2 = ["calibrate", "--model", "words4", "--data", str(tmp_path / "d.npy"), "--steps", "2"]
    assert main([*argv2, "--json", str(out2), "--quiet"]) == 0
    got2 = json.loads(out2.read_text())
    assert got2["curve"]["cross_entropy"] == got["curve"]["cross_entropy"]
    assert main(["calibrate", "--model", "usermod_none:make"]) == 2
    assert "--data: required for a MODULE:FACTORY model" in _err(capsys)


LONG_MODULE = textwrap.dedent(
    """
    import numpy as np
    import mdmjax as mdm

    def make():
        return mdm.models.from_callable(lambda y: np.full(y.shape + (2,), 0.5), num_values=2,
                                        output="probs", traceable=False, n=70, name="coin70")
    """
)


def test_large_n_evaluates_a_grid_by_default(workdir, capsys):
    (workdir / "longmod_i27.py").write_text(LONG_MODULE)
    np.save(workdir / "rows.npy", np.random.default_rng(0).integers(0, 2, (4, 70)))
    argv = ["calibrate", "--model", "longmod_i27:make", "--data", "rows.npy", "--steps", "2"]
    assert main([*argv, "--json", "out.json", "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "levels: n = 70 > 64, so 33 levels from 0 to 69 are evaluated" in text
    levels = json.loads((workdir / "out.json").read_text())["curve"]["levels"]
    assert len(levels) == 33 and levels[0] == 0 and levels[-1] == 69
    assert np.all(np.diff(levels) >= 2)  # evenly spread
    np.testing.assert_allclose(
        json.loads((workdir / "out.json").read_text())["curve"]["cross_entropy"], math.log(2)
    )


def test_progress_lines_when_stderr_is_not_a_terminal(monkeypatch, capsys):
    buf = io.StringIO()
    assert isinstance(progress.progress_bar(10, "x", stream=buf), progress.LineProgress)
    bar = progress.LineProgress(200, "job", "rows", stream=buf, interval=0.0)
    bar.update(50)
    bar.update(150)
    bar.close()
    lines = buf.getvalue().splitlines()
    assert lines[0].startswith("job: 50/200 rows (25%), ") and " rows/s, " in lines[0]
    assert lines[0].endswith(" left")
    assert lines[1].startswith("job: 200/200 rows (100%)") and "done in" in lines[1]
    quiet = io.StringIO()
    with progress.LineProgress(5, "short", "rows", stream=quiet, interval=60.0) as b:
        b.update(5)
    assert quiet.getvalue() == ""  # a run shorter than the interval prints nothing
    # the commands: lines on a non-terminal stderr, none with --quiet
    monkeypatch.setattr(progress, "LINE_INTERVAL", 0.0)
    argv = ["sample", "--model", "words4", "--steps", "2", "--num", "3"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "sample: 3/3 rows (100%)" in captured.err
    rows = captured.out.splitlines()[1:]
    assert len(rows) == 3 and all(len(r) == 4 and r.isalpha() and r.islower() for r in rows)
    assert main([*argv, "--quiet"]) == 0
    assert "rows/s" not in capsys.readouterr().err


def test_sample_summary_says_where_the_rows_went(tmp_path, capsys):
    path = tmp_path / "x.npy"
    assert (
        main(
            [
                "sample",
                "--model",
                "words5",
                "--steps",
                "5",
                "--num",
                "2",
                "--npy",
                str(path),
                "--quiet",
            ]
        )
        == 0
    )
    line = capsys.readouterr().out.strip()
    assert f"-> --npy {path};" in line and "log ν̂_B: the log-probability of a row" in line
    assert np.load(path).shape == (2, 5)


def test_docs_give_the_torch_install_in_one_line():
    line = (
        "pip install 'torch==2.13.0+cpu' --extra-index-url https://download.pytorch.org/whl/cpu "
        "&& pip install -e '.[torch]'"
    )
    for doc in ("README.md", "docs/calibrate.md"):
        text = (REPO / doc).read_text()
        assert line in text, doc
        assert "CUDA" in text, doc


@pytest.mark.slow  # the tree walk around a host callback compiles per policy kind
def test_policies_take_a_module_factory(workdir, capsys):
    """A sampler whose conditionals are uniform outputs the uniform law, whatever the policy:
    KL(p || uniform) = ln 9 - H(p) for every row of the frontier."""
    p = np.random.default_rng(0).dirichlet(np.ones(9)).reshape(3, 3)
    np.save(workdir / "law.npy", p)
    argv = ["policies", "--from-npy", "law.npy", "--model", "usermod_i27:make"]
    assert main([*argv, "--policies", "confidence,random", "--json", "pol.json", "--quiet"]) == 0
    got = json.loads((workdir / "pol.json").read_text())
    h = -float(np.sum(p * np.log(p)))
    kls = [r["kl"] for r in got["rows"] if r.get("kl_kind", "output") == "output"]
    assert kls and np.allclose(kls, math.log(9) - h, atol=1e-10)
