"""Memory guard: estimate bytes before a large allocation and refuse what cannot fit.

The limit is, in order of precedence:

1. the environment variable ``MDMJAX_MEMORY_LIMIT`` (bytes; suffixes K, M, G allowed);
2. half of the machine's available memory (``MemAvailable`` in ``/proc/meminfo``);
3. 4 GiB when neither can be read.
"""

from __future__ import annotations

import math
import os

_FALLBACK = 4 * 2**30


def _parse_bytes(text: str) -> int:
    text = text.strip().upper().removesuffix("B")
    scale = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
    if text and text[-1] in scale:
        return int(float(text[:-1]) * scale[text[-1]])
    return int(float(text))


def memory_limit() -> int:
    """The number of bytes one allocation of mdmjax may use."""
    env = os.environ.get("MDMJAX_MEMORY_LIMIT")
    if env:
        try:
            return _parse_bytes(env)
        except ValueError as err:
            raise ValueError(f"MDMJAX_MEMORY_LIMIT={env!r} is not a byte count") from err
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024 // 2
    except OSError:
        pass
    return _FALLBACK


def format_bytes(nbytes: float) -> str:
    """Human-readable byte count, e.g. ``'1.5 GiB'``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(nbytes) < 1024 or unit == "PiB":
            return f"{nbytes:.1f} {unit}" if unit != "B" else f"{int(nbytes)} B"
        nbytes /= 1024
    return f"{nbytes:.1f} PiB"  # pragma: no cover


def table_bytes(shape, itemsize: int = 8) -> int:
    """Bytes of a dense array of ``shape`` (exact integer arithmetic, no overflow)."""
    return math.prod(int(s) for s in shape) * itemsize


def check_allocation(nbytes: int, what: str, hint: str = "", argument: str = "") -> None:
    """Raise ``ValueError`` if ``nbytes`` exceeds :func:`memory_limit`.

    Args:
      nbytes: the estimated size of the allocation.
      what: a description of the array, for the message.
      hint: how the caller can avoid the allocation (chunking, sharding, fewer positions).
      argument: the name of the argument responsible, for the message.
    """
    limit = memory_limit()
    if nbytes > limit:
        prefix = f"{argument}: " if argument else ""
        msg = (
            f"{prefix}{what} needs an estimated {format_bytes(nbytes)} ({nbytes} bytes), "
            f"over the memory limit of {format_bytes(limit)} ({limit} bytes; set "
            "MDMJAX_MEMORY_LIMIT to change it)."
        )
        if hint:
            msg += " " + hint
        raise ValueError(msg)


# Bytes per step that a schedule builder may hold: a few float64 arrays of length T, or a Python
# list of T floats for the step-by-step upstream transcriptions.
_BYTES_PER_STEP = 128


def check_step_count(steps: int, argument: str = "steps") -> None:
    """Refuse a schedule of ``steps`` steps whose ``O(steps)`` arrays would not fit in memory
    (the practice schedules accept ``steps > n``, so ``n`` does not bound them)."""
    check_allocation(
        steps * _BYTES_PER_STEP, f"a schedule of {steps} steps", "Use fewer steps.", argument
    )


# Bytes per position that an information curve's large-n route holds: a few dozen float64 arrays
# of length n (the Markov profile's weights, the closed forms, the curve and its Hbar).
_BYTES_PER_POSITION = 256


def check_curve_positions(n: int, argument: str = "n") -> None:
    """Refuse a large-n curve whose ``O(n)`` arrays would not fit in memory, before any of them
    (or anything else of length ``n``) is built."""
    check_allocation(n * _BYTES_PER_POSITION, f"the curve of n = {n} positions", "", argument)
