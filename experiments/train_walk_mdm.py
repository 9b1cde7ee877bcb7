"""Train the transformer masked-diffusion model of random walks that mdmjax ships.

    python experiments/train_walk_mdm.py          # full: mdmjax/calibrate/data/walk_mdm.npz
    python experiments/train_walk_mdm.py --quick  # a few steps, to a temporary folder (CI)

The law: :func:`mdmjax.calibrate.walk_law` with its defaults (a uniform-start random walk on a
32-node 4-regular graph, ``n = 128``); every training row is an exact fresh draw. The network:
the bidirectional transformer of ``mdmjax/calibrate/_walk_mdm.py`` (plain JAX + optax).

Loss: the MDLM/MD4 objective with uniform levels. Each example draws a walk ``x ~ p``, a level
``m`` uniform on ``0..n-1``, a uniformly random revealed set ``S`` with ``|S| = m``, and scores
the mean cross-entropy of the masked nodes given ``x_S``; its expectation is
``mean_m CE(m) = (NLL bound) / n``, minimised by the exact conditionals at ``mean_m g(m)``.

Seeded (``--seed``), logs its loss, and prints at the end the model's ``CE(m)`` against the exact
``g(m)`` on fresh rows at a few levels.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
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
from mdmjax.calibrate import _walk_mdm as wm  # noqa: E402
from mdmjax.calibrate import _word_mdm as wordm  # noqa: E402

DATA_DIR = ROOT / "mdmjax" / "calibrate" / "data"


def init_params(key, n: int, nodes: int, width: int, depth: int, heads: int, hidden: int):
    """Random float32 parameters of :func:`mdmjax.calibrate._walk_mdm.apply_walk_mdm`."""
    keys = iter(jax.random.split(key, 3 + 4 * depth))

    def normal(shape, std):
        return (std * jax.random.normal(next(keys), shape, dtype=jnp.float32)).astype(jnp.float32)

    zeros = lambda m: jnp.zeros((m,), dtype=jnp.float32)
    ones = lambda m: jnp.ones((m,), dtype=jnp.float32)
    res = 1.0 / np.sqrt(2 * depth)
    blocks = [
        {
            "ln1_g": ones(width),
            "ln1_b": zeros(width),
            "wqkv": normal((width, 3 * width), 1.0 / np.sqrt(width)),
            "wo": normal((width, width), res / np.sqrt(width)),
            "ln2_g": ones(width),
            "ln2_b": zeros(width),
            "w1": normal((width, hidden), 1.0 / np.sqrt(width)),
            "b1": zeros(hidden),
            "w2": normal((hidden, width), res / np.sqrt(hidden)),
            "b2": zeros(width),
        }
        for _ in range(depth)
    ]
    return {
        "embed": normal((nodes + 1, width), 1.0),
        "pos": normal((n, width), 0.1),
        "heads": zeros(heads),  # carries the head count in the weights file (shape only)
        "blocks": blocks,
        "out_ln_g": ones(width),
        "out_ln_b": zeros(width),
        "out_w": normal((width, nodes), 0.1 / np.sqrt(width)),
        "out_b": zeros(nodes),
    }


def n_params(params) -> int:
    return sum(int(np.size(a)) for k, a in _leaves(params))


def _leaves(params):
    return [(k, v) for k, v in wordm.flatten_params(params).items() if k != "heads"]


def make_batch(key, neighbours, n: int, batch: int):
    """Exact walks, levels ``m ~ U{0..n-1}`` and uniform revealed sets of size ``m``."""
    k_walk, k_level, k_order = jax.random.split(key, 3)
    nodes, degree = neighbours.shape
    start = jax.random.randint(k_walk, (batch,), 0, nodes)
    choices = jax.random.randint(jax.random.fold_in(k_walk, 1), (n - 1, batch), 0, degree)

    def step(x, c):
        nxt = neighbours[x, c]
        return nxt, nxt

    _, rest = jax.lax.scan(step, start, choices)
    x = jnp.concatenate([start[:, None], rest.T], axis=1)
    m = jax.random.randint(k_level, (batch,), 0, n)
    rank = jnp.argsort(jnp.argsort(jax.random.uniform(k_order, (batch, n)), axis=1), axis=1)
    revealed = rank < m[:, None]
    return x, jnp.where(revealed, x, nodes), ~revealed


def mdm_loss(params, x, y, masked):
    """Mean over examples of the mean cross-entropy of the masked nodes."""
    lp = wm.apply_walk_mdm(params, y)
    nll = -jnp.take_along_axis(lp, x[:, :, None], axis=2)[:, :, 0]
    count = jnp.sum(masked, axis=1).astype(nll.dtype)
    per_example = jnp.sum(jnp.where(masked, nll, jnp.zeros((), nll.dtype)), axis=1) / count
    return jnp.mean(per_example)


def evaluate(params, law, levels, rows: int, seed: int):
    """``CE(m)`` of the model on fresh exact rows (one random revealed set per row and level)."""
    fn = jax.jit(lambda yy: wm.apply_walk_mdm(params, yy))
    x = law.sample(jax.random.key(seed + 1), rows)
    rng = np.random.default_rng(seed)
    ce = []
    for m in levels:
        rank = np.argsort(rng.random((rows, law.n)), axis=1).argsort(axis=1)
        y = np.where(rank < m, x, law.nodes)
        lp = np.asarray(fn(jnp.asarray(y)))
        nll = -np.take_along_axis(lp, x[:, :, None], axis=2)[:, :, 0]
        ce.append(float(np.mean(np.sum(np.where(rank >= m, nll, 0), 1) / (law.n - m))))
    return np.asarray(ce)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a few steps, written to a temp folder")
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--minutes", type=float, default=40.0, help="stop early past this wall time")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--depth", type=int, default=2)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--hidden", type=int, default=96)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    if args.quick:
        args.steps, args.log_every, args.warmup = 20, 10, 5
        args.out = args.out or Path(tempfile.mkdtemp(prefix="walk_mdm_"))
    out_dir = args.out or DATA_DIR
    out_dir.mkdir(parents=True, exist_ok=True)

    law = mdm.calibrate.walk_law()
    neighbours = jnp.asarray(law.neighbours)
    key = jax.random.key(args.seed)
    k_init, k_data = jax.random.split(key)
    params = init_params(k_init, law.n, law.nodes, args.width, args.depth, args.heads, args.hidden)
    schedule = optax.warmup_cosine_decay_schedule(
        0.0, args.lr, args.warmup, args.steps, end_value=args.lr * 0.05
    )
    opt = optax.chain(optax.clip_by_global_norm(1.0), optax.adamw(schedule, weight_decay=1e-4))
    state = opt.init(params)
    print(
        f"walk MDM: n = {law.n}, G = {law.nodes}, degree = {law.degree}, "
        f"{n_params(params)} parameters, batch {args.batch}, up to {args.steps} steps",
        flush=True,
    )

    @jax.jit
    def run_chunk(params, state, keys):
        def step(carry, k):
            params, state = carry
            x, y, masked = make_batch(k, neighbours, law.n, args.batch)
            loss, grads = jax.value_and_grad(mdm_loss)(params, x, y, masked)
            updates, state = opt.update(grads, state, params)
            return (optax.apply_updates(params, updates), state), loss

        (params, state), losses = jax.lax.scan(step, (params, state), keys)
        return params, state, jnp.mean(losses)

    g_mean = float(np.mean(law.curve.g))
    t0, done, log = time.perf_counter(), 0, []
    while done < args.steps:
        count = min(args.log_every, args.steps - done)
        keys = jax.random.split(jax.random.fold_in(k_data, done), count)
        params, state, loss = run_chunk(params, state, keys)
        done += count
        elapsed = time.perf_counter() - t0
        log.append((done, float(loss), elapsed))
        print(
            f"  step {done:6d}  loss {float(loss):.4f}  (exact optimum {g_mean:.4f})  "
            f"{elapsed:6.0f} s",
            flush=True,
        )
        if elapsed > 60 * args.minutes:
            print(f"  stopping at the {args.minutes} min wall-time limit", flush=True)
            break
    seconds = time.perf_counter() - t0

    path = out_dir / wm.WALK_WEIGHTS
    wordm.save_params(params, path)
    levels = [0, 1, 2, 4, 8, 16, 32, 64, 96, 120, 127]
    rows = 64 if args.quick else 1000
    ce = evaluate(params, law, levels, rows, args.seed)
    g = np.asarray(law.curve.g)[levels]
    print(
        f"\nwrote {path} ({path.stat().st_size / 1e6:.2f} MB), "
        f"trained {done} steps in {seconds:.0f} s"
    )
    print("   m     CE(m)      g(m)    CE - g   (fresh rows, one revealed set per row)")
    for m, c, gg in zip(levels, ce, g, strict=True):
        print(f"  {m:3d}  {c:8.4f}  {gg:8.4f}  {c - gg:8.4f}")
    summary = {
        "steps": done,
        "seconds": seconds,
        "params": n_params(params),
        "log": log,
        "levels": levels,
        "ce": ce.tolist(),
        "g": g.tolist(),
        "args": vars(args) | {"out": str(out_dir)},
    }
    log_dir = out_dir if args.quick else ROOT / "results" / "e10"
    log_dir.mkdir(parents=True, exist_ok=True)
    (log_dir / "walk_mdm_training.json").write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
