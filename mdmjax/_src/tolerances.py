"""Every numerical tolerance of mdmjax, in one place, with the reason for its value.

All values are absolute unless the name says otherwise; KL and entropy values are in nats.
"""

from __future__ import annotations

#: A probability table or a stochastic row must sum to 1 within this (float64 input). Sums of up
#: to ~10^7 float64 entries carry rounding far below it, while a table that was never normalized
#: (off by a whole entry) is far above it. Input of a narrower dtype is checked at that dtype's
#: own resolution instead (:func:`mass_tolerance`), since it cannot sum to 1 more closely.
MASS_TOLERANCE = 1e-9

#: ``Z_1`` must be 0 and ``Z`` non-decreasing within this when a curve is given by its values:
#: curves computed in float64 from subset entropies carry rounding of ~1e-15 per unit of entropy.
Z_TOLERANCE = 1e-12

#: Relative (to the curve's scale) rounding allowed in an exact curve before it is projected to
#: a monotone one; larger dips mean a wrong curve, not rounding.
ROUNDING_TOLERANCE = 1e-10

#: Adaptive policies treat scores within this of the best as tied (then break ties by position),
#: so that rounding in the conditionals never decides which token a policy reveals.
TIE_TOLERANCE = 1e-12

#: Slack when comparing a DP optimum with a KL budget, so that a budget equal to an optimum
#: computed along another floating-point route is met (``min_steps``).
EPS_SLACK = 1e-12

#: Relative improvement a local search must make to count (scaled by ``1 + |sum Z|``), so that
#: float noise never makes it cycle.
POLISH_RELATIVE = 1e-12

#: Values below this (in nats) are shown as 0 in text output; JSON keeps the raw value.
DISPLAY_ZERO = 1e-12


#: The largest total-mass tolerance :func:`mass_tolerance` gives, whatever the input dtype: a table
#: whose mass is off 1 by more than 2 % was not normalized at any precision (a float16 or bfloat16
#: table normalized with float32 accumulation, as ``jnp.sum`` and NumPy's float16 sum do, is off
#: by < 3e-3; one summed in its own 8-bit mantissa can be off by 40 % and is refused).
MASS_TOLERANCE_CAP = 2e-2


def mass_tolerance(dtype, size: int = 1) -> float:
    """The total-mass tolerance for a table of ``size`` entries given in ``dtype``.

    float64 (and integer or wider) input uses :data:`MASS_TOLERANCE`. A narrower float (float32,
    float16, bfloat16) cannot sum to 1 more closely than its own resolution: each entry is rounded
    (a relative ``eps/2``) and so is the normalizing sum the user divided by, whose rounding error
    grows like ``sqrt(size) · eps`` (measured on random tables of 2 to 2^20 entries normalized
    with ``numpy``, ``jnp`` or a sequential loop: at most ``0.41 · sqrt(size) · eps`` in float32,
    ``1.1 · sqrt(size) · eps`` in float16). Such a table is accepted at
    ``64 · sqrt(size) · eps(dtype)`` (a margin of 60 or more over those measurements), never
    tighter than :data:`MASS_TOLERANCE` nor looser than :data:`MASS_TOLERANCE_CAP`, and then
    renormalized in float64. A float32 table of 4096 entries gets 4.9e-4: far below the error of
    an unnormalized table (counts, a forgotten state), far above float32 rounding.

    Examples:
      >>> import numpy as np
      >>> mass_tolerance(np.float64, 10**6), round(mass_tolerance(np.float32, 4096), 6)
      (1e-09, 0.000488)
    """
    import math

    import jax.numpy as jnp

    try:
        floating = bool(jnp.issubdtype(dtype, jnp.floating))
    except TypeError:
        floating = False
    if not floating:
        return MASS_TOLERANCE
    eps = float(jnp.finfo(dtype).eps)
    if eps <= 2.0**-52:  # float64 or wider
        return MASS_TOLERANCE
    return max(MASS_TOLERANCE, min(MASS_TOLERANCE_CAP, 64 * math.sqrt(max(int(size), 1)) * eps))


#: A model's conditional law at a masked position must sum to 1 within this, in probability
#: (docs/theory.md §8). Float32 softmax outputs over vocabularies of up to ~10^5 values sum to 1
#: within ~1e-7; a model that forgot to normalize (or returns logits) is off by far more.
MODEL_NORMALIZATION_TOLERANCE = 1e-6

#: A model's score of ``x_i``, or its predictive entropy, at a masked position may change by at
#: most this (nats) when another masked token of the data row changes (the peeking check), or
#: when the other rows of its batch change (the row-independence check). Honest float32 models
#: reproduce their output to ~1e-7 for identical input rows; a model that reads hidden tokens or
#: batch statistics moves by orders of magnitude more.
MODEL_PEEK_TOLERANCE = 1e-5

#: The one clipping rule for a KL between tables (:func:`mdmjax._src.numerics.clip_kl`): a value
#: in ``(-KL_ROUNDING_TOLERANCE, 0)`` is cancellation in a float64 sum of terms of size at most
#: ``n log q`` and is returned as 0; a larger negative is a bug and is shown (docs/theory.md §10.3).
KL_ROUNDING_TOLERANCE = 1e-12
