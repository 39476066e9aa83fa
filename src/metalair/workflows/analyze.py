"""One call from a cycler file to the per-cycle table, cycle life and figures."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from metalair._validation import PROGRESS_STAGE, check_callable, check_range
from metalair.analysis.cycle_metrics import CEDefinition, CycleLife, count_cycles, cycle_life, cycle_summary
from metalair.io import read
from metalair.tables.cycler import CyclerData
from metalair.tables.summary import SummaryTable

__all__ = ["CycleAnalysis", "analyze_file"]


#: Specific capacity above which a per-gram table is flagged [mAh/g]: a mass off by 1000 (g typed as mg).
SPECIFIC_CAPACITY_MAX_MAH_G = 50_000.0


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
    progress: Callable[[str, int, int], None] | None = None,
    data: CyclerData | None = None,
) -> CycleAnalysis:
    """Read a cycler file, check that it is cycling, summarise every cycle, write ``cycles.csv`` and figures.

    The record is classified first (:func:`metalair.analysis.classify.classify_record`):
    a linear sweep, a cyclic voltammogram, an impedance spectrum, a hold or
    a rest record raises :class:`~metalair.analysis.classify.NotCyclingError`
    naming the command that analyses it, instead of producing a cycle table.
    In a multi-technique file, only the cycling part is summarised and the
    other parts are listed in the notes.

    Parameters
    ----------
    path : path-like
        Any file :func:`metalair.io.read` understands.
    mass_g : float, optional
        Catalyst mass in g (else the file's, else absolute mAh with a note).
    out_dir : path-like, optional
        Where ``cycles.csv`` (one row per cycle, written atomically) and the
        figures (``voltage_capacity.png``, ``capacity_efficiency.png``,
        ``dqdv.png``; needs matplotlib) go. Nothing is written when omitted.
    format, column_map, strict
        Passed to :func:`metalair.io.read`.
    coulombic_efficiency, cycle_start
        Passed to :func:`cycle_summary`.
    capacity_limit_mAh_g, eod_threshold_V
        When given, :func:`cycle_life` is evaluated (``result.life``) on
        discharge-first cycles; it is ``None`` otherwise, since a life is only
        defined for capacity-limited cycling.
    figures : bool
        Write the figures (when ``out_dir`` is given).
    progress : callable, optional
        ``progress(stage, done, total)`` with stages ``"read"`` (bytes, for
        delimited text), ``"steps"`` and ``"figures"``.
    data : CyclerData, optional
        An already-read record (``path`` is then only used in messages).

    Returns
    -------
    CycleAnalysis
        ``result.table`` is the per-cycle :class:`SummaryTable`.

    Raises
    ------
    NotCyclingError
        If the record holds no galvanostatic cycling.
    """
    from metalair.analysis.classify import NotCyclingError, classify_record, route_message

    check_callable(progress, "progress", PROGRESS_STAGE)
    if capacity_limit_mAh_g is not None:
        capacity_limit_mAh_g = check_range("analyze_file", "capacity_limit_mAh_g", capacity_limit_mAh_g, 0.0,
                                           SPECIFIC_CAPACITY_MAX_MAH_G, lo_open=True, unit="mAh/g")
    if eod_threshold_V is not None:
        eod_threshold_V = check_range("analyze_file", "eod_threshold_V", eod_threshold_V, 0.0, 10.0, lo_open=True,
                                      hi_open=True, unit="V")  # the range cycle_life takes
    if data is None:
        data = read(path, format=format, column_map=column_map, mass_g=mass_g, strict=strict, progress=progress)
    kind = classify_record(data)
    if not kind.is_cycling:
        from metalair.analysis.classify import ROUTES

        raise NotCyclingError(route_message(kind), kind.kind, ROUTES.get(kind.kind))
    if data.metadata.get("cycle_numbering_source") in ("vendor", "file"):
        numbering = " in the file's numbering"
    else:  # the file has no cycle column: the reader counted the cycles
        how = data.metadata.get("cycle_numbering")
        numbering = "; the file has no cycle numbers" + (f", so {how}" if how else "")
    notes = [f"{data.metadata.get('file_name')}: {len(data)} rows, {data.n_cycles} cycles{numbering}"]
    from metalair.analysis.cycle_metrics import mass_note

    if mass_g is not None or data.mass_g is not None:  # (without a mass the cycle table says so itself)
        notes.append(mass_note(data, mass_g, mass_g if mass_g is not None else data.mass_g))
    notes += [str(n) for n in data.metadata.get("notes", [])]  # what the reader assumed (a unit, a sign)
    foreign = [s for s in kind.segments if s.kind in ("linear sweep", "cyclic voltammetry", "impedance", "other")]
    if foreign:
        keep = np.ones(len(data), dtype=bool)
        for seg in foreign:
            keep[seg.start:seg.stop] = False
            tool = {"impedance": "metalair eis", "linear sweep": "metalair cv", "cyclic voltammetry": "metalair cv"}
            where = f" (analyse with '{tool[seg.kind]}')" if seg.kind in tool else ""
            notes.append(f"records {seg.start + 1}-{seg.stop} (counted from 1) are {seg.kind}, "
                         f"left out of the cycle table{where}")
        data = data.take(keep)
    table = cycle_summary(data, mass_g, coulombic_efficiency=coulombic_efficiency, cycle_start=cycle_start,
                          progress=progress)
    counted = count_cycles(data)
    notes.append(f"detected {counted}")
    if len(table):
        pol = np.asarray(table["Polarisation [V]"], dtype=float)
        pol = pol[np.isfinite(pol)]
        if pol.size and np.count_nonzero(pol < 0) > pol.size / 2:
            notes.append(f"the mean discharge voltage lies above the mean charge voltage in {np.count_nonzero(pol < 0)}"
                         f" of {pol.size} cycles (negative polarisation): is the current's sign reversed? metalair "
                         "counts discharge current positive (a column map can flip it: 'current_A=I/mA@-1e-3')")
    discharge = np.asarray(table["Discharge capacity [mAh/g]"], dtype=float) if table.capacity_unit == "mAh/g" \
        else np.array([])
    if np.any(np.isfinite(discharge)):  # a charge-only record has none: numpy warned "All-NaN slice"
        top = float(np.nanmax(discharge))
        if top > SPECIFIC_CAPACITY_MAX_MAH_G:
            notes.append(f"discharge capacities reach {top:.4g} mAh/g, beyond any air electrode (metal-air cathodes "
                         f"give up to ~{SPECIFIC_CAPACITY_MAX_MAH_G / 1000:g},000 mAh/g of catalyst): check the mass "
                         "(--mass-mg is in mg)")
    life: CycleLife | None = None
    if capacity_limit_mAh_g is not None or eod_threshold_V is not None:
        judged = table if cycle_start == "discharge" else cycle_summary(
            data, mass_g, coulombic_efficiency=coulombic_efficiency, cycle_start="discharge")
        if judged is not table:
            notes.append("cycle life judged on discharge-first cycles (each discharge with the charge after it)")
        # the record holds no lower voltage limit: the lowest end of discharge in it is at or below it. A last
        # discharge that stops above that was cut off by the end of the record (a test still running when it was
        # exported), not by the cell: cycle_life then does not count it as a failure
        eods = np.asarray(judged["End-of-discharge voltage [V]"], dtype=float)
        v_min = float(np.nanmin(eods)) if np.isfinite(eods).any() else None
        if v_min is not None and not 0.0 < v_min < 10.0:  # a half-cell that ends below 0 V: no such limit to use
            notes.append(f"the lowest end of discharge, {v_min:.4g} V, lies outside the 0-10 V a cell voltage limit "
                         "takes: the cycle life is judged without a lower voltage limit")
            v_min = None
        if judged.capacity_unit == "mAh/g":
            life = cycle_life(judged, capacity_limit_mAh_g, v_min=v_min, eod_threshold_V=eod_threshold_V)
        else:
            if capacity_limit_mAh_g is not None:
                notes.append(f"the capacity limit {capacity_limit_mAh_g:g} mAh/g is per gram and the record has no "
                             "catalyst mass (give mass_g, --mass-mg): the cycle life used the limit the cycles show")
            life = cycle_life(judged, capacity_limit_mAh=None, v_min=v_min, eod_threshold_V=eod_threshold_V)
        if life.notes and any("the record ends inside it" in n for n in life.notes):
            notes.append(f"the lower voltage limit is not in the record: taken as its lowest end of discharge, "
                         f"{v_min:.4g} V")
    notes.extend(f"warning: {w}" for w in data.warnings)
    files: dict[str, Path] = {}
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        files["cycles.csv"] = table.to_csv(out / "cycles.csv")
        if figures:
            if progress is not None:
                progress("figures", 0, 1)
            try:
                from metalair.plotting.cycles import save_cycle_figures
                files.update(save_cycle_figures(data, table, out, cycle_start=cycle_start))
            except ImportError as exc:
                notes.append(f"figures skipped: {exc}")
            if progress is not None:
                progress("figures", 1, 1)
    return CycleAnalysis(data=data, table=table, life=life, files=files, notes=tuple(notes))
