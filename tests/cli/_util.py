"""Helpers shared by the CLI tests: run ``mdmjax`` in-process and read its JSON."""

from __future__ import annotations

import json

from mdmjax.cli import main


def run_json(capsys, argv: list[str]) -> dict:
    """Run ``mdmjax ARGV --json -`` and return the parsed JSON (stdout holds only the JSON)."""
    code = main([*argv, "--json", "-"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def run_error(capsys, argv: list[str]) -> str:
    """Run ``mdmjax ARGV``, check it is one clean line with exit code 2, return that line."""
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 2, (code, captured.err)
    lines = [ln for ln in captured.err.splitlines() if ln.strip() and "note:" not in ln]
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    return lines[0]
