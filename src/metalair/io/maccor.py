"""Maccor text exports (tab-separated, key/value preamble, ``Rec  Cycle ... Md  ES``).

Maccor writes current, capacity and energy as magnitudes and the direction
in the mode column ``Md`` (``C`` charge, ``D`` discharge, ``R`` rest, other
letters for other steps). Capacity restarts at every step. The test-time
column carries no unit in many exports; it is inferred from the wall-clock
column (``DPT Time``) when that is present, else taken as seconds and noted.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from typing import Any

import numpy as np

from metalair._files import as_path
from metalair.errors import DataFormatError
from metalair.io.generic_csv import TextTable, parse_durations, read_text, split_table, unit_factor, unit_from_name
from metalair.tables.cycler import CyclerData, running_step
from metalair.units import from_user

__all__ = ["read_maccor_txt"]

_MODES = {"C": "charge", "D": "discharge", "R": "rest"}
_DATE_FORMATS = ("%m/%d/%Y %H:%M:%S", "%d/%m/%Y %H:%M:%S", "%m/%d/%Y %I:%M:%S %p", "%Y-%m-%d %H:%M:%S",
                 "%d.%m.%Y %H:%M:%S")


def _is_header(line: str) -> bool:
    """The column-name line of any of the common Maccor text exports.

    ``Rec  Cycle P  Cycle C  Step  TestTime ... Md`` (MaccorExport with a
    key/value preamble), ``Rec#  Cyc#  Step  TestTime  StepTime  Amp-hr ...
    State`` (the data viewer's export), and the same with ``mAmp-hr / mAmps``.
    """
    fields = [f.strip() for f in line.split("\t")]
    return (("Rec" in fields or "Rec#" in fields) and any(f.startswith("Cyc") for f in fields)
            and ("Md" in fields or "State" in fields))


#: Maccor column names whose unit is not written in the usual "(unit)" form -> factor to A, Ah, Wh.
#: Maccor's spelled-out column names and the unit each stands for (converted through metalair.units).
_NAMED_UNITS = {"Amps": "A", "mAmps": "mA", "Amp-hr": "Ah", "mAmp-hr": "mAh", "Watt-hr": "Wh", "mWatt-hr": "mWh",
                "Volts": "V"}


def _factor(name: str, dimension: str, default: str) -> float:
    return unit_factor(_NAMED_UNITS.get(name) or unit_from_name(name) or default, dimension)


def _wall_clock_seconds(values: list[str]) -> np.ndarray | None:
    """Seconds since the first row from a date-time column, or None if unreadable.

    Where more than one date format reads every row in order (day and month both 12 or less:
    ``06/05`` then ``07/05``), the reading with the smallest largest step is taken: the wrong one
    jumps a month where the test crossed midnight. An audit's DD/MM export read as MM/DD put a
    29-day jump into a 3.5-hour test.
    """
    sample = values[0].strip() if values else ""
    best: np.ndarray | None = None
    for fmt in _DATE_FORMATS:
        try:
            datetime.strptime(sample, fmt)
        except ValueError:
            continue
        try:
            stamps = [datetime.strptime(v.strip(), fmt) for v in values]
        except ValueError:
            continue
        secs = np.array([(s - stamps[0]).total_seconds() for s in stamps])
        steps = np.diff(secs)
        if np.all(steps >= 0) and (best is None or (steps.size and float(steps.max()) < float(np.diff(best).max()))):
            best = secs
    return best


def _test_time(table: TextTable, name: str, notes: list[str], problems: list[str]) -> np.ndarray:
    raw = table.columns[name]
    if any(":" in v for v in raw[:5]):
        return parse_durations(raw, table.file_name, name)
    values = table.floats(name)
    unit = unit_from_name(name)
    if unit is not None:
        return values * unit_factor(unit, "time")
    if re.search(r"\(\s*sec\s*\)|\bsec\b", name, re.IGNORECASE):
        return values
    dpt = table.find("DPT Time", "DPt Time", "Date Time", "DateTime")
    if dpt is not None and len(values) > 1:
        wall = _wall_clock_seconds(table.columns[dpt])
        if wall is not None and wall[-1] > 0 and values[-1] - values[0] > 0:
            ratio = wall[-1] / (values[-1] - values[0])
            for label in ("s", "min", "h"):
                factor = float(from_user(1.0, label))
                if abs(ratio / factor - 1.0) < 0.05:
                    if factor != 1.0:
                        notes.append(f"column {name!r} is in {label} (checked against {dpt!r}); converted to s")
                    return values * factor
            problems.append(
                f"column {name!r} does not match the wall clock {dpt!r} in s, min or h (ratio {ratio:.4g}); "
                "time taken from the wall clock instead"
            )
            return wall + values[0]
    notes.append(f"column {name!r} has no unit and no wall-clock column to check it against; assumed s")
    return values


def _preamble(lines: list[str]) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for line in lines:
        if "\t" not in line:
            continue
        key, _, value = line.partition("\t")
        key = key.strip().rstrip(":")
        if key:
            meta[key] = value.strip()
    return meta


def read_maccor_txt(path: str | os.PathLike[str]) -> tuple[CyclerData, list[str]]:
    """Read a Maccor tab-separated text export.

    Returns
    -------
    (CyclerData, list of str)
        The table (not yet checked) and the reader's warnings.
    """
    path = as_path(path)
    text = read_text(path)
    lines = text.splitlines()
    header = next((i for i, ln in enumerate(lines[:200]) if _is_header(ln)), None)
    if header is None:
        raise DataFormatError(f"{path.name}: no Maccor header line (Rec, Cycle, Step, ..., Md) in the first 200 lines")
    table = split_table(text, path.name, header, delimiter="\t")
    problems = list(table.warnings)
    notes: list[str] = []
    if len(table) == 0:
        raise DataFormatError(f"{path.name}: the Maccor export has a header but no data rows")
    pre = _preamble(table.header_lines)

    t_name = table.require("test time", "TestTime", "Test Time", "Test Time (sec)", "Test Time (Hr)", "Test (Min)",
                           "Test (Sec)", "Test (Hr)")
    v_name = table.require("voltage", "Voltage [V]", "Voltage", "Volts", "Voltage (V)")
    i_name = table.require("current", "Current [A]", "Current", "Amps", "mAmps", "Current (A)")
    md_name = table.require("mode (Md)", "Md", "State")
    step_name = table.require("step", "Step")
    cyc_name = table.find("Cycle C", "Cyc#", "Cycle", "Cycle P")
    time = _test_time(table, t_name, notes, problems)
    voltage = table.floats(v_name) * _factor(v_name, "voltage", "V")
    magnitude = table.floats(i_name) * _factor(i_name, "current", "A")
    modes = [m.strip().upper()[:1] for m in table.columns[md_name]]
    sign = np.array([1.0 if m == "D" else (-1.0 if m == "C" else 0.0) for m in modes])
    step_type = np.array([_MODES.get(m, "other") for m in modes])
    other = np.array([m not in _MODES for m in modes])
    current = np.where(other, -magnitude, np.abs(magnitude) * sign)
    current = np.where(np.array([m == "R" for m in modes]), magnitude, current)
    if other.any() and np.any(magnitude[other] != 0):
        letters = sorted({m for m, o in zip(modes, other) if o})
        problems.append(f"rows in mode {', '.join(letters)} carry current; its sign was taken as charge-positive")

    step_index = table.floats(step_name)
    if cyc_name is not None:
        cycle = np.rint(table.floats(cyc_name)).astype(np.int64)
        if cycle.size and cycle.min() == 0:
            cycle = cycle + 1
            notes.append(f"{cyc_name!r} counts from 0; shifted to count from 1")
    else:
        cycle = np.ones(len(time), dtype=np.int64)
    step = running_step(step_index, cycle, np.array(modes))
    capacity = energy = None
    cap_name = table.find("Cap. [Ah]", "Capacity", "Amp-hr", "mAmp-hr", "Cap. (Ah)")
    if cap_name:
        capacity = np.abs(table.floats(cap_name)) * _factor(cap_name, "capacity", "Ah") * np.where(sign == 0, 1.0, sign)
    en_name = table.find("Ener. [Wh]", "Energy", "Watt-hr", "mWatt-hr", "Ener. (Wh)")
    if en_name:
        energy = np.abs(table.floats(en_name)) * _factor(en_name, "energy", "Wh") * np.where(sign == 0, 1.0, sign)
    metadata: dict[str, Any] = {
        "instrument": pre.get("Tester", "Maccor"),
        "software_version": None,
        "file_name": path.name,
        "format": "maccor_txt",
        "mass_g": None,
        "cycle_numbering": f"Maccor {cyc_name!r}" if cyc_name else "none in file",
        "cycle_numbering_source": "vendor" if cyc_name else None,
        "maccor_header": pre,
        "notes": notes,
    }
    if not str(metadata["instrument"]).lower().startswith("maccor"):
        metadata["instrument"] = f"Maccor ({metadata['instrument']})"
    data = CyclerData(
        time_s=time,
        voltage_V=voltage,
        current_A=current,
        step=step,
        cycle=cycle,
        step_type=step_type,
        capacity_Ah=capacity,
        energy_Wh=energy,
        metadata=metadata,
        extra={"maccor_step": step_index.astype(np.int64)},
    )
    return data, problems
