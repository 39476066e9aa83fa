"""One call from a cycler file to the per-cycle table, cycle life and figures."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from metalair.analysis.cycle_metrics import CEDefinition, CycleLife, cycle_life, cycle_summary
from metalair.io import read
from metalair.tables.cycler import CyclerData
from metalair.tables.summary import SummaryTable

__all__ = ["CycleAnalysis", "analyze_file"]


@dataclass(frozen=True, eq=False)
class CycleAnalysis:
    """Result of :func:`analyze_file`: the data, the per-cycle table, files written."""

    data: CyclerData
    table: SummaryTable
    life: CycleLife | None
    files: dict[str, Path]
    notes: tuple[str, ...] = ()

    def __str__(self) -> str:
        parts = [str(self.table)]
        if self.life is not None:
            parts.append(str(self.life))
        parts.extend(f"wrote {name}: {p}" for name, p in self.files.items())
        parts.extend(f"note: {n}" for n in self.notes)
        return "\n".join(parts)


def analyze_file(
    path: str | os.PathLike[str],
    mass_g: float | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    *,
    format: str | None = None,
    column_map: dict[str, Any] | None = None,
    coulombic_efficiency: CEDefinition = "charge/discharge",
    cycle_start: Literal["auto", "discharge", "charge", "file"] = "auto",
    capacity_limit_mAh_g: float | None = None,
    eod_threshold_V: float | None = None,
    figures: bool = True,
    strict: bool = False,
) -> CycleAnalysis:
    """Read a cycler file, summarise every cycle, and write ``cycles.csv`` and figures.

    Parameters
    ----------
    path : path-like
        Any file :func:`metalair.io.read` understands.
    mass_g : float, optional
        Catalyst mass in g (else the file's, else absolute mAh with a note).
    out_dir : path-like, optional
        Where ``cycles.csv`` (one row per cycle, written atomically) and the
        figures (``voltage_capacity.png``, ``capacity_efficiency.png``,
        ``dqdv.png``) go. Nothing is written when omitted.
    format, column_map, strict
        Passed to :func:`metalair.io.read`.
    coulombic_efficiency, cycle_start
        Passed to :func:`~metalair.analysis.cycle_metrics.cycle_summary`.
    capacity_limit_mAh_g, eod_threshold_V
        When given, :func:`~metalair.analysis.cycle_metrics.cycle_life` is
        evaluated (``result.life``); it is ``None`` otherwise, since a life is
        only defined for capacity-limited cycling.
    figures : bool
        Write the figures (when ``out_dir`` is given).

    Returns
    -------
    CycleAnalysis
        ``result.table`` is the per-cycle :class:`~metalair.tables.summary.SummaryTable`.
    """
    data = read(path, format=format, column_map=column_map, mass_g=mass_g, strict=strict)
    table = cycle_summary(data, coulombic_efficiency=coulombic_efficiency, cycle_start=cycle_start)
    life: CycleLife | None = None
    if capacity_limit_mAh_g is not None or eod_threshold_V is not None:
        if table.capacity_unit == "mAh/g":
            life = cycle_life(table, capacity_limit_mAh_g, eod_threshold_V=eod_threshold_V)
        else:
            life = cycle_life(table, capacity_limit_mAh=None, eod_threshold_V=eod_threshold_V)
    notes = [f"{data.metadata.get('file_name')}: {len(data)} rows, {data.n_cycles} cycles in the file's numbering"]
    notes.extend(f"warning: {w}" for w in data.warnings)
    files: dict[str, Path] = {}
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        files["cycles.csv"] = table.to_csv(out / "cycles.csv")
        if figures:
            from metalair.plotting.cycles import save_cycle_figures

            files.update(save_cycle_figures(data, table, out, cycle_start=cycle_start))
    return CycleAnalysis(data=data, table=table, life=life, files=files, notes=tuple(notes))
