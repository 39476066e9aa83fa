"""The one progress line every long command draws: ``label [#####.....]  42% (21/50 runs), extras``.

On a terminal the line is redrawn in place (carriage return), at most every
``min_interval_s`` seconds, and ended with a newline when the work is done. When
the stream is not a terminal (a log file, CI, a pipe) carriage returns would pile
up into one unreadable line, so the line is written whole, with a newline, once per
tenth of the work and at the end.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["ProgressLine"]


class ProgressLine:
    """One progress line on ``stream`` (default ``sys.stderr``).

    Parameters
    ----------
    label : str
        What is running, written before the bar.
    unit : str
        What ``done`` and ``total`` count (``"runs"``, ``"steps"``); empty: no count.
    stream : text stream, optional
        Default ``sys.stderr`` (looked up when the line is created).
    width : int
        Characters of the bar.
    decimals : int
        Decimals of the percentage.
    min_interval_s : float
        On a terminal, the shortest time between two redraws (the end is always drawn).
    interactive : bool, optional
        Redraw in place; default: whether ``stream`` is a terminal.
    """

    def __init__(self, label: str, unit: str = "", stream: TextIO | None = None, *, width: int = 20,
                 decimals: int = 0, min_interval_s: float = 0.2, interactive: bool | None = None) -> None:
        self.label = label
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.decimals = decimals
        self.min_interval_s = min_interval_s
        if interactive is None:
            isatty = getattr(self.stream, "isatty", None)
            interactive = bool(isatty()) if callable(isatty) else False
        self.interactive = interactive
        self._last_time = -float("inf")
        self._last_tenth = -1
        self._open = False
        self._last_len = 0
        self._finished = False

    def update(self, done: int, total: int, extra: str = "", end: str = "") -> None:
        """Report ``done`` of ``total``; ``extra`` follows the count, ``end`` is written once, when done."""
        finished = done >= total
        if finished and self._finished:
            return  # the end is drawn once
        self._finished = finished
        frac = min(max(done / total, 0.0), 1.0) if total > 0 else 1.0
        now = time.monotonic()
        if self.interactive:
            if not finished and now - self._last_time < self.min_interval_s:
                return
        else:
            tenth = int(10 * frac)
            if not finished and tenth == self._last_tenth:
                return
            self._last_tenth = tenth
        self._last_time = now
        filled = int(self.width * frac)
        bar = "#" * filled + "." * (self.width - filled)
        count = f" ({done}/{total} {self.unit})" if self.unit else ""
        shown = int(100 * frac * 10**self.decimals) / 10**self.decimals  # rounded down: 100 % only at the end
        pct = f"{shown:{3 + (self.decimals + 1 if self.decimals else 0)}.{self.decimals}f}%"
        text = f"{self.label} [{bar}] {pct}{count}{extra}"
        if self.interactive:
            pad = " " * max(self._last_len - len(text), 0)  # a shorter line must cover the longer one
            self._last_len = len(text)
            self.stream.write("\r" + text + pad)
            self._open = True
            if finished:
                self.stream.write(end + "\n")
                self._open = False
        else:
            self.stream.write(text + (end if finished else "") + "\n")
        self.stream.flush()

    def close(self) -> None:
        """End an unfinished in-place line (a new stage or a message follows)."""
        if self._open:
            self.stream.write("\n")
            self.stream.flush()
            self._open = False

    def __call__(self, done: int, total: int) -> None:
        self.update(done, total)
