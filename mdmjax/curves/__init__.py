"""Information curves: the type, the exact subset-entropy kernel, and curves at large ``n``.

* :class:`InformationCurve` and :func:`information_curve` (exact, from a table, via the
  subset-entropy kernel :func:`subset_entropies`); :func:`as_curve` is the one argument check.
* **Exact large-n curves** where a law has structure, at ``n = 10^3 .. 10^5``:
  :func:`markov_chain` (any initial law, homogeneous or not, ``O(n^2)``), :func:`ising_chain`,
  the MDS closed form (:func:`mds_code`, :func:`reed_solomon`, :func:`repetition`,
  :func:`parity`), :func:`noisy_repetition`, :func:`product`, and :func:`linear_code` by rank
  counting (``n <= 22``).
* **Monte-Carlo curves with standard errors**: :func:`linear_code` (rank tests over ``F_q``),
  and :func:`monte_carlo_curve` for any model with exact conditionals
  (:class:`HiddenMarkovModel`, :class:`TreeMRF` / :func:`ising_tree`, :class:`MixtureOfProducts`).
* :func:`family_curve` picks the route for a named family (names as ``mdm.families.by_name``).

Names shared with :mod:`mdmjax.families` return different things: ``mdm.families.markov_chain``
returns a :class:`~mdmjax.Distribution` (a full probability table, small ``n``), while
``mdm.curves.markov_chain`` returns the :class:`InformationCurve` directly (any ``n``).
docs/theory.md §2.2 and §9.
"""

from mdmjax._src.deprecation import attribute, moved_names
from mdmjax.curves._closed_forms import log_binomial_pmf as log_binomial_pmf
from mdmjax.curves._closed_forms import noisy_repetition as noisy_repetition
from mdmjax.curves._closed_forms import product as product
from mdmjax.curves._codes import code_z_estimate as code_z_estimate
from mdmjax.curves._codes import linear_code as linear_code
from mdmjax.curves._codes import mds_code as mds_code
from mdmjax.curves._codes import parity as parity
from mdmjax.curves._codes import rank_mod_q as rank_mod_q
from mdmjax.curves._codes import reed_solomon as reed_solomon
from mdmjax.curves._codes import repetition as repetition
from mdmjax.curves._curve import InformationCurve as InformationCurve
from mdmjax.curves._curve import as_curve as as_curve
from mdmjax.curves._curve import information_curve as information_curve
from mdmjax.curves._markov import ising_chain as ising_chain
from mdmjax.curves._markov import markov_chain as markov_chain
from mdmjax.curves._markov import stationary_law as stationary_law
from mdmjax.curves._mc_models import HiddenMarkovModel as HiddenMarkovModel
from mdmjax.curves._mc_models import MixtureOfProducts as MixtureOfProducts
from mdmjax.curves._mc_models import TreeMRF as TreeMRF
from mdmjax.curves._mc_models import ising_tree as ising_tree
from mdmjax.curves._monte_carlo import curve_from_estimates as curve_from_estimates
from mdmjax.curves._monte_carlo import draw_samples as draw_samples
from mdmjax.curves._monte_carlo import estimate_z as estimate_z
from mdmjax.curves._monte_carlo import isotonic_increasing as isotonic_increasing
from mdmjax.curves._monte_carlo import monte_carlo_curve as monte_carlo_curve
from mdmjax.curves._monte_carlo import monte_carlo_values as monte_carlo_values
from mdmjax.curves._registry import CURVE_FAMILIES as CURVE_FAMILIES
from mdmjax.curves._registry import family_curve as family_curve
from mdmjax.curves._subset_entropy import SubsetEntropyPlan as SubsetEntropyPlan
from mdmjax.curves._subset_entropy import average_subset_entropy as average_subset_entropy
from mdmjax.curves._subset_entropy import extended_table as extended_table
from mdmjax.curves._subset_entropy import plan_subset_entropies as plan_subset_entropies
from mdmjax.curves._subset_entropy import subset_entropies as subset_entropies
from mdmjax.curves._subset_entropy import subset_sizes as subset_sizes

# Internal kernels that left the public surface (issue 20), reachable for one version with a
# DeprecationWarning.
__getattr__ = moved_names(
    __name__,
    {
        "conditional_entropy_profile": (
            "an internal kernel of markov_chain",
            attribute("mdmjax.curves._markov", "conditional_entropy_profile"),
        ),
        "tree_order": (
            "an internal kernel of TreeMRF",
            attribute("mdmjax.curves._mc_models", "tree_order"),
        ),
        "extended_table_bytes": (
            "an internal memory estimate of extended_table",
            attribute("mdmjax.curves._subset_entropy", "extended_table_bytes"),
        ),
    },
)
