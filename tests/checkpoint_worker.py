"""A ``model_curve`` run with a checkpoint, slow enough to be killed (tests/test_kill_resume.py).

``python tests/checkpoint_worker.py CHECKPOINT OUT.npz``: a NumPy model (the exact conditionals
of a small law) that sleeps a little on every call; the curve's per-row arrays go to ``OUT.npz``
with the number of model calls this process made.
"""

from __future__ import annotations

import sys
import time

import numpy as np

ROWS, BATCH, SLEEP_S = 60, 8, 0.05


def problem():
    """``(law, rows)`` of the run."""
    import jax

    import mdmjax as mdm

    law = mdm.families.noisy_repetition(5, 0.2)
    return law, np.asarray(law.sample(jax.random.key(11), ROWS))


def run(checkpoint=None, sleep_s: float = 0.0):
    """``(curve, calls)``: the run, with a model that sleeps ``sleep_s`` per call."""
    import mdmjax as mdm

    law, rows = problem()
    exact = mdm.models.from_distribution(law)
    calls = [0]

    def probs(y):
        calls[0] += 1
        time.sleep(sleep_s)
        return np.asarray(exact.conditionals(np.asarray(y)))

    model = mdm.models.from_callable(
        probs, num_values=2, output="probs", traceable=False, n=5, name="sleepy"
    )
    mc = mdm.model_curve(model, rows, key=9, batch_size=BATCH, checkpoint=checkpoint)
    return mc, calls[0]


if __name__ == "__main__":
    mc, calls = run(sys.argv[1], SLEEP_S)
    np.savez(sys.argv[2], ce=mc.row_cross_entropy, ent=mc.row_entropy, calls=calls)
    print("CHECKPOINT-WORKER-DONE", flush=True)
