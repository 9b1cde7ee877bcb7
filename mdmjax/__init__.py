"""mdmjax: exact evaluation of masked-diffusion unmasking schedules, in JAX.

Importing mdmjax turns on JAX's float64 mode (``jax_enable_x64``): exact means float64.
"""

from mdmjax import _x64 as _x64  # noqa: F401  (enables float64 first)
from mdmjax import bounds as bounds
from mdmjax import families as families
from mdmjax import large_n as curves  # noqa: F401  (public as mdm.curves)
from mdmjax import mixture as mixture
from mdmjax import models as models
from mdmjax import policies as policies
from mdmjax import real_data as real_data
from mdmjax import schedules as schedules
from mdmjax import sharding as sharding
from mdmjax.curve import InformationCurve as InformationCurve
from mdmjax.curve import information_curve as information_curve
from mdmjax.distribution import Distribution as Distribution
from mdmjax.entropy import plan_subset_entropies as plan_subset_entropies
from mdmjax.entropy import subset_entropies as subset_entropies
from mdmjax.evaluate import PolicyEvaluation as PolicyEvaluation
from mdmjax.evaluate import evaluate_policy as evaluate_policy
from mdmjax.frontier import Frontier as Frontier
from mdmjax.frontier import policy_frontier as policy_frontier
from mdmjax.kl import exact_kl as exact_kl
from mdmjax.kl import expected_kl as expected_kl
from mdmjax.kl import partition_kl as partition_kl
from mdmjax.mixture import mixture_kl as mixture_kl
from mdmjax.optimal import Schedule as Schedule
from mdmjax.optimal import min_steps as min_steps
from mdmjax.optimal import optimal_schedule as optimal_schedule
from mdmjax.relax import optimize_schedule as optimize_schedule
from mdmjax.uncertainty import expected_kl_interval as expected_kl_interval
from mdmjax.uncertainty import optimal_schedule_interval as optimal_schedule_interval
from mdmjax.universal import fit_schedule_family as fit_schedule_family

__version__ = "0.1.0"
