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

import jax
import jax.numpy as jnp
import numpy as np

import mdmjax.policies._plan as _plans
from mdmjax._src.precision import scoped_x64
from mdmjax._src.tolerances import TIE_TOLERANCE
from mdmjax.policies._rules import Policy
from mdmjax.policies._walk import (
    _SCORE_IDS,
    _SELECT_IDS,
    _all_scores,
    _greedy_order,
    _prefix_mask,
)

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
        num, n = masked.shape
        steps = arrays["sizes"].shape[0]
        ti = jnp.minimum(t, steps - 1)
        size = arrays["sizes"][ti]
        param = arrays["param"][ti]
        pos = jnp.arange(n)
        first = jnp.argmax(masked, axis=1)
        length = arrays["block_length"]
        current = (pos[None, :] // length) == (first // length)[:, None]
        cand = masked & jnp.where(arrays["adaptive"], current, arrays["cands"][ti][None, :])
        count = jnp.sum(cand, axis=1)
        if self.options == "random":
            u = jax.vmap(lambda k: jax.random.uniform(k, (n,), dtype=jnp.float64))(keys)
            order = jnp.argsort(jnp.where(cand, u, 2.0), axis=1)
            return _prefix_mask(order, jnp.minimum(size, count)) & cand
        all_scores, conf, ent = _all_scores(probs, arrays["priority"])
        if self.options == "gumbel":
            g = jax.vmap(lambda k: jax.random.gumbel(k, (n,), dtype=jnp.float64))(keys)
            logc = jnp.log(jnp.where(cand, conf, 1.0))
            order = jnp.argsort(jnp.where(cand, -(logc * param + g), jnp.inf), axis=1)
            return _prefix_mask(order, jnp.minimum(size, count)) & cand
        select_id = arrays["select_id"]
        order, count = _greedy_order(jnp.take(all_scores, arrays["score_id"], axis=0), cand)
        k_rank = jnp.minimum(size, count)
        sorted_h = jnp.take_along_axis(
            jnp.concatenate([ent, jnp.zeros((num, 1), ent.dtype)], axis=1), order, axis=1
        )
        excess = jnp.cumsum(sorted_h, axis=1) - jax.lax.cummax(sorted_h, axis=1)
        ks = jnp.arange(1, n + 1)
        ok = (excess <= param + TIE_TOLERANCE) & (ks[None, :] <= count[:, None])
        k_bound = jnp.max(jnp.where(ok, ks[None, :], 1), axis=1)
        sorted_c = jnp.take_along_axis(
            jnp.concatenate([conf, jnp.zeros((num, 1), conf.dtype)], axis=1), order, axis=1
        )
        r = jnp.arange(n)
        bar = jnp.where(r == 0, -1.0, 1.0 - param / (r.astype(jnp.float64) + 2.0))
        fail = (sorted_c < bar[None, :] - TIE_TOLERANCE) & (r[None, :] < count[:, None])
        first_fail = jnp.where(jnp.any(fail, axis=1), jnp.argmax(fail, axis=1), count - 1)
        bump = (first_fail == 0) | (first_fail == count - 1)
        k_factor = jnp.where(bump, first_fail + 1, first_fail)
        revealed = arrays["generate"] - jnp.sum(masked, axis=1)
        k_quota = jnp.clip(
            (t + 1).astype(jnp.float64) * arrays["param2"] - revealed.astype(jnp.float64),
            1.0,
            count.astype(jnp.float64),
        ).astype(count.dtype)
        k = jnp.select(
            [select_id == 0, select_id == 1, select_id == 2, select_id == 5],
            [k_rank, jnp.ones_like(k_rank), k_bound, k_factor],
            jnp.where(select_id == 6, 1, 0),
        )
        chosen = _prefix_mask(order, k)
        above = cand & (conf >= param - TIE_TOLERANCE)
        chosen = chosen | (above & (select_id == 1))
        chosen = chosen | (_prefix_mask(order, k_quota) & above & (select_id == 6))
        take_all = size > 0  # skip: the last round reveals every candidate
        chosen = chosen | (cand & (above | take_all) & (select_id == 7))
        return chosen & cand


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
        score_id=np.asarray(_SCORE_IDS[resolved.score], dtype=np.int32),
        select_id=np.asarray(_SELECT_IDS[resolved.select], dtype=np.int32),
        generate=np.asarray(m, dtype=np.int64),
    )
    return Selection(SelectionRule(options, int(num_steps)), arrays)
