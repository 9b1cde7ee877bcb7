"""A transformer masked-diffusion model of 4×4 Sudoku grids, trained here and shipped.

Trained by ``experiments/train_sudoku_mdm.py`` on the uniform law on the 288 valid grids
(:func:`mdmjax.families.sudoku_grids`, ``n = 16`` cells, ``V = 4`` values) with the MDLM/MD4
objective; the weights (float32, tens of kB) live in ``mdmjax/calibrate/data/sudoku_mdm.npz``.
The network is the walk model's bidirectional transformer (:mod:`mdmjax.calibrate._walk_mdm`,
same ``apply``), at its own sizes.

Input convention (:mod:`mdmjax.models`): ``y`` is an int array ``(..., 16)`` with values ``0..3``
at revealed cells and ``4`` (the mask value, :data:`mdmjax.families.SUDOKU_MASK`) at masked ones,
so a puzzle's prompt row is a valid input. Output: float32 log-probabilities ``(..., 16, 4)``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import jax

from mdmjax._src.precision import scoped_x64
from mdmjax.calibrate._walk_mdm import _load_flat, apply_walk_mdm
from mdmjax.calibrate._word_mdm import unflatten_params
from mdmjax.models import from_callable

__all__ = ["SUDOKU_WEIGHTS", "sudoku_mdm"]

SUDOKU_WEIGHTS = "sudoku_mdm.npz"


@functools.cache
def _sudoku_log_probs() -> Callable[[jax.Array], jax.Array]:
    params = unflatten_params(_load_flat(SUDOKU_WEIGHTS))
    return jax.jit(functools.partial(apply_walk_mdm, params))


@scoped_x64
def sudoku_mdm():
    """The shipped transformer MDM of 4×4 Sudoku grids, as an mdmjax model.

    A traceable float32 log-probability model (:func:`mdmjax.models.from_callable`, ``V = 4``,
    mask value 4, ``n = 16``) of the uniform law on :func:`mdmjax.families.sudoku_grids`,
    trained by ``experiments/train_sudoku_mdm.py`` (module docstring for the input convention).
    Its learning error per level against the exact ``g(m)`` is in
    ``results/e12/sudoku_mdm_training.json``.

    Returns:
      a :class:`mdmjax.models.FunctionModel` with ``n = 16``.

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> m = mdm.calibrate.sudoku_mdm()
      >>> m.n
      16
      >>> prompts, solutions = mdm.families.sudoku_puzzles(10, 1, seed=0)
      >>> p = np.exp(np.asarray(m.raw(prompts), dtype=np.float64))[0]   # (16, 4)
      >>> blank = int(np.flatnonzero(prompts[0] == 4)[0])
      >>> bool(p[blank, solutions[0, blank]] > 0.9)     # with 10 clues the blanks are forced
      True
    """
    fn = _sudoku_log_probs()
    params = unflatten_params(_load_flat(SUDOKU_WEIGHTS))
    return from_callable(
        fn,
        num_values=int(params["out_w"].shape[1]),
        output="log_probs",
        traceable=True,
        n=int(params["pos"].shape[0]),
        name="sudoku_mdm",
    )
