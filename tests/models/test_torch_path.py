"""The practitioner's path with a PyTorch model, end to end (issue 27; slow job, real torch).

``from_torch`` models, a hand-written module and a Hugging Face ``BertForMaskedLM`` built from a
config (random weights, nothing downloaded), go through ``model_curve -> optimal_schedule ->
sample -> sampler_kl -> evaluate_policy`` on an enumerable law, each step checked against an
independent route: the mixture KL by the subset DP over the model's scores
(``mdm.kl.model_mixture_kl``), the identity of §8.2 against the curve, teacher forcing against
the tree walk, and the sampler's ``log ν̂_B`` against the module called directly. Then the
command line, from a module file in a temporary working folder. Like test_torch.py, these skip
without torch and fail with ``MDMJAX_REQUIRE_TORCH=1``.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import mdmjax as mdm

N, V, MASK = 4, 3, 3
F32 = 2e-6  # float32 logits: log-softmax values carry ~1e-7 relative error, summed over N
REPO = Path(mdm.__file__).resolve().parent.parent


def _require(name: str):
    try:
        return importlib.import_module(name)
    except ImportError:
        if os.environ.get("MDMJAX_REQUIRE_TORCH") == "1":
            raise
        pytest.skip(f"{name} is not installed (the slow CI job installs mdmjax[torch])")


def _law(seed=0):
    p = np.random.default_rng(seed).dirichlet(np.ones(V**N)).reshape((V,) * N)
    rows = np.stack(np.unravel_index(np.arange(V**N), (V,) * N), axis=1)
    return mdm.Distribution.from_probs(p), rows, p.ravel()


def _hand_written(torch):
    nn = torch.nn
    torch.manual_seed(0)

    class TinyMLM(nn.Module):
        """One-hot-with-mask in, (B, n, V) logits out: every position sees the whole row."""

        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(V + 1, 6)
            self.mix = nn.Linear(N * 6, 24)
            self.out = nn.Linear(24, N * V)

        def forward(self, ids):
            h = torch.tanh(self.mix(self.emb(ids).reshape(ids.shape[0], -1)))
            return self.out(h).reshape(ids.shape[0], N, V)

    return TinyMLM()


def _bert(torch):
    transformers = _require("transformers")
    torch.manual_seed(1)
    cfg = transformers.BertConfig(
        vocab_size=6,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=8,
    )
    return transformers.BertForMaskedLM(cfg).eval()


def _direct(torch, module, ids):
    """The oracle: the module itself, float64 log-softmax over the first V logits."""
    with torch.no_grad():
        out = module(torch.as_tensor(ids))
        logits = getattr(out, "logits", out)[..., :V].double()
        return torch.log_softmax(logits, -1).numpy()


def _whole_path(torch, module, mask_id, seed):
    d, rows, w = _law(seed)
    model = mdm.models.from_torch(module, vocab_size=V, mask_token_id=mask_id)  # n: open
    mc = mdm.model_curve(model, rows, weights=w, masks="all")
    h = d.entropy()
    best = mdm.optimal_schedule(mc, 2)
    sizes = tuple(best.sizes)
    # evaluate_policy takes the torch model (n from the law): its KL is the mixture KL of the
    # random-order sampler, computed independently from the model's scores by the subset DP
    ev = mdm.evaluate_policy(d, mdm.policies.random(sizes), model=model)
    ref = mdm.kl.model_mixture_kl(d, model, sizes)
    assert abs(ev.kl - ref) < 10 * F32, (ev.kl, ref)
    # ... and its expected KL is the curve's (the identity of §8.2), both exact here
    assert abs(ev.expected_kl - mc.expected_kl(sizes, entropy_of_data=h)) < 10 * F32
    # a deterministic policy on the same model: a law, and at least the data-processing 0
    conf = mdm.evaluate_policy(d, mdm.policies.confidence(sizes), model=model)
    assert abs(float(np.sum(conf.probs)) - 1.0) < 1e-12 and conf.kl >= 0
    # sampler_kl on the law (teacher forcing over its support) takes the torch model too, and
    # agrees with the tree walk's exact output law
    skl = mdm.calibrate.sampler_kl(model, mdm.policies.confidence(sizes), d)
    assert abs(skl.kl - conf.kl) < 1e-9, (skl.kl, conf.kl)
    # sample infers n = 4 from the sizes; one step from all-masked: log nu_B(x) is the sum of
    # the module's log p(x_i | all masked), called directly
    x, lp = mdm.sample(model, (N,), key=seed, num_samples=64, return_log_prob=True)
    assert x.shape == (64, N) and np.all((x >= 0) & (x < V))
    table = _direct(torch, module, np.full((1, N), mask_id))[0]
    np.testing.assert_allclose(lp, table[np.arange(N), x].sum(1), rtol=0, atol=F32)
    # the optimal schedule's sampler: its output frequencies against its exact law
    xs = mdm.sample(model, sizes, key=seed + 1, num_samples=3000)
    freq = np.bincount(np.ravel_multi_index(xs.T, (V,) * N), minlength=V**N) / len(xs)
    tv = 0.5 * np.abs(freq - np.asarray(ev.probs).ravel()).sum()
    assert tv < 0.12, tv  # E[TV] of 3000 draws over 81 outcomes is about 0.05
    return ev


@pytest.mark.slow
def test_hand_written_module_whole_path():
    torch = _require("torch")
    _whole_path(torch, _hand_written(torch), MASK, seed=0)


@pytest.mark.slow
def test_huggingface_bert_whole_path():
    torch = _require("torch")
    _whole_path(torch, _bert(torch), 5, seed=1)


@pytest.mark.slow
def test_from_torch_n_is_checked_and_used():
    torch = _require("torch")
    module = _hand_written(torch)
    model = mdm.models.from_torch(module, vocab_size=V, mask_token_id=MASK, n=N)
    assert model.n == N and model.shape == (V,) * N
    assert mdm.sample(model, mdm.policies.threshold(0.9), key=0, num_samples=3).shape == (3, N)
    with pytest.raises(ValueError, match="^data: rows have n = 3 positions, but model"):
        mdm.model_curve(model, np.zeros((4, 3), dtype=int))
    with pytest.raises(ValueError, match="^n: "):
        mdm.models.from_torch(module, vocab_size=V, mask_token_id=MASK, n=0)


TOYMLM = textwrap.dedent(
    """
    import torch, transformers
    import mdmjax as mdm

    def factory():
        torch.manual_seed(0)
        cfg = transformers.BertConfig(vocab_size=10, hidden_size=16, num_hidden_layers=1,
                                      num_attention_heads=2, intermediate_size=32,
                                      max_position_embeddings=16)
        net = transformers.BertForMaskedLM(cfg)
        return mdm.models.from_torch(net, vocab_size=6, mask_token_id=9, name="toy-bert")
    """
)

# The console script: sys.path[0] is its own folder, not the working folder.
ENTRY = "import sys\nfrom mdmjax.cli import main\nsys.exit(main())\n"


@pytest.mark.slow
def test_cli_path_from_a_module_in_the_working_folder(tmp_path):
    """mdmjax calibrate, then sample --schedule optimal, on ./toymlm.py (a real transformers
    model), run as a new user runs them: the console script, from the module's folder."""
    _require("torch")
    _require("transformers")
    work = tmp_path / "work"
    work.mkdir()
    (work / "toymlm.py").write_text(TOYMLM)
    rng = np.random.default_rng(0)
    chain = np.zeros((200, 12), dtype=np.int64)  # a 6-state Markov chain, n = 12
    chain[:, 0] = rng.integers(0, 6, 200)
    for i in range(1, 12):
        chain[:, i] = (chain[:, i - 1] + rng.integers(0, 2, 200)) % 6
    np.save(work / "rows.npy", chain)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "mdmjax_entry.py").write_text(ENTRY)
    env = {**os.environ, "PYTHONPATH": str(REPO), "MDMJAX_CACHE_DIR": "off"}

    def mdmjax(*argv):
        cmd = [sys.executable, str(bin_dir / "mdmjax_entry.py"), *argv]
        return subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=600)

    cal = mdmjax(
        "calibrate", "--model", "toymlm:factory", "--data", "rows.npy", "--json", "cal.json"
    )
    assert cal.returncode == 0, cal.stderr[-3000:]
    assert "model curve: n = 12 generated positions, 200 rows" in cal.stdout
    got = json.loads((work / "cal.json").read_text())
    assert len(got["curve"]["cross_entropy"]) == 12
    smp = mdmjax(
        "sample",
        "--model",
        "toymlm:factory",
        "--steps",
        "4",
        "--schedule",
        "optimal",
        "--curve-data",
        "rows.npy",
        "--num",
        "16",
        "--npy",
        "out.npy",
        "--quiet",
    )
    assert smp.returncode == 0, smp.stderr[-3000:]
    assert "sampled 16 rows of n = 12 (12 generated)" in smp.stdout
    assert "-> --npy out.npy" in smp.stdout
    x = np.load(work / "out.npy")
    assert x.shape == (16, 12) and x.dtype == np.int64 and np.all((x >= 0) & (x < 6))
    assert "Traceback" not in cal.stderr + smp.stderr
    # sample's sizes are the optimal schedule of the same curve (same rows, same seed)
    sizes = [int(s) for s in smp.stdout.split("sizes [")[1].split("]")[0].split(",")]
    spec = importlib.util.spec_from_file_location("toymlm_here", work / "toymlm.py")
    toymlm = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(toymlm)
    mc = mdm.model_curve(toymlm.factory(), chain, key=0)
    assert tuple(mdm.optimal_schedule(mc, 4).sizes) == tuple(sizes)
    np.testing.assert_allclose(mc.cross_entropy, got["curve"]["cross_entropy"], atol=1e-9)
