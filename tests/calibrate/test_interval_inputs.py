"""Bad input to every interval-producing function: a one-line ValueError naming the argument."""

import jax
import numpy as np
import pytest

import mdmjax as mdm
from mdmjax.calibrate import ModelCurve, clopper_pearson_upper

D = mdm.families.noisy_repetition(4, 0.1)
X = np.asarray(D.sample(jax.random.key(0), 40))
MC = mdm.model_curve(mdm.models.from_distribution(D), X, key=0)
ONE = MC.subset([0])
THREE = MC.subset([0, 1, 2])
C = mdm.InformationCurve.from_z([0.0, 0.5, 0.6, 0.6], stderr=[0.0, 0.01, 0.01, 0.01])
ROWS = np.tile([0.0, 0.5, 0.7, 0.8], (8, 1)) + np.linspace(0, 0.1, 8)[:, None] * [0, 1, 1, 1]

LEVEL_CALLS = {
    "ModelCurve.expected_kl_interval": lambda lvl: MC.expected_kl_interval((2, 2), lvl),
    "ModelCurve.rows_needed": lambda lvl: MC.rows_needed((2, 2), 0.01, lvl),
    "cross_fit": lambda lvl: mdm.calibrate.cross_fit(MC, 2, level=lvl),
    "cross_fit_frontier": lambda lvl: mdm.calibrate.cross_fit_frontier(MC, [2], level=lvl),
    "expected_kl_interval": lambda lvl: mdm.expected_kl_interval(C, (2, 2), lvl),
    "z_band": lambda lvl: mdm.kl.z_band(C, lvl),
    "optimal_schedule_interval": lambda lvl: mdm.optimal_schedule_interval(C, 2, lvl),
    "optimal_schedule_interval(model curve)": lambda lvl: mdm.optimal_schedule_interval(MC, 2, lvl),
    "ugc_bootstrap": lambda lvl: mdm.curves.ugc_bootstrap(ROWS, num_bootstrap=4, level=lvl),
    "clopper_pearson_upper": lambda lvl: clopper_pearson_upper(1, 10, lvl),
}


@pytest.mark.parametrize("name", sorted(LEVEL_CALLS))
@pytest.mark.parametrize("level", [0.0, 1.0, -0.5, 1.5, float("nan")])
def test_level_outside_the_open_unit_interval(name, level):
    with pytest.raises(ValueError, match="^level: ") as err:
        LEVEL_CALLS[name](level)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda: ONE.expected_kl_interval((2, 2)), "rows"),
        (lambda: ONE.rows_needed((2, 2), 0.01), "rows"),
        (lambda: mdm.optimal_schedule_interval(ONE, 2), "curve"),
        (lambda: mdm.calibrate.cross_fit(THREE, 2), "mc"),  # a half of 1 row
        (lambda: mdm.calibrate.cross_fit_frontier(THREE, [2]), "mc"),
        (lambda: mdm.calibrate.cross_fit_monte_carlo(None, 2, key=0, num_samples=3), "num_samples"),
        (lambda: mdm.curves.ugc_bootstrap(ROWS[:1]), "row_z"),
        (lambda: ModelCurve(X[:1] * 0.0, X[:1] * 0.0, [1.0]).expected_kl_interval((4,)), "rows"),
    ],
)
def test_too_few_rows(call, argument):
    with pytest.raises(ValueError, match=f"^{argument}: "):
        call()


@pytest.mark.parametrize("half_width", [0.0, -0.1, float("inf"), float("nan")])
def test_half_width_must_be_positive(half_width):
    with pytest.raises(ValueError, match="^half_width: "):
        MC.rows_needed((2, 2), half_width)
