"""What kind of electrochemical record is this? Classify before analysing.

A cycle table only means something for galvanostatic cycling. A linear sweep,
a cyclic voltammogram or an impedance spectrum read as if it were cycling
gives confident nonsense (dozens of "cycles", coulombic efficiencies of
thousands of per cent), so :func:`classify_record` looks at the columns and
the signals of a :class:`~metalair.tables.cycler.CyclerData` first and names
what each part of the record is:

``"galvanostatic"``
    Constant current in magnitude within each step (charge, discharge).
``"hold"``
    Potentiostatic hold: constant voltage, current decaying (chronoamperometry,
    the CV part of a CC-CV charge).
``"rest"``
    Open circuit: no current.
``"linear sweep"``
    Voltage ramped linearly in time in one direction (LSV).
``"cyclic voltammetry"``
    Voltage ramped linearly in time and reversed at least once (CV).
``"impedance"``
    Rows with an excitation frequency (PEIS, GEIS).
``"other"``
    None of the above (e.g. constant power, pulses).

A record is routed by its *kind* (:attr:`Classification.kind`):
``"galvanostatic cycling"`` (any galvanostatic segment; holds and rests
inside cycling belong to it) goes to the cycle analysis; ``"linear sweep"``
and ``"cyclic voltammetry"`` to the voltammetry analysis (``metalair cv``),
``"impedance"`` to the impedance tools (``metalair eis``); a record of only
holds or only rest has no cycles either.

How the signals are read
------------------------
* Segments are the instrument's own technique blocks where the file has them
  (EC-Lab ``Ns`` sequence and ``mode``), else the file's steps; adjacent
  segments of one kind are merged.
* Impedance: a frequency column (EC-Lab ``freq/Hz``) with positive values.
* Rest: |I| below ``max(1e-9 A, 1e-3 max|I|)`` in at least 95 % of the rows,
  or EC-Lab mode 3.
* Galvanostatic: in at least 80 % of the rows |I| is within 2 % of the
  segment's median |I|; vendor step types (Neware, Maccor) and EC-Lab mode 1
  are taken as given.
* Sweep: the (control) voltage changes at a constant rate: in at least 70 %
  of the intervals the rate is within 25 % of the median rate, which is at
  least 1e-5 V/s, while the current is not constant. Reversals are counted
  with a hysteresis of 5 % of the voltage span, so noise is not a reversal.
* Hold: the voltage stays within ``max(5 mV, 0.2 %)`` while current flows.

References
----------
The technique definitions (linear sweep and cyclic voltammetry as a potential
ramped linearly in time, chronoamperometry as a potential step,
chronopotentiometry as a current step) follow A. J. Bard and L. R. Faulkner,
*Electrochemical Methods: Fundamentals and Applications*, 2nd ed., Wiley,
2001, chapters 5, 6 and 8 (ISBN 978-0-471-04372-0).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from metalair.errors import DataFormatError
from metalair.tables.cycler import CyclerData, step_starts
from metalair.units import to_user

__all__ = [
    "SEGMENT_KINDS",
    "RECORD_KINDS",
    "Segment",
    "Classification",
    "NotCyclingError",
    "classify_record",
    "route_message",
]

#: Kinds a segment can have.
SEGMENT_KINDS: tuple[str, ...] = (
    "galvanostatic", "hold", "rest", "linear sweep", "cyclic voltammetry", "impedance", "other",
)
#: Kinds a whole record can have.
RECORD_KINDS: tuple[str, ...] = (
    "galvanostatic cycling", "potentiostatic hold", "rest", "linear sweep", "cyclic voltammetry",
    "impedance", "other",
)

#: The command that analyses each kind that is not cycling.
ROUTES: dict[str, str] = {
    "linear sweep": "metalair cv",
    "cyclic voltammetry": "metalair cv",
    "impedance": "metalair eis",
}

#: Formats whose step types come from the instrument's own step definitions.
_VENDOR_STEP_TYPES = frozenset({"neware_nda", "neware_ndax", "neware_csv", "maccor_txt", "simulation"})

_MIN_ROWS = 5


class NotCyclingError(DataFormatError):
    """The record (or the part asked for) is not galvanostatic cycling; the message names the right tool."""

    def __init__(self, message: str, kind: str, command: str | None) -> None:
        super().__init__(message)
        self.kind = kind
        self.command = command


@dataclass(frozen=True)
class Segment:
    """A block of rows of one kind.

    Attributes
    ----------
    kind : str
        One of :data:`SEGMENT_KINDS`.
    start, stop : int
        First row and one past the last row.
    evidence : str
        Which signal decided the kind.
    """

    kind: str
    start: int
    stop: int
    evidence: str

    @property
    def rows(self) -> int:
        """Number of rows."""
        return self.stop - self.start


@dataclass(frozen=True)
class Classification:
    """Result of :func:`classify_record`.

    Attributes
    ----------
    kind : str
        One of :data:`RECORD_KINDS`, the kind that decides the route.
    segments : tuple of Segment
        The record split into blocks of one kind, in order.
    file_name : str
        For messages.
    technique : str or None
        The technique the file's header names, when it names one.
    """

    kind: str
    segments: tuple[Segment, ...]
    file_name: str = ""
    technique: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def is_cycling(self) -> bool:
        """True when the record holds galvanostatic cycling (possibly beside other techniques)."""
        return self.kind == "galvanostatic cycling"

    @property
    def kinds(self) -> tuple[str, ...]:
        """The distinct segment kinds, in order of first appearance."""
        seen: list[str] = []
        for s in self.segments:
            if s.kind not in seen:
                seen.append(s.kind)
        return tuple(seen)

    def rows_of(self, *kinds: str) -> np.ndarray:
        """Indices of the rows in segments of the given kinds."""
        parts = [np.arange(s.start, s.stop) for s in self.segments if s.kind in kinds]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def describe(self) -> str:
        """One line per segment (merged), for notes and messages."""
        return "; ".join(f"rows {s.start}-{s.stop - 1}: {s.kind} ({s.evidence})" for s in self.segments)

    def __str__(self) -> str:
        head = f"{self.file_name or 'record'}: {self.kind}"
        if self.technique:
            head += f" (file header: {self.technique})"
        return head + "\n" + "\n".join(
            f"  rows {s.start}-{s.stop - 1}: {s.kind} - {s.evidence}" for s in self.segments)


def route_message(result: Classification) -> str:
    """The message for a record that has no cycles, naming the command that analyses it."""
    name = result.file_name or "the record"
    kind = result.kind
    what = {
        "linear sweep": "a linear sweep voltammogram (LSV)",
        "cyclic voltammetry": "a cyclic voltammogram (CV)",
        "impedance": "an impedance spectrum",
        "potentiostatic hold": "a potentiostatic hold (chronoamperometry), not galvanostatic cycling",
        "rest": "an open-circuit (rest) record with no current",
        "other": "not galvanostatic cycling",
    }.get(kind, kind)
    evidence = "; ".join(sorted({s.evidence for s in result.segments if s.kind != "rest"})) or (
        result.segments[0].evidence if result.segments else "")
    message = f"{name} is {what} ({evidence}), so it has no charge/discharge cycles and no cycle table is made"
    command = ROUTES.get(kind)
    if command is not None:
        message += f"; analyse it with '{command} {name}'"
    elif kind == "potentiostatic hold":
        message += "; its current and charge against time are in the data (metalair.io.read)"
    return message


# ---------------------------------------------------------------------------
# per-segment tests
# ---------------------------------------------------------------------------
def _rest_threshold(current: np.ndarray) -> float:
    scale = float(np.nanmax(np.abs(current))) if current.size else 0.0
    return max(1e-9, 1e-3 * scale)


def _is_rest(i: np.ndarray, threshold: float) -> bool:
    return bool(np.mean(np.abs(i) <= threshold) >= 0.95)


def _is_constant_current(i: np.ndarray, threshold: float) -> bool:
    flowing = np.abs(i[np.abs(i) > threshold])
    if flowing.size < max(3, int(0.5 * i.size)):
        return False
    level = float(np.median(flowing))
    return bool(np.mean(np.abs(flowing - level) <= 0.02 * level) >= 0.8)


def _is_constant_voltage(v: np.ndarray) -> bool:
    span = float(np.ptp(v)) if v.size else 0.0
    return span <= max(5e-3, 2e-3 * float(np.median(np.abs(v))))


def _sweep_rate(t: np.ndarray, v: np.ndarray) -> float | None:
    """Median |dV/dt| if the voltage moves at a steady rate, else None."""
    dt = np.diff(t)
    ok = dt > 0
    if np.count_nonzero(ok) < _MIN_ROWS:
        return None
    rate = np.abs(np.diff(v)[ok] / dt[ok])
    median = float(np.median(rate))
    if not np.isfinite(median) or median < 1e-5:
        return None
    steady = np.abs(rate - median) <= 0.25 * median
    return median if float(np.mean(steady)) >= 0.7 else None


def turning_points(v: np.ndarray, hysteresis_fraction: float = 0.05) -> list[int]:
    """Indices of the vertices of a sweep, each where the potential turned.

    A turn counts once the voltage has retreated ``hysteresis_fraction`` of the record's span from its
    extreme, so noise on the measured potential makes no turn. Non-finite values are skipped (they are
    neither vertices nor retreats).
    """
    v = np.asarray(v, dtype=float)
    ok = np.flatnonzero(np.isfinite(v))
    if ok.size < 3:
        return []
    hyst = hysteresis_fraction * float(np.ptp(v[ok]))
    if hyst <= 0:
        return []
    start = float(v[ok[0]])
    direction = 0
    extreme, extreme_at = start, int(ok[0])
    turns: list[int] = []
    for k in ok[1:]:
        x = float(v[k])
        if direction == 0:
            if abs(x - start) > hyst:
                direction, extreme, extreme_at = (1 if x > start else -1), x, int(k)
        elif (direction == 1 and x > extreme) or (direction == -1 and x < extreme):
            extreme, extreme_at = x, int(k)
        elif abs(x - extreme) > hyst:
            turns.append(extreme_at)
            direction, extreme, extreme_at = -direction, x, int(k)
    return turns


def count_reversals(v: np.ndarray, hysteresis_fraction: float = 0.05) -> int:
    """Direction reversals of a sweep (a turn counts once the voltage has retreated 5 % of the span)."""
    return len(turning_points(v, hysteresis_fraction))


def _classify_block(
    t: np.ndarray, v: np.ndarray, i: np.ndarray, threshold: float, *,
    control_v: np.ndarray | None, mode: int | None, freq: np.ndarray | None, vendor_type: str | None,
) -> tuple[str, str]:
    if freq is not None and np.mean(np.nan_to_num(freq) > 0) >= 0.5:
        return "impedance", "frequency column with positive values"
    if mode == 3:
        return "rest", "EC-Lab mode 3 (open circuit)"
    if vendor_type in ("discharge", "charge"):
        return "galvanostatic", f"the instrument's step type is {vendor_type}"
    if vendor_type == "rest" and _is_rest(i, threshold):
        return "rest", "the instrument's step type is rest"
    if mode == 1:
        return "galvanostatic", "EC-Lab mode 1 (current controlled)"
    drive = control_v if control_v is not None else v
    if mode == 2:  # potential controlled: a sweep or a hold, whatever the current does
        rate = _sweep_rate(t, drive) if i.size >= _MIN_ROWS else None
        if rate is not None and not _is_constant_voltage(drive):
            return "sweep", f"EC-Lab mode 2 with the potential ramped at {to_user(rate, 'mV/s'):.3g} mV/s"
        return "hold", "EC-Lab mode 2 (potential controlled) at a constant potential"
    if vendor_type == "hold":  # the instrument says so: a short CV hold keeps its charge (5 rows or fewer)
        return "hold", "the instrument's step type is a hold"
    if i.size < _MIN_ROWS:  # too few rows to tell a shape; what the current does still says what it is
        if _is_rest(i, threshold):
            return "rest", f"the current is zero in every record (only {i.size} rows)"
        flowing = i[np.abs(i) > threshold]
        if flowing.size == i.size and (np.all(flowing > 0) or np.all(flowing < 0)):
            return "galvanostatic", f"current of one sign (only {i.size} rows)"
        return "other", f"only {i.size} rows"
    if _is_rest(i, threshold):
        return "rest", "the current is zero in every record"
    if _is_constant_current(i, threshold):
        return "galvanostatic", "current constant in magnitude"
    rate = _sweep_rate(t, drive)
    if rate is not None:
        return "sweep", f"voltage ramped at {to_user(rate, 'mV/s'):.3g} mV/s while the current varies"
    if _is_constant_voltage(drive):
        return "hold", "voltage constant while current flows"
    if mode == 2:
        return "hold", "EC-Lab mode 2 (potential controlled)"
    flowing = i[np.abs(i) > threshold]
    if flowing.size >= 0.95 * i.size and (np.all(flowing > 0) or np.all(flowing < 0)) \
            and _is_constant_voltage(drive[-max(_MIN_ROWS, i.size // 5):]):
        return "galvanostatic", "current of one sign that ends at a constant voltage (a CC-CV step)"
    return "other", "neither current nor voltage constant or ramped"


def _blocks(data: CyclerData) -> np.ndarray:
    """Start rows of the technique blocks: EC-Lab Ns/mode changes, else the steps."""
    keys = [data.extra[k] for k in ("biologic_Ns", "biologic_mode") if k in data.extra]
    if "frequency_Hz" in data.extra:
        keys.append(np.nan_to_num(np.asarray(data.extra["frequency_Hz"], dtype=float)) > 0)
    if keys:
        n = len(data)
        changed = np.zeros(max(n - 1, 0), dtype=bool)
        for k in keys:
            k = np.asarray(k)
            changed |= k[1:] != k[:-1]
        return np.concatenate(([0], np.flatnonzero(changed) + 1)).astype(np.int64)
    return step_starts(data.step)


def classify_record(data: CyclerData) -> Classification:
    """Classify every technique block of a record and the record as a whole.

    Parameters
    ----------
    data : CyclerData
        As returned by :func:`metalair.io.read` (or a simulation converted to one).

    Returns
    -------
    Classification
        ``kind`` decides the route (see the module docstring); ``segments``
        says what each block is and which signal decided it.
    """
    n = len(data)
    name = str(data.metadata.get("file_name") or "")
    technique = data.metadata.get("technique")
    if n == 0:
        return Classification("rest", (), name, technique, ("no rows",))
    t, v, i = data.time_s, data.voltage_V, data.current_A
    threshold = _rest_threshold(i)
    control = data.extra.get("control_voltage_V")
    mode = data.extra.get("biologic_mode")
    freq = data.extra.get("frequency_Hz")
    vendor = str(data.metadata.get("format")) in _VENDOR_STEP_TYPES
    starts = _blocks(data)
    if mode is None and freq is None and not vendor and n >= _MIN_ROWS:
        # no technique information in the file: a record whose voltage moves at one steady rate
        # throughout is one sweep, however the current (and the steps inferred from it) behaves
        whole_rate = _sweep_rate(t, np.asarray(control if control is not None else v, dtype=float))
        if whole_rate is not None and not _is_constant_current(i, threshold):
            starts = np.zeros(1, dtype=np.int64)
    stops = np.append(starts[1:], n)
    raw: list[Segment] = []
    for a, b in zip(starts.tolist(), stops.tolist()):
        kind, evidence = _classify_block(
            t[a:b], v[a:b], i[a:b], threshold,
            control_v=None if control is None else np.asarray(control[a:b], dtype=float),
            mode=int(mode[a]) if mode is not None else None,
            freq=None if freq is None else np.asarray(freq[a:b], dtype=float),
            vendor_type=str(data.step_type[a]) if vendor else None,
        )
        raw.append(Segment(kind, a, b, evidence))
    # short blocks next to a sweep belong to the sweep (a step split by the sign of the current): also those
    # of one sign, which alone would be a short charge or discharge
    for k, s in enumerate(raw):
        if s.kind in ("other", "galvanostatic") and s.rows < _MIN_ROWS:
            prev = raw[k - 1].kind if k > 0 else None
            nxt = raw[k + 1].kind if k + 1 < len(raw) else None
            if "sweep" in (prev, nxt):
                raw[k] = Segment("sweep", s.start, s.stop, "short block inside a sweep")
    merged: list[Segment] = []
    for s in raw:
        if merged and merged[-1].kind == s.kind:
            last = merged[-1]
            evidence = last.evidence if last.rows >= s.rows else s.evidence
            merged[-1] = Segment(s.kind, last.start, s.stop, evidence)
        else:
            merged.append(s)
    segments: list[Segment] = []
    for s in merged:
        if s.kind == "sweep":
            drive = control if control is not None else v
            turns = count_reversals(np.asarray(drive[s.start:s.stop], dtype=float))
            kind = "cyclic voltammetry" if turns >= 1 else "linear sweep"
            plural = "s" if turns != 1 else ""
            segments.append(Segment(kind, s.start, s.stop, f"{s.evidence}; {turns} reversal{plural}"))
        else:
            segments.append(s)
    rows = {k: sum(s.rows for s in segments if s.kind == k) for k in SEGMENT_KINDS}
    active = sum(rows.values()) - rows["rest"]
    header = str(technique or "").lower()
    notes: list[str] = []
    if rows["galvanostatic"] > 0 and rows["galvanostatic"] + rows["hold"] >= 0.2 * active and not (
        "impedance" in header or "voltammetry" in header
    ):
        kind = "galvanostatic cycling"
    elif rows["impedance"] > 0 and ("impedance" in header or rows["impedance"] >= 0.5 * active):
        kind = "impedance"
    elif rows["cyclic voltammetry"] > 0:
        kind = "cyclic voltammetry"
    elif rows["linear sweep"] > 0:
        kind = "linear sweep"
    elif rows["impedance"] > 0:
        kind = "impedance"
    elif rows["hold"] > 0:
        kind = "potentiostatic hold"
    elif rows["other"] > 0:
        kind = "other"
    else:
        kind = "rest"
    if rows["galvanostatic"] > 0 and kind != "galvanostatic cycling":
        notes.append(f"{rows['galvanostatic']} rows at constant current belong to the {kind} technique, not to cycling")
    return Classification(kind, tuple(segments), name, str(technique) if technique else None, tuple(notes))
