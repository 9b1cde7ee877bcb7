"""float64 everywhere: mdmjax turns on ``jax_enable_x64`` when imported.

Exact means float64 (DESIGN.md, Conventions). JAX silently computes in float32 when x64 is off, so
importing mdmjax enables it, and every public kernel calls :func:`require_x64` so that a user who
switches it off later gets an error instead of a silently rounded number.
"""

from __future__ import annotations

import jax

jax.config.update("jax_enable_x64", True)


def require_x64() -> None:
    """Raise ``RuntimeError`` if x64 has been switched off since mdmjax was imported."""
    if not jax.config.jax_enable_x64:
        raise RuntimeError(
            "mdmjax needs float64, but jax_enable_x64 is off. Call "
            "jax.config.update('jax_enable_x64', True) before using mdmjax."
        )
