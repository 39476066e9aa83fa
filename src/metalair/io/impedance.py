"""Reading impedance spectra: one :func:`read_impedance` for the formats people export.

The format is recognised from the content, not the file name:

============================ =====================================================================
format key                   recognised by
============================ =====================================================================
``biologic_mpt``             first line ``EC-Lab ASCII FILE`` / ``BT-Lab ASCII FILE``, or ``freq/Hz`` column
``biologic_mpr``             ``BIO-LOGIC MODULAR FILE`` magic (decoded by galvani, GPL, optional)
``gamry_dta``                first line ``EXPLAIN`` and a ``ZCURVE TABLE``
``autolab_nova``             NOVA ASCII header ``Frequency (Hz)``, ``Z' (Ω)``, ``-Z'' (Ω)``
``chi_txt``                  CH Instruments ``A.C. Impedance`` export (``Freq/Hz, Z'/ohm, Z"/ohm``)
``versastudio_par``          VersaStudio ``<Application>`` XML-like file with a ``<Segment>`` table
``zplot_z``                  ``ZPLOT2 ASCII`` (Scribner ZPlot 2 / 3)
``zplotw``                   ``"ZPlotW Data File"`` / ``"Z60W Data File"`` (Scribner ZPlot for Windows layout)
``powersuite_txt``           PowerSuite export header ``Frequency  Zre  Zimg``
``csv``                      any other delimited text: frequency, Z', Z'' with or without a header
============================ =====================================================================

Every reader converts to the convention of :mod:`metalair.tables.impedance`
(``Z = Z' + jZ''``, capacitive Z'' < 0): files that store ``-Z''`` are
flipped, which the metadata notes record. Units in column names (Ω, kΩ, mΩ,
Ω·cm²; Hz, kHz, mHz, rad/s) are converted to Ω (an area-specific impedance in Ω·cm² stays in Ω·cm², other
area units become Ω·m²) and Hz.

Damaged and aborted files
-------------------------
A file whose frequency column is missing, whose rows carry more values than
the header names, or that holds NaN, infinite or non-positive frequencies is
refused with a :class:`~metalair.errors.DataFormatError` saying which. So
is a line inside a Gamry ``ZCURVE`` table or a VersaStudio segment that is
neither a data row nor the line that ends the table (the next Gamry keyword,
the closing ``</Segment...>`` tag): a damaged row is not taken for the end of
the sweep. A last line cut off mid-row is dropped with a warning. A
Gamry run that was aborted (``EXPERIMENTABORTED T``) or any spectrum that
stops well before the final frequency written in its header is *read*: the
complete points are returned and a :class:`~metalair.io.checks.DataQualityWarning`
says where the sweep stopped and where it was meant to stop; with
``strict=True`` the same is an error.
"""

from __future__ import annotations

import math
import os
import re
import warnings as _warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from metalair.errors import DataFormatError, ParameterError
from metalair.io._text_columns import (
    NumericBlock,
    ec_lab_header_index,
    gamry_table_end,
    is_number,
    name_and_unit,
    number,
    numeric_block,
    split_fields,
)
from metalair.io.checks import DataQualityWarning
from metalair.io.detect import as_path, named_format, read_head, utf16_message, utf16_text
from metalair.io.generic_csv import read_text
from metalair.tables.impedance import ImpedanceSpectrum, check_spectrum_arrays
from metalair.units import UNITS, from_user

__all__ = ["read_impedance", "detect_impedance_format", "IMPEDANCE_FORMATS", "MultipleSpectraError"]

#: Format keys :func:`detect_impedance_format` returns, with a description.
IMPEDANCE_FORMATS: dict[str, str] = {
    "biologic_mpt": "BioLogic EC-Lab text export (.mpt) of PEIS/GEIS",
    "biologic_mpr": "BioLogic EC-Lab binary (.mpr); needs galvani (GPL-3.0): pip install 'metalair[biologic]'",
    "gamry_dta": "Gamry Framework .DTA (ZCURVE table)",
    "autolab_nova": "Metrohm Autolab NOVA ASCII export",
    "chi_txt": "CH Instruments A.C. impedance text export",
    "versastudio_par": "Princeton Applied Research VersaStudio .par",
    "zplot_z": "Scribner ZPlot 2/3 .z (ZPLOT2 ASCII)",
    "zplotw": "Scribner ZPlot for Windows / Z60W data file layout",
    "powersuite_txt": "Princeton Applied Research PowerSuite text export",
    "csv": "delimited text: frequency, Z', Z'' (header optional)",
}
_ALIASES = {"mpt": "biologic_mpt", "mpr": "biologic_mpr", "dta": "gamry_dta", "gamry": "gamry_dta",
            "nova": "autolab_nova", "autolab": "autolab_nova", "chi": "chi_txt", "par": "versastudio_par",
            "versastudio": "versastudio_par", "zplot": "zplot_z", "z": "zplot_z", "powersuite": "powersuite_txt",
            "generic": "csv", "txt": "csv"}

_MPR_MAGIC = b"BIO-LOGIC MODULAR FILE"
#: a sweep that stops above this many times the planned final frequency is reported as incomplete
_INCOMPLETE_FACTOR = 1.5


@dataclass
class _Raw:
    """What a format reader found, before the checks."""

    frequency_Hz: np.ndarray
    impedance: np.ndarray
    unit: str = "Ω"
    meta: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- detection
def _lines(path: Path) -> list[str]:
    return read_text(path).splitlines()


def detect_impedance_format(path: str | os.PathLike[str]) -> str:
    """Name the format of an impedance file from its content.

    Returns
    -------
    str
        A key of :data:`IMPEDANCE_FORMATS`; ``"csv"`` for delimited text that
        is none of the named exports.

    Raises
    ------
    DataFormatError
        If the file is missing, empty, a directory, or binary but not .mpr.
    """
    path = as_path(path)
    head = read_head(path)
    if head.startswith(_MPR_MAGIC):
        return "biologic_mpr"
    if b"\x00" in head[:4096]:
        if utf16_text(head):
            raise DataFormatError(utf16_message(path.name))
        raise DataFormatError(
            f"{path.name}: unrecognised binary file; impedance files metalair reads: "
            f"{', '.join(IMPEDANCE_FORMATS)}"
        )
    # every key below is ASCII except NOVA's "Ω" (UTF-8); undecodable bytes (Windows code pages) are replaced
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    lines = text.splitlines()[:400]
    first = lines[0].strip().lstrip("\ufeff").lstrip("ï»¿") if lines else ""
    if first.startswith(("EC-Lab ASCII FILE", "BT-Lab ASCII FILE")):
        return "biologic_mpt"
    if first == "EXPLAIN":
        return "gamry_dta"
    if first.startswith("ZPLOT2 ASCII"):
        return "zplot_z"
    if re.match(r'^"?\w+ Data File: Version', first):
        return "zplotw"
    if first.startswith("<Application>") or any(ln.startswith("Definition=") for ln in lines):
        return "versastudio_par"
    if any(ln.strip() == "A.C. Impedance" for ln in lines[:10]) or any(
        ln.replace(" ", "").lower().startswith("freq/hz,z'/ohm") for ln in lines
    ):
        return "chi_txt"
    for ln in lines[:60]:
        flat = ln.replace(" ", "")
        if "Frequency(Hz)" in flat and "Z'(Ω)" in flat and "-Z''(Ω)" in flat:
            return "autolab_nova"
        if [f.strip() for f in ln.split("\t")] == ["Frequency", "Zre", "Zimg"]:
            return "powersuite_txt"
        if "freq/Hz" in ln.split("\t") and any(n.strip() in ("Re(Z)/Ohm", "-Im(Z)/Ohm") for n in ln.split("\t")):
            return "biologic_mpt"
    return "csv"


# --------------------------------------------------------------------------- column names
_FREQ_BASES = {"freq", "frequency", "f", "fre"}
_OMEGA_BASES = {"omega", "ω", "angular frequency", "w"}
_REAL_BASES = {"z'", "zre", "zreal", "z real", "re(z)", "z_re", "z_real", "real", "re z", "rez", "z'(a)", "zr",
               "real(z)", "re", "z' real"}
_IMAG_BASES = {"z''", 'z"', "zim", "zimg", "zimag", "z imag", "im(z)", "z_im", "z_imag", "imag", "im z", "imz",
               "z''(b)", "zi", "imag(z)", "im", "z'' imag"}
_MOD_BASES = {"|z|", "z", "zmod", "mod(z)", "z mod", "modulus", "|z|(ohm)"}
_PHASE_BASES = {"phase", "phase(z)", "zphz", "phz", "theta", "phase angle"}

#: The SI unit an impedance column is stored in, by the dimension of the file's unit.
_IMPEDANCE_SI = {"resistance": "Ω", "area-specific resistance": "Ω·m²"}


def _z_unit(unit: str | None) -> tuple[str, float] | None:
    """(unit kept, factor to it) of an impedance column's unit, or None when it is not a resistance unit.

    Resistances are kept in Ω; an area-specific impedance in Ω·cm² (the unit the field, and metalair's own
    simulated spectra, write) stays in Ω·cm², any other area unit becomes Ω·m².
    """
    if unit is None or unit not in UNITS or UNITS[unit][0] not in _IMPEDANCE_SI:
        return None
    dim = UNITS[unit][0]
    si = float(from_user(1.0, unit, dim))
    if dim == "area-specific resistance" and math.isclose(si, float(from_user(1.0, "Ω·cm²", dim))):
        return "Ω·cm²", 1.0
    return _IMPEDANCE_SI[dim], si


def _hz(unit: str | None) -> float | None:
    """Factor to Hz of a frequency unit, or None when ``unit`` is not one."""
    if unit is None or unit not in UNITS or UNITS[unit][0] != "frequency":
        return None
    return float(from_user(1.0, unit, "frequency"))


@dataclass
class _Columns:
    freq: int
    real: int | None
    imag: int | None
    imag_sign: float  # +1: column is Z''; -1: column is -Z''
    modulus: int | None = None
    phase: int | None = None
    phase_sign: float = 1.0
    f_factor: float = 1.0
    angular: bool = False
    z_unit: str = "Ω"
    z_factor: float = 1.0
    names: tuple[str, ...] = ()


def _norm(base: str) -> str:
    return re.sub(r"\s+", " ", base.strip().lower().replace("’", "'").replace("′", "'"))


def _match_columns(names: list[str], file_name: str) -> _Columns:
    """Find frequency, Z', Z'' (or |Z| and phase) among column names, with units and signs."""
    freq = real = imag = modulus = phase = None
    imag_sign = phase_sign = 1.0
    f_factor, angular = 1.0, False
    z_units: list[tuple[str, float]] = []
    for k, name in enumerate(names):
        base, unit = name_and_unit(name)
        b = _norm(base)
        negative = b.startswith("-")
        b_pos = b.lstrip("-").strip()
        if freq is None and (b_pos in _FREQ_BASES or (b_pos.startswith("freq") and "z" not in b_pos)):
            freq = k
            if unit == "rad/s":
                angular = True
            elif unit is not None:
                f_factor = _hz(unit) or 1.0
        elif freq is None and b_pos in _OMEGA_BASES:
            freq, angular = k, True
        elif real is None and b_pos in _REAL_BASES and not negative:
            real = k
            if (zu := _z_unit(unit)) is not None:
                z_units.append(zu)
        elif imag is None and b_pos in _IMAG_BASES:
            imag, imag_sign = k, (-1.0 if negative else 1.0)
            if (zu := _z_unit(unit)) is not None:
                z_units.append(zu)
        elif modulus is None and b_pos in _MOD_BASES and (_z_unit(unit) is not None or b_pos != "z"):
            modulus = k
            if (zu := _z_unit(unit)) is not None:
                z_units.append(zu)
        elif phase is None and b_pos in _PHASE_BASES:
            phase, phase_sign = k, (-1.0 if negative else 1.0)
    if freq is None:
        raise DataFormatError(
            f"{file_name}: no frequency column among the column names ({', '.join(repr(n) for n in names)}); "
            "a spectrum needs one (named e.g. 'freq/Hz', 'Frequency (Hz)', 'Freq'). If the file has no header, "
            "its first three columns must be frequency, Z' and Z''"
        )
    if (real is None or imag is None) and (modulus is None or phase is None):
        raise DataFormatError(
            f"{file_name}: no impedance columns found: need Z' and Z'' (e.g. 'Re(Z)/Ohm' and '-Im(Z)/Ohm', "
            f"'Zreal' and 'Zimag') or |Z| and phase; columns present: {', '.join(repr(n) for n in names)}"
        )
    z_unit, z_factor = "Ω", 1.0
    if z_units:
        if len({u for u in z_units}) > 1:
            shown = ", ".join(sorted({str(u) for u in z_units}))
            raise DataFormatError(f"{file_name}: the impedance columns carry different units ({shown})")
        z_unit, z_factor = z_units[0]
    return _Columns(freq=freq, real=real, imag=imag, imag_sign=imag_sign, modulus=modulus, phase=phase,
                    phase_sign=phase_sign, f_factor=f_factor, angular=angular, z_unit=z_unit, z_factor=z_factor,
                    names=tuple(names))


def _from_block(block: NumericBlock, cols: _Columns, file_name: str) -> _Raw:
    width = block.values.shape[1]
    needed = [c for c in (cols.freq, cols.real, cols.imag) if c is not None]
    if any(c >= width for c in needed):
        missing = [cols.names[c] for c in needed if c >= width]
        raise DataFormatError(
            f"{file_name}: the header names {', '.join(repr(m) for m in missing)} but the rows carry only {width} "
            "values, so those columns hold no data"
        )
    f = block.column(cols.freq) * cols.f_factor
    notes = list(block.notes)
    values = block.values
    if cols.real is not None and cols.imag is not None:
        dc = (f == 0) & (values[:, cols.real] == 0) & (values[:, cols.imag] == 0)
        if dc.any() and not dc.all():
            notes.append(
                f"{int(dc.sum())} rows with frequency 0 and Z = 0 (a DC record written into the same table, not "
                "impedance points) were left out"
            )
            block = NumericBlock(block.names, values[~dc], block.first_line, block.notes, block.warnings)
            f = f[~dc]
    if cols.angular:
        f = f / (2 * math.pi)
        notes.append("the frequency column holds angular frequency (rad/s); divided by 2π")
    if cols.real is not None and cols.imag is not None:
        z: np.ndarray = (block.column(cols.real) + 1j * cols.imag_sign * block.column(cols.imag)) * cols.z_factor
        if cols.imag_sign < 0:
            notes.append(f"column {cols.names[cols.imag]!r} holds -Z''; its sign was flipped to Z''")
    else:
        assert cols.modulus is not None and cols.phase is not None
        ph = np.radians(cols.phase_sign * block.column(cols.phase))
        z = np.asarray(block.column(cols.modulus) * np.exp(1j * ph) * cols.z_factor, dtype=complex)
        notes.append("Z computed from |Z| and phase")
    if cols.z_factor != 1.0 or cols.z_unit != "Ω":
        notes.append(f"impedance converted to {cols.z_unit} (factor {cols.z_factor:g})")
    return _Raw(f, z, unit=cols.z_unit, notes=notes, warnings=list(block.warnings))


def _planned_range(raw: _Raw, f_start: float | None, f_end: float | None, aborted: bool = False) -> None:
    """Compare the sweep with the frequencies the header planned; warn when it stopped early."""
    if f_start is not None and f_start > 0:
        raw.meta["planned_initial_frequency_Hz"] = f_start
    if f_end is None or not f_end > 0 or raw.frequency_Hz.size == 0:
        if aborted:
            raw.warnings.append("the instrument marked the run as aborted; the points recorded before that were read")
        return
    raw.meta["planned_final_frequency_Hz"] = f_end
    f = raw.frequency_Hz[np.isfinite(raw.frequency_Hz)]
    if f.size == 0:
        return
    down = f_start is None or f_start >= f_end
    reached = float(f.min()) if down else float(f.max())
    short = reached > _INCOMPLETE_FACTOR * f_end if down else reached < f_end / _INCOMPLETE_FACTOR
    if aborted or short:
        why = "the run was aborted (the file marks it so)" if aborted else "the sweep stopped early"
        raw.warnings.append(
            f"{why}: the spectrum ends at {reached:.4g} Hz but the planned final frequency was {f_end:.4g} Hz; the "
            f"{f.size} points recorded before the stop were read"
        )


# --------------------------------------------------------------------------- BioLogic


def _ec_lab_frequency(header: list[str], key: str) -> float | None:
    """``fi``/``ff`` and their ``unit fi``/``unit ff`` lines of an EC-Lab header, in Hz."""
    value = unit = None
    for ln in header:
        parts = ln.split()
        if len(parts) >= 2 and parts[0] == key and is_number(parts[1]):
            value = number(parts[1])
        if len(parts) >= 3 and parts[0] == "unit" and parts[1] == key:
            unit = parts[2]
    factor = _hz(unit)
    if value is None or factor is None:
        return None
    return value * factor


def _read_mpt(path: Path) -> _Raw:
    lines = _lines(path)
    h = ec_lab_header_index(path.name, lines)
    if h is None:
        h = next((i for i, ln in enumerate(lines) if "freq/Hz" in ln.split("\t")), 0)
    header = lines[:h]
    names = [n.strip() for n in lines[h].split("\t")]
    while names and not names[-1]:
        names.pop()
    technique = header[3].strip() if len(header) > 3 else ""
    if not any(n.startswith("freq/") for n in names):
        if any(n in ("Re(Z)/Ohm", "-Im(Z)/Ohm") for n in names):
            raise DataFormatError(
                f"{path.name}: the frequency column (freq/Hz) is missing from the header line {h + 1}; it names "
                f"{len(names)} columns ({', '.join(names[:4])}, ...) and an impedance spectrum cannot be read "
                "without frequencies - export the file again with freq/Hz selected"
            )
        raise DataFormatError(
            f"{path.name}: no frequency column (freq/Hz): this EC-Lab file holds "
            f"{technique or 'a technique'} data, not an impedance spectrum (columns: {', '.join(names[:8])})"
        )
    block = numeric_block(lines, h + 1, path.name, names=names, delimiter="\t", stop_at_text=False)
    cols = _match_columns(block.names if len(block.names) == len(names) else names, path.name)
    raw = _from_block(block, cols, path.name)
    raw.meta.update({"instrument": "BioLogic", "technique": technique or None})
    for ln in header:
        if ln.startswith("Device :"):
            raw.meta["instrument"] = "BioLogic " + ln.split(":", 1)[1].strip()
        m2 = re.match(r"^\s*Electrode surface area\s*:\s*([-+0-9.,eE]+)\s*cm", ln)
        if m2:
            raw.meta["area_cm2"] = float(m2.group(1).replace(",", "."))
    if "cycle number" in block.names:
        raw.meta["_sweep_ids"] = block.column(block.names.index("cycle number"))
    _planned_range(raw, _ec_lab_frequency(header, "fi"), _ec_lab_frequency(header, "ff"))
    return raw


def _read_mpr(path: Path) -> _Raw:
    try:
        from galvani import BioLogic  # optional GPL dependency
    except ImportError:
        raise DataFormatError(
            f"{path.name}: reading BioLogic .mpr files needs galvani, which is GPL-3.0 licensed and therefore "
            "optional: pip install 'metalair[biologic]' - or export the data as text (.mpt) from EC-Lab"
        ) from None
    try:
        mpr = BioLogic.MPRfile(str(path))
        rec = mpr.data
        names = [n for n in rec.dtype.names if n != "flags"]
    except Exception as exc:  # galvani signals damage with assert/ValueError/struct errors
        raise DataFormatError(
            f"{path.name}: galvani could not decode this .mpr file ({type(exc).__name__}: {exc}); it is damaged or "
            "written by an EC-Lab version galvani does not know - export it as .mpt from EC-Lab"
        ) from None
    if "freq/Hz" not in names:
        raise DataFormatError(
            f"{path.name}: no frequency column (freq/Hz) in this .mpr file; it is not an impedance record "
            f"(columns: {', '.join(names[:8])})"
        )
    values = np.column_stack([np.asarray(rec[n], dtype=float) for n in names])
    block = NumericBlock(names=names, values=values, first_line=1)
    raw = _from_block(block, _match_columns(names, path.name), path.name)
    raw.meta["instrument"] = "BioLogic"
    if "cycle number" in names:
        raw.meta["_sweep_ids"] = block.column(names.index("cycle number"))
    return raw


# --------------------------------------------------------------------------- Gamry
def _gamry_header(lines: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for ln in lines:
        if not ln or ln.startswith("\t"):
            continue
        parts = ln.split("\t")
        if len(parts) >= 2 and parts[0] and parts[0] not in out:
            out[parts[0]] = parts[1:]
    return out


def _gamry_quant(head: dict[str, list[str]], key: str) -> float | None:
    parts = head.get(key)
    if not parts or len(parts) < 2:
        return None
    for p in parts[1:]:
        if is_number(p):
            return number(p)
    return None


def _read_gamry(path: Path) -> _Raw:
    lines = _lines(path)
    head = _gamry_header(lines)
    tag = (head.get("TAG") or [""])[0].strip()
    start = next((i for i, ln in enumerate(lines) if ln.split("\t")[:2] == ["ZCURVE", "TABLE"]), None)
    if start is None:
        tables = [ln.split("\t")[0] for ln in lines if "\tTABLE" in ln]
        raise DataFormatError(
            f"{path.name}: a Gamry file without a ZCURVE table: this is a {tag or 'non-impedance'} experiment "
            f"(tables: {', '.join(tables) or 'none'}), not an impedance spectrum"
        )
    if start + 2 >= len(lines):
        raise DataFormatError(f"{path.name}: the ZCURVE table has no column names; the file is truncated")
    names = [n.strip() for n in lines[start + 1].split("\t")[1:]]
    # the table ends at the next keyword line (EXPERIMENTABORTED, FRACURVE TABLE); any other line that is not a
    # row is damage, which must not pass for an early end of the sweep
    block = numeric_block(lines, start + 3, path.name, names=names, delimiter="\t", strip_leading_empty=True,
                          text_fields=True, ends_table=gamry_table_end)
    cols = _match_columns(block.names, path.name)
    raw = _from_block(block, cols, path.name)
    raw.meta.update({
        "instrument": "Gamry " + (head.get("PSTAT") or ["?"])[1].strip() if len(head.get("PSTAT") or []) > 1
        else "Gamry",
        "technique": (head.get("TITLE") or ["", ""])[1].strip() or tag,
        "gamry_tag": tag,
    })
    area = _gamry_quant(head, "AREA")
    if area is not None:
        raw.meta["area_cm2"] = area
    aborted = (head.get("EXPERIMENTABORTED") or ["", ""])[:2] == ["TOGGLE", "T"]
    raw.meta["aborted"] = aborted
    _planned_range(raw, _gamry_quant(head, "FREQINIT"), _gamry_quant(head, "FREQFINAL"), aborted=aborted)
    return raw


# --------------------------------------------------------------------------- others
def _header_then_block(
    path: Path, is_header: Any, fmt: str, delimiter: str | None = "auto"
) -> tuple[list[str], NumericBlock, int]:
    lines = _lines(path)
    h = next((i for i, ln in enumerate(lines) if is_header(ln)), None)
    if h is None:
        raise DataFormatError(f"{path.name}: looks like a {fmt} export but its column-name line was not found")
    names_line = lines[h]
    delim = delimiter
    if delim == "auto":
        delim = "\t" if "\t" in names_line else (";" if ";" in names_line else ",")
    names = [n.strip().strip('"') for n in names_line.split(delim)]
    while names and not names[-1]:
        names.pop()
    return lines, numeric_block(lines, h + 1, path.name, names=names, delimiter=delim, stop_at_text=False), h


def _header_value(lines: list[str], pattern: str) -> float | None:
    rx = re.compile(pattern, re.IGNORECASE)
    for ln in lines:
        m = rx.search(ln)
        if m:
            try:
                return float(m.group(1).replace(",", "."))
            except ValueError:
                return None
    return None


def _read_nova(path: Path) -> _Raw:
    def is_header(ln: str) -> bool:
        flat = ln.replace(" ", "")
        return "Frequency(Hz)" in flat and "Z'(Ω)" in flat

    lines, block, _ = _header_then_block(path, is_header, "NOVA")
    raw = _from_block(block, _match_columns(block.names, path.name), path.name)
    raw.meta["instrument"] = "Metrohm Autolab (NOVA)"
    return raw


def _read_chi(path: Path) -> _Raw:
    def is_header(ln: str) -> bool:
        return ln.replace(" ", "").lower().startswith("freq/hz")

    lines, block, h = _header_then_block(path, is_header, "CH Instruments", ",")
    raw = _from_block(block, _match_columns(block.names, path.name), path.name)
    model = next((ln.split(":", 1)[1].strip() for ln in lines[:h] if ln.startswith("Instrument Model")), "")
    raw.meta["instrument"] = f"CH Instruments {model}".strip()
    _planned_range(raw, _header_value(lines[:h], r"High Frequency \(Hz\)\s*=\s*([-+0-9.eE]+)"),
                   _header_value(lines[:h], r"Low Frequency \(Hz\)\s*=\s*([-+0-9.eE]+)"))
    return raw


def _xml_tag(line: str) -> bool:
    """True for a VersaStudio tag line (``</Segment1>``, ``<Graph1>``), which ends a segment's rows."""
    return line.lstrip().startswith("<")


def _read_versastudio(path: Path) -> _Raw:
    lines = _lines(path)
    segs = [i for i, ln in enumerate(lines) if ln.startswith("Definition=")]
    if not segs:
        raise DataFormatError(f"{path.name}: a VersaStudio file without a data segment (no 'Definition=' line)")
    found: list[_Raw] = []
    for i in segs:
        names = [n.strip() for n in lines[i].split("=", 1)[1].split(",")]
        if "Frequency(Hz)" not in names:
            continue
        # the segment's rows end at its closing tag (</Segment1>); any other line that is not a row is damage
        block = numeric_block(lines, i + 1, path.name, names=names, delimiter=",", ends_table=_xml_tag)
        picked = [n if n in ("Frequency(Hz)", "Z Real", "Z Imag") else f"_{k}" for k, n in enumerate(block.names)]
        cols = _match_columns(picked, path.name)
        found.append(_from_block(block, cols, path.name))
    if not found:
        raise DataFormatError(
            f"{path.name}: the VersaStudio segments hold no Frequency(Hz) column; this is not an impedance record"
        )
    raw = found[0]
    if len(found) > 1:
        raw.warnings.append(f"the file holds {len(found)} impedance segments; the first was read")
    raw.meta["instrument"] = "Princeton Applied Research (VersaStudio)"
    txt = "\n".join(lines)
    m = re.search(r"^Type=(.+)$", txt, re.MULTILINE)
    if m:
        raw.meta["instrument"] = f"{m.group(1).strip()} (VersaStudio)"
    _planned_range(raw, _header_value(lines, r"^Start Frequency \(Hz\)=([-+0-9.eE]+)"),
                   _header_value(lines, r"^End Frequency \(Hz\)=([-+0-9.eE]+)"))
    return raw


def _read_zplot(path: Path) -> _Raw:
    lines = _lines(path)
    end = next((i for i, ln in enumerate(lines) if ln.strip() == "End Comments"), None)
    if end is None:
        raise DataFormatError(f"{path.name}: a ZPlot file without its 'End Comments' line; the file is damaged")
    names_line = lines[end - 1].strip()
    names = [n.strip() for n in names_line.split("\t")] if "\t" in names_line else names_line.split()
    if not any(n.lower().startswith("freq") for n in names):
        names = ["Freq(Hz)", "Ampl", "Bias", "Time(Sec)", "Z'(a)", "Z''(b)", "GD", "Err", "Range"]
    block = numeric_block(lines, end + 1, path.name, names=names, stop_at_text=False)
    raw = _from_block(block, _match_columns(block.names, path.name), path.name)
    raw.meta["instrument"] = "Scribner ZPlot"
    n_planned = _header_value(lines[:end], r"^\s*Data Points:\s*([0-9]+)")
    if n_planned is not None and len(raw.frequency_Hz) < n_planned:
        raw.warnings.append(f"the header announces {int(n_planned)} points but {len(raw.frequency_Hz)} were found")
    _planned_range(raw, _header_value(lines[:end], r"vs Freq-Initial:\s*([-+0-9.eE]+)"),
                   _header_value(lines[:end], r"vs Freq-Final:\s*([-+0-9.eE]+)"))
    return raw


def _read_zplotw(path: Path) -> _Raw:
    lines = _lines(path)
    h = next((i for i, ln in enumerate(lines) if ln.strip().startswith('"') and "freq" in ln.lower()
              and ("z'" in ln.lower())), None)
    if h is None:
        raise DataFormatError(f"{path.name}: a ZPlotW/Z60W data file without its column-name line")
    names = [n for n in re.split(r"\s{2,}", lines[h].strip().strip('"').strip()) if n]
    block = numeric_block(lines, h + 1, path.name, names=names, delimiter=",", stop_at_text=False)
    raw = _from_block(block, _match_columns(block.names, path.name), path.name)
    raw.meta["instrument"] = lines[0].strip().strip('"').strip("\ufeff").strip('"')
    if h >= 1 and lines[h - 1].strip().isdigit():
        n = int(lines[h - 1].strip())
        if n != len(raw.frequency_Hz):
            raw.warnings.append(f"the header announces {n} points but {len(raw.frequency_Hz)} were found")
    return raw


def _read_powersuite(path: Path) -> _Raw:
    def is_header(ln: str) -> bool:
        return [f.strip() for f in ln.split("\t")] == ["Frequency", "Zre", "Zimg"]

    lines, block, _ = _header_then_block(path, is_header, "PowerSuite", "\t")
    raw = _from_block(block, _match_columns(block.names, path.name), path.name)
    raw.meta["instrument"] = "Princeton Applied Research (PowerSuite)"
    return raw


def _last_field_looks_cut(lines: list[str]) -> bool:
    """Whether the last value of a file that ends without a line break is shorter than that column's values.

    Many programs write no final line break, so that alone says nothing; a file cut while written or copied
    ends inside its last value, which then lacks the exponent or the digits the values above it carry.
    """
    rows = [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith(("#", "%", "//"))]
    if len(rows) < 3:
        return False

    def last(row: str) -> str:
        return re.split(r"[\t;,\s]+", row)[-1]

    above = [last(r) for r in rows[-11:-1]]
    tail = last(rows[-1])
    with_exponent = sum(("e" in v.lower()) for v in above)
    return (with_exponent >= 0.9 * len(above) and "e" not in tail.lower()) or len(tail) < min(map(len, above))


def _read_csv(path: Path, imag_sign: float | None) -> _Raw:
    text = read_text(path)
    lines = text.splitlines()
    content = [(i, ln) for i, ln in enumerate(lines) if ln.strip() and not ln.lstrip().startswith(("#", "%", "//"))]
    if not content:
        raise DataFormatError(f"{path.name}: the file holds only blank or comment lines; no spectrum to read")
    # the data block: the first run of lines that are all numbers; the header, if any, is the line just before
    first_num = None
    for i, ln in content:
        fields = split_fields(ln, None) if not any(d in ln for d in "\t;,") else re.split(r"[\t;,]", ln)
        fields = [f.strip() for f in fields if f.strip()]
        if len(fields) >= 2 and all(is_number(f) for f in fields):
            first_num = i
            break
    if first_num is None:
        raise DataFormatError(
            f"{path.name}: no rows of numbers found; not a spectrum export metalair recognises (supported: "
            f"{', '.join(IMPEDANCE_FORMATS)})"
        )
    prev = [ln for i, ln in content if i < first_num]
    names: list[str] | None = None
    delim: str | None = "auto"
    if prev:
        header = prev[-1]
        for d in ("\t", ";", ","):
            if d in header:
                delim = d
                break
        else:
            delim = None
        names = [n.strip().strip('"') for n in (header.split(delim) if delim else header.split())]
        while names and not names[-1]:
            names.pop()
    block = numeric_block(lines, first_num, path.name, names=names, delimiter=delim if names else "auto",
                          stop_at_text=False)
    notes: list[str] = []
    if names:
        cols = _match_columns(block.names, path.name)
        if imag_sign is not None:
            cols.imag_sign = float(imag_sign)
        raw = _from_block(block, cols, path.name)
        if imag_sign is None and cols.imag is not None and cols.imag_sign > 0:
            zi = raw.impedance.imag
            if np.count_nonzero(zi > 0) > 0.8 * max(1, int(np.count_nonzero(zi))):
                raw.warnings.append(
                    f"column {cols.names[cols.imag]!r} is read as Z'' but most of its values are positive (inductive); "
                    "if the file stores -Z'' (as many programs export it), run 'metalair eis' with --imag-sign -1 "
                    f"(or rename that column to {_minus_name(cols.names[cols.imag])!r} for 'metalair eis'), or read "
                    "the file in Python with read_impedance(path, imag_sign=-1)"
                )
    else:
        if block.values.shape[1] < 3:
            raise DataFormatError(
                f"{path.name}: a file without a header needs at least three columns (frequency, Z', Z''); "
                f"the rows carry {block.values.shape[1]}"
            )
        f, zr, zi = block.column(0), block.column(1), block.column(2)
        if imag_sign is None:
            nonzero = zi[zi != 0]
            imag_sign = -1.0 if nonzero.size and np.count_nonzero(nonzero > 0) > nonzero.size / 2 else 1.0
            notes.append(
                "no header: columns read as frequency [Hz], Z' [Ω], Z'' [Ω]; "
                + ("most third-column values are positive, so the column was taken to hold -Z'' (capacitive "
                   "spectra have Z'' < 0) and its sign flipped" if imag_sign < 0 else
                   "most third-column values are negative, so it was taken as Z'' itself")
            )
        else:
            notes.append("no header: columns read as frequency [Hz], Z' [Ω] and Z'' (sign as given by imag_sign)")
        raw = _Raw(f, zr + 1j * float(imag_sign) * zi, notes=block.notes + notes, warnings=list(block.warnings))
        if block.values.shape[1] > 3:
            raw.notes.append(f"the rows carry {block.values.shape[1]} values; columns after the third were ignored")
    raw.meta["instrument"] = None
    if text and not text.endswith(("\n", "\r")) and raw.frequency_Hz.size and _last_field_looks_cut(lines):
        # a row cut inside a number can still be a number ('-4.6239728021047442' of '...e-03'): say so
        raw.warnings.append(
            f"the file does not end with a line break, as a file cut while it was written or copied does: its last "
            f"row (f = {float(raw.frequency_Hz[-1]):.6g} Hz) may be incomplete; check it against the instrument's file")
    return raw


def _minus_name(name: str) -> str:
    """The header that marks column ``name`` (read as Z'') as holding -Z'' instead: ``-`` in front."""
    return "-" + name.strip().lstrip("+")


# --------------------------------------------------------------------------- sweeps
class MultipleSpectraError(DataFormatError):
    """A file holds several spectra and no ``sweep`` was chosen.

    Attributes
    ----------
    file_name : str
    sizes : tuple of int
        Points in each spectrum, in file order.
    """

    def __init__(self, message: str, *, file_name: str, sizes: tuple[int, ...]) -> None:
        super().__init__(message)
        self.file_name = file_name
        self.sizes = sizes


def _split_sweeps(raw: _Raw) -> list[np.ndarray]:
    """Index arrays of the separate sweeps in a record (cycle numbers, or the frequency restarting a sweep).

    Without cycle numbers, a jump of the frequency against the sweep's direction (by more than 4x)
    starts a new sweep only where the sweep restarts: the frequency it jumps to was already measured
    in the record (a repeated sweep), or the runs before and after the jump each cover at least half the
    record's span with the later one mostly inside the earlier one's range (a second sweep on a grid of its
    own). Other jumps are rows out of order within one sweep (swapped or shuffled rows): the record is kept
    whole, sorted later, with a note.
    """
    n = raw.frequency_Hz.size
    ids = raw.meta.pop("_sweep_ids", None)
    if ids is not None and np.unique(ids).size > 1:
        return [np.flatnonzero(ids == v) for v in np.unique(ids)]
    f = raw.frequency_Hz
    if n < 4:
        return [np.arange(n)]
    ratio = f[1:] / np.where(f[:-1] > 0, f[:-1], np.nan)
    down = np.nanmedian(ratio) < 1
    jumps = np.flatnonzero(ratio > 4.0) + 1 if down else np.flatnonzero(ratio < 0.25) + 1
    if jumps.size == 0:
        return [np.arange(n)]
    lnf = np.log(f)
    steps = np.abs(np.diff(lnf))
    steps = steps[steps > 0]
    # two frequencies are "the same" within 1 % (instruments report the measured frequency), and well within
    # the spacing of the record's grid
    tol = min(0.01, 0.3 * float(np.median(steps))) if steps.size else 0.01
    span = float(np.ptp(lnf))
    def is_sweep(run: np.ndarray) -> bool:
        """A run over half the span on an even grid (a swapped row leaves a gap many steps wide in it)."""
        gaps = np.abs(np.diff(run))
        return (run.size >= 3 and float(np.ptp(run)) >= 0.5 * span
                and float(gaps.max()) <= 3.0 * float(np.median(gaps)))

    starts: list[int] = []
    edges_all = [0, *jumps.tolist(), n]
    for k, j in enumerate(jumps.tolist(), start=1):
        before, after = lnf[edges_all[k - 1]:j], lnf[j:edges_all[k + 1]]
        repeated = bool(np.any(np.abs(lnf[:j] - lnf[j]) <= tol))
        # a second sweep on a grid of its own: the runs on both sides of the jump are sweeps, and most of the
        # later one's frequencies lie within the earlier one's range
        inside = float(np.mean((after >= before.min() - tol) & (after <= before.max() + tol))) if after.size else 0.0
        if repeated or (is_sweep(before) and is_sweep(after) and inside >= 0.5):
            starts.append(int(j))
    if not starts:
        raw.notes.append(
            f"{jumps.size} place(s) where the frequency jumps back against the sweep's direction, but no frequency "
            "repeats and the sweep never restarts: read as one spectrum whose rows are out of frequency order "
            "(swapped or shuffled), not as several sweeps; the rows were reordered by frequency")
        return [np.arange(n)]
    edges = np.concatenate(([0], starts, [n]))
    return [np.arange(a, b) for a, b in zip(edges[:-1], edges[1:]) if b > a]


# --------------------------------------------------------------------------- entry point
_READERS = {
    "biologic_mpt": _read_mpt, "biologic_mpr": _read_mpr, "gamry_dta": _read_gamry, "autolab_nova": _read_nova,
    "chi_txt": _read_chi, "versastudio_par": _read_versastudio, "zplot_z": _read_zplot, "zplotw": _read_zplotw,
    "powersuite_txt": _read_powersuite,
}


def read_impedance(
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    sweep: int | None = None,
    imag_sign: int | None = None,
    strict: bool = False,
) -> ImpedanceSpectrum:
    """Read an impedance spectrum file into a checked :class:`ImpedanceSpectrum`.

    Parameters
    ----------
    path : path-like
        Any format of :data:`IMPEDANCE_FORMATS`.
    format : str, optional
        Force a format (key of :data:`IMPEDANCE_FORMATS` or an alias such as
        ``"mpt"``, ``"dta"``, ``"csv"``); by default it is recognised from
        the content.
    sweep : int, optional
        For a file holding several spectra (repeated sweeps, EC-Lab cycles):
        which one to read, counting from 1. Required when there are several.
    imag_sign : {+1, -1}, optional
        For generic CSV only: +1 if the imaginary column holds Z'', -1 if it
        holds -Z''. By default taken from the column name (a leading ``-``)
        or, without a header, from the sign of most values.
    strict : bool
        Raise instead of warning for a usable but suspicious file (an aborted
        or incomplete sweep, a dropped incomplete last line, repeated
        frequencies).

    Returns
    -------
    ImpedanceSpectrum
        Sorted from high to low frequency; ``metadata`` holds ``file_name``,
        ``format``, ``instrument``, ``notes`` (how the file was interpreted)
        and ``warnings``.

    Raises
    ------
    DataFormatError
        Missing, empty, damaged or unsupported files; a missing frequency
        column; NaN, infinite or non-positive frequencies; several spectra in
        the file and no ``sweep`` chosen (:class:`MultipleSpectraError`).
    """
    path = as_path(path)
    if format is not None:
        fmt = named_format(format, path, IMPEDANCE_FORMATS, _ALIASES, kind="impedance ")
    else:
        fmt = detect_impedance_format(path)
    if imag_sign is not None and imag_sign not in (1, -1):
        raise ParameterError(f"imag_sign must be +1 (column holds Z'') or -1 (column holds -Z''), got {imag_sign!r}")
    try:
        raw = _read_csv(path, imag_sign) if fmt == "csv" else _READERS[fmt](path)
    except (UnicodeError, OSError) as exc:
        raise DataFormatError(f"{path.name}: could not be read ({exc})") from None
    # impossible frequencies first: a zero or negative one would otherwise split the record into "sweeps"
    check_spectrum_arrays(raw.frequency_Hz, raw.impedance, path.name)
    sweeps = _split_sweeps(raw)
    if len(sweeps) > 1:
        if sweep is None:
            sizes = ", ".join(str(s.size) for s in sweeps[:6])
            raise MultipleSpectraError(
                f"{path.name}: the file holds {len(sweeps)} spectra ({sizes}{', ...' if len(sweeps) > 6 else ''} "
                "points); choose one with sweep=1..{0}".format(len(sweeps)),
                file_name=path.name, sizes=tuple(int(s.size) for s in sweeps),
            )
        if not isinstance(sweep, int) or not 1 <= sweep <= len(sweeps):
            raise ParameterError(f"sweep={sweep} but {path.name} holds {len(sweeps)} spectra; choose 1..{len(sweeps)}")
        idx = sweeps[sweep - 1]
        raw.frequency_Hz, raw.impedance = raw.frequency_Hz[idx], raw.impedance[idx]
        raw.notes.append(f"spectrum {sweep} of {len(sweeps)} in the file")
    elif sweep not in (None, 1):
        raise ParameterError(f"sweep={sweep} but {path.name} holds one spectrum")
    meta = {"file_name": path.name, "format": fmt, **raw.meta, "notes": raw.notes, "warnings": []}
    spectrum = ImpedanceSpectrum(raw.frequency_Hz, raw.impedance, unit=raw.unit, metadata=meta)
    found = list(raw.warnings) + list(spectrum.metadata.get("warnings", []))
    if found and strict:
        raise DataFormatError(
            f"{path.name}: problems found and strict=True: " + "; ".join(found)
            + ". Read with strict=False to get the data with these warnings in metadata['warnings']"
        )
    if found:
        _warnings.warn(f"{path.name}: " + "; ".join(found), DataQualityWarning, stacklevel=2)
    return spectrum.with_metadata(warnings=found)
