"""A small stderr progress bar for library ``progress(stage, done, total)`` callbacks."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["stderr_progress"]

_STAGES = {"read": "reading", "steps": "summarising", "figures": "drawing figures", "fit": "fitting"}
_UNITS = {"read": "bytes", "steps": "steps", "fit": "model runs"}


def stderr_progress(label: str, stream: TextIO | None = None, *, min_interval_s: float = 0.2
                    ) -> Callable[[str, int, int], None]:
    """A ``progress(stage, done, total)`` callback that draws ``label stage [#####.....] 42 %`` on stderr.

    Redrawn at most every ``min_interval_s`` seconds (and at the end of each
    stage), so it costs nothing measurable on a large file.
    """
    out = stream if stream is not None else sys.stderr
    state: dict[str, object] = {"stage": None, "last": 0.0}

    def report(stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        finished = done >= total
        if stage == state["stage"] and not finished and now - float(state["last"]) < min_interval_s:  # type: ignore[arg-type]
            return
        if stage != state["stage"] and state["stage"] is not None:
            out.write("\n")
        state["stage"], state["last"] = stage, now
        frac = min(max(done / total, 0.0), 1.0) if total > 0 else 1.0
        bar = "#" * int(20 * frac) + "." * (20 - int(20 * frac))
        unit = _UNITS.get(stage, "")
        count = f" ({done}/{total} {unit})" if unit and unit != "bytes" else ""
        out.write(f"\r{label} {_STAGES.get(stage, stage)} [{bar}] {100 * frac:3.0f} %{count}")
        if finished and stage == "figures":
            out.write("\n")
        out.flush()

    return report
