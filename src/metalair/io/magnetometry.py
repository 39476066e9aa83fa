"""Quantum Design magnetometry files (MPMS, MPMS3, PPMS/VSM, ACMS ``.dat``).

>>> from metalair.io.magnetometry import read_quantum_design
>>> data = read_quantum_design("sample.dat")                  # doctest: +SKIP
>>> data.sample_mass_kg, len(data)                            # doctest: +SKIP

Layout (MultiVu ``.dat``)
-------------------------
A ``[Header]`` section of comma-separated lines (``;`` starts a comment):
``INFO,<value>,<KEY>`` entries (MPMS3, PPMS; older MPMS files write
``INFO,<KEY>,<value>``, both are accepted), ``BYAPP,<application>,...``,
``TITLE``, ``FILEOPENTIME``; then a ``[Data]`` line, one line of column
names with units in brackets (``Temperature (K)``, ``Magnetic Field (Oe)``,
``Moment (emu)``) and one comma-separated row per measurement, with empty
fields for columns the measurement does not fill.

What is read
------------
Temperature (``Temperature (K)``, else ``Average Temp (K)``), field
(``Magnetic Field (Oe)`` / ``Field (Oe)``, or in T), the moment from the first
of ``Moment (emu)`` (VSM), ``DC Moment Free Ctr (emu)``, ``DC Moment Fixed
Ctr (emu)`` (MPMS3 DC scan), ``Long Moment (emu)`` (MPMS/MPMS-XL), ``M-DC
(emu)`` (ACMS) that holds numbers (or the column the caller names), with its
standard-error column where there is one. Each may also be written in
another moment unit, e.g. SI ``Moment (Am2)`` (1 emu = 10⁻³ A·m²): a column
of the same name in a moment unit of :mod:`metalair.units` is taken. A file
with none of these columns is refused with a message listing its columns.
Units come from the column names and are converted to SI through
:mod:`metalair.units`. The sample mass is the
header's ``SAMPLE_MASS`` (older files: ``WEIGHT``), which MultiVu records in
**milligrams**; ``SAMPLE_MOLECULAR_WEIGHT`` is in g/mol. Rows without a
temperature, field or moment are dropped and counted in the warnings; a last
line cut off mid-row (a file copied while being written) is dropped with a
warning. Any other row with more or fewer fields than the column line names
is refused: MultiVu writes every field of every row (empty where a
measurement fills none), so a row with a field lost or added is damage, and
its values would land in the wrong columns.

References
----------
Quantum Design, *MPMS 3 User's Manual*, 1500-100, appendix on data-file
format (Quantum Design Inc., San Diego).
"""

from __future__ import annotations

import csv
import io
import os
import re
from typing import Any

import numpy as np

from metalair.errors import DataFormatError, ParameterError
from metalair.io.detect import as_path
from metalair.io.generic_csv import read_text
from metalair.tables.magnetometry import MagnetometryData
from metalair.units import UNITS, from_user

__all__ = ["read_quantum_design", "MOMENT_COLUMNS"]

#: Moment columns tried in order (the first holding numbers is used) and their error columns.
MOMENT_COLUMNS: tuple[tuple[str, str | None], ...] = (
    ("Moment (emu)", "M. Std. Err. (emu)"),
    ("DC Moment Free Ctr (emu)", "DC Moment Err Free Ctr (emu)"),
    ("DC Moment Fixed Ctr (emu)", "DC Moment Err Fixed Ctr (emu)"),
    ("Long Moment (emu)", "Long Scan Std Dev"),
    ("M-DC (emu)", "M-Std.Dev. (emu)"),
)
_TEMPERATURE = ("Temperature (K)", "Average Temp (K)", "Temperature")
_FIELD = ("Magnetic Field (Oe)", "Field (Oe)", "Magnetic Field (T)", "Field (T)", "Magnetic Field (kOe)")
_UNIT = re.compile(r"\(([^()]*)\)\s*$")
_KEY = re.compile(r"^[A-Z][A-Z0-9_]*$")
_UNIT_ALIASES = {"Am2": "A m2", "A·m²": "A m2", "A m^2": "A m2", "Am^2": "A m2", "A.m2": "A m2", "A·m2": "A m2",
                 "A m²": "A m2", "Am²": "A m2", "Tesla": "T", "tesla": "T", "Oersted": "Oe"}


def _unit_text(name: str, default: str) -> str:
    """The unit in a column name such as ``Moment (Am2)``, spelt as in :data:`~metalair.units.UNITS` where known."""
    m = _UNIT.search(name)
    unit = m.group(1).strip() if m else default
    return _UNIT_ALIASES.get(unit, unit)


def _unit(name: str, dimension: str, file_name: str, default: str) -> float:
    """SI factor of the unit in a column name such as ``Moment (emu)``."""
    unit = _unit_text(name, default)
    if unit not in UNITS or UNITS[unit][0] != dimension:
        allowed = ", ".join(u for u, (d, _f) in UNITS.items() if d == dimension)
        raise DataFormatError(f"{file_name}: column {name!r} has unit {unit!r}, not a {dimension} unit ({allowed})")
    return UNITS[unit][1]


def _to_si(values: np.ndarray, name: str, dimension: str, file_name: str, default: str) -> np.ndarray:
    """A column's values in SI, converted from the unit in its name through :func:`metalair.units.from_user`.

    Offset units (a ``Temperature (°C)`` column) go through the offset-aware path, so
    °C gains its 273.15 K instead of being scaled by a factor.
    """
    _unit(name, dimension, file_name, default)  # refuses a unit of another dimension with the file's name
    return np.asarray(from_user(values, _unit_text(name, default), dimension), dtype=float)


def _match_column(cands: tuple[str, ...], header: list[str], dimension: str | None = None) -> str | None:
    """The first of ``cands`` in ``header``: exact, then in any case, then the same name in another unit.

    ``Moment (Am2)`` matches the candidate ``Moment (emu)``. With
    ``dimension``, a name in another unit is taken only if that unit is one of
    the dimension's (``Moment (emu/g)`` is not a moment); without, any unit is
    taken and :func:`_unit` names a wrong one.
    """
    for c in cands:
        if c in header:
            return c
    lower = {h.lower(): h for h in header}
    for c in cands:
        if c.lower() in lower:
            return lower[c.lower()]
    stems = dict.fromkeys(c.split("(")[0].strip().lower() for c in cands)
    for stem in stems:  # in the order of the candidates, so the preferred quantity wins
        for h in header:
            if h.split("(")[0].strip().lower() == stem and _UNIT.search(h) and (
                    dimension is None or UNITS.get(_unit_text(h, ""), ("", 0.0))[0] == dimension):
                return h
    return None


def _parse_header(lines: list[str]) -> tuple[dict[str, str], dict[str, Any]]:
    info: dict[str, str] = {}
    other: dict[str, Any] = {}
    for line in lines:
        s = line.strip()
        if not s or s.startswith(";"):
            if "data file" in s.lower():
                other.setdefault("comment", s.lstrip("; ").strip())
            continue
        parts = next(csv.reader([s]))
        tag = parts[0].strip().upper()
        if tag == "INFO" and len(parts) >= 3:
            a, b = parts[1].strip(), parts[-1].strip()
            if _KEY.match(b):
                info[b] = a
            elif _KEY.match(a):
                info[a] = ",".join(p.strip() for p in parts[2:])
        elif tag == "BYAPP" and len(parts) >= 2:
            other["application"] = parts[1].strip()
        elif tag == "TITLE":
            other["title"] = ",".join(parts[1:]).strip()
        elif tag == "FILEOPENTIME" and len(parts) >= 3:
            other["file_open_time"] = ",".join(p.strip() for p in parts[2:])
    return info, other


def _header_number(info: dict[str, str], keys: tuple[str, ...], what: str, file_name: str,
                   warnings: list[str]) -> float | None:
    for key in keys:
        text = info.get(key, "").strip()
        if not text:
            continue
        try:
            value = float(text)
        except ValueError:
            warnings.append(f"header {key} = {text!r} is not a number; {what} not taken from the header")
            return None
        if not (np.isfinite(value) and value > 0):
            warnings.append(f"header {key} = {text!r} is not positive; {what} not taken from the header")
            return None
        return value
    return None


def read_quantum_design(path: str | os.PathLike[str], *, moment_column: str | None = None) -> MagnetometryData:
    """Read a Quantum Design MPMS / MPMS3 / PPMS / ACMS ``.dat`` file.

    Parameters
    ----------
    path : path-like
        The ``.dat`` file.
    moment_column : str, optional
        Name of the moment column to use (default: the first of
        :data:`MOMENT_COLUMNS` that holds numbers, in emu or in another moment
        unit such as ``Moment (Am2)``).

    Returns
    -------
    MagnetometryData
        SI columns; ``metadata["sample_mass_kg"]`` from the header's
        ``SAMPLE_MASS`` (mg), ``metadata["molar_mass_kg_mol"]`` from
        ``SAMPLE_MOLECULAR_WEIGHT`` (g/mol), each None when absent.

    Raises
    ------
    DataFormatError
        A file that is empty, binary, lacks the ``[Header]``/``[Data]``
        sections or the temperature/field/moment columns, has no data rows,
        a row with more or fewer fields than the column line names (except a
        last line cut off mid-row, dropped with a warning), or a text where a
        number belongs.
    ParameterError
        A ``moment_column`` that the file does not have.
    """
    p = as_path(path)
    if not p.is_file():
        raise DataFormatError(f"{p}: no such file")
    name = p.name
    text = read_text(p)
    lines = text.splitlines()
    first = next((ln.strip() for ln in lines if ln.strip()), "")
    if first.lower() != "[header]":
        raise DataFormatError(
            f"{name}: not a Quantum Design .dat file: it should start with '[Header]', but starts with {first[:60]!r}"
        )
    try:
        k = next(i for i, ln in enumerate(lines) if ln.strip().lower() == "[data]")
    except StopIteration:
        raise DataFormatError(
            f"{name}: a '[Header]' but no '[Data]' section; the file is truncated or not a MultiVu data file"
        ) from None
    info, other = _parse_header(lines[1:k])
    if k + 1 >= len(lines) or not lines[k + 1].strip():
        raise DataFormatError(f"{name}: the '[Data]' section has no column-name line; the file is truncated")
    header = [c.strip() for c in next(csv.reader([lines[k + 1]]))]
    body = lines[k + 2:]
    warnings: list[str] = []
    rows = list(csv.reader(io.StringIO("\n".join(body))))
    line_no = [k + 3 + i for i in range(len(rows))]
    keep = [i for i, r in enumerate(rows) if any(c.strip() for c in r)]
    rows = [rows[i] for i in keep]
    line_no = [line_no[i] for i in keep]
    if rows and not text.endswith(("\n", "\r")) and len(rows[-1]) < len(header):
        warnings.append(f"the last line ({line_no[-1]}) is cut off mid-row and was dropped (file truncated)")
        rows, line_no = rows[:-1], line_no[:-1]
    if not rows:
        raise DataFormatError(f"{name}: the '[Data]' section holds no rows")
    ncol = len(header)
    for r, ln in zip(rows, line_no):  # a row with a field lost or added would shift its values into other columns
        if len(r) != ncol:
            raise DataFormatError(
                f"{name}: line {ln} has {len(r)} fields but the column line (line {k + 2}) names {ncol}; every "
                f"row must have exactly {ncol} (empty fields included), otherwise its values land in the wrong "
                f"columns. The file is damaged (a field {'lost' if len(r) < ncol else 'added'}) - export it again "
                f"from MultiVu, or repair or delete line {ln}"
            )

    def column(col: str) -> np.ndarray:
        j = header.index(col)
        out = np.full(len(rows), np.nan)
        for i, r in enumerate(rows):
            v = r[j].strip() if j < len(r) else ""
            if v:
                try:
                    out[i] = float(v)
                except ValueError:
                    raise DataFormatError(
                        f"{name}: line {line_no[i]}, column {col!r}: {v[:40]!r} is not a number"
                    ) from None
        return out

    present = f"columns present: {', '.join(repr(h) for h in header[:30])}{' ...' if ncol > 30 else ''}"

    def find(cands: tuple[str, ...], what: str) -> str:
        found = _match_column(cands, header)  # the same quantity in another unit: the unit check names it
        if found is not None:
            return found
        raise DataFormatError(f"{name}: no {what} column (looked for {', '.join(repr(c) for c in cands)}); {present}")

    t_col = find(_TEMPERATURE, "temperature")
    h_col = find(_FIELD, "magnetic field")
    temperature = _to_si(column(t_col), t_col, "temperature", name, "K")
    field_si = _to_si(column(h_col), h_col, "magnetic field", name, "Oe")

    def error_column(err: str | None) -> str | None:
        return None if err is None else _match_column((err,), header, "magnetic moment")

    if moment_column is not None:
        if moment_column not in header:
            import difflib

            close = difflib.get_close_matches(moment_column, header, n=3, cutoff=0.4)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise ParameterError(f"{name}: no column {moment_column!r}{hint}")
        known = [e for m, e in MOMENT_COLUMNS if _match_column((m,), [moment_column], "magnetic moment") is not None]
        candidates = [(moment_column, error_column(known[0]) if known else None)]
    else:
        candidates = []
        for m, e in MOMENT_COLUMNS:  # each moment column, in emu or in another unit (Moment (Am2))
            found = _match_column((m,), header, "magnetic moment")
            if found is not None and found not in (c for c, _e in candidates):
                candidates.append((found, error_column(e)))
        if not candidates:
            moment_units = [u for u, (d, _f) in UNITS.items() if d == "magnetic moment"]
            raise DataFormatError(
                f"{name}: no magnetic moment column (looked for {', '.join(repr(m) for m, _e in MOMENT_COLUMNS)}, "
                f"or the same names in another moment unit ({', '.join(moment_units)}) such as 'Moment (Am2)'); "
                f"{present}; name the moment column with moment_column="
            )
    m_col, e_col = candidates[0]
    moment = column(m_col)
    for cand, err in candidates:
        values = column(cand)
        if np.any(np.isfinite(values)):
            m_col, e_col, moment = cand, err, values
            break
    moment = _to_si(moment, m_col, "magnetic moment", name, "emu")
    error = None
    if e_col is not None and e_col in header:  # an error column without a unit is in the moment's unit
        error = _to_si(column(e_col), e_col if _UNIT.search(e_col) else m_col, "magnetic moment", name, "emu")

    good = np.isfinite(temperature) & np.isfinite(field_si) & np.isfinite(moment)
    if not np.any(good):
        raise DataFormatError(
            f"{name}: no row has a temperature, a field and a moment ({m_col!r}) together; nothing to analyse"
        )
    if not np.all(good):
        warnings.append(f"{int(np.count_nonzero(~good))} of {good.size} rows without temperature, field or "
                        f"moment were dropped")
    time_s = None
    if "Time Stamp (sec)" in header:
        time_s = column("Time Stamp (sec)")[good]
    extra = {}
    used = {t_col, h_col, m_col, e_col, "Time Stamp (sec)"}
    for col in header:
        if col in used or not col or col == "Comment":
            continue
        try:
            vals = column(col)
        except DataFormatError:
            continue  # a text column
        if np.any(np.isfinite(vals)):
            extra[col] = vals[good]

    mass_mg = _header_number(info, ("SAMPLE_MASS", "WEIGHT"), "sample mass", name, warnings)
    molar = _header_number(info, ("SAMPLE_MOLECULAR_WEIGHT",), "molar mass", name, warnings)
    instrument = other.get("application") or (other.get("comment", "").split(" ")[0] or "Quantum Design")
    metadata: dict[str, Any] = {
        "instrument": instrument,
        "file_name": name,
        "format": "quantum_design_dat",
        "sample_mass_kg": None if mass_mg is None else float(from_user(mass_mg, "mg", "mass")),
        "molar_mass_kg_mol": None if molar is None else float(from_user(molar, "g/mol", "molar mass")),
        "material": info.get("SAMPLE_MATERIAL") or None,
        "moment_column": m_col,
        "header": info,
        "warnings": warnings,
        **{k: v for k, v in other.items() if k != "comment"},
    }
    return MagnetometryData(
        temperature_K=temperature[good], field_A_m=field_si[good], moment_A_m2=moment[good],
        moment_error_A_m2=None if error is None else error[good], time_s=time_s, metadata=metadata, extra=extra,
    )
