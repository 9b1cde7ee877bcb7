"""Test oracles: what upstream MDM samplers compute, re-derived in their own arithmetic.

Every function here is an independent re-implementation (no upstream code is copied) of one
rule of one public sampler, written from a reading of the upstream source at the commit named in
its docstring. Counts are returned *with* upstream's empty steps (zeros) unless said otherwise;
mdmjax's schedule constructors drop empty steps, so compare with :func:`drop_zeros`.

Arithmetic. Where upstream's rounding decides a count, the float format and the operation order
are reproduced:

- MaskGIT runs ``decode`` under ``jax.jit`` in float32 (x64 off), one step at a time inside a
  ``lax.while_loop`` with ``num_iter`` a compile-time constant. XLA rewrites ``x / T`` into
  ``x * f32(1/T)``, folds the constant into ``pow``/``cos`` (``((k+1) c)^2`` becomes
  ``(k+1)^2 f32(c^2)``), and its float32 ``cos``/``pow``/``log2``/``exp2`` differ from numpy's in
  the last ulp. :func:`maskgit_counts` therefore runs a *literal* ``while_loop`` transcription of
  the upstream lines through XLA itself (``arith="xla"``, the default);
  ``"numpy32"`` and ``"float64"`` are diagnostics.
- dllm and Dream run in PyTorch (float32 tensors, float64 Python scalars); basic IEEE operations
  are emulated with numpy float32/float64, ``torch.cos`` on a 0-d CPU tensor by the correctly
  rounded float32 cosine (glibc ``cosf``), ``torch.linspace`` on CUDA by its fused
  ``start + step * i`` (one rounding).
- OpenDLM's flexible scheduler is float64 numpy and Python ``round`` (half to even).

Upstream snapshots read (``owner/repo@commit``):
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence

import numpy as np

UPSTREAM = {
    "maskgit": "google-research/maskgit@1db23594e1bd328ee78eadcd148a19281cd0f5b8",
    "opendlm": "Jianguo99/OpenDLM@a4088d10c64e40cfb0ce172acc485c30b2ec43ca",
    "opendlm_eb": "Jianguo99/OpenDLM@3b81d45461e9cda2e39a142b47c8d4d41e577ac1",
    "dllm": "ZHZisZZ/dllm@ca176752fbceec49c6b4777a2c18ae88e4eb10ed",
    "md4": "google-deepmind/md4@b9fbf29216f818cccff46cb5727199f86f35593e",
    "mdlm": "kuleshov-group/mdlm@c112c526d193436838c98d81455ee51f90309470",
    "fastdllm_dream": "NVlabs/Fast-dLLM@24cc59e75f20a6384bae8c905965bb090b96388e",
    "fastdllm_llada": "NVlabs/Fast-dLLM@f6b35ec3f1b16e1b3d3357938046559ae2d350fa",
}
__doc__ += "".join(f"\n- {k}: ``{v}``" for k, v in UPSTREAM.items()) + "\n"

f32 = np.float32


def drop_zeros(counts: Sequence[int]) -> tuple[int, ...]:
    """The counts without empty steps (mdmjax's convention)."""
    return tuple(int(c) for c in counts if int(c) != 0)


def _cos32(x) -> np.ndarray:
    """Correctly rounded float32 cosine of float32 ``x`` (what glibc ``cosf`` returns)."""
    return np.cos(np.asarray(x, dtype=f32).astype(np.float64)).astype(f32)


# ================================================================================================
# MaskGIT (google-research/maskgit)
# ================================================================================================
MASKGIT_METHODS = ("cosine", "uniform", "pow", "log", "exp")


@functools.cache
def _maskgit_decode_program(method: str, num_iter: int):
    """google-research/maskgit@1db2359 ``parallel_decode.decode``'s mask lengths, line for line.

    A literal transcription: the ``lax.while_loop`` of ``decode`` (``loop_cond_fn``,
    ``loop_body_fn``) and ``mask_schedule.schedule`` as upstream writes them, with ``num_iter`` a
    Python int (a compile-time constant) and ``unknown_number_in_the_beginning`` the int32
    ``(batch,)`` count of masked inputs (a batch of one). The model call, the categorical sample
    and ``mask_by_random_topk`` are left out: they decide *which* tokens stay masked, not how
    many; the carried count is what ``mask_by_random_topk`` leaves masked, ``min(mask_len, U)``
    (known tokens have confidence +inf). Returns ``mask_len`` per step, shape ``(1, num_iter)``.
    Traced and run with x64 off and standard dtype promotion, as upstream ran.
    """
    import jax
    import jax.numpy as jnp
    from jax import lax

    def schedule(ratio, total_unknown, method="cosine"):
        if method == "uniform":
            mask_ratio = 1.0 - ratio
        elif "pow" in method:
            exponent = float(method.replace("pow", ""))
            mask_ratio = 1.0 - ratio**exponent
        elif method == "cosine":
            mask_ratio = jax.lax.cos(math.pi / 2.0 * ratio)
        elif method == "log":
            mask_ratio = -jnp.log2(ratio) / jnp.log2(total_unknown)
        elif method == "exp":
            mask_ratio = 1 - jnp.exp2(-jnp.log2(total_unknown) * (1 - ratio))
        # Clamps mask into [epsilon, 1)
        mask_ratio = jnp.clip(mask_ratio, 1e-6, 1.0)
        return mask_ratio

    def decode(unknown_number_in_the_beginning):
        start_iter = 0
        init_state = (
            jnp.array(start_iter),  # cur_index
            jnp.expand_dims(unknown_number_in_the_beginning, 1),  # sum(unknown_map, -1, keepdims)
            jnp.zeros((unknown_number_in_the_beginning.shape[0], num_iter)),  # mask_len per step
        )

        def loop_cond_fn(state):
            not_at_end = state[0] < num_iter
            return not_at_end

        def loop_body_fn(state):
            step, unknown, lens = state
            ratio = 1.0 * (step + 1) / num_iter
            mask_ratio = schedule(ratio, unknown_number_in_the_beginning, method)
            mask_len = jnp.expand_dims(jnp.floor(unknown_number_in_the_beginning * mask_ratio), 1)
            mask_len = jnp.maximum(1, jnp.minimum(unknown - 1, mask_len))
            lens = jax.lax.dynamic_update_slice(lens, mask_len, (0, step))
            return step + 1, jnp.minimum(mask_len, unknown).astype(unknown.dtype), lens

        final_state = lax.while_loop(loop_cond_fn, loop_body_fn, init_state)
        return final_state[2]

    return jax.jit(decode)


def maskgit_decode_mask_lens(n: int, steps: int, method: str = "cosine") -> np.ndarray:
    """``mask_len`` (tokens kept masked) after each of ``steps`` steps of upstream's ``decode``,
    ``n`` tokens masked, from the literal ``while_loop`` (:func:`_maskgit_decode_program`)."""
    import jax

    _parse_maskgit(method)
    with jax.enable_x64(False), jax.numpy_dtype_promotion("standard"):
        out = _maskgit_decode_program(method, int(steps))(np.array([n], np.int32))
        return np.asarray(out)[0]


def _parse_maskgit(method: str) -> tuple[str, float]:
    if method.startswith("pow"):
        return "pow", float(method.replace("pow", ""))
    if method not in MASKGIT_METHODS:
        raise ValueError(method)
    return method, 0.0


def maskgit_mask_ratio_floor(n: int, steps: int, method: str = "cosine", arith: str = "numpy32"):
    """``floor(N * mask_schedule.schedule((k+1)/T, N, method))`` for ``k = 0..T-1``, as float.

    google-research/maskgit@1db2359, ``maskgit/libml/mask_schedule.py::schedule(ratio,
    total_unknown, method="cosine")``: ``"uniform"`` ``1 - r``; ``"pow<p>"`` ``1 - r**p`` (p parsed
    as float, e.g. ``"pow2"``, ``"pow2.5"``); ``"cosine"`` ``cos(pi/2 r)``; ``"log"``
    ``-log2(r)/log2(N)``; ``"exp"`` ``1 - exp2(-log2(N)(1 - r))``; then ``clip(., 1e-6, 1)``.
    ``parallel_decode.decode`` calls it with ``ratio = 1.*(step+1)/num_iter`` (int32 step, Python
    int ``num_iter``) and takes ``jnp.floor(unknown_number_in_the_beginning * mask_ratio)``.
    Diagnostics only (``arith="numpy32"``: op-by-op numpy float32, ``"float64"``): upstream's
    own arithmetic is :func:`maskgit_decode_mask_lens`.
    """
    name, exponent = _parse_maskgit(method)
    if arith == "numpy32":
        ratio = (np.arange(1, steps + 1).astype(f32)) * (f32(1.0) / f32(steps))
        total = f32(n)
        one = f32(1.0)
        if name == "cosine":
            m = np.cos(f32(math.pi / 2.0) * ratio)
        elif name == "uniform":
            m = one - ratio
        elif name == "pow":
            m = one - ratio ** f32(exponent)
        elif name == "log":
            m = -np.log2(ratio) / np.log2(total)
        else:
            m = one - np.exp2(-np.log2(total) * (one - ratio))
        m = np.clip(m.astype(f32), f32(1e-6), f32(1.0))
        return np.floor(total * m)
    if arith == "float64":
        r = np.arange(1, steps + 1) / steps
        if name == "cosine":
            m = np.cos(np.pi / 2 * r)
        elif name == "uniform":
            m = 1 - r
        elif name == "pow":
            m = 1 - r**exponent
        elif name == "log":
            m = -np.log2(r) / np.log2(n)
        else:
            m = 1 - np.exp2(-np.log2(n) * (1 - r))
        return np.floor(n * np.clip(m, 1e-6, 1.0))
    raise ValueError(arith)


def maskgit_counts(n: int, steps: int, method: str = "cosine", arith: str = "xla") -> tuple:
    """Tokens revealed at each of MaskGIT's ``num_iter`` steps (zeros kept), ``n`` masked.

    google-research/maskgit@1db2359, ``maskgit/libml/parallel_decode.py::decode(inputs, rng,
    tokens_to_logits, mask_token_id=-1, num_iter=12, start_iter=0, choice_temperature=1.0,
    mask_scheduling_method="cosine")``. At step ``k`` (``U`` tokens masked) every masked token is
    sampled; the number kept masked for the next step is
    ``mask_len = max(1, min(U - 1, floor(N * mask_ratio_k)))`` (float32), and
    ``mask_by_random_topk`` re-masks the tokens whose confidence is below the ``mask_len``-th
    smallest (known tokens have confidence +inf), so ``min(mask_len, U)`` stay masked: when
    ``U = 1`` the step reveals nothing. The output of the last step is the fully sampled
    ``sampled_ids`` (``final_seqs[:, -1]``), so the last step reveals everything left. Assumes the
    sequence also holds at least one known token, or ``n >= 2`` (for a sequence of one masked
    token and nothing else, ``take_along_axis`` indexes out of bounds and the token is revealed at
    step 0; the partition ``(1,)`` is the same).
    """
    if n == 1:  # mask_len = max(1, min(0, .)) = 1 (NaN for "log": log2(1) = 0): kept masked
        return (0,) * (steps - 1) + (1,)
    if arith == "xla":  # upstream's own float32: the literal while_loop of decode
        floor_target = maskgit_decode_mask_lens(n, steps, method)
    else:
        floor_target = maskgit_mask_ratio_floor(n, steps, method, arith)
    masked = n
    counts = []
    for k in range(steps):
        if k == steps - 1:
            counts.append(masked)
            masked = 0
            break
        mask_len = max(1.0, min(float(masked - 1), float(floor_target[k])))
        keep = min(int(mask_len), masked)
        counts.append(masked - keep)
        masked = keep
    return tuple(counts)


def maskgit_choice_temperature(step: int, num_iter: int, choice_temperature: float = 1.0):
    """The Gumbel scale of MaskGIT's re-masking at step ``step`` (0-based): ``tau (1 - r)``.

    ``parallel_decode.decode`` passes ``choice_temperature * (1. - ratio)`` with
    ``ratio = (step+1)/num_iter`` (float32) to ``mask_by_random_topk(rng, mask_len, probs,
    temperature)``, whose keys are ``log(p_i) + temperature * G_i`` (``G_i`` standard Gumbel from
    ``jax.random.gumbel``). The class-conditional ImageNet config uses ``choice_temperature=4.5``
    (``maskgit/configs/maskgit_class_cond_config.py``). At the last step the scale is 0.
    """
    ratio = f32(step + 1) * (f32(1.0) / f32(num_iter))
    return f32(choice_temperature) * (f32(1.0) - ratio)


def maskgit_keep_masked(log_probs, gumbel, mask_len: int, temperature: float) -> np.ndarray:
    """MaskGIT's ``mask_by_random_topk``: the boolean mask of positions kept masked.

    ``keys = log p + temperature * G`` (known positions have ``p = inf``), sorted ascending;
    ``cut = sorted[mask_len]``; kept masked: ``keys < cut`` (strict).
    """
    keys = np.asarray(log_probs, dtype=f32) + f32(temperature) * np.asarray(gumbel, dtype=f32)
    cut = np.sort(keys)[int(mask_len)]
    return keys < cut


# ================================================================================================
# OpenDLM (Jianguo99/OpenDLM): DUS and the flexible gammas
# ================================================================================================
def dus_blocks(gen_length: int, alpha: float = 2.0) -> list[list[int]]:
    """OpenDLM's dilated unmasking (DUS) groups, 0-indexed, coarse to fine.

    Jianguo99/OpenDLM@a4088d1, ``opendlm/sampler/scheduler/dus.py::DetailedUnmaskingScheduler(
    gen_length, alpha=2.0, threshold=0.0)._precompute_transfer_indices``:
    ``R = ceil(log(B) / log(alpha))`` (float64 logs: ``B = alpha**k`` can give ``k`` or ``k+1``);
    for ``t = 1..R``, ``s_t = max(1, int(B // alpha**t))`` and ``P_t`` = the not yet revealed
    0-indexed positions ``i`` with ``i % s_t == 0``. At ``t = R``, if ``|P_R| < |P_{R-1}|``, ``P_R``
    is appended to ``P_{R-1}`` (merged) instead of forming its own round. ``B = 1`` gives
    ``R = 0``: no rounds at all, the single token is never revealed (upstream edge case). An empty
    ``P_t`` (float ``R`` one too large) is kept as an empty round unless the merge absorbs it.
    """
    groups: list[list[int]] = []
    revealed: set[int] = set()
    rounds = math.ceil(math.log(gen_length) / math.log(alpha))
    for t in range(1, rounds + 1):
        stride = max(1, int(gen_length // (alpha**t)))
        p_t = [i for i in range(gen_length) if i not in revealed and i % stride == 0]
        if t == rounds and groups and len(p_t) < len(groups[-1]):
            groups[-1].extend(p_t)
            continue
        groups.append(p_t)
        revealed.update(p_t)
    return groups


def dus_counts(gen_length: int, alpha: float = 2.0) -> tuple[int, ...]:
    """Sizes of :func:`dus_blocks` (zeros kept)."""
    return tuple(len(g) for g in dus_blocks(gen_length, alpha))


def dus_skip_run(
    gen_length: int,
    confidence: Callable[[int, list[int]], Sequence[float]],
    alpha=2.0,
    threshold=0.0,
) -> list[list[int]]:
    """DUS with its confidence skip: the positions revealed at each sampler step.

    ``DetailedUnmaskingScheduler.get_transfer_indices(gen_confidence, masked_index, step)``: the
    step's candidates are ``transfer_indices[step]``; with ``threshold > 0`` a candidate is kept
    iff ``conf >= threshold``; the skipped ones are appended to ``transfer_indices[step + 1]`` if
    that round exists, else dropped (they stay masked: the base ``Sampler.generate`` loop then runs
    on to ``timesteps`` calls revealing nothing). Note: upstream mutates its precomputed list, so a
    reused scheduler carries the deferrals into the next generation unless ``reset`` is called.
    ``confidence(step, candidates)`` returns one score per candidate.
    """
    plan = [list(g) for g in dus_blocks(gen_length, alpha)]
    out = []
    for step, cand in enumerate(plan):
        conf = list(confidence(step, cand)) if cand else []
        keep = [c for c, v in zip(cand, conf, strict=True) if not threshold > 0 or v >= threshold]
        skip = [c for c, v in zip(cand, conf, strict=True) if threshold > 0 and v < threshold]
        if skip and step + 1 < len(plan):
            plan[step + 1].extend(skip)
        out.append(keep)
    return out


FLEXIBLE_TYPES = ("linear", "cosine", "square", "cubic", "exponential", "sqrt", "log")


def flexible_gamma(schedule_type: str, r: float, exp_k: float = 5, log_a: float = 9) -> float:
    """``FlexibleUnmaskingScheduler._gamma(r)``, float64 numpy."""
    if schedule_type == "linear":
        return 1 - r
    if schedule_type == "cosine":
        return np.cos((np.pi / 2) * r)
    if schedule_type == "square":
        return (1 - r) ** 2
    if schedule_type == "cubic":
        return (1 - r) ** 3
    if schedule_type == "exponential":
        return (np.exp(-exp_k * r) - np.exp(-exp_k)) / (1 - np.exp(-exp_k))
    if schedule_type == "sqrt":
        return np.sqrt(1 - r)
    if schedule_type == "log":
        return 1 - np.log(1 + log_a * r) / np.log(1 + log_a)
    raise ValueError(schedule_type)


def flexible_counts(
    gen_length: int, timesteps: int, schedule_type: str = "linear", exp_k=5, log_a=9
) -> tuple[int, ...]:
    """OpenDLM's flexible scheduler: tokens revealed per step (zeros kept, ``timesteps`` entries).

    Jianguo99/OpenDLM@a4088d1, ``opendlm/sampler/scheduler/flexible.py::FlexibleUnmaskingScheduler(
    gen_length, timesteps, schedule_type='linear', exp_k=5, log_a=9)._precompute_transfer_nums``:
    ``ratios[t] = gamma(t / T)`` for ``t = 0..T`` (float64), ``ratios[T] = 0``;
    ``mask[t] = int(round(ratios[t] * L))`` (half to even); ``transfer[t] = max(0, mask[t] -
    mask[t+1])``. Types: linear ``1-r``, cosine ``cos(pi/2 r)``, square ``(1-r)^2``, cubic
    ``(1-r)^3``, exponential ``(e^{-k r} - e^{-k}) / (1 - e^{-k})``, sqrt ``sqrt(1-r)``, log
    ``1 - log(1 + a r) / log(1 + a)``. ``get_transfer_indices`` takes the top-``min(transfer,
    #masked)`` by score; a zero step still costs a model call in ``Sampler.generate``.
    """
    ratios = [
        flexible_gamma(schedule_type, t / timesteps, exp_k, log_a) for t in range(timesteps + 1)
    ]
    ratios[-1] = 0.0
    mask_counts = [int(round(r * gen_length)) for r in ratios]
    return tuple(max(0, mask_counts[t] - mask_counts[t + 1]) for t in range(timesteps))


# ================================================================================================
# dllm (ZHZisZZ/dllm): alpha-scheduler counts
# ================================================================================================
def _dllm_alpha32(name: str, i: float) -> np.float32:
    i_t = f32(i)  # torch.as_tensor(i, dtype=torch.float32)
    one = f32(1.0)
    if name == "linear":
        return one - i_t
    if name == "cosine":
        return one - _cos32(f32(math.pi / 2) * (one - i_t))
    raise ValueError(name)


def dllm_counts(n: int, steps: int, alpha: str = "linear", compact: bool = False) -> tuple:
    """dllm's deterministic per-step transfer counts (``stochastic=False``, the default).

    ZHZisZZ/dllm@ca17675, ``dllm/core/samplers/utils.py::get_num_transfer_tokens(mask_index,
    steps, scheduler, stochastic=False)`` with ``dllm/core/schedulers/alpha.py``
    (``LinearAlphaScheduler`` ``alpha(i) = 1 - i``, the samplers' default;
    ``CosineAlphaScheduler`` ``alpha(i) = 1 - cos(pi/2 (1 - i))``). For ``j = 0..T-1``:
    ``s = (T-1-j)/T``, ``t = (T-j)/T`` (Python floats), ``q = (1 - alpha(s)) / (1 - alpha(t))``
    in float32 tensors (``reverse_mask_prob``) returned by ``.item()``; ``p = 1 - q`` (float64);
    ``c_j = round_half_even(M * p)`` in float64 with ``M`` the *current* masked count, capped at
    ``M``; ``M -= c_j``; stop when ``M = 0``. Afterwards zero entries are removed (the sampler only
    runs the non-zero steps: ``compact=True``); default here keeps them (length ``T`` unless the
    loop stopped early).
    """
    masked = n
    counts = []
    for t_int, s_int in zip(range(steps, 0, -1), range(steps - 1, -1, -1), strict=True):
        s, t = s_int / steps, t_int / steps
        one = f32(1.0)
        q = (one - _dllm_alpha32(alpha, s)) / (one - _dllm_alpha32(alpha, t))
        p = 1 - float(q)
        c = int(np.round(float(masked) * p))  # torch.round: half to even
        c = min(c, masked)
        counts.append(c)
        masked -= c
        if masked == 0:
            break
    return drop_zeros(counts) if compact else tuple(counts)


# ================================================================================================
# Dream (Dream-org/Dream-v0-*; the generation_utils.py vendored by NVlabs/Fast-dLLM)
# ================================================================================================
def torch_linspace32(start: float, end: float, steps: int, fma: bool = True) -> np.ndarray:
    """``torch.linspace(start, end, steps)`` in float32 as the CUDA kernel computes it.

    ``step = f32(end - start) / (steps - 1)``; index ``i < steps // 2``: ``start + step * i``,
    else ``end - step * (steps - 1 - i)``; with ``fma=True`` the multiply-add rounds once (nvcc
    contracts it), else twice.
    """
    a, b = f32(start), f32(end)
    if steps == 1:
        return np.array([a], dtype=f32)
    step = f32(f32(b - a) / f32(steps - 1))
    out = np.empty(steps, dtype=f32)
    half = steps // 2
    for i in range(steps):
        if i < half:
            base, k = a, i
        else:
            base, k = b, -(steps - 1 - i)
        if fma:  # exact in float64 here (<= ~45 significant bits), one rounding to float32
            out[i] = f32(float(base) + float(step) * k)
        else:
            out[i] = f32(base + f32(step * f32(k)))
    return out


def dream_counts(n: int, steps: int, eps: float = 1e-3, fma: bool = True) -> tuple[int, ...]:
    """Dream's deterministic counts for ``alg in {'maskgit_plus', 'topk_margin', 'entropy'}``.

    ``generation_utils.py::DreamGenerationMixin._sample`` (Dream-v0 Hugging Face code; the copy in
    NVlabs/Fast-dLLM@24cc59e ``dream/model/generation_utils.py``), ``DreamGenerationConfig``
    defaults ``steps=512, eps=1e-3, alg='origin', alg_temp=None``: ``timesteps =
    torch.linspace(1, eps, steps + 1)`` (float32); at step ``i`` with ``t = timesteps[i]``,
    ``s = timesteps[i+1]``, ``num_mask_token = mask_index.sum() / B`` (float32),
    ``number_transfer_tokens = int(num_mask_token * (1 - s / t))`` for ``i < steps - 1``, else
    ``int(num_mask_token)``; top-k by the alg's score (``alg_temp > 0``: multinomial on
    ``softmax(score / alg_temp)`` instead). Zeros kept (a zero step still calls the model).
    """
    ts = torch_linspace32(1.0, eps, steps + 1, fma=fma)
    masked = n
    counts = []
    for i in range(steps):
        m = f32(masked)
        if i < steps - 1:
            c = int(f32(m * f32(f32(1.0) - f32(ts[i + 1] / ts[i]))))
        else:
            c = int(m)
        counts.append(c)
        masked -= c
    return tuple(counts)


def dream_origin_probs(steps: int, eps: float = 1e-3, fma: bool = True) -> np.ndarray:
    """Dream ``alg='origin'`` (the default): per-step reveal probability of each masked token.

    Same ``_sample``: ``p_transfer = 1 - s / t`` (float32) for ``i < steps - 1`` else ``1``; each
    masked position is revealed independently iff ``torch.rand() < p_transfer``. Sizes are
    Binomial(masked, p); the last step reveals the rest; a step is never skipped (one model call
    per step).
    """
    ts = torch_linspace32(1.0, eps, steps + 1, fma=fma)
    p = (f32(1.0) - ts[1:] / ts[:-1]).astype(np.float64)
    p[-1] = 1.0
    return p


# ================================================================================================
# MD4 (google-deepmind/md4) and MDLM (kuleshov-group/mdlm): ancestral sampling
# ================================================================================================
def md4_alpha(t, schedule: str = "linear", eps: float = 1e-4) -> np.ndarray:
    """``MaskingSchedule.alpha(t) = (1 - 2 eps) * _alpha(t) + eps`` (float32).

    google-deepmind/md4@b9fbf29, ``md4/models/diffusion/md4.py::MaskingSchedule(data_shape,
    schedule_fn_type='cosine', eps=1e-4)``; ``MD4`` builds it as ``MaskingSchedule(data_shape,
    noise_schedule_type)`` so ``eps = 1e-4``. ``_alpha``: linear ``1 - t``; ``poly<p>``
    ``1 - t**p``; cosine ``1 - cos(pi/2 (1 - t))``.
    """
    t = np.asarray(t, dtype=f32)
    one = f32(1.0)
    if schedule == "linear":
        a = one - t
    elif schedule.startswith("poly"):
        a = one - t ** f32(float(schedule[4:]))
    elif schedule == "cosine":
        a = one - _cos32(f32(math.pi / 2.0) * (one - t))
    else:
        raise ValueError(schedule)
    return (f32(1.0 - 2 * eps) * a + f32(eps)).astype(f32)


def md4_reveal_probs(
    timesteps: int, schedule: str = "linear", grid: str = "cosine", eps: float = 1e-4
) -> np.ndarray:
    """MD4 ancestral sampling: per-step reveal probability of a masked token (float32, to ulp).

    ``MD4.get_sampling_grid(i, timesteps)``: ``t = (T - i) / T``, ``s = t - 1/T``; with
    ``sampling_grid='cosine'`` (the MD4 default and every md4 config) both are mapped
    ``x -> cos(pi/2 (1 - x))``. ``ancestral_sample_step``: ``unmask_prob = (alpha_s - alpha_t) /
    (1 - alpha_t)``. The MD4 defaults are ``noise_schedule_type='linear'``, ``timesteps=1000``.
    The last step has ``alpha_s = alpha(0) = 1 - eps < 1``: it does *not* reveal the rest; after
    the loop ``decode`` fills every still-masked token with the argmax (``mode``) of one more model
    call at ``t = 0``. So probabilities do not end in 1; :func:`md4_leftover` is the
    per-token probability of reaching the final argmax.
    """
    i = np.arange(timesteps)
    recip = f32(1.0) / f32(timesteps)  # XLA: (T - i) / T -> (T - i) * f32(1/T)
    t = (timesteps - i).astype(f32) * recip
    s = (t - f32(1.0 / timesteps)).astype(f32)
    if grid == "cosine":
        t = _cos32(f32(math.pi / 2.0) * (f32(1.0) - t))
        s = _cos32(f32(math.pi / 2.0) * (f32(1.0) - s))
    elif grid != "uniform":
        raise ValueError(grid)
    a_t, a_s = md4_alpha(t, schedule, eps), md4_alpha(s, schedule, eps)
    return ((a_s - a_t) / (f32(1.0) - a_t)).astype(np.float64)


def md4_leftover(timesteps: int, schedule="linear", grid="cosine", eps=1e-4) -> float:
    """P(a token is still masked after the ``T`` ancestral steps) = input to the final argmax."""
    return float(np.prod(1 - md4_reveal_probs(timesteps, schedule, grid, eps)))


def mdlm_timesteps(num_steps: int, eps: float = 1e-5) -> np.ndarray:
    """``torch.linspace(1, eps, num_steps + 1)`` (float32; CUDA kernel)."""
    return torch_linspace32(1.0, eps, num_steps + 1)


def mdlm_reveal_probs(num_steps: int, eps: float = 1e-5) -> np.ndarray:
    """MDLM ``ddpm_cache`` (default) per-step reveal probability (float32, to ulp).

    kuleshov-group/mdlm@c112c52, ``diffusion.py::Diffusion._sample(num_steps=None, eps=1e-5)``
    with ``_ddpm_caching_update(x, t, dt)``: ``timesteps = linspace(1, eps, T + 1)``,
    ``dt = (1 - eps) / T``; ``move_chance_t = t``, ``move_chance_s = t - dt``; a masked token
    becomes a token with probability ``(t - s)/t`` and stays masked with ``s/t`` (the categorical
    normalises ``p_x0 (t - s)`` and ``s``). The last step has ``s ~ eps``: probability
    ``< 1``; with ``sampling.noise_removal=True`` (config default) one more forward at
    ``t = timesteps[-1]`` and ``argmax`` fills the rest. Config defaults
    (``configs/config.yaml``): ``sampling.predictor=ddpm_cache``, ``sampling.steps=128``,
    ``noise_removal=True``, ``time_conditioning=False``.
    """
    ts = mdlm_timesteps(num_steps, eps)[:-1]
    dt = (1 - eps) / num_steps
    s = (ts - f32(dt)).astype(f32)
    return ((ts - s) / ts).astype(np.float64)


def mdlm_expected_calls(
    n: int, num_steps: int, eps: float = 1e-5, noise_removal: bool = True, probs=None
) -> float:
    """Expected model calls of MDLM's cached sampler (``predictor=ddpm_cache``).

    ``_sample``: the model is called at step ``i`` iff ``p_x0_cache is None``; the cache is
    cleared after a step whose ``x_next != x`` (``time_conditioning=False``). So the calls are
    ``1`` (step 0) ``+ #{i in 0..T-2 : step i reveals >= 1 token}`` ``+ 1`` (the noise-removal
    forward, always made when ``noise_removal``). Tokens reveal independently; with ``q_i`` the
    probability a given token is revealed at step ``i``,
    ``E[calls] = 1 + sum_{i=0}^{T-2} (1 - (1 - q_i)^n) + [noise_removal]``.
    """
    p = mdlm_reveal_probs(num_steps, eps) if probs is None else np.asarray(probs, np.float64)
    alive = np.concatenate([[1.0], np.cumprod(1 - p)[:-1]])
    q = alive * p
    nonempty = 1 - (1 - q[:-1]) ** n
    return 1.0 + float(nonempty.sum()) + (1.0 if noise_removal else 0.0)


# ================================================================================================
# LLaDA / Fast-dLLM (NVlabs/Fast-dLLM)
# ================================================================================================
def llada_counts(n: int, steps: int) -> tuple[int, ...]:
    """LLaDA ``get_num_transfer_tokens``: ``n // T`` each, the first ``n % T`` steps one more.

    NVlabs/Fast-dLLM@f6b35ec ``llada/generate.py::get_num_transfer_tokens(mask_index, steps)``
    (the LLaDA original, ML-GSAI/LLaDA ``generate.py``). Zeros kept.
    """
    return tuple(n // steps + (1 if k < n % steps else 0) for k in range(steps))


def llada_threshold_count(conf_desc: Sequence[float], threshold: float) -> int:
    """Fast-dLLM's LLaDA threshold rule: how many of the masked tokens a step reveals.

    ``llada/generate.py::get_transfer_index(..., threshold)`` (Fast-dLLM@f6b35ec): top-k over all
    masked in the current block (``k = #masked``), then every rank ``k >= 1`` with
    ``conf < threshold`` is dropped: reveal the top-1 plus every other with ``conf >= threshold``
    (confidences in float64 softmax). The loop runs until the block is unmasked (``steps`` is
    ignored).
    """
    c = np.asarray(conf_desc, dtype=np.float64)
    return int(1 + np.count_nonzero(c[1:] >= threshold)) if c.size else 0


def factor_count(conf_desc: Sequence[float], factor: float = 1.0) -> int:
    """Fast-dLLM's factor rule (``get_transfer_index_dynamic``), including its off-by-one.

    Fast-dLLM@f6b35ec ``llada/generate.py::get_transfer_index_dynamic(..., factor=1)``: with
    ``m`` masked and the confidences sorted descending ``c_0 >= c_1 >= ..``, thresholds
    ``th_r = 1 - factor / (r + 2)`` (``r`` 0-based; i.e. ``c_(n) >= 1 - f/(n+1)`` with ``n``
    1-based) and ``th_0 = -1``. ``top_i`` = the first ``r`` with ``c_r < th_r`` (else ``m - 1``);
    then ``top_i += 1`` if ``top_i == 0`` or ``top_i == m - 1``; reveal the top ``top_i``. So a
    failure at the *last* rank still reveals all ``m``, and a full pass reveals ``m``.
    """
    c = np.asarray(conf_desc, dtype=np.float64)
    m = c.size
    if m == 0:
        return 0
    th = [-1.0] + [1 - factor / (r + 2) for r in range(1, m)]
    top_i = m - 1
    for r in range(m):
        if c[r] < th[r]:
            top_i = r
            break
    if top_i == 0 or top_i == m - 1:
        top_i += 1
    return top_i


def fastdllm_dream_threshold_run(
    n: int, steps: int, confidence: Callable[[int, int], Sequence[float]], threshold: float = 0.9
) -> list[int]:
    """Fast-dLLM's Dream ``alg='confidence_threshold'``: counts per model call (zeros kept).

    NVlabs/Fast-dLLM@24cc59e ``dream/model/generation_utils.py::_sample(..., threshold=0.9)``.
    Requires ``n % steps == 0`` (assert) and batch 1. Quota ``q = n // steps``; carry ``c = 0``.
    Step ``i``: ``k = q + c``; ``c = 0``; take the top-``k`` masked by confidence (descending);
    rank 0 is always revealed; every rank ``r >= 1`` with ``conf < threshold`` is not revealed and
    adds 1 to ``c`` -- and if ``i == steps - 1`` (``steps`` as updated so far) also sets ``q = 0``
    and ``steps += 1`` (per deferred token). The loop runs while ``i < steps`` and does not stop
    early, so extra calls after everything is revealed reveal 0. ``confidence(i, m)`` returns the
    ``m`` current masked confidences (any order).
    """
    assert n % steps == 0, "upstream asserts mask count divisible by steps"
    quota, carry, masked, i = n // steps, 0, n, 0
    counts = []
    while i < steps:
        k = quota + carry
        carry = 0
        conf = np.sort(np.asarray(confidence(i, masked), dtype=np.float64))[::-1][:k]
        revealed = min(1, k)
        for r in range(1, len(conf)):
            if conf[r] < threshold:
                carry += 1
                if i >= steps - 1:
                    quota = 0
                    steps += 1
            else:
                revealed += 1
        counts.append(revealed)
        masked -= revealed
        i += 1
    return counts


def eb_count(entropy: Sequence[float], score: Sequence[float], gamma: float = 0.1) -> tuple:
    """OpenDLM's EB-sampler rule: (revealed positions in order, k).

    Jianguo99/OpenDLM@3b81d45 ``opendlm/sampler/scheduler/eb.py::EntropyBoundedUnmaskingScheduler(
    gamma=0.1).get_transfer_indices(gen_entropy, gen_confidence, masked_index, step)`` with
    ``opendlm/sampler/eb.py::EBSampler(block_length=32, gamma=0.1, score_type='entropy')``: sort
    the masked positions by ``score`` descending (``'entropy'``: score = sum p log p = minus the
    entropy; ``'confidence'``: top prob; ``'margin'``: top1 - top2; torch.sort, not stable),
    then with the *entropies in that order* ``k = #{j : cumsum(H)_j - cummax(H)_j <= gamma}``
    (a prefix, the left side is non-decreasing), at least 1. Entropies from
    ``-sum p log(p + 1e-10)`` (the scheduler sees positive entropy).
    """
    h = np.asarray(entropy, dtype=np.float64)
    order = np.argsort(-np.asarray(score, dtype=np.float64), kind="stable")
    hs = h[order]
    cond = (np.cumsum(hs) - np.maximum.accumulate(hs)) <= gamma
    k = max(1, int(np.count_nonzero(cond)))
    return tuple(int(j) for j in order[:k]), k
