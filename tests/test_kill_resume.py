"""Kill a checkpointed ``model_curve`` with SIGKILL, resume it: the result of an uninterrupted run.

tests/checkpoint_worker.py runs in its own process group; the test watches its checkpoint grow,
kills the group with SIGKILL mid-run, resumes (and kills the resume too, checking that every
record written before survives byte for byte), appends a torn record (a crash mid-write), and
lets a last resume finish. Its per-row arrays must equal an uninterrupted run's bit for bit, and
it must call the model only for the batches that were missing. Slow: it launches processes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from mdmjax._src import checkpoint as ck
from tests import checkpoint_worker as worker

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "tests", "checkpoint_worker.py")
TOTAL = -(-worker.ROWS * 5 // worker.BATCH)  # batches of the run
DEADLINE_S = 300


def _records(path: str) -> tuple[int, int]:
    """``(complete records, bytes they end at)`` in the checkpoint now."""
    try:
        data = open(path, "rb").read()
    except FileNotFoundError:
        return 0, 0
    if len(data) < len(ck._PREFIX):
        return 0, 0
    frames, end = ck._frames(data, len(ck._PREFIX))
    return max(0, len(frames) - 1), end


def _start(path: str, out: str) -> subprocess.Popen:
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env["JAX_PLATFORMS"] = "cpu"
    return subprocess.Popen(
        [sys.executable, SCRIPT, path, out],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)


def _kill_after(proc, path: str, records: int) -> int:
    """SIGKILL ``proc`` once the checkpoint holds ``records`` records; return how many it had."""
    deadline = time.monotonic() + DEADLINE_S
    while _records(path)[0] < records:
        assert proc.poll() is None, proc.stdout.read().decode()[-3000:]
        assert time.monotonic() < deadline, "the run did not progress"
        time.sleep(0.01)
    _kill(proc)
    return _records(path)[0]


@pytest.mark.slow
def test_killed_runs_resume_to_the_uninterrupted_result(tmp_path):
    want, calls = worker.run()
    assert calls == TOTAL + 1  # batch 0 is checked with one more call
    path, out = str(tmp_path / "run.ckpt"), str(tmp_path / "out.npz")
    procs = []
    try:
        procs.append(_start(path, out))
        first = _kill_after(procs[-1], path, 5)
        assert 5 <= first < TOTAL
        before = open(path, "rb").read()[: _records(path)[1]]
        # the resume is killed too: nothing written before is lost
        procs.append(_start(path, out))
        second = _kill_after(procs[-1], path, first + 5)
        assert first + 5 <= second < TOTAL
        assert open(path, "rb").read().startswith(before)
        # a crash mid-write: half a record at the end
        end = _records(path)[1]
        data = open(path, "rb").read()[:end]
        with open(path, "wb") as f:
            f.write(data + ck._LEN.pack(400) + b"\x01" * 100)
        procs.append(_start(path, out))
        assert procs[-1].wait(timeout=DEADLINE_S) == 0, procs[-1].stdout.read().decode()[-3000:]
    finally:
        for proc in procs:
            if proc.poll() is None:
                _kill(proc)
    got = np.load(out)
    assert np.array_equal(got["ce"], want.row_cross_entropy)
    assert np.array_equal(got["ent"], want.row_entropy)
    assert int(got["calls"]) == TOTAL - second  # only the missing batches (batch 0 was done)
    assert _records(path) == (TOTAL, os.path.getsize(path))
