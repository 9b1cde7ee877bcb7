"""``--model``: a shipped model by name, or ``pkg.module:factory`` (one loader, every command).

``MODULE`` is imported as ``python -c`` would: the current working folder comes first on the
import path (the console script alone would not look there), so ``--model mymodel:make`` finds
``./mymodel.py``.
"""

from __future__ import annotations

import importlib
import os
import sys

__all__ = ["load_model", "model_help", "shipped_names"]


def shipped_names() -> list[str]:
    from mdmjax.calibrate import SHIPPED_MODELS

    return sorted(SHIPPED_MODELS)


def model_help() -> str:
    """The ``--model`` help text, listing the shipped models."""
    from mdmjax.calibrate import SHIPPED_MODELS

    names = "; ".join(f"{k} ({v[3]})" for k, v in sorted(SHIPPED_MODELS.items()))
    return (
        f"a shipped model: {names}; or MODULE:FACTORY, a function of your module (found in the "
        "current folder, or installed) returning an mdmjax model, e.g. mymodel:make for "
        "def make() in ./mymodel.py returning mdmjax.models.from_torch(...)"
    )


def _import(mod: str, spec: str, flag: str):
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:  # kept: the module may import its neighbours
        sys.path.insert(0, cwd)
    try:
        return importlib.import_module(mod)
    except ModuleNotFoundError as err:
        if err.name and (mod == err.name or mod.startswith(err.name + ".")):
            where = ", ".join(p or "." for p in sys.path[:3])
            raise ValueError(
                f"{flag}: no module named {err.name!r} (for {spec!r}); looked in the current "
                f"folder {cwd} and on the import path ({where}, ...); run mdmjax from the folder "
                f"that holds {mod.split('.')[0]}.py, or install it"
            ) from None
        raise ValueError(
            f"{flag}: importing {mod!r} failed: it needs the module {err.name!r}, which is not "
            "installed"
        ) from None
    except Exception as err:  # the user's module failed while importing: one line
        text = " ".join(str(err).split())[:300]
        raise ValueError(f"{flag}: importing {mod!r} raised {type(err).__name__}: {text}") from None


def load_model(spec: str, flag: str = "--model"):
    """The model named by ``spec``: a key of ``SHIPPED_MODELS`` or ``MODULE:FACTORY``.

    Errors are one-line ``ValueError`` messages that start with ``flag``: an unknown name, a
    module that is not found (saying where it looked), a missing factory, a factory that raises
    or returns something that is not an mdmjax model (saying what it returned).
    """
    from mdmjax.calibrate import SHIPPED_MODELS, shipped_model
    from mdmjax.distribution import Distribution
    from mdmjax.models import ConditionalModel

    if spec in SHIPPED_MODELS:
        return shipped_model(spec)
    mod, sep, attr = spec.partition(":")
    if not sep or not mod or not attr:
        names = ", ".join(sorted(SHIPPED_MODELS))
        raise ValueError(
            f"{flag}: expected a shipped model ({names}) or MODULE:FACTORY, got {spec!r}"
        )
    module = _import(mod, spec, flag)
    factory = getattr(module, attr, None)
    if factory is None:
        where = getattr(module, "__file__", None) or mod
        raise ValueError(f"{flag}: module {mod!r} ({where}) has no attribute {attr!r}")
    if not callable(factory):
        raise ValueError(f"{flag}: {spec} is a {type(factory).__name__}, not a function")
    try:
        model = factory()
    except Exception as err:  # the user's factory: report it on one line
        text = " ".join(str(err).split())[:300]
        raise ValueError(f"{flag}: {spec}() raised {type(err).__name__}: {text}") from None
    if not isinstance(model, ConditionalModel | Distribution):
        raise ValueError(
            f"{flag}: {spec}() returned a {type(model).__name__}, not an mdmjax model; return "
            "mdmjax.models.from_torch(module, ...), mdmjax.models.from_callable(fn, ...) or "
            "another mdmjax.models model"
        )
    if isinstance(model, Distribution):  # a law: its exact conditionals
        from mdmjax.models import from_distribution

        model = from_distribution(model)
    return model
