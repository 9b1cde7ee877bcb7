"""String-choice arguments: anything but one of the listed strings is a one-line ValueError.

A list, an array or None used to reach ``value not in CHOICES`` (an array gives NumPy's "truth
value of an array is ambiguous", which names no argument); mdmjax._src.validate.as_choice now
refuses them, naming the argument and listing the choices.
"""

from __future__ import annotations

import numpy as np
import pytest

import mdmjax as mdm

CURVE = mdm.InformationCurve.from_z(np.log(np.arange(1, 9)) / np.log(8))

CALLS = {
    "method": lambda v: mdm.optimal_schedule(CURVE, 2, method=v),
    "relaxation": lambda v: mdm.optimize_schedule(CURVE, 2, relaxation=v),
    "family": lambda v: mdm.fit_schedule_family(CURVE, 2, family=v),
    "objective": lambda v: mdm.fit_schedule_family(CURVE, 2, objective=v),
    "alpha": lambda v: mdm.schedules.alpha_rounded(8, 3, v),
    "gamma": lambda v: mdm.schedules.flexible(8, 3, v),
    "grid": lambda v: mdm.schedules.ancestral(8, 3, grid=v),
    "order": lambda v: mdm.policies.entropy_bound(0.5, order=v),
    "fused_impl": lambda v: mdm.curves.plan_subset_entropies((2, 2), fused_impl=v),
}


BAD = {"none": None, "list": ["auto"], "array": np.array(["a", "b"]), "int": 3, "word": "nope"}
CASES = [(a, b) for a in sorted(CALLS) for b in BAD if (a, b) != ("grid", "none")]  # None: default


@pytest.mark.parametrize("argument,bad", CASES)
def test_bad_choice_names_the_argument(argument, bad):
    bad = BAD[bad]
    with pytest.raises(ValueError, match=rf"^{argument}: expected one of \(") as err:
        CALLS[argument](bad)
    assert "\n" not in str(err.value)
