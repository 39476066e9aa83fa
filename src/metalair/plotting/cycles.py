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

from metalair.analysis.cycle_metrics import half_cycles, without_cv
from metalair.analysis.incremental_capacity import dqdv
from metalair.errors import ParameterError
from metalair.plotting.simulation import new_figure, save_figure, wrapped
from metalair.units import convert

if TYPE_CHECKING:
    from metalair.analysis.cycle_metrics import HalfCycle
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
    """Figure, axes, capacity scale and label, half-cycles and chosen cycles of the half-cycle plots."""
    fig = ax.figure if ax is not None else _figure()
    ax = ax if ax is not None else fig.add_subplot()
    scale, label = _capacity_scale(data, mass_g)
    halves = half_cycles(data, cycle_start=cycle_start)  # type: ignore[arg-type]
    present = np.unique([h.cycle for h in halves]) if halves else np.zeros(0, dtype=int)
    chosen = np.asarray(cycles) if cycles is not None else _pick_cycles(present, max_curves)
    return fig, ax, scale, label, halves, chosen


#: Up to this many cycles get a qualitative colour each and a legend entry; more share a colour map.
_MAX_QUALITATIVE = 10


def _cycle_colours(cycles: list[int]) -> dict[int, Any]:
    """A distinct colour per plotted cycle: tab10 for up to ten, else viridis without its pale yellow end."""
    from matplotlib import colormaps

    if len(cycles) <= _MAX_QUALITATIVE:
        return {c: colormaps["tab10"](k) for k, c in enumerate(cycles)}
    cmap = colormaps["viridis"]
    return {c: cmap(0.9 * k / (len(cycles) - 1)) for k, c in enumerate(cycles)}


def _cycle_key(fig: Any, ax: Any, colours: dict[int, Any], styles: bool, loc: str = "best") -> None:
    """Legend of the cycles' colours, and of the discharge and charge line styles when ``styles``.

    More than ten cycles get a colour bar with a band per cycle instead of legend entries.
    """
    from matplotlib.lines import Line2D

    handles: list[Any] = []
    if len(colours) <= _MAX_QUALITATIVE:
        handles += [Line2D([], [], color=col, lw=1.2, label=f"cycle {c}") for c, col in colours.items()]
    else:
        from matplotlib.cm import ScalarMappable
        from matplotlib.colors import BoundaryNorm, ListedColormap

        n = len(colours)
        cmap = ListedColormap(list(colours.values()))
        mappable = ScalarMappable(norm=BoundaryNorm(np.arange(n + 1) - 0.5, n), cmap=cmap)
        bar = fig.colorbar(mappable, ax=ax, label="Cycle", ticks=np.arange(n))
        bar.ax.set_yticklabels([str(c) for c in colours], fontsize="small")
    if styles:
        handles += [Line2D([], [], color="0.2", ls="-", lw=1.2, label="discharge"),
                    Line2D([], [], color="0.2", ls="--", lw=1.2, label="charge")]
    if handles:
        ax.legend(handles=handles, fontsize="small", loc=loc, ncols=2 if len(handles) > 7 else 1)


def _broken(h: HalfCycle, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Capacity and voltage of a half-cycle, with a NaN between its separate steps (rows not contiguous).

    So no line joins the end of one step to the start of the next.
    """
    q, v = h.capacity_Ah * scale, np.asarray(h.voltage_V, dtype=float)
    gaps = np.flatnonzero(np.diff(h.rows) > 1) + 1
    if gaps.size:
        q = np.insert(np.asarray(q, dtype=float), gaps, np.nan)
        v = np.insert(v, gaps, np.nan)
    return q, v


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

    Each cycle has its own colour (a legend entry each up to ten cycles, a colour bar beyond);
    separate steps of one half-cycle are not joined by a line.
    Returns the matplotlib Figure. Cycles are numbered as in
    :func:`metalair.analysis.cycle_metrics.cycle_summary` with the same ``cycle_start``.
    """
    fig, ax, scale, label, halves, chosen = _half_cycle_setup(data, mass_g, cycle_start, cycles, max_curves, ax)
    drawn = [h for h in halves if h.cycle in chosen]
    colours = _cycle_colours(sorted({h.cycle for h in drawn}))
    for h in drawn:
        q, v = _broken(h, scale)
        ax.plot(q, v, "-" if h.kind == "discharge" else "--", color=colours[h.cycle], lw=1.2)
    ax.set_xlabel(label)
    ax.set_ylabel("Voltage [V]")
    ax.set_title("Voltage vs capacity")
    _cut_long_cv_holds(ax, data, drawn, scale, label)
    _cycle_key(fig, ax, colours, styles=True)
    return fig


def _cut_long_cv_holds(ax: Any, data: CyclerData, drawn: list[HalfCycle], scale: float, label: str) -> None:
    """Cut the capacity axis where one constant-voltage hold runs on, and say so on the axes.

    When a hold runs past 1.5x the largest constant-current capacity (it would squash every other
    curve), the axis ends at 1.15x that capacity.
    """
    ends: list[tuple[float, int]] = []
    cc_ends: list[float] = []
    for h in drawn:
        if len(h.capacity_Ah):
            ends.append((float(np.max(h.capacity_Ah)) * scale, h.cycle))
            _v, q_kept = without_cv(data, h)
            if q_kept.size:
                cc_ends.append(float(np.max(q_kept)) * scale)
    if not ends or not cc_ends or not max(cc_ends) > 0:
        return
    q_all, cycle = max(ends)
    q_cc = max(cc_ends)
    if q_all <= 1.5 * q_cc:
        return
    ax.set_xlim(-0.03 * q_cc, 1.15 * q_cc)
    unit = label.split("[")[-1].rstrip("]")
    # above the axes, beside the title moved to the left: inside them the note covered the hold curves
    main = ax.get_title()
    ax.set_title("")
    ax.set_title(main, loc="left")
    ax.set_title(f"axis cut at 1.15x the largest constant-current capacity:\na constant-voltage hold runs on to "
                 f"{q_all:.3g} {unit} (cycle {cycle})", loc="right", fontsize="x-small", color="0.3")


def plot_capacity_efficiency(table: SummaryTable, *, ax: Any = None) -> Any:
    """Discharge and charge capacity (left axis) and coulombic efficiency (right) vs cycle.

    The legend goes beneath the axes (inside them, at the best place, when ``ax`` is given).
    """
    from matplotlib.ticker import MaxNLocator

    own = ax is None
    fig = ax.figure if ax is not None else _figure((6.4, 4.8))
    ax = ax if ax is not None else fig.add_subplot()
    unit = table.capacity_unit
    cyc = table["Cycle"]

    def has(column: str) -> bool:  # a series with no value is left out of the axes and of the legend
        return bool(np.isfinite(np.asarray(table[column], dtype=float)).any())

    def moved(column: str) -> np.ndarray:  # a half-cycle that passed charge (0 or NaN: no current in it)
        with np.errstate(invalid="ignore"):
            return np.asarray(table[column], dtype=float) > 0

    # a capacity of 0 is a half that did not run (a rest-only cycle, a half missing): left out of the line,
    # where it was drawn as a sudden loss of all capacity
    ran = {kind: moved(f"{kind} capacity [{unit}]") if f"{kind} capacity [{unit}]" in table else None
           for kind in ("Discharge", "Charge")}
    for kind, style in (("Discharge", "o-"), ("Charge", "s-")):
        if has(f"{kind} capacity [{unit}]"):
            q = np.asarray(table[f"{kind} capacity [{unit}]"], dtype=float)
            ax.plot(cyc, np.where(moved(f"{kind} capacity [{unit}]"), q, np.nan), style, ms=3, label=kind.lower())
    rests = np.ones(len(cyc), dtype=bool)
    for r in ran.values():
        if r is not None:
            rests &= ~r
    if any(r is not None for r in ran.values()) and rests.any():  # marked on the cycle axis, named in the legend
        ax.plot(np.asarray(cyc)[rests], np.full(int(rests.sum()), 0.03), "|", color="0.4", ms=10, mew=1.5,
                clip_on=False, transform=ax.get_xaxis_transform(), label="rest only (no current)")
    ax.set_xlabel("Cycle")
    ax.set_ylabel(f"Capacity [{unit}]")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))  # cycles are whole numbers
    right = ax.twinx()
    if has("Coulombic efficiency [%]"):
        right.plot(cyc, table["Coulombic efficiency [%]"], "^:", ms=3, color="tab:red", label="coulombic efficiency")
        right.set_ylabel(f"Coulombic efficiency ({table.coulombic_efficiency}) [%]")
    else:  # a record of one kind of half-cycle (discharges only, say) has no efficiency
        right.set_yticks([])
        right.set_ylabel("no coulombic efficiency (no discharge-charge pair)")
    lines = ax.get_legend_handles_labels()
    more = right.get_legend_handles_labels()
    if own:  # outside the axes: it covers no data
        fig.legend(lines[0] + more[0], lines[1] + more[1], fontsize="small", loc="outside lower center", ncols=3)
    else:
        ax.legend(lines[0] + more[0], lines[1] + more[1], fontsize="small", loc="best")
    ax.set_title("Capacity and efficiency per cycle")
    return fig


#: A smoothed dQ/dV crossing zero by more than this fraction of its peak gets a note naming the smoothing.
DQDV_LOBE_NOTE = 0.02


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
    """Smoothed dQ/dV of each half-cycle (discharge plotted negative, as is usual).

    Constant-voltage steps are left out (see :func:`~metalair.analysis.cycle_metrics.without_cv`): at
    constant voltage dQ/dV is a spike that says nothing about the electrode. Half-cycles too short to differentiate are
    skipped, and cycles with no curve left are named in a note.
    """
    fig, ax, scale, label, halves, chosen = _half_cycle_setup(data, mass_g, cycle_start, cycles, max_curves, ax)
    curves = []
    for h in halves:
        if h.cycle not in chosen:
            continue
        v, q = without_cv(data, h)
        try:
            curve = dqdv(v, q * scale, window_V=window_V)
        except ParameterError:
            continue  # too short or flat to differentiate
        curves.append((h, curve))
    colours = _cycle_colours(sorted({h.cycle for h, _ in curves}))
    lobes = []  # windows [mV] of curves whose smoothing crosses zero by a visible amount
    for h, curve in curves:
        sign = -1.0 if h.kind == "discharge" else 1.0
        y = sign * curve.smoothed
        # one half-cycle passes charge one way, so its dQ/dV has one sign; the smoothing's side lobes beside a sharp
        # plateau cross zero: drawn dotted, so that they do not read as a reaction of the other direction
        wrong = curve.smoothed < 0
        ax.plot(curve.voltage_V, np.where(wrong, np.nan, y), color=colours[h.cycle], lw=1.0)
        if wrong.any():
            ax.plot(curve.voltage_V, np.where(wrong | np.roll(wrong, 1) | np.roll(wrong, -1), y, np.nan),
                    color=colours[h.cycle], lw=0.8, ls=":")
            if -np.min(curve.smoothed) > DQDV_LOBE_NOTE * np.max(curve.smoothed):
                lobes.append(1000 * curve.window_V)
    ax.axhline(0.0, color="0.6", lw=0.6)
    xlabel = "Voltage [V]"
    if lobes:  # under the axis, where no curve can hide it
        xlabel += (f"\ndotted: side lobes of the smoothing (Savitzky-Golay, {min(lobes):.0f}"
                   f"{'' if max(lobes) - min(lobes) < 0.5 else f'-{max(lobes):.0f}'} mV window) beside sharp plateaus, "
                   "not charge of the other sign")
    ax.set_xlabel(wrapped(xlabel, 6.0, 10.0))
    ax.set_ylabel(f"dQ/dV [{label.split('[')[1].rstrip(']')}/V]")
    ax.set_title(wrapped("Incremental capacity (discharge < 0, charge > 0; constant-voltage holds left out)", 6.0, 12))
    missing = sorted({int(c) for c in chosen} & {h.cycle for h in halves} - set(colours))
    if missing:
        ax.text(0.99, 0.01, "too few points to differentiate: cycle " + ", ".join(map(str, missing)),
                transform=ax.transAxes, ha="right", va="bottom", fontsize="x-small", color="0.3")
    _cycle_key(fig, ax, colours, styles=False)
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
