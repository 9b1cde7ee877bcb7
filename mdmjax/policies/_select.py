"""A policy's choice of positions as one traceable, batched step (the sampler's half of a policy).

:func:`mdmjax.evaluate_policy` walks every branch of a policy's tree; a sampler follows one
branch per row. :func:`selection_rule` resolves a policy for ``n`` positions (through
:func:`~mdmjax.policies.plan`, so sizes, orders, blocks, thresholds and tie rules are the ones
the exact evaluation uses) into arrays plus a hashable static part whose :meth:`select` runs
inside ``jax.jit``: given a batch of conditionals it returns the positions each row reveals at
step ``t``.

* deterministic rules (``rank``, ``threshold``, ``entropy_bound``, ``factor``, ``quota``,
  ``skip``): the same scores, greedy tie rule (``TIE_TOLERANCE``, lowest index) and counts as the
  tree walk;
* ``random``: a uniformly random ``s_t``-subset of the candidates (uniform float64 keys, top
  ``s_t``);
* ``gumbel``: Gumbel-top-``s_t`` on ``log c_i / T``, i.e. Plackett–Luce sampling without
  replacement with weights ``c_i^{1/T}``, the law the tree walk enumerates.

docs/theory.md §7 and §11.
"""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp
import numpy as np

import mdmjax.policies._plan as _plans
from mdmjax._src.precision import scoped_x64
from mdmjax.policies._choice import (
    SCORE_IDS,
    SELECT_IDS,
    all_scores,
    choice_candidates,
    deterministic_choice,
    gumbel_choice,
    uniform_choice,
)
from mdmjax.policies._rules import Policy

__all__ = ["Selection", "SelectionRule", "selection_rule"]


@dataclasses.dataclass(frozen=True)
class SelectionRule:
    """The static part of a resolved policy (hashable: a ``jax.jit`` static argument).

    Attributes:
      options: ``"single"`` (a deterministic choice), ``"random"`` or ``"gumbel"``.
      num_steps: the most steps a row can take (the number of model calls per batch).

    Examples:
      Confidence with sizes ``(2, 1)`` on three positions whose largest conditionals are
      ``0.9, 0.6, 0.8`` reveals the two most confident, positions 0 and 2, first:

      >>> import jax, jax.numpy as jnp, numpy as np, mdmjax as mdm
      >>> sel = mdm.policies.selection_rule(mdm.policies.confidence((2, 1)), 3)
      >>> probs = np.array([[[0.9, 0.1], [0.6, 0.4], [0.8, 0.2]]])
      >>> with jax.enable_x64(True):
      ...     arrays = {k: jnp.asarray(v) for k, v in sel.arrays.items()}
      ...     keys = jax.random.split(jax.random.key(0), 1)
      ...     masked, t = jnp.ones((1, 3), bool), jnp.asarray(0)  # all masked, step 0
      ...     first = jax.jit(sel.static.select)(arrays, jnp.asarray(probs), masked, t, keys)
      >>> sel.static, np.asarray(first).tolist()
      (SelectionRule(options='single', num_steps=2), [[True, False, True]])
    """

    options: str
    num_steps: int

    def select(self, arrays, probs, masked, t, keys):
        """Bool ``(B, n)``: the positions each row reveals at step ``t`` (0-based).

        Args:
          arrays: :attr:`Selection.arrays` (as JAX arrays).
          probs: ``(B, n, V)`` conditionals (rows of masked positions sum to 1).
          masked: bool ``(B, n)``.
          t: the step index (a traced int).
          keys: ``(B,)`` keys, used by the random rules only.
        """
        steps = arrays["sizes"].shape[0]
        ti = jnp.minimum(t, steps - 1)
        size = arrays["sizes"][ti]
        param = arrays["param"][ti]
        cand = choice_candidates(
            masked, arrays["adaptive"], arrays["block_length"], arrays["cands"][ti]
        )
        if self.options == "random":
            return uniform_choice(keys, cand, size)
        scores, conf, ent = all_scores(probs, arrays["priority"])
        if self.options == "gumbel":
            return gumbel_choice(keys, cand, conf, param, size)
        return deterministic_choice(
            jnp.take(scores, arrays["score_id"], axis=0),
            conf,
            ent,
            cand,
            size=size,
            param=param,
            param2=arrays["param2"],
            select_id=arrays["select_id"],
            step=t,
            revealed=arrays["generate"] - jnp.sum(masked, axis=1),
        )


@dataclasses.dataclass(frozen=True)
class Selection:
    """A policy resolved for sampling: :attr:`static` (a :class:`SelectionRule`) and its arrays.

    Attributes:
      static: the hashable :class:`SelectionRule`.
      arrays: dict of NumPy arrays (per-step sizes, candidates and parameters, priorities, ...).
      num_steps: ``static.num_steps``.

    Examples:
      >>> import mdmjax as mdm
      >>> sel = mdm.policies.selection_rule(mdm.policies.confidence((2, 1)), 3)
      >>> sel.num_steps, sel.arrays["sizes"].tolist(), int(sel.arrays["sizes"].sum())
      (2, [2, 1], 3)
    """

    static: SelectionRule
    arrays: dict

    @property
    def num_steps(self) -> int:
        return self.static.num_steps


@scoped_x64
def selection_rule(policy: Policy, n: int, generate: int | None = None) -> Selection:
    """Resolve ``policy`` on ``n`` positions for a sampler (module docstring).

    Args:
      policy: any policy of :mod:`mdmjax.policies`.
      n: the number of positions of a row.
      generate: how many of them are masked at the start (a prompt fixes the others); default
        ``n``. With a prompt the policy runs on the masked positions: its sizes must sum to
        ``generate``; policies tied to positions (``fixed_order``, ``dilated``,
        ``semi_autoregressive``) need ``generate == n``.

    Returns:
      a :class:`Selection`.

    Raises:
      ValueError: ``policy`` is not a Policy (``plan``), its sizes do not sum to ``generate``
        (``plan``), or it is tied to positions and a prompt fixes some (``prompt``).

    Examples:
      >>> import mdmjax as mdm
      >>> sel = mdm.policies.selection_rule(mdm.policies.confidence((2, 1)), 3)
      >>> sel.num_steps, sel.static.options
      (2, 'single')
    """
    if not isinstance(policy, Policy):
        raise ValueError(f"plan: expected an mdmjax.policies.Policy, got {type(policy).__name__}")
    m = n if generate is None else int(generate)
    if m != n and (policy.order is not None or policy.kind == "semi_autoregressive"):
        raise ValueError(
            f"prompt: the policy {policy.label} is tied to positions (an order or blocks over "
            f"all n = {n}); with a prompt use a policy that ranks the masked positions"
        )
    try:
        resolved = _plans.plan(policy, m)
    except ValueError as err:
        msg = str(err)
        if msg.startswith("sizes:") or msg.startswith("policy:"):
            raise ValueError("plan: " + msg.split(":", 1)[1].strip()) from None
        raise
    adaptive = resolved.steps is None
    options = {"random": "random", "gumbel": "gumbel"}.get(resolved.select, "single")
    if adaptive:
        sizes = np.zeros(1, dtype=np.int64)
        cands = np.ones((1, n), dtype=bool)
        num_steps = m
    else:
        sizes = np.asarray([s.size for s in resolved.steps], dtype=np.int64)
        if m == n:
            cands = np.asarray([s.candidates for s in resolved.steps], dtype=bool).reshape(-1, n)
        else:
            cands = np.ones((len(resolved.steps), n), dtype=bool)
        num_steps = len(resolved.steps)
    steps = sizes.shape[0]
    if resolved.level_params is not None:
        param = np.asarray(resolved.level_params, dtype=np.float64)
    else:
        param = np.full(steps, resolved.param, dtype=np.float64)
    priority = np.asarray(resolved.priority, dtype=np.float64)
    if m != n:
        priority = np.zeros(n)
    arrays = dict(
        sizes=sizes,
        cands=cands,
        param=param,
        param2=np.asarray(resolved.param2, dtype=np.float64),
        priority=priority,
        block_length=np.asarray(resolved.block_length if m == n else n, dtype=np.int64),
        adaptive=np.asarray(adaptive),
        score_id=np.asarray(SCORE_IDS[resolved.score], dtype=np.int32),
        select_id=np.asarray(SELECT_IDS[resolved.select], dtype=np.int32),
        generate=np.asarray(m, dtype=np.int64),
    )
    return Selection(SelectionRule(options, int(num_steps)), arrays)
