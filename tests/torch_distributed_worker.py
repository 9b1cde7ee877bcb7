"""One rank of a ``torchrun`` launch of mdmjax (for tests/test_distributed.py).

Launched as ``python -m torch.distributed.run --nproc-per-node 2 tests/torch_distributed_worker.py
--out DIR`` (each rank joins a gloo process group) or as a plain ``python`` process (one process,
no group: the reference). Each rank computes :func:`compute` and writes ``DIR/rank<r>.npz``; with
``--bad`` it instead checks that processes given different arguments, and more processes than
rows, are errors on every rank (never a hang).
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

V, N, ROWS = 3, 6, 23


def torch_module():
    """A tiny masked LM (embedding, context mean, linear): its logits depend on every token."""
    import torch

    torch.manual_seed(0)

    class Tiny(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = torch.nn.Embedding(V + 1, 8)
            self.pos = torch.nn.Parameter(torch.randn(N, 8))
            self.out = torch.nn.Linear(16, V + 1)

        def forward(self, ids):
            h = self.emb(ids) + self.pos
            ctx = h.mean(dim=1, keepdim=True).expand_as(h)
            return self.out(torch.cat([h, ctx], dim=-1))

    return Tiny().eval()


def compute(checkpoint: str | None = None) -> dict[str, np.ndarray]:
    """``model_curve`` of a ``from_torch`` model, ``sample`` of a host model running the same
    module (probabilities) and of a JAX law, and ``sampler_kl`` of both: per-row results."""
    import jax
    import torch

    import mdmjax as mdm

    module = torch_module()
    scored = mdm.models.from_torch(module, vocab_size=V, mask_token_id=V, name="tiny")

    def probs(y):
        with torch.no_grad():
            logits = module(torch.as_tensor(np.asarray(y), dtype=torch.long))[..., :V]
            return torch.softmax(logits.double(), dim=-1).numpy()

    host = mdm.models.from_callable(
        probs, num_values=V, output="probs", traceable=False, n=N, name="tiny-probs"
    )
    law = mdm.families.noisy_repetition(N, 0.15)
    rows = np.asarray(jax.random.randint(jax.random.key(2), (ROWS, N), 0, V))
    out = {}
    ck = (lambda name: None) if checkpoint is None else (lambda name: f"{checkpoint}.{name}")
    mc = mdm.model_curve(scored, rows, key=4, masks_per_row=2, batch_size=8, checkpoint=ck("mc"))
    out["mc_ce"], out["mc_ent"] = mc.row_cross_entropy, mc.row_entropy
    mc = mdm.model_curve(
        mdm.models.from_distribution(law),
        np.asarray(law.sample(jax.random.key(3), ROWS)),
        key=5,
        batch_size=6,
    )
    out["law_ce"], out["law_ent"] = mc.row_cross_entropy, mc.row_entropy
    x, lp = mdm.sample(
        host,
        (2, 1, 3),
        key=6,
        num_samples=ROWS,
        batch_size=4,
        return_log_prob=True,
        checkpoint=ck("sample"),
    )
    out["host_x"], out["host_lp"] = x, lp
    x, lp = mdm.sample(law, (3, 3), key=7, num_samples=ROWS, batch_size=5, return_log_prob=True)
    out["law_x"], out["law_lp"] = x, lp
    held_out = np.asarray(law.sample(jax.random.key(8), ROWS))
    r = mdm.calibrate.sampler_kl(
        host, mdm.policies.confidence((2, 1, 3)), held_out, batch_size=4, checkpoint=ck("skl")
    )
    out["skl_policy"] = r.log_likelihood
    r = mdm.calibrate.sampler_kl(law, (3, 3), held_out, particles=4, key=9, batch_size=5)
    out["skl_random"] = r.log_likelihood
    return out


def bad_arguments(rank: int) -> list[str]:
    """The errors of two runs every rank must refuse: different arguments, too few rows."""
    import jax

    import mdmjax as mdm

    law = mdm.families.noisy_repetition(N, 0.15)
    model = mdm.models.from_distribution(law)
    rows = np.asarray(law.sample(jax.random.key(3), 8))
    errors = []
    try:  # rank 1 has other levels
        mdm.model_curve(model, rows, key=0, levels=[0, 1 + rank])
    except ValueError as err:
        errors.append(str(err))
    try:  # two processes, one sample
        mdm.sample(model, (3, 3), key=0, num_samples=1)
    except ValueError as err:
        errors.append(str(err))
    return errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--bad", action="store_true")
    parser.add_argument("--checkpoint")
    args = parser.parse_args(argv)
    import torch
    import torch.distributed as dist

    torch.set_num_threads(1)
    rank = 0
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        dist.init_process_group("gloo", timeout=__import__("datetime").timedelta(seconds=120))
        rank = dist.get_rank()
    try:
        if args.bad:
            errors = bad_arguments(rank)
            with open(os.path.join(args.out, f"rank{rank}.txt"), "w") as f:
                f.write("\n".join(errors))
        else:
            np.savez(os.path.join(args.out, f"rank{rank}.npz"), **compute(args.checkpoint))
        print(f"TORCH-WORKER-OK rank {rank}", flush=True)
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
