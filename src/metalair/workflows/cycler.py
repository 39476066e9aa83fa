"""File -> checked cycle table -> folder: the ``metalair analyze`` workflow."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from metalair.workflows.analyze import CycleAnalysis, analyze_file
from metalair.workflows.outputs import begin_run

__all__ = ["ANALYZE_FILES", "analyze_to_folder"]

#: Files ``analyze`` may write into its folder (besides manifest.json).
ANALYZE_FILES = ("cycles.csv", "voltage_capacity.png", "capacity_efficiency.png", "dqdv.png")


def analyze_to_folder(
    path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    command: str | Sequence[str] = "analyze",
    overwrite: bool = False,
    mass_g: float | None = None,
    format: str | None = None,
    column_map: dict[str, Any] | None = None,
    cycle_start: Literal["auto", "discharge", "charge", "file"] = "auto",
    coulombic_efficiency: Literal["charge/discharge", "discharge/charge", "auto"] = "charge/discharge",
    figures: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
) -> CycleAnalysis:
    """Check ``out_dir`` first, then :func:`~metalair.workflows.analyze.analyze_file` into it, with a manifest.

    The folder is checked and an earlier run in it is settled
    (:func:`metalair.workflows.outputs.begin_run`) before the file is read,
    so a bad ``--out`` costs no time. Nothing but ``manifest.json`` is written
    when the record is not cycling.
    """
    run = begin_run(out_dir, command, overwrite=overwrite, expected=ANALYZE_FILES, inputs=[path])
    with run:
        result = analyze_file(path, mass_g, Path(out_dir), format=format, column_map=column_map,
                              cycle_start=cycle_start, coulombic_efficiency=coulombic_efficiency,
                              figures=figures, progress=progress)
        run.add(*result.files.values())
    return result
