"""Neware readers: binary .nda/.ndax through ``fastnda``, and BTSDA CSV exports.

``fastnda`` (BSD-3-Clause, a core dependency) decodes the
binary files; if it fails on a file and ``NewareNDA`` is installed, that is
tried instead. Both write charge current as positive: here the sign is
flipped to the metalair convention (discharge positive).

Cycle numbers are those of Neware's BTSDA (a cycle ends when a charge
follows a discharge), as ``fastnda`` reports them by default.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import warnings as _warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from metalair._files import as_path
from metalair.errors import DataFormatError
from metalair.io.generic_csv import (
    normalise_step_type,
    parse_durations,
    read_text,
    split_table,
    unit_factor,
    unit_from_name,
)
from metalair.tables.cycler import CyclerData, per_step_accumulated, running_step
from metalair.units import convert

__all__ = ["read_neware", "read_neware_csv", "NEWARE_STEP_TYPES"]

#: Neware step names (as fastnda/BTSDA spell them) -> canonical step type.
NEWARE_STEP_TYPES: dict[str, str] = {
    "CC_Chg": "charge", "CC_DChg": "discharge", "CV_Chg": "hold", "CV_DChg": "hold",
    "CCCV_Chg": "charge", "CCCV_DChg": "discharge", "CP_Chg": "charge", "CP_DChg": "discharge",
    "CR_Chg": "charge", "CR_DChg": "discharge", "CPCV_Chg": "charge", "CPCV_DChg": "discharge",
    "CRCV_Chg": "charge", "CRCV_DChg": "discharge", "PCCCV_Chg": "charge",
    "Rest": "rest", "Pause": "rest", "OCV": "rest",
}


@contextmanager
def _with_suffix(path: Path, suffix: str) -> Iterator[Path]:
    """Fastnda picks the decoder by file extension: give it the right one."""
    if path.suffix.lower() == suffix:
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="metalair-") as tmp:
        link = Path(tmp) / (path.stem + suffix)
        try:
            os.symlink(path.resolve(), link)
        except OSError:
            shutil.copyfile(path, link)
        yield link


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def capture_library_messages(logger_name: str) -> Iterator[list[str]]:
    """Collect what a library logs or warns, to report it in the metadata."""
    handler = _Collect()
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    messages: list[str] = []
    try:
        with _warnings.catch_warnings(record=True) as caught:
            _warnings.simplefilter("always")
            yield messages
    finally:
        logger.removeHandler(handler)
    messages.extend(handler.messages)
    messages.extend(str(w.message) for w in caught)


def _walk(d: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(d, dict):
        for k, v in d.items():
            yield from _walk(v, f"{prefix}/{k}")
    else:
        yield prefix, d


def _neware_metadata(meta: dict[str, Any], kind: str) -> dict[str, Any]:
    out: dict[str, Any] = {"instrument": "Neware", "software_version": None, "mass_g": None}
    flat = dict(_walk(meta))
    for key in ("/bts_version", "/client_version", "/VersionInfo/ZwjVersion/CurrClientVer",
                "/Step/client_version", "/VersionInfo/SortVersion"):
        if flat.get(key):
            out["software_version"] = str(flat[key])
            break
    for key in ("/server_version", "/VersionInfo/ZwjVersion/SvrVer"):
        if flat.get(key):
            out["server_version"] = str(flat[key])
            break
    if "/nda_version" in flat:
        out["nda_version"] = flat["/nda_version"]
    mass_mg = flat.get("/active_mass_mg")
    if isinstance(mass_mg, (int, float)) and mass_mg > 0:
        out["mass_g"] = float(convert(float(mass_mg), "mg", "g"))
        out["mass_source"] = "file (Neware active mass)"
    raw_mass = flat.get("/NdaxConfig/config/BatteryMass")
    if raw_mass is not None:
        # unit not documented by the vendor; kept verbatim, not used as mass_g
        out["neware_battery_mass_raw"] = raw_mass
    for key in ("/remarks", "/Step/Head_Info/Remark/Value", "/TestInfo/TestInfo/Remark"):
        if flat.get(key):
            out["remarks"] = str(flat[key])
            break
    for key in ("/start_time", "/TestInfo/TestInfo/StartTime"):
        if flat.get(key):
            out["start_time"] = str(flat[key])
            break
    if "/num_datapoints" in flat:
        out["num_datapoints"] = flat["/num_datapoints"]
    return out


def _truncation_hints(path: Path, kind: str, meta: dict[str, Any], n_rows: int) -> list[str]:
    """Signs that a binary file lost its end (fastnda returns what it can decode)."""
    found: list[str] = []
    if kind == "neware_nda":
        expected = meta.get("num_datapoints")
        version = meta.get("nda_version")
        if isinstance(expected, int) and expected != n_rows:
            found.append(
                f"the file's footer announces {expected} records but {n_rows} were decoded; "
                "records are missing (damaged or truncated file)"
            )
        elif isinstance(version, int) and version >= 130 and expected is None:
            found.append(
                "the BTS9 footer with the record count is missing: the file is probably truncated "
                "(copied while the test was running?)"
            )
        elif version in (26, 29):
            raw = path.read_bytes()
            start = raw.find(b"\x55\x00\x01\x00\x00\x00")
            if start >= 0 and (len(raw) - start) % 86:
                found.append("the file ends inside a data record: it is truncated; the incomplete record was ignored")
    return found


#: A stop of the channel that the test time leaves out is named when the instrument clock runs this much longer, s.
PAUSE_NOTE_S = float(convert(1.0, "h", "s"))


def _pauses(cols: dict[str, np.ndarray]) -> list[str]:
    """Where the channel was stopped and resumed: the instrument clock jumps on, the test time does not.

    Neware's test time (``total_time_s``) counts only the time the channel ran; the clock
    (``unix_time_s``) counts all of it. A stop of an hour or more that the test time leaves out is
    worth knowing (the cell sat unrecorded, e.g. after a power cut), so it is noted with its length.
    """
    if "unix_time_s" not in cols or "total_time_s" not in cols or len(cols["unix_time_s"]) < 2:
        return []
    clock = np.asarray(cols["unix_time_s"], dtype=float)
    test = np.asarray(cols["total_time_s"], dtype=float)
    unseen = np.diff(clock) - np.diff(test)
    stops = np.flatnonzero(unseen >= PAUSE_NOTE_S)
    if not stops.size:
        return []
    first = int(stops[0])
    longest = float(unseen[stops].max())
    return [
        f"the channel was stopped and resumed {stops.size} time(s) (first between records {first + 1} and "
        f"{first + 2}, counted from 1): the instrument clock runs on by up to {convert(longest, 's', 'h'):.3g} h "
        "that the test time leaves out; time_s is the test time, so the cell sat unrecorded there"
    ]


def _from_fastnda(path: Path, kind: str) -> tuple[dict[str, np.ndarray], dict[str, Any], list[str]]:
    import fastnda

    suffix = ".nda" if kind == "neware_nda" else ".ndax"
    with _with_suffix(path, suffix) as p:
        with capture_library_messages("fastnda") as messages:
            df = fastnda.read(p)
        with capture_library_messages("fastnda") as meta_messages:
            try:
                meta = fastnda.read_metadata(p)
            except Exception as exc:  # metadata is a bonus; the data were read
                meta = {"_metadata_error": str(exc)}
    if meta_messages:
        meta["_reader_notes"] = [f"fastnda metadata: {m}" for m in meta_messages]
    cols = {name: df[name].to_numpy() for name in df.columns if name != "step_type"}
    cols["step_type"] = np.asarray(df["step_type"].cast(str).fill_null("Undefined").to_list(), dtype=object)
    return cols, meta, messages


def _from_newarenda(path: Path) -> tuple[dict[str, np.ndarray], dict[str, Any], list[str]]:
    import NewareNDA

    with capture_library_messages("NewareNDA") as messages:
        df = NewareNDA.read(str(path))
    cols: dict[str, np.ndarray] = {
        "index": df["Index"].to_numpy(),
        "voltage_V": df["Voltage"].to_numpy(dtype=float),
        "current_mA": df["Current(mA)"].to_numpy(dtype=float),
        "cycle_count": df["Cycle"].to_numpy(),
        "step_count": df["Step"].to_numpy(),
        "step_type": df["Status"].astype(str).to_numpy(dtype=object),
    }
    step_time = df["Time"].to_numpy(dtype=float)
    starts = np.flatnonzero(np.diff(cols["step_count"]) != 0) + 1
    offsets = np.zeros(len(step_time))
    for a in starts:
        offsets[a:] += step_time[a - 1]
    cols["total_time_s"] = step_time + offsets
    cap = df["Charge_Capacity(mAh)"].to_numpy(dtype=float) - df["Discharge_Capacity(mAh)"].to_numpy(dtype=float)
    energy = df["Charge_Energy(mWh)"].to_numpy(dtype=float) - df["Discharge_Energy(mWh)"].to_numpy(dtype=float)
    cols["capacity_mAh"] = cap
    cols["energy_mWh"] = energy
    for name in df.columns:
        if name.startswith("T") and name[1:].isdigit():
            cols[f"aux_temperature_degC_{name}"] = df[name].to_numpy(dtype=float)
    return cols, {}, messages


def read_neware(path: str | os.PathLike[str], *, kind: str | None = None) -> tuple[CyclerData, list[str]]:
    """Read a Neware .nda or .ndax file.

    Parameters
    ----------
    path : path-like
        The file.
    kind : {"neware_nda", "neware_ndax"}, optional
        Detected from the content when omitted.

    Returns
    -------
    (CyclerData, list of str)
        The table (not yet checked) and the reader's warnings.

    Raises
    ------
    DataFormatError
        If fastnda is not installed, or neither fastnda nor NewareNDA can
        decode the file.
    """
    from metalair.io.detect import detect_format

    path = as_path(path)
    kind = kind or detect_format(path)
    if kind not in ("neware_nda", "neware_ndax"):
        raise DataFormatError(f"{path.name}: not a Neware binary file (detected {kind})")
    notes: list[str] = []
    try:
        import fastnda  # noqa: F401
    except ImportError:
        fastnda_error: Exception | None = None
        have_fastnda = False
    else:
        have_fastnda = True
        fastnda_error = None
    cols: dict[str, np.ndarray] | None = None
    meta: dict[str, Any] = {}
    reader = ""
    if have_fastnda:
        try:
            cols, meta, messages = _from_fastnda(path, kind)
            reader = "fastnda"
            notes.extend(f"fastnda: {m}" for m in messages)
        except (zipfile.BadZipFile, EOFError, ValueError, KeyError, IndexError, OSError, TypeError) as exc:
            fastnda_error = exc
        except Exception as exc:  # fastnda raises polars errors on some damage too
            fastnda_error = exc
    if cols is None:
        try:
            cols, meta, messages = _from_newarenda(path)
            reader = "NewareNDA"
            notes.extend(f"NewareNDA: {m}" for m in messages)
            if fastnda_error is not None:
                notes.append(f"fastnda failed ({fastnda_error}); read with NewareNDA instead")
        except ImportError:
            if not have_fastnda:
                raise DataFormatError(
                    f"{path.name}: reading Neware files needs fastnda, a dependency of metalair: "
                    "reinstall metalair (pip install metalair)"
                ) from None
            raise DataFormatError(
                f"{path.name}: fastnda could not decode this Neware file ({type(fastnda_error).__name__}: "
                f"{fastnda_error}); the file is damaged or truncated. Copy it again from the instrument PC, "
                "or export it as CSV from BTSDA and read that"
            ) from None
        except Exception as exc:
            raise DataFormatError(
                f"{path.name}: neither fastnda ({fastnda_error}) nor NewareNDA ({exc}) could decode this "
                "file; it is damaged or truncated - copy it again, or export it as CSV from BTSDA"
            ) from None

    info = _neware_metadata(meta, kind)
    info["notes"] = list(meta.get("_reader_notes", []))
    if "_metadata_error" in meta:
        notes.append(f"the file's metadata could not be read ({meta['_metadata_error']}); data are unaffected")
    n = len(cols["voltage_V"])
    notes.extend(_truncation_hints(path, kind, info, n))
    index = np.asarray(cols.get("index", np.arange(1, n + 1)), dtype=np.int64)
    if n > 1:
        gaps = np.flatnonzero(np.diff(index) > 1)
        if gaps.size:
            lost = int(np.sum(np.diff(index)[gaps] - 1))
            notes.append(
                f"record numbers skip {gaps.size} times ({lost} records missing, first after record "
                f"{gaps[0] + 1}, counted from 1); "
                "the file is damaged there"
            )
    info["notes"].extend(_pauses(cols))
    if kind == "neware_ndax":
        with zipfile.ZipFile(path) as zf:
            aux_files = [nm for nm in zf.namelist() if nm.startswith("data_AUX")]
        aux_cols = [c for c in cols if c.startswith("aux")]
        if aux_files and not aux_cols:
            notes.append(
                f"the file has {len(aux_files)} auxiliary-channel data files but their description is "
                "damaged, so auxiliary channels (temperature, aux voltage) were not read; main channels "
                "(time, voltage, current, capacity) are unaffected"
            )

    step_names = [str(s) for s in cols["step_type"]]
    step_type = np.array([NEWARE_STEP_TYPES.get(s, "other") for s in step_names])
    step = running_step(np.asarray(cols["step_count"]))
    cycle = np.asarray(cols["cycle_count"], dtype=np.int64)
    if n and cycle.min() == 0:
        cycle = cycle + 1
    # Neware: charge positive -> metalair: discharge positive
    current = -convert(np.asarray(cols["current_mA"], dtype=float), "mA", "A")
    capacity = -convert(np.asarray(cols["capacity_mAh"], dtype=float), "mAh", "Ah") if "capacity_mAh" in cols else None
    energy = -convert(np.asarray(cols["energy_mWh"], dtype=float), "mWh", "Wh") if "energy_mWh" in cols else None
    extra: dict[str, np.ndarray] = {"neware_step_index": np.asarray(cols.get("step_index", step))}
    for name, values in cols.items():
        if name.startswith("aux"):
            extra[name[4:] if name.startswith("aux_") else name] = np.asarray(values, dtype=float)
    time_col = "total_time_s" if "total_time_s" in cols else "step_time_s"
    info.update(
        {
            "file_name": path.name,
            "format": kind,
            "reader": reader,
            "neware_step_names": sorted(set(step_names)),
            "cycle_numbering": "Neware BTSDA: a new cycle starts when a charge follows a discharge",
            "cycle_numbering_source": "vendor",
        }
    )
    data = CyclerData(
        time_s=np.asarray(cols[time_col], dtype=float),
        voltage_V=np.asarray(cols["voltage_V"], dtype=float),
        current_A=current,
        step=step,
        cycle=cycle,
        step_type=step_type,
        capacity_Ah=capacity,
        energy_Wh=energy,
        metadata=info,
        extra=extra,
    )
    return data, notes


def read_neware_csv(path: str | os.PathLike[str]) -> tuple[CyclerData, list[str]]:
    """Read a CSV exported by Neware BTSDA (``DataPoint,Cycle Index,Step Index,Step Type,...``).

    Units are read from the column names (``Current(µA)``, ``Voltage(mV)``,
    ``Capacity(mAs)``...); BTSDA writes discharge current as negative.
    """
    path = as_path(path)
    text = read_text(path)
    lines = text.splitlines()
    header = next((i for i, ln in enumerate(lines[:50])
                   if "DataPoint" in ln.replace(" ", "") and "Step Type" in ln), None)
    if header is None:
        raise DataFormatError(f"{path.name}: no BTSDA header line ('DataPoint,Cycle Index,Step Index,Step Type,...')")
    # BTSDA writes commas; a file saved again by a spreadsheet in a decimal-comma locale has semicolons (or tabs)
    # and decimal commas: the delimiter is read from the header line, the decimal mark from the rows
    table = split_table(text, path.name, header)
    notes = list(table.warnings)

    def col_with_unit(prefix: str, dimension: str) -> tuple[str, float]:
        name = next((n for n in table.names if n.replace(" ", "").lower().startswith(prefix)), None)
        if name is None:
            raise DataFormatError(f"{path.name}: no column starting with {prefix!r}; columns: {', '.join(table.names)}")
        unit = unit_from_name(name)
        if unit is None:
            raise DataFormatError(f"{path.name}: column {name!r} has no unit in its name")
        return name, unit_factor(unit, dimension)

    v_name, v_f = col_with_unit("voltage(", "voltage")
    i_name, i_f = col_with_unit("current(", "current")
    time_name = table.require("total time", "Total Time", "Total Time(s)")
    if unit_from_name(time_name):
        t = table.floats(time_name) * unit_factor(unit_from_name(time_name) or "s", "time")
    else:
        t = parse_durations(table.columns[time_name], path.name, time_name)
    voltage = table.floats(v_name) * v_f
    current = table.floats(i_name) * i_f  # BTSDA: discharge negative
    cycle = table.floats(table.require("cycle", "Cycle Index")).astype(np.int64)
    step_idx = table.floats(table.require("step", "Step Index")).astype(np.int64)
    step_names = table.columns[table.require("step type", "Step Type")]
    step = running_step(step_idx, cycle, np.array(step_names))
    capacity = None
    try:
        c_name, c_f = col_with_unit("chg.cap.(", "capacity")
        d_name, d_f = col_with_unit("dchg.cap.(", "capacity")
        capacity = per_step_accumulated(
            table.floats(d_name) * d_f - table.floats(c_name) * c_f, step, reset=True
        )
    except DataFormatError:
        notes.append("no charge/discharge capacity columns; capacity left empty")
    energy = None
    try:
        ce_name, ce_f = col_with_unit("chg.energy(", "energy")
        de_name, de_f = col_with_unit("dchg.energy(", "energy")
        energy = per_step_accumulated(table.floats(de_name) * de_f - table.floats(ce_name) * ce_f, step, reset=True)
    except DataFormatError:
        pass
    types = np.array([NEWARE_STEP_TYPES.get(s.replace(" ", "_"), normalise_step_type(s)) for s in step_names])
    data = CyclerData(
        time_s=t,
        voltage_V=voltage,
        current_A=-current,
        step=step,
        cycle=np.maximum(cycle, 1),
        step_type=types,
        capacity_Ah=capacity,
        energy_Wh=energy,
        metadata={
            "instrument": "Neware",
            "software_version": "BTSDA (CSV export)",
            "file_name": path.name,
            "format": "neware_csv",
            "mass_g": None,
            "cycle_numbering": "Neware BTSDA 'Cycle Index' column",
            "cycle_numbering_source": "vendor",
        },
    )
    return data, notes
