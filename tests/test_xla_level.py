"""The suite compiles at XLA's optimization level 0 (tests/conftest.py); users run the default.

The same computations in two child processes, one at XLA's default level and one at the suite's,
must agree to rounding: the level may change how a loop is vectorized or whether a multiply and
an add are fused, never a value beyond its last bits. (Measured when this test was written: 25 of
the 82 values differ, by at most 3.6e-15, 1.1e-14 relative.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

from tests.conftest import TEST_XLA_LEVEL, XLA_LEVEL_OPTION

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# An exact large-n curve and DP (a random Markov chain, q = 3), enumeration (subset entropies and
# Theorem 4 of a random table), the mixture-KL lattice DP, and a Monte-Carlo curve (a mixture).
PROGRAM = """
import json, numpy as np, mdmjax as mdm
from mdmjax.curves import family_curve
rng = np.random.default_rng(7)
out = []
t = rng.dirichlet(np.ones(3), size=3)
c = mdm.curves.markov_chain_curve(rng.dirichlet(np.ones(3)), t, 60)
out += list(np.asarray(c.z)) + [s.kl for s in mdm.optimal_schedules(c, [2, 5, 9])]
d = mdm.Distribution.from_probs(rng.dirichlet(np.full(81, 0.5)).reshape(3, 3, 3, 3))
out += list(np.asarray(mdm.information_curve(d).z)) + [mdm.mixture_kl(d, (2, 2))]
out += [mdm.expected_kl(d, (1, 3)), mdm.exact_kl(d, (1, 2, 1), kind="mixture", method="enumerate")]
w, m = rng.dirichlet(np.ones(2)), rng.dirichlet(np.ones(2), size=(2, 12))
out += list(np.asarray(family_curve("mixture", 12, weights=w, marginals=m, num_samples=200).z))
print(json.dumps([float(v) for v in out]))
"""


def _start(xla_flags: str) -> subprocess.Popen:
    env = dict(os.environ, XLA_FLAGS=xla_flags, MDMJAX_CACHE_DIR="off", JAX_PLATFORMS="cpu")
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.Popen(
        [sys.executable, "-c", PROGRAM],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )


def _values(proc: subprocess.Popen) -> np.ndarray:
    try:
        out, err = proc.communicate(timeout=300)
    finally:
        proc.kill()
    assert proc.returncode == 0, err[-3000:]
    return np.asarray(json.loads(out))


def test_default_xla_level_agrees_to_rounding():
    suite_flags = os.environ.get("XLA_FLAGS", "")
    assert TEST_XLA_LEVEL == "default" or XLA_LEVEL_OPTION in suite_flags  # conftest set it
    default_flags = " ".join(f for f in suite_flags.split() if XLA_LEVEL_OPTION not in f)
    suite, default = _start(suite_flags), _start(default_flags)  # both at once
    a, b = _values(suite), _values(default)
    assert a.shape == b.shape and a.size > 50
    np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-13)
