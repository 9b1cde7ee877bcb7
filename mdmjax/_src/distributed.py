"""Several processes, one run: split batches over ranks, gather the results, resume from files.

A long run (``model_curve``, ``sample``, ``sampler_kl``) is a sequence of **batches** numbered
``0 .. B-1``, each a deterministic function of its index (its rows, its masks, its keys). Under
``torchrun`` (an initialised ``torch.distributed`` process group) or ``jax.distributed``
(``jax.process_count() > 1``) the batches are split into contiguous blocks, one per rank
(:func:`split`); each rank computes its block, appends every finished batch to its checkpoint
file (``mdmjax._src.checkpoint``) and the per-batch results are all-gathered, so **every rank
returns the object a one-process run returns**, bit for bit: the same batches, with the same
contents and shapes, reach the model whatever the number of processes, and the caller reduces
the gathered records in batch order.

Failures do not hang: all ranks first all-gather a digest of their arguments (a mismatch is a
``ValueError`` on every rank, naming what differs) and the outcome of opening their checkpoint;
an exception while computing is caught and gathered with the results, and every rank raises.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import sys
import time
from collections.abc import Callable, Iterable, Iterator

import numpy as np

from mdmjax._src.checkpoint import (
    canonical_identity,
    decode_records,
    differences,
    encode_records,
    open_checkpoint,
)

__all__ = ["Processes", "current_processes", "split", "check_world", "run_batches"]


@dataclasses.dataclass(frozen=True)
class Processes:
    """The processes of a run: ``backend`` (``"single"``, ``"torch"`` or ``"jax"``), this
    process's ``rank`` and the ``world`` size."""

    backend: str = "single"
    rank: int = 0
    world: int = 1

    def all_gather(self, obj) -> list:
        """Every rank's ``obj`` (picklable), in rank order, on every rank."""
        if self.world == 1:
            return [obj]
        if self.backend == "torch":
            import torch.distributed as dist

            out = [None] * self.world
            dist.all_gather_object(out, obj)
            return out
        if self.backend == "jax":
            return _jax_all_gather(obj)
        raise ValueError(f"processes: unknown backend {self.backend!r}")


def _jax_all_gather(obj) -> list:
    from jax.experimental import multihost_utils

    data = np.frombuffer(pickle.dumps(obj), dtype=np.uint8)
    if data.size >= 2**31:
        raise ValueError("processes: a result of 2 GiB or more cannot be gathered")
    sizes = np.asarray(multihost_utils.process_allgather(np.asarray([data.size], np.int32)))
    sizes = sizes.reshape(-1)
    padded = np.zeros(int(sizes.max()), np.uint8)
    padded[: data.size] = data
    everyone = np.asarray(multihost_utils.process_allgather(padded)).reshape(sizes.size, -1)
    return [pickle.loads(everyone[k, : int(s)].tobytes()) for k, s in enumerate(sizes)]


def current_processes() -> Processes:
    """The processes this one belongs to.

    ``torch.distributed``, when ``torch`` is imported and a process group is initialised
    (``torchrun`` then ``init_process_group``): its rank and world size. Otherwise JAX's
    ``jax.process_index()`` / ``jax.process_count()`` (``jax.distributed.initialize``). A single
    process otherwise. Torch is never imported here.
    """
    torch = sys.modules.get("torch")
    if torch is not None:
        dist = getattr(torch, "distributed", None)
        if dist is not None and dist.is_available() and dist.is_initialized():
            world = int(dist.get_world_size())
            if world > 1:
                return Processes("torch", int(dist.get_rank()), world)
    import jax

    if jax.process_count() > 1:
        return Processes("jax", int(jax.process_index()), int(jax.process_count()))
    return Processes()


def split(count: int, world: int, rank: int) -> tuple[int, int]:
    """Rank ``rank``'s contiguous block ``[lo, hi)`` of ``0 .. count-1`` among ``world`` ranks.

    Blocks differ in size by at most one, the first ``count % world`` ranks get the larger ones;
    together they cover ``0 .. count-1`` in order.
    """
    base, extra = divmod(int(count), int(world))
    lo = rank * base + min(rank, extra)
    return lo, lo + base + (1 if rank < extra else 0)


def check_world(count: int, processes: Processes, argument: str, what: str = "rows") -> None:
    """Refuse more processes than ``count`` units (the same check on every rank: no hang)."""
    if processes.world > count:
        raise ValueError(
            f"{argument}: {count} {what} cannot be split over {processes.world} processes "
            f"({processes.backend}); launch at most {count} processes or pass more {what}"
        )


def run_batches(
    num_batches: int,
    work: Callable[[Iterable[int]], Iterator[tuple[int, dict]]],
    *,
    identity: dict,
    checkpoint=None,
    processes: Processes | None = None,
    log: Callable[[str], None] | None = None,
    argument: str = "checkpoint",
) -> list[dict]:
    """Run batches ``0 .. num_batches-1`` over the processes, with an optional checkpoint.

    Args:
      num_batches: how many batches the run has.
      work: ``work(indices)`` computes the given batches (ascending) and yields
        ``(index, {name: array})`` as each one finishes, in order; it may overlap batch
        ``k + 1``'s dispatch with batch ``k``'s host work. A record must depend on the index
        only (its rows, masks and keys), never on which other batches run.
      identity: the run's identity (every argument that changes a result), a dict of JSON-able
        values and arrays: compared across processes and with the checkpoint's header.
      checkpoint: ``None`` or a path (:func:`mdmjax._src.checkpoint.open_checkpoint`).
      processes: default :func:`current_processes`.
      log: called with one-line messages before the first batch (batches, done, checkpoint)
        and after the first two (seconds per batch, time left extrapolated); ``None``: silent.
      argument: the name a checkpoint error starts with.

    Returns:
      the records of all batches, a list indexed by batch, the same on every rank.

    Raises:
      ValueError: on every rank: processes given different identities (naming the keys that
        differ), a checkpoint that cannot be written or belongs to another run, or an exception
        while computing on any rank (its message, and the rank).
    """
    procs = current_processes() if processes is None else processes
    ckpt, problem, status = None, None, []
    if checkpoint is not None:
        try:
            ckpt = open_checkpoint(checkpoint, identity, rank=procs.rank, argument=argument)
        except ValueError as err:
            if procs.world == 1:
                raise
            problem = str(err)
    if procs.world > 1:  # one process has nothing to compare: no digest of the rows then
        want = canonical_identity(identity)
        # Synchronise once before any model call: the same arguments everywhere, files open.
        status = procs.all_gather((want, problem))
    try:
        for k, (theirs, _) in enumerate(status):
            diff = differences(theirs, want)
            if diff:
                raise ValueError(
                    f"arguments: process {k} was given different arguments than process "
                    f"{procs.rank}; differs: {'; '.join(diff)}; every process must get the same"
                )
        for k, (_, theirs) in enumerate(status):
            if theirs is not None:
                raise ValueError(theirs if k == procs.rank else f"{theirs} (in process {k})")
        lo, hi = split(num_batches, procs.world, procs.rank)
        done = dict(ckpt.records) if ckpt is not None else {}
        todo = [i for i in range(lo, hi) if i not in done]
        mine = {i: done[i] for i in range(lo, hi) if i in done}
        if log is not None:
            where = f"; checkpoint {os.fspath(checkpoint)}" if checkpoint is not None else ""
            log(
                f"{num_batches} batches over {procs.world} process(es); {len(done)} already in "
                f"the checkpoint, {len(todo)} to run here{where}"
            )
        failure = None
        try:
            stamps = [time.perf_counter()]
            for count, (index, record) in enumerate(work(todo)):
                if ckpt is not None:
                    ckpt.append(index, record)
                mine[index] = record
                stamps.append(time.perf_counter())
                if log is not None and count < 2 and len(todo) > count + 1:
                    per = stamps[-1] - stamps[-2]
                    left = len(todo) - count - 1
                    what = "first batch" if count == 0 else "second batch"
                    note = " (compilation included)" if count == 0 else ""
                    log(f"{what} {per:.3g} s{note}: about {per * left:.3g} s for the other {left}")
        except Exception as err:  # gathered: the other ranks raise too instead of waiting
            if procs.world == 1:
                raise
            failure = (type(err).__name__, str(err))
            caught = err
    finally:
        if ckpt is not None:
            ckpt.close()
    if procs.world == 1:
        return [mine[i] for i in range(num_batches)]
    gathered = procs.all_gather((failure, encode_records(mine) if failure is None else b""))
    for k, (fail, _) in enumerate(gathered):
        if fail is not None:
            if k == procs.rank:
                raise caught
            kind, msg = fail
            raise (
                ValueError(f"{msg} (in process {k})")
                if kind == "ValueError"
                else RuntimeError(f"process {k} failed: {kind}: {msg}")
            )
    records: dict = {}
    for _, blob in gathered:
        records.update(decode_records(blob))
    missing = [i for i in range(num_batches) if i not in records]
    if missing:  # pragma: no cover - a bug, not an input
        raise RuntimeError(f"batches {missing[:5]} were computed by no process")
    return [records[i] for i in range(num_batches)]
