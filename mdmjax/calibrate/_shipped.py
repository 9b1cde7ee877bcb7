"""The models that ship with mdmjax, by name: one table for the library and the CLI.

``shipped_model("words4")`` is :func:`mdmjax.calibrate.word_mdm` with ``length=4``; the CLI's
``--model NAME`` reads the same table (:data:`SHIPPED_MODELS`).
"""

from __future__ import annotations

import importlib

__all__ = ["SHIPPED_MODELS", "shipped_model"]

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
