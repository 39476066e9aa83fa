"""A small stderr progress bar for library ``progress(stage, done, total)`` callbacks."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from metalair._progress import ProgressLine

__all__ = ["stderr_progress"]

_STAGES = {"read": "reading", "steps": "summarising", "figures": "drawing figures", "fit": "fitting"}
_UNITS = {"read": "", "steps": "steps", "fit": "model runs"}


def stderr_progress(label: str, stream: TextIO | None = None, *, min_interval_s: float = 0.2,
                    interactive: bool | None = None) -> Callable[[str, int, int], None]:
    """A ``progress(stage, done, total)`` callback that draws ``label stage [#####.....]  42%`` on stderr.

    One :class:`metalair._progress.ProgressLine` per stage: redrawn at most every
    ``min_interval_s`` seconds on a terminal, a line per tenth elsewhere, so it
    costs nothing measurable on a large file.
    """
    state: dict[str, ProgressLine | str | None] = {"stage": None, "line": None}

    def report(stage: str, done: int, total: int) -> None:
        line = state["line"]
        if stage != state["stage"] or not isinstance(line, ProgressLine):
            if isinstance(line, ProgressLine):
                line.close()
            line = ProgressLine(f"{label} {_STAGES.get(stage, stage)}", _UNITS.get(stage, ""), stream,
                                min_interval_s=min_interval_s, interactive=interactive)
            state["stage"], state["line"] = stage, line
        line.update(done, total)

    return report
