"""Figures of a cycling record: voltage vs capacity, capacity and efficiency vs cycle, dQ/dV.

matplotlib is imported on first use and figures are made with
:class:`matplotlib.figure.Figure` directly, without pyplot, so nothing here
touches a GUI backend or global state.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from metalair.analysis.cycle_metrics import half_cycles
from metalair.analysis.dqdv import dqdv
from metalair.errors import ParameterError
from metalair.plotting.simulation import new_figure, save_figure
from metalair.units import convert

if TYPE_CHECKING:
    from metalair.tables.cycler import CyclerData
    from metalair.tables.summary import SummaryTable

__all__ = [
    "plot_voltage_capacity",
    "plot_capacity_efficiency",
    "plot_dqdv",
    "save_cycle_figures",
]


def _figure(figsize: tuple[float, float] = (6.4, 4.4)) -> Any:
    return new_figure(figsize)


def _pick_cycles(cycles: np.ndarray, max_curves: int) -> np.ndarray:
    if cycles.size <= max_curves:
        return cycles
    idx = np.unique(np.round(np.geomspace(1, cycles.size, max_curves)).astype(int) - 1)
    return cycles[idx]


def _capacity_scale(data: CyclerData, mass_g: float | None) -> tuple[float, str]:
    mass = mass_g if mass_g is not None else data.mass_g
    to_mAh = float(convert(1.0, "Ah", "mAh"))
    if mass:
        return to_mAh / mass, "Capacity [mAh/g]"
    return to_mAh, "Capacity [mAh]"


def _half_cycle_setup(data: CyclerData, mass_g: float | None, cycle_start: str, cycles: Any,
                      max_curves: int, ax: Any) -> tuple:
    """Figure, axes, capacity scale and label, half-cycles, chosen cycles and colouring of the half-cycle plots."""
    from matplotlib import colormaps

    fig = ax.figure if ax is not None else _figure()
    ax = ax if ax is not None else fig.add_subplot()
    scale, label = _capacity_scale(data, mass_g)
    halves = half_cycles(data, cycle_start=cycle_start)  # type: ignore[arg-type]
    present = np.unique([h.cycle for h in halves]) if halves else np.zeros(0, dtype=int)
    chosen = np.asarray(cycles) if cycles is not None else _pick_cycles(present, max_curves)
    span = max(int(present.max()) - 1, 1) if present.size else 1
    return fig, ax, scale, label, halves, chosen, colormaps["viridis"], span


def plot_voltage_capacity(
    data: CyclerData,
    *,
    mass_g: float | None = None,
    cycles: list[int] | None = None,
    max_curves: int = 12,
    cycle_start: str = "auto",
    ax: Any = None,
) -> Any:
    """Voltage against capacity for each half-cycle; discharge solid, charge dashed.

    Returns the matplotlib Figure. Cycles are numbered as in
    :func:`metalair.analysis.cycle_metrics.cycle_summary` with the same ``cycle_start``.
    """
    fig, ax, scale, label, halves, chosen, cmap, span = _half_cycle_setup(
        data, mass_g, cycle_start, cycles, max_curves, ax)
    for h in halves:
        if h.cycle not in chosen:
            continue
        colour = cmap((h.cycle - 1) / span)
        style = "-" if h.kind == "discharge" else "--"
        first_of_cycle = h.kind == "discharge" or not any(g.cycle == h.cycle and g.kind == "discharge" for g in halves)
        ax.plot(h.capacity_Ah * scale, h.voltage_V, style, color=colour, lw=1.2,
                label=f"cycle {h.cycle}" if first_of_cycle else None)
    ax.set_xlabel(label)
    ax.set_ylabel("Voltage [V]")
    ax.set_title("Voltage vs capacity (discharge solid, charge dashed)")
    if chosen.size:
        ax.legend(fontsize="small", ncols=2 if chosen.size > 6 else 1)
    return fig


def plot_capacity_efficiency(table: SummaryTable, *, ax: Any = None) -> Any:
    """Discharge and charge capacity (left axis) and coulombic efficiency (right) vs cycle."""
    fig = ax.figure if ax is not None else _figure()
    ax = ax if ax is not None else fig.add_subplot()
    unit = table.capacity_unit
    cyc = table["Cycle"]
    ax.plot(cyc, table[f"Discharge capacity [{unit}]"], "o-", ms=3, label="discharge")
    ax.plot(cyc, table[f"Charge capacity [{unit}]"], "s-", ms=3, label="charge")
    ax.set_xlabel("Cycle")
    ax.set_ylabel(f"Capacity [{unit}]")
    right = ax.twinx()
    right.plot(cyc, table["Coulombic efficiency [%]"], "^:", ms=3, color="tab:red", label="coulombic efficiency")
    right.set_ylabel(f"Coulombic efficiency ({table.coulombic_efficiency}) [%]")
    lines = ax.get_legend_handles_labels()
    more = right.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], fontsize="small")
    ax.set_title("Capacity and efficiency per cycle")
    return fig


def plot_dqdv(
    data: CyclerData,
    *,
    mass_g: float | None = None,
    cycles: list[int] | None = None,
    max_curves: int = 6,
    cycle_start: str = "auto",
    window_V: float | None = None,
    ax: Any = None,
) -> Any:
    """Smoothed dQ/dV of each half-cycle (discharge plotted negative, as is usual)."""
    fig, ax, scale, label, halves, chosen, cmap, span = _half_cycle_setup(
        data, mass_g, cycle_start, cycles, max_curves, ax)
    for h in halves:
        if h.cycle not in chosen:
            continue
        try:
            curve = dqdv(h.voltage_V, h.capacity_Ah * scale, window_V=window_V)
        except ParameterError:
            continue  # too short or flat to differentiate
        sign = -1.0 if h.kind == "discharge" else 1.0
        ax.plot(curve.voltage_V, sign * curve.smoothed, color=cmap((h.cycle - 1) / span), lw=1.0,
                label=f"cycle {h.cycle}" if h.kind == "discharge" else None)
    ax.axhline(0.0, color="0.6", lw=0.6)
    ax.set_xlabel("Voltage [V]")
    ax.set_ylabel(f"dQ/dV [{label.split('[')[1].rstrip(']')}/V]")
    ax.set_title("Incremental capacity (discharge < 0, charge > 0)")
    if chosen.size:
        ax.legend(fontsize="small")
    return fig


def _save(fig: Any, path: Path) -> Path:
    save_figure(fig, path, dpi=150)
    return path


def save_cycle_figures(
    data: CyclerData,
    table: SummaryTable,
    out_dir: str | os.PathLike[str],
    *,
    mass_g: float | None = None,
    cycle_start: str = "auto",
    fmt: str = "png",
) -> dict[str, Path]:
    """Write the three figures into ``out_dir`` (atomically); returns name -> path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    mass = mass_g if mass_g is not None else table.mass_g
    files = {
        f"voltage_capacity.{fmt}": plot_voltage_capacity(data, mass_g=mass, cycle_start=cycle_start),
        f"capacity_efficiency.{fmt}": plot_capacity_efficiency(table),
        f"dqdv.{fmt}": plot_dqdv(data, mass_g=mass, cycle_start=cycle_start),
    }
    return {name: _save(fig, out / name) for name, fig in files.items()}
