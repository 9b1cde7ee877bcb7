"""The conditional-model protocol: the one base class every mdmjax model derives from.

It lives below the subpackages so that any of them (models, families, calibrate) can define a
model without importing another's modules; :mod:`mdmjax.models` re-exports it.
"""

from __future__ import annotations

import jax

from mdmjax._src.precision import scoped_x64

__all__ = ["ConditionalModel"]


class ConditionalModel:
    """Base class of conditional oracles; subclasses implement :meth:`conditionals`.

    Attributes:
      shape: the alphabet sizes ``(q_1, .., q_n)`` the model answers for.

    Examples:
      A model that always answers uniformly: sampling one position at a time from it gives
      the uniform law ``u``, so its KL from ``p`` is ``KL(p || u) = ln 4 - H(p)``:

      >>> import jax.numpy as jnp, numpy as np, mdmjax as mdm
      >>> d = mdm.Distribution.from_probs(np.array([[0.4, 0.1], [0.1, 0.4]]))
      >>> import jax, math
      >>> @jax.tree_util.register_static  # a model is a pytree (it passes into jax.jit)
      ... class Uniform(mdm.models.ConditionalModel):
      ...     shape = (2, 2)
      ...     def conditionals(self, y):
      ...         return jnp.where((y == 2)[..., None], 0.5, 0.0).repeat(2, axis=-1)
      >>> ev = mdm.evaluate_policy(d, mdm.policies.fixed_order((0, 1), (1, 1)), model=Uniform())
      >>> h = -float(np.sum(d.probs * np.log(d.probs)))
      >>> round(ev.kl - (math.log(4) - h), 12), np.asarray(ev.probs).tolist()
      (0.0, [[0.25, 0.25], [0.25, 0.25]])
    """

    shape: tuple[int, ...]

    @scoped_x64
    def conditionals(self, y: jax.Array) -> jax.Array:  # pragma: no cover - interface
        """``(N, n, q_max)`` conditionals of the masked positions of ``y`` ``(N, n)``."""
        raise NotImplementedError
