"""One process of a multi-process mdmjax run on CPUs (for tests/test_multiprocess.py).

Every process runs this same program (SPMD): it joins JAX's distributed runtime, builds a
one-dimensional mesh over the devices of *all* processes, and evaluates the subset-entropy kernel
and the mixture KL on laws built from fixed seeds, sharded over that mesh. Each process writes its
results to ``--out``/process<i>.npz. Launch (docs/scaling.md, "Several hosts")::

    JAX_PLATFORMS=cpu python tests/multiprocess_worker.py --process-id 0 --num-processes 2 \\
        --port 12355 --out /tmp &
    JAX_PLATFORMS=cpu python tests/multiprocess_worker.py --process-id 1 --num-processes 2 \\
        --port 12355 --out /tmp

Cross-process collectives on CPU use gloo (``jax_cpu_collectives_implementation``, the default
in jax 0.10); ``--local-devices`` > 1 splits each process's CPU into several XLA devices.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

# The laws and schedules both the workers and the one-process reference evaluate.
ENTROPY_SHAPES = [(2,) * 9, (3, 2, 2, 3, 2), (5,)]
MIXTURE_CASES = [((2,) * 7, (2, 3, 2)), ((3, 2, 3, 2), (1, 3))]


def laws():
    """``(entropy tables, [(mixture table, sizes)])`` from a fixed seed."""
    rng = np.random.default_rng(20261127)
    tables = [rng.dirichlet(np.ones(int(np.prod(s)))).reshape(s) for s in ENTROPY_SHAPES]
    mixtures = [
        (rng.dirichlet(np.ones(int(np.prod(s)))).reshape(s), sizes) for s, sizes in MIXTURE_CASES
    ]
    return tables, mixtures


def compute(mesh) -> dict[str, np.ndarray]:
    """Subset entropies and mixture KLs of :func:`laws` on ``mesh`` (``False``: one device), and
    per-row ``model_curve`` and ``sample`` results of one of them."""
    import jax

    import mdmjax as mdm

    out: dict[str, np.ndarray] = {}
    tables, mixtures = laws()
    for i, p in enumerate(tables):
        h = mdm.subset_entropies(p, mesh=mesh)
        if mesh is not False:
            out[f"h{i}_devices"] = np.asarray(len(h.sharding.device_set))
        out[f"h{i}"] = np.asarray(h, dtype=np.float64)
    for i, (p, sizes) in enumerate(mixtures):
        d = mdm.Distribution.from_probs(p)
        out[f"kl{i}"] = np.asarray(mdm.mixture_kl(d, sizes, mesh=mesh), dtype=np.float64)
    # model_curve and sample split their batches over the processes themselves (each on its
    # local devices) and all-gather the rows: mesh None there, False for the one-device reference
    local = False if mesh is False else None
    law = mdm.Distribution.from_probs(mixtures[1][0])
    model = mdm.models.from_distribution(law)
    rows = np.asarray(law.sample(jax.random.key(5), 37))
    mc = mdm.model_curve(model, rows, key=1, masks_per_row=2, batch_size=16, mesh=local)
    out["mc_ce"], out["mc_ent"] = mc.row_cross_entropy, mc.row_entropy
    x, lp = mdm.sample(model, (1, 2, 1), key=2, num_samples=29, batch_size=4, return_log_prob=True)
    out["sample_x"], out["sample_lp"] = x, lp
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--process-id", type=int, required=True)
    parser.add_argument("--num-processes", type=int, required=True)
    parser.add_argument("--port", type=int, required=True, help="the coordinator's port")
    parser.add_argument("--host", default="127.0.0.1", help="the coordinator's host")
    parser.add_argument("--local-devices", type=int, default=1, help="CPU devices per process")
    parser.add_argument("--timeout", type=int, default=60, help="seconds to wait for the others")
    parser.add_argument("--out", help="folder where process i writes its results, process<i>.npz")
    args = parser.parse_args(argv)

    if args.local_devices > 1:  # before jax creates its CPU client
        os.environ["XLA_FLAGS"] = (
            os.environ.get("XLA_FLAGS", "")
            + f" --xla_force_host_platform_device_count={args.local_devices}"
        )
    import jax

    jax.config.update("jax_platforms", "cpu")
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    address = f"{args.host}:{args.port}"
    jax.distributed.initialize(
        coordinator_address=address,
        num_processes=args.num_processes,
        process_id=args.process_id,
        coordinator_bind_address=address,
        initialization_timeout=args.timeout,
        heartbeat_timeout_seconds=args.timeout,
        shutdown_timeout_seconds=args.timeout,
    )
    try:
        import mdmjax as mdm

        expected = args.num_processes * args.local_devices
        assert jax.process_count() == args.num_processes, jax.process_count()
        assert jax.device_count() == expected, jax.devices()
        assert jax.local_device_count() == args.local_devices, jax.local_devices()
        mesh = mdm.sharding.state_mesh()  # every device of every process
        assert {d.process_index for d in mesh.devices.flat} == set(range(args.num_processes))
        results = compute(mesh)
        results["process_count"] = np.asarray(jax.process_count())
        results["device_count"] = np.asarray(jax.device_count())
        from mdmjax._src.distributed import current_processes

        results["mdmjax_world"] = np.asarray(current_processes().world)
        if args.out:
            np.savez(os.path.join(args.out, f"process{args.process_id}.npz"), **results)
        print(f"MULTIPROCESS-OK process {args.process_id}", flush=True)
    finally:
        jax.distributed.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
