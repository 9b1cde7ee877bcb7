"""Adaptive unmasking policies and their exact evaluation.

* policy definitions (:mod:`mdmjax.policies._rules`): :func:`random`, :func:`fixed_order`,
  :func:`confidence`, :func:`margin`, :func:`entropy` (lowest conditional entropy first; a
  policy, not the subset-entropy kernel of :mod:`mdmjax.curves`), :func:`threshold`,
  :func:`entropy_bound` (by entropy, confidence or margin), :func:`factor` (Fast-dLLM),
  :func:`threshold_quota` (Fast-dLLM Dream), :func:`gumbel_confidence` (optionally MaskGIT's
  annealed temperature), :func:`dilated` (OpenDLM's DUS, with its confidence skip),
  :func:`semi_autoregressive`;
* :func:`practice_policies` — the catalogue of the practitioners' policies with upstream
  defaults (the CLI's);
* :func:`evaluate_policy` — the exact output law of a policy by a tree walk over partial
  assignments, with an optional imperfect model (:mod:`mdmjax.models`);
* :func:`policy_frontier` — expected steps against KL for families of policies;
* :func:`walk_rows` — the exact ``log ν̂(x)`` of a fixed-size policy on given rows (the tree
  restricted to each row, teacher-forced);
* :func:`selection_rule` — a policy's choice of positions as one traceable batched step, for
  :func:`mdmjax.sample`.

docs/theory.md §7.
"""

from mdmjax._src.deprecation import attribute, moved_names
from mdmjax.policies._frontier import DEFAULT_FAMILIES as DEFAULT_FAMILIES
from mdmjax.policies._frontier import Frontier as Frontier
from mdmjax.policies._frontier import FrontierPoint as FrontierPoint
from mdmjax.policies._frontier import family_policies as family_policies
from mdmjax.policies._frontier import policy_frontier as policy_frontier
from mdmjax.policies._frontier import practice_policies as practice_policies
from mdmjax.policies._plan import Plan as Plan
from mdmjax.policies._plan import Step as Step
from mdmjax.policies._plan import plan as plan
from mdmjax.policies._rules import EB_ORDERS as EB_ORDERS
from mdmjax.policies._rules import Policy as Policy
from mdmjax.policies._rules import confidence as confidence
from mdmjax.policies._rules import dilated as dilated
from mdmjax.policies._rules import dilated_blocks as dilated_blocks
from mdmjax.policies._rules import entropy as entropy
from mdmjax.policies._rules import entropy_bound as entropy_bound
from mdmjax.policies._rules import factor as factor
from mdmjax.policies._rules import fixed_order as fixed_order
from mdmjax.policies._rules import gumbel_confidence as gumbel_confidence
from mdmjax.policies._rules import margin as margin
from mdmjax.policies._rules import random as random
from mdmjax.policies._rules import semi_autoregressive as semi_autoregressive
from mdmjax.policies._rules import threshold as threshold
from mdmjax.policies._rules import threshold_quota as threshold_quota
from mdmjax.policies._rules import uniform_sizes as uniform_sizes
from mdmjax.policies._select import Selection as Selection
from mdmjax.policies._select import SelectionRule as SelectionRule
from mdmjax.policies._select import selection_rule as selection_rule
from mdmjax.policies._walk import PolicyEvaluation as PolicyEvaluation
from mdmjax.policies._walk import evaluate_policy as evaluate_policy
from mdmjax.policies._walk import walk_rows as walk_rows

# Names that left mdmjax.policies (issue 20), reachable for one version with a DeprecationWarning.
__getattr__ = moved_names(
    __name__,
    {
        "TIE_TOLERANCE": (
            "a tolerance (mdmjax._src.tolerances.TIE_TOLERANCE)",
            attribute("mdmjax._src.tolerances", "TIE_TOLERANCE"),
        ),
        "combinations_mask": (
            "an internal table (mdmjax._src.subsets.combinations_mask)",
            attribute("mdmjax._src.subsets", "combinations_mask"),
        ),
    },
)
