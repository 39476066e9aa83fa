"""A small stderr progress bar for library ``progress(stage, done, total)`` callbacks."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from metalair._progress import ProgressLine

__all__ = ["stderr_progress"]

_STAGES = {"read": "reading", "steps": "summarising", "figures": "drawing figures", "fit": "fitting"}
_UNITS = {"steps": "steps", "fit": "model runs"}


def stderr_progress(label: str, stream: TextIO | None = None, *, min_interval_s: float = 0.2,
                    interactive: bool | None = None) -> Callable[[str, int, int], None]:
    """A ``progress(stage, done, total)`` callback that draws ``label stage [#####.....]  42%`` on stderr.

    One :class:`metalair._progress.ProgressLine` per stage: redrawn at most every
    ``min_interval_s`` seconds on a terminal, a line per tenth elsewhere, so it
    costs nothing measurable on a large file.
    """
    stage_now: str | None = None
    line: ProgressLine | None = None

    def report(stage: str, done: int, total: int) -> None:
        nonlocal stage_now, line
        if line is None or stage != stage_now:
            if line is not None:
                line.close()
            line = ProgressLine(f"{label} {_STAGES.get(stage, stage)}", _UNITS.get(stage, ""), stream,
                                min_interval_s=min_interval_s, interactive=interactive)
            stage_now = stage
        line.update(done, total)

    return report
