"""Every numerical tolerance of mdmjax, in one place, with the reason for its value.

All values are absolute unless the name says otherwise; KL and entropy values are in nats.
"""

from __future__ import annotations

#: A probability table or a stochastic row must sum to 1 within this (float64 input). Sums of up
#: to ~10^7 float64 entries carry rounding far below it, while a table that was never normalized
#: (off by a whole entry) is far above it. Input of a narrower dtype is checked at that dtype's
#: own resolution instead (:func:`mass_tolerance`).
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


def mass_tolerance(dtype) -> float:
    """The total-mass tolerance for a table given in ``dtype``: its own resolution.

    A table normalized in float32 sums to 1 only within ~``n_entries * 6e-8``; it is accepted at
    ``max(MASS_TOLERANCE, 64 * sqrt(size) * eps(dtype))`` (then renormalized in float64).
    """
    import numpy as np

    eps = float(np.finfo(dtype).eps) if np.issubdtype(dtype, np.floating) else 0.0
    return max(MASS_TOLERANCE, 1024 * eps)


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
