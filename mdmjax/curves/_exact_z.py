"""An :class:`InformationCurve` from an exactly computed ``Z`` (shared by the large-n paths)."""

from __future__ import annotations

import numpy as np

from mdmjax._src.precision import scoped_x64
from mdmjax._src.tolerances import ROUNDING_TOLERANCE
from mdmjax.curves._curve import InformationCurve

# In exact arithmetic these curves are non-decreasing with Z_1 = 0. Float64 rounding can make
# flat stretches dip by ~1e-15 (times the scale); more than this tolerance is a bug, not rounding.


@scoped_x64
def exact_curve(z, h1: float | None) -> InformationCurve:
    """``InformationCurve.from_z`` after clearing float64 rounding (dips ``<= 1e-10``, scaled)."""
    z = np.asarray(z, dtype=np.float64).copy()
    scale = max(1.0, float(np.max(np.abs(z))))
    dips = np.maximum.accumulate(z) - z
    if z[0] != 0.0 and abs(z[0]) > ROUNDING_TOLERANCE * scale:
        raise AssertionError(f"internal: Z_1 = {z[0]!r} is not 0")  # pragma: no cover
    if dips.size and dips.max() > ROUNDING_TOLERANCE * scale:
        raise AssertionError(f"internal: Z decreases by {dips.max():.3g}")  # pragma: no cover
    z[0] = 0.0
    z = np.maximum.accumulate(np.maximum(z, 0.0))
    return InformationCurve.from_z(z, h1=h1)
