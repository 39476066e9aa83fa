"""Reading DEMS inputs: a current record and a calibrated gas-flux record (CSV).

Current CSV: a time column (``Time (s)``, ``t/min``, ``time/h`` ...) and a
current column with its unit (``I/mA``, ``Current (A)``). The sign is taken
as positive on discharge; pass ``discharge_sign=-1`` for files that count
charge (oxidation at the air electrode) as positive, as EC-Lab does.

Gas CSV: a time column and one column per gas named after the gas with a
molar-flux unit, e.g. ``O2 (nmol/s)``, ``CO2/umol/min``, ``H2O [mol/s]``.
Fluxes are taken as positive for evolution; pass ``evolution_sign=-1`` when
the file counts consumption as positive.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import numpy as np

from metalair.errors import DataFormatError, ParameterError
from metalair.io._text_columns import is_number, numeric_block
from metalair.io.checks import DataQualityWarning
from metalair.io.detect import as_path, require_file
from metalair.io.generic_csv import read_text, split_unit_text, unknown_unit_error, unknown_unit_text
from metalair.tables.dems import CurrentRecord, GasFluxRecord
from metalair.units import find_unit, from_user, units_of

__all__ = ["read_current_record", "read_gas_flux"]



def _units(dimension: str) -> str:
    """The units :mod:`metalair.units` accepts for ``dimension``, for error messages."""
    return ", ".join(units_of(dimension))


_GASES = ("O2", "CO2", "H2O", "H2", "N2", "CO")


def _table(path: Path) -> tuple[list[str], np.ndarray]:
    require_file(path)
    lines = read_text(path).splitlines()
    first = next((i for i, ln in enumerate(lines)
                  if ln.strip() and all(is_number(f) for f in re.split(r"[\t;,]", ln.strip()) if f.strip())), None)
    if first is None or first == 0:
        raise DataFormatError(f"{path.name}: need a header line with column names and units, then rows of numbers")
    head = lines[first - 1]
    delim = next((d for d in ("\t", ";", ",") if d in head), None)
    if delim is None:
        raise DataFormatError(f"{path.name}: the header line has no delimiter (tab, ';' or ',')")
    names = [n.strip().strip('"') for n in head.split(delim)]
    block = numeric_block(lines, first, path.name, names=names, delimiter=delim, stop_at_text=False)
    return block.names, block.values


def _is_time(name: str) -> bool:
    base = split_unit_text(name)[0].lower()
    return base in ("t", "time", "elapsed time", "time_s") or base.startswith("time")


def _time_column(names: list[str]) -> int | None:
    """Index of the time column (the first one named as time), or None."""
    return next((k for k, n in enumerate(names) if _is_time(n)), None)


def _time(names: list[str], values: np.ndarray, file_name: str) -> np.ndarray:
    for k, n in enumerate(names):
        base, unit = split_unit_text(n)
        if _is_time(n):
            known = find_unit(unit, "time") if unit is not None else "s"  # no unit: seconds
            if known is None:
                raise unknown_unit_error(file_name, n, str(unit), "time", "time",
                                         "Write the time in one of them and name its unit, e.g. 'Time (h)'")
            return np.asarray(from_user(values[:, k], known, "time"), dtype=float)
    raise DataFormatError(f"{file_name}: no time column among {', '.join(repr(n) for n in names)}")


def _timed_table(path: str | os.PathLike[str], sign_name: str,
                 sign: int) -> tuple[Path, list[str], np.ndarray, np.ndarray]:
    """Check the sign convention, read the table and its time column [s]: (path, names, values, time)."""
    if sign not in (1, -1):
        raise ParameterError(f"{sign_name} must be +1 or -1, got {sign!r}")
    p = as_path(path)
    names, values = _table(p)
    return p, names, values, _time(names, values, p.name)


def read_current_record(path: str | os.PathLike[str], *, discharge_sign: int = 1) -> CurrentRecord:
    """Read a current-vs-time CSV (see the module notes)."""
    path, names, values, t = _timed_table(path, "discharge_sign", discharge_sign)
    for k, n in enumerate(names):
        base, unit = split_unit_text(n)
        if base.lower() in ("i", "current", "<i>") or base.lower().startswith("current"):
            known = find_unit(unit, "current") if unit is not None else None
            if unit is not None and known is None:
                raise unknown_unit_error(path.name, n, unit, "current", "current",
                                         "Write the current in one of them and name its unit, e.g. 'I (mA)'")
            if known is None:
                raise DataFormatError(f"{path.name}: current column {n!r} needs a unit ({_units('current')})")
            return CurrentRecord(t, discharge_sign * np.asarray(from_user(values[:, k], known, "current"), dtype=float),
                                 {"file_name": path.name, "current_column": n, "discharge_sign": discharge_sign})
    raise DataFormatError(f"{path.name}: no current column among {', '.join(repr(n) for n in names)}")


def read_gas_flux(path: str | os.PathLike[str], *, evolution_sign: int = 1) -> GasFluxRecord:
    """Read a calibrated gas-flux CSV (see the module notes).

    Every column that is neither the time nor a gas read is named in ``metadata["notes"]`` (and a
    :class:`DataQualityWarning`), and listed in ``metadata["unread_columns"]``. Two columns of one gas
    (``O2 (nmol/s)`` and ``O2 (umol/s)``) are refused: which one is the calibrated flux is not known.
    """
    path, names, values, t = _timed_table(path, "evolution_sign", evolution_sign)
    time_col = _time_column(names)
    fluxes: dict[str, np.ndarray] = {}
    source: dict[str, str] = {}
    skipped: list[str] = []
    unread: list[str] = []
    for k, n in enumerate(names):
        if k == time_col:
            continue
        base, unit = split_unit_text(n)
        gas = next((g for g in _GASES if re.fullmatch(rf"{g}(\s*flux)?", base.strip(), re.IGNORECASE)), None)
        if gas is None:
            unread.append(n)
            skipped.append(f"column {n!r} is not one of the gases read ({', '.join(_GASES)}, each named alone or "
                           "as '<gas> flux', e.g. 'O2 (nmol/s)')")
            continue
        known = find_unit(unit, "amount rate") if unit is not None else None
        if unit is not None and known is None and find_unit(unit) is None:
            # a raw or annotated column beside the calibrated ones ('CO2 (m/z 44)', 'O2 (raw)'): not read, and said
            unread.append(n)
            skipped.append(unknown_unit_text(n, unit, "molar-flux", "amount rate"))
            continue
        if known is None:
            raise DataFormatError(
                f"{path.name}: gas column {n!r} needs a molar-flux unit ({_units('amount rate')}); calibrate the ion "
                "currents into molar fluxes first"
            )
        if gas in fluxes:
            raise DataFormatError(
                f"{path.name}: columns {source[gas]!r} and {n!r} are both {gas} fluxes; keep only the calibrated one "
                "(delete or rename the other, e.g. 'O2 raw'), as which one to read is not known")
        fluxes[gas] = evolution_sign * np.asarray(from_user(values[:, k], known, "amount rate"), dtype=float)
        source[gas] = n
    if not fluxes:
        raise DataFormatError(
            f"{path.name}: no gas column among {', '.join(repr(n) for n in names)}; name them e.g. 'O2 (nmol/s)'"
            + (f" ({'; '.join(skipped)})" if skipped else ""))
    for text in skipped:
        warnings.warn(f"{path.name}: {text}; the column was not read", DataQualityWarning, stacklevel=2)
    return GasFluxRecord(t, fluxes, {"file_name": path.name, "notes": [f"not read: {t_}" for t_ in skipped],
                                     "unread_columns": unread, "gas_columns": dict(source),
                                     "evolution_sign": evolution_sign})
