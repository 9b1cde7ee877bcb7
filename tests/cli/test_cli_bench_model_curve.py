"""``mdmjax bench --kernel model_curve``: the worker times the library's own curve."""

import numpy as np

import mdmjax as mdm
from mdmjax.cli.bench import KERNELS, load_benchmarks


def test_model_curve_worker_measures_the_library_curve():
    assert "model_curve" in KERNELS
    bench = load_benchmarks()
    specs = bench.build_specs(("model_curve",))
    assert [s["model"] for s in specs][:1] == ["words5"]
    spec = {"kind": "model_curve", "model": "words4", "rows": 300, "batch_size": 256, "repeat": 1}
    rec = bench.run_worker(spec)
    assert rec["ok"] and rec["batches"] == -(-300 * 4 // 256)
    assert rec["overhead"] == rec["model_curve_s"][0] / rec["bare_forward_s"][0] - 1
    x = np.random.default_rng(0).integers(0, 26, size=(300, 4))  # the worker's data
    mc = mdm.model_curve(mdm.calibrate.word_mdm(4), x, key=0, batch_size=256)
    assert abs(rec["nll_bound"] - mc.nll_bound) < 1e-9
    found = bench._targets([rec | {"spec": {**spec, "model": "words5"}}])
    assert found[0]["name"] == "model_curve_overhead_words5" and found[0]["bound"] == 0.10
