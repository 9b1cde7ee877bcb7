"""Real-data laws: built exactly as documented, checked against plain-Python recounts."""

import builtins
import itertools

import numpy as np
import pytest

import mdmjax as mdm
from mdmjax import families as real_data


def _hide_module(monkeypatch, name):
    real_import = builtins.__import__

    def fake_import(module, *args, **kwargs):
        if module == name or module.startswith(name + "."):
            raise ImportError(f"No module named {module!r}")
        return real_import(module, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)


# ------------------------------------------------------------------------------------------------
# English words
# ------------------------------------------------------------------------------------------------
def test_english_words_matches_plain_python_recount():
    wordfreq = pytest.importorskip("wordfreq")
    length, top = 3, 300
    d = real_data.english_words(length=length, top=top)
    # Independent recount: the documented recipe written out with word_frequency look-ups.
    kept = []
    for w in wordfreq.iter_wordlist("en", wordlist="best"):
        w = w.lower()
        if len(w) == length and all("a" <= c <= "z" for c in w) and w not in kept:
            kept.append(w)
        if len(kept) == top:
            break
    freq = {w: wordfreq.get_frequency_dict("en")[w] for w in kept}
    total = sum(freq.values())
    p = np.asarray(d.probs)
    assert d.shape == (26,) * length
    assert np.count_nonzero(p) == len(kept) == top
    for w in kept[:50] + kept[-5:]:
        idx = tuple(ord(c) - ord("a") for c in w)
        assert p[idx] == pytest.approx(freq[w] / total, rel=1e-12)
    assert p.sum() == pytest.approx(1.0, abs=1e-12)


def test_english_word_weights_order_and_filter():
    pytest.importorskip("wordfreq")
    words, weights = real_data.english_word_weights(length=5, top=200)
    assert len(words) == 200 == len(set(words))
    assert all(len(w) == 5 and w.isascii() and w.isalpha() and w.islower() for w in words)
    assert np.all(np.diff(weights) <= 0)  # most frequent first
    assert "about" in words[:5]


def test_english_words_smoothing_is_a_uniform_mixture():
    pytest.importorskip("wordfreq")
    raw = np.asarray(real_data.english_words(length=2, top=50).probs)
    s = 1e-4
    smoothed = np.asarray(real_data.english_words(length=2, top=50, smoothing=s).probs)
    lam = s * raw.size / (1 + s * raw.size)
    np.testing.assert_allclose(smoothed, (1 - lam) * raw + lam / raw.size, rtol=1e-12, atol=0)
    assert smoothed.min() > 0


def test_english_words_curve_is_informative():
    pytest.importorskip("wordfreq")
    c = mdm.information_curve(real_data.english_words(length=3, top=2000))
    assert c.tc > 0.5 and c.dtc > 0.5  # letters of real words are strongly dependent


def test_english_words_bad_input():
    pytest.importorskip("wordfreq")
    with pytest.raises(ValueError, match="length"):
        real_data.english_words(length=0)
    with pytest.raises(ValueError, match="top"):
        real_data.english_words(length=3, top=0)
    with pytest.raises(ValueError, match="smoothing"):
        real_data.english_words(length=3, smoothing=-1.0)
    with pytest.raises(ValueError, match="lang"):
        real_data.english_words(length=3, lang="xx-not-a-language")


def test_english_words_memory_guard(monkeypatch):
    monkeypatch.setenv("MDMJAX_MEMORY_LIMIT", "1M")
    # 26^5 * 8 bytes = 95 MB > 1 MiB: refused before wordfreq is even consulted.
    with pytest.raises(ValueError, match=r"length: .*26\^5.*estimated"):
        real_data.english_words(length=5)
    monkeypatch.delenv("MDMJAX_MEMORY_LIMIT")
    with pytest.raises(ValueError, match=r"length"):
        real_data.english_words(length=12)


def test_english_words_missing_package_names_the_extra(monkeypatch):
    _hide_module(monkeypatch, "wordfreq")
    with pytest.raises(ImportError, match=r"pip install mdmjax\[data\]"):
        real_data.english_words(length=2)


# ------------------------------------------------------------------------------------------------
# Digit patches
# ------------------------------------------------------------------------------------------------
def _recount_patches(images, rows, cols, threshold, stride):
    counts = {}
    for img in images:
        for r in range(0, 8 - rows + 1, stride):
            for c in range(0, 8 - cols + 1, stride):
                key = tuple(
                    int(img[r + a, c + b] > threshold) for a in range(rows) for b in range(cols)
                )
                counts[key] = counts.get(key, 0) + 1
    return counts


@pytest.mark.parametrize(("rows", "cols", "threshold", "stride"), [(2, 3, 8.0, 1), (3, 2, 4.5, 2)])
def test_digits_patches_matches_plain_python_recount(rows, cols, threshold, stride):
    datasets = pytest.importorskip("sklearn.datasets")
    images = datasets.load_digits().images
    counts = _recount_patches(images, rows, cols, threshold, stride)
    m = sum(counts.values())
    assert m == len(images) * len(range(0, 9 - rows, stride)) * len(range(0, 9 - cols, stride))
    d = real_data.digits_patches(rows, cols, threshold, stride=stride)
    p = np.asarray(d.probs)
    assert d.shape == (2,) * (rows * cols)
    for x in itertools.product((0, 1), repeat=rows * cols):
        assert p[x] == pytest.approx(counts.get(x, 0) / m, abs=1e-15)


def test_digits_patches_smoothing():
    datasets = pytest.importorskip("sklearn.datasets")
    counts = _recount_patches(datasets.load_digits().images, 2, 2, 8.0, 1)
    m = sum(counts.values())
    p = np.asarray(real_data.digits_patches(2, 2, 8.0, smoothing=0.5).probs)
    for x in itertools.product((0, 1), repeat=4):
        assert p[x] == pytest.approx((counts.get(x, 0) + 0.5) / (m + 0.5 * 16), rel=1e-12)


def test_digits_patches_bad_input(monkeypatch):
    pytest.importorskip("sklearn")
    with pytest.raises(ValueError, match="rows"):
        real_data.digits_patches(9, 2)
    with pytest.raises(ValueError, match="cols"):
        real_data.digits_patches(2, 0)
    with pytest.raises(ValueError, match="threshold"):
        real_data.digits_patches(2, 2, threshold=16)
    with pytest.raises(ValueError, match="threshold"):
        real_data.digits_patches(2, 2, threshold=-1)
    with pytest.raises(ValueError, match="stride"):
        real_data.digits_patches(2, 2, stride=0)
    with pytest.raises(ValueError, match="smoothing"):
        real_data.digits_patches(2, 2, smoothing=float("nan"))
    monkeypatch.setenv("MDMJAX_MEMORY_LIMIT", "1K")
    with pytest.raises(ValueError, match=r"rows: .*2\^16"):
        real_data.digits_patches(4, 4)


def test_digits_patches_missing_package_names_the_extra(monkeypatch):
    _hide_module(monkeypatch, "sklearn")
    with pytest.raises(ImportError, match=r"pip install mdmjax\[data\]"):
        real_data.digits_patches(2, 2)


def test_reachable_as_families():
    assert mdm.families.english_words is real_data.english_words
    assert mdm.families.digits_patches is real_data.digits_patches
