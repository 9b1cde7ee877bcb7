"""Searching schedules: the exact DP optimum, optax relaxations, universal fits, steps vs n.

* :func:`optimal_schedule`, :func:`optimal_schedules` (several ``k`` from one DP run),
  :func:`min_steps` — exact dynamic programmes (dense ``O(k n^2)`` and monotone
  ``O(k n log n)``) over Theorem 4's block costs;
* :func:`optimize_schedule` — optax over relaxed schedules, checked against the DP;
* :func:`optimize_bernoulli_grid` — the best Bernoulli (MDLM/MD4) time grid, optax over the
  grid's increments (docs/theory.md §12);
* :func:`fit_schedule_family` — one parametric schedule for many laws;
* :func:`optimal_schedule_interval` — the optimum on a curve with standard errors;
* :func:`steps_vs_n` — fewest steps for a budget as ``n`` grows.

docs/theory.md §2.4–2.6, §9.
"""

from mdmjax.search._bernoulli_grid import BernoulliGrid as BernoulliGrid
from mdmjax.search._bernoulli_grid import optimize_bernoulli_grid as optimize_bernoulli_grid
from mdmjax.search._dp import DP_METHODS as DP_METHODS
from mdmjax.search._dp import Schedule as Schedule
from mdmjax.search._dp import min_steps as min_steps
from mdmjax.search._dp import optimal_schedule as optimal_schedule
from mdmjax.search._dp import optimal_schedules as optimal_schedules
from mdmjax.search._intervals import ScheduleInterval as ScheduleInterval
from mdmjax.search._intervals import optimal_schedule_interval as optimal_schedule_interval
from mdmjax.search._relax import ABS_TOLERANCE as ABS_TOLERANCE
from mdmjax.search._relax import GAP_TOLERANCE as GAP_TOLERANCE
from mdmjax.search._relax import POLISH_WINDOW as POLISH_WINDOW
from mdmjax.search._relax import RELAXATIONS as RELAXATIONS
from mdmjax.search._relax import OptimizeResult as OptimizeResult
from mdmjax.search._relax import integer_breakpoint_kl as integer_breakpoint_kl
from mdmjax.search._relax import optimize_schedule as optimize_schedule
from mdmjax.search._relax import polish_breakpoints as polish_breakpoints
from mdmjax.search._relax import relaxed_breakpoint_kl as relaxed_breakpoint_kl
from mdmjax.search._relax import relaxed_kl as relaxed_kl
from mdmjax.search._relax import window_polish_breakpoints as window_polish_breakpoints
from mdmjax.search._steps_vs_n import constant_sizes as constant_sizes
from mdmjax.search._steps_vs_n import cosine_sizes as cosine_sizes
from mdmjax.search._steps_vs_n import steps_vs_n as steps_vs_n
from mdmjax.search._steps_vs_n import theorem9_sizes as theorem9_sizes
from mdmjax.search._universal import SHAPES as SHAPES
from mdmjax.search._universal import FamilyFit as FamilyFit
from mdmjax.search._universal import betainc as betainc
from mdmjax.search._universal import family_fractions as family_fractions
from mdmjax.search._universal import fit_schedule_family as fit_schedule_family
