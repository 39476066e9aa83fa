"""BioLogic EC-Lab readers: the text export ``.mpt`` (own parser) and ``.mpr``.

``.mpr`` files are decoded by ``galvani`` when it is installed
(``pip install 'metalair[biologic]'``; galvani is GPL-3.0, so it stays an
optional extra). Without it, export the data as text (.mpt) from EC-Lab.

EC-Lab counts current as positive for oxidation at the working electrode,
i.e. positive on *charge* when the working electrode is the cell's positive
(air) electrode, as in a metal–air cell. The readers flip the sign so that
discharge is positive.
"""

from __future__ import annotations

import os
import re
from typing import Any

import numpy as np

from metalair._files import as_path
from metalair.errors import DataFormatError
from metalair.io._text_columns import ec_lab_header_index
from metalair.io.generic_csv import TextTable, read_text, split_table, unit_factor, unit_from_name
from metalair.tables.cycler import CyclerData, classify_by_direction, running_step
from metalair.units import convert

__all__ = ["read_mpt", "read_mpr", "read_mpr_columns"]

_MASS = re.compile(r"^\s*(?:Characteristic mass|Mass of active material)\s*:\s*([-+0-9.,eE]+)\s*(mg|g)\b", re.MULTILINE)
_VERSION = re.compile(r"^\s*(EC-Lab for windows v[\w.]+.*?|BT-Lab v[\w.]+.*?)\s*$", re.MULTILINE | re.IGNORECASE)
_DEVICE = re.compile(r"^\s*Device\s*:\s*(.+?)\s*$", re.MULTILINE)

_VOLTAGE_NAMES = ("Ewe/V", "<Ewe>/V", "Ecell/V", "<Ecell>/V", "Ewe-Ece/V")
_CURRENT_NAMES = ("I/mA", "<I>/mA", "I/A", "<I>/A", "I/uA", "I/µA")
_MODE_TYPES = {1: "galvanostatic", 2: "potentiostatic", 3: "rest"}


def _columns_to_table(
    cols: dict[str, np.ndarray], file_name: str, fmt: str, header_meta: dict[str, Any]
) -> tuple[CyclerData, list[str]]:
    """Shared by .mpt and .mpr: EC-Lab column names -> canonical table."""
    notes: list[str] = []  # how the file was interpreted (metadata["notes"])
    names = list(cols)

    def find(*cands: str) -> str | None:
        return next((c for c in cands if c in cols), None)

    t_name = find("time/s")
    v_name = find(*_VOLTAGE_NAMES)
    missing = [what for what, nm in (("time (time/s)", t_name), ("voltage (Ewe/V)", v_name)) if nm is None]
    if t_name is None or v_name is None:
        raise DataFormatError(
            f"{file_name}: no {' and no '.join(missing)} column; columns present: {', '.join(names)}. "
            "In EC-Lab export with the time/s, Ewe/V and I/mA columns selected"
        )
    time = np.asarray(cols[t_name], dtype=float)
    voltage = np.asarray(cols[v_name], dtype=float)
    i_name = find(*_CURRENT_NAMES)
    if i_name is not None:
        unit = unit_from_name(i_name) or "mA"
        current_ox = np.asarray(cols[i_name], dtype=float) * unit_factor(unit, "current")
    elif "dq/mA.h" in cols or "dQ/mA.h" in cols:
        dq = np.asarray(cols.get("dq/mA.h", cols.get("dQ/mA.h")), dtype=float) * convert(1.0, "mAh", "Ah")
        dt = np.diff(time, prepend=time[0] if time.size else 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            current_ox = np.where(dt > 0, convert(dq, "Ah", "As") / np.where(dt > 0, dt, 1.0), 0.0)
        if current_ox.size > 1:
            current_ox[0] = current_ox[1] if dq[0] != 0 else 0.0
        notes.append("the file has no current column; current derived from dq/mA.h and time/s "
                     "(mean over each interval)")
    elif "mode" in cols and np.all(np.asarray(cols["mode"]) == 3):
        current_ox = np.zeros(len(time))
        notes.append("open-circuit record (EC-Lab mode 3 throughout) without a current column; current set to 0")
    else:
        raise DataFormatError(
            f"{file_name}: no current column (I/mA, <I>/mA) and no dq/mA.h to derive it from; columns "
            f"present: {', '.join(names)}. Export with the I/mA column selected"
        )
    current = -current_ox  # EC-Lab: oxidation (charge) positive

    mode = np.asarray(cols["mode"], dtype=np.int64) if "mode" in cols else None
    keys = [np.asarray(cols[k]) for k in ("Ns", "half cycle") if k in cols]
    if mode is not None:
        keys.append(mode)
    if "ox/red" in cols:
        keys.append(np.asarray(cols["ox/red"]))
    if keys:
        step = running_step(*keys)
    else:
        from metalair.tables.cycler import infer_steps_from_current

        step, _ = infer_steps_from_current(current)
    step_type = classify_by_direction(current, step)
    if mode is not None:
        step_type = np.where(mode == 2, "hold", step_type)
        step_type = np.where(mode == 3, "rest", step_type)

    if "cycle number" in cols:
        cycle = np.rint(np.asarray(cols["cycle number"], dtype=float)).astype(np.int64)
        if cycle.size and cycle.min() == 0:
            cycle = cycle + 1
            notes.append("EC-Lab cycle numbers start at 0 here; shifted to count from 1")
        numbering = "EC-Lab 'cycle number' column"
    elif "half cycle" in cols:
        cycle = np.asarray(cols["half cycle"], dtype=np.int64) // 2 + 1
        numbering = "from EC-Lab 'half cycle' (two half cycles per cycle)"
    else:
        cycle = np.ones(len(time), dtype=np.int64)
        numbering = "none in file; renumbered by metalair"

    # per-step charge: from the file's own increments when present
    capacity = None
    dq_name = find("dq/mA.h", "dQ/mA.h")
    if dq_name is not None:
        dq = -np.asarray(cols[dq_name], dtype=float) * convert(1.0, "mAh", "Ah")
        capacity = _cumsum_per_step(dq, step)
    elif "(Q-Qo)/mA.h" in cols:
        q = -np.asarray(cols["(Q-Qo)/mA.h"], dtype=float) * convert(1.0, "mAh", "Ah")
        capacity = _restart_per_step(q, step)
    energy = None
    if "Energy charge/W.h" in cols and "Energy discharge/W.h" in cols:
        # two magnitude counters that EC-Lab sets back to 0 at the first record of each new cycle, while the
        # records before it still carry the old cycle's values: sum their increments within each step
        de = (_counter_increments(np.asarray(cols["Energy discharge/W.h"], dtype=float))
              - _counter_increments(np.asarray(cols["Energy charge/W.h"], dtype=float)))
        energy = _cumsum_per_step(de, step)

    extra: dict[str, np.ndarray] = {}
    if "freq/Hz" in cols:  # impedance rows: the classifier routes them to the impedance tools
        extra["frequency_Hz"] = np.asarray(cols["freq/Hz"], dtype=float)
    if "control/V" in cols:  # the programmed potential (a sweep is recognised from it)
        extra["control_voltage_V"] = np.asarray(cols["control/V"], dtype=float)
    if "Ns" in cols:
        extra["biologic_Ns"] = np.asarray(cols["Ns"])
    if mode is not None:
        extra["biologic_mode"] = mode
    if "half cycle" in cols:
        extra["biologic_half_cycle"] = np.asarray(cols["half cycle"])
    metadata = {
        "instrument": header_meta.get("device") or "BioLogic",
        "software_version": header_meta.get("software_version"),
        "file_name": file_name,
        "format": fmt,
        "mass_g": header_meta.get("mass_g"),
        "cycle_numbering": numbering,
        "cycle_numbering_source": "metalair" if numbering.startswith("none") else "vendor",
        "columns_in_file": names,
        "notes": notes,
    }
    if header_meta.get("mass_g") is not None:
        metadata["mass_source"] = "file (EC-Lab characteristic mass)"
    for key in ("technique", "acquisition_started"):
        if key in header_meta:
            metadata[key] = header_meta[key]
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
        extra=extra,
    )
    if numbering.startswith("none"):
        data = data.renumber_cycles("auto")
    return data, []


def _cumsum_per_step(increments: np.ndarray, step: np.ndarray) -> np.ndarray:
    total = np.cumsum(increments)
    starts = np.concatenate(([0], np.flatnonzero(np.diff(step) != 0) + 1))
    before = np.concatenate(([0.0], total))[starts]  # running sum before each step
    counts = np.diff(np.append(starts, len(total)))
    base = np.repeat(before, counts)
    return total - base


def _counter_increments(counter: np.ndarray) -> np.ndarray:
    """Increments of a never-decreasing counter that restarts from 0 now and then (at a new cycle).

    Where the counter falls, it was set back to 0 and has since counted up to its present value,
    which is then the increment. The first record's increment is its value (counted from 0).
    """
    inc = np.diff(counter, prepend=0.0)
    fell = inc < 0
    inc[fell] = counter[fell]
    return inc


def _restart_per_step(values: np.ndarray, step: np.ndarray) -> np.ndarray:
    starts = np.concatenate(([0], np.flatnonzero(np.diff(step) != 0) + 1))
    counts = np.diff(np.append(starts, len(values)))
    prev = np.concatenate(([0.0], values))[starts]  # value just before each step
    return values - np.repeat(prev, counts)


def _parse_header(lines: list[str]) -> dict[str, Any]:
    text = "\n".join(lines)
    meta: dict[str, Any] = {}
    m = _MASS.search(text)
    if m:
        value = float(m.group(1).replace(",", "."))
        grams = float(convert(value, m.group(2), "g"))
        if grams > 0:
            meta["mass_g"] = grams
    m = _VERSION.search(text)
    if m:
        meta["software_version"] = m.group(1)
    m = _DEVICE.search(text)
    if m:
        meta["device"] = f"BioLogic {m.group(1)}"
    if len(lines) > 3 and lines[3].strip():
        meta["technique"] = lines[3].strip()
    for line in lines:
        if line.startswith("Acquisition started on"):
            meta["acquisition_started"] = line.split(":", 1)[1].strip()
    return meta


def read_mpt(path: str | os.PathLike[str]) -> tuple[CyclerData, list[str]]:
    """Read an EC-Lab text export (.mpt), with or without its header block.

    The header line ``Nb header lines : N`` says where the column names are
    (line N); tabs separate the columns; a decimal comma (German or French
    Windows locale) is recognised.
    """
    path = as_path(path)
    text = read_text(path)
    lines = text.splitlines()
    header_index = ec_lab_header_index(path.name, lines)
    if header_index is None:  # a data-only export: the column names are on the first non-blank line
        header_index = next((k for k, ln in enumerate(lines) if ln.strip()), 0)
    table: TextTable = split_table(text, path.name, header_index, delimiter="\t", pad_short_rows=True)
    if len(table) == 0:
        raise DataFormatError(
            f"{path.name}: the EC-Lab file has a header but no data rows; the experiment recorded no "
            "points or the export was interrupted"
        )
    header_meta = _parse_header(table.header_lines)
    cols: dict[str, np.ndarray] = {}
    for name in table.names:
        try:
            cols[name] = table.floats(name, allow_empty=True)
        except DataFormatError:
            if name in ("time/s", *_VOLTAGE_NAMES, *_CURRENT_NAMES, "cycle number"):
                raise
            continue  # a text column we do not need
    for name in ("time/s", *_VOLTAGE_NAMES, *_CURRENT_NAMES):
        if name in cols and np.isnan(cols[name]).any():
            table.floats(name)  # raises with the line number of the empty field
    data, problems = _columns_to_table(cols, path.name, "biologic_mpt", header_meta)
    data.metadata["notes"] = list(data.metadata.get("notes", [])) + list(table.notes)
    return data, list(table.warnings) + problems


def read_mpr(path: str | os.PathLike[str]) -> tuple[CyclerData, list[str]]:
    """Read an EC-Lab binary .mpr file through galvani (optional, GPL-3.0).

    Raises
    ------
    DataFormatError
        If galvani is not installed (install ``metalair[biologic]`` or export
        the data as .mpt from EC-Lab), or it cannot decode the file.
    """
    path = as_path(path)
    cols, header_meta = read_mpr_columns(path)
    return _columns_to_table(cols, path.name, "biologic_mpr", header_meta)


def read_mpr_columns(path: str | os.PathLike[str]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The raw columns of an EC-Lab binary .mpr file, decoded by galvani (optional, GPL-3.0).

    Returns
    -------
    columns : dict
        EC-Lab column name (``"time/s"``, ``"Ewe/V"``, ``"I/mA"``, ...) -> array, in the file's own units
        and sign; the ``mode`` and ``ox/red`` flags, where the file has them, as integer columns.
    header : dict
        ``device``, ``software_version`` (the data module's version) and, where recorded,
        ``acquisition_started``.

    Raises
    ------
    DataFormatError
        As :func:`read_mpr`: galvani missing (the ``biologic`` extra), or the file cannot be decoded.
    """
    path = as_path(path)
    try:
        from galvani import BioLogic
    except ImportError:
        raise DataFormatError(
            f"{path.name}: reading BioLogic .mpr files needs galvani, which is GPL-3.0 licensed and "
            "therefore optional: pip install 'metalair[biologic]' - or export the data as text (.mpt) "
            "from EC-Lab and read that"
        ) from None
    try:
        with open(path, "rb") as handle:  # galvani leaves a file it opened itself open
            mpr = BioLogic.MPRfile(handle)
        records = mpr.data
        cols: dict[str, np.ndarray] = {
            name: np.asarray(records[name]) for name in records.dtype.names if name != "flags"
        }
        for flag in ("mode", "ox/red"):
            if flag in getattr(mpr, "flags_dict", {}):
                cols[flag] = np.asarray(mpr.get_flag(flag)).astype(np.int64)
    except NotImplementedError as exc:  # galvani: "Column ID ... not recognised" - an EC-Lab newer than it knows
        try:
            from importlib.metadata import version

            have = version("galvani")
        except Exception:  # pragma: no cover - metadata missing
            have = "?"
        raise DataFormatError(
            f"{path.name}: galvani {have} does not know a column of this .mpr file ({exc}); it was written by a "
            "newer EC-Lab. Upgrade the reader (pip install -U 'galvani>=0.5', i.e. 'metalair[biologic]'), or "
            "export the data as text (.mpt) from EC-Lab"
        ) from None
    except Exception as exc:  # galvani signals damage with assert/ValueError/struct errors
        raise DataFormatError(
            f"{path.name}: galvani could not decode this .mpr file ({type(exc).__name__}: {exc}); it is "
            "damaged or truncated, or written by an EC-Lab version galvani does not know - export it as "
            ".mpt from EC-Lab"
        ) from None
    header_meta: dict[str, Any] = {"device": "BioLogic"}
    start = getattr(mpr, "startdate", None)
    if start is not None:
        header_meta["acquisition_started"] = str(start)
    header_meta["software_version"] = f"EC-Lab data module v{getattr(mpr, 'version', '?')}"
    return cols, header_meta
