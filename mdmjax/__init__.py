"""mdmjax: exact evaluation of masked-diffusion unmasking schedules, in JAX.

The package follows the data (docs/theory.md for the mathematics)::

    law -> Distribution -> curves (subset entropies, InformationCurve) -> kl (Theorem 4,
    enumeration, mixture) -> search (DP, optax) -> policies, cli

Importing mdmjax changes no global JAX setting: every public function computes in float64 under a
scoped ``jax.enable_x64(True)`` and returns float64 results (:mod:`mdmjax._src.precision`).
"""

from mdmjax import bounds as bounds
from mdmjax import calibrate as calibrate
from mdmjax import curves as curves
from mdmjax import families as families
from mdmjax import kl as kl
from mdmjax import models as models
from mdmjax import policies as policies
from mdmjax import sampling as sampling
from mdmjax import schedules as schedules
from mdmjax import search as search
from mdmjax import sharding as sharding
from mdmjax._src.compilation_cache import enable_compilation_cache as enable_compilation_cache
from mdmjax.calibrate import ModelCurve as ModelCurve
from mdmjax.calibrate import model_curve as model_curve
from mdmjax.curves import InformationCurve as InformationCurve
from mdmjax.curves import information_curve as information_curve
from mdmjax.curves import plan_subset_entropies as plan_subset_entropies
from mdmjax.curves import subset_entropies as subset_entropies
from mdmjax.distribution import Distribution as Distribution
from mdmjax.kl import exact_kl as exact_kl
from mdmjax.kl import expected_kl as expected_kl
from mdmjax.kl import expected_kl_interval as expected_kl_interval
from mdmjax.kl import mixture_kl as mixture_kl
from mdmjax.kl import partition_kl as partition_kl
from mdmjax.policies import Frontier as Frontier
from mdmjax.policies import PolicyEvaluation as PolicyEvaluation
from mdmjax.policies import evaluate_policy as evaluate_policy
from mdmjax.policies import policy_frontier as policy_frontier
from mdmjax.sampling import sample as sample
from mdmjax.search import Schedule as Schedule
from mdmjax.search import fit_schedule_family as fit_schedule_family
from mdmjax.search import min_steps as min_steps
from mdmjax.search import optimal_schedule as optimal_schedule
from mdmjax.search import optimal_schedule_interval as optimal_schedule_interval
from mdmjax.search import optimal_schedules as optimal_schedules
from mdmjax.search import optimize_schedule as optimize_schedule

__version__ = "0.2.0"
