"""Rows per second of ``model_curve`` with 1 and N ``torchrun`` processes (CPU, gloo).

    python benchmarks/distributed_speedup.py                 # words5, 1 and 2 processes
    python benchmarks/distributed_speedup.py --model walk --rows 64 --batch-size 256 --procs 1,2,4

Each launch runs ``python -m torch.distributed.run --nproc-per-node N`` on this file in worker
mode: every rank joins a gloo group, compiles on a small warm-up run, then times
``mdm.model_curve`` on ``--rows`` rows (batches split over the ranks, results all-gathered) and
rank 0 prints one JSON line. Each process's XLA runs single-threaded
(``--xla_cpu_multi_thread_eigen=false``, ``OMP_NUM_THREADS=1``), so N processes use N cores and
one process one core: the speedup is that of the split, not of XLA's threads. On a GPU node,
launch the worker yourself with one GPU per rank (docs/scaling.md). Also checks that every
launch returns the same per-row curve.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time

HERE = os.path.abspath(__file__)
ROOT = os.path.dirname(os.path.dirname(HERE))


def worker(args) -> None:
    import hashlib

    import numpy as np
    import torch.distributed as dist

    import mdmjax as mdm

    dist.init_process_group("gloo")
    model = mdm.calibrate.shipped_model(args.model)
    x = np.random.default_rng(0).integers(0, model.num_values, size=(args.rows, model.n))
    mdm.model_curve(model, x[: max(dist.get_world_size(), 2)], key=0, batch_size=args.batch_size)
    times = []
    for _ in range(args.repeat):
        dist.barrier()
        t0 = time.perf_counter()
        mc = mdm.model_curve(model, x, key=0, batch_size=args.batch_size)
        times.append(time.perf_counter() - t0)
    if dist.get_rank() == 0:
        digest = hashlib.sha256(mc.row_cross_entropy.tobytes()).hexdigest()[:16]
        best = min(times)
        print(
            "RESULT "
            + json.dumps(
                {
                    "processes": dist.get_world_size(),
                    "rows": args.rows,
                    "passes": args.rows * model.n,
                    "seconds": times,
                    "rows_per_s": args.rows / best,
                    "curve_sha256": digest,
                }
            ),
            flush=True,
        )
    dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(nproc: int, args) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env["JAX_PLATFORMS"] = "cpu"
    env["OMP_NUM_THREADS"] = "1"
    env["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nnodes=1",
        f"--nproc-per-node={nproc}",
        "--master-addr=127.0.0.1",
        f"--master-port={_free_port()}",
        HERE,
        "--worker",
        f"--model={args.model}",
        f"--rows={args.rows}",
        f"--batch-size={args.batch_size}",
        f"--repeat={args.repeat}",
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    raise RuntimeError(f"launch with {nproc} processes failed:\n{proc.stderr[-3000:]}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--model", default="words5")
    p.add_argument("--rows", type=int, default=20_000)
    p.add_argument("--batch-size", type=int, default=2048)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--procs", default="1,2", help="process counts, e.g. 1,2,4")
    p.add_argument("--out", help="also write the JSON here")
    args = p.parse_args(argv)
    if args.worker:
        worker(args)
        return 0
    runs = [launch(int(k), args) for k in args.procs.split(",")]
    base = runs[0]["rows_per_s"]
    for r in runs:
        r["speedup"] = r["rows_per_s"] / base
    same = len({r["curve_sha256"] for r in runs}) == 1
    out = {
        "model": args.model,
        "cpu_count": os.cpu_count(),
        "load_average": os.getloadavg(),
        "runs": runs,
        "identical_curves": same,
    }
    text = json.dumps(out, indent=1)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    return 0 if same else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
