"""Append-only checkpoint files: a long run's completed batches survive an interruption.

A checkpoint holds the **identity** of a run (a dict the caller builds from its arguments: model
name, a digest of the rows, levels, plan, key, batch size, ...) and, after it, one record per
completed batch, appended as the batch finishes. A rerun with the same identity reads the records
back and skips those batches; a rerun with another identity is refused, naming what differs.

File layout (all integers little-endian)::

    b"MDMJAXCK" version:u32                                  magic
    frame(header JSON: {"identity": {...}})                  the run's identity
    frame(record) frame(record) ...                          one per completed batch
    frame = length:u64 payload[length] sha256(payload)[32]

A record's payload is the batch index (u64) and named NumPy arrays, stored bit for bit. Each
frame is written with one ``write`` and then ``fsync``-ed, so a crash leaves at most one partial
frame at the end: on open, a short or corrupt last frame (length past the end of the file, or a
checksum that does not match) is detected and cut off, and the batch is computed again.

Several processes of one run (``mdmjax._src.distributed``) write one file each: rank 0 writes
``PATH`` and rank ``k > 0`` writes ``PATH.rank<k>``; every process reads all of them, so a run
resumed with another number of processes still skips every completed batch.
"""

from __future__ import annotations

import glob
import hashlib
import io
import json
import os
import struct

import numpy as np

__all__ = ["Checkpoint", "open_checkpoint", "canonical_identity", "identity_digest"]

_MAGIC = b"MDMJAXCK"
_VERSION = 1
_PREFIX = _MAGIC + struct.pack("<I", _VERSION)
_LEN = struct.Struct("<Q")
_SUM = 32  # sha256


# ------------------------------------------------------------------------------------------------
# Identity
# ------------------------------------------------------------------------------------------------
def _canonical(value):
    """A JSON-able, order-stable stand-in for ``value`` (arrays: dtype, shape and a digest)."""
    import jax

    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return repr(float(value))  # bit-exact text
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, jax.Array) and jax.dtypes.issubdtype(value.dtype, jax.dtypes.prng_key):
        value = jax.random.key_data(value)
    arr = np.ascontiguousarray(np.asarray(value))
    if arr.dtype == object:
        return repr(value)
    if arr.size <= 16:  # small: readable in the error message
        return {"dtype": str(arr.dtype), "shape": list(arr.shape), "values": arr.ravel().tolist()}
    digest = hashlib.sha256(arr.tobytes()).hexdigest()[:16]
    return {"dtype": str(arr.dtype), "shape": list(arr.shape), "sha256": digest}


def canonical_identity(identity: dict) -> dict:
    """The canonical form of a run's identity: ``{name: JSON value}``, keys sorted.

    Arrays (and ``jax.random`` keys) become their dtype, shape and values (small) or a sha256
    digest (large); floats their exact ``repr``. Two identities are equal iff the runs are.
    """
    return _canonical(dict(identity))


def identity_digest(identity: dict) -> str:
    """A sha256 hex digest of :func:`canonical_identity` (what processes compare)."""
    text = json.dumps(canonical_identity(identity), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _short(value) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 60 else text[:57] + "..."


def differences(have: dict, want: dict) -> list[str]:
    """``"name (file: a; this run: b)"`` for every key whose canonical value differs."""
    out = []
    for k in sorted(set(have) | set(want)):
        if have.get(k, "<absent>") != want.get(k, "<absent>"):
            out.append(f"{k} (file: {_short(have.get(k))}, this run: {_short(want.get(k))})")
    return out


# ------------------------------------------------------------------------------------------------
# Records
# ------------------------------------------------------------------------------------------------
def _encode_record(index: int, arrays: dict) -> bytes:
    buf = io.BytesIO()
    buf.write(struct.pack("<QI", int(index), len(arrays)))
    for name, value in arrays.items():
        arr = np.ascontiguousarray(np.asarray(value))
        if arr.dtype == object:
            raise TypeError(f"checkpoint records hold numeric arrays, got {name!r} of dtype object")
        meta = json.dumps({"name": name, "dtype": arr.dtype.str, "shape": arr.shape}).encode()
        buf.write(struct.pack("<IQ", len(meta), arr.nbytes))
        buf.write(meta)
        buf.write(arr.tobytes())
    return buf.getvalue()


def _decode_record(payload: bytes) -> tuple[int, dict]:
    index, count = struct.unpack_from("<QI", payload, 0)
    pos = 12
    arrays = {}
    for _ in range(count):
        mlen, nbytes = struct.unpack_from("<IQ", payload, pos)
        pos += 12
        meta = json.loads(payload[pos : pos + mlen])
        pos += mlen
        dt = np.dtype(meta["dtype"])
        arr = np.frombuffer(payload, dtype=dt, count=nbytes // max(1, dt.itemsize), offset=pos)
        arrays[meta["name"]] = arr.reshape(meta["shape"]).copy()
        pos += nbytes
    return int(index), arrays


def encode_records(records: dict) -> bytes:
    """``{index: {name: array}}`` as bytes (the frames of a checkpoint, without the header)."""
    return b"".join(_frame(_encode_record(i, r)) for i, r in sorted(records.items()))


def decode_records(data: bytes) -> dict:
    """The inverse of :func:`encode_records`."""
    frames, _ = _frames(data, 0)
    return dict(_decode_record(p) for p in frames)


def _frame(payload: bytes) -> bytes:
    return _LEN.pack(len(payload)) + payload + hashlib.sha256(payload).digest()


def _frames(data: bytes, pos: int) -> tuple[list[bytes], int]:
    """The complete, intact frames from ``pos`` on, and the offset where they end."""
    out = []
    while pos + _LEN.size <= len(data):
        (length,) = _LEN.unpack_from(data, pos)
        end = pos + _LEN.size + length
        if end + _SUM > len(data):
            break  # truncated: a crash mid-write
        payload = data[pos + _LEN.size : end]
        if hashlib.sha256(payload).digest() != data[end : end + _SUM]:
            break  # corrupt: dropped with everything after it
        out.append(payload)
        pos = end + _SUM
    return out, pos


# ------------------------------------------------------------------------------------------------
# The file
# ------------------------------------------------------------------------------------------------
class Checkpoint:
    """An open checkpoint: the completed batches found, and :meth:`append` for new ones.

    Attributes:
      path: the file this process appends to.
      records: ``{batch index: {name: array}}`` of every completed batch found in the file
        family (this process's file and the other ranks' files), and the ones appended since.
      dropped: bytes of a truncated or corrupt tail cut off this process's file on open.
    """

    def __init__(self, path: str, fd: int, records: dict, dropped: int):
        self.path = path
        self._fd = fd
        self.records = records
        self.dropped = dropped

    def append(self, index: int, arrays: dict) -> None:
        """Append batch ``index``'s arrays as one frame, then ``fsync`` (durable on return)."""
        frame = _frame(_encode_record(index, arrays))
        view = memoryview(frame)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        os.fsync(self._fd)
        self.records[int(index)] = {k: np.array(v, copy=True) for k, v in arrays.items()}

    def close(self) -> None:
        """Close the file (the records stay readable)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def rank_path(path: str, rank: int) -> str:
    """The file rank ``rank`` writes: ``path`` for rank 0, ``path.rank<k>`` otherwise."""
    return path if rank == 0 else f"{path}.rank{rank}"


def _read(path: str, want: dict, argument: str) -> tuple[dict, int, int] | None:
    """``(records, good end offset, file size)`` of one file, ``None`` if it is empty/absent.

    Refuses a file that is not a checkpoint or belongs to another run.
    """
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return None
    except OSError as err:
        verb = "write" if isinstance(err, IsADirectoryError) else "read"
        raise ValueError(f"{argument}: cannot {verb} {path} ({err.strerror or err})") from None
    if not data:
        return None
    if len(data) < len(_PREFIX) and _PREFIX.startswith(data):
        return {}, 0, len(data)  # a crash while the magic was written
    if not data.startswith(_MAGIC):
        raise ValueError(
            f"{argument}: {path} exists and is not an mdmjax checkpoint; pass a new path (it is "
            "left as it is)"
        )
    if not data.startswith(_PREFIX):
        raise ValueError(f"{argument}: {path} is a checkpoint of another mdmjax format version")
    frames, end = _frames(data, len(_PREFIX))
    if not frames:  # a crash while the header was written: nothing was completed
        return {}, 0, len(data)
    header = json.loads(frames[0])
    have = header.get("identity", {})
    diff = differences(have, want)
    if diff:
        raise ValueError(
            f"{argument}: {path} belongs to another run; differs: {'; '.join(diff)}; pass "
            "another path or remove the file"
        )
    records = dict(_decode_record(p) for p in frames[1:])
    return records, end, len(data)


def open_checkpoint(
    path, identity: dict, *, rank: int = 0, argument: str = "checkpoint"
) -> Checkpoint:
    """Open (create or resume) the checkpoint at ``path`` for a run of this ``identity``.

    Reads every file of the family (``path`` and ``path.rank<k>``, written by earlier runs with
    any number of processes), checks each one's identity, and collects their completed batches.
    This process's own file (:func:`rank_path`) is created if needed, a truncated or corrupt
    last frame cut off, and kept open for :meth:`Checkpoint.append`.

    Args:
      path: the checkpoint's path (``str`` or ``os.PathLike``).
      identity: the run's identity, a dict of JSON-able values and arrays
        (:func:`canonical_identity`); stored in the header, compared on resume.
      rank: this process's rank (its own file).
      argument: the name errors start with.

    Returns:
      a :class:`Checkpoint`; its ``records`` are the completed batches (``{}`` for a new run).

    Raises:
      ValueError: starting with ``argument``: the path cannot be written (missing folder,
        permissions, a folder), an existing file is not a checkpoint, or it belongs to a run
        whose identity differs (naming each key that differs).
    """
    if not isinstance(path, str | os.PathLike) or not str(os.fspath(path)):
        raise ValueError(f"{argument}: expected a file path, got {path!r}")
    path = os.fspath(path)
    want = canonical_identity(identity)
    own = rank_path(path, rank)
    family = [path, *sorted(glob.glob(glob.escape(path) + ".rank*"))]
    if own not in family:
        family.append(own)
    records: dict = {}
    own_state = None
    for p in family:
        found = _read(p, want, argument)
        if p == own:
            own_state = found
        if found:
            for i, r in found[0].items():
                records.setdefault(i, r)
    try:
        fd = os.open(own, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as err:
        raise ValueError(f"{argument}: cannot write {own} ({err.strerror or err})") from None
    dropped = 0
    try:
        if own_state is None or own_state[1] == 0:  # new (or a torn header): write the header
            os.ftruncate(fd, 0)
            header = json.dumps({"identity": want}, sort_keys=True).encode()
            os.write(fd, _PREFIX + _frame(header))
            os.fsync(fd)
        else:
            _, end, size = own_state
            dropped = size - end
            if dropped:
                os.ftruncate(fd, end)
                os.fsync(fd)
        os.lseek(fd, 0, os.SEEK_END)
    except OSError as err:
        os.close(fd)
        raise ValueError(f"{argument}: cannot write {own} ({err.strerror or err})") from None
    return Checkpoint(own, fd, records, dropped)
