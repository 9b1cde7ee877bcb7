"""Train the transformer masked-diffusion model of 4×4 Sudoku grids that mdmjax ships.

    python experiments/train_sudoku_mdm.py          # full: mdmjax/calibrate/data/sudoku_mdm.npz
    python experiments/train_sudoku_mdm.py --quick  # a few steps, to a temporary folder (CI)

The law: uniform on the 288 valid 4×4 grids (:func:`mdmjax.families.sudoku_grids`, ``n = 16``,
``V = 4``); every training row is a uniform draw from them. The network: the bidirectional
transformer of ``mdmjax/calibrate/_walk_mdm.py`` (the same ``apply``; its own sizes, plain JAX +
optax), with the parameter initialisation of ``train_walk_mdm.py``.

Loss: the MDLM/MD4 objective with uniform levels. Each example draws a grid ``x``, a level
``m`` uniform on ``0..15``, a uniformly random revealed set ``S`` with ``|S| = m``, and scores the
mean cross-entropy of the masked cells given ``x_S``; its expectation is ``mean_m CE(m)``,
minimised by the exact conditionals at ``mean_m g(m) = ln(288) / 16``.

Seeded (``--seed``), logs its loss, and prints at the end the model's ``CE(m)`` at every level
against the exact ``g(m)`` of the uniform law on the 288 grids (subset entropies by counting).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
for p in (ROOT, HERE):  # run from a checkout without installing mdmjax
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
from train_walk_mdm import init_params, mdm_loss, n_params  # noqa: E402

import mdmjax as mdm  # noqa: E402
from mdmjax.calibrate import _sudoku_mdm as sm  # noqa: E402
from mdmjax.calibrate import _walk_mdm as wm  # noqa: E402
from mdmjax.calibrate import _word_mdm as wordm  # noqa: E402

DATA_DIR = ROOT / "mdmjax" / "calibrate" / "data"
N, V = 16, 4


def exact_level_entropies(grids: np.ndarray) -> np.ndarray:
    """``g(m)``, ``m = 0..n-1``, of the uniform law on ``grids``: mean of ``H(X_i | X_S)``.

    ``H(X_S)`` for all ``2^n`` subsets by counting the distinct patterns of ``x_S``; then
    ``g(m) = mean over |S| = m, i not in S of H(X_{S+i}) - H(X_S)``.
    """
    r, n = grids.shape
    codes = grids.astype(np.int64)
    h = np.zeros(2**n)
    for s in range(1, 2**n):
        cols = [i for i in range(n) if (s >> i) & 1]
        key = codes[:, cols] @ (V ** np.arange(len(cols), dtype=np.int64))
        _, counts = np.unique(key, return_counts=True)
        pr = counts / r
        h[s] = -np.sum(pr * np.log(pr))
    size = np.array([bin(s).count("1") for s in range(2**n)])
    g = np.zeros(n)
    for m in range(n):
        total, count = 0.0, 0
        for s in np.flatnonzero(size == m):
            for i in range(n):
                if not (s >> i) & 1:
                    total += h[s | (1 << i)] - h[s]
                    count += 1
        g[m] = total / count
    return g


def make_batch(key, grids: jax.Array, batch: int):
    """Uniform grids, levels ``m ~ U{0..n-1}`` and uniform revealed sets of size ``m``."""
    k_row, k_level, k_order = jax.random.split(key, 3)
    x = grids[jax.random.randint(k_row, (batch,), 0, grids.shape[0])]
    m = jax.random.randint(k_level, (batch,), 0, N)
    rank = jnp.argsort(jnp.argsort(jax.random.uniform(k_order, (batch, N)), axis=1), axis=1)
    revealed = rank < m[:, None]
    return x, jnp.where(revealed, x, V), ~revealed


def evaluate(params, grids: np.ndarray, subsets: int, seed: int):
    """``CE(m)`` per level on all 288 grids, ``subsets`` random revealed sets per grid and level.

    Returns the mean and its standard error (over the ``subsets * 288`` rows) per level.
    """
    fn = jax.jit(lambda yy: wm.apply_walk_mdm(params, yy))
    rng = np.random.default_rng(seed)
    x = np.repeat(grids, subsets, axis=0)
    ce, se = [], []
    for m in range(N):
        rank = np.argsort(rng.random(x.shape), axis=1).argsort(axis=1)
        y = np.where(rank < m, x, V)
        lp = np.asarray(fn(jnp.asarray(y)), dtype=np.float64)
        nll = -np.take_along_axis(lp, x[:, :, None], axis=2)[:, :, 0]
        per_row = np.sum(np.where(rank >= m, nll, 0.0), axis=1) / (N - m)
        ce.append(float(per_row.mean()))
        se.append(float(per_row.std(ddof=1) / math.sqrt(per_row.size)))
    return np.asarray(ce), np.asarray(se)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a few steps, written to a temp folder")
    ap.add_argument("--steps", type=int, default=3200)
    ap.add_argument("--minutes", type=float, default=15.0, help="stop early past this wall time")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--log-every", type=int, default=250)
    ap.add_argument("--eval-subsets", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    if args.quick:
        args.steps, args.log_every, args.warmup, args.eval_subsets = 20, 10, 5, 2
        args.out = args.out or Path(tempfile.mkdtemp(prefix="sudoku_mdm_"))
    out_dir = args.out or DATA_DIR
    out_dir.mkdir(parents=True, exist_ok=True)

    grids_np = mdm.families.sudoku_grids()
    grids = jnp.asarray(grids_np, dtype=jnp.int32)
    key = jax.random.key(args.seed)
    k_init, k_data = jax.random.split(key)
    params = init_params(k_init, N, V, args.width, args.depth, args.heads, args.hidden)
    schedule = optax.warmup_cosine_decay_schedule(
        0.0, args.lr, args.warmup, args.steps, end_value=args.lr * 0.02
    )
    opt = optax.chain(optax.clip_by_global_norm(1.0), optax.adamw(schedule, weight_decay=1e-4))
    state = opt.init(params)
    g_mean = math.log(288) / N
    print(
        f"sudoku MDM: n = {N}, V = {V}, 288 grids, {n_params(params)} parameters, "
        f"batch {args.batch}, up to {args.steps} steps (exact optimum {g_mean:.4f})",
        flush=True,
    )

    @jax.jit
    def run_chunk(params, state, keys):
        def step(carry, k):
            params, state = carry
            x, y, masked = make_batch(k, grids, args.batch)
            loss, grads = jax.value_and_grad(mdm_loss)(params, x, y, masked)
            updates, state = opt.update(grads, state, params)
            return (optax.apply_updates(params, updates), state), loss

        (params, state), losses = jax.lax.scan(step, (params, state), keys)
        return params, state, jnp.mean(losses)

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

    path = out_dir / sm.SUDOKU_WEIGHTS
    wordm.save_params(params, path)
    ce, se = evaluate(params, grids_np, args.eval_subsets, args.seed)
    g = exact_level_entropies(grids_np)
    print(
        f"\nwrote {path} ({path.stat().st_size / 1e3:.0f} kB), trained {done} steps in "
        f"{seconds:.0f} s (contended 2-core CPU)"
    )
    print(f"   m     CE(m)     ± se       g(m)    CE - g   (288 grids x {args.eval_subsets} sets)")
    for m in range(N):
        print(f"  {m:3d}  {ce[m]:8.4f}  {se[m]:7.4f}  {g[m]:8.4f}  {ce[m] - g[m]:8.4f}")
    print(
        f"  sum_m CE(m) = {ce.sum():.4f} nats (NLL bound); sum_m g(m) = H = {g.sum():.4f} "
        f"= ln 288 = {math.log(288):.4f}; one-token-per-step KL = {ce.sum() - g.sum():.4f}"
    )
    summary = {
        "steps": done,
        "seconds": seconds,
        "params": n_params(params),
        "log": log,
        "levels": list(range(N)),
        "ce": ce.tolist(),
        "ce_stderr": se.tolist(),
        "g": g.tolist(),
        "nll_bound": float(ce.sum()),
        "entropy": float(g.sum()),
        "args": vars(args) | {"out": str(out_dir)},
    }
    log_dir = out_dir if args.quick else ROOT / "results" / "e12"
    log_dir.mkdir(parents=True, exist_ok=True)
    (log_dir / "sudoku_mdm_training.json").write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
