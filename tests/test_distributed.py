"""``torchrun`` with two processes gives the rows one process gives (slow: launches processes).

tests/torch_distributed_worker.py runs ``model_curve`` (a ``from_torch`` model, and a JAX law)
and ``sample`` (a host model running the same torch module, and a JAX law) once as a plain
process (the reference: no process group) and once under ``python -m torch.distributed.run
--nproc-per-node 2`` (gloo on CPU, a free localhost port). Every rank must return the reference's
per-row arrays bit for bit; ``mdmjax calibrate`` under ``torchrun`` must write the one-process
JSON. A launch that gives the ranks different arguments, and more ranks than samples: every rank
must raise, none may hang. The launches run in their own process groups, killed in a
``finally``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKER = os.path.join(ROOT, "tests", "torch_distributed_worker.py")
TIMEOUT_S = 420


def _require_torch():
    try:
        import torch  # noqa: F401
    except ImportError:
        if os.environ.get("MDMJAX_REQUIRE_TORCH") == "1":
            raise
        pytest.skip("torch is not installed (the slow CI job installs mdmjax[torch])")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env["JAX_PLATFORMS"] = "cpu"
    env["OMP_NUM_THREADS"] = "1"
    for var in ("XLA_FLAGS", "RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(var, None)
    return env


def run_group(cmd: list[str], timeout: float, log_path: str) -> tuple[int, str]:
    """Run ``cmd`` in its own process group; kill the group in a ``finally``."""
    with open(log_path, "w+") as log:
        proc = subprocess.Popen(
            cmd, env=_env(), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            proc.wait(timeout=timeout)
        finally:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # stragglers of the group
            except (ProcessLookupError, PermissionError):
                pass
            proc.wait(timeout=30)
        log.seek(0)
        return proc.returncode, log.read()


def torchrun(nproc: int, *args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nnodes=1",
        f"--nproc-per-node={nproc}",
        "--master-addr=127.0.0.1",
        f"--master-port={_free_port()}",
        WORKER,
        *args,
    ]


@pytest.mark.slow
def test_two_torch_processes_match_one_process(tmp_path):
    _require_torch()
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    rc, out = run_group(
        [sys.executable, WORKER, f"--out={one}"], TIMEOUT_S, str(tmp_path / "one.log")
    )
    assert rc == 0 and "TORCH-WORKER-OK rank 0" in out, out[-4000:]
    ck = str(tmp_path / "run")
    rc, out = run_group(
        torchrun(2, f"--out={two}", f"--checkpoint={ck}"), TIMEOUT_S, str(tmp_path / "two.log")
    )
    assert rc == 0, out[-4000:]
    want = dict(np.load(one / "rank0.npz"))
    for rank in (0, 1):
        got = dict(np.load(two / f"rank{rank}.npz"))
        assert set(got) == set(want)
        for key in want:
            assert np.array_equal(got[key], want[key]), (rank, key)
    # each rank wrote its own checkpoint file
    assert os.path.exists(ck + ".mc") and os.path.exists(ck + ".mc.rank1")


@pytest.mark.slow
def test_torch_processes_refuse_bad_arguments_without_hanging(tmp_path):
    _require_torch()
    rc, out = run_group(torchrun(2, f"--out={tmp_path}", "--bad"), TIMEOUT_S, str(tmp_path / "l"))
    assert rc == 0, out[-4000:]
    for rank in (0, 1):
        errors = (tmp_path / f"rank{rank}.txt").read_text().splitlines()
        assert len(errors) == 2, errors
        assert errors[0].startswith("arguments: process ") and "differs: levels" in errors[0]
        assert errors[1].startswith("num_samples: 1 samples cannot be split over 2 processes")


@pytest.mark.slow
def test_cli_under_torchrun_writes_the_one_process_json(tmp_path):
    _require_torch()
    import json

    import mdmjax as mdm
    from mdmjax.cli import main

    rows = np.asarray(
        mdm.calibrate.sample_markov_chain([0.5, 0.5], [[0.9, 0.1], [0.2, 0.8]], 6, 40)
    )
    data = tmp_path / "rows.npy"
    np.save(data, rows)
    args = ["calibrate", "--model", "tests.cli.test_cli_checkpoint:chain_factory"]
    args += ["--data", str(data), "--batch-size", "16", "--steps", "1,2,3", "--quiet"]
    assert main([*args, "--json", str(tmp_path / "one.json")]) == 0
    cmd = torchrun(2, *args, "--json", str(tmp_path / "two.json"))
    cmd[cmd.index(WORKER)] = "mdmjax.cli"
    cmd.insert(cmd.index("mdmjax.cli"), "-m")
    cmd += ["--checkpoint", str(tmp_path / "run.ckpt")]
    rc, out = run_group(cmd, TIMEOUT_S, str(tmp_path / "cli.log"))
    assert rc == 0, out[-4000:]
    one, two = (json.loads((tmp_path / f).read_text()) for f in ("one.json", "two.json"))
    assert one == two
    assert (tmp_path / "run.ckpt.rank1").exists()  # rank 1 computed its share
