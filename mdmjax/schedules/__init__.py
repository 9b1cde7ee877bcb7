"""Schedules: step counts fixed in advance, as practitioners run them and as the theory prescribes.

* practice (:mod:`mdmjax.schedules._practice`), each in its upstream's own arithmetic:
  :func:`constant` (LLaDA), :func:`maskgit` and :func:`cosine` (MaskGIT, float32 by default),
  :func:`dream`, :func:`alpha_rounded` (dllm), :func:`flexible` (OpenDLM); random sizes
  :func:`ancestral` (MDLM/MD4), :func:`dream_origin` (Dream ``alg='origin'``) and
  :func:`binomial` (Zhao–Cai) (:mod:`mdmjax.schedules._random_sizes`), valued exactly over
  their sizes by the kernels of :mod:`mdmjax.kl`;
* :func:`practice_schedules` — the catalogue of all of them with upstream defaults (the CLI's);
* theory (:mod:`mdmjax.schedules._theory`): :func:`tc_schedule`, :func:`dtc_schedule`,
  :func:`theorem9_sweep` (Theorem 9), :func:`austin`, :func:`corollary34`, :func:`sqrt_rule`,
  :func:`geometric`;
* Bernoulli time grids from the gain curve (:mod:`mdmjax.schedules._ugc`, Wainwright 2026):
  :func:`ugc_grid`, :func:`geo_grid`, :func:`block_grid`, :func:`optimal_blocks`,
  :func:`grid_schedule`, :func:`certified_steps`;
* size tuples for the steps-vs-n study: :func:`theorem9_sizes` (argument order of
  :func:`tc_schedule`), :func:`cosine_sizes`;
* tools: :func:`from_breakpoints`, :func:`round_breakpoints`.

Adaptive *policies* (which tokens to reveal, chosen from the model's conditionals) are in
:mod:`mdmjax.policies`. docs/theory.md §4 and §7.
"""

from mdmjax.schedules._breakpoints import from_breakpoints as from_breakpoints
from mdmjax.schedules._breakpoints import round_breakpoints as round_breakpoints
from mdmjax.schedules._catalogue import practice_schedules as practice_schedules
from mdmjax.schedules._practice import DLLM_ALPHAS as DLLM_ALPHAS
from mdmjax.schedules._practice import FLEXIBLE_GAMMAS as FLEXIBLE_GAMMAS
from mdmjax.schedules._practice import GAMMAS as GAMMAS
from mdmjax.schedules._practice import alpha_rounded as alpha_rounded
from mdmjax.schedules._practice import constant as constant
from mdmjax.schedules._practice import cosine as cosine
from mdmjax.schedules._practice import dream as dream
from mdmjax.schedules._practice import flexible as flexible
from mdmjax.schedules._practice import maskgit as maskgit
from mdmjax.schedules._random_sizes import ALPHAS as ALPHAS
from mdmjax.schedules._random_sizes import ANCESTRAL_GRIDS as ANCESTRAL_GRIDS
from mdmjax.schedules._random_sizes import BinomialSchedule as BinomialSchedule
from mdmjax.schedules._random_sizes import KernelSchedule as KernelSchedule
from mdmjax.schedules._random_sizes import RandomScheduleKL as RandomScheduleKL
from mdmjax.schedules._random_sizes import ancestral as ancestral
from mdmjax.schedules._random_sizes import binomial as binomial
from mdmjax.schedules._random_sizes import dream_origin as dream_origin
from mdmjax.schedules._sizes import cosine_sizes as cosine_sizes
from mdmjax.schedules._sizes import theorem9_sizes as theorem9_sizes
from mdmjax.schedules._theory import Theorem9Sweep as Theorem9Sweep
from mdmjax.schedules._theory import austin as austin
from mdmjax.schedules._theory import corollary34 as corollary34
from mdmjax.schedules._theory import dtc_schedule as dtc_schedule
from mdmjax.schedules._theory import geometric as geometric
from mdmjax.schedules._theory import sqrt_rule as sqrt_rule
from mdmjax.schedules._theory import tc_schedule as tc_schedule
from mdmjax.schedules._theory import theorem9_lambda as theorem9_lambda
from mdmjax.schedules._theory import theorem9_sweep as theorem9_sweep
from mdmjax.schedules._theory import theorem9_zeta as theorem9_zeta
from mdmjax.schedules._ugc import block_grid as block_grid
from mdmjax.schedules._ugc import certified_steps as certified_steps
from mdmjax.schedules._ugc import geo_grid as geo_grid
from mdmjax.schedules._ugc import grid_schedule as grid_schedule
from mdmjax.schedules._ugc import optimal_blocks as optimal_blocks
from mdmjax.schedules._ugc import ugc_grid as ugc_grid
