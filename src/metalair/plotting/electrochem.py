"""Figures for impedance, voltammetry and gas analysis: Nyquist, Bode, residuals, DRT, CV overlay, DEMS.

matplotlib is imported inside the functions, and figures are built with :class:`matplotlib.figure.Figure` directly (no
pyplot, no GUI backend). Every ``plot_*`` function returns the figure;
:func:`save` writes it atomically.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from metalair.errors import ParameterError
from metalair.plotting.simulation import new_figure, wrapped
from metalair.units import convert, to_user

if TYPE_CHECKING:
    from metalair.analysis.dems import SimulatedDEMS
    from metalair.analysis.impedance.fitting import CircuitFit
    from metalair.analysis.impedance.kramers_kronig import LinKKResult
    from metalair.analysis.impedance.relaxation_times import DRTResult
    from metalair.analysis.voltammetry import CVAnalysis
    from metalair.tables.dems import CurrentRecord, GasFluxRecord
    from metalair.tables.impedance import ImpedanceSpectrum
    from metalair.tables.voltammetry import Voltammogram

__all__ = ["plot_nyquist", "plot_bode", "plot_residuals", "plot_drt", "plot_cv_overlay", "plot_dems", "save"]


def _figure(figsize: tuple[float, float] = (6.4, 4.4), *, constrained: bool = False) -> Any:
    if constrained:  # margins that follow the labels and title (a short figure leaves too little for fixed ones)
        return new_figure(figsize, layout="constrained")
    fig = new_figure(figsize, layout=None)
    # fixed margins for the simple layouts
    fig.subplots_adjust(left=0.15, right=0.97, bottom=0.12, top=0.92, hspace=0.12)
    return fig


def save(fig: Any, path: str | os.PathLike[str]) -> Path:
    """Write a figure atomically (format from the suffix, default png)."""
    from metalair._files import atomic_write_bytes

    buf = io.BytesIO()
    fmt = os.path.splitext(str(path))[1].lstrip(".") or "png"
    fig.savefig(buf, format=fmt, dpi=120)
    return atomic_write_bytes(path, buf.getvalue())


def _label(s: ImpedanceSpectrum) -> str:
    return str(s.metadata.get("file_name") or s.metadata.get("source") or "spectrum")


def _items(given: Any, name: str, what: str) -> list[Any]:
    """One item or a sequence of them as a list; an empty one is refused (an empty figure explains nothing)."""
    items = [given] if not isinstance(given, Sequence) else list(given)
    if not items:
        raise ParameterError(f"{name} is empty: give {what} (or several) to draw")
    return items


def plot_nyquist(spectra: ImpedanceSpectrum | Sequence[ImpedanceSpectrum], *, fits: Sequence[Any] = (),
                 ax: Any = None, title: str | None = None) -> Any:
    """Nyquist plot (−Z'' against Z', equal axes), with fitted models as lines."""
    items = _items(spectra, "spectra", "an ImpedanceSpectrum")
    fig = ax.figure if ax is not None else _figure()
    ax = ax if ax is not None else fig.add_subplot()
    unit = items[0].unit
    for s in items:
        ax.plot(s.z_real, -s.z_imag, "o", ms=3.5, label=_label(s))
    for fit in fits:
        f = np.geomspace(fit.spectrum.frequency_Hz.min(), fit.spectrum.frequency_Hz.max(), 400)
        z = fit.predict(f)
        ax.plot(z.real, -z.imag, "-", lw=1.2, label=f"fit {fit.circuit}")
    ax.set_xlabel(f"Z' [{unit}]")
    ax.set_ylabel(f"−Z'' [{unit}]")
    ax.set_aspect("equal", adjustable="datalim")
    ax.axhline(0, color="0.6", lw=0.6)
    ax.legend(fontsize=7)
    if title:
        ax.set_title(wrapped(title, 6.0, 9), fontsize=9)
    return fig


def plot_bode(spectra: ImpedanceSpectrum | Sequence[ImpedanceSpectrum], *, fits: Sequence[Any] = (),
              title: str | None = None) -> Any:
    """Bode plot: |Z| and phase against frequency."""
    items = _items(spectra, "spectra", "an ImpedanceSpectrum")
    fig = _figure((6.4, 5.6))
    a1, a2 = fig.subplots(2, 1, sharex=True)
    for s in items:
        a1.plot(s.frequency_Hz, s.modulus, "o", ms=3.5, label=_label(s))
        a2.plot(s.frequency_Hz, -s.phase_deg, "o", ms=3.5)
    for fit in fits:
        f = np.geomspace(fit.spectrum.frequency_Hz.min(), fit.spectrum.frequency_Hz.max(), 400)
        z = fit.predict(f)
        a1.plot(f, np.abs(z), "-", lw=1.2, label=f"fit {fit.circuit}")
        a2.plot(f, -np.degrees(np.angle(z)), "-", lw=1.2)
    a1.set_xscale("log")
    a2.set_xscale("log")
    mods = np.concatenate([s.modulus for s in items])
    if mods.max() > 10 * mods.min():  # a log axis only where |Z| spans more than a decade
        a1.set_yscale("log")
    a1.set_ylabel(f"|Z| [{items[0].unit}]")
    a2.set_ylabel("−phase [deg]")
    a2.set_xlabel("Frequency [Hz]")
    a1.legend(fontsize=7)
    if title:
        a1.set_title(wrapped(title, 6.0, 9), fontsize=9)
    return fig


def plot_residuals(result: CircuitFit | LinKKResult, *, title: str | None = None) -> Any:
    """Relative residuals (% of |Z|) of a circuit fit or a Lin-KK test against frequency."""
    fig = _figure((6.4, 3.6), constrained=True)
    ax = fig.add_subplot()
    s = result.spectrum
    # both results store (data − model)/|Z|
    ax.semilogx(s.frequency_Hz, 100 * result.residuals_real, "o-", ms=3, lw=0.8, label="Δ real")
    ax.semilogx(s.frequency_Hz, 100 * result.residuals_imag, "s-", ms=3, lw=0.8, label="Δ imaginary")
    ax.axhline(0, color="0.5", lw=0.6)
    thr = getattr(result, "threshold", None)
    if thr is not None:
        for y in (-100 * thr, 100 * thr):
            ax.axhline(y, color="tab:red", lw=0.8, ls="--")
    ax.set_xlabel("Frequency [Hz]")
    ax.set_ylabel("residual [% of |Z|]")
    text = title or getattr(result, "verdict", None)
    if not text:  # a circuit fit: say how good it is
        rms = getattr(result, "relative_rms", None)
        text = f"fit {getattr(result, 'circuit', '')}" + (
            "" if rms is None else f": RMS |Z_fit - Z|/|Z| = {100 * rms:.3g} %"
            + (" (POOR FIT)" if getattr(result, "poor_fit", False) else ""))
    ax.set_title(wrapped(text, 6.4, 8), fontsize=8)
    ax.legend(fontsize=7)
    return fig


#: Legend text of the DRT band: the spread the noise gives the regularised estimate, not an interval of the true γ.
DRT_BAND_LABEL = "95 % band of the regularised estimate (noise only, no smoothing bias)"


def plot_drt(results: DRTResult | Sequence[DRTResult], *, labels: Sequence[str] | None = None) -> Any:
    """γ(τ) against τ (log axis), with the band of the estimate when computed and the peaks marked.

    The τ beyond the measured window 1/(2π f_max) … 1/(2π f_min) is shaded:
    γ there is extrapolated, and peaks there are drawn as open markers.
    """
    items = _items(results, "results", "a DRTResult")
    fig = _figure((6.4, 4.0), constrained=True)
    ax = fig.add_subplot()
    shaded = False
    banded = False
    marked = {"peak": False, "extrapolated": False}
    for k, r in enumerate(items):
        label = labels[k] if labels else _label(r.spectrum)
        (line,) = ax.semilogx(r.tau_s, r.gamma, lw=1.4, label=label)
        if r.band is not None:  # the noise's spread of the regularised estimate: without its smoothing bias, it is
            # not a 95 % interval of the true γ (named once, not once per spectrum)
            ax.fill_between(r.tau_s, r.band[0], r.band[1], color=line.get_color(), alpha=0.25, lw=0,
                            label=None if banded else DRT_BAND_LABEL)
            banded = True
        lo, hi = r.measured_tau_range
        for a, b in ((min(float(r.tau_s[0]), lo), lo), (hi, max(float(r.tau_s[-1]), hi))):
            if b > a:
                ax.axvspan(a, b, color="0.5", alpha=0.15, lw=0,
                           label=None if shaded else "beyond the measured frequencies (extrapolated)")
                shaded = True
        for p in r.peaks:
            kind = "extrapolated" if p.extrapolated else "peak"
            ax.plot([p.tau_s], [p.height], "v", color=line.get_color(), ms=5,
                    mfc="none" if p.extrapolated else line.get_color(),
                    label=None if marked[kind] else ("peak" if kind == "peak"
                                                     else "peak beyond the measured window"))
            marked[kind] = True
    ax.set_xlabel("τ [s]")
    ax.set_ylabel(f"γ [{items[0].spectrum.unit}]")
    ax.legend(fontsize=7)
    return fig


def _current_unit(unit: str, largest: float) -> tuple[float, str]:
    """Factor and unit that show a current in amperes with a prefix (A, mA, µA, nA) that suits its size.

    A current per mass in A/kg (a metalair series) is shown in mA/g, the same number in the unit battery
    work uses.
    """
    if unit == "A/kg":
        return 1.0, "mA/g"
    if unit != "A" or not np.isfinite(largest) or largest <= 0:
        return 1.0, unit
    for prefix in ("A", "mA", "µA"):
        factor = float(convert(1.0, "A", prefix))
        if largest * factor >= 1.0:
            return factor, prefix
    return float(convert(1.0, "A", "nA")), "nA"


def _palette(n: int) -> list[Any]:
    """``n`` distinct colours: tab10 up to ten, else viridis without its pale yellow end."""
    from matplotlib import colormaps

    if n <= 10:
        return [colormaps["tab10"](k) for k in range(n)]
    return [colormaps["viridis"](0.9 * k / (n - 1)) for k in range(n)]


def plot_cv_overlay(voltammograms: Sequence[Voltammogram], *, analyses: Sequence[CVAnalysis] = (),
                    labels: Sequence[str] | None = None) -> Any:
    """Several voltammograms overlaid, a colour per cycle, peaks marked in their cycle's colour.

    Files whose currents differ by more than a factor 10 in size, or carry different units, get a
    panel each (one over the other, each with its own potential axis) instead of one axis, where the
    smaller would be a flat line; the figure's title says so. The potential axis names the reference
    electrode where every file on it names the same one; the title says when the files name different
    ones, or when only some name one.
    """
    items = _items(voltammograms, "voltammograms", "a Voltammogram")
    names = [labels[k] if labels else str(v.metadata.get("file_name") or v.metadata.get("source") or k + 1)
             for k, v in enumerate(items)]
    from metalair.analysis.voltammetry import scan_rate

    rates = []  # each file's scan rate for the legend, where its record has time
    for v in items:
        rate = scan_rate(v)
        rates.append(f" ({1000 * rate:.3g} mV/s)" if math.isfinite(rate) and rate > 0 else "")
    largest = [float(np.nanmax(np.abs(v.current))) if len(v.current) else 0.0 for v in items]
    finite = [m for m in largest if np.isfinite(m) and m > 0]
    separate = len(items) > 1 and (len({v.current_unit for v in items}) > 1
                                   or (len(finite) > 1 and max(finite) > 10 * min(finite)))
    groups = [[k] for k in range(len(items))] if separate else [list(range(len(items)))]
    fig = _figure((6.4, 4.4) if not separate else (6.4, 1.2 + 2.6 * len(groups)), constrained=True)
    # separate panels keep their own potential axis: a 0.5-0.9 V record beside a 1.5-4.5 V one was squashed
    axes = fig.subplots(len(groups), 1, sharex=not separate, squeeze=False)[:, 0]
    marked = False
    for ax, group in zip(axes, groups):
        unit = items[group[0]].current_unit
        factor, shown = _current_unit(unit, max((largest[k] for k in group), default=0.0))
        colours = iter(_palette(sum(len(items[k].cycles) for k in group)))
        for k in group:
            v = items[k]
            colour_of = {}
            sweep_only = len(v.cycles) == 1  # one sweep (an LSV, or a single cycle): no "cycle 1" to tell apart
            for c in v.cycles:
                part = v.select_cycle(c)
                colour_of[c] = next(colours)
                label = (f"{names[k]}{rates[k]} " if len(group) > 1 or not separate else "") + (
                    "" if sweep_only else f"cycle {c}")
                ax.plot(part.potential_V, factor * np.asarray(part.current), lw=1.0, color=colour_of[c],
                        label=label.strip() or names[k])
            if k < len(analyses):
                for p in analyses[k].peaks:
                    # a black-edged marker, drawn over the traces: an "x" in the trace's colour vanished on noise
                    ax.plot([p.potential_V], [factor * p.current], "o", ms=7, mew=1.2, mec="k",
                            mfc=colour_of.get(p.cycle, "w"), zorder=5)
                    marked = True
        ax.set_ylabel(f"Current [{shown}]")
        ax.axhline(0, color="0.6", lw=0.6)
        ax.legend(fontsize=7, ncols=2 if sum(len(items[k].cycles) for k in group) > 6 else 1)
        if separate:
            ax.set_title(names[group[0]], fontsize=8)
    refs = [v.metadata.get("reference_electrode") or None for v in items]
    named = sorted({r for r in refs if r is not None})
    # the shared axis names a reference only where every file names the same one; a panel of its own names its file's
    common = named[0] if len(named) == 1 and None not in refs else None
    for ax, group in (zip(axes, groups) if separate else [(axes[-1], [])]):
        own = refs[group[0]] if separate else common
        ax.set_xlabel(f"E vs {own} [V]" if own else "Potential [V]")
    note = "anodic current positive" + ("; peaks marked o" if marked else "; no peak found" if analyses else "")
    if len(named) > 1:
        note += f"; the files name different reference electrodes ({', '.join(named)}): potentials not comparable"
    elif named and None in refs:
        unnamed = [names[k] for k, r in enumerate(refs) if r is None]
        note += (f"; not all files name a reference electrode ({named[0]} in {len(refs) - len(unnamed)} of "
                 f"{len(refs)}, none in {', '.join(unnamed)}): check that their potentials are comparable")
    if separate:
        note += "; a panel per file (their currents differ by more than 10x or in unit)"
    fig.suptitle(wrapped(note, 6.4, 8), fontsize=8)
    return fig


def plot_dems(current: CurrentRecord | SimulatedDEMS, gas: GasFluxRecord | None = None, *,
              time_offset_s: float = 0.0) -> Any:
    """Current and gas fluxes against time (measured pair, or a simulated record)."""
    fig = _figure((7.2, 5.2), constrained=True)
    a1, a2 = fig.subplots(2, 1, sharex=True)
    if gas is None:  # simulated
        sim: Any = current
        a1.plot(to_user(sim.time_s, "h"), sim.current_mA_g, lw=1.0)
        a1.set_ylabel("Current [mA/g] (discharge +)")
        title = "simulated current and gas fluxes"
        for g, v in sim.fluxes.items():
            a2.plot(to_user(sim.time_s, "h"), v, lw=1.0, label=g)
        a2.set_ylabel("flux [mol/s/g] (evolution +)")
    else:
        cur: Any = current
        a1.plot(to_user(cur.time_s, "h"), convert(cur.current_A, "A", "mA"), lw=1.0)
        a1.set_ylabel("Current [mA] (discharge +)")
        for g, v in gas.fluxes.items():
            a2.plot(to_user(gas.time_s - time_offset_s, "h"), convert(v, "mol/s", "nmol/s"), lw=1.0, label=g)
        a2.set_ylabel("flux [nmol/s] (evolution +)")
        name = cur.metadata.get("file_name") or "current"
        title = f"{name} and its gas fluxes" + (f", shifted back by the gas delay of {time_offset_s:g} s"
                                                  if time_offset_s else "")
    a2.set_xlabel("Time [h]")
    a2.axhline(0, color="0.6", lw=0.6)
    a2.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside the axes: over them it hid data
    a1.set_title(wrapped(title, 6.0, 9), fontsize=9)
    return fig
