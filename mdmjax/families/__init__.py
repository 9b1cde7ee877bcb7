"""Named joint laws (probability tables): products, codes, Markov, Ising, mixtures, real data.

Every constructor returns a validated :class:`~mdmjax.Distribution`. ``mdm.families.markov_chain``
returns a *table* (small ``n``); ``mdm.curves.markov_chain`` returns the *curve* at any ``n``.
docs/theory.md §5.
"""

from mdmjax.families._laws import FAMILY_NAMES as FAMILY_NAMES
from mdmjax.families._laws import by_name as by_name
from mdmjax.families._laws import dirichlet as dirichlet
from mdmjax.families._laws import ising as ising
from mdmjax.families._laws import linear_code as linear_code
from mdmjax.families._laws import markov_chain as markov_chain
from mdmjax.families._laws import mixture_of_products as mixture_of_products
from mdmjax.families._laws import noisy_repetition as noisy_repetition
from mdmjax.families._laws import parity as parity
from mdmjax.families._laws import product as product
from mdmjax.families._laws import random_markov_chain as random_markov_chain
from mdmjax.families._laws import random_mixture_of_products as random_mixture_of_products
from mdmjax.families._laws import random_product as random_product
from mdmjax.families._laws import reed_solomon as reed_solomon
from mdmjax.families._laws import repetition as repetition
from mdmjax.families._real_data import digit_patch_samples as digit_patch_samples
from mdmjax.families._real_data import digits_patches as digits_patches
from mdmjax.families._real_data import english_word_weights as english_word_weights
from mdmjax.families._real_data import english_words as english_words
