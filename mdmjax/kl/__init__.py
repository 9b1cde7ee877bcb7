"""Valuing a schedule: Theorem 4 (the one formula), enumeration, mixture KL, random sizes.

* :func:`theorem4` — the pure kernel (jit, vmap, grad); :func:`expected_kl` wraps it;
  :func:`block_cost_matrix` and :func:`relaxed_theorem4` are its block and fractional forms.
* :func:`exact_kl`, :func:`partition_kl` — ground truth by enumerating ordered partitions.
* :func:`mixture_kl` — KL of the random-order sampler's actual output law (subset-lattice DP).
* :func:`model_mixture_kl`, :func:`model_expected_kl` — the same for a sampler driven by a
  model (§8.5), exactly on small laws.
* :func:`bernoulli_kl` — the Bernoulli (MDLM/MD4) sampler on a time grid, by Wainwright's
  one-step defects of the gain curve (docs/theory.md §12).
* :func:`size_chain_kl` (and ``size_chain_pmf``, ``size_chain_kernels``, ``size_chain_step``),
  :func:`binomial_expected_kl` — the exact kernels that value the random-size schedules of
  :mod:`mdmjax.schedules` (``binomial``, ``ancestral``, ``dream_origin``; formerly exported here,
  still reachable as deprecated aliases for one version).
* :func:`expected_kl_interval`, :func:`z_band` — intervals on curves with standard errors.

docs/theory.md §1–2, §4 (random sizes), §9.
"""

from mdmjax._src.deprecation import attribute, moved_names
from mdmjax.kl._bernoulli import as_grid as as_grid
from mdmjax.kl._bernoulli import bernoulli_kl as bernoulli_kl
from mdmjax.kl._bernoulli import bernoulli_kl_kernel as bernoulli_kl_kernel
from mdmjax.kl._bernoulli import grid_reveal_probs as grid_reveal_probs
from mdmjax.kl._enumeration import count_partitions as count_partitions
from mdmjax.kl._enumeration import exact_kl as exact_kl
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
from mdmjax.kl._random_sizes import binomial_expected_kl as binomial_expected_kl
from mdmjax.kl._random_sizes import binomial_marginals as binomial_marginals
from mdmjax.kl._random_sizes import log_binomial_table as log_binomial_table
from mdmjax.kl._random_sizes import size_chain_kernels as size_chain_kernels
from mdmjax.kl._random_sizes import size_chain_kl as size_chain_kl
from mdmjax.kl._random_sizes import size_chain_pmf as size_chain_pmf
from mdmjax.kl._random_sizes import size_chain_step as size_chain_step
from mdmjax.kl._theorem4 import block_cost as block_cost
from mdmjax.kl._theorem4 import block_cost_matrix as block_cost_matrix
from mdmjax.kl._theorem4 import expected_kl as expected_kl
from mdmjax.kl._theorem4 import relaxed_theorem4 as relaxed_theorem4
from mdmjax.kl._theorem4 import theorem4 as theorem4

# Names that left mdmjax.kl (issue 20), reachable for one version with a DeprecationWarning: the
# random-size schedules moved to mdmjax.schedules; two internal kernels left the public surface.
__getattr__ = moved_names(
    __name__,
    {
        **{
            name: (f"use mdmjax.schedules.{name}", attribute("mdmjax.schedules", name))
            for name in (
                "ALPHAS",
                "ANCESTRAL_GRIDS",
                "BinomialSchedule",
                "KernelSchedule",
                "RandomScheduleKL",
                "ancestral",
                "binomial",
                "dream_origin",
            )
        },
        "ordered_partitions": (
            "an internal kernel of exact_kl",
            attribute("mdmjax.kl._enumeration", "ordered_partitions"),
        ),
        "binomial_kernel": (
            "an internal kernel; use size_chain_step(p, log_binomial_table(n), 'binomial')",
            attribute("mdmjax.kl._random_sizes", "binomial_kernel"),
        ),
    },
)
