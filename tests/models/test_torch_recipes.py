"""The recipes of docs/calibrate.md, run against stand-in modules with the upstream call signatures
and compared with transcriptions of the upstream scoring code (slow job: real torch)."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pytest

import mdmjax as mdm
from tests.models.test_torch import F32, _require

DOC = Path(__file__).resolve().parents[2] / "docs" / "calibrate.md"
N, V = 4, 3


def _recipes() -> dict[str, str]:
    blocks = re.findall(r"```python\n(# recipe: (\w+)\n.*?)```", DOC.read_text(), flags=re.S)
    return {name: code for code, name in blocks}


def test_docs_have_the_three_recipes_and_nothing_untested():
    assert set(_recipes()) == {"llada", "dream", "mdlm"}
    assert "untested" not in DOC.read_text().lower()


def _run(name: str) -> dict:
    namespace: dict = {}
    exec(compile(_recipes()[name], f"docs/calibrate.md:{name}", "exec"), namespace)
    return namespace


class _Tokenizer:
    def __init__(self, size, mask_token_id=None):
        self.size, self.mask_token_id, self.vocab_size = size, mask_token_id, size

    def __len__(self):
        return self.size


def _rows():
    return np.stack(np.unravel_index(np.arange(V**N), (V,) * N), axis=1)


def _weights():
    return np.random.default_rng(5).dirichlet(np.ones(V**N))


def _enumerate(score_fn, rows, w, gen, mask_id):
    """CE(m) over the generated positions ``gen``, every revealed set, from ``score_fn(ids)``."""
    ce = np.zeros(len(gen))
    for m in range(len(gen)):
        subsets = list(itertools.combinations(gen, m))
        for s in subsets:
            hidden = [i for i in gen if i not in s]
            ids = rows.copy()
            ids[:, hidden] = mask_id
            lp = score_fn(ids)  # (R, n, V) float64 log-probabilities over the real tokens
            lpx = np.take_along_axis(lp, rows[..., None], -1)[..., 0]
            ce[m] += -(w[:, None] * lpx[:, hidden]).sum() / len(hidden) / len(subsets)
    return ce


@pytest.mark.slow
def test_llada_recipe():
    torch = _require("torch")
    mask_id, emb_rows = 126336, 126464  # LLaDA's mask id; its padded embedding

    class Out:
        def __init__(self, logits):
            self.logits = logits

    class StandIn(torch.nn.Module):  # model(x).logits, bf16 weights like the upstream load
        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.emb = torch.nn.Embedding(emb_rows, 8)
            self.mix = torch.nn.Linear(8 * N, 8 * N)
            self.out = torch.nn.Linear(8, 40)  # logits over the first 40 ids; data uses 0..2

        def get_input_embeddings(self):
            return self.emb

        def forward(self, x):
            h = self.emb(x).flatten(1)
            h = torch.tanh(self.mix(h)).view(x.shape[0], N, 8)
            return Out(self.out(h))

    net = StandIn().to(torch.bfloat16).eval()
    model = _run("llada")["llada_model"](net, _Tokenizer(V), batch_size=16)
    rows, w = _rows(), _weights()
    mc = mdm.model_curve(model, rows, weights=w, masks="all", batch_size=32)

    def upstream(ids):  # generate.py: logits = model(x).logits; softmax in float64
        with torch.no_grad():
            logits = net(torch.as_tensor(ids)).logits
        return torch.log_softmax(logits[..., :V].to(torch.float64), -1).numpy()

    np.testing.assert_allclose(
        mc.cross_entropy, _enumerate(upstream, rows, w, list(range(N)), mask_id), atol=F32
    )


@pytest.mark.slow
def test_dream_recipe():
    torch = _require("torch")
    mask_id = 7

    class Out:
        def __init__(self, logits):
            self.logits = logits

    class StandIn(torch.nn.Module):  # a causal backbone: the output at i sees ids[:, :i+1]
        def __init__(self):
            super().__init__()
            torch.manual_seed(1)
            self.emb = torch.nn.Embedding(9, 6)
            self.out = torch.nn.Linear(6, 9)

        def forward(self, x):
            return Out(self.out(torch.tanh(self.emb(x).cumsum(1))))

    net = StandIn().eval()
    ns = _run("dream")
    model = ns["dream_model"](net, _Tokenizer(V, mask_token_id=mask_id))
    rows, w = _rows(), _weights()
    mc = ns["dream_curve"](model, rows, weights=w, masks="all")

    def upstream(ids):  # eval.py get_logits: model(input).logits, then shifted right by one
        with torch.no_grad():
            logits = net(torch.as_tensor(ids)).logits
            logits = torch.cat([logits[:, :1], logits[:, :-1]], dim=1)
        return torch.log_softmax(logits[..., :V].float(), -1).double().numpy()

    np.testing.assert_allclose(
        mc.cross_entropy, _enumerate(upstream, rows, w, [1, 2, 3], mask_id), atol=F32
    )


@pytest.mark.slow
def test_mdlm_recipe():
    torch = _require("torch")
    seen_sigma = []

    class Backbone(torch.nn.Module):  # DIT's call signature: backbone(indices, sigma)
        def __init__(self):
            super().__init__()
            torch.manual_seed(2)
            self.emb = torch.nn.Embedding(V + 1, 6)  # vocab_size + 1: the mask index
            self.mix = torch.nn.Linear(6 * N, 6 * N)
            self.out = torch.nn.Linear(6, V + 1)

        def forward(self, indices, sigma):
            seen_sigma.append(sigma)
            h = torch.tanh(self.mix(self.emb(indices).flatten(1))).view(-1, N, 6)
            return self.out(h)

    backbone = Backbone().eval()
    model = _run("mdlm")["mdlm_model"](backbone, _Tokenizer(V))
    rows, w = _rows(), _weights()
    mc = mdm.model_curve(model, rows, weights=w, masks="all")
    assert seen_sigma and all(s.ndim == 1 and not s.any() for s in seen_sigma)

    def upstream(ids):  # diffusion.py: forward -> _subs_parameterization (mask column -1e6)
        x = torch.as_tensor(ids)
        with torch.no_grad():
            logits = backbone(x, torch.zeros(x.shape[0])).double()
            logits[:, :, V] += -1000000.0
            logits = logits - torch.logsumexp(logits, dim=-1, keepdim=True)
        return logits[..., :V].numpy()

    np.testing.assert_allclose(
        mc.cross_entropy, _enumerate(upstream, rows, w, list(range(N)), V), atol=F32
    )
