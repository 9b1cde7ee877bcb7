"""Every experiment runs in quick mode, writes its files, and the notebooks execute.

The experiments run in-process (``main(["--quick", ...])``) into one temporary folder per test
module, so that the README generator and the paper-figures notebook can read their outputs.
An experiment whose dependencies (``REQUIRES``, module names) are not importable is skipped.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import math
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENTS = ROOT / "experiments"
SCRIPTS = sorted(p.stem for p in EXPERIMENTS.glob("e[0-9][0-9]_*.py"))
SUMMARY_KEYS = {"experiment", "title", "mode", "claim", "held", "headline", "tables", "figures"}


@pytest.fixture(scope="module")
def quick_root(tmp_path_factory):
    return tmp_path_factory.mktemp("experiments_quick")


def _load(name: str):
    if str(EXPERIMENTS) not in sys.path:
        sys.path.insert(0, str(EXPERIMENTS))
    return importlib.import_module(name)


def _missing(module) -> list[str]:
    return [m for m in getattr(module, "REQUIRES", ()) if importlib.util.find_spec(m) is None]


def _run_quick(name: str, out: Path) -> dict:
    module = _load(name)
    if _missing(module):
        pytest.skip(f"{name} needs {_missing(module)}, not available yet")
    assert module.main(["--quick", "--no-progress", "--out", str(out)]) == 0
    with open(out / "results" / module.NAME / "summary.json") as fh:
        return json.load(fh)


@pytest.mark.parametrize("name", SCRIPTS)
def test_experiment_quick(name, quick_root):
    summary = _run_quick(name, quick_root)
    assert SUMMARY_KEYS <= set(summary)
    assert summary["mode"] == "quick"
    assert summary["held"] in (True, False, None)
    assert summary["headline"]
    for table in summary["tables"]:
        assert all(len(row) == len(table["columns"]) for row in table["rows"])
    for fig in summary["figures"]:
        path = quick_root / fig
        assert path.is_file() and path.stat().st_size > 1000, fig
    files = {p.suffix for p in (quick_root / "results" / summary["experiment"]).iterdir()}
    assert {".json", ".csv"} <= files


def _summary(name: str, root: Path) -> dict:
    """The quick run's summary, running the experiment if this test runs on its own."""
    path = root / "results" / _load(name).NAME / "summary.json"
    if path.is_file():
        return json.loads(path.read_text())
    return _run_quick(name, root)


def test_e01_numbers(quick_root):
    summary = _summary("e01_theorem4_exact", quick_root)
    assert summary["held"] is True
    assert summary["max_abs_error"] < 1e-10
    assert summary["min_mixture_gap"] >= -1e-12
    # The table shows the MDS families with a zero mixture gap (THEORY.md §1) and a strictly
    # positive one elsewhere: an independent sanity check of the enumeration itself.
    rows = {r[0]: r for r in summary["tables"][0]["rows"]}
    assert float(rows["repetition (q=2)"][4]) < 1e-12
    assert float(rows["ising chain"][4]) > 1e-3


def test_e02_shaded_area_is_the_kl(quick_root):
    e02 = _load("e02_function_approximation")
    _summary("e02_function_approximation", quick_root)
    sched = json.loads((quick_root / "results" / "e02" / "schedules.json").read_text())
    if not sched:
        pytest.skip("e02 produced no schedules")
    import numpy as np

    curves = {}
    for line in (quick_root / "results" / "e02" / "curves.csv").read_text().splitlines()[1:]:
        law, j, z = line.rsplit(",", 2)
        curves.setdefault(law.strip('"'), []).append(float(z))
    for row in sched:
        z = np.asarray(curves[row["law"]])
        # Independent: sum over blocks of sum_{j in block} (Z_j - Z_start), by plain loops.
        total, start = 0.0, 0
        for s in row["optimal_sizes"]:
            total += sum(z[start + i] - z[start] for i in range(s))
            start += s
        assert math.isclose(total, row["optimal_kl"], rel_tol=1e-9, abs_tol=1e-12)
        assert row["optimal_kl"] <= row["constant_kl"] + 1e-12
        _, zz, approx = e02._step_arrays(z, row["optimal_sizes"])
        assert np.all(approx <= zz + 1e-15)


def test_make_readme_results(quick_root, tmp_path):
    names = {p.parent.name for p in (quick_root / "results").glob("e*/summary.json")}
    if not names:
        pytest.skip("no experiment ran")
    mk = _load("make_readme_results")
    output = tmp_path / "docs" / "results.md"
    assert mk.main(["--root", str(quick_root), "--output", str(output)]) == 0
    text = output.read_text()
    assert text.startswith("## Results")
    for name in names:
        summary = json.loads((quick_root / "results" / name / "summary.json").read_text())
        assert summary["title"] in text
        for fig in summary["figures"]:
            link = os.path.relpath(quick_root / fig, output.parent)
            assert f"]({link})" in text
            assert (output.parent / link).resolve().is_file()


# ------------------------------------------------------------------------------------------------
# Notebooks
# ------------------------------------------------------------------------------------------------
def _execute(notebook: str, env: dict):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = nbformat.read(ROOT / "notebooks" / notebook, as_version=4)
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        client = nbclient.NotebookClient(
            nb,
            timeout=300,
            kernel_name="python3",
            resources={"metadata": {"path": str(ROOT / "notebooks")}},
        )
        client.execute()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return nb


def _pythonpath() -> str:
    return os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)


def test_notebook_explore():
    nb = _execute("explore.ipynb", {"PYTHONPATH": _pythonpath(), "MDMJAX_NO_PROGRESS": "1"})
    text = "".join(
        o.get("text", "") for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs
    )
    assert "Theorem 4 =" in text and "steps, KL =" in text


def test_notebook_paper_figures(quick_root):
    # Display the quick results the experiment tests wrote (regenerating them would double the
    # suite's time; the experiment tests above already exercise regeneration).
    if not any((quick_root / "results").glob("e*/summary.json")):
        pytest.skip("no experiment ran")
    env = {
        "PYTHONPATH": _pythonpath(),
        "MDMJAX_NO_PROGRESS": "1",
        "MDMJAX_NOTEBOOK_OUT": str(quick_root),
        "MDMJAX_NOTEBOOK_REGENERATE": "0",
    }
    nb = _execute("paper_figures.ipynb", env)
    last = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    n_figs = sum(
        len(json.loads(p.read_text())["figures"])
        for p in (quick_root / "results").glob("e*/summary.json")
    )
    assert f"{n_figs} figures" in last
