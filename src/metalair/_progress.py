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

__all__ = ["ProgressLine", "say"]


def say(message: str) -> None:
    """Write one progress message as its own line on ``sys.stderr`` (looked up at the call), flushed."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


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
        part = min(max(done, 0), total) if total > 0 else 1  # done, within 0..total
        whole = total if total > 0 else 1
        now = time.monotonic()
        if self.interactive:
            if not finished and now - self._last_time < self.min_interval_s:
                return
        else:
            tenth = 10 * part // whole
            if not finished and tenth == self._last_tenth:
                return
            self._last_tenth = tenth
        self._last_time = now
        filled = self.width * part // whole
        bar = "#" * filled + "." * (self.width - filled)
        count = f" ({done}/{total} {self.unit})" if self.unit else ""
        scale = 10**self.decimals  # rounded down in integers (29/100 is 29 %, not 28.999...): 100 % only at the end
        shown = part * 100 * scale // whole / scale
        pct = f"{shown:{3 + (self.decimals + 1 if self.decimals else 0)}.{self.decimals}f}%"
        text = f"{self.label} [{bar}] {pct}{count}{extra}" + (end if finished else "")
        if self.interactive:
            pad = " " * max(self._last_len - len(text), 0)  # a shorter line must cover the longer one
            self._last_len = len(text)
            self.stream.write("\r" + text + pad)
            self._open = True
            if finished:
                self.stream.write("\n")
                self._open = False
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        """End an unfinished in-place line (a new stage or a message follows)."""
        if self._open:
            self.stream.write("\n")
            self.stream.flush()
            self._open = False
