"""Every experiment runs in quick mode, writes its files, and the notebooks execute.

The experiments run in-process (``main(["--quick", ...])``) into one temporary folder per test
module, so that the README generator and the paper-figures notebook can read their outputs.
An experiment whose dependencies (``REQUIRES``, module names) are not importable fails (the test
and data extras provide them); no test here turns a failure into a skip.
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
# Quick-mode runs and notebook executions take minutes: the slow job of .ci/run runs them.
pytestmark = pytest.mark.slow

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
    assert not _missing(module), f"{name} needs {_missing(module)} (the test and data extras)"
    assert module.main(["--quick", "--no-progress", "--out", str(out)]) == 0
    with open(out / "results" / module.NAME / "summary.json") as fh:
        return json.load(fh)


@pytest.mark.parametrize("name", SCRIPTS)
def test_experiment_quick(name, quick_root):
    summary = _run_quick(name, quick_root)
    assert SUMMARY_KEYS <= set(summary)
    assert summary["mode"] == "quick"
    # every experiment with a paper claim holds in its quick mode too; E8 tests no claim
    assert summary["held"] is (None if name == "e08_adaptive_frontier" else True), summary[
        "headline"
    ]
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
    # The table shows the MDS families with a zero mixture gap (docs/theory.md §1) and a strictly
    # positive one elsewhere: an independent sanity check of the enumeration itself.
    rows = {r[0]: r for r in summary["tables"][0]["rows"]}
    assert float(rows["repetition (q=2)"][4]) < 1e-12
    assert float(rows["ising chain"][4]) > 1e-3


def test_e02_shaded_area_is_the_kl(quick_root):
    e02 = _load("e02_function_approximation")
    _summary("e02_function_approximation", quick_root)
    sched = json.loads((quick_root / "results" / "e02" / "schedules.json").read_text())
    assert sched, "e02 produced no schedules"
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


def test_e11_numbers(quick_root):
    """E11 reproduces the paper's noisy-bit ratios and H(0,1), and Σ Γ equals the exact KL."""
    summary = _summary("e11_ugc", quick_root)
    assert summary["held"] is True
    numbers = json.loads((quick_root / "results" / "e11" / "paper_numbers.json").read_text())
    for row in numbers["noisy_bit"]:
        assert abs(row["ratio"] - row["paper"]) <= 0.005 + 1e-9
    assert max(r["abs_error"] for r in numbers["h01"]) < 1e-10
    assert numbers["max_gamma_vs_random_size"] < 1e-10 and numbers["grids_checked"] > 10
    big_n = [r for r in numbers["theorem3"]]
    assert big_n[-1]["N_kl"] < big_n[0]["N_kl"]


def _ran(root: Path) -> set[str]:
    """The experiments with a quick summary under ``root``; runs E1 when none has (this test
    on its own), so that the tests below always have results to read."""
    names = {p.parent.name for p in (root / "results").glob("e*/summary.json")}
    if not names:
        _summary("e01_theorem4_exact", root)
        names = {p.parent.name for p in (root / "results").glob("e*/summary.json")}
    assert names, "no experiment wrote a summary"
    return names


def test_make_readme_results(quick_root, tmp_path):
    names = _ran(quick_root)
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


def test_make_readme_results_splices_the_readme(quick_root, tmp_path):
    mk = _load("make_readme_results")
    readme = tmp_path / "README.md"
    readme.write_text("# T\n\nintro\n\n## Results\n\nold stuff\n\n## Licence\n\nMIT\n")
    assert (
        mk.main(
            ["--root", str(quick_root), "--output", str(tmp_path / "r.md"), "--readme", str(readme)]
        )
        == 0
    )
    text = readme.read_text()
    assert "old stuff" not in text
    assert text.startswith("# T\n\nintro\n\n## Results\n")
    assert text.endswith("\n## Licence\n\nMIT\n")
    assert text.count("## Results") == 1
    # idempotent, and a README without the section gets it appended
    section = "## Results\n\nx\n"
    once = mk.splice_section(text, section)
    assert mk.splice_section(once, section) == once
    assert mk.splice_section("# A\n", "## Results\n\nx\n") == "# A\n\n## Results\n\nx\n"
    again = mk.splice_section(text, "## Results\n\nnew\n")
    assert "new" in again and again.endswith("## Licence\n\nMIT\n")


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
    _ran(quick_root)
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


# ------------------------------------------------------------------------------------------------
# Helpers the experiments rely on, against independent computations
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [3, 5, 7])
def test_closed_form_curves_match_enumeration(n):
    import numpy as np

    import mdmjax as mdm

    _curves, _laws = _load("_curves"), _load("_laws")
    for eta in (0.05, 0.3):
        exact = mdm.information_curve(_laws.noisy_repetition(n, eta))
        closed = _curves.noisy_repetition_curve(n, eta)
        np.testing.assert_allclose(np.asarray(closed.z), np.asarray(exact.z), atol=1e-12)
        np.testing.assert_allclose(np.asarray(closed.hbar), np.asarray(exact.hbar), atol=1e-12)
    for d in (1, 2, n - 1):
        exact = mdm.information_curve(
            _laws.reed_solomon(n, 7, d) if n < 7 else _laws.repetition(n, 2)
        )
        closed = _curves.mds_curve(n, 7, d) if n < 7 else _curves.mds_curve(n, 2, 1)
        np.testing.assert_allclose(np.asarray(closed.z), np.asarray(exact.z), atol=1e-12)


def test_expected_kl_many_matches_plain_theorem4(rng):
    import numpy as np

    import mdmjax as mdm

    _common = _load("_common")
    n = 12
    z = np.concatenate([[0.0], np.cumsum(rng.uniform(0, 0.3, n - 1))])
    curve = mdm.InformationCurve.from_z(z)
    schedules = []
    for _ in range(70):  # more than one padded batch of 64
        cuts = np.sort(rng.choice(np.arange(1, n), size=rng.integers(0, n - 1), replace=False))
        schedules.append(tuple(int(s) for s in np.diff(np.concatenate([[0], cuts, [n]]))))
    got = _common.expected_kl_many(curve, schedules)
    for sizes, value in zip(schedules, got, strict=True):
        want, start = 0.0, 0
        for s in sizes:  # Theorem 4, written out: every position against its block's start
            want += sum(z[start + i] - z[start] for i in range(s))
            start += s
        assert value == pytest.approx(want, abs=1e-12)


def test_laws_are_valid_and_match_definitions():
    import itertools

    import numpy as np

    _laws = _load("_laws")
    p = np.asarray(_laws.parity(4).probs)
    for x in itertools.product((0, 1), repeat=4):
        assert p[x] == pytest.approx(1 / 8 if sum(x) % 2 == 0 else 0.0)
    rs = np.asarray(_laws.reed_solomon(3, 5, 2).probs)
    assert np.count_nonzero(rs) == 25  # q^d codewords
    for a, b in itertools.product(range(5), repeat=2):  # P(x) = a + b x at x = 0, 1, 2
        assert rs[a % 5, (a + b) % 5, (a + 2 * b) % 5] == pytest.approx(1 / 25)
    chain = np.asarray(_laws.ising_chain(3, coupling=0.7, field=0.2).probs)
    s = np.array([-1, 1])
    w = np.exp(
        0.7 * (s[:, None, None] * s[None, :, None] + s[None, :, None] * s[None, None, :])
        + 0.2 * (s[:, None, None] + s[None, :, None] + s[None, None, :])
    )
    np.testing.assert_allclose(chain, w / w.sum(), rtol=1e-12)


def test_e12_numbers(quick_root):
    """E12: the exact solve rates and P(valid) agree with samples; exact conditionals solve all."""
    summary = _summary("e12_sampler_kl", quick_root)
    assert summary["held"] is True and summary["sample_checks"] >= 3
    rows = json.loads((quick_root / "results" / "e12" / "e12_table.json").read_text())
    checks = json.loads((quick_root / "results" / "e12" / "e12_sample_check.json").read_text())
    assert all(abs(c["z"]) <= 3.2905 for c in checks)
    # with exact conditionals, a threshold policy only reveals forced cells at once: KL 0
    thr = [r for r in rows if r["model"] == "exact" and r["policy"] == "Fast-dLLM threshold 0.9"]
    assert thr and abs(thr[0]["kl"]) < 1e-9 and abs(thr[0]["rate"] - 1) < 1e-9
    for r in rows:
        assert 0.0 <= r["rate"] <= 1.0 + 1e-9
        if r["exact"] and r["setting"] == "full grids":  # KL >= -ln P(valid) (data processing)
            assert r["kl"] >= -math.log(r["rate"]) - 1e-9
