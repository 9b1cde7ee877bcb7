"""``--model``: a shipped model by name, or ``pkg.module:factory`` (one loader, every command)."""

from __future__ import annotations

import importlib

__all__ = ["load_model", "MODEL_HELP"]

MODEL_HELP = "a shipped model by name (see mdmjax.calibrate.SHIPPED_MODELS) or MODULE:FACTORY"


def load_model(spec: str, flag: str = "--model"):
    """The model named by ``spec``: a key of ``SHIPPED_MODELS`` or ``MODULE:FACTORY``.

    Errors are one-line ``ValueError`` messages that start with ``flag``.
    """
    from mdmjax.calibrate import SHIPPED_MODELS, shipped_model

    if spec in SHIPPED_MODELS:
        return shipped_model(spec)
    mod, sep, attr = spec.partition(":")
    if not sep or not mod or not attr:
        names = ", ".join(sorted(SHIPPED_MODELS))
        raise ValueError(
            f"{flag}: expected a shipped model ({names}) or MODULE:FACTORY, got {spec!r}"
        )
    try:
        factory = getattr(importlib.import_module(mod), attr)
    except (ImportError, AttributeError) as err:
        raise ValueError(f"{flag}: cannot load {spec!r} ({err})") from None
    try:
        return factory()
    except Exception as err:  # the user's factory: report it on one line
        raise ValueError(f"{flag}: {spec}() raised {type(err).__name__}: {err}") from None
