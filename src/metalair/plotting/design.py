"""Figures for catalyst design: free-energy diagrams and screening maps (matplotlib inside functions)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from metalair.catalysts.dft import FreeEnergyAnalysis
from metalair.errors import ParameterError

__all__ = ["plot_free_energy_diagram", "plot_screen_map", "plot_screen_maps", "plot_sweep_response"]


def _plt() -> Any:
    from metalair.plotting.simulation import pyplot as _mpl

    return _mpl()


def plot_free_energy_diagram(analysis: FreeEnergyAnalysis, potentials: Sequence[float] | None = None,
                             title: str | None = None) -> Any:
    """Free-energy diagram of the discharge steps at several electrode potentials.

    Parameters
    ----------
    analysis : FreeEnergyAnalysis
        From :func:`metalair.catalysts.dft.analyse_free_energy_steps`.
    potentials : sequence of float, optional
        Potentials [V vs Na+/Na]; default 0 V and the equilibrium potential.
    title : str, optional

    Returns
    -------
    matplotlib Figure

    References
    ----------
    Nørskov et al., J. Phys. Chem. B 108, 17886 (2004), doi:10.1021/jp047349j.
    """
    plt = _plt()
    if potentials is None:
        potentials = (0.0, analysis.equilibrium_potential)
    labels = ["start"] + [s.label for s in analysis.steps]
    fig, ax = plt.subplots(figsize=(7.5, 4.6))
    colors = ["#2471a3", "#c0392b", "#117a65", "#7d3c98"]
    for k, u in enumerate(potentials):
        g = analysis.profile(u)
        color = colors[k % len(colors)]
        for i, gi in enumerate(g):
            ax.plot([i - 0.3, i + 0.3], [gi, gi], color=color, lw=2.4,
                    label=f"U = {u:.2f} V" if i == 0 else None)
            if i:
                ax.plot([i - 0.7, i - 0.3], [g[i - 1], gi], color=color, lw=0.8, ls=":")
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=20, ha="right", fontsize=7)
    ax.set_ylabel("Free energy [eV]")
    ax.axhline(0, color="0.6", lw=0.6)
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=8)
    ax.set_title(title or (f"U_eq {analysis.equilibrium_potential:.2f} V; limiting step on charge: reverse of "
                           f"{analysis.limiting_charge_step} (η_FE {analysis.eta_fe:.2f} V)"), fontsize=9)
    fig.tight_layout()
    return fig


def _grid(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    xs, ys = np.unique(x), np.unique(y)
    if xs.size * ys.size != x.size or xs.size < 2 or ys.size < 2:
        return None
    zz = np.full((ys.size, xs.size), np.nan)
    ix = np.searchsorted(xs, x)
    iy = np.searchsorted(ys, y)
    zz[iy, ix] = z
    return xs, ys, zz


def plot_screen_map(table: Mapping[str, Any], x: str, y: str, value: str,
                    markers: Mapping[str, tuple[float, ...]] | None = None, ax: Any = None,
                    title: str | None = None, cmap: str = "viridis",
                    marker_values: Mapping[str, float | None] | None = None) -> Any:
    """Heat map of one result column over two descriptor columns, with reference catalysts marked.

    Parameters
    ----------
    table : mapping of column -> array
        The screen's result table (e.g. ``pandas.DataFrame`` or dict of arrays).
    x, y, value : str
        Column names.
    markers : {label: (x, y)}, optional
        Points to mark (the built-in catalysts).
    marker_values : {label: value}, optional
        Each marked catalyst's own result for ``value``: the star is filled
        with it on the map's colour scale (white when absent).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Figure
    """
    plt = _plt()
    for c in (x, y, value):
        if c not in table:
            raise ParameterError(f"column {c!r} not in the screen table; columns: {', '.join(map(str, table))}")
    xv = np.asarray(table[x], dtype=float)
    yv = np.asarray(table[y], dtype=float)
    zv = np.asarray(table[value], dtype=float)
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.6, 4.4))
    else:
        fig = ax.figure
    g = _grid(xv, yv, zv)
    if g is not None:
        xs, ys, zz = g
        mesh = ax.pcolormesh(xs, ys, np.ma.masked_invalid(zz), shading="nearest", cmap=cmap)
    else:
        ok = np.isfinite(zv)
        mesh = ax.scatter(xv[ok], yv[ok], c=zv[ok], s=18, cmap=cmap)
        if (~ok).any():
            ax.scatter(xv[~ok], yv[~ok], marker="x", color="0.5", s=12, label="failed / no value")
    fig.colorbar(mesh, ax=ax, label=value)
    offsets = [(-30, 18), (8, 10), (-2, 34), (16, -22), (-40, -20)]
    for k, (label, (mx, my)) in enumerate((markers or {}).items()):
        if math.isfinite(mx) and math.isfinite(my):
            own = (marker_values or {}).get(label)
            face = mesh.cmap(mesh.norm(own)) if own is not None and math.isfinite(own) else "white"
            ax.plot(mx, my, marker="*", ms=15, mfc=face, mec="k", mew=1.2, ls="none")
            ax.annotate(label, (mx, my), xytext=offsets[k % len(offsets)], textcoords="offset points", fontsize=8,
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "alpha": 0.85, "lw": 0},
                        arrowprops={"arrowstyle": "-", "lw": 0.7, "color": "k", "shrinkA": 0, "shrinkB": 5})
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    if title:
        ax.set_title(title, fontsize=9)
    return fig


def plot_screen_maps(table: Mapping[str, Any], x: str, y: str, values: Sequence[str],
                     markers: Mapping[str, tuple[float, float]] | None = None, title: str | None = None,
                     marker_results: Mapping[str, Mapping[str, float]] | None = None) -> Any:
    """Several :func:`plot_screen_map` panels side by side (e.g. cycle life and polarisation).

    ``marker_results`` = ``{label: {value column: number}}`` fills each star with the marked
    catalyst's own result.
    """
    plt = _plt()
    values = [v for v in values if v in table]
    if not values:
        raise ParameterError("none of the requested columns is in the screen table")
    fig, axes = plt.subplots(1, len(values), figsize=(5.6 * len(values), 4.4), squeeze=False)
    for ax, v in zip(axes[0], values):
        own = {k: r.get(v) for k, r in (marker_results or {}).items()}
        plot_screen_map(table, x, y, v, markers=markers, ax=ax, marker_values=own)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


#: Result columns a one-axis sweep draws against its axis, with their axis labels.
RESPONSE_COLUMNS = {
    "discharge_capacity_mAh_g": "Discharge capacity [mAh/g]",
    "mean_discharge_voltage_V": "Mean discharge voltage [V]",
    "polarisation_V": "Polarisation [V]",
    "coulombic_efficiency_pct": "Coulombic efficiency [%]",
    "cycle_life": "Cycle life",
}


def plot_sweep_response(table: Mapping[str, Any], x: str, title: str | None = None) -> Any:
    """Each result of :data:`RESPONSE_COLUMNS` that has a finite value against the one swept column ``x``.

    A positive axis spanning more than a decade (currents, rate constants) is drawn on a log scale.
    """
    import numpy as np

    plt = _plt()
    xs = np.asarray(table[x], dtype=float)
    order = np.argsort(xs)
    cols = [c for c in RESPONSE_COLUMNS if c in table and np.isfinite(np.asarray(table[c], dtype=float)).any()]
    if not cols:
        raise ParameterError(f"the sweep has none of the result columns {', '.join(RESPONSE_COLUMNS)} to draw")
    fig, axes = plt.subplots(1, len(cols), figsize=(3.6 * len(cols) + 0.6, 3.4), squeeze=False)
    finite_x = xs[np.isfinite(xs)]
    log_x = finite_x.size > 1 and finite_x.min() > 0 and finite_x.max() / finite_x.min() > 10
    for ax, c in zip(axes[0], cols):
        ys = np.asarray(table[c], dtype=float)
        ax.plot(xs[order], ys[order], "o-", color="#2471a3", ms=4, lw=1.2)
        ax.set_xlabel(x)
        ax.set_ylabel(RESPONSE_COLUMNS[c])
        if log_x:
            ax.set_xscale("log")
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
