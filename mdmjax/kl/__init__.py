"""Valuing a schedule: Theorem 4 (the one formula), enumeration, mixture KL, random sizes.

* :func:`theorem4` — the pure kernel (jit, vmap, grad); :func:`expected_kl` wraps it;
  :func:`block_cost_matrix` and :func:`relaxed_theorem4` are its block and fractional forms.
* :func:`exact_kl`, :func:`partition_kl` — ground truth by enumerating ordered partitions.
* :func:`mixture_kl` — KL of the random-order sampler's actual output law (subset-lattice DP).
* :func:`model_mixture_kl`, :func:`model_expected_kl` — the same for a sampler driven by a
  model (§8.5), exactly on small laws.
* :func:`binomial`, :func:`ancestral`, :func:`dream_origin` — random-size schedules, valued
  exactly over their sizes.
* :func:`expected_kl_interval`, :func:`z_band` — intervals on curves with standard errors.

docs/theory.md §1–2, §4 (random sizes), §9.
"""

from mdmjax.kl._enumeration import count_partitions as count_partitions
from mdmjax.kl._enumeration import exact_kl as exact_kl
from mdmjax.kl._enumeration import ordered_partitions as ordered_partitions
from mdmjax.kl._enumeration import partition_kl as partition_kl
from mdmjax.kl._intervals import Interval as Interval
from mdmjax.kl._intervals import expected_kl_interval as expected_kl_interval
from mdmjax.kl._intervals import z_band as z_band
from mdmjax.kl._mixture import lattice_work as lattice_work
from mdmjax.kl._mixture import mixture_kl as mixture_kl
from mdmjax.kl._mixture import mixture_log_ratio as mixture_log_ratio
from mdmjax.kl._model_mixture import model_expected_kl as model_expected_kl
from mdmjax.kl._model_mixture import model_log_conditionals as model_log_conditionals
from mdmjax.kl._model_mixture import model_mixture_kl as model_mixture_kl
from mdmjax.kl._random_sizes import ALPHAS as ALPHAS
from mdmjax.kl._random_sizes import ANCESTRAL_GRIDS as ANCESTRAL_GRIDS
from mdmjax.kl._random_sizes import BinomialSchedule as BinomialSchedule
from mdmjax.kl._random_sizes import KernelSchedule as KernelSchedule
from mdmjax.kl._random_sizes import RandomScheduleKL as RandomScheduleKL
from mdmjax.kl._random_sizes import ancestral as ancestral
from mdmjax.kl._random_sizes import binomial as binomial
from mdmjax.kl._random_sizes import binomial_expected_kl as binomial_expected_kl
from mdmjax.kl._random_sizes import binomial_kernel as binomial_kernel
from mdmjax.kl._random_sizes import dream_origin as dream_origin
from mdmjax.kl._theorem4 import block_cost as block_cost
from mdmjax.kl._theorem4 import block_cost_matrix as block_cost_matrix
from mdmjax.kl._theorem4 import expected_kl as expected_kl
from mdmjax.kl._theorem4 import relaxed_theorem4 as relaxed_theorem4
from mdmjax.kl._theorem4 import theorem4 as theorem4
