"""Conditional models: the ``p̂(x_i | x_A)`` a sampler sees (exact, tempered, noisy, or yours).

Your trained model enters through :func:`from_callable` (a JAX function or a NumPy callable;
probabilities, log-probabilities, or scores of the data tokens), checked on its first batch;
a PyTorch / Hugging Face masked LM through :func:`from_torch` (torch imported on call).
:func:`as_conditional_model` presents any model that can give its full conditionals as what the
sampler and the exact policy evaluation consume.
:func:`markov_chain_model` gives the exact conditionals of a Markov chain at any ``n`` (a test
case for long sequences; its sampler is :func:`mdmjax.families.sample_markov_chain`).

docs/theory.md §6 and §8.
"""

from mdmjax.models._conditional import CallableModel as CallableModel
from mdmjax.models._conditional import ConditionalModel as ConditionalModel
from mdmjax.models._conditional import DistributionModel as DistributionModel
from mdmjax.models._conditional import NoisyModel as NoisyModel
from mdmjax.models._conditional import TemperedModel as TemperedModel
from mdmjax.models._conditional import ext_strides as ext_strides
from mdmjax.models._conditional import from_distribution as from_distribution
from mdmjax.models._conditional import markov_approximation as markov_approximation
from mdmjax.models._conditional import noisy as noisy
from mdmjax.models._conditional import product_approximation as product_approximation
from mdmjax.models._conditional import tempered as tempered
from mdmjax.models._full import as_conditional_model as as_conditional_model
from mdmjax.models._full import as_model as as_model
from mdmjax.models._function import OUTPUTS as OUTPUTS
from mdmjax.models._function import FunctionModel as FunctionModel
from mdmjax.models._function import as_scoring_model as as_scoring_model
from mdmjax.models._function import from_callable as from_callable
from mdmjax.models._markov import markov_chain_model as markov_chain_model
from mdmjax.models._torch import TorchModel as TorchModel
from mdmjax.models._torch import from_torch as from_torch
