"""Shared plumbing for the experiment scripts: arguments, output files, progress bars.

Every experiment ``experiments/eNN_name.py`` runs as ``python experiments/eNN_name.py [--quick]
[--out DIR]`` and writes, relative to the repository root (or ``--out``):

* ``results/eNN/*.json`` and ``results/eNN/*.csv``: the raw numbers;
* ``results/eNN/summary.json``: the claim, whether it held, the headline number and one table,
  in the schema that ``experiments/make_readme_results.py`` renders into ``docs/results.md``;
* ``figures/eNN_*.png``: the figures.

``--quick`` is the CI mode: well under a minute on a CPU.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without installing mdmjax
    sys.path.insert(0, str(ROOT))

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from tqdm.auto import tqdm  # noqa: E402

SUMMARY = "summary.json"


def _jsonable(obj):
    """Convert numpy scalars/arrays and tuples so that ``json.dump`` accepts them."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating | float):
        v = float(obj)
        return v if math.isfinite(v) else repr(v)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, Path):
        return str(obj)
    return obj


class Run:
    """One run of one experiment: where its files go and how it reports progress."""

    def __init__(self, name: str, title: str, args: argparse.Namespace, script: str = ""):
        self.name = name
        self.script = f"experiments/{Path(script).name}" if script else ""
        self.title = title
        self.quick = bool(args.quick)
        self.out = Path(args.out).resolve()
        self.seed = int(args.seed)
        self.progress = not args.no_progress and os.environ.get("MDMJAX_NO_PROGRESS") != "1"
        self.args = args
        self.started = time.perf_counter()
        self.results_dir.mkdir(parents=True, exist_ok=True)
        self.figures_dir.mkdir(parents=True, exist_ok=True)

    @property
    def mode(self) -> str:
        return "quick" if self.quick else "full"

    @property
    def results_dir(self) -> Path:
        return self.out / "results" / self.name

    @property
    def figures_dir(self) -> Path:
        return self.out / "figures"

    def bar(self, iterable: Iterable, desc: str, total: int | None = None):
        """A tqdm progress bar (silenced by ``--no-progress`` or ``MDMJAX_NO_PROGRESS=1``)."""
        return tqdm(
            iterable,
            desc=f"{self.name} {desc}",
            total=total,
            disable=not self.progress,
            leave=False,
            dynamic_ncols=True,
        )

    def write_json(self, filename: str, obj) -> Path:
        path = self.results_dir / filename
        with open(path, "w") as fh:
            json.dump(_jsonable(obj), fh, indent=2)
            fh.write("\n")
        return path

    def write_csv(self, filename: str, rows: Sequence[dict]) -> Path:
        """Rows as dictionaries; the columns are the union of keys, in first-seen order."""
        path = self.results_dir / filename
        columns: list[str] = []
        for row in rows:
            columns.extend(k for k in row if k not in columns)
        with open(path, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns)
            writer.writeheader()
            for row in rows:
                writer.writerow({k: _csv_cell(v) for k, v in row.items()})
        return path

    def save_figure(self, fig, suffix: str) -> str:
        """Save ``fig`` as ``figures/<name>_<suffix>.png``; returns the path relative to out."""
        import matplotlib.pyplot as plt

        path = self.figures_dir / f"{self.name}_{suffix}.png"
        fig.savefig(path, dpi=110 if self.quick else 150, bbox_inches="tight")
        plt.close(fig)
        return str(path.relative_to(self.out))

    def write_summary(
        self,
        *,
        claim: str,
        held: bool | None,
        headline: str,
        tables: Sequence[dict],
        figures: Sequence[str],
        notes: Sequence[str] = (),
        **extra,
    ) -> Path:
        """The record that ``make_readme_results.py`` renders.

        Args:
          claim: the paper's claim this experiment tests, in one sentence.
          held: whether it held in this run (``None`` when the experiment does not test a
            yes/no claim).
          headline: the headline number, as a sentence.
          tables: ``{"title": str, "columns": [...], "rows": [[...], ...]}`` each.
          figures: paths relative to the output root (as returned by :meth:`save_figure`).
          notes: caveats worth printing under the table.
          extra: any further JSON-able fields.
        """
        summary = {
            "experiment": self.name,
            "title": self.title,
            "mode": self.mode,
            "claim": claim,
            "held": held,
            "headline": headline,
            "tables": list(tables),
            "figures": list(figures),
            "notes": list(notes),
            "elapsed_s": round(time.perf_counter() - self.started, 2),
            "script": self.script,
            "argv": sys.argv[1:] if self.args.argv is None else list(self.args.argv),
            **extra,
        }
        path = self.write_json(SUMMARY, summary)
        verdict = {True: "HELD", False: "DID NOT HOLD", None: "n/a"}[held]
        print(f"[{self.name}] {self.title} ({self.mode}, {summary['elapsed_s']} s)")
        print(f"[{self.name}] claim: {claim} -> {verdict}")
        print(f"[{self.name}] {headline}")
        return path


def _csv_cell(v):
    if isinstance(v, list | tuple | np.ndarray):
        return " ".join(str(_jsonable(x)) for x in v)
    if isinstance(v, float | np.floating):
        return repr(float(v))
    return v


def parser(description: str) -> argparse.ArgumentParser:
    """The common command line; experiments may add their own options."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="CI mode: small sizes, under a minute")
    p.add_argument(
        "--out",
        default=str(ROOT),
        help="root for results/ and figures/ (default: the repository root)",
    )
    p.add_argument("--seed", type=int, default=0, help="PRNG seed for random laws")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    return p


def start(name: str, title: str, argv: Sequence[str] | None, *, script: str = "", p=None) -> Run:
    """Parse ``argv`` (``None``: ``sys.argv[1:]``) and set up the run.

    Args:
      name: ``"eNN"``, the folder and figure prefix.
      title: one line, shown in the summary and the README.
      argv: the command line, ``None`` for ``sys.argv[1:]``.
      script: the experiment's ``__file__``, recorded so the README says how to reproduce it.
      p: a parser from :func:`parser` with extra options, if the experiment has any.
    """
    p = p or parser(title)
    args = p.parse_args(argv)
    args.argv = None if argv is None else list(argv)
    return Run(name, title, args, script)


def fmt(x: float, digits: int = 3) -> str:
    """Compact number formatting for tables: ``0.0123``, ``1.2e-11``, ``12.3``."""
    if x is None:
        return "–"
    x = float(x)
    if not math.isfinite(x):
        return str(x)
    if x == 0:
        return "0"
    if abs(x) < 1e-3 or abs(x) >= 1e5:
        return f"{x:.{max(digits - 1, 1)}e}"
    return f"{x:.{digits}g}"


def expected_kl_many(curve, schedules: Sequence[Sequence[int]], rows: int = 64) -> np.ndarray:
    """``mdm.expected_kl`` for many schedules of one curve, in fixed-shape vmapped batches.

    Every schedule is padded with zeros to width ``n`` and the batch to a multiple of ``rows``
    (padding rows are the one-step schedule), so the jitted kernel compiles once per ``n``
    instead of once per schedule length.
    """
    import mdmjax as mdm

    n = curve.n
    out = []
    for start in range(0, len(schedules), rows):
        chunk = schedules[start : start + rows]
        arr = np.zeros((rows, n), dtype=np.int64)
        arr[:, 0] = n
        for r, sizes in enumerate(chunk):
            arr[r] = 0
            arr[r, : len(sizes)] = sizes
        out.append(np.asarray(mdm.expected_kl(curve, arr))[: len(chunk)])
    return np.concatenate(out) if out else np.zeros(0)
