"""Workflows for impedance, voltammetry and DEMS files: read, analyse, draw and write.

Each function writes its tables (CSV), summaries (JSON) and figures (PNG)
into ``out_dir`` atomically, prefixed with the input file's stem, and
returns a JSON-ready summary. Figures are skipped with a note when
matplotlib is not installed.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from metalair._files import atomic_write_json, distinct_inputs, write_csv_rows
from metalair.errors import MetalairError
from metalair.tables.voltammetry import CHARGE_UNITS

__all__ = ["analyse_impedance_file", "analyse_cv_files", "analyse_dems_files"]

Progress = Callable[[str], None] | None


def _json(path: Path, data: Any) -> str:
    atomic_write_json(path, data)
    return str(path)


def _figure(fn: Callable[[], Any], path: Path, written: list[str], notes: list[str], draw: bool = True) -> None:
    if not draw:
        return
    try:
        from metalair.plotting.electrochem import save

        fig = fn()
    except ImportError as exc:
        notes.append(f"figure {path.name} not drawn: {exc}")
        return
    save(fig, path)
    written.append(str(path))


def _say(progress: Progress, text: str) -> None:
    if progress is not None:
        progress(text)


def analyse_impedance_file(
    path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    circuit: str | None = None,
    kk: bool = True,
    drt: bool = True,
    credible_band: bool = False,
    weighting: str = "modulus",
    progress: Progress = None,
    figures: bool = True,
    imag_sign: int | None = None,
) -> dict[str, Any]:
    """Read a spectrum file and write the spectrum, Nyquist/Bode figures, a circuit fit, Lin-KK and DRT.

    ``imag_sign``: -1 when the file's imaginary column holds −Z'' whatever its header says, +1 when it
    holds Z'' (:func:`metalair.io.impedance.read_impedance`); default: from the header.

    Returns
    -------
    dict
        ``file``, ``format``, ``points``, ``warnings``, ``fit`` (when a
        circuit is given), ``lin_kk``, ``drt`` and ``written`` (paths).

    Raises
    ------
    DataFormatError
        When the file cannot be read (the message says why).
    """
    from metalair.io.impedance import read_impedance
    from metalair.plotting import electrochem as plots

    path = Path(path)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = path.stem
    _say(progress, f"reading {path.name}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spectrum = read_impedance(path, imag_sign=imag_sign)
    from metalair.tables.impedance import require_analysable

    needs = [(5, "a DRT")] if drt else []
    needs += [(5, "Lin-KK")] if kk else []  # lin_kk's fewest with its series R, L and C: one RC element more
    for points, what in needs:  # before anything is written, so that no half-analysed folder is left
        require_analysable(spectrum, points, what)
    written: list[str] = []
    notes: list[str] = []
    summary: dict[str, Any] = {
        "file": path.name, "format": spectrum.metadata.get("format"), "points": len(spectrum),
        "frequency_range_Hz": [float(spectrum.frequency_Hz.min()), float(spectrum.frequency_Hz.max())],
        "impedance_unit": spectrum.unit, "sign_convention": spectrum.metadata.get("sign_convention"),
        "reader_notes": spectrum.metadata.get("notes", []), "warnings": spectrum.metadata.get("warnings", []),
    }
    written.append(str(spectrum.to_csv(out / f"{stem}_spectrum.csv")))
    fits = []
    if circuit:
        from metalair.analysis.impedance.fitting import fit_circuit

        _say(progress, f"fitting {circuit}")
        fit = fit_circuit(spectrum, circuit, weighting=weighting)
        fits.append(fit)
        summary["fit"] = fit.as_dict()
        summary["fit_table"] = fit.table()
        written.append(_json(out / f"{stem}_fit.json", fit.as_dict()))
        _figure(lambda: plots.plot_residuals(fit), out / f"{stem}_fit_residuals.png", written, notes, figures)
    f_lo, f_hi = float(spectrum.frequency_Hz.min()), float(spectrum.frequency_Hz.max())
    title = f"{path.name}: {len(spectrum)} points, {_frequency_text(f_lo)} to {_frequency_text(f_hi)}"
    _figure(lambda: plots.plot_nyquist(spectrum, fits=fits, title=title), out / f"{stem}_nyquist.png", written, notes,
            figures)
    _figure(lambda: plots.plot_bode(spectrum, fits=fits, title=title), out / f"{stem}_bode.png", written, notes,
            figures)
    if kk:
        from metalair.analysis.impedance.kramers_kronig import lin_kk

        _say(progress, "Lin-KK test")
        result = lin_kk(spectrum)
        summary["lin_kk"] = result.as_dict()
        summary["lin_kk_verdict"] = result.verdict
        written.append(_json(out / f"{stem}_linkk.json", result.as_dict()))
        _figure(lambda: plots.plot_residuals(result), out / f"{stem}_linkk_residuals.png", written, notes, figures)
    if drt:
        from metalair.analysis.impedance.relaxation_times import drt as compute_drt

        _say(progress, "distribution of relaxation times")
        d = compute_drt(spectrum, credible_band=credible_band)
        summary["drt"] = d.as_dict()
        summary["drt_table"] = d.peak_table()
        header = ["tau [s]", f"gamma [{spectrum.unit}]"]
        cols = [d.tau_s, d.gamma]
        if d.band is not None:
            header += ["gamma low 95 %", "gamma high 95 %"]
            cols += [d.band[0], d.band[1]]
        written.append(str(write_csv_rows(out / f"{stem}_drt.csv", header, zip(*cols))))
        written.append(_json(out / f"{stem}_drt.json", d.as_dict()))
        _figure(lambda: plots.plot_drt(d), out / f"{stem}_drt.png", written, notes, figures)
    summary["notes"] = notes
    summary["written"] = written
    written.append(_json(out / f"{stem}_summary.json", summary))
    return summary


def _frequency_text(f_hz: float) -> str:
    """A frequency in the unit that reads best (``3.16 mHz``, ``10 kHz``)."""
    from metalair.units import to_user

    for unit, size in (("MHz", 1e6), ("kHz", 1e3), ("Hz", 1.0), ("mHz", 1e-3)):
        if f_hz >= size:
            return f"{float(to_user(f_hz, unit)):.3g} {unit}"
    return f"{float(to_user(f_hz, 'mHz')):.3g} mHz"


def analyse_cv_files(
    paths: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    *,
    prominence: float = 0.05,
    progress: Progress = None,
    figures: bool = True,
    anodic_sign: int | None = None,
) -> dict[str, Any]:
    """Read several CV files, find their peaks, write a peak table and one overlay figure.

    ``anodic_sign``: see :func:`metalair.io.voltammetry.read_voltammogram` (CSV files only).
    """
    from metalair.analysis.voltammetry import analyze_cv, scan_rate
    from metalair.io.voltammetry import read_voltammogram
    from metalair.plotting import electrochem as plots

    if not paths:
        raise MetalairError("no CV file given")
    paths = distinct_inputs(paths, "CV file")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    vgs, analyses, rows, per_file = [], [], [], []
    for p in paths:
        _say(progress, f"reading {Path(p).name}")
        v = read_voltammogram(p, anodic_sign=anodic_sign)
        a = analyze_cv(v, prominence=prominence)
        rate = scan_rate(v)
        vgs.append(v)
        analyses.append(a)
        # what the reader did to the file (a sign flipped, cycles counted from the sweep direction, the reference
        # electrode) and what it found wrong (rows skipped) go with the file's peaks
        per_file.append({"file": Path(p).name, "cycles": v.cycles, "current_unit": v.current_unit,
                         "scan_rate_V_s": rate if math.isfinite(rate) else None,
                         "reference_electrode": v.metadata.get("reference_electrode"),
                         "separation_V": a.separation_V, "couples": a.as_dict()["couples"], "table": a.table(),
                         "notes": list(v.metadata.get("notes", [])),
                         "warnings": list(v.metadata.get("warnings", []))})
        for pk in a.peaks:
            rows.append([Path(p).name, pk.cycle, pk.direction, pk.potential_V, pk.current, pk.height,
                         v.current_unit, pk.charge, CHARGE_UNITS[v.current_unit], pk.fwhm_V, pk.onset_V, rate,
                         pk.baseline])
    written: list[str] = []
    notes: list[str] = []
    written.append(str(write_csv_rows(out / "cv_peaks.csv", [
        "file", "cycle", "peak", "potential [V]", "current", "height", "current unit", "charge", "charge unit",
        "FWHM [V]", "onset [V]", "scan rate [V/s]", "baseline"], rows)))
    _figure(lambda: plots.plot_cv_overlay(vgs, analyses=analyses), out / "cv_overlay.png", written, notes, figures)
    summary = {"files": per_file, "notes": notes, "written": written}
    written.append(_json(out / "cv_summary.json", summary))
    return summary


def analyse_dems_files(
    current_path: str | os.PathLike[str],
    gas_path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    time_offset_s: float | str = "auto",
    tail_s: float = math.inf,
    calibration_uncertainty: float = 0.0,
    discharge_sign: int = 1,
    evolution_sign: int = 1,
    baseline_s: float = 60.0,
    progress: Progress = None,
    figures: bool = True,
) -> dict[str, Any]:
    """Read a current record and a calibrated gas-flux record; write e⁻/O2 per step and a figure.

    ``time_offset_s`` (the gas delay; negative when the gas record leads, the clocks differing), ``tail_s``,
    ``baseline_s`` and ``calibration_uncertainty``: see :func:`metalair.analysis.dems.dems_steps`;
    ``discharge_sign`` and ``evolution_sign``: see :func:`metalair.io.dems.read_current_record` and
    :func:`metalair.io.dems.read_gas_flux` (-1 for a current file that counts charge as positive, and for a gas
    file that counts consumption as positive). The gas reader's notes (columns not read) are in ``notes``.
    """
    from metalair.analysis.dems import dems_steps
    from metalair.io.dems import read_current_record, read_gas_flux
    from metalair.plotting import electrochem as plots

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _say(progress, "reading the current and gas records")
    cur = read_current_record(current_path, discharge_sign=discharge_sign)
    with warnings.catch_warnings():  # the reader's warnings are the notes below
        warnings.simplefilter("ignore")
        gas = read_gas_flux(gas_path, evolution_sign=evolution_sign)
    steps, offset = dems_steps(cur, gas, time_offset_s=time_offset_s, tail_s=tail_s, baseline_s=baseline_s,
                               calibration_uncertainty=calibration_uncertainty)
    written: list[str] = []
    notes: list[str] = [f"{Path(gas_path).name}: {n}" for n in gas.metadata.get("notes", [])]
    spans = (float(cur.time_s[-1] - cur.time_s[0]), float(gas.time_s[-1] - gas.time_s[0]))
    if min(spans) > 0 and max(spans) / min(spans) > 5:
        notes.append(f"the current record spans {spans[0]:.4g} s and the gas record {spans[1]:.4g} s: if one time "
                     "column is not in seconds (minutes, hours), e-/O2 is wrong; check the time units of both files")
    odd = [s for s in steps if math.isfinite(s.e_per_o2) and not 0.5 <= s.e_per_o2 <= 10.0]
    if odd:
        values = ", ".join(f"{s.e_per_o2:.3g} (step {s.index})" for s in odd)
        notes.append(f"e-/O2 = {values} lies outside 0.5-10, far from any O2 chemistry (1 for NaO2, 2 for Na2O2, "
                     "4 for Na2O): check the units of the gas flux (mol/s) and of the current")
    notes.extend(f"step {s.index} ({s.kind}): {s.note}" for s in steps if s.note)
    if any(math.isnan(s.e_per_o2_sigma) and not math.isnan(s.e_per_o2) and not s.note for s in steps):
        notes.append("an uncertainty is nan where no gas points precede the step (no baseline window): the gas "
                     "record starts with the step; record a rest before each step to get the baseline and the "
                     "uncertainty")
    others = sorted({g for s in steps for g in s.other_gases_mol})
    header = ["step", "kind", "start [s]", "end [s]", "electrons [mol]", "O2 [mol]", "O2 sigma [mol]", "e/O2",
              "e/O2 sigma"] + [f"{g} [mol]" for g in others] + ["Note"]
    rows = [[s.index, s.kind, s.start_s, s.end_s, s.electrons_mol, s.o2_mol, s.o2_sigma_mol, s.e_per_o2,
             s.e_per_o2_sigma] + [s.other_gases_mol.get(g, math.nan) for g in others] + [s.note] for s in steps]
    written.append(str(write_csv_rows(out / "dems_steps.csv", header, rows)))
    _figure(lambda: plots.plot_dems(cur, gas, time_offset_s=offset), out / "dems.png", written, notes, figures)
    summary = {"current_file": Path(current_path).name, "gas_file": Path(gas_path).name,
               "time_offset_s": offset, "steps": [s.as_dict() for s in steps], "notes": notes, "written": written}
    written.append(_json(out / "dems_summary.json", summary))
    return summary
