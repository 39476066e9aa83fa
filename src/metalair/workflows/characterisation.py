"""Read → analyse → plot → write for the characterisation commands (``magnet``, ``xas``, ``xrd``, ``raman``).

Each function reads its file(s), runs the analysis, writes a CSV table and a
PNG figure into ``out`` (atomically) and returns a :class:`CharacterisationRun`
with the text the command line prints. Errors are the library's
(:class:`~metalair.errors.DataFormatError` for files that are not what they
claim, :class:`~metalair.errors.ParameterError` for bad options).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from metalair._files import distinct_inputs, write_csv_rows
from metalair.errors import DataFormatError, ParameterError
from metalair.units import convert

__all__ = ["CharacterisationRun", "run_magnet", "run_xas", "run_xrd", "run_raman"]


@dataclass
class CharacterisationRun:
    """What a workflow did.

    Attributes
    ----------
    summary : str
        Text for the terminal.
    written : list of Path
        Files written.
    result : Any
        The analysis result object.
    refused : str
        Non-empty when the main analysis refused the data (the message); the
        tables that could be written were written.
    """

    summary: str
    written: list[Path] = field(default_factory=list)
    result: Any = None
    refused: str = ""


def _out(out: str | os.PathLike[str]) -> Path:
    p = Path(out)
    if p.exists() and not p.is_dir():
        raise ParameterError(f"--out {p} exists and is not a folder")
    p.mkdir(parents=True, exist_ok=True)
    return p


def _save(fig: Any, path: Path, written: list[Path]) -> None:
    from metalair.plotting.simulation import save_figure

    save_figure(fig, path)
    written.append(path)


def run_magnet(file: str | os.PathLike[str], out: str | os.PathLike[str], *, mass_mg: float | None = None,
               molar_mass_g_mol: float | None = None, diamagnetic_cm3_mol: float = 0.0,
               t_range_K: tuple[float, float] | None = None, ions_per_formula: float = 1.0,
               plot: bool = True) -> CharacterisationRun:
    """Quantum Design file → χ(T) table, Curie–Weiss fit (or its refusal), figure.

    Writes ``susceptibility.csv``, ``curie_weiss.csv`` (when fitted) and
    ``susceptibility.png`` (``magnetisation.png`` for an M(H) record).
    """
    from metalair.analysis.magnetism import curie_weiss, susceptibility
    from metalair.io.magnetometry import read_quantum_design

    folder = _out(out)
    data = read_quantum_design(file)
    chi = susceptibility(data, mass_g=None if mass_mg is None else float(convert(mass_mg, "mg", "g")),
                         molar_mass_g_mol=molar_mass_g_mol, diamagnetic_cm3_mol=diamagnetic_cm3_mol)
    fit = None
    refused = ""
    try:  # before anything is written: a bad option (ParameterError) leaves no half-written folder
        fit = curie_weiss(chi, t_range_K=t_range_K, ions_per_formula=ions_per_formula)
    except DataFormatError as exc:
        refused = str(exc)
    written: list[Path] = []
    cols = chi.columns()
    written.append(write_csv_rows(folder / "susceptibility.csv", list(cols), zip(*cols.values())))
    if fit is not None:
        rows = [(k, v, fit.stderr[k], fit.ci95[k][0], fit.ci95[k][1], unit) for k, v, unit in (
            ("C", fit.C, "cm3 K/mol"), ("theta_K", fit.theta_K, "K"), ("chi0", fit.chi0, "cm3/mol"),
            ("mu_eff", fit.mu_eff, "mu_B"))]
        rows.append(("C_SI", fit.C_si, fit.stderr["C"] * fit.C_si / fit.C, fit.ci95["C"][0] * fit.C_si / fit.C,
                     fit.ci95["C"][1] * fit.C_si / fit.C, "m3 K/mol"))
        rows.append(("T_low", fit.t_range_K[0], float("nan"), float("nan"), float("nan"), "K"))
        rows.append(("T_high", fit.t_range_K[1], float("nan"), float("nan"), float("nan"), "K"))
        written.append(write_csv_rows(folder / "curie_weiss.csv",
                                      ["quantity", "value", "stderr", "ci95_low", "ci95_high", "unit"], rows))
    if plot:
        from metalair.plotting.characterisation import plot_magnetisation, plot_susceptibility

        if fit is None and np.ptp(np.abs(chi.field_Oe)) > 0.05 * np.median(np.abs(chi.field_Oe)):
            _save(plot_magnetisation(data.field_Oe, data.moment_emu, data.temperature_K, chi.source),
                  folder / "magnetisation.png", written)
        else:
            _save(plot_susceptibility(chi, fit), folder / "susceptibility.png", written)
    lines = [f"{chi.source}: {len(chi.temperature_K)} points, {chi.temperature_K.min():.4g}-"
             f"{chi.temperature_K.max():.4g} K, mass {convert(chi.mass_g, 'g', 'mg'):.4g} mg, molar mass "
             f"{chi.molar_mass_g_mol:.5g} g/mol"]
    lines += [f"note: {n}" for n in chi.notes]
    lines.append(fit.table() if fit is not None else f"Curie-Weiss fit refused: {refused}")
    return CharacterisationRun("\n".join(lines), written, fit if fit is not None else chi, refused)


def run_xas(files: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str], *, e0_method: str = "derivative",
            references: Sequence[tuple[str | os.PathLike[str], float]] = (),
            e0_uncertainty_eV: float | None = None, pre_range_eV: tuple[float, float] | None = None,
            norm_range_eV: tuple[float, float] | None = None, plot: bool = True) -> CharacterisationRun:
    """XAS files → E0/edge step table (and valences with references), normalised and derivative figure.

    ``pre_range_eV`` and ``norm_range_eV`` (relative to E0, eV) replace the default pre-edge and post-edge
    ranges of :func:`metalair.analysis.xas.normalize` for every spectrum, references included.
    Writes ``xas.csv`` and ``xas.png``.
    """
    from metalair.analysis.xas import calibrate_valence, normalize
    from metalair.io.xas import read_xas

    folder = _out(out)
    if not files:
        raise ParameterError("give at least one XAS file")
    spectra = [s for f in distinct_inputs(files, "XAS file") for s in read_xas(f)]
    ranges: dict[str, Any] = {}  # pre1, pre2, norm1, norm2 of normalize()
    if pre_range_eV is not None:
        ranges.update(pre1=float(pre_range_eV[0]), pre2=float(pre_range_eV[1]))
    if norm_range_eV is not None:
        ranges.update(norm1=float(norm_range_eV[0]), norm2=float(norm_range_eV[1]))
    norms = [normalize(s, e0_method=e0_method, **ranges) for s in spectra]
    cal = None
    if references:
        refs = []
        for f, v in references:
            group = read_xas(f)
            if len(group) != 1:
                raise ParameterError(f"reference {f} holds {len(group)} spectra; give single-spectrum files")
            refs.append((group[0], float(v)))
        cal = calibrate_valence(refs, e0_method=e0_method, e0_uncertainty_eV=e0_uncertainty_eV, **ranges)
    header = ["spectrum", "file", "e0_eV", "e0_method", "edge_step", "pre_low_eV", "pre_high_eV", "norm_low_eV",
              "norm_high_eV", "valence", "valence_stderr", "valence_ci95_low", "valence_ci95_high"]
    rows = []
    lines = [f"{'spectrum':<28} {'E0/eV':>10} {'step':>9}" + ("   valence (95 %)" if cal else "")]
    notes = []
    for n in norms:  # what the reader did to each file (keV converted, rows sorted, NaN points dropped)
        notes += _reader_warnings(n.spectrum, n.spectrum.name)
        notes += [f"{n.spectrum.name}: {w}" for w in n.notes]
    for n in norms:
        est = None
        if cal is not None:
            try:
                est = cal.predict(n.e0_eV, name=n.spectrum.name)
            except ParameterError as exc:
                notes.append(f"{n.spectrum.name}: {exc}")
            if est is not None and est.note:
                notes.append(f"{n.spectrum.name}: {est.note}")
        nan = float("nan")
        rows.append([n.spectrum.name, n.spectrum.metadata.get("file_name", ""), n.e0_eV, n.e0_method, n.edge_step,
                     *n.pre_range_eV, *n.norm_range_eV, est.valence if est else nan, est.stderr if est else nan,
                     est.ci95[0] if est else nan, est.ci95[1] if est else nan])
        extra = f"   {est.valence:.3f} [{est.ci95[0]:.3f}, {est.ci95[1]:.3f}]" if est else ""
        lines.append(f"{n.spectrum.name:<28} {n.e0_eV:10.2f} {n.edge_step:9.4g}{extra}")
    written = [write_csv_rows(folder / "xas.csv", header, rows)]
    if cal is not None:
        lines.append(cal.table())
    lines += [f"note: {m}" for m in notes]
    lines.append(f"E0 by {e0_method if e0_method != 'derivative' else 'the maximum of dmu/dE'}")
    if plot:
        from metalair.plotting.characterisation import plot_xanes

        _save(plot_xanes(norms), folder / "xas.png", written)
    return CharacterisationRun("\n".join(lines), written, norms)


def run_xrd(file: str | os.PathLike[str], out: str | os.PathLike[str], *, wavelength_m: float | None = None,
            phases: Sequence[str] | None = None, tolerance_deg: float = 0.2, plot: bool = True,
            kalpha2: bool | None = None) -> CharacterisationRun:
    """Diffraction file → fitted peaks and phase scores, figure.

    ``kalpha2`` fits each peak as a Kα1/Kα2 doublet (True), as one line (False), or as the file's radiation
    says (None: :func:`metalair.analysis.diffraction.kalpha2_setting`); the summary's note says which.

    Writes ``xrd_peaks.csv``, ``xrd_phases.csv`` and ``xrd.png``.
    """
    from metalair.analysis.crystal import REFERENCE_PHASES
    from metalair.analysis.diffraction import analyse_diffractogram, kalpha2_satellites, match_phases, offset_hint
    from metalair.io.diffraction import read_diffraction
    from metalair.tables.spectra import CU_KALPHA1_M

    folder = _out(out)
    refs = dict(REFERENCE_PHASES)
    if phases:
        unknown = [p for p in phases if p not in refs]
        if unknown:
            raise ParameterError(f"unknown phase(s) {', '.join(unknown)}; known: {', '.join(refs)}")
        refs = {p: refs[p] for p in phases}
    pattern = read_diffraction(file, wavelength_m=wavelength_m)
    analysis = analyse_diffractogram(pattern, kalpha2=kalpha2)
    matches = match_phases(analysis, refs, tolerance_deg=tolerance_deg)
    rows = analysis.rows()
    header = ["two_theta_deg", "two_theta_low", "two_theta_high", "d_A", "height", "fwhm_deg", "area", "eta"]
    written = [write_csv_rows(folder / "xrd_peaks.csv", header, ([r[h] for h in header] for r in rows))]
    written.append(write_csv_rows(folder / "xrd_phases.csv", ["phase", "score", "lines_matched", "lines_expected",
                                                              "identified", "reference"],
                                  ([m.phase, m.score, len(m.matched), len(m.matched) + len(m.missing), m.accepted,
                                    refs[m.phase].reference] for m in matches)))
    if plot:
        from metalair.plotting.characterisation import plot_diffraction

        _save(plot_diffraction(analysis, matches), folder / "xrd.png", written)
    lines = [f"{pattern.name}: {len(analysis.peaks)} peaks fitted, λ = {convert(pattern.wavelength_m, 'm', 'Å'):.5f} Å "
             f"({pattern.metadata.get('wavelength_source', '')})"]
    lines += [str(m) for m in matches]
    hint = offset_hint(analysis, refs, tolerance_deg=tolerance_deg) if not any(m.accepted for m in matches) else None
    sat = kalpha2_satellites(analysis)
    pk = analysis.peaks
    pairs = ", ".join(f"{pk[j].center:.2f}° of {pk[i].center:.2f}°" for j, i in sorted(sat.items()))
    k2 = ([f"{len(sat)} peak(s) sit where the Cu Kα2 line of a stronger peak falls ({pairs}): the tube's Kα2, "
           "not another phase"] if sat else [])
    assumed = ([f"no phase identified, and the wavelength is not in the file: Cu Kα1 "
                f"({convert(CU_KALPHA1_M, 'm', 'Å'):.4f} Å) was assumed; a pattern recorded with another anode (Mo Kα "
                "0.7107 Å, Co Kα 1.7902 Å) or at a synchrotron needs its wavelength (--wavelength-a)"]
               if not any(m.accepted for m in matches)
               and str(pattern.metadata.get("wavelength_source", "")).startswith("default") else [])
    lines += [f"note: {n}" for n in (*_reader_warnings(pattern), *analysis.notes, *([hint] if hint else []), *k2,
                                     *assumed)]
    return CharacterisationRun("\n".join(lines), written, (analysis, matches))


def _reader_warnings(read: Any, label: str | None = None) -> list[str]:
    """What the reader did to the file (rows dropped, an axis sorted), as the metadata of what it read records.

    Each is prefixed with ``label`` (default: the file's name).
    """
    name = read.metadata.get("file_name", "") if label is None else label
    return [f"{name}: {w}" if name else str(w) for w in (read.metadata.get("warnings") or [])]


def run_raman(file: str | os.PathLike[str], out: str | os.PathLike[str], *,
              x_range: tuple[float, float] | None = None, shape: str = "pseudo-voigt", lam: float = 1e5,
              plot: bool = True, laser_nm: float | None = None) -> CharacterisationRun:
    """Raman file → fitted, assigned peaks, figure. Writes ``raman_peaks.csv`` and ``raman.png``.

    ``laser_nm``: the excitation laser's wavelength [nm], for a file whose x axis is the scattered wavelength in nm
    (converted to Raman shift by :func:`metalair.io.raman.read_raman`, which refuses such a file without it).
    """
    from metalair.analysis.raman import analyse_raman
    from metalair.io.raman import read_raman

    folder = _out(out)
    spectrum = read_raman(file, laser_nm=laser_nm)
    result = analyse_raman(spectrum, x_range=x_range, shape=shape, lam=lam)
    rows = result.rows()
    header = ["center_cm1", "center_low", "center_high", "height", "fwhm_cm1", "area", "eta", "assignment",
              "band_cm1", "mode"]
    written = [write_csv_rows(folder / "raman_peaks.csv", header, ([r[h] for h in header] for r in rows))]
    if plot:
        from metalair.plotting.characterisation import plot_raman

        _save(plot_raman(result), folder / "raman.png", written)
    table = "\n".join([result.table(), *(f"note: {w}" for w in _reader_warnings(spectrum))])
    return CharacterisationRun(table, written, result)
