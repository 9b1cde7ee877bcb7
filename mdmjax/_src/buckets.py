"""Padding sizes to a few buckets, so that few distinct shapes are ever compiled.

XLA compiles one program per static shape. Padding a length ``m`` up to a power of two (with a
floor) lets every length of a bucket share one compilation, for at most twice the work.
"""

from __future__ import annotations

__all__ = ["pow2_bucket", "MODEL_BATCH_SIZE"]


def pow2_bucket(m: int, low: int = 1) -> int:
    """The smallest power of two ``>= m``, and at least ``low``.

    Examples:
      >>> from mdmjax._src.buckets import pow2_bucket
      >>> [pow2_bucket(m, 8) for m in (1, 8, 9, 33)]
      [8, 8, 16, 64]
    """
    return max(int(low), 1 << max(0, int(m) - 1).bit_length())


# Forward passes per model call in mdm.model_curve and mdm.kl.model_log_conditionals (and the
# functions built on it). One shared size: both pad their last call to it, so one model type
# and n compile one scoring program for both.
MODEL_BATCH_SIZE = 2048
