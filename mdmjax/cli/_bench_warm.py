"""Warm starts: wall time of whole ``mdmjax`` processes with an empty and with a filled cache.

For each command, in a fresh empty cache folder (``MDMJAX_CACHE_DIR``):

* ``cold``: first run, empty cache (compiles everything and writes the cache);
* ``warm``: second run, same folder (loads the compiled kernels);
* ``no_cache``: optional, the same command with ``--no-cache`` (what a run cost before the cache).

The floor of a warm run is the interpreter start plus ``import mdmjax.cli`` (Python, JAX, NumPy),
measured as its own process (``import_floor_s``, the least of three runs); each command's
``warm_minus_floor_s`` is what its warm run does beyond that floor (tracing and lowering to find
the cached kernels, loading them, reading data, and computing).

Every run writes ``--json``; the outputs of all runs of one command must be identical byte for
byte (the cache never changes a number), else :func:`run_warm_start` raises ``AssertionError``.
Timings are whole processes (interpreter start, imports, compilation, work, exit), measured with
``time.perf_counter`` around ``subprocess.run``; the children's CPU time is reported too, since
wall time on a shared machine depends on its load (``loadavg_start``/``loadavg_end``).

Part of the package (``mdmjax bench --kernel warm`` runs it from an installed mdmjax; the child
processes import the same mdmjax). The report has the layout of ``mdmjax bench`` (``meta``,
``results``, ``targets``)::

    python benchmarks/warm_start.py                  # both commands of the issue, JSON on stdout
    python benchmarks/warm_start.py --out warm.json --no-baseline
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time

# The folder that holds this mdmjax package (a checkout or site-packages): the child processes
# run there and import the same mdmjax.
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# name -> (arguments of `mdmjax`, smallest warm-start speed-up the issue asks for)
COMMANDS: dict[str, tuple[list[str], float]] = {
    "report_markov_n10000": (["report", "--family", "markov", "--n", "10000"], 3.0),
    "report_default": (["report"], 2.0),
}


def _run(argv: list[str], env: dict, json_path: str, timeout: float) -> dict:
    """One whole ``python -m mdmjax.cli ARGV --json JSON_PATH`` process: wall and CPU seconds."""
    cmd = [sys.executable, "-m", "mdmjax.cli", *argv, "--json", json_path]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    with open(json_path, "rb") as fh:
        output = fh.read()
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": wall, "cpu_s": cpu, "output": output}


def _import_floor(env: dict, timeout: float, repeats: int = 3) -> float:
    """Least wall time of ``repeats`` processes that only start Python and import the CLI."""
    cmd = [sys.executable, "-c", "import mdmjax.cli, mdmjax.cli.report"]
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, timeout=timeout, check=True)
        times.append(time.perf_counter() - start)
    return min(times)


def _folder_stats(path: str) -> tuple[int, int]:
    files = [os.path.join(path, f) for f in os.listdir(path)]
    return len(files), sum(os.path.getsize(f) for f in files if os.path.isfile(f))


def run_warm_start(
    commands: dict[str, tuple[list[str], float]] | None = None,
    *,
    baseline: bool = True,
    timeout: float = 900.0,
    check: bool = True,
) -> dict:
    """Time each command cold (empty cache), warm (second run) and, optionally, without cache.

    Args:
      commands: ``name -> (mdmjax arguments, target warm-start ratio)``; default
        :data:`COMMANDS` (``report --family markov --n 10000`` and ``report``).
      baseline: also run each command once with ``--no-cache``.
      timeout: seconds allowed per process.
      check: raise ``AssertionError`` when the ``--json`` outputs of the runs differ.

    Returns:
      ``{"meta": ..., "results": [...], "targets": [...]}``: per command ``cold_s``, ``warm_s``,
      ``ratio = cold_s / warm_s`` (wall), the CPU seconds, the cache's entries and bytes, and
      ``identical`` (outputs equal byte for byte); per target the measured ratio, the bound and
      whether it is met.
    """
    commands = COMMANDS if commands is None else commands
    meta = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "loadavg_start": list(os.getloadavg()),
    }
    try:
        import jax

        meta["jax"] = jax.__version__
    except ImportError:  # pragma: no cover
        pass
    base_env = dict(os.environ)
    base_env["PYTHONPATH"] = ROOT + os.pathsep + base_env.get("PYTHONPATH", "")
    for var in ("JAX_COMPILATION_CACHE_DIR", "JAX_ENABLE_COMPILATION_CACHE"):
        base_env.pop(var, None)  # only MDMJAX_CACHE_DIR decides
    floor = _import_floor(base_env, timeout)
    meta["import_floor_s"] = floor
    results, targets = [], []
    for name, (argv, bound) in commands.items():
        with tempfile.TemporaryDirectory(prefix="mdmjax-warm-") as tmp:
            cache = os.path.join(tmp, "cache")
            env = dict(base_env, MDMJAX_CACHE_DIR=cache)
            cold = _run(argv, env, os.path.join(tmp, "cold.json"), timeout)
            entries, nbytes = _folder_stats(cache)
            warm = _run(argv, env, os.path.join(tmp, "warm.json"), timeout)
            after_warm = _folder_stats(cache)[0]
            runs = {"cold": cold, "warm": warm}
            if baseline:
                runs["no_cache"] = _run(
                    ["--no-cache", *argv], env, os.path.join(tmp, "none.json"), timeout
                )
                if check and _folder_stats(cache)[0] != after_warm:
                    raise AssertionError(f"{name}: the --no-cache run wrote to the cache")
        identical = all(r["output"] == cold["output"] for r in runs.values())
        if check and not identical:
            raise AssertionError(f"{name}: the --json outputs of {list(runs)} differ")
        record = {
            "name": name,
            "argv": ["mdmjax", *argv],
            "cold_s": cold["wall_s"],
            "warm_s": warm["wall_s"],
            "ratio": cold["wall_s"] / warm["wall_s"],
            "cold_cpu_s": cold["cpu_s"],
            "warm_cpu_s": warm["cpu_s"],
            "warm_minus_floor_s": warm["wall_s"] - floor,
            "cache_entries": entries,
            "cache_bytes": nbytes,
            "warm_new_entries": after_warm - entries,
            "identical": identical,
        }
        if baseline:
            record["no_cache_s"] = runs["no_cache"]["wall_s"]
            record["no_cache_cpu_s"] = runs["no_cache"]["cpu_s"]
            record["ratio_no_cache"] = runs["no_cache"]["wall_s"] / warm["wall_s"]
        results.append(record)
        targets.append(
            {
                "name": f"warm_start_{name}_ratio",
                "description": f"cold/warm wall time of `mdmjax {' '.join(argv)}`",
                "measured": record["ratio"],
                "unit": "x",
                "bound": bound,
                "direction": ">=",
                "ratio_to_bound": record["ratio"] / bound,
                "met": bool(record["ratio"] >= bound),
            }
        )
    meta["loadavg_end"] = list(os.getloadavg())
    return {"meta": meta, "results": results, "targets": targets}


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", help="write the JSON report here (default: stdout)")
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the --no-cache run of each command"
    )
    parser.add_argument("--only", choices=sorted(COMMANDS), action="append", help="one command")
    args = parser.parse_args(argv)
    commands = {k: COMMANDS[k] for k in args.only} if args.only else None
    report = run_warm_start(commands, baseline=not args.no_baseline)
    text = json.dumps(report, indent=2)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text + "\n")
    print(text)
    return 0 if all(t["met"] for t in report["targets"]) else 1


if __name__ == "__main__":
    sys.exit(_main())
