"""Checkpoints and the split over processes (mdmjax/_src/checkpoint.py, distributed.py).

Oracles: the same call without a checkpoint (bitwise), the sequential NumPy stream the random
masks were drawn from before they could be reached from any pass, and a run over two "processes"
simulated by two threads whose all-gather is a barrier (the real launches are in
tests/test_distributed.py, slow).
"""

from __future__ import annotations

import os
import threading

import jax
import numpy as np
import pytest

import mdmjax as mdm
from mdmjax._src import checkpoint as ck
from mdmjax._src import distributed as dist
from mdmjax.calibrate import _model_curve as mcmod


class _Counting:
    """A NumPy model (exact conditionals of ``d``) that counts its calls."""

    def __init__(self, d):
        self.inner = mdm.models.from_distribution(d)
        self.calls = 0
        self.model = mdm.models.from_callable(
            self, num_values=2, output="probs", traceable=False, n=d.n, name="counting"
        )

    def __call__(self, y):
        self.calls += 1
        return np.asarray(self.inner.conditionals(np.asarray(y)))


def _same(a, b):
    return np.array_equal(a.row_cross_entropy, b.row_cross_entropy) and np.array_equal(
        a.row_entropy, b.row_entropy
    )


def test_masks_reached_from_any_pass_are_the_sequential_stream():
    rng = mcmod._numpy_rng(jax.random.key(7))
    seq = np.random.Generator(np.random.PCG64())
    seq.bit_generator.state = rng.bit_generator.state
    passes = mcmod._Passes(9, np.arange(6), 6, "random", 2, rng)
    want = seq.random((passes.total, 6))
    ranks = np.argsort(np.argsort(want, axis=1), axis=1)
    lvl = passes.levels[passes.level_index]
    expected = ranks < lvl[:, None]
    for a, b in [(0, 5), (5, 6), (6, 40), (40, passes.total), (17, 23)]:
        assert np.array_equal(passes.revealed(a, b), expected[a:b]), (a, b)


def test_checkpoint_resume_is_bitwise_and_skips_done_batches(tmp_path):
    d = mdm.families.noisy_repetition(5, 0.2)
    x = np.asarray(d.sample(jax.random.key(1), 40))
    plain = mdm.model_curve(mdm.models.from_distribution(d), x, key=3, batch_size=16)
    path = tmp_path / "mc.ckpt"
    first = _Counting(d)
    got = mdm.model_curve(first.model, x, key=3, batch_size=16, checkpoint=path)
    assert _same(got, plain) and first.calls == -(-200 // 16) + 1  # batch 0: + its check
    again = _Counting(d)
    got = mdm.model_curve(again.model, x, key=3, batch_size=16, checkpoint=str(path))
    assert _same(got, plain) and again.calls == 0


def test_truncated_and_corrupt_tails_are_dropped(tmp_path):
    d = mdm.families.noisy_repetition(5, 0.2)
    x = np.asarray(d.sample(jax.random.key(1), 40))
    plain = mdm.model_curve(mdm.models.from_distribution(d), x, key=3, batch_size=16)
    path = str(tmp_path / "mc.ckpt")
    mdm.model_curve(_Counting(d).model, x, key=3, batch_size=16, checkpoint=path)
    full = open(path, "rb").read()
    # frame ends: the header and 13 records
    _, end = ck._frames(full, len(ck._PREFIX))
    assert end == len(full)
    offsets = [len(ck._PREFIX)]
    data_pos = len(ck._PREFIX)
    while data_pos < len(full):
        (length,) = ck._LEN.unpack_from(full, data_pos)
        data_pos += ck._LEN.size + length + ck._SUM
        offsets.append(data_pos)
    assert len(offsets) == 1 + 1 + 13
    # a crash mid-write of record 6: 5 records kept, 8 batches recomputed
    with open(path, "wb") as f:
        f.write(full[: offsets[6] + 11])
    m = _Counting(d)
    got = mdm.model_curve(m.model, x, key=3, batch_size=16, checkpoint=path)
    assert _same(got, plain) and m.calls == 8
    assert open(path, "rb").read() != full[: offsets[6] + 11]
    # a flipped byte inside record 10's payload: it and everything after are dropped
    bad = bytearray(open(path, "rb").read())
    bad[offsets[10] + 20] ^= 0xFF
    with open(path, "wb") as f:
        f.write(bytes(bad))
    m = _Counting(d)
    got = mdm.model_curve(m.model, x, key=3, batch_size=16, checkpoint=path)
    assert _same(got, plain) and m.calls == 13 - 9


def test_checkpoint_of_another_run_is_refused(tmp_path):
    d = mdm.families.noisy_repetition(5, 0.2)
    x = np.asarray(d.sample(jax.random.key(1), 40))
    path = str(tmp_path / "mc.ckpt")
    mdm.model_curve(_Counting(d).model, x, key=3, levels=[0, 2], batch_size=16, checkpoint=path)
    before = open(path, "rb").read()
    for kwargs, what in [
        (dict(key=3, levels=[0, 3]), "levels"),
        (dict(key=4, levels=[0, 2]), "key"),
        (dict(key=3, levels=[0, 2], batch_size=8), "batch_size"),
    ]:
        kwargs.setdefault("batch_size", 16)
        m = _Counting(d)
        with pytest.raises(ValueError, match=rf"^checkpoint: .* differs: {what} "):
            mdm.model_curve(m.model, x, checkpoint=path, **kwargs)
        assert m.calls == 0
    m = _Counting(d)
    with pytest.raises(ValueError, match=r"^checkpoint: .* differs: rows "):
        mdm.model_curve(
            m.model, x[::-1].copy(), key=3, levels=[0, 2], batch_size=16, checkpoint=path
        )
    assert open(path, "rb").read() == before
    other = _Counting(mdm.families.noisy_repetition(5, 0.3))
    with pytest.raises(ValueError, match=r"^checkpoint: .* differs: model "):
        mdm.model_curve(
            mdm.models.from_callable(
                other, num_values=2, output="probs", traceable=False, n=5, name="another"
            ),
            x,
            key=3,
            levels=[0, 2],
            batch_size=16,
            checkpoint=path,
        )


def test_unwritable_or_foreign_checkpoint_is_refused_before_any_model_call(tmp_path):
    d = mdm.families.noisy_repetition(5, 0.2)
    x = np.asarray(d.sample(jax.random.key(1), 10))
    m = _Counting(d)
    for path in [tmp_path / "missing" / "c.ckpt", tmp_path]:
        with pytest.raises(ValueError, match=r"^checkpoint: cannot write"):
            mdm.model_curve(m.model, x, key=0, checkpoint=path)
    foreign = tmp_path / "notes.txt"
    foreign.write_text("my notes")
    with pytest.raises(ValueError, match=r"^checkpoint: .* is not an mdmjax checkpoint"):
        mdm.model_curve(m.model, x, key=0, checkpoint=foreign)
    assert foreign.read_text() == "my notes"
    with pytest.raises(ValueError, match=r"^checkpoint: expected a file path"):
        mdm.model_curve(m.model, x, key=0, checkpoint=3)
    assert m.calls == 0


def test_sample_checkpoint_resume_is_bitwise(tmp_path):
    d = mdm.families.noisy_repetition(5, 0.2)
    model = mdm.models.from_distribution(d)
    want = mdm.sample(model, (2, 3), key=5, num_samples=21, batch_size=4, return_log_prob=True)
    path = str(tmp_path / "s.ckpt")
    got = mdm.sample(
        model, (2, 3), key=5, num_samples=21, batch_size=4, return_log_prob=True, checkpoint=path
    )
    for a, b in zip(got, want, strict=True):
        assert np.array_equal(a, b)
    # keep 2 of the 6 records: the rest is redrawn, the same rows come back
    data = open(path, "rb").read()
    frames, _ = ck._frames(data, len(ck._PREFIX))
    keep = len(ck._PREFIX) + sum(ck._LEN.size + len(p) + ck._SUM for p in frames[:3])
    with open(path, "wb") as f:
        f.write(data[:keep])
    got = mdm.sample(
        model, (2, 3), key=5, num_samples=21, batch_size=4, return_log_prob=True, checkpoint=path
    )
    for a, b in zip(got, want, strict=True):
        assert np.array_equal(a, b)
    with pytest.raises(ValueError, match=r"^checkpoint: .* differs: plan "):
        mdm.sample(model, (1, 4), key=5, num_samples=21, batch_size=4, checkpoint=path)


def test_split_covers_in_order():
    for count in range(0, 12):
        for world in range(1, 5):
            blocks = [dist.split(count, world, r) for r in range(world)]
            assert blocks[0][0] == 0 and blocks[-1][1] == count
            assert all(a[1] == b[0] for a, b in zip(blocks, blocks[1:], strict=False))
            sizes = [hi - lo for lo, hi in blocks]
            assert max(sizes) - min(sizes) <= 1


class _Threads(dist.Processes):
    """``world`` ranks as threads: all_gather is a barrier over a shared list."""

    def __init__(self, rank, world, shared):
        object.__setattr__(self, "backend", "threads")
        object.__setattr__(self, "rank", rank)
        object.__setattr__(self, "world", world)
        object.__setattr__(self, "shared", shared)

    def all_gather(self, obj):
        slots, barrier = self.shared
        barrier.wait(timeout=60)
        slots[self.rank] = obj
        barrier.wait(timeout=60)
        out = list(slots)
        barrier.wait(timeout=60)
        return out


def _in_threads(world, fn):
    shared = ([None] * world, threading.Barrier(world))
    results, errors = [None] * world, [None] * world

    def run(rank):
        try:
            results[rank] = fn(_Threads(rank, world, shared))
        except Exception as err:  # noqa: BLE001 - reported per rank
            errors[rank] = err

    threads = [threading.Thread(target=run, args=(r,)) for r in range(world)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    return results, errors


def _squares(indices):
    for i in indices:
        yield i, {"v": np.arange(3, dtype=np.float64) * i**2}


def test_run_batches_over_thread_ranks_gathers_everything(tmp_path):
    want = dist.run_batches(7, _squares, identity={"a": 1})
    for world in (2, 3):
        path = str(tmp_path / f"w{world}.ckpt")
        results, errors = _in_threads(
            world,
            lambda p, path=path: dist.run_batches(
                7, _squares, identity={"a": 1}, processes=p, checkpoint=path
            ),
        )
        assert errors == [None] * world
        for got in results:
            assert all(np.array_equal(g["v"], w["v"]) for g, w in zip(got, want, strict=True))
        assert os.path.exists(path + ".rank1")
        # a one-process resume reads every rank's file: nothing is recomputed
        seen = []

        def tracking(indices, seen=seen):
            seen.extend(indices)
            return _squares(indices)

        got = dist.run_batches(7, tracking, identity={"a": 1}, checkpoint=path)
        assert seen == [] and all(
            np.array_equal(g["v"], w["v"]) for g, w in zip(got, want, strict=True)
        )


def test_run_batches_refuses_different_arguments_and_propagates_failures():
    results, errors = _in_threads(
        2, lambda p: dist.run_batches(3, _squares, identity={"levels": [p.rank]}, processes=p)
    )
    assert all(isinstance(e, ValueError) for e in errors)
    assert all(
        str(e).startswith("arguments: process") and "differs: levels" in str(e) for e in errors
    )

    def failing(indices):
        for i in indices:
            if i == 2:
                raise ValueError("model: broke at batch 2")
            yield i, {"v": np.zeros(1)}

    results, errors = _in_threads(
        2, lambda p: dist.run_batches(4, failing, identity={}, processes=p)
    )
    assert str(errors[1]) == "model: broke at batch 2"
    assert str(errors[0]) == "model: broke at batch 2 (in process 1)"


def test_more_processes_than_rows_is_refused():
    procs = dist.Processes("torch", 0, 5)
    with pytest.raises(ValueError, match=r"^data: 4 rows cannot be split over 5 processes"):
        dist.check_world(4, procs, "data")
    dist.check_world(5, procs, "data")
