"""Arbin CSV exports (``Data_Point,Test_Time,...,Current,Voltage,Charge_Capacity,...``).

Arbin writes charge current as positive and accumulates charge and
discharge capacity separately over each cycle; the reader flips the current
to the metalair convention (discharge positive) and turns the capacities into
per-step values. Units are SI unless the column name says otherwise
(``Current(A)``, ``Voltage(V)``, ``Charge_Capacity(Ah)``). A metadata file
``<name>_Metadata.csv`` next to the data, as written by the Arbin/TRI export,
is read for the schedule name when present.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any

import numpy as np

from metalair._files import as_path
from metalair.errors import DataFormatError
from metalair.io.generic_csv import TextTable, read_text, split_table, unit_factor, unit_from_name
from metalair.io.neware import capture_library_messages
from metalair.tables.cycler import CyclerData, classify_by_direction, per_step_accumulated, running_step

__all__ = ["read_arbin_csv", "read_arbin_res"]


def _col(table: TextTable, base: str, dimension: str | None, required: bool = False) -> tuple[str | None, float]:
    name = next((n for n in table.names if n == base or n.startswith(base + "(") or n.startswith(base + " (")), None)
    if name is None:
        if required:
            table.require(base, base)  # raises with the list of columns
        return None, 1.0
    unit = unit_from_name(name)
    factor = unit_factor(unit, dimension) if (unit and dimension) else 1.0
    return name, factor


def _req(table: TextTable, base: str, dimension: str | None) -> tuple[str, float]:
    name, factor = _col(table, base, dimension, required=True)
    return str(name), factor


def _read_sidecar(path: Path) -> dict[str, str]:
    side = path.with_name(path.stem + "_Metadata.csv")
    if not side.is_file():
        return {}
    try:
        rows = list(csv.DictReader(io.StringIO(read_text(side))))
    except (DataFormatError, csv.Error):
        return {}
    if not rows:
        return {}
    row = rows[0]
    keep = ("schedule_file_name", "schedule_version", "first_start_datetime", "item_id", "device_id", "iv_ch_id")
    return {f"arbin_{k}": row[k] for k in keep if row.get(k)}


def read_arbin_csv(path: str | os.PathLike[str]) -> tuple[CyclerData, list[str]]:
    """Read an Arbin CSV export.

    Returns
    -------
    (CyclerData, list of str)
        The table (not yet checked) and the reader's warnings.
    """
    path = as_path(path)
    text = read_text(path)
    lines = text.splitlines()
    header = next((i for i, ln in enumerate(lines[:50]) if "Data_Point" in ln and "Cycle_Index" in ln), None)
    if header is None:
        raise DataFormatError(f"{path.name}: no Arbin header line (Data_Point,Test_Time,...,Cycle_Index,...)")
    table = split_table(text, path.name, header)
    problems = list(table.warnings)
    notes: list[str] = []
    if len(table) == 0:
        raise DataFormatError(f"{path.name}: the Arbin export has a header but no data rows")
    t_name, t_f = _req(table, "Test_Time", "time")
    v_name, v_f = _req(table, "Voltage", "voltage")
    i_name, i_f = _req(table, "Current", "current")
    s_name, _ = _req(table, "Step_Index", None)
    c_name, _ = _req(table, "Cycle_Index", None)
    time = table.floats(t_name) * t_f
    voltage = table.floats(v_name) * v_f
    current = -table.floats(i_name) * i_f  # Arbin: charge positive
    step_index = table.floats(s_name)
    cycle = np.rint(table.floats(c_name)).astype(np.int64)
    if cycle.size and cycle.min() == 0:
        cycle = cycle + 1
        notes.append("Arbin cycle index starts at 0 in this file; shifted to count from 1")
    step = running_step(step_index, cycle)

    capacity = energy = None
    qc_name, qc_f = _col(table, "Charge_Capacity", "capacity")
    qd_name, qd_f = _col(table, "Discharge_Capacity", "capacity")
    if qc_name and qd_name:
        qc = per_step_accumulated(table.floats(qc_name) * qc_f, step, reset=False)
        qd = per_step_accumulated(table.floats(qd_name) * qd_f, step, reset=False)
        capacity = qd - qc
    ec_name, ec_f = _col(table, "Charge_Energy", "energy")
    ed_name, ed_f = _col(table, "Discharge_Energy", "energy")
    if ec_name and ed_name:
        ec = per_step_accumulated(table.floats(ec_name) * ec_f, step, reset=False)
        ed = per_step_accumulated(table.floats(ed_name) * ed_f, step, reset=False)
        energy = ed - ec
    extra: dict[str, np.ndarray] = {"arbin_step_index": step_index.astype(np.int64)}
    temp_name = next((n for n in table.names if n.lower().startswith("temperature")), None)
    if temp_name:
        extra["temperature_degC"] = table.floats(temp_name, allow_empty=True)
    metadata = {
        "instrument": "Arbin",
        "software_version": None,
        "file_name": path.name,
        "format": "arbin_csv",
        "mass_g": None,
        "cycle_numbering": "Arbin Cycle_Index",
        "cycle_numbering_source": "vendor",
        "notes": notes,
    }
    metadata.update(_read_sidecar(path))
    data = CyclerData(
        time_s=time,
        voltage_V=voltage,
        current_A=current,
        step=step,
        cycle=cycle,
        step_type=classify_by_direction(current, step),
        capacity_Ah=capacity,
        energy_Wh=energy,
        metadata=metadata,
        extra=extra,
    )
    return data, problems


# ---------------------------------------------------------------------------
# .res: the raw file, an MS Access database
# ---------------------------------------------------------------------------
#: Columns of the Arbin data table (``Channel_Normal_Table``) that are used.
RES_COLUMNS = ("Data_Point", "Test_Time", "Step_Index", "Cycle_Index", "Current", "Voltage",
               "Charge_Capacity", "Discharge_Capacity", "Charge_Energy", "Discharge_Energy")
_RES_TABLE = "Channel_Normal_Table"


def _res_with_access_parser(path: Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    import contextlib

    from access_parser import AccessParser

    # access-parser prints diagnostics on stdout and logs others ("DB is not full or PAGE_SIZE is wrong", a file cut
    # short): neither reaches the user's terminal; what it logs is kept for the notes
    with contextlib.redirect_stdout(io.StringIO()), capture_library_messages("access_parser") as logged:
        db = AccessParser(str(path))
        if _RES_TABLE not in db.catalog:
            raise DataFormatError(f"{path.name}: an Access database without Arbin's {_RES_TABLE}; not an Arbin .res "
                                  "file")
        table = db.parse_table(_RES_TABLE)
        glob = db.parse_table("Global_Table") if "Global_Table" in db.catalog else None
    cols = {name: np.asarray(table[name], dtype=float) for name in RES_COLUMNS if name in table}
    meta: dict[str, Any] = {"reader_messages": [f"access-parser: {m}" for m in dict.fromkeys(logged)]}
    if glob is not None:
        for key in ("Test_Name", "Schedule_File_Name", "Start_DateTime", "Channel_Index"):
            if key in glob and len(glob[key]):
                meta[f"arbin_{key.lower()}"] = str(glob[key][0])
    return cols, meta


def _res_with_mdbtools(path: Path, exe: str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    import subprocess

    proc = subprocess.run([exe, str(path), _RES_TABLE], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise DataFormatError(f"{path.name}: mdb-export could not read {_RES_TABLE}: {proc.stderr.strip()[:200]}")
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    cols = {name: np.array([float(r[name] or "nan") for r in rows]) for name in RES_COLUMNS if rows and name in rows[0]}
    return cols, {}


def read_arbin_res(path: str | os.PathLike[str]) -> tuple[CyclerData, list[str]]:
    """Read an Arbin ``.res`` raw file (an MS Access database).

    The data table is decoded with ``access-parser`` (Apache-2.0, pure
    Python; ``pip install 'metalair[arbin]'``) when installed, else with the
    ``mdb-export`` program of mdbtools (``apt install mdbtools``, ``brew
    install mdbtools``). Both give the same numbers (checked on a real file).

    Raises
    ------
    DataFormatError
        If neither reader is available (the message says how to install one,
        or to export CSV from Arbin's software), or the database holds no
        Arbin data table.
    """
    import shutil

    path = as_path(path)
    notes: list[str] = []
    try:
        import access_parser  # noqa: F401
    except ImportError:
        exe = shutil.which("mdb-export")
        if exe is None:
            raise DataFormatError(
                f"{path.name}: an Arbin .res file is an MS Access database; reading it needs access-parser "
                "(pip install 'metalair[arbin]') or the mdb-export program of mdbtools (apt install mdbtools / "
                "brew install mdbtools) - or export the test as CSV from Arbin's MITS Pro / Data Watcher"
            ) from None
        cols, meta = _res_with_mdbtools(path, exe)
        reader = "mdb-export (mdbtools)"
    else:
        try:
            cols, meta = _res_with_access_parser(path)
        except DataFormatError:
            raise
        except Exception as exc:  # access-parser signals damage with construct/struct errors
            raise DataFormatError(
                f"{path.name}: access-parser could not decode this .res file ({type(exc).__name__}: {exc}); it is "
                "damaged or truncated - copy it again, or export CSV from Arbin's software") from None
        reader = "access-parser"
    essential = ("Test_Time", "Step_Index", "Cycle_Index", "Current", "Voltage")
    missing = [c for c in essential if c not in cols]
    if missing:
        raise DataFormatError(f"{path.name}: Arbin data table without {', '.join(missing)}; the file is damaged")
    bad = ~np.all([np.isfinite(cols[c]) for c in essential], axis=0)
    if np.any(bad):  # records the reader could not decode: a file cut short, or damaged inside
        first = int(np.argmax(bad))
        if np.all(bad[first:]):
            notes.append(f"the last {int(bad.size - first)} of {bad.size} records are incomplete (the file is "
                         "truncated); they were dropped")
            cols = {k: v[:first] for k, v in cols.items()}
            if first == 0:
                raise DataFormatError(f"{path.name}: no complete record; the file is truncated or damaged")
        else:
            raise DataFormatError(
                f"{path.name}: record {first + 1} of {bad.size} could not be decoded (a value is missing), with "
                "complete records after it: the file is damaged or truncated - copy it again, or export CSV from "
                "Arbin's software")
    info: list[str] = list(meta.pop("reader_messages", []))
    n = len(cols["Test_Time"])
    if "Data_Point" in cols and n > 1 and np.any(np.diff(cols["Data_Point"]) < 0):
        # an Access table keeps no row order (pages are reused as the database grows): sorting is all it
        # takes, nothing is lost, so this is a note, not a warning
        order = np.argsort(cols["Data_Point"], kind="stable")
        cols = {k: v[order] for k, v in cols.items()}
        info.append("records are stored out of Data_Point order in the database (Access keeps no row order); "
                    "sorted by Data_Point")
    time = cols["Test_Time"]
    current = -cols["Current"]  # Arbin: charge positive
    step_index = cols["Step_Index"]
    cycle = np.rint(cols["Cycle_Index"]).astype(np.int64)
    if cycle.size and cycle.min() == 0:
        cycle = cycle + 1
        info.append("Arbin cycle index starts at 0 in this file; shifted to count from 1")
    step = running_step(step_index, cycle)
    capacity = energy = None
    if "Charge_Capacity" in cols and "Discharge_Capacity" in cols:
        qc = per_step_accumulated(cols["Charge_Capacity"], step, reset=False)
        qd = per_step_accumulated(cols["Discharge_Capacity"], step, reset=False)
        capacity = qd - qc
    if "Charge_Energy" in cols and "Discharge_Energy" in cols:
        ec = per_step_accumulated(cols["Charge_Energy"], step, reset=False)
        ed = per_step_accumulated(cols["Discharge_Energy"], step, reset=False)
        energy = ed - ec
    metadata = {
        "instrument": "Arbin",
        "software_version": None,
        "file_name": path.name,
        "format": "arbin_res",
        "reader": reader,
        "mass_g": None,
        "cycle_numbering": "Arbin Cycle_Index",
        "cycle_numbering_source": "vendor",
        "notes": info,
        **meta,
    }
    data = CyclerData(
        time_s=time, voltage_V=cols["Voltage"], current_A=current, step=step, cycle=cycle,
        step_type=classify_by_direction(current, step), capacity_Ah=capacity, energy_Wh=energy,
        metadata=metadata, extra={"arbin_step_index": step_index.astype(np.int64)},
    )
    return data, notes
