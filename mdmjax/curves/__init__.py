"""Information curves: the type, the exact subset-entropy kernel, and curves at large ``n``.

* :class:`InformationCurve` and :func:`information_curve` (exact, from a table, via the
  subset-entropy kernel :func:`subset_entropies`); :func:`as_curve` is the one argument check.
* **Exact large-n curves** where a law has structure, at ``n = 10^3 .. 10^5``:
  :func:`markov_chain_curve` (any initial law, homogeneous or not, ``O(n^2)``),
  :func:`ising_chain`, the MDS closed form (:func:`mds_code`, :func:`reed_solomon_curve`,
  :func:`repetition_curve`, :func:`parity_curve`), :func:`noisy_repetition_curve`,
  :func:`product_curve`, and :func:`linear_code_curve` by rank counting (``n <= 22``).
* **Monte-Carlo curves with standard errors**: :func:`linear_code_curve` (rank tests over
  ``F_q``), and :func:`monte_carlo_curve` for any model with exact conditionals
  (:class:`HiddenMarkovModel`, :class:`TreeMRF` / :func:`ising_tree`, :class:`MixtureOfProducts`).
* :func:`ugc` — Wainwright's gain curve and unmasking growth complexities of any curve
  (:class:`UGCProfile`; :func:`ugc_bootstrap` for estimates; :func:`bernstein`).
* :func:`family_curve` computes the curve of a named family (the names, defaults and routes of
  ``mdm.families.FAMILY_SPECS``) and :func:`family_route` says which route it takes.

The curve builders end in ``_curve``: ``mdm.families.markov_chain`` returns a
:class:`~mdmjax.Distribution` (a full probability table, small ``n``), while
``mdm.curves.markov_chain_curve`` returns the :class:`InformationCurve` directly (any ``n``). The
old curve names (``mdm.curves.markov_chain``, ``product``, ``repetition``, ``parity``,
``linear_code``, ``reed_solomon``, ``noisy_repetition``) still work for one version, with a
``DeprecationWarning``. docs/theory.md §2.2 and §9.
"""

from mdmjax._src.deprecation import attribute, moved_names
from mdmjax.curves._closed_forms import log_binomial_pmf as log_binomial_pmf
from mdmjax.curves._closed_forms import noisy_repetition_curve as noisy_repetition_curve
from mdmjax.curves._closed_forms import product_curve as product_curve
from mdmjax.curves._codes import code_z_estimate as code_z_estimate
from mdmjax.curves._codes import linear_code_curve as linear_code_curve
from mdmjax.curves._codes import mds_code as mds_code
from mdmjax.curves._codes import parity_curve as parity_curve
from mdmjax.curves._codes import rank_mod_q as rank_mod_q
from mdmjax.curves._codes import reed_solomon_curve as reed_solomon_curve
from mdmjax.curves._codes import repetition_curve as repetition_curve
from mdmjax.curves._curve import InformationCurve as InformationCurve
from mdmjax.curves._curve import as_curve as as_curve
from mdmjax.curves._curve import information_curve as information_curve
from mdmjax.curves._markov import ising_chain as ising_chain
from mdmjax.curves._markov import markov_chain_curve as markov_chain_curve
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
from mdmjax.curves._registry import FamilyRoute as FamilyRoute
from mdmjax.curves._registry import family_curve as family_curve
from mdmjax.curves._registry import family_route as family_route
from mdmjax.curves._subset_entropy import SubsetEntropyPlan as SubsetEntropyPlan
from mdmjax.curves._subset_entropy import average_subset_entropy as average_subset_entropy
from mdmjax.curves._subset_entropy import extended_table as extended_table
from mdmjax.curves._subset_entropy import plan_subset_entropies as plan_subset_entropies
from mdmjax.curves._subset_entropy import subset_entropies as subset_entropies
from mdmjax.curves._subset_entropy import subset_entropy_kernel as subset_entropy_kernel
from mdmjax.curves._subset_entropy import subset_sizes as subset_sizes
from mdmjax.curves._ugc import UGCInterval as UGCInterval
from mdmjax.curves._ugc import UGCProfile as UGCProfile
from mdmjax.curves._ugc import bernstein as bernstein
from mdmjax.curves._ugc import ugc as ugc
from mdmjax.curves._ugc import ugc_bootstrap as ugc_bootstrap

# Deprecated names (0.2.0; removed in the next version): the curve builders were named like the
# table builders of mdm.families, which return a Distribution.
_DEPRECATED = {
    name: f"{name}_curve"
    for name in (
        "markov_chain",
        "product",
        "repetition",
        "parity",
        "linear_code",
        "reed_solomon",
        "noisy_repetition",
    )
}


# Internal kernels that left the public surface (issue 20), reachable for one version with a
# DeprecationWarning.
_moved_names = moved_names(
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


def __getattr__(name: str):
    if name in _DEPRECATED:
        import warnings

        new = _DEPRECATED[name]
        warnings.warn(
            f"mdm.curves.{name} is deprecated; use mdm.curves.{new} (mdm.families.{name} builds "
            "the probability table instead)",
            DeprecationWarning,
            stacklevel=2,
        )
        return globals()[new]
    return _moved_names(name)
