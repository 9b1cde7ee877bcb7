#!/usr/bin/env bash
# One call on a machine with an accelerator: the subset kernel's roofline fraction with the fused
# block (mdmjax bench, fused_impl='xla') and the sweep over the number of fused axes and the two
# implementations of the block (XLA fusion, Pallas kernel), JSON into $1.
#   bash benchmarks/gpu_check.sh "$OUT"      (about 5 min on an H100; pass timeout_s=600)
set -euo pipefail
out="${1:?usage: gpu_check.sh OUTPUT_FOLDER}"
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" MDMJAX_CACHE_DIR=off
python3 -c "import jax; print(jax.__version__, jax.devices())"
python3 -m mdmjax.cli bench --kernel entropy --entropy-n 22,24 --ternary-n 14 --numpy-n '' \
  --json "$out/bench_gpu_fused.json" --quiet
python3 benchmarks/fused_axes.py --n 24 --ternary-n 14 --fused 0,5 --impl xla,pallas \
  --json "$out/fused_axes_gpu.json"
