"""A PyTorch or Hugging Face masked LM as an mdmjax model (docs/theory.md §8.8).

:func:`from_torch` wraps a ``torch.nn.Module`` (or any callable on a ``LongTensor (B, n)``) whose
output is logits ``(B, n, V')`` (a tensor, an object with ``.logits`` such as a Hugging Face
``MaskedLMOutput``, or a tuple whose first item is the logits). The two conventions meet here:

* mdmjax masks position ``i`` with the value ``V = vocab_size`` (one past the last real token);
  the module sees ``mask_token_id`` there instead;
* logits past ``vocab_size`` (padded vocabularies, special tokens) are dropped before the
  softmax, so ``p̂(. | y)`` is a law over the ``V`` real tokens;
* ``shift_logits=True`` predicts position ``i`` from the output at ``i - 1``
  (``cat([logits[:, :1], logits[:, :-1]], 1)``, as Dream does: an autoregressive backbone turned
  into an MDM).

The tensor work (log-softmax, the gather of ``log p̂(x_i | y)``, the predictive entropy
``H(p̂(. | y)) = -sum_v p̂(v | y) log p̂(v | y)``) runs on the torch side, on the module's
device, in float32 at least (bfloat16 and float16 logits are upcast), under
``torch.inference_mode()`` with the module in eval mode (its previous mode is restored after
each call). Only two ``(B, n)`` arrays cross to NumPy per call; :meth:`TorchModel.log_probs`
returns the whole ``(B, n, V)`` table for code that needs the conditionals themselves.

mdmjax imports torch only inside :func:`from_torch`.
"""

from __future__ import annotations

import numpy as np

from mdmjax._src.precision import scoped_x64
from mdmjax._src.validate import as_positive_int
from mdmjax.models._function import FunctionModel

__all__ = ["TorchModel", "from_torch", "TORCH_EXTRA"]

TORCH_EXTRA = "pip install 'mdmjax[torch]'"


def _import_torch():
    try:
        import torch
    except ImportError:
        raise ImportError(
            f"module: from_torch needs PyTorch, which is not installed; run {TORCH_EXTRA} "
            "(or install the torch build for your accelerator first)"
        ) from None
    return torch


def _logits_of(out, torch):
    """The logits tensor of a module's output: a tensor, ``.logits``, or a tuple's first item."""
    if isinstance(out, torch.Tensor):
        return out
    logits = getattr(out, "logits", None)
    if isinstance(logits, torch.Tensor):
        return logits
    if isinstance(out, tuple | list) and out and isinstance(out[0], torch.Tensor):
        return out[0]
    raise ValueError(
        f"module: returned {type(out).__name__}; expected logits (B, n, V'), an object with "
        ".logits, or a tuple whose first item is the logits"
    )


def _module_device(module, torch):
    params = getattr(module, "parameters", None)
    if callable(params):
        for p in params():
            return p.device
    return torch.device("cpu")


def _embedding_size(module) -> int | None:
    get = getattr(module, "get_input_embeddings", None)
    if not callable(get):
        return None
    try:
        emb = get()
    except Exception:  # noqa: BLE001  (a model without one: checked on the first call instead)
        return None
    size = getattr(emb, "num_embeddings", None)
    return int(size) if isinstance(size, int) else None


class _TorchScorer:
    """``(y, x) -> (log p̂(x_i | y), H(p̂(. | y)))`` on the torch side (module docstring)."""

    def __init__(self, module, vocab_size, mask_token_id, shift_logits, device, batch_size):
        self.torch = _import_torch()
        self.module = module
        self.vocab_size = vocab_size
        self.mask_token_id = mask_token_id
        self.shift_logits = shift_logits
        self.device = device
        self.batch_size = batch_size
        self.checked = False
        self.__qualname__ = getattr(type(module), "__qualname__", "module")

    # -- the forward pass ----------------------------------------------------------------------
    def _ids(self, y: np.ndarray):
        torch = self.torch
        y = np.asarray(y, dtype=np.int64)
        if y.ndim != 2:
            raise ValueError(f"y: expected (B, n) token ids, got shape {y.shape}")
        revealed = y != self.vocab_size
        if self.mask_token_id < self.vocab_size and np.any(y[revealed] == self.mask_token_id):
            raise ValueError(
                f"data: a revealed token equals mask_token_id = {self.mask_token_id}; the module "
                "could not tell it from a mask"
            )
        ids = np.where(revealed, y, self.mask_token_id)
        return torch.as_tensor(ids, dtype=torch.long, device=self.device)

    def _log_probs(self, ids):
        """float32+ ``(B, n, V)`` log-probabilities of one chunk, on the module's device."""
        torch = self.torch
        first = not self.checked
        try:
            out = self.module(ids)
        except (IndexError, RuntimeError) as err:
            if first and "index" in str(err).lower():
                raise ValueError(
                    f"mask_token_id: the module failed on the first batch ({type(err).__name__}: "
                    f"{' '.join(str(err).split())[:200]}); is {self.mask_token_id} (or a token "
                    f"below vocab_size = {self.vocab_size}) outside its embedding?"
                ) from None
            raise
        logits = _logits_of(out, torch)
        b, n = ids.shape
        if logits.ndim != 3 or tuple(logits.shape[:2]) != (b, n):
            raise ValueError(
                f"module: returned logits of shape {tuple(logits.shape)}, expected (B, n, V') = "
                f"({b}, {n}, V') with V' >= vocab_size = {self.vocab_size}"
            )
        if logits.shape[2] < self.vocab_size:
            raise ValueError(
                f"vocab_size: {self.vocab_size} is larger than the module's logits "
                f"({logits.shape[2]} values per position)"
            )
        if not torch.is_floating_point(logits):
            raise ValueError(f"module: returned logits of dtype {logits.dtype}, not floating")
        logits = logits[..., : self.vocab_size]
        if logits.dtype not in (torch.float32, torch.float64):
            logits = logits.float()  # bfloat16 / float16: upcast before the softmax
        if self.shift_logits:
            logits = torch.cat([logits[:, :1], logits[:, :-1]], dim=1)
        return torch.log_softmax(logits, dim=-1)

    def _run(self, y, fn):
        """Call ``fn(log_probs, rows)`` chunk by chunk under inference mode, in eval mode."""
        torch = self.torch
        module = self.module
        was_training = getattr(module, "training", None)
        if was_training:
            module.eval()
        try:
            with torch.inference_mode():
                ids = self._ids(y)
                step = self.batch_size or ids.shape[0]
                outs = []
                for a in range(0, ids.shape[0], step):
                    lp = self._log_probs(ids[a : a + step])
                    outs.append(fn(lp, slice(a, a + step)))
                    self.checked = True
        finally:
            if was_training:
                module.train(True)
        return outs

    def __call__(self, y, x):
        torch = self.torch
        x_t = torch.as_tensor(np.asarray(x, dtype=np.int64), dtype=torch.long, device=self.device)

        def score(lp, rows):
            lpx = lp.gather(-1, x_t[rows].clamp(0, self.vocab_size - 1).unsqueeze(-1))[..., 0]
            p = lp.exp()
            ent = -torch.where(p > 0, p * lp, torch.zeros((), dtype=lp.dtype)).sum(-1)
            if bool(torch.isnan(lpx).any()) or bool(torch.isnan(ent).any()):
                raise ValueError("module: returned NaN logits")
            return lpx.double().cpu().numpy(), ent.double().cpu().numpy()

        outs = self._run(y, score)
        return np.concatenate([o[0] for o in outs]), np.concatenate([o[1] for o in outs])

    def log_probs(self, y) -> np.ndarray:
        """float64 ``(B, n, V)`` log-probabilities (the whole table crosses to NumPy)."""
        torch = self.torch

        def table(lp, rows):
            if bool(torch.isnan(lp).any()):
                raise ValueError("module: returned NaN logits")
            return lp.double().cpu().numpy()

        return np.concatenate(self._run(y, table))


class TorchModel(FunctionModel):
    """A torch module as a scored mdmjax model (built by :func:`from_torch`).

    A :class:`~mdmjax.models.FunctionModel` with ``output="scored"`` and ``traceable=False``
    (only ``(B, n)`` arrays cross to NumPy), plus the whole conditionals on demand:
    :meth:`log_probs` and :meth:`conditionals` (through ``jax.pure_callback``), for code that
    needs ``p̂(. | y)`` itself: :func:`mdmjax.sample` and :func:`mdmjax.evaluate_policy` reach
    them through :func:`mdmjax.models.as_conditional_model`.

    Attributes:
      module: the wrapped module; ``vocab_size``, ``mask_token_id``, ``shift_logits``.

    Examples:
      Needs PyTorch (run in the slow job, which installs the ``[torch]`` extra). The table is
      the module's log-softmax over the first ``V`` logits, computed here by torch itself:

      >>> import numpy as np, torch, mdmjax as mdm
      >>> net = torch.nn.Sequential(torch.nn.Embedding(4, 3), torch.nn.Linear(3, 5))
      >>> m = mdm.models.from_torch(net, vocab_size=3, mask_token_id=3)
      >>> y = np.array([[3, 1]])  # position 0 masked (mdmjax's mask value is V = 3)
      >>> lp = m.log_probs(y)
      >>> lp.shape, m.vocab_size, m.mask_token_id
      ((1, 2, 3), 3, 3)
      >>> ref = torch.log_softmax(net(torch.tensor([[3, 1]]))[..., :3].double(), -1)
      >>> bool(np.allclose(lp, ref.detach().numpy(), atol=1e-6))
      True
      >>> c = np.asarray(m.conditionals(y))
      >>> bool(np.allclose(c[0, 0], np.exp(lp[0, 0]))), c[0, 1].tolist()
      (True, [0.0, 0.0, 0.0])
    """

    @property
    def module(self):
        return self.fn.module

    @property
    def vocab_size(self) -> int:
        return self.fn.vocab_size

    @property
    def mask_token_id(self) -> int:
        return self.fn.mask_token_id

    @property
    def shift_logits(self) -> bool:
        return self.fn.shift_logits

    def __repr__(self) -> str:
        return (
            f"TorchModel({self.name}, vocab_size={self.vocab_size}, "
            f"mask_token_id={self.mask_token_id}, shift_logits={self.shift_logits})"
        )

    @scoped_x64
    def log_probs(self, y) -> np.ndarray:
        """float64 ``(B, n, V)`` ``log p̂(v | y)`` (``y`` in mdmjax's convention, mask value V)."""
        return self.fn.log_probs(y)

    @scoped_x64
    def conditionals(self, y):
        """``(B, n, V)`` float64 conditionals at masked positions, zeros at revealed ones."""
        import jax
        import jax.numpy as jnp

        y = jnp.asarray(y)
        shape = jax.ShapeDtypeStruct(y.shape + (self.num_values,), jnp.float64)
        out = jax.pure_callback(lambda yy: np.exp(self.fn.log_probs(np.asarray(yy))), shape, y)
        return jnp.where((y == self.num_values)[..., None], out, 0.0)

    def _check_no_peeking(self, y, x, masked, base):
        # The scores are gathered from log p̂(. | y), computed from y alone: x cannot leak.
        return None


def _tree_flatten(model):
    return FunctionModel.tree_flatten(model)


def _tree_unflatten(aux, children):
    return TorchModel(*aux)


def _register():
    import jax

    jax.tree_util.register_pytree_node(TorchModel, _tree_flatten, _tree_unflatten)


_register()


@scoped_x64
def from_torch(
    module,
    *,
    vocab_size: int,
    mask_token_id: int,
    shift_logits: bool = False,
    device=None,
    batch_size: int | None = None,
    name: str | None = None,
    n: int | None = None,
) -> TorchModel:
    """Wrap a PyTorch / Hugging Face masked LM as an mdmjax model (module docstring).

    With ``ids = where(y == V, mask_token_id, y)``, ``ℓ = module(ids)`` (logits, ``.logits`` or a
    tuple's first item), optionally shifted, and truncated to the first ``V`` values:

    .. math:: \\log \\hat p(v \\mid y)_i = \\ell_{i,v} - \\log \\sum_{u < V} e^{\\ell_{i,u}},
              \\qquad H_i = -\\sum_{v < V} \\hat p(v \\mid y)_i \\log \\hat p(v \\mid y)_i.

    docs/theory.md §8.8.

    Args:
      module: a ``torch.nn.Module`` or callable taking a ``LongTensor (B, n)`` of token ids.
      vocab_size: ``V``, the real tokens ``0..V-1`` of the data; mdmjax's mask value is ``V``.
      mask_token_id: the id the module expects at masked positions (may be ``>= V``).
      shift_logits: predict position ``i`` from the output at ``i - 1`` (Dream).
      device: where the token ids go (default: the device of the module's first parameter, else
        the CPU).
      batch_size: at most this many rows per module call (default: the caller's batch).
      name: for error messages (default: the module's class name).
      n: the sequence length the model answers for. ``None``: any; every caller then takes it
        from what it is given (the data of :func:`mdmjax.model_curve`, the law of
        :func:`mdmjax.evaluate_policy`, the plan or prompt of :func:`mdmjax.sample`).

    Returns:
      a :class:`TorchModel` (``output="scored"``), accepted by :func:`mdmjax.model_curve`,
      :func:`mdmjax.kl.model_mixture_kl`, :func:`mdmjax.sample`, :func:`mdmjax.evaluate_policy`,
      :func:`mdmjax.policies.policy_frontier` and the ``mdmjax`` commands; its
      :meth:`TorchModel.log_probs` and ``conditionals`` give the whole ``(B, n, V)`` table (the
      sampler and the tree walk use it through :func:`mdmjax.models.as_conditional_model`).

    Raises:
      ImportError: torch is not installed (the message names the ``[torch]`` extra).
      ValueError: naming the argument: ``module`` not callable; ``vocab_size`` or
        ``mask_token_id`` not a valid int, or outside the module's input embedding when it has
        one. On the first batch: ``module`` returning the wrong shape or NaN logits,
        ``vocab_size`` larger than the logits, ``mask_token_id`` rejected by the module.

    Examples:
      >>> import numpy as np, torch, mdmjax as mdm
      >>> net = torch.nn.Sequential(torch.nn.Embedding(8, 4), torch.nn.Linear(4, 5))
      >>> m = mdm.models.from_torch(net, vocab_size=3, mask_token_id=7)
      >>> rows = np.array([[0, 1, 2], [2, 1, 0]])
      >>> mc = mdm.model_curve(m, rows, masks="all")
      >>> mc.cross_entropy.shape, bool(np.all(mc.predictive_entropy <= np.log(3) + 1e-6))
      ((3,), True)

      The same model samples (``n = 3`` from the step sizes) and its sampler is evaluated
      exactly against a law (here uniform, so the KL is ``ln 27 - H(output)``, at least 0):

      >>> mdm.sample(m, (2, 1), key=0, num_samples=4).shape
      (4, 3)
      >>> d = mdm.Distribution.from_probs(np.full((3, 3, 3), 1 / 27))
      >>> bool(mdm.evaluate_policy(d, mdm.policies.random((2, 1)), model=m).kl >= 0)
      True
    """
    if not callable(module):
        raise ValueError(f"module: expected a torch.nn.Module or callable, got {type(module)}")
    v = as_positive_int(vocab_size, "vocab_size")
    if isinstance(mask_token_id, bool) or not isinstance(mask_token_id, int | np.integer):
        raise ValueError(f"mask_token_id: expected an int, got {mask_token_id!r}")
    mask_id = int(mask_token_id)
    if mask_id < 0:
        raise ValueError(f"mask_token_id: must be >= 0, got {mask_id}")
    if not isinstance(shift_logits, bool | np.bool_):
        raise ValueError(f"shift_logits: expected True or False, got {shift_logits!r}")
    bs = None if batch_size is None else as_positive_int(batch_size, "batch_size")
    n = None if n is None else as_positive_int(n, "n")
    torch = _import_torch()
    emb = _embedding_size(module)
    if emb is not None:
        if mask_id >= emb:
            raise ValueError(
                f"mask_token_id: {mask_id} is outside the module's input embedding "
                f"({emb} ids, 0..{emb - 1})"
            )
        if v > emb:
            raise ValueError(
                f"vocab_size: {v} is larger than the module's input embedding ({emb} ids)"
            )
    try:
        dev = _module_device(module, torch) if device is None else torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"device: {device!r} is not a torch device ({err})") from None
    scorer = _TorchScorer(module, v, mask_id, bool(shift_logits), dev, bs)
    label = name or type(module).__name__
    return TorchModel(scorer, v, "scored", False, True, n, label)
