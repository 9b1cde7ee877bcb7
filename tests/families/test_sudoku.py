"""4×4 Sudoku grids and puzzles, against an independent enumeration (24^4 row permutations)."""

import functools
import itertools

import numpy as np
import pytest

import mdmjax as mdm
from mdmjax.families._sudoku import SUDOKU_MASK


@functools.cache
def _brute_force_grids() -> np.ndarray:
    """Every choice of 4 row permutations (24^4 = 331776), kept when columns and boxes are valid."""
    perms = np.asarray(list(itertools.permutations(range(4))))
    idx = np.stack(np.meshgrid(*[np.arange(24)] * 4, indexing="ij"), -1).reshape(-1, 4)
    grids = perms[idx]  # (24^4, 4 rows, 4 cols)
    cols_ok = np.all(np.sort(grids, axis=1) == np.arange(4)[None, :, None], axis=(1, 2))
    boxes = grids.reshape(-1, 2, 2, 2, 2).transpose(0, 1, 3, 2, 4).reshape(-1, 4, 4)
    boxes_ok = np.all(np.sort(boxes, axis=2) == np.arange(4), axis=(1, 2))
    keep = grids[cols_ok & boxes_ok].reshape(-1, 16)
    return keep[np.lexsort(keep.T[::-1])]


def test_grids_are_the_288_of_the_brute_force():
    g = mdm.families.sudoku_grids()
    ref = _brute_force_grids()
    assert ref.shape == (288, 16)
    assert g.shape == (288, 16) and g.dtype == np.int64
    np.testing.assert_array_equal(g, ref)
    assert len({r.tobytes() for r in g}) == 288


def test_is_sudoku_checks_rows_columns_and_boxes():
    g = mdm.families.sudoku_grids()
    assert mdm.families.is_sudoku(g).all()
    # Every non-grid among the brute-force candidates with valid rows fails: swap two cells.
    bad = g.copy()
    bad[:, [0, 1]] = bad[:, [1, 0]]  # row still a permutation, columns not
    assert not mdm.families.is_sudoku(bad).any()
    # A grid with valid rows and columns but a bad box (a Latin square that is not a Sudoku).
    latin = np.array([[0, 1, 2, 3], [1, 2, 3, 0], [2, 3, 0, 1], [3, 0, 1, 2]]).reshape(16)
    assert not bool(mdm.families.is_sudoku(latin))
    assert not bool(mdm.families.is_sudoku(np.where(np.arange(16) == 3, 4, g[0])))


@pytest.mark.parametrize("clues", [4, 5, 6, 8, 10])
def test_puzzles_have_a_unique_completion(clues):
    prompts, sols = mdm.families.sudoku_puzzles(clues, 20, seed=3)
    g = _brute_force_grids()
    assert prompts.shape == sols.shape == (20, 16)
    assert len({p.tobytes() for p in prompts}) == 20
    for p, s in zip(prompts, sols, strict=True):
        clue = p != SUDOKU_MASK
        assert clue.sum() == clues
        assert np.all(p[~clue] == 4)
        matches = g[np.all((g == p) | ~clue, axis=1)]
        assert matches.shape == (1, 16)
        np.testing.assert_array_equal(matches[0], s)


def test_puzzles_are_deterministic_and_seeded():
    a = mdm.families.sudoku_puzzles(6, 5, seed=1)
    b = mdm.families.sudoku_puzzles(6, 5, seed=1)
    c = mdm.families.sudoku_puzzles(6, 5, seed=2)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_bad_input():
    with pytest.raises(ValueError, match="^clues: "):
        mdm.families.sudoku_puzzles(3, 1)
    with pytest.raises(ValueError, match="^clues: "):
        mdm.families.sudoku_puzzles(16, 1)
    with pytest.raises(ValueError, match="^num: "):
        mdm.families.sudoku_puzzles(5, 0)
    with pytest.raises(ValueError, match="^num: "):
        mdm.families.sudoku_puzzles(15, 5000)  # at most 288 * 16 prompts with 15 clues
    with pytest.raises(ValueError, match="^rows: "):
        mdm.families.is_sudoku(np.zeros((2, 15), dtype=int))
