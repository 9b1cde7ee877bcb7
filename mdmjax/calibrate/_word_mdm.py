"""A small trained masked-diffusion model (MDM) of English words, shipped as package data.

One model per word length, ``n = 4`` and ``n = 5``, trained by ``experiments/train_word_mdm.py``
on :func:`mdmjax.families.english_words` (package defaults: ``top=50000``, ``lang="en"``, no
smoothing). The weights live in ``mdmjax/calibrate/data/word_mdm_len{4,5}.npz`` (float32).

Input convention (:mod:`mdmjax.models`): ``y`` is an int array ``(..., n)`` with ``y[..., i] = x_i``
(``a = 0, .., z = 25``) where position ``i`` is revealed and ``y[..., i] = 26`` (the mask value)
where it is masked. Output: float32 log-probabilities ``(..., n, 26)`` over the letters at every
position; the rows of revealed positions are computed too but mean nothing (the package ignores
them). The model cannot peek: a masked position holds the mask value whatever its hidden letter,
so the output depends on the revealed letters and on which positions are masked, nothing else.

Architecture (a residual MLP over the one-hot-with-mask input, no normalization across the
batch, so each row's answer depends on that row only)::

    h   = onehot(y, 27).reshape(n * 27) @ in_w + in_b                   # width d
    h  += w2 @ gelu(layer_norm(h) @ w1 + b1) + b2                       # per block
    out = log_softmax((layer_norm(h) @ out_w + out_b).reshape(n, 26))

To use it as an :mod:`mdmjax.models` oracle (probabilities renormalized in float64, zeros at
revealed rows)::

    fn = word_mdm_log_probs(5)
    probs = lambda y: jax.nn.softmax(fn(y).astype(jnp.float64), axis=-1)
    model = lambda y: jnp.where((y == 26)[..., None], probs(y), 0.0)
"""

from __future__ import annotations

import functools
import io
import itertools
import math
import zipfile
from collections.abc import Callable
from importlib import resources

import jax
import jax.numpy as jnp
import numpy as np

from mdmjax._src.precision import scoped_x64
from mdmjax.models import from_callable

__all__ = [
    "LENGTHS",
    "MASK",
    "VOCAB",
    "apply_word_mdm",
    "load_word_mdm",
    "word_mdm_log_probs",
    "level_cross_entropy",
    "word_mdm",
]

VOCAB = 26  # letters a..z
MASK = VOCAB  # the mask value of the input convention
LENGTHS = (4, 5)
_LN_EPS = 1e-5


def weights_name(length: int) -> str:
    """File name of the weights of the length-``length`` model, inside ``data/``."""
    return f"word_mdm_len{int(length)}.npz"


# ------------------------------------------------------------------------------------------------
# Forward pass
# ------------------------------------------------------------------------------------------------
def _layer_norm(h: jax.Array, gain: jax.Array, bias: jax.Array) -> jax.Array:
    mu = jnp.mean(h, axis=-1, keepdims=True)
    var = jnp.mean(jnp.square(h - mu), axis=-1, keepdims=True)
    return (h - mu) * jax.lax.rsqrt(var + _LN_EPS) * gain[None, :] + bias[None, :]


def apply_word_mdm(params: dict, y: jax.Array) -> jax.Array:
    """Log-probabilities ``(..., n, 26)`` of every position's letter given the revealed ones.

    Pure and traceable (``jit``/``vmap``/``grad`` friendly); ``y`` may have any number of leading
    batch axes, including none (a single ``(n,)`` sequence).

    Args:
      params: the parameter pytree of :func:`load_word_mdm` (float32 arrays).
      y: int array ``(..., n)``; letters ``0..25`` at revealed positions, ``26`` at masked ones.
    """
    y = jnp.asarray(y)
    width_in = params["in_w"].shape[0]
    n = width_in // (VOCAB + 1)
    if y.shape[-1:] != (n,):
        raise ValueError(f"y: expected shape (..., {n}) for this model, got {y.shape}")
    lead = y.shape[:-1]
    x = jax.nn.one_hot(y.reshape(-1, n), VOCAB + 1, dtype=jnp.float32).reshape(-1, width_in)
    h = x @ params["in_w"] + params["in_b"][None, :]
    for blk in params["blocks"]:
        u = _layer_norm(h, blk["ln_g"], blk["ln_b"])
        u = jax.nn.gelu(u @ blk["w1"] + blk["b1"][None, :])
        h = h + u @ blk["w2"] + blk["b2"][None, :]
    h = _layer_norm(h, params["out_ln_g"], params["out_ln_b"])
    logits = (h @ params["out_w"] + params["out_b"][None, :]).reshape(-1, n, VOCAB)
    return jax.nn.log_softmax(logits, axis=-1).reshape(*lead, n, VOCAB)


# ------------------------------------------------------------------------------------------------
# Saving and loading
# ------------------------------------------------------------------------------------------------
def flatten_params(params: dict) -> dict[str, np.ndarray]:
    """The parameter pytree as flat ``name -> float32 array`` (the ``.npz`` layout)."""
    flat: dict[str, np.ndarray] = {}
    for key, value in params.items():
        if key == "blocks":
            for b, blk in enumerate(value):
                for k, v in blk.items():
                    flat[f"blocks.{b}.{k}"] = np.asarray(v, dtype=np.float32)
        else:
            flat[key] = np.asarray(value, dtype=np.float32)
    return flat


def unflatten_params(flat: dict[str, np.ndarray]) -> dict:
    """Inverse of :func:`flatten_params`; arrays become float32 ``jax.Array``."""
    params: dict = {}
    blocks: dict[int, dict] = {}
    for name, value in flat.items():
        arr = jnp.asarray(np.asarray(value, dtype=np.float32))
        if name.startswith("blocks."):
            _, b, k = name.split(".")
            blocks.setdefault(int(b), {})[k] = arr
        else:
            params[name] = arr
    params["blocks"] = [blocks[b] for b in sorted(blocks)]
    return params


def save_params(params: dict, path) -> None:
    """Write ``params`` as an ``.npz`` whose bytes depend on the weights only (fixed zip dates)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, arr in sorted(flatten_params(params).items()):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue())


@functools.cache
def _load_flat(length: int) -> dict[str, np.ndarray]:
    res = resources.files("mdmjax.calibrate").joinpath("data", weights_name(length))
    with res.open("rb") as fh, np.load(fh, allow_pickle=False) as npz:
        return {k: np.array(npz[k]) for k in npz.files}


def load_word_mdm(length: int) -> tuple[Callable, dict]:
    """The trained word model of ``length`` letters: ``(apply_fn, params)``.

    ``apply_fn(params, y)`` is :func:`apply_word_mdm`: int ``y`` ``(..., length)`` (26 = masked)
    to float32 log-probabilities ``(..., length, 26)``.

    Args:
      length: the word length, 4 or 5.

    Returns:
      ``(apply_fn, params)``, the pure function and its parameter pytree.

    Raises:
      ValueError: no model ships for ``length`` (only 4 and 5 do).

    Examples:
      One call on a word with only its first letter revealed (``q``): every position's output
      is a law over the 26 letters, and ``u`` is likely after ``q``:

      >>> import jax, numpy as np, mdmjax as mdm
      >>> apply_fn, params = mdm.calibrate.load_word_mdm(4)
      >>> lp = np.asarray(jax.jit(apply_fn)(params, np.array([[16, 26, 26, 26]])), np.float64)
      >>> lp.shape, bool(np.allclose(np.exp(lp).sum(-1), 1.0, atol=1e-5))
      ((1, 4, 26), True)
      >>> bool(np.exp(lp[0, 1, 20]) > 0.5)
      True
      >>> mdm.calibrate.load_word_mdm(6)
      Traceback (most recent call last):
        ...
      ValueError: length: models ship for word lengths (4, 5), got 6
    """
    if isinstance(length, bool) or not isinstance(length, int | np.integer):
        raise ValueError(f"length: expected an int in {LENGTHS}, got {length!r}")
    if int(length) not in LENGTHS:
        raise ValueError(f"length: models ship for word lengths {LENGTHS}, got {length}")
    params = unflatten_params(_load_flat(int(length)))
    return apply_word_mdm, params


@functools.cache
def word_mdm_log_probs(length: int) -> Callable[[jax.Array], jax.Array]:
    """A jitted closure ``fn(y) -> (..., length, 26)`` log-probabilities of the trained model.

    Cached: every call for one length returns the same closure (and so reuses its compilations).
    """
    apply_fn, params = load_word_mdm(length)
    return jax.jit(functools.partial(apply_fn, params))


# ------------------------------------------------------------------------------------------------
# Exact per-level cross-entropy on a law
# ------------------------------------------------------------------------------------------------
def _run_chunked(log_prob_fn: Callable, y: np.ndarray, chunk: int) -> np.ndarray:
    """``log_prob_fn`` over the rows of ``y`` in equal padded chunks (one shape to compile)."""
    rows = len(y)
    size = min(chunk, max(256, 1 << (rows - 1).bit_length()))
    total = -(-rows // size) * size
    pad = np.concatenate([y, np.broadcast_to(y[:1], (total - rows, y.shape[1]))])
    out = [np.asarray(log_prob_fn(pad[a : a + size])) for a in range(0, total, size)]
    return np.concatenate(out)[:rows]


def level_cross_entropy(log_prob_fn: Callable, probs, *, chunk: int = 16384) -> np.ndarray:
    """Exact ``CE(m) = E_{x~p} mean_{|S|=m} mean_{i not in S} [-log p̂(x_i | x_S)]``, ``m < n``.

    Enumerates the support of ``p`` and every revealed set ``S``; each distinct partial
    assignment is sent to the model once. The Bayes-optimal model gives ``CE(m) = g(m)``, the
    conditional-entropy profile of :attr:`mdmjax.InformationCurve.g`.

    Args:
      log_prob_fn: ``fn(y) -> (N, n, q)`` log-probabilities, input convention of this module
        with mask value ``q``.
      probs: the law, a ``(q,) * n`` probability table (or a :class:`mdmjax.Distribution`).
      chunk: rows per model call (the last call is padded to the same size).

    Returns:
      float64 array ``(n,)``: ``CE(0), .., CE(n-1)`` in nats.

    Raises:
      ValueError: ``probs`` not a ``(q,) * n`` table.

    Examples:
      The exact conditionals of a law give its profile ``g`` (here three repeated bits,
      ``g = (ln 2, 0, 0)``); a model that always answers ``1/2`` costs ``ln 2`` at every level:

      >>> import jax, jax.numpy as jnp, math, numpy as np, mdmjax as mdm
      >>> d = mdm.families.repetition(3, 2)
      >>> exact = mdm.models.from_distribution(d)
      >>> def log_probs(y):
      ...     c = np.asarray(jax.jit(exact.conditionals)(jnp.asarray(y)))
      ...     return np.log(np.maximum(c, 1e-300))  # zeros sit at revealed positions only
      >>> ce = mdm.calibrate.level_cross_entropy(log_probs, d)
      >>> bool(np.allclose(ce, mdm.information_curve(d).g)), round(float(ce[0]) / math.log(2), 12)
      (True, 1.0)
      >>> def half(y):
      ...     return np.log(np.full(y.shape + (2,), 0.5))
      >>> bool(np.allclose(mdm.calibrate.level_cross_entropy(half, d), math.log(2)))
      True
    """
    table = np.asarray(getattr(probs, "probs", probs), dtype=np.float64)
    n, q = table.ndim, table.shape[0]
    if table.shape != (q,) * n:
        raise ValueError(f"probs: expected a (q,)*n table, got shape {table.shape}")
    words = np.stack(np.nonzero(table > 0), axis=1).astype(np.int64)  # (K, n)
    weights = table[tuple(words.T)]
    weights = weights / weights.sum()
    radix = (q + 1) ** np.arange(n - 1, -1, -1, dtype=np.int64)
    # Every distinct partial assignment of every revealed set, with where each word lands.
    subsets = [s for m in range(n) for s in itertools.combinations(range(n), m)]
    rows, where, start = [], [], 0
    for s in subsets:
        revealed = np.zeros(n, dtype=bool)
        revealed[list(s)] = True
        codes = np.where(revealed[None, :], words, q) @ radix
        uniq, first, inv = np.unique(codes, return_index=True, return_inverse=True)
        rows.append(np.where(revealed[None, :], words[first], q))
        where.append(start + inv.reshape(-1))
        start += len(uniq)
    lp = _run_chunked(log_prob_fn, np.concatenate(rows), chunk)
    out = np.zeros(n)
    for s, idx in zip(subsets, where, strict=True):
        hidden = np.setdiff1d(np.arange(n), s)
        # -log p̂(x_i | x_S) for each word and each hidden i, averaged over hidden i.
        nll = -lp[idx[:, None], hidden[None, :], words[:, hidden]].astype(np.float64)
        out[len(s)] += float(weights @ nll.mean(axis=1)) / math.comb(n, len(s))
    return out


@scoped_x64
def word_mdm(length: int):
    """The shipped word MDM of ``length`` letters as an mdmjax model, in one call.

    A traceable log-probability model (:func:`mdmjax.models.from_callable`, ``V = 26``, mask
    value 26) for :func:`mdmjax.model_curve`, :func:`mdmjax.kl.model_mixture_kl` and
    :func:`mdmjax.evaluate_policy`. Trained by ``experiments/train_word_mdm.py`` on
    :func:`mdmjax.families.english_words` (module docstring).

    Args:
      length: 4 or 5.

    Returns:
      a :class:`mdmjax.models.FunctionModel` with ``n = length``.

    Raises:
      ValueError: no model ships for ``length``.

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> m = mdm.calibrate.word_mdm(4)
      >>> lpx, ent = m.score(np.array([[16, 26, 26, 26]]), np.array([[16, 20, 0, 3]]))
      >>> bool(np.exp(lpx[0, 1]) > 0.5)  # after a leading 'q', 'u' is likely
      True
    """
    load_word_mdm(length)  # validates the length
    return from_callable(
        word_mdm_log_probs(int(length)),
        num_values=VOCAB,
        output="log_probs",
        traceable=True,
        n=int(length),
        name=f"word_mdm({int(length)})",
    )
