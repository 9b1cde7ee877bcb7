"""Real laws, not written by us: English word frequencies and handwritten-digit patches.

Both need the optional data extra, ``pip install mdmjax[data]`` (``wordfreq`` and
``scikit-learn``). Both packages ship their data inside the wheel, so nothing is downloaded at run
time. Each function documents exactly how its law is built, so that a number computed on it can be
reproduced from the package versions alone.
"""

from __future__ import annotations

import string

import numpy as np

from mdmjax._src.memory import check_allocation, table_bytes
from mdmjax._src.precision import scoped_x64
from mdmjax._src.validate import as_nonnegative_float, as_positive_int
from mdmjax.distribution import Distribution

__all__ = ["english_words", "english_word_weights", "digits_patches", "digit_patch_samples"]

ALPHABET = string.ascii_lowercase
_LETTER_INDEX = {c: i for i, c in enumerate(ALPHABET)}
_DIGITS_SIDE = 8  # sklearn's load_digits images are 8 x 8
_DIGITS_MAX = 16.0  # pixel values lie in 0..16


def _require(module: str, function: str):
    """Import an optional dependency or raise an ``ImportError`` naming the extra."""
    try:
        return __import__(module, fromlist=["_"])
    except ImportError as err:
        package = {"wordfreq": "wordfreq", "sklearn.datasets": "scikit-learn"}[module]
        raise ImportError(
            f"{function} needs the optional package {package!r}, which is not installed. "
            f"Install the data extra: pip install mdmjax[data]  (or: pip install {package})"
        ) from err


@scoped_x64
def english_word_weights(
    length: int = 5, top: int = 50000, lang: str = "en"
) -> tuple[list[str], np.ndarray]:
    """The words and raw frequencies that :func:`english_words` normalizes.

    Walks wordfreq's ``"best"`` word list for ``lang`` in decreasing frequency and keeps, in that
    order, the first ``top`` entries that are exactly ``length`` letters of ``a``-``z`` after
    lowercasing. See :func:`english_words` for the full recipe.

    Args:
      length: number of letters, ``>= 1``.
      top: how many distinct kept words, the most frequent first.
      lang: wordfreq language code.

    Returns:
      ``(words, weights)``: the kept words (most frequent first) and their wordfreq frequencies
      (float64, not normalized).

    Raises:
      ImportError: wordfreq is missing (``pip install mdmjax[data]``).
      ValueError: bad arguments, an unknown ``lang``, or no word of that length.

    Examples:
      The weights are wordfreq's own frequencies (needs the ``data`` extra):

      >>> import numpy as np, wordfreq, mdmjax as mdm
      >>> words, weights = mdm.families.english_word_weights(3, top=5)
      >>> words
      ['the', 'and', 'for', 'you', 'was']
      >>> freqs = wordfreq.get_frequency_dict("en", wordlist="best")
      >>> bool(np.allclose(weights, [freqs[w] for w in words]))
      True
    """
    length = as_positive_int(length, "length")
    top = as_positive_int(top, "top")
    if not isinstance(lang, str) or not lang:
        raise ValueError(f"lang: expected a language code such as 'en', got {lang!r}")
    wordfreq = _require("wordfreq", "english_words")
    if lang not in wordfreq.available_languages(wordlist="best"):
        raise ValueError(f"lang: wordfreq has no word list for {lang!r}")
    freqs = wordfreq.get_frequency_dict(lang, wordlist="best")
    weights: dict[str, float] = {}
    for word in wordfreq.iter_wordlist(lang, wordlist="best"):
        w = word.lower()
        if len(w) != length or any(c not in _LETTER_INDEX for c in w):
            continue
        # Two entries that lowercase to the same word pool their frequencies.
        weights[w] = weights.get(w, 0.0) + float(freqs[word])
        if len(weights) >= top:
            break
    if not weights:
        raise ValueError(f"length: wordfreq's {lang!r} list has no {length}-letter a-z words")
    words = list(weights)
    return words, np.asarray([weights[w] for w in words], dtype=np.float64)


@scoped_x64
def english_words(
    length: int = 5, top: int = 50000, lang: str = "en", smoothing: float = 0.0
) -> Distribution:
    """The law of ``length``-letter words over ``a``-``z``, weighted by real word frequencies.

    How the law is built (wordfreq >= 3.1, data shipped with the package):

    1. Walk ``wordfreq.iter_wordlist(lang, wordlist="best")``, which lists words in decreasing
       frequency.
    2. Lowercase each entry. Keep it only if it has exactly ``length`` characters, all in
       ``a``-``z``; entries with any other character (digits, apostrophes, hyphens, accented or
       non-Latin letters) are dropped, not stripped.
    3. Stop after ``top`` distinct kept words (fewer if the list runs out).
    4. The weight of a word is its wordfreq frequency ``get_frequency_dict(lang)[word]`` (entries
       that lowercase to the same word add up).
    5. Normalize: ``p(word) = w(word) / sum_v w(v)``. Position ``i`` is the ``i``-th letter, coded
       ``a = 0, ..., z = 25``, so the table has shape ``(26,) * length``.
    6. Optional additive smoothing: ``p(x) = (p(x) + smoothing) / (1 + smoothing * 26**length)``
       for every one of the ``26**length`` strings, i.e. a pseudo-mass ``smoothing`` per cell.
       It mixes in the uniform law with weight ``smoothing * 26**length / (1 + smoothing *
       26**length)``.

    Args:
      length: number of letters (positions), ``>= 1``. The table has ``26**length`` entries, so
        ``length = 6`` needs 2.5 GB and is refused on small machines by the memory guard.
      top: how many distinct kept words to use, the most frequent first.
      lang: wordfreq language code; for languages with accents only the words spelt in plain
        ``a``-``z`` survive step 2.
      smoothing: pseudo-mass added to every cell, ``>= 0``.

    Raises:
      ImportError: wordfreq is missing (``pip install mdmjax[data]``).
      ValueError: bad arguments, or the table would not fit in memory.

    Examples:
      >>> import mdmjax as mdm
      >>> d = mdm.real_data.english_words(length=3, top=1000)  # doctest: +SKIP
      >>> d.shape  # doctest: +SKIP
      (26, 26, 26)
    """
    length = as_positive_int(length, "length")
    smoothing = as_nonnegative_float(smoothing, "smoothing")
    shape = (len(ALPHABET),) * length
    check_allocation(
        table_bytes(shape),
        f"the table of all 26^{length} strings",
        hint="Use a shorter length.",
        argument="length",
    )
    words, weights = english_word_weights(length, top, lang)
    codes = np.asarray([[_LETTER_INDEX[c] for c in w] for w in words], dtype=np.int64)
    table = np.zeros(shape, dtype=np.float64)
    table[tuple(codes.T)] = weights / weights.sum()
    if smoothing > 0:
        table = (table + smoothing) / (1.0 + smoothing * table.size)
    return Distribution.from_probs(table)


def _check_patch_args(rows, cols, threshold, stride):
    rows = as_positive_int(rows, "rows")
    cols = as_positive_int(cols, "cols")
    stride = as_positive_int(stride, "stride")
    if rows > _DIGITS_SIDE:
        raise ValueError(f"rows: the digit images are {_DIGITS_SIDE} pixels tall, got {rows}")
    if cols > _DIGITS_SIDE:
        raise ValueError(f"cols: the digit images are {_DIGITS_SIDE} pixels wide, got {cols}")
    threshold = as_nonnegative_float(threshold, "threshold")
    if threshold >= _DIGITS_MAX:
        raise ValueError(
            f"threshold: pixels lie in 0..16 and a pixel is 1 when > threshold, so threshold "
            f"must be < 16, got {threshold}"
        )
    return rows, cols, threshold, stride


@scoped_x64
def digit_patch_samples(
    rows: int = 3, cols: int = 3, threshold: float = 8.0, stride: int = 1
) -> np.ndarray:
    """The binarized patches that :func:`digits_patches` counts, one row per patch.

    Args:
      rows, cols, threshold, stride: as for :func:`digits_patches`.

    Returns:
      a ``uint8`` array of shape ``(m, rows * cols)``; column ``r * cols + c`` is the pixel at
      row ``r``, column ``c`` of the patch (row-major).

    Raises:
      ImportError: scikit-learn is missing (``pip install mdmjax[data]``).
      ValueError: bad arguments.

    Examples:
      ``1 x 2`` windows: ``8 · 7`` positions in each of the 1 797 images (needs the ``data``
      extra):

      >>> import numpy as np, mdmjax as mdm
      >>> x = mdm.families.digit_patch_samples(1, 2)
      >>> x.shape == (1797 * 8 * 7, 2), sorted(np.unique(x).tolist())
      (True, [0, 1])
    """
    rows, cols, threshold, stride = _check_patch_args(rows, cols, threshold, stride)
    datasets = _require("sklearn.datasets", "digits_patches")
    images = np.asarray(datasets.load_digits().images)  # (1797, 8, 8), values 0..16
    binary = (images > threshold).astype(np.uint8)
    windows = np.lib.stride_tricks.sliding_window_view(binary, (rows, cols), axis=(1, 2))
    windows = windows[:, ::stride, ::stride]  # (m_img, top-left rows, top-left cols, rows, cols)
    return windows.reshape(-1, rows * cols)


@scoped_x64
def digits_patches(
    rows: int = 3,
    cols: int = 3,
    threshold: float = 8.0,
    smoothing: float = 0.0,
    *,
    stride: int = 1,
) -> Distribution:
    """The empirical law of binarized ``rows x cols`` patches of scikit-learn's digits.

    How the law is built (scikit-learn >= 1.4, data shipped with the package):

    1. ``sklearn.datasets.load_digits().images``: all 1 797 images, 8 x 8 pixels, integer values
       0..16 (the UCI optical-recognition digits, downsampled). Every class is used.
    2. Binarize: a pixel is 1 when its value is ``> threshold``, else 0 (on the 0..16 scale).
    3. Take every ``rows x cols`` window whose top-left corner is at row ``r`` and column ``c``
       with ``r, c`` multiples of ``stride`` and the window inside the image: with the default
       ``stride = 1`` that is all ``(9 - rows) * (9 - cols)`` positions per image. Patches from
       all images and positions are pooled; blank patches are kept.
    4. Position ``i = r * cols + c`` of the law is pixel ``(r, c)`` of the patch (row-major).
    5. ``p(x) = (count(x) + smoothing) / (m + smoothing * 2**(rows * cols))``, with ``m`` the
       number of patches (:meth:`Distribution.from_samples`).

    Args:
      rows, cols: patch size, each in ``1..8``; the law has ``n = rows * cols`` binary positions.
      threshold: binarization threshold on the 0..16 pixel scale, in ``[0, 16)``.
      smoothing: additive pseudo-count per cell, ``>= 0``.
      stride: spacing of the windows' top-left corners, ``>= 1``.

    Returns:
      a :class:`~mdmjax.Distribution` of shape ``(2,) * (rows * cols)``.

    Raises:
      ImportError: scikit-learn is missing (``pip install mdmjax[data]``).
      ValueError: bad arguments, or the ``2**(rows*cols)`` table would not fit in memory.

    Examples:
      The law is the patches' empirical frequencies, counted here by hand (needs the ``data``
      extra):

      >>> import numpy as np, mdmjax as mdm
      >>> d = mdm.families.digits_patches(1, 2, smoothing=1.0)
      >>> x = mdm.families.digit_patch_samples(1, 2).astype(np.int64)
      >>> counts = np.bincount(2 * x[:, 0] + x[:, 1], minlength=4)
      >>> d.shape, bool(np.allclose(np.ravel(d.probs), (counts + 1.0) / (len(x) + 4.0)))
      ((2, 2), True)
    """
    rows, cols, threshold, stride = _check_patch_args(rows, cols, threshold, stride)
    smoothing = as_nonnegative_float(smoothing, "smoothing")
    shape = (2,) * (rows * cols)
    check_allocation(
        table_bytes(shape),
        f"the table of all 2^{rows * cols} binary patches",
        hint="Use a smaller patch.",
        argument="rows",
    )
    samples = digit_patch_samples(rows, cols, threshold, stride)
    return Distribution.from_samples(samples, 2, smoothing=smoothing)
