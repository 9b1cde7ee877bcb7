"""Deprecated aliases for names that moved or left a public namespace (one version of grace).

A subpackage's ``__init__`` sets ``__getattr__ = moved_names(__name__, {old: (where, getter)})``:
reading ``mdm.<sub>.<old>`` then warns with a ``DeprecationWarning`` naming the new home and
returns the object, while ``dir()`` and ``from .. import *`` no longer list it.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable

__all__ = ["moved_names", "attribute"]


def moved_names(module: str, table: dict[str, tuple[str, Callable[[], object]]]):
    """A module ``__getattr__`` serving the deprecated names of ``table``.

    ``table[old] = (message, getter)``: ``message`` says where the name went, ``getter()``
    returns the object (imported lazily, so no import cycle).

    Examples:
      >>> import math, warnings
      >>> get = moved_names("pkg", {"tau": ("use math.tau", lambda: math.tau)})
      >>> with warnings.catch_warnings(record=True) as w:
      ...     warnings.simplefilter("always")
      ...     value = get("tau")
      >>> round(value, 4), w[0].category.__name__
      (6.2832, 'DeprecationWarning')
      >>> str(w[0].message)
      'pkg.tau is deprecated: use math.tau; the alias goes in the next version'
    """

    def __getattr__(name: str):
        if name in table:
            message, getter = table[name]
            warnings.warn(
                f"{module}.{name} is deprecated: {message}; the alias goes in the next version",
                DeprecationWarning,
                stacklevel=2,
            )
            return getter()
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    return __getattr__


def attribute(module: str, name: str) -> Callable[[], object]:
    """A getter for ``module.name``, imported when called.

    Examples:
      >>> attribute("math", "pi")() > 3
      True
    """
    return lambda: getattr(importlib.import_module(module), name)
