"""Figures of the characterisation analyses (matplotlib, imported inside the functions).

Each function returns a matplotlib Figure; save it with
:func:`metalair.plotting.simulation.save_figure` (atomic write).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np

from metalair.analysis.diffraction import DiffractionAnalysis, PhaseMatch
from metalair.analysis.magnetism import CurieWeissResult, Susceptibility
from metalair.analysis.raman import RamanAnalysis
from metalair.analysis.xas import XasNormalization
from metalair.plotting.simulation import new_figure
from metalair.units import convert

__all__ = ["plot_susceptibility", "plot_magnetisation", "plot_xanes", "plot_diffraction", "plot_raman"]


def plot_susceptibility(chi: Susceptibility, fit: CurieWeissResult | None = None) -> Any:
    """χ(T) and the inverse susceptibility, with the Curie–Weiss fit and its range when given.

    With a fit, the right panel shows 1/(χ − χ0) of both the data (corrected by the fitted
    χ0) and the fit, which is the straight line (T − θ)/C; without one, the measured 1/χ.
    """
    fig = new_figure((11, 4.4), layout="tight")
    (ax1, ax2) = fig.subplots(1, 2)
    t = chi.temperature_K
    ax1.plot(t, chi.chi_cgs, "o", ms=3, color="#2471a3", label="measured")
    chi0 = fit.chi0 if fit is not None else 0.0
    inverse = "1/(χ − χ0)" if fit is not None else "1/χ"
    with np.errstate(divide="ignore", invalid="ignore"):
        corrected = chi.chi_cgs - chi0
        inv = np.where(corrected > 0, 1.0 / corrected, np.nan)  # not defined where χ ≤ χ0
    ax2.plot(t, inv, "o", ms=3, color="#2471a3",
             label="measured, χ0 of the fit subtracted" if fit is not None else "measured")
    if fit is not None:
        tt = np.linspace(fit.t_range_K[0], fit.t_range_K[1], 300)
        label = (f"C = {fit.C:.4g} cm³ K/mol, θ = {fit.theta_K:.3g} K,\nχ0 = {fit.chi0:.3g} cm³/mol, "
                 f"µeff = {fit.mu_eff:.3g} µB")
        ax1.plot(tt, fit.model(tt), "-", color="#c0392b", label=label)
        ax2.plot(tt, 1.0 / (fit.model(tt) - fit.chi0), "-", color="#c0392b", label="fit: (T − θ)/C")
        for ax in (ax1, ax2):  # named in the legend: a grey band alone says nothing
            ax.axvspan(fit.t_range_K[0], fit.t_range_K[1], color="0.9", zorder=0,
                       label=f"fit range {fit.t_range_K[0]:.0f}-{fit.t_range_K[1]:.0f} K")
    ax1.set_xlabel("T [K]")
    ax1.set_ylabel("χ [cm³/mol]")
    ax2.set_xlabel("T [K]")
    ax2.set_ylabel(f"{inverse} [mol/cm³]")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(chi.source or "susceptibility")
    fig.tight_layout()
    return fig


def plot_magnetisation(field_Oe: np.ndarray, moment_emu: np.ndarray, temperature_K: np.ndarray,
                       title: str = "") -> Any:
    """M(H) of a record whose field sweeps (coloured by temperature)."""
    fig = new_figure((6.4, 4.6), layout="tight")
    ax = fig.subplots()
    mu0_h_T = convert(np.asarray(field_Oe, dtype=float), "Oe", "T")  # µ0H in T (1 T = 10^4 Oe)
    sc = ax.scatter(mu0_h_T, moment_emu, c=temperature_K, s=4, cmap="viridis")
    fig.colorbar(sc, ax=ax, label="T [K]")
    ax.set_xlabel("µ0H [T]")
    ax.set_ylabel("M [emu]")
    ax.grid(alpha=0.3)
    ax.set_title(title or "M(H)")
    fig.tight_layout()
    return fig


#: Spectra whose E0 lie further apart than this [eV] are taken to be of different edges.
EDGE_GAP_EV = 100.0


def _one_edge(norms: Sequence[XasNormalization]) -> tuple[list[XasNormalization], list[XasNormalization]]:
    """The spectra of the edge most of them share, and the others (another element's or another edge's).

    E0s sorted and split where neighbours are more than :data:`EDGE_GAP_EV` apart; the largest
    group wins, ties going to the group of the first spectrum.
    """
    if not norms:
        return [], []
    order = sorted(range(len(norms)), key=lambda k: norms[k].e0_eV)
    groups: list[list[int]] = [[order[0]]]
    for a, b in zip(order, order[1:]):
        if norms[b].e0_eV - norms[a].e0_eV > EDGE_GAP_EV:
            groups.append([])
        groups[-1].append(b)
    best = max(groups, key=lambda g: (len(g), 0 in g))
    return [norms[k] for k in sorted(best)], [norms[k] for k in range(len(norms)) if k not in best]


def plot_xanes(norms: Sequence[XasNormalization]) -> Any:
    """Normalised µ(E) and its first derivative, E0 marked, for one or more spectra of one edge.

    Spectra of another edge (E0 more than :data:`EDGE_GAP_EV` away from those of the edge most
    spectra share) would fall outside the energy axis: they are left out and named in a note.
    """
    fig = new_figure((7.5, 7), layout="tight")
    (ax1, ax2) = fig.subplots(2, 1, sharex=True)
    shown, other = _one_edge(norms)
    for n in shown:
        e = n.energy_eV
        (line,) = ax1.plot(e, n.norm, lw=1.3, label=f"{n.spectrum.name} (E0 {n.e0_eV:.2f} eV, {n.e0_method})")
        ax2.plot(e, n.dmu_dE / n.edge_step, lw=1.1, color=line.get_color())
        for ax in (ax1, ax2):
            ax.axvline(n.e0_eV, color=line.get_color(), lw=0.8, ls=":")
    if shown:
        e0 = [n.e0_eV for n in shown]
        ax1.set_xlim(min(e0) - 40, max(e0) + 80)
    if other:
        listed = ", ".join(f"{n.spectrum.name} (E0 {n.e0_eV:.2f} eV)" for n in other)
        ax1.set_title("\n".join(textwrap.wrap(f"not shown, another edge: {listed}", 110)), fontsize=8)
    ax1.set_ylabel("normalised µ(E)")
    ax2.set_ylabel("dµ/dE / edge step [1/eV]")
    ax2.set_xlabel("E [eV]")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
    ax1.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _intensity_unit(metadata: dict[str, Any], default: str) -> str:
    """The intensity unit the reader found (``intensity_unit``, or a column named counts or cps), else ``default``."""
    unit = metadata.get("intensity_unit")
    if unit:
        return str(unit)
    columns = " ".join(str(c) for c in metadata.get("columns") or ()).lower()
    if "cps" in columns or "counts/s" in columns:
        return "counts/s"
    if "count" in columns:
        return "counts"
    return default


def plot_diffraction(analysis: DiffractionAnalysis, matches: Sequence[PhaseMatch] = ()) -> Any:
    """Pattern, background and fitted peaks, with the lines of the identified phases beneath."""
    fig = new_figure((9, 6.5), layout="tight")
    (ax1, ax2) = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    x = analysis.pattern.two_theta_deg
    ax1.plot(x, analysis.pattern.intensity, lw=0.8, color="k", label="measured")
    ax1.plot(x, analysis.background, lw=0.8, color="0.5", label="background")
    for k, pk in enumerate(analysis.peaks):
        ax1.axvline(pk.center, color="#2471a3", lw=0.4, alpha=0.6,
                    label=f"fitted peak positions ({len(analysis.peaks)})" if k == 0 else None)
    accepted = [m for m in matches if m.accepted]
    for k, m in enumerate(accepted):  # a line without a peak is drawn dashed and faint: the score's evidence
        for ln in m.matched:
            ax2.vlines(ln.two_theta_deg, k, k + ln.intensity / 100.0 * 0.9, color=f"C{k}", lw=1.5)
        for ln in m.missing:  # an open circle on top: a short line shows no dashes
            top = k + ln.intensity / 100.0 * 0.9
            ax2.vlines(ln.two_theta_deg, k, top, color=f"C{k}", lw=1.0, linestyles="--", alpha=0.6)
            ax2.plot([ln.two_theta_deg], [top], "o", ms=4, mfc="none", color=f"C{k}")
        ax2.text(x[0], k + 0.5, f" {m.phase} ({m.score:.2f}; {len(m.matched)} of {len(m.matched) + len(m.missing)}"
                 " lines matched)", fontsize=8, va="center", color=f"C{k}")
    if accepted:
        from matplotlib.lines import Line2D

        key = [Line2D([], [], color="0.3", lw=1.5, label="reference line matched by a peak")]
        if any(m.missing for m in accepted):
            key.append(Line2D([], [], color="0.3", lw=1.0, ls="--", marker="o", mfc="none", ms=4,
                              label="reference line without a peak"))
        # above the panel, between the two: inside it covered the reference lines
        ax2.legend(handles=key, fontsize=7, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=2,
                   borderaxespad=0.2, frameon=False)
    if not accepted:  # an empty panel would look like a drawing error
        ax2.text(0.5, 0.5, "no reference phase matched the peaks", transform=ax2.transAxes, ha="center",
                 va="center", fontsize=8, color="0.3")
    ax2.set_yticks([])
    ax2.set_ylabel("reference lines")
    # 2θ means nothing without its wavelength (a Mo Kα pattern's lines sit at less than half the Cu Kα angles)
    lam_a = convert(analysis.pattern.wavelength_m, "m", "Å")
    source = str(analysis.pattern.metadata.get("wavelength_source", ""))
    ax2.set_xlabel(f"2θ [deg] at λ = {lam_a:.5f} Å" + (" (assumed: Cu Kα1)" if source.startswith("default") else ""))
    ax1.set_ylabel(f"intensity [{_intensity_unit(analysis.pattern.metadata, 'counts')}]")
    ax1.legend(fontsize=8)
    ax1.grid(alpha=0.3)
    ax1.set_title(analysis.pattern.name)
    fig.tight_layout()
    return fig


#: Height of one row of Raman peak labels (two lines at 7 pt), as a fraction of the corrected panel's height.
RAMAN_LABEL_ROW = 0.12

def plot_raman(analysis: RamanAnalysis) -> Any:
    """Spectrum with baseline; corrected spectrum with fitted peaks and assignments."""
    fig = new_figure((10.6, 6.5), layout="tight")  # 1.6 in wider than the axes need: the legends go beside them
    (ax1, ax2) = fig.subplots(2, 1, sharex=True)
    x = analysis.spectrum.shift_cm1
    unit = _intensity_unit(analysis.spectrum.metadata, "a.u.")
    ax1.plot(x, analysis.spectrum.intensity, lw=0.8, color="k", label="measured")
    ax1.plot(x, analysis.baseline, lw=0.8, color="0.5", label="ALS baseline")
    ax2.plot(x, analysis.corrected, lw=0.8, color="k", label="measured − baseline")
    span = float(np.ptp(x)) if len(x) else 1.0
    # one 7-pt character's width in cm⁻¹ on axes about 7.5 inches wide, which show the span and 5 % margins
    per_char = 0.6 * 7.0 * 1.1 * span / (7.5 * 72.0)
    # labels in rows at the top of the axes (fixed fractions of its height, so rows never overlap whatever the
    # data's scale), each in the lowest row where it covers no other label; the data are scaled below the rows
    rows: list[list[tuple[float, float]]] = []
    pairs = sorted(zip(analysis.peaks, analysis.assignments), key=lambda pa: pa[0].center)
    for k, (pk, a) in enumerate(pairs):
        ax2.axvline(pk.center, color="#c0392b", lw=0.5, label="fitted peak positions" if k == 0 else None)
        text = f"{pk.center:.0f}\n{a.label}"
        half = 0.5 * per_char * max(len(line) for line in text.split("\n"))
        x0, x1 = pk.center - half, pk.center + half
        row = next((r for r, taken in enumerate(rows) if all(x1 <= t0 or t1 <= x0 for t0, t1 in taken)), len(rows))
        if row == len(rows):
            rows.append([])
        rows[row].append((x0, x1))
        ax2.text(pk.center, 0.985 - RAMAN_LABEL_ROW * row, text, fontsize=7, ha="center", va="top",
                 transform=ax2.get_xaxis_transform())  # x in data, y as a fraction of the axes
    if rows:
        lo, hi = ax2.get_ylim()
        room = min(0.8, 0.02 + RAMAN_LABEL_ROW * len(rows))  # the top fraction the rows take
        ax2.set_ylim(lo, lo + (hi - lo) / (1.0 - room))
    ax2.set_xlabel("Raman shift [cm⁻¹]")
    ax1.set_ylabel(f"intensity [{unit}]")
    ax2.set_ylabel(f"baseline-corrected [{unit}]")
    for ax in (ax1, ax2):  # beside the axes: inside, the lower one hid the peak labels at its top
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
        ax.grid(alpha=0.3)
    ax1.set_title(analysis.spectrum.name)
    fig.tight_layout()
    return fig
