"""A transformer masked-diffusion model of random walks, trained here and shipped as package data.

Trained by ``experiments/train_walk_mdm.py`` on exact rows of :func:`mdmjax.calibrate.walk_law`
(32 nodes of degree 4, ``n = 128`` positions) with the MDLM/MD4 objective; the weights
(float32, well under 1 MB) live in ``mdmjax/calibrate/data/walk_mdm.npz``.

Input convention (:mod:`mdmjax.models`): ``y`` is an int array ``(..., n)`` with node ids
``0..G-1`` at revealed positions and ``G`` (the mask value) at masked ones. Output: float32
log-probabilities ``(..., n, G)``.

Architecture: a bidirectional pre-norm transformer in plain JAX (a parameter pytree and one
pure ``apply``: no network library, so loading it needs only the base install)::

    h   = embed[y] + pos[i]                                   # width d
    h  += attn(layer_norm(h))          # multi-head self-attention, rotary positions on q, k
    h  += w2 @ gelu(w1 @ layer_norm(h))                       # per block
    out = log_softmax(layer_norm(h) @ out_w + out_b)

Attention uses no mask and no batch statistics: each row's answer depends on that row only, and a
masked position holds the mask value whatever its hidden node, so the model cannot peek.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from importlib import resources

import jax
import jax.numpy as jnp
import numpy as np

from mdmjax._src.precision import scoped_x64
from mdmjax.calibrate._word_mdm import _LN_EPS, unflatten_params
from mdmjax.models import from_callable

__all__ = ["apply_walk_mdm", "load_walk_mdm", "walk_mdm", "WALK_WEIGHTS"]

WALK_WEIGHTS = "walk_mdm.npz"
_ROPE_BASE = 200.0  # periods 6 to ~200 positions at 8 channels per head (n = 128)


def _vec(v: jax.Array) -> jax.Array:
    """A ``(d,)`` parameter as ``(1, 1, d)`` (explicit ranks: rank promotion may be 'raise')."""
    return v[None, None, :]


def _layer_norm(h: jax.Array, gain: jax.Array, bias: jax.Array) -> jax.Array:
    mu = jnp.mean(h, axis=-1, keepdims=True)
    var = jnp.mean(jnp.square(h - mu), axis=-1, keepdims=True)
    return (h - mu) * jax.lax.rsqrt(var + _LN_EPS) * _vec(gain) + _vec(bias)


def _rope(x: jax.Array) -> jax.Array:
    """Rotary position embedding of ``x`` ``(B, n, heads, dh)`` (pairs of channels rotated)."""
    n, dh = x.shape[1], x.shape[3]
    half = dh // 2
    freq = _ROPE_BASE ** (-jnp.arange(half, dtype=jnp.float32) / half)
    ang = jnp.arange(n, dtype=jnp.float32)[:, None] * freq[None, :]  # (n, half)
    cos, sin = jnp.cos(ang)[None, :, None, :], jnp.sin(ang)[None, :, None, :]
    a, b = x[..., :half], x[..., half:]
    return jnp.concatenate([a * cos - b * sin, a * sin + b * cos], axis=-1)


def apply_walk_mdm(params: dict, y: jax.Array) -> jax.Array:
    """Log-probabilities ``(..., n, G)`` of every position's node given the revealed ones.

    Pure and traceable (``jit``/``vmap``/``grad``); ``y`` may have any leading batch axes.

    Args:
      params: the parameter pytree of :func:`load_walk_mdm` (float32 arrays).
      y: int array ``(..., n)``: nodes ``0..G-1`` revealed, ``G`` masked.

    Returns:
      float32 log-probabilities ``(..., n, G)``.
    """
    y = jnp.asarray(y)
    n = params["pos"].shape[0]
    if y.shape[-1:] != (n,):
        raise ValueError(f"y: expected shape (..., {n}) for this model, got {y.shape}")
    lead = y.shape[:-1]
    y2 = y.reshape(-1, n)
    heads = int(params["heads"].shape[0])
    h = params["embed"][y2] + params["pos"][None, :, :]
    b, _, d = h.shape
    dh = d // heads
    for blk in params["blocks"]:
        u = _layer_norm(h, blk["ln1_g"], blk["ln1_b"])
        qkv = (u @ blk["wqkv"]).reshape(b, n, 3, heads, dh)
        q, k, v = _rope(qkv[:, :, 0]), _rope(qkv[:, :, 1]), qkv[:, :, 2]
        att = jnp.einsum("bqhd,bkhd->bhqk", q, k) * (1.0 / np.sqrt(dh)).astype(np.float32)
        att = jax.nn.softmax(att, axis=-1)
        o = jnp.einsum("bhqk,bkhd->bqhd", att, v).reshape(b, n, d)
        h = h + o @ blk["wo"]
        u = _layer_norm(h, blk["ln2_g"], blk["ln2_b"])
        h = h + jax.nn.gelu(u @ blk["w1"] + _vec(blk["b1"])) @ blk["w2"] + _vec(blk["b2"])
    h = _layer_norm(h, params["out_ln_g"], params["out_ln_b"])
    logits = h @ params["out_w"] + _vec(params["out_b"])
    return jax.nn.log_softmax(logits, axis=-1).reshape(*lead, n, logits.shape[-1])


@functools.cache
def _load_flat(name: str = WALK_WEIGHTS) -> dict[str, np.ndarray]:
    """The flat weights in ``data/name`` (the walk model's, or another shipped transformer's)."""
    res = resources.files("mdmjax.calibrate").joinpath("data", name)
    with res.open("rb") as fh, np.load(fh, allow_pickle=False) as npz:
        return {k: np.array(npz[k]) for k in npz.files}


def load_walk_mdm() -> tuple[Callable, dict]:
    """The shipped walk transformer: ``(apply_fn, params)`` (``apply_fn`` is apply_walk_mdm)."""
    return apply_walk_mdm, unflatten_params(_load_flat())


@functools.cache
def _walk_log_probs() -> Callable[[jax.Array], jax.Array]:
    apply_fn, params = load_walk_mdm()
    return jax.jit(functools.partial(apply_fn, params))


@scoped_x64
def walk_mdm():
    """The shipped transformer MDM of random walks, as an mdmjax model.

    A traceable float32 log-probability model (:func:`mdmjax.models.from_callable`,
    ``V = 32`` nodes, mask value 32, ``n = 128``) of :func:`mdmjax.calibrate.walk_law` with its
    defaults, trained by ``experiments/train_walk_mdm.py`` (module docstring for the
    architecture). It runs in the same process as everything else and changes no global JAX
    setting.

    Returns:
      a :class:`mdmjax.models.FunctionModel` with ``n = 128``.

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> m, law = mdm.calibrate.walk_mdm(), mdm.calibrate.walk_law()
      >>> y = np.full((1, law.n), law.nodes); y[0, 0] = 5     # only the first node revealed
      >>> lp, _ = m.score(y, np.zeros((1, law.n), dtype=int))
      >>> p = np.exp(np.asarray(m.raw(y))[0, 1])               # the model's law of the 2nd node
      >>> bool(p[law.neighbours[5]].sum() > 0.9)               # mostly on the neighbours of 5
      True
    """
    params = unflatten_params(_load_flat())
    return from_callable(
        _walk_log_probs(),
        num_values=int(params["out_w"].shape[1]),
        output="log_probs",
        traceable=True,
        n=int(params["pos"].shape[0]),
        name="walk_mdm",
    )
