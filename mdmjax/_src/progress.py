"""The one progress display of the package: a tqdm bar on a terminal, plain lines elsewhere.

A bar needs a terminal; in a log file, CI or a notebook cell's captured stderr it shows nothing
until the end (or garbage). :func:`progress_bar` returns a tqdm bar when stderr is a terminal,
and otherwise a :class:`LineProgress`, which prints one line every ``interval`` seconds (done,
rate, time left) and nothing for a run shorter than that. Both have ``update(k)``, ``close()``,
``set_postfix(...)`` and are context managers.
"""

from __future__ import annotations

import sys
import time

__all__ = ["LineProgress", "progress_bar", "progress_iter", "LINE_INTERVAL"]

# Seconds between two progress lines when stderr is not a terminal.
LINE_INTERVAL = 5.0


def _duration(seconds: float) -> str:
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


class LineProgress:
    """Progress as plain lines: ``"desc: 1200/4096 rows (29%), 310 rows/s, 9 s left"``.

    A line is written when ``interval`` seconds have passed since the last one (the first after
    ``interval`` seconds), and a last one at :meth:`close` if any was written before and the
    count moved since.

    Examples:
      >>> import io
      >>> out = io.StringIO()
      >>> bar = LineProgress(100, "sample", "rows", stream=out, interval=0.0)
      >>> bar.update(25); bar.close()
      >>> print(out.getvalue().splitlines()[0].split(",")[0])
      sample: 25/100 rows (25%)
    """

    def __init__(self, total, desc: str, unit: str, *, stream=None, interval=None):
        self.total = None if total is None else int(total)
        self.desc = desc
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        self.interval = float(LINE_INTERVAL if interval is None else interval)
        self.n = 0
        self.start = time.monotonic()
        self.last = self.start
        self.lines = 0
        self.written = -1  # the count of the last line written
        self.postfix = ""

    def _line(self, now: float) -> str:
        elapsed = now - self.start
        rate = self.n / elapsed if elapsed > 0 else 0.0
        head = f"{self.desc}: {self.n}"
        if self.total:
            head += f"/{self.total} {self.unit} ({100 * self.n / self.total:.0f}%)"
        else:
            head += f" {self.unit}"
        text = f"{head}, {rate:.3g} {self.unit}/s"
        if self.total and rate > 0 and self.n < self.total:
            text += f", {_duration((self.total - self.n) / rate)} left"
        elif self.total and self.n >= self.total:
            text += f", done in {_duration(elapsed)}"
        return text + (f" ({self.postfix})" if self.postfix else "")

    def _write(self, now: float) -> None:
        print(self._line(now), file=self.stream, flush=True)
        self.last = now
        self.lines += 1
        self.written = self.n

    def update(self, k: int = 1) -> None:
        self.n += int(k)
        now = time.monotonic()
        if now - self.last >= self.interval:
            self._write(now)

    def set_postfix(self, **values) -> None:
        self.postfix = ", ".join(
            f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items()
        )

    def close(self) -> None:
        if self.lines and self.written != self.n:
            self._write(time.monotonic())
        self.lines = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def progress_bar(total, desc: str, unit: str = "it", *, stream=None, **tqdm_kwargs):
    """A progress display for ``total`` units: tqdm on a terminal, :class:`LineProgress` else.

    Args:
      total: the number of units (``None``: unknown).
      desc: what is running (the line's prefix).
      unit: the unit counted (``"rows"``, ``"it"``).
      stream: where it goes (default ``sys.stderr``).
      **tqdm_kwargs: passed to tqdm on a terminal.

    Examples:
      >>> import io
      >>> type(progress_bar(10, "x", stream=io.StringIO())).__name__  # not a terminal
      'LineProgress'
    """
    stream = stream if stream is not None else sys.stderr
    isatty = getattr(stream, "isatty", None)
    if callable(isatty) and isatty():
        from tqdm.auto import tqdm

        return tqdm(total=total, desc=desc, unit=unit, file=stream, **tqdm_kwargs)
    return LineProgress(total, desc, unit, stream=stream)


def progress_iter(items, counts, desc: str, unit: str = "it", *, stream=None, **tqdm_kwargs):
    """Yield ``items``; after each one the display advances by its count in ``counts``.

    Examples:
      >>> import io
      >>> out = io.StringIO()
      >>> list(progress_iter(range(3), [4, 4, 2], "batches", "rows", stream=out))
      [0, 1, 2]
    """
    counts = [int(c) for c in counts]
    bar = progress_bar(sum(counts), desc, unit, stream=stream, **tqdm_kwargs)
    try:
        for item, count in zip(items, counts, strict=True):
            yield item
            bar.update(count)
    finally:
        bar.close()
