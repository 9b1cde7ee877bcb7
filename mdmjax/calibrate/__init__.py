"""Calibrating a trained model: its per-level cross-entropy curve and what it buys.

* :func:`model_curve` — ``CE(m)``, predictive entropy and the calibration gap per level, with
  standard errors, from validation data and any model (:func:`mdmjax.models.from_callable`);
  a :class:`ModelCurve` values schedules of that model's own sampler exactly
  (``mdm.expected_kl``, ``mdm.optimal_schedule``, ``mdm.min_steps``,
  ``mdm.optimal_schedule_interval`` accept it).
* :func:`cross_fit`, :func:`cross_fit_monte_carlo` — the chosen schedule's KL on rows not used
  to choose it (the optimizer's curse); :func:`cross_fit_frontier` — every ``k`` at once, with a
  simultaneous (max-t) interval.
* :func:`sampler_kl` — the KL of the sampler a practitioner runs (any plan: random order,
  random sizes, every policy), by teacher forcing on held-out rows; exact on a law.
* :func:`word_mdm` — a small trained MDM of English words (lengths 4 and 5), shipped.
* :func:`shipped_model`, :func:`shipped_data` — the shipped models by name, and held-out rows
  of their own laws (exact draws, exact entropy).
* :func:`walk_law`, :func:`walk_mdm` — a testbed with a known truth at any ``n`` (a random walk on
  a regular graph) and the transformer MDM trained on it, shipped.
* :func:`sudoku_mdm` — a transformer MDM of the 288 valid 4×4 Sudoku grids, shipped.

docs/theory.md §8.
"""

from mdmjax.calibrate._cross_fit import CrossFit as CrossFit
from mdmjax.calibrate._cross_fit import Frontier as Frontier
from mdmjax.calibrate._cross_fit import cross_fit as cross_fit
from mdmjax.calibrate._cross_fit import cross_fit_frontier as cross_fit_frontier
from mdmjax.calibrate._cross_fit import cross_fit_monte_carlo as cross_fit_monte_carlo
from mdmjax.calibrate._model_curve import MASKS as MASKS
from mdmjax.calibrate._model_curve import ModelCurve as ModelCurve
from mdmjax.calibrate._model_curve import model_curve as model_curve
from mdmjax.calibrate._model_curve import weighted_stats as weighted_stats
from mdmjax.calibrate._sampler_frontier import OptimalSizes as OptimalSizes
from mdmjax.calibrate._sampler_frontier import SamplerFrontier as SamplerFrontier
from mdmjax.calibrate._sampler_frontier import default_sampler_plans as default_sampler_plans
from mdmjax.calibrate._sampler_frontier import sampler_frontier as sampler_frontier
from mdmjax.calibrate._shipped import SHIPPED_MODELS as SHIPPED_MODELS
from mdmjax.calibrate._shipped import HeldOut as HeldOut
from mdmjax.calibrate._shipped import shipped_data as shipped_data
from mdmjax.calibrate._shipped import shipped_model as shipped_model
from mdmjax.calibrate._sudoku_mdm import sudoku_mdm as sudoku_mdm
from mdmjax.calibrate._walk import ValidityCheck as ValidityCheck
from mdmjax.calibrate._walk import WalkLaw as WalkLaw
from mdmjax.calibrate._walk import clopper_pearson_upper as clopper_pearson_upper
from mdmjax.calibrate._walk import regular_graph as regular_graph
from mdmjax.calibrate._walk import walk_law as walk_law
from mdmjax.calibrate._walk_mdm import walk_mdm as walk_mdm
from mdmjax.calibrate._word_mdm import LENGTHS as LENGTHS
from mdmjax.calibrate._word_mdm import level_cross_entropy as level_cross_entropy
from mdmjax.calibrate._word_mdm import load_word_mdm as load_word_mdm
from mdmjax.calibrate._word_mdm import word_mdm as word_mdm

# The exact Markov model lives in mdmjax.models and its sampler in mdmjax.families (issue 20);
# both stay importable here under their old names (re-exports, not renames).
from mdmjax.families import sample_markov_chain as sample_markov_chain
from mdmjax.models import markov_chain_model as markov_chain_model
from mdmjax.sampling import SamplerBracket as SamplerBracket
from mdmjax.sampling import SamplerKL as SamplerKL
from mdmjax.sampling import sampler_bracket as sampler_bracket
from mdmjax.sampling import sampler_kl as sampler_kl
