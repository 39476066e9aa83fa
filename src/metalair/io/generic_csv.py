"""Delimited-text helpers shared by the text readers, and the generic CSV reader.

The generic reader takes a ``column_map`` from canonical names to the file's
column names, e.g.::

    read_generic_csv("run.csv", {
        "time_s": "Time (s)",
        "voltage_V": "Ecell/V",
        "current_A": ("I/mA", -1e-3),   # mA, and the file counts charge positive
    })

A value is either a column name, whose unit is read from the name when it
carries one (``"I/mA"``, ``"Current (mA)"``, ``"Current [mA]"``), or a pair
``(column name, unit or factor)`` where the factor multiplies the file's
numbers into the canonical unit (s, V, A, Ah, Wh). A negative factor flips the
sign: the canonical current is positive on discharge.
"""

from __future__ import annotations

import difflib
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from metalair.errors import DataFormatError, ParameterError
from metalair.io._text_columns import decimal_comma_fields
from metalair.io.detect import require_file, utf16_message, utf16_text
from metalair.tables.cycler import (
    CyclerData,
    classify_by_direction,
    infer_steps_from_current,
    per_step_accumulated,
    running_step,
    signed_like_current,
)
from metalair.units import UNITS, convert, dimension_of, find_unit, from_user, units_of

__all__ = ["read_generic_csv", "CANONICAL_COLUMNS", "unit_factor", "split_unit_text", "unknown_unit_error",
           "unknown_unit_text"]

#: Canonical column names a ``column_map`` may use, with their units.
CANONICAL_COLUMNS: dict[str, str] = {
    "time_s": "time",
    "voltage_V": "voltage",
    "current_A": "current",
    "step": "count",
    "cycle": "count",
    "step_type": "text",
    "capacity_Ah": "capacity",
    "energy_Wh": "energy",
}
_REQUIRED = ("time_s", "voltage_V", "current_A")

#: The unit each kind of canonical column is stored in (``CyclerData`` holds s, V, A, Ah, Wh),
#: with the dimension :mod:`metalair.units` gives it.
_COLUMN_UNITS: dict[str, tuple[str, str]] = {
    "time": ("s", "time"),
    "voltage": ("V", "potential"),
    "current": ("A", "current"),
    "capacity": ("Ah", "charge"),
    "energy": ("Wh", "energy"),
}
_UNIT_IN_NAME = re.compile(r"(?:/\s*([^/()\[\]]+?)\s*$)|(?:[(\[]\s*([^()\[\]]+?)\s*[)\]]\s*$)")


def _column_unit(unit: str, dimension: str | None) -> tuple[str, str] | None:
    """(unit as :mod:`metalair.units` spells it, column kind) for a unit as a file writes it."""
    kinds = [dimension] if dimension is not None else list(_COLUMN_UNITS)
    for kind in kinds:
        found = find_unit(unit, _COLUMN_UNITS[kind][1]) if kind in _COLUMN_UNITS else None
        if found is not None:
            return found, kind
    return None


def unit_factor(unit: str, dimension: str | None = None) -> float:
    """Factor from ``unit`` to the canonical column unit (s, V, A, Ah, Wh), through :mod:`metalair.units`.

    Parameters
    ----------
    unit : str
        As a file writes it, in any case (``"mA"``, ``"MAH"``, ``"µA.h"``).
    dimension : {"time", "voltage", "current", "capacity", "energy"}, optional
        The kind of column; any of them when omitted.

    Raises
    ------
    ParameterError
        For an unknown unit or one of another dimension.
    """
    found = _column_unit(unit, dimension)
    if found is None:
        other = _column_unit(unit, None)
        if other is not None:
            raise ParameterError(f"unit {unit!r} is a {other[1]} unit, but a {dimension} unit is needed here")
        kinds = [dimension] if dimension in _COLUMN_UNITS else list(_COLUMN_UNITS)
        known = sorted(u for u, (d, _f) in UNITS.items() if d in {_COLUMN_UNITS[k][1] for k in kinds})
        raise ParameterError(f"unknown unit {unit!r}; known units: {', '.join(known)}")
    spelled, kind = found
    return float(convert(1.0, spelled, _COLUMN_UNITS[kind][0]))


#: A unit written as the last part of a snake_case name: ``current_mA``, ``time_s``, ``voltage_V``.
_UNIT_SUFFIX = re.compile(r"_([A-Za-zµμΩ°/]+)$")


def split_unit_text(name: str) -> tuple[str, str | None]:
    """A column name without its unit, and the unit text, recognised or not.

    The unit is the text after the last slash or inside closing brackets:
    ``"I/mA"`` -> ``("I", "mA")``, ``"Time (days)"`` -> ``("Time", "days")``,
    ``"t"`` -> ``("t", None)``. Whether :mod:`metalair.units` knows the unit
    is for the caller to check.

    Parameters
    ----------
    name : str
        A column name as the file writes it.

    Returns
    -------
    (str, str or None)
        The name before the unit (stripped), and the unit text (``None`` when
        the name carries none).
    """
    text = name.strip()
    match = _UNIT_IN_NAME.search(text)
    if match is None:
        return text, None
    return text[: match.start()].strip(), match.group(1) or match.group(2)


def _bracketed_unit(name: str) -> str | None:
    """The text after a slash or in closing brackets of a column name (``"I/mA"``, ``"I (mA)"``), or None."""
    return split_unit_text(name)[1]


def _mangled_unit(unit: str) -> str | None:
    """Why ``unit`` looks like an encoding accident (``"ÂµA"``: ``"µA"`` read with the wrong code page), or None."""
    for encoding in ("cp1252", "latin-1"):
        try:
            repaired = unit.encode(encoding).decode("utf-8")
        except UnicodeError:
            continue
        if repaired != unit:
            return (f"{unit!r} looks like an encoding problem: it is probably {repaired!r}, written as UTF-8 and read "
                    "back (or saved again) as Windows-1252/Latin-1 (save the file as UTF-8 again)")
    if "\ufffd" in unit:
        return (f"{unit!r} looks like an encoding problem: a character (often µ) was replaced by '\ufffd' when the "
                "file was saved in another encoding (save it as UTF-8 again)")
    return None


def unknown_unit_error(file_name: str, column: str, unit: str, what: str, dimension: str,
                       remedy: str) -> DataFormatError:
    """The error for a column whose name carries a unit that is not read for its quantity.

    Parameters
    ----------
    file_name : str
        Named first in the message.
    column : str
        The column name as the file writes it.
    unit : str
        The unit text the name carries (``"days"``, ``"ÂµA"``).
    what : str
        The quantity in words (``"time"``, ``"current"``).
    dimension : str
        Its dimension in :data:`metalair.units.UNITS`, whose units are listed
        as the accepted ones.
    remedy : str
        What the user can do, appended to the message.

    Returns
    -------
    DataFormatError
        Naming the column, the unit, what it is if another quantity's unit,
        an encoding accident if it looks like one, and the accepted units.
    """
    return DataFormatError(f"{file_name}: {unknown_unit_text(column, unit, what, dimension)}. {remedy}")


def unknown_unit_text(column: str, unit: str, what: str, dimension: str) -> str:
    """Why a column's unit is not read (:func:`unknown_unit_error` without the file name and the remedy)."""
    article = "an" if what[:1] in "aeiou" else "a"
    message = f"column {column!r} carries the unit {unit!r}, which is not {article} {what} unit"
    other = find_unit(unit.replace("^", ""))
    if other is not None:
        message += f" (it is a {dimension_of(other)} unit)"
    mangled = _mangled_unit(unit)
    if mangled is not None:
        message += f"; {mangled}"
    return f"{message}; accepted {what} units: {', '.join(units_of(dimension))}"


def _refuse_per_gram(name: str, key: str, file_name: str) -> None:
    """Refuse a column whose name carries a per-mass unit (``Current [mA/g]``): read as A it would be ~1000x off."""
    unit = _bracketed_unit(name)
    if unit is None or "/" not in unit:
        return
    per, _, mass = unit.rpartition("/")
    if mass.strip() not in ("g", "kg", "mg") or _column_unit(per.strip(), CANONICAL_COLUMNS[key]) is None:
        return
    raise ParameterError(
        f"{file_name}: column {name!r} is per {mass.strip()} of catalyst ({unit}), and {key} is per cell: give its "
        f"factor in column_map, e.g. {key}=({name!r}, FACTOR) with FACTOR converting {unit} times your mass to "
        f"{key.rsplit('_', 1)[1]} (a time series metalair wrote is read without column_map)")


def unit_from_name(name: str) -> str | None:
    """The unit a column name carries (``"I/mA"``, ``"I (mA)"``, ``"current_mA"`` -> ``"mA"``), or ``None``."""
    unit = _bracketed_unit(name)
    if unit is not None:
        return unit if _column_unit(unit, None) is not None else None
    suffix = _UNIT_SUFFIX.search(name.strip())
    if suffix and suffix.group(1) in UNITS:  # exactly as the units table writes it: 'mA' yes, 'Na' (nA?) no
        return suffix.group(1)
    return None


# ---------------------------------------------------------------------------
# delimited text
# ---------------------------------------------------------------------------
@dataclass
class TextTable:
    """Columns of a delimited text file, as strings, with line numbers for messages."""

    file_name: str
    names: list[str]
    columns: dict[str, list[str]]
    first_data_line: int  # 1-based line number of the first data row
    header_lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    decimal_comma: bool = False
    line_offsets: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def has(self, name: str) -> bool:
        return name in self.columns

    def find(self, *candidates: str) -> str | None:
        """First of ``candidates`` present (exact, then case-insensitive)."""
        for cand in candidates:
            if cand in self.columns:
                return cand
        lower = {n.lower(): n for n in self.names}
        for cand in candidates:
            if cand.lower() in lower:
                return lower[cand.lower()]
        return None

    def require(self, what: str, *candidates: str) -> str:
        """Like :meth:`find`, but raise a helpful error when none is present."""
        found = self.find(*candidates)
        if found is None:
            close = difflib.get_close_matches(candidates[0], self.names, n=3, cutoff=0.4)
            hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise DataFormatError(
                f"{self.file_name}: no {what} column (looked for {', '.join(repr(c) for c in candidates)}); "
                f"columns present: {', '.join(repr(n) for n in self.names)}.{hint} Export the file with "
                f"this column, or read it with format='csv' and a column_map naming the right one"
            )
        return found

    def floats(self, name: str, *, allow_empty: bool = False) -> np.ndarray:
        """A column as floats; a text that is not a number raises with its line number."""
        values = self.columns[name]
        if self.decimal_comma:
            values = [v.replace(",", ".") for v in values]
        try:
            arr = np.array([v if v.strip() else "nan" for v in values], dtype=float)
        except ValueError:
            for i, v in enumerate(values):
                try:
                    float(v if v.strip() else "nan")
                except ValueError:
                    raise DataFormatError(
                        f"{self.file_name}: line {self.first_data_line + self.line_offsets[i]}, column "
                        f"{name!r}: {v[:40]!r} is not a number; the file is damaged or this is not the "
                        "expected export"
                    ) from None
            raise  # pragma: no cover - unreachable
        if not allow_empty:
            empty = np.flatnonzero(np.isnan(arr) & np.array([not v.strip() for v in values]))
            if empty.size:
                line = self.first_data_line + self.line_offsets[int(empty[0])]
                raise DataFormatError(
                    f"{self.file_name}: column {name!r} is empty in {empty.size} rows (first at line "
                    f"{line}); the file is damaged or incomplete"
                )
        return arr


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def read_text(path: Path) -> str:
    """Whole file as text (UTF-8, else Windows-1252, else Latin-1)."""
    raw = path.read_bytes()
    if not raw:
        raise DataFormatError(f"{path.name}: the file is empty (0 bytes); it was not saved or copied completely")
    if utf16_text(raw[:4096]):
        raise DataFormatError(utf16_message(path.name))
    if b"\x00" in raw[:65536]:
        raise DataFormatError(f"{path.name}: binary content where a text export was expected; "
                              "the file is damaged or of another format")
    return _decode(raw)


def sniff_delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in ("\t", ";", ",")}
    best = max(counts, key=lambda d: counts[d])
    if counts[best] == 0:
        raise DataFormatError("no delimiter (tab, ';' or ',') in the header line")
    return best


def split_table(
    text: str,
    file_name: str,
    header_index: int,
    *,
    delimiter: str | None = None,
    skip_after_header: int = 0,
    pad_short_rows: bool = False,
) -> TextTable:
    """Split ``text`` into columns; the header is line ``header_index`` (0-based).

    Blank lines are skipped. A last line with fewer fields than the header is
    a record cut off when the file was copied or the test was still writing:
    it is dropped and reported. A short line anywhere else is damage and
    raises :class:`DataFormatError`.

    With ``pad_short_rows`` (EC-Lab exports, whose header may name more
    columns than the data rows carry, e.g. the counter-electrode columns of
    impedance exports "with ECE"), rows that all share the same shorter
    length are valid: the missing trailing fields are left empty and a note
    says so. Only a row shorter than that common length is then damage (or,
    as the last line, a cut-off record).
    """
    lines = text.splitlines()
    if header_index >= len(lines):
        raise DataFormatError(
            f"{file_name}: the header says the column names are on line {header_index + 1}, but the file "
            f"has only {len(lines)} lines; it is truncated"
        )
    header = lines[header_index]
    try:
        delim = delimiter or sniff_delimiter(header)
    except DataFormatError:
        raise DataFormatError(
            f"{file_name}: line {header_index + 1} should hold the column names but has no delimiter") from None
    names = [n.strip() for n in header.split(delim)]
    while names and not names[-1]:
        names.pop()
    if len(set(names)) != len(names):
        seen: dict[str, int] = {}
        unique = []
        for n in names:
            seen[n] = seen.get(n, 0) + 1
            unique.append(n if seen[n] == 1 else f"{n}.{seen[n] - 1}")
        names = unique
    ncol = len(names)
    rows: list[list[str]] = []
    offsets: list[int] = []
    warnings: list[str] = []
    notes: list[str] = []
    start = header_index + 1 + skip_after_header
    body = [(i, ln) for i, ln in enumerate(lines[start:], start=start) if ln.strip()]
    short_ok = ncol
    if pad_short_rows and body:
        counts = np.array([len(ln.rstrip("\r\n").split(delim)) for _, ln in body[:1000]])
        common = int(np.bincount(counts).argmax())
        if common < ncol:
            short_ok = common
            notes.append(
                f"the data rows carry {common} fields but the header names {ncol} columns; the last "
                f"{ncol - common} columns ({', '.join(names[common:])}) are empty in this export"
            )
    for k, (i, line) in enumerate(body):
        fields = line.split(delim)
        if short_ok <= len(fields) < ncol:
            fields = fields + [""] * (ncol - len(fields))
        used = len(fields)
        while used > ncol and not fields[used - 1].strip():
            used -= 1
        if used > ncol:
            raise DataFormatError(
                f"{file_name}: line {i + 1} has {used} values but the header names only {ncol} columns; "
                "a column name is missing from the header (or the delimiter is wrong), so columns cannot "
                "be matched to their values - export the file again with its full header"
            )
        if len(fields) < ncol:
            stripped = [f for f in fields]
            if k == len(body) - 1:
                warnings.append(
                    f"the last line ({i + 1}) is incomplete ({len(stripped)} of {ncol} fields): the file "
                    "was cut off while being written or copied; that record was dropped"
                )
                break
            raise DataFormatError(
                f"{file_name}: line {i + 1} has {len(fields)} fields but the header has {ncol}; "
                "the file is damaged (lines lost or joined) - export it again"
            )
        rows.append(fields[:ncol])
        offsets.append(i - start)
    if not rows:
        raise DataFormatError(
            f"{file_name}: the column names are on line {header_index + 1} but no data rows follow; the export "
            "holds no measurement yet (was it saved before the first point was logged?)"
        )
    columns = {name: [r[j].strip() for r in rows] for j, name in enumerate(names)}
    table = TextTable(
        file_name=file_name,
        names=names,
        columns=columns,
        first_data_line=start + 1,
        header_lines=lines[:header_index],
        warnings=warnings,
        notes=notes,
    )
    table.line_offsets = offsets
    table.decimal_comma = delim != "," and decimal_comma_fields([f.strip() for r in rows[:50] for f in r], file_name,
                                                                delim)
    return table


_DURATION = re.compile(r"^\s*(?:(\d+)\s*(?:d|-|\s)\s*)?(\d+):(\d{1,2}):(\d{1,2}(?:[.,]\d*)?)\s*$")


def parse_durations(values: list[str], file_name: str, column: str) -> np.ndarray:
    """``"hh:mm:ss.fff"`` (hours may exceed 24, optional ``"d-"`` day prefix) -> seconds."""
    out = np.empty(len(values))
    for i, v in enumerate(values):
        m = _DURATION.match(v)
        if m is None:
            try:
                out[i] = float(v.replace(",", "."))
                continue
            except ValueError:
                raise DataFormatError(
                    f"{file_name}: column {column!r}, row {i + 1}: {v[:40]!r} is not a duration (hh:mm:ss)"
                ) from None
        days = int(m.group(1) or 0)
        out[i] = (from_user(days, "d") + from_user(int(m.group(2)), "h") + from_user(int(m.group(3)), "min")
                  + float(m.group(4).replace(",", ".")))
    return out


def normalise_step_type(text: str) -> str:
    """Map a vendor step/mode name to one of the canonical step types."""
    t = text.strip().lower().replace("_", " ").replace("-", " ")
    if not t:
        return "other"
    if t in ("r", "rest", "pause", "ocv", "open circuit", "relax", "relaxation") or "rest" in t or "ocv" in t:
        return "rest"
    words = t.split()
    if t.startswith("cv") and "cccv" not in t:
        return "hold"
    if "hold" in t or "potentiostat" in t:
        return "hold"
    if t in ("d", "dchg", "discharge") or any(w.startswith(("dch", "dis")) for w in words) or t.endswith("dchg"):
        return "discharge"
    if t in ("c", "chg", "charge") or any(w.startswith(("ch", "chg")) for w in words) or t.endswith("chg"):
        return "charge"
    return "other"


# ---------------------------------------------------------------------------
# generic reader
# ---------------------------------------------------------------------------
def _resolve_map(column_map: Mapping[str, Any], table: TextTable) -> dict[str, tuple[str, float | None]]:
    resolved: dict[str, tuple[str, float | None]] = {}
    for key, spec in column_map.items():
        if key not in CANONICAL_COLUMNS:
            close = difflib.get_close_matches(key, list(CANONICAL_COLUMNS), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ParameterError(
                f"column_map key {key!r} is not a canonical column{hint} Allowed: {', '.join(CANONICAL_COLUMNS)}"
            )
        factor: float | None = None
        if isinstance(spec, (tuple, list)):
            if len(spec) != 2:
                raise ParameterError(
                    f"column_map[{key!r}] must be a name or a (name, unit or factor) pair, got {spec!r}")
            name, unit = spec
            if isinstance(unit, str):
                factor = unit_factor(unit, CANONICAL_COLUMNS[key])
            else:
                try:
                    factor = float(unit)
                except (TypeError, ValueError):
                    factor = math.nan
                if isinstance(unit, bool) or not (math.isfinite(factor) and factor != 0):
                    raise ParameterError(
                        f"column_map[{key!r}] = {spec!r}: the factor {unit!r} must be a finite, non-zero number "
                        "that turns the column into the canonical unit (e.g. 1e-3 for mA, -1e-3 for mA counted "
                        "positive on charge), or a unit name such as 'mA'"
                    )
        else:
            name = spec
        name = str(name)
        if name not in table.columns:
            close = difflib.get_close_matches(name, table.names, n=3, cutoff=0.4)
            hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise DataFormatError(
                f"{table.file_name}: column {name!r} (given for {key}) is not in the file; columns present: "
                f"{', '.join(repr(n) for n in table.names)}.{hint}"
            )
        resolved[key] = (name, factor)
    return resolved


#: A reference electrode after the unit (``"V vs Na/Na+"``, ``"mV vs. Na+/Na"``): the unit is the first word.
_REFERENCE = re.compile(r"\s+vs\.?\s.*$", re.IGNORECASE)


#: Words that name a unit metalair does not read (so a column carrying one is refused, not taken in the base unit).
_UNIT_WORDS = re.compile(r"(?i)^(weeks?|months?|years?|yrs?|fortnights?|amperes?|milliamps?|microamps?|"
                         r"millivolts?|coulombs?|joules?|watts?|ohms?|kelvin|celsius|fahrenheit|[mukn]?[AVWJ][sh]?r?)$")


def _looks_like_a_unit(text: str) -> bool:
    """Whether a word in a column name's brackets is a unit's name or symbol (metalair knows it or not)."""
    return _UNIT_WORDS.match(text.strip()) is not None


def _header_factor(name: str, key: str, file_name: str, notes: list[str]) -> float:
    """Factor from the unit column ``name`` carries to the canonical unit of ``key``.

    A name without a unit is taken in the canonical unit, with a note. A name
    with a unit that is not one of ``key``'s quantity raises: read as the
    canonical unit it would be silently off by the ratio of the two.

    Raises
    ------
    ParameterError
        A per-mass unit (``mA/g``): its factor needs the catalyst mass.
    DataFormatError
        Any other unit that is not a unit of the quantity.
    """
    kind = CANONICAL_COLUMNS[key]
    canonical_unit, dimension = _COLUMN_UNITS[kind]
    unit = _bracketed_unit(name)
    if unit is None:
        suffix = unit_from_name(name)  # snake case: "current_mA"
        if suffix is not None:
            return unit_factor(suffix, kind)
        notes.append(f"column {name!r} carries no unit; assumed {canonical_unit}")
        return 1.0
    found = _column_unit(_REFERENCE.sub("", unit), kind)
    if found is not None:
        return float(convert(1.0, found[0], canonical_unit))
    _refuse_per_gram(name, key, file_name)
    if re.fullmatch(r"[A-Za-z]+", unit.strip()) and find_unit(unit) is None and not _looks_like_a_unit(unit):
        # a word, not a unit: 'Voltage (cell)', 'Current (avg)', 'Ewe/V vs. Li+/Li' read as '... / Li'
        notes.append(f"column {name!r}: {unit!r} is not a unit; the column is taken in {canonical_unit}")
        return 1.0
    raise unknown_unit_error(
        file_name, name, unit, kind, dimension,
        f"If the column is in one of them, give that unit in column_map: {{{key!r}: ({name!r}, 'UNIT')}}; else "
        f"give the factor that turns it into {canonical_unit}: {{{key!r}: ({name!r}, FACTOR)}}")


def _find_header(lines: list[str], wanted: list[str], file_name: str) -> int:
    best, best_hits = 0, -1
    for i, line in enumerate(lines[:500]):
        hits = sum(w in line for w in wanted)
        if hits == len(wanted):
            return i
        if hits > best_hits:
            best, best_hits = i, hits
    missing = [w for w in wanted if w not in lines[best]] if lines else wanted
    header = lines[best].strip() if lines else ""
    shown = header if len(header) <= 200 else header[:200] + "..."
    raise DataFormatError(
        f"{file_name}: no line in the first 500 holds all the mapped column names: "
        f"{', '.join(repr(w) for w in missing)} {'is' if len(missing) == 1 else 'are'} missing from the likeliest "
        f"header (line {best + 1}: {shown!r}); check column_map against it"
    )


def read_generic_csv(
    path: str | os.PathLike[str],
    column_map: Mapping[str, Any],
    *,
    delimiter: str | None = None,
    mass_g: float | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> tuple[CyclerData, list[str]]:
    """Read a delimited text file whose columns are named by ``column_map``.

    Files of :data:`metalair.io.streaming.STREAM_THRESHOLD_BYTES` or more are
    read in chunks (peak memory a few times the file size); smaller ones in
    one piece. Both give the same table and the same messages.

    Parameters
    ----------
    path : path-like
        The file; the header may follow any number of preamble lines (the
        first line that holds every mapped name is taken as the header).
    column_map : mapping
        Canonical name (``time_s``, ``voltage_V``, ``current_A``, and
        optionally ``step``, ``cycle``, ``step_type``, ``capacity_Ah``,
        ``energy_Wh``) to a column name or a ``(name, unit or factor)`` pair.
    delimiter : str, optional
        Tab, comma or semicolon; sniffed from the header when omitted.
        Decimal commas are recognised with tab or semicolon delimiters.
    mass_g : float, optional
        Catalyst mass to store in the metadata.
    progress : callable, optional
        ``progress("read", bytes_done, bytes_total)`` while a large file is read.

    Returns
    -------
    (CyclerData, list of str)
        The table (not yet checked) and the reader's warnings.
    """
    path = Path(path)
    for key in column_map:
        if key not in CANONICAL_COLUMNS:
            close = difflib.get_close_matches(key, list(CANONICAL_COLUMNS), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else "."
            raise ParameterError(
                f"column_map key {key!r} is not a canonical column{hint} Allowed: {', '.join(CANONICAL_COLUMNS)}"
            )
    missing = [k for k in _REQUIRED if k not in column_map]
    if missing:
        raise ParameterError(
            f"column_map must name the columns for {', '.join(missing)}; e.g. "
            "{'time_s': 'Time (s)', 'voltage_V': 'Ecell/V', 'current_A': ('I/mA', 'mA')}"
        )
    from metalair.io import streaming

    wanted = [str(v[0] if isinstance(v, (tuple, list)) else v) for v in column_map.values()]
    require_file(path)
    stream = path.stat().st_size >= streaming.STREAM_THRESHOLD_BYTES
    if stream:
        head, encoding = streaming.read_head(path)
        header = _find_header(head, wanted, path.name)
        # the header region and the first rows, parsed the usual way, give names, delimiter and decimal mark
        table = split_table("\n".join(head[: header + 51]), path.name, header, delimiter=delimiter)
    else:
        text = read_text(path)
        lines = text.splitlines()
        header = _find_header(lines, wanted, path.name)
        table = split_table(text, path.name, header, delimiter=delimiter)
        del text, lines
        if progress is not None:
            progress("read", 1, 1)
    resolved = _resolve_map(column_map, table)
    unit_notes: list[str] = []
    factors: dict[str, float] = {}  # before the data are read: a unit that is not understood fails at once
    for key, (name, given) in resolved.items():
        if CANONICAL_COLUMNS[key] in _COLUMN_UNITS:
            factors[key] = given if given is not None else _header_factor(name, key, path.name, unit_notes)
    problems: list[str] = [] if stream else list(table.warnings)
    notes: list[str] = []
    if stream:
        delim = delimiter or sniff_delimiter(head[header])
        numeric = sorted({name for key, (name, _) in resolved.items() if CANONICAL_COLUMNS[key] != "text"})
        texts = sorted({name for key, (name, _) in resolved.items() if CANONICAL_COLUMNS[key] == "text"})
        floats, strings, stream_warnings = streaming.stream_columns(
            path, encoding, header, delim, table.names, numeric, texts,
            decimal_comma=table.decimal_comma, progress=progress)
        problems.extend(stream_warnings)
        notes.append(f"read in chunks of {streaming.CHUNK_LINES} lines (large file)")
    notes.extend(unit_notes)
    values: dict[str, np.ndarray] = {}
    for key, (name, _given) in resolved.items():
        dim = CANONICAL_COLUMNS[key]
        if dim == "text":
            raw = strings[name] if stream else table.columns[name]
            kinds = {v: normalise_step_type(v) for v in set(raw)}
            values[key] = np.array([kinds[v] for v in raw])
            continue
        arr = floats[name] if stream else table.floats(name)
        if dim == "count":
            values[key] = arr
            continue
        factor = factors[key]
        if stream and factor != 1.0:
            arr *= factor  # the streamed column is this reader's own: scale it in place (peak memory)
            values[key] = arr
        else:
            values[key] = arr * factor if factor != 1.0 else arr
    current = values["current_A"]
    if "step" in values:
        step = running_step(values["step"], values.get("cycle", values["step"]))
    elif "step_type" in values:
        step = running_step(values["step_type"])
    else:
        step, inferred_types = infer_steps_from_current(current)
    if "step_type" in values:
        step_type = values["step_type"]
    elif "step" not in values:
        step_type = inferred_types  # steps split where the sign of the current changes: one kind per step
    else:
        step_type = classify_by_direction(current, step)
    if "cycle" in values:
        cycle = values["cycle"].astype(np.int64)
        if cycle.size and cycle.min() == 0:
            cycle = cycle + 1
            notes.append("cycle numbers in the file count from 0; shifted to count from 1")
    else:
        cycle = np.ones(len(current), dtype=np.int64)
    capacity = values.get("capacity_Ah")
    if capacity is not None:
        capacity = signed_like_current(per_step_accumulated(capacity, step), current, step)
    energy = values.get("energy_Wh")
    if energy is not None:
        energy = signed_like_current(per_step_accumulated(energy, step), current, step)
    for handed in (values.get("time_s"), values.get("voltage_V"), current, step, cycle, step_type, capacity, energy):
        if isinstance(handed, np.ndarray):
            handed.setflags(write=False)  # handed over to the table: shared, not copied (peak memory)
    data = CyclerData(
        time_s=values["time_s"],
        voltage_V=values["voltage_V"],
        current_A=current,
        step=step,
        cycle=cycle,
        step_type=step_type,
        capacity_Ah=capacity,
        energy_Wh=energy,
        metadata={
            "instrument": "unknown (generic CSV)",
            "software_version": None,
            "file_name": path.name,
            "format": "csv",
            "mass_g": mass_g,
            "column_map": {k: v[0] for k, v in resolved.items()},
            "cycle_numbering": f"column {resolved['cycle'][0]!r}" if "cycle" in resolved else "none in file",
            "cycle_numbering_source": "file" if "cycle" in resolved else None,
            "notes": notes,
        },
    )
    if "cycle" not in values:
        data = data.renumber_cycles("auto")
    return data, problems
