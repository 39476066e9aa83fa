"""Reading cyclic voltammograms: BioLogic .mpt/.mpr, Gamry .DTA and generic CSV, cycle-aware.

* BioLogic EC-Lab text export (CV technique): ``Ewe/V`` (or ``Ecell/V``),
  ``<I>/mA`` or ``I/mA``, ``time/s``, ``cycle number``. EC-Lab counts
  oxidation current as positive, as metalair does. The binary .mpr holds
  the same columns; it is decoded by galvani (GPL-3.0, so optional:
  ``pip install 'metalair[biologic]'``) and mapped as the text export.
* Gamry Framework .DTA of a CV (``TAG CV``): one ``CURVEn`` table per cycle
  with ``T`` (s), ``Vf`` (V) and ``Im`` (A); Gamry counts anodic current as
  positive.
* Generic CSV: columns recognised by name (potential: ``E``, ``Ewe``,
  ``Potential``, ``Voltage``; current: ``I``, ``Current``; time; cycle)
  with units from the names (V/mV; A/mA/µA/nA; mA/g; s/min/h). Without a
  cycle column, cycles are counted from the sweep direction. Pass
  ``anodic_sign=-1`` when the file counts cathodic current as positive.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from metalair.errors import DataFormatError, ParameterError
from metalair.io._text_columns import KNOWN_UNITS, gamry_table_end, is_number, name_and_unit, number, numeric_block
from metalair.io.biologic import _MODE_TYPES, read_mpr_columns
from metalair.io.detect import as_path, require_file
from metalair.io.generic_csv import read_text
from metalair.tables.voltammetry import Voltammogram
from metalair.units import UNITS, from_user

__all__ = ["read_voltammogram"]

#: The SI unit a voltammogram's current is stored in, by the dimension of the file's current unit.
_CURRENT_SI = {"current": "A", "specific current": "A/kg", "current density": "A/m²"}


def _current_unit(unit: str, file_name: str) -> tuple[str, float]:
    """(SI unit, factor to it) of a current column's unit: A, A/kg (per mass) or A/m² (per area)."""
    dim = UNITS[unit][0] if unit in UNITS else None
    if dim not in _CURRENT_SI:
        allowed = [u for u, (d, _) in UNITS.items() if d in _CURRENT_SI]
        raise DataFormatError(f"{file_name}: current unit {unit!r} not understood; use one of {', '.join(allowed)}")
    return _CURRENT_SI[dim], float(from_user(1.0, unit, dim))


def _si(values: np.ndarray, unit: str | None, default: str, dimension: str, file_name: str, what: str) -> np.ndarray:
    """A column in SI: ``unit`` (``default`` when the name carries none) must be a ``dimension`` unit."""
    u = unit or default
    if u not in UNITS or UNITS[u][0] != dimension:
        allowed = [k for k, (d, _) in UNITS.items() if d == dimension]
        raise DataFormatError(f"{file_name}: {what} unit {u!r} not understood; use one of {', '.join(allowed)}")
    return np.asarray(from_user(values, u, dimension), dtype=float)


#: "vs." before a reference electrode inside a column name: "E vs Ag/AgCl (V)", "E (V vs. RHE)", "Ewe/V vs. SCE",
#: "Potential (mV vs Na/Na+)", "E vs. Ag/AgCl (3 M KCl) (V)", "Potential (V vs. Ag/Ag+ (0.01 M))"; where the
#: reference ends is found by :func:`_reference_end`.
_VERSUS = re.compile(r"\s*\bvs\b\.?\s*", re.IGNORECASE)
_OPENING, _CLOSING = "([", ")]"


def _closing_bracket(text: str, k: int) -> int | None:
    """Index of the bracket closing the one opened at ``text[k]`` (nested brackets balanced), None if unclosed."""
    depth = 0
    for j in range(k, len(text)):
        if text[j] in _OPENING:
            depth += 1
        elif text[j] in _CLOSING:
            depth -= 1
            if depth == 0:
                return j
    return None


def _reference_end(text: str, start: int) -> int:
    """Where the reference electrode that starts at ``text[start]`` (after "vs.") ends.

    It runs on over balanced brackets, which name its electrolyte ("Ag/AgCl (3 M KCl)", "Ag/Ag+ (0.01 M)"), and
    ends at the end of the name, at a bracket closing one opened before "vs." ("(V vs. RHE)"), at an unclosed
    bracket, or at the name's unit: a last bracket holding a known unit ("... (V)") or a spaced slash before one
    ("... / V").
    """
    k = start
    while k < len(text):
        ch = text[k]
        if ch in _CLOSING:
            return k
        if ch in _OPENING:
            j = _closing_bracket(text, k)
            if j is None:
                return k
            if not text[j + 1:].strip() and text[k + 1:j].strip() in KNOWN_UNITS:
                return k
            k = j + 1
            continue
        if ch == "/" and (text[k - 1:k].isspace() or text[k + 1:k + 2].isspace()) \
                and text[k + 1:].strip() in KNOWN_UNITS:
            return k
        k += 1
    return k
#: The channel prefix of an Autolab NOVA export: "WE(1).Potential (V)", "WE(1).Current (A)".
_CHANNEL = re.compile(r"^\s*WE\(\d+\)\.", re.IGNORECASE)


def _column_name(name: str) -> tuple[str, str | None, str | None]:
    """(base, unit, reference electrode) of a CSV column name.

    The reference electrode ("vs. Ag/AgCl") and a NOVA channel prefix ("WE(1).") are taken off before the unit
    is read: "E vs Ag/AgCl (V)" was not recognised as a potential, and "Potential (mV vs Ag/AgCl)" read its mV as
    volts. A per-mass or per-area unit written with slashes ("I/mA/g") is read whole.
    """
    text = _CHANNEL.sub("", name.strip().strip('"'))
    ref = None
    m = _VERSUS.search(text)
    if m:
        end = _reference_end(text, m.end())
        ref = text[m.end():end].strip().rstrip(".").strip() or None
        if ref is not None:
            tail = text[end:].strip()
            text = (text[:m.start()] + (" " if tail[:1] in _OPENING or tail[:1] == "/" else "") + tail).strip()
    base, unit = name_and_unit(text)
    if unit is not None and "/" in base:  # "I/mA/g": the slash before the unit belongs to it
        head, _, rest = base.partition("/")
        if f"{rest}/{unit}" in UNITS:
            base, unit = head, f"{rest}/{unit}"
    return base, unit, ref


#: EC-Lab column names of the potential and the current, in order of preference (the text export .mpt and the
#: binary .mpr name them alike).
_EC_LAB_POTENTIAL = ("Ewe/V", "<Ewe>/V", "Ecell/V", "<Ecell>/V")
_EC_LAB_CURRENT = ("<I>/mA", "I/mA", "<I>/A", "I/A", "I/uA", "I/µA")


def _ec_lab_cv(cols: dict[str, np.ndarray], meta: dict[str, Any]) -> Voltammogram:
    """A voltammogram from EC-Lab columns (name -> values, as in the .mpt header and the .mpr), for both formats.

    Refuses what is not a voltammogram: an impedance record (``freq/Hz``) and a record never potential-controlled
    (EC-Lab ``mode`` 2 on no row); a potentiostatic hold is refused by :class:`Voltammogram` (its potential does
    not sweep), constant-current cycling by :func:`_refuse_constant_current`.
    """
    name = meta["file_name"]
    technique = f"{meta['technique']}; " if meta.get("technique") else ""  # a .mpr does not name its technique
    names = list(cols)
    if "freq/Hz" in cols:
        raise DataFormatError(f"{name}: an impedance record ({technique}a freq/Hz column), not a voltammogram; "
                              "read it with metalair.io.impedance.read_impedance")
    mode = np.asarray(cols["mode"], dtype=np.int64) if "mode" in cols else None
    if mode is not None and mode.size and not np.any(mode == 2):
        used = ", ".join(f"{m} ({_MODE_TYPES.get(m, 'unknown')})" for m in np.unique(mode).tolist())
        what = ("an open-circuit (rest) record" if np.all(mode == 3) else "a constant-current (galvanostatic) record"
                if np.any(mode == 1) else "a record")
        raise DataFormatError(
            f"{name}: {what} ({technique}EC-Lab mode {used} only, never 2, potential-controlled, as a "
            "voltammogram is), not a voltammogram; analyse a cycler record with 'metalair analyze' (in Python: "
            "metalair.io.read)")
    e_name = next((n for n in _EC_LAB_POTENTIAL if n in cols), None)
    i_name = next((n for n in _EC_LAB_CURRENT if n in cols), None)
    if e_name is None or i_name is None:
        raise DataFormatError(
            f"{name}: no potential (Ewe/V) or current (<I>/mA) column; columns present: {', '.join(names)}"
        )
    unit, factor = _current_unit(name_and_unit(i_name)[1] or "mA", name)
    return Voltammogram(np.asarray(cols[e_name], dtype=float), np.asarray(cols[i_name], dtype=float) * factor,
                        cols.get("time/s"), cols.get("cycle number"), unit, meta)


def _read_mpt_cv(path: Path, lines: list[str]) -> Voltammogram:
    m = re.search(r"Nb header lines\s*:\s*(\d+)", "\n".join(lines[:3]), re.IGNORECASE)
    if m is None:
        raise DataFormatError(f"{path.name}: EC-Lab text header without 'Nb header lines : N'; the file is damaged")
    h = int(m.group(1)) - 1
    names = [n.strip() for n in lines[h].split("\t")]
    while names and not names[-1]:
        names.pop()
    technique = lines[3].strip() if len(lines) > 3 else ""
    block = numeric_block(lines, h + 1, path.name, names=names, delimiter="\t", stop_at_text=False)
    col = {n: block.values[:, k] for k, n in enumerate(block.names)}
    meta = {"file_name": path.name, "format": "biologic_mpt", "instrument": "BioLogic", "technique": technique,
            "notes": list(block.notes), "warnings": list(block.warnings)}
    return _ec_lab_cv(col, meta)


def _read_mpr_cv(path: Path) -> Voltammogram:
    """An EC-Lab binary .mpr through galvani (the optional ``biologic`` extra), mapped as the text export."""
    try:
        cols, header = read_mpr_columns(path)
    except DataFormatError as exc:
        detail = str(exc).removeprefix(f"{path.name}: ")
        raise DataFormatError(
            f"{path.name}: a BioLogic EC-Lab binary file (.mpr) that could not be read: {detail}. Otherwise, in "
            "EC-Lab, export the file as text (.mpt) and give that") from None
    meta: dict[str, Any] = {"file_name": path.name, "format": "biologic_mpr", "instrument": header.get("device"),
                            "technique": None, "software_version": header.get("software_version"),
                            "notes": [], "warnings": []}
    if "acquisition_started" in header:
        meta["acquisition_started"] = header["acquisition_started"]
    return _ec_lab_cv(cols, meta)


def _read_gamry_cv(path: Path, lines: list[str]) -> Voltammogram:
    tag = next((ln.split("\t")[1].strip() for ln in lines[:5] if ln.startswith("TAG\t")), "")
    starts = [(i, ln.split("\t")[0]) for i, ln in enumerate(lines) if re.match(r"^CURVE\d*\tTABLE", ln)]
    if not starts:
        if any(ln.startswith("ZCURVE\tTABLE") for ln in lines):
            raise DataFormatError(f"{path.name}: a Gamry impedance file (ZCURVE), not a voltammogram; "
                                  "read it with metalair.io.impedance.read_impedance")
        raise DataFormatError(f"{path.name}: a Gamry {tag or ''} file without CURVE tables; not a voltammogram")
    e_all, i_all, t_all, c_all = [], [], [], []
    notes: list[str] = []
    warnings: list[str] = []
    for k, (i, label) in enumerate(starts, start=1):
        names = [n.strip() for n in lines[i + 1].split("\t")[1:]]
        for need in ("Vf", "Im", "T"):
            if need not in names:
                raise DataFormatError(f"{path.name}: table {label} has no {need!r} column ({', '.join(names)})")
        # a table ends at the next keyword line; any other line in it that is not a row is damage, not an end
        block = numeric_block(lines, i + 3, path.name, names=names, delimiter="\t", strip_leading_empty=True,
                              text_fields=True, ends_table=gamry_table_end)
        warnings.extend(f"{label}: {w}" for w in block.warnings)
        col = {n: block.values[:, j] for j, n in enumerate(block.names)}
        e_all.append(col["Vf"])
        i_all.append(col["Im"])
        t_all.append(col["T"])
        c_all.append(np.full(col["Vf"].size, k))
    notes.append(f"{len(starts)} CURVE tables read as cycles 1-{len(starts)}")
    scan = next((ln.split("\t") for ln in lines if ln.startswith("SCANRATE\t")), None)
    meta: dict[str, Any] = {"file_name": path.name, "format": "gamry_dta", "instrument": "Gamry", "technique": tag,
                            "notes": notes, "warnings": warnings}
    if scan is not None and len(scan) > 2 and is_number(scan[2]):
        meta["scan_rate_V_s"] = float(from_user(number(scan[2]), "mV/s"))  # Gamry writes mV/s
    return Voltammogram(np.concatenate(e_all), np.concatenate(i_all), np.concatenate(t_all),
                        np.concatenate(c_all), "A", meta)


#: Columns that together mark a time series written by metalair (``Solution.to_csv``), whose current is
#: positive on discharge, i.e. cathodic.
_METALAIR_SERIES = ("Current [mA/g]", "Net discharge capacity [mAh/g]", "Air electrode potential [V]")


def _read_csv_cv(path: Path, lines: list[str], anodic_sign: int | None) -> Voltammogram:
    content = [(i, ln) for i, ln in enumerate(lines) if ln.strip() and not ln.lstrip().startswith("#")]
    first_num = next((i for i, ln in content
                      if all(is_number(f) for f in re.split(r"[\t;,]|\s+", ln.strip()) if f)), None)
    if first_num is None:
        raise DataFormatError(f"{path.name}: no rows of numbers; not a voltammogram export metalair recognises")
    header = [ln for i, ln in content if i < first_num]
    if not header:
        raise DataFormatError(
            f"{path.name}: a CSV voltammogram needs a header naming its columns (potential and current with "
            "units, e.g. 'E/V,I/mA'); this file has none"
        )
    head = header[-1]
    delim = next((d for d in ("\t", ";", ",") if d in head), None)
    names = [n.strip().strip('"') for n in (head.split(delim) if delim else head.split())]
    block = numeric_block(lines, first_num, path.name, names=names, delimiter=delim, stop_at_text=False)
    found: dict[str, tuple[int, str | None]] = {}
    reference = None
    for k, name in enumerate(block.names):
        base, unit, ref = _column_name(name)
        b = base.lower().strip()
        if "e" not in found and (b in ("e", "ewe", "potential", "voltage", "ecell", "u", "e_we", "vf")
                                 or b.startswith(("potential", "voltage"))):
            found["e"] = (k, unit)
            reference = ref
        elif "i" not in found and (b in ("i", "im", "current", "<i>") or b.startswith("current")):
            found["i"] = (k, unit)
        elif "t" not in found and (b in ("t", "time", "elapsed time") or b.startswith("time")):
            found["t"] = (k, unit)
        elif "c" not in found and b in ("cycle", "cycle number", "scan", "cycle index"):
            found["c"] = (k, unit)
    if "e" not in found or "i" not in found:
        raise DataFormatError(
            f"{path.name}: no potential or no current column among {', '.join(repr(n) for n in block.names)}; "
            "name them e.g. 'Potential (V)' and 'Current (mA)'"
        )
    ke, ue = found["e"]
    ki, ui = found["i"]
    potential = _si(block.values[:, ke], ue, "V", "potential", path.name, "potential")
    if ui is None:
        raise DataFormatError(f"{path.name}: the current column {block.names[ki]!r} carries no unit; name it "
                              "e.g. 'I/mA' or 'Current (A)'")
    unit, factor = _current_unit(ui, path.name)
    t = None
    if "t" in found:
        kt, ut = found["t"]
        t = _si(block.values[:, kt], ut, "s", "time", path.name, "time")
    ours = all(name in block.names for name in _METALAIR_SERIES)
    notes = list(block.notes)
    if ours and "c" in found:
        # a metalair series' Cycle counts protocol cycles (one Sweep step of 3 CV cycles is one), not CV cycles
        cycle = None
        notes.append("a metalair time series: its Cycle column counts protocol cycles, not CV cycles; cycles "
                     "counted from the sweep direction")
    else:
        cycle = block.values[:, found["c"][0]] if "c" in found else None
        if cycle is None:
            notes.append("no cycle column: cycles counted from the sweep direction")
    if anodic_sign is None:
        anodic_sign = -1 if ours else 1
        if ours:
            notes.append("a metalair time series: its current is positive on discharge (cathodic), so its sign "
                         "was flipped")
    elif anodic_sign < 0:
        notes.append("current sign flipped (the file counts cathodic current as positive)")
    meta: dict[str, Any] = {"file_name": path.name, "format": "csv", "instrument": None, "notes": notes,
                            "warnings": list(block.warnings)}
    if reference:
        meta["reference_electrode"] = reference
    return Voltammogram(potential,
                        anodic_sign * block.values[:, ki] * factor, t, cycle, unit, meta)


#: The first bytes of an EC-Lab binary (.mpr) file.
_MPR_MAGIC = b"BIO-LOGIC MODULAR FILE"


def read_voltammogram(path: str | os.PathLike[str], *, anodic_sign: int | None = None) -> Voltammogram:
    """Read a CV file (BioLogic .mpt or .mpr, Gamry .DTA, or CSV with named columns).

    Parameters
    ----------
    path : path-like
    anodic_sign : {+1, -1}, optional
        For CSV only: -1 when the file counts cathodic current as positive. Default: +1, except
        for a time series written by metalair itself (``metalair simulate``), whose current is
        positive on discharge (cathodic): -1.

    Returns
    -------
    Voltammogram
        Anodic current positive; cycles from the file or from the sweep direction.

    Raises
    ------
    DataFormatError
        Missing/empty/damaged files, impedance files, files without potential
        or current columns, records that are not voltammograms (open circuit,
        constant current, a potentiostatic hold), and a .mpr when galvani (the
        ``biologic`` extra) is not installed.
    """
    path = as_path(path)
    if anodic_sign not in (1, -1, None):
        raise ParameterError(f"anodic_sign must be +1 or -1 (or None: from the file), got {anodic_sign!r}")
    require_file(path)
    with open(path, "rb") as handle:
        binary = handle.read(len(_MPR_MAGIC)) == _MPR_MAGIC  # read_text would call it "damaged or of another format"
    if binary:
        cv = _read_mpr_cv(path)
        _refuse_constant_current(path, cv)
        return cv
    text = read_text(path)
    lines = text.splitlines()
    first = lines[0].strip() if lines else ""
    if first.startswith(("EC-Lab ASCII FILE", "BT-Lab ASCII FILE")):
        cv = _read_mpt_cv(path, lines)
    elif first == "EXPLAIN":
        cv = _read_gamry_cv(path, lines)
    else:
        cv = _read_csv_cv(path, lines, anodic_sign)
    _refuse_constant_current(path, cv)
    return cv


#: A record whose current takes at most this many distinct values over many more points is a constant-current
#: (galvanostatic) record: a voltammogram's current changes with every potential step.
_GALVANOSTATIC_LEVELS = 10


def _refuse_constant_current(path: Path, cv: Voltammogram) -> None:
    i = np.asarray(cv.current, dtype=float)
    levels = np.unique(i[np.isfinite(i)]).size
    if i.size >= 5 * _GALVANOSTATIC_LEVELS and levels <= _GALVANOSTATIC_LEVELS:
        raise DataFormatError(
            f"{path.name}: the current takes only {levels} values over {i.size} points, as in constant-current "
            "cycling, not a voltammogram (whose current changes as the potential is swept); analyse a cycler "
            "record with 'metalair analyze' (in Python: metalair.io.read)")
