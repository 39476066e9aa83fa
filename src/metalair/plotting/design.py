"""Figures for catalyst design: free-energy diagrams and screening maps (matplotlib inside functions)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from metalair.catalysts.dft import FreeEnergyAnalysis
from metalair.errors import ParameterError
from metalair.plotting.simulation import new_figure, wrapped

__all__ = ["plot_free_energy_diagram", "plot_screen_map", "plot_screen_maps", "plot_sweep_response", "column_label",
           "column_unit", "protocol_units", "shown_unit", "shown_values", "SHOWN_UNITS"]


#: Result columns a one-axis sweep draws against its axis, with their axis labels.
RESPONSE_COLUMNS = {
    "discharge_capacity_mAh_g": "Discharge capacity [mAh/g]",
    "mean_discharge_voltage_V": "Mean discharge voltage [V]",
    "polarisation_V": "Polarisation [V]",
    "coulombic_efficiency_pct": "Coulombic efficiency [%]",
    "cycle_life": "Cycle life",
}

#: Axis labels of the other result columns of a screen or sweep.
RESULT_LABELS = {
    **RESPONSE_COLUMNS,
    "mean_charge_voltage_V": "Mean charge voltage [V]",
    "charge_capacity_mAh_g": "Charge capacity [mAh/g]",
    "energy_efficiency_pct": "Energy efficiency [%]",
    "charge_plateaus": "Charge plateaus",
    "charge_plateau_1_V": "Charge plateau 1 [V]",
    "charge_plateau_2_V": "Charge plateau 2 [V]",
    "charge_plateau_3_V": "Charge plateau 3 [V]",
    "carbonate_after_charge_mmol_g": "Na2CO3·xH2O after charge [mmol/g]",
    "residue_after_charge_mmol_g": "Residue after charge [mmol/g]",
}

#: Names and units of the candidate fields that have a shorter name than their own.
_FIELD_NAMES = {"icohp": "ICOHP", "d_band_centre": "d-band centre",
                "free_energy_overpotential": "free-energy overpotential η_FE"}


#: Catalyst fields that a catalyst file stores (and a bare number is read) in one unit and metalair shows in
#: another, ``{field: (stored, shown)}``: ``metalair catalysts`` lists a host couple's capacity in mAh/g, and a
#: figure's axis does too (64.5 mAh/g rather than 232200 C/kg of catalyst). The units are those of
#: :mod:`metalair.units`, which converts between them.
SHOWN_UNITS: dict[str, tuple[str, str]] = {"capacity": ("C/kg", "mAh/g"), "molar_mass": ("kg/mol", "g/mol")}


def shown_unit(name: str) -> tuple[str, str] | None:
    """``(stored, shown)`` units of a candidate column of a field of :data:`SHOWN_UNITS`, else None.

    ``host_couples.0.capacity`` and ``host_couples.*.capacity`` -> ``("C/kg", "mAh/g")``;
    ``catalyst.molar_mass`` -> ``("kg/mol", "g/mol")``.
    """
    parts = name.split(".")
    if (parts[0] == "catalyst" and len(parts) == 2) or (parts[0] == "host_couples" and len(parts) == 3):
        return SHOWN_UNITS.get(parts[-1])
    return None


def shown_values(name: str, values: Any) -> np.ndarray:
    """The numbers of column ``name`` in the unit that :func:`column_label` gives it.

    A table holds a catalyst field in its stored (SI) unit; a field of :data:`SHOWN_UNITS` is converted to
    the unit it is shown in. Any other column is returned as floats, unchanged.
    """
    from metalair.units import convert

    v = np.asarray(values, dtype=float)
    units = shown_unit(name)
    return v if units is None else np.asarray(convert(v, *units), dtype=float)


def protocol_units(protocol: str | None) -> dict[str, str]:
    """The unit written after each ``{name}`` placeholder of a protocol template (``{current} mA/g``).

    Only a word that :func:`metalair.units.find_unit` knows counts: in ``Discharge at {current} until 1.5 V``
    the placeholder has no unit (it is not "until"), and its label takes the unit of the values.
    """
    import re

    from metalair.units import find_unit

    if not protocol:
        return {}
    out: dict[str, str] = {}
    for m in re.finditer(r"\{(\w+)\}\s*([^\s;,]*)", protocol):
        unit = find_unit(m.group(2)) if m.group(2) else None
        if unit is not None:
            out.setdefault(m.group(1), unit)
    return out


def column_label(name: str, units: Mapping[str, str] | None = None) -> str:
    """An axis label with its unit for a column of a screen or sweep table.

    ``polarisation_V`` -> ``Polarisation [V]``, ``descriptors.Na2CO3.icohp`` -> ``Na2CO3 ICOHP [eV]``,
    ``catalyst.free_energy_overpotential`` -> ``free-energy overpotential η_FE [V]``; a protocol
    variable takes its unit from ``units`` (:func:`protocol_units` of the template: ``protocol.current``
    -> ``current [mA/g]``), and has none without it; a field of :data:`SHOWN_UNITS` is labelled in the unit
    it is shown in (``host_couples.0.capacity`` -> ``host couple 0 capacity [mAh/g]``: draw its numbers with
    :func:`shown_values`); a name it does not know is returned unchanged.
    """
    if name in RESULT_LABELS:
        return RESULT_LABELS[name]
    described = _column_text_and_unit(name, units)
    if described is None:
        return name
    text, unit = described
    return f"{text} [{unit}]" if unit else text


def column_unit(name: str, units: Mapping[str, str] | None = None) -> str | None:
    """The unit :func:`column_label` gives a candidate column, or None.

    ``parameters.loading`` -> ``kg/m²``; a field of :data:`SHOWN_UNITS` its shown unit; None for a result
    column, a name it does not know, or a field without a unit.
    """
    described = _column_text_and_unit(name, units)
    return described[1] if described is not None else None


def _column_text_and_unit(name: str, units: Mapping[str, str] | None) -> tuple[str, str | None] | None:
    """``(label text, unit)`` of a candidate column (:func:`column_label`), None for a name it does not know."""
    parts = name.split(".")
    if parts[0] == "catalyst" and len(parts) > 2:  # catalyst.descriptors.<product>.<field>
        parts = parts[1:]
    given, units = units, {}
    prefix = ""
    if parts[0] in ("catalyst", "descriptors", "host_couples") and len(parts) in (2, 3):
        from metalair.catalysts import Catalyst, Descriptors
        from metalair.catalysts.base import HostCouple
        from metalair.catalysts.files import _field_units

        cls = {"catalyst": Catalyst, "descriptors": Descriptors, "host_couples": HostCouple}[parts[0]]
        units = _field_units(cls)
        if len(parts) == 3:  # descriptors.<product|*>.<field> or host_couples.<index|*>.<field>
            every = "all products" if parts[0] == "descriptors" else "all host couples"
            one = parts[1] if parts[0] == "descriptors" else f"host couple {parts[1]}"
            prefix = (every if parts[1] == "*" else one) + " "
    elif parts[0] == "protocol" and len(parts) == 2:
        units = dict(given or {})
    elif parts[0] == "parameters" and len(parts) == 2:  # the unit its range is declared in (i0_dec_NaO2: A/m²)
        from metalair.models.parameters import RANGES

        spec = RANGES.get(parts[1])
        units = {parts[1]: spec[4]} if spec is not None and spec[4] else {}
    else:
        return None
    field = parts[-1]
    text = prefix + _FIELD_NAMES.get(field, field.replace("_", " "))
    shown = shown_unit(".".join(parts))
    unit = shown[1] if shown is not None else units.get(field)  # the numbers: shown_values
    return text, (unit or None)


def plot_free_energy_diagram(analysis: FreeEnergyAnalysis, potentials: Sequence[float] | None = None,
                             title: str | None = None, catalyst: str | None = None) -> Any:
    """Free-energy diagram of the discharge steps at several electrode potentials.

    Parameters
    ----------
    analysis : FreeEnergyAnalysis
        From :func:`metalair.catalysts.dft.analyse_free_energy_steps`.
    potentials : sequence of float, optional
        Potentials [V vs Na+/Na]; default 0 V and the equilibrium potential.
    title : str, optional
    catalyst : str, optional
        Named at the start of the default title (diagrams of two catalysts looked alike).

    Returns
    -------
    matplotlib Figure

    References
    ----------
    Nørskov et al., J. Phys. Chem. B 108, 17886 (2004), doi:10.1021/jp047349j.
    """
    if potentials is None:
        potentials = (0.0, analysis.equilibrium_potential)
    labels = ["start"] + [s.label for s in analysis.steps]
    fig = new_figure((7.5, 4.6), layout="tight")
    ax = fig.subplots()
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
    # a long step name ran off the figure: each broken into lines as wide as its level's slot, and centred under
    # its level (rotated and right-aligned, it sat under the gap to the left of it)
    slot = min(2.4, 6.6 / max(1, len(labels)))
    ax.set_xticklabels([wrapped(str(lbl), slot, 7) for lbl in labels], rotation=0, ha="center", fontsize=7)
    ax.set_ylabel("Free energy [eV]")
    ax.axhline(0, color="0.6", lw=0.6)
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=8)
    default = (f"U_eq {analysis.equilibrium_potential:.2f} V; limiting step on charge: reverse of "
               f"{analysis.limiting_charge_step} (η_FE {analysis.eta_fe:.3f} V)")  # as the CLI prints it
    ax.set_title(wrapped(title or (f"{catalyst}: " if catalyst else "") + default, 5.5, 9), fontsize=9)
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


def _log_spaced(values: np.ndarray) -> bool:
    """True for positive values spanning a decade or more (rate constants, currents): drawn on a log axis.

    Exactly one decade counts (1e-4 and 1e-3 were drawn on a linear axis), to within round-off. A grid of
    three or more values spaced more evenly in value than in its logarithm (``0.05:1.0:7``, a linear
    grid) stays linear: on a log axis its cells would crowd at the top.
    """
    v = values[np.isfinite(values)]
    if not (v.size > 1 and v.min() > 0 and v.max() / v.min() >= 10 * (1 - 1e-9)):
        return False
    u = np.unique(v)
    if u.size < 3:
        return True
    lin, geo = np.diff(u), np.diff(np.log(u))
    return bool(np.std(geo) / np.mean(geo) <= np.std(lin) / np.mean(lin))


def _edges(centres: np.ndarray, log: bool) -> np.ndarray:
    """Cell edges around sorted grid centres: midway between them (geometrically on a log axis)."""
    c = np.log10(centres) if log else centres
    mid = 0.5 * (c[1:] + c[:-1])
    e = np.concatenate(([c[0] - (mid[0] - c[0])], mid, [c[-1] + (c[-1] - mid[-1])]))
    return 10.0 ** e if log else e


#: Map values taken over a charge: not drawn for a row whose charge stopped before it returned the discharge.
PARTIAL_CHARGE_VALUES = ("polarisation_V", "mean_charge_voltage_V", "energy_efficiency_pct")


def plot_screen_map(table: Mapping[str, Any], x: str, y: str, value: str,
                    markers: Mapping[str, tuple[float, ...]] | None = None, ax: Any = None,
                    title: str | None = None, cmap: str = "viridis",
                    marker_values: Mapping[str, float | None] | None = None,
                    units: Mapping[str, str] | None = None,
                    marker_censored: Mapping[str, bool] | None = None) -> Any:
    """Heat map of one result column over two descriptor columns, with reference catalysts marked.

    Parameters
    ----------
    table : mapping of column -> array
        The screen's result table (e.g. ``pandas.DataFrame`` or dict of arrays), with catalyst fields in
        their stored units; a field of :data:`SHOWN_UNITS` is drawn in the unit it is shown in
        (:func:`shown_values`), as its axis label says.
    x, y, value : str
        Column names.
    markers : {label: (x, y)}, optional
        Points to mark (the built-in catalysts), in the table's units.
    marker_values : {label: value}, optional
        Each marked catalyst's own result for ``value``: the star is filled
        with it on the map's colour scale (white when absent: said in the legend).
    marker_censored : {label: bool}, optional
        Marked catalysts whose value is a lower bound (a cycle life without a failure in the cycles
        run): their star carries a ≥, as the cells do.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Figure
    """
    for c in (x, y, value):
        if c not in table:
            raise ParameterError(f"column {c!r} not in the screen table; columns: {', '.join(map(str, table))}")
    # in the units of the axis labels (a host couple's capacity: stored in C/kg, shown in mAh/g)
    xv, yv, zv = shown_values(x, table[x]), shown_values(y, table[y]), shown_values(value, table[value])
    partial = np.zeros(zv.shape, dtype=bool)
    if value in PARTIAL_CHARGE_VALUES and "coulombic_efficiency_pct" in table:
        from metalair.analysis.efficiency import charge_incomplete

        # a charge that stopped before returning the discharge: its mean voltage is over the easy part only,
        # and would be drawn as the best cell; masked and marked instead (the row's message says why)
        partial = np.asarray(charge_incomplete(table["coulombic_efficiency_pct"]), dtype=bool) & np.isfinite(zv)
        zv = np.where(partial, np.nan, zv)
    if ax is None:
        fig = new_figure((5.6, 4.4), layout="tight")
        ax = fig.subplots()
    else:
        fig = ax.figure
    g = _grid(xv, yv, zv)
    # one colour scale for the cells and the stars: a star outside the cells' range would take an end colour
    shown = [float(v) for v in zv if np.isfinite(v)] + [float(v) for v in (marker_values or {}).values()
                                                         if v is not None and math.isfinite(v)]
    limits = {"vmin": min(shown), "vmax": max(shown)} if shown else {}
    log_x, log_y = _log_spaced(xv), _log_spaced(yv)  # a sweep of rate constants is log-spaced: so are its cells
    if g is not None:
        xs, ys, zz = g
        mesh = ax.pcolormesh(_edges(xs, log_x), _edges(ys, log_y), np.ma.masked_invalid(zz), shading="flat",
                             cmap=cmap, **limits)
        blank = ~np.isfinite(zz)
        if partial.any():  # drawn as its own marker below, not as a failed cell
            pz = _grid(xv, yv, partial.astype(float))
            blank &= ~(pz[2] > 0) if pz is not None else True
        if blank.any():  # failed runs (and cells without a candidate) are marked, not left to look like data
            gx, gy = np.meshgrid(xs, ys) if np.ndim(xs) == 1 else (xs, ys)
            ax.scatter(np.asarray(gx)[blank], np.asarray(gy)[blank], marker="x", color="0.4", s=20,
                       label="failed / no value")
            ax.legend(loc="best", fontsize=7)
    else:
        ok = np.isfinite(zv)
        mesh = ax.scatter(xv[ok], yv[ok], c=zv[ok], s=18, cmap=cmap, **limits)
        if (~ok & ~partial).any():
            ax.scatter(xv[~ok & ~partial], yv[~ok & ~partial], marker="x", color="0.5", s=12,
                       label="failed / no value")
    if partial.any():
        ax.scatter(xv[partial], yv[partial], marker="o", facecolors="none", edgecolors="#c0392b", s=22,
                   linewidths=0.9, label="charge incomplete: not compared (see message)")
        ax.legend(loc="best", fontsize=7)
    fig.colorbar(mesh, ax=ax, label=column_label(value, units))
    bound_label = "≥: no failure in the cycles run (a lower bound)"
    if value == "cycle_life" and "censored" in table:  # no failure within the cycles run: a lower bound, said so
        cens = np.asarray(table["censored"], dtype=bool) & np.isfinite(zv)
        if cens.any():
            ax.scatter(xv[cens], yv[cens], marker="$\\geq$", color="white", edgecolors="k", linewidths=0.3, s=60,
                       label=bound_label)
            ax.legend(loc="best", fontsize=7)
    offsets = [(-30, 18), (8, 10), (-2, 34), (16, -22), (-40, -20)]
    blank_star = bound_star = False
    for k, (label, (mx, my)) in enumerate((markers or {}).items()):
        mx, my = float(shown_values(x, mx)), float(shown_values(y, my))  # given in the table's units, as the cells
        if math.isfinite(mx) and math.isfinite(my):
            own = (marker_values or {}).get(label)
            valued = own is not None and math.isfinite(own)
            face = mesh.cmap(mesh.norm(own)) if valued else "white"
            blank_star |= not valued
            ax.plot(mx, my, marker="*", ms=15, mfc=face, mec="k", mew=1.2, ls="none")
            if valued and (marker_censored or {}).get(label):  # its own value is a lower bound too
                ax.plot(mx, my, marker="$\\geq$", ms=6, color="k", ls="none")
                bound_star = True
            ax.annotate(label, (mx, my), xytext=offsets[k % len(offsets)], textcoords="offset points", fontsize=8,
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "alpha": 0.85, "lw": 0},
                        arrowprops={"arrowstyle": "-", "lw": 0.7, "color": "k", "shrinkA": 0, "shrinkB": 5})
    if blank_star or bound_star:  # a white star (its own value failed, or its charge stopped early) was unexplained
        from matplotlib.lines import Line2D

        handles, labels = ax.get_legend_handles_labels()
        if blank_star:
            handles.append(Line2D([], [], marker="*", ms=10, mfc="white", mec="k", ls="none"))
            labels.append("white star: no valid value of its own (failed or not compared)")
        if bound_star and bound_label not in labels:
            handles.append(Line2D([], [], marker="$\\geq$", ms=6, color="k", ls="none"))
            labels.append(bound_label)
        ax.legend(handles, labels, loc="best", fontsize=7)
    if log_x:
        ax.set_xscale("log")
        _readable_log_ticks(ax, xv, "x")
    if log_y:
        ax.set_yscale("log")
        _readable_log_ticks(ax, yv, "y")
    ax.set_xlabel(column_label(x, units))
    ax.set_ylabel(column_label(y, units))
    if title:
        ax.set_title(wrapped(title, 5.6, 9), fontsize=9)
    return fig


def plot_screen_maps(table: Mapping[str, Any], x: str, y: str, values: Sequence[str],
                     markers: Mapping[str, tuple[float, float]] | None = None, title: str | None = None,
                     marker_results: Mapping[str, Mapping[str, float]] | None = None,
                     units: Mapping[str, str] | None = None) -> Any:
    """Several :func:`plot_screen_map` panels side by side (e.g. cycle life and polarisation).

    ``marker_results`` = ``{label: {value column: number}}`` fills each star with the marked
    catalyst's own result.
    """
    values = [v for v in values if v in table]
    if not values:
        raise ParameterError("none of the requested columns is in the screen table")
    width = 5.6 * len(values)
    fig = new_figure((width, 4.4), layout="constrained")
    axes = fig.subplots(1, len(values), squeeze=False)
    for ax, v in zip(axes[0], values):
        own = {k: r.get(v) for k, r in (marker_results or {}).items()}
        if v in PARTIAL_CHARGE_VALUES:  # a marked catalyst whose charge stopped early: its star is not filled
            from metalair.analysis.efficiency import charge_incomplete

            own = {k: (None if charge_incomplete((marker_results or {})[k].get("coulombic_efficiency_pct",
                                                                                 math.nan)) else x)
                   for k, x in own.items()}
        bounds = {k: bool(r.get("censored")) for k, r in (marker_results or {}).items()} if v == "cycle_life" else None
        plot_screen_map(table, x, y, v, markers=markers, ax=ax, marker_values=own, units=units,
                        marker_censored=bounds)
    if title:  # broken into lines that fit the figure; the constrained layout keeps them inside it
        fig.suptitle(wrapped(title, width, 10), fontsize=10)
    return fig




def _readable_span(ax: Any, ys: Any) -> None:
    """Keep a panel of values equal to round-off from zooming into it: no axis offset, and at least ±0.5 %.

    Without this, 99.9999999921 % and 99.9999999937 % fill the axis under a "1e-9+99.99999999e1" offset,
    and 60.02811-60.02828 % (a spread of 3e-6 of the value) drew a steep drop in efficiency. Values that
    spread over less than 1 % of their size are drawn on an axis spanning at least 1 % of it (±0.5 % around
    their middle); values that differ by more keep matplotlib's own limits.
    """
    import numpy as np

    if ax.get_yscale() == "linear":
        ax.ticklabel_format(axis="y", useOffset=False, style="plain")
    if ys.size == 0:
        return
    lo, hi = float(np.min(ys)), float(np.max(ys))
    half = 0.005 * max(abs(lo), abs(hi))
    if hi - lo < 2 * half:
        mid = 0.5 * (lo + hi)
        half = max(half, 0.55 * (hi - lo))  # the extreme values stay inside the axis
        ax.set_ylim(mid - half, mid + half)
    elif half == 0:  # all zero
        ax.set_ylim(-1.0, 1.0)


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _tick_text(x: float) -> str:
    """A tick label in plain digits, to four significant figures: ``1000``, ``2000``, ``0.164``, ``232200``.

    Python's ``g`` format wrote 1000 and 2000 as ``1e+03`` and ``2e+03``. Beyond plain reach (below 0.001, or a
    million and above) a power of ten is written out: ``2.5×10⁻⁷``.
    """
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    if 1e-3 <= abs(x) < 1e6:
        return str(np.format_float_positional(x, precision=4, unique=True, fractional=False, trim="-"))
    exponent = math.floor(math.log10(abs(x)))
    mantissa = float(f"{x / 10.0 ** exponent:.3g}")
    if abs(mantissa) >= 10:  # 9.9996e-7 rounds up to 10×10⁻⁷
        mantissa, exponent = mantissa / 10, exponent + 1
    head = "" if mantissa == 1 else ("−" if mantissa == -1 else f"{mantissa:g}×")
    return f"{head}10{str(exponent).translate(_SUPERSCRIPT)}"


def _readable_log_ticks(ax: Any, values: Any, axis: str = "x") -> None:
    """Tick labels of a log axis that do not overprint each other.

    On a log axis spanning one or two decades matplotlib labels its minor ticks (2×10⁻², 3×10⁻² ...),
    which collide in a narrow panel. A few swept values (eight or fewer) are labelled themselves, in plain
    numbers (:func:`_tick_text`: 50, 1000, 2000 rather than 1e+03, 2e+03); more keep the labelled decades, and
    minor ticks are never labelled.
    """
    import numpy as np
    from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullFormatter

    v = np.unique(np.asarray(values, dtype=float))
    v = v[np.isfinite(v) & (v > 0)]
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_minor_formatter(NullFormatter())
    if 0 < v.size <= 8:
        target.set_major_locator(FixedLocator(v))
        target.set_major_formatter(FuncFormatter(lambda x, _pos: _tick_text(x)))
        target.set_minor_locator(LogLocator(subs="auto"))
        if axis == "x" and v.size > 3:
            for t in ax.get_xticklabels():
                t.set_rotation(45)
                t.set_ha("right")
                t.set_rotation_mode("anchor")
            ax.tick_params(axis="x", labelsize=8)


def plot_sweep_response(table: Mapping[str, Any], x: str, title: str | None = None,
                        units: Mapping[str, str] | None = None) -> Any:
    """Each result of :data:`RESPONSE_COLUMNS` that has a finite value against the one swept column ``x``.

    ``x`` is drawn in the unit of its label (:func:`shown_values`: a host couple's capacity, stored in C/kg, in
    mAh/g). A positive axis spanning a decade or more (currents, rate constants) is drawn on a log scale. As on
    :func:`plot_screen_map`: a cycle life whose row is ``censored`` (no failure within the cycles run) is
    drawn open with a ≥ (a lower bound), and a value of :data:`PARTIAL_CHARGE_VALUES` of a row whose charge
    stopped early (``coulombic_efficiency_pct`` below a full recharge) is not drawn as a value but marked
    on the axis.
    """
    import numpy as np

    xs = shown_values(x, table[x])  # in the unit of the axis label
    order = np.argsort(xs)
    cols = [c for c in RESPONSE_COLUMNS if c in table and np.isfinite(np.asarray(table[c], dtype=float)).any()]
    if not cols:
        raise ParameterError(f"the sweep has none of the result columns {', '.join(RESPONSE_COLUMNS)} to draw")
    fig = new_figure((3.6 * len(cols) + 0.6, 3.6), layout="tight")
    axes = fig.subplots(1, len(cols), squeeze=False)
    finite_x = xs[np.isfinite(xs)]
    log_x = _log_spaced(xs)
    for ax, c in zip(axes[0], cols):
        ys = np.asarray(table[c], dtype=float)
        beyond = np.zeros(ys.shape, dtype=bool)
        if c == "coulombic_efficiency_pct":  # outside the range a measured cycle table flags: marked, not drawn
            from metalair.analysis.efficiency import CE_SANE_RANGE, outside_ce_range

            lo_ce, hi_ce = CE_SANE_RANGE
            beyond = outside_ce_range(ys)
        partial = np.zeros(ys.shape, dtype=bool)
        if c in PARTIAL_CHARGE_VALUES and "coulombic_efficiency_pct" in table:
            from metalair.analysis.efficiency import charge_incomplete

            # over the easy part of a charge that stopped early: not comparable, masked as on the map
            partial = np.asarray(charge_incomplete(table["coulombic_efficiency_pct"]), dtype=bool) & np.isfinite(ys)
        censored = np.zeros(ys.shape, dtype=bool)
        if c == "cycle_life" and "censored" in table:
            censored = np.array([bool(v) if v is not None and v == v else False for v in table["censored"]],
                                dtype=bool) & np.isfinite(ys)
        shown = ~beyond & ~partial
        line = order[shown[order]]
        ax.plot(xs[line], ys[line], "-", color="#2471a3", lw=1.2)
        solid = line[~censored[line]]
        ax.plot(xs[solid], ys[solid], "o", color="#2471a3", ms=4)
        if censored.any():  # a lower bound: open, with a ≥ above it
            ax.plot(xs[censored], ys[censored], "o", color="#2471a3", mfc="white", ms=6,
                    label="open, ≥: a lower bound\n(no failure in the cycles run)")
            for xv, yv in zip(xs[censored], ys[censored]):
                ax.annotate("≥", (xv, yv), xytext=(0, 5), textcoords="offset points", ha="center", va="bottom",
                            fontsize=8, color="#2471a3")
            ax.legend(fontsize=7, loc="best")
        if partial.any():  # marked on the axis at their x, like the map's open circles; the value is not drawn
            ax.plot(xs[partial], np.full(int(partial.sum()), 0.03), "o", color="#c0392b", mfc="none", ms=6,
                    clip_on=False, transform=ax.get_xaxis_transform(),
                    label="charge incomplete: not compared (see message)")
            if not shown[np.isfinite(ys)].any():
                ax.text(0.5, 0.5, "charge incomplete in every row:\nno comparable value (see message)",
                        transform=ax.transAxes, ha="center", va="center", fontsize=8, color="#c0392b")
                ax.set_yticks([])
            ax.legend(fontsize=7, loc="best")
        if beyond.any():  # kept off the line so that the axis still shows the others; the value is written
            high = ys[beyond] > hi_ce
            ax.plot(xs[beyond], np.where(high, 0.97, 0.03), "^", color="#c0392b", ms=7, clip_on=False, mfc="none",
                    transform=ax.get_xaxis_transform(), label=f"outside {lo_ce:g}-{hi_ce:g} % (see message)")
            for xv, yv, up in zip(xs[beyond], ys[beyond], high):
                ax.annotate(f"{yv:.3g} %", (xv, 0.97 if up else 0.03), xycoords=ax.get_xaxis_transform(),
                            xytext=(0, -12 if up else 8), textcoords="offset points", ha="center", fontsize=7,
                            color="#c0392b")
            ax.legend(fontsize=7, loc="best")
        missing = np.isfinite(xs) & ~np.isfinite(ys)
        if missing.any():  # failed candidates, or no value: marked on the axis, not dropped without a word
            ax.plot(xs[missing], np.full(int(missing.sum()), 0.03), "x", color="#c0392b", ms=7, clip_on=False,
                    transform=ax.get_xaxis_transform(), label="no value (failed: see status)")
            ax.legend(fontsize=7, loc="best")
        ax.set_xlabel(column_label(x, units))
        ax.set_ylabel(RESPONSE_COLUMNS[c])
        _readable_span(ax, ys[shown & np.isfinite(ys)])
        if censored.any():  # room above the top points for their ≥
            lo_y, hi_y = ax.get_ylim()
            ax.set_ylim(lo_y, hi_y + 0.08 * (hi_y - lo_y))
        if log_x:
            ax.set_xscale("log")
        if finite_x.size > 1 and finite_x.min() < finite_x.max():  # every candidate's x in view, failed ones too
            lo, hi = float(finite_x.min()), float(finite_x.max())
            pad = (hi / lo) ** 0.05 if log_x else 0.05 * (hi - lo)
            ax.set_xlim((lo / pad, hi * pad) if log_x else (lo - pad, hi + pad))
        if log_x:  # after the scale and limits, which reset the tick locators
            _readable_log_ticks(ax, finite_x)
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
