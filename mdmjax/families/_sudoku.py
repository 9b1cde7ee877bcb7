"""4×4 Sudoku: the 288 valid grids and puzzles with a unique completion (a law given by support).

A grid is a row of ``n = 16`` positions in row-major order (position ``4 r + c`` is row ``r``,
column ``c``), values ``0..3``. It is valid when every row, every column and every 2×2 box holds
each value once. There are 288 valid grids; the uniform law on them has entropy ``ln 288``.

A puzzle is a set of clue positions whose values are those of one grid such that exactly one
valid grid agrees with them. Its prompt row holds the clue values and :data:`SUDOKU_MASK` (``4``,
the mask value of :mod:`mdmjax.models`' input convention at ``V = 4``) at the blanks, so it is
the ``prompt=`` of :func:`mdmjax.sample`. With a unique completion the law of the completion
given the clues is a point mass on the solution, and a sampler's probability of that solution is
its exact solve rate (docs/theory.md §11).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from mdmjax._src.validate import as_positive_int

__all__ = [
    "SUDOKU_MASK",
    "SUDOKU_UNITS",
    "is_sudoku",
    "sudoku_grids",
    "sudoku_puzzles",
]

SUDOKU_MASK = 4  # the mask value of a prompt (V = 4 values)
_SIDE = 4
_N = _SIDE * _SIDE

# The 12 units (4 rows, 4 columns, 4 boxes), each as the 4 positions it covers.
SUDOKU_UNITS: tuple[tuple[int, ...], ...] = tuple(
    [tuple(4 * r + c for c in range(4)) for r in range(4)]
    + [tuple(4 * r + c for r in range(4)) for c in range(4)]
    + [
        tuple(4 * (br + r) + (bc + c) for r in range(2) for c in range(2))
        for br in (0, 2)
        for bc in (0, 2)
    ]
)


def is_sudoku(rows) -> np.ndarray:
    """Whether each row is a valid 4×4 Sudoku grid (every row, column and box a permutation).

    Args:
      rows: int array ``(16,)`` or ``(R, 16)``, values ``0..3`` (other values are invalid).

    Returns:
      bool array ``(R,)`` (a 0-d array for one row).

    Raises:
      ValueError: ``rows`` does not have 16 positions on its last axis.

    Examples:
      >>> import mdmjax as mdm
      >>> g = mdm.families.sudoku_grids()
      >>> bool(mdm.families.is_sudoku(g).all()), bool(mdm.families.is_sudoku(g[0] * 0))
      (True, False)
    """
    arr = np.asarray(rows)
    if arr.ndim not in (1, 2) or arr.shape[-1] != _N:
        raise ValueError(f"rows: expected shape (16,) or (R, 16), got {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"rows: expected integer values, got dtype {arr.dtype}")
    units = arr[..., np.asarray(SUDOKU_UNITS)]  # (..., 12, 4)
    ok = np.sort(units, axis=-1) == np.arange(_SIDE)
    return np.all(ok, axis=(-2, -1))


@functools.cache
def _grids() -> np.ndarray:
    """Backtracking over cells in row-major order (the test checks it against a filter of 24^4)."""
    out: list[list[int]] = []
    grid = [0] * _N
    peers = [sorted({j for u in SUDOKU_UNITS if i in u for j in u if j < i}) for i in range(_N)]

    def fill(i: int) -> None:
        if i == _N:
            out.append(list(grid))
            return
        used = {grid[j] for j in peers[i]}
        for v in range(_SIDE):
            if v not in used:
                grid[i] = v
                fill(i + 1)

    fill(0)
    arr = np.asarray(out, dtype=np.int64)
    arr.setflags(write=False)
    return arr


def sudoku_grids() -> np.ndarray:
    """The 288 valid 4×4 Sudoku grids, as an int64 array ``(288, 16)`` in lexicographic order.

    Position ``4 r + c`` is row ``r``, column ``c``; values ``0..3``. The uniform law on these
    rows (``mdm.families.from_support(sudoku_grids())``) has entropy ``ln 288``.

    Returns:
      a fresh ``(288, 16)`` int64 array.

    Examples:
      >>> import mdmjax as mdm
      >>> g = mdm.families.sudoku_grids()
      >>> g.shape, g[0].reshape(4, 4).tolist()
      ((288, 16), [[0, 1, 2, 3], [2, 3, 0, 1], [1, 0, 3, 2], [3, 2, 1, 0]])
    """
    return np.array(_grids())


def _completions(grids: np.ndarray, positions: np.ndarray, values: np.ndarray) -> int:
    return int(np.sum(np.all(grids[:, positions] == values[None, :], axis=1)))


def sudoku_puzzles(clues: int, num: int, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Distinct 4×4 Sudoku puzzles with ``clues`` clues and a unique completion, deterministic.

    Each puzzle is drawn by rejection: a uniform valid grid and a uniform set of ``clues``
    positions, kept when exactly one of the 288 grids agrees with the clues and the prompt is new.
    The same ``(clues, num, seed)`` always gives the same puzzles.

    Args:
      clues: number of revealed positions, ``4..15`` (no 4×4 puzzle with 3 clues is unique).
      num: number of puzzles.
      seed: seed of the NumPy generator that draws them.

    Returns:
      ``(prompts, solutions)``: int64 arrays ``(num, 16)``. A prompt holds the clue values and
      :data:`SUDOKU_MASK` (4) at the blanks; its solution is the unique valid grid that agrees.

    Raises:
      ValueError: ``clues`` outside ``4..15`` or ``num < 1`` (or more puzzles asked for than the
        draws find: the message says how many were found).

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> prompts, solutions = mdm.families.sudoku_puzzles(5, 3, seed=0)
      >>> prompts.shape, int((prompts != 4).sum(axis=1)[0])
      ((3, 16), 5)
      >>> clue = prompts != 4
      >>> bool(np.all(prompts[clue] == solutions[clue]))
      True
      >>> bool(mdm.families.is_sudoku(solutions).all())
      True
    """
    clues = as_positive_int(clues, "clues")
    num = as_positive_int(num, "num")
    if not 4 <= clues <= _N - 1:
        raise ValueError(
            f"clues: expected 4..15 (no 4x4 Sudoku with fewer than 4 clues has a unique "
            f"completion), got {clues}"
        )
    most = math.comb(_N, clues) * 288  # every (positions, grid) pair: an upper bound on prompts
    if num > most:
        raise ValueError(f"num: at most {most} puzzles with {clues} clues exist, got {num}")
    grids = _grids()
    rng = np.random.default_rng([int(seed), clues])
    prompts: list[np.ndarray] = []
    seen: set[bytes] = set()
    max_draws = 200 * num + 20000
    for _ in range(max_draws):
        sol = grids[rng.integers(len(grids))]
        pos = np.sort(rng.choice(_N, size=clues, replace=False))
        if _completions(grids, pos, sol[pos]) != 1:
            continue
        prompt = np.full(_N, SUDOKU_MASK, dtype=np.int64)
        prompt[pos] = sol[pos]
        key = prompt.tobytes()
        if key in seen:
            continue
        seen.add(key)
        prompts.append(prompt)
        if len(prompts) == num:
            break
    if len(prompts) < num:
        raise ValueError(
            f"num: found only {len(prompts)} distinct unique-completion puzzles with {clues} "
            f"clues in {max_draws} draws; ask for fewer"
        )
    p = np.stack(prompts)
    solutions = np.stack([_solve(grids, row) for row in p])
    return p, solutions


def _solve(grids: np.ndarray, prompt: np.ndarray) -> np.ndarray:
    clue = prompt != SUDOKU_MASK
    match = np.all(grids[:, clue] == prompt[None, clue], axis=1)
    return np.array(grids[np.flatnonzero(match)[0]])
