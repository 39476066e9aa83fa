"""Plausibility checks run on every table a reader returns.

Two outcomes only: a :class:`~metalair.errors.DataFormatError` for data that
cannot be right (no rows, NaN or infinite values, voltages or currents no
cell can have, a time column that does not run forward), or a list of
warnings for data that is usable but suspicious (time stepping back now and
then or jumping, cycle or step numbers going down, a capacity column that
disagrees with the integrated current). The warnings go
into ``metadata["warnings"]`` and are issued once as a
:class:`DataQualityWarning`, so nothing wrong passes silently.
"""

from __future__ import annotations

import warnings as _warnings
from dataclasses import replace

import numpy as np

from metalair.errors import DataFormatError
from metalair.tables.cycler import CyclerData, step_starts
from metalair.units import convert, from_user

__all__ = ["DataQualityWarning", "check_cycler_data", "finish"]

#: Plausible cell voltage, V (exclusive bounds).
VOLTAGE_LIMITS_V = (-10.0, 10.0)
#: Largest plausible current magnitude, A (a large single cell on a high-current channel).
MAX_ABS_CURRENT_A = 1000.0


class DataQualityWarning(UserWarning):
    """A data file was read, but something in it looks wrong; see ``metadata['warnings']``."""


def _where(rows: np.ndarray, limit: int = 5) -> str:
    """Name records as a user counts them: from 1, the first data record after any header."""
    shown = ", ".join(str(int(r) + 1) for r in rows[:limit])
    return shown + (", ..." if rows.size > limit else "")


def check_cycler_data(
    data: CyclerData,
    *,
    file_name: str | None = None,
    voltage_limits_V: tuple[float, float] = VOLTAGE_LIMITS_V,
    max_abs_current_A: float = MAX_ABS_CURRENT_A,
) -> list[str]:
    """Check a table for impossible and suspicious values.

    Parameters
    ----------
    data : CyclerData
        The table a reader produced.
    file_name : str, optional
        Named in the messages.
    voltage_limits_V : (float, float)
        Open interval of plausible voltages.
    max_abs_current_A : float
        Largest plausible |current|.

    Returns
    -------
    list of str
        Warnings (records are counted from 1, the first data record after any header).

    Raises
    ------
    DataFormatError
        If the table is empty, holds values outside the plausible ranges, or a time column that does not
        run forward (see :func:`_check_time_runs_forward`).
    """
    name = file_name or str(data.metadata.get("file_name", "data"))
    n = len(data)
    if n == 0:
        raise DataFormatError(
            f"{name}: the file holds no data records (the test may not have started, or the "
            "file was saved before the first point was logged); export it again after data was recorded"
        )

    # NaN or infinite time, voltage and current cannot reach here: CyclerData refuses them on construction

    lo, hi = voltage_limits_V
    bad = np.flatnonzero((data.voltage_V <= lo) | (data.voltage_V >= hi))
    if bad.size:
        raise DataFormatError(
            f"{name}: {bad.size} voltage values lie outside the plausible range ({lo:g}, {hi:g}) V, "
            f"e.g. {data.voltage_V[bad[0]]:.6g} V at record {bad[0] + 1} (records {_where(bad)}); the file is "
            "damaged, or the voltage unit is wrong (mV read as V?) - give the unit in column_map"
        )
    bad = np.flatnonzero(np.abs(data.current_A) > max_abs_current_A)
    if bad.size:
        raise DataFormatError(
            f"{name}: {bad.size} current values exceed {max_abs_current_A:g} A in magnitude, "
            f"e.g. {data.current_A[bad[0]]:.6g} A at record {bad[0] + 1}; the file is damaged, or the current "
            "unit is wrong (mA read as A?) - give the unit in column_map"
        )

    _check_time_runs_forward(data.time_s, name)

    found: list[str] = []

    dt = np.diff(data.time_s)
    back = np.flatnonzero(dt < 0) + 1
    if back.size:
        found.append(
            f"time goes backwards {back.size} times (at records {_where(back)}; largest step back "
            f"{-dt.min():.6g} s); records may be out of order or from several tests joined together"
        )
    same = np.flatnonzero((dt == 0) & (data.step[1:] == data.step[:-1])) + 1
    if same.size:
        found.append(
            f"{same.size} records repeat the time stamp of the record before them within one step (at records "
            f"{_where(same)}); duplicated records, or a time column with too few digits - rates and "
            "dQ/dV at those points are undefined"
        )
    positive = dt[dt > 0]
    if positive.size >= 10:
        typical = float(np.median(positive))
        gap_limit = max(from_user(1.0, "h"), 1000.0 * typical)
        gaps = np.flatnonzero(dt > gap_limit) + 1
        if gaps.size:
            found.append(
                f"time jumps forward by more than {gap_limit:.6g} s {gaps.size} times (at records "
                f"{_where(gaps)}; largest {dt.max():.6g} s, typical interval {typical:.3g} s); "
                "the test may have been paused or records are missing"
            )

    for label, arr in (("cycle", data.cycle), ("step", data.step)):
        down = np.flatnonzero(np.diff(arr) < 0) + 1
        if down.size:
            found.append(
                f"{label} numbers decrease {down.size} times (at records {_where(down)}); "
                "records may be out of order or from several tests joined together"
            )

    starts = step_starts(data.step)
    ends = np.append(starts[1:], n)
    mixed = [int(a) for a, b in zip(starts, ends) if data.cycle[a] != data.cycle[b - 1]]
    if mixed:
        found.append(f"{len(mixed)} steps span two or more cycles "
                     f"(steps starting at records {_where(np.array(mixed))})")

    # step types against the sign of the current
    wrong_sign = []
    for a, b in zip(starts, ends):
        kind = data.step_type[a]
        if kind not in ("discharge", "charge"):
            continue
        mean = float(np.mean(data.current_A[a:b]))
        if (kind == "discharge" and mean < 0) or (kind == "charge" and mean > 0):
            wrong_sign.append(a)
    if wrong_sign:
        found.append(
            f"{len(wrong_sign)} steps have a current of the wrong sign for their type (steps starting "
            f"at records {_where(np.array(wrong_sign))}); the sign convention of the file may be inverted"
        )

    for label, arr, floor in (("voltage", data.voltage_V, 0.3), ("current", data.current_A, None)):
        spikes = _isolated_spikes(arr, data.step, floor)
        if spikes.size:
            found.append(
                f"{spikes.size} isolated {label} spikes (one record far from both neighbours, which agree; "
                f"records {_where(spikes)}); the file may be damaged there"
            )

    if data.capacity_Ah is not None:
        found.extend(_capacity_consistency(data, data.capacity_Ah, starts, ends))
    return found


def _check_time_runs_forward(time_s: np.ndarray, name: str) -> None:
    """Refuse a time column that does not run forward: reversed, constant, or mostly going back.

    This runs on the reader's final time column (test time, or a step time made
    cumulative), so the few steps back of tests joined together, or of a step
    time that restarts at every step, pass with a warning: time must advance
    at more intervals than it goes back. A column that never advances, or goes
    back at least as often as forward, is not the test time, and every capacity
    integrated over it would be zero or of the wrong sign.

    Raises
    ------
    DataFormatError
        Naming the first record (counted from 1) at which time does not increase.
    """
    if time_s.size < 2:
        return
    dt = np.diff(time_s)
    forward = int(np.count_nonzero(dt > 0))
    back = int(np.count_nonzero(dt < 0))
    if forward > 0 and back < forward:
        return
    k = int(np.flatnonzero(dt <= 0)[0]) + 1
    still = dt.size - forward - back
    raise DataFormatError(
        f"{name}: time must increase from record to record, but it does not at record {k + 1} "
        f"({time_s[k]:.6g} s after {time_s[k - 1]:.6g} s at record {k}); of {dt.size} intervals "
        f"{back} go back, {still} stand still and {forward} go forward. The time column is reversed, "
        "constant or not the test time - for a delimited text file choose the test-time column in "
        "column_map (e.g. time_s='Test Time (s)')"
    )


def _isolated_spikes(arr: np.ndarray, step: np.ndarray, floor: float | None,
                     scale: float | None = None) -> np.ndarray:
    """Rows whose value jumps away from both neighbours in the same step while those agree.

    A damaged record (a flipped byte in a binary file) typically shows up like this;
    a real change of state moves to a new level and stays there.
    """
    if arr.size < 3:
        return np.zeros(0, dtype=np.int64)
    block = 1 << 18
    if arr.size > block + 2:  # in blocks (with two rows of overlap), so a long record needs little extra memory
        found = [a + _isolated_spikes(arr[a:a + block + 2], step[a:a + block + 2], floor, float(np.max(np.abs(arr))))
                 for a in range(0, arr.size - 2, block)]
        return np.concatenate(found)
    prev, mid, nxt = arr[:-2], arr[1:-1], arr[2:]
    same_step = (step[:-2] == step[1:-1]) & (step[1:-1] == step[2:])
    d1, d2 = mid - prev, mid - nxt
    jump = np.minimum(np.abs(d1), np.abs(d2))
    if floor is None:  # current: relative to the neighbours' level and the record's scale
        if scale is None:
            scale = float(np.max(np.abs(arr))) if arr.size else 0.0
        floor_arr = 0.5 * 0.5 * (np.abs(prev) + np.abs(nxt)) + 0.01 * scale
    else:
        floor_arr = np.full(mid.shape, floor)
    spike = same_step & (np.sign(d1) == np.sign(d2)) & (jump > floor_arr) & (np.abs(nxt - prev) < 0.25 * jump)
    return np.flatnonzero(spike) + 1


def _capacity_consistency(data: CyclerData, cap: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> list[str]:
    """Compare each step's capacity with the trapezoid integral of its current."""
    bad = np.flatnonzero(~np.isfinite(cap))
    if bad.size:
        return [f"{bad.size} capacity values are not finite (first at records {_where(bad)})"]
    scale = float(np.max(np.abs(cap))) if cap.size else 0.0
    mismatched = []
    for a, b in zip(starts, ends):
        if b - a < 5:
            continue
        t = data.time_s[a:b]
        i = data.current_A[a:b]
        if np.any(np.diff(t) < 0):
            continue
        integral = float(convert(np.sum(0.5 * (i[1:] + i[:-1]) * np.diff(t)), "As", "Ah"))
        file_q = float(cap[b - 1] - cap[a])
        tol = 0.05 * max(abs(integral), abs(file_q)) + 1e-3 * scale + 1e-12
        if abs(file_q - integral) > tol:
            mismatched.append(a)
    if mismatched:
        return [
            f"in {len(mismatched)} steps the capacity column disagrees by more than 5 % with the "
            f"integrated current (steps starting at records {_where(np.array(mismatched))}); the capacity "
            "or current column may be misread or damaged"
        ]
    return []


def finish(data: CyclerData, reader_warnings: list[str] | None = None, *, strict: bool = False) -> CyclerData:
    """Run the checks, merge the warnings into the metadata and issue them.

    Parameters
    ----------
    data : CyclerData
        Fresh from a reader.
    reader_warnings : list of str, optional
        What the reader itself noticed (dropped rows, damaged metadata ...).
    strict : bool
        Raise :class:`DataFormatError` instead of warning.
    """
    name = str(data.metadata.get("file_name", "data"))
    found = list(data.metadata.get("warnings", [])) + list(reader_warnings or [])
    found += check_cycler_data(data, file_name=name)
    if found and strict:
        raise DataFormatError(
            f"{name}: problems found and strict=True: " + "; ".join(found)
            + ". Read with strict=False to get the data with these warnings in metadata['warnings']"
        )
    metadata = dict(data.metadata)
    metadata["warnings"] = found
    if found:
        _warnings.warn(
            f"{name}: " + "; ".join(found), DataQualityWarning, stacklevel=3
        )
    return replace(data, metadata=metadata)
