"""Named joint laws (probability tables): products, codes, Markov, Ising, mixtures, real data.

Every constructor returns a validated :class:`~mdmjax.Distribution` whose table sums to 1 in
float64. Tables are built by broadcasting (loops run over positions, edges or polynomial degrees,
never over states), and the memory guard runs on the table size *before* anything is allocated,
so ``repetition(40)`` raises ``ValueError`` with the estimated bytes instead of exhausting memory.

Modules, one concept each:

- ``_products``: :func:`product`, :func:`random_product`, :func:`dirichlet` (``Z ≡ 0`` for a
  product, docs/theory.md §5.1);
- ``_codes``: :func:`repetition`, :func:`parity`, :func:`linear_code`, :func:`reed_solomon`
  (MDS codes: ``Z_j = ln q · 1[j > d]``, docs/theory.md §5.2–5.3) and :func:`noisy_repetition`
  (the noisy repeated bit, docs/theory.md §5.5);
- ``_markov``: :func:`markov_chain`, :func:`random_markov_chain`; ``_markov_sampler``:
  :func:`sample_markov_chain` (draws, NumPy);
- ``_ising``: :func:`ising`;
- ``_mixtures``: :func:`mixture_of_products`, :func:`random_mixture_of_products`;
- ``_wainwright``: :func:`random_centres_mixture` (random binary centres with flip noise) and
  :func:`xorsat` (``Z = A U mod 2``), the laws of Wainwright (2026), docs/theory.md §12;
- ``_registry``: the one table of named families (:class:`FamilySpec`, :data:`FAMILY_SPECS`,
  :func:`family_spec`), :data:`FAMILY_NAMES` and :func:`by_name` (read by the CLI and by
  ``mdm.curves.family_curve``);
- ``_real_data``: :func:`english_words`, :func:`digits_patches` (optional extra);
- ``_sudoku``: :func:`sudoku_grids` (the 288 valid 4×4 grids), :func:`sudoku_puzzles` (clue sets
  with a unique completion), :func:`is_sudoku`;
- ``_support``: :func:`from_support`, a law given by its support points (:class:`SupportLaw`,
  its exact conditionals :class:`SupportModel`), for puzzles, codewords and word lists.

Random families take an explicit ``jax.random`` key, are deterministic given it, and compute in
``jax.numpy`` so that a batch of laws is one ``jax.vmap`` over keys::

    keys = jax.random.split(jax.random.key(0), 100)
    tables = jax.vmap(lambda k: dirichlet(k, (2,) * 6).probs)(keys)  # (100, 2, 2, 2, 2, 2, 2)

Tables versus curves: ``mdm.families.markov_chain`` returns a :class:`~mdmjax.Distribution` (the
dense ``q^n`` table, so small ``n`` only), while ``mdm.curves.markov_chain_curve`` returns an
:class:`~mdmjax.InformationCurve` computed from the chain's structure at any ``n``
(docs/theory.md §9.1). The same holds for the other names the two subpackages share.
"""

from mdmjax.families._codes import linear_code as linear_code
from mdmjax.families._codes import noisy_repetition as noisy_repetition
from mdmjax.families._codes import parity as parity
from mdmjax.families._codes import reed_solomon as reed_solomon
from mdmjax.families._codes import repetition as repetition
from mdmjax.families._ising import ising as ising
from mdmjax.families._markov import markov_chain as markov_chain
from mdmjax.families._markov import random_markov_chain as random_markov_chain
from mdmjax.families._markov_sampler import sample_markov_chain as sample_markov_chain
from mdmjax.families._mixtures import mixture_of_products as mixture_of_products
from mdmjax.families._mixtures import random_mixture_of_products as random_mixture_of_products
from mdmjax.families._products import dirichlet as dirichlet
from mdmjax.families._products import product as product
from mdmjax.families._products import random_product as random_product
from mdmjax.families._real_data import digit_patch_samples as digit_patch_samples
from mdmjax.families._real_data import digits_patches as digits_patches
from mdmjax.families._real_data import english_word_weights as english_word_weights
from mdmjax.families._real_data import english_words as english_words
from mdmjax.families._registry import FAMILY_NAMES as FAMILY_NAMES
from mdmjax.families._registry import FAMILY_SPECS as FAMILY_SPECS
from mdmjax.families._registry import FamilySpec as FamilySpec
from mdmjax.families._registry import by_name as by_name
from mdmjax.families._registry import family_spec as family_spec
from mdmjax.families._sudoku import SUDOKU_MASK as SUDOKU_MASK
from mdmjax.families._sudoku import SUDOKU_UNITS as SUDOKU_UNITS
from mdmjax.families._sudoku import is_sudoku as is_sudoku
from mdmjax.families._sudoku import sudoku_grids as sudoku_grids
from mdmjax.families._sudoku import sudoku_puzzles as sudoku_puzzles
from mdmjax.families._support import SupportLaw as SupportLaw
from mdmjax.families._support import SupportModel as SupportModel
from mdmjax.families._support import from_support as from_support
from mdmjax.families._wainwright import random_centres as random_centres
from mdmjax.families._wainwright import random_centres_log_prob as random_centres_log_prob
from mdmjax.families._wainwright import random_centres_marginals as random_centres_marginals
from mdmjax.families._wainwright import random_centres_mixture as random_centres_mixture
from mdmjax.families._wainwright import random_centres_z_rows as random_centres_z_rows
from mdmjax.families._wainwright import xorsat as xorsat
from mdmjax.families._wainwright import xorsat_matrix as xorsat_matrix
