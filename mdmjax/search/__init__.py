"""Searching schedules: the exact DP optimum, optax relaxations, universal fits, steps vs n.

* :func:`optimal_schedule`, :func:`optimal_schedules` (several ``k`` from one DP run),
  :func:`min_steps` — exact dynamic programmes (dense ``O(k n^2)`` and monotone
  ``O(k n log n)``) over Theorem 4's block costs;
* :func:`optimize_schedule` — optax over relaxed schedules, checked against the DP;
* :func:`optimize_bernoulli_grid` — the best Bernoulli (MDLM/MD4) time grid, optax over the
  grid's increments (docs/theory.md §12);
* :func:`fit_schedule_family` — one parametric schedule for many laws;
* :func:`optimal_schedule_interval` — the optimum on a curve with standard errors;
* :func:`steps_vs_n` — a study function (experiment E3): fewest steps for a budget as ``n``
  grows, for the DP and the schedules of :mod:`mdmjax.schedules`.

docs/theory.md §2.4–2.6, §9.
"""

from mdmjax._src.deprecation import attribute, moved_names
from mdmjax.search._bernoulli_grid import BernoulliGrid as BernoulliGrid
from mdmjax.search._bernoulli_grid import optimize_bernoulli_grid as optimize_bernoulli_grid
from mdmjax.search._dp import DP_METHODS as DP_METHODS
from mdmjax.search._dp import Schedule as Schedule
from mdmjax.search._dp import min_steps as min_steps
from mdmjax.search._dp import optimal_schedule as optimal_schedule
from mdmjax.search._dp import optimal_schedules as optimal_schedules
from mdmjax.search._intervals import ScheduleInterval as ScheduleInterval
from mdmjax.search._intervals import optimal_schedule_interval as optimal_schedule_interval
from mdmjax.search._relax import RELAXATIONS as RELAXATIONS
from mdmjax.search._relax import OptimizeResult as OptimizeResult
from mdmjax.search._relax import optimize_schedule as optimize_schedule
from mdmjax.search._relax import polish_breakpoints as polish_breakpoints
from mdmjax.search._relax import relaxed_breakpoint_kl as relaxed_breakpoint_kl
from mdmjax.search._relax import relaxed_kl as relaxed_kl
from mdmjax.search._relax import window_polish_breakpoints as window_polish_breakpoints
from mdmjax.search._steps_vs_n import steps_vs_n as steps_vs_n
from mdmjax.search._universal import SHAPES as SHAPES
from mdmjax.search._universal import FamilyFit as FamilyFit
from mdmjax.search._universal import betainc as betainc
from mdmjax.search._universal import family_fractions as family_fractions
from mdmjax.search._universal import fit_schedule_family as fit_schedule_family


def _theorem9_sizes_old_order(n, eps, bound, kind="tc"):
    """``mdm.schedules.theorem9_sizes(n, bound, eps, kind)`` with the old argument order."""
    from mdmjax.schedules import theorem9_sizes

    return theorem9_sizes(n, bound, eps, kind)


# Names that left mdmjax.search (issue 20), reachable for one version with a DeprecationWarning:
# schedule size tuples moved to mdmjax.schedules (theorem9_sizes keeps its old argument order
# here); tolerances live in mdmjax._src.tolerances; one internal kernel left the public surface.
__getattr__ = moved_names(
    __name__,
    {
        "theorem9_sizes": (
            "use mdmjax.schedules.theorem9_sizes(n, bound, eps, kind)",
            lambda: _theorem9_sizes_old_order,
        ),
        "constant_sizes": (
            "use mdmjax.schedules.constant",
            attribute("mdmjax.schedules", "constant"),
        ),
        "cosine_sizes": (
            "use mdmjax.schedules.cosine_sizes",
            attribute("mdmjax.schedules", "cosine_sizes"),
        ),
        "ABS_TOLERANCE": (
            "a tolerance (mdmjax._src.tolerances.RELAX_ABS_TOLERANCE)",
            attribute("mdmjax._src.tolerances", "RELAX_ABS_TOLERANCE"),
        ),
        "GAP_TOLERANCE": (
            "a tolerance (mdmjax._src.tolerances.RELAX_GAP_TOLERANCE)",
            attribute("mdmjax._src.tolerances", "RELAX_GAP_TOLERANCE"),
        ),
        "POLISH_WINDOW": (
            "an internal setting of optimize_schedule",
            attribute("mdmjax.search._relax", "POLISH_WINDOW"),
        ),
        "integer_breakpoint_kl": (
            "an internal kernel of optimize_schedule",
            attribute("mdmjax.search._relax", "integer_breakpoint_kl"),
        ),
    },
)
