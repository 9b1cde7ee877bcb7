"""``.npy`` input for the CLI: a probability table (``--from-npy``) or a curve (``--z-npy``).

Files are read with ``allow_pickle=False``; the header is checked first (:func:`npy_header`), so
a damaged, pickled, empty or wrong-typed file is one line naming the flag, never a traceback.
"""

from __future__ import annotations

import os

import numpy as np

from mdmjax.cli._flags import flag_message

__all__ = ["load_npy", "read_npy", "npy_header", "table_from_npy", "curve_from_npy"]


def npy_header(path: str, flag: str) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype of a ``.npy`` file, read from its header only; one clean error otherwise."""
    if not os.path.exists(path):
        raise ValueError(f"{flag}: no such file: {path}")
    if os.path.isdir(path):
        raise ValueError(f"{flag}: {path} is a directory, not a .npy file")
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            head = fh.read(8)
            if size == 0:
                raise ValueError(f"{flag}: {path} is empty (0 bytes); expected a .npy array")
            if head.startswith(b"PK"):
                raise ValueError(
                    f"{flag}: {path} is an .npz archive (numpy.savez); save the one array with "
                    "numpy.save instead"
                )
            if not head.startswith(b"\x93NUMPY"):
                raise ValueError(
                    f"{flag}: {path} is not a .npy file (no NumPy header); save the array with "
                    "numpy.save"
                )
            fh.seek(0)
            try:
                version = np.lib.format.read_magic(fh)
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
                else:
                    shape, _, dtype = np.lib.format.read_array_header_2_0(fh)
            except Exception:  # noqa: BLE001  (any damage to the header is the same user error)
                raise ValueError(f"{flag}: {path} has a damaged .npy header") from None
    except PermissionError:
        raise ValueError(f"{flag}: cannot read {path}: permission denied") from None
    except OSError as err:
        raise ValueError(f"{flag}: cannot read {path}: {err.strerror or err}") from None
    if dtype.hasobject:
        raise ValueError(
            f"{flag}: {path} holds Python objects (a pickled array), not numbers; it is not "
            "loaded (allow_pickle=False)"
        )
    if not (np.issubdtype(dtype, np.floating) or np.issubdtype(dtype, np.integer)):
        raise ValueError(f"{flag}: {path} holds {dtype} values; expected real numbers")
    return tuple(int(s) for s in shape), dtype


def read_npy(path: str, flag: str) -> np.ndarray:
    """Load a non-empty ``.npy`` array as stored (``allow_pickle=False``); one-line errors."""
    shape, _ = npy_header(path, flag)
    try:
        arr = np.load(path, allow_pickle=False)
    except Exception:  # noqa: BLE001  (truncated data, ...: one message, no numpy text)
        raise ValueError(
            f"{flag}: {path} is damaged (its data do not match its header shape {shape})"
        ) from None
    if arr.ndim == 0:
        raise ValueError(
            f"{flag}: {path} holds a single number (a 0-d array); expected an array with one "
            "axis per position"
        )
    if arr.size == 0:
        raise ValueError(f"{flag}: {path} holds an empty array (shape {arr.shape})")
    return arr


def load_npy(path: str, flag: str) -> np.ndarray:
    """Load a real, finite ``.npy`` array as float64 (:func:`read_npy`); one-line errors."""
    arr = read_npy(path, flag).astype(np.float64)
    bad = int(arr.size - np.count_nonzero(np.isfinite(arr)))
    if bad:
        raise ValueError(
            f"{flag}: {path} has {bad} NaN or infinite {'entry' if bad == 1 else 'entries'}"
        )
    return arr


def table_from_npy(path: str):
    from mdmjax.distribution import Distribution

    p = load_npy(path, "--from-npy")
    neg = int(np.count_nonzero(p < 0))
    if neg:
        raise ValueError(
            f"--from-npy: {path} has {neg} negative {'entry' if neg == 1 else 'entries'} "
            f"(smallest {p.min():.3g}); "
            "probabilities must be >= 0"
        )
    try:
        return Distribution.from_probs(p)
    except ValueError as err:
        raise ValueError(_with_path(flag_message(err), "--from-npy", path)) from None


def curve_from_npy(path: str):
    from mdmjax.curves import InformationCurve

    z = load_npy(path, "--z-npy")
    if z.ndim != 1:
        raise ValueError(f"--z-npy: {path} has shape {z.shape}; expected Z_1..Z_n, a 1-D array")
    try:
        return InformationCurve.from_z(z)
    except ValueError as err:
        raise ValueError(_with_path(flag_message(err), "--z-npy", path)) from None


def _with_path(msg: str, flag: str, path: str) -> str:
    """``"--z-npy: Z must ..."`` -> ``"--z-npy: FILE: Z must ..."``."""
    head = f"{flag}: "
    return f"{head}{path}: {msg[len(head) :]}" if msg.startswith(head) else f"{head}{path}: {msg}"
