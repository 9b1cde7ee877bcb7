"""The flags every command shares (mdmjax/cli/_flags.py); `mdmjax bench` outside a checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mdmjax.cli import build_parser, main
from mdmjax.cli._flags import parse_ints, parse_steps

COMMANDS = ("report", "schedules", "optimize", "policies", "bench")


def test_one_int_list_grammar():
    assert parse_ints("4", "--steps") == [4]
    assert parse_ints("1,2,4", "--steps") == [1, 2, 4]
    assert parse_ints("1:9", "--steps") == list(range(1, 10))
    assert parse_ints("1:65:8", "--steps") == [1, 9, 17, 25, 33, 41, 49, 57, 65]
    assert parse_ints(["3", "1:2", "2"], "--levels") == [3, 1, 2, 2]  # order and repeats kept
    assert parse_ints(":3", "--x", default_lo=2, default_hi=9) == [2, 3]
    assert parse_steps(["4", ":2", "3:"], 5) == [1, 2, 3, 4, 5]  # empty ends: 1 and n
    for bad in ("x", "1:2:0", "1:2:3:4", "1.5", ",", ":3"):
        with pytest.raises(ValueError, match="^--always-revealed: "):
            parse_ints(bad, "--always-revealed", default_lo=None)
    with pytest.raises(ValueError, match=r"^--steps: every step count must lie in \[1, n = 4\]"):
        parse_steps("1:9:4", 4)


def test_output_flags_on_every_command():
    parser = build_parser()
    calibrate = ["--model", "words4", "--data", "rows.npy"]
    for command in (*COMMANDS, "calibrate"):
        required = {"optimize": ["--steps", "2"], "calibrate": calibrate}.get(command, [])
        args = parser.parse_args([command, *required, "--json", "-", "--quiet"])
        assert args.json == "-" and args.quiet, command
        assert hasattr(args, "plot") and args.plot is None, command
    assert parser.parse_args(["bench", "--plot"]).plot == ""  # bare: the --json path with .png
    args = parser.parse_args(["sample", "--model", "walk", "--num", "2", "--json", "-", "--quiet"])
    assert args.json == "-" and args.quiet  # sample writes rows (--json/--npy), no figure


def test_commands_leave_matplotlib_alone(tmp_path, capsys):
    """A --plot run draws on a Figure object: matplotlib's backend, rcParams and pyplot's figure
    list are as they were."""
    import matplotlib
    import matplotlib.pyplot as plt

    backend, rc, figures = matplotlib.get_backend(), dict(matplotlib.rcParams), plt.get_fignums()
    plot = tmp_path / "r.png"
    assert main(["report", "--family", "repetition", "--n", "6", "--plot", str(plot)]) == 0
    capsys.readouterr()
    assert plot.stat().st_size > 0
    assert matplotlib.get_backend() == backend
    assert dict(matplotlib.rcParams) == rc
    assert plt.get_fignums() == figures


def test_bench_runs_from_an_installed_package(tmp_path):
    """The package alone (no benchmarks/ folder next to it), run from a folder outside the
    checkout, measures in isolated worker processes and writes its JSON."""
    import mdmjax

    site = tmp_path / "site"
    shutil.copytree(
        Path(mdmjax.__file__).parent,
        site / "mdmjax",
        ignore=shutil.ignore_patterns("__pycache__", "data"),
    )
    work = tmp_path / "work"
    work.mkdir()
    env = dict(os.environ, PYTHONPATH=str(site), MDMJAX_CACHE_DIR="off")
    cmd = [sys.executable, "-m", "mdmjax.cli", "bench", "--kernel", "dp", "--dp-n", "40",
           "--dp-k", "2", "--quiet", "--json", "-"]  # fmt: skip
    proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    (dp,) = [r for r in report["results"] if r["spec"]["kind"] == "dp"]
    assert dp["ok"] and "process_wall_s" in dp  # measured in its own worker process
    probe = "import mdmjax.cli.bench as b; print(b.load_benchmarks('kernels').__file__)"
    where = subprocess.run([sys.executable, "-c", probe], cwd=work, env=env, capture_output=True,
                           text=True, timeout=300, check=True).stdout.strip()  # fmt: skip
    assert Path(where).is_relative_to(site), where
