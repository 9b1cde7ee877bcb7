"""The package ships source, the data files its code loads, and typing markers: nothing else
(a merge leftover such as ``_bench_kernels.py.orig`` once shipped in the wheel)."""

import os
import re

import mdmjax

PACKAGE = os.path.dirname(os.path.abspath(mdmjax.__file__))
DATA = (".npz", ".npy", ".json", ".csv")
MARKERS = ("py.typed",)


def _files():
    for folder, dirs, files in os.walk(PACKAGE):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for f in files:
            yield os.path.relpath(os.path.join(folder, f), PACKAGE)


def test_only_source_data_and_markers_in_the_package():
    files = list(_files())
    source = "".join(
        open(os.path.join(PACKAGE, f), encoding="utf-8").read() for f in files if f.endswith(".py")
    )
    bad, unused = [], []
    for f in files:
        name = os.path.basename(f)
        if f.endswith(".py") or name in MARKERS:
            continue
        if not f.endswith(DATA):
            bad.append(f)
        elif re.sub(r"\d+$", "", os.path.splitext(name)[0]) not in source:  # word_mdm_len{k}
            unused.append(f)
    assert not bad, f"files other than source, data or typing markers: {bad}"
    assert not unused, f"data files no code of the package loads: {unused}"
