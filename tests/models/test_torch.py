"""``mdm.models.from_torch`` against the same torch modules called directly (slow job: real torch
and transformers, CPU build).

The torch cases are marked slow: the default job does not install torch. They never skip
silently: without torch they skip, and with ``MDMJAX_REQUIRE_TORCH=1`` (set by .ci/run's slow job)
they fail. Only the non-default-device case skips, by name, where no such device exists.
"""

from __future__ import annotations

import importlib
import itertools
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import mdmjax as mdm
from mdmjax.cli import main

# float32 logits: log-softmax values carry ~1e-7 relative error, summed over <= 4 positions.
F32 = 2e-6
# bf16 weights: the same module called directly, upcast the same way; only summation order differs.
BF16 = 1e-4


def _require(name: str):
    try:
        return importlib.import_module(name)
    except ImportError:
        if os.environ.get("MDMJAX_REQUIRE_TORCH") == "1":
            raise
        pytest.skip(f"{name} is not installed (the slow CI job installs mdmjax[torch])")


@pytest.fixture(scope="module")
def torch():
    return _require("torch")


@pytest.fixture(scope="module")
def bert(torch):
    transformers = _require("transformers")
    torch.manual_seed(0)
    cfg = transformers.BertConfig(
        vocab_size=11,
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=8,
        hidden_dropout_prob=0.3,  # dropout must be off in eval mode
        attention_probs_dropout_prob=0.3,
    )
    return transformers.BertForMaskedLM(cfg)


N, V, MASK = 4, 3, 9


def _law(seed=0):
    p = np.random.default_rng(seed).dirichlet(np.ones(V**N)).reshape((V,) * N)
    d = mdm.Distribution.from_probs(p)
    rows = np.stack(np.unravel_index(np.arange(V**N), (V,) * N), axis=1)
    return d, rows, p.ravel()


def _direct_log_probs(torch, module, ids, *, shift=False):
    """The oracle: the module called directly, float32 log-softmax over the first V logits."""
    with torch.no_grad():
        out = module(torch.as_tensor(ids))
        logits = getattr(out, "logits", out)
        if shift:
            logits = torch.cat([logits[:, :1], logits[:, :-1]], 1)
        return torch.log_softmax(logits[..., :V].float(), -1).double().numpy()


def _enumerated_ce(torch, module, rows, w, *, shift=False, prompt=()):
    """CE(m) by enumeration: every row, every revealed set S of the generated positions."""
    gen = [i for i in range(N) if i not in prompt]
    ce = np.zeros(len(gen))
    for m in range(len(gen)):
        subsets = list(itertools.combinations(gen, m))
        for s in subsets:
            masked = [i for i in gen if i not in s]
            ids = rows.copy()
            ids[:, masked] = MASK
            lp = _direct_log_probs(torch, module, ids, shift=shift)
            lpx = np.take_along_axis(lp, rows[..., None], -1)[..., 0]
            ce[m] += -(w[:, None] * lpx[:, masked]).sum() / len(masked) / len(subsets)
    return ce


@pytest.mark.slow
def test_bert_curve_equals_enumeration_of_its_conditionals(torch, bert):
    d, rows, w = _law()
    bert.train()  # from_torch must evaluate in eval mode and give the mode back
    model = mdm.models.from_torch(bert, vocab_size=V, mask_token_id=MASK)
    mc = mdm.model_curve(model, rows, weights=w, masks="all")
    assert bert.training
    bert.eval()
    want = _enumerated_ce(torch, bert, rows, w)
    np.testing.assert_allclose(mc.cross_entropy, want, rtol=0, atol=F32)
    assert mc.cross_entropy.dtype == np.float64
    # the identity of §8.2 against enumeration of ordered partitions
    h = d.entropy()
    for sizes in [(1, 1, 1, 1), (2, 2), (1, 3), (4,), (3, 1)]:
        got = mc.expected_kl(sizes, entropy_of_data=h)
        ref = mdm.kl.model_expected_kl(d, model, sizes)
        assert abs(got - ref) < F32 * N, (sizes, got, ref)
    # the mixture KL takes the model unchanged (a finite number at least the data-processing 0)
    assert mdm.kl.model_mixture_kl(d, model, (2, 2)) >= 0


@pytest.mark.slow
def test_whole_log_probs_and_conditionals(torch, bert):
    bert.eval()
    model = mdm.models.from_torch(bert, vocab_size=V, mask_token_id=MASK)
    y = np.array([[0, 3, 2, 3], [3, 3, 3, 3]])  # 3 = V: masked
    ids = np.where(y == V, MASK, y)
    np.testing.assert_allclose(
        model.log_probs(y), _direct_log_probs(torch, bert, ids), rtol=0, atol=F32
    )
    probs = np.asarray(model.conditionals(y))
    np.testing.assert_allclose(probs.sum(-1)[y == V], 1.0, atol=F32)
    assert np.all(probs[y != V] == 0)
    lpx, ent = model.score(y, np.array([[0, 1, 2, 0], [1, 1, 1, 1]]))
    p = np.exp(model.log_probs(y))
    np.testing.assert_allclose(ent, -(p * np.log(p)).sum(-1), rtol=0, atol=F32)


@pytest.mark.slow
def test_shifted_logits_against_the_unshifted_module(torch):
    nn = torch.nn
    torch.manual_seed(1)

    class Causal(nn.Module):
        """out[:, i] sees ids[:, :i+1] (an autoregressive backbone predicting position i+1)."""

        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(12, 6)
            self.head = nn.Linear(6, 5)

        def forward(self, ids):
            return self.head(torch.tanh(self.emb(ids).cumsum(1)))

    class Unshifted(nn.Module):
        """out[:, i] sees ids[:, :i] directly (position 0: anything)."""

        def __init__(self, causal):
            super().__init__()
            self.causal = causal

        def forward(self, ids):
            h = torch.tanh(self.causal.emb(ids).cumsum(1))
            prev = torch.cat([torch.zeros_like(h[:, :1]), h[:, :-1]], 1)
            return self.causal.head(prev)

    causal = Causal()
    d, rows, w = _law(1)
    prompt = np.array([True, False, False, False])
    shifted = mdm.models.from_torch(causal, vocab_size=V, mask_token_id=MASK, shift_logits=True)
    plain = mdm.models.from_torch(Unshifted(causal), vocab_size=V, mask_token_id=MASK)
    a = mdm.model_curve(shifted, rows, weights=w, masks="all", always_revealed=prompt)
    b = mdm.model_curve(plain, rows, weights=w, masks="all", always_revealed=prompt)
    np.testing.assert_allclose(a.cross_entropy, b.cross_entropy, rtol=0, atol=F32)
    want = _enumerated_ce(torch, causal, rows, w, shift=True, prompt=(0,))
    np.testing.assert_allclose(a.cross_entropy, want, rtol=0, atol=F32)
    # without the shift the module scores position i from ids[:, :i+1]: a different curve
    unshifted = mdm.models.from_torch(causal, vocab_size=V, mask_token_id=MASK)
    c = mdm.model_curve(unshifted, rows, weights=w, masks="all", always_revealed=prompt)
    assert np.abs(c.cross_entropy - a.cross_entropy).max() > 1e-3


@pytest.mark.slow
def test_bfloat16_weights(torch, bert):
    import copy

    half = copy.deepcopy(bert).to(torch.bfloat16).eval()
    d, rows, w = _law(2)
    model = mdm.models.from_torch(half, vocab_size=V, mask_token_id=MASK)
    mc = mdm.model_curve(model, rows, weights=w, masks="all")
    want = _enumerated_ce(torch, half, rows, w)
    np.testing.assert_allclose(mc.cross_entropy, want, rtol=0, atol=BF16)
    assert mc.cross_entropy.dtype == np.float64 and np.all(np.isfinite(mc.cross_entropy))


def _other_device(torch):
    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return None


@pytest.mark.slow
def test_module_on_a_non_default_device(torch, bert):
    dev = _other_device(torch)
    if dev is None:
        pytest.skip("no CUDA or MPS device here: the non-default-device case needs one")
    import copy

    d, rows, w = _law(3)
    bert.eval()
    on_cpu = mdm.models.from_torch(bert, vocab_size=V, mask_token_id=MASK)
    moved = copy.deepcopy(bert).to(dev)
    on_dev = mdm.models.from_torch(moved, vocab_size=V, mask_token_id=MASK)
    a = mdm.model_curve(on_cpu, rows, weights=w, masks="all")
    b = mdm.model_curve(on_dev, rows, weights=w, masks="all")
    np.testing.assert_allclose(a.cross_entropy, b.cross_entropy, rtol=0, atol=1e-4)


@pytest.mark.slow
def test_bad_modules_raise_naming_the_argument(torch, bert):
    nn = torch.nn
    rows = np.array([[0, 1, 2, 0], [2, 1, 0, 1]])

    class Flat(nn.Module):
        def forward(self, ids):
            return torch.zeros(ids.shape[0], 5)

    class Nan(nn.Module):
        def forward(self, ids):
            return torch.full((*ids.shape, 5), float("nan"))

    class Small(nn.Module):
        def forward(self, ids):
            return torch.zeros(*ids.shape, 2)

    class NoHelper(nn.Module):  # an embedding but no get_input_embeddings: found on the first call
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(5, 4)

        def forward(self, ids):
            return self.emb(ids)

    cases = [
        (Flat(), {}, "module: returned logits of shape"),
        (Nan(), {}, "module: returned NaN logits"),
        (Small(), {}, "vocab_size: 3 is larger than the module's logits"),
        (NoHelper(), {"mask_token_id": 7}, "mask_token_id: the module failed"),
    ]
    for module, kw, msg in cases:
        model = mdm.models.from_torch(module, vocab_size=V, **{"mask_token_id": MASK, **kw})
        with pytest.raises(ValueError, match=msg.replace("(", r"\(")):
            mdm.model_curve(model, rows, masks="all")
    with pytest.raises(ValueError, match="mask_token_id: 11 is outside"):
        mdm.models.from_torch(bert, vocab_size=V, mask_token_id=11)
    with pytest.raises(ValueError, match="vocab_size: 12 is larger"):
        mdm.models.from_torch(bert, vocab_size=12, mask_token_id=9)
    with pytest.raises(ValueError, match="^mask_token_id"):
        mdm.models.from_torch(bert, vocab_size=V, mask_token_id=-1)
    with pytest.raises(ValueError, match="^module"):
        mdm.models.from_torch(42, vocab_size=V, mask_token_id=MASK)
    with pytest.raises(ValueError, match="^data: a revealed token equals mask_token_id"):
        model = mdm.models.from_torch(bert, vocab_size=V, mask_token_id=1)
        mdm.model_curve(model, rows, masks="all")


FACTORY = textwrap.dedent(
    """
    import torch, transformers
    import mdmjax as mdm

    def make():
        torch.manual_seed(0)
        cfg = transformers.BertConfig(vocab_size=11, hidden_size=16, num_hidden_layers=1,
                                      num_attention_heads=2, intermediate_size=32,
                                      max_position_embeddings=8)
        net = transformers.BertForMaskedLM(cfg)
        return mdm.models.from_torch(net, vocab_size=3, mask_token_id=9, name="tiny-bert")
    """
)


@pytest.mark.slow
def test_cli_calibrate_with_a_torch_factory(torch, tmp_path, monkeypatch, capsys):
    _require("transformers")
    (tmp_path / "torch_factory_mod.py").write_text(FACTORY)
    monkeypatch.syspath_prepend(str(tmp_path))
    rows = np.random.default_rng(0).integers(0, V, size=(40, N))
    np.save(tmp_path / "rows.npy", rows)
    out = tmp_path / "out.json"
    rc = main(
        [
            "calibrate",
            "--model",
            "torch_factory_mod:make",
            "--data",
            str(tmp_path / "rows.npy"),
            "--json",
            str(out),
        ]
    )
    assert rc == 0
    text = capsys.readouterr().out
    assert "n = 4 generated positions, 40 rows" in text
    import json

    got = json.loads(out.read_text())
    assert len(got["curve"]["cross_entropy"]) == N
    assert np.all(np.isfinite(got["curve"]["cross_entropy"]))


# ------------------------------------------------------------------------------------------------
# The default job (no torch needed)
# ------------------------------------------------------------------------------------------------
def test_without_torch_one_line_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch raises ImportError
    with pytest.raises(ImportError, match=r"pip install 'mdmjax\[torch\]'") as err:
        mdm.models.from_torch(lambda ids: ids, vocab_size=3, mask_token_id=3)
    assert "\n" not in str(err.value)


def test_importing_mdmjax_does_not_import_torch():
    code = "import sys, mdmjax, mdmjax.cli; assert 'torch' not in sys.modules; print('ok')"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0 and "ok" in proc.stdout, proc.stderr[-2000:]
