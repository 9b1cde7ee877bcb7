"""Drawing samples from a model: the masked-diffusion sampler itself.

* :func:`sample` — rows drawn by the model's own sampler under a plan: fixed step sizes (the
  random-order sampler of Theorem 4), a random-size schedule (:mod:`mdmjax.schedules`'
  ``ancestral``, ``binomial``, ``dream_origin``), or an adaptive :class:`~mdmjax.policies.Policy`;
  optionally with a prompt and with each row's ``log ν̂_B(x)`` along its own path.

* :func:`sampler_kl` — the KL of that sampler's own output law on held-out rows (teacher
  forcing; exact on a law), also at ``mdm.calibrate.sampler_kl``.

docs/theory.md §11.
"""

from mdmjax.sampling._sample import sample as sample
from mdmjax.sampling._sampler_kl import SamplerBracket as SamplerBracket
from mdmjax.sampling._sampler_kl import SamplerKL as SamplerKL
from mdmjax.sampling._sampler_kl import sampler_bracket as sampler_bracket
from mdmjax.sampling._sampler_kl import sampler_kl as sampler_kl
