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

#: A policy's expected number of steps counts as the integer ``k`` within this, so that a
#: deterministic rule's step count (an exact integer summed in float64) is matched to the DP
#: optimum at ``k``; a genuinely fractional expectation is further from any integer.
STEPS_MATCH_TOLERANCE = 1e-9

#: A random-size schedule's last reveal probability must be 1 (reveal the rest) within this; a
#: ratio ``(t - s) / t`` computed in float64 at ``s = 0`` is 1 to rounding.
LAST_REVEAL_TOLERANCE = 1e-12

#: Entries of a revealed-count kernel may be this far below 0, or this far above 0 below the
#: diagonal (a step never un-reveals), before the kernel is refused: products of binomial pmfs
#: in float64 carry rounding of ~1e-16; the entries are clipped to >= 0 after the check.
KERNEL_ENTRY_TOLERANCE = 1e-12

#: A Markov chain's stationary law may have entries this far below 0 (rounding in the linear
#: solve, cleared by renormalization) ...
STATIONARY_NEGATIVE_TOLERANCE = 1e-9

#: ... and must satisfy ``pi P = pi`` within this (absolute, per entry); a chain with several
#: stationary laws gives a solve that misses it by far more.
STATIONARY_TOLERANCE = 1e-10

#: A ratio of logarithms within this of an integer ``m`` is decided exactly (integer powers)
#: before the floor is taken: float64 logarithms are off by ~1e-16 relative, and an exact
#: integer ratio must not be floored to ``m - 1`` (Austin's schedule, docs/theory.md §4.4).
INTEGER_RATIO_TOLERANCE = 1e-9

#: The smoothed slope of the square-root rule is floored at this fraction of its maximum, so
#: that its reveal map is strictly increasing (docs/theory.md §4.5); far below any slope that
#: moves a breakpoint by a position.
SLOPE_FLOOR_RELATIVE = 1e-9

#: The relaxed search (``optimize_schedule``) matches the DP when its KL is within this relative
#: gap of the DP optimum or within :data:`RELAX_ABS_TOLERANCE`: the relaxation is a heuristic, the
#: DP of docs/theory.md §2.4 is the truth; 1 % is the acceptance line of experiment E6 (§10.3).
RELAX_GAP_TOLERANCE = 0.01

#: ... or within this many nats absolute (an optimum near 0 makes any relative gap large).
RELAX_ABS_TOLERANCE = 1e-6

#: Initial reveal fractions of the random-size relaxation are kept this far inside (0, 1) so
#: that their logits are finite; the optimizer moves them freely afterwards.
LOGIT_CLIP = 1e-6

#: Denominator floor of a relative gap ``(kl - dp) / max(dp, .)``: a DP optimum of 0 (a
#: product law, or ``k = n``) gives a finite relative gap instead of a division by zero.
RELATIVE_GAP_FLOOR = 1e-12

#: The modified Lentz continued fraction replaces a zero denominator by this (Numerical Recipes
#: ``FPMIN``): any value far below every term and far above the float64 underflow works.
LENTZ_TINY = 1e-300

#: Below this ``|lambda|`` the geometric shape ``expm1(lambda u) / expm1(lambda)`` is replaced
#: by its limit ``u``: the ratio loses all digits as ``lambda -> 0``, and the limit is exact to
#: ``O(lambda)`` there.
GEOMETRIC_LIMIT = 1e-8

#: Slack of ``ceil(width / rho)`` when a log-odds width is cut into steps of at most ``rho``
#: (``schedules.geo_grid``): a width that is an exact multiple of ``rho`` up to rounding gets that
#: many steps, not one more.
GRID_COUNT_SLACK = 1e-12

#: Denominator floor of a benchmark's relative error ``|a - b| / max(|b|, .)``: a reference of 0
#: gives a finite (huge) relative error instead of a division by zero; far below any float64
#: value a kernel returns.
RELATIVE_ERROR_FLOOR = 1e-300

#: The smallest probability of a random law in the coverage harness (``mdmjax bench --kernel
#: coverage``): every outcome keeps some mass, so every row's cross-entropy is finite.
COVERAGE_LAW_FLOOR = 1e-9
