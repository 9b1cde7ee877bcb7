"""``mdmjax bench --kernel coverage``: the coverage table from the installed package."""

import json

import numpy as np

from mdmjax.cli import _bench_coverage as bc
from mdmjax.cli import main
from tests.cli._util import run_error


def _toy_case(repeats, seed):
    """Intervals ``x ± z`` of a standard normal ``x`` around a truth of 0: exact coverage."""
    x = np.random.default_rng(seed).standard_normal(repeats)
    return np.zeros(repeats), {lvl: (x - bc._Z[lvl], x + bc._Z[lvl]) for lvl in bc.LEVELS}


def test_bench_coverage_writes_markdown_and_json(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(bc, "CASES", [bc.Case("toy", "normal", 1, _toy_case)])
    monkeypatch.setattr(bc, "rows_needed_check", lambda repeats, **kw: {})
    path = tmp_path / "coverage.json"
    rc = main(
        ["bench", "--kernel", "coverage", "--repeats", "4000", "--json", str(path), "--quiet"]
    )
    assert rc == 0 and "wrote" in capsys.readouterr().out
    cells = json.loads(path.read_text())["cells"]
    assert [c["nominal"] for c in cells] == list(bc.LEVELS)
    for c in cells:  # the binomial se of 4000 repeats is under 0.007
        assert abs(c["coverage"] - c["nominal"]) <= 4 * c["se"], c
        assert c["repeats"] == 4000
    text = (tmp_path / "coverage.md").read_text()
    assert "| toy | normal | 1 | 0.95 |" in text and "walk transformer" in text


def test_bench_coverage_bad_repeats(capsys):
    assert "--repeats" in run_error(capsys, ["bench", "--kernel", "coverage", "--repeats", "0"])
