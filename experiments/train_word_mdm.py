"""Train the small masked-diffusion models of English words that mdmjax ships as package data.

    python experiments/train_word_mdm.py            # both lengths, writes the shipped weights

One model per word length (4 and 5), each a residual MLP over the one-hot-with-mask input
(see ``mdmjax/calibrate/_word_mdm.py``), trained with plain JAX + optax on the law
``mdmjax.families.english_words(length=L)`` (package defaults: top=50000, lang="en").

Loss: the MDM loss. Each example draws a word ``x ~ p``, a level ``m`` uniform on ``0..n-1``,
a uniformly random revealed set ``S`` with ``|S| = m``, and scores the mean cross-entropy of the
masked letters given ``x_S``. Its minimum over all models is ``mean_m g(m)``.

Writes ``mdmjax/calibrate/data/word_mdm_len4.npz`` and ``word_mdm_len5.npz`` (or under
``--out``). Deterministic given ``--seed`` (same weights, same file bytes, on one machine).
At the end it prints, per level, the model's exact cross-entropy (enumeration of the law's
support and of every revealed set) against the law's conditional entropy ``g(m)``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without installing mdmjax
    sys.path.insert(0, str(ROOT))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

import mdmjax as mdm  # noqa: E402
from mdmjax.calibrate import _word_mdm as wm  # noqa: E402

DATA_DIR = ROOT / "mdmjax" / "calibrate" / "data"


def init_params(key, length: int, width: int, depth: int, hidden: int) -> dict:
    """Random float32 parameters of the residual MLP of :func:`mdmjax.calibrate._word_mdm`."""
    d_in, d_out = length * (wm.VOCAB + 1), length * wm.VOCAB
    keys = jax.random.split(key, 2 + 2 * depth)

    def dense(k, fan_in, fan_out, scale=1.0):
        std = scale / np.sqrt(fan_in)
        return (std * jax.random.normal(k, (fan_in, fan_out), dtype=jnp.float32)).astype(
            jnp.float32
        )

    zeros = lambda m: jnp.zeros((m,), dtype=jnp.float32)
    ones = lambda m: jnp.ones((m,), dtype=jnp.float32)
    blocks = []
    for b in range(depth):
        blocks.append(
            {
                "ln_g": ones(width),
                "ln_b": zeros(width),
                "w1": dense(keys[2 + 2 * b], width, hidden),
                "b1": zeros(hidden),
                "w2": dense(keys[3 + 2 * b], hidden, width, scale=1.0 / np.sqrt(2 * depth)),
                "b2": zeros(width),
            }
        )
    return {
        "in_w": dense(keys[0], d_in, width, scale=np.sqrt(length)),  # n ones per input row
        "in_b": zeros(width),
        "blocks": blocks,
        "out_ln_g": ones(width),
        "out_ln_b": zeros(width),
        "out_w": dense(keys[1], width, d_out, scale=0.1),
        "out_b": zeros(d_out),
    }


def n_params(params) -> int:
    return sum(int(np.size(a)) for a in jax.tree_util.tree_leaves(params))


def make_batch(key, words, cdf, batch: int):
    """Words ``x ~ p``, levels ``m ~ U{0..n-1}`` and uniform revealed sets of size ``m``."""
    k_word, k_level, k_order = jax.random.split(key, 3)
    n = words.shape[1]
    u = jax.random.uniform(k_word, (batch,), dtype=jnp.float64)
    idx = jnp.minimum(jnp.searchsorted(cdf, u, side="right"), words.shape[0] - 1)
    x = words[idx]
    m = jax.random.randint(k_level, (batch,), 0, n)
    # The rank of each position in a uniform random order; revealed = the first m of the order.
    rank = jnp.argsort(jax.random.uniform(k_order, (batch, n), dtype=jnp.float32), axis=1)
    rank = jnp.argsort(rank, axis=1)
    revealed = rank < m[:, None]
    y = jnp.where(revealed, x, wm.MASK)
    return x, y, ~revealed


def mdm_loss(params, x, y, masked):
    """Mean over examples of the mean cross-entropy of the masked letters."""
    lp = wm.apply_word_mdm(params, y)
    nll = -jnp.take_along_axis(lp, x[:, :, None], axis=2)[:, :, 0]
    per_example = jnp.sum(jnp.where(masked, nll, 0.0), axis=1) / jnp.sum(masked, axis=1)
    return jnp.mean(per_example)


def train_one(length: int, args) -> tuple[dict, dict]:
    d = mdm.families.english_words(length=length)
    words_list, weights = mdm.real_data.english_word_weights(length)
    words = np.asarray([[ord(c) - ord("a") for c in w] for w in words_list], dtype=np.int32)
    cdf = np.cumsum(weights / weights.sum())
    cdf /= cdf[-1]
    words_j, cdf_j = jnp.asarray(words), jnp.asarray(cdf)

    key = jax.random.fold_in(jax.random.key(args.seed), length)
    k_init, k_data = jax.random.split(key)
    params = init_params(k_init, length, args.width, args.depth, args.hidden)
    schedule = optax.warmup_cosine_decay_schedule(
        0.0, args.lr, args.warmup, args.steps, end_value=args.lr * 0.01
    )
    opt = optax.chain(optax.clip_by_global_norm(1.0), optax.adamw(schedule, weight_decay=1e-4))
    state = opt.init(params)

    @jax.jit
    def run_chunk(params, state, keys):
        def step(carry, k):
            params, state = carry
            x, y, masked = make_batch(k, words_j, cdf_j, args.batch)
            loss, grads = jax.value_and_grad(mdm_loss)(params, x, y, masked)
            updates, state = opt.update(grads, state, params)
            return (optax.apply_updates(params, updates), state), loss

        (params, state), losses = jax.lax.scan(step, (params, state), keys)
        return params, state, jnp.mean(losses)

    chunk = args.log_every
    t0 = time.perf_counter()
    for start in range(0, args.steps, chunk):
        keys = jax.random.split(jax.random.fold_in(k_data, start), min(chunk, args.steps - start))
        params, state, loss = run_chunk(params, state, keys)
        if (start // chunk) % 5 == 4 or start + chunk >= args.steps:
            print(
                f"  len {length}  step {start + len(keys):6d}  loss {float(loss):.4f}  "
                f"({time.perf_counter() - t0:.0f} s)",
                flush=True,
            )
    seconds = time.perf_counter() - t0

    fn = jax.jit(lambda yy: wm.apply_word_mdm(params, yy))
    ce = wm.level_cross_entropy(fn, d)
    g = np.asarray(mdm.information_curve(d).g, dtype=np.float64)
    return params, {"ce": ce, "g": g, "seconds": seconds, "words": len(words)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lengths", type=int, nargs="+", default=list(wm.LENGTHS))
    ap.add_argument("--steps", type=int, default=8000)
    ap.add_argument("--batch", type=int, default=512)
    ap.add_argument("--width", type=int, default=128)
    ap.add_argument("--hidden", type=int, default=320)
    ap.add_argument("--depth", type=int, default=2)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--log-every", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=DATA_DIR)
    args = ap.parse_args(argv)
    for length in args.lengths:
        if length not in wm.LENGTHS:
            ap.error(f"--lengths: only {wm.LENGTHS} ship")
    args.out.mkdir(parents=True, exist_ok=True)

    reports = {}
    for length in args.lengths:
        print(f"training the length-{length} model", flush=True)
        params, rep = train_one(length, args)
        path = args.out / wm.weights_name(length)
        wm.save_params(params, path)
        rep["params"] = n_params(params)
        rep["bytes"] = path.stat().st_size
        rep["path"] = path
        reports[length] = rep

    print()
    for length, rep in reports.items():
        print(
            f"length {length}: {rep['words']} words, {rep['params']} float32 parameters, "
            f"{rep['bytes'] / 1e6:.2f} MB at {rep['path']}, trained in {rep['seconds']:.0f} s"
        )
        print("   m    CE(m)     g(m)   CE - g")
        for m, (c, g) in enumerate(zip(rep["ce"], rep["g"], strict=True)):
            print(f"  {m:2d}  {c:7.4f}  {g:7.4f}  {c - g:7.4f}")
        mean_gap = float(np.mean(rep["ce"] - rep["g"]))
        print(f"  mean  {np.mean(rep['ce']):7.4f}  {np.mean(rep['g']):7.4f}  {mean_gap:7.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
