"""The models that ship with mdmjax, by name: one table for the library and the CLI.

``shipped_model("words4")`` is :func:`mdmjax.calibrate.word_mdm` with ``length=4``; the CLI's
``--model NAME`` reads the same table (:data:`SHIPPED_MODELS`). :func:`shipped_data` draws
held-out rows of the law each model was trained on (exact draws, with the law's exact entropy),
so that a shipped model can be calibrated with no data of one's own.
"""

from __future__ import annotations

import importlib
import math
from typing import NamedTuple

import numpy as np

from mdmjax._src.validate import as_positive_int

__all__ = ["SHIPPED_MODELS", "shipped_model", "shipped_data", "HeldOut"]

# name -> (module, factory, keyword arguments, one-line description). Factories are imported on
# use, so that listing the names loads no weights.
SHIPPED_MODELS: dict[str, tuple[str, str, dict, str]] = {
    "words4": ("mdmjax.calibrate._word_mdm", "word_mdm", {"length": 4}, "4-letter English words"),
    "words5": ("mdmjax.calibrate._word_mdm", "word_mdm", {"length": 5}, "5-letter English words"),
    "walk": (
        "mdmjax.calibrate._walk_mdm",
        "walk_mdm",
        {},
        "transformer, random walks on a 32-node 4-regular graph, n = 128 (walk_law())",
    ),
    "sudoku4": (
        "mdmjax.calibrate._sudoku_mdm",
        "sudoku_mdm",
        {},
        "transformer, the 288 valid 4x4 Sudoku grids, n = 16, V = 4 (families.sudoku_grids())",
    ),
}


def shipped_model(name: str):
    """The shipped model called ``name`` (one of :data:`SHIPPED_MODELS`), as an mdmjax model.

    Args:
      name: a key of :data:`SHIPPED_MODELS`, e.g. ``"words4"``.

    Returns:
      the model, as its factory returns it (a :class:`mdmjax.models.FunctionModel`).

    Raises:
      ValueError: ``name`` is not a shipped model (the message lists those that are).

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.calibrate.shipped_model("words4").n
      4
    """
    if not isinstance(name, str) or name not in SHIPPED_MODELS:
        raise ValueError(
            f"name: no shipped model called {name!r}; shipped: {', '.join(sorted(SHIPPED_MODELS))}"
        )
    module, factory, kwargs, _ = SHIPPED_MODELS[name]
    return getattr(importlib.import_module(module), factory)(**kwargs)


class HeldOut(NamedTuple):
    """Rows drawn from a shipped model's own law (:func:`shipped_data`).

    Attributes:
      rows: int64 ``(num, n)`` exact draws.
      entropy: the law's exact entropy ``H(p)`` in nats.
      law: what the rows were drawn from, in words.
      seed: the seed of the draws.

    Examples:
      >>> import mdmjax as mdm
      >>> held = mdm.calibrate.shipped_data("walk", 2, seed=0)
      >>> held.rows.shape, held.law, held.seed
      ((2, 128), 'walk_law() of n = 128', 0)
    """

    rows: np.ndarray
    entropy: float
    law: str
    seed: int


def shipped_data(name: str, num: int, seed: int = 0) -> HeldOut:
    """``num`` exact draws from the law the shipped model ``name`` was trained on.

    ``walk``: :func:`mdmjax.calibrate.walk_law` (its defaults), ``H = ln 32 + 127 ln 4``.
    ``words4`` / ``words5``: the word law of :func:`mdmjax.families.english_words` (``top=50000``,
    ``lang="en"``, no smoothing, as in training), drawn word by word with NumPy's generator
    seeded by ``seed``; ``H = -sum_w p(w) ln p(w)`` over its words (needs the ``data`` extra).
    ``sudoku4``: uniform on :func:`mdmjax.families.sudoku_grids`, ``H = ln 288``.

    Args:
      name: a key of :data:`SHIPPED_MODELS`.
      num: rows to draw, ``>= 1``.
      seed: a non-negative int; same seed, same rows.

    Returns:
      a :class:`HeldOut` ``(rows, entropy, law, seed)``.

    Raises:
      ValueError: ``name`` not shipped, ``num < 1`` or a bad ``seed``.

    Examples:
      >>> import math, mdmjax as mdm
      >>> held = mdm.calibrate.shipped_data("walk", 4, seed=1)
      >>> held.rows.shape, bool(mdm.calibrate.walk_law().is_valid(held.rows).all())
      ((4, 128), True)
      >>> round(held.entropy - (math.log(32) + 127 * math.log(4)), 12)
      0.0
    """
    if not isinstance(name, str) or name not in SHIPPED_MODELS:
        raise ValueError(
            f"name: no shipped model called {name!r}; shipped: {', '.join(sorted(SHIPPED_MODELS))}"
        )
    num = as_positive_int(num, "num")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed: expected a non-negative int, got {seed!r}")
    seed = int(seed)
    if name == "walk":
        from mdmjax.calibrate._walk import walk_law

        law = walk_law()
        return HeldOut(law.sample(seed, num), law.entropy, f"walk_law() of n = {law.n}", seed)
    if name == "sudoku4":
        from mdmjax.families import sudoku_grids

        grids = sudoku_grids()
        idx = np.random.default_rng(seed).integers(len(grids), size=num)
        law = f"uniform on the {len(grids)} valid 4x4 Sudoku grids"
        return HeldOut(grids[idx], math.log(len(grids)), law, seed)
    from mdmjax.families import english_word_weights

    length = SHIPPED_MODELS[name][2]["length"]
    words, weights = english_word_weights(length, 50000, "en")
    p = np.asarray(weights, dtype=np.float64)
    p = p / p.sum()
    idx = np.random.default_rng(seed).choice(len(words), size=num, p=p)
    codes = np.asarray([[ord(c) - ord("a") for c in w] for w in words], dtype=np.int64)
    entropy = -math.fsum((p * np.log(p)).tolist())
    return HeldOut(codes[idx], entropy, f"english_words({length}) over {len(words)} words", seed)
