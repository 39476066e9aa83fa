"""Figures of simulated cells.

Figures are made with :class:`matplotlib.figure.Figure` directly, without
pyplot, so nothing here touches a GUI backend or global state; matplotlib is
imported on first use, so ``import metalair.plotting`` stays cheap.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from metalair.analysis.cycle_metrics import CycleLife
from metalair.errors import ParameterError
from metalair.models.declaration import SODIUM_PRODUCTS
from metalair.tables.summary import SummaryTable
from metalair.units import convert

__all__ = ["new_figure", "wrapped", "pyplot", "preload", "plot_solution", "plot_comparison", "plot_cycling",
           "save_figure"]

#: Legend text of a sodium product where it differs from its inventory name.
_PRODUCT_LABELS = {"Na2CO3": "Na2CO3·xH2O", "Residue": "residue"}
_PRODUCT_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
#: The sodium products of the model declaration: (inventory, legend text, colour).
_PRODUCTS = [(k, _PRODUCT_LABELS.get(k, k), _PRODUCT_COLOURS[i % len(_PRODUCT_COLOURS)])
             for i, k in enumerate(SODIUM_PRODUCTS)]
_STEP_COLOURS = {"discharge": "#c0392b", "charge": "#2471a3", "rest": "0.5", "hold": "#7d3c98", "sweep": "#117a65"}
_VOLTAGE_LABEL = "Voltage [V vs Na⁺/Na]"  # plain text: no mathtext parser to load


def new_figure(figsize: tuple[float, float], layout: str | None = "constrained") -> Any:
    """A matplotlib Figure not attached to pyplot (freed when it goes out of scope).

    ``layout=None`` leaves the margins to the caller (``fig.subplots_adjust``),
    which saves the extra layout passes of a constrained layout.
    """
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout=layout)  # type: ignore[arg-type]  # a layout name or None


#: Below this much charge passed [mAh/g], a run is drawn against time (a rest: its capacity is rounding noise).
NO_CHARGE_MAH_G = 1e-3


def _style(n_points: int) -> str:
    """Line style of a series: with markers when it has so few points that a line alone would not show."""
    return "o-" if n_points < 20 else "-"


def _integer_locator() -> Any:
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True)


def wrapped(title: str, width_in: float, fontsize: float = 10.0) -> str:
    """``title`` broken into lines that fit ``width_in`` inches at ``fontsize`` points (about 0.6 em a character).

    Titles carry names users choose (catalysts, files), which can be long. Line breaks the title has
    are kept (each of its lines is wrapped on its own).
    """
    import textwrap

    width = max(20, int(width_in * 72 / (0.6 * fontsize)))
    return "\n".join("\n".join(textwrap.wrap(line, width)) or line for line in title.split("\n")) or title


def pyplot() -> Any:
    """Matplotlib's pyplot on the non-interactive Agg backend (for figures built with pyplot helpers)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def preload() -> None:
    """Get matplotlib ready to draw while the caller computes (the figure process of a long run).

    Imports the figure and Agg canvas, then draws a throw-away figure with the
    elements of :func:`plot_cycling` (two panels, lines, legend, grid, a colour
    map) into memory: the first figure a process saves pays for loading the fonts
    and building the glyph caches (~0.08 s), and that is better paid during the
    simulation than after it.
    """
    import io

    import matplotlib.backends.backend_agg
    import matplotlib.figure  # noqa: F401
    from matplotlib import colormaps

    fig = new_figure((12, 4.8), layout=None)
    for ax in fig.subplots(1, 2):
        ax.plot([0.0, 1.0], [0.0, 1.0], "-", color=colormaps["viridis"](0.5), lw=1.2, label="warm-up")
        ax.set_xlabel("Cycle number")
        ax.set_ylabel(_VOLTAGE_LABEL)
        ax.set_title("warm-up")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.savefig(io.BytesIO(), format="png", dpi=100)


def _mmol_g(values_mol_g: Any) -> Any:
    return convert(np.asarray(values_mol_g), "mol/g", "mmol/g")


def _readable_inventory(ax: Any, values_mmol_g: list[Any]) -> None:
    """Keep an inventory panel that barely changes (a rest: 1e-8 mmol/g of solver noise) off its noise.

    The same guard as the voltage panel's: a spread under 1e-3 mmol/g is drawn in a window of ±0.05 mmol/g
    around its middle, without an axis offset, instead of filling the axis with "1e-8" noise.
    """
    finite = np.concatenate([np.asarray(v, dtype=float).ravel() for v in values_mmol_g]) if values_mmol_g else \
        np.empty(0)
    finite = finite[np.isfinite(finite)]
    if finite.size and float(np.ptp(finite)) < 1e-3:
        mid = 0.5 * (float(np.min(finite)) + float(np.max(finite)))
        ax.set_ylim(mid - 0.05, mid + 0.05)
        ax.ticklabel_format(axis="y", useOffset=False, style="plain")


def _plot_voltammogram(sol: Any, title: str | None) -> Any:
    """A sweep (CV) run: current against potential (anodic positive, mA/g), inventory against time beneath."""
    from metalair.tables.voltammetry import Voltammogram

    fig = new_figure((8, 6.5))
    ax_i, ax_p = fig.subplots(2, 1, gridspec_kw={"height_ratios": [3, 2]})
    sweeping = np.isin(np.asarray(sol["Step"]), [s.index for s in sol.steps if s.kind == "sweep"])
    e = np.asarray(sol["Voltage [V]"], dtype=float)[sweeping]
    # the series counts discharge (cathodic) current as positive: a voltammogram draws anodic current positive
    i = -np.asarray(sol["Current [mA/g]"], dtype=float)[sweeping]
    cv = Voltammogram.from_arrays(e, i, current_unit="mA/g")
    cycles = list(cv.cycles) if len(e) > 1 else []
    from matplotlib import colormaps

    for k, c in enumerate(cycles):
        part = cv.select_cycle(c)
        colour = colormaps["tab10"](k % 10) if len(cycles) <= 10 else colormaps["viridis"](0.9 * k / (len(cycles) - 1))
        # a style per cycle too: cycles that repeat each other exactly would hide the earlier ones
        style = _style(len(part.potential_V)).replace("-", ("-", "--", ":", "-.")[k % 4])
        ax_i.plot(part.potential_V, part.current, style, color=colour, lw=1.2,
                  label=f"cycle {c}" if len(cycles) > 1 else "sweep")
    ax_i.axhline(0.0, color="0.6", lw=0.6)
    ax_i.set_xlabel(_VOLTAGE_LABEL.replace("Voltage", "Potential"))
    ax_i.set_ylabel("Current [mA/g] (anodic positive)")
    ax_i.grid(alpha=0.3)
    if ax_i.get_legend_handles_labels()[1]:
        ax_i.legend(loc="best", fontsize=8, ncols=2 if len(cycles) > 6 else 1)
    ax_i.set_title(wrapped(title or f"{sol.meta.get('catalyst', '')} — {sol.meta.get('environment', '')}: "
                           "cyclic voltammogram", 7.5, 12))
    t = sol["Time [h]"]
    inventories = [_mmol_g(sol[f"{key} [mol/g]"]) for key, _label, _colour in _PRODUCTS]
    for values, (_key, label, color) in zip(inventories, _PRODUCTS):
        ax_p.plot(t, values, color=color, label=label)
    _readable_inventory(ax_p, inventories)
    ax_p.set_ylabel("Inventory [mmol/g]")
    ax_p.set_xlabel("Time [h]")
    ax_p.grid(alpha=0.3)
    ax_p.legend(loc="best", fontsize=8, ncol=2)
    return fig


def plot_solution(sol: Any, title: str | None = None) -> Any:
    """Voltage against throughput capacity, with the product inventory beneath it.

    A run that passes (almost) no charge (a rest, an open circuit) is drawn against time instead:
    against its capacity it would plot rounding noise. A run of potential sweeps (a CV) is drawn as a
    voltammogram: current (anodic positive, mA/g) against potential, with the inventory against time.

    Returns the matplotlib Figure.
    """
    kinds = {s.index: s.kind for s in sol.steps}
    driven = {k for k in kinds.values() if k != "rest"}
    if driven and driven <= {"sweep", "hold"} and "sweep" in driven and "Current [mA/g]" in sol:
        return _plot_voltammogram(sol, title)
    fig = new_figure((8, 6.5))
    ax_v, ax_p = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    q = sol["Throughput capacity [mAh/g]"]
    x_label = "Capacity passed (discharge then charge) [mAh/g]"
    if len(q) and float(np.nanmax(np.abs(q))) < NO_CHARGE_MAH_G:
        q, x_label = sol["Time [h]"], "Time [h] (no charge passed)"
    v = sol["Voltage [V]"]
    step = sol["Step"]
    for idx in np.unique(step):
        if idx == 0:  # the initial state, not a protocol step
            continue
        m = step == idx
        kind = kinds.get(int(idx), "rest")
        ax_v.plot(q[m], v[m], _style(int(np.count_nonzero(m))), color=_STEP_COLOURS.get(kind, "k"), lw=1.6,
                  label=kind if kind not in ax_v.get_legend_handles_labels()[1] else None)
    ax_v.set_ylabel(_VOLTAGE_LABEL)
    ax_v.grid(alpha=0.3)
    finite_v = np.asarray(v, dtype=float)[np.isfinite(v)]
    if finite_v.size and float(np.ptp(finite_v)) < 0.01:  # a flat voltage: a 0.1 V window, not "1e-7+2.227" noise
        mid = float(np.mean(finite_v))
        ax_v.set_ylim(mid - 0.05, mid + 0.05)
        ax_v.ticklabel_format(axis="y", useOffset=False)
    if ax_v.get_legend_handles_labels()[1]:
        ax_v.legend(loc="best", fontsize=8)
    ax_v.set_title(wrapped(title or f"{sol.meta.get('catalyst', '')} — {sol.meta.get('environment', '')}", 7.5, 12))
    inventories = [_mmol_g(sol[f"{key} [mol/g]"]) for key, _label, _colour in _PRODUCTS]
    for values, (_key, label, color) in zip(inventories, _PRODUCTS):
        ax_p.plot(q, values, color=color, label=label)
    _readable_inventory(ax_p, inventories)  # a rest: 1e-8 mmol/g of noise drawn as growth
    ax_p.set_ylabel("Inventory [mmol/g]")
    ax_p.set_xlabel(x_label)
    ax_p.grid(alpha=0.3)
    ax_p.legend(loc="best", fontsize=8, ncol=2)
    return fig


def plot_comparison(solutions: dict[str, Any], title: str = "Discharge–charge at the same protocol") -> Any:
    """Voltage against capacity of each step, one colour per catalyst; inventories beneath."""
    if not solutions:
        raise ParameterError("solutions is empty: give {name: Solution} of the runs to compare")
    fig = new_figure((10.5 if len(solutions) > 3 else 8, 6.5))
    ax_v, ax_p = fig.subplots(2, 1, gridspec_kw={"height_ratios": [3, 2]})
    palette: list[Any] = ["#c0392b", "#2471a3", "#117a65", "#7d3c98", "#b9770e"]
    if len(solutions) > len(palette):  # every catalyst drawn: zip() with five colours dropped the sixth
        from matplotlib import colormaps

        palette = [colormaps["tab10"](k % 10) for k in range(len(solutions))]
    for (name, sol), color in zip(solutions.items(), palette):
        q, v, step = sol["Capacity [mAh/g]"], sol["Voltage [V]"], sol["Step"]
        for s in sol.steps:
            if s.kind not in ("discharge", "charge"):
                continue
            m = step == s.index
            ls = ("-" if s.kind == "discharge" else "--") + _style(int(np.count_nonzero(m))).rstrip("-")
            ax_v.plot(q[m], v[m], ls, color=color, lw=1.5, label=f"{name} {s.kind}")
        t = sol["Throughput capacity [mAh/g]"]
        ax_p.plot(t, _mmol_g(sol["NaO2 [mol/g]"]), color=color, lw=1.2, label=f"{name} NaO2")
        ax_p.plot(t, _mmol_g(sol["Na2O2 [mol/g]"]), ":", color=color, lw=1.2, label=f"{name} Na2O2")
        ax_p.plot(t, _mmol_g(sol["Na2CO3 [mol/g]"]), "-.", color=color, lw=1.2, label=f"{name} Na2CO3·xH2O")
    ax_v.set_xlabel("Capacity in step [mAh/g]")
    ax_v.set_ylabel(_VOLTAGE_LABEL)
    ax_v.grid(alpha=0.3)
    many = len(solutions) > 3  # legends of four catalysts and more cover the curves: outside the axes
    outside = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0)} if many else {}
    if ax_v.get_legend_handles_labels()[1]:
        ax_v.legend(fontsize=8, **outside)
    else:  # no galvanostatic step (a rest, a hold): say so instead of an empty legend
        ax_v.text(0.5, 0.5, "no discharge or charge step to draw", transform=ax_v.transAxes, ha="center")
    ax_v.set_title(wrapped(title, 7.5, 12))
    ax_p.set_xlabel("Capacity passed (discharge then charge) [mAh/g]")
    ax_p.set_ylabel("Inventory [mmol/g]")
    ax_p.grid(alpha=0.3)
    ax_p.legend(fontsize=7, ncol=1 if many else 2, **outside)
    return fig


def plot_cycling(table: SummaryTable, life: CycleLife, solution: Any = None, title: str = "",
                 eod_threshold_V: float | None = None) -> Any:
    """End-of-discharge and end-of-charge voltages against cycle number, and the kept cycles' profiles.

    This is the field's standard cycling figure; the right panel draws the
    voltage profiles of the cycles whose time series were kept.

    Parameters
    ----------
    table : SummaryTable
        The per-cycle table (end-of-discharge and end-of-charge voltages).
    life : CycleLife
        Marks the first failed cycle.
    solution : Solution, optional
        Its kept cycles are drawn as voltage profiles.
    title : str
        Title of the left panel.
    eod_threshold_V : float, optional
        The end-of-discharge threshold the run reports (drawn as a line, with the first cycle below it).
    """
    from matplotlib import colormaps

    fig = new_figure((12, 4.8), layout=None)  # fixed margins: drawn on every 'metalair cycle'
    fig.subplots_adjust(left=0.06, right=0.985, bottom=0.11, top=0.93, wspace=0.2)
    ax_e, ax_p = fig.subplots(1, 2)
    cyc = table["Cycle"]
    style = _style(len(cyc))
    ax_e.plot(cyc, table["End-of-charge voltage [V]"], style, color="#2471a3", lw=1.2, label="end of charge")
    ax_e.plot(cyc, table["End-of-discharge voltage [V]"], style, color="#c0392b", lw=1.2, label="end of discharge")
    ax_e.xaxis.set_major_locator(_integer_locator())  # cycle numbers, not 2.5
    if 0 < len(cyc) < 20:  # a few cycles: each its tick (one cycle gave ticks 0.945-1.05)
        ax_e.set_xticks(np.asarray(cyc, dtype=int))
        ax_e.set_xlim(float(np.min(cyc)) - 0.5, float(np.max(cyc)) + 0.5)
    if life.first_failed_cycle is not None:  # named in the legend, which is placed off the curves
        ax_e.axvline(life.first_failed_cycle, color="0.4", ls="--", lw=1,
                     label=f"first failure: cycle {life.first_failed_cycle} ({life.reason.split(':')[0]})")
    if eod_threshold_V is not None:
        below = life.first_cycle_below_eod_threshold
        ax_e.axhline(eod_threshold_V, color="#c0392b", ls=":", lw=1,
                     label=f"end-of-discharge threshold {eod_threshold_V:g} V"
                     + (f" (first below: cycle {below})" if below is not None else ""))
    ax_e.set_xlabel("Cycle number")
    ax_e.set_ylabel(_VOLTAGE_LABEL)
    ax_e.set_title(wrapped(title, 5.4, 12))
    ax_e.grid(alpha=0.3)
    ax_e.legend(fontsize=8)
    if solution is not None and len(solution):
        from matplotlib.lines import Line2D

        cmap = colormaps["viridis"]
        kept = sorted({int(c) for c in solution["Cycle"]} - {0})
        step, q, v = solution["Step"], solution["Capacity [mAh/g]"], solution["Voltage [V]"]
        handles = []
        for i, c in enumerate(kept):
            color = cmap(0.85 * i / max(1, len(kept) - 1))  # not the pale yellow end: it hardly shows on white
            handles.append(Line2D([], [], color=color, lw=1.3, label=f"cycle {c}"))
            for s in solution.steps:
                if s.cycle != c or s.kind not in ("discharge", "charge"):
                    continue
                m = step == s.index
                ax_p.plot(q[m], v[m], "-" if s.kind == "discharge" else "--", color=color, lw=1.3)
        handles += [Line2D([], [], color="0.2", ls="-", lw=1.3, label="discharge"),
                    Line2D([], [], color="0.2", ls="--", lw=1.3, label="charge")]
        ax_p.set_xlabel("Capacity in step [mAh/g]")
        ax_p.set_ylabel(_VOLTAGE_LABEL)
        ax_p.set_title("Voltage profiles of selected cycles")
        ax_p.grid(alpha=0.3)
        ax_p.legend(handles=handles, fontsize=8, ncols=2)
    return fig


def save_figure(fig: Any, path: str | os.PathLike[str], dpi: int = 100) -> None:
    """Save atomically (temporary file, then rename); the format follows the extension (png, svg, pdf)."""
    import io

    from metalair._files import atomic_write_bytes

    buf = io.BytesIO()
    fmt = os.path.splitext(str(path))[1].lstrip(".") or "png"
    fig.savefig(buf, format=fmt, dpi=dpi)
    atomic_write_bytes(path, buf.getvalue())
